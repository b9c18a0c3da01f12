"""Runs of scheduled jobs (digests, chat reports): a period is done once, whatever restarts
happen, and a run cut short is taken up again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.times import from_utc_text, to_utc_text


@dataclass(frozen=True, slots=True)
class Subscription:
    """A role's scheduled digest: daily or weekly at a local hour, optionally e-mailed."""

    id: int
    role_id: int
    frequency: str
    hour: int
    weekday: int | None
    email: str | None
    created_at: datetime


class JobRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def take(self, job: str, period: str, *, now: datetime, stale_before: datetime) -> bool:
        """Begin ``job`` for ``period`` (recorded as pending until :meth:`finish`), or take
        over a pending run begun before ``stale_before`` (a crash, a stop or a failure cut
        it short); False when the period is done or another run of it is still fresh.
        One statement each way, so two workers never both take the same run."""
        at = to_utc_text(now)
        async with self._db.transaction():
            if await self._db.execute_rowcount(
                "INSERT INTO job_runs (job, period, status, at) VALUES (?, ?, 'pending', ?)"
                " ON CONFLICT DO NOTHING",
                (job, period, at),
            ):
                return True
            return (
                await self._db.execute_rowcount(
                    "UPDATE job_runs SET at = ? WHERE job = ? AND period = ?"
                    " AND status = 'pending' AND at < ?",
                    (at, job, period, to_utc_text(stale_before)),
                )
                > 0
            )

    async def start(self, job: str, period: str, *, now: datetime) -> None:
        """Record that ``job`` began for ``period`` and is not done yet (see
        :meth:`unfinished`); nothing if it was recorded before."""
        await self._db.execute_rowcount(
            "INSERT INTO job_runs (job, period, status, at) VALUES (?, ?, 'pending', ?)"
            " ON CONFLICT DO NOTHING",
            (job, period, to_utc_text(now)),
        )

    async def finish(self, job: str, period: str) -> None:
        await self._db.execute_rowcount(
            "UPDATE job_runs SET status = 'done' WHERE job = ? AND period = ?", (job, period)
        )

    async def done_periods(self, job: str) -> list[str]:
        """Periods of ``job`` that were finished, as recorded."""
        rows = await self._db.fetchall(
            "SELECT period FROM job_runs WHERE job = ? AND status = 'done'", (job,)
        )
        return [r["period"] for r in rows]

    async def unfinished(self, job: str, *, before: datetime) -> list[str]:
        """Periods of ``job`` begun before ``before`` and never finished (a crash or a
        stop cut them short), oldest first."""
        rows = await self._db.fetchall(
            "SELECT period FROM job_runs WHERE job = ? AND status = 'pending' AND at < ?"
            " ORDER BY at, period",
            (job, to_utc_text(before)),
        )
        return [r["period"] for r in rows]

    async def subscribe(
        self,
        role_id: int,
        *,
        frequency: str,
        hour: int,
        weekday: int | None = None,
        email: str | None = None,
        now: datetime,
    ) -> int:
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE digest_subscriptions SET active = 0 WHERE role_id = ?", (role_id,)
            )
            return await self._db.execute(
                "INSERT INTO digest_subscriptions (role_id, frequency, hour, weekday, email,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (role_id, frequency, hour, weekday, email, to_utc_text(now)),
            )

    async def subscriptions(self) -> list[Subscription]:
        rows = await self._db.fetchall(
            "SELECT s.* FROM digest_subscriptions s JOIN roles r ON r.id = s.role_id"
            " WHERE s.active = 1 AND r.revoked_at IS NULL ORDER BY s.id"
        )
        return [
            Subscription(
                r["id"],
                r["role_id"],
                r["frequency"],
                r["hour"],
                r["weekday"],
                r["email"],
                from_utc_text(r["created_at"]),
            )
            for r in rows
        ]
