"""A fake of Meta's Graph API for the WhatsApp Cloud API, on loopback: `Authorization: Bearer`;
`GET /{phone-number-id}` → the number's fields; `POST /{phone-number-id}/messages` →
`{messages[{id}]}`, or error 131047 as HTTP 400 for a recipient outside the 24-hour window;
read statuses on the same path (`status: "read"`, with a `typing_indicator` or not → `{success:
true}`, recorded in `read`); and builders of the webhook notifications Meta sends (signed with
`X-Hub-Signature-256`).

As Meta documents them (developers.facebook.com/documentation/business-messaging/whatsapp/…):
- business-scoped user ids ("business-scoped-user-ids"; since April 2026): a send names a
  phone number in `to` or a BSUID in `recipient` (`to` wins when both are given; neither is
  error 100); the answer's `contacts[]` has `input` and `wa_id` for a phone number, `input` and
  `user_id` for a BSUID. Incoming messages carry `from_user_id` and `contacts[].user_id`
  always, `from` and `contacts[].wa_id` only while the number may be shared (`bsuid_message`).
- error 131056 ("support/error-codes", Throttling): "(#131056) (Business Account, Consumer
  Account) pair rate limit hit", too many messages to one user in a short time:
  `pair_limited[recipient] = n` refuses the next n sends to that recipient with it.
- message kinds ("webhooks/reference/messages/…"): `reaction{message_id, emoji}` (emoji omitted
  when taken back), `interactive{type: button_reply|list_reply, button_reply|list_reply{id,
  title[, description]}}`, a template's quick-reply `button{payload, text}`, and kinds the
  Cloud API does not pass on as `unsupported` with `errors[{code: 131051}]`."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.channels.fakeserver import FakeServer, Raw, Request

TOKEN = "graph-test-token"
PHONE_NUMBER_ID = "106540352242922"
APP_SECRET = "cloud-app-secret"
VERIFY_TOKEN = "cloud-verify-token"
WABA_ID = "102290129340398"
REPLY_WINDOW = timedelta(hours=24)


class FakeGraph:
    def __init__(self, token: str = TOKEN, phone_number_id: str = PHONE_NUMBER_ID) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.sent: list[dict[str, Any]] = []
        self.read: list[dict[str, Any]] = []  # read statuses (with typing_indicator or not)
        self.outside_window: set[str] = set()
        self.pair_limited: dict[str, int] = {}  # recipient -> sends still refused with 131056
        self.failing = False
        self.server = FakeServer()
        # media: what clients sent (by media id, fetched from a short-lived URL) and uploads
        self.media: dict[str, tuple[bytes, str]] = {}
        self.uploads: dict[str, tuple[bytes, str]] = {}
        self.server.route("GET", r"/lookaside/([^/]+)", self._lookaside)
        self.server.route("POST", r"/v21\.0/([^/]+)/media", self._upload)
        self.server.route("GET", rf"/v21\.0/({phone_number_id}|[^/]+)", self._number)
        self.server.route("POST", r"/v21\.0/([^/]+)/messages", self._messages)
        # message templates and the 24-hour window (`_message_templates`, `_window_closed`)
        self.waba_id = WABA_ID
        self.templates: list[dict[str, Any]] = []
        self.page_size = 25
        self.clock: Callable[[], datetime] | None = None
        self.last_written: dict[str, datetime] = {}
        self.server.route("GET", r"/v21\.0/([^/]+)/message_templates", self._message_templates)

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

    def _read_status(self, body: dict[str, Any]) -> tuple[int, Any]:
        """`{messaging_product: "whatsapp", status: "read", message_id, typing_indicator?:
        {type: "text"}}` → `{success: true}` (Meta, "Mark messages as read" and "Typing
        indicators"); anything else is error 100, as an invalid parameter is."""
        typing = body.get("typing_indicator")
        if body.get("messaging_product") != "whatsapp" or body.get("status") != "read" \
                or not isinstance(body.get("message_id"), str) or not body["message_id"] \
                or (typing is not None and typing != {"type": "text"}):
            return 400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}
        self.read.append(body)
        return 200, {"success": True}

    def _messages(self, request: Request) -> tuple[int, Any]:
        refused = self._refused(request)
        if refused:
            return refused
        body = request.json()
        if "status" in body:  # a read receipt, not a message
            return self._read_status(body)
        text = body.get("text")
        kind = body.get("type")
        to = body.get("to") or body.get("recipient")
        if not isinstance(to, str) or not to:
            return 400, {"error": {"message": "(#100) The parameter to is required.",
                                   "type": "OAuthException", "code": 100, "fbtrace_id": "x"}}
        addressed = {"input": to, "wa_id": to} if body.get("to") else {"input": to,
                                                                      "user_id": to}
        if self.pair_limited.get(to, 0) > 0:
            self.pair_limited[to] -= 1
            return 400, {"error": {
                "message": "(#131056) (Business Account, Consumer Account) pair rate limit hit",
                "type": "OAuthException", "code": 131056, "error_data": {
                    "messaging_product": "whatsapp", "details": "Message failed to send "
                    "because there were too many messages sent from this phone number to the "
                    "same phone number in a short period of time."}, "fbtrace_id": "x"}}
        if kind == "template":
            return self._template_message(body, to, addressed)
        if kind in ("image", "document") and body.get("messaging_product") == "whatsapp" \
                and isinstance(body.get(kind), dict) and body[kind].get("id") in self.uploads:
            wamid = f"wamid.{uuid.uuid4().hex.upper()}"
            self.sent.append({"id": wamid, **body, "text": {"body": body[kind].get("caption",
                                                                                   "")}})
            return 200, {"messaging_product": "whatsapp", "contacts": [addressed],
                         "messages": [{"id": wamid}]}
        if body.get("messaging_product") != "whatsapp" or body.get("type") != "text" \
                or not isinstance(text, dict) or len(text.get("body", "")) > 4096:
            return 400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}
        if to in self.outside_window or self._window_closed(to):
            return 400, {"error": {
                "message": "(#131047) Re-engagement message", "type": "OAuthException",
                "code": 131047, "error_data": {"messaging_product": "whatsapp", "details":
                    "Message failed to send because more than 24 hours have passed since the "
                    "customer last replied to this number."}, "fbtrace_id": "x"}}
        wamid = f"wamid.{uuid.uuid4().hex.upper()}"
        self.sent.append({"id": wamid, **body})
        return 200, {"messaging_product": "whatsapp", "contacts": [addressed],
                     "messages": [{"id": wamid}]}


    # -- message templates and the 24-hour window -------------------------------------------
    def client_wrote(self, wa_id: str, at: datetime | None = None) -> None:
        """The client `wa_id` wrote to the business at `at` (default: the fake's now): their
        24-hour window runs from then."""
        self.last_written[wa_id] = at or self._now()

    def client_text(self, sender: str, text: str, at: datetime | None = None
                    ) -> dict[str, Any]:
        """A client's text as Meta notifies it, sent at `at`, which the fake also notes (its
        window opens then)."""
        at = at or self._now()
        self.client_wrote(sender, at)
        return {**text_message(sender, text), "timestamp": str(int(at.timestamp()))}

    def _now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)

    def _window_closed(self, to: str) -> bool:
        """Meta's customer service window: free-form messages only within 24 hours of the
        user's last message; else "(#131047) Re-engagement message … more than 24 hours have
        passed since the customer last replied" (developers.facebook.com/docs/whatsapp/
        cloud-api/support/error-codes; the window: …/conversation-types, "customer service
        windows"). A client the fake heard from (`client_wrote`) is held to it; once the fake
        has a `clock` so is one it never heard from (nobody opened a window); without a clock
        only `outside_window` says so for those (tests that do not model the window)."""
        last = self.last_written.get(to)
        if last is None:
            return self.clock is not None
        return self._now() - last > REPLY_WINDOW

    def _template_message(self, body: dict[str, Any], to: str,
                          addressed: dict[str, str]) -> tuple[int, Any]:
        """`type: "template"`, `template: {name, language: {code}, components: [{type: "body",
        parameters: [{type: "text", text}]}]}` (Meta's "Send message templates" guide). The
        template must exist and be APPROVED in that language, else error 132001 ("Template
        name does not exist in the translation"); the body's parameters must match its
        `{{n}}`s, else 132000 ("Number of parameters does not match the expected number of
        params") — the error codes page. Sent whatever the window: that is what it is for."""
        template = body.get("template")
        if body.get("messaging_product") != "whatsapp" or not isinstance(template, dict) \
                or not isinstance(template.get("language"), dict):
            return 400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}
        found = next((t for t in self.templates if t.get("name") == template.get("name")
                      and t.get("language") == template["language"].get("code")
                      and t.get("status") == "APPROVED"), None)
        if found is None:
            return 404, {"error": {
                "message": "(#132001) Template name does not exist in the translation",
                "type": "OAuthException", "code": 132001, "fbtrace_id": "x"}}
        expected = len(set(re.findall(r"\{\{(\d+)\}\}", _body_of(found))))
        given = [p for c in template.get("components") or [] if isinstance(c, dict)
                 and c.get("type") == "body" for p in c.get("parameters") or []]
        if len(given) != expected or not all(
                isinstance(p, dict) and p.get("type") == "text" and p.get("text")
                for p in given):
            return 400, {"error": {
                "message": "(#132000) Number of parameters does not match the expected "
                           "number of params", "type": "OAuthException", "code": 132000,
                "fbtrace_id": "x"}}
        text = _body_of(found)
        for number, parameter in enumerate(given, start=1):
            text = text.replace(f"{{{{{number}}}}}", str(parameter["text"]))
        wamid = f"wamid.{uuid.uuid4().hex.upper()}"
        self.sent.append({"id": wamid, **body, "text": {"body": text}})
        return 200, {"messaging_product": "whatsapp", "contacts": [addressed],
                     "messages": [{"id": wamid, "message_status": "accepted"}]}

    def _message_templates(self, request: Request) -> tuple[int, Any]:
        """`GET /{WABA-ID}/message_templates` (Meta's reference, whats-app-business-account/
        message_templates): `{data: [{name, components, language, status, category, id}],
        paging: {cursors: {before, after}}}`, `limit` per page; as in all of the Graph API's
        cursor paging (docs/graph-api/results), `next` is given only while another page
        follows, and `after=<cursor>` reads it."""
        refused = self._refused(request)
        if refused:
            return refused
        if request.match.group(1) != self.waba_id:
            return 400, {"error": {"message": "Unsupported get request.", "code": 100}}
        limit = min(int(request.query.get("limit", self.page_size) or self.page_size),
                    self.page_size)
        start = int(request.query["after"].removeprefix("c")) \
            if request.query.get("after", "").startswith("c") else 0
        page = self.templates[start:start + limit]
        paging: dict[str, Any] = {"cursors": {"before": f"c{start}",
                                              "after": f"c{start + len(page)}"}}
        if start + limit < len(self.templates):
            paging["next"] = (f"{self.url}/{self.waba_id}/message_templates?limit={limit}"
                              f"&after=c{start + len(page)}")
        return 200, {"data": page, "paging": paging}

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


def template(name: str, body: str, *, language: str = "en_US", status: str = "APPROVED",
             category: str = "UTILITY", **extra: Any) -> dict[str, Any]:
    """A template as `message_templates` lists it (a BODY component with its text)."""
    return {"name": name, "components": [{"type": "BODY", "text": body}, *extra.pop(
        "components", [])], "language": language, "status": status, "category": category,
            "id": str(uuid.uuid4().int)[:16], **extra}


def _body_of(found: dict[str, Any]) -> str:
    return next((str(c.get("text", "")) for c in found.get("components", [])
                 if isinstance(c, dict) and c.get("type") == "BODY"), "")


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


def contact(wa_id: str, name: str, *, user_id: str = "",
            username: str = "") -> dict[str, Any]:
    """`contacts[]`: `wa_id` while the number may be shared, `user_id` (the BSUID) always."""
    body: dict[str, Any] = {"profile": {"name": name}}
    if username:
        body["profile"]["username"] = username
    if wa_id:
        body["wa_id"] = wa_id
    if user_id:
        body["user_id"] = user_id
    return body


def bsuid_message(user_id: str, kind: str = "text", *, phone: str = "",
                  wamid: str | None = None, **content: Any) -> dict[str, Any]:
    """A client's message with its business-scoped user id (`from_user_id`), and `from` only
    when the number is shared; `content` is the kind's object (`text={"body": …}`)."""
    message: dict[str, Any] = {"from_user_id": user_id,
                               "id": wamid or f"wamid.{uuid.uuid4().hex.upper()}",
                               "timestamp": str(int(time.time())), "type": kind, **content}
    if phone:
        message["from"] = phone
    return message


def reaction(sender: str, target: str, emoji: str | None) -> dict[str, Any]:
    """A client's reaction to one of our messages; `emoji` None when they take it back."""
    body: dict[str, Any] = {"message_id": target}
    if emoji is not None:
        body["emoji"] = emoji
    return {"from": sender, "id": f"wamid.{uuid.uuid4().hex.upper()}",
            "timestamp": str(int(time.time())), "type": "reaction", "reaction": body}


def button_reply(sender: str, button_id: str, title: str) -> dict[str, Any]:
    """The client tapped a reply button of an interactive message of ours."""
    return {"from": sender, "id": f"wamid.{uuid.uuid4().hex.upper()}",
            "timestamp": str(int(time.time())), "type": "interactive",
            "context": {"from": "15555550199", "id": "wamid.OURS"},
            "interactive": {"type": "button_reply",
                            "button_reply": {"id": button_id, "title": title}}}


def list_reply(sender: str, row_id: str, title: str, description: str = "") -> dict[str, Any]:
    """The client chose a row of an interactive list of ours."""
    return {"from": sender, "id": f"wamid.{uuid.uuid4().hex.upper()}",
            "timestamp": str(int(time.time())), "type": "interactive",
            "context": {"from": "15555550199", "id": "wamid.OURS"},
            "interactive": {"type": "list_reply", "list_reply": {
                "id": row_id, "title": title, "description": description}}}


def quick_reply(sender: str, payload: str, text: str) -> dict[str, Any]:
    """The client tapped a quick-reply button of a template of ours (`type: button`)."""
    return {"from": sender, "id": f"wamid.{uuid.uuid4().hex.upper()}",
            "timestamp": str(int(time.time())), "type": "button",
            "context": {"from": "15555550199", "id": "wamid.OURS"},
            "button": {"payload": payload, "text": text}}


def unsupported(sender: str) -> dict[str, Any]:
    """A kind the Cloud API does not pass on (error 131051, "Message type unknown")."""
    return {"from": sender, "id": f"wamid.{uuid.uuid4().hex.upper()}",
            "timestamp": str(int(time.time())), "type": "unsupported",
            "errors": [{"code": 131051, "title": "Message type unknown", "message":
                        "Message type unknown", "error_data": {
                            "details": "Message type is currently not supported."}}]}


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
