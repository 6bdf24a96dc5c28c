"""The client card in the audit: each name an operator gave a client and each note, with who and
when (the entry's actor and time) and the dialog it was written in (its data).

The section keeps no state: a state per client would grow with the client base and be copied
into every configuration snapshot; the summary says what changed, and the earlier entries of
the same client (its aggregate id) say what it was."""

from __future__ import annotations

from domain.clients import Client
from projections.audit.configuration import ConfigChange, Configuration, Section, State, says

NOTE_SHOWN = 200


def _keep(state: State, change: ConfigChange) -> State:
    return state


def _nothing(state: State, config: Configuration) -> dict[str, str]:
    return {}


def _summary(change: ConfigChange) -> str:
    phone = change.data.get("phone", "")
    if change.is_(Client.NamedByOperator):
        name = change.data.get("name", "")
        return says("audit.summary.clientNamed", f"Client {phone} named “{name}”",
                    phone=phone, name=name)
    note = str(change.data.get("note", ""))
    shown = note if len(note) <= NOTE_SHOWN else note[:NOTE_SHOWN - 1] + "…"
    return says("audit.summary.clientNoted", f"Note on client {phone}: “{shown}”",
                phone=phone, note=shown)


CLIENT_CARDS = Section("client_cards", "Client cards", (Client.NamedByOperator, Client.Noted),
                       _keep, _nothing, summary=_summary)
