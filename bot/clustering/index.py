"""Incremental index for "similar questions already asked" at submission time."""

from __future__ import annotations

import math
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.clustering import model
from bot.clustering.cluster import DEFAULT_THRESHOLD
from bot.clustering.features import idf, idfs, prior, term_grams
from bot.clustering.model import NO_MARKS, Marks, mark_logit, marks_of
from bot.clustering.normalize import PLACE_PREFIX, NormalizedQuestion, normalize_question
from bot.clustering.spelling import Speller

__all__ = ["Query", "SimilarIndex", "Wanted"]

#: Questions scored exactly per lookup, best by shared term weight first.
_CANDIDATES = 16
#: Terms in more than this share of the questions do not look for candidates (they
#: still count in the score) unless the question has nothing rarer ...
_COMMON_SHARE = 0.03
#: ... and unless their posting lists are short anyway: in a campaign's first hundreds
#: of questions every word is "common", and reading a few hundred postings costs little.
_COMMON_FLOOR = 300
#: At most this many of the rarest terms look for candidates (blocking).
_PROBES = 5
# A slot's state: removed; not to be shown to other young people (anonymous); shown to
# its own unit; shown to every unit (an organiser approved it as representative).
_REMOVED, _HIDDEN, _SHOWN, _APPROVED = 0, 1, 2, 3
# Separators of the per-question lists kept on disk (no term or key holds them).
_ROW, _WORD = "\x1e", "\x1f"
# The arrays that grow with each question added (see SimilarIndex._unshare).
_GROWING = (
    "_state",
    "_topic",
    "_unit",
    "_term_df",
    "_term_prior",
    "_term_start",
    "_term_ids",
    "_gram_df",
    "_gram_start",
    "_gram_ids",
    "_gram_tf",
)
# Texts whose analysis is kept from a lookup for the add that usually follows it.
_ANALYSED_KEPT = 256


def _grams(terms: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for term in terms:
        counts.update(term_grams(term))
    return counts


@dataclass(frozen=True, slots=True)
class Wanted:
    """What one lookup wants (:meth:`SimilarIndex.top`): how many, how close, and the
    filters."""

    limit: int = 3
    min_score: float = DEFAULT_THRESHOLD
    #: Only questions of this topic group.
    topic: int | None = None
    #: Only questions that may be shown to a young person of this unit.
    shown_to_unit: int | None = None
    any_unit: bool = False
    #: Scored on the words alone, the asker's unit not counted. Suggestions shown to a
    #: young person come from their own unit already, so there the unit is no evidence:
    #: counted, it lifted same-unit questions of the same topic group that ask something
    #: else above the threshold (precision 0.23 on dev2 with units drawn at random).
    text_only: bool = False


@dataclass(slots=True)
class Query:
    """A text looked up once, then filtered in several ways (:meth:`SimilarIndex.top`)."""

    terms: tuple[str, ...]
    marks: Marks
    #: The asker's unit (0: not known).
    unit: int
    #: The topic group asked under (0: not known).
    topic: int
    term_vector: dict[str, float]
    #: Term ids known to the index and their weights in the (normalised) term vector.
    term_ids: np.ndarray
    term_weights: np.ndarray
    #: Character n-gram ids known to the index and their weights (norm over all grams).
    gram_ids: np.ndarray
    gram_weights: np.ndarray
    #: Slots sharing a rarer term with the query (sorted), and their shared term weight.
    touched: np.ndarray | None
    overlap: np.ndarray | None
    #: Scores already computed during this lookup.
    scores: dict[int, float] = field(default_factory=dict)
    #: The same on the words alone, the asker's unit not counted (:attr:`Wanted.text_only`).
    text_scores: dict[int, float] = field(default_factory=dict)
    #: Term and character cosines of the slots scored, shared by both kinds of score.
    cosines: dict[int, tuple[float, float]] = field(default_factory=dict)


class SimilarIndex:
    """Questions of one campaign, searchable by similarity.

    Scores are those of :func:`bot.clustering.cluster_texts` (the pair model's
    probability that two questions ask the same thing, 0-100), with word rarity counted
    over the questions currently indexed. A lookup accumulates shared term weight over
    posting lists with numpy and scores only the best few candidates exactly; each
    question's terms and character n-grams are kept as integer ids, so that scoring the
    candidates is a few vector sums, not a loop over their words.

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
        # Terms: ids, occurrence counts, prior weights, and each slot's ids end to end.
        self._term_id: dict[str, int] = {}
        self._term_df = array("i")
        self._term_prior = array("d")
        self._term_start = array("q", [0])
        self._term_ids = array("i")
        # The slots holding each term (by term id), in slot order.
        self._postings: list[array[int]] = []
        # Character n-grams: ids, document frequencies, and each slot's (id, 1 + ln count)
        # pairs stored end to end.
        self._gram_id: dict[str, int] = {}
        self._gram_df = array("i")
        self._gram_start = array("q", [0])
        self._gram_ids = array("i")
        self._gram_tf = array("f")
        # Each slot's _REMOVED, _HIDDEN, _SHOWN or _APPROVED: one array, so that a
        # lookup's filters gather one byte per candidate.
        self._state = array("b")
        self._topic = array("q")
        self._unit = array("q")
        #: Questions indexed per unit (dominant units are not evidence).
        self._unit_count: Counter[int] = Counter()
        self._dead = 0
        # Query weights spread over the vocabularies while candidates are scored (kept
        # between lookups: allocating them per lookup cost more than the scoring).
        self._term_scratch = np.zeros(0)
        self._gram_scratch = np.zeros(0)
        self._speller = Speller()
        # Texts looked up lately, as analysed then: the question a person sends is the
        # text looked up while they wrote it, so adding it need not analyse it again.
        # With the terms' character n-grams, counted once for both.
        self._analysed: OrderedDict[str, tuple[NormalizedQuestion, Marks, Counter[str]]] = (
            OrderedDict()
        )

    def __getstate__(self) -> dict[str, Any]:
        """The index as kept on disk (:mod:`bot.clustering.snapshot`): without what only
        speeds up lookups, and with the per-question lists as a few long strings (a
        pickle's memo of 100,000 small tuples and strings took ~100 MB while writing)."""
        state = self.__dict__.copy()
        state["_analysed"] = OrderedDict()
        state["_term_scratch"] = state["_gram_scratch"] = np.zeros(0)
        del state["_slot_of"]  # the keys' positions
        state["_count"] = len(self._keys)
        state["_keys"] = _ROW.join("" if key is None else key for key in self._keys)
        state["_terms"] = _ROW.join(_WORD.join(terms) for terms in self._terms)
        # Most questions name no place or facet: those share the one NO_MARKS, which
        # lookups test by identity.
        state["_marks"] = {
            slot: marks for slot, marks in enumerate(self._marks) if marks is not NO_MARKS
        }
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        count = state.pop("_count")
        keys = state["_keys"].split(_ROW) if count else []
        state["_keys"] = [key or None for key in keys]
        state["_slot_of"] = {key: slot for slot, key in enumerate(state["_keys"]) if key}
        words: dict[str, str] = {}  # each term's text once in memory
        state["_terms"] = [
            tuple(words.setdefault(word, word) for word in row.split(_WORD)) if row else ()
            for row in (state["_terms"].split(_ROW) if count else [])
        ]
        marks = state["_marks"]
        state["_marks"] = [marks.get(slot, NO_MARKS) for slot in range(count)]
        self.__dict__.update(state)

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
        grams: Counter[str] | None = None
        if text in self._analysed:
            question, marks, grams = self._analysed.pop(text)
        else:
            question, marks = self._analyse(text)
        self._speller.update(Counter(question.folded).items())
        terms = _vector_terms(question.terms)
        self._unshare(terms)  # a compaction makes new arrays: only needed here
        self._append(
            key,
            terms,
            marks,
            topic=topic,
            unit=unit,
            shown=shown,
            approved=False,
            grams=grams,
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
        grams: Counter[str] | None = None,
    ) -> None:
        slot = len(self._keys)
        self._keys.append(key)
        self._terms.append(terms)
        self._marks.append(marks)
        self._state.append((_APPROVED if approved else _SHOWN) if shown else _HIDDEN)
        self._topic.append(topic)
        self._unit.append(unit)
        if unit:
            self._unit_count[unit] += 1
        self._slot_of[key] = slot
        # Local names: this runs for every word and n-gram of every question indexed.
        term_id, term_df, postings = self._term_id, self._term_df, self._postings
        term_ids = self._term_ids
        for term in terms:
            number = term_id.get(term)
            if number is None:
                number = term_id[term] = len(term_df)
                term_df.append(0)
                self._term_prior.append(prior(term))
                postings.append(array("i"))
            postings[number].append(slot)
            term_df[number] += 1
            term_ids.append(number)
        self._term_start.append(len(term_ids))
        gram_id, gram_df, gram_ids, gram_tf = (
            self._gram_id,
            self._gram_df,
            self._gram_ids,
            self._gram_tf,
        )
        for gram, count in (grams if grams is not None else _grams(terms)).items():
            number = gram_id.get(gram)
            if number is None:
                number = gram_id[gram] = len(gram_df)
                gram_df.append(0)
            gram_df[number] += 1
            gram_ids.append(number)
            gram_tf.append(1.0 if count == 1 else 1.0 + math.log(count))
        self._gram_start.append(len(gram_ids))

    def _unshare(self, terms: tuple[str, ...]) -> None:
        """Copy the arrays an append is about to grow if anything still views them.

        Lookups read the arrays through numpy views; while one is kept alive (a stored
        traceback of a lookup, a profiler's frame), its array cannot grow (``BufferError``),
        and failing half-way through an append would leave the index inconsistent. The
        copy replaces the array; the view keeps the old buffer to itself.
        """
        for name in _GROWING:
            setattr(self, name, _unshared(getattr(self, name)))
        postings, term_id = self._postings, self._term_id
        for term in terms:
            number = term_id.get(term)
            if number is not None:
                postings[number] = _unshared(postings[number])

    def remove(self, key: str) -> None:
        """Forget ``key`` (no error if it is not indexed)."""
        slot = self._slot_of.pop(key, None)
        if slot is None:
            return
        for position in range(self._term_start[slot], self._term_start[slot + 1]):
            self._term_df[self._term_ids[position]] -= 1
        for position in range(self._gram_start[slot], self._gram_start[slot + 1]):
            self._gram_df[self._gram_ids[position]] -= 1
        self._keys[slot] = None
        self._state[slot] = _REMOVED
        if self._unit[slot]:
            self._unit_count[self._unit[slot]] -= 1
        self._dead += 1
        if self._dead > max(1024, len(self._slot_of)):
            self._compact()

    def set_approved(self, keys: Iterable[str]) -> None:
        """Mark exactly these questions as approved representatives (organisers'
        choice, "câu đại diện"): shown to young people of every unit (an anonymous one
        stays hidden)."""
        state = np.frombuffer(self._state, dtype=np.int8)
        state[state == _APPROVED] = _SHOWN
        for key in keys:
            slot = self._slot_of.get(key)
            if slot is not None and state[slot] == _SHOWN:
                state[slot] = _APPROVED

    def _compact(self) -> None:
        entries = [
            (key, self._terms[slot], self._marks[slot], slot)
            for slot, key in enumerate(self._keys)
            if key is not None
        ]
        topics, units = self._topic, self._unit
        state = self._state
        self._keys, self._terms, self._marks = [], [], []
        self._slot_of, self._postings = {}, []
        self._state = array("b")
        self._topic, self._unit = array("q"), array("q")
        self._unit_count.clear()
        self._gram_id, self._gram_df = {}, array("i")
        self._gram_start, self._gram_ids, self._gram_tf = array("q", [0]), array("i"), array("f")
        self._term_id, self._term_df, self._term_prior = {}, array("i"), array("d")
        self._term_start, self._term_ids = array("q", [0]), array("i")
        self._dead = 0
        for key, terms, marks, slot in entries:
            self._append(
                key,
                terms,
                marks,
                topic=topics[slot],
                unit=units[slot],
                shown=state[slot] >= _SHOWN,
                approved=state[slot] == _APPROVED,
            )

    # -- lookups -----------------------------------------------------------------------

    def _analyse(self, text: str) -> tuple[NormalizedQuestion, Marks]:
        question = normalize_question(text, speller=self._speller)
        return question, marks_of(question.terms, text)

    def _df(self, term: str) -> int:
        number = self._term_id.get(term)
        return 0 if number is None else self._term_df[number]

    def _term_weight(self, term: str, documents: int) -> float:
        return idf(self._df(term), documents) * prior(term)

    def query(self, text: str, *, unit: int = 0, topic: int = 0) -> Query:
        """Normalise ``text`` and find the questions sharing its terms (once).

        Args:
            unit: the asker's unit (0: not known), a signal of the pair model.
            topic: the topic group it is asked under (0: not known): questions of the
                same group are scored with the pair model's weights for such pairs.
        """
        question, marks = self._analyse(text)
        terms = _vector_terms(question.terms)
        documents = max(len(self._slot_of), 1)
        term_vector = _normalised({t: self._term_weight(t, documents) for t in terms})
        # The query's character n-grams: unknown ones count in its norm only.
        counts = _grams(terms)
        self._analysed[text] = (question, marks, counts)
        if len(self._analysed) > _ANALYSED_KEPT:
            self._analysed.popitem(last=False)
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
        weights = tf * idfs(df, documents)
        norm = float(np.sqrt((weights * weights).sum()))
        if norm > 0.0:
            weights /= norm
        touched = overlap = None
        if self._slot_of and term_vector:
            # Shared term weight over the posting lists of the rarer terms: work in
            # proportion to those lists, not to the number of questions.
            common = max(_COMMON_SHARE * len(self._slot_of), _COMMON_FLOOR)
            # Only terms some indexed question has can find one ("ad" in "… không ad"
            # is in none: as the rarest it used to be the only probe, and found nothing).
            by_rarity = sorted(
                (t for t in term_vector if self._df(t) > 0), key=lambda t: (self._df(t), t)
            )
            probes = [t for t in by_rarity if self._df(t) <= common][:_PROBES]
            probes = probes or by_rarity[:1]
            lists = [
                (np.frombuffer(self._postings[number], dtype=np.int32), term_vector[term])
                for term in probes
                if (number := self._term_id.get(term)) is not None
            ]
            if lists:
                slots = np.concatenate([postings for postings, _ in lists])
                shares = np.concatenate(
                    [np.full(len(postings), weight) for postings, weight in lists]
                )
                # Each slot once with its summed share (a stable sort: the posting lists
                # are sorted runs, which it merges quickly).
                order = slots.argsort(kind="stable")
                slots = slots[order]
                firsts = np.flatnonzero(np.concatenate(([True], slots[1:] != slots[:-1])))
                touched = slots[firsts]
                overlap = np.add.reduceat(shares[order], firsts)
                alive = np.frombuffer(self._state, dtype=np.int8)[touched] != _REMOVED
                touched, overlap = touched[alive], overlap[alive]
        known_terms = [t for t in term_vector if t in self._term_id]
        term_ids = np.fromiter(
            (self._term_id[t] for t in known_terms), dtype=np.int64, count=len(known_terms)
        )
        term_weights = np.fromiter(
            (term_vector[t] for t in known_terms), dtype=np.float64, count=len(known_terms)
        )
        return Query(
            terms,
            marks,
            unit,
            topic,
            term_vector,
            term_ids,
            term_weights,
            ids[known],
            weights[known],
            touched,
            overlap,
        )

    def _cosines_of(self, query: Query, todo: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The term and character cosines of the query with ``todo`` (computed once per
        slot and lookup)."""
        new = [slot for slot in todo if slot not in query.cosines]
        if new:
            documents = max(len(self._slot_of), 1)
            new_slots = np.asarray(new, dtype=np.int64)
            self._term_scratch = _grown(self._term_scratch, len(self._term_df))
            self._gram_scratch = _grown(self._gram_scratch, len(self._gram_df))
            term_part = _cosines(
                self._term_scratch,
                query.term_ids,
                query.term_weights,
                new_slots,
                np.frombuffer(self._term_start, dtype=np.int64),
                np.frombuffer(self._term_ids, dtype=np.int32),
                lambda ids, _: (
                    idfs(np.frombuffer(self._term_df, dtype=np.int32)[ids], documents)
                    * np.frombuffer(self._term_prior, dtype=np.float64)[ids]
                ),
            )
            gram_part = _cosines(
                self._gram_scratch,
                query.gram_ids,
                query.gram_weights,
                new_slots,
                np.frombuffer(self._gram_start, dtype=np.int64),
                np.frombuffer(self._gram_ids, dtype=np.int32),
                lambda ids, positions: (
                    np.frombuffer(self._gram_tf, dtype=np.float32)[positions]
                    * idfs(np.frombuffer(self._gram_df, dtype=np.int32)[ids], documents)
                ),
            )
            computed = zip(term_part.tolist(), gram_part.tolist(), strict=True)
            query.cosines.update(zip(new, computed, strict=True))
            if len(new) == len(todo):  # the usual case: nothing scored before
                return term_part, gram_part
        pairs = [query.cosines[slot] for slot in todo]
        return (
            np.fromiter((t for t, _ in pairs), dtype=np.float64, count=len(pairs)),
            np.fromiter((g for _, g in pairs), dtype=np.float64, count=len(pairs)),
        )

    def _score_all(self, query: Query, slots: list[int], *, text_only: bool = False) -> None:
        """Scores (0-100) of a looked-up text against indexed questions, into the query
        (``text_only``: into :attr:`Query.text_scores`, the asker's unit not counted)."""
        target = query.text_scores if text_only else query.scores
        todo = [slot for slot in slots if slot not in target]
        if not todo:
            return
        todo_slots = np.asarray(todo, dtype=np.int64)
        term_part, gram_part = self._cosines_of(query, todo)
        general = model.get()
        if text_only:
            asker, units = 0, todo_slots  # units are not read when the asker's is not known
        else:
            units = np.frombuffer(self._unit, dtype=np.int64)[todo_slots]
            asker = query.unit
            # A unit holding too many of the questions says nothing (model.dominant_units):
            # counted over the questions indexed, as the batch counts over its file.
            dominant = model.dominant_units(self._unit_count, len(self._slot_of))
            if dominant:
                units = np.where(np.isin(units, list(dominant)), 0, units)
                asker = 0 if asker in dominant else asker
        conflicts = np.zeros(len(todo), dtype=bool)
        logits = self._logits(general, query, asker, todo, units, term_part, gram_part, conflicts)
        inner = general.same_topic
        if inner is not None and query.topic and asker:
            # Pairs of one topic group, both units known: the weights learned on those.
            topical = units != 0
            topical &= np.frombuffer(self._topic, dtype=np.int64)[todo_slots] == query.topic
            if topical.any():
                inner_logits = self._logits(
                    inner, query, asker, todo, units, term_part, gram_part, conflicts
                )
                logits = np.where(topical, inner_logits, logits)
        scores = np.clip(100.0 / (1.0 + np.exp(-logits)), 0.0, 100.0)
        scores[conflicts] = 0.0
        target.update(zip(todo, scores.tolist(), strict=True))

    def _logits(
        self,
        pair_model: model.PairModel,
        query: Query,
        asker: int,
        todo: list[int],
        units: np.ndarray,
        term_part: np.ndarray,
        gram_part: np.ndarray,
        conflicts: np.ndarray,
    ) -> np.ndarray:
        """``pair_model``'s logits of the query (asked from unit ``asker``, 0: not known)
        against the slots ``todo`` (whose units are ``units``); pairs in hard conflict
        are marked in ``conflicts``."""
        weights = pair_model.weights
        logits: np.ndarray = pair_model.intercept + weights[0] * term_part + weights[1] * gram_part
        if query.marks:  # most questions name no place and no facet
            mark_weights = weights[2:6].tolist()
            marks, ours = self._marks, query.marks
            for position, slot in enumerate(todo):
                theirs = marks[slot]
                if theirs is NO_MARKS:  # most of them (marks_of gives this one)
                    continue
                added = mark_logit(ours, theirs, mark_weights)
                if added is None:
                    conflicts[position] = True
                elif added:
                    logits[position] += added
        if asker:
            known = units != 0
            logits += known * weights[7] + (known & (units == asker)) * weights[6]
        return logits

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
        wanted = Wanted(limit, min_score, topic, shown_to_unit, any_unit)
        return self.tops(query, wanted)[0]

    def tops(self, query: Query, *wanted: Wanted) -> list[list[tuple[str, float]]]:
        """:meth:`top` for several filters of one lookup, in that order; the candidates
        of all of them are scored together (one pass instead of one per filter)."""
        chosen = [self._candidates(query, each) for each in wanted]
        if len(wanted) > 1:  # the cosines of every candidate at once, for both scores
            self._cosines_of(query, sorted({slot for slots in chosen for slot in slots}))
        for text_only in (False, True):
            pending = {
                slot
                for slots, each in zip(chosen, wanted, strict=True)
                if each.text_only == text_only
                for slot in slots
            }
            if pending:
                self._score_all(query, sorted(pending), text_only=text_only)
        return [self._best(query, slots, each) for slots, each in zip(chosen, wanted, strict=True)]

    def _candidates(self, query: Query, wanted: Wanted) -> list[int]:
        """The touched slots that pass ``wanted``'s filters, the best few by shared term
        weight (filtered first, so a filter never hides a close match behind ones it
        rejects)."""
        if wanted.limit <= 0 or query.overlap is None or query.touched is None:
            return []
        # Filters apply to the touched slots only (a few thousand, not every question).
        candidates, overlap = query.touched, query.overlap
        state = np.frombuffer(self._state, dtype=np.int8)[candidates]
        if wanted.shown_to_unit is None:
            keep = state != _REMOVED
        elif wanted.any_unit:
            keep = state >= _SHOWN
        else:
            units = np.frombuffer(self._unit, dtype=np.int64)[candidates]
            keep = (state == _APPROVED) | ((state == _SHOWN) & (units == wanted.shown_to_unit))
        if wanted.topic is not None:
            keep &= np.frombuffer(self._topic, dtype=np.int64)[candidates] == wanted.topic
        candidates, overlap = candidates[keep], overlap[keep]
        if len(candidates) > _CANDIDATES:
            best = np.argpartition(-overlap, _CANDIDATES - 1)[:_CANDIDATES]
            candidates = candidates[best]
        slots: list[int] = candidates.tolist()
        return slots

    def _best(self, query: Query, slots: list[int], wanted: Wanted) -> list[tuple[str, float]]:
        scored: list[tuple[float, str]] = []
        scores = query.text_scores if wanted.text_only else query.scores
        for slot in slots:
            key = self._keys[slot]
            score = scores[slot]
            if key is not None and score >= wanted.min_score:
                scored.append((-score, key))
        scored.sort()
        return [(key, -negative) for negative, key in scored[: wanted.limit]]

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
        query = self.query(text, unit=unit, topic=topic or 0)
        return self.top(query, limit=limit, min_score=min_score, topic=topic)


def _unshared(values: array[Any]) -> array[Any]:
    """``values``, or a copy of it when something views its buffer (it cannot grow)."""
    try:
        values.append(0)
    except BufferError:
        return array(values.typecode, values)
    values.pop()
    return values


def _grown(scratch: np.ndarray, size: int) -> np.ndarray:
    """A zero vector of at least ``size`` entries (grown geometrically)."""
    if len(scratch) < size:
        scratch = np.zeros(max(size, 2 * len(scratch)))
    return scratch


def _cosines(
    scratch: np.ndarray,
    query_ids: np.ndarray,
    query_weights: np.ndarray,
    slots: np.ndarray,
    starts: np.ndarray,
    flat_ids: np.ndarray,
    weigh: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Cosines of a (normalised) query vector with the vectors of ``slots``, stored end to
    end as ids in ``flat_ids`` (slot ``s`` at ``starts[s]:starts[s + 1]``); ``weigh``
    gives the weights of ids at their positions."""
    lo = starts[slots]
    lengths = starts[slots + 1] - lo
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    if total == 0:
        return np.zeros(len(slots))
    firsts = ends - lengths
    positions = np.repeat(lo - firsts, lengths) + np.arange(total)
    ids = flat_ids[positions]
    weights = weigh(ids, positions)
    scratch[query_ids] = query_weights
    wanted = scratch[ids]
    scratch[query_ids] = 0.0  # left as zeros for the next lookup
    if lengths.all():
        dots = np.add.reduceat(weights * wanted, firsts)
        norms = np.sqrt(np.add.reduceat(weights * weights, firsts))
    else:  # reduceat cannot sum an empty run: leave those at 0
        nonempty = lengths > 0
        dots, norms = np.zeros(len(slots)), np.zeros(len(slots))
        dots[nonempty] = np.add.reduceat(weights * wanted, firsts[nonempty])
        norms[nonempty] = np.sqrt(np.add.reduceat(weights * weights, firsts[nonempty]))
    result: np.ndarray = np.divide(dots, norms, out=np.zeros(len(slots)), where=norms > 0)
    return result


def _vector_terms(terms: tuple[str, ...]) -> tuple[str, ...]:
    """The terms that make the vectors (hamlet marks are not words)."""
    return tuple(t for t in terms if not t.startswith(PLACE_PREFIX))


def _normalised(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm > 0.0 else {}
