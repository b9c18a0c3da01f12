"""Copy a whole database into another, empty one: SQLite to PostgreSQL and back
(``youthbot db copy``, and ``youthbot backup`` of a PostgreSQL database).

Both are opened at the same schema version first. The source is read in one snapshot, the
target written in one transaction: a copy that fails leaves the target as empty as it was.
Rows keep their ids; PostgreSQL's id sequences then continue after them. Each table's
rows are counted on both sides afterwards, and a difference is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storage.db import Database, StorageError

#: Tables of the running workers' coordination, meaningless in another database.
RUNTIME_TABLES = frozenset({"workers", "leases", "rate_buckets"})

Progress = Callable[[str, int, int], None]
"""Called as (table, rows copied so far, rows in the table)."""


@dataclass(frozen=True)
class CopyResult:
    tables: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


async def data_tables(db: Database) -> list[str]:
    return [t for t in await db.tables() if t not in RUNTIME_TABLES]


async def non_empty_tables(db: Database) -> list[str]:
    found = []
    for table in await data_tables(db):
        if await db.fetchval(f"SELECT 1 FROM {table} LIMIT 1") is not None:
            found.append(table)
    return found


async def copy_database(
    source: Database, target: Database, *, progress: Progress | None = None, chunk: int = 5000
) -> CopyResult:
    """Copy every table of ``source`` into ``target`` (which must be empty)."""
    version, target_version = await source.schema_version(), await target.schema_version()
    if version != target_version:
        raise StorageError(
            f"{source.location} has schema version {version} and {target.location}"
            f" {target_version}; open both with this youthbot first"
        )
    tables = await data_tables(source)
    missing = sorted(set(tables) - set(await data_tables(target)))
    if missing:
        raise StorageError(f"{target.location} has no table {', '.join(missing)}")
    filled = await non_empty_tables(target)
    if filled:
        raise StorageError(
            f"{target.location} already holds data (in {', '.join(filled[:3])}); "
            "copy into an empty database"
        )
    counts: dict[str, int] = {}
    async with source.snapshot(), target.transaction():
        await target.defer_constraints()
        for table in tables:
            total = int(await source.fetchval(f"SELECT count(*) FROM {table}"))
            done = 0
            if progress is not None:
                progress(table, done, total)
            async for batch in source.iter_rows(table, chunk=chunk):
                columns = list(batch[0].keys())
                await target.insert_rows(table, columns, batch)
                done += len(batch)
                if progress is not None:
                    progress(table, done, total)
            await target.after_bulk_insert(table)
            copied = int(await target.fetchval(f"SELECT count(*) FROM {table}"))
            if copied != total:
                raise StorageError(
                    f"table {table}: {total} rows in {source.location}, {copied} copied;"
                    " nothing was kept"
                )
            counts[table] = total
    return CopyResult(counts)
