"""The panel: static ES modules served by the app itself; no Node.js at run time. Every page is
the same single-page shell; the browser routes (/, /phone, /admin/...)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
# Every path the browser's router (static/lib/router.mjs) knows: a reload or a direct link to
# any of them gets the shell (tests/e2e/test_panel_walk_fixes.py compares the two lists).
PAGES = ("/", "/phone", "/admin", "/admin/{section:path}", "/dialogs/{dialog_id}",
         "/quick-replies", "/colleagues", "/colleagues/{chat_id}", "/all-dialogs",
         "/all-dialogs/{dialog_id}", "/people", "/password")


def mount_panel(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def shell() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    for page in PAGES:
        app.add_api_route(page, shell, methods=["GET"], include_in_schema=False)
