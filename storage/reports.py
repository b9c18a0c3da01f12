"""Read-only queries for digests and exports: one row per question with everything the
documents show, fetched in one statement (a campaign can hold 100,000 questions)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, Row
from storage.times import from_utc_text, to_utc_text


@dataclass(frozen=True, slots=True)
class QuestionReport:
    id: int
    code: str
    campaign_id: int
    created_at: datetime
    person_id: int | None
    asker_name: str | None
    anonymous: bool
    unit_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    category: str | None
    topic_id: int
    topic: str
    department: str | None
    cluster_id: int | None
    supporters: int
    status: str
    channel: str
    text: str
    late: bool
    answer: str | None
    answered_at: datetime | None = None
    answered_by: str | None = None
    answer_published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SupportReport:
    question_id: int
    person_id: int
    unit_id: int | None
    created_at: datetime


_SELECT = """
SELECT q.id, q.code, q.campaign_id, q.created_at, q.person_id, q.asker_name, q.anonymous,
       q.unit_id, u.code AS unit_code, u.name AS unit_name, u.kind AS unit_kind,
       q.category, q.topic_id, t.name AS topic, coalesce(q.department, t.department) AS department,
       q.cluster_id, coalesce(s.n, 0) AS supporters, q.status, q.channel, q.text, q.late, q.answer,
       q.answered_at, q.answered_by, q.answer_published_at
FROM questions q
JOIN units u ON u.id = q.unit_id
JOIN topics t ON t.id = q.topic_id
LEFT JOIN (SELECT question_id, count(*) AS n FROM supports GROUP BY question_id) s
       ON s.question_id = q.id
WHERE q.campaign_id = ? AND q.status != 'withdrawn'
"""


class ReportRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def questions(
        self,
        campaign_id: int,
        *,
        unit_id: int | None = None,
        department: str | None = None,
        until: datetime | None = None,
    ) -> list[QuestionReport]:
        sql = _SELECT
        params: list[object] = [campaign_id]
        if unit_id is not None:
            sql += " AND q.unit_id = ?"
            params.append(unit_id)
        if department is not None:
            sql += " AND coalesce(q.department, t.department) = ?"
            params.append(department)
        if until is not None:
            sql += " AND q.created_at <= ?"
            params.append(to_utc_text(until))
        rows = await self._db.fetchall(sql + " ORDER BY q.created_at, q.id", params)
        # Converting a whole campaign's rows takes about a second at 100,000: not in the
        # event loop's thread, where every chat would wait for it.
        return await asyncio.to_thread(_question_reports, rows)

    async def supports(self, campaign_id: int) -> list[SupportReport]:
        rows = await self._db.fetchall(
            "SELECT s.question_id, s.person_id, s.unit_id, s.created_at FROM supports s"
            " JOIN questions q ON q.id = s.question_id"
            " WHERE q.campaign_id = ? AND q.status != 'withdrawn'",
            (campaign_id,),
        )
        return [
            SupportReport(
                r["question_id"], r["person_id"], r["unit_id"], from_utc_text(r["created_at"])
            )
            for r in rows
        ]


def _question_reports(rows: list[Row]) -> list[QuestionReport]:
    return [
        QuestionReport(
            id=r["id"],
            code=r["code"],
            campaign_id=r["campaign_id"],
            created_at=from_utc_text(r["created_at"]),
            person_id=r["person_id"],
            asker_name=r["asker_name"],
            anonymous=bool(r["anonymous"]),
            unit_id=r["unit_id"],
            unit_code=r["unit_code"],
            unit_name=r["unit_name"],
            unit_kind=r["unit_kind"],
            category=r["category"],
            topic_id=r["topic_id"],
            topic=r["topic"],
            department=r["department"],
            cluster_id=r["cluster_id"],
            supporters=r["supporters"],
            status=r["status"],
            channel=r["channel"],
            text=r["text"],
            late=bool(r["late"]),
            answer=r["answer"],
            answered_at=from_utc_text(r["answered_at"]) if r["answered_at"] else None,
            answered_by=r["answered_by"],
            answer_published_at=(
                from_utc_text(r["answer_published_at"]) if r["answer_published_at"] else None
            ),
        )
        for r in rows
    ]
