"""The installation's settings and its setup wizard: one long-lived aggregate whose every accepted
step is an event. A refused step raises a domain error naming the field and records nothing.

The steps follow the vendor's wizard: setup mode → publication of the infobase (which moves the
1C-to-PBX connection from long-polling to the web service) → registration in the interaction
system (a code mailed to an e-mail confirms it) → PBX type → its connection (MIKO's
auto-configuration code, a connection scheme, and a background check of the PBX) → employees'
phone numbers → messengers → the phonebook and finish."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import AlreadyExists, InvalidValue, NotAllowed, NotFound
from domain.ids import natural_id

INSTALLATION_ID = natural_id("installation", "default")
DEFAULT_DIALOG_SERVER = "wss://1cdialog.com:443"
CODE_ATTEMPTS = 5
PUBLICATION_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                  r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$")
EXTENSION = re.compile(r"^[0-9]{2,8}$")
MAX_ADDRESSES = 16


class SetupMode(StrEnum):
    FULL = "full"


class ConnectionMode(StrEnum):
    LONG_POLLING = "long_polling"
    WEB_SERVICE = "web_service"


class PbxType(StrEnum):
    MIKOPBX = "mikopbx"
    ASTERISK = "asterisk"
    FREEPBX = "freepbx"
    OTHER = "other"


class ConnectionSetup(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class ConnectionScheme(StrEnum):
    """Where 1C and the PBX are: the four combinations of the vendor's wizard."""

    BOTH_LAN = "both_lan"  # 1C and the PBX in the local network
    PBX_CLOUD = "pbx_cloud"  # 1C in the local network, the PBX in the cloud
    ONEC_CLOUD = "onec_cloud"  # 1C in the cloud, the PBX in the local network
    BOTH_CLOUD = "both_cloud"  # 1C and the PBX in the cloud

    @property
    def needs_web_server(self) -> bool:
        """1C in the cloud: the PBX reaches it through the published web service."""
        return self in (ConnectionScheme.ONEC_CLOUD, ConnectionScheme.BOTH_CLOUD)


class Step(StrEnum):
    MODE = "mode"
    PUBLICATION = "publication"
    REGISTRATION = "registration"
    PBX = "pbx"
    CONNECTION = "connection"
    EMPLOYEES = "employees"
    MESSENGERS = "messengers"
    FINISH = "finish"


STEPS = tuple(Step)

LONG_POLLING_REFUSAL = (
    "Messenger and colleague chats need the web-service connection between 1C and the PBX, "
    "and it is long-polling now. Switch it: open the setup wizard, choose the full setup and "
    "enter the publication of the infobase (server URL and publication name)."
)


class ChatsNeedWebService(NotAllowed):
    """Messenger chats (operators' messages and files to clients) and colleague chats are
    refused while the 1C-to-PBX connection is long-polling; the message says how to switch."""

    code = "CHATS_NEED_WEB_SERVICE"

    def __init__(self) -> None:
        super().__init__(LONG_POLLING_REFUSAL)


# -- pure rules ------------------------------------------------------------------------------
def check_server_url(url: str, field: str) -> str:
    value = url.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise InvalidValue("The server URL starts with http:// or https://.",
                           rule="URL_SCHEME", field=field)
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidValue("The server URL has a bad port.", rule="URL_PORT", field=field) from None
    if not host or not (_is_ip(host) or HOST.match(host)):
        raise InvalidValue("The server URL needs a host name or address.",
                           rule="URL_HOST", field=field)
    if len(value) > 500:
        raise InvalidValue("The server URL is at most 500 characters.",
                           rule="URL_TOO_LONG", params={"max": 500}, field=field)
    return value.rstrip("/")


def check_publication_name(name: str, field: str = "publicationName") -> str:
    value = name.strip().strip("/")
    if not PUBLICATION_NAME.match(value):
        raise InvalidValue(
            "A publication name is 1 to 64 latin letters, digits, '_', '.' or '-' "
            "(as in Administration → Publishing on a web server, field Name).",
            rule="PUBLICATION_NAME", field=field)
    return value


def check_email(email: str) -> str:
    value = email.strip()
    if len(value) > 254 or not EMAIL.match(value):
        raise InvalidValue("This is not an e-mail address.", rule="EMAIL", field="email")
    return value


def check_dialog_server(server: str) -> str:
    value = (server.strip() or DEFAULT_DIALOG_SERVER).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise InvalidValue(
            "The interaction system server is a ws:// or wss:// address, "
            f"e.g. {DEFAULT_DIALOG_SERVER}.",
            rule="DIALOG_SERVER", params={"example": DEFAULT_DIALOG_SERVER}, field="server")
    return value


def check_address(address: str, field: str = "ipset") -> str:
    value = address.strip()
    host = value
    if value.startswith(("http://", "https://")):
        host = urlsplit(value).hostname or ""
    elif value.count(":") == 1:  # host:port
        host, _, port = value.partition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidValue(f"'{address}' has a bad port.",
                               rule="ADDRESS_PORT", params={"address": address}, field=field)
    if not host or not (_is_ip(host.strip("[]")) or HOST.match(host)):
        raise InvalidValue(f"'{address}' is not a host name or IP address.",
                           rule="ADDRESS_HOST", params={"address": address}, field=field)
    return value


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class AutoConfig:
    """What MIKO's module (the telephony panel 4.0 for 1C) puts in its auto-configuration code."""

    nats_password: str
    ipset: tuple[str, ...]
    pbx: str


def parse_autoconfig_code(code: str) -> AutoConfig:
    """Base64 of JSON {"nats_password", "ipset": [server, interfaces…, external, host name],
    "pbx": "mikopbx"}; a malformed code is refused with the reason."""
    text = "".join(code.split())
    if not text:
        raise InvalidValue("Paste the auto-configuration code from the PBX module.",
                           rule="AUTOCONFIG_EMPTY", field="code")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidValue("The auto-configuration code is not base64: copy it whole from the "
                           "PBX module's settings.",
                           rule="AUTOCONFIG_NOT_BASE64", field="code") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidValue("The auto-configuration code does not hold JSON: is it the code "
                           "from MIKO's telephony panel module for 1C?",
                           rule="AUTOCONFIG_NOT_JSON", field="code") from None
    if not isinstance(data, dict):
        raise InvalidValue("The auto-configuration code holds no settings object.",
                           rule="AUTOCONFIG_NOT_OBJECT", field="code")
    password = data.get("nats_password")
    if not isinstance(password, str) or not password:
        raise InvalidValue("The auto-configuration code has no nats_password.",
                           rule="AUTOCONFIG_NO_PASSWORD", field="code")
    ipset = data.get("ipset")
    if not isinstance(ipset, list) or not ipset or not all(isinstance(a, str) for a in ipset):
        raise InvalidValue("The auto-configuration code has no list of PBX addresses (ipset).",
                           rule="AUTOCONFIG_NO_ADDRESSES", field="code")
    pbx = data.get("pbx")
    if pbx != PbxType.MIKOPBX.value:
        raise InvalidValue(f"The auto-configuration code is for the PBX {pbx!r}, "
                           "not for MikoPBX.",
                           rule="AUTOCONFIG_OTHER_PBX", params={"pbx": str(pbx)}, field="code")
    addresses: list[str] = []
    for address in ipset:
        value = check_address(address, field="code")
        if value not in addresses:
            addresses.append(value)
    if len(addresses) > MAX_ADDRESSES:
        raise InvalidValue(f"The code lists more than {MAX_ADDRESSES} addresses.",
                           rule="AUTOCONFIG_TOO_MANY", params={"max": MAX_ADDRESSES}, field="code")
    return AutoConfig(nats_password=password, ipset=tuple(addresses), pbx=pbx)


@dataclass(frozen=True)
class SetupFacts:
    """What the wizard's steps depend on; the aggregate and the read model both derive them."""

    mode: str | None = None
    publication: bool = False
    registered: bool = False
    code_sent: bool = False
    pbx_type: str | None = None
    connection_setup: str | None = None
    addresses: bool = False
    scheme: str | None = None
    check_ok: bool = False
    employees_confirmed: bool = False
    messengers_passed: bool = False


def missing(facts: SetupFacts) -> dict[Step, list[str]]:
    """What each step still needs (empty when it is done). The finish step needs the others."""
    needs: dict[Step, list[str]] = {step: [] for step in STEPS}
    if facts.mode is None:
        needs[Step.MODE].append("mode")
    if not facts.publication:
        needs[Step.PUBLICATION] += ["serverUrl", "publicationName"]
    if not facts.registered:
        needs[Step.REGISTRATION].append("code" if facts.code_sent else "email")
    if facts.pbx_type is None:
        needs[Step.PBX].append("pbxType")
    if not facts.addresses:
        needs[Step.CONNECTION].append(
            "code" if facts.connection_setup == ConnectionSetup.AUTOMATIC else "addresses")
    if facts.scheme is None:
        needs[Step.CONNECTION].append("scheme")
    if facts.pbx_type == PbxType.MIKOPBX and not facts.check_ok:
        needs[Step.CONNECTION].append("check")
    if not facts.employees_confirmed:
        needs[Step.EMPLOYEES].append("confirmation")
    if not facts.messengers_passed:
        needs[Step.MESSENGERS].append("whatsapp")
    return needs


def _code_expired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is None or now >= expires_at


# -- the aggregate ---------------------------------------------------------------------------
class Installation(Aggregate):
    """One per installation. Holds what later commands must check: the connection mode that
    chats need, the registration code's hash and attempts, the PBX settings that the check
    needs, and the employees' numbers that must stay unique."""

    class Created(Aggregate.Created):
        connection_mode: str
        actor: str

    class ModeChosen(Aggregate.Event):
        mode: str
        actor: str

    class PublicationSet(Aggregate.Event):
        server_url: str
        publication_name: str
        actor: str

    class ConnectionModeChanged(Aggregate.Event):
        mode: str
        actor: str

    class RegistrationCodeSent(Aggregate.Event):
        email: str
        server: str
        code_hash: str
        expires_at: datetime
        actor: str

    class RegistrationCodeRefused(Aggregate.Event):
        attempts_left: int
        actor: str

    class RegistrationConfirmed(Aggregate.Event):
        email: str
        server: str
        actor: str

    class PbxChosen(Aggregate.Event):
        pbx_type: str
        connection_setup: str
        actor: str

    class AutoConfigApplied(Aggregate.Event):
        """The password is kept encrypted with a key from the settings, never in clear."""

        ipset: list[str]
        nats_password_encrypted: str
        actor: str

    class ManualConnectionSet(Aggregate.Event):
        addresses: list[str]
        actor: str

    class SchemeChosen(Aggregate.Event):
        scheme: str
        web_server: str
        publication_name: str
        actor: str

    class PbxCheckStarted(Aggregate.Event):
        check_id: UUID
        addresses: list[str]
        started_at: datetime
        actor: str

    class PbxAddressTried(Aggregate.Event):
        check_id: UUID
        address: str
        ok: bool
        reason: str
        actor: str

    class PbxAddressChecked(Aggregate.Event):
        """One address tried the way 1C will use it: its REST API and the module's NATS
        server, each with a stable code and the detail (PbxAddressTried, before, had neither)."""

        check_id: UUID
        address: str
        ok: bool
        reason: str
        rest_code: str
        rest_detail: str
        nats_code: str
        nats_detail: str
        actor: str

    class PbxCheckSucceeded(Aggregate.Event):
        check_id: UUID
        address: str
        actor: str

    class PbxCheckFailed(Aggregate.Event):
        check_id: UUID
        reason: str
        actor: str

    class EmployeePhonesSet(Aggregate.Event):
        operator_id: UUID
        login: str
        extension: str
        mobile: str
        actor: str

    class EmployeesConfirmed(Aggregate.Event):
        actor: str

    class MessengersPassed(Aggregate.Event):
        actor: str

    class PhonebookImportStarted(Aggregate.Event):
        import_id: UUID
        source: str
        rows: int
        actor: str

    class PhonebookImportProgressed(Aggregate.Event):
        import_id: UUID
        done: int
        actor: str

    class PhonebookImportFinished(Aggregate.Event):
        import_id: UUID
        created: int
        updated: int
        refused: list[dict[str, str]]
        actor: str

    class SetupCompleted(Aggregate.Event):
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return INSTALLATION_ID

    @event(Created)
    def __init__(self, connection_mode: str, actor: str) -> None:
        # Plain JSON values only, so that the aggregate can be snapshotted.
        self.connection_mode: str = connection_mode
        self.mode: str | None = None
        self.publication: list[str] | None = None
        self.registration_email: str | None = None
        self.registration_server: str | None = None
        self.registered = False
        self.code_hash: str | None = None
        self.code_expires_at: datetime | None = None
        self.code_attempts_left = 0
        self.pbx_type: str | None = None
        self.connection_setup: str | None = None
        self.addresses: list[str] = []
        self.password_set = False
        self.nats_password_encrypted = ""
        self.scheme: str | None = None
        self.scheme_server: list[str] = ["", ""]
        self.check_id: UUID | None = None
        self.check_running_since: datetime | None = None
        self.check_ok = False
        self.employees: dict[str, list[str]] = {}  # operator id -> [login, extension, mobile]
        self.employees_confirmed = False
        self.messengers_passed = False
        self.imports_running: list[str] = []
        self.completed = False

    @classmethod
    def start(cls, *, connection_mode: ConnectionMode, actor: str) -> Installation:
        return cls(connection_mode=connection_mode.value, actor=actor)

    # -- chats --------------------------------------------------------------------------
    @property
    def chats_allowed(self) -> bool:
        return self.connection_mode == ConnectionMode.WEB_SERVICE

    def ensure_chats_allowed(self) -> None:
        if not self.chats_allowed:
            raise ChatsNeedWebService

    # -- 1. mode ------------------------------------------------------------------------
    def choose_mode(self, mode: str, actor: str) -> None:
        try:
            chosen = SetupMode(mode)
        except ValueError:
            raise InvalidValue("The setup mode is 'full'.",
                               rule="SETUP_MODE", field="mode") from None
        if self.mode != chosen:
            self._choose_mode(mode=chosen.value, actor=actor)

    @event(ModeChosen)
    def _choose_mode(self, mode: str, actor: str) -> None:
        self.mode = mode

    # -- 2. publication and the connection mode -----------------------------------------
    def set_publication(self, server_url: str, publication_name: str, actor: str) -> None:
        url = check_server_url(server_url, field="serverUrl")
        name = check_publication_name(publication_name)
        if self.publication != [url, name]:
            self._set_publication(server_url=url, publication_name=name, actor=actor)
        if self.connection_mode != ConnectionMode.WEB_SERVICE:
            self._change_connection_mode(mode=ConnectionMode.WEB_SERVICE.value, actor=actor)

    @event(PublicationSet)
    def _set_publication(self, server_url: str, publication_name: str, actor: str) -> None:
        self.publication = [server_url, publication_name]

    def change_connection_mode(self, mode: str, actor: str) -> None:
        try:
            chosen = ConnectionMode(mode)
        except ValueError:
            raise InvalidValue("The connection mode is long_polling or web_service.",
                               rule="CONNECTION_MODE", field="mode") from None
        if chosen == ConnectionMode.WEB_SERVICE and self.publication is None:
            raise NotAllowed("The web service needs the infobase's publication first.",
                             rule="WEB_SERVICE_NEEDS_PUBLICATION", field="mode")
        if chosen != self.connection_mode:
            self._change_connection_mode(mode=chosen.value, actor=actor)

    @event(ConnectionModeChanged)
    def _change_connection_mode(self, mode: str, actor: str) -> None:
        self.connection_mode = mode

    # -- 3. registration in the interaction system --------------------------------------
    def send_registration_code(
        self, *, email: str, server: str, code_hash: str, expires_at: datetime, actor: str
    ) -> None:
        self._send_code(email=check_email(email), server=check_dialog_server(server),
                        code_hash=code_hash, expires_at=expires_at, actor=actor)

    @event(RegistrationCodeSent)
    def _send_code(
        self, email: str, server: str, code_hash: str, expires_at: datetime, actor: str
    ) -> None:
        self.registration_email = email
        self.registration_server = server
        self.registered = False
        self.code_hash = code_hash
        self.code_expires_at = expires_at
        self.code_attempts_left = CODE_ATTEMPTS

    def confirm_registration(self, *, code_hash: str, now: datetime, actor: str) -> bool:
        """True when confirmed; False when the code was wrong (the attempt is recorded)."""
        if self.code_hash is None or self.registration_email is None:
            raise NotAllowed("Request a registration code first.",
                             rule="CODE_NOT_REQUESTED", field="code")
        if self.code_attempts_left <= 0:
            raise NotAllowed("No attempts are left for this code: request a new one.",
                             rule="CODE_NO_ATTEMPTS", field="code")
        if _code_expired(self.code_expires_at, now):
            raise NotAllowed("This code has expired: request a new one.",
                             rule="CODE_EXPIRED", field="code")
        if code_hash != self.code_hash:
            self._refuse_code(attempts_left=self.code_attempts_left - 1, actor=actor)
            return False
        self._confirm(email=self.registration_email,
                      server=self.registration_server or DEFAULT_DIALOG_SERVER, actor=actor)
        return True

    @event(RegistrationCodeRefused)
    def _refuse_code(self, attempts_left: int, actor: str) -> None:
        self.code_attempts_left = attempts_left

    @event(RegistrationConfirmed)
    def _confirm(self, email: str, server: str, actor: str) -> None:
        self.registered = True
        self.code_hash = None
        self.code_attempts_left = 0

    # -- 4. PBX type --------------------------------------------------------------------
    def choose_pbx(self, pbx_type: str, connection_setup: str, actor: str) -> None:
        try:
            kind = PbxType(pbx_type)
        except ValueError:
            raise InvalidValue("Choose a PBX from the list.",
                               rule="PBX_TYPE", field="pbxType") from None
        try:
            setup = ConnectionSetup(connection_setup)
        except ValueError:
            raise InvalidValue("Connection setup is automatic or manual.",
                               rule="CONNECTION_SETUP", field="connectionSetup") from None
        if setup == ConnectionSetup.AUTOMATIC and kind != PbxType.MIKOPBX:
            raise InvalidValue("Automatic setup needs MIKO's module, which only MikoPBX has: "
                               "choose manual setup.",
                               rule="AUTOMATIC_NEEDS_MIKOPBX", field="connectionSetup")
        if (self.pbx_type, self.connection_setup) != (kind, setup):
            self._choose_pbx(pbx_type=kind.value, connection_setup=setup.value, actor=actor)

    @event(PbxChosen)
    def _choose_pbx(self, pbx_type: str, connection_setup: str, actor: str) -> None:
        if self.pbx_type != pbx_type:
            self.check_ok = False
        self.pbx_type = pbx_type
        self.connection_setup = connection_setup

    # -- 5. connection: the code or the addresses, the scheme, the check -----------------
    def apply_autoconfig(
        self, *, ipset: list[str], nats_password_encrypted: str, scheme: str, web_server: str,
        publication_name: str, actor: str,
    ) -> None:
        if self.pbx_type != PbxType.MIKOPBX or self.connection_setup != ConnectionSetup.AUTOMATIC:
            raise NotAllowed("The auto-configuration code is for MikoPBX with automatic setup: "
                             "choose them in the previous step.",
                             rule="AUTOCONFIG_NEEDS_AUTOMATIC", field="code")
        chosen = self._check_scheme(scheme, web_server, publication_name)
        addresses = [check_address(a, field="code") for a in ipset]
        if not addresses:
            raise InvalidValue("The code lists no PBX address.",
                               rule="AUTOCONFIG_NO_ADDRESSES", field="code")
        self._apply_autoconfig(ipset=addresses, nats_password_encrypted=nats_password_encrypted,
                               actor=actor)
        self._record_scheme(chosen, actor)

    @event(AutoConfigApplied)
    def _apply_autoconfig(self, ipset: list[str], nats_password_encrypted: str,
                          actor: str) -> None:
        self.addresses = list(ipset)
        self.password_set = True
        self.nats_password_encrypted = nats_password_encrypted
        self.check_ok = False

    def set_manual_connection(
        self, *, addresses: list[str], scheme: str, web_server: str, publication_name: str,
        actor: str,
    ) -> None:
        if self.pbx_type is None or self.connection_setup != ConnectionSetup.MANUAL:
            raise NotAllowed("Choose the PBX and manual setup in the previous step.",
                             rule="MANUAL_NOT_CHOSEN", field="addresses")
        chosen = self._check_scheme(scheme, web_server, publication_name)
        cleaned: list[str] = []
        for address in addresses:
            if address.strip():
                value = check_address(address, field="addresses")
                if value not in cleaned:
                    cleaned.append(value)
        if not cleaned:
            raise InvalidValue("Enter the PBX address.",
                               rule="PBX_ADDRESS_EMPTY", field="addresses")
        if len(cleaned) > MAX_ADDRESSES:
            raise InvalidValue(f"At most {MAX_ADDRESSES} addresses.",
                               rule="PBX_ADDRESSES_TOO_MANY", params={"max": MAX_ADDRESSES},
                               field="addresses")
        if cleaned != self.addresses:
            self._set_manual(addresses=cleaned, actor=actor)
        self._record_scheme(chosen, actor)

    @event(ManualConnectionSet)
    def _set_manual(self, addresses: list[str], actor: str) -> None:
        self.addresses = list(addresses)
        self.check_ok = False

    def _check_scheme(
        self, scheme: str, web_server: str, publication_name: str
    ) -> tuple[ConnectionScheme, str, str]:
        try:
            chosen = ConnectionScheme(scheme)
        except ValueError:
            raise InvalidValue("Choose one of the four connection schemes.",
                               rule="SCHEME", field="scheme") from None
        server, name = "", ""
        if chosen.needs_web_server:
            if not web_server.strip():
                raise InvalidValue("With 1C in the cloud, enter the 1C web server address.",
                                   rule="WEB_SERVER_EMPTY", field="webServer")
            if not publication_name.strip():
                raise InvalidValue("With 1C in the cloud, enter the publication name.",
                                   rule="PUBLICATION_EMPTY", field="publicationName")
            server = check_server_url(web_server, field="webServer")
            name = check_publication_name(publication_name)
        return chosen, server, name

    def _record_scheme(self, chosen: tuple[ConnectionScheme, str, str], actor: str) -> None:
        scheme, server, name = chosen
        if (self.scheme, self.scheme_server) != (scheme, [server, name]):
            self._choose_scheme(scheme=scheme.value, web_server=server, publication_name=name,
                                actor=actor)

    @event(SchemeChosen)
    def _choose_scheme(self, scheme: str, web_server: str, publication_name: str,
                       actor: str) -> None:
        self.scheme = scheme
        self.scheme_server = [web_server, publication_name]

    def check_running(self, now: datetime, stale_after: timedelta) -> bool:
        """A check started less than `stale_after` ago has not ended (a check whose process
        died is stale after that, and may be started again)."""
        since = self.check_running_since
        return since is not None and now - since < stale_after

    def start_pbx_check(
        self, *, check_id: UUID, now: datetime, stale_after: timedelta, actor: str
    ) -> list[str]:
        if self.pbx_type != PbxType.MIKOPBX:
            raise NotAllowed("Only a MikoPBX can be checked.",
                             rule="CHECK_ONLY_MIKOPBX", field="pbxType")
        if not self.addresses:
            raise NotAllowed("Paste the auto-configuration code (or the PBX address) first.",
                             rule="CHECK_NEEDS_ADDRESS", field="code")
        if self.scheme is None:
            raise NotAllowed("Choose the connection scheme first.",
                             rule="CHECK_NEEDS_SCHEME", field="scheme")
        if self.check_running(now, stale_after):
            raise AlreadyExists("The PBX is being checked already; wait for the result.",
                                rule="CHECK_RUNNING", field="check")
        self._start_check(check_id=check_id, addresses=list(self.addresses), started_at=now,
                          actor=actor)
        return list(self.addresses)

    @event(PbxCheckStarted)
    def _start_check(self, check_id: UUID, addresses: list[str], started_at: datetime,
                     actor: str) -> None:
        self.check_id = check_id
        self.check_running_since = started_at
        self.check_ok = False

    @event(PbxAddressTried)
    def _address_tried(self, check_id: UUID, address: str, ok: bool, reason: str,
                       actor: str) -> None:
        pass  # stored by earlier versions; PbxAddressChecked since

    @property
    def check_password(self) -> str:
        """The module's NATS password (encrypted) the check uses: only with automatic setup,
        whose code gave it; "" otherwise."""
        if self.connection_setup != ConnectionSetup.AUTOMATIC:
            return ""
        return str(getattr(self, "nats_password_encrypted", ""))  # "" in older snapshots

    def record_address_checked(
        self, *, check_id: UUID, address: str, ok: bool, reason: str, rest: tuple[str, str],
        nats: tuple[str, str], actor: str,
    ) -> None:
        self._ensure_current_check(check_id)
        self._address_checked(check_id=check_id, address=address, ok=ok, reason=reason[:300],
                              rest_code=rest[0][:40], rest_detail=rest[1][:300],
                              nats_code=nats[0][:40], nats_detail=nats[1][:300], actor=actor)

    @event(PbxAddressChecked)
    def _address_checked(self, check_id: UUID, address: str, ok: bool, reason: str,
                         rest_code: str, rest_detail: str, nats_code: str, nats_detail: str,
                         actor: str) -> None:
        pass

    def finish_pbx_check(self, *, check_id: UUID, address: str | None, reason: str,
                         actor: str) -> None:
        self._ensure_current_check(check_id)
        if address:
            self._check_succeeded(check_id=check_id, address=address, actor=actor)
        else:
            self._check_failed(check_id=check_id, reason=reason[:500], actor=actor)

    @event(PbxCheckSucceeded)
    def _check_succeeded(self, check_id: UUID, address: str, actor: str) -> None:
        self.check_running_since = None
        self.check_ok = True

    @event(PbxCheckFailed)
    def _check_failed(self, check_id: UUID, reason: str, actor: str) -> None:
        self.check_running_since = None
        self.check_ok = False

    def _ensure_current_check(self, check_id: UUID) -> None:
        if check_id != self.check_id or self.check_running_since is None:
            raise NotFound("This PBX check is over or was replaced by a newer one.",
                           rule="CHECK_OVER", field="check")

    # -- 6. employees' numbers ----------------------------------------------------------
    def set_employee_phones(
        self, *, operator_id: UUID, login: str, extension: str, mobile: str, actor: str
    ) -> None:
        ext = extension.strip()
        if ext and not EXTENSION.match(ext):
            raise InvalidValue("An extension is 2 to 8 digits.",
                               rule="EXTENSION", field="extension")
        if not ext and not mobile:
            raise InvalidValue("Enter the extension or the mobile number.",
                               rule="PHONES_EMPTY", field="extension")
        for other_id, (other, other_ext, other_mobile) in self.employees.items():
            if other_id == str(operator_id):
                continue
            if ext and other_ext == ext:
                raise AlreadyExists(f"Extension {ext} belongs to {other} already.",
                                    rule="EXTENSION_TAKEN",
                                    params={"extension": ext, "login": other}, field="extension")
            if mobile and other_mobile == mobile:
                raise AlreadyExists(f"Number {mobile} belongs to {other} already.",
                                    rule="MOBILE_TAKEN", params={"mobile": mobile, "login": other},
                                    field="mobile")
        if self.employees.get(str(operator_id)) != [login, ext, mobile]:
            self._set_phones(operator_id=operator_id, login=login, extension=ext, mobile=mobile,
                             actor=actor)

    @event(EmployeePhonesSet)
    def _set_phones(self, operator_id: UUID, login: str, extension: str, mobile: str,
                    actor: str) -> None:
        self.employees[str(operator_id)] = [login, extension, mobile]

    def confirm_employees(self, actor: str) -> None:
        if not self.employees_confirmed:
            self._confirm_employees(actor=actor)

    @event(EmployeesConfirmed)
    def _confirm_employees(self, actor: str) -> None:
        self.employees_confirmed = True

    # -- 7. messengers ------------------------------------------------------------------
    def pass_messengers(self, actor: str) -> None:
        if not self.messengers_passed:
            self._pass_messengers(actor=actor)

    @event(MessengersPassed)
    def _pass_messengers(self, actor: str) -> None:
        self.messengers_passed = True

    # -- 8. phonebook and finish --------------------------------------------------------
    def start_import(self, *, import_id: UUID, source: str, rows: int, actor: str) -> None:
        if source not in ("csv", "json"):
            raise InvalidValue("The phonebook is imported from CSV or JSON.",
                               rule="PHONEBOOK_FORMAT", field="format")
        self._start_import(import_id=import_id, source=source, rows=rows, actor=actor)

    @event(PhonebookImportStarted)
    def _start_import(self, import_id: UUID, source: str, rows: int, actor: str) -> None:
        # A new import replaces one still running (say, one whose process died): the older
        # job's next chunk is refused and it stops.
        self.imports_running = [str(import_id)]

    def progress_import(self, *, import_id: UUID, done: int, actor: str) -> None:
        self._ensure_import(import_id)
        self._progress_import(import_id=import_id, done=done, actor=actor)

    @event(PhonebookImportProgressed)
    def _progress_import(self, import_id: UUID, done: int, actor: str) -> None:
        pass

    def finish_import(self, *, import_id: UUID, created: int, updated: int,
                      refused: list[dict[str, str]], actor: str) -> None:
        self._ensure_import(import_id)
        self._finish_import(import_id=import_id, created=created, updated=updated,
                            refused=refused, actor=actor)

    @event(PhonebookImportFinished)
    def _finish_import(self, import_id: UUID, created: int, updated: int,
                       refused: list[dict[str, str]], actor: str) -> None:
        if str(import_id) in self.imports_running:
            self.imports_running.remove(str(import_id))

    def _ensure_import(self, import_id: UUID) -> None:
        if str(import_id) not in self.imports_running:
            raise NotFound("No such phonebook import is running.",
                           rule="IMPORT_NOT_RUNNING", field="importId")

    def facts(self) -> SetupFacts:
        return SetupFacts(
            mode=self.mode, publication=self.publication is not None,
            registered=self.registered, code_sent=self.code_hash is not None,
            pbx_type=self.pbx_type, connection_setup=self.connection_setup,
            addresses=bool(self.addresses), scheme=self.scheme, check_ok=self.check_ok,
            employees_confirmed=self.employees_confirmed,
            messengers_passed=self.messengers_passed,
        )

    def complete(self, actor: str) -> None:
        for step, fields in missing(self.facts()).items():
            if fields:
                raise NotAllowed(f"The step '{step.value}' is not finished: it needs "
                                 f"{', '.join(fields)}.",
                                 rule="STEP_NOT_FINISHED", params={"step": step.value},
                                 field=step.value)
        if self.imports_running:
            raise NotAllowed("Wait until the phonebook is filled.",
                             rule="PHONEBOOK_FILLING", field="phonebook")
        if not self.completed:
            self._complete(actor=actor)

    @event(SetupCompleted)
    def _complete(self, actor: str) -> None:
        self.completed = True
