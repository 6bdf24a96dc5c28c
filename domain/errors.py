"""Domain errors: each has a stable code that the API returns and the panel translates."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused a command; nothing was recorded."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    code = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"


class InvalidValue(DomainError):
    code = "INVALID_VALUE"


class NotAllowed(DomainError):
    code = "NOT_ALLOWED"
