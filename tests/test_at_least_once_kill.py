"""kill -9 of `youthbot run` while the answers just published go out: after the restart
every asker has their answer; the one answer whose delivery was not recorded yet may
arrive twice, and then the code says so (its row is marked resent, the log names the
messages in flight). Real SQLite or PostgreSQL, the fake Bot API, a real subprocess."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.application.app import App
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.test_at_least_once_blocked import answer, asked, is_answer
from tests.test_durable_replies import BotProcess, bot_env
from tests.test_outbox import young_people
from tests.test_telegram_support import TOKEN


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


async def test_kill_9_between_an_answers_delivery_and_its_record(
    province_app: App, campaign: Campaign, api: FakeTelegramAPI, tmp_path: Path, database: str
) -> None:
    province_app.clock.set(datetime.now(UTC))  # type: ignore[attr-defined]
    people = await young_people(province_app, 3)
    questions = [await asked(province_app, campaign, p, "telegram") for p in people]
    for question in questions:
        await answer(province_app, question)
    env = bot_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.bot_url,
        TELEGRAM_FILE_BASE_URL=api.file_url,
    )
    bot = BotProcess(tmp_path, {**env, "YOUTHBOT_DB": database})
    try:
        first = bot.start(KILL_AT="outbox-delivered", KILL_NTH="2")
        await bot.killed(first)
        assert len(api.sent_messages()) == 2  # the second went, unrecorded
        second = bot.start()
        await api.wait_for(lambda: len(api.sent_messages()) == 4, 20, what="the answers")
        await bot.stop(second)
    finally:
        bot.kill_all()
    for chat, question in zip((5000, 5001, 5002), questions, strict=True):
        assert sum(is_answer(t, question) for t in api.sent_texts(chat)) >= 1
    twice = api.duplicate_deliveries()
    assert len(twice) == 1  # the answer in flight at the kill
    rows = await province_app.store.db.fetchall(
        "SELECT chat_id, status, resent FROM outbox WHERE kind = 'answer' ORDER BY id"
    )
    assert [r["status"] for r in rows] == ["sent"] * 3
    resent = [r["chat_id"] for r in rows if r["resent"]]
    assert [int(c) for c in resent] == list(twice)  # reported: exactly the one sent twice
    stopped = "on a stopped worker" if database.startswith("postgresql") else "at the last stop"
    assert f"were in flight {stopped}; resending" in bot.log(-1)
