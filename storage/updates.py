"""Platform updates: the inbox of polled ones, and the ids of processed ones.

* The inbox (``update_inbox``) holds each polled update from the moment it is fetched
  until it and every earlier one are handled. A poller stores what it fetched, then
  confirms it to the platform at once (Telegram's ``offset``): so a crash loses nothing,
  and the next poll brings only new updates instead of repeating the unfinished ones.
* Processed ids are recorded by
  :meth:`storage.conversations.ConversationRepository.open_event`, in the same trip that
  reads who sent the update, so a redelivered or replayed update is handled once; this
  module only forgets old ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.db import Database
from storage.times import to_utc_text


class UpdateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def receive(
        self,
        channel: str,
        updates: Sequence[tuple[int, str]],
        *,
        now: datetime,
        done_below: int | None,
    ) -> None:
        """Store fetched updates (id, raw JSON) and forget the handled ones: every update
        below ``done_below`` (``None``: keep all). One transaction, one trip and a commit."""
        async with self._db.transaction():
            if done_below is not None:
                await self._db.defer(
                    "DELETE FROM update_inbox WHERE channel = ? AND update_id < ?",
                    (channel, done_below),
                )
            if not updates:
                return
            at = to_utc_text(now)
            await self._db.executemany(
                "INSERT INTO update_inbox (channel, update_id, payload, received_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(channel, update_id, payload, at) for update_id, payload in updates],
            )

    async def inbox(self, channel: str) -> list[tuple[int, str]]:
        """Stored updates not known to be handled (a crash or a stop left them), oldest first."""
        rows = await self._db.fetchall(
            "SELECT update_id, payload FROM update_inbox WHERE channel = ? ORDER BY update_id",
            (channel,),
        )
        return [(int(r["update_id"]), str(r["payload"])) for r in rows]

    async def forget_before(self, when: datetime) -> int:
        """Drop old ids; platforms do not redeliver after a day."""
        return await self._db.execute_rowcount(
            "DELETE FROM processed_updates WHERE at < ?", (to_utc_text(when),)
        )
