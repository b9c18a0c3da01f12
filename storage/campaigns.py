"""Campaigns ("đợt đối thoại"), their timeline and topic groups ("nhóm vấn đề")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from storage.db import Database, Row, update_statement
from storage.models import Campaign, Deadline, DeadlineKind, Topic
from storage.times import to_utc_text

_SELECT = (
    "SELECT c.*, u.name AS host_unit_name, u.code AS host_unit_code"
    " FROM campaigns c JOIN units u ON u.id = c.host_unit_id"
)

# Columns an edit may change; anything else is refused rather than silently ignored.
EDITABLE = frozenset(
    {
        "title",
        "theme",
        "level",
        "dialogue_date",
        "complex",
        "allow_anonymous",
        "accept_late",
        "status",
        "host_unit_id",
        "reminder_days",
        "reminder_hour",
        "similar_other_units",
        "organiser",
        "contact",
    }
)


class CampaignRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        title: str,
        theme: str,
        level: str,
        host_unit_id: int,
        dialogue_date: date,
        complex_content: bool,
        allow_anonymous: bool,
        accept_late: bool,
        deadlines: Sequence[Deadline],
        topics: Sequence[str],
        now: datetime,
    ) -> int:
        at = to_utc_text(now)
        async with self._db.transaction():
            campaign_id = await self._db.execute(
                "INSERT INTO campaigns (title, theme, level, host_unit_id, dialogue_date,"
                " complex, allow_anonymous, accept_late, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    title,
                    theme,
                    level,
                    host_unit_id,
                    dialogue_date.isoformat(),
                    int(complex_content),
                    int(allow_anonymous),
                    int(accept_late),
                    at,
                    at,
                ),
            )
            await self.set_deadlines(campaign_id, deadlines)
            await self._db.executemany(
                "INSERT INTO topics (campaign_id, name, position) VALUES (?, ?, ?)",
                [(campaign_id, name, i) for i, name in enumerate(topics, start=1)],
            )
        return campaign_id

    async def set_deadlines(self, campaign_id: int, deadlines: Sequence[Deadline]) -> None:
        await self._db.executemany(
            "INSERT INTO campaign_deadlines (campaign_id, kind, due_date, overridden)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(campaign_id, kind) DO UPDATE SET"
            " due_date = excluded.due_date, overridden = excluded.overridden",
            [(campaign_id, d.kind.value, d.due.isoformat(), int(d.overridden)) for d in deadlines],
        )

    async def update(self, campaign_id: int, *, now: datetime, **fields: Any) -> None:
        sql, params = update_statement(
            "campaigns", campaign_id, fields, editable=EDITABLE, now=to_utc_text(now)
        )
        if fields:
            await self._db.execute(sql, params)

    async def _deadlines(self, campaign_id: int) -> tuple[Deadline, ...]:
        rows = await self._db.fetchall(
            "SELECT kind, due_date, overridden FROM campaign_deadlines WHERE campaign_id = ?",
            (campaign_id,),
        )
        order = list(DeadlineKind)
        found = [
            Deadline(
                DeadlineKind(r["kind"]), date.fromisoformat(r["due_date"]), bool(r["overridden"])
            )
            for r in rows
        ]
        return tuple(sorted(found, key=lambda d: order.index(d.kind)))

    async def _campaign(self, row: Row) -> Campaign:
        return Campaign(
            id=row["id"],
            title=row["title"],
            theme=row["theme"],
            level=row["level"],
            host_unit_id=row["host_unit_id"],
            host_unit_name=row["host_unit_name"],
            host_unit_code=row["host_unit_code"],
            dialogue_date=date.fromisoformat(row["dialogue_date"]),
            complex=bool(row["complex"]),
            allow_anonymous=bool(row["allow_anonymous"]),
            accept_late=bool(row["accept_late"]),
            status=row["status"],
            deadlines=await self._deadlines(row["id"]),
            reminder_days=tuple(int(d) for d in row["reminder_days"].split(",") if d.strip()),
            reminder_hour=row["reminder_hour"],
            similar_other_units=bool(row["similar_other_units"]),
            organiser=row["organiser"],
            contact=row["contact"],
        )

    async def get(self, campaign_id: int) -> Campaign | None:
        row = await self._db.fetchone(f"{_SELECT} WHERE c.id = ?", (campaign_id,))
        return await self._campaign(row) if row else None

    async def all(self, *, include_archived: bool = True) -> list[Campaign]:
        where = "" if include_archived else " WHERE c.status = 'active'"
        rows = await self._db.fetchall(f"{_SELECT}{where} ORDER BY c.dialogue_date, c.id")
        return [await self._campaign(r) for r in rows]

    async def active(self) -> list[Campaign]:
        return await self.all(include_archived=False)

    # -- topics ----------------------------------------------------------------------

    async def topics(self, campaign_id: int, *, include_inactive: bool = False) -> list[Topic]:
        where = "" if include_inactive else " AND active = 1"
        rows = await self._db.fetchall(
            f"SELECT * FROM topics WHERE campaign_id = ?{where} ORDER BY position, id",
            (campaign_id,),
        )
        return [
            Topic(r["id"], r["campaign_id"], r["name"], r["position"], bool(r["active"]))
            for r in rows
        ]

    async def topic(self, topic_id: int) -> Topic | None:
        r = await self._db.fetchone("SELECT * FROM topics WHERE id = ?", (topic_id,))
        return (
            Topic(r["id"], r["campaign_id"], r["name"], r["position"], bool(r["active"]))
            if r
            else None
        )

    async def add_topic(self, campaign_id: int, name: str) -> int:
        async with self._db.transaction():
            position = await self._db.fetchval(
                "SELECT coalesce(max(position), 0) + 1 FROM topics WHERE campaign_id = ?",
                (campaign_id,),
            )
            return await self._db.execute(
                "INSERT INTO topics (campaign_id, name, position) VALUES (?, ?, ?)"
                " ON CONFLICT(campaign_id, name) DO UPDATE SET active = 1",
                (campaign_id, name, position),
            )

    async def deactivate_topic(self, topic_id: int) -> None:
        # Questions keep their topic; it is only hidden from new questions.
        await self._db.execute("UPDATE topics SET active = 0 WHERE id = ?", (topic_id,))
