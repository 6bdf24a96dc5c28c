"""The panel in Debian's chromium: an operator asks a colleague about a dialog and the colleague
sees it live (in the chats and the notifications); a photo a client sends from the phone page
shows inline, opens in a viewer; a location shared from the phone page arrives as coordinates
with a map link, a contact with its numbers, a sticker inline."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, OLGA, PanelServer
from tests.e2e.test_panel import row, sign_in

pytestmark = pytest.mark.browser


def png(width: int = 48, height: int = 32) -> bytes:
    """A real picture (a teal gradient), so the browser has something to draw."""
    raw = b"".join(b"\x00" + bytes(v for x in range(width) for v in (
        20, 100 + x * 2, 100 + y * 4)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def open_dialog(page: Page, name: str) -> None:
    row(page, name).click()
    expect(page.get_by_role("article")).to_be_visible()


def test_a_colleague_asked_about_a_dialog_sees_the_question_live(
    panel_server: PanelServer, new_page: Any, screenshot: Any
) -> None:
    admin = sign_in(new_page(), panel_server, ADMIN)
    olga = sign_in(new_page(), panel_server, OLGA)
    panel_server.send("+79161234501", "My parcel never came", name="Anna")
    open_dialog(admin, "Anna")

    discussion = admin.locator("[data-discussion]")
    discussion.get_by_role("button", name="Ask a colleague").click()
    expect(discussion).to_contain_text("nothing written here is sent to the client")
    discussion.locator("[data-ask-colleague='olga']").check()
    discussion.get_by_label("Question for colleagues").fill("Olga, did we ship Anna's parcel?")
    discussion.get_by_role("button", name="Ask", exact=True).click()
    expect(discussion.locator("[data-chat-message]")).to_have_count(1)
    # The reply box is untouched: the question is not a message to the client.
    expect(admin.locator(".dialog-scroll .msg")).to_have_count(1)
    screenshot(admin, "ask-colleague")

    # Olga hears it live: the unread count in her navigation and in her notifications, which
    # lead her to the question itself.
    expect(olga.locator("[data-colleague-unread]")).to_have_text("1")
    olga.locator(".bell-button").click()
    notice = olga.locator("[data-colleague-notice]")
    expect(notice).to_have_text("1 unread colleague message")
    notice.click()
    expect(olga).to_have_url(f"{panel_server.url}/colleagues")
    chat = olga.locator("a[data-chat-id]", has_text="Anna")
    expect(chat).to_contain_text("did we ship")
    chat.click()
    expect(olga.locator("[data-open-chat]")).to_contain_text("Olga, did we ship Anna's parcel?")
    expect(olga.locator("[data-colleague-unread]")).to_have_count(0)
    olga.locator(".bell-button").click()
    expect(olga.locator("#notifications")).to_be_visible()
    expect(olga.locator("[data-colleague-notice]")).to_have_count(0)
    olga.keyboard.press("Escape")
    olga.get_by_label("Message to colleagues").fill("Yes, yesterday: tracking AB123.")
    olga.get_by_role("button", name="Send", exact=True).click()
    screenshot(olga, "colleague-chat")

    expect(admin.locator("[data-discussion] [data-chat-message]")).to_have_count(2)
    expect(admin.locator("[data-discussion]")).to_contain_text("tracking AB123")
    with httpx.Client() as http:
        sent = http.get(f"{panel_server.url}/simulator/phone/+79161234501/messages").json()
    assert sent == []  # nothing reached the client's phone


def test_a_photo_sent_from_the_phone_page_shows_inline_and_opens_in_a_viewer(
    panel_server: PanelServer, new_page: Any, screenshot: Any, tmp_path: Any
) -> None:
    admin = sign_in(new_page(), panel_server, ADMIN)
    phone = new_page()
    phone.goto(panel_server.url + "/phone")
    phone.get_by_label("Your phone number").fill("+79161234502")
    phone.get_by_label("Your name").fill("Boris")
    phone.get_by_label("Message").fill("Here is the broken part")
    picture = tmp_path / "broken-part.png"
    picture.write_bytes(png())
    phone.locator("[data-phone-file]").set_input_files(str(picture))
    expect(phone.locator("li[data-sent]")).to_contain_text("broken-part.png")
    screenshot(phone, "phone-photo")

    open_dialog(admin, "Boris")
    image = admin.locator(".dialog-scroll img.media-image")
    expect(image).to_be_visible(timeout=15_000)
    expect(admin.locator(".dialog-scroll .media-caption")).to_have_text("Here is the broken part")
    admin.wait_for_function(
        "() => document.querySelector('.dialog-scroll img.media-image')?.naturalWidth === 48")
    screenshot(admin, "photo-inline")
    admin.get_by_role("button", name="Open: Photo").click()
    viewer = admin.locator("dialog.media-viewer[open]")
    expect(viewer.locator("img")).to_be_visible()
    screenshot(admin, "photo-viewer")
    viewer.get_by_role("button", name="Close").click()
    expect(viewer).to_have_count(0)


def test_a_location_a_contact_and_a_sticker_shared_from_the_phone_page(
    panel_server: PanelServer, new_page: Any, screenshot: Any, tmp_path: Any
) -> None:
    admin = sign_in(new_page(), panel_server, ADMIN)
    phone = new_page()
    phone.goto(panel_server.url + "/phone")
    phone.get_by_label("Your phone number").fill("+79161234504")
    phone.get_by_label("Your name").fill("Galina")
    phone.get_by_label("Latitude").fill("55.7558")
    phone.get_by_label("Longitude").fill("37.6173")
    phone.get_by_label("Place (optional)").fill("Red Square")
    phone.get_by_role("button", name="Send the location").click()
    expect(phone.locator("li[data-sent]")).to_contain_text("Location: Red Square")
    phone.get_by_label("Contact's name").fill("Olga Petrova")
    phone.get_by_label("Phone numbers, comma-separated").fill("+79160000001, +79160000002")
    phone.get_by_role("button", name="Send the contact").click()
    expect(phone.locator("li[data-sent]").nth(1)).to_contain_text("Contact: Olga Petrova")
    sticker = tmp_path / "thumbs-up.png"
    sticker.write_bytes(png(24, 24))
    phone.locator("[data-phone-sticker]").set_input_files(str(sticker))
    expect(phone.locator("li[data-sent]").nth(2)).to_contain_text("Sticker: thumbs-up.png")
    screenshot(phone, "phone-share")

    open_dialog(admin, "Galina")
    location = admin.locator(".dialog-scroll [data-media='LOCATION']")
    expect(location).to_contain_text("Red Square")
    expect(location.locator(".media-coords")).to_have_text("55.75580, 37.61730")
    link = location.get_by_role("link", name="Show on the map")
    expect(link).to_have_attribute("href", re.compile(
        r"^https://www\.openstreetmap\.org/.*55\.7558.*37\.6173"))
    expect(link).to_have_attribute("target", "_blank")
    contact = admin.locator(".dialog-scroll [data-media='CONTACT']")
    expect(contact).to_contain_text("Olga Petrova")
    expect(contact.get_by_role("link", name="+79160000002")).to_have_attribute(
        "href", "tel:+79160000002")
    expect(admin.locator(".dialog-scroll img.media-sticker")).to_be_visible(timeout=15_000)
    screenshot(admin, "location-contact-sticker")


def test_an_operator_sends_a_document_to_the_client(
    panel_server: PanelServer, new_page: Any, tmp_path: Any
) -> None:
    admin = sign_in(new_page(), panel_server, ADMIN)
    panel_server.send("+79161234503", "Please send the contract", name="Vera")
    open_dialog(admin, "Vera")
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(b"%PDF-1.4\n% a contract\n" + b"0" * 500)
    admin.locator("[data-attach-file]").set_input_files(str(contract))
    admin.get_by_label("Caption (optional)").fill("The contract")
    admin.get_by_role("button", name="Send the file").click()
    expect(admin.locator(".dialog-scroll a.media-document")).to_contain_text("contract.pdf")

    def delivered() -> list[dict[str, Any]]:
        return [m for m in httpx.get(
            f"{panel_server.url}/simulator/phone/+79161234503/messages").json() if m["media"]]

    for _ in range(100):
        if delivered():
            break
        admin.wait_for_timeout(100)
    [message] = delivered()
    assert message["text"] == "The contract" and message["media"]["kind"] == "document"
