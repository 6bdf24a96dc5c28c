"""A tiny threaded JSON HTTP server for fakes: routes are (method, regex) → handler."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Handler = Callable[["Request"], tuple[int, Any]]


class Raw:
    """A response that is not JSON: a file's bytes and its content type."""

    def __init__(self, content: bytes, content_type: str = "application/octet-stream") -> None:
        self.content = content
        self.content_type = content_type


class Request:
    def __init__(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                 body: bytes, match: re.Match[str]) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.match = match

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


class FakeServer:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[tuple[str, str, Any]] = []
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = fake.dispatch(self.command, parts.path, query, headers, body)
                raw = answer if isinstance(answer, Raw) else None
                data = raw.content if raw else b"" if answer is None else json.dumps(
                    answer).encode()
                self.send_response(status)
                self.send_header("content-type", raw.content_type if raw else "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def dispatch(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                 body: bytes) -> tuple[int, Any]:
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match and route_method == method:
                request = Request(method, path, query, headers, body, match)
                try:
                    payload = request.json() if body else None
                except ValueError:
                    payload = body
                self.requests.append((method, path, payload))
                return handler(request)
        return 404, {"error": f"no route {method} {path}"}

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
