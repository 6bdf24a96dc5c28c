"""Who oversees dialogs beyond their own: the one rule every place that reads or acts on a
dialog applies.

- Operators read (and act on) the dialogs delivered to them, while they are in the access group.
- Admins and supervisors read every dialog (whoever holds it, in or out of the access group) and
  act on any: reassign it to a colleague, resolve it.
- Auditors read every dialog and change nothing.

Supervisors have no setup rights (channels, routing, the queue's members, shared quick replies,
labels' definitions stay admins'); what they read besides dialogs is the queue's state.
"""

from __future__ import annotations

from uuid import UUID

from application.ports import UnitOfWork
from application.routing.shared import active_operator, ensure_access
from domain.dialogs import Dialog
from domain.errors import NotFound
from domain.operators import Operator, Role

# Roles that read every dialog (and the messages a client deleted: they keep the record).
READS_EVERY_DIALOG = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.AUDITOR})
# Roles that reassign and resolve any dialog, and see the inbox of all dialogs.
ACTS_ON_EVERY_DIALOG = frozenset({Role.ADMIN, Role.SUPERVISOR})


def reads_every_dialog(role: Role | str) -> bool:
    return Role(role) in READS_EVERY_DIALOG


def acts_on_every_dialog(role: Role | str) -> bool:
    return Role(role) in ACTS_ON_EVERY_DIALOG


def dialog_to_act_on(uow: UnitOfWork, dialog_id: UUID, operator_id: UUID) -> tuple[Dialog, bool]:
    """The dialog `operator_id` acts on (reassigns, resolves, labels), and whether they act as
    an overseer (an admin or a supervisor: any dialog, in the access group or not). An
    operator must be in the access group and among the dialog's recipients; NotFound
    otherwise, as for a dialog that does not exist."""
    by = uow.get(Operator, operator_id)
    overseer = by is not None and by.active and acts_on_every_dialog(by.role)
    if not overseer:
        ensure_access(uow, operator_id)
        active_operator(uow, operator_id)
    dialog = uow.get(Dialog, dialog_id)
    if dialog is None or not (overseer or dialog.may_read(operator_id)):
        raise NotFound("No such dialog among yours.", field="dialogId")
    return dialog, overseer
