"""Time to the first usable inbox in the panel, with 1,000 dialogs.

Starts `switchboard serve` on a fresh SQLite database (or uses --url), has 1,000 clients write
from 1,000 numbers through the phone simulator's endpoint, then opens the panel signed in, in
Debian's chromium, and measures from navigation start until the first page of dialogs is on
screen (rows rendered, then one animation frame). Prints the median of several loads.

    .venv/bin/python bench/panel_first_screen.py [--dialogs 1000] [--runs 7] [--url URL]

Not a test: timings belong here, not in the suite.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LOGIN = """mutation($l: String!, $p: String!) { login(login: $l, password: $p) {
  __typename ... on LoginSuccess { token expiresAt operator { id login displayName role } }
  ... on LoginError { code message } } }"""
# Resolves with performance.now() (ms since navigation start) once the inbox shows its rows.
READY = """() => new Promise((resolve) => {
  const done = () => requestAnimationFrame(() => resolve(performance.now()));
  const check = () => document.querySelectorAll('a.row').length >= Math.min(50, %d);
  if (check()) return done();
  new MutationObserver((_, observer) => { if (check()) { observer.disconnect(); done(); } })
    .observe(document, { childList: true, subtree: true });  // the body may not be parsed yet
})"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(directory: str, password: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update({"SWITCHBOARD_DATABASE_URL": f"sqlite:///{directory}/sb.db",
                "SWITCHBOARD_ADMIN_PASSWORD": password, "SWITCHBOARD_SECRET_KEY": "bench-secret",
                "SWITCHBOARD_SIMULATOR_SECRET": "bench-sim", "SWITCHBOARD_LOG_LEVEL": "WARNING"})
    log = open(Path(directory) / "server.log", "wb")  # noqa: SIM115 - lives with the process
    process = subprocess.Popen(
        [sys.executable, "-c", "from api.cli.main import main; main()", "serve",
         "--port", str(port)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited; see {directory}/server.log")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    sys.exit("the server did not become ready")


def fill(url: str, dialogs: int) -> float:
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=30) as http:
        def send(i: int) -> None:
            response = http.post("/simulator/phone/send", json={
                "from": f"+7916{i:07d}", "name": f"Client {i:04d}",
                "text": f"Hello, this is client number {i}. Is my order ready?"})
            response.raise_for_status()

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(send, range(dialogs)))
    return time.perf_counter() - started


def sign_in(url: str, login: str, password: str) -> dict[str, object]:
    body = httpx.post(f"{url}/graphql", json={"query": LOGIN,
                                              "variables": {"l": login, "p": password}}).json()
    result = body["data"]["login"]
    if result["__typename"] != "LoginSuccess":
        sys.exit(f"cannot sign in: {result}")
    return {"token": result["token"], "expiresAt": result["expiresAt"],
            "operator": result["operator"]}


def wait_for_inbox(url: str, token: str, dialogs: int) -> None:
    query = "{ inbox(first: 1) { unreadDialogs } }"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        data = httpx.post(f"{url}/graphql", json={"query": query},
                          headers={"authorization": f"Bearer {token}"}).json()
        if data["data"]["inbox"]["unreadDialogs"] >= dialogs:
            return
        time.sleep(0.2)
    sys.exit("the inbox did not catch up")


def measure(url: str, session: dict[str, object], dialogs: int, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    seeded = f"localStorage.setItem('sb.session', {json.dumps(json.dumps(session))});"
    cold: list[float] = []
    warm: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 800})
            context.add_init_script(seeded)
            page = context.new_page()
            page.goto(url + "/", wait_until="commit")
            cold.append(page.evaluate(READY % dialogs))
            page.reload(wait_until="commit")
            warm.append(page.evaluate(READY % dialogs))
            rows = page.locator("a.row").count()
            context.close()
        browser.close()
    print(f"rows on the first screen: {rows} of {dialogs} dialogs")
    for label, times in (("new browser context (cold cache)", cold),
                         ("reload (warm cache)", warm)):
        print(f"first usable inbox, {label}: median {statistics.median(times):.0f} ms "
              f"(min {min(times):.0f}, max {max(times):.0f}, {runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", help="an already running server (its admin must exist)")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="bench-admin-pass")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium")

    with tempfile.TemporaryDirectory(prefix="sb-bench-") as directory:
        process = None
        url = args.url
        if not url:
            process, url = start_server(directory, args.password)
        try:
            seconds = fill(url, args.dialogs)
            print(f"{args.dialogs} clients wrote in {seconds:.1f} s "
                  f"({args.dialogs / seconds:.0f} messages/s through /simulator/phone/send)")
            session = sign_in(url, args.login, args.password)
            wait_for_inbox(url, str(session["token"]), args.dialogs)
            measure(url, session, args.dialogs, args.runs)
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=15)


if __name__ == "__main__":
    main()
