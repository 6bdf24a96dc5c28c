"""The errors that entry points translate: domain refusals and the application's own."""

from __future__ import annotations

from domain.errors import AlreadyExists, DomainError, InvalidValue, NotAllowed, NotFound
from domain.operators import Role

__all__ = ["AlreadyExists", "DomainError", "InvalidValue", "NotAllowed", "NotFound", "Role"]
