"""Operators write to no client while the 1C-to-PBX connection is long-polling: a reply, a first
message, a file and a retry are refused with the message that says how to switch, before
anything is queued (handlers with a unit of work in memory); with the web service the
connection no longer refuses them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from application import media as md
from application import outbox as ob
from domain.dialogs import Dialog
from domain.errors import DomainError
from domain.outbox import DeliveryStatus, OutgoingMessage
from domain.setup import LONG_POLLING_REFUSAL, ChatsNeedWebService, ConnectionMode, Installation
from tests.unit.test_colleague_handlers_and_stores import MemoryUnitOfWork, web_service

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
OPERATOR = uuid4()
PHONE = "+79161234567"


def desk(installation: Installation | None) -> tuple[MemoryUnitOfWork, Dialog, OutgoingMessage]:
    """A dialog of the operator's with one message queued already."""
    dialog = Dialog.open(client_id=uuid4(), phone=PHONE, client_name="Ivan", channel="simulator",
                         recipients=[OPERATOR], rule="", actor="t")
    message = OutgoingMessage.queue(dialog_id=dialog.id, client_id=dialog.client_id, phone=PHONE,
                                    channel="simulator", text="Earlier", operator_id=OPERATOR,
                                    key="k0", at=NOW, actor="t")
    found = [dialog, message] + ([installation] if installation else [])
    return MemoryUnitOfWork(*found), dialog, message


def reply(dialog_id: UUID, _: UUID) -> tuple[Callable[..., Any], object]:
    return ob.send_message, ob.SendMessage(dialog_id=dialog_id, operator_id=OPERATOR,
                                           text="It leaves today.", key="k1", at=NOW, actor="t")


def first_message(_: UUID, __: UUID) -> tuple[Callable[..., Any], object]:
    return ob.start_dialog, ob.StartDialog(operator_id=OPERATOR, text="Hello", key="k2",
                                           channel="simulator", at=NOW, actor="t",
                                           phone="+79160000001")


def file(dialog_id: UUID, _: UUID) -> tuple[Callable[..., Any], object]:
    return md.send_media, md.SendMedia(
        dialog_id=dialog_id, operator_id=OPERATOR, key="k3", kind="image", sha256="0" * 64,
        size=10, mime_type="image/png", file_name="plan.png", caption="", at=NOW, actor="t")


def retry(_: UUID, message_id: UUID) -> tuple[Callable[..., Any], object]:
    return ob.retry_message, ob.RetryMessage(message_id=message_id, operator_id=OPERATOR,
                                             at=NOW, actor="t")


WRITES = [reply, first_message, file, retry]


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
@pytest.mark.parametrize("installation", [None, "long_polling"])
def test_while_the_connection_is_long_polling_nothing_is_queued_for_a_client(
    write: Callable[..., Any], installation: str | None,
) -> None:
    start = (Installation.start(connection_mode=ConnectionMode.LONG_POLLING, actor="t")
             if installation else None)  # never set up: long-polling, as production starts
    uow, dialog, message = desk(start)
    before = set(uow.aggregates)
    handler, command = write(dialog.id, message.id)
    with pytest.raises(ChatsNeedWebService) as refused:
        handler(command, uow)
    assert refused.value.code == "CHATS_NEED_WEB_SERVICE"
    assert refused.value.message == LONG_POLLING_REFUSAL
    assert "setup wizard" in refused.value.message  # it says how to switch
    assert set(uow.aggregates) == before and message.status == DeliveryStatus.QUEUED


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_with_the_web_service_the_connection_refuses_nothing(write: Callable[..., Any]) -> None:
    uow, dialog, message = desk(web_service())
    handler, command = write(dialog.id, message.id)
    with pytest.raises(DomainError) as refused:  # WhatsApp, never linked here, refuses next
        handler(command, uow)
    assert not isinstance(refused.value, ChatsNeedWebService)
