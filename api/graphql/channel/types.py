from __future__ import annotations

from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any

import segno
import strawberry
from strawberry.scalars import JSON

from api.graphql.channel.reasons import reason_of
from api.graphql.time import utc


@strawberry.enum(description="The linked-device lifecycle, in WAHA's words.")
class WhatsAppStatus(Enum):
    STOPPED = "STOPPED"
    STARTING = "STARTING"
    SCAN_QR_CODE = "SCAN_QR_CODE"
    WORKING = "WORKING"
    FAILED = "FAILED"


@lru_cache(maxsize=32)
def qr_svg(value: str) -> str:
    """The QR code drawn as SVG (segno), sized by its container."""
    svg: str = segno.make(value, error="l", micro=False).svg_inline(
        border=2, omitsize=True, dark="#111", light="#fff")
    return svg


@strawberry.type(description="The QR code to scan in WhatsApp → Linked devices → Link a device.")
class WhatsAppQrCode:
    value: str = strawberry.field(description="The raw value, to draw yourself.")
    expires_at: datetime
    sequence: int = strawberry.field(description="Which code of the series this is (1…of).")
    of: int = strawberry.field(description="How many codes a series offers before it fails.")

    @strawberry.field(description="The code drawn as an SVG element.")
    def svg(self) -> str:
        return qr_svg(self.value)


@strawberry.type(description="A code to enter on the phone instead of scanning.")
class WhatsAppPairingCode:
    phone: str
    code: str


@strawberry.type(description="One change of the channel's status, with its reason.")
class WhatsAppStatusChange:
    at: datetime
    status: WhatsAppStatus
    event: str = strawberry.field(description="What happened, e.g. Linked, ConnectionLost.")
    reason: str = strawberry.field(description="Why, in English (`reasonCode` for the panel).")
    actor: str

    @strawberry.field(description="The reason as a code (wa.reason.<CODE> in the panel): "
                                  "GATEWAY when the gateway gave its own words.")
    def reason_code(self) -> str:
        return reason_of(self.reason).code

    @strawberry.field(description="What the reason's sentence names (a wrapped reason under "
                                  "`inner`: {code, params}; GATEWAY's words as `text`).")
    def reason_params(self) -> JSON:
        return reason_of(self.reason).as_params()  # type: ignore[return-value]

    @classmethod
    def of(cls, row: Any) -> WhatsAppStatusChange:
        return cls(at=utc(row.at), status=WhatsAppStatus(row.status), event=row.event,
                   reason=row.reason, actor=row.actor)


@strawberry.type(description="A client's message kept while WhatsApp was out of service; it "
                             "reaches the operators when WhatsApp is put back in service.")
class HeldWhatsAppMessage:
    id: strawberry.ID
    phone: str
    name: str
    text: str
    sent_at: datetime
    held_at: datetime

    @classmethod
    def of(cls, row: Any) -> HeldWhatsAppMessage:
        return cls(id=strawberry.ID(str(row.id)), phone=row.phone, name=row.name, text=row.text,
                   sent_at=utc(row.sent_at), held_at=utc(row.held_at))


@strawberry.type(description="The company's WhatsApp channel: its link, settings and history.")
class WhatsAppChannel:
    gateway: str = strawberry.field(description="simulator, waha or cloud.")
    links_devices: bool = strawberry.field(
        description="Whether it links by QR code or pairing code (the Cloud API does not).")
    status: WhatsAppStatus
    reason: str = strawberry.field(description="Why it is in this status, in English.")
    status_since: datetime | None
    phone: str | None = strawberry.field(description="The linked number, E.164.")
    device: str | None
    linked_at: datetime | None
    reconnecting: bool = strawberry.field(description="The connection was lost; retrying.")
    reconnect_attempt: int
    retry_at: datetime | None
    in_service: bool = strawberry.field(description="Messages reach the operators only then.")
    employees_may_write_first: bool
    held_count: int = strawberry.field(description="Messages kept while out of service.")
    qr_code: WhatsAppQrCode | None = strawberry.field(
        description="The code to scan now (admins only; null otherwise).")
    pairing_code: WhatsAppPairingCode | None = strawberry.field(
        description="The pairing code requested (admins only; null otherwise).")
    history: list[WhatsAppStatusChange] = strawberry.field(
        description="The newest status changes first.")
    held_messages: list[HeldWhatsAppMessage] = strawberry.field(
        description="Messages still kept, newest first (admins only; empty otherwise).")

    @strawberry.field(description="Why it is in this status, as a code (wa.reason.<CODE> in "
                                  "the panel; GATEWAY: the gateway's own words).")
    def reason_code(self) -> str:
        return reason_of(self.reason).code

    @strawberry.field(description="What the reason's sentence names (see the history's).")
    def reason_params(self) -> JSON:
        return reason_of(self.reason).as_params()  # type: ignore[return-value]


@strawberry.type
class WhatsAppChannelPayload:
    channel: WhatsAppChannel
