"""A broadcast through the real adapters meets a 429 (with and without retry_after) and
a 403 in its middle: everyone else gets it exactly once, the blocked person is counted,
and the organiser's report comes (Telegram and Zalo fakes on 127.0.0.1, real databases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.telegram import TelegramChannel
from bot.delivery.outbox import OutboxSender
from handlers.broadcast import plan_broadcast, report_if_done, start_broadcast
from handlers.engine import CONSENT_VERSION
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloApi
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.test_outbox import young_people
from tests.test_telegram_support import TOKEN, options, running, telegram_app
from tests.test_zalo_channel import Bot

TEXT = "Hạn gửi câu hỏi là 21/08."


@pytest.fixture
async def tg_api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


async def drain_all(sender: OutboxSender, app: App) -> None:
    for _ in range(200):
        await sender.drain_once()
        counts = await app.store.outbox.counts()
        if not counts.get("pending") and not counts.get("sending"):
            return
        app.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    raise AssertionError(f"not drained: {await app.store.outbox.counts()}")


async def test_telegram_429_and_403_in_the_middle_of_a_broadcast(
    province_app: App,
    campaign: Campaign,
    tg_api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = telegram_app(province_app, tg_api, monkeypatch)
    people = await young_people(app, 8)
    tg_api.block_chat(5005)
    plan = await plan_broadcast(app.store, campaign, "youth")
    await start_broadcast(app.store, plan, TEXT, author_id=people[0], now=app.clock.now())
    sends = tg_api._methods["sendMessage"]
    calls = 0

    def limited(params: dict[str, object], files: dict[str, object]) -> object:
        nonlocal calls
        calls += 1
        if calls == 3:
            tg_api.fail_next("sendMessage", 429, retry_after=1, times=2)
        return sends(params, files)  # type: ignore[arg-type]

    tg_api._methods["sendMessage"] = limited  # type: ignore[assignment]
    channel = TelegramChannel(app, build_engine(app), options=options())

    async def progress(batch: int) -> None:
        await report_if_done(app.store, batch, now=app.clock.now())

    async with running(channel):
        sender = OutboxSender(
            app.store, {"telegram": channel}, app.clock, on_batch_progress=progress
        )
        await drain_all(sender, app)
    assert tg_api.duplicate_deliveries() == {}
    got = sorted(m["chat_id"] for m in tg_api.sent_messages() if m["text"] == TEXT)
    assert got == [5000, 5001, 5002, 5003, 5004, 5006, 5007]
    report = tg_api.sent_texts(5000)[-1]
    assert "đã gửi 7/8" in report and "1 người đã chặn bot" in report


async def test_zalo_quota_and_403_in_the_middle_of_a_broadcast(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    users = [f"a{n:015x}" for n in range(6)]
    people = []
    for user in users:
        person, _ = await app.store.people.get_or_create(
            channel="zalo",
            external_id=user,
            chat_id=user,
            display_name=None,
            language="vi",
            now=app.clock.now(),
        )
        await app.store.people.grant_consent(
            person.id, version=CONSENT_VERSION, now=app.clock.now()
        )
        people.append(person.id)
    plan = await plan_broadcast(app.store, campaign, "youth")
    await start_broadcast(app.store, plan, TEXT, author_id=people[0], now=app.clock.now())

    async def progress(batch: int) -> None:
        await report_if_done(app.store, batch, now=app.clock.now())

    async with FakeZaloApi(max_poll_seconds=1) as api, Bot(app, api) as bot:
        api.block(users[3])
        send = api._send_message
        calls = 0

        async def limited(payload: dict[str, object], request: object) -> object:
            nonlocal calls
            calls += 1
            if calls == 2:  # "Quota exceeded": once with retry_after, once without
                api.fail_next("sendMessage", 429, retry_after=1)
                api.fail_next("sendMessage", 429)
            return await send(payload, request)  # type: ignore[arg-type]

        api._send_message = limited  # type: ignore[method-assign]
        sender = OutboxSender(
            app.store, {"zalo": bot.channel}, app.clock, on_batch_progress=progress
        )
        await drain_all(sender, app)
        got = sorted(chat for chat, text in api.sent if text == TEXT)
        assert got == sorted(u for u in users if u != users[3])
        assert sum(text == TEXT for _, text in api.sent) == 5  # once each
        assert any("đã gửi 5/6" in text for chat, text in api.sent if chat == users[0])
