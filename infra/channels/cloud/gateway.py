"""Meta's WhatsApp Cloud API: the company's number registered at Meta, reached through the Graph
API (`SWITCHBOARD_CLOUD_GRAPH_URL`, so a test can point it at a fake).

There are no linked devices: "linking" checks the number (`GET /{phone-number-id}`). Free text is
allowed only within 24 hours of the client's last message; outside it the send is refused before
any request, and error 131047 from the API means the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from application.errors import DomainError
from application.phones import to_e164
from application.ports import Clock, GatewayError, GatewaySession, LinkedAccount, MediaFile
from infra.channels.files import read_capped, too_large

REPLY_WINDOW = timedelta(hours=24)
MAX_TEXT = 4096
RE_ENGAGEMENT = 131047
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
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.graph_url = graph_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self._last_client_message = last_client_message
        self._clock = clock
        self._http = httpx.Client(
            base_url=self.graph_url, timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {access_token}"})

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
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "to": to.removeprefix("bsuid:").lstrip("+"), "type": "text",
            "text": {"body": text, "preview_url": False},
        }
        if idempotency_key:  # comes back in the statuses of this message
            body["biz_opaque_callback_data"] = idempotency_key[:512]
        answer = self._call("POST", f"/{self.phone_number_id}/messages", json=body)
        messages = answer.get("messages") if isinstance(answer, dict) else None
        if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict) \
                or not isinstance(messages[0].get("id"), str):
            raise GatewayError("The Graph API answered no message id.",
                               code="GATEWAY_BAD_ANSWER")
        return str(messages[0]["id"])

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
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "to": to.removeprefix("bsuid:").lstrip("+"), "type": kind, kind: content}
        if idempotency_key:
            body["biz_opaque_callback_data"] = idempotency_key[:512]
        answer = self._call("POST", f"/{self.phone_number_id}/messages", json=body)
        messages = answer.get("messages") if isinstance(answer, dict) else None
        if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict) \
                or not isinstance(messages[0].get("id"), str):
            raise GatewayError("The Graph API answered no message id.",
                               code="GATEWAY_BAD_ANSWER")
        return str(messages[0]["id"])

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

    # -- inside ----------------------------------------------------------------------------
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
    if status in (401, 403) or code == 190:
        return GatewayError(f"The Graph API refused the access token: {message}",
                            code="GATEWAY_UNAUTHORIZED", retryable=False)
    retryable = status >= 500 or status == 429 or code in (4, 80007, 130429, 131000, 131016)
    return GatewayError(f"The Graph API refused: {message}",
                        code=f"CLOUD_{code}" if isinstance(code, int) else "GATEWAY_REFUSED",
                        retryable=retryable)


def _no_devices() -> GatewayError:
    return GatewayError("The Cloud API links no devices: its number is registered at Meta.",
                        code="NOT_SUPPORTED", retryable=False)
