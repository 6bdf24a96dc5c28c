"""The simulated Telegram's client side for the command line: a Telegram user writing to the
company's bot over the server's `/simulator/telegram/…` routes (plain HTTP; the simulator's
WhatsApp phone is infra/channels/simulator/client.py, which may not know Telegram)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from infra.channels.simulator.client import refusal_of


class PhoneRefused(Exception):
    """The server did not take it: the reason, readable."""


class TelegramPhone:
    """A Telegram user (`user`: their id, digits) as `switchboard phone … --channel telegram`
    plays them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def send(self, user: str, text: str, *, name: str = "", username: str = "") -> Any:
        return self._post("/send", {"from": user, "name": name, "username": username,
                                    "text": text})

    def edit(self, user: str, message_id: int, text: str, *, name: str = "") -> Any:
        return self._post("/edit", {"from": user, "name": name, "message_id": message_id,
                                    "text": text})

    def share(self, user: str, *, name: str = "", location: dict[str, Any] | None = None,
              contact: dict[str, Any] | None = None) -> Any:
        """A location (`{latitude, longitude, name}`) or a contact (`{name, phone}`)."""
        body: dict[str, Any] = {"from": user, "name": name}
        body.update({"location": location} if location is not None else {"contact": contact})
        return self._post("/share", body)

    def send_file(self, user: str, path: Path, *, name: str = "", caption: str = "") -> Any:
        return self._answer(lambda: httpx.post(
            f"{self.base_url}/simulator/telegram/send-media",
            data={"from": user, "name": name, "caption": caption},
            files={"file": (path.name, path.read_bytes(), "application/octet-stream")},
            timeout=60))

    def inbox(self, user: str) -> Any:
        return self._answer(lambda: httpx.get(
            f"{self.base_url}/simulator/telegram/{user}/messages", timeout=15))

    # -- inside ----------------------------------------------------------------------------
    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._answer(lambda: httpx.post(f"{self.base_url}/simulator/telegram{path}",
                                               json=body, timeout=30))

    def _answer(self, call: Callable[[], httpx.Response]) -> Any:
        try:
            response = call()
        except httpx.HTTPError as error:
            raise PhoneRefused(f"The server at {self.base_url} did not answer: {error}") from None
        if response.status_code < 400:
            return response.json()
        raise PhoneRefused(refusal_of(response))


def send_from_telegram(console: Console, base_url: str, user: str, text: str, *, name: str,
                       username: str, location: tuple[float, float] | None, place: str,
                       contact: str | None, contact_phones: list[str], file: Path | None
                       ) -> None:
    """`switchboard phone send --channel telegram`: a text, a file, a location or a contact
    from the Telegram user `user`, printed as the webhook answered."""
    if not user.isdigit() or user.startswith("0") or len(user) > 16:
        console.print(f"[red]A Telegram user id is a positive number, e.g. 42:[/red] {user!r}.")
        raise typer.Exit(2)
    if (contact is not None or contact_phones) and len(contact_phones) != 1:
        console.print("[red]A Telegram contact has one phone number (--contact-phone).[/red]")
        raise typer.Exit(2)
    phone = TelegramPhone(base_url)
    try:
        if location is not None:
            answer = phone.share(user, name=name, location={
                "latitude": location[0], "longitude": location[1], "name": place})
        elif contact is not None or contact_phones:
            answer = phone.share(user, name=name, contact={
                "name": contact or "", "phone": contact_phones[0] if contact_phones else ""})
        elif file is not None:
            answer = phone.send_file(user, file, name=name, caption=text)
        else:
            answer = phone.send(user, text, name=name, username=username)
    except PhoneRefused as error:
        console.print(f"[red]Not delivered:[/red] {error}")
        raise typer.Exit(1) from None
    console.print(f"Delivered ({answer['status']}) to the bot as Telegram message "
                  f"{answer['telegram_message_id']}; dialog {answer['dialog_id']}.")


def print_telegram_inbox(console: Console, base_url: str, user: str, as_json: bool) -> None:
    """`switchboard phone inbox --channel telegram USER`: what the bot sent to this user."""
    try:
        sent = TelegramPhone(base_url).inbox(user)
    except PhoneRefused as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(sent))
        return
    if not sent:
        console.print(f"The bot has sent nothing to {user} yet.")
    for message in sent:
        shown = message["text"]
        if message["kind"] != "text":
            shown = f"[{message['kind']}: {message['file_name'] or 'file'}] {shown}".rstrip()
        console.print(f"{message['at'][11:19]}  {escape(shown)}  "
                      f"[dim]#{message['message_id']}[/dim]")
