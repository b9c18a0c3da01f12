"""When another process keeps the database busy past SQLite's busy timeout (a re-clustering
or a backup from the command line, a second worker), a chat event is handled again
instead of being given up: the person's message is never lost to a lock."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date
from pathlib import Path

import pytest

import storage.db
from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.delivery.replies import BUSY_ATTEMPTS, handle_and_store
from handlers.events import Event, EventKind
from storage.db import Database
from tests.test_clustering_trust import JOBS, ask

# Short waits, so that a lock held a little longer than one of them is cheap to test.
BUSY_MS = 150


@pytest.fixture(autouse=True)
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT_MS", BUSY_MS)


def hold_write_lock(path: str | Path) -> sqlite3.Connection:
    """Another process's write transaction, left open."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_a_refused_begin_says_the_database_was_busy(tmp_path: Path) -> None:
    """The error a caller sees is SQLite's "database is locked", which the database
    recognises as busy (it was hidden behind "cannot rollback" before)."""
    path = tmp_path / "t.db"
    async with await Database.open(path) as db:
        other = hold_write_lock(path)
        with pytest.raises(sqlite3.OperationalError) as caught:
            async with db.transaction(quick=True):
                await db.execute("INSERT INTO audit_log (at, action) VALUES ('2025', 'x')")
        assert "locked" in str(caught.value)
        assert db.busy(caught.value)
        assert not db.busy(sqlite3.OperationalError("no such table: x"))
        assert not db.busy(ValueError("database is locked"))
        other.rollback()
        other.close()
        # The connection is usable again at once.
        async with db.transaction(quick=True):
            await db.execute("INSERT INTO audit_log (at, action) VALUES ('2025', 'y')")
        assert await db.fetchval("SELECT count(*) FROM audit_log") == 1


async def test_a_question_sent_while_another_process_writes_is_stored(
    province_app: App, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The lock is held longer than one busy timeout (but less than all the tries): the
    press of "Gửi" is handled again, the question is stored once, and its code is said."""
    await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    engine = build_engine(province_app)
    talker = await ask(engine, "busy", JOBS)
    send = talker.button("Gửi")
    other = hold_write_lock(database)
    asyncio.get_running_loop().call_later(BUSY_MS * 1.5 / 1000, other.rollback)
    event = Event(
        channel="test",
        user_id="busy",
        kind=EventKind.BUTTON,
        payload=send.payload,
        update_id="busy-1",
    )
    replies, stored = await handle_and_store(
        engine, province_app.store, event, now=province_app.clock.now()
    )
    other.close()
    said = "\n".join(reply.text for reply in replies)
    assert "Mã câu hỏi: " in said
    assert stored is not None
    code = said.split("Mã câu hỏi: ")[1][:6]
    question = await province_app.store.questions.by_code(code)
    assert question is not None and question.text == JOBS
    assert await province_app.store.db.fetchval("SELECT count(*) FROM questions") == 1
    assert "the database was busy" in caplog.text


async def test_a_lock_held_past_every_try_fails_the_event_cleanly(
    province_app: App, database: str
) -> None:
    """Past :data:`BUSY_ATTEMPTS` tries the error reaches the channel (which apologises);
    nothing of the event was kept, and the next event works."""
    await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    engine = build_engine(province_app)
    other = hold_write_lock(database)
    event = Event(channel="test", user_id="late", kind=EventKind.COMMAND, command="start")
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(sqlite3.OperationalError):
        await handle_and_store(engine, province_app.store, event, now=province_app.clock.now())
    assert loop.time() - started >= BUSY_ATTEMPTS * BUSY_MS / 1000 * 0.9
    other.rollback()
    other.close()
    replies, _ = await handle_and_store(
        engine, province_app.store, event, now=province_app.clock.now()
    )
    assert replies


async def test_after_chat_events_other_writes_still_wait_for_a_lock(tmp_path: Path) -> None:
    """A chat event's BEGIN in the loop's thread turns SQLite's wait off (it must not
    block the loop); a write that follows in aiosqlite's thread waits for another
    process's lock again instead of failing at once."""
    path = tmp_path / "t.db"
    async with await Database.open(path) as db:
        async with db.transaction(quick=True):
            await db.execute("INSERT INTO audit_log (at, action) VALUES ('2025', 'chat')")
        other = hold_write_lock(path)
        asyncio.get_running_loop().call_later(BUSY_MS / 3000, other.rollback)
        await db.execute("INSERT INTO audit_log (at, action) VALUES ('2025', 'command')")
        other.close()
        assert await db.fetchval("SELECT count(*) FROM audit_log") == 2
