"""The Zalo adapter end to end: the fake Zalo Bot API on 127.0.0.1, the real engine
(``build_engine``) and a real SQLite file; polling and webhook mode."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.application.app import App
from bot.application.config import Settings
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.campaign.units import province_units
from bot.channels.base import (
    ChannelBlocked,
    ChannelPermanentError,
    ChannelRateLimited,
    ChannelTransientError,
)
from bot.channels.webserver import WebServer
from bot.channels.zalo import (
    SECRET_HEADER,
    WEBHOOK_PATH,
    ZaloChannel,
    ZaloOptions,
    ZaloSetupError,
    run_zalo,
)
from bot.channels.zalo_client import RetryPolicy, ZaloClient, zalo_text_length
from bot.clock import FakeClock
from handlers.events import Attachment, Button, Event, Reply
from tests.fakes.zalo_api import (
    FakeZaloApi,
    make_event,
    make_image_event,
    make_sticker_event,
    make_text_event,
    make_unsupported_event,
)

USER = "5f1e2d3c4b5a69788796"
OTHER = "0a0b0c0d0e0f10111213"
SECRET = "zalo-webhook-secret_123"
FAST = ZaloOptions(
    poll_timeout=1,
    per_chat_interval=0.01,
    backoff_base=0.01,
    backoff_max=0.05,
    start_attempts=2,
    shutdown_timeout=5,
)


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the Zalo adapter")
        await asyncio.sleep(0.005)


@pytest.fixture
async def api() -> AsyncIterator[FakeZaloApi]:
    async with FakeZaloApi(max_poll_seconds=1) as fake:
        yield fake


@pytest.fixture
async def zalo_app(province_app: App) -> App:
    await create_campaign(
        province_app,
        title="Đối thoại giữa Chủ tịch UBND tỉnh với thanh niên năm 2025",
        dialogue=date(2025, 8, 28),
    )
    return province_app


class Bot:
    """A running adapter (``serve`` in a task) plus helpers to talk to it via the fake."""

    def __init__(
        self,
        app: App,
        api: FakeZaloApi,
        *,
        engine: Any = None,
        options: ZaloOptions = FAST,
        web: WebServer | None = None,
    ) -> None:
        self.app = app
        self.api = api
        self.sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            await asyncio.sleep(0)

        self.client = ZaloClient(
            api.token,
            base_url=api.base_url,
            retry=RetryPolicy(max_attempts=3, base_delay=0.01, jitter=False),
            sleep=sleep,
        )
        self.channel = ZaloChannel(
            app,
            engine if engine is not None else build_engine(app),
            options=options,
            client=self.client,
            web=web,
        )
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Bot:
        task = self.task = asyncio.create_task(self.channel.serve(self.stop))
        await wait_until(lambda: bool(self.channel.health()["ok"]) or task.done())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)
        await self.client.aclose()

    def done(self, processed: int) -> bool:
        """``processed`` updates handled and every stored reply delivered."""
        health = self.channel.health()
        return self.channel.processed >= processed and health["replies_waiting"] == 0

    def texts(self, chat: str = USER, since: int = 0) -> list[str]:
        return [text for chat_id, text in self.api.sent[since:] if chat_id == chat]

    async def say(self, text: str, user: str = USER) -> str:
        """Push a message through getUpdates; the bot's answer, all messages joined."""
        return await self.push(make_text_event(user, text), user)

    async def push(self, event: dict[str, Any], user: str = USER) -> str:
        before, target = len(self.api.sent), self.channel.processed + 1
        self.api.push(event)
        await wait_until(lambda: self.done(target))
        return "\n---\n".join(self.texts(user, before))


async def test_whole_intake_with_numbered_choices(zalo_app: App, api: FakeZaloApi) -> None:
    async with Bot(zalo_app, api) as bot:
        text = await bot.say("/start")
        assert "Đối thoại giữa Chủ tịch UBND tỉnh" in text
        assert text.endswith("1. Mình đồng ý\n2. Không đồng ý\nBạn gõ 1 hoặc 2 nhé.")
        text = await bot.say("1")  # a typed number
        assert "xã, phường" in text
        text = await bot.say("thuc phan")
        assert "1. Phường Thục Phán" in text
        text = await bot.say("phuong thuc phan")  # the option's words, without accents
        assert "Họ và tên" in text
        text = await bot.say("nông thị hoa")
        assert "4. Học sinh, sinh viên" in text and "gõ số 1–9" in text
        text = await bot.say("Học sinh, sinh viên")
        assert "Nghề nghiệp, việc làm" in text
        text = await bot.say("Nghề nhiệp, việc làm")  # a close misspelling
        assert "câu hỏi hoặc kiến nghị" in text
        text = await bot.say(
            "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?"
        )
        assert "Nông Thị Hoa" in text and "1. Gửi" in text
        text = await bot.say("1")
        assert "Mã câu hỏi" in text
        assert all(zalo_text_length(t) <= 2000 for _, t in api.sent)
    [question] = await zalo_app.store.questions.of_campaign(1)
    assert question.channel == "zalo" and question.asker_name == "Nông Thị Hoa"
    assert question.category == "students"
    person = await zalo_app.store.people.by_identity("zalo", USER)
    assert person is not None and question.person_id == person.id


async def test_unsupported_and_media_content(zalo_app: App, api: FakeZaloApi) -> None:
    async with Bot(zalo_app, api) as bot:
        await bot.say("/start")
        text = await bot.push(make_unsupported_event(USER))
        assert "ẩn nội dung" in text and "Telegram" in text and "Đoàn xã" in text
        assert text.endswith("Bạn gõ 1 hoặc 2 nhé.")  # and the question is asked again
        # One at a time (sent together they would be one burst, answered once).
        await bot.push(make_sticker_event(USER))
        await bot.push(make_image_event(USER, caption="câu hỏi trong ảnh"))
        await bot.push(make_event("message.voice.received", user_id=USER, url="https://v.test/v"))
        texts = bot.texts()
        assert sum("Nhãn dán dễ thương" in t for t in texts) == 1
        assert sum("đọc phần chữ bạn ghi kèm" in t for t in texts) == 1  # the caption is read
        assert sum("chưa nghe được tin nhắn thoại" in t for t in texts) == 1
        assert all(t.endswith("Bạn gõ 1 hoặc 2 nhé.") for t in texts[-3:])


async def test_two_people_are_answered_separately(zalo_app: App, api: FakeZaloApi) -> None:
    async with Bot(zalo_app, api) as bot:
        api.push_text(USER, "/start")
        api.push_text(OTHER, "/start")
        await wait_until(lambda: bot.done(2))
        assert len(bot.texts(USER)) == 1 and len(bot.texts(OTHER)) == 1
        await bot.say("1", user=OTHER)
        assert "xã, phường" in bot.texts(OTHER)[-1]
        assert len(bot.texts(USER)) == 1


async def test_restart_in_the_middle_of_the_flow(
    tmp_path: Path, clock: FakeClock, api: FakeZaloApi
) -> None:
    app = await App.open(Settings(env_file=None), clock=clock)
    await app.store.units.upsert_many(province_units("cao_bang"), now=clock.now())
    await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    async with Bot(app, api) as bot:
        await bot.say("/start")
        await bot.say("1")
        assert "1. Xã Đàm Thuỷ" in await bot.say("dam thuy")
    await app.close()  # the process stops here

    app = await App.open(Settings(env_file=None), clock=clock)
    try:
        async with Bot(app, api) as bot:
            assert "Họ và tên" in await bot.say("1")
            await bot.say("Lò Văn Tùng")
            await bot.say("2")
            await bot.say("thanh nien xuat ngu")
            await bot.say("Thanh niên xuất ngũ về địa phương được hỗ trợ học nghề như thế nào?")
            assert "Mã câu hỏi" in await bot.say("Gửi")
        [question] = await app.store.questions.of_campaign(1)
        assert question.asker_name == "Lò Văn Tùng" and question.channel == "zalo"
    finally:
        await app.close()


async def test_rate_limit_is_waited_out(zalo_app: App, api: FakeZaloApi) -> None:
    async with Bot(zalo_app, api) as bot:
        api.fail_next("sendMessage", 429, retry_after=2)
        text = await bot.say("/start")
        assert "Mình đồng ý" in text  # delivered after the wait
        assert 2.0 in bot.sleeps
        assert [r.status for r in api.calls("sendMessage")] == [429, 200]


async def test_blocked_person_becomes_unreachable_until_they_write(
    zalo_app: App, api: FakeZaloApi
) -> None:
    store = zalo_app.store
    async with Bot(zalo_app, api) as bot:
        await bot.say("/start")
        api.block(USER)
        await bot.say("1")
        person = await store.people.by_identity("zalo", USER)
        assert person is not None and person.unreachable
        with pytest.raises(ChannelBlocked):
            await bot.channel.deliver(USER, Reply("Nhắc hạn gửi câu hỏi"))
        api.blocked_chats.discard(USER)
        await bot.say("/trogiup")
        person = await store.people.by_identity("zalo", USER)
        assert person is not None and not person.unreachable


async def test_engine_failure_is_one_kind_message(
    zalo_app: App, api: FakeZaloApi, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        async def handle(self, event: Event) -> list[Reply]:
            raise RuntimeError("database exploded at /secret/path")

    with caplog.at_level(logging.ERROR, logger="bot.channels.zalo"):
        async with Bot(zalo_app, api, engine=Broken()) as bot:
            event = api.push_text(USER, "Xin chào")
            await wait_until(lambda: bot.done(1))
    [text] = bot.texts()
    assert "trục trặc" in text and "exploded" not in text and "Traceback" not in text
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 1 and event["message"]["message_id"] in failures[0].getMessage()


async def test_poll_errors_back_off_and_recover(zalo_app: App, api: FakeZaloApi) -> None:
    api.fail_next("getUpdates", 502, times=4)  # one client call retries 3 times, then more
    async with Bot(zalo_app, api) as bot:
        assert "Mình đồng ý" in await bot.say("/start")
        assert bot.channel.health()["ok"]


async def test_refused_token_stops_the_channel(zalo_app: App, api: FakeZaloApi) -> None:
    client = ZaloClient("not-the-right-token-1234567890", base_url=api.base_url)
    channel = ZaloChannel(zalo_app, build_engine(zalo_app), options=FAST, client=client)
    with pytest.raises(ZaloSetupError, match="refused the bot token"):
        await channel.serve(asyncio.Event())
    await client.aclose()


async def test_run_zalo_from_settings(
    zalo_app: App, api: FakeZaloApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZALO_BOT_TOKEN", api.token)
    monkeypatch.setenv("ZALO_API_BASE_URL", api.base_url)
    zalo_app.settings = Settings(env_file=None)
    stop = asyncio.Event()
    task = asyncio.create_task(run_zalo(zalo_app, build_engine(zalo_app), stop=stop, options=FAST))
    api.push_text(USER, "/start")
    await wait_until(lambda: len(api.sent) == 1)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert "Mình đồng ý" in api.sent[0][1]
    monkeypatch.delenv("ZALO_BOT_TOKEN")
    zalo_app.settings = Settings(env_file=None)
    with pytest.raises(ZaloSetupError, match="ZALO_BOT_TOKEN"):
        await run_zalo(zalo_app, build_engine(zalo_app), stop=stop)


# -- delivery for the outbox --------------------------------------------------------------


async def test_deliver_splits_long_text_with_options_last(zalo_app: App, api: FakeZaloApi) -> None:
    async with Bot(zalo_app, api) as bot:
        body = " ".join(f"Câu hỏi số {i} về việc làm cho thanh niên vùng cao." for i in range(90))
        reply = Reply(body, buttons=((Button("Xem", "1.x"), Button("Bỏ qua", "1.y")),))
        await bot.channel.deliver(USER, reply)
        parts = bot.texts()
        assert len(parts) == 3
        assert all(zalo_text_length(p) <= 2000 for p in parts)
        assert parts[-1].endswith("1. Xem\n2. Bỏ qua\nBạn gõ 1 hoặc 2 nhé.")
        assert all("1. Xem" not in p for p in parts[:-1])
        assert "Câu hỏi số 0 " in parts[0] and "Câu hỏi số 89 " in "".join(parts)


async def test_deliver_announces_files(zalo_app: App, api: FakeZaloApi, tmp_path: Path) -> None:
    report = tmp_path / "tong-hop.xlsx"
    report.write_bytes(b"x")
    async with Bot(zalo_app, api) as bot:
        await bot.channel.deliver(USER, Reply("Tổng hợp tuần", attachments=(Attachment(report),)))
        [text] = bot.texts()
        assert "Tệp tong-hop.xlsx không gửi được qua Zalo" in text
        assert not api.sent_photos


async def test_deliver_maps_errors(zalo_app: App, api: FakeZaloApi) -> None:
    async with Bot(zalo_app, api) as bot:
        api.fail_next("sendMessage", 503, times=3)
        with pytest.raises(ChannelTransientError):
            await bot.channel.deliver(USER, Reply("b"))
        api.drop_next("sendMessage", times=3)
        with pytest.raises(ChannelTransientError):
            await bot.channel.deliver(USER, Reply("c"))
        api.fail_next("sendMessage", 400)
        with pytest.raises(ChannelPermanentError):
            await bot.channel.deliver(USER, Reply("d"))
        await bot.channel.deliver(USER, Reply("e"))
        assert bot.texts() == ["e"]
        # Last: a 429 also pauses every later send for retry_after (real) seconds.
        api.fail_next("sendMessage", 429, times=3, retry_after=7)
        with pytest.raises(ChannelRateLimited) as limited:
            await bot.channel.deliver(USER, Reply("a"))
        assert limited.value.retry_after == 7


async def test_sends_to_one_chat_are_paced(zalo_app: App, api: FakeZaloApi) -> None:
    options = ZaloOptions(poll_timeout=1, per_chat_interval=0.2, shutdown_timeout=5)
    async with Bot(zalo_app, api, options=options) as bot:
        started = time.monotonic()
        for text in ("một", "hai", "ba"):
            await bot.channel.deliver(USER, Reply(text))
        assert time.monotonic() - started >= 0.4
        assert bot.channel.capabilities.per_chat_interval == 0.2


# -- webhook --------------------------------------------------------------------------------


@pytest.fixture
async def webhook_app(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch, api: FakeZaloApi
) -> AsyncIterator[App]:
    monkeypatch.setenv("ZALO_WEBHOOK_URL", "https://bot.example.test/zalo/webhook")
    monkeypatch.setenv("ZALO_WEBHOOK_SECRET", SECRET)
    app = await App.open(Settings(env_file=None), clock=clock)
    await app.store.units.upsert_many(province_units("cao_bang"), now=clock.now())
    await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    yield app
    await app.close()


@pytest.fixture
async def web() -> AsyncIterator[WebServer]:
    async with WebServer(host="127.0.0.1", port=0) as server:
        yield server


async def post(
    web: WebServer, body: Any, *, secret: str | None = SECRET, raw: bytes | None = None
) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with httpx.AsyncClient(timeout=5) as http:
        if raw is not None:
            headers["Content-Type"] = "application/json"
            return await http.post(web.url + WEBHOOK_PATH, content=raw, headers=headers)
        return await http.post(web.url + WEBHOOK_PATH, json=body, headers=headers)


async def test_webhook_is_registered_on_the_shared_server(
    webhook_app: App, api: FakeZaloApi, web: WebServer
) -> None:
    async with Bot(webhook_app, api, web=web) as bot:
        assert bot.channel.mode == "webhook"
        assert api.webhook_url == "https://bot.example.test/zalo/webhook"
        assert api.webhook_secret == SECRET
        async with httpx.AsyncClient() as http:
            health = (await http.get(web.url + "/healthz")).json()
        assert health["channels"]["zalo"]["ok"] and health["channels"]["zalo"]["mode"] == "webhook"
    async with httpx.AsyncClient() as http:  # stopping removes the route
        assert (await http.post(web.url + WEBHOOK_PATH, json={})).status_code == 404


async def test_webhook_redelivery_is_handled_once(
    webhook_app: App, api: FakeZaloApi, web: WebServer
) -> None:
    async with Bot(webhook_app, api, web=web) as bot:
        event = make_text_event(USER, "/start", message_id="0123456789abcdef0001")
        first = await post(web, event)
        assert first.status_code == 200 and first.json() == {"ok": True}
        # Stored before the answer: the person exists already.
        assert await webhook_app.store.people.by_identity("zalo", USER) is not None
        again = await post(web, {"ok": True, "result": event})  # wrapped, same message_id
        assert again.status_code == 200
        await wait_until(lambda: bot.done(2))
        assert len(bot.texts()) == 1
        # A new message in the wrapped form is handled.
        await post(web, {"ok": True, "result": make_text_event(USER, "1")})
        await wait_until(lambda: len(bot.texts()) == 2)
        assert "xã, phường" in bot.texts()[-1]


async def test_webhook_refuses_missing_or_wrong_secret(
    webhook_app: App, api: FakeZaloApi, web: WebServer
) -> None:
    async with Bot(webhook_app, api, web=web) as bot:
        event = make_text_event(USER, "/start")
        assert (await post(web, event, secret=None)).status_code == 403
        assert (await post(web, event, secret="wrong-secret-123")).status_code == 403
        assert (await post(web, event, secret=SECRET + "x")).status_code == 403
        assert (await post(web, None, raw=b"{not json")).status_code == 400
        ignored = await post(web, {"event_name": "follow", "user": {"id": USER}})
        assert ignored.status_code == 200
        assert bot.channel.processed == 0 and not api.sent
        assert await webhook_app.store.people.by_identity("zalo", USER) is None


async def test_webhook_failure_asks_for_redelivery_then_gives_up(
    webhook_app: App, api: FakeZaloApi, web: WebServer
) -> None:
    class Broken:
        async def handle(self, event: Event) -> list[Reply]:
            raise RuntimeError("boom")

    async with Bot(webhook_app, api, engine=Broken(), web=web) as bot:
        event = make_unsupported_event(USER)
        statuses = [(await post(web, event)).status_code for _ in range(3)]
        await wait_until(lambda: bot.done(3))
    assert statuses == [500, 500, 200]
    [text] = bot.texts()  # told once
    assert "trục trặc" in text


async def test_webhook_with_its_own_server(
    webhook_app: App, api: FakeZaloApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # a free port for the channel's own server
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("YOUTHBOT_WEB_PORT", str(port))
    webhook_app.settings = Settings(env_file=None)
    async with Bot(webhook_app, api) as bot:
        assert bot.channel.mode == "webhook"
        server = bot.channel._web  # the channel started its own
        assert server is not None and server.running
        response = await post(server, make_text_event(USER, "/start"))
        assert response.status_code == 200
        await wait_until(lambda: len(bot.texts()) == 1)
    assert not server.running


# -- one person, two channels -----------------------------------------------------------------


async def test_linking_through_both_adapters(
    zalo_app: App, api: FakeZaloApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question asked on Zalo shows on Telegram after /lienket and a Telegram deep link."""
    from bot.channels.telegram import TelegramChannel
    from tests.fakes.telegram_api import FakeTelegramAPI
    from tests.test_telegram_support import (
        TOKEN,
        options,
        running,
        settle,
        telegram_app,
        texts_since,
    )

    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # see test_telegram_adapter.py
    tg_user = 4242
    async with FakeTelegramAPI(token=TOKEN) as tg_api:
        tg_app = telegram_app(zalo_app, tg_api, monkeypatch)
        engine = build_engine(zalo_app)
        telegram = TelegramChannel(tg_app, engine, options=options())
        async with Bot(zalo_app, api, engine=engine) as bot, running(telegram):
            await bot.say("/start")
            await bot.say("1")
            await bot.say("thuc phan")
            await bot.say("1")
            await bot.say("Nông Thị Hoa")
            await bot.say("4")
            await bot.say("nghe nghiep viec lam")
            await bot.say("Tỉnh có chính sách gì hỗ trợ thanh niên khởi nghiệp ở vùng cao?")
            receipt = await bot.say("1")
            code = receipt.split("Mã câu hỏi: ")[1][:6]
            await bot.say("/lienket")
            issued = await bot.say("1")  # agreed to link, after reading what joins
            link = issued.split("Mã liên kết của bạn: ")[1][:6]
            assert f"/lienket {link}" in issued and "Telegram" in issued

            start = len(tg_api.calls)
            tg_api.push_message(tg_user, f"/start l-{link}")  # the deep link t.me/<bot>?start=l-…
            await settle(tg_api, telegram)
            assert "Bạn đồng ý liên kết không?" in "\n".join(texts_since(tg_api, tg_user, start))
            tg_api.push_message(tg_user, "đồng ý")
            await settle(tg_api, telegram)
            assert "Đã liên kết xong" in "\n".join(texts_since(tg_api, tg_user, start))
            start = len(tg_api.calls)
            tg_api.push_message(tg_user, "/cauhoi")
            await settle(tg_api, telegram)
            assert code in "\n".join(texts_since(tg_api, tg_user, start))
            # And back on Zalo the same person continues.
            assert code in await bot.say("/cauhoi")

    store = zalo_app.store
    person = await store.people.by_identity("zalo", USER)
    assert person is not None
    assert await store.people.by_identity("telegram", str(tg_user)) == person
    assert len(await store.audit.entries(action="identity.link")) == 1
