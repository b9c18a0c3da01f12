"""What a database file holds and is for (``database_info``): the demo marks its own file
so that it never runs on, and the bot never serves young people from, the wrong one."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.db import Database, StorageError, parse_target

PURPOSE = "purpose"
PURPOSE_DEMO = "demo"


@dataclass(frozen=True, slots=True)
class Contents:
    """How much the database holds, to tell an empty file from one in use."""

    campaigns: int
    units: int
    people: int

    @property
    def empty(self) -> bool:
        return not (self.campaigns or self.units or self.people)


class InfoRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        value = await self._db.fetchval("SELECT value FROM database_info WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        await self._db.execute(
            "INSERT INTO database_info (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def is_demo(self) -> bool:
        return await self.get(PURPOSE) == PURPOSE_DEMO

    async def contents(self) -> Contents:
        row = await self._db.fetchone(
            "SELECT (SELECT count(*) FROM campaigns) AS campaigns,"
            " (SELECT count(*) FROM units) AS units, (SELECT count(*) FROM people) AS people"
        )
        assert row is not None
        return Contents(int(row["campaigns"]), int(row["units"]), int(row["people"]))


@dataclass(frozen=True, slots=True)
class FileInspection:
    """What a database file holds, read without migrating or writing it."""

    exists: bool
    demo: bool = False
    contents: Contents = Contents(0, 0, 0)


async def inspect_target(target: str | Path) -> FileInspection:
    """What the database ``target`` (a SQLite file or a PostgreSQL URL, as in
    ``YOUTHBOT_DB``) holds, read without migrating or writing it."""
    parsed = parse_target(target)
    if parsed.kind == "sqlite":
        return await inspect_file(Path(parsed.location))
    return await _inspect_postgresql(parsed.location)


async def _inspect_postgresql(url: str) -> FileInspection:
    import asyncpg

    try:
        conn = await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise StorageError(f"cannot connect to the database: {exc}") from exc
    try:
        tables = {
            str(r[0])
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
        }
        if not tables:
            return FileInspection(exists=False)
        if not {"campaigns", "units", "people"} <= tables:
            raise StorageError("the PostgreSQL database is not a youthbot database")
        demo = False
        if "database_info" in tables:
            value = await conn.fetchval("SELECT value FROM database_info WHERE key = $1", PURPOSE)
            demo = value == PURPOSE_DEMO
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM campaigns), (SELECT count(*) FROM units),"
            " (SELECT count(*) FROM people)"
        )
        assert row is not None
        return FileInspection(True, demo, Contents(*(int(c) for c in row)))
    finally:
        await conn.close()


async def inspect_file(path: Path) -> FileInspection:
    """Look into ``path`` read-only (a live database is neither migrated nor locked for
    long). Raises :class:`StorageError` when it is not a youthbot database."""

    def run() -> FileInspection:
        if not path.exists() or path.stat().st_size == 0:
            return FileInspection(exists=False)
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {path}: {exc}") from exc
        try:
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if not tables:
                return FileInspection(exists=False)
            if not {"campaigns", "units", "people"} <= tables:
                raise StorageError(f"{path} is not a youthbot database")
            demo = False
            if "database_info" in tables:
                row = conn.execute(
                    "SELECT value FROM database_info WHERE key = ?", (PURPOSE,)
                ).fetchone()
                demo = row is not None and row[0] == PURPOSE_DEMO
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM campaigns), (SELECT count(*) FROM units),"
                " (SELECT count(*) FROM people)"
            ).fetchone()
            return FileInspection(True, demo, Contents(*(int(c) for c in counts)))
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{path} is not a youthbot database or is damaged ({exc})") from exc
        finally:
            conn.close()

    return await asyncio.to_thread(run)
