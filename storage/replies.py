"""The reply outbox: the replies to each handled event, kept until they are delivered.

A conversation's replies are stored in the transaction that handled the event (one row
per event, one statement that travels with the commit), so a crash between the commit and
the send loses nothing: the restart sends what is left. Delivered rows are deleted (their
texts hold the person's own words); a row is not kept after its delivery.

Ordering: rows of one chat are delivered in ``id`` order, one at a time. On SQLite ids
are handed out by the storing process (one counter, read from the table once), so the
insert needs no answer back; one process writes a SQLite database. On PostgreSQL, where
several workers store rows, ids come from the table's sequence; one person's events are
handled one at a time (the engine's per-person lock), so a chat's ids still follow the
order of its events.

Claims: a row is claimed by the worker that stored it (``claimed_by``), which delivers it.
Rows another worker held were possibly delivered already (it died between the send and
the delete): they are taken over and marked ``resent``, so that whoever reads the log
knows the person may see them twice. A clean stop releases the rows it did not try
(``claimed_by`` NULL), so they are sent unmarked. On SQLite the one process takes every
row over when it starts. With several workers (PostgreSQL) a worker takes over only the
rows of workers that stopped (clean stop) or went silent (no heartbeat: see
``bot.application.workers``), at its start and at each heartbeat, and only whole chats
that no live worker is delivering to, so that one chat's rows keep their order. There a
row stays claimed by its worker while it waits out an outage (the worker still has it
queued), so a worker that dies in an outage leaves rows marked resent that may never have
arrived: the report errs on the side of "may have arrived twice", never on "lost".
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.times import to_utc_text


@dataclass(slots=True)
class StoredReply:
    """One row: the replies to one event, to ``chat_id`` on ``channel``."""

    id: int
    channel: str
    chat_id: str
    body: str
    resent: bool = False
    """Possibly delivered before (by a worker that died, or a send whose answer was lost)."""
    erased: bool = False
    """To a person who erased their data: once delivered, the row goes at once and the
    WAL is cleared (it holds the chat id)."""
    claimed: bool = True
    """Claimed by this worker in the table (see the module docstring)."""
    content: object = None
    """The body as the storing code had it before encoding (kept in memory only, so the
    sender need not decode it again); ``None`` for rows read back from the table."""


class ReplyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._next_id: int | None = None
        self.worker = f"{os.getpid()}-{secrets.token_hex(4)}"
        """This process' claim on the rows it stores and delivers."""

    async def add(
        self,
        channel: str,
        chat_id: str,
        user_id: str,
        body: str,
        *,
        now: datetime,
        erased: bool = False,
        claimed: bool = True,
    ) -> StoredReply:
        """Store the replies to one event, inside the caller's transaction; the insert
        travels with the commit (a rollback takes it back with the event's effects).
        ``claimed``: this worker sends it right away (a crash may leave it delivered)."""
        if self._db.shared:  # several workers store rows: the sequence orders them
            reply_id = int(
                await self._db.fetchval(
                    "SELECT nextval(pg_get_serial_sequence('reply_outbox', 'id'))"
                )
            )
            claimed = True  # this worker has it queued, outage or not (module docstring)
        else:
            if self._next_id is None:
                top = await self._db.fetchval("SELECT coalesce(max(id), 0) FROM reply_outbox")
                self._next_id = int(top) + 1
            reply_id = self._next_id
            self._next_id += 1
        await self._db.defer(
            "INSERT INTO reply_outbox (id, channel, chat_id, person_id, body, created_at,"
            " claimed_by) VALUES (?, ?, ?, (SELECT person_id FROM identities"
            " WHERE channel = ? AND external_id = ?), ?, ?, ?)",
            (
                reply_id,
                channel,
                chat_id,
                channel,
                user_id,
                body,
                to_utc_text(now),
                self.worker if claimed else None,
            ),
        )
        return StoredReply(reply_id, channel, chat_id, body, erased=erased, claimed=claimed)

    def delivered(self, reply_id: int) -> None:
        """Forget a delivered row; the delete rides with the next transaction (a crash
        just before it makes the restart send the row again, marked resent)."""
        self._db.piggyback("DELETE FROM reply_outbox WHERE id = ?", (reply_id,))

    async def drop(self, reply_ids: Sequence[int]) -> None:
        """Forget rows now (delivered to an erased person, refused, or blocked)."""
        if reply_ids:
            await self._db.executemany(
                "DELETE FROM reply_outbox WHERE id = ?", [(i,) for i in reply_ids]
            )

    async def mark_resent(self, reply_id: int) -> None:
        """The row is being sent again after a send whose answer was lost."""
        await self._db.execute("UPDATE reply_outbox SET resent = 1 WHERE id = ?", (reply_id,))

    async def waiting_by_channel(self) -> dict[str, tuple[int, int]]:
        """Replies not delivered yet, by channel: (how many, how many may arrive twice)."""
        rows = await self._db.fetchall(
            "SELECT channel, count(*) AS n, sum(resent) AS resent FROM reply_outbox"
            " GROUP BY channel ORDER BY channel"
        )
        return {r["channel"]: (int(r["n"]), int(r["resent"] or 0)) for r in rows}

    async def recover(
        self, channel: str, *, live_workers: Sequence[str] | None = None
    ) -> list[StoredReply]:
        """Take over the channel's rows that nobody delivers, oldest first. Rows another
        worker held are marked resent (it may have delivered them); free rows are not.

        ``live_workers=None`` (the one process of a SQLite database, at its start): every
        row. Otherwise (several workers): the rows that are free or held by a worker not
        among ``live_workers``, of the chats no live worker holds a row of; a row another
        worker is taking over at the same moment is skipped, not waited for."""
        if live_workers is None:
            async with self._db.transaction():
                await self._db.defer(
                    "UPDATE reply_outbox SET resent = 1"
                    " WHERE channel = ? AND claimed_by IS NOT NULL AND claimed_by <> ?",
                    (channel, self.worker),
                )
                await self._db.defer(
                    "UPDATE reply_outbox SET claimed_by = ? WHERE channel = ?",
                    (self.worker, channel),
                )
                rows = await self._db.fetchall(
                    "SELECT id, channel, chat_id, body, resent, person_id FROM reply_outbox"
                    " WHERE channel = ? ORDER BY id",
                    (channel,),
                )
        else:
            live = [*dict.fromkeys([*live_workers, self.worker])]
            marks = ",".join("?" * len(live))
            rows = await self._db.fetchall(
                "UPDATE reply_outbox SET"
                " resent = CASE WHEN claimed_by IS NULL THEN resent ELSE 1 END, claimed_by = ?"
                " WHERE id IN (SELECT r.id FROM reply_outbox r WHERE r.channel = ?"
                f" AND (r.claimed_by IS NULL OR r.claimed_by NOT IN ({marks}))"
                " AND NOT EXISTS (SELECT 1 FROM reply_outbox o WHERE o.channel = r.channel"
                f" AND o.chat_id = r.chat_id AND o.claimed_by IN ({marks}))"
                f"{self._db.dialect.skip_locked})"
                " RETURNING id, channel, chat_id, body, resent, person_id",
                (self.worker, channel, *live, *live),
            )
            rows = sorted(rows, key=lambda r: int(r["id"]))
        return [
            StoredReply(
                r["id"],
                r["channel"],
                r["chat_id"],
                r["body"],
                resent=bool(r["resent"]),
                erased=r["person_id"] is None,
            )
            for r in rows
        ]

    async def claim(self, reply_ids: Sequence[int]) -> None:
        """This worker is about to send them (again): a crash from now on may leave them
        delivered but not forgotten."""
        if reply_ids:
            await self._db.executemany(
                "UPDATE reply_outbox SET claimed_by = ? WHERE id = ?",
                [(self.worker, i) for i in reply_ids],
            )

    async def release(self, reply_ids: Sequence[int], *, leaving: bool = False) -> None:
        """Rows known not to be delivered (never tried at a clean stop, or refused by an
        outage) are free: the next start sends them without the resent mark. With several
        workers only a stopping worker (``leaving``) frees rows: while it runs it still
        has them queued, and a free row is for another worker to take."""
        if self._db.shared and not leaving:
            return
        if reply_ids:
            await self._db.executemany(
                "UPDATE reply_outbox SET claimed_by = NULL WHERE id = ? AND claimed_by = ?",
                [(i, self.worker) for i in reply_ids],
            )

    async def waiting(self, channel: str | None = None) -> int:
        """Rows not delivered yet (all channels, or one)."""
        if channel is None:
            value = await self._db.fetchval("SELECT count(*) FROM reply_outbox")
        else:
            value = await self._db.fetchval(
                "SELECT count(*) FROM reply_outbox WHERE channel = ?", (channel,)
            )
        return int(value)
