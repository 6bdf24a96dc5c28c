"""Reading a gateway's file without trusting its size: refused as soon as it is over the limit."""

from __future__ import annotations

import httpx

from application.ports import GatewayError


def too_large(max_bytes: int) -> GatewayError:
    return GatewayError(f"The file is over the {max_bytes}-byte limit.", code="FILE_TOO_LARGE",
                        retryable=False)


def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, refused (FILE_TOO_LARGE) as soon as it is over `max_bytes`."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)
    body = bytearray()
    for chunk in response.iter_bytes():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise too_large(max_bytes)
    return bytes(body)
