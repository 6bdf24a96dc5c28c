"""`/webhooks/<channel>`: every channel's webhook (`/webhooks/simulator`, `/webhooks/waha`,
`/webhooks/cloud`, `/webhooks/telegram`, …). The route only translates: the body read within
its limit, handed to the channel that verifies and parses it (infra/channels/<name>/), its
answer sent back; a refusal is the channel's HTTP status with its reason, and nothing stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from application.channels import WebhookRefused, WebhookRequest
from infra.bootstrap import Container
from infra.metrics import WEBHOOK_REFUSED

from .common import read_limited_body

router = APIRouter()
ChannelName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,31}$",
                                  description="The channel: simulator, waha, cloud, telegram")]


@router.api_route("/webhooks/{name}", methods=["GET", "POST"], tags=["webhooks"],
                  summary="A channel's webhook")
async def webhook(name: ChannelName, request: Request) -> Response:
    container: Container = request.app.state.container
    channel = container.channels.named(name)
    if channel is None:
        WEBHOOK_REFUSED.labels(name, "404").inc()
        raise HTTPException(404, f"The {name} channel is not active here.")
    request.scope["metrics_route"] = f"/webhooks/{channel.name}"  # active channels: bounded
    body = b""
    if request.method == "POST":
        body = await read_limited_body(request, container.settings.webhook_max_body_bytes)
    try:
        answer = await channel.webhook(WebhookRequest(
            method=request.method, body=body,
            headers=dict(request.headers),  # ASGI header names come lower-cased
            query=dict(request.query_params)))
    except WebhookRefused as refused:
        raise HTTPException(refused.status, refused.reason) from None
    if isinstance(answer, str):
        return PlainTextResponse(answer)
    return JSONResponse(answer)
