"""Clusters of duplicate questions ("gộp câu hỏi trùng"), organisers' merge/split links
and chosen representatives."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, Row, Script, count, one, rows
from storage.times import to_utc_text


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    id: int
    campaign_id: int
    representative: int | None
    rep_chosen: bool


@dataclass(frozen=True, slots=True)
class Link:
    a: int
    b: int
    kind: str  # "must" (merged by hand) or "cannot" (split by hand)


# Ids per statement when old groups are dropped (SQLite allows 32,766 parameters).
_CHUNK = 500


class ClusterRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def of_campaign(self, campaign_id: int) -> list[ClusterInfo]:
        rows = await self._db.fetchall(
            "SELECT * FROM clusters WHERE campaign_id = ? ORDER BY id", (campaign_id,)
        )
        return [
            ClusterInfo(r["id"], r["campaign_id"], r["representative"], bool(r["rep_chosen"]))
            for r in rows
        ]

    async def get(self, cluster_id: int) -> ClusterInfo | None:
        r = await self._db.fetchone("SELECT * FROM clusters WHERE id = ?", (cluster_id,))
        if r is None:
            return None
        return ClusterInfo(r["id"], r["campaign_id"], r["representative"], bool(r["rep_chosen"]))

    async def approved_representatives(self, campaign_id: int) -> list[int]:
        """Questions an organiser chose as their group's wording ("câu đại diện")."""
        rows = await self._db.fetchall(
            "SELECT representative FROM clusters WHERE campaign_id = ? AND rep_chosen = 1"
            " AND representative IS NOT NULL",
            (campaign_id,),
        )
        return [r["representative"] for r in rows]

    async def members(self, cluster_id: int) -> list[int]:
        rows = await self._db.fetchall(
            "SELECT id FROM questions WHERE cluster_id = ? AND status != 'withdrawn' ORDER BY id",
            (cluster_id,),
        )
        return [r["id"] for r in rows]

    async def replace_all(
        self,
        campaign_id: int,
        groups: Sequence[Sequence[int]],
        representatives: Sequence[int],
        *,
        now: datetime,
    ) -> list[int]:
        """Store a fresh clustering of a campaign (question ids per group, one
        representative each). Representatives chosen by an organiser are kept when their
        question is still in a group. Returns the new cluster ids, in order."""
        at = to_utc_text(now)
        old: list[int] = []

        def new_clusters() -> Script[list[int]]:
            before: list[Row] = yield rows(
                "SELECT id, representative, rep_chosen FROM clusters WHERE campaign_id = ?",
                (campaign_id,),
            )
            old.extend(r["id"] for r in before)
            chosen = {r["representative"] for r in before if r["rep_chosen"]}
            ids: list[int] = []
            for members, representative in zip(groups, representatives, strict=True):
                kept = next((m for m in members if m in chosen), None)
                row: Row | None = yield one(
                    "INSERT INTO clusters (campaign_id, representative, rep_chosen, created_at)"
                    " VALUES (?, ?, ?, ?) RETURNING id",
                    (campaign_id, kept or representative, int(kept is not None), at),
                )
                assert row is not None
                ids.append(row["id"])
            return ids

        def drop_old() -> Script[None]:
            for start in range(0, len(old), _CHUNK):
                chunk = old[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                # Questions in no new group (withdrawn since, say) belong to none.
                yield count(
                    f"UPDATE questions SET cluster_id = NULL WHERE cluster_id IN ({marks})",
                    tuple(chunk),
                )
                yield count(f"DELETE FROM clusters WHERE id IN ({marks})", tuple(chunk))

        # Few trips to SQLite's thread (one per group held every chat waiting for the
        # write lock for seconds), and each question's row written once: the new groups
        # first, then the questions moved to them, then the old groups dropped.
        async with self._db.transaction():
            ids = await self._db.script(new_clusters)
            await self._db.executemany(
                "UPDATE questions SET cluster_id = ? WHERE id = ?",
                [
                    (cluster_id, member)
                    for cluster_id, members in zip(ids, groups, strict=True)
                    for member in members
                ],
            )
            await self._db.script(drop_old)
        return ids

    async def add(self, campaign_id: int, question_id: int, *, now: datetime) -> int:
        """A new cluster holding one question (incremental assignment at submission)."""
        async with self._db.transaction():
            cluster_id = await self._db.execute(
                "INSERT INTO clusters (campaign_id, representative, created_at) VALUES (?, ?, ?)",
                (campaign_id, question_id, to_utc_text(now)),
            )
            await self.assign(question_id, cluster_id)
        return cluster_id

    async def assign(self, question_id: int, cluster_id: int) -> None:
        await self._db.execute(
            "UPDATE questions SET cluster_id = ? WHERE id = ?", (cluster_id, question_id)
        )

    async def choose_representative(self, cluster_id: int, question_id: int) -> None:
        await self._db.execute(
            "UPDATE clusters SET representative = ?, rep_chosen = 1 WHERE id = ?",
            (question_id, cluster_id),
        )

    async def drop_approval(self, question_id: int) -> bool:
        """An organiser's choice of this question's wording for its group ("câu đại
        diện", shown to every unit) lapses: its asker changed the words. True if it was
        chosen."""
        count = await self._db.execute_rowcount(
            "UPDATE clusters SET rep_chosen = 0 WHERE representative = ? AND rep_chosen = 1",
            (question_id,),
        )
        return count > 0

    async def add_links(
        self,
        campaign_id: int,
        pairs: Iterable[tuple[int, int]],
        kind: str,
        *,
        created_by: int | None,
        now: datetime,
    ) -> None:
        """Record manual decisions; a later decision on the same pair replaces the earlier."""
        at = to_utc_text(now)
        await self._db.executemany(
            "INSERT INTO cluster_links (campaign_id, a, b, kind, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(a, b) DO UPDATE SET kind = excluded.kind,"
            " created_by = excluded.created_by, created_at = excluded.created_at",
            [(campaign_id, min(a, b), max(a, b), kind, created_by, at) for a, b in pairs if a != b],
        )

    async def links(self, campaign_id: int) -> list[Link]:
        rows = await self._db.fetchall(
            "SELECT a, b, kind FROM cluster_links WHERE campaign_id = ?", (campaign_id,)
        )
        return [Link(r["a"], r["b"], r["kind"]) for r in rows]
