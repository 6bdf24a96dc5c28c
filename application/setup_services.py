"""The setup wizard's services: the steps that need the outside world. Each decides nothing
itself: it does its I/O (a mail, an HTTP check, parsing a file) and submits commands, whose
handlers decide and record."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import hmac
import io
import json
import logging
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from application import setup as s
from application.errors import DomainError, InvalidValue
from application.phones import to_e164
from application.ports import Clock, CommandBus, Mailer, PbxProbe, SecretBox
from domain.setup import (
    MAX_ADDRESSES,
    check_dialog_server,
    check_email,
    parse_autoconfig_code,
)

log = logging.getLogger(__name__)
PROGRESS_ACTOR = "system:pbx-check"
IMPORT_ACTOR = "system:phonebook"


class Jobs:
    """Background jobs of this process, kept referenced until they end."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, job: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(job, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background job %s failed", task.get_name(), exc_info=task.exception())

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class MailFailed(Exception):
    code = "MAIL_FAILED"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.message = f"The code could not be mailed: {reason}. Request a new one."


class WrongCode(Exception):
    code = "WRONG_CODE"

    def __init__(self, attempts_left: int) -> None:
        self.attempts_left = attempts_left
        self.message = (f"This is not the code that was mailed; {attempts_left} attempts left."
                        if attempts_left else
                        "This is not the code that was mailed, and no attempts are left: "
                        "request a new code.")
        super().__init__(self.message)


class RegistrationService:
    """Registration in the interaction system: a one-time code mailed to the e-mail, confirmed
    within its lifetime and a few attempts. Events keep only the code's keyed hash."""

    def __init__(self, *, bus: CommandBus, mailer: Mailer, clock: Clock, key: bytes,
                 ttl: timedelta) -> None:
        self._bus = bus
        self._mailer = mailer
        self._clock = clock
        self._key = key
        self._ttl = ttl

    def hash(self, code: str) -> str:
        return hmac.new(self._key, code.strip().encode(), hashlib.sha256).hexdigest()

    async def request_code(self, email: str, server: str, actor: str) -> None:
        """Mails a new code, and only then records it: a mail that fails records nothing (the
        wizard never shows a code sent that nobody got, and an earlier code or registration
        stays as it was). The address and the server are checked first, so nothing is mailed
        that the wizard would refuse."""
        address, dialog_server = check_email(email), check_dialog_server(server)
        code = f"{secrets.randbelow(10**6):06d}"
        minutes = max(1, int(self._ttl.total_seconds() // 60))
        body = (f"Your registration code for the interaction system: {code}\n\n"
                f"Enter it in the setup wizard within {minutes} minutes.\n"
                f"Код регистрации в системе взаимодействия: {code}\n")
        try:
            await self._mailer.send(address, f"Registration code {code}", body)
        except Exception as error:
            log.warning("mailing the registration code failed", exc_info=True)
            raise MailFailed(str(error) or type(error).__name__) from error
        await self._bus.execute(s.SendRegistrationCode(
            email=address, server=dialog_server, code_hash=self.hash(code),
            expires_at=self._clock.now() + self._ttl, actor=actor))

    async def confirm(self, code: str, actor: str) -> None:
        result: s.Confirmation = await self._bus.execute(s.ConfirmRegistration(
            code_hash=self.hash(code), at=self._clock.now(), actor=actor))
        if not result.confirmed:
            raise WrongCode(result.attempts_left)


class PbxConnectionService:
    """The auto-configuration code (its password encrypted before any event sees it) and the
    "Configure" job: each address in turn, each attempt an event, until one answers. An address
    is asked over REST (the web interface) and over the NATS server of MIKO's module, which is
    how 1C talks to the PBX: with the code's password, the address answers when NATS accepts
    it; without one (manual setup) when the REST API answers."""

    def __init__(self, *, bus: CommandBus, probe: PbxProbe, box: SecretBox, clock: Clock,
                 jobs: Jobs, timeout: float) -> None:
        self._bus = bus
        self._probe = probe
        self._box = box
        self._clock = clock
        self._jobs = jobs
        self._timeout = timeout

    @property
    def stale_after(self) -> timedelta:
        return timedelta(seconds=self._timeout * 2 * MAX_ADDRESSES + 30)

    async def apply_code(self, code: str, scheme: str, web_server: str, publication_name: str,
                         actor: str) -> None:
        config = parse_autoconfig_code(code)
        await self._bus.execute(s.ApplyAutoConfig(
            ipset=list(config.ipset), nats_password_encrypted=self._box.encrypt(
                config.nats_password),
            scheme=scheme, web_server=web_server, publication_name=publication_name,
            actor=actor))

    async def start_check(self, actor: str) -> UUID:
        check_id = uuid4()
        plan: s.PbxCheckPlan = await self._bus.execute(s.StartPbxCheck(
            check_id=check_id, at=self._clock.now(), stale_after=self.stale_after, actor=actor))
        self._jobs.spawn(self._check(check_id, plan), name=f"pbx-check-{check_id}")
        return check_id

    async def _check(self, check_id: UUID, plan: s.PbxCheckPlan) -> None:
        reasons: list[str] = []
        try:
            password = (self._box.decrypt(plan.nats_password_encrypted)
                        if plan.nats_password_encrypted else None)
            for address in plan.addresses:
                answer = await self._probe.check(address, password, self._timeout)
                ok = answer.nats.ok if password else answer.rest.ok
                reason = ("answered" if ok else
                          f"web interface: {answer.rest.detail}; NATS: {answer.nats.detail}")
                await self._bus.execute(s.RecordPbxAddressChecked(
                    check_id=check_id, address=address, ok=ok, reason=reason,
                    rest_code=answer.rest.code, rest_detail=answer.rest.detail,
                    nats_code=answer.nats.code, nats_detail=answer.nats.detail,
                    actor=PROGRESS_ACTOR))
                if ok:
                    await self._bus.execute(s.FinishPbxCheck(
                        check_id=check_id, address=address, reason="", actor=PROGRESS_ACTOR))
                    return
                reasons.append(f"{address}: {reason}")
            await self._bus.execute(s.FinishPbxCheck(
                check_id=check_id, address=None,
                reason="No address of the PBX answered. " + "; ".join(reasons),
                actor=PROGRESS_ACTOR))
        except DomainError:  # a newer check replaced this one
            log.info("PBX check %s was replaced", check_id)
        except Exception as error:
            log.exception("PBX check %s broke", check_id)
            with contextlib.suppress(DomainError):
                await self._bus.execute(s.FinishPbxCheck(
                    check_id=check_id, address=None, reason=f"The check broke: {error}",
                    actor=PROGRESS_ACTOR))


# -- the phonebook ---------------------------------------------------------------------------
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000
CHUNK = 200
NAME_KEYS = ("name", "full name", "fullname", "имя", "фио", "наименование", "client")
COMPANY_KEYS = ("company", "organization", "organisation", "компания", "организация")
PHONE_KEYS = ("phone", "phones", "phone number", "phone numbers", "mobile", "телефон",
              "телефоны", "номер", "номера")
# The client card's details, read where the file has these columns (a 1C export's reference).
POSITION_KEYS = ("position", "job title", "должность")
COMMENT_KEYS = ("comment", "comments", "note", "notes", "комментарий", "примечание", "заметка")
REFERENCE_KEYS = ("reference", "ref", "1c", "1c reference", "1c ref", "1c id", "1c code", "guid",
                  "ссылка", "ссылка 1с", "код", "код 1с", "идентификатор")


@dataclass
class ParsedPhonebook:
    rows: list[s.ContactRow] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    source: str = ""

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.refused)


def _split_phones(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    text = str(value or "")
    for sep in (";", "\n", "|"):
        text = text.replace(sep, ",")
    return [p for p in (part.strip() for part in text.split(",")) if p]


def _pick(record: dict[str, Any], keys: tuple[str, ...]) -> list[Any]:
    return [value for key, value in record.items()
            if str(key).strip().lower().rstrip("0123456789 ") in keys and value not in (None, "")]


def _detail(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The record's value under one of `keys` ("" when empty); None when it has none of them,
    so that an import without the column keeps what is known."""
    present = [key for key in record
               if str(key).strip().lower().rstrip("0123456789 ") in keys
               or str(key).strip().lower() in keys]
    if not present:
        return None
    values = [str(record[key]).strip() for key in present if record[key] not in (None, "")]
    return values[0] if values else ""


def _records(source: str, content: str) -> list[dict[str, Any]]:
    if source == "json":
        try:
            data = json.loads(content)
        except json.JSONDecodeError as error:
            raise InvalidValue(f"The JSON is malformed: {error.msg} at line {error.lineno}.",
                               field="content") from None
        if isinstance(data, dict):
            data = data.get("clients") or data.get("contacts") or []
        if not isinstance(data, list):
            raise InvalidValue("The JSON is a list of clients: "
                               '[{"name", "company", "phones": [...]}].', field="content")
        return [r if isinstance(r, dict) else {"?": r} for r in data]
    if source == "csv":
        sample = content[:4096]
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(content), dialect=dialect)
        fields = [str(f or "").strip().lower().rstrip("0123456789 ") for f in
                  reader.fieldnames or []]
        if not any(f in NAME_KEYS for f in fields) or not any(f in PHONE_KEYS for f in fields):
            raise InvalidValue("The CSV needs a header row with the columns name and phone "
                               "(company is optional).", field="content")
        return [dict(r) for r in reader]
    raise InvalidValue("The phonebook is imported from CSV or JSON.", field="format")


def parse_phonebook(source: str, content: str, region: str) -> ParsedPhonebook:
    """Rows to import and rows refused with the reason; a number twice in the file is refused
    the second time."""
    source = source.strip().lower()
    if len(content.encode()) > MAX_IMPORT_BYTES:
        raise InvalidValue(f"The file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB.",
                           field="content")
    records = _records(source, content)
    if len(records) > MAX_IMPORT_ROWS:
        raise InvalidValue(f"At most {MAX_IMPORT_ROWS} rows at a time.", field="content")
    parsed = ParsedPhonebook(source=source)
    seen: dict[str, int] = {}
    first_row = 2 if source == "csv" else 1  # CSV rows counted as a spreadsheet shows them
    for index, record in enumerate(records):
        number = index + first_row
        names = _pick(record, NAME_KEYS)
        name = str(names[0]).strip() if names else ""
        companies = _pick(record, COMPANY_KEYS)
        company = str(companies[0]).strip() if companies else ""
        raw_phones = [p for value in _pick(record, PHONE_KEYS) for p in _split_phones(value)]

        def refuse(reason: str, row: int = number) -> None:
            parsed.refused.append({"row": str(row), "reason": reason})

        if not name:
            refuse("no name")
            continue
        if not raw_phones:
            refuse("no phone number")
            continue
        phones: list[str] = []
        problem = ""
        for raw in raw_phones:
            try:
                phone = to_e164(raw, region)
            except DomainError as error:
                problem = error.message
                break
            if phone in seen:
                problem = f"{phone} is in row {seen[phone]} already"
                break
            if phone not in phones:
                phones.append(phone)
        if problem:
            refuse(problem)
            continue
        for phone in phones:
            seen[phone] = number
        parsed.rows.append(s.ContactRow(
            row=number, name=name, company=company, phones=phones,
            position=_detail(record, POSITION_KEYS), comment=_detail(record, COMMENT_KEYS),
            reference=_detail(record, REFERENCE_KEYS)))
    return parsed


class PhonebookService:
    """Imports the phonebook in the background, a chunk per command, each with its progress."""

    def __init__(self, *, bus: CommandBus, jobs: Jobs, region: str) -> None:
        self._bus = bus
        self._jobs = jobs
        self._region = region

    async def start_import(self, source: str, content: str, actor: str) -> UUID:
        parsed = parse_phonebook(source, content, self._region)
        import_id = uuid4()
        await self._bus.execute(s.StartPhonebookImport(
            import_id=import_id, source=source.strip().lower(), rows=parsed.total, actor=actor))
        self._jobs.spawn(self._import(import_id, parsed), name=f"phonebook-{import_id}")
        return import_id

    async def _import(self, import_id: UUID, parsed: ParsedPhonebook) -> None:
        created = updated = 0
        refused = list(parsed.refused)
        done = len(parsed.refused)
        try:
            for start in range(0, len(parsed.rows), CHUNK):
                chunk = parsed.rows[start:start + CHUNK]
                done += len(chunk)
                result: s.ImportedChunk = await self._bus.execute(s.ImportContacts(
                    import_id=import_id, rows=chunk, done=done, actor=IMPORT_ACTOR,
                    source=parsed.source))
                created += result.created
                updated += result.updated
                refused.extend(result.refused)
        except DomainError:  # a newer import replaced this one
            log.info("phonebook import %s was replaced", import_id)
            return
        except Exception as error:
            log.exception("phonebook import %s broke", import_id)
            refused.append({"row": "0", "reason": f"the import stopped after {done} rows: "
                                                  f"{error}"})
        refused.sort(key=lambda r: int(r["row"]))
        with contextlib.suppress(DomainError):
            await self._bus.execute(s.FinishPhonebookImport(
                import_id=import_id, created=created, updated=updated, refused=refused[:1000],
                actor=IMPORT_ACTOR))
