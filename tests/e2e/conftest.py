"""Browser tests: the real server in a subprocess of its own (so a test can stop and start it),
and Debian's chromium driven by Playwright. Never `playwright install`: the browser is the
system's `/usr/bin/chromium`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ADMIN = ("admin", "admin-pass-1")
OLGA = ("olga", "olga-pass-1")
CLI = [sys.executable, "-c", "from api.cli.main import main; main()"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PanelServer:
    """`switchboard serve` on a loopback port with a SQLite database in the test's directory.
    `stop()` and `start()` restart it on the same port and database."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        self.env.update({
            "SWITCHBOARD_DATABASE_URL": f"sqlite:///{directory}/sb.db",
            "SWITCHBOARD_ADMIN_PASSWORD": ADMIN[1],
            "SWITCHBOARD_SECRET_KEY": "test-secret",
            "SWITCHBOARD_SIMULATOR_SECRET": "test-sim",
        })
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / f"server-{self.starts}.log"

    def start(self, timeout: float = 30.0) -> None:
        self.starts += 1
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([*CLI, "serve", "--port", str(self.port)],
                                            env=self.env, cwd=ROOT, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"the server was not ready within {timeout} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def cli(self, *args: str) -> str:
        done = subprocess.run([*CLI, *args], env=self.env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"switchboard {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def send(self, phone: str, text: str, name: str = "") -> dict[str, Any]:
        """A client writes, the way the phone page does."""
        response = httpx.post(f"{self.url}/simulator/phone/send",
                              json={"from": phone, "name": name, "text": text}, timeout=15)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def panel_server(tmp_path: Path) -> Iterator[PanelServer]:
    """A fresh server and database per test, with the admin and a second operator, Olga, both
    in the employee queue."""
    server = PanelServer(tmp_path)
    # Before `serve`: the running server's writer caches the queue aggregate and would not see
    # a member another process added while it runs.
    server.cli("admin", "create", "--login", OLGA[0], "--password", OLGA[1],
               "--name", "Olga", "--role", "operator")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per test module: while Playwright's sync API is open, the main thread counts
    as running an event loop, so the async tests of later modules could not start (a browser
    starts in under half a second)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """Opens a page in a browser context of its own (its own storage: another person);
    fails the test on any uncaught JavaScript error."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(locale: str = "en-US", width: int = 1366, height: int = 800,
                  permissions: tuple[str, ...] = ()) -> Any:
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": height},
                                       permissions=list(permissions))
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def screenshot() -> Callable[[Any, str], Path]:
    """Saves a screenshot of a main screen under test-artifacts/ (not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"panel-{name}.png"
        page.screenshot(path=str(path))
        return path

    return save
