"""The client card: operators name a client the phonebook does not know and keep a note about
them (`NameClient`, `NoteClient`), from a dialog they may read. Each is an event on the client
(domain/clients.py) with who acted; the audit shows it.

Who may: an operator who may read the dialog (one delivered to them, while they are in the
access group), or an admin (any dialog). Auditors only read (the API refuses them first).
Handlers run inside the group-commit writer: no I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.ports import UnitOfWork
from application.routing.shared import has_access
from domain.clients import Client, check_card_name, check_card_note
from domain.dialogs import Dialog
from domain.errors import NotFound

NOT_YOURS = "No such dialog among yours."


@dataclass(frozen=True)
class NameClient:
    dialog_id: UUID
    name: str
    operator_id: UUID
    admin: bool
    actor: str


@dataclass(frozen=True)
class NoteClient:
    dialog_id: UUID
    note: str
    operator_id: UUID
    admin: bool
    actor: str


def client_of_dialog(uow: UnitOfWork, dialog_id: UUID, operator_id: UUID, admin: bool) -> Client:
    """The dialog's client (the client with the number, once a WhatsApp identity merged into
    it); NotFound when the caller may not read the dialog."""
    dialog = uow.get(Dialog, dialog_id)
    if dialog is None or not (admin or (dialog.may_read(operator_id)
                                        and has_access(uow, operator_id))):
        raise NotFound(NOT_YOURS, field="dialogId")
    client = uow.get(Client, dialog.client_id)
    if client is not None and client.merged_into is not None:
        client = uow.get(Client, client.merged_into) or client
    if client is None:
        raise NotFound("The dialog's client could not be read.", field="dialogId")
    return client


def name_client(cmd: NameClient, uow: UnitOfWork) -> bool:
    """True when the name changed (the same name again changes nothing)."""
    name = check_card_name(cmd.name)  # bad input is refused before anything is read
    client = client_of_dialog(uow, cmd.dialog_id, cmd.operator_id, cmd.admin)
    return client.name_by_operator(name, dialog_id=cmd.dialog_id, actor=cmd.actor)


def note_client(cmd: NoteClient, uow: UnitOfWork) -> bool:
    """True when the note changed."""
    note = check_card_note(cmd.note)
    client = client_of_dialog(uow, cmd.dialog_id, cmd.operator_id, cmd.admin)
    return client.set_note(note, dialog_id=cmd.dialog_id, actor=cmd.actor)


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    NameClient: name_client,
    NoteClient: note_client,
}
