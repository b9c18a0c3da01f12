"""A database kept busy past every try of the outbox sender (a long backup or re-clustering
from the command line) loses no message and leaves none "in flight" until the next start:
the outcome is recorded within the same run, on real SQLite through the fake Bot API."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import pytest

import bot.delivery.outbox
import storage.db
from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.telegram import TelegramChannel
from bot.delivery.outbox import BUSY_TRIES, OutboxSender, queue_for_person
from handlers.events import Reply
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_outbox import young_people
from tests.test_telegram_support import TOKEN, options, running, telegram_app

BUSY_MS = 100
PAUSE = 0.02


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


@pytest.fixture(autouse=True)
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT_MS", BUSY_MS)
    monkeypatch.setattr(bot.delivery.outbox, "BUSY_PAUSE", PAUSE)


async def test_an_outcome_refused_past_every_busy_try_is_recorded_in_the_same_run(
    province_app: App, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch, database: str
) -> None:
    """The lock is taken while a message is on its way and held past the sender's
    BUSY_TRIES tries to record it: the message stayed 'sending' (and its broadcast
    unfinished) until the next `youthbot run`. Now it is recorded sent once the lock goes,
    sent once, and the next message goes too."""
    app = telegram_app(province_app, api, monkeypatch)
    [person] = await young_people(app, 1)
    assert await queue_for_person(
        app.store, person, Reply("Trả lời câu hỏi"), kind="answer", now=app.clock.now()
    )
    channel = TelegramChannel(app, build_engine(app), options=options())
    async with running(channel):
        sender = OutboxSender(app.store, {"telegram": channel}, app.clock, poll_seconds=0.05)
        api.delay(0.3, method="sendMessage", times=1)
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await api.wait_for(lambda: len(api.calls_to("sendMessage")) == 1, 5, what="a send")
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's write transaction
        # Past every try: BUSY_TRIES x (busy timeout + pause), and more.
        await asyncio.sleep(BUSY_TRIES * (BUSY_MS / 1000 + PAUSE) * 3)
        assert not task.done()
        other.rollback()
        other.close()
        for _ in range(100):
            if await app.store.outbox.counts() == {"sent": 1}:
                break
            await asyncio.sleep(0.05)
        assert await app.store.outbox.counts() == {"sent": 1}
        assert await queue_for_person(
            app.store, person, Reply("Nhắc hạn"), kind="t", now=app.clock.now()
        )
        sender.wake()
        await api.wait_for(lambda: len(api.sent_texts(5000)) == 2, 5, what="the next")
        stop.set()
        await asyncio.wait_for(task, 5)
    assert api.sent_texts(5000) == ["Trả lời câu hỏi", "Nhắc hạn"]
    assert api.duplicate_deliveries() == {}
    [row] = await app.store.db.fetchall("SELECT resent FROM outbox WHERE kind = 'answer'")
    assert row["resent"] == 0
