"""The live programme ("kịch bản"): the 10-15 questions asked at the dialogue, in order,
each with the wording read out and who answers it on stage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database, Row, update_statement
from storage.times import to_utc_text

ITEM_STATES = ("proposed", "pinned", "dropped")
ANSWERER_KINDS = ("chair", "department", "person")
_EDITABLE = frozenset({"position", "state", "wording", "answerer_kind", "answerer"})


@dataclass(frozen=True, slots=True)
class ProgrammeItem:
    """One question of the programme.

    ``state``: ``proposed`` (from the automatic selection, replaced when the proposal is
    refreshed), ``pinned`` (kept: an organiser picked or confirmed it) or ``dropped``
    (never proposed again). ``wording`` is the organisers' rewording; the asker's own text
    stays on the question.
    """

    id: int
    campaign_id: int
    question_id: int
    position: int
    state: str
    wording: str | None
    answerer_kind: str
    answerer: str | None


def _item(r: Row) -> ProgrammeItem:
    return ProgrammeItem(
        id=r["id"],
        campaign_id=r["campaign_id"],
        question_id=r["question_id"],
        position=r["position"],
        state=r["state"],
        wording=r["wording"],
        answerer_kind=r["answerer_kind"],
        answerer=r["answerer"],
    )


class ProgrammeRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def items(
        self, campaign_id: int, *, include_dropped: bool = False
    ) -> list[ProgrammeItem]:
        where = "" if include_dropped else " AND state != 'dropped'"
        rows = await self._db.fetchall(
            f"SELECT * FROM programme_items WHERE campaign_id = ?{where} ORDER BY position, id",
            (campaign_id,),
        )
        return [_item(r) for r in rows]

    async def add(
        self,
        campaign_id: int,
        question_id: int,
        *,
        state: str,
        position: int,
        answerer_kind: str,
        answerer: str | None,
        now: datetime,
    ) -> int:
        """Put a question in the programme (or back in it, keeping its wording)."""
        if state not in ITEM_STATES or answerer_kind not in ANSWERER_KINDS:
            raise ValueError(f"bad programme item {state!r}/{answerer_kind!r}")
        at = to_utc_text(now)
        return await self._db.execute(
            "INSERT INTO programme_items (campaign_id, question_id, position, state,"
            " answerer_kind, answerer, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(campaign_id, question_id) DO UPDATE SET state = excluded.state,"
            " position = excluded.position, updated_at = excluded.updated_at",
            (campaign_id, question_id, position, state, answerer_kind, answerer, at, at),
        )

    async def update(self, item_id: int, *, now: datetime, **fields: Any) -> None:
        if fields:
            sql, params = update_statement(
                "programme_items", item_id, fields, editable=_EDITABLE, now=to_utc_text(now)
            )
            await self._db.execute(sql, params)

    async def set_positions(self, positions: Sequence[tuple[int, int]]) -> None:
        """(item id, position) pairs, in one statement."""
        await self._db.executemany(
            "UPDATE programme_items SET position = ? WHERE id = ?",
            [(position, item_id) for item_id, position in positions],
        )

    async def remove_proposed(self, campaign_id: int) -> int:
        return await self._db.execute_rowcount(
            "DELETE FROM programme_items WHERE campaign_id = ? AND state = 'proposed'",
            (campaign_id,),
        )
