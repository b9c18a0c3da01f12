"""The SQLite write-ahead log is copied into the database file in the background, by a
connection of its own, so that no chat's commit waits for a checkpoint's fsyncs."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import storage.db
from storage.db import SqliteDatabase


async def test_commits_reach_the_database_file_without_the_writer_checkpointing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.db"
    commits = storage.db.BACKGROUND_CHECKPOINT_COMMITS
    async with await SqliteDatabase.open_file(path) as db:
        for number in range(commits):
            async with db.transaction(quick=True):
                await db.execute(
                    "INSERT INTO audit_log (at, action) VALUES ('2025', ?)", (f"chat {number}",)
                )
        # Far below the writer's own checkpoint (WAL_AUTOCHECKPOINT_PAGES): only the
        # background one can have copied these rows into the file itself.
        await db.background_checkpoint_done()
        # The database file alone, without its log: what a checkpoint has copied.
        alone = tmp_path / "alone.db"
        shutil.copyfile(path, alone)
        copy = sqlite3.connect(alone)
        try:
            copied = copy.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        finally:
            copy.close()
        assert copied == commits
        # The writer goes on after it.
        async with db.transaction(quick=True):
            await db.execute("INSERT INTO audit_log (at, action) VALUES ('2025', 'after')")
        assert await db.fetchval("SELECT count(*) FROM audit_log") == commits + 1
