"""The Bot API gateway against a fake Bot API on loopback: the bot and its webhook, sends and
their pacing, files both ways, and Telegram's refusals as GatewayErrors. Time is a fake clock
whose sleep only records and advances: nothing here waits."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from application.ports import GatewayError, MediaFile
from infra.channels.telegram.fake import BOT_USERNAME, SECRET, TOKEN, FakeBotApi
from infra.channels.telegram.gateway import BotApiTelegramGateway

CHAT = 4242
CLIENT = f"tg:{CHAT}"


class FakeTime:
    """A monotonic clock for the gateway; `sleep` records how long and moves the clock on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


def gateway_for(fake: FakeBotApi, time_: FakeTime, token: str = TOKEN
                ) -> BotApiTelegramGateway:
    return BotApiTelegramGateway(fake.url, token, per_chat_per_second=1.0,
                                 per_bot_per_second=30.0, clock=time_.clock, sleep=time_.sleep)


@pytest.fixture
def gateway(telegram: FakeBotApi, time_: FakeTime) -> Iterator[BotApiTelegramGateway]:
    built = gateway_for(telegram, time_)
    yield built
    built.close()


# -- the bot and its webhook -------------------------------------------------------------------
def test_get_me_answers_the_bot_behind_the_token(gateway: BotApiTelegramGateway) -> None:
    me = gateway.get_me()
    assert me["username"] == BOT_USERNAME
    assert me["is_bot"] is True


def test_set_webhook_registers_the_url_the_secret_and_the_update_kinds(
        gateway: BotApiTelegramGateway, telegram: FakeBotApi) -> None:
    assert gateway.set_webhook("https://sb.example/webhooks/telegram", SECRET) is True
    assert telegram.webhook == {"url": "https://sb.example/webhooks/telegram",
                                "secret_token": SECRET,
                                "allowed_updates": ["message", "edited_message"]}
    info = gateway.webhook_info()
    assert info["url"] == "https://sb.example/webhooks/telegram"
    assert info["pending_update_count"] == 0
    assert info["allowed_updates"] == ["message", "edited_message"]


def test_a_secret_with_characters_telegram_does_not_allow_is_a_bad_request(
        gateway: BotApiTelegramGateway) -> None:
    with pytest.raises(GatewayError) as refused:
        gateway.set_webhook("https://sb.example/webhooks/telegram", "not allowed!")
    assert refused.value.code == "TELEGRAM_BAD_REQUEST"
    assert "unallowed characters" in refused.value.message
    assert not refused.value.retryable


def test_delete_webhook_leaves_no_webhook(gateway: BotApiTelegramGateway,
                                          telegram: FakeBotApi) -> None:
    gateway.set_webhook("https://sb.example/webhooks/telegram", SECRET)
    assert gateway.delete_webhook() is True
    assert gateway.webhook_info()["url"] == ""


def test_the_token_is_kept_out_of_httpx_request_logs(gateway: BotApiTelegramGateway,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="httpx"):
        gateway.get_me()
    logged = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert logged, "httpx logged no request"
    assert all(TOKEN not in line and "/bot<token>/getMe" in line for line in logged)


# -- sending -----------------------------------------------------------------------------------
def test_a_text_is_sent_once_and_named_by_chat_and_message_id(
        gateway: BotApiTelegramGateway, telegram: FakeBotApi) -> None:
    first = gateway.send_text(CLIENT, "Hello from Acme", "key-1")
    second = gateway.send_text(CLIENT, "Anything else?", "key-2")
    assert (first, second) == (f"{CHAT}:1", f"{CHAT}:2")
    assert [m["text"] for m in telegram.sent(CHAT)] == ["Hello from Acme", "Anything else?"]
    assert telegram.calls["sendMessage"] == 2


def test_a_photo_goes_as_a_multipart_upload_with_its_caption(
        gateway: BotApiTelegramGateway, telegram: FakeBotApi) -> None:
    picture = MediaFile(content=b"\xff\xd8\xff\xe0jpeg-bytes", mime_type="image/jpeg",
                        file_name="receipt.jpg")
    sent = gateway.send_media(CLIENT, "image", picture, "Your receipt", "key-1")
    assert sent == f"{CHAT}:1"
    [message] = telegram.sent(CHAT)
    assert message["method"] == "sendPhoto"
    assert message["caption"] == "Your receipt"
    assert (message["content"], message["file_name"], message["mime_type"]) == (
        picture.content, "receipt.jpg", "image/jpeg")


def test_anything_but_an_image_goes_as_a_document(gateway: BotApiTelegramGateway,
                                                  telegram: FakeBotApi) -> None:
    contract = MediaFile(content=b"%PDF-1.7 contract", mime_type="application/pdf",
                         file_name="contract.pdf")
    gateway.send_media(CLIENT, "document", contract, "Please sign", "key-1")
    [message] = telegram.sent(CHAT)
    assert message["method"] == "sendDocument"
    assert (message["caption"], message["file_name"], message["content"]) == (
        "Please sign", "contract.pdf", b"%PDF-1.7 contract")


def test_a_text_over_4096_characters_is_refused_without_calling_telegram(
        gateway: BotApiTelegramGateway, telegram: FakeBotApi) -> None:
    with pytest.raises(GatewayError) as refused:
        gateway.send_text(CLIENT, "x" * 4097, "key-1")
    assert refused.value.code == "TEXT_TOO_LONG"
    assert not refused.value.retryable
    assert telegram.calls["sendMessage"] == 0


def test_a_caption_over_1024_characters_is_refused_without_calling_telegram(
        gateway: BotApiTelegramGateway, telegram: FakeBotApi) -> None:
    with pytest.raises(GatewayError) as refused:
        gateway.send_media(CLIENT, "image", MediaFile(b"jpeg", "image/jpeg"), "c" * 1025, "k")
    assert refused.value.code == "CAPTION_TOO_LONG"
    assert not refused.value.retryable
    assert telegram.calls["sendPhoto"] == 0


def test_a_recipient_that_is_not_a_telegram_chat_is_refused(
        gateway: BotApiTelegramGateway) -> None:
    with pytest.raises(GatewayError) as refused:
        gateway.send_text("+79161234567", "Hello", "key-1")
    assert refused.value.code == "TELEGRAM_BAD_REQUEST"
    assert not refused.value.retryable


def test_an_image_over_10_mb_goes_as_a_document(gateway: BotApiTelegramGateway,
                                                telegram: FakeBotApi) -> None:
    big = MediaFile(content=b"\xff" * (10 * 1024 * 1024 + 1), mime_type="image/png",
                    file_name="scan.png")
    gateway.send_media(CLIENT, "image", big, "", "key-1")
    [message] = telegram.sent(CHAT)
    assert message["method"] == "sendDocument"
    assert message["file_name"] == "scan.png"


# -- Telegram's refusals -------------------------------------------------------------------------
def test_a_wrong_token_is_unauthorized_and_not_retried(telegram: FakeBotApi,
                                                       time_: FakeTime) -> None:
    gateway = gateway_for(telegram, time_, token="987654321:AAwrong-token")
    with pytest.raises(GatewayError) as refused:
        gateway.send_text(CLIENT, "Hello", "key-1")
    gateway.close()
    assert refused.value.code == "TELEGRAM_UNAUTHORIZED"
    assert not refused.value.retryable
    assert "Unauthorized" in refused.value.message
    assert "AAwrong-token" not in refused.value.message


def test_a_malformed_token_is_unauthorized_too(telegram: FakeBotApi, time_: FakeTime) -> None:
    gateway = gateway_for(telegram, time_, token="not-a-token")
    with pytest.raises(GatewayError) as refused:
        gateway.get_me()
    gateway.close()
    assert refused.value.code == "TELEGRAM_UNAUTHORIZED"


def test_a_user_who_blocked_the_bot_is_forbidden_and_not_retried(
        gateway: BotApiTelegramGateway, telegram: FakeBotApi) -> None:
    telegram.block(CHAT)
    with pytest.raises(GatewayError) as refused:
        gateway.send_text(CLIENT, "Hello", "key-1")
    assert refused.value.code == "TELEGRAM_FORBIDDEN"
    assert not refused.value.retryable
    assert "blocked by the user" in refused.value.message


def test_telegram_down_is_retryable(gateway: BotApiTelegramGateway,
                                    telegram: FakeBotApi) -> None:
    telegram.down = True
    with pytest.raises(GatewayError) as refused:
        gateway.send_text(CLIENT, "Hello", "key-1")
    assert refused.value.retryable
    assert refused.value.code == "GATEWAY_REFUSED"


def test_an_unreachable_api_is_retryable(time_: FakeTime) -> None:
    stopped = FakeBotApi().start()
    url = stopped.url
    stopped.stop()
    gateway = BotApiTelegramGateway(url, TOKEN, clock=time_.clock, sleep=time_.sleep)
    with pytest.raises(GatewayError) as refused:
        gateway.get_me()
    gateway.close()
    assert refused.value.code == "GATEWAY_UNREACHABLE"
    assert refused.value.retryable
    assert TOKEN not in refused.value.message


def test_too_many_requests_holds_every_send_until_retry_after(
        gateway: BotApiTelegramGateway, telegram: FakeBotApi, time_: FakeTime) -> None:
    telegram.rate_limit(retry_after=5)
    with pytest.raises(GatewayError) as limited:
        gateway.send_text(CLIENT, "Hello", "key-1")
    assert limited.value.code == "RATE_LIMITED"
    assert limited.value.retryable
    assert telegram.calls["sendMessage"] == 1

    time_.now += 4.5
    with pytest.raises(GatewayError) as held:
        gateway.send_text("tg:777", "Another chat", "key-2")
    assert held.value.code == "RATE_LIMITED"
    assert telegram.calls["sendMessage"] == 1  # Telegram was not asked

    time_.now += 0.5
    assert gateway.send_text("tg:777", "Another chat", "key-2") == "777:1"
    assert telegram.calls["sendMessage"] == 2


# -- pacing ------------------------------------------------------------------------------------
def test_two_sends_to_one_chat_are_a_second_apart(gateway: BotApiTelegramGateway,
                                                  telegram: FakeBotApi,
                                                  time_: FakeTime) -> None:
    gateway.send_text(CLIENT, "One", "key-1")
    gateway.send_text(CLIENT, "Two", "key-2")
    assert time_.sleeps == [pytest.approx(1.0)]
    assert len(telegram.sent(CHAT)) == 2


def test_sends_to_different_chats_are_paced_to_thirty_a_second(
        gateway: BotApiTelegramGateway, time_: FakeTime) -> None:
    for chat in (1, 2, 3):
        gateway.send_text(f"tg:{chat}", "Hello", f"key-{chat}")
    assert time_.sleeps == [pytest.approx(1 / 30), pytest.approx(1 / 30)]


def test_a_chat_last_written_long_ago_is_sent_to_at_once(gateway: BotApiTelegramGateway,
                                                         time_: FakeTime) -> None:
    gateway.send_text(CLIENT, "One", "key-1")
    time_.now += 60
    gateway.send_text(CLIENT, "Two", "key-2")
    assert time_.sleeps == []


def test_sends_from_several_threads_to_one_chat_each_take_their_own_second(
        telegram: FakeBotApi) -> None:
    asleep: list[float] = []
    gateway = BotApiTelegramGateway(telegram.url, TOKEN, clock=lambda: 1000.0,
                                    sleep=asleep.append)  # time stands still: only turns
    threads = [threading.Thread(target=gateway.send_text, args=(CLIENT, f"n{i}", f"k{i}"))
               for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    gateway.close()
    assert sorted(asleep) == [pytest.approx(1.0), pytest.approx(2.0), pytest.approx(3.0)]
    assert len(telegram.sent(CHAT)) == 4


# -- clients' files ----------------------------------------------------------------------------
def test_a_clients_file_is_downloaded_through_get_file(gateway: BotApiTelegramGateway,
                                                       telegram: FakeBotApi) -> None:
    file_id = telegram.add_file(b"OggS voice bytes", "audio/ogg")
    got = gateway.download_media(file_id, max_bytes=1024)
    assert got.content == b"OggS voice bytes"
    assert got.mime_type == "audio/ogg"
    assert got.file_name.startswith("file_")
    assert (telegram.calls["getFile"], telegram.calls["download"]) == (1, 1)


def test_a_file_over_the_limit_is_refused_on_its_declared_size_without_reading_it(
        gateway: BotApiTelegramGateway, telegram: FakeBotApi) -> None:
    file_id = telegram.add_file(b"x" * 2048, "application/pdf", file_name="big.pdf")
    with pytest.raises(GatewayError) as refused:
        gateway.download_media(file_id, max_bytes=1024)
    assert refused.value.code == "FILE_TOO_LARGE"
    assert not refused.value.retryable
    assert telegram.calls["download"] == 0


def test_a_file_declaring_less_than_it_has_is_cut_off_at_the_limit(
        gateway: BotApiTelegramGateway, telegram: FakeBotApi) -> None:
    file_id = telegram.add_file(b"x" * 4096, "video/mp4", declared_size=100)
    with pytest.raises(GatewayError) as refused:
        gateway.download_media(file_id, max_bytes=1024)
    assert refused.value.code == "FILE_TOO_LARGE"


def test_a_file_over_telegrams_20_mb_is_refused_saying_so(gateway: BotApiTelegramGateway,
                                                          telegram: FakeBotApi) -> None:
    file_id = telegram.add_file(b"x", "video/mp4", declared_size=25 * 1024 * 1024)
    with pytest.raises(GatewayError) as refused:
        gateway.download_media(file_id, max_bytes=100 * 1024 * 1024)
    assert refused.value.code == "FILE_TOO_LARGE"
    assert "20 MB" in refused.value.message
    assert telegram.calls["download"] == 0


def test_an_unknown_file_id_is_a_bad_request(gateway: BotApiTelegramGateway) -> None:
    with pytest.raises(GatewayError) as refused:
        gateway.download_media("AgACunknown", max_bytes=1024)
    assert refused.value.code == "TELEGRAM_BAD_REQUEST"
    assert not refused.value.retryable

