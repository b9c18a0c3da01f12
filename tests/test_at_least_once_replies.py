"""Replies to a person's own message survive a database kept busy by another process
during an outage: the chat's delivery goes on within the run (it stopped until the
person wrote again), through the real Telegram adapter against the fake Bot API, on a
real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import pytest

import bot.delivery.replies
import storage.db
from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.telegram import TelegramChannel
from bot.channels.webserver import WebServer
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloApi
from tests.test_telegram_adapter import webhook_app
from tests.test_telegram_support import TOKEN, options, running, settle, telegram_app
from tests.test_zalo_channel import Bot, wait_until

BUSY_MS = 100
USER = 7100


@pytest.fixture(autouse=True)
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT_MS", BUSY_MS)
    monkeypatch.setattr(bot.delivery.replies, "BUSY_PAUSE", 0.1)


def hold_write_lock(database: str) -> sqlite3.Connection:
    """Another process's write transaction (a re-clustering, a restore), left open."""
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


async def test_a_reply_whose_retry_meets_a_busy_database_is_still_delivered(
    province_app: App,
    campaign: Campaign,
    api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
    database: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram fails the first send (an outage: the row is freed while it waits), then
    another process holds SQLite's write lock when the row is claimed again for its
    retry: the chat's worker died with "database is locked" and the reply waited until
    the person wrote again (or the next start). Now the worker waits and goes on."""
    app = telegram_app(province_app, api, monkeypatch)
    channel = TelegramChannel(
        app, build_engine(app), options=options(backoff_base=0.6, backoff_max=0.6)
    )
    async with running(channel):
        api.fail_next("sendMessage", 500)
        api.push_message(USER, "/start")
        await api.wait_for(
            lambda: any(c.status == 500 for c in api.calls_to("sendMessage")), 5, what="a 500"
        )
        await asyncio.sleep(0.15)  # the row is freed; its retry comes 0.6 s after the try
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's write transaction
        await asyncio.sleep(1.0)
        other.rollback()
        other.close()
        await api.wait_for(lambda: bool(api.sent_texts(USER)), 5, what="the reply")
        assert "could not be written" in caplog.text
        # Its record is written just after Telegram's answer: wait for it, not a race.
        await api.wait_for(
            lambda: channel.health()["replies_waiting"] == 0, 5, what="the reply recorded"
        )
    assert len(api.sent_texts(USER)) == 1


async def test_a_message_polled_while_the_database_stays_busy_is_answered(
    province_app: App,
    campaign: Campaign,
    api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
    database: str,
) -> None:
    """Another process holds SQLite's write lock past the engine's three tries: the polled
    update was given up (Telegram never sends it again) and the apology could not be
    stored either (the same lock), so the person got no answer at all in this run. Now
    it is handled once the lock goes, and answered."""
    app = telegram_app(province_app, api, monkeypatch)
    channel = TelegramChannel(app, build_engine(app), options=options())
    api.push_message(USER, "/start")
    api.push_message(USER, "/trogiup")  # polled together with the first
    send = api._methods["sendMessage"]
    locks: list[sqlite3.Connection] = []

    def lock_after_the_first(params: dict[str, object], files: dict[str, object]) -> object:
        if not locks:  # the first reply goes; then another process takes the lock
            locks.append(hold_write_lock(database))
            asyncio.get_running_loop().call_later(1.0, locks[0].rollback)
        return send(params, files)  # type: ignore[arg-type]

    api._methods["sendMessage"] = lock_after_the_first  # type: ignore[assignment]
    async with running(channel):
        await api.wait_for(lambda: len(api.sent_texts(USER)) == 2, 5, what="both answers")
        await settle(api, channel)
    locks[0].close()
    first, second = api.sent_texts(USER)
    assert "Chào bạn" in first and "/hoi" in second


async def test_a_zalo_message_polled_while_the_database_stays_busy_is_answered(
    province_app: App, campaign: Campaign, database: str
) -> None:
    user = "b0000000000000001"
    async with FakeZaloApi(max_poll_seconds=1) as api, Bot(province_app, api) as bot:
        other = hold_write_lock(database)
        api.push_text(user, "/start")
        await asyncio.sleep(1.0)
        other.rollback()
        other.close()
        await wait_until(lambda: bool(bot.texts(user)))
        texts = bot.texts(user)
    assert len(texts) == 1 and "Chào bạn" in texts[0], texts


async def test_a_webhook_update_is_not_given_up_while_the_database_is_busy(
    province_app: App,
    campaign: Campaign,
    api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
    database: str,
) -> None:
    """Telegram sends the update again after each 500; while another process held the
    lock, the third failure gave it up (200, the message lost, the apology not stored).
    Now a busy database never counts: it is answered once the lock goes."""
    async with WebServer(host="127.0.0.1", port=0) as web:
        app = webhook_app(province_app, api, web, monkeypatch)
        channel = TelegramChannel(app, build_engine(app), options=options(), web=web)
        async with running(channel):
            other = hold_write_lock(database)
            api.push_message(USER, "/start")
            statuses: list[int] = []
            for _ in range(4):
                statuses += await api.deliver_webhook_updates()
            other.rollback()
            other.close()
            assert statuses == [500] * 4
            assert await api.deliver_webhook_updates() == [200]
            await api.wait_for(lambda: bool(api.sent_texts(USER)), 5, what="the answer")
    [text] = api.sent_texts(USER)
    assert "Chào bạn" in text
