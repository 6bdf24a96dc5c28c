"""Search over conversations, as the entry points ask for it: a search checked and analysed
(`domain.search`: stems and numbers in any spelling; refused when empty or too long), and who
finds what. The read model and its query are `projections.search`."""

from __future__ import annotations

from application.oversight import READS_EVERY_DIALOG
from domain.operators import Role
from domain.search import MAX_SEARCH, EmptySearch, Search, SearchTooLong, parse_search

__all__ = ["MAX_SEARCH", "EmptySearch", "Search", "SearchTooLong", "parse_search",
           "reads_everything"]

# Roles that find every dialog (and messages the client deleted), not only their inbox's:
# the one rule of application/oversight.py (admins, supervisors, auditors).
READ_EVERYTHING = READS_EVERY_DIALOG


def reads_everything(role: Role) -> bool:
    return role in READ_EVERYTHING
