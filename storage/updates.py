"""Processed platform updates: a redelivered update is recognised and handled once.

Ids are recorded by :meth:`storage.conversations.ConversationRepository.open_event`, in
the same trip that reads who sent the update; this module only forgets old ones."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_utc_text
from storage.db import Database


class UpdateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def forget_before(self, when: datetime) -> int:
        """Drop old ids; platforms do not redeliver after a day."""
        return await self._db.execute_rowcount(
            "DELETE FROM processed_updates WHERE at < ?", (to_utc_text(when),)
        )
