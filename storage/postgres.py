"""PostgreSQL behind the same :class:`~storage.db.Database` interface, on asyncpg.

Several ``youthbot run`` workers share one PostgreSQL: each holds a small pool of
connections; a transaction takes one connection from the pool for its whole block (a
context variable finds it for nested calls), a statement outside a transaction borrows one
for itself. The repositories' SQL is translated by :mod:`storage.dialect` (``?`` becomes
``$n``); the migrations are SQLite's, translated, applied one transaction each under an
advisory lock so that workers starting together migrate once.

Why asyncpg: it speaks PostgreSQL's binary protocol and keeps every statement prepared
per connection, which makes it the fastest asyncio driver; its ``Record`` reads by name
and by position like ``sqlite3.Row``, so the repositories' row mapping works unchanged;
it is maintained by the people who wrote uvloop and has no dependencies on Python 3.11.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from storage.db import (
    Database,
    Params,
    Row,
    Script,
    Step,
    StorageError,
    Target,
    load_migrations,
    order_by_references,
)
from storage.dialect import POSTGRESQL, insert_table, lock_key, postgres_sql, returns_rows

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_SIZE = 10
CONNECT_TIMEOUT = 10.0
#: Advisory lock scopes (the first of the two-integer keys).
LOCK_MIGRATE = 1
LOCK_HOLD = 2
_VERSION_TABLE = "youthbot_schema"


@dataclass
class _Transaction:
    conn: asyncpg.Connection
    deferred: list[tuple[str, Params]] = field(default_factory=list)


def _args(params: Params) -> Sequence[Any]:
    if isinstance(params, dict):
        raise StorageError("named parameters are not portable; use ? and a sequence")
    return params


def _rowcount(status: str) -> int:
    """``UPDATE 3`` / ``INSERT 0 1`` / ``SELECT 1`` → the count."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdecimal() else 0


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


class PostgresDatabase(Database):
    """An open PostgreSQL database (a pool of asyncpg connections), migrated."""

    dialect = POSTGRESQL
    shared = True

    def __init__(self, pool: asyncpg.Pool, target: Target) -> None:
        self._pool = pool
        self.target = target
        self._tx: contextvars.ContextVar[_Transaction | None] = contextvars.ContextVar(
            f"youthbot_pg_transaction_{id(self)}", default=None
        )
        self._id_tables: frozenset[str] = frozenset()

    @classmethod
    async def connect(
        cls, target: Target, *, migrate_to: int | None = None, pool_size: int = POOL_SIZE
    ) -> PostgresDatabase:
        try:
            pool = await asyncpg.create_pool(
                target.location,
                min_size=1,
                max_size=pool_size,
                timeout=CONNECT_TIMEOUT,
                statement_cache_size=1024,
                server_settings={"application_name": "youthbot"},
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StorageError(
                f"cannot connect to PostgreSQL at {target.display}: {_reason(exc)};"
                " check YOUTHBOT_DB and that the server is running"
            ) from None
        except ValueError as exc:  # a URL asyncpg cannot parse
            raise StorageError(
                f"YOUTHBOT_DB: cannot read the PostgreSQL URL {target.display}: {_reason(exc)}"
            ) from None
        db = cls(pool, target)
        try:
            await db._migrate(migrate_to)
            await db._load_id_tables()
        except asyncpg.PostgresError as exc:
            await pool.close()
            raise StorageError(
                f"cannot prepare the PostgreSQL database {target.display}: {_reason(exc)}"
            ) from None
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        await self._pool.close()

    # -- schema ----------------------------------------------------------------------

    async def schema_version(self) -> int:
        async with self._pool.acquire() as conn:
            return await self._version(conn)

    async def _version(self, conn: asyncpg.Connection) -> int:
        exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", _VERSION_TABLE)
        if not exists:
            return 0
        value = await conn.fetchval(f"SELECT max(version) FROM {_VERSION_TABLE}")
        return int(value or 0)

    async def _migrate(self, target: int | None) -> None:
        migrations = load_migrations("postgresql")
        known = len(migrations)
        goal = known if target is None else target
        async with self._pool.acquire() as conn:
            while True:
                async with conn.transaction():
                    # Workers starting together: one migrates, the others wait and see.
                    await conn.execute(f"SELECT pg_advisory_xact_lock({LOCK_MIGRATE}, 0)")
                    current = await self._version(conn)
                    if current > known:
                        raise StorageError(
                            f"the database {self.location} has schema version {current}, newer"
                            f" than this youthbot understands ({known}); upgrade youthbot or"
                            " use another database"
                        )
                    if current >= goal:
                        return
                    migration = migrations[current]
                    await conn.execute(
                        f"CREATE TABLE IF NOT EXISTS {_VERSION_TABLE} (version BIGINT NOT NULL)"
                    )
                    await conn.execute(migration.sql)
                    await conn.execute(f"DELETE FROM {_VERSION_TABLE}")
                    await conn.execute(
                        f"INSERT INTO {_VERSION_TABLE} (version) VALUES ($1)", migration.version
                    )

    async def _load_id_tables(self) -> None:
        rows = await self._pool.fetch(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = 'id'"
        )
        self._id_tables = frozenset(str(r[0]) for r in rows)

    async def tables(self) -> list[str]:
        names = await self._pool.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() AND table_type = 'BASE TABLE' AND table_name <> $1",
            _VERSION_TABLE,
        )
        references: dict[str, set[str]] = {}
        for row in await self._pool.fetch(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text"
            " FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE c.contype = 'f' AND n.nspname = current_schema()"
        ):
            references.setdefault(str(row[0]), set()).add(str(row[1]))
        return order_by_references([str(r[0]) for r in names], references)

    async def backup(self, target: Path) -> None:
        from storage.copy import copy_database

        if await asyncio.to_thread(target.exists):
            raise StorageError(f"{target} already exists; choose a new file name")
        copy = await Database.open(target)
        try:
            await copy_database(self, copy)
        finally:
            await copy.close()

    # -- transactions ----------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        return self._tx.get() is not None

    @asynccontextmanager
    async def transaction(self, *, quick: bool = False) -> AsyncIterator[None]:
        # ``quick`` changes nothing here: asyncpg never blocks the event loop.
        if self._tx.get() is not None:
            yield
            return
        async with self._pool.acquire() as conn:
            tx = _Transaction(conn)
            token = self._tx.set(tx)
            try:
                async with conn.transaction():
                    yield
                    await self._flush(tx)
            finally:
                self._tx.reset(token)

    def busy(self, error: BaseException) -> bool:
        return isinstance(
            error,
            asyncpg.DeadlockDetectedError
            | asyncpg.SerializationError
            | asyncpg.LockNotAvailableError,
        )

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[None]:
        """Reads that all see one moment (a repeatable-read, read-only transaction)."""
        if self._tx.get() is not None:
            yield
            return
        async with self._pool.acquire() as conn:
            token = self._tx.set(_Transaction(conn))
            try:
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    yield
            finally:
                self._tx.reset(token)

    async def _flush(self, tx: _Transaction) -> None:
        deferred, tx.deferred = tx.deferred, []
        for sql, params in deferred:
            await tx.conn.execute(postgres_sql(sql), *_args(params))

    async def defer(self, sql: str, params: Params = ()) -> None:
        tx = self._tx.get()
        if tx is not None:
            postgres_sql(sql)  # refuse unportable SQL where it is written, not at commit
            tx.deferred.append((sql, params))
        else:
            await self.execute_rowcount(sql, params)

    async def hold(self, key: str) -> None:
        tx = self._tx.get()
        if tx is None:
            raise StorageError("Database.hold() needs a transaction")
        await self._flush(tx)
        await tx.conn.execute(f"SELECT pg_advisory_xact_lock({LOCK_HOLD}, {lock_key(key)})")

    async def _with_conn(self, fn: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        tx = self._tx.get()
        if tx is not None:
            if tx.deferred:
                await self._flush(tx)
            return await fn(tx.conn)
        async with self._pool.acquire() as conn:
            return await fn(conn)

    # -- statements ------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = ()) -> int:
        args = _args(params)
        if insert_table(sql) in self._id_tables:
            text = postgres_sql(sql) + " RETURNING id"

            async def insert(conn: asyncpg.Connection) -> int:
                value = await conn.fetchval(text, *args)
                return int(value or 0)

            return await self._with_conn(insert)
        return await self.execute_rowcount(sql, params)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        text, args = postgres_sql(sql), _args(params)

        async def run(conn: asyncpg.Connection) -> int:
            return _rowcount(await conn.execute(text, *args))

        return await self._with_conn(run)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        text = postgres_sql(sql)
        if not returns_rows(sql):
            text += " RETURNING 1"  # so the changed rows can be counted
        args = [tuple(_args(r)) for r in rows]
        if not args:
            return 0

        async def run(conn: asyncpg.Connection) -> int:
            return len(await conn.fetchmany(text, args))

        async with self.transaction():
            return await self._with_conn(run)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        text, args = postgres_sql(sql), _args(params)

        async def run(conn: asyncpg.Connection) -> Row | None:
            row: Row | None = await conn.fetchrow(text, *args)
            return row

        return await self._with_conn(run)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        text, args = postgres_sql(sql), _args(params)

        async def run(conn: asyncpg.Connection) -> list[Row]:
            return list(await conn.fetch(text, *args))

        return await self._with_conn(run)

    async def script(self, steps: Callable[[], Script[T]]) -> T:
        async with self.transaction():
            script = steps()
            result: Any = None
            while True:
                try:
                    step = script.send(result)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                result = await self._step(step)

    async def _step(self, step: Step) -> Any:
        if step.kind == "hold":
            await self.hold(step.sql)
            return None
        if step.kind == "one":
            return await self.fetchone(step.sql, step.params)
        if step.kind == "all":
            return await self.fetchall(step.sql, step.params)
        return await self.execute_rowcount(step.sql, step.params)

    # -- bulk copy (youthbot db copy) ---------------------------------------------------

    async def iter_rows(self, table: str, *, chunk: int) -> AsyncIterator[list[Row]]:
        tx = self._tx.get()
        if tx is None:
            raise StorageError("iter_rows() needs a snapshot")
        await self._flush(tx)
        batch: list[Row] = []
        async for record in tx.conn.cursor(f"SELECT * FROM {table}", prefetch=chunk):
            batch.append(record)
            if len(batch) == chunk:
                yield batch
                batch = []
        if batch:
            yield batch

    async def insert_rows(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        records = [tuple(r[c] for c in columns) for r in rows]

        async def run(conn: asyncpg.Connection) -> None:
            await conn.copy_records_to_table(table, records=records, columns=list(columns))

        await self._with_conn(run)

    async def defer_constraints(self) -> None:
        await self.execute_rowcount("SET CONSTRAINTS ALL DEFERRED")

    async def after_bulk_insert(self, table: str) -> None:
        """New ids continue after the copied ones."""
        if table in self._id_tables:
            await self.fetchval(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
