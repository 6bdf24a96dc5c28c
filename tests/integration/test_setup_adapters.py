"""The setup wizard's adapters against real servers on loopback: the SMTP mailer against
aiosmtpd, the development outbox, and the MikoPBX probe against a fake MikoPBX."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.mailer import OutboxMailer, SmtpMailer, build_mailer, read_outbox
from infra.pbx import MikoPbxProbe
from tests.conftest import free_port, make_settings
from tests.setup_helpers import FakeMikoPbx, SmtpSink, closed_address


async def test_the_smtp_mailer_delivers_to_a_real_smtp_server():
    with SmtpSink() as sink:
        mailer = SmtpMailer(host="127.0.0.1", port=sink.port, sender="setup@example.com")
        await mailer.send("boss@example.com", "Registration code 123456", "Код: 123456\n")
    (message,) = sink.messages
    assert message["To"] == "boss@example.com"
    assert message["From"] == "setup@example.com"
    assert message["Subject"] == "Registration code 123456"
    assert "Код: 123456" in message.get_payload(decode=True).decode()


async def test_the_smtp_mailer_raises_when_no_server_listens():
    mailer = SmtpMailer(host="127.0.0.1", port=free_port(), sender="setup@example.com",
                        timeout=2)
    with pytest.raises(OSError):
        await mailer.send("boss@example.com", "Subject", "Body")


async def test_the_development_outbox_keeps_mails_newest_first(tmp_path: Path):
    outbox = OutboxMailer(tmp_path / "outbox", "setup@localhost")
    await outbox.send("a@example.com", "First", "one")
    await outbox.send("b@example.com", "Second", "two")
    mails = read_outbox(tmp_path / "outbox")
    assert [(m.to, m.subject, m.body.strip()) for m in mails] == [
        ("b@example.com", "Second", "two"), ("a@example.com", "First", "one")]


def test_settings_choose_smtp_when_a_host_is_set(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/x.db"
    assert isinstance(build_mailer(make_settings(url)), OutboxMailer)
    smtp = build_mailer(make_settings(url, smtp_host="mail.example.com", smtp_port=587,
                                      smtp_security="starttls"))
    assert isinstance(smtp, SmtpMailer) and (smtp.port, smtp.security) == (587, "starttls")


@pytest.mark.parametrize(("mode", "delay", "code", "detail"), [
    ("ok", 0, "REST_OK", "answered at http://127.0.0.1:"),
    ("old", 0, "REST_OK", "answered at http://127.0.0.1:"),
    ("error", 0, "REST_HTTP_ERROR", "it answered HTTP 500"),
    ("stranger", 0, "REST_NOT_MIKOPBX", "it answered, but not as a MikoPBX does"),
    ("ok", 1.5, "REST_TIMEOUT", "no answer within 0.3 s"),
])
async def test_the_probe_pings_a_mikopbx(mode: str, delay: float, code: str, detail: str):
    pbx = FakeMikoPbx(mode, delay)
    try:
        answer = await MikoPbxProbe().rest(pbx.url, 0.3)
        assert (answer.code, answer.detail[:len(detail)]) == (code, detail)
        assert pbx.requests[0] == "/pbxcore/api/v3/system:ping"
    finally:
        pbx.down()


async def test_the_probe_reports_an_address_where_nothing_listens():
    answer = await MikoPbxProbe().rest(closed_address(), 1.0)
    assert answer.code == "REST_UNREACHABLE" and not answer.ok
    assert "over HTTPS: unreachable" in answer.detail  # HTTPS was tried too
