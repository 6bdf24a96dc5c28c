"""Debian's real `nats-server` (`apt-get install nats-server`; `make nats` installs it) for the
tests: a process of our own on a free loopback port with a generated configuration, never the
machine's own NATS on 4222. Missing, the tests that need it skip, and fail with CI=true.

The session's server stands in for the NATS server of MIKO's module for 1C (`gnatsd-cti`,
mikopbx/ModuleCTIClient `Lib/AmigoDaemons.php`), whose one secret is the auto-configuration
code's `nats_password`: here NATS's single-secret form, `authorization { token: ... }`, with
the password `autoconfig_code()` puts in a code by default."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI, free_port, wait_for

NATS_PASSWORD = "nats-secret-1"  # tests.setup_helpers.autoconfig_code's default


def nats_server_binary() -> str:
    found = shutil.which("nats-server") or (
        "/usr/sbin/nats-server" if os.access("/usr/sbin/nats-server", os.X_OK) else None)
    if found is None:
        reason = "nats-server is missing (apt-get install nats-server, or `make nats`)"
        if IN_CI:
            pytest.fail(reason + " and CI=true")
        pytest.skip(reason)
    return found


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            return sock.recv(5) == b"INFO "
    except OSError:
        return False


class NatsServer:
    """One nats-server process; `authorization` is the body of its `authorization { }` block,
    e.g. {"token": "s3cret"} or {"user": "cti", "password": "s3cret"}."""

    def __init__(self, folder: Path, authorization: dict[str, str]) -> None:
        self.port = free_port()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        block = ", ".join(f"{key}: {json.dumps(value)}" for key, value in authorization.items())
        self.config = folder / "nats.conf"
        self.config.write_text(f"listen: 127.0.0.1:{self.port}\n"
                               f"authorization {{ {block} }}\n")
        self.log = folder / "nats.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> NatsServer:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [nats_server_binary(), "-c", str(self.config)], stdout=log,
                stderr=subprocess.STDOUT)
        wait_for(lambda: self.process is not None and (
            self.process.poll() is not None or _greets(self.port)))
        if self.process.poll() is not None:
            pytest.fail(f"nats-server did not start: {self.log.read_text()[-2000:]}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

