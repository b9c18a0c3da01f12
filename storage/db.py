"""The SQLite connection: pragmas, numbered migrations and transactions.

One aiosqlite connection serves the whole process: SQLite allows one writer at a time
anyway, and a single connection lets an asyncio lock make every transaction atomic with
respect to the other coroutines of the process.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

# Set while the current task holds the write lock, so nested transactions join the outer one.
_in_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "youthbot_in_transaction", default=False
)


class StorageError(Exception):
    """A database problem an operator must fix (message names what to do)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The numbered migrations shipped in ``storage/migrations``, in order."""
    found: list[Migration] = []
    folder = resources.files("storage") / "migrations"
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StorageError(f"migration numbering gap at {migration.name}")
    return found


def latest_version() -> int:
    return len(load_migrations())


Params = Sequence[Any] | dict[str, Any]


class Database:
    """An open SQLite database with the schema migrated to the latest version."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    # -- opening ---------------------------------------------------------------------

    @classmethod
    async def open(cls, path: str | Path, *, migrate_to: int | None = None) -> Database:
        """Open (creating if needed) and migrate the database at ``path``.

        Raises :class:`StorageError` with an actionable message when the file cannot be
        opened or was written by a newer version of youthbot.
        """
        text_path = str(path)
        if text_path != ":memory:":
            parent = Path(text_path).parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(
                    f"cannot create the folder {parent} for the database: {exc.strerror}"
                ) from exc
        try:
            conn = await aiosqlite.connect(text_path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {text_path}: {exc}") from exc
        db = cls(conn, text_path)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await db._migrate(migrate_to)
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise StorageError(
                f"{text_path} is not a youthbot database or is damaged ({exc}); "
                "set YOUTHBOT_DB to another file"
            ) from exc
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        await self._conn.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- migrations ------------------------------------------------------------------

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self, target: int | None) -> None:
        migrations = load_migrations()
        known = len(migrations)
        current = await self.schema_version()
        if current > known:
            raise StorageError(
                f"the database {self.path} has schema version {current}, newer than this "
                f"youthbot understands ({known}); upgrade youthbot or use another database"
            )
        goal = known if target is None else target
        for migration in migrations[current:goal]:
            # executescript commits first; wrap each migration in its own transaction so a
            # failing one leaves the previous version intact.
            script = (
                "BEGIN IMMEDIATE;\n"
                + migration.sql
                + f"\nPRAGMA user_version = {migration.version};\nCOMMIT;"
            )
            try:
                await self._conn.executescript(script)
            except sqlite3.Error:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise

    # -- transactions ----------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Run the block atomically; nested calls join the outer transaction."""
        if _in_transaction.get():
            yield
            return
        async with self._lock:
            token = _in_transaction.set(True)
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
            finally:
                _in_transaction.reset(token)

    # -- statements ------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement; returns ``lastrowid`` (or the row count for updates)."""
        async with self.transaction():
            cursor = await self._conn.execute(sql, params)
            result = cursor.lastrowid if sql.lstrip()[:6].upper() == "INSERT" else None
            if result is None or result == 0:
                result = cursor.rowcount
            await cursor.close()
            return int(result or 0)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        async with self.transaction():
            cursor = await self._conn.execute(sql, params)
            count = cursor.rowcount
            await cursor.close()
            return int(count)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction():
            await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        cursor = await self._conn.execute(sql, params)
        row = await cursor.fetchone()
        await cursor.close()
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        cursor = await self._conn.execute(sql, params)
        rows = await cursor.fetchall()
        await cursor.close()
        return list(rows)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]
