"""Platform updates: the inbox of polled ones, and the ids of processed ones.

* The inbox (``update_inbox``) holds each polled update from the moment it is fetched
  until the transaction that handles it (which deletes it, :meth:`UpdateRepository.handled`,
  called by :func:`bot.delivery.replies.handle_and_store`). A poller stores what it
  fetched, then confirms it to the platform (Telegram's ``offset``; Zalo's getUpdates
  forgets what it returned): so a crash loses nothing, and the raw text of an update (a
  typed name, a question) is not kept once handled. What the engine never sees (a group
  command, a block notice, an update given up) is forgotten by the adapter
  (:meth:`UpdateRepository.forget`). A start handles what is left, oldest first; what is
  older than a day is dropped instead (:meth:`UpdateRepository.forget_received_before`).
* Processed ids are recorded by ``open_event`` in the same trip that reads who sent the
  update, so a redelivered update is handled once; this module only forgets old ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.times import from_utc_text, to_utc_text


@dataclass(frozen=True, slots=True)
class StoredUpdate:
    update_id: str
    payload: str
    received_at: datetime


class UpdateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def receive(
        self, channel: str, updates: Sequence[tuple[str, int, str]], *, now: datetime
    ) -> None:
        """Store fetched updates (id, arrival order, raw JSON): one transaction, one trip."""
        if not updates:
            return
        at = to_utc_text(now)
        await self._db.executemany(
            "INSERT INTO update_inbox (channel, update_id, seq, payload, received_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(channel, update_id, seq, payload, at) for update_id, seq, payload in updates],
        )

    async def inbox(self, channel: str) -> list[StoredUpdate]:
        """Stored updates not handled (a crash or a stop cut them short), oldest first."""
        rows = await self._db.fetchall(
            "SELECT update_id, payload, received_at FROM update_inbox WHERE channel = ?"
            " ORDER BY seq",
            (channel,),
        )
        return [
            StoredUpdate(str(r["update_id"]), str(r["payload"]), from_utc_text(r["received_at"]))
            for r in rows
        ]

    async def last_seq(self, channel: str) -> int:
        value = await self._db.fetchval(
            "SELECT coalesce(max(seq), 0) FROM update_inbox WHERE channel = ?", (channel,)
        )
        return int(value)

    async def handled(self, channel: str, update_id: str) -> None:
        """Inside the transaction that handles an update: its stored copy goes with it (a
        rollback keeps it). Deferred: it travels with the transaction's next trip."""
        await self._db.defer(
            "DELETE FROM update_inbox WHERE channel = ? AND update_id = ?", (channel, update_id)
        )

    async def forget(self, channel: str, update_id: str) -> None:
        """An update done with outside the engine (ignored, answered by the adapter, given
        up): its stored copy goes."""
        await self._db.execute(
            "DELETE FROM update_inbox WHERE channel = ? AND update_id = ?", (channel, update_id)
        )

    async def forget_received_before(self, channel: str, when: datetime) -> int:
        """Drop stored updates received before ``when`` (too old to answer now)."""
        return await self._db.execute_rowcount(
            "DELETE FROM update_inbox WHERE channel = ? AND received_at < ?",
            (channel, to_utc_text(when)),
        )

    async def forget_before(self, when: datetime) -> int:
        """Drop old ids; platforms do not redeliver after a day."""
        return await self._db.execute_rowcount(
            "DELETE FROM processed_updates WHERE at < ?", (to_utc_text(when),)
        )
