"""/healthz (the process is alive), /readyz (store reachable, projections not lagging, the sync
job's scheduler running; its other health warnings are shown, not failed), /metrics."""

from __future__ import annotations

import contextlib
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from infra.bootstrap import Container
from infra.metrics import PROJECTION_LAG, PROJECTION_POSITION

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    container: Container = request.app.state.container

    def check() -> tuple[bool, dict[str, Any]]:
        problems: list[str] = []
        projections: dict[str, Any] = {}
        try:
            for runner in container.projector.runners:
                status = runner.status()
                projections[status.name] = {"position": status.position, "lag": status.lag}
                if status.lag > container.settings.readiness_max_lag:
                    problems.append(f"projection {status.name} lags by {status.lag} events")
        except Exception as error:
            problems.append(f"store or read models unreachable: {type(error).__name__}")
        outbox: dict[str, Any] = {}
        with contextlib.suppress(Exception):  # the store's own problem is reported above
            sync = container.sync.health()
            outbox = sync.as_dict()  # every warning shows; only a stopped scheduler fails
            if any(w.code == "SCHEDULER_NOT_RUNNING" for w in sync.warnings):
                problems.append("the sync job's scheduler is not running")
        return not problems, {"projections": projections, "problems": problems,
                              "outbox": outbox}

    ready, detail = await to_thread.run_sync(check)
    return JSONResponse({"status": "ready" if ready else "not ready", **detail},
                        status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    container: Container = request.app.state.container

    def refresh() -> None:  # positions as this replica sees them, even where it runs none
        for runner in container.projector.runners:
            status = runner.status()
            PROJECTION_POSITION.labels(status.name).set(status.position)
            PROJECTION_LAG.labels(status.name).set(status.lag)
        container.sync.health()  # sets the outbox and sync job gauges

    with contextlib.suppress(Exception):  # metrics must answer even when the store does not
        await to_thread.run_sync(refresh)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
