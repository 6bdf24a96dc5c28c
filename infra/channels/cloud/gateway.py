"""Meta's WhatsApp Cloud API: the company's number registered at Meta, reached through the Graph
API (`SWITCHBOARD_CLOUD_GRAPH_URL`, so a test can point it at a fake).

There are no linked devices: "linking" checks the number (`GET /{phone-number-id}`). Free text is
allowed only within 24 hours of the client's last message; outside it the send is refused before
any request, and error 131047 from the API means the same.

A client known only by a business-scoped user id (`bsuid:US.13491208655302741918`: a user with a
username whose number Meta does not share) is written to with `recipient` instead of `to`
(Meta's "Business-scoped user IDs" page, developers.facebook.com/documentation/business-messaging/
whatsapp/business-scoped-user-ids: "set recipient to the user's BSUID or parent BSUID, omit the
to property"; `to` takes precedence when both are given).

Error 131056 is the pair rate limit ("(#131056) (Business Account, Consumer Account) pair rate
limit hit": too many messages to the same user in a short time; Meta's error codes page says to
wait and retry, and its throughput page allows about one message every 6 seconds to one user).
It is retryable, and the gateway holds further sends to that client for a while that doubles
with each 131056 in a row (6 s, 12 s, 24 s, … at most 10 minutes), refusing them at once
without a request; a successful send to the client ends the hold. The outbox's own backoff
(domain/failures.py RetryPolicy) spaces the retries on top of that."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from application.errors import DomainError
from application.phones import to_e164
from application.ports import Clock, GatewayError, GatewaySession, LinkedAccount, MediaFile
from application.templates import Template
from domain.templates import PLACEHOLDER, parameter_count
from infra.channels.files import read_capped, too_large

REPLY_WINDOW = timedelta(hours=24)
MAX_TEMPLATE_PAGES = 50
MAX_TEXT = 4096
RE_ENGAGEMENT = 131047
PAIR_RATE_LIMIT = 131056
PAIR_RATE_CODE = "CLOUD_PAIR_RATE_LIMIT"
PAIR_FIRST_HOLD = timedelta(seconds=6)
PAIR_MAX_HOLD = timedelta(minutes=10)
BSUID = "bsuid:"
OUTSIDE_WINDOW = "OUTSIDE_REPLY_WINDOW"
WINDOW_MESSAGE = ("More than 24 hours have passed since the client's last message: WhatsApp "
                  "allows only a template message until the client writes again.")
LastClientMessage = Callable[[str], datetime | None]


class CloudWhatsAppGateway:
    kind = "cloud"
    supports_linking = False
    idempotent_sends = False
    reply_window: timedelta | None = REPLY_WINDOW

    def __init__(
        self, *, graph_url: str, access_token: str, phone_number_id: str,
        last_client_message: LastClientMessage, clock: Clock, timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None, waba_id: str = "",
    ) -> None:
        self.graph_url = graph_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self.waba_id = waba_id  # the WhatsApp Business Account: its message templates
        self._last_client_message = last_client_message
        self._clock = clock
        self._http = httpx.Client(
            base_url=self.graph_url, timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {access_token}"})
        self._lock = threading.Lock()
        # 131056: client -> (how many in a row, until when sends to them wait)
        self._pair_holds: dict[str, tuple[int, datetime]] = {}

    def close(self) -> None:
        self._http.close()

    # -- the port --------------------------------------------------------------------------
    def start(self) -> GatewaySession:
        return self.status()

    def status(self) -> GatewaySession:
        try:
            body = self._call("GET", f"/{self.phone_number_id}",
                              params={"fields": "display_phone_number,verified_name"})
        except GatewayError as error:
            if error.retryable:
                return GatewaySession("STARTING", reason=error.message)
            return GatewaySession("FAILED", reason=error.message)
        try:
            phone = to_e164(str(body.get("display_phone_number", "")))
        except DomainError:
            return GatewaySession("FAILED", reason="The Graph API gave no usable number.")
        name = body.get("verified_name") or "WhatsApp Business"
        return GatewaySession("WORKING", LinkedAccount(phone=phone, device=f"Cloud API ({name})"))

    def qr_code(self) -> str:
        raise _no_devices()

    def request_pairing_code(self, phone: str) -> str:
        raise _no_devices()

    def logout(self) -> None:
        """Nothing to log out: the number stays registered at Meta; Switchboard stops using it."""

    def reconnect(self) -> GatewaySession:
        return self.status()

    def resume(self, account: LinkedAccount | None) -> None:
        """The Cloud API keeps no session."""

    def send_text(self, to: str, text: str, idempotency_key: str) -> str:
        if not text.strip() or len(text) > MAX_TEXT:
            raise GatewayError(f"A text message is 1 to {MAX_TEXT} characters.",
                               code="TEXT_TOO_LONG", retryable=False)
        last = self._last_client_message(to)
        if last is None or self._clock.now() - last > REPLY_WINDOW:
            raise GatewayError(WINDOW_MESSAGE, code=OUTSIDE_WINDOW, retryable=False)
        body: dict[str, Any] = {
            "messaging_product": "whatsapp", "recipient_type": "individual", **_addressed(to),
            "type": "text", "text": {"body": text, "preview_url": False},
        }
        if idempotency_key:  # comes back in the statuses of this message
            body["biz_opaque_callback_data"] = idempotency_key[:512]
        return _message_id(self._send(to, body))

    def send_media(self, to: str, kind: str, file: MediaFile, caption: str,
                   idempotency_key: str) -> str:
        """Uploads the file (`POST /{phone-number-id}/media`), then sends a message naming the
        media id it got. The 24-hour rule holds as for text."""
        if kind not in ("image", "document"):
            raise GatewayError(f"The Cloud API is not asked to send {kind!r} here.",
                               code="FILE_TYPE_NOT_ALLOWED", retryable=False)
        last = self._last_client_message(to)
        if last is None or self._clock.now() - last > REPLY_WINDOW:
            raise GatewayError(WINDOW_MESSAGE, code=OUTSIDE_WINDOW, retryable=False)
        self._check_pair_hold(to)
        uploaded = self._call(
            "POST", f"/{self.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": file.mime_type},
            files={"file": (file.file_name or "file", file.content, file.mime_type)})
        upload_id = uploaded.get("id") if isinstance(uploaded, dict) else None
        if not isinstance(upload_id, str) or not upload_id:
            raise GatewayError("The Graph API answered no media id.", code="GATEWAY_BAD_ANSWER")
        content: dict[str, Any] = {"id": upload_id}
        if caption.strip():
            content["caption"] = caption[:1024]
        if kind == "document" and file.file_name:
            content["filename"] = file.file_name
        body: dict[str, Any] = {
            "messaging_product": "whatsapp", "recipient_type": "individual", **_addressed(to),
            "type": kind, kind: content}
        if idempotency_key:
            body["biz_opaque_callback_data"] = idempotency_key[:512]
        return _message_id(self._send(to, body))

    def download_media(self, source: str, max_bytes: int) -> MediaFile:
        """A client's file from its media id: `GET /{media-id}` names a short-lived URL, which
        is fetched with the same token."""
        if not source or not all(ch.isalnum() or ch in "._-" for ch in source):
            raise GatewayError("This is not a Cloud API media id.", code="MEDIA_BAD_SOURCE",
                               retryable=False)
        info = self._call("GET", f"/{source}")
        url = info.get("url") if isinstance(info, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise GatewayError("The Graph API named no URL for this media.",
                               code="GATEWAY_BAD_ANSWER")
        declared = info.get("file_size")
        if isinstance(declared, (int, str)) and str(declared).isdigit() \
                and int(declared) > max_bytes:
            raise too_large(max_bytes)
        try:
            with self._http.stream("GET", url) as response:
                if response.status_code == 404:
                    raise GatewayError("Meta no longer has this file.", code="MEDIA_GONE",
                                       retryable=False)
                if response.status_code >= 400:
                    raise graph_error(response.status_code, {})
                content = read_capped(response, max_bytes)
                mime = response.headers.get("content-type", "").split(";")[0].strip()
        except httpx.HTTPError as error:
            raise GatewayError(f"The media URL is not reachable: {type(error).__name__}.",
                               code="GATEWAY_UNREACHABLE") from None
        return MediaFile(content=content, mime_type=str(info.get("mime_type") or mime))

    # -- what the client sees of the operators -------------------------------------------------
    def mark_read(self, to: str, external_ids: Sequence[str]) -> None:
        """`POST /{phone-number-id}/messages {messaging_product: "whatsapp", status: "read",
        message_id}` → `{success: true}` (Meta, "Mark messages as read": marking a message
        read marks the earlier ones of the thread read too, so the latest is named)."""
        if external_ids:
            self._call("POST", f"/{self.phone_number_id}/messages", json={
                "messaging_product": "whatsapp", "status": "read",
                "message_id": external_ids[-1]})

    def typing(self, to: str, on: bool, latest: str | None) -> None:
        """The same request with `typing_indicator: {type: "text"}` (Meta, "Typing
        indicators"): it marks `latest` read and shows "typing…" until a message is sent or
        for 25 seconds. There is no request to stop it, and none without a message to mark."""
        if on and latest:
            self._call("POST", f"/{self.phone_number_id}/messages", json={
                "messaging_product": "whatsapp", "status": "read", "message_id": latest,
                "typing_indicator": {"type": "text"}})

    # -- message templates (application/templates.TemplateGateway) ---------------------------
    def list_templates(self) -> list[Template]:
        """Every template of the business account, page after page.

        Meta's reference (developers.facebook.com/docs/graph-api/reference/
        whats-app-business-account/message_templates): `GET /{WABA-ID}/message_templates`
        answers `{data: [{name, components: [{type: "BODY", text: "Good news {{1}}! …"}, …],
        language: "en_US", status: "APPROVED", category: "UTILITY", id}], paging: {cursors:
        {before, after}}}`; as everywhere in the Graph API (docs/graph-api/results), `paging.next`
        is there only when another page follows, which `after=<cursors.after>` fetches.

        Kept: templates whose only parameters are the body's numbered `{{1}}`, `{{2}}`… — the
        panel fills those; one that needs a header's media or text, a button's URL parameter, or
        named parameters (`parameter_format: NAMED`) is left out, as it could not be sent."""
        if not self.waba_id:
            raise GatewayError("No WhatsApp Business Account id is set "
                               "(SWITCHBOARD_CLOUD_WABA_ID).", code="TEMPLATES_NOT_AVAILABLE",
                               retryable=False)
        templates: list[Template] = []
        params = {"fields": "name,language,status,category,components,parameter_format",
                  "limit": "100"}
        for _ in range(MAX_TEMPLATE_PAGES):
            answer = self._call("GET", f"/{self.waba_id}/message_templates", params=params)
            data = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(data, list):
                raise GatewayError("The Graph API answered no list of templates.",
                                   code="GATEWAY_BAD_ANSWER")
            templates.extend(t for t in map(_template_of, data) if t is not None)
            paging = answer.get("paging")
            paging = paging if isinstance(paging, dict) else {}
            cursors = paging.get("cursors")
            after = cursors.get("after") if isinstance(cursors, dict) else None
            if not paging.get("next") or not isinstance(after, str) or not after:
                return templates
            params = {**params, "after": after}
        raise GatewayError(f"The business account lists over {MAX_TEMPLATE_PAGES} pages of "
                           "templates.", code="GATEWAY_BAD_ANSWER", retryable=False)

    def send_template(self, to: str, name: str, language: str, parameters: list[str],
                      idempotency_key: str) -> str:
        """`POST /{PHONE-NUMBER-ID}/messages` with `{messaging_product: "whatsapp", to, type:
        "template", template: {name, language: {code}, components: [{type: "body", parameters:
        [{type: "text", text}, …]}]}}` (Meta's "Send message templates" guide and the Cloud API
        `messages` reference: the body's parameters in order). Sent whatever the 24-hour
        window: that is what templates are for."""
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if parameters:
            template["components"] = [{"type": "body", "parameters": [
                {"type": "text", "text": value} for value in parameters]}]
        body: dict[str, Any] = {
            "messaging_product": "whatsapp", "recipient_type": "individual", **_addressed(to),
            "type": "template", "template": template}
        if idempotency_key:
            body["biz_opaque_callback_data"] = idempotency_key[:512]
        return _message_id(self._send(to, body))

    # -- inside ----------------------------------------------------------------------------
    def _send(self, to: str, body: dict[str, Any]) -> Any:
        """POST /{phone-number-id}/messages, minding the pair rate limit of this client."""
        self._check_pair_hold(to)
        try:
            answer = self._call("POST", f"/{self.phone_number_id}/messages", json=body)
        except GatewayError as error:
            if error.code == PAIR_RATE_CODE:
                self._hold_pair(to)
            raise
        with self._lock:
            self._pair_holds.pop(to, None)
        return answer

    def _check_pair_hold(self, to: str) -> None:
        with self._lock:
            held = self._pair_holds.get(to)
        now = self._clock.now()
        if held is not None and now < held[1]:
            wait = (held[1] - now).total_seconds()
            raise GatewayError(
                f"WhatsApp asked for a pause in messages to this client (pair rate limit, "
                f"131056): {wait:.0f} s more.", code=PAIR_RATE_CODE, retryable=True)

    def _hold_pair(self, to: str) -> None:
        """Another 131056 for this client: the hold doubles (6 s, 12 s, … 10 minutes)."""
        with self._lock:
            count = self._pair_holds.get(to, (0, self._clock.now()))[0] + 1
            hold = min(PAIR_FIRST_HOLD * 2 ** min(count - 1, 16), PAIR_MAX_HOLD)
            self._pair_holds[to] = (count, self._clock.now() + hold)
            if len(self._pair_holds) > 10_000:  # forget the holds long over
                now = self._clock.now()
                self._pair_holds = {k: v for k, v in self._pair_holds.items()
                                    if v[1] > now - PAIR_MAX_HOLD}

    def _call(self, method: str, path: str, *, json: Any = None,
              params: dict[str, str] | None = None, data: dict[str, str] | None = None,
              files: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(method, path, json=json, params=params, data=data,
                                          files=files)
        except httpx.HTTPError as error:
            raise GatewayError(f"The Graph API is not reachable at {self.graph_url}: "
                               f"{type(error).__name__}.", code="GATEWAY_UNREACHABLE") from None
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        if response.status_code >= 400:
            raise graph_error(response.status_code, body)
        return body


def graph_error(status: int, body: Any) -> GatewayError:
    """The Graph API's `{error: {code, message, error_data}}` as a GatewayError."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    message = str(error.get("message") or f"HTTP {status}")[:300]
    if code == RE_ENGAGEMENT:
        return GatewayError(WINDOW_MESSAGE, code=OUTSIDE_WINDOW, retryable=False)
    if code == PAIR_RATE_LIMIT:
        return GatewayError(f"WhatsApp asks for a pause in messages to this client (pair rate "
                            f"limit): {message}", code=PAIR_RATE_CODE, retryable=True)
    if status in (401, 403) or code == 190:
        return GatewayError(f"The Graph API refused the access token: {message}",
                            code="GATEWAY_UNAUTHORIZED", retryable=False)
    retryable = status >= 500 or status == 429 or code in (4, 80007, 130429, 131000, 131016)
    return GatewayError(f"The Graph API refused: {message}",
                        code=f"CLOUD_{code}" if isinstance(code, int) else "GATEWAY_REFUSED",
                        retryable=retryable)


def _addressed(to: str) -> dict[str, str]:
    """Whom a message goes to: `to` with a phone number's digits, `recipient` with a
    business-scoped user id (see the module's docstring)."""
    if to.startswith(BSUID):
        return {"recipient": to.removeprefix(BSUID)}
    return {"to": to.lstrip("+")}


def _template_of(value: Any) -> Template | None:
    """One entry of `message_templates` as a Template, or None when it cannot be sent with
    body parameters alone (see `list_templates`)."""
    if not isinstance(value, dict) or value.get("parameter_format") == "NAMED":
        return None
    name, language = value.get("name"), value.get("language")
    components = value.get("components")
    if not isinstance(name, str) or not isinstance(language, str) \
            or not isinstance(components, list):
        return None
    body = ""
    for component in components:
        if not isinstance(component, dict):
            return None
        kind = str(component.get("type", "")).upper()
        if kind == "BODY":
            body = str(component.get("text") or "")
            continue
        needs_media = kind == "HEADER" and component.get("format", "TEXT") != "TEXT"
        if needs_media or "{{" in str(component.get("text", "")) \
                or "{{" in str(component.get("buttons", "")):
            return None  # a header or a button that takes a parameter
    numbers = PLACEHOLDER.findall(body)
    count = parameter_count(body)
    if not body.strip() or len(numbers) != body.count("{{") \
            or {int(n) for n in numbers} != set(range(1, count + 1)):
        return None  # named or gapped parameters: not something the panel can fill
    return Template(name=name, language=language, status=str(value.get("status") or ""),
                    category=str(value.get("category") or ""), body=body, parameters=count)


def _no_devices() -> GatewayError:
    return GatewayError("The Cloud API links no devices: its number is registered at Meta.",
                        code="NOT_SUPPORTED", retryable=False)


def _message_id(answer: Any) -> str:
    """The wamid of a sent message (`{messages: [{id}]}`). An answer without one comes after Meta
    took the request: the message may have gone out, so it is final (DELIVERY_UNCERTAIN), never
    sent again blindly."""
    messages = answer.get("messages") if isinstance(answer, dict) else None
    if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict) \
            or not isinstance(messages[0].get("id"), str):
        raise GatewayError("The Graph API answered no message id. The message may have gone out: "
                           "check with the client before sending it again.",
                           code="DELIVERY_UNCERTAIN", retryable=False)
    return str(messages[0]["id"])
