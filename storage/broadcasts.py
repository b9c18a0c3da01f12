"""Organiser broadcasts ("thông báo") and their delivery reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.times import to_utc_text


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    campaign_id: int | None
    author_id: int | None
    audience: str
    unit_id: int | None
    text: str
    recipients: int
    reported: bool


class BroadcastRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        campaign_id: int | None,
        author_id: int | None,
        audience: str,
        unit_id: int | None,
        text: str,
        recipients: int,
        now: datetime,
    ) -> int:
        return await self._db.execute(
            "INSERT INTO broadcasts (campaign_id, author_id, audience, unit_id, text, recipients,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (campaign_id, author_id, audience, unit_id, text, recipients, to_utc_text(now)),
        )

    async def get(self, broadcast_id: int) -> Broadcast | None:
        r = await self._db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        if r is None:
            return None
        return Broadcast(
            r["id"],
            r["campaign_id"],
            r["author_id"],
            r["audience"],
            r["unit_id"],
            r["text"],
            r["recipients"],
            r["reported_at"] is not None,
        )

    async def mark_reported(self, broadcast_id: int, *, now: datetime) -> bool:
        """True the first time only, so the final report is sent once."""
        count = await self._db.execute_rowcount(
            "UPDATE broadcasts SET reported_at = ? WHERE id = ? AND reported_at IS NULL",
            (to_utc_text(now), broadcast_id),
        )
        return count > 0

    async def unreported(self) -> list[int]:
        """Broadcasts whose author has not had the final report yet (few: those still
        going out, or finished just before a crash)."""
        rows = await self._db.fetchall(
            "SELECT id FROM broadcasts WHERE reported_at IS NULL AND author_id IS NOT NULL"
            " ORDER BY id"
        )
        return [int(r["id"]) for r in rows]
