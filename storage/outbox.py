"""The outbox: every message to a person is first a row here, then delivered by one sender.

Rows go ``pending`` → ``sending`` (claimed) → ``sent`` | ``failed`` | ``blocked``. A row
left ``sending`` by a crash is retried at start-up and marked ``resent``; so is one retried
after a send whose answer was lost (a timeout, a dropped connection). Those are the only
messages that can arrive twice (Telegram may have accepted them before the process could
record it, and the Bot API has no way to ask), and the broadcast report counts them.

A person who blocked the bot on every app of theirs is not lost for good: the messages
about their own questions (:data:`KEPT_FOR_RETURN`) are kept ``blocked`` (queued so while
they are unreachable, or refused by a 403), and go out when they come back on any app
(:meth:`storage.people.PersonRepository.set_blocked`). Broadcasts, reminders and digests
they missed are not: they speak of dates and events that are past by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, Row
from storage.times import from_utc_text, to_utc_text

KEPT_FOR_RETURN = ("answer", "conclusion", "notice")
"""Kinds of message kept for a person who blocked the bot everywhere, and sent when they
come back (on any app): the official answer to their question, the conclusion notice
quoting it, and notices about their own question or account (a question they joined was
withdrawn, an app was linked). They stay true and they were written for that one person.
Broadcasts, reminders, digests and reports are skipped: a missed broadcast announces a
deadline or an event that is past when they return, and a fresh one reaches them anyway."""

HELD_ERROR = "held: the person blocked the bot; sent when they come back"


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    person_id: int | None
    channel: str
    chat_id: str
    kind: str
    body: str
    dedup_key: str | None
    batch_id: int | None
    status: str
    attempts: int
    next_attempt: datetime
    parts_done: int = 0
    """Messages of a long one (cut in parts) delivered by an earlier try: the next try
    goes on from the part after them."""
    created_at: datetime | None = None
    """When it was queued (the sender gives up on network errors only after a while)."""


@dataclass(frozen=True, slots=True)
class NewMessage:
    person_id: int | None
    channel: str
    chat_id: str
    kind: str
    body: str
    dedup_key: str | None = None
    batch_id: int | None = None
    held: bool = False
    """Queued ``blocked``: the person blocked the bot on every app; it goes when they come
    back (see :data:`KEPT_FOR_RETURN`)."""


@dataclass(frozen=True, slots=True)
class BatchProgress:
    total: int
    sent: int
    blocked: int
    failed: int
    resent: int = 0
    """Sent again after a crash found them in flight: may have arrived twice."""

    @property
    def done(self) -> bool:
        return self.sent + self.blocked + self.failed >= self.total


@dataclass(frozen=True, slots=True)
class OutboxGroup:
    """Messages of one status on one channel (``youthbot outbox``): how many, how many
    may have arrived twice (``resent``), the oldest one's queueing time, and, for those
    not sent, the last error (``error``: one group per distinct error)."""

    status: str
    channel: str
    count: int
    resent: int
    oldest: datetime
    error: str | None = None


def _message(r: Row) -> OutboxMessage:
    return OutboxMessage(
        id=r["id"],
        person_id=r["person_id"],
        channel=r["channel"],
        chat_id=r["chat_id"],
        kind=r["kind"],
        body=r["body"],
        dedup_key=r["dedup_key"],
        batch_id=r["batch_id"],
        status=r["status"],
        attempts=r["attempts"],
        next_attempt=from_utc_text(r["next_attempt"]),
        parts_done=r["parts_done"],
        created_at=from_utc_text(r["created_at"]),
    )


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, messages: Sequence[NewMessage], *, now: datetime) -> int:
        """Queue messages; one whose ``dedup_key`` is already queued is skipped.

        Returns how many were queued.
        """
        at = to_utc_text(now)
        async with self._db.transaction():
            return await self._insert(messages, at)

    async def _insert(self, messages: Sequence[NewMessage], at: str) -> int:
        return await self._db.executemany(
            "INSERT INTO outbox (person_id, channel, chat_id, kind, body, dedup_key,"
            " batch_id, next_attempt, created_at, status, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (
                    m.person_id,
                    m.channel,
                    m.chat_id,
                    m.kind,
                    m.body,
                    m.dedup_key,
                    m.batch_id,
                    at,
                    at,
                    "blocked" if m.held else "pending",
                    HELD_ERROR if m.held else None,
                )
                for m in messages
            ],
        )

    async def due(
        self, *, now: datetime, channels: Sequence[str], limit: int
    ) -> list[OutboxMessage]:
        if not channels:
            return []
        marks = ",".join("?" * len(channels))
        rows = await self._db.fetchall(
            f"SELECT * FROM outbox WHERE status = 'pending' AND next_attempt <= ?"
            f" AND channel IN ({marks}) ORDER BY next_attempt, id LIMIT ?",
            [to_utc_text(now), *channels, limit],
        )
        return [_message(r) for r in rows]

    async def claim(self, message_id: int, *, worker: str | None = None) -> bool:
        """Mark a message in flight; False when it is not pending any more (another worker
        took it: on PostgreSQL a row another worker is claiming is skipped, not waited
        for)."""
        count = await self._db.execute_rowcount(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = ?"
            " WHERE id = (SELECT id FROM outbox WHERE id = ? AND status = 'pending'"
            f"{self._db.dialect.skip_locked})",
            (worker, message_id),
        )
        return count > 0

    async def mark_sent(self, message_id: int, *, now: datetime, resent: bool = False) -> None:
        """Delivered; ``resent``: part of it may have arrived twice."""
        await self._db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, error = NULL,"
            " resent = CASE WHEN ? = 1 THEN 1 ELSE resent END WHERE id = ?",
            (to_utc_text(now), int(resent), message_id),
        )

    async def retry_later(
        self,
        message_id: int,
        *,
        at: datetime,
        error: str,
        resent: bool = False,
        counted: bool = True,
        parts_done: int = 0,
    ) -> None:
        """Back to pending until ``at``. ``resent``: the failed try may have been delivered
        (its answer was lost), so the retry may arrive twice; ``counted=False``: the try
        does not count against the message (the platform asked to wait, or refused the
        token); ``parts_done``: the messages of a long one delivered so far (the retry
        starts after them)."""
        await self._db.execute(
            "UPDATE outbox SET status = 'pending', next_attempt = ?, error = ?,"
            " resent = CASE WHEN ? = 1 THEN 1 ELSE resent END, attempts = attempts - ?,"
            " parts_done = ? WHERE id = ?",
            (
                to_utc_text(at),
                error[:500],
                int(resent),
                0 if counted else 1,
                parts_done,
                message_id,
            ),
        )

    async def mark_failed(self, message_id: int, *, status: str, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = ?, error = ? WHERE id = ?",
            (status, error[:500], message_id),
        )

    async def drop_pending(self, key_patterns: Sequence[str]) -> int:
        """Forget messages not sent yet whose dedup key matches one of ``key_patterns``
        (SQL LIKE): reminders of a date that has just changed. Returns how many."""
        dropped = 0
        for pattern in key_patterns:
            dropped += await self._db.execute_rowcount(
                "DELETE FROM outbox WHERE status = 'pending' AND dedup_key LIKE ?", (pattern,)
            )
        return dropped

    async def block_person(self, person_id: int, *, error: str) -> int:
        """A person blocked the bot: nothing more is sent to them."""
        return await self._db.execute_rowcount(
            "UPDATE outbox SET status = 'blocked', error = ?"
            " WHERE person_id = ? AND status = 'pending'",
            (error[:500], person_id),
        )

    async def move_chat(
        self,
        message_id: int,
        person_id: int,
        *,
        source: tuple[str, str],
        target: tuple[str, str],
    ) -> int:
        """The person blocked the bot on ``source`` (channel, chat id) but ``target``
        still reaches them: this message (in flight) and their others waiting for that
        chat go there instead, whole. Returns how many moved."""
        return await self._db.execute_rowcount(
            "UPDATE outbox SET channel = ?, chat_id = ?, status = 'pending', parts_done = 0,"
            " claimed_by = NULL WHERE person_id = ? AND channel = ? AND chat_id = ?"
            " AND (status = 'pending' OR id = ?)",
            (*target, person_id, *source, message_id),
        )

    async def recover(self, *, live_workers: Sequence[str] | None = None) -> int:
        """Rows a crash left in flight go back to pending, marked as resent: every one
        (``live_workers=None``: at start-up of the one process on SQLite), or those whose
        worker is not among ``live_workers`` (several workers on PostgreSQL)."""
        if live_workers is None:
            return await self._db.execute_rowcount(
                "UPDATE outbox SET status = 'pending', resent = 1, claimed_by = NULL"
                " WHERE status = 'sending'"
            )
        marks = ",".join("?" * len(live_workers)) or "NULL"
        return await self._db.execute_rowcount(
            "UPDATE outbox SET status = 'pending', resent = 1, claimed_by = NULL"
            " WHERE status = 'sending'"
            f" AND (claimed_by IS NULL OR claimed_by NOT IN ({marks}))",
            list(live_workers),
        )

    async def unfinished(self, batch_id: int) -> bool:
        """Whether any message of the batch still waits (cheap: one index probe)."""
        value = await self._db.fetchval(
            "SELECT 1 FROM outbox WHERE batch_id = ? AND status IN ('pending', 'sending') LIMIT 1",
            (batch_id,),
        )
        return value is not None

    async def progress(self, batch_id: int) -> BatchProgress:
        rows = await self._db.fetchall(
            "SELECT status, count(*) AS n, sum(resent) AS resent FROM outbox"
            " WHERE batch_id = ? GROUP BY status",
            (batch_id,),
        )
        counts = {r["status"]: r["n"] for r in rows}
        resent = {r["status"]: r["resent"] for r in rows}
        return BatchProgress(
            total=sum(counts.values()),
            sent=counts.get("sent", 0),
            blocked=counts.get("blocked", 0),
            failed=counts.get("failed", 0),
            resent=int(resent.get("sent") or 0),
        )

    async def summary(self) -> list[OutboxGroup]:
        """Every message by status and channel, and those not sent by their last error too
        (largest groups first)."""
        rows = await self._db.fetchall(
            "SELECT status, channel, CASE WHEN status = 'sent' THEN NULL ELSE error END AS why,"
            " count(*) AS n, sum(resent) AS resent, min(created_at) AS oldest FROM outbox"
            " GROUP BY status, channel, why ORDER BY status, channel, n DESC"
        )
        return [
            OutboxGroup(
                status=r["status"],
                channel=r["channel"],
                count=int(r["n"]),
                resent=int(r["resent"] or 0),
                oldest=from_utc_text(r["oldest"]),
                error=r["why"],
            )
            for r in rows
        ]

    async def counts(self) -> dict[str, int]:
        rows = await self._db.fetchall("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}
