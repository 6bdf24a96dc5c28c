"""The access group over real HTTP, on the fields the routing tests leave out: an operator taken
out of the group reads and sends nothing through any query, mutation, subscription or file
route that touches client messages — while a member (the admin) still hears the same changes.
And a reply takes an unheld dialog; a reply in another operator's dialog is refused, unqueued."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import httpx
import sqlalchemy as sa

from infra.bootstrap import Container
from projections import outbox as outbox_view
from tests.conftest import (
    ADMIN_PASSWORD,
    LiveServer,
    caught_up,
    client_message,
    simulator_post,
    wait_for,
)
from tests.e2e.test_http_colleagues_media import (
    ASK,
    DISCUSSION,
    PNG,
    Listener,
    dialog_of,
    media_of,
    phone_sends,
    upload,
)
from tests.e2e.test_http_inbox import DIALOG, signed_in
from tests.e2e.test_http_outbox import MESSENGER, RETRY, START, phone_messages, send
from tests.e2e.test_http_routing import GROUP, add_operator, inbox

PHONE = "+79161230077"
CHAT_VIEW = "query($id: ID!) { colleagueChat(id: $id) { messages { text } } }"
HOLDER = """query($id: ID!) { dialog(id: $id) { entry { status assignee { displayName } }
  messages { direction text } } }"""


def subscriptions(dialog_id: str) -> dict[str, str]:
    return {
        "inboxChanged": "subscription { inboxChanged { dialog { id lastMessage { text } } } }",
        "notificationsChanged": "subscription { notificationsChanged { unreadCount "
                                "notifications { text } } }",
        "outgoingChanged": f'subscription {{ outgoingChanged(dialogId: "{dialog_id}") '
                           "{ dialogId messageIds } }",
        "mediaChanged": f'subscription {{ mediaChanged(dialogId: "{dialog_id}") '
                        "{ dialogId messageIds } }",
    }


def test_an_operator_outside_the_access_group_is_refused_on_every_field_of_client_messages(
    live_server: LiveServer, container: Container
) -> None:
    olga_id = add_operator(container, "olga")
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    admin_id = admin("{ me { id } }")["me"]["id"]
    admin(MESSENGER, {"w": True})  # employees may write first: startDialog is not refused for that
    assert phone_sends(live_server, PHONE, PNG, "photo.png").status_code == 200
    dialog_id = dialog_of(olga, PHONE)
    [media] = media_of(olga, dialog_id, 1)  # her signed URL, issued while she is a member
    assert httpx.get(live_server.url + media["url"], timeout=10).status_code == 200
    sent = send(olga, dialog_id, "One moment, please.")
    assert sent["__typename"] == "SendMessageSuccess"
    message_id = sent["outgoing"]["id"]
    asked = olga(ASK, {"d": dialog_id, "c": [admin_id], "t": "Is this our plan?"})["askColleague"]
    assert asked["__typename"] == "PostColleagueMessageSuccess"
    discussion_id = asked["chat"]["id"]
    assert olga(DISCUSSION, {"d": dialog_id})["dialogDiscussion"] is not None
    received = wait_for(lambda: phone_messages(live_server, PHONE))

    removed = admin(GROUP, {"id": olga_id})["removeAccessGroupMember"]
    assert {"login": "olga"} not in removed["members"]
    wait_for(lambda: caught_up(container) and inbox(olga) == [])

    def refused(answer: dict[str, Any]) -> str:
        (result,) = answer.values()
        return str(result["code"])

    assert send(olga, dialog_id, "Still here?")["code"] == "NOT_IN_ACCESS_GROUP"
    assert refused(olga(START, {"p": "+79161230078", "t": "Hello"})) == "NOT_IN_ACCESS_GROUP"
    assert refused(olga(START, {"p": PHONE, "t": "Hello again"})) == "NOT_IN_ACCESS_GROUP"
    assert refused(olga(RETRY, {"id": message_id})) == "NOT_IN_ACCESS_GROUP"
    assert refused(olga(ASK, {"d": dialog_id, "c": [admin_id], "t": "And now?"})) == (
        "NOT_IN_ACCESS_GROUP")
    assert olga(DISCUSSION, {"d": dialog_id})["dialogDiscussion"] is None
    assert olga(CHAT_VIEW, {"id": discussion_id})["colleagueChat"] is None
    chats = olga("{ colleagueChats(includeDiscussions: true) { chats { id } } }")
    assert chats["colleagueChats"]["chats"] == []
    seen = olga("mutation { markNotificationsRead { __typename ... on NotificationList { "
                "unreadCount items { text } } ... on UserError { code } } }")
    assert seen["markNotificationsRead"] == {"__typename": "NotificationList",
                                             "unreadCount": 0, "items": []}
    assert olga(DIALOG, {"id": dialog_id})["dialog"] is None
    uploaded = upload(live_server, olga.token or "", dialog_id, PNG, "plan.png")
    assert (uploaded.status_code, uploaded.json()["code"]) == (404, "NOT_FOUND")
    served = httpx.get(live_server.url + media["url"], timeout=10)
    assert (served.status_code, served.json()["code"]) == (403, "FORBIDDEN")

    # Live: the same four subscriptions for her and for the admin, then the dialog changes.
    queries = subscriptions(dialog_id)
    with contextlib.ExitStack() as stack:
        listeners = {(who, name): stack.enter_context(Listener(live_server, token, query))
                     for who, token in (("olga", olga.token), ("admin", admin.token))
                     for name, query in queries.items()}
        assert phone_sends(live_server, PHONE, PNG, "another.png").status_code == 200
        ack = httpx.post(f"{live_server.url}/simulator/phone/ack", timeout=10, json={
            "number": PHONE, "id": received[0]["id"], "status": "read"})
        assert ack.status_code == 200, ack.text
        wait_for(lambda: all(listeners[("admin", name)].received for name in queries),
                 timeout=20)
        time.sleep(0.5)  # anything for her would have come by now
    heard = {name: listeners[("olga", name)].received for name in queries}
    assert heard == {name: [] for name in queries}


def test_a_reply_takes_an_unheld_dialog_and_one_in_a_held_dialog_is_refused_unqueued(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga")
    add_operator(container, "petr")
    olga = signed_in(live_server, "olga", "olga-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")
    simulated = simulator_post(live_server.url, client_message(PHONE, "Where is my order?"))
    dialog_id = str(simulated.json()["dialog_id"])
    wait_for(lambda: inbox(olga) and inbox(petr))
    assert olga(HOLDER, {"id": dialog_id})["dialog"]["entry"] == {"status": "OPEN",
                                                                  "assignee": None}
    assert send(olga, dialog_id, "It leaves today.")["__typename"] == "SendMessageSuccess"
    wait_for(lambda: olga(HOLDER, {"id": dialog_id})["dialog"]["entry"] == {
        "status": "ASSIGNED", "assignee": {"displayName": "Olga"}})
    refused = send(petr, dialog_id, "I can help too!")
    assert (refused["__typename"], refused["code"]) == ("UserError", "ALREADY_TAKEN")
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        queued = conn.execute(sa.select(outbox_view.outbox.c.text_preview)).scalars().all()
    assert queued == ["It leaves today."]
    wait_for(lambda: phone_messages(live_server, PHONE))  # the job ran: only hers went out
    assert [m["text"] for m in phone_messages(live_server, PHONE)] == ["It leaves today."]
    shown = olga(HOLDER, {"id": dialog_id})["dialog"]["messages"]
    assert [(m["direction"], m["text"]) for m in shown] == [
        ("IN", "Where is my order?"), ("OUT", "It leaves today.")]
