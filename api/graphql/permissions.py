"""Permission classes: every field that is not `login` names one of these."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from api.graphql.context import Info
from application.oversight import acts_on_every_dialog


class IsAuthenticated(BasePermission):
    message = "Sign in first."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal is not None


class IsAdmin(BasePermission):
    message = "Only an admin may do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.is_admin


class CanAudit(BasePermission):
    """Admins and auditors: they read the setup, its history and the configuration at any
    instant; auditors change nothing."""

    message = "Only an admin or an auditor may read this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.role.value in ("admin", "auditor")


class CanWrite(BasePermission):
    """Admins, supervisors and operators: those who write to clients (auditors only read)."""

    message = "Auditors read; only an operator, a supervisor or an admin writes to clients."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.role.value in ("admin", "supervisor",
                                                                  "operator")


class IsSupervisorOrAdmin(BasePermission):
    """Admins and supervisors: they read the queue's state and reassign and resolve any dialog
    (application/oversight.py); supervisors change no setup."""

    message = "Only a supervisor or an admin may do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and acts_on_every_dialog(principal.role)
