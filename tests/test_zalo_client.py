"""ZaloClient over real HTTP against the fake Zalo Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
import traceback
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.zalo_client import (
    MAX_TEXT_LENGTH,
    RetryPolicy,
    ZaloClient,
    ZaloError,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloUnauthorized,
    parse_update,
    zalo_text_length,
)
from tests.fakes.zalo_api import (
    SECRET_HEADER,
    FakeZaloApi,
    make_text_event,
    make_unsupported_event,
    post_webhook,
    wrap,
)

USER = "e4ea2cd5189df1c3a88c"
WRONG_TOKEN = "999:Wrong-Token-That-Must-Never-Leak"


class SleepRecorder:
    """Injected instead of asyncio.sleep: records the waits, never sleeps."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloApi]:
    async with FakeZaloApi(max_poll_seconds=2.0) as api:
        yield api


@pytest.fixture
def sleeper() -> SleepRecorder:
    return SleepRecorder()


def make_client(fake: FakeZaloApi, sleeper: SleepRecorder, **kwargs: Any) -> ZaloClient:
    kwargs.setdefault("token", fake.token)
    kwargs.setdefault("retry", RetryPolicy(max_attempts=3, base_delay=0.5, jitter=False))
    return ZaloClient(base_url=fake.base_url, sleep=sleeper, timeout=5.0, **kwargs)


@pytest.fixture
async def client(fake: FakeZaloApi, sleeper: SleepRecorder) -> AsyncIterator[ZaloClient]:
    async with make_client(fake, sleeper) as zalo:
        yield zalo


# --------------------------------------------------------------------------- basics


async def test_get_me(client: ZaloClient, fake: FakeZaloApi) -> None:
    me = await client.get_me()
    assert me.id == fake.bot_id
    assert me.account_name == "bot.YouthFake"
    assert me.can_join_groups is False


async def test_get_updates_returns_one_update_per_call(
    client: ZaloClient, fake: FakeZaloApi
) -> None:
    first = fake.push_text(USER, "Xin chào", display_name="Lan")
    fake.push_text(USER, "Câu hỏi thứ hai")

    update = await client.get_updates(timeout=1)

    assert update is not None
    assert update.event_name == "message.text.received"
    assert update.kind == "text"
    assert update.message.text == "Xin chào"
    assert update.message.sender.display_name == "Lan"
    assert update.message.chat_id == USER
    assert update.message.message_id == first["message"]["message_id"]
    assert update.message.date is not None
    assert update.message.date.tzinfo is UTC
    assert len(fake.pending) == 1  # the second one waits for the next call
    # The platform wants the timeout as a string.
    assert fake.calls("getUpdates")[0].payload == {"timeout": "1"}

    second = await client.get_updates(timeout=1)
    assert second is not None
    assert second.message.text == "Câu hỏi thứ hai"


async def test_get_updates_none_after_long_poll_408(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    started = time.monotonic()
    assert await client.get_updates(timeout=1) is None
    assert time.monotonic() - started >= 0.9  # the fake really held the request
    assert [r.status for r in fake.calls("getUpdates")] == [408]
    assert sleeper.waits == []  # "nothing new" is not an error to retry


async def test_get_updates_delivers_an_update_arriving_during_the_poll(
    client: ZaloClient, fake: FakeZaloApi
) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, fake.push_text, USER, "muộn một chút")
    update = await client.get_updates(timeout=2)
    assert update is not None
    assert update.message.text == "muộn một chút"


async def test_stopping_the_fake_ends_a_pending_long_poll(sleeper: SleepRecorder) -> None:
    api = FakeZaloApi()  # no max_poll_seconds: the poll would last the full 30 s
    await api.start()
    zalo = make_client(api, sleeper)

    async def stop_soon() -> None:
        await asyncio.sleep(0.1)
        await api.stop()

    stopper = asyncio.create_task(stop_soon())
    started = time.monotonic()
    assert await zalo.get_updates(timeout=30) is None
    assert time.monotonic() - started < 2
    await stopper
    await zalo.aclose()
    await api.stop()  # a second stop is harmless


async def test_long_poll_read_timeout_exceeds_the_poll(
    fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    # An injected httpx client with a short default timeout must not cut the long poll short.
    async with httpx.AsyncClient(timeout=0.2) as http:
        zalo = make_client(fake, sleeper, http=http)
        assert await zalo.get_updates(timeout=1) is None
        await zalo.aclose()
        assert not http.is_closed  # an injected client belongs to the caller
    assert sleeper.waits == []


async def test_get_updates_parses_every_event_kind(client: ZaloClient, fake: FakeZaloApi) -> None:
    fake.push_image(USER, "https://example.test/q.jpg", caption="ảnh câu hỏi")
    fake.push_sticker(USER, "abc123")
    fake.push_unsupported(USER)
    fake.push_voice(USER)

    image, sticker, unsupported, voice = [await client.get_updates(timeout=1) for _ in range(4)]

    assert image is not None
    assert image.kind == "image"
    assert image.message.photo_url == "https://example.test/q.jpg"
    assert image.message.caption == "ảnh câu hỏi"
    assert image.message.text is None
    assert sticker is not None
    assert sticker.kind == "sticker"
    assert sticker.message.sticker == "abc123"
    assert unsupported is not None
    assert unsupported.event_name == "message.unsupported.received"
    assert unsupported.message.text is None
    assert voice is not None
    assert voice.kind == "voice"
    assert voice.message.media_url == "https://voice.example.test/v.aac"


async def test_send_message_is_recorded(client: ZaloClient, fake: FakeZaloApi) -> None:
    sent = await client.send_message(USER, "Cảm ơn bạn đã gửi câu hỏi!")
    assert fake.sent == [(USER, "Cảm ơn bạn đã gửi câu hỏi!")]
    assert len(sent.message_id) == 20
    assert int(sent.message_id, 16) >= 0
    assert sent.date is not None


async def test_send_message_length_limit(client: ZaloClient, fake: FakeZaloApi) -> None:
    await client.send_message(USER, "a" * MAX_TEXT_LENGTH)
    with pytest.raises(ValueError, match="2001"):
        await client.send_message(USER, "a" * (MAX_TEXT_LENGTH + 1))
    # Characters outside the BMP count twice (UTF-16), the conservative reading of the limit.
    with pytest.raises(ValueError, match="at most 2000"):
        await client.send_message(USER, "😀" * 1001)
    with pytest.raises(ValueError, match="empty"):
        await client.send_message(USER, "  ")
    with pytest.raises(ValueError, match="chat_id"):
        await client.send_message("", "hi")
    assert len(fake.calls("sendMessage")) == 1  # refused texts never left the client


async def test_fake_refuses_overlong_text_like_the_platform(fake: FakeZaloApi) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            fake.url_for("sendMessage"), json={"chat_id": USER, "text": "a" * 2001}
        )
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False
    assert body["error_code"] == 400
    assert fake.sent == []


async def test_vietnamese_text_length_counts_letters() -> None:
    assert zalo_text_length("Đối thoại với thanh niên") == len("Đối thoại với thanh niên")
    assert zalo_text_length("😀") == 2


async def test_send_photo_sticker_and_chat_action(client: ZaloClient, fake: FakeZaloApi) -> None:
    await client.send_photo(USER, "https://example.test/poster.png", caption="Lịch đối thoại")
    await client.send_photo(USER, "https://example.test/plain.png")
    await client.send_sticker(USER, "0e078a2fb66a5f34067b")
    await client.send_chat_action(USER)
    assert fake.sent_photos == [
        (USER, "https://example.test/poster.png", "Lịch đối thoại"),
        (USER, "https://example.test/plain.png", ""),
    ]
    assert "caption" not in fake.calls("sendPhoto")[1].payload
    assert fake.sent_stickers == [(USER, "0e078a2fb66a5f34067b")]
    assert fake.chat_actions == [(USER, "typing")]


# --------------------------------------------------------------------------- retries


async def test_429_then_success_honours_retry_after(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    fake.fail_next("sendMessage", 429, retry_after=3)
    await client.send_message(USER, "xin chào")
    assert sleeper.waits == [3.0]
    assert [r.status for r in fake.calls("sendMessage")] == [429, 200]
    assert fake.sent == [(USER, "xin chào")]


async def test_429_retry_after_header(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    fake.fail_next("sendMessage", 429, retry_after=2, retry_after_header=True)
    await client.send_message(USER, "xin chào")
    assert sleeper.waits == [2.0]


async def test_429_without_retry_after_backs_off(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    fake.fail_next("sendMessage", 429, times=2)
    await client.send_message(USER, "xin chào")
    assert sleeper.waits == [0.5, 1.0]


async def test_429_asking_too_long_a_wait_is_raised_at_once(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    fake.fail_next("sendMessage", 429, retry_after=600)
    with pytest.raises(ZaloRateLimited) as caught:
        await client.send_message(USER, "xin chào")
    assert caught.value.retry_after == 600
    assert caught.value.retryable
    assert sleeper.waits == []


async def test_429_every_time_gives_up_after_max_attempts(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    fake.fail_next("sendMessage", 429, times=5, retry_after=1)
    with pytest.raises(ZaloRateLimited):
        await client.send_message(USER, "xin chào")
    assert len(fake.calls("sendMessage")) == 3
    assert sleeper.waits == [1.0, 1.0]


async def test_500_retried_then_success(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    fake.fail_next("sendMessage", 500, times=2)
    await client.send_message(USER, "xin chào")
    assert sleeper.waits == [0.5, 1.0]
    assert [r.status for r in fake.calls("sendMessage")] == [500, 500, 200]
    assert fake.sent == [(USER, "xin chào")]


async def test_5xx_gives_up_after_max_attempts(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    fake.fail_next("getMe", 503, times=3)
    with pytest.raises(ZaloError) as caught:
        await client.get_me()
    assert caught.value.error_code == 503
    assert caught.value.retryable
    assert len(fake.calls("getMe")) == 3


async def test_403_is_forbidden_and_not_retried(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    fake.block(USER)
    with pytest.raises(ZaloForbidden) as caught:
        await client.send_message(USER, "xin chào")
    assert caught.value.error_code == 403
    assert not caught.value.retryable
    assert len(fake.calls("sendMessage")) == 1
    assert sleeper.waits == []


async def test_other_4xx_not_retried(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    fake.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    with pytest.raises(ZaloError, match="chat not found") as caught:
        await client.send_message(USER, "xin chào")
    assert type(caught.value) is ZaloError
    assert caught.value.error_code == 400
    assert len(fake.calls("sendMessage")) == 1
    assert sleeper.waits == []


async def test_dropped_connection_retried_then_success(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    fake.drop_next("sendMessage")
    await client.send_message(USER, "xin chào")
    assert sleeper.waits == [0.5]
    assert fake.sent == [(USER, "xin chào")]


async def test_jittered_backoff_stays_in_bounds() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    rng = random.Random(7)
    for attempt, full in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        delay = policy.backoff(attempt, rng)
        assert full / 2 <= delay <= full
    exact = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=False)
    assert [exact.backoff(n, rng) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]


async def test_jitter_with_real_client(fake: FakeZaloApi, sleeper: SleepRecorder) -> None:
    fake.fail_next("getMe", 500)
    policy = RetryPolicy(max_attempts=2, base_delay=1.0)
    async with make_client(fake, sleeper, retry=policy, rng=random.Random(1)) as zalo:
        await zalo.get_me()
    assert len(sleeper.waits) == 1
    assert 0.5 <= sleeper.waits[0] <= 1.0


# --------------------------------------------------------------------------- token safety


def _everything_said_about(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), *map(str, exc.args), *traceback.format_exception(exc)])


async def test_wrong_token_is_unauthorized_and_never_shown(
    fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    async with make_client(fake, sleeper, token=WRONG_TOKEN) as zalo:
        with pytest.raises(ZaloUnauthorized) as caught:
            await zalo.get_me()
        assert WRONG_TOKEN not in repr(zalo)
    assert caught.value.error_code == 401
    assert WRONG_TOKEN not in _everything_said_about(caught.value)
    assert "999" not in str(caught.value)
    assert sleeper.waits == []  # a bad token does not get better by retrying


async def test_network_error_after_retries_hides_the_token(sleeper: SleepRecorder) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    zalo = ZaloClient(
        WRONG_TOKEN,
        base_url=f"http://127.0.0.1:{port}",
        retry=RetryPolicy(max_attempts=2, base_delay=0.1, jitter=False),
        sleep=sleeper,
    )
    async with zalo:
        with pytest.raises(ZaloNetworkError) as caught:
            await zalo.send_message(USER, "xin chào")
    assert caught.value.error_code is None
    assert caught.value.retryable
    assert "ConnectError" in str(caught.value)
    assert caught.value.__cause__ is None
    assert WRONG_TOKEN not in _everything_said_about(caught.value)
    assert sleeper.waits == [0.1]


async def test_token_is_redacted_from_httpx_logs(
    fake: FakeZaloApi, sleeper: SleepRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail_next("getMe", 500)
    async with make_client(fake, sleeper) as zalo:
        await zalo.get_me()
    assert "HTTP Request: POST" in caplog.text  # httpx did log the request...
    assert "<redacted>" in caplog.text
    assert fake.token not in caplog.text  # ...without the token
    assert "retry 1/2" in caplog.text


async def test_token_echoed_by_the_server_is_redacted(
    client: ZaloClient, fake: FakeZaloApi
) -> None:
    fake.fail_next("getMe", 400, description=f"Bad Request: no route /bot{fake.token}/getMe")
    with pytest.raises(ZaloError) as caught:
        await client.get_me()
    assert "/bot<redacted>/getMe" in str(caught.value)
    assert fake.token not in _everything_said_about(caught.value)


async def test_token_must_be_well_formed() -> None:
    with pytest.raises(ValueError, match="malformed") as caught:
        ZaloClient("abc/def-secret")
    assert "def-secret" not in str(caught.value)


async def test_closed_client_refuses_calls(fake: FakeZaloApi, sleeper: SleepRecorder) -> None:
    zalo = make_client(fake, sleeper)
    await zalo.aclose()
    await zalo.aclose()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await zalo.get_me()


# --------------------------------------------------------------------------- answer shapes


async def test_error_code_in_a_200_body_is_mapped(sleeper: SleepRecorder) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"ok": False, "error_code": 403, "description": "User blocked bot"}
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        zalo = ZaloClient("tok:en", http=http, sleep=sleeper)
        with pytest.raises(ZaloForbidden, match="User blocked bot"):
            await zalo.send_message(USER, "hi")
        await zalo.aclose()


async def test_non_json_gateway_error_is_retried(sleeper: SleepRecorder) -> None:
    answers = iter(
        [
            httpx.Response(502, text="<html>Bad Gateway</html>"),
            httpx.Response(200, json={"ok": True, "result": {"message_id": "ab12", "date": 0}}),
        ]
    )

    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _: next(answers))) as http:
        zalo = ZaloClient(
            "tok:en", http=http, sleep=sleeper, retry=RetryPolicy(base_delay=0.5, jitter=False)
        )
        sent = await zalo.send_message(USER, "hi")
        await zalo.aclose()
    assert sent.message_id == "ab12"
    assert sleeper.waits == [0.5]


# --------------------------------------------------------------------------- webhooks


async def test_webhook_set_info_delete_and_polling_refused_meanwhile(
    client: ZaloClient, fake: FakeZaloApi, sleeper: SleepRecorder
) -> None:
    assert not (await client.get_webhook_info()).is_set

    info = await client.set_webhook("https://youthbot.example.vn/zalo/webhook", "s3cret-Token_1")
    assert info.url == "https://youthbot.example.vn/zalo/webhook"
    assert isinstance(info.updated_at, datetime)
    assert fake.webhook_secret == "s3cret-Token_1"
    assert (await client.get_webhook_info()).url == info.url

    fake.push_text(USER, "không được lấy qua polling")
    with pytest.raises(ZaloError) as caught:
        await client.get_updates(timeout=1)
    assert caught.value.error_code == 409
    assert sleeper.waits == []
    assert len(fake.pending) == 1

    deleted = await client.delete_webhook()
    assert not deleted.is_set
    assert not (await client.get_webhook_info()).is_set
    update = await client.get_updates(timeout=1)
    assert update is not None
    assert update.message.text == "không được lấy qua polling"


@pytest.mark.parametrize(
    ("url", "secret", "match"),
    [
        ("https://x.example/hook", "short7c", "8-256"),
        ("https://x.example/hook", "x" * 257, "8-256"),
        ("https://x.example/hook", "has space in it", "ASCII"),
        ("http://x.example/hook", "long-enough-secret", "https"),
    ],
)
async def test_set_webhook_validates(
    client: ZaloClient, fake: FakeZaloApi, url: str, secret: str, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        await client.set_webhook(url, secret)
    assert fake.calls("setWebhook") == []


async def test_post_webhook_helper_round_trips_through_parse_update() -> None:
    received: list[tuple[str | None, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.json_response({"message": "Success"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/hook"))
        event = make_text_event(USER, "câu hỏi qua webhook")
        bare = await post_webhook(url, event, secret_token="s3cret-Token_1")
        wrapped = await post_webhook(url, event, wrapped=True)
    finally:
        await server.close()

    assert bare.status_code == wrapped.status_code == 200
    (secret_bare, body_bare), (secret_wrapped, body_wrapped) = received
    assert secret_bare == "s3cret-Token_1"
    assert secret_wrapped is None
    assert body_wrapped == wrap(event)
    assert parse_update(body_bare).message == parse_update(body_wrapped).message


# --------------------------------------------------------------------------- parse_update


def test_parse_update_bare_and_wrapped_agree() -> None:
    event = make_text_event(USER, "Xin chào", display_name="Minh", message_id="16f6366b3f02")
    bare = parse_update(event)
    wrapped = parse_update(wrap(event))
    assert bare == wrapped
    assert bare.message.message_id == "16f6366b3f02"
    assert bare.message.sender.id == USER
    assert bare.raw == event


def test_parse_update_tolerates_missing_optional_fields() -> None:
    update = parse_update(
        {"event_name": "message.unsupported.received", "message": {"from": {"id": USER}}}
    )
    message = update.message
    assert message.chat_id == USER  # private chat: the chat is the sender
    assert message.chat_type == "PRIVATE"
    assert message.message_id == ""
    assert message.text is None
    assert message.date is None
    assert message.sender.display_name == ""
    assert message.sender.is_bot is False


def test_parse_update_documented_poll_sample_without_event_name() -> None:
    # The platform's own getUpdates sample: no event_name, "first_name" instead of display_name.
    body = {
        "ok": True,
        "result": {
            "message": {
                "chat": {"id": "e4ea2cd5189df1c3a88c", "chat_type": "PRIVATE"},
                "text": "Xin chào",
                "message_id": "16f6366b3f02645a3d15",
                "date": 1766619597466,
                "from": {"id": "e4ea2cd5189df1c3a88c", "first_name": "Nguyen Van A"},
            }
        },
    }
    update = parse_update(body)
    assert update.event_name == "message.text.received"
    assert update.message.sender.display_name == "Nguyen Van A"
    assert update.message.date == datetime.fromtimestamp(1766619597.466, tz=UTC)


def test_parse_update_coerces_numeric_ids() -> None:
    event = make_unsupported_event(USER)
    event["message"]["from"]["id"] = 1459232241454765289
    event["message"]["chat"]["id"] = 1459232241454765289
    update = parse_update(event)
    assert update.message.sender.id == "1459232241454765289"
    assert update.message.chat_id == "1459232241454765289"


def test_parse_update_keeps_personal_data_out_of_repr() -> None:
    update = parse_update(make_text_event(USER, "bí mật", display_name="Tên Thật"))
    assert "bí mật" not in repr(update)
    assert "Tên Thật" not in repr(update)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "message.text.received",
        {},
        {"ok": False, "error_code": 408, "description": "Request timeout"},
        {"ok": True, "result": None},
        {"ok": True, "result": {"url": "https://x", "updated_at": 1}},
        {"event_name": "message.text.received"},
        {"event_name": "message.text.received", "message": {"text": "no sender"}},
        {"event_name": "user.follow", "message": {"from": {"id": USER}}},
        {"event_name": 5, "message": {"from": {"id": USER}}},
        {"event_name": "message.text.received", "message": {"from": {"id": ""}}},
    ],
)
def test_parse_update_rejects_non_events(body: Any) -> None:
    with pytest.raises(ValueError, match=r"Zalo|event"):
        parse_update(body)


def test_error_retryable_flags() -> None:
    assert ZaloError(500, "x").retryable
    assert ZaloError(408, "x").retryable
    assert not ZaloError(400, "x").retryable
    assert not ZaloUnauthorized(401, "x").retryable
    assert ZaloNetworkError("x").retryable
    assert str(ZaloError(400, "Bad", method="sendMessage")) == "Zalo sendMessage failed [400]: Bad"
