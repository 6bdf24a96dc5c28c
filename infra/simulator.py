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
    the simulated servers and is delivered when the connection is back."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def send(self, phone: str, text: str, *, name: str = "", message_id: str) -> Any:
        response = httpx.post(f"{self.base_url}/simulator/phone/send", json={
            "id": message_id, "from": phone, "name": name, "text": text}, timeout=10)
        if response.status_code >= 400:
            detail = response.json().get("detail", response.text) if response.content else ""
            if isinstance(detail, dict):  # the phone's refusals: {code, message}
                detail = detail.get("message", detail)
            elif isinstance(detail, list):  # a malformed request: FastAPI's validation errors
                detail = "; ".join(str(d.get("msg", d)) for d in detail)
            raise httpx.HTTPStatusError(f"{response.status_code}: {detail}",
                                        request=response.request, response=response)
        return response.json()
