"""The learned pair score: how likely two questions ask the same thing.

Features of a pair of questions (all cheap, computed the same way by the batch grouping
and by the similar-question index):

- ``terms``: cosine of the term TF-IDF vectors (:mod:`bot.clustering.features`);
- ``characters``: cosine of the character n-gram vectors of the terms;
- ``commune_conflict`` / ``commune_shared``: both name communes or wards anywhere
  (:mod:`bot.clustering.places`: in the question or in the self-introduction) and none
  in common / at least one in common;
- ``province_conflict`` / ``province_shared``: the same for provinces;
- ``same_unit`` / ``units_known``: both askers' units are known (the chat and the
  organisers' re-grouping know them; a file may give a "unit" column) and are the same /
  both are known. Most place-bound asks come from the place's own young people, so the same
  unit is evidence, and the model is trained with and without units (the same pairs twice),
  so that a probability means the same whether units are known or not.

Some differences are rules, not learned: two questions whose question parts name
different communes, or different hamlets ("thôn Nà Lẹng" / "thôn Khuổi Khon"), or that
name facets of one kind and none in common (``facets.tsv``: jobs for new graduates against
jobs for demobilised soldiers; a loan's interest rate against its paperwork) are different
concerns (:func:`hard_conflict`); their similarity is :data:`NEVER`, which keeps them
apart under average linkage whatever else their groups share.

A logistic regression combines the features into a probability; its coefficients and the grouping
threshold live in ``data/pair_model.json``, written by ``bench/train_pair_model.py`` from
the labelled development sets with cross-validation grouped by concern (scikit-learn is
needed only there; here it is a dot product and a sigmoid).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import scipy.sparse as sp

from bot.clustering import _lexicon
from bot.clustering.normalize import PLACE_PREFIX
from bot.clustering.places import question_places

__all__ = [
    "FEATURES",
    "MARK_FEATURES",
    "NEVER",
    "MarkMatrix",
    "Marks",
    "PairModel",
    "get",
    "hard_conflict",
    "mark_flags",
    "marks_of",
]

#: Feature names, in the order of the model's weights.
FEATURES = (
    "terms",
    "characters",
    "commune_conflict",
    "commune_shared",
    "province_conflict",
    "province_shared",
    "same_unit",
    "units_known",
)
#: Similarity of a pair in hard conflict: no average over groups of any size reaches a
#: positive threshold once it counts.
NEVER = -1e9
#: The features that come from marks (after the two cosines, before the units).
MARK_FEATURES = FEATURES[2:6]
#: Unit code meaning "not known".
NO_UNIT = -1
#: A unit holding more than this share of a campaign's questions (and at least
#: :data:`DOMINANT_MIN` of them) says nothing about what its askers ask: its questions are
#: compared as if their unit were not known. The labelled sets have hundreds of units
#: (the largest holds 4 % of the questions), so "same unit" was learned as strong
#: evidence; in a commune's own campaign nearly everyone names the commune, and with the
#: unit counted, dev2 given one unit for all grouped at pairwise precision 0.40 (0.87
#: without units).
DOMINANT_SHARE = 0.125
DOMINANT_MIN = 3


def dominant_units(counts: Mapping[int, int], total: int) -> set[int]:
    """Units (codes) that hold too large a share of ``total`` questions to tell them
    apart (:data:`DOMINANT_SHARE`); ``counts``: questions per unit."""
    share = DOMINANT_SHARE * total
    return {
        unit
        for unit, count in counts.items()
        if count >= DOMINANT_MIN and count > share and unit != NO_UNIT
    }


@dataclass(frozen=True, slots=True)
class Marks:
    """What can set two questions apart besides their words."""

    #: Communes named in the question part, and anywhere (with the introduction).
    communes: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    provinces: frozenset[int] = frozenset()
    #: Hamlet marks ("@na_leng") named in the question part.
    hamlets: frozenset[str] = frozenset()
    #: Facet kind → facet terms of that kind.
    facets: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.places or self.provinces or self.hamlets or self.facets)


NO_MARKS = Marks()


def marks_of(terms: Iterable[str], text: str) -> Marks:
    """The marks of a question from its terms (:func:`normalize_question`: of the question
    part only, so a hamlet of a self-introduction is not among them) and its text."""
    facets = _lexicon.get().facets
    hamlets: list[str] = []
    kinds: dict[str, set[str]] = {}
    for term in terms:
        if term.startswith(PLACE_PREFIX):
            hamlets.append(term)
        elif (kind := facets.get(term)) is not None:
            kinds.setdefault(kind, set()).add(term)
    asked, context = question_places(text)
    if not (hamlets or kinds or asked.communes or context.communes or asked.provinces) and not (
        context.provinces
    ):
        return NO_MARKS
    return Marks(
        asked.communes,
        asked.communes | context.communes,
        asked.provinces | context.provinces,
        frozenset(hamlets),
        {kind: frozenset(values) for kind, values in kinds.items()},
    )


def _versus(a: frozenset[str] | frozenset[int], b: frozenset[str] | frozenset[int]) -> int:
    """-1 when both are given and disjoint, 1 when they share one, 0 otherwise."""
    if not a or not b:
        return 0
    return 1 if a & b else -1


def hard_conflict(a: Marks, b: Marks) -> bool:
    """Whether the question parts name different communes or different hamlets, or the
    questions name disjoint facets of one kind."""
    if not a or not b:
        return False
    return (
        _versus(a.communes, b.communes) < 0
        or _versus(a.hamlets, b.hamlets) < 0
        or any(
            kind in b.facets and not (values & b.facets[kind]) for kind, values in a.facets.items()
        )
    )


def mark_flags(a: Marks, b: Marks) -> tuple[float, ...]:
    """The mark features of a pair (:data:`MARK_FEATURES`), for one pair at a time."""
    if not a or not b:
        return (0.0,) * len(MARK_FEATURES)
    commune = _versus(a.places, b.places)
    province = _versus(a.provinces, b.provinces)
    return (
        float(commune < 0),
        float(commune > 0),
        float(province < 0),
        float(province > 0),
    )


def mark_logit(a: Marks, b: Marks, weights: Sequence[float]) -> float | None:
    """What a pair's marks add to its logit (the weights of :data:`MARK_FEATURES`, summed
    in their order as the model does), or None for a :func:`hard_conflict`: both in one
    pass, for the lookup that scores a few candidates at every question."""
    if not a or not b:
        return 0.0
    if hard_conflict(a, b):
        return None
    total = 0.0
    commune = _versus(a.places, b.places)
    if commune:
        total += weights[0] if commune < 0 else weights[1]
    province = _versus(a.provinces, b.provinces)
    if province:
        total += weights[2] if province < 0 else weights[3]
    return total


class MarkMatrix:
    """The marks of many documents as 0/1 incidence matrices, for mark features of many
    pairs at once (the same values as :func:`mark_flags`)."""

    def __init__(self, marks: Sequence[Marks]) -> None:
        self._kinds: dict[str, sp.csr_matrix] = {}
        columns: dict[str, dict[object, int]] = {}
        entries: dict[str, tuple[list[int], list[int]]] = {}

        def put(kind: str, row: int, value: object) -> None:
            index = columns.setdefault(kind, {})
            rows, cols = entries.setdefault(kind, ([], []))
            rows.append(row)
            cols.append(index.setdefault(value, len(index)))

        for row, mark in enumerate(marks):
            for commune in mark.communes:
                put("asked", row, commune)
            for commune in mark.places:
                put("commune", row, commune)
            for province in mark.provinces:
                put("province", row, province)
            for hamlet in mark.hamlets:
                put("hamlet", row, hamlet)
            for kind, values in mark.facets.items():
                for value in values:
                    put("facet:" + kind, row, value)
        for kind, (rows, cols) in entries.items():
            matrix = sp.csr_matrix(
                (np.ones(len(rows), dtype=np.float32), (rows, cols)),
                shape=(len(marks), len(columns[kind])),
            )
            matrix.sum_duplicates()
            self._kinds[kind] = matrix

    def _dense(self, kind: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(conflict, shared) boolean matrices of ``rows`` for one kind of mark."""
        matrix = self._kinds.get(kind)
        if matrix is None:
            return None
        sub = matrix[rows]
        has = np.diff(sub.indptr) > 0
        if has.sum() < 2:
            return None
        shared = (sub @ sub.T).toarray() > 0
        both = has[:, None] & has[None, :]
        return both & ~shared, shared

    def _pairs(
        self, kind: str, head: np.ndarray, tail: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        matrix = self._kinds.get(kind)
        if matrix is None:
            return None
        a, b = matrix[head], matrix[tail]
        has = (np.diff(a.indptr) > 0) & (np.diff(b.indptr) > 0)
        shared = np.asarray(a.multiply(b).sum(axis=1)).ravel() > 0
        return has & ~shared, shared

    def block(self, rows: np.ndarray) -> np.ndarray:
        """Mark features of every pair of ``rows``: shape (n, n, len(MARK_FEATURES))."""
        count = len(rows)
        out = np.zeros((count, count, len(MARK_FEATURES)), dtype=np.float32)
        self._fill(out, lambda kind: self._dense(kind, rows))
        return out

    def pairs(self, head: np.ndarray, tail: np.ndarray) -> np.ndarray:
        """Mark features of the pairs (head[k], tail[k]): shape (k, len(MARK_FEATURES))."""
        out = np.zeros((len(head), len(MARK_FEATURES)), dtype=np.float32)
        if len(head):
            self._fill(out, lambda kind: self._pairs(kind, head, tail))
        return out

    def add_block(self, rows: np.ndarray, logits: np.ndarray, weights: np.ndarray) -> None:
        """Add ``weights`` (one per :data:`MARK_FEATURES`) times the mark features of every
        pair of ``rows`` to the (n, n) ``logits`` in place (no (n, n, k) array)."""
        for kind, offset in (("commune", 0), ("province", 2)):
            found = self._dense(kind, rows)
            if found is not None:
                conflict, shared = found
                logits += weights[offset] * conflict + weights[offset + 1] * shared

    def hard_block(self, rows: np.ndarray) -> np.ndarray | None:
        """Pairs of ``rows`` in hard conflict (:func:`hard_conflict`), or None if none."""
        found = [self._dense(kind, rows) for kind in self._hard_kinds()]
        conflicts = [pair[0] for pair in found if pair is not None]
        if not conflicts:
            return None
        result: np.ndarray = np.logical_or.reduce(conflicts)
        return result

    def _hard_kinds(self) -> list[str]:
        """Marks whose disjointness is a hard conflict: communes named in the question,
        hamlets, and each kind of facet."""
        return ["asked", "hamlet", *(k for k in self._kinds if k.startswith("facet:"))]

    def hard_pairs(self, head: np.ndarray, tail: np.ndarray) -> np.ndarray:
        """Whether each pair (head[k], tail[k]) is in hard conflict."""
        result = np.zeros(len(head), dtype=bool)
        for kind in self._hard_kinds():
            found = self._pairs(kind, head, tail) if len(head) else None
            if found is not None:
                result |= found[0]
        return result

    def _fill(
        self, out: np.ndarray, compare: Callable[[str], tuple[np.ndarray, np.ndarray] | None]
    ) -> None:
        for kind, offset in (("commune", 0), ("province", 2)):
            found = compare(kind)
            if found is not None:
                out[..., offset], out[..., offset + 1] = found


@dataclass(frozen=True, slots=True)
class PairModel:
    """Logistic regression over :data:`FEATURES`, and the grouping threshold."""

    weights: np.ndarray
    intercept: float
    #: Probability (0-100) that two groups need on average to be joined when the askers'
    #: units are known (the chat, the organisers' re-grouping) ...
    threshold: float
    #: ... and when they are not (a file without a "unit" column): the score is less sure
    #: of itself there, so the cut that keeps precision is higher.
    threshold_without_units: float
    #: The weights for two questions of one known topic group whose askers' units are
    #: known: the only pairs the bot compares (it never groups across topic groups). Learned
    #: from those pairs alone, they are not dominated by the many easy pairs of different
    #: topics (None: the same weights for every pair).
    same_topic: PairModel | None = None

    def probability(self, features: np.ndarray, topical: np.ndarray | None = None) -> np.ndarray:
        """P(same concern) of feature rows (last axis: :data:`FEATURES`); ``topical``
        marks the rows of pairs of one topic group (scored by :attr:`same_topic` when
        both units are known)."""
        logits = features @ self.weights + self.intercept
        inner = self.same_topic
        if inner is not None and topical is not None:
            chosen = topical & (features[..., 7] > 0)  # units_known
            if chosen.any():
                logits = np.where(chosen, features @ inner.weights + inner.intercept, logits)
        result: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return result

    def one(
        self,
        terms: float,
        characters: float,
        flags: Sequence[float],
        units: tuple[int, int] = (NO_UNIT, NO_UNIT),
    ) -> float:
        """P(same concern) of one pair (``units``: the two askers' unit codes), with the
        general weights (two texts alone: no topic group)."""
        weights = self.weights
        logit = self.intercept + weights[0] * terms + weights[1] * characters
        logit += float(np.dot(weights[2:6], flags))
        if units[0] != NO_UNIT and units[1] != NO_UNIT:
            logit += weights[7] + (weights[6] if units[0] == units[1] else 0.0)
        return float(1.0 / (1.0 + np.exp(-logit)))

    def add_units(self, logits: np.ndarray, units: np.ndarray) -> None:
        """Add the unit features of every pair of documents with unit codes ``units``."""
        known = units != NO_UNIT
        if not known.any():
            return
        both = known[:, None] & known[None, :]
        logits += self.weights[7] * both
        logits += self.weights[6] * (both & (units[:, None] == units[None, :]))

    def unit_features(self, head_units: np.ndarray, tail_units: np.ndarray) -> np.ndarray:
        """(same_unit, units_known) of pairs, shape (k, 2)."""
        both = (head_units != NO_UNIT) & (tail_units != NO_UNIT)
        same = both & (head_units == tail_units)
        result: np.ndarray = np.stack([same, both], axis=-1).astype(np.float32)
        return result


def load(data: Mapping[str, object]) -> PairModel:
    """A model from the JSON object of ``pair_model.json``."""
    weights, intercept = _weights(data)
    threshold = data["threshold"]
    without = data.get("threshold_without_units", threshold)
    assert isinstance(threshold, int | float)
    assert isinstance(without, int | float)
    same_topic = None
    inner = data.get("same_topic")
    if inner is not None:
        assert isinstance(inner, dict)
        same_topic = PairModel(*_weights(inner), float(threshold), float(without))
    return PairModel(weights, intercept, float(threshold), float(without), same_topic)


def _weights(data: Mapping[str, object]) -> tuple[np.ndarray, float]:
    weights, intercept = data["weights"], data["intercept"]
    assert isinstance(weights, dict)
    assert isinstance(intercept, int | float)
    missing = [name for name in FEATURES if name not in weights]
    if missing:
        raise ValueError(f"pair model lacks weights for {', '.join(missing)}")
    return np.asarray([float(weights[n]) for n in FEATURES], dtype=np.float64), float(intercept)


@lru_cache(maxsize=1)
def get() -> PairModel:
    """The shipped model (``data/pair_model.json``)."""
    text = resources.files("bot.clustering").joinpath("data", "pair_model.json").read_text("utf-8")
    data = json.loads(text)
    assert isinstance(data, dict)
    return load(data)
