"""A fake of Meta's Graph API for the WhatsApp Cloud API, on loopback: `Authorization: Bearer`;
`GET /{phone-number-id}` → the number's fields; `POST /{phone-number-id}/messages` →
`{messages[{id}]}`, or error 131047 as HTTP 400 for a recipient outside the 24-hour window;
and builders of the webhook notifications Meta sends (signed with `X-Hub-Signature-256`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from infra.channels.fakeserver import FakeServer, Raw, Request

TOKEN = "graph-test-token"
PHONE_NUMBER_ID = "106540352242922"
APP_SECRET = "cloud-app-secret"
VERIFY_TOKEN = "cloud-verify-token"


class FakeGraph:
    def __init__(self, token: str = TOKEN, phone_number_id: str = PHONE_NUMBER_ID) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.sent: list[dict[str, Any]] = []
        self.outside_window: set[str] = set()
        self.failing = False
        self.server = FakeServer()
        # media: what clients sent (by media id, fetched from a short-lived URL) and uploads
        self.media: dict[str, tuple[bytes, str]] = {}
        self.uploads: dict[str, tuple[bytes, str]] = {}
        self.server.route("GET", r"/lookaside/([^/]+)", self._lookaside)
        self.server.route("POST", r"/v21\.0/([^/]+)/media", self._upload)
        self.server.route("GET", rf"/v21\.0/({phone_number_id}|[^/]+)", self._number)
        self.server.route("POST", r"/v21\.0/([^/]+)/messages", self._messages)

    @property
    def url(self) -> str:
        return f"{self.server.url}/v21.0"

    def start(self) -> FakeGraph:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def _refused(self, request: Request) -> tuple[int, Any] | None:
        if self.failing:
            return 503, {"error": {"message": "Service temporarily unavailable", "code": 2}}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": {"message": "Invalid OAuth access token.", "type":
                                   "OAuthException", "code": 190, "fbtrace_id": "x"}}
        return None

    def _number(self, request: Request) -> tuple[int, Any]:
        refused = self._refused(request)
        if refused:
            return refused
        if request.match.group(1) in self.media:  # GET /{media-id}: where to fetch it
            content, mime = self.media[request.match.group(1)]
            return 200, {"messaging_product": "whatsapp", "id": request.match.group(1),
                         "url": f"{self.server.url}/lookaside/{request.match.group(1)}",
                         "mime_type": mime, "file_size": len(content),
                         "sha256": hashlib.sha256(content).hexdigest()}
        if request.match.group(1) != self.phone_number_id:
            return 400, {"error": {"message": "Unsupported get request.", "code": 100}}
        return 200, {"display_phone_number": "+1 555-555-0199", "verified_name": "Acme",
                     "quality_rating": "GREEN", "id": self.phone_number_id}

    def _messages(self, request: Request) -> tuple[int, Any]:
        refused = self._refused(request)
        if refused:
            return refused
        body = request.json()
        text = body.get("text")
        kind = body.get("type")
        if kind in ("image", "document") and body.get("messaging_product") == "whatsapp" \
                and isinstance(body.get(kind), dict) and body[kind].get("id") in self.uploads:
            wamid = f"wamid.{uuid.uuid4().hex.upper()}"
            self.sent.append({"id": wamid, **body, "text": {"body": body[kind].get("caption",
                                                                                   "")}})
            return 200, {"messaging_product": "whatsapp",
                         "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                         "messages": [{"id": wamid}]}
        if body.get("messaging_product") != "whatsapp" or body.get("type") != "text" \
                or not isinstance(text, dict) or len(text.get("body", "")) > 4096:
            return 400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}
        if body["to"] in self.outside_window:
            return 400, {"error": {
                "message": "(#131047) Re-engagement message", "type": "OAuthException",
                "code": 131047, "error_data": {"messaging_product": "whatsapp", "details":
                    "Message failed to send because more than 24 hours have passed since the "
                    "customer last replied to this number."}, "fbtrace_id": "x"}}
        wamid = f"wamid.{uuid.uuid4().hex.upper()}"
        self.sent.append({"id": wamid, **body})
        return 200, {"messaging_product": "whatsapp",
                     "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                     "messages": [{"id": wamid}]}


    def _lookaside(self, request: Request) -> tuple[int, Any]:
        refused = self._refused(request)
        if refused:
            return refused
        found = self.media.get(request.match.group(1))
        if found is None:
            return 404, {"error": {"message": "Not found", "code": 100}}
        return 200, Raw(found[0], found[1])

    def _upload(self, request: Request) -> tuple[int, Any]:
        refused = self._refused(request)
        if refused:
            return refused
        if b'name="messaging_product"' not in request.body or b'name="file"' not in request.body:
            return 400, {"error": {"message": "(#100) file and messaging_product are required",
                                   "code": 100}}
        upload_id = str(uuid.uuid4().int)[:16]
        self.uploads[upload_id] = (request.body, request.headers.get("content-type", ""))
        return 200, {"id": upload_id}


def media_message(sender: str, kind: str, media_id: str, *, mime_type: str,
                  wamid: str | None = None, **fields: Any) -> dict[str, Any]:
    """A client's image, document, audio (voice: true), video or sticker, as Meta sends it."""
    return {"from": sender, "id": wamid or f"wamid.{uuid.uuid4().hex.upper()}",
            "timestamp": str(int(time.time())), "type": kind,
            kind: {"id": media_id, "mime_type": mime_type,
                   "sha256": "x", **fields}}


# -- webhook notifications -------------------------------------------------------------------------
def notification(*, messages: list[dict[str, Any]] | None = None,
                 statuses: list[dict[str, Any]] | None = None,
                 contacts: list[dict[str, Any]] | None = None,
                 phone_number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15555550199", "phone_number_id": phone_number_id},
    }
    if contacts is not None:
        value["contacts"] = contacts
    if messages is not None:
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"value": value,
                                                              "field": "messages"}]}]}


def text_message(sender: str, text: str, wamid: str | None = None) -> dict[str, Any]:
    return {"from": sender, "id": wamid or f"wamid.{uuid.uuid4().hex.upper()}",
            "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}


def contact(wa_id: str, name: str) -> dict[str, Any]:
    return {"profile": {"name": name}, "wa_id": wa_id}


def status(wamid: str, state: str, recipient: str, *, error_code: int | None = None
           ) -> dict[str, Any]:
    body: dict[str, Any] = {"id": wamid, "status": state, "timestamp": str(int(time.time())),
                            "recipient_id": recipient}
    if error_code is not None:
        body["errors"] = [{"code": error_code, "title": "Re-engagement message"}]
    return body


def signed(body: dict[str, Any] | bytes, secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    signature = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
    return data, {"content-type": "application/json", "x-hub-signature-256": f"sha256={signature}"}
