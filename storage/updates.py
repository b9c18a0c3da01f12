"""Processed platform updates: a redelivered update is recognised and handled once."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import to_utc_text
from storage.db import Database


class UpdateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def mark(self, channel: str, update_id: str, *, now: datetime) -> bool:
        """Record ``update_id``; False when it was already processed."""
        count = await self._db.execute_rowcount(
            "INSERT OR IGNORE INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)",
            (channel, update_id, to_utc_text(now)),
        )
        return count > 0

    async def forget_before(self, when: datetime) -> int:
        """Drop old ids; platforms do not redeliver after a day."""
        return await self._db.execute_rowcount(
            "DELETE FROM processed_updates WHERE at < ?", (to_utc_text(when - timedelta(0)),)
        )
