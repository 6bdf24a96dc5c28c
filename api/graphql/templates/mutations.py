"""`syncMessageTemplates` (admins: reads the business account's templates through the Cloud API
and records them) and `sendTemplate` (operators and admins who may write in the dialog: queued
in the outbox like a reply)."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from anyio import to_thread

from api.graphql.catch_up import read_models_caught_up
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.inbox.queries import parse_id
from api.graphql.outbox.types import DeliveryStatus, OutgoingMessage
from api.graphql.permissions import CanWrite, IsAdmin
from api.graphql.templates.types import (
    MessageTemplate,
    SendTemplateSuccess,
    SyncMessageTemplatesSuccess,
)
from api.graphql.time import utc
from application import outbox as ob
from application.errors import DomainError
from application.ports import GatewayError
from application.templates import SendTemplate
from projections.templates import approved_templates

SyncMessageTemplatesResult = Annotated[SyncMessageTemplatesSuccess | UserError,
                                       strawberry.union("SyncMessageTemplatesResult")]
SendTemplateResult = Annotated[SendTemplateSuccess | UserError,
                               strawberry.union("SendTemplateResult")]
MAX_PARAMETERS = 100


@strawberry.type
class TemplatesMutation:
    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Reads the WhatsApp Business Account's templates (Cloud "
                                     "API, every page) and records them; the approved ones "
                                     "become what operators can send.")
    async def sync_message_templates(self, info: Info) -> SyncMessageTemplatesResult:
        app = info.context.app
        try:
            count = await app.templates.synchronise(info.context.me.actor)
        except GatewayError as error:
            return UserError(code=error.code, message=error.message)
        except DomainError as error:
            return UserError.of(error)
        await read_models_caught_up(app, "templates")
        engine = app.reads

        def read() -> list[MessageTemplate]:
            with engine.connect() as conn:
                return [MessageTemplate.of(row) for row in approved_templates(conn)]

        return SyncMessageTemplatesSuccess(count=count,
                                           templates=await to_thread.run_sync(read))

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Sends an approved template in a dialog (the only message "
                                     "WhatsApp's Cloud API allows once the 24-hour window has "
                                     "closed): queued at once, sent by the sync job; the dialog "
                                     "shows its body with the parameters filled in.")
    async def send_template(self, info: Info, dialog_id: strawberry.ID, name: str,
                            language: str, parameters: list[str] | None = None,
                            idempotency_key: str | None = None) -> SendTemplateResult:
        did = parse_id(dialog_id)
        if did is None:
            return UserError(code="NOT_FOUND", message="No such dialog among yours.",
                             field="dialogId")
        values = parameters or []
        if len(values) > MAX_PARAMETERS:
            return UserError(code="TEMPLATE_PARAMETERS", field="parameters",
                             message=f"At most {MAX_PARAMETERS} parameters.")
        me = info.context.me
        app = info.context.app
        try:
            queued: ob.Queued = await app.bus.execute(SendTemplate(
                dialog_id=did, operator_id=me.operator_id, name=name, language=language,
                parameters=tuple(values),
                key=idempotency_key if idempotency_key is not None else uuid.uuid4().hex,
                at=app.clock.now(), actor=me.actor))
        except DomainError as error:
            return UserError.of(error)
        return SendTemplateSuccess(
            outgoing=OutgoingMessage(id=strawberry.ID(str(queued.message_id)),
                                     dialog_id=strawberry.ID(str(queued.dialog_id)),
                                     text=queued.text,
                                     status=DeliveryStatus(queued.status.value),
                                     queued_at=utc(queued.queued_at)),
            duplicate=queued.duplicate)
