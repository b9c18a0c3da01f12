"""`youthbot run` stops in order: a channel that fails stops the others, the scheduler's
running tick finishes, and only then may the database close (no "Cannot operate on a closed
database" on exit)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest

from bot.application.app import App
from bot.application.config import Settings
from bot.application.runner import run_bot
from bot.application.scheduler import build_scheduler
from bot.channels.telegram import TelegramSetupError
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloApi
from tests.test_telegram_support import TOKEN


async def test_stop_lets_the_running_tick_finish(app: App) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def slow_digests(app: App, now: datetime) -> int:
        entered.set()
        await release.wait()
        await app.store.info.set("last_tick", now.isoformat())  # a write after the pause
        finished.append("digests")
        return 0

    scheduler = build_scheduler(app, digests=slow_digests)
    scheduler.start()
    await asyncio.wait_for(entered.wait(), 10)
    stopping = asyncio.create_task(scheduler.stop())
    await asyncio.sleep(0.1)
    assert not stopping.done()  # waiting for the tick, not cancelling it
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert finished == ["digests"]
    assert await app.store.info.get("last_tick") is not None
    assert not scheduler.running


async def test_a_refused_channel_stops_the_other_before_run_returns(
    app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    refusing = FakeTelegramAPI(token="987654321:another-token_that-is-not-ours-0123")
    async with FakeZaloApi(max_poll_seconds=0.2) as zalo, refusing as telegram:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", telegram.bot_url)
        monkeypatch.setenv("TELEGRAM_FILE_BASE_URL", telegram.file_url)
        monkeypatch.setenv("ZALO_BOT_TOKEN", zalo.token)
        monkeypatch.setenv("ZALO_API_BASE_URL", zalo.base_url)
        app.settings = Settings(env_file=None)
        with pytest.raises(TelegramSetupError):
            await asyncio.wait_for(run_bot(app), 30)
        # Zalo was stopped before run_bot returned: it asks for nothing more.
        asked = len(zalo.requests)
        await asyncio.sleep(0.6)
        assert len(zalo.requests) == asked
    ours = [r for r in caplog.records if not r.name.startswith("aiohttp")]  # not the fakes'
    problems = [r.getMessage() for r in ours if r.levelno >= logging.ERROR]
    problems += [r.getMessage() for r in ours if "closed database" in r.getMessage()]
    assert not problems, problems
    # In order: Zalo stopped, the scheduler's tick finished, then the scheduler shut down.
    order = [r.getMessage() for r in ours]
    stopped = order.index("zalo: stopped")
    ticked = next(i for i, m in enumerate(order) if "executed successfully" in m)
    shut = order.index("Scheduler has been shut down")
    assert stopped < shut and ticked < shut


async def test_the_bot_keeps_its_similar_question_index_on_disk(
    province_app: App, campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`youthbot run` writes each campaign's index beside the database once built, so the
    next start reads it instead of building it (bot/clustering/snapshot.py)."""
    from bot.application.wiring import snapshot_folder
    from bot.clustering import snapshot
    from tests.followup import question

    app = province_app
    for letter, text in (("a", "Xã có lớp tiếng Trung miễn phí không?"), ("b", "Đường thôn hỏng")):
        await question(app, campaign, letter, text)
    async with FakeZaloApi(max_poll_seconds=0.2) as zalo:
        monkeypatch.setenv("ZALO_BOT_TOKEN", zalo.token)
        monkeypatch.setenv("ZALO_API_BASE_URL", zalo.base_url)
        app.settings = Settings(env_file=None)
        folder = snapshot_folder(app)
        assert folder is not None
        stop = asyncio.Event()
        running = asyncio.create_task(run_bot(app, wanted=("zalo",), stop=stop))
        for _ in range(100):
            if snapshot.path_for(folder, campaign.id).exists() or running.done():
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(running, 30)
    kept = snapshot.load(folder, campaign.id)
    assert kept is not None and len(kept.index) == 2
