"""`switchboard whatsapp status|link` (as an admin, over the server's GraphQL) and the simulated
phone's `switchboard phone scan|pair|inbox|ack|drop|restore` (over `/simulator/phone…`)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import segno
import typer
from rich.console import Console
from rich.table import Table

from infra.settings import Settings

CHANNEL = """query { whatsappChannel(history: 5) {
  gateway status reason phone device reconnecting reconnectAttempt retryAt inService
  employeesMayWriteFirst heldCount qrCode { value expiresAt sequence of }
  pairingCode { phone code } history { at status event reason actor } } }"""
RESULT = "__typename ... on UserError { code message }"
LOGIN = """mutation($l: String!, $p: String!) { login(login: $l, password: $p) {
  __typename ... on LoginSuccess { token } ... on LoginError { message } } }"""


Url = Annotated[str | None, typer.Option(help="The server (default: the settings').")]
Login = Annotated[str | None, typer.Option(help="An admin's login (default: the first admin's).")]
Password = Annotated[str | None, typer.Option(
    envvar="SWITCHBOARD_ADMIN_PASSWORD", help="The admin's password (asked when not set).")]


class Failed(Exception):
    pass


class Admin:
    """A signed-in admin talking to the server's GraphQL."""

    def __init__(self, url: str, login: str, password: str) -> None:
        self.url = url.rstrip("/") + "/graphql"
        self.token = ""
        answer = self.call(LOGIN, {"l": login, "p": password})["login"]
        if answer["__typename"] != "LoginSuccess":
            raise Failed(f"Signing in as {login} failed: {answer.get('message')}")
        self.token = answer["token"]

    def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = httpx.post(self.url, json={"query": query, "variables": variables or {}},
                                  headers=headers, timeout=30)
        except httpx.HTTPError as error:
            raise Failed(f"The server at {self.url} did not answer: {error}") from None
        body = response.json()
        if body.get("errors"):
            raise Failed(body["errors"][0]["message"])
        data: dict[str, Any] = body["data"]
        return data

    def channel(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call(CHANNEL)["whatsappChannel"]
        return result


def register(app: typer.Typer, phone_app: typer.Typer, console: Console,
             settings: Callable[[], Settings]) -> None:
    whatsapp_app = typer.Typer(help="The company's WhatsApp: its status, and linking it.",
                               no_args_is_help=True)
    app.add_typer(whatsapp_app, name="whatsapp")

    def admin(url: str | None, login: str | None, password: str | None) -> Admin:
        config = settings()
        who = login or config.admin_login
        secret = password or typer.prompt(f"Password of {who}", hide_input=True)
        try:
            return Admin(url or config.base_url, who, secret)
        except Failed as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None

    @whatsapp_app.command("status")
    def whatsapp_status(url: Url = None, login: Login = None, password: Password = None,
                        as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """The channel's status with its reason, the messenger settings and recent history."""
        channel = _guard(console, lambda: admin(url, login, password).channel())
        if as_json:
            print(json.dumps(channel))
            return
        colour = "green" if channel["status"] == "WORKING" else "yellow"
        console.print(f"WhatsApp ({channel['gateway']}): [{colour}]{channel['status']}"
                      f"[/{colour}] — {channel['reason']}")
        if channel["phone"]:
            console.print(f"Linked as {channel['phone']} on {channel['device']}.")
        console.print(f"In service: {'yes' if channel['inService'] else 'no'}; employees may "
                      f"write first: {'yes' if channel['employeesMayWriteFirst'] else 'no'}.")
        if channel["heldCount"]:
            console.print(f"[yellow]{channel['heldCount']} message(s) kept while out of "
                          "service[/yellow] — they reach the operators when it is back.")
        table = Table("at", "status", "event", "reason", "by")
        for entry in channel["history"]:
            table.add_row(entry["at"][:19], entry["status"], entry["event"], entry["reason"],
                          entry["actor"])
        console.print(table)

    @whatsapp_app.command("link")
    def whatsapp_link(
        url: Url = None, login: Login = None, password: Password = None,
        pairing_code: Annotated[str | None, typer.Option(
            "--pairing-code", help="Link by a code entered on this phone number instead.")
        ] = None,
        timeout: Annotated[int, typer.Option(help="Seconds to wait for the scan.")] = 200,
    ) -> None:
        """Starts linking and draws each QR code in the terminal until the phone scans it
        (WhatsApp → Linked devices → Link a device)."""
        client = admin(url, login, password)
        if pairing_code:
            result = _guard(console, lambda: client.call(
                f"mutation($p: String!) {{ requestWhatsAppPairingCode(phoneNumber: $p) "
                f"{{ {RESULT} }} }}", {"p": pairing_code}))["requestWhatsAppPairingCode"]
        else:
            result = _guard(console, lambda: client.call(
                f"mutation {{ startWhatsAppLinking {{ {RESULT} }} }}"))["startWhatsAppLinking"]
        if result["__typename"] == "UserError" and result["code"] == "ALREADY_LINKED":
            console.print(f"[yellow]{result['message']}[/yellow]")
            return
        if result["__typename"] == "UserError" and result["code"] != "NOT_ALLOWED":
            console.print(f"[red]{result['message']}[/red]")
            raise typer.Exit(1)
        shown = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            channel = _guard(console, client.channel)
            if channel["status"] == "WORKING":
                console.print(f"[green]Linked[/green] as {channel['phone']} on "
                              f"{channel['device']}.")
                return
            if channel["status"] in ("FAILED", "STOPPED"):
                console.print(f"[red]{channel['status']}[/red]: {channel['reason']}")
                raise typer.Exit(1)
            qr = channel["qrCode"]
            if qr and qr["value"] != shown:
                shown = qr["value"]
                console.print(draw(qr["value"]))
                console.print(f"QR code {qr['sequence']} of {qr['of']}, valid until "
                              f"{qr['expiresAt'][11:19]} UTC. Scan it: WhatsApp → Linked "
                              "devices → Link a device.")
                if channel["pairingCode"]:
                    code = channel["pairingCode"]
                    console.print(f"Or enter the code [bold]{code['code']}[/bold] on "
                                  f"{code['phone']}.")
            time.sleep(1)
        console.print("[red]Not linked in time.[/red]")
        raise typer.Exit(1)

    # -- the simulated phone ---------------------------------------------------------------
    def phone(url: str | None, method: str, path: str, body: Any = None) -> Any:
        base = (url or settings().base_url).rstrip("/")
        try:
            response = httpx.request(method, f"{base}/simulator/phone{path}", json=body,
                                     timeout=30)
        except httpx.HTTPError as error:
            console.print(f"[red]The server at {base} did not answer:[/red] {error}")
            raise typer.Exit(1) from None
        if response.status_code >= 400:
            detail = response.json().get("detail") if response.content else response.text
            message = detail.get("message") if isinstance(detail, dict) else detail
            console.print(f"[red]{message}[/red]")
            raise typer.Exit(1)
        return response.json()

    @phone_app.command("scan")
    def phone_scan(url: Url = None, code: Annotated[str | None, typer.Option(
            help="The QR value read (default: the code shown now).")] = None) -> None:
        """Scans the QR code shown in the admin area: links the company's WhatsApp."""
        state = phone(url, "POST", "/scan", {"value": code})
        console.print(f"Scanned: the company's WhatsApp is {state['status']}.")

    @phone_app.command("pair")
    def phone_pair(code: Annotated[str, typer.Argument(help="The pairing code shown.")],
                   url: Url = None) -> None:
        """Enters a pairing code on the phone instead of scanning."""
        state = phone(url, "POST", "/pair", {"code": code})
        console.print(f"Paired: the company's WhatsApp is {state['status']}.")

    @phone_app.command("inbox")
    def phone_inbox(number: Annotated[str | None, typer.Option(
                        "--number", help="The client's number (WhatsApp).")] = None,
                    url: Url = None,
                    as_json: Annotated[bool, typer.Option("--json")] = False,
                    channel: Annotated[str, typer.Option(
                        help="whatsapp, or telegram (then name the USER).")] = "whatsapp",
                    user: Annotated[str | None, typer.Argument(
                        help="Telegram: the user's id, e.g. 42.", show_default=False)] = None,
                    ) -> None:
        """What the company sent to this client's phone (`--channel telegram USER`: what the
        bot sent to this Telegram user)."""
        if channel == "telegram":
            from api.cli.phone import print_telegram_inbox

            if not user:
                console.print("[red]Name the Telegram USER, e.g. `phone inbox --channel "
                              "telegram 42`.[/red]")
                raise typer.Exit(2)
            print_telegram_inbox(console, url or settings().base_url, user, as_json)
            return
        if channel != "whatsapp" or not number or user:
            console.print("[red]WhatsApp's inbox takes --number (a USER is Telegram's: "
                          "--channel telegram).[/red]")
            raise typer.Exit(2)
        sent = phone(url, "GET", f"/{number}/messages")
        if as_json:
            print(json.dumps(sent))
            return
        if not sent:
            console.print(f"Nothing has been sent to {number} yet.")
        for message in sent:
            console.print(f"{message['at'][11:19]}  [{message['status']}]  {message['text']}"
                          f"  [dim]{message['id']}[/dim]")

    @phone_app.command("ack")
    def phone_ack(message_id: Annotated[str, typer.Argument(help="The message's id.")],
                  number: Annotated[str, typer.Option("--number")],
                  status: Annotated[str, typer.Option(help="delivered or read.")] = "read",
                  url: Url = None) -> None:
        """The client's phone reports a message delivered or read."""
        phone(url, "POST", "/ack", {"number": number, "id": message_id, "status": status})
        console.print(f"Reported {status}.")

    @phone_app.command("drop")
    def phone_drop(url: Url = None) -> None:
        """The company's phone loses its connection (clients' messages wait meanwhile)."""
        state = phone(url, "POST", "/drop")
        console.print(f"Connection dropped: {state['reason']}")

    @phone_app.command("restore")
    def phone_restore(url: Url = None) -> None:
        """The company's phone is back online; what waited is delivered."""
        state = phone(url, "POST", "/restore")
        console.print(f"Connection restored; {state['delivered']} waiting message(s) "
                      "delivered.")


def draw(value: str) -> str:
    """The QR code in the terminal, two rows per line."""
    out = io.StringIO()
    segno.make(value, error="l", micro=False).terminal(out=out, compact=True, border=2)
    return out.getvalue()


def _guard(console: Console, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except Failed as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
