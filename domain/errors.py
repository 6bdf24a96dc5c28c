"""Domain errors: each has a stable code that the API returns and the panel translates."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused a command; nothing was recorded."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None,
                 params: dict[str, str | int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # Which rule refused, as a code (e.g. AUTOCONFIG_NOT_BASE64), and what its sentence
        # needs: the panel says it in the reader's language (`validation.<RULE>`); `message`
        # stays the English sentence for the API's other readers.
        self.rule = rule
        self.params = dict(params or {})


class NotFound(DomainError):
    code = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"


class InvalidValue(DomainError):
    code = "INVALID_VALUE"


class NotAllowed(DomainError):
    code = "NOT_ALLOWED"
