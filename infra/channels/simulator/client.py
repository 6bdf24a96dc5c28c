"""The built-in WhatsApp simulator's client side: a pretend phone that writes to the company,
and the signed request the simulator webhook takes."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from infra.security import sign_body


def signed_request(secret: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    return body, {
        "content-type": "application/json",
        "x-switchboard-timestamp": stamp,
        "x-switchboard-signature": sign_body(secret, stamp, body),
    }


class SimulatorPhone:
    """A client writing from the simulated phone, as the phone page does
    (`POST /simulator/phone/send`): while the company's phone is offline the message waits on
    the simulated servers and is delivered when the connection is back. A location, a contact
    or a sticker is refused while it is offline."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def send(self, phone: str, text: str, *, name: str = "", message_id: str) -> Any:
        return _answer(httpx.post(f"{self.base_url}/simulator/phone/send", json={
            "id": message_id, "from": phone, "name": name, "text": text}, timeout=10))

    def share(self, phone: str, *, name: str = "", caption: str = "",
              location: dict[str, Any] | None = None,
              contact: dict[str, Any] | None = None) -> Any:
        """A location (`{latitude, longitude, name}`) or a contact (`{name, phones}`)."""
        body: dict[str, Any] = {"from": phone, "name": name, "caption": caption}
        body.update({"location": location} if location is not None else {"contact": contact})
        return _answer(httpx.post(f"{self.base_url}/simulator/phone/share", json=body,
                                  timeout=10))

    def send_sticker(self, phone: str, content: bytes, file_name: str, *, name: str = "",
                     caption: str = "") -> Any:
        return _answer(httpx.post(
            f"{self.base_url}/simulator/phone/send-media",
            data={"from": phone, "name": name, "caption": caption, "sticker": "true"},
            files={"file": (file_name, content, "application/octet-stream")}, timeout=30))


def refusal_of(response: httpx.Response) -> str:
    """Why a simulated phone's route refused: `<status>: <reason>` (a phone's refusal is
    `{code, message}`; a malformed request FastAPI's list of validation errors)."""
    try:
        detail = response.json().get("detail", response.text) if response.content else ""
    except ValueError:
        detail = response.text
    if isinstance(detail, dict):
        detail = detail.get("message", detail)
    elif isinstance(detail, list):
        detail = "; ".join(f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: "
                           f"{d.get('msg', d)}" for d in detail)
    return f"{response.status_code}: {detail}"


def _answer(response: httpx.Response) -> Any:
    """The phone's answer, or HTTPStatusError with its reason."""
    if response.status_code >= 400:
        raise httpx.HTTPStatusError(refusal_of(response), request=response.request,
                                    response=response)
    return response.json()
