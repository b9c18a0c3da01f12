"""Incremental index for "similar questions already asked" at submission time."""

from __future__ import annotations

import math
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from bot.clustering import model
from bot.clustering.cluster import DEFAULT_THRESHOLD
from bot.clustering.features import idf, prior, term_grams
from bot.clustering.model import Marks, hard_conflict, mark_flags, marks_of
from bot.clustering.normalize import PLACE_PREFIX, NormalizedQuestion, normalize_question
from bot.clustering.spelling import Speller

__all__ = ["Query", "SimilarIndex"]

#: Questions scored exactly per lookup, best by shared term weight first.
_CANDIDATES = 16
#: Terms in more than this share of the questions do not look for candidates (they
#: still count in the score) unless the question has nothing rarer.
_COMMON_SHARE = 0.03
#: At most this many of the rarest terms look for candidates (blocking).
_PROBES = 5
# Texts whose analysis is kept from a lookup for the add that usually follows it.
_ANALYSED_KEPT = 256


def _grams(terms: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for term in terms:
        counts.update(term_grams(term))
    return counts


def _idf(df: np.ndarray, documents: int) -> np.ndarray:
    return np.asarray(1.0 + np.log((documents + 1) / (df + 1.0)), dtype=np.float64)


@dataclass(slots=True)
class Query:
    """A text looked up once, then filtered in several ways (:meth:`SimilarIndex.top`)."""

    terms: tuple[str, ...]
    marks: Marks
    #: The asker's unit (0: not known).
    unit: int
    term_vector: dict[str, float]
    #: Character n-gram ids known to the index and their weights (norm over all grams).
    gram_ids: np.ndarray
    gram_weights: np.ndarray
    #: Slots sharing a rarer term with the query (sorted), and their shared term weight.
    touched: np.ndarray | None
    overlap: np.ndarray | None
    #: Scores already computed, and term weights looked up, during this lookup.
    scores: dict[int, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)


class SimilarIndex:
    """Questions of one campaign, searchable by similarity.

    Scores are those of :func:`bot.clustering.cluster_texts` (the pair model's
    probability that two questions ask the same thing, 0-100), with word rarity counted
    over the questions currently indexed. A lookup accumulates shared term weight over
    posting lists with numpy and scores only the best few candidates exactly; each
    question's character n-grams are kept as integer ids, so that the character part is
    a few vector sums.

    Each question may carry a topic group, a unit and whether it may be shown to other
    young people; :meth:`top` filters on them before choosing candidates, so a filter
    never hides a close match behind ones it rejects.
    """

    def __init__(self) -> None:
        self._keys: list[str | None] = []
        self._terms: list[tuple[str, ...]] = []
        # Places and facets of each question (usually none): the pair model's marks.
        self._marks: list[Marks] = []
        self._slot_of: dict[str, int] = {}
        self._postings: dict[str, array[int]] = {}
        self._df: Counter[str] = Counter()
        # Character n-grams: ids, document frequencies, and each slot's (id, 1 + ln count)
        # pairs stored end to end.
        self._gram_id: dict[str, int] = {}
        self._gram_df = array("i")
        self._gram_start = array("q", [0])
        self._gram_ids = array("i")
        self._gram_tf = array("f")
        self._alive = array("f")
        self._shown = array("f")
        self._approved = array("f")
        self._topic = array("q")
        self._unit = array("q")
        self._dead = 0
        self._speller = Speller()
        # Texts looked up lately, as analysed then: the question a person sends is the
        # text looked up while they wrote it, so adding it need not analyse it again.
        self._analysed: OrderedDict[str, tuple[NormalizedQuestion, Marks]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    def add(
        self, key: str, text: str, *, topic: int = 0, unit: int = 0, shown: bool = True
    ) -> None:
        """Index ``text`` under ``key``, replacing what ``key`` held before.

        Args:
            topic: the question's topic group (:meth:`top` can keep to one).
            unit: the asker's unit.
            shown: whether the question may be shown to other young people (not
                anonymous).
        """
        if key in self._slot_of:
            self.remove(key)
        analysed = self._analysed.pop(text) if text in self._analysed else self._analyse(text)
        question, marks = analysed
        self._speller.update(Counter(question.folded).items())
        self._append(
            key,
            _vector_terms(question.terms),
            marks,
            topic=topic,
            unit=unit,
            shown=shown,
            approved=False,
        )

    def _append(
        self,
        key: str,
        terms: tuple[str, ...],
        marks: Marks,
        *,
        topic: int,
        unit: int,
        shown: bool,
        approved: bool,
    ) -> None:
        slot = len(self._keys)
        self._keys.append(key)
        self._terms.append(terms)
        self._marks.append(marks)
        self._alive.append(1.0)
        self._shown.append(1.0 if shown else 0.0)
        self._approved.append(1.0 if approved else 0.0)
        self._topic.append(topic)
        self._unit.append(unit)
        self._slot_of[key] = slot
        for term in terms:
            postings = self._postings.get(term)
            if postings is None:
                postings = self._postings[term] = array("i")
            postings.append(slot)
        self._df.update(terms)
        gram_id, gram_df = self._gram_id, self._gram_df
        for gram, count in _grams(terms).items():
            number = gram_id.get(gram)
            if number is None:
                number = gram_id[gram] = len(gram_df)
                gram_df.append(0)
            gram_df[number] += 1
            self._gram_ids.append(number)
            self._gram_tf.append(1.0 if count == 1 else 1.0 + math.log(count))
        self._gram_start.append(len(self._gram_ids))

    def remove(self, key: str) -> None:
        """Forget ``key`` (no error if it is not indexed)."""
        slot = self._slot_of.pop(key, None)
        if slot is None:
            return
        self._df.subtract(self._terms[slot])
        for position in range(self._gram_start[slot], self._gram_start[slot + 1]):
            self._gram_df[self._gram_ids[position]] -= 1
        self._keys[slot] = None
        self._alive[slot] = 0.0
        self._dead += 1
        if self._dead > max(1024, len(self._slot_of)):
            self._compact()

    def set_approved(self, keys: Iterable[str]) -> None:
        """Mark exactly these questions as approved representatives (organisers'
        choice, "câu đại diện"): shown to young people of every unit."""
        approved = np.frombuffer(self._approved, dtype=np.float32)
        approved[:] = 0.0
        for key in keys:
            slot = self._slot_of.get(key)
            if slot is not None:
                approved[slot] = 1.0

    def _compact(self) -> None:
        entries = [
            (key, self._terms[slot], self._marks[slot], slot)
            for slot, key in enumerate(self._keys)
            if key is not None
        ]
        topics, units = self._topic, self._unit
        shown, approved = self._shown, self._approved
        self._keys, self._terms, self._marks = [], [], []
        self._slot_of, self._postings = {}, {}
        self._alive, self._shown, self._approved = array("f"), array("f"), array("f")
        self._topic, self._unit = array("q"), array("q")
        self._gram_id, self._gram_df = {}, array("i")
        self._gram_start, self._gram_ids, self._gram_tf = array("q", [0]), array("i"), array("f")
        self._dead = 0
        self._df = Counter()
        for key, terms, marks, slot in entries:
            self._append(
                key,
                terms,
                marks,
                topic=topics[slot],
                unit=units[slot],
                shown=bool(shown[slot]),
                approved=bool(approved[slot]),
            )

    # -- lookups -----------------------------------------------------------------------

    def _analyse(self, text: str) -> tuple[NormalizedQuestion, Marks]:
        question = normalize_question(text, speller=self._speller)
        return question, marks_of(question.terms, text)

    def _term_weight(self, term: str, documents: int) -> float:
        return idf(self._df.get(term, 0), documents) * prior(term)

    def query(self, text: str, *, unit: int = 0) -> Query:
        """Normalise ``text`` and find the questions sharing its terms (once).

        Args:
            unit: the asker's unit (0: not known), a signal of the pair model.
        """
        question, marks = self._analyse(text)
        self._analysed[text] = (question, marks)
        if len(self._analysed) > _ANALYSED_KEPT:
            self._analysed.popitem(last=False)
        terms = _vector_terms(question.terms)
        documents = max(len(self._slot_of), 1)
        term_vector = _normalised({t: self._term_weight(t, documents) for t in terms})
        # The query's character n-grams: unknown ones count in its norm only.
        counts = _grams(terms)
        ids = np.fromiter(
            (self._gram_id.get(gram, -1) for gram in counts), dtype=np.int64, count=len(counts)
        )
        tf = np.fromiter(
            (1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts)
        )
        df = np.zeros(len(ids))
        known = ids >= 0
        if known.any():
            df[known] = np.frombuffer(self._gram_df, dtype=np.int32)[ids[known]]
        weights = tf * _idf(df, documents)
        norm = float(np.sqrt((weights * weights).sum()))
        if norm > 0.0:
            weights /= norm
        touched = overlap = None
        if self._slot_of and term_vector:
            # Shared term weight over the posting lists of the rarer terms: work in
            # proportion to those lists, not to the number of questions.
            common = _COMMON_SHARE * len(self._slot_of)
            by_rarity = sorted(term_vector, key=lambda t: (self._df.get(t, 0), t))
            probes = [t for t in by_rarity if self._df.get(t, 0) <= common][:_PROBES]
            probes = probes or by_rarity[:1]
            lists = [
                (np.frombuffer(postings, dtype=np.int32), term_vector[term])
                for term in probes
                if (postings := self._postings.get(term))
            ]
            if lists:
                slots = np.concatenate([postings for postings, _ in lists])
                shares = np.concatenate(
                    [np.full(len(postings), weight) for postings, weight in lists]
                )
                touched, inverse = np.unique(slots, return_inverse=True)
                overlap = np.bincount(inverse, weights=shares)
                alive = np.frombuffer(self._alive, dtype=np.float32)[touched] > 0
                touched, overlap = touched[alive], overlap[alive]
        return Query(terms, marks, unit, term_vector, ids[known], weights[known], touched, overlap)

    def _score_all(self, query: Query, slots: list[int]) -> None:
        """Scores (0-100) of a looked-up text against indexed questions, into the query."""
        todo = [slot for slot in slots if slot not in query.scores]
        if not todo:
            return
        documents = max(len(self._slot_of), 1)
        # Character part, for all the slots at once.
        starts = np.frombuffer(self._gram_start, dtype=np.int64)
        lo, hi = starts[todo], starts[np.asarray(todo) + 1]
        lengths = hi - lo
        positions = np.repeat(lo - np.cumsum(lengths) + lengths, lengths) + np.arange(
            int(lengths.sum())
        )
        ids = np.frombuffer(self._gram_ids, dtype=np.int32)[positions]
        df = np.frombuffer(self._gram_df, dtype=np.int32)[ids]
        weights = np.frombuffer(self._gram_tf, dtype=np.float32)[positions] * _idf(df, documents)
        wanted = np.zeros(len(self._gram_df))
        wanted[query.gram_ids] = query.gram_weights
        bounds = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        nonempty = lengths > 0
        dots = np.zeros(len(todo))
        norms = np.zeros(len(todo))
        if nonempty.any():
            dots[nonempty] = np.add.reduceat(weights * wanted[ids], bounds[nonempty])
            norms[nonempty] = np.sqrt(np.add.reduceat(weights * weights, bounds[nonempty]))
        gram_parts = np.divide(dots, norms, out=np.zeros(len(todo)), where=norms > 0)
        cache, vector = query.weights, query.term_vector
        pair_model = model.get()
        for slot, gram_part in zip(todo, gram_parts.tolist(), strict=True):
            terms = self._terms[slot]
            total = shared = 0.0
            for term in terms:
                weight = cache.get(term)
                if weight is None:
                    weight = cache[term] = self._term_weight(term, documents)
                total += weight * weight
                shared += vector.get(term, 0.0) * weight
            term_part = shared / math.sqrt(total) if total > 0.0 else 0.0
            theirs = self._marks[slot]
            if hard_conflict(query.marks, theirs):
                query.scores[slot] = 0.0
                continue
            flags = mark_flags(query.marks, theirs)
            units = (_unit_code(query.unit), _unit_code(self._unit[slot]))
            probability = pair_model.one(term_part, gram_part, flags, units)
            query.scores[slot] = max(0.0, min(100.0, 100.0 * probability))

    def score(self, query: Query, slot: int) -> float:
        """Similarity (0-100) of a looked-up text and an indexed question."""
        self._score_all(query, [slot])
        return query.scores[slot]

    def top(
        self,
        query: Query,
        *,
        limit: int = 3,
        min_score: float = DEFAULT_THRESHOLD,
        topic: int | None = None,
        shown_to_unit: int | None = None,
        any_unit: bool = False,
    ) -> list[tuple[str, float]]:
        """Up to ``limit`` indexed questions most similar to the query, best first.

        Args:
            topic: only questions of this topic group.
            shown_to_unit: only questions that may be shown to a young person of this
                unit: not anonymous, and of the same unit or an approved representative
                (any unit with ``any_unit``).

        Returns ``(key, score)`` pairs with ``score >= min_score`` (0-100); ties are
        broken by key, so the answer is deterministic.
        """
        if limit <= 0 or query.overlap is None or query.touched is None:
            return []
        # Filters apply to the touched slots only (a few thousand, not every question).
        candidates, overlap = query.touched, query.overlap
        keep = np.frombuffer(self._alive, dtype=np.float32)[candidates] > 0
        if topic is not None:
            keep &= np.frombuffer(self._topic, dtype=np.int64)[candidates] == topic
        if shown_to_unit is not None:
            keep &= np.frombuffer(self._shown, dtype=np.float32)[candidates] > 0
            if not any_unit:
                units = np.frombuffer(self._unit, dtype=np.int64)[candidates]
                approved = np.frombuffer(self._approved, dtype=np.float32)[candidates]
                keep &= (units == shown_to_unit) | (approved > 0)
        candidates, overlap = candidates[keep], overlap[keep]
        if len(candidates) > _CANDIDATES:
            best = np.argpartition(-overlap, _CANDIDATES - 1)[:_CANDIDATES]
            candidates = candidates[best]
        slots = candidates.tolist()
        self._score_all(query, slots)
        scored: list[tuple[float, str]] = []
        for slot in slots:
            key = self._keys[slot]
            score = query.scores[slot]
            if key is not None and score >= min_score:
                scored.append((-score, key))
        scored.sort()
        return [(key, -negative) for negative, key in scored[:limit]]

    def nearest(
        self,
        text: str,
        *,
        limit: int = 3,
        min_score: float = DEFAULT_THRESHOLD,
        topic: int | None = None,
        unit: int = 0,
    ) -> list[tuple[str, float]]:
        """:meth:`top` of a text (asked from ``unit``, 0 if not known), with no filter but
        the topic group."""
        return self.top(self.query(text, unit=unit), limit=limit, min_score=min_score, topic=topic)


def _unit_code(unit: int) -> int:
    return unit if unit else model.NO_UNIT


def _vector_terms(terms: tuple[str, ...]) -> tuple[str, ...]:
    """The terms that make the vectors (hamlet marks are not words)."""
    return tuple(t for t in terms if not t.startswith(PLACE_PREFIX))


def _normalised(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm > 0.0 else {}
