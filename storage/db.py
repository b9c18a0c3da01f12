"""The database behind the repositories: SQLite (embedded, the default) or PostgreSQL.

:meth:`Database.open` takes ``YOUTHBOT_DB``: a file path or ``sqlite:///path`` opens SQLite
(:class:`SqliteDatabase`, one process), ``postgresql://…`` opens PostgreSQL
(:class:`storage.postgres.PostgresDatabase`, any number of worker processes). Both run the
same repositories' SQL (the portable subset in :mod:`storage.dialect`) and the same
numbered migrations.

SQLite: one aiosqlite connection serves the whole process: SQLite allows one writer at a
time anyway, and a single connection lets an asyncio lock make every transaction atomic
with respect to the other coroutines of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

import aiosqlite

from storage.dialect import SQLITE, Dialect, postgres_ddl

BUSY_TIMEOUT_MS = 5000
PIGGYBACK_SECONDS = 0.05  # a write that may wait rides with the next transaction, or this late
CHECKPOINT_DELAY = 0.2  # seconds between an erasure's commit and the WAL checkpoint after it
CHECKPOINT_RETRY = 1.0  # ... and between tries while another connection reads
CHECKPOINT_TRIES = 30
#: Commits between two background WAL checkpoints (a second connection, in a worker
#: thread): the fsyncs of a checkpoint then never stall the event loop in a chat's commit.
BACKGROUND_CHECKPOINT_COMMITS = 200
#: WAL pages after which the writing connection checkpoints in its own commit (SQLite's
#: default is 1,000). Only a safety net: under load so sustained that the background ones
#: never catch up with the last frame, the WAL could not restart and would grow.
WAL_AUTOCHECKPOINT_PAGES = 10_000

log = logging.getLogger(__name__)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(Exception):
    """A database problem an operator must fix (message names what to do)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(dialect: str = "sqlite") -> list[Migration]:
    """The numbered migrations shipped in ``storage/migrations``, in order, in ``dialect``
    (PostgreSQL's are translated, or taken from ``migrations/postgresql/`` where a file of
    the same name is there)."""
    found: list[Migration] = []
    folder = resources.files("storage") / "migrations"
    overrides = folder / "postgresql"
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            sql = entry.read_text("utf-8")
            if dialect == "postgresql":
                override = overrides / entry.name
                sql = override.read_text("utf-8") if override.is_file() else postgres_ddl(sql)
            found.append(Migration(int(match.group(1)), entry.name, sql))
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


class Row(Protocol):
    """A result row: by column name or position (``sqlite3.Row``, ``asyncpg.Record``)."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def keys(self) -> Any: ...


# -- where the data lives -------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What ``YOUTHBOT_DB`` names: a SQLite file or a PostgreSQL database."""

    kind: Literal["sqlite", "postgresql"]
    location: str
    """The file path (SQLite) or the connection URL (PostgreSQL)."""

    @property
    def display(self) -> str:
        """For messages and logs: the URL without its password."""
        if self.kind == "sqlite":
            return self.location
        parts = urlsplit(self.location)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}@" if parts.username else ""
        return f"{parts.scheme}://{user}{host}{parts.path}"


TARGET_EXPECTED = "a file path, sqlite:///path/to/file.db or postgresql://user@host/database"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def parse_target(value: str | Path) -> Target:
    """``YOUTHBOT_DB`` read: ``ValueError`` (with :data:`TARGET_EXPECTED`) for anything
    that is neither a path, a ``sqlite:`` URL nor a ``postgresql:`` URL."""
    if isinstance(value, Path):
        return Target("sqlite", str(value))
    text = value.strip()
    if not text:
        raise ValueError(TARGET_EXPECTED)
    scheme = _SCHEME.match(text)
    if scheme is None:
        if text.lower().startswith(("postgres:", "postgresql:", "sqlite:")):
            raise ValueError(TARGET_EXPECTED)
        return Target("sqlite", text)
    name = scheme.group(1).lower()
    if name == "sqlite":
        path = unquote(text[len("sqlite://") :])
        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy spells them.
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ValueError(TARGET_EXPECTED)
        return Target("sqlite", path)
    if name in ("postgresql", "postgres"):
        if not urlsplit(text).path.strip("/") and "dbname=" not in text:
            raise ValueError(TARGET_EXPECTED)
        return Target("postgresql", text)
    raise ValueError(TARGET_EXPECTED)


# -- scripts: several statements, one trip on SQLite ------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of a :meth:`Database.script`; build with :func:`one`, :func:`rows`,
    :func:`count` or :func:`hold`."""

    kind: Literal["one", "all", "count", "hold"]
    sql: str
    params: Params = ()


def one(sql: str, params: Params = ()) -> Step:
    """The first row (or ``None``) of a query; ``INSERT … RETURNING *`` too."""
    return Step("one", sql, params)


def rows(sql: str, params: Params = ()) -> Step:
    return Step("all", sql, params)


def count(sql: str, params: Params = ()) -> Step:
    """The number of rows a write changed."""
    return Step("count", sql, params)


def hold(key: str) -> Step:
    """See :meth:`Database.hold`."""
    return Step("hold", key)


Script = Generator[Step, Any, T]
"""A generator function's result: ``row = yield one(...)`` for each statement; its return
value is the script's."""


def drive(script: Script[T], execute: Callable[[Step], Any]) -> T:
    """Run a script's steps through a synchronous ``execute``."""
    result: Any = None
    try:
        while True:
            result = execute(script.send(result))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


class Database(ABC):
    """An open database with the schema migrated to the latest version.

    Every repository talks to it through these methods only; SQL is written once, in the
    portable subset of :mod:`storage.dialect`.
    """

    dialect: Dialect = SQLITE
    #: Whether several processes may share the database (PostgreSQL): the workers then
    #: coordinate through it (leases, shared rate limits, claimed outbox rows).
    shared: bool = False
    target: Target

    @classmethod
    async def open(cls, target: str | Path, *, migrate_to: int | None = None) -> Database:
        """Open (creating if needed) and migrate the database ``target`` names.

        Raises :class:`StorageError` with an actionable message when it cannot be opened,
        or was written by a newer version of youthbot.
        """
        try:
            parsed = parse_target(target)
        except ValueError as exc:
            raise StorageError(f"YOUTHBOT_DB: expected {exc}") from None
        if parsed.kind == "postgresql":
            from storage.postgres import PostgresDatabase

            return await PostgresDatabase.connect(parsed, migrate_to=migrate_to)
        return await SqliteDatabase.open_file(parsed.location, migrate_to=migrate_to)

    @property
    def location(self) -> str:
        """Where the data is, for messages (no password)."""
        return self.target.display

    @abstractmethod
    async def close(self) -> None: ...

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def backup(self, target: Path) -> None:
        """A consistent copy of the live database in a new SQLite file."""

    @abstractmethod
    async def tables(self) -> list[str]:
        """The application's tables, in an order that satisfies their foreign keys."""

    @abstractmethod
    def transaction(self, *, quick: bool = False) -> AbstractAsyncContextManager[None]:
        """Run the block atomically; nested calls join the outer transaction.

        ``quick``: the block is a chat event's few small statements (the engine's), which
        SQLite may then run in the event loop's own thread instead of a trip per statement
        (see :meth:`SqliteDatabase._run`). Never for bulk writes or reads of a whole
        campaign: those would hold the loop for their whole duration.
        """

    @property
    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether the caller runs inside a transaction (a ``transaction()`` block would
        join it rather than commit on its own)."""

    @abstractmethod
    async def defer(self, sql: str, params: Params = ()) -> None:
        """A write whose result nobody needs: inside a transaction it travels with the
        next statement (or the commit)."""

    @abstractmethod
    async def hold(self, key: str) -> None:
        """Serialise with every other transaction holding ``key`` until this one ends
        (PostgreSQL: a transaction-scoped advisory lock, so one person's events are
        handled one at a time whichever worker takes them). A no-op on SQLite, whose
        write lock already serialises every transaction of its one process."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement; returns the new row's ``id`` for inserts into a table
        with one, else the row count."""

    @abstractmethod
    async def execute_rowcount(self, sql: str, params: Params = ()) -> int: ...

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """One write statement per parameter row, in one transaction; returns how many
        rows it changed in all (an insert skipped by ``ON CONFLICT DO NOTHING``: 0)."""

    @abstractmethod
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    #: Values bound per statement by :meth:`fetchall_in` (well under SQLite's limit).
    IN_CHUNK = 500

    async def fetchall_in(self, sql: str, values: Sequence[Any]) -> list[Row]:
        """``sql`` with ``{marks}`` standing for an ``IN (…)`` list of ``values``, run once
        per :data:`IN_CHUNK` of them; the rows of every run, in order."""
        found: list[Row] = []
        for start in range(0, len(values), self.IN_CHUNK):
            chunk = list(values[start : start + self.IN_CHUNK])
            found += await self.fetchall(sql.format(marks=",".join("?" * len(chunk))), chunk)
        return found

    #: WAL checkpoints run after erasures (privacy at rest; SQLite only).
    checkpoints: int = 0

    def piggyback(self, sql: str, params: Params = ()) -> None:
        """A write that may wait a moment and may be lost in a crash (forgetting a
        delivered reply: the restart sends it again, marked). SQLite lets it ride with the
        next transaction; elsewhere it is written at once, in the background."""
        task = asyncio.get_running_loop().create_task(
            self.execute_rowcount(sql, params), context=contextvars.Context()
        )
        self._background.add(task)
        task.add_done_callback(self._background_done)

    @property
    def _background(self) -> set[asyncio.Task[int]]:
        tasks: set[asyncio.Task[int]] | None = self.__dict__.get("_background_tasks")
        if tasks is None:
            tasks = self.__dict__["_background_tasks"] = set()
        return tasks

    def _background_done(self, task: asyncio.Task[int]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not write a deferred change: %s", task.exception())

    async def flush(self) -> None:
        """Write what :meth:`piggyback` holds now."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def checkpoint_after_commit(self) -> None:
        """Once the current transaction commits, clear the write-ahead log of what it
        replaced (after an erasure). SQLite only: PostgreSQL recycles its WAL itself."""
        return

    def checkpoint_soon(self) -> None:
        """See :meth:`checkpoint_after_commit`; at once, outside a transaction."""
        return

    def busy(self, error: BaseException) -> bool:
        """Whether ``error`` means other writers kept the database busy (SQLite's busy
        timeout ran out; a PostgreSQL deadlock or serialisation failure): the transaction
        was rolled back whole, and running it again may well succeed."""
        return False

    @abstractmethod
    async def script(self, steps: Callable[[], Script[T]]) -> T:
        """Several statements in one transaction (the current one, if any), decided as
        they go: ``steps`` is a generator function yielding :class:`Step` s and receiving
        their results. SQLite runs the whole script in one trip to its thread."""

    # -- bulk copy (youthbot db copy, backup) -----------------------------------------

    @abstractmethod
    def snapshot(self) -> AbstractAsyncContextManager[None]:
        """A block whose reads all see the same moment."""

    @abstractmethod
    def iter_rows(self, table: str, *, chunk: int) -> AsyncIterator[list[Row]]:
        """Every row of ``table`` in chunks (inside :meth:`snapshot`)."""

    @abstractmethod
    async def insert_rows(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        """Insert copied rows as they are, ids included."""

    async def after_bulk_insert(self, table: str) -> None:
        """Anything to redo after :meth:`insert_rows` (PostgreSQL's id sequences)."""
        return

    @abstractmethod
    async def defer_constraints(self) -> None:
        """Check foreign keys at the end of the current transaction (a copy inserts
        tables that refer to each other)."""

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """SQLite only (kept for code not yet ported): use :meth:`script` instead."""
        raise StorageError(
            "Database.run() works on SQLite only; write the statements as a "
            "Database.script() (see storage/db.py) so that PostgreSQL can run them"
        )


class SqliteDatabase(Database):
    """An open SQLite database with the schema migrated to the latest version."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self.target = Target("sqlite", path)
        # Set while the current task holds the write lock, so nested transactions join
        # the outer one (one variable per database: a copy holds two open at once).
        self._in_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"youthbot_sqlite_transaction_{id(self)}", default=False
        )
        self._lock = asyncio.Lock()
        self._begin_pending = False
        self._deferred: list[tuple[str, Params]] = []
        self._piggyback: list[tuple[str, Params]] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._flush_task: asyncio.Task[None] | None = None
        self._checkpoint_after_commit = False
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._trips = 0  # calls queued to or running in aiosqlite's thread
        # Whether the connection waits for a busy lock (busy_timeout set); see _begin_at_once.
        self._busy_wait = True
        self._write_locked = False  # this transaction's BEGIN IMMEDIATE has succeeded
        self._quick = False  # this transaction may run in the loop's thread (transaction())
        self.checkpoints = 0
        """WAL checkpoints run after erasures (privacy at rest)."""
        self._commits = 0  # since the last background checkpoint
        self._wal_task: asyncio.Task[None] | None = None
        self._checkpointer: sqlite3.Connection | None = None  # only in a worker thread

    # -- opening ---------------------------------------------------------------------

    @classmethod
    async def open_file(cls, path: str | Path, *, migrate_to: int | None = None) -> SqliteDatabase:
        """Open (creating if needed) and migrate the database at ``path``."""
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
            # The connection is also used from the event loop's thread, never at the same
            # time as from aiosqlite's (see _run).
            conn = await aiosqlite.connect(text_path, isolation_level=None, check_same_thread=False)
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
            await conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
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
        await self.background_checkpoint_done()
        if self._checkpointer is not None:
            self._checkpointer.close()
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

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        )
        return order_by_references([str(r[0]) for r in rows], await self._references())

    async def _references(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for row in await self.fetchall(
            'SELECT m.name, f."table" FROM sqlite_master m,'
            " pragma_foreign_key_list(m.name) f WHERE m.type = 'table'"
        ):
            found.setdefault(str(row[0]), set()).add(str(row[1]))
        return found

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

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction.get()

    def transaction(self, *, quick: bool = False) -> AbstractAsyncContextManager[None]:
        """Run the block atomically; nested calls join the outer transaction.

        ``BEGIN IMMEDIATE`` travels with the block's first statement and deferred writes
        (:meth:`defer`) with the next statement or the ``COMMIT``, so a transaction costs
        no extra trip to the database thread.
        """
        if self._in_transaction.get():
            return _JOINED  # an event's handling enters this a few times per statement
        return self._transaction(quick)

    @asynccontextmanager
    async def _transaction(self, quick: bool) -> AsyncIterator[None]:
        async with self._lock:
            token = self._in_transaction.set(True)
            self._quick = quick
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
                    # A BEGIN refused (the lock stayed busy) left nothing to roll back;
                    # a ROLLBACK then would hide why it failed.
                    if not self._begin_pending and self._conn._conn.in_transaction:
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
                self._count_commit()
            finally:
                self._begin_pending = False
                self._write_locked = False
                self._quick = False
                self._deferred = []
                self._checkpoint_after_commit = False
                self._in_transaction.reset(token)

    def _count_commit(self) -> None:
        """Start a background checkpoint every :data:`BACKGROUND_CHECKPOINT_COMMITS`."""
        self._commits += 1
        if self._commits < BACKGROUND_CHECKPOINT_COMMITS or self.path == ":memory:":
            return
        if self._wal_task is not None and not self._wal_task.done():
            return
        self._commits = 0
        self._wal_task = asyncio.get_running_loop().create_task(
            asyncio.to_thread(self._checkpoint_in_background), context=contextvars.Context()
        )

    async def background_checkpoint_done(self) -> None:
        """Wait for the background checkpoint under way, if any (tests, closing)."""
        if self._wal_task is not None:
            await self._wal_task  # it never raises (it logs)

    def _checkpoint_in_background(self) -> None:
        """A PASSIVE checkpoint from a connection of its own: it copies what the WAL holds
        into the database file while this connection goes on writing (nothing waits for
        it, nor it for anything: a busy checkpoint lock just skips this one)."""
        try:
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(
                    self.path, timeout=0, isolation_level=None, check_same_thread=False
                )
                self._checkpointer.execute("PRAGMA synchronous = NORMAL").close()
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
        except sqlite3.Error as exc:  # the writer's own checkpoints remain
            log.warning("background WAL checkpoint of %s failed: %s", self.path, exc)

    async def hold(self, key: str) -> None:
        return None  # the write lock (BEGIN IMMEDIATE) already serialises transactions

    def busy(self, error: BaseException) -> bool:
        # "database is locked" / "database is busy": the busy timeout ran out.
        return isinstance(error, sqlite3.OperationalError) and (
            "locked" in str(error) or "busy" in str(error)
        )

    def snapshot(self) -> AbstractAsyncContextManager[None]:
        return self.transaction()  # the write lock keeps every other writer out

    async def defer_constraints(self) -> None:
        await self.execute_rowcount("PRAGMA defer_foreign_keys = ON")

    async def iter_rows(self, table: str, *, chunk: int) -> AsyncIterator[list[Row]]:
        cursor: sqlite3.Cursor = await self._run(
            lambda conn: conn.execute(f"SELECT * FROM {table}")
        )
        try:
            while True:
                batch: list[Row] = await self._run(lambda conn: cursor.fetchmany(chunk))
                if not batch:
                    return
                yield batch
        finally:
            await self._run(lambda conn: cursor.close())

    async def insert_rows(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        marks = ", ".join("?" * len(columns))
        await self.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            [tuple(r[c] for c in columns) for r in rows],
        )

    async def defer(self, sql: str, params: Params = ()) -> None:
        """A write whose result nobody needs: inside a transaction it travels with the
        next statement (or the commit) instead of costing a trip of its own."""
        if self._in_transaction.get():
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
        if self._in_transaction.get():
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
        """Run ``fn`` on the connection, in one trip to aiosqlite's thread or at once.

        aiosqlite's public API costs two or three thread round trips per query (execute,
        fetch, close); SQLite answers most of ours in microseconds, so the trips were
        the whole cost. ``Connection._execute`` is aiosqlite's own single-trip primitive.

        A quick transaction (a chat event's, see :meth:`Database.transaction`) first tries
        ``BEGIN IMMEDIATE`` here without waiting (:meth:`_begin_at_once`); when another
        process holds the write lock, the ``BEGIN`` goes to the thread instead, where
        waiting for it cannot stall the event loop. Once it holds the lock, its statements
        and its commit run here, in the loop's thread: they no longer wait for any lock,
        most take microseconds, and a trip costs far more than such a statement. Only while
        nothing is queued for the thread, so the connection is never used from two threads
        at once. Other transactions (bulk writes, reports) keep to the thread.
        """
        in_transaction = self._in_transaction.get()
        here = in_transaction and self._quick and self._trips == 0
        if here and self._begin_pending:
            self._write_locked = self._begin_at_once()
            self._begin_pending = not self._write_locked
        inline = here and self._write_locked
        begin = False
        call = fn
        if in_transaction and (self._begin_pending or self._deferred):
            begin, self._begin_pending = self._begin_pending, False
            deferred, self._deferred = self._deferred, []

            def with_prelude(conn: sqlite3.Connection) -> T:
                if begin:
                    conn.execute("BEGIN IMMEDIATE")
                for sql, params in deferred:
                    conn.execute(sql, params).close()
                return fn(conn)

            call = with_prelude
        raw: sqlite3.Connection = self._conn._conn
        if inline:
            return call(raw)
        if not self._busy_wait:
            # Statements in aiosqlite's thread wait for locks again (the inline BEGINs
            # left the wait off); set first, in the thread, before anything else runs.
            self._busy_wait = True
            unwaited = call

            def waited(conn: sqlite3.Connection) -> T:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}").close()
                return unwaited(conn)

            call = waited

        self._trips += 1
        try:
            result: T = await self._conn._execute(call, raw)  # type: ignore[no-untyped-call]
        finally:
            self._trips -= 1
            if begin and raw.in_transaction:
                self._write_locked = True
        return result

    def _begin_at_once(self) -> bool:
        """``BEGIN IMMEDIATE`` in the loop's thread, only if the write lock is free now:
        when another process holds it, the caller goes through the thread and waits
        there (``busy_timeout``), never here."""
        raw: sqlite3.Connection = self._conn._conn
        # The wait stays off after the BEGIN: statements run here only while holding the
        # write lock (they never wait for it), and the next trip to the thread sets it
        # again (_run). Consecutive chat events thus pay no PRAGMA at all.
        if self._busy_wait:
            raw.execute("PRAGMA busy_timeout = 0").close()
            self._busy_wait = False
        try:
            raw.execute("BEGIN IMMEDIATE").close()
        except sqlite3.OperationalError:
            if raw.in_transaction:  # pragma: no cover - BEGIN either works or leaves none
                raise
            return False
        return True

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Several statements in one trip (SQLite only: new code writes a :meth:`script`)."""
        return await self._run(fn)

    async def script(self, steps: Callable[[], Script[T]]) -> T:
        def run(conn: sqlite3.Connection) -> T:
            return drive(steps(), lambda step: _sqlite_step(conn, step))

        async with self.transaction():
            return await self._run(run)

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

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        def run(conn: sqlite3.Connection) -> int:
            cursor = conn.executemany(sql, rows)
            changed = cursor.rowcount
            cursor.close()
            return max(int(changed), 0)

        async with self.transaction():
            return await self._run(run)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        def run(conn: sqlite3.Connection) -> Row | None:
            cursor = conn.execute(sql, params)
            row: Row | None = cursor.fetchone()
            cursor.close()
            return row

        return await self._run(run)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        def run(conn: sqlite3.Connection) -> list[Row]:
            cursor = conn.execute(sql, params)
            rows: list[Row] = cursor.fetchall()
            cursor.close()
            return rows

        return await self._run(run)


class _Joined:
    """The context of a transaction nested in another: nothing to do on either side."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


_JOINED = _Joined()


def _sqlite_step(conn: sqlite3.Connection, step: Step) -> Any:
    if step.kind == "hold":
        return None
    cursor = conn.execute(step.sql, step.params)
    try:
        if step.kind == "one":
            return cursor.fetchone()
        if step.kind == "all":
            return cursor.fetchall()
        return int(cursor.rowcount)
    finally:
        cursor.close()


def order_by_references(tables: Sequence[str], references: dict[str, set[str]]) -> list[str]:
    """``tables`` sorted so that each comes after the tables it references (then by name)."""
    remaining = sorted(tables)
    done: list[str] = []
    while remaining:
        ready = [
            t for t in remaining if not (references.get(t, set()) - {t}) - set(done)
        ] or remaining[:1]  # a cycle: break it rather than loop
        for table in ready:
            done.append(table)
            remaining.remove(table)
    return done
