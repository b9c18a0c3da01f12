"""Replies to a person's own message survive a database kept busy by another process
during an outage: the chat's delivery goes on within the run (it stopped until the
person wrote again), through the real Telegram adapter against the fake Bot API, on a
real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import pytest

import storage.db
from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.telegram import TelegramChannel
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_support import TOKEN, options, running, telegram_app

BUSY_MS = 100
USER = 7100


@pytest.fixture(autouse=True)
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT_MS", BUSY_MS)


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
        assert channel.health()["replies_waiting"] == 0
    assert len(api.sent_texts(USER)) == 1
