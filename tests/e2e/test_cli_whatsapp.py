"""The command line against a live server: `switchboard whatsapp status|link` as an admin, and the
simulated phone's `switchboard phone scan|send|inbox|ack|drop|restore` (send sharing a location, a
contact or a sticker too)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from domain.channel import ChannelStatus
from infra.bootstrap import Container
from projections.channel import whatsapp_channel
from projections.inbox import messages
from projections.media import media
from tests.conftest import LiveServer, caught_up, cli, cli_env, cli_process, wait_for


def inbox_texts(container: Container) -> list[str]:
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        return list(conn.execute(sa.select(messages.c.text)).scalars())


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


def pairing_code_in_view(container: Container) -> str | None:
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        return conn.execute(sa.select(whatsapp_channel.c.pairing_code)).scalar()


def test_whatsapp_link_by_pairing_code_until_the_phone_enters_it_with_phone_pair(
    live_server: LiveServer, container: Container, database_url: str
) -> None:
    env = cli_env(database_url)
    container.whatsapp.service.unlink("operator:admin")
    process = cli_process("whatsapp", "link", "--pairing-code", "+7 916 000-11-22",
                          "--url", live_server.url, env=env)
    try:
        code = wait_for(lambda: pairing_code_in_view(container), timeout=30)
        wrong = cli("phone", "pair", "WRNG-CODE", "--url", live_server.url, env=env)
        assert wrong.returncode == 1 and "not the code shown" in wrong.stdout
        paired = cli("phone", "pair", code.lower(), "--url", live_server.url, env=env)
        assert paired.returncode == 0, paired.stdout + paired.stderr
        assert "Paired: the company's WhatsApp is WORKING" in paired.stdout
        output, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert f"Or enter the code {code} on +79160001122" in " ".join(output.split())
    assert "QR code 1 of 6" in output  # the QR code stays the fallback
    assert "Linked as +79160001122" in output
    assert status_in_view(container) == ChannelStatus.WORKING.value


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


def test_phone_send_while_the_phone_is_offline_waits_and_arrives_once_on_restore(
    live_server: LiveServer, container: Container, database_url: str
) -> None:
    env = cli_env(database_url)
    server = ("--url", live_server.url)
    assert cli("phone", "drop", *server, env=env).returncode == 0
    sent = cli("phone", "send", "--from", "+79161234599", "Are you there?", "--twice", *server,
               env=env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    said = [line.split()[0] for line in sent.stdout.splitlines()
            if line.startswith(("Waiting", "Delivered"))]
    assert said == ["Waiting", "Waiting"], sent.stdout
    assert "Are you there?" not in inbox_texts(container)
    restored = cli("phone", "restore", *server, env=env)
    assert restored.returncode == 0 and "1 waiting message(s) delivered" in restored.stdout
    wait_for(lambda: "Are you there?" in inbox_texts(container))
    assert inbox_texts(container).count("Are you there?") == 1


def test_phone_send_while_whatsapp_is_not_linked_is_refused_with_the_reason(
    live_server: LiveServer, container: Container, database_url: str
) -> None:
    container.whatsapp.service.unlink("operator:admin")
    sent = cli("phone", "send", "--from", "+79161234598", "Hello?", "--url", live_server.url,
               env=cli_env(database_url))
    assert sent.returncode == 1
    assert "not linked to Switchboard" in " ".join(sent.stdout.split())
    assert "Hello?" not in inbox_texts(container)


def test_phone_send_shares_a_location_a_contact_or_a_sticker(
    live_server: LiveServer, container: Container, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(database_url)
    who = ("--from", "+79161234597", "--name", "Galina", "--url", live_server.url)
    sticker = tmp_path / "thumbs-up.png"
    sticker.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    for extra in (("--location", "55.7558,37.6173", "--place", "Red Square"),
                  ("--contact", "Olga Petrova", "--contact-phone", "+79160000001",
                   "--contact-phone", "+79160000002"),
                  ("--sticker", str(sticker))):
        sent = cli("phone", "send", *who, *extra, env=env)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "Delivered (accepted)" in sent.stdout
    both = cli("phone", "send", *who, "--location", "1,2", "--sticker", str(sticker), env=env)
    nothing = cli("phone", "send", *who, env=env)
    off = cli("phone", "send", *who, "--location", "north", env=env)
    assert (both.returncode, nothing.returncode, off.returncode) == (2, 2, 2)
    assert "One thing at a time" in both.stdout and "Not a location" in off.stdout

    def shared() -> list[tuple[str, str, str]]:
        wait_for(lambda: caught_up(container))
        with container.views.reader.connect() as conn:
            return [(r.kind, r.state, r.place or r.contact_name) for r in conn.execute(
                sa.select(media.c.kind, media.c.state, media.c.place, media.c.contact_name)
                .order_by(media.c.recorded_at))]

    container.media.wake()
    wait_for(lambda: [k for k, state, _ in shared() if state == "stored"] == ["sticker"])
    assert shared() == [("location", "none", "Red Square"), ("contact", "none", "Olga Petrova"),
                        ("sticker", "stored", "")]
    assert sorted(inbox_texts(container)) == ["[contact: Olga Petrova]",
                                              "[location: Red Square]",
                                              "[sticker: thumbs-up.png]"]
