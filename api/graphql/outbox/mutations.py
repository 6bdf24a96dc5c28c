"""Replies, first messages, retries (operators), and the sync schedule (admins). Each turns its
input into a command; a refusal answers a UserError with a stable code."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated
from uuid import UUID

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.inbox.queries import parse_id
from api.graphql.outbox.queries import settings_of
from api.graphql.outbox.types import (
    DeliveryStatus,
    OutgoingMessage,
    RetryMessageSuccess,
    RunSyncNowSuccess,
    SendMessageSuccess,
    StartDialogSuccess,
    SyncMode,
    SyncRunReport,
    UpdateSyncSettingsSuccess,
)
from api.graphql.permissions import IsAdmin, IsAuthenticated
from api.graphql.time import utc
from application import outbox as ob
from application.errors import DomainError
from application.phones import to_e164
from application.services import EffectiveSchedule

SendMessageResult = Annotated[SendMessageSuccess | UserError,
                              strawberry.union("SendMessageResult")]
StartDialogResult = Annotated[StartDialogSuccess | UserError,
                              strawberry.union("StartDialogResult")]
RetryMessageResult = Annotated[RetryMessageSuccess | UserError,
                               strawberry.union("RetryMessageResult")]
UpdateSyncSettingsResult = Annotated[UpdateSyncSettingsSuccess | UserError,
                                     strawberry.union("UpdateSyncSettingsResult")]
RunSyncNowResult = Annotated[RunSyncNowSuccess | UserError, strawberry.union("RunSyncNowResult")]
RUN_NOW_WAIT_SECONDS = 10.0


def _queued(queued: ob.Queued) -> OutgoingMessage:
    """The message as stored (a repeated request answers the first one's text and time)."""
    return OutgoingMessage(id=strawberry.ID(str(queued.message_id)),
                           dialog_id=strawberry.ID(str(queued.dialog_id)), text=queued.text,
                           status=DeliveryStatus(queued.status.value),
                           queued_at=utc(queued.queued_at))


def _key(idempotency_key: str | None) -> str:
    return idempotency_key if idempotency_key is not None else uuid.uuid4().hex


def _not_found(field: str, what: str) -> UserError:
    return UserError(code="NOT_FOUND", message=f"No such {what}.", field=field)


@strawberry.type
class OutboxMutation:
    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Replies in a dialog: queued at once, sent by the sync "
                                     "job. The same `idempotencyKey` again (a double click, a "
                                     "repeated request) is the same message.")
    async def send_message(self, info: Info, dialog_id: strawberry.ID, text: str,
                           idempotency_key: str | None = None) -> SendMessageResult:
        did = parse_id(dialog_id)
        if did is None:
            return _not_found("dialogId", "dialog among yours")
        me = info.context.me
        app = info.context.app
        at = app.clock.now()
        try:
            queued: ob.Queued = await app.bus.execute(ob.SendMessage(
                dialog_id=did, operator_id=me.operator_id, text=text,
                key=_key(idempotency_key), at=at, actor=me.actor))
        except DomainError as error:
            return UserError.of(error)
        return SendMessageSuccess(outgoing=_queued(queued), duplicate=queued.duplicate)

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Writes first to a client (by `phone`, or a known "
                                     "`clientId`), where employees may write first: the "
                                     "client's open dialog, or a new one held by you.")
    async def start_dialog(self, info: Info, text: str, phone: str | None = None,
                           client_id: strawberry.ID | None = None,
                           idempotency_key: str | None = None) -> StartDialogResult:
        app = info.context.app
        me = info.context.me
        known: UUID | None = None
        number: str | None = None
        try:
            if client_id is not None:
                known = parse_id(client_id)
                if known is None:
                    return _not_found("clientId", "client")
            elif phone is not None and phone.strip():
                number = to_e164(phone, app.settings.phone_region)
            else:
                return UserError(code="INVALID_VALUE", field="phone",
                                 message="Name the client: a phone number or a client.")
            at = app.clock.now()
            queued: ob.Queued = await app.bus.execute(ob.StartDialog(
                operator_id=me.operator_id, text=text, key=_key(idempotency_key),
                channel=app.whatsapp.gateway.kind, at=at, actor=me.actor, phone=number,
                client_id=known))
        except DomainError as error:
            return UserError.of(error)
        return StartDialogSuccess(dialog_id=strawberry.ID(str(queued.dialog_id)),
                                  outgoing=_queued(queued),
                                  new_dialog=queued.new_dialog)

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Sends a failed message again (attempts start over).")
    async def retry_message(self, info: Info, message_id: strawberry.ID) -> RetryMessageResult:
        mid = parse_id(message_id)
        if mid is None:
            return _not_found("messageId", "message among your dialogs")
        me = info.context.me
        app = info.context.app
        at = app.clock.now()
        try:
            queued: ob.Queued = await app.bus.execute(ob.RetryMessage(
                message_id=mid, operator_id=me.operator_id, at=at, actor=me.actor))
        except DomainError as error:
            return UserError.of(error)
        return RetryMessageSuccess(outgoing=_queued(queued))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Switches synchronisation on or off and sets its schedule; "
                                     "every replica applies it without a restart.")
    async def update_sync_settings(self, info: Info, enabled: bool, mode: SyncMode,
                                   interval_seconds: int, cron: str = "",
                                   ) -> UpdateSyncSettingsResult:
        app = info.context.app
        try:
            state: ob.ScheduleState = await app.bus.execute(ob.ConfigureSync(
                enabled=enabled, mode=mode.value, interval_seconds=interval_seconds, cron=cron,
                actor=info.context.me.actor))
        except DomainError as error:
            return UserError.of(error)
        schedule = EffectiveSchedule(state=state, is_default=False, version=0,
                                     changed_at=app.clock.now(),
                                     changed_by=info.context.me.actor)
        app.sync.apply(state)  # this replica at once; the others within a second
        settings = await to_thread.run_sync(settings_of, app, schedule)
        return UpdateSyncSettingsSuccess(settings=settings)

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="\"Send now\": runs the sync job at once, whatever the "
                                     "schedule (and even while it is off).")
    async def run_sync_now(self, info: Info) -> RunSyncNowResult:
        app = info.context.app
        try:
            await app.bus.execute(ob.RequestSyncRun(
                at=app.clock.now(), actor=info.context.me.actor,
                default=app.sync.default_schedule()))
        except DomainError as error:
            return UserError.of(error)
        running = app.sync.run_now()
        try:
            report = await asyncio.wait_for(asyncio.wrap_future(running), RUN_NOW_WAIT_SECONDS)
        except TimeoutError:
            return RunSyncNowSuccess(finished=False, report=None)
        if report is None:
            return RunSyncNowSuccess(finished=False, report=None)
        return RunSyncNowSuccess(finished=True, report=SyncRunReport.of(report.as_dict()))
