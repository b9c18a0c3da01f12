"""Coordination of several workers over one shared PostgreSQL database.

* **Presence**: each ``youthbot run`` worker writes a heartbeat; one silent for longer than
  the caller's limit is dead, and the outbox messages it had in flight are retried.
* **Leases**: work one worker must do alone (the scheduler's tick) belongs to the holder of
  a lease it renews; when the holder dies the lease expires and another worker takes it.
* **Token buckets**: the bot's sending limits (Telegram's 30 messages/s are the bot's, not
  a worker's): a worker takes a few tokens at a time, in one statement under the bucket
  row's lock.

Times are the database server's (``clock_timestamp()``), in seconds: workers on several
machines never compare their own clocks. PostgreSQL only: a SQLite database has one
process, which needs none of this (:attr:`storage.db.Database.shared`).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, StorageError

_NOW = "extract(epoch FROM clock_timestamp())::float8"


@dataclass(frozen=True, slots=True)
class Grant:
    """Tokens taken from a bucket, and how long until one more is there when none were."""

    tokens: int
    wait: float


class CoordinationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _check(self) -> None:
        if not self._db.shared:
            raise StorageError("worker coordination needs PostgreSQL (YOUTHBOT_DB=postgresql://…)")

    # -- presence --------------------------------------------------------------------

    async def heartbeat(self, worker: str) -> None:
        self._check()
        await self._db.execute_rowcount(
            f"INSERT INTO workers (id, started_at, heartbeat_at) VALUES (?, {_NOW}, {_NOW})"
            f" ON CONFLICT(id) DO UPDATE SET heartbeat_at = {_NOW}",
            (worker,),
        )

    async def leave(self, worker: str) -> None:
        """A worker stopping cleanly: gone at once, its leases free."""
        self._check()
        async with self._db.transaction():
            await self._db.execute_rowcount("DELETE FROM leases WHERE holder = ?", (worker,))
            await self._db.execute_rowcount("DELETE FROM workers WHERE id = ?", (worker,))

    async def live(self, *, within: float) -> list[str]:
        """Workers heard from in the last ``within`` seconds."""
        self._check()
        rows = await self._db.fetchall(
            f"SELECT id FROM workers WHERE heartbeat_at >= {_NOW} - ? ORDER BY id", (within,)
        )
        return [str(r["id"]) for r in rows]

    async def forget_dead(self, *, after: float) -> int:
        """Drop workers silent for ``after`` seconds (their rows only)."""
        self._check()
        return await self._db.execute_rowcount(
            f"DELETE FROM workers WHERE heartbeat_at < {_NOW} - ?", (after,)
        )

    # -- leases ----------------------------------------------------------------------

    async def lease(self, name: str, holder: str, *, ttl: float) -> bool:
        """Take or renew the lease ``name`` for ``ttl`` seconds; False while another
        holder's lease runs."""
        self._check()
        row = await self._db.fetchone(
            f"INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, {_NOW} + ?)"
            " ON CONFLICT(name) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at"
            f" WHERE leases.holder = excluded.holder OR leases.expires_at < {_NOW}"
            " RETURNING holder",
            (name, holder, ttl),
        )
        return row is not None and row["holder"] == holder

    async def holder(self, name: str) -> str | None:
        self._check()
        value = await self._db.fetchval(
            f"SELECT holder FROM leases WHERE name = ? AND expires_at >= {_NOW}", (name,)
        )
        return None if value is None else str(value)

    async def release(self, name: str, holder: str) -> None:
        self._check()
        await self._db.execute_rowcount(
            "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)
        )

    # -- token buckets ---------------------------------------------------------------

    async def take(self, bucket: str, *, want: int, rate: float, capacity: float) -> Grant:
        """Up to ``want`` tokens from ``bucket``, which refills at ``rate`` per second up
        to ``capacity`` (created full on first use)."""
        self._check()
        row = await self._db.fetchone(
            f"WITH seed AS (INSERT INTO rate_buckets (name, tokens, updated_at)"
            f" VALUES (?, ?, {_NOW}) ON CONFLICT DO NOTHING),"
            " b AS (SELECT name, least(?, tokens + greatest(0.0,"
            f" {_NOW} - updated_at) * ?) AS avail FROM rate_buckets WHERE name = ? FOR UPDATE)"
            " UPDATE rate_buckets r SET tokens = b.avail - least(?, floor(b.avail)),"
            f" updated_at = {_NOW} FROM b WHERE r.name = b.name"
            " RETURNING least(?, floor(b.avail))::float8 AS granted, b.avail::float8 AS avail",
            (bucket, capacity, capacity, rate, bucket, want, want),
        )
        if row is None:  # created by this very statement (its snapshot could not see it)
            return Grant(0, 0.0)
        granted = int(row["granted"])
        wait = 0.0 if granted else max(0.0, (1.0 - float(row["avail"])) / rate)
        return Grant(granted, wait)
