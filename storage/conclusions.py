"""The chair's conclusion notice ("thông báo kết luận"): the chair's answers per
question, the questions each covers, the commitments and their follow-up, and the
moment it was published."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from storage.db import Database, Row
from storage.times import from_utc_text, to_utc_text

COMMITMENT_STATUSES = ("open", "done", "dropped")


@dataclass(frozen=True, slots=True)
class Conclusion:
    campaign_id: int
    summary: str
    published_at: datetime | None
    published_by: int | None

    @property
    def published(self) -> bool:
        return self.published_at is not None


@dataclass(frozen=True, slots=True)
class ConclusionEntry:
    """The chair's answer to one question; ``covers`` are the questions whose askers it
    is sent to (the question itself first)."""

    question_id: int
    campaign_id: int
    text: str
    covers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Commitment:
    """A task the chair gave at the dialogue ("giao nhiệm vụ"): owner, due date, status."""

    id: int
    campaign_id: int
    question_id: int | None
    text: str
    owner: str
    due: date
    status: str
    note: str
    done_at: datetime | None


def _commitment(r: Row) -> Commitment:
    return Commitment(
        id=r["id"],
        campaign_id=r["campaign_id"],
        question_id=r["question_id"],
        text=r["text"],
        owner=r["owner"],
        due=date.fromisoformat(r["due_date"]),
        status=r["status"],
        note=r["note"],
        done_at=from_utc_text(r["done_at"]) if r["done_at"] else None,
    )


class ConclusionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, campaign_id: int) -> Conclusion | None:
        r = await self._db.fetchone(
            "SELECT * FROM conclusions WHERE campaign_id = ?", (campaign_id,)
        )
        if r is None:
            return None
        return Conclusion(
            campaign_id=r["campaign_id"],
            summary=r["summary"],
            published_at=from_utc_text(r["published_at"]) if r["published_at"] else None,
            published_by=r["published_by"],
        )

    async def set_summary(self, campaign_id: int, summary: str, *, now: datetime) -> None:
        at = to_utc_text(now)
        await self._db.execute(
            "INSERT INTO conclusions (campaign_id, summary, created_at, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(campaign_id) DO UPDATE SET"
            " summary = excluded.summary, updated_at = excluded.updated_at",
            (campaign_id, summary, at, at),
        )

    async def mark_published(self, campaign_id: int, *, by: int | None, now: datetime) -> bool:
        """Record the publication; False when it was published before (once only)."""
        at = to_utc_text(now)
        async with self._db.transaction():
            await self._db.execute(
                "INSERT INTO conclusions (campaign_id, created_at, updated_at)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (campaign_id, at, at),
            )
            return (
                await self._db.execute_rowcount(
                    "UPDATE conclusions SET published_at = ?, published_by = ?, updated_at = ?"
                    " WHERE campaign_id = ? AND published_at IS NULL",
                    (at, by, at, campaign_id),
                )
                > 0
            )

    # -- entries ------------------------------------------------------------------------

    async def entries(self, campaign_id: int) -> list[ConclusionEntry]:
        rows = await self._db.fetchall(
            "SELECT e.question_id, e.campaign_id, e.text,"
            f" (SELECT {self._db.dialect.joined('c.question_id')} FROM conclusion_covers c"
            "  WHERE c.entry_question_id = e.question_id) AS covers"
            " FROM conclusion_entries e WHERE e.campaign_id = ? ORDER BY e.created_at,"
            " e.question_id",
            (campaign_id,),
        )
        found = []
        for r in rows:
            others = sorted(int(x) for x in (r["covers"] or "").split(",") if x)
            covers = (r["question_id"], *(q for q in others if q != r["question_id"]))
            found.append(ConclusionEntry(r["question_id"], r["campaign_id"], r["text"], covers))
        return found

    async def answer_for(self, question_id: int) -> str | None:
        """The chair's answer at the dialogue to a question: its own entry's, else that of
        the first entry covering it; None when the chair did not answer it."""
        row = await self._db.fetchone(
            "SELECT text FROM conclusion_entries WHERE question_id = ?", (question_id,)
        )
        if row is None:
            row = await self._db.fetchone(
                "SELECT e.text FROM conclusion_covers c JOIN conclusion_entries e"
                " ON e.question_id = c.entry_question_id WHERE c.question_id = ?"
                " ORDER BY e.created_at, e.question_id LIMIT 1",
                (question_id,),
            )
        return row["text"] if row else None

    async def save_entry(
        self, campaign_id: int, question_id: int, text: str, *, now: datetime
    ) -> None:
        at = to_utc_text(now)
        await self._db.execute(
            "INSERT INTO conclusion_entries (question_id, campaign_id, text, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(question_id) DO UPDATE SET"
            " text = excluded.text, updated_at = excluded.updated_at",
            (question_id, campaign_id, text, at, at),
        )

    async def delete_entry(self, question_id: int) -> bool:
        return (
            await self._db.execute_rowcount(
                "DELETE FROM conclusion_entries WHERE question_id = ?", (question_id,)
            )
            > 0
        )

    async def cover(self, entry_question_id: int, question_ids: Sequence[int]) -> None:
        """The other questions the entry answers: exactly ``question_ids`` (those named
        before and not now are no longer covered)."""
        await self._db.execute(
            "DELETE FROM conclusion_covers WHERE entry_question_id = ?", (entry_question_id,)
        )
        await self._db.executemany(
            "INSERT INTO conclusion_covers (entry_question_id, question_id)"
            " VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(entry_question_id, q) for q in question_ids if q != entry_question_id],
        )

    # -- commitments ----------------------------------------------------------------------

    async def commitments(
        self, campaign_id: int | None = None, *, status: str | None = None
    ) -> list[Commitment]:
        sql = "SELECT * FROM commitments WHERE 1 = 1"
        params: list[object] = []
        if campaign_id is not None:
            sql += " AND campaign_id = ?"
            params.append(campaign_id)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        rows = await self._db.fetchall(sql + " ORDER BY due_date, id", params)
        return [_commitment(r) for r in rows]

    async def commitment(self, commitment_id: int) -> Commitment | None:
        r = await self._db.fetchone("SELECT * FROM commitments WHERE id = ?", (commitment_id,))
        return _commitment(r) if r else None

    async def add_commitment(
        self,
        campaign_id: int,
        *,
        question_id: int | None,
        text: str,
        owner: str,
        due: date,
        now: datetime,
    ) -> int:
        at = to_utc_text(now)
        return await self._db.execute(
            "INSERT INTO commitments (campaign_id, question_id, text, owner, due_date,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (campaign_id, question_id, text, owner, due.isoformat(), at, at),
        )

    async def set_commitment_status(
        self, commitment_id: int, status: str, *, note: str, now: datetime
    ) -> None:
        if status not in COMMITMENT_STATUSES:
            raise ValueError(f"unknown commitment status {status!r}")
        at = to_utc_text(now)
        await self._db.execute(
            "UPDATE commitments SET status = ?, note = ?, updated_at = ?,"
            " done_at = CASE WHEN ? = 'done' THEN ? ELSE NULL END WHERE id = ?",
            (status, note, at, status, at, commitment_id),
        )
