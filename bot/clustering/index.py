"""Incremental index for "similar questions already asked" at submission time."""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bot.clustering.cluster import DEFAULT_THRESHOLD
from bot.clustering.features import TERM_SHARE, char_grams, idf, prior, term_words
from bot.clustering.normalize import normalize_question
from bot.clustering.scoring import CONFLICT_PENALTY, conflict
from bot.clustering.spelling import Speller

__all__ = ["Query", "SimilarIndex"]

#: Questions scored exactly per lookup, best by shared term weight first.
_CANDIDATES = 24
#: Terms in more than this share of the questions do not look for candidates (they
#: still count in the score) unless the question has nothing rarer.
_COMMON_SHARE = 0.1


def _grams(terms: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for term in terms:
        for word in term_words(term):
            counts.update(char_grams(word))
    return counts


@dataclass(slots=True)
class Query:
    """A text looked up once, then filtered in several ways (:meth:`SimilarIndex.top`)."""

    terms: tuple[str, ...]
    term_vector: dict[str, float]
    gram_vector: dict[str, float]
    overlap: np.ndarray | None


class SimilarIndex:
    """Questions of one campaign, searchable by similarity.

    Scores are those of :func:`bot.clustering.cluster_texts` (blended term and character
    similarity, conflicts penalised, 0-100), with word rarity counted over the questions
    currently indexed. A lookup accumulates shared term weight over posting lists with
    numpy and scores only the best few dozen candidates exactly.

    Each question may carry a topic group, a unit and whether it may be shown to other
    young people; :meth:`top` filters on them before choosing candidates, so a filter
    never hides a close match behind ones it rejects.
    """

    def __init__(self) -> None:
        self._keys: list[str | None] = []
        self._terms: list[tuple[str, ...]] = []
        self._slot_of: dict[str, int] = {}
        self._postings: dict[str, array[int]] = {}
        self._df: Counter[str] = Counter()
        self._gram_df: Counter[str] = Counter()
        self._alive = array("f")
        self._shown = array("f")
        self._approved = array("f")
        self._topic = array("q")
        self._unit = array("q")
        self._dead = 0
        self._speller = Speller()

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
        question = normalize_question(text, speller=self._speller)
        self._speller.update(Counter(question.folded).items())
        self._append(key, question.terms, topic=topic, unit=unit, shown=shown, approved=False)

    def _append(
        self,
        key: str,
        terms: tuple[str, ...],
        *,
        topic: int,
        unit: int,
        shown: bool,
        approved: bool,
    ) -> None:
        slot = len(self._keys)
        self._keys.append(key)
        self._terms.append(terms)
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
        self._gram_df.update(_grams(terms).keys())

    def remove(self, key: str) -> None:
        """Forget ``key`` (no error if it is not indexed)."""
        slot = self._slot_of.pop(key, None)
        if slot is None:
            return
        self._df.subtract(self._terms[slot])
        self._gram_df.subtract(_grams(self._terms[slot]).keys())
        self._keys[slot] = None
        self._alive[slot] = 0.0
        self._dead += 1
        if self._dead > max(1024, len(self._slot_of)):
            self._compact()

    def set_approved(self, keys: Iterable[str]) -> None:
        """Mark exactly these questions as approved representatives (organisers'
        choice, "câu đại diện"): shown to young people of every unit."""
        wanted = {self._slot_of[k] for k in keys if k in self._slot_of}
        for slot in range(len(self._approved)):
            self._approved[slot] = 1.0 if slot in wanted else 0.0

    def _compact(self) -> None:
        entries = [
            (key, self._terms[slot], slot) for slot, key in enumerate(self._keys) if key is not None
        ]
        topics, units = self._topic, self._unit
        shown, approved = self._shown, self._approved
        self._keys, self._terms = [], []
        self._slot_of, self._postings = {}, {}
        self._alive, self._shown, self._approved = array("f"), array("f"), array("f")
        self._topic, self._unit = array("q"), array("q")
        self._dead = 0
        self._df, self._gram_df = Counter(), Counter()
        for key, terms, slot in entries:
            self._append(
                key,
                terms,
                topic=topics[slot],
                unit=units[slot],
                shown=bool(shown[slot]),
                approved=bool(approved[slot]),
            )

    # -- lookups -----------------------------------------------------------------------

    def _term_weight(self, term: str, documents: int) -> float:
        return idf(self._df.get(term, 0), documents) * prior(term)

    def _gram_vector(self, counts: Counter[str], documents: int) -> dict[str, float]:
        gram_df = self._gram_df
        vector = {
            gram: (1.0 + math.log(count)) * idf(gram_df.get(gram, 0), documents)
            for gram, count in counts.items()
        }
        return _normalised(vector)

    def query(self, text: str) -> Query:
        """Normalise ``text`` and find the questions sharing its terms (once)."""
        terms = normalize_question(text, speller=self._speller).terms
        documents = max(len(self._slot_of), 1)
        term_vector = _normalised({t: self._term_weight(t, documents) for t in terms})
        gram_vector = self._gram_vector(_grams(terms), documents)
        overlap = None
        if self._slot_of and term_vector:
            common = _COMMON_SHARE * len(self._slot_of)
            probes = [t for t in term_vector if self._df.get(t, 0) <= common] or list(term_vector)
            overlap = np.zeros(len(self._keys), dtype=np.float32)
            touched = False
            for term in probes:
                postings = self._postings.get(term)
                if postings:
                    overlap[np.frombuffer(postings, dtype=np.int32)] += term_vector[term]
                    touched = True
            if not touched:
                overlap = None
            else:
                overlap *= np.frombuffer(self._alive, dtype=np.float32)
        return Query(terms, term_vector, gram_vector, overlap)

    def score(self, query: Query, slot: int) -> float:
        """Similarity (0-100) of a looked-up text and an indexed question."""
        terms = self._terms[slot]
        documents = max(len(self._slot_of), 1)
        weights = {t: self._term_weight(t, documents) for t in terms}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        term_part = 0.0
        if norm > 0.0:
            term_part = sum(query.term_vector.get(t, 0.0) * w for t, w in weights.items()) / norm
        grams = self._gram_vector(_grams(terms), documents)
        gram_part = sum(query.gram_vector.get(g, 0.0) * w for g, w in grams.items())
        similarity = TERM_SHARE * term_part + (1.0 - TERM_SHARE) * gram_part
        if conflict(query.terms, terms):
            similarity -= CONFLICT_PENALTY
        return max(0.0, min(100.0, 100.0 * similarity))

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
        if limit <= 0 or query.overlap is None:
            return []
        overlap = query.overlap
        if topic is not None:
            overlap = overlap * (np.frombuffer(self._topic, dtype=np.int64) == topic)
        if shown_to_unit is not None:
            overlap = overlap * np.frombuffer(self._shown, dtype=np.float32)
            if not any_unit:
                local = np.frombuffer(self._unit, dtype=np.int64) == shown_to_unit
                approved = np.frombuffer(self._approved, dtype=np.float32) > 0
                overlap = overlap * (local | approved)
        candidates = np.flatnonzero(overlap)
        if len(candidates) > _CANDIDATES:
            best = np.argpartition(-overlap[candidates], _CANDIDATES - 1)[:_CANDIDATES]
            candidates = candidates[best]
        scored: list[tuple[float, str]] = []
        for slot in candidates.tolist():
            key = self._keys[slot]
            if key is None:
                continue
            score = self.score(query, slot)
            if score >= min_score:
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
    ) -> list[tuple[str, float]]:
        """:meth:`top` of a text, with no filter but the topic group."""
        return self.top(self.query(text), limit=limit, min_score=min_score, topic=topic)


def _normalised(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm > 0.0 else {}
