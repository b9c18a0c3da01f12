"""Similar questions at submission: an in-memory index per campaign over the stored
questions, built before the channels take traffic (:meth:`CampaignSimilarity.warm_up`)
and kept current as questions arrive.

What a young person may be shown ("Tôi cũng muốn hỏi câu này"): never an anonymous
question; questions of their own unit; other units' questions only where the campaign
allows it (``similar_other_units``, off by default); and wordings an organiser approved as
their group's representative (``/daidien``), which are shown to every unit.

A new question joins the cluster of its closest earlier question *of the same topic
group*: automatic grouping never mixes topic groups.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import OrderedDict
from pathlib import Path

from bot.clock import Clock
from bot.clustering import DEFAULT_THRESHOLD, SimilarIndex, Wanted, snapshot
from bot.clustering.snapshot import Snapshot, question_print
from handlers.contacts import masked
from handlers.engine import SimilarHit
from storage import Store
from storage.models import Campaign, Question
from storage.questions import QuestionText

log = logging.getLogger(__name__)

# Below this score a question is not shown as "already asked" (0-100: the pair model's
# probability that both ask the same thing). A little below the grouping threshold: a young
# person dismisses a wrong suggestion with one tap, while a wrong merge hides a question.
# 50 with the same-topic weights: each dev2 question looked up against those before it,
# the best shown is right 659 times and wrong 127 (at 45: 671 / 146; the one model at
# 45: 629 / 132).
SUGGEST_MIN_SCORE = 50.0
#: How long the list of approved representatives is trusted before it is read again.
APPROVED_SECONDS = 5.0
# Several workers: question ids below the highest one seen that may still commit late.
CATCH_UP_MARGIN = 64


def _built(rows: list[QuestionText]) -> Snapshot:
    """An index over stored questions (CPU-bound: run it off the event loop)."""
    snapshot = Snapshot(SimilarIndex())
    for row in rows:
        _add(snapshot, row)
    return snapshot


def _add(snapshot: Snapshot, question: Question | QuestionText) -> None:
    """Index a stored question, shown to others only if not anonymous."""
    key = str(question.id)
    snapshot.index.add(
        key,
        question.text,
        topic=question.topic_id,
        unit=question.unit_id,
        shown=not question.anonymous,
    )
    snapshot.prints[key] = question_print(
        question.text, question.topic_id, question.unit_id, question.anonymous
    )
    snapshot.changed = True


def _brought_up_to_date(snapshot: Snapshot, rows: list[QuestionText]) -> int:
    """Index what changed since ``snapshot`` was written: questions new or edited (text,
    topic group, unit, anonymity) are indexed again, withdrawn ones removed. Returns how
    many questions that touched."""
    current = set()
    touched = 0
    for row in rows:
        key = str(row.id)
        current.add(key)
        if snapshot.prints.get(key) != question_print(
            row.text, row.topic_id, row.unit_id, row.anonymous
        ):
            _add(snapshot, row)
            touched += 1
    for key in [key for key in snapshot.prints if key not in current]:
        snapshot.index.remove(key)
        del snapshot.prints[key]
        snapshot.changed = True
        touched += 1
    return touched


class CampaignSimilarity:
    """Implements :class:`handlers.engine.SimilarFinder` over the store."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        min_score: float = SUGGEST_MIN_SCORE,
        snapshots: Path | None = None,
    ) -> None:
        """``snapshots``: a folder where the indexes are kept between runs
        (:mod:`bot.clustering.snapshot`); None: built from the questions at each start."""
        self._store = store
        self._clock = clock
        self._min_score = min_score
        self._snapshots = snapshots
        self._indexes: dict[int, Snapshot] = {}
        self._approved_at: dict[int, float] = {}
        self._seen: dict[int, int] = {}  # highest question id indexed, per campaign
        self._lock = asyncio.Lock()
        # Closest earlier question of the same topic group found while a text was being
        # written, so that submitting it needs no second lookup:
        # (campaign, topic, unit, text) -> question id or None.
        self._nearest: OrderedDict[tuple[int, int, int, str], int | None] = OrderedDict()

    async def warm_up(self) -> None:
        """Build the index of every active campaign now, in a worker thread, so that no
        chat waits for it (``youthbot run`` calls this before the channels start); from
        its snapshot when there is one, and a fresh snapshot is written."""
        for campaign in await self._store.campaigns.active():
            started = time.perf_counter()
            index = await self._index(campaign.id)
            log.info(
                "similar-question index of campaign %d: %d questions in %.1f s",
                campaign.id,
                len(index),
                time.perf_counter() - started,
            )
        # Written now, while no chat changes the indexes: the next start reads them.
        await self.save()
        # The indexes live as long as the process: keep the collector from walking them
        # again and again (long pauses in the middle of chats otherwise).
        gc.freeze()

    async def save(self) -> None:
        """Write every index built so far to its snapshot (``youthbot run`` also calls
        this when it stops). Only while no chat is handled: a snapshot must not be
        written while a question is being added."""
        if self._snapshots is None:
            return
        for campaign_id, built in list(self._indexes.items()):
            if not built.changed:  # read from its snapshot and unchanged since
                continue
            try:
                await asyncio.to_thread(snapshot.save, self._snapshots, campaign_id, built)
                built.changed = False
            except OSError as error:  # a full disk costs the next start its speed only
                log.warning(
                    "similar-question index of campaign %d not saved: %s", campaign_id, error
                )

    async def _index(self, campaign_id: int) -> SimilarIndex:
        built = self._indexes.get(campaign_id)
        if built is not None and not self._store.db.shared:
            return built.index
        async with self._lock:
            built = self._indexes.get(campaign_id)
            if built is None:
                built = await self._build(campaign_id)
            elif self._store.db.shared:
                # Several workers: questions other workers stored since are added (one
                # cheap query; ids are drawn before commit, so the last few are looked at
                # again in case a lower one committed late); in one process every question
                # passes through added().
                seen = self._seen.get(campaign_id, 0)
                after = max(seen - CATCH_UP_MARGIN, 0)
                for row in await self._store.questions.texts(campaign_id, after=after):
                    if str(row.id) not in built.index:
                        _add(built, row)
                    self._seen[campaign_id] = max(self._seen.get(campaign_id, 0), row.id)
        return built.index

    async def _build(self, campaign_id: int) -> Snapshot:
        rows = await self._store.questions.texts(campaign_id)
        # Normalising every stored question is CPU work: off the event loop.
        built = await asyncio.to_thread(self._from_snapshot_or_built, campaign_id, rows)
        self._indexes[campaign_id] = built
        self._approved_at.pop(campaign_id, None)
        self._seen[campaign_id] = max((row.id for row in rows), default=0)
        return built

    def _from_snapshot_or_built(self, campaign_id: int, rows: list[QuestionText]) -> Snapshot:
        kept = snapshot.load(self._snapshots, campaign_id) if self._snapshots else None
        if kept is None:
            return _built(rows)
        touched = _brought_up_to_date(kept, rows)
        log.info(
            "similar-question index of campaign %d read from its snapshot, %d questions "
            "indexed again or removed",
            campaign_id,
            touched,
        )
        return kept

    async def _refresh_approved(self, campaign_id: int, index: SimilarIndex) -> None:
        now = time.monotonic()
        if now - self._approved_at.get(campaign_id, -1e9) < APPROVED_SECONDS:
            return
        approved = await self._store.clusters.approved_representatives(campaign_id)
        index.set_approved(str(question_id) for question_id in approved)
        self._approved_at[campaign_id] = now

    async def find(
        self, campaign: Campaign, text: str, *, limit: int, unit_id: int, topic_id: int
    ) -> list[SimilarHit]:
        """Earlier questions close to ``text`` that this young person may see."""
        index = await self._index(campaign.id)
        await self._refresh_approved(campaign.id, index)
        query = index.query(text, unit=unit_id, topic=topic_id)
        nearest, found = index.tops(
            query,
            Wanted(limit=1, min_score=DEFAULT_THRESHOLD, topic=topic_id),
            Wanted(
                limit=limit,
                min_score=self._min_score,
                shown_to_unit=unit_id,
                any_unit=campaign.similar_other_units,
                # Words alone: the unit would lift every question of their own unit
                # (all they are shown, unless the campaign allows others) and sink the rest.
                text_only=True,
            ),
        )
        found_id = int(nearest[0][0]) if nearest else None
        self._remember((campaign.id, topic_id, unit_id, text), found_id)
        hits = []
        for question, people in await self._store.questions.with_people(
            [int(key) for key, _ in found]
        ):
            if question.status == "withdrawn":
                index.remove(str(question.id))
                built = self._indexes[campaign.id]
                built.prints.pop(str(question.id), None)
                built.changed = True
            elif question.anonymous:  # checked again: the stored flag decides
                continue
            elif self._indexed_as(campaign.id, question):
                # Shown to another young person: never who wrote it, nor how to reach them.
                shown = masked(question.text, question.asker_name)
                hits.append(SimilarHit(question.id, question.code, shown, people))
            else:
                # Edited (on another worker), moved to another unit or topic group since it
                # was indexed: found for words or a unit it no longer has. Indexed as it is
                # now, and not shown for this lookup.
                _add(self._indexes[campaign.id], question)
        return hits

    def _indexed_as(self, campaign_id: int, question: Question) -> bool:
        """Whether the index holds ``question`` as it is stored now."""
        built = self._indexes[campaign_id]
        now = question_print(question.text, question.topic_id, question.unit_id, question.anonymous)
        return built.prints.get(str(question.id)) == now

    async def edited(self, question: Question) -> None:
        """Index an edited question's new words in place of its old ones (which are never
        again a reason to offer it), and read the approved representatives again: the
        approval of a wording lapses when its asker changes it."""
        built = self._indexes.get(question.campaign_id)
        if built is not None and question.status != "withdrawn":
            _add(built, question)
        self._approved_at.pop(question.campaign_id, None)

    async def added(self, question: Question) -> None:
        """Index a new question and put it in the cluster of its closest duplicate of the
        same topic group (or a new one); the organisers' full re-clustering refines this
        later."""
        campaign_id = question.campaign_id
        index = await self._index(campaign_id)
        memo_key = (campaign_id, question.topic_id, question.unit_id, question.text)
        if memo_key in self._nearest:
            nearest_id = self._nearest.pop(memo_key)
        else:
            found = index.nearest(
                question.text,
                limit=1,
                min_score=DEFAULT_THRESHOLD,
                topic=question.topic_id,
                unit=question.unit_id,
            )
            nearest_id = int(found[0][0]) if found else None
        cluster_id = None
        if nearest_id is not None:
            nearest = await self._store.questions.get(nearest_id)
            if (
                nearest is not None
                and nearest.status != "withdrawn"
                and nearest.topic_id == question.topic_id  # its topic may have been changed
            ):
                cluster_id = nearest.cluster_id
        _add(self._indexes[campaign_id], question)
        if not self._store.db.shared:
            self._seen[campaign_id] = max(self._seen.get(campaign_id, 0), question.id)
        if cluster_id is not None:
            await self._store.clusters.assign(question.id, cluster_id)
        else:
            await self._store.clusters.add(campaign_id, question.id, now=self._clock.now())

    def _remember(self, key: tuple[int, int, int, str], nearest: int | None) -> None:
        self._nearest[key] = nearest
        self._nearest.move_to_end(key)
        while len(self._nearest) > 1000:
            self._nearest.popitem(last=False)
