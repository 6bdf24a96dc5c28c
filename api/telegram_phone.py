"""The simulated Telegram's phone over HTTP (the `/phone` page in Telegram mode and
`switchboard phone … --channel telegram`; no sign-in: it is the user's phone).

Telegram, while it is played here (`SWITCHBOARD_TELEGRAM_SIMULATED`; by default in development
with no bot token): a Telegram app of a user writing to the bot, through the real adapter — each
action becomes an update the simulated Bot API POSTs to `/webhooks/telegram` with its secret.
Else each route but the first answers 404 with the reason.

- `GET /simulator/telegram` — `{active, bot: "@username", webhook_set}`;
- `POST /simulator/telegram/send` `{from: <user id>, name, username?, text}` — a text; answers
  the webhook's answer with `update_id` and `telegram_message_id` (what an edit names);
- `POST /simulator/telegram/send-media` (multipart `file`, `from`, `name`, `username`,
  `caption`) — a photo (an image), a voice note (audio with no caption) or a document;
- `POST /simulator/telegram/share` `{from, name, username?, location? | contact?}` — a location
  (`{latitude, longitude, name?}`, with a name a venue) or a contact (`{name, phone}`);
- `POST /simulator/telegram/edit` `{from, name, username?, message_id, text}` — the user changes
  the text of their message;
- `GET /simulator/telegram/{user}/messages` — what the bot sent to this user's chat, oldest
  first: `{message_id, at, kind, text, file_name?, mime_type?, size?, file_url?}`;
- `GET /simulator/telegram/{user}/files/{message_id}` — a file the bot sent.

A refusal is `{code, message}` (`REFUSALS`), as the WhatsApp phone's are."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Form, HTTPException, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from infra.bootstrap import Container
from infra.channels.telegram.channel import TelegramChannel
from infra.channels.telegram.simulated import (
    Delivered,
    NotDelivered,
    SimulatedTelegram,
    TelegramUser,
)
from infra.sniff import sniff

router = APIRouter()
TelegramUserId = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,15}$",
                                      description="The Telegram user's id (digits)")]
TelegramName = Annotated[str, Field(max_length=120)]
TelegramUsername = Annotated[str, Field(pattern=r"^([A-Za-z][A-Za-z0-9_]{3,31})?$",
                                        description="An @username without the @ (optional)")]
# What the phone refuses, by code (the page says each in its language: phone.refused.<CODE>).
REFUSALS = {
    "TELEGRAM_NOT_SIMULATED": (404, "Telegram is not simulated here: it is played in "
                               "development with no SWITCHBOARD_TELEGRAM_BOT_TOKEN, or with "
                               "SWITCHBOARD_TELEGRAM_SIMULATED=true outside production."),
    "EMPTY_TEXT": (422, "The text is empty."),
    "BAD_USER_ID": (422, "A Telegram user id is a positive number, e.g. 42."),
    "BAD_FILE": (413, "The file is empty or too large for the simulated Telegram."),
    "ONE_SHARE": (422, "Share a location or a contact (one of them)."),
    "NO_FILE": (404, "The bot sent no file in this message."),
    "NOT_DELIVERED": (409, "The simulated Telegram could not deliver: {reason}"),
    "WEBHOOK_REFUSED": (502, "/webhooks/telegram refused the update: {reason}"),
}


def refused(code: str, *, status: int | None = None, reason: str = "") -> HTTPException:
    """A refusal with its code and its English message (`{reason}` filled in)."""
    default, message = REFUSALS[code]
    return HTTPException(status or default, {"code": code,
                                             "message": message.format(reason=reason)})


class TelegramSender(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)

    from_: Annotated[TelegramUserId, Field(alias="from")]
    name: TelegramName = ""
    username: TelegramUsername = ""

    def user(self) -> TelegramUser:
        return TelegramUser(id=int(self.from_), name=self.name.strip(),
                            username=self.username)


class TelegramText(TelegramSender):
    text: Annotated[str, Field(min_length=1, max_length=4096)]


class TelegramEdit(TelegramText):
    message_id: Annotated[int, Field(ge=1, lt=2**63)]


class TelegramLocation(BaseModel):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    name: Annotated[str, Field(max_length=200)] = ""


class TelegramContact(BaseModel):
    name: Annotated[str, Field(max_length=120)] = ""
    phone: Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{2,31}$")]


class TelegramShare(TelegramSender):
    """A location or a contact the user shares (exactly one of them)."""

    location: TelegramLocation | None = None
    contact: TelegramContact | None = None


class TelegramDelivered(BaseModel):
    status: str = Field(description="accepted, duplicate, edited, unknown (an edit of a "
                                    "message not known here) or ignored")
    dialog_id: str | None = None
    message_id: str | None = Field(default=None, description="The message's id here")
    update_id: int
    telegram_message_id: int = Field(description="The message's id in the Telegram chat")


def _telegram(request: Request) -> SimulatedTelegram:
    container: Container = request.app.state.container
    channel = container.channels.named("telegram")
    if not isinstance(channel, TelegramChannel) or channel.simulated is None:
        raise refused("TELEGRAM_NOT_SIMULATED")
    return channel.simulated


def _text(text: str) -> str:
    if not text.strip():
        raise refused("EMPTY_TEXT")
    return text


async def _through_webhook(call: Any, *args: Any) -> TelegramDelivered:
    """Runs a delivery of the simulated Telegram in a thread (it POSTs to our own webhook and
    waits for its answer) and answers the webhook's answer, or its refusal."""
    try:
        delivered: Delivered = await to_thread.run_sync(call, *args)
    except NotDelivered as error:
        raise refused("NOT_DELIVERED", reason=str(error)) from None
    answer = delivered.answer if isinstance(delivered.answer, dict) else {}
    if not delivered.ok or answer.get("status") == "refused":  # refused: recorded, answered 200
        reason = answer.get("detail") or answer.get("reason") or \
            f"the webhook answered {delivered.status or 'nothing'}"
        raise refused("WEBHOOK_REFUSED", reason=str(reason),
                      status=delivered.status if delivered.status >= 400 else None)
    return TelegramDelivered(
        status=str(answer.get("status", "")), dialog_id=answer.get("dialog_id"),
        message_id=answer.get("message_id"), update_id=delivered.update_id,
        telegram_message_id=delivered.message_id)


def _user_id(user: str) -> int:
    if not user.isdigit() or not 1 <= len(user) <= 16 or user.startswith("0"):
        raise refused("BAD_USER_ID")
    return int(user)


@router.get("/simulator/telegram", tags=["simulator"])
async def telegram_state(request: Request) -> dict[str, Any]:
    """Whether Telegram is played here, and its bot."""
    try:
        simulated = _telegram(request)
    except HTTPException:
        return {"active": False, "bot": "", "webhook_set": False}
    return {"active": True, "bot": simulated.bot, "webhook_set": simulated.webhook_set}


@router.post("/simulator/telegram/send", response_model=TelegramDelivered, tags=["simulator"])
async def telegram_send(message: TelegramText, request: Request) -> TelegramDelivered:
    """A Telegram user writes to the bot."""
    simulated = _telegram(request)
    return await _through_webhook(simulated.write, message.user(), _text(message.text))


@router.post("/simulator/telegram/send-media", response_model=TelegramDelivered,
             tags=["simulator"])
async def telegram_send_media(
    request: Request, file: UploadFile,
    sender: Annotated[str, Form(alias="from", pattern=r"^[1-9][0-9]{0,15}$")],
    name: Annotated[str, Form(max_length=120)] = "",
    username: Annotated[str, Form(pattern=r"^([A-Za-z][A-Za-z0-9_]{3,31})?$")] = "",
    caption: Annotated[str, Form(max_length=1024)] = "",
) -> TelegramDelivered:
    """A Telegram user sends a photo, a voice note or a file: it is kept on the simulated
    Telegram's servers and the update names its file_id, which the channel fetches."""
    simulated = _telegram(request)
    container: Container = request.app.state.container
    limit = container.settings.media_max_file_bytes * 4  # the company's own limit comes later
    content = await file.read(limit + 1)
    if not content or len(content) > limit:
        raise refused("BAD_FILE")
    mime = sniff(content) or (file.content_type or "application/octet-stream")
    user = TelegramUser(id=int(sender), name=name.strip(), username=username)
    return await _through_webhook(simulated.send_file, user, content, mime,
                                  file.filename or "", caption)


@router.post("/simulator/telegram/share", response_model=TelegramDelivered, tags=["simulator"])
async def telegram_share(share: TelegramShare, request: Request) -> TelegramDelivered:
    """A Telegram user shares a location or a contact."""
    simulated = _telegram(request)
    if (share.location is None) == (share.contact is None):
        raise refused("ONE_SHARE")
    if share.location is not None:
        where = share.location
        return await _through_webhook(simulated.share_location, share.user(), where.latitude,
                                      where.longitude, where.name)
    assert share.contact is not None
    return await _through_webhook(simulated.share_contact, share.user(), share.contact.phone,
                                  share.contact.name)


@router.post("/simulator/telegram/edit", response_model=TelegramDelivered, tags=["simulator"])
async def telegram_edit(edit: TelegramEdit, request: Request) -> TelegramDelivered:
    """A Telegram user changes the text of a message they sent (`message_id`: its
    `telegram_message_id`)."""
    simulated = _telegram(request)
    return await _through_webhook(simulated.edit, edit.user(), edit.message_id,
                                  _text(edit.text))


@router.get("/simulator/telegram/{user}/messages", tags=["simulator"])
async def telegram_messages(user: str, request: Request) -> list[dict[str, Any]]:
    """What the bot sent to this user's chat, oldest first."""
    simulated = _telegram(request)
    chat = _user_id(user)
    received = simulated.received(chat)
    for message in received:
        if message["kind"] != "text":
            message["file_url"] = (f"/simulator/telegram/{chat}/files/"
                                   f"{message['message_id']}")
    return received


@router.get("/simulator/telegram/{user}/files/{message_id}", tags=["simulator"])
async def telegram_file(user: str, message_id: int, request: Request) -> Response:
    """A file the bot sent to this user, as their Telegram app shows it."""
    simulated = _telegram(request)
    found = simulated.file(_user_id(user), message_id)
    if found is None:
        raise refused("NO_FILE")
    content, mime, _ = found
    mime = mime or "application/octet-stream"
    # anything else is saved, never opened on this origin
    shown = (mime.startswith(("image/", "audio/", "video/")) and mime != "image/svg+xml") \
        or mime == "application/pdf"
    return Response(content, media_type=mime,
                    headers={"x-content-type-options": "nosniff",
                             "content-disposition": "inline" if shown else "attachment"})
