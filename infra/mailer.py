"""Mailers: SMTP for real installations, and a development outbox (a folder of .eml files) that
the panel and `switchboard outbox` show, so a newcomer needs no mail server."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parsedate_to_datetime
from pathlib import Path

from anyio import to_thread

from infra.settings import Settings


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(body)
    return message


class SmtpMailer:
    """Sends through an SMTP server: plain, STARTTLS or implicit TLS, with optional login."""

    def __init__(self, *, host: str, port: int, sender: str, security: str = "none",
                 user: str = "", password: str = "", timeout: float = 15.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.security = security
        self.user = user
        self.password = password
        self.timeout = timeout

    async def send(self, to: str, subject: str, body: str) -> None:
        message = build_message(self.sender, to, subject, body)
        await to_thread.run_sync(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


@dataclass(frozen=True)
class OutboxMessage:
    id: str
    to: str
    subject: str
    body: str
    sent_at: datetime


class OutboxMailer:
    """Development only: each mail becomes a file in the outbox folder instead of leaving."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    async def send(self, to: str, subject: str, body: str) -> None:
        message = build_message(self.sender, to, subject, body)
        await to_thread.run_sync(self._write, message)

    def _write(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(message.as_bytes(policy=policy.SMTP))
        temporary.rename(self.folder / name)

    def messages(self, limit: int = 20) -> list[OutboxMessage]:
        return read_outbox(self.folder, limit)


def read_outbox(folder: Path, limit: int = 20) -> list[OutboxMessage]:
    """The newest mails first."""
    if not folder.is_dir():
        return []
    found: list[OutboxMessage] = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:limit]:
        parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        body = parsed.get_body(preferencelist=("plain",))
        content = body.get_content() if body is not None else ""
        date = parsed["Date"]
        found.append(OutboxMessage(
            id=path.stem, to=str(parsed["To"] or ""), subject=str(parsed["Subject"] or ""),
            body=str(content), sent_at=parsedate_to_datetime(date) if date else datetime.now(UTC),
        ))
    return found


def outbox_folder(settings: Settings) -> Path:
    if settings.mail_outbox_dir:
        return Path(settings.mail_outbox_dir)
    if settings.is_sqlite:
        return settings.sqlite_events_path.parent / "outbox"
    return Path("var") / "outbox"


def build_mailer(settings: Settings) -> SmtpMailer | OutboxMailer:
    if settings.smtp_host:
        return SmtpMailer(host=settings.smtp_host, port=settings.smtp_port,
                          sender=settings.mail_from, security=settings.smtp_security,
                          user=settings.smtp_user, password=settings.smtp_password)
    return OutboxMailer(outbox_folder(settings), settings.mail_from)
