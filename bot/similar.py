"""Similar questions at submission: an in-memory index per campaign over the stored
questions, built on first use and kept current as questions arrive."""

from __future__ import annotations

import asyncio

from bot.clock import Clock
from bot.clustering import DEFAULT_THRESHOLD, SimilarIndex
from handlers.engine import SimilarHit
from storage import Store

# Below this score a question is not shown as "already asked" (0-100, see clustering).
SUGGEST_MIN_SCORE = 40.0


class CampaignSimilarity:
    """Implements :class:`handlers.engine.SimilarFinder` over the store."""

    def __init__(self, store: Store, clock: Clock, *, min_score: float = SUGGEST_MIN_SCORE) -> None:
        self._store = store
        self._clock = clock
        self._min_score = min_score
        self._indexes: dict[int, SimilarIndex] = {}
        self._lock = asyncio.Lock()

    async def _index(self, campaign_id: int) -> SimilarIndex:
        index = self._indexes.get(campaign_id)
        if index is not None:
            return index
        async with self._lock:
            index = self._indexes.get(campaign_id)
            if index is None:
                index = SimilarIndex()
                for row in await self._store.questions.texts(campaign_id):
                    index.add(str(row.id), row.text)
                self._indexes[campaign_id] = index
        return index

    async def find(self, campaign_id: int, text: str, *, limit: int) -> list[SimilarHit]:
        index = await self._index(campaign_id)
        hits: list[SimilarHit] = []
        for key, _score in index.nearest(text, limit=limit, min_score=self._min_score):
            question = await self._store.questions.get(int(key))
            if question is None or question.status == "withdrawn":
                continue
            people = 1 + len(await self._store.questions.supporters(question.id))
            hits.append(SimilarHit(question.id, question.code, question.text, people))
        return hits

    async def added(self, campaign_id: int, question_id: int, text: str) -> None:
        """Index a new question and put it in the cluster of its closest duplicate (or a
        new one); the organisers' full re-clustering refines this later."""
        index = await self._index(campaign_id)
        cluster_id = None
        for key, _score in index.nearest(text, limit=1, min_score=DEFAULT_THRESHOLD):
            nearest = await self._store.questions.get(int(key))
            if nearest is not None and nearest.status != "withdrawn":
                cluster_id = nearest.cluster_id
        index.add(str(question_id), text)
        if cluster_id is not None:
            await self._store.clusters.assign(question_id, cluster_id)
        else:
            await self._store.clusters.add(campaign_id, question_id, now=self._clock.now())

    def forget(self, campaign_id: int, question_id: int) -> None:
        index = self._indexes.get(campaign_id)
        if index is not None:
            index.remove(str(question_id))
