"""The outbox sender through the real Telegram adapter against the fake Bot API:
429 waits, 403 stops, a broadcast is delivered once each and reported, and a kill -9 in
the middle of a broadcast loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.telegram import TelegramChannel
from bot.cli import main
from bot.delivery.outbox import OutboxSender, decode_reply, queue_for_person
from handlers.broadcast import plan_broadcast, report_if_done, start_broadcast
from handlers.engine import CONSENT_VERSION
from handlers.events import Reply
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.test_telegram_support import TOKEN, options, running, telegram_app


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


async def young_people(app: App, count: int, *, start: int = 5000) -> list[int]:
    ids = []
    for n in range(start, start + count):
        person, _ = await app.store.people.get_or_create(
            channel="telegram",
            external_id=str(n),
            chat_id=str(n),
            display_name=None,
            language="vi",
            now=app.clock.now(),
        )
        await app.store.people.grant_consent(
            person.id, version=CONSENT_VERSION, now=app.clock.now()
        )
        ids.append(person.id)
    return ids


async def drain(sender: OutboxSender, app: App, rounds: int = 50) -> None:
    for _ in range(rounds):
        await sender.drain_once()
        counts = await app.store.outbox.counts()
        if not counts.get("pending") and not counts.get("sending"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"outbox not drained: {await app.store.outbox.counts()}")


async def test_429_waits_retry_after_and_sends_once(
    province_app: App, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = telegram_app(province_app, api, monkeypatch)
    [person] = await young_people(app, 1)
    await queue_for_person(app.store, person, Reply("Xin chào"), kind="test", now=app.clock.now())
    api.fail_next("sendMessage", 429, retry_after=1)
    channel = TelegramChannel(app, build_engine(app), options=options())
    async with running(channel):
        sender = OutboxSender(app.store, {"telegram": channel}, app.clock)
        started = time.monotonic()
        await sender.drain_once()
        assert sender.stats["retried"] == 1
        # The row waits retry_after on the app's clock, the channel on the real one.
        app.clock.advance(timedelta(seconds=2))  # type: ignore[attr-defined]
        await drain(sender, app)
        assert time.monotonic() - started >= 1.0
    assert api.sent_texts(5000) == ["Xin chào"]
    assert api.duplicate_deliveries() == {}


async def test_403_marks_unreachable_and_stops(
    province_app: App, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = telegram_app(province_app, api, monkeypatch)
    blocked, ok = await young_people(app, 2)
    api.block_chat(5000)
    for text in ("một", "hai"):
        for person in (blocked, ok):
            await queue_for_person(app.store, person, Reply(text), kind="t", now=app.clock.now())
    channel = TelegramChannel(app, build_engine(app), options=options())
    async with running(channel):
        sender = OutboxSender(app.store, {"telegram": channel}, app.clock)
        await drain(sender, app)
    person = await app.store.people.get(blocked)
    assert person is not None and person.unreachable
    assert api.sent_texts(5001) == ["một", "hai"]
    assert len([c for c in api.calls if c.params.get("chat_id") == 5000]) == 1  # tried once
    assert await app.store.outbox.counts() == {"sent": 2, "blocked": 2}
    # Nothing new is queued for them afterwards.
    assert not await queue_for_person(
        app.store, blocked, Reply("ba"), kind="t", now=app.clock.now()
    )


async def test_broadcast_delivered_once_each_and_reported(
    province_app: App, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch, campaign: Campaign
) -> None:
    app = telegram_app(province_app, api, monkeypatch)
    people = await young_people(app, 25)
    author = people[0]
    api.block_chat(5003)
    plan = await plan_broadcast(app.store, campaign, "youth")
    assert len(plan.recipients) == 25
    _, queued = await start_broadcast(
        app.store, plan, "Hạn gửi câu hỏi là 21/08.", author_id=author, now=app.clock.now()
    )
    assert queued == 25
    channel = TelegramChannel(app, build_engine(app), options=options())

    async def progress(batch: int) -> None:
        await report_if_done(app.store, batch, now=app.clock.now())

    async with running(channel):
        sender = OutboxSender(
            app.store, {"telegram": channel}, app.clock, on_batch_progress=progress
        )
        await drain(sender, app)
        await drain(sender, app)  # the report itself
    assert api.duplicate_deliveries() == {}
    delivered = [m for m in api.sent_messages() if m["text"] == "Hạn gửi câu hỏi là 21/08."]
    assert len(delivered) == 24
    report = api.sent_texts(5000)[-1]
    assert "đã gửi 24/25" in report and "1 người đã chặn bot" in report


async def test_message_in_flight_at_a_crash_is_resent_and_the_report_says_so(
    province_app: App,
    api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
    campaign: Campaign,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = telegram_app(province_app, api, monkeypatch)
    people = await young_people(app, 5)
    plan = await plan_broadcast(app.store, campaign, "youth")
    broadcast_id, queued = await start_broadcast(
        app.store, plan, "Hạn gửi câu hỏi là 21/08.", author_id=people[0], now=app.clock.now()
    )
    assert queued == 5
    channel = TelegramChannel(app, build_engine(app), options=options())

    async def progress(batch: int) -> None:
        await report_if_done(app.store, batch, now=app.clock.now())

    async with running(channel):
        # The first process: claims a message and Telegram accepts it, then the process
        # dies before recording that (what the sender does, stopped where a kill stops it).
        [first] = await app.store.outbox.due(now=app.clock.now(), channels=["telegram"], limit=1)
        assert await app.store.outbox.claim(first.id)
        await channel.deliver(first.chat_id, decode_reply(first.body))
        # The restarted process.
        sender = OutboxSender(
            app.store, {"telegram": channel}, app.clock, on_batch_progress=progress
        )
        assert await sender.recover() == 1
        await drain(sender, app)
        await drain(sender, app)  # the report itself
    # The one message in flight arrived twice; no other, and none was lost.
    assert api.duplicate_deliveries() == {int(first.chat_id): {"Hạn gửi câu hỏi là 21/08.": 2}}
    report = api.sent_texts(5000)[-1]
    assert "đã gửi 5/5" in report
    assert "Có 1 tin đang được gửi thì hệ thống dừng đột ngột" in report
    # The operator's `youthbot broadcast status` says so too.
    assert await asyncio.to_thread(main, ["broadcast", "status", str(broadcast_id)]) == 0
    status = capsys.readouterr().out
    assert "đã gửi 5/5" in status and "Có 1 tin đang được gửi" in status


def _env(tmp_path: Path, api: FakeTelegramAPI) -> dict[str, str]:
    database = os.environ["YOUTHBOT_DB"]  # the test's SQLite file or PostgreSQL database
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YOUTHBOT_", "TELEGRAM_"))}
    env.update(
        YOUTHBOT_DB=database,
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.bot_url,
        TELEGRAM_FILE_BASE_URL=api.file_url,
        PTB_TIMEDELTA="true",
        YOUTHBOT_LOG_LEVEL="WARNING",
        # On PostgreSQL the restarted bot resends the killed one's message in flight once
        # it is silent this long: 3 s, not the operators' 15 s.
        YOUTHBOT_WORKER_LEASE_SECONDS="3",
    )
    return env


async def test_kill_9_in_the_middle_of_a_broadcast_loses_nothing(
    province_app: App, api: FakeTelegramAPI, tmp_path: Path, campaign: Campaign
) -> None:
    # The bot runs on the real clock: people made "today", or its privacy sweep would
    # rightly erase people inactive for a year, with their queued messages.
    province_app.clock.set(datetime.now(UTC))  # type: ignore[attr-defined]
    people = await young_people(province_app, 60)
    plan = await plan_broadcast(province_app.store, campaign, "youth")
    await start_broadcast(
        province_app.store, plan, "Thông báo", author_id=None, now=province_app.clock.now()
    )
    api.enable_rate_limits(scale=1)  # Telegram's real limits: 30/s overall, 1/s per chat
    env = _env(tmp_path, api)
    command = [sys.executable, "-m", "bot", "run", "--channel", "telegram"]
    log1 = (tmp_path / "first.log").open("wb")
    first = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log1, stderr=log1)
    try:
        await api.wait_for(lambda: len(api.sent_messages()) >= 20, 30, what="20 delivered")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        log1.close()
    before = len(api.sent_messages())
    assert before < len(people)
    log2 = (tmp_path / "second.log").open("wb")
    second = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log2, stderr=log2)
    try:
        await api.wait_for(
            lambda: len({m["chat_id"] for m in api.sent_messages()}) >= len(people),
            30,
            what="every recipient reached",
        )
        await asyncio.sleep(0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
        log2.close()
    assert second.returncode == 0, (tmp_path / "second.log").read_text()[-2000:]
    texts = [m for m in api.sent_messages() if m["text"] == "Thông báo"]
    chats = [m["chat_id"] for m in texts]
    assert set(chats) == {5000 + i for i in range(60)}
    # At most the one message in flight at the kill can arrive twice.
    extra = sum(sum(v.values()) - len(v) for v in api.duplicate_deliveries().values())
    assert extra <= 1
    assert api.rate_limited_count == 0
