"""The built-in WhatsApp simulator's client side: a pretend phone that writes to the company."""

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
    def __init__(self, base_url: str, secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._secret = secret

    def send(self, phone: str, text: str, *, name: str = "", message_id: str) -> Any:
        body, headers = signed_request(self._secret, {
            "id": message_id, "from": phone, "name": name, "text": text,
            "timestamp": int(time.time()),
        })
        response = httpx.post(f"{self.base_url}/webhooks/simulator", content=body,
                              headers=headers, timeout=10)
        if response.status_code >= 400:
            detail = response.json().get("detail", response.text) if response.content else ""
            raise httpx.HTTPStatusError(f"{response.status_code}: {detail}",
                                        request=response.request, response=response)
        return response.json()
