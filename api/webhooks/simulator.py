"""POST /webhooks/simulator: the built-in WhatsApp simulator delivers a client's message.

Signed with the shared secret: `X-Switchboard-Timestamp` (unix seconds) and
`X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`. A repeated
delivery of the same message id changes nothing. Answers 2xx only once the message is stored."""

from __future__ import annotations

import hmac
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application import commands as c
from application.errors import DomainError
from application.handlers import Received
from application.phones import to_e164
from infra.bootstrap import Container
from infra.metrics import DUPLICATES, MESSAGES_IN
from infra.security import sign_body
from infra.simulator import signed_request

from .common import read_limited_body

router = APIRouter()
CHANNEL = "simulator"


class SimulatorMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: Annotated[str, Field(min_length=1, max_length=200)]
    from_: Annotated[str, Field(alias="from", min_length=3, max_length=64)]
    name: Annotated[str, Field(max_length=120)] = ""
    text: Annotated[str, Field(min_length=1, max_length=65536)]
    timestamp: Annotated[int, Field(ge=0)]


class Accepted(BaseModel):
    status: str
    dialog_id: str
    message_id: str


class PhoneMessage(BaseModel):
    from_: Annotated[str, Field(alias="from", min_length=3, max_length=64)]
    name: Annotated[str, Field(max_length=120)] = ""
    text: Annotated[str, Field(min_length=1, max_length=4096)]


@router.post("/webhooks/simulator", response_model=Accepted, tags=["webhooks"])
async def simulator_webhook(request: Request) -> Accepted:
    container: Container = request.app.state.container
    body = await read_limited_body(request, container.settings.webhook_max_body_bytes)
    return await ingest(
        container, body, request.headers.get("x-switchboard-timestamp", ""),
        request.headers.get("x-switchboard-signature", ""),
    )


@router.post("/simulator/phone/send", response_model=Accepted, tags=["simulator"])
async def phone_send(message: PhoneMessage, request: Request) -> Accepted:
    """The phone page writes as a client: the server signs the delivery with the simulator's
    secret (which never reaches the browser) and takes it through the webhook's own path."""
    container: Container = request.app.state.container
    body, headers = signed_request(container.settings.simulator_secret, {
        "id": f"sim-{uuid.uuid4().hex}", "from": message.from_, "name": message.name,
        "text": message.text, "timestamp": int(time.time()),
    })
    return await ingest(container, body, headers["x-switchboard-timestamp"],
                        headers["x-switchboard-signature"])


async def ingest(container: Container, body: bytes, stamp: str, signature: str) -> Accepted:
    settings = container.settings
    if not stamp or not signature:
        raise HTTPException(401, "The request is not signed.")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > settings.webhook_max_skew_seconds:
        raise HTTPException(401, "The signature's timestamp is missing or stale.")
    if not hmac.compare_digest(signature, sign_body(settings.simulator_secret, stamp, body)):
        raise HTTPException(401, "The signature does not match.")
    try:
        message = SimulatorMessage.model_validate_json(body)
        phone = to_e164(message.from_)
    except ValidationError as error:
        raise HTTPException(422, _describe(error)) from None
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    try:
        received: Received = await container.writer.execute(c.ReceiveClientMessage(
            channel=CHANNEL, external_id=message.id, phone=phone, name=message.name.strip(),
            text=message.text, sent_at=datetime.fromtimestamp(message.timestamp, UTC),
        ))
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    (DUPLICATES if received.duplicate else MESSAGES_IN).labels(CHANNEL).inc()
    return Accepted(status="duplicate" if received.duplicate else "accepted",
                    dialog_id=str(received.dialog_id), message_id=str(received.message_id))


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    return f"Malformed message: {where}: {first.get('msg', 'invalid')}"
