"""Similar questions at submission: an in-memory index per campaign over the stored
questions, built on first use and kept current as questions arrive."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from bot.clock import Clock
from bot.clustering import DEFAULT_THRESHOLD, SimilarIndex
from handlers.engine import SimilarHit
from storage import Store

# Below this score a question is not shown as "already asked" (0-100, see clustering).
SUGGEST_MIN_SCORE = 40.0
# Several workers: question ids below the highest one seen that may still commit late.
CATCH_UP_MARGIN = 64


class CampaignSimilarity:
    """Implements :class:`handlers.engine.SimilarFinder` over the store."""

    def __init__(self, store: Store, clock: Clock, *, min_score: float = SUGGEST_MIN_SCORE) -> None:
        self._store = store
        self._clock = clock
        self._min_score = min_score
        self._indexes: dict[int, SimilarIndex] = {}
        self._seen: dict[int, int] = {}  # highest question id indexed, per campaign
        self._lock = asyncio.Lock()
        # Closest earlier question found while a text was being written, so that
        # submitting it needs no second lookup: (campaign, text) -> question id or None.
        self._nearest: OrderedDict[tuple[int, str], int | None] = OrderedDict()

    async def _index(self, campaign_id: int) -> SimilarIndex:
        index = self._indexes.get(campaign_id)
        if index is not None and not self._store.db.shared:
            return index
        async with self._lock:
            index = self._indexes.get(campaign_id)
            if index is None:
                index = SimilarIndex()
                self._indexes[campaign_id] = index
                self._seen[campaign_id] = 0
            # Several workers: questions other workers stored since are added (one cheap
            # query; ids are drawn before commit, so the last few are looked at again in
            # case a lower one committed late); in one process every question passes
            # through added().
            seen = self._seen[campaign_id]
            after = seen - CATCH_UP_MARGIN if seen else 0
            for row in await self._store.questions.texts(campaign_id, after=after):
                if str(row.id) not in index:
                    index.add(str(row.id), row.text)
                self._seen[campaign_id] = max(self._seen[campaign_id], row.id)
        return index

    async def find(self, campaign_id: int, text: str, *, limit: int) -> list[SimilarHit]:
        index = await self._index(campaign_id)
        found = index.nearest(text, limit=limit, min_score=min(self._min_score, DEFAULT_THRESHOLD))
        self._remember(campaign_id, text, int(found[0][0]) if found else None)
        ids = [int(key) for key, score in found if score >= self._min_score]
        return [
            SimilarHit(question.id, question.code, question.text, people)
            for question, people in await self._store.questions.with_people(ids)
            if question.status != "withdrawn"
        ]

    async def added(self, campaign_id: int, question_id: int, text: str) -> None:
        """Index a new question and put it in the cluster of its closest duplicate (or a
        new one); the organisers' full re-clustering refines this later."""
        index = await self._index(campaign_id)
        memo_key = (campaign_id, text)
        if memo_key in self._nearest:
            nearest_id = self._nearest.pop(memo_key)
        else:
            found = index.nearest(text, limit=1, min_score=DEFAULT_THRESHOLD)
            nearest_id = int(found[0][0]) if found else None
        cluster_id = None
        if nearest_id is not None:
            nearest = await self._store.questions.get(nearest_id)
            if nearest is not None and nearest.status != "withdrawn":
                cluster_id = nearest.cluster_id
        index.add(str(question_id), text)
        if not self._store.db.shared:
            self._seen[campaign_id] = max(self._seen.get(campaign_id, 0), question_id)
        if cluster_id is not None:
            await self._store.clusters.assign(question_id, cluster_id)
        else:
            await self._store.clusters.add(campaign_id, question_id, now=self._clock.now())

    def _remember(self, campaign_id: int, text: str, nearest: int | None) -> None:
        self._nearest[(campaign_id, text)] = nearest
        self._nearest.move_to_end((campaign_id, text))
        while len(self._nearest) > 1000:
            self._nearest.popitem(last=False)
