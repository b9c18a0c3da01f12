"""An outage of the platform (or of the server's network) longer than the outbox's eight
tries loses no answer: the message waits and goes when sending works again, through the
real Telegram adapter against the fake Bot API, on real databases."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.telegram import TelegramChannel
from bot.delivery.outbox import GIVE_UP_AFTER, MAX_ATTEMPTS, OutboxSender, queue_for_person
from handlers.events import Reply
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.test_outbox import young_people
from tests.test_telegram_support import TOKEN, options, running, telegram_app

OUTAGE = 3.0  # seconds of real time: the fake answers 500 meanwhile


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


async def test_an_answer_outlives_an_outage_longer_than_eight_tries(
    province_app: App, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram answers 500 for an hour (on the app's clock): the answer was marked
    'failed' at the eighth try, about four minutes in, and never sent. Now it is retried
    (five minutes apart at most) and delivered once the outage ends; only a message that
    still fails after :data:`GIVE_UP_AFTER` is given up."""
    app = telegram_app(province_app, api, monkeypatch)
    [person, other] = await young_people(app, 2)
    await queue_for_person(app.store, person, Reply("Trả lời"), kind="answer", now=app.clock.now())
    channel = TelegramChannel(app, build_engine(app), options=options())
    async with running(channel):
        sender = OutboxSender(app.store, {"telegram": channel}, app.clock)
        started = time.monotonic()
        api.fail_during(OUTAGE)
        for _ in range(MAX_ATTEMPTS + 12):  # an hour of tries, five minutes apart
            await sender.drain_once()
            app.clock.advance(timedelta(seconds=300))  # type: ignore[attr-defined]
        assert time.monotonic() - started < OUTAGE, "the outage ended too early"
        assert await app.store.outbox.counts() == {"pending": 1}
        await asyncio.sleep(OUTAGE - (time.monotonic() - started) + 0.2)
        await sender.drain_once()
        assert api.sent_texts(5000) == ["Trả lời"]
        assert await app.store.outbox.counts() == {"sent": 1}

        # A message that keeps failing is given up, once tried enough and long enough.
        await queue_for_person(app.store, other, Reply("Nhắc"), kind="t", now=app.clock.now())
        api.fail_during(OUTAGE)
        started = time.monotonic()
        for _ in range(MAX_ATTEMPTS):
            await sender.drain_once()
            app.clock.advance(timedelta(seconds=300))  # type: ignore[attr-defined]
        assert await app.store.outbox.counts() == {"sent": 1, "pending": 1}
        app.clock.advance(GIVE_UP_AFTER)  # type: ignore[attr-defined]
        await sender.drain_once()
        assert time.monotonic() - started < OUTAGE, "the outage ended too early"
    assert await app.store.outbox.counts() == {"sent": 1, "failed": 1}
    assert api.duplicate_deliveries() == {}
