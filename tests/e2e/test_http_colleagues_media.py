"""Colleague chats and media over real HTTP: a colleague hears about a question live over
graphql-transport-ws, and the unread count in their notifications; an operator removed from the
access group hears nothing more of their chats; files are served only through fresh signed URLs
to operators who may see the dialog; an oversize or unknown upload, or one the command refuses,
leaves nothing stored; the simulator's signed webhook payloads and WAHA's and the Cloud API's
documented ones become media of every kind, downloaded from the fakes."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import websockets

from application.ports import MediaFile
from application.routing import RemoveAccessMember
from infra.blobstore import LocalBlobStore
from infra.bootstrap import Container
from infra.channels.cloud.fake import FakeGraph, contact, media_message, notification
from infra.channels.waha.fake import FakeWaha
from infra.media_urls import MediaUrlSigner
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    caught_up,
    client_message,
    simulator_post,
    wait_for,
)
from tests.e2e.test_http_inbox import signed_in
from tests.e2e.test_http_routing import add_operator
from tests.e2e.test_webhook_cloud import cloud_app, connect, deliver
from tests.e2e.test_webhook_waha import link, waha_app

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
OGG = b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead" + b"\x00" * 100
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 100
PDF = b"%PDF-1.4\n" + b"0" * 300

INBOX = "{ inbox(first: 10) { edges { node { id client { phone } } } } }"
DIALOG = """query($id: ID!) { dialog(id: $id) { messages { text direction media { id kind
  mimeType size fileName caption durationSeconds latitude longitude place contactName
  contactPhones state noteCode url mapUrl } } } }"""
ASK = """mutation($d: ID!, $c: [ID!], $t: String!) { askColleague(dialogId: $d,
  colleagueIds: $c, text: $t) { __typename ... on PostColleagueMessageSuccess { chat { id kind
  title unreadCount } } ... on UserError { code message } } }"""
DISCUSSION = """query($d: ID!) { dialogDiscussion(dialogId: $d) { chat { kind title }
  messages { text mine author { displayName } } } }"""


def dialog_of(gql: GraphQLClient, phone: str) -> str:
    return str(wait_for(lambda: next((e["node"]["id"] for e in gql(INBOX)["inbox"]["edges"]
                                      if e["node"]["client"]["phone"] == phone), None)))


def media_of(gql: GraphQLClient, dialog_id: str, count: int,
             states: tuple[str, ...] = ("STORED", "NONE", "REFUSED", "FAILED")
             ) -> list[dict[str, Any]]:
    def ready() -> list[dict[str, Any]] | None:
        dialog = gql(DIALOG, {"id": dialog_id})["dialog"]
        if dialog is None:  # the inbox has not caught up with the message yet
            return None
        found = [m["media"] for m in dialog["messages"] if m["media"]]
        return found if len(found) >= count and all(m["state"] in states for m in found) \
            else None

    result: list[dict[str, Any]] = wait_for(ready, timeout=20)
    return result


# -- colleague chats live ------------------------------------------------------------------------
class Listener:
    """One graphql-transport-ws subscription whose payloads a thread of its own collects while
    the test goes on: `with Listener(server, token, query) as heard: … heard.received`."""

    def __init__(self, server: LiveServer, token: str | None, query: str) -> None:
        self.url = server.url.replace("http://", "ws://") + "/graphql"
        self.token = token or ""
        self.query = query
        self.received: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._collect()),
                                        daemon=True)

    async def _collect(self) -> None:
        async with websockets.connect(self.url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init",
                                      "payload": {"authorization": f"Bearer {self.token}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": self.query}}))
            self._ready.set()
            while not self._stop.is_set():
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 0.1))
                except TimeoutError:
                    continue
                if message["type"] == "next":
                    self.received.extend(message["payload"]["data"].values())

    def __enter__(self) -> Listener:
        self._thread.start()
        assert self._ready.wait(10), "the subscription did not start"
        time.sleep(0.3)  # the server registers the subscription
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


CHATS_CHANGED = ("subscription { colleagueChatsChanged { chatId unreadMessages chat { kind "
                 "title unreadCount lastMessage { text } } } }")
NOTICES_CHANGED = ("subscription { notificationsChanged { unreadCount colleagueUnread "
                   "notifications { id } } }")
NOTICES = "{ notifications { unreadCount colleagueUnread } }"
START_DIRECT = """mutation($c: ID!) { startDirectChat(colleagueId: $c) {
  ... on ColleagueChatSuccess { chat { id } } } }"""
POST = """mutation($g: ID!, $t: String!) { postColleagueMessage(chatId: $g, text: $t) {
  __typename } }"""


def test_a_colleague_asked_about_a_dialog_hears_it_live(live_server: LiveServer,
                                                        container: Container) -> None:
    bob_id = add_operator(container, "bob", queue=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    bob = signed_in(live_server, "bob", "bob-pass-1")
    simulator_post(live_server.url, client_message("+79161230001", "Is my order late?"))
    dialog_id = dialog_of(admin, "+79161230001")
    with Listener(live_server, bob.token, CHATS_CHANGED) as bob_hears:
        asked = admin(ASK, {"d": dialog_id, "c": [bob_id], "t": "Bob, is this the late order?"})
        assert asked["askColleague"]["__typename"] == "PostColleagueMessageSuccess", asked
        wait_for(lambda: bob_hears.received, timeout=10)
    change = bob_hears.received[-1]
    assert change["chat"]["kind"] == "DISCUSSION" and change["chat"]["title"] == "Ivan"
    assert change["chat"]["lastMessage"]["text"] == "Bob, is this the late order?"
    assert change["unreadMessages"] == 1
    seen = bob(DISCUSSION, {"d": dialog_id})["dialogDiscussion"]
    assert [(m["text"], m["mine"], m["author"]["displayName"]) for m in seen["messages"]] == [
        ("Bob, is this the late order?", False, "Administrator")]
    assert container.whatsapp.simulator is not None
    assert container.whatsapp.simulator.sent_to("+79161230001") == []  # never to the client


def test_a_colleagues_message_counts_in_the_other_members_notifications_live(
    live_server: LiveServer, container: Container
) -> None:
    bob_id = add_operator(container, "bob", queue=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    bob = signed_in(live_server, "bob", "bob-pass-1")
    chat_id = admin(START_DIRECT, {"c": bob_id})["startDirectChat"]["chat"]["id"]
    with Listener(live_server, bob.token, NOTICES_CHANGED) as bob_hears, \
            Listener(live_server, admin.token, NOTICES_CHANGED) as admin_hears:
        admin(POST, {"g": chat_id, "t": "Can you take the 9 o'clock?"})
        wait_for(lambda: bob_hears.received)
        assert bob_hears.received == [{"unreadCount": 0, "colleagueUnread": 1,
                                       "notifications": []}]
        assert bob(NOTICES)["notifications"] == {"unreadCount": 0, "colleagueUnread": 1}
        bob("mutation($c: ID!) { markColleagueChatRead(chatId: $c) { __typename } }",
            {"c": chat_id})
        wait_for(lambda: len(bob_hears.received) == 2)
        assert bob_hears.received[-1]["colleagueUnread"] == 0
        wait_for(lambda: caught_up(container))
        time.sleep(0.3)
    assert bob(NOTICES)["notifications"] == {"unreadCount": 0, "colleagueUnread": 0}
    assert len(bob_hears.received) == 2
    # The author is not told of their own message.
    assert admin_hears.received == []
    assert admin(NOTICES)["notifications"] == {"unreadCount": 0, "colleagueUnread": 0}


def test_an_operator_removed_from_the_access_group_hears_no_more_of_their_chats(
    live_server: LiveServer, container: Container
) -> None:
    bob_id = add_operator(container, "bob", queue=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    bob = signed_in(live_server, "bob", "bob-pass-1")
    chat_id = admin(START_DIRECT, {"c": bob_id})["startDirectChat"]["chat"]["id"]
    with Listener(live_server, bob.token, CHATS_CHANGED) as bob_hears, \
            Listener(live_server, bob.token, NOTICES_CHANGED) as bob_notices:
        admin(POST, {"g": chat_id, "t": "Still with us?"})
        wait_for(lambda: bob_hears.received and bob_notices.received)
        container.writer.execute_sync(RemoveAccessMember(
            operator_id=UUID(bob_id), at=datetime.now(UTC), actor="test"))
        wait_for(lambda: caught_up(container))
        heard, noticed = len(bob_hears.received), len(bob_notices.received)
        assert admin(POST, {"g": chat_id, "t": "Bob left: this is not for him"})[
            "postColleagueMessage"]["__typename"] == "PostColleagueMessageSuccess"
        wait_for(lambda: caught_up(container))
        time.sleep(0.5)
    assert len(bob_hears.received) == heard  # neither the chat's id nor that it moved
    assert len(bob_notices.received) == noticed
    assert all("Bob left" not in json.dumps(change) for change in bob_hears.received)


def test_colleague_chats_refuse_an_operator_outside_the_access_group(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=False, group=False)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    admin_id = wait_for(lambda: signed_in(live_server, "admin", ADMIN_PASSWORD)(
        "{ me { id } }")["me"]["id"])
    answer = olga("""mutation($c: ID!) { startDirectChat(colleagueId: $c) { __typename
      ... on UserError { code } } }""", {"c": admin_id})["startDirectChat"]
    assert answer == {"__typename": "UserError", "code": "NOT_IN_ACCESS_GROUP"}
    assert olga("{ colleagueChats { chats { id } unreadMessages } }")["colleagueChats"] == {
        "chats": [], "unreadMessages": 0}


CHAT = "__typename ... on ColleagueChatSuccess { chat { id kind title unreadCount " \
       "members { login } } } ... on UserError { code field }"
POSTED = "__typename ... on PostColleagueMessageSuccess { messageId duplicate chat { id } } " \
         "... on UserError { code field }"
CHAT_VIEW = """query($id: ID!) { colleagueChat(id: $id) { chat { unreadCount }
  messages { text mine editedAt author { login } } } }"""


def test_a_group_chat_through_every_colleague_mutation_and_refusals_change_nothing(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga")
    petr_id, ivan_id = add_operator(container, "petr"), add_operator(container, "ivan")
    olga = signed_in(live_server, "olga", "olga-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")

    direct = olga(f"mutation($c: ID!) {{ startDirectChat(colleagueId: $c) {{ {CHAT} }} }}",
                  {"c": petr_id})["startDirectChat"]
    again = olga(f"mutation($c: ID!) {{ startDirectChat(colleagueId: $c) {{ {CHAT} }} }}",
                 {"c": petr_id})["startDirectChat"]
    assert direct["chat"]["kind"] == "DIRECT" and again["chat"]["id"] == direct["chat"]["id"]
    refused = olga(f"mutation($c: ID!) {{ startDirectChat(colleagueId: $c) {{ {CHAT} }} }}",
                   {"c": "not-an-id"})["startDirectChat"]
    assert (refused["code"], refused["field"]) == ("NOT_FOUND", "colleagueId")

    start_group = f"""mutation($m: [ID!]!) {{ startGroupChat(title: "Shift", memberIds: $m)
      {{ {CHAT} }} }}"""
    alone = olga(start_group, {"m": []})["startGroupChat"]
    assert (alone["code"], alone["field"]) == ("INVALID_VALUE", "memberIds")
    group = olga(start_group, {"m": [petr_id]})["startGroupChat"]["chat"]
    added = olga(f"""mutation($g: ID!, $o: ID!) {{ addChatMember(chatId: $g, operatorId: $o)
      {{ {CHAT} }} }}""", {"g": group["id"], "o": ivan_id})["addChatMember"]
    assert sorted(m["login"] for m in added["chat"]["members"]) == ["ivan", "olga", "petr"]

    post = f"""mutation($g: ID!, $t: String!, $k: String) {{ postColleagueMessage(chatId: $g,
      text: $t, idempotencyKey: $k) {{ {POSTED} }} }}"""
    first = olga(post, {"g": group["id"], "t": "Who takes the 9 o'clock?", "k": "k1"})
    repeated = olga(post, {"g": group["id"], "t": "Who takes the 9 o'clock?", "k": "k1"})
    message_id = first["postColleagueMessage"]["messageId"]
    assert repeated["postColleagueMessage"] == {**first["postColleagueMessage"],
                                                "duplicate": True}
    edited = olga(f"""mutation($g: ID!, $m: ID!) {{ editColleagueMessage(chatId: $g,
      messageId: $m, text: "Who takes the 10 o'clock?") {{ {CHAT} }} }}""",
                  {"g": group["id"], "m": message_id})["editColleagueMessage"]
    assert edited["__typename"] == "ColleagueChatSuccess"
    not_hers = petr(f"""mutation($g: ID!, $m: ID!) {{ editColleagueMessage(chatId: $g,
      messageId: $m, text: "Mine now") {{ {CHAT} }} }}""",
                    {"g": group["id"], "m": message_id})["editColleagueMessage"]
    assert not_hers["__typename"] == "UserError"

    view = petr(CHAT_VIEW, {"id": group["id"]})["colleagueChat"]
    assert view["chat"]["unreadCount"] == 1
    assert [(m["text"], m["author"]["login"], m["mine"], m["editedAt"] is not None)
            for m in view["messages"]] == [("Who takes the 10 o'clock?", "olga", False, True)]
    read = petr(f"mutation($g: ID!) {{ markColleagueChatRead(chatId: $g) {{ {CHAT} }} }}",
                {"g": group["id"]})["markColleagueChatRead"]
    assert read["chat"]["unreadCount"] == 0

    left = petr("""mutation($g: ID!) { leaveChat(chatId: $g) { __typename
      ... on UserError { code } } }""", {"g": group["id"]})["leaveChat"]
    assert left == {"__typename": "Done"}
    assert petr(CHAT_VIEW, {"id": group["id"]})["colleagueChat"] is None
    gone = petr(post, {"g": group["id"], "t": "Still here?", "k": None})["postColleagueMessage"]
    assert gone["__typename"] == "UserError"
    assert len(olga(CHAT_VIEW, {"id": group["id"]})["colleagueChat"]["messages"]) == 1


# -- files: signed URLs, uploads -----------------------------------------------------------------
def phone_sends(server: LiveServer, phone: str, content: bytes, name: str,
                caption: str = "") -> httpx.Response:
    return httpx.post(f"{server.url}/simulator/phone/send-media",
                      data={"from": phone, "name": "Ivan", "caption": caption},
                      files={"file": (name, content, "application/octet-stream")}, timeout=15)


def test_a_file_is_served_through_a_fresh_signed_url_to_those_who_may_see_it(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    assert phone_sends(live_server, "+79161230002", PNG, "photo.png",
                       "my photo").status_code == 200
    dialog_id = dialog_of(admin, "+79161230002")
    [media] = media_of(admin, dialog_id, 1)
    assert (media["kind"], media["state"], media["caption"]) == ("IMAGE", "STORED", "my photo")
    served = httpx.get(live_server.url + media["url"], timeout=10)
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    # Olga is in the access group, but this dialog was not delivered to her: her URL is refused.
    olga_id = UUID(signed_in(live_server, "olga", "olga-pass-1")("{ me { id } }")["me"]["id"])
    signer = MediaUrlSigner("test-secret", 300)
    forged = signer.url(UUID(media["id"]), olga_id, datetime.now(UTC))
    assert httpx.get(live_server.url + forged, timeout=10).status_code == 403
    tampered = media["url"][:-3] + ("AAA" if not media["url"].endswith("AAA") else "BBB")
    assert httpx.get(live_server.url + tampered, timeout=10).status_code == 403
    guessed = f"{live_server.url}/media/files/{media['id']}"
    assert httpx.get(guessed, timeout=10).status_code == 403
    admin_id = UUID(admin("{ me { id } }")["me"]["id"])
    expired = signer.url(UUID(media["id"]), admin_id, datetime.now(UTC) - timedelta(hours=1))
    answer = httpx.get(live_server.url + expired, timeout=10)
    assert answer.status_code == 410 and answer.json()["code"] == "URL_EXPIRED"


def upload(server: LiveServer, token: str, dialog_id: str, content: bytes, name: str,
           caption: str = "") -> httpx.Response:
    return httpx.post(f"{server.url}/media/upload", headers={"authorization": f"Bearer {token}"},
                      data={"dialogId": dialog_id, "key": uuid.uuid4().hex, "caption": caption},
                      files={"file": (name, content, "image/png")}, timeout=15)


def test_an_uploaded_image_reaches_the_client_and_an_oversize_one_is_refused_unstored(
    live_server: LiveServer, container: Container
) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    simulator_post(live_server.url, client_message("+79161230003", "Send me the plan"))
    dialog_id = dialog_of(admin, "+79161230003")
    blobs = container.blobs
    assert isinstance(blobs, LocalBlobStore)
    kept = blobs.count()
    too_big = PNG + b"\x00" * container.settings.media_max_file_bytes
    refused = upload(live_server, admin.token or "", dialog_id, too_big, "huge.png")
    assert refused.status_code == 413 and refused.json()["code"] == "FILE_TOO_LARGE"
    disguised = upload(live_server, admin.token or "", dialog_id, b"MZ\x90\x00" + b"\x00" * 64,
                       "invoice.pdf")  # a program named like a document
    assert disguised.status_code == 415
    assert disguised.json()["code"] == "FILE_TYPE_NOT_ALLOWED"
    assert blobs.count() == kept  # nothing was stored
    assert upload(live_server, "not-a-token", dialog_id, PNG, "a.png").status_code == 401
    plan = PNG + uuid.uuid4().bytes
    sent = upload(live_server, admin.token or "", dialog_id, plan, "plan.png", "The plan")
    assert sent.status_code == 200, sent.text
    assert sent.json()["kind"] == "image" and sent.json()["mimeType"] == "image/png"
    assert blobs.count() == kept + 1
    phone = httpx.get(f"{live_server.url}/simulator/phone/+79161230003/messages", timeout=5)
    [message] = wait_for(lambda: httpx.get(
        f"{live_server.url}/simulator/phone/+79161230003/messages", timeout=5).json(),
        timeout=15)
    assert phone.status_code == 200
    assert message["text"] == "The plan" and message["media"]["kind"] == "image"
    [mine] = media_of(admin, dialog_id, 1)
    assert mine["state"] == "STORED" and mine["fileName"] == "plan.png"


def test_an_upload_refused_once_stored_is_not_kept(
    live_server: LiveServer, container: Container
) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    simulator_post(live_server.url, client_message("+79161230006", "Send me the invoice"))
    dialog_id = dialog_of(admin, "+79161230006")
    blobs = container.blobs
    assert isinstance(blobs, LocalBlobStore)
    kept = blobs.count()
    # WhatsApp out of service: the file passes every check on its bytes, the command refuses.
    assert admin("mutation { updateMessengerSettings(inService: false, "
                 "employeesMayWriteFirst: false) { __typename } }")
    refused = upload(live_server, admin.token or "", dialog_id, PNG + uuid.uuid4().bytes,
                     "invoice.png")
    assert refused.status_code >= 400 and refused.json()["code"] == "CHANNEL_NOT_READY"
    assert blobs.count() == kept


# -- the simulator, WAHA and the Cloud API: every kind from their documented payloads ------------
SIMULATOR_FILES = {"image": (PNG, "image/jpeg", ""), "document": (PDF, "application/pdf",
                                                                  "invoice.pdf"),
                   "voice": (OGG, "audio/ogg; codecs=opus", ""), "video": (MP4, "video/mp4", ""),
                   "sticker": (WEBP, "image/webp", "")}
MESSAGES = """query($id: ID!) { dialog(id: $id) { messages { text media { kind } } } }"""


def test_every_media_kind_through_the_signed_simulator_webhook(
    live_server: LiveServer, container: Container
) -> None:
    simulator = container.whatsapp.simulator
    assert simulator is not None
    phone = "+79161230007"
    payloads = []
    for kind, (content, mime, name) in SIMULATOR_FILES.items():
        file_id = simulator.upload(MediaFile(content=content, mime_type=mime, file_name=name))
        payloads.append({**client_message(phone, "the parcel" if kind == "image" else ""),
                         "media": {"kind": kind, "id": file_id, "mimetype": mime,
                                   "filename": name, "size": len(content),
                                   **({"duration": 4} if kind == "voice" else {})}})
    payloads.append({**client_message(phone, ""), "location": {
        "latitude": 55.7558, "longitude": 37.6173, "name": "Red Square", "address": "Moscow"}})
    payloads.append({**client_message(phone, ""), "contact": {
        "name": "Olga Petrova", "phones": ["+79160000001", "+79160000002"]}})
    for payload in payloads:
        answer = simulator_post(live_server.url, payload)  # signed as the CLI signs
        assert answer.status_code == 200 and answer.json()["status"] == "accepted", answer.text
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    dialog_id = dialog_of(admin, phone)
    found = {m["kind"]: m for m in media_of(admin, dialog_id, 7)}
    texts = {m["media"]["kind"]: m["text"]
             for m in admin(MESSAGES, {"id": dialog_id})["dialog"]["messages"]}
    assert set(found) == {"IMAGE", "DOCUMENT", "VOICE", "VIDEO", "STICKER", "LOCATION",
                          "CONTACT"}
    assert all(found[k]["state"] == "STORED" and found[k]["url"]
               for k in ("IMAGE", "DOCUMENT", "VOICE", "VIDEO", "STICKER"))
    assert (found["IMAGE"]["caption"], texts["IMAGE"]) == ("the parcel", "the parcel")
    assert found["IMAGE"]["mimeType"] == "image/png"  # what the bytes are, not the label
    assert (found["DOCUMENT"]["fileName"], found["DOCUMENT"]["mimeType"],
            found["DOCUMENT"]["size"]) == ("invoice.pdf", "application/pdf", len(PDF))
    assert texts["DOCUMENT"] == "[document: invoice.pdf]"
    assert (found["VOICE"]["mimeType"], found["VOICE"]["durationSeconds"]) == ("audio/ogg", 4)
    assert (found["VIDEO"]["mimeType"], found["STICKER"]["mimeType"]) == ("video/mp4",
                                                                          "image/webp")
    location = found["LOCATION"]
    assert (location["latitude"], location["longitude"], location["place"], location["state"]) \
        == (55.7558, 37.6173, "Red Square, Moscow", "NONE")
    assert "openstreetmap.org" in location["mapUrl"]
    assert texts["LOCATION"] == "[location: Red Square, Moscow]"
    assert (found["CONTACT"]["contactName"], found["CONTACT"]["contactPhones"]) == (
        "Olga Petrova", ["+79160000001", "+79160000002"])
    assert texts["CONTACT"] == "[contact: Olga Petrova]"


def test_the_phone_shares_one_location_or_contact_and_a_sticker_is_an_image(
    live_server: LiveServer, container: Container
) -> None:
    share = f"{live_server.url}/simulator/phone/share"
    both = httpx.post(share, json={"from": "+79161230008", "contact": {"name": "Olga"},
                                   "location": {"latitude": 55.7, "longitude": 37.6}})
    neither = httpx.post(share, json={"from": "+79161230008", "caption": "here"})
    nobody = httpx.post(share, json={"from": "+79161230008", "contact": {"phones": []}})
    off_map = httpx.post(share, json={"from": "+79161230008",
                                      "location": {"latitude": 95, "longitude": 37.6}})
    document = httpx.post(f"{live_server.url}/simulator/phone/send-media",
                          data={"from": "+79161230008", "sticker": "true"},
                          files={"file": ("a.pdf", PDF, "application/pdf")}, timeout=15)
    assert [r.status_code for r in (both, neither, nobody, off_map, document)] == [422] * 5
    assert "one of them" in both.json()["detail"] and "sticker is an image" in \
        document.json()["detail"]
    shared = httpx.post(share, json={"from": "+79161230008", "name": "Ivan", "caption": "here",
                                     "location": {"latitude": 55.7, "longitude": 37.6}})
    assert shared.status_code == 200 and shared.json()["status"] == "accepted"
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    dialog_id = dialog_of(admin, "+79161230008")
    assert [(m["text"], m["media"]["kind"]) for m in admin(MESSAGES, {"id": dialog_id})[
        "dialog"]["messages"]] == [("here", "LOCATION")]  # the refused ones recorded nothing


@pytest.fixture
def fake_waha() -> Iterator[FakeWaha]:
    server = FakeWaha().start()
    try:
        yield server
    finally:
        server.stop()


def test_every_media_kind_from_waha(database_url: str, fake_waha: FakeWaha) -> None:
    with waha_app(database_url, fake_waha) as (container, server):
        link(container, fake_waha)
        sender = "79161230004@c.us"
        fake_waha.file_failures = 1  # WAHA stumbles once: the file comes on the next attempt
        fake_waha.client_sends_media(sender, content=PNG, mimetype="image/jpeg",
                                     data_type="image", caption="the parcel")
        fake_waha.client_sends_media(sender, content=PDF, mimetype="application/pdf",
                                     filename="invoice.pdf", data_type="document")
        fake_waha.client_sends_media(sender, content=OGG, mimetype="audio/ogg; codecs=opus",
                                     data_type="ptt", _data={"type": "ptt", "duration": "4"})
        fake_waha.client_sends_media(sender, content=MP4, mimetype="video/mp4",
                                     data_type="video")
        fake_waha.client_sends_media(sender, content=WEBP, mimetype="image/webp",
                                     data_type="sticker")
        fake_waha.client_sends_media(sender, data_type="location", location={
            "latitude": "55.7558", "longitude": "37.6173", "description": "Red Square"})
        fake_waha.client_sends_media(sender, data_type="vcard", vCards=[
            "BEGIN:VCARD\nVERSION:3.0\nFN:Olga Petrova\nTEL;type=CELL;waid=79160000001:"
            "+7 916 000-00-01\nEND:VCARD"])
        fake_waha.wait_for_hooks(7 + 2)
        admin = signed_in(server, "admin", ADMIN_PASSWORD)
        dialog_id = dialog_of(admin, "+79161230004")
        found = {m["kind"]: m for m in media_of(admin, dialog_id, 7)}
    assert set(found) == {"IMAGE", "DOCUMENT", "VOICE", "VIDEO", "STICKER", "LOCATION",
                          "CONTACT"}
    assert (found["IMAGE"]["state"], found["IMAGE"]["caption"]) == ("STORED", "the parcel")
    assert found["IMAGE"]["mimeType"] == "image/png"  # what the bytes are, not the label
    assert found["DOCUMENT"]["fileName"] == "invoice.pdf"
    assert (found["VOICE"]["mimeType"], found["VOICE"]["durationSeconds"]) == ("audio/ogg", 4)
    assert found["VIDEO"]["state"] == found["STICKER"]["state"] == "STORED"
    assert (found["LOCATION"]["latitude"], found["LOCATION"]["place"]) == (55.7558,
                                                                          "Red Square")
    assert "openstreetmap.org" in found["LOCATION"]["mapUrl"]
    assert found["CONTACT"]["contactName"] == "Olga Petrova"
    assert found["CONTACT"]["contactPhones"] == ["+7 916 000-00-01"]


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph().start()
    try:
        yield fake
    finally:
        fake.stop()


def test_every_media_kind_from_the_cloud_api(database_url: str, graph: FakeGraph) -> None:
    files = {"1001": (PNG, "image/jpeg"), "1002": (PDF, "application/pdf"),
             "1003": (OGG, "audio/ogg; codecs=opus"), "1004": (MP4, "video/mp4"),
             "1005": (WEBP, "image/webp")}
    graph.media.update(files)
    sender = "79161230005"
    with cloud_app(database_url, graph) as (container, server):
        connect(container)
        answer = deliver(server, notification(contacts=[contact(sender, "Ivan")], messages=[
            media_message(sender, "image", "1001", mime_type="image/jpeg", caption="parcel"),
            media_message(sender, "document", "1002", mime_type="application/pdf",
                          filename="invoice.pdf"),
            media_message(sender, "audio", "1003", mime_type="audio/ogg; codecs=opus",
                          voice=True),
            media_message(sender, "video", "1004", mime_type="video/mp4"),
            media_message(sender, "sticker", "1005", mime_type="image/webp", animated=False),
            {"from": sender, "id": "wamid.LOC", "timestamp": str(int(time.time())),
             "type": "location", "location": {"latitude": 59.9343, "longitude": 30.3351,
                                              "name": "Hermitage", "address": "Palace Sq. 2"}},
            {"from": sender, "id": "wamid.VCARD", "timestamp": str(int(time.time())),
             "type": "contacts", "contacts": [{"name": {"formatted_name": "Olga Petrova",
                                                        "first_name": "Olga"},
                                               "phones": [{"phone": "+7 916 000-00-01",
                                                           "wa_id": "79160000001",
                                                           "type": "CELL"}]}]},
        ]))
        assert answer.status_code == 200 and answer.json()["accepted"] == 7, answer.text
        admin = signed_in(server, "admin", ADMIN_PASSWORD)
        dialog_id = dialog_of(admin, "+79161230005")
        found = {m["kind"]: m for m in media_of(admin, dialog_id, 7)}
        wait_for(lambda: caught_up(container))
    assert set(found) == {"IMAGE", "DOCUMENT", "VOICE", "VIDEO", "STICKER", "LOCATION",
                          "CONTACT"}
    assert all(found[k]["state"] == "STORED" for k in ("IMAGE", "DOCUMENT", "VOICE", "VIDEO",
                                                       "STICKER"))
    assert found["IMAGE"]["caption"] == "parcel"
    assert found["DOCUMENT"]["fileName"] == "invoice.pdf"
    assert found["LOCATION"]["place"] == "Hermitage, Palace Sq. 2"
    assert found["CONTACT"]["contactPhones"] == ["+7 916 000-00-01"]
