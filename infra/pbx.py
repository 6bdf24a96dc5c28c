"""MikoPBX checked the way 1C will use it: its REST API (the web interface) and the NATS server
of MIKO's module "Панель телефонии 4.0 для 1С", through which 1C talks to the PBX.

REST: `GET /pbxcore/api/v3/system:ping` needs no authentication; an older PBX answers
`/pbxcore/api/system/ping` with "PONG" instead. Redirects are followed (a PBX set to HTTPS
redirects port 80), and HTTPS is tried when HTTP does not answer; PBXs use self-signed
certificates, so they are not verified.

NATS: the module runs its own NATS server, `gnatsd-cti` (mikopbx/ModuleCTIClient
`Lib/AmigoDaemons.php`: `getNatsPort()` returns '4222'; `generateNatsConf()` writes
`nats_password` into its `nats.conf` when auto-settings are on). The auto-configuration code is
`base64(json{nats_password, ipset, pbx})` (`App/Controllers/ModuleCTIClientController.php`,
`generateAutoSettingsString()`); it carries no port: the module strips ports from the addresses
it lists ("PT-838 Убрать SIP порт в адресе АТС в строке автонастройки"), so the port is the
module's fixed 4222 (`SWITCHBOARD_PBX_NATS_PORT`). gnatsd-cti is MIKO's own build and its
source is not public, so which CONNECT field it checks the password against is not written
anywhere we can read: the handshake sends it both as `auth_token` (NATS's single-secret form,
the shape of the module's one `nats_password`) and as `pass` (with `SWITCHBOARD_PBX_NATS_USER`
when set); a standard nats-server ignores the field its configuration does not use.

The handshake follows the NATS client protocol (docs.nats.io/reference/reference-protocols/
nats-protocol): the server greets at once with `INFO {json}` (`auth_required`, `tls_required`,
`version`); the client sends `CONNECT {json}` and `PING`; the server answers `PONG`, or
`-ERR 'Authorization Violation'` and closes the connection. A server that does not greet is
nudged with `PING`: an HTTP server answers that with an HTTP error, which is not NATS."""

from __future__ import annotations

import asyncio
import json
from importlib import metadata
from urllib.parse import urlsplit

import httpx

from application.ports import PbxAnswer, ProbePart

V3_PING = "/pbxcore/api/v3/system:ping"
OLD_PING = "/pbxcore/api/system/ping"
NATS_PORT = 4222
MAX_REDIRECTS = 5
MAX_LINE = 64 * 1024


def base_url(address: str) -> str:
    address = address.strip().rstrip("/")
    if address.startswith(("http://", "https://")):
        return address
    if address.count(":") > 1 and not address.startswith("["):  # a bare IPv6 address
        address = f"[{address}]"
    return f"http://{address}"


def host_of(address: str) -> str:
    return urlsplit(base_url(address)).hostname or address


def _answers(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    if "PONG" in response.text.upper():
        return True
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return isinstance(body, dict) and body.get("result") in (True, "Success", "success")


def _version() -> str:
    try:
        return metadata.version("switchboard")
    except metadata.PackageNotFoundError:
        return "0"


class _Unanswered(Exception):
    """HTTP got no answer at all (nothing listens, or silence): HTTPS may still answer."""

    def __init__(self, part: ProbePart) -> None:
        super().__init__(part.detail)
        self.part = part


class MikoPbxProbe:
    """Checks one address of a MikoPBX: the REST ping and the NATS handshake, side by side, each
    within `seconds` (the REST ping may spend them twice: on HTTP, then on HTTPS)."""

    def __init__(self, client: httpx.AsyncClient | None = None, *, nats_port: int = NATS_PORT,
                 nats_user: str = "") -> None:
        self._client = client
        self._nats_port = nats_port
        self._nats_user = nats_user

    async def check(self, address: str, nats_password: str | None,
                    seconds: float) -> PbxAnswer:
        rest, nats = await asyncio.gather(
            self.rest(address, seconds),
            self.nats(host_of(address), self._nats_port, nats_password, seconds))
        return PbxAnswer(rest=rest, nats=nats)

    # -- REST ------------------------------------------------------------------------------
    async def rest(self, address: str, seconds: float) -> ProbePart:
        if self._client is not None:
            return await self._rest(self._client, address, seconds)
        async with httpx.AsyncClient(follow_redirects=True, max_redirects=MAX_REDIRECTS,
                                     verify=False) as client:  # noqa: S501 - PBXs use self-signed certificates
            return await self._rest(client, address, seconds)

    async def _rest(self, client: httpx.AsyncClient, address: str, seconds: float) -> ProbePart:
        base = base_url(address)
        try:
            return await self._ping(client, base, seconds)
        except _Unanswered as silent:
            if not base.startswith("http://") or address.strip().startswith("http://"):
                return silent.part
            secure = "https://" + base.removeprefix("http://")
            try:
                answer = await self._ping(client, secure, seconds)
            except _Unanswered as also:
                return ProbePart(silent.part.code,
                                 f"{silent.part.detail}; over HTTPS: {also.part.detail}")
            if answer.code == "REST_OK":
                return ProbePart("REST_HTTPS", f"HTTP did not answer ({silent.part.detail}); "
                                               f"HTTPS did at {secure}")
            return answer

    @staticmethod
    async def _ping(client: httpx.AsyncClient, base: str, seconds: float) -> ProbePart:
        try:
            async with asyncio.timeout(seconds):
                response = await client.get(base + V3_PING, timeout=seconds)
                if response.status_code in (404, 405):
                    response = await client.get(base + OLD_PING, timeout=seconds)
        except (TimeoutError, httpx.TimeoutException):
            raise _Unanswered(ProbePart("REST_TIMEOUT",
                                        f"no answer within {seconds:g} s")) from None
        except httpx.TooManyRedirects:
            return ProbePart("REST_TOO_MANY_REDIRECTS",
                             f"more than {MAX_REDIRECTS} redirects from {base}")
        except httpx.HTTPError as error:
            raise _Unanswered(ProbePart(
                "REST_UNREACHABLE", f"unreachable ({type(error).__name__}: {error})")) from None
        where = str(response.url.copy_with(path="/", query=None)).rstrip("/")
        moved = (f" after a redirect to {where}" if response.history else "")
        if _answers(response):
            if response.url.scheme == "https" and base.startswith("http://"):
                return ProbePart("REST_REDIRECTED_HTTPS", f"answered at {where}")
            return ProbePart("REST_OK", f"answered at {where}")
        if response.status_code == 200:
            return ProbePart("REST_NOT_MIKOPBX", f"it answered{moved}, but not as a MikoPBX does")
        return ProbePart("REST_HTTP_ERROR", f"it answered HTTP {response.status_code}{moved}")

    # -- NATS ------------------------------------------------------------------------------
    async def nats(self, host: str, port: int, password: str | None,
                   seconds: float) -> ProbePart:
        where = f"{host}:{port}"
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(seconds):
                try:
                    reader, writer = await asyncio.open_connection(host, port, limit=MAX_LINE)
                except OSError as error:
                    return ProbePart("NATS_UNREACHABLE", f"nothing answers at {where} "
                                                         f"({error.strerror or error})")
                return await self._handshake(reader, writer, where, password, seconds)
        except TimeoutError:
            return ProbePart("NATS_TIMEOUT", f"no NATS answer from {where} within {seconds:g} s")
        except (OSError, ValueError, asyncio.IncompleteReadError) as error:
            return ProbePart("NATS_ERROR", f"{where} broke the connection ({error})")
        finally:
            if writer is not None:
                writer.close()

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         where: str, password: str | None, seconds: float) -> ProbePart:
        try:
            first = await asyncio.wait_for(reader.readline(), timeout=seconds / 4)
        except TimeoutError:  # a NATS server greets at once; make a silent server speak
            writer.write(b"PING\r\n")
            await writer.drain()
            first = await reader.readline()
        line = first.decode("utf-8", "replace").strip()
        info: object = None
        if line[:5].upper() == "INFO ":
            try:
                info = json.loads(line[5:])
            except json.JSONDecodeError:
                info = None
        if not isinstance(info, dict):
            said = f"it said {line[:80]!r}" if line else "it closed the connection"
            return ProbePart("NATS_NOT_NATS", f"{where} is not a NATS server: {said}")
        server = f"NATS {info.get('version', '?')} at {where}"
        if info.get("tls_required"):
            return ProbePart("NATS_TLS_REQUIRED", f"{server} requires TLS, which this check "
                                                  "does not speak")
        if info.get("auth_required") and not password:
            return ProbePart("NATS_NO_PASSWORD", f"{server} wants a password, and no "
                                                 "auto-configuration code gave one")
        connect: dict[str, object] = {
            "verbose": False, "pedantic": False, "name": "switchboard", "lang": "python",
            "version": _version(), "protocol": 1}
        if password:
            connect["auth_token"] = connect["pass"] = password
            if self._nats_user:
                connect["user"] = self._nats_user
        writer.write(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        await writer.drain()
        while True:
            raw = await reader.readline()
            if not raw:
                return ProbePart("NATS_ERROR", f"{server} closed the connection")
            reply = raw.decode("utf-8", "replace").strip()
            verb = reply.split(" ", 1)[0].upper()
            if verb == "PONG":
                return ProbePart("NATS_OK", f"{server} accepted the connection")
            if verb == "PING":
                writer.write(b"PONG\r\n")
            elif verb == "-ERR":
                reason = reply[4:].strip().strip("'")
                if "authorization" in reason.lower() or "authentication" in reason.lower():
                    return ProbePart("NATS_AUTH_REFUSED", f"{server} refused the password: "
                                                          f"{reason}")
                return ProbePart("NATS_ERROR", f"{server} answered: {reason}")
            # +OK and INFO updates are not an answer yet
