"""MikoPBX over HTTP: `GET /pbxcore/api/v3/system:ping` needs no authentication; an older PBX
answers `/pbxcore/api/system/ping` with "PONG" instead."""

from __future__ import annotations

import asyncio
import json

import httpx

V3_PING = "/pbxcore/api/v3/system:ping"
OLD_PING = "/pbxcore/api/system/ping"


def base_url(address: str) -> str:
    address = address.strip().rstrip("/")
    if address.startswith(("http://", "https://")):
        return address
    return f"http://{address}"


def _answers(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    if "PONG" in response.text.upper():
        return True
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return isinstance(body, dict) and body.get("result") in (True, "Success", "success")


class MikoPbxProbe:
    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client

    async def ping(self, address: str, seconds: float) -> str | None:
        base = base_url(address)
        try:
            async with asyncio.timeout(seconds):
                if self._client is not None:
                    return await self._ping(self._client, base, seconds)
                async with httpx.AsyncClient(follow_redirects=False, verify=False) as client:  # noqa: S501 - PBXs use self-signed certificates
                    return await self._ping(client, base, seconds)
        except TimeoutError:
            return f"no answer within {seconds:g} s"

    @staticmethod
    async def _ping(client: httpx.AsyncClient, base: str, seconds: float) -> str | None:
        try:
            response = await client.get(base + V3_PING, timeout=seconds)
            if response.status_code in (404, 405):
                response = await client.get(base + OLD_PING, timeout=seconds)
        except httpx.TimeoutException:
            return f"no answer within {seconds:g} s"
        except httpx.HTTPError as error:
            return f"unreachable ({type(error).__name__}: {error})"
        if _answers(response):
            return None
        if response.status_code == 200:
            return "it answered, but not as a MikoPBX does"
        return f"it answered HTTP {response.status_code}"
