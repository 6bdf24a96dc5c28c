"""The command line against a live server: `switchboard whatsapp status|link` as an admin, and the
simulated phone's `switchboard phone scan|send|inbox|ack|drop|restore`."""

from __future__ import annotations

import sqlalchemy as sa

from domain.channel import ChannelStatus
from infra.bootstrap import Container
from projections.channel import whatsapp_channel
from tests.conftest import LiveServer, caught_up, cli, cli_env, cli_process, wait_for


def status_in_view(container: Container) -> str:
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        return str(conn.execute(sa.select(whatsapp_channel.c.status)).scalar())


def test_whatsapp_status_shows_the_status_reason_and_settings(
    live_server: LiveServer, database_url: str
) -> None:
    done = cli("whatsapp", "status", "--url", live_server.url, env=cli_env(database_url))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WORKING" in done.stdout and "In service: yes" in done.stdout
    assert "+15555550100" in done.stdout


def test_whatsapp_link_draws_each_code_in_the_terminal_until_the_phone_scans_it(
    live_server: LiveServer, container: Container, database_url: str
) -> None:
    env = cli_env(database_url)
    container.whatsapp.service.unlink("operator:admin")
    process = cli_process("whatsapp", "link", "--url", live_server.url, env=env)
    try:
        wait_for(lambda: status_in_view(container) == ChannelStatus.SCAN_QR_CODE.value,
                 timeout=30)
        scanned = cli("phone", "scan", "--url", live_server.url, env=env)
        assert scanned.returncode == 0, scanned.stdout + scanned.stderr
        output, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert "QR code 1 of 6" in output and "▀" in output
    assert "Linked as +15555550100" in output


def test_whatsapp_link_with_a_wrong_password_says_so(live_server: LiveServer,
                                                     database_url: str) -> None:
    done = cli("whatsapp", "link", "--url", live_server.url, "--password", "nope",
               env=cli_env(database_url))
    assert done.returncode == 1 and "Signing in as admin failed" in done.stdout


def test_the_phone_reads_acknowledges_drops_and_restores_from_the_command_line(
    live_server: LiveServer, container: Container, database_url: str
) -> None:
    env = cli_env(database_url)
    external = container.whatsapp.gateway.send_text("+79161234567", "Your order shipped", "k1")
    inbox = cli("phone", "inbox", "--number", "+79161234567", "--url", live_server.url, env=env)
    assert "Your order shipped" in inbox.stdout and external in inbox.stdout
    ack = cli("phone", "ack", external, "--number", "+79161234567", "--url", live_server.url,
              env=env)
    assert ack.returncode == 0 and "Reported read" in ack.stdout
    assert [r.status for r in container.whatsapp.delivery_reports.received] == ["read"]
    dropped = cli("phone", "drop", "--url", live_server.url, env=env)
    assert "lost its connection" in dropped.stdout
    wait_for(lambda: container.whatsapp.service.tick().reconnecting)
    restored = cli("phone", "restore", "--url", live_server.url, env=env)
    assert restored.returncode == 0 and "restored" in restored.stdout
    assert container.whatsapp.service.tick().status == ChannelStatus.WORKING


def test_phone_send_twice_delivers_the_same_message_once(live_server: LiveServer,
                                                         database_url: str) -> None:
    done = cli("phone", "send", "--from", "+79161234567", "Hello twice", "--twice",
               "--url", live_server.url, env=cli_env(database_url))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("Delivered")]
    assert [line.split()[1] for line in lines] == ["(accepted);", "(duplicate);"]
