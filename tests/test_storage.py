"""Migrations (the stairway), pragmas, refusal of newer databases, transactions."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from storage.db import Database, StorageError, latest_version, load_migrations


async def test_fresh_file_gets_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "new" / "bot.db"
    async with await Database.open(path) as db:
        assert await db.schema_version() == latest_version()
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] >= 1000  # type: ignore[index]
        tables = {
            r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type='table'")
        }
    expected = {
        "units",
        "campaigns",
        "campaign_deadlines",
        "topics",
        "people",
        "identities",
        "consents",
        "questions",
        "roles",
        "invites",
        "outbox",
        "audit_log",
        "conversations",
        "clusters",
        "supports",
    }
    assert expected <= tables


@pytest.mark.parametrize("start", range(len(load_migrations())))
async def test_stairway_from_every_earlier_version(tmp_path: Path, start: int) -> None:
    path = tmp_path / "old.db"
    async with await Database.open(path, migrate_to=start) as db:
        assert await db.schema_version() == start
        if start >= 1:
            # Data written under the old schema must survive the upgrade.
            await db.execute(
                "INSERT INTO units (code, name, kind, search_key, source, created_at)"
                " VALUES ('w01273', 'Phường Thục Phán', 'ward', 'phuong thuc phan', 't',"
                " '2025-01-01T00:00:00+00:00')"
            )
    async with await Database.open(path) as db:
        assert await db.schema_version() == latest_version()
        if start >= 1:
            assert await db.fetchval("SELECT name FROM units WHERE code = 'w01273'") == (
                "Phường Thục Phán"
            )


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer than this youthbot understands"):
        await Database.open(path)


async def test_garbage_file_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "notadb.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="not a youthbot database"):
        await Database.open(path)


async def test_transaction_rolls_back_everything(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "t.db") as db:
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await db.execute(
                    "INSERT INTO audit_log (at, action) VALUES ('2025-01-01T00:00:00+00:00', 'a')"
                )
                async with db.transaction():  # nested joins the outer one
                    await db.execute(
                        "INSERT INTO audit_log (at, action) VALUES ('2025-01-01T00:00:00+00:00', 'b')"
                    )
                raise RuntimeError("boom")
        assert await db.fetchval("SELECT count(*) FROM audit_log") == 0


async def test_a_write_lock_held_elsewhere_never_stalls_the_event_loop(tmp_path: Path) -> None:
    """Statements of a transaction run in the loop's thread once it holds the write
    lock; while another process holds it, the transaction waits in aiosqlite's thread
    and every other task goes on."""
    path = tmp_path / "t.db"
    async with await Database.open(path) as db:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        async def write(action: str) -> None:
            async with db.transaction(quick=True):
                await db.execute(
                    "INSERT INTO audit_log (at, action) VALUES ('2025-01-01T00:00:00+00:00', ?)",
                    (action,),
                )

        ticking = asyncio.create_task(ticker())
        writing = asyncio.create_task(write("waited"))
        await asyncio.sleep(0.3)
        assert not writing.done()  # still waiting for the lock ...
        assert ticks >= 10  # ... and the loop kept turning meanwhile
        other.rollback()
        other.close()
        await asyncio.wait_for(writing, 5)
        ticking.cancel()
        # Reads outside a transaction (in the thread) and transactions (in the loop's
        # thread once locked) interleave without ever sharing the connection at once.
        results = await asyncio.gather(
            *(write(f"w{i}") for i in range(50)),
            *(db.fetchval("SELECT count(*) FROM audit_log") for _ in range(50)),
        )
        counts = [int(value) for value in results[50:]]
        assert counts == sorted(counts) and counts[0] >= 1 and counts[-1] <= 51
        assert await db.fetchval("SELECT count(*) FROM audit_log") == 51


async def test_bulk_work_in_a_transaction_never_stalls_the_event_loop(tmp_path: Path) -> None:
    """Only a chat event's transaction (``quick``) runs in the loop's thread; a bulk write
    (a re-clustering of a whole campaign, a copy) stays in aiosqlite's thread."""
    async with await Database.open(tmp_path / "t.db") as db:
        worst = 0.0
        done = False

        async def ticker() -> None:
            nonlocal worst
            last = time.perf_counter()
            while not done:
                await asyncio.sleep(0.002)
                now = time.perf_counter()
                worst, last = max(worst, now - last), now

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        started = time.perf_counter()
        async with db.transaction():
            await db.execute("DELETE FROM audit_log")
            await db.executemany(
                "INSERT INTO audit_log (at, action) VALUES ('2025-01-01T00:00:00+00:00', ?)",
                ((f"bulk {i}",) for i in range(200_000)),
            )
        took = time.perf_counter() - started
        done = True
        await ticking
        assert await db.fetchval("SELECT count(*) FROM audit_log") == 200_000
        assert worst < max(0.2, took / 3), (worst, took)


def test_migrations_are_numbered_without_gaps() -> None:
    versions = [m.version for m in load_migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "live.db") as db:
        await db.execute(
            "INSERT INTO audit_log (at, action) VALUES ('2025-01-01T00:00:00+00:00', 'x')"
        )
        await db.backup(tmp_path / "copy.db")
        with pytest.raises(StorageError, match="already exists"):
            await db.backup(tmp_path / "copy.db")
    async with await Database.open(tmp_path / "copy.db") as copy:
        assert await copy.fetchval("SELECT action FROM audit_log") == "x"
        assert await copy.schema_version() == latest_version()
