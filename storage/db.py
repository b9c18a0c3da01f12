"""The SQLite connection: pragmas, numbered migrations and transactions.

One aiosqlite connection serves the whole process: SQLite allows one writer at a time
anyway, and a single connection lets an asyncio lock make every transaction atomic with
respect to the other coroutines of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

BUSY_TIMEOUT_MS = 5000
PIGGYBACK_SECONDS = 0.05  # a write that may wait rides with the next transaction, or this late
CHECKPOINT_DELAY = 0.2  # seconds between an erasure's commit and the WAL checkpoint after it
CHECKPOINT_RETRY = 1.0  # ... and between tries while another connection reads
CHECKPOINT_TRIES = 30

log = logging.getLogger(__name__)
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


def update_statement(
    table: str, row_id: int, fields: dict[str, Any], *, editable: frozenset[str], now: str
) -> tuple[str, list[Any]]:
    """``UPDATE table SET …, updated_at`` for the named columns only (others refused)."""
    unknown = set(fields) - editable
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    values = [
        v.isoformat() if isinstance(v, date) else int(v) if isinstance(v, bool) else v
        for v in fields.values()
    ]
    assignments = "".join(f"{name} = ?, " for name in fields)
    return f"UPDATE {table} SET {assignments}updated_at = ? WHERE id = ?", [*values, now, row_id]


T = TypeVar("T")


class Database:
    """An open SQLite database with the schema migrated to the latest version."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._begin_pending = False
        self._deferred: list[tuple[str, Params]] = []
        self._piggyback: list[tuple[str, Params]] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._flush_task: asyncio.Task[None] | None = None
        self._checkpoint_after_commit = False
        self._checkpoint_task: asyncio.Task[None] | None = None
        self.checkpoints = 0
        """WAL checkpoints run after erasures (privacy at rest)."""

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
            # Deleted rows are overwritten with zeros, so an erased name does not linger in
            # free space of the file (and a WAL checkpoint after an erasure clears the log).
            await conn.execute("PRAGMA secure_delete = ON")
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
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._flush_task is not None:
            with contextlib.suppress(sqlite3.Error, asyncio.CancelledError):
                await self._flush_task
        with contextlib.suppress(sqlite3.Error):
            await self.flush()
        if self._checkpoint_task is not None and not self._checkpoint_task.done():
            self._checkpoint_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpoint_task
            with contextlib.suppress(sqlite3.Error):
                await self._checkpoint()
        await self._conn.close()

    async def backup(self, target: Path) -> None:
        """A consistent copy of the live database (SQLite's online backup), safe while the
        bot runs."""

        def run(conn: sqlite3.Connection) -> None:
            if target.exists():
                raise StorageError(f"{target} already exists; choose a new file name")
            copy = sqlite3.connect(target)
            try:
                conn.backup(copy)
            finally:
                copy.close()

        async with self._lock:  # no transaction of ours is half-way through
            await self._run(run)

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
        """Run the block atomically; nested calls join the outer transaction.

        ``BEGIN IMMEDIATE`` travels with the block's first statement and deferred writes
        (:meth:`defer`) with the next statement or the ``COMMIT``, so a transaction costs
        no extra trip to the database thread.
        """
        if _in_transaction.get():
            yield
            return
        async with self._lock:
            token = _in_transaction.set(True)
            self._begin_pending = True
            # Writes left to ride along (piggyback) travel with this transaction.
            carried, self._piggyback = self._piggyback, []
            self._deferred = list(carried)
            self._checkpoint_after_commit = False
            try:
                try:
                    yield
                except BaseException:
                    self._deferred = []
                    self._piggyback[:0] = carried  # not written: they wait for the next one
                    if not self._begin_pending:
                        await self._conn.execute("ROLLBACK")
                    raise
                if not self._begin_pending or self._deferred:
                    try:
                        await self._run(lambda conn: conn.commit())
                    except BaseException:
                        self._piggyback[:0] = carried
                        raise
                if self._checkpoint_after_commit:
                    self.checkpoint_soon()
            finally:
                self._begin_pending = False
                self._deferred = []
                self._checkpoint_after_commit = False
                _in_transaction.reset(token)

    async def defer(self, sql: str, params: Params = ()) -> None:
        """A write whose result nobody needs: inside a transaction it travels with the
        next statement (or the commit) instead of costing a trip of its own."""
        if _in_transaction.get():
            self._deferred.append((sql, params))
        else:
            await self.execute_rowcount(sql, params)

    def piggyback(self, sql: str, params: Params = ()) -> None:
        """A write that may wait a moment: it rides with the next transaction of anyone
        (no trip or commit of its own), or is written alone after ``PIGGYBACK_SECONDS``
        when no transaction comes. A crash in between loses it; use it only where that
        is safe (forgetting a delivered reply: the restart sends it again, marked)."""
        self._piggyback.append((sql, params))
        if self._flush_timer is None and self._flush_task is None:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        # A fresh context: the caller may be inside a transaction, the flush is not.
        loop = asyncio.get_running_loop()
        self._flush_timer = loop.call_later(
            PIGGYBACK_SECONDS, self._start_flush, context=contextvars.Context()
        )

    def _start_flush(self) -> None:
        self._flush_timer = None
        if self._piggyback and self._flush_task is None:
            loop = asyncio.get_running_loop()
            self._flush_task = loop.create_task(self._flush_soon(), context=contextvars.Context())

    async def _flush_soon(self) -> None:
        try:
            await self.flush()
        except sqlite3.Error as exc:  # kept: the next transaction tries again
            log.warning("could not write %d deferred change(s): %s", len(self._piggyback), exc)
        finally:
            self._flush_task = None
            if self._piggyback and self._flush_timer is None:
                self._schedule_flush()

    async def flush(self) -> None:
        """Write the piggyback writes now (an empty transaction carries them)."""
        if self._piggyback:
            async with self.transaction():
                pass

    # -- privacy at rest -------------------------------------------------------------

    def checkpoint_after_commit(self) -> None:
        """Once the current transaction commits, clear the WAL soon (see
        :meth:`checkpoint_soon`); outside a transaction, at once."""
        if _in_transaction.get():
            self._checkpoint_after_commit = True
        else:
            self.checkpoint_soon()

    def checkpoint_soon(self) -> None:
        """Copy the WAL into the database and truncate it, ``CHECKPOINT_DELAY`` from now.

        SQLite keeps the pages a transaction replaced in the WAL until a checkpoint, and a
        quiet bot may not write enough to trigger one for hours: after an erasure (/xoa)
        the erased name and ids would stay on disk. ``secure_delete`` zeroes them in the
        new pages; the truncating checkpoint removes the old ones. Several requests close
        together share one checkpoint.
        """
        if self._checkpoint_task is not None and not self._checkpoint_task.done():
            return
        loop = asyncio.get_running_loop()
        self._checkpoint_task = loop.create_task(
            self._checkpoint_later(), context=contextvars.Context()
        )

    async def _checkpoint_later(self) -> None:
        await asyncio.sleep(CHECKPOINT_DELAY)
        for _ in range(CHECKPOINT_TRIES):
            try:
                if await self._checkpoint():
                    return
            except sqlite3.Error as exc:
                log.warning("WAL checkpoint after an erasure failed: %s", exc)
            await asyncio.sleep(CHECKPOINT_RETRY)
        log.warning(
            "WAL checkpoint after an erasure could not finish: another program keeps "
            "the database open (a backup?); the next checkpoint will clear it"
        )

    async def _checkpoint(self) -> bool:
        """One truncating checkpoint that does not wait for readers; True when done."""

        def run(conn: sqlite3.Connection) -> bool:
            conn.execute("PRAGMA busy_timeout = 0").close()
            try:
                cursor = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = cursor.fetchone()[0]
                cursor.close()
            finally:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}").close()
            return not busy

        if self.path == ":memory:":
            return True
        async with self._lock:  # no transaction of ours is half-way through
            done = await self._run(run)
        if done:
            self.checkpoints += 1
        return done

    # -- statements ------------------------------------------------------------------

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the connection in aiosqlite's thread, in one trip.

        aiosqlite's public API costs two or three thread round trips per query (execute,
        fetch, close); SQLite answers most of ours in microseconds, so the trips were
        the whole cost. ``Connection._execute`` is aiosqlite's own single-trip primitive.
        """
        if _in_transaction.get() and (self._begin_pending or self._deferred):
            begin, self._begin_pending = self._begin_pending, False
            deferred, self._deferred = self._deferred, []

            def with_prelude(conn: sqlite3.Connection) -> T:
                if begin:
                    conn.execute("BEGIN IMMEDIATE")
                for sql, params in deferred:
                    conn.execute(sql, params).close()
                return fn(conn)

            return await self._conn._execute(with_prelude, self._conn._conn)  # type: ignore[no-untyped-call,no-any-return]
        return await self._conn._execute(fn, self._conn._conn)  # type: ignore[no-untyped-call,no-any-return]

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Several statements in one trip (for repositories on hot paths)."""
        return await self._run(fn)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement; returns ``lastrowid`` for inserts, else the row count."""
        is_insert = sql.lstrip()[:6].upper() == "INSERT"

        def run(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(sql, params)
            result = cursor.lastrowid if is_insert else None
            if not result:
                result = cursor.rowcount
            cursor.close()
            return int(result or 0)

        async with self.transaction():
            return await self._run(run)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        def run(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(sql, params)
            count = cursor.rowcount
            cursor.close()
            return int(count)

        async with self.transaction():
            return await self._run(run)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.executemany(sql, rows).close()

        async with self.transaction():
            await self._run(run)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        def run(conn: sqlite3.Connection) -> aiosqlite.Row | None:
            cursor = conn.execute(sql, params)
            row: aiosqlite.Row | None = cursor.fetchone()
            cursor.close()
            return row

        return await self._run(run)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        def run(conn: sqlite3.Connection) -> list[aiosqlite.Row]:
            cursor = conn.execute(sql, params)
            rows: list[aiosqlite.Row] = cursor.fetchall()
            cursor.close()
            return rows

        return await self._run(run)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]
