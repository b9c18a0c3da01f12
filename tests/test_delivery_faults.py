"""Delivery faults seen from outside: the outbox and the answers through the real channel
adapters against the fake Bot API and the fake Zalo API on 127.0.0.1, on real SQLite."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage.db
from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo_client import zalo_text_length
from bot.cli import main
from bot.delivery.outbox import OutboxSender, queue_for_person
from handlers.broadcast import plan_broadcast, start_broadcast
from handlers.engine import CONSENT_VERSION
from handlers.events import Reply
from storage import Store
from storage.db import Database
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloApi
from tests.followup import official, outbox, question, support
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker
from tests.test_durable_replies import BotProcess, bot_env
from tests.test_outbox import drain, young_people
from tests.test_telegram_adapter import member_update
from tests.test_telegram_support import TOKEN, options, running, settle, telegram_app
from tests.test_zalo_channel import USER, Bot


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


def long_text() -> str:
    first = "Sở Nội vụ trả lời: thanh niên được hỗ trợ vay vốn khởi nghiệp. " * 40
    second = "Hồ sơ nộp tại Ngân hàng Chính sách xã hội nơi bạn cư trú. " * 40
    return f"{first.strip()}\n\n{second.strip()}"  # two Telegram messages


async def test_a_long_message_failing_after_its_first_part_repeats_nothing(
    province_app: App, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = telegram_app(province_app, api, monkeypatch)
    [person] = await young_people(app, 1)
    text = long_text()
    assert len(text) > 4096
    await queue_for_person(app.store, person, Reply(text), kind="answer", now=app.clock.now())
    channel = TelegramChannel(app, build_engine(app), options=options())
    async with running(channel):
        send = api._methods["sendMessage"]
        first = True

        def first_then_outage(params: dict[str, object], files: dict[str, object]) -> object:
            nonlocal first
            result = send(params, files)  # type: ignore[arg-type]
            if first:  # the first part is in; Telegram then answers 502 for a while
                first = False
                api.fail_next("sendMessage", 502, times=4)
            return result

        api._methods["sendMessage"] = first_then_outage  # type: ignore[assignment]
        sender = OutboxSender(app.store, {"telegram": channel}, app.clock)
        await sender.drain_once()
        assert sender.stats["retried"] == 1
        app.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
        await drain(sender, app)
    parts = api.sent_texts(5000)
    assert parts == text.split("\n\n")
    assert api.duplicate_deliveries() == {}


async def test_a_long_zalo_answer_failing_after_its_first_part_repeats_nothing(
    province_app: App,
) -> None:
    app = province_app
    person, _ = await app.store.people.get_or_create(
        channel="zalo",
        external_id=USER,
        chat_id=USER,
        display_name=None,
        language="vi",
        now=app.clock.now(),
    )
    await app.store.people.grant_consent(person.id, version=CONSENT_VERSION, now=app.clock.now())
    first = "Sở Nội vụ trả lời: thanh niên được hỗ trợ vay vốn khởi nghiệp. " * 25
    second = "Hồ sơ nộp tại Ngân hàng Chính sách xã hội nơi bạn cư trú. " * 25
    text = f"{first.strip()}\n\n{second.strip()}"
    assert zalo_text_length(text) > 2000  # two Zalo messages
    await queue_for_person(app.store, person.id, Reply(text), kind="answer", now=app.clock.now())
    async with FakeZaloApi(max_poll_seconds=1) as api, Bot(app, api) as bot:
        send = api._send_message
        sent_first = False

        async def first_then_outage(payload: dict[str, object], request: object) -> object:
            nonlocal sent_first
            result = await send(payload, request)  # type: ignore[arg-type]
            if not sent_first:  # the first part is in; Zalo then answers 502 a while
                sent_first = True
                api.fail_next("sendMessage", 502, times=3)
            return result

        api._send_message = first_then_outage  # type: ignore[method-assign]
        sender = OutboxSender(app.store, {"zalo": bot.channel}, app.clock)
        await sender.drain_once()
        assert sender.stats["retried"] == 1
        app.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
        await drain(sender, app)
        assert bot.texts() == text.split("\n\n")
    [row] = await app.store.db.fetchall("SELECT status, resent FROM outbox")
    assert (row["status"], row["resent"]) == ("sent", 0)


async def test_blocked_on_telegram_still_reached_on_zalo_and_back_when_unblocked(
    province_app: App, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person who linked Zalo and Telegram (/lienket) and blocked the bot on Telegram
    still gets their answer, on Zalo; unblocking Telegram makes it preferred again."""
    app = telegram_app(province_app, api, monkeypatch)
    [person] = await young_people(app, 1)  # Telegram chat 5000
    other, _ = await app.store.people.get_or_create(
        channel="zalo",
        external_id=USER,
        chat_id=USER,
        display_name=None,
        language="vi",
        now=app.clock.now(),
    )
    await app.store.people.merge(other.id, person)  # what /lienket does
    api.block_chat(5000)
    await queue_for_person(
        app.store, person, Reply("Trả lời câu hỏi"), kind="answer", now=app.clock.now()
    )
    telegram = TelegramChannel(app, build_engine(app), options=options())
    async with (
        FakeZaloApi(max_poll_seconds=1) as zalo_api,
        Bot(app, zalo_api) as zalo,
        running(telegram),
    ):
        sender = OutboxSender(app.store, {"telegram": telegram, "zalo": zalo.channel}, app.clock)
        await drain(sender, app)
        assert zalo.texts() == ["Trả lời câu hỏi"]
        found = await app.store.people.get(person)
        assert found is not None and not found.unreachable
        # Another message goes straight to Zalo (Telegram is not tried again).
        tries = len(api.calls_to("sendMessage"))
        assert await queue_for_person(
            app.store, person, Reply("Nhắc hạn"), kind="t", now=app.clock.now()
        )
        await drain(sender, app)
        assert zalo.texts() == ["Trả lời câu hỏi", "Nhắc hạn"]
        assert len(api.calls_to("sendMessage")) == tries
        # They unblock the bot on Telegram: Telegram is their first channel again.
        api.unblock_chat(5000)
        api.push_raw(member_update(5000, "member"))
        await settle(api, telegram)
        assert await queue_for_person(
            app.store, person, Reply("Thông báo"), kind="t", now=app.clock.now()
        )
        await drain(sender, app)
    assert api.sent_texts(5000) == ["Thông báo"]
    assert zalo.texts() == ["Trả lời câu hỏi", "Nhắc hạn"]


async def test_people_unreachable_before_the_migration_stay_so_until_they_return(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    at = "2025-07-01T02:00:00+00:00"
    async with await Database.open(path, migrate_to=18) as db:
        for person, unreachable in ((1, 1), (2, 0)):
            await db.execute(
                "INSERT INTO people (id, language, unreachable, created_at, updated_at)"
                " VALUES (?, 'vi', ?, ?, ?)",
                (person, unreachable, at, at),
            )
            for channel in ("telegram", "zalo"):
                await db.execute(
                    "INSERT INTO identities (person_id, channel, external_id, chat_id,"
                    " created_at) VALUES (?, ?, ?, ?, ?)",
                    (person, channel, f"{channel}{person}", f"{channel}{person}", at),
                )
    async with await Store.open(path) as store:
        assert await store.people.reachable_identities([1, 2]) == {
            2: await store.people.identities(2)
        }
        await store.people.set_blocked("zalo", "zalo1", blocked=False)  # they write on Zalo
        [zalo] = (await store.people.reachable_identities([1]))[1]
        assert zalo.channel == "zalo"
        back = await store.people.get(1)
        assert back is not None and not back.unreachable
        still = await store.people.by_identity("telegram", "telegram1")
        assert still is not None and still.unreachable  # not on Telegram


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch, database: str) -> None:
    """SQLite waits 0.1 s for another process's lock (set before the database opens)."""
    if database.startswith("postgresql"):
        pytest.skip("SQLite's write lock")
    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT_MS", 100)


async def test_a_database_kept_busy_by_another_process_does_not_stop_the_sender(
    short_busy_timeout: None,
    province_app: App,
    api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
    database: str,
) -> None:
    """A backup or a re-clustering from the command line holds SQLite's write lock past its
    busy timeout, at the sender's start and while a message is on its way: the sender
    waits and goes on (it ended, and `youthbot run` with it), each message goes once and
    is recorded sent."""
    app = telegram_app(province_app, api, monkeypatch)
    [person] = await young_people(app, 1)
    await queue_for_person(app.store, person, Reply("Nhắc hạn"), kind="t", now=app.clock.now())
    channel = TelegramChannel(app, build_engine(app), options=options())

    def hold_write_lock() -> sqlite3.Connection:
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's write transaction
        return other

    async with running(channel):
        sender = OutboxSender(app.store, {"telegram": channel}, app.clock, poll_seconds=0.05)
        other = hold_write_lock()
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await asyncio.sleep(0.5)  # several busy timeouts
        assert not task.done()
        other.rollback()
        await api.wait_for(lambda: api.sent_texts(5000) == ["Nhắc hạn"], 5, what="the message")
        # The lock is taken while the next message is on its way (claimed, not recorded).
        api.delay(0.3, method="sendMessage", times=1)
        assert await queue_for_person(
            app.store, person, Reply("Thông báo"), kind="t", now=app.clock.now()
        )
        sender.wake()
        await api.wait_for(lambda: len(api.calls_to("sendMessage")) == 2, 5, what="a send")
        other.execute("BEGIN IMMEDIATE")
        await asyncio.sleep(1.0)  # the send ends, its record waits past several timeouts
        other.rollback()
        other.close()
        await api.wait_for(lambda: len(api.sent_texts(5000)) == 2, 5, what="the second")
        await asyncio.sleep(1.5)
        assert not task.done()
        stop.set()
        await asyncio.wait_for(task, 5)
    assert api.sent_texts(5000) == ["Nhắc hạn", "Thông báo"]
    assert await app.store.outbox.counts() == {"sent": 2}


@pytest.mark.parametrize("point", ["outbox-sent", "reported"])
async def test_kill_9_at_the_end_of_a_broadcast_still_reports_it(
    province_app: App,
    api: FakeTelegramAPI,
    tmp_path: Path,
    campaign: Campaign,
    database: str,
    point: str,
) -> None:
    """Killed once the broadcast's last message was sent and recorded, or once it was
    marked reported: the restarted bot still sends the organiser its report (it was lost:
    the report was queued only after a delivery, and apart from the mark)."""
    province_app.clock.set(datetime.now(UTC))  # type: ignore[attr-defined]
    people = await young_people(province_app, 3)
    plan = await plan_broadcast(province_app.store, campaign, "youth")
    await start_broadcast(
        province_app.store, plan, "Thông báo", author_id=people[0], now=province_app.clock.now()
    )
    env = bot_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.bot_url,
        TELEGRAM_FILE_BASE_URL=api.file_url,
    )
    bot = BotProcess(tmp_path, {**env, "YOUTHBOT_DB": database})
    try:
        first = bot.start(KILL_AT=point, KILL_NTH="3" if point == "outbox-sent" else "1")
        await bot.killed(first)
        assert sorted(m["chat_id"] for m in api.sent_messages()) == [5000, 5001, 5002]
        second = bot.start()
        await api.wait_for(
            lambda: any("đã gửi 3/3" in t for t in api.sent_texts(5000)), 20, what="the report"
        )
        await bot.stop(second)
    finally:
        bot.kill_all()
    assert api.duplicate_deliveries() == {}


async def test_a_withdrawn_question_is_never_published_nor_anyone_told(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    """A draft answer written before its asker withdrew the question (/rut): `answers
    publish MÃ` and /congbo refuse it; it was sent to the asker and the supporters, and the
    question counted as answered again."""
    app = province_app
    engine = build_engine(app)
    asked = await question(
        app, campaign, "lan", "Xã có lớp dạy nghề miễn phí cho thanh niên không?"
    )
    await support(app, asked, "minh")
    admin = await official(app, engine, "admin", "admin")
    await admin.say(f"/traloi {asked.code} Có, đăng ký tại Trung tâm.")
    assert "chưa gửi" in admin.last_text  # a draft
    asker = Talker(engine, user_id="lan")
    await asker.say(f"/rut {asked.code}")
    await asker.press("Rút")
    withdrawn = await app.store.questions.get(asked.id)
    assert withdrawn is not None and withdrawn.status == "withdrawn", asker.last_text
    status = await asyncio.to_thread(main, ["answers", "publish", asked.code])
    out = capsys.readouterr()
    assert status == 2 and "đã được người hỏi rút lại" in out.err + out.out
    replies = await admin.say(f"/congbo {asked.code}")
    assert "rút lại" in admin.last_text and not any(r.buttons for r in replies)
    assert await outbox(app, "answer") == []
    after = await app.store.questions.get(asked.id)
    assert after is not None and after.status == "withdrawn" and not after.answer_published
