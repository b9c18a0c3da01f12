"""Similarity of two questions, on the terms produced by :mod:`bot.clustering.normalize`.

The score is a weighted overlap of terms in which a term's weight grows with its rarity
(IDF over the questions being grouped) and shrinks for domain words that nearly every
question has ("thanh niên", "hỗ trợ"). Terms that differ by a typo still match, through
rapidfuzz. Terms found on only one side lower the score; terms found only on *both* sides
(a substitution: "lãi suất" against "hồ sơ", "xã Quảng Uyên" against "xã Trà Lĩnh") lower
it more, because that is how two different questions with the same wording look::

    score = 100 · S / (S + EXTRA_PENALTY · (Xa + Xb) + CONFLICT_PENALTY · min(Xa, Xb))

where S is the weight of the terms both questions have (typo matches count in part) and
Xa, Xb the weight of the terms only one of them has, each times its distinctness (place
names, numbers and aspect words such as "lãi suất" weigh more when they differ).
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Mapping
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.clustering import _lexicon
from bot.clustering.normalize import PLACE_PREFIX, normalize_question

__all__ = [
    "CONFLICT_PENALTY",
    "EXTRA_PENALTY",
    "FUZZY_CUTOFF",
    "IDF_POWER",
    "PLACE_WEIGHT",
    "Weighting",
    "distinctness",
    "exact_score",
    "score_terms",
    "similarity",
]

#: How much weight found on one side only counts against a match (1.0 = weighted Jaccard).
EXTRA_PENALTY = 0.2
#: Extra cost of weight missing on both sides, i.e. substituted words.
CONFLICT_PENALTY = 1.5
#: rapidfuzz ratio from which two different terms count as the same word with a typo.
FUZZY_CUTOFF = 80.0
#: Shortest term that may match with a typo: short syllables differ by one letter anyway.
_FUZZY_MIN_LENGTH = 4
#: Exponent on the IDF factor: below 1 it softens the pull of very rare words (often typos).
IDF_POWER = 1.0
#: Distinctness of a place name ("xã Quảng Uyên"): the same question about another place
#: is another question.
PLACE_WEIGHT = 3.0
#: Highest score of two questions that name different places and no common one (below
#: the default threshold and the "already asked" suggestion).
PLACE_CONFLICT_CAP = 25.0
#: Distinctness of a term with digits (numbers of roads, hamlets, years).
_NUMBER_WEIGHT = 1.5


class Weighting:
    """Term weights: smoothed IDF over a set of questions times the weak-word multipliers
    (``term_weights.tsv`` entries below 1).

    With no statistics (``documents == 0``) every ordinary term weighs 1.0, so a pair of
    questions can be compared on its own.
    """

    __slots__ = ("_cache", "_df", "_documents", "_prior")

    def __init__(self, df: Mapping[str, int] | None = None, documents: int = 0) -> None:
        self._df: Mapping[str, int] = df if df is not None else {}
        self._documents = documents
        self._prior = _lexicon.get().weights
        self._cache: dict[str, float] = {}

    def weight(self, term: str) -> float:
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        # Multipliers above 1 only count where the term differs (see distinctness()).
        prior = min(self._prior.get(term, 1.0), 1.0)
        idf = 1.0
        if self._documents:
            df = self._df.get(term, 0)
            idf = (1.0 + math.log((self._documents + 1) / (df + 1))) ** IDF_POWER
        value = prior * idf
        self._cache[term] = value
        return value

    def vector(self, terms: tuple[str, ...]) -> dict[str, float]:
        return {term: self.weight(term) for term in terms}


@lru_cache(maxsize=65536)
def distinctness(term: str) -> float:
    """How much more a term weighs when only one question has it.

    Place names, numbers and the aspect words of ``term_weights.tsv`` ("lãi suất",
    "hồ sơ") tell two questions apart when they differ, but agreeing on them does not make
    two questions more alike than agreeing on their topic.
    """
    if term.startswith(PLACE_PREFIX):
        return PLACE_WEIGHT
    if any(ch.isdigit() for ch in term):
        return _NUMBER_WEIGHT
    return max(_lexicon.get().weights.get(term, 1.0), 1.0)


def score_terms(
    a: Mapping[str, float],
    b: Mapping[str, float],
    *,
    floor: float = 0.0,
    typos: bool = True,
    suspects: Container[str] | None = None,
) -> float:
    """Similarity in [0, 100] of two weighted term sets.

    ``typos=False`` skips matching terms that differ by a typo (cheaper, never higher).
    ``suspects``, when given, holds the only terms that may be typos (rare ones): a typo
    match needs one of them, which saves time on large batches.
    ``floor`` only saves time: when even perfect typo matches could not lift the score to
    ``floor``, they are not looked for and the (lower) exact-match score is returned.
    """
    if not a or not b:
        return 0.0
    shared = 0.0
    only_a: dict[str, float] = {}
    for term, weight in a.items():
        if term in b:
            shared += weight
        else:
            only_a[term] = weight
    only_b = {term: weight for term, weight in b.items() if term not in a}
    extra_a = _extra(only_a)
    extra_b = _extra(only_b)
    if typos and only_a and only_b:
        reachable = min(extra_a, extra_b)
        if exact_score(shared + reachable, extra_a - reachable, extra_b - reachable) >= floor:
            gained = _fuzzy_matches(only_a, only_b, suspects)
            if gained:
                shared += gained
                extra_a = _extra(only_a)
                extra_b = _extra(only_b)
    score = exact_score(shared, extra_a, extra_b)
    if _different_places(a, only_a, only_b):
        # "A road in one commune is not a road in another": two questions naming only
        # different places are different concerns, however alike the rest is.
        return min(score, PLACE_CONFLICT_CAP)
    return score


def _different_places(
    a: Mapping[str, float], only_a: Mapping[str, float], only_b: Mapping[str, float]
) -> bool:
    shares_a_place = any(t.startswith(PLACE_PREFIX) and t not in only_a for t in a)
    return (
        not shares_a_place
        and any(t.startswith(PLACE_PREFIX) for t in only_a)
        and any(t.startswith(PLACE_PREFIX) for t in only_b)
    )


def _extra(only: Mapping[str, float]) -> float:
    return sum(weight * distinctness(term) for term, weight in only.items())


def exact_score(shared: float, extra_a: float, extra_b: float) -> float:
    """Score from the shared weight and the weight found on one side only."""
    if shared <= 0.0:
        return 0.0
    denominator = (
        shared + EXTRA_PENALTY * (extra_a + extra_b) + CONFLICT_PENALTY * min(extra_a, extra_b)
    )
    return 100.0 * shared / denominator


def _fuzzy_matches(
    only_a: dict[str, float], only_b: dict[str, float], suspects: Container[str] | None = None
) -> float:
    """Match leftover terms that differ by a typo; remove them from both dicts.

    Returns the shared weight gained. Handles a phrase broken by a typo too: "khoi ngiep"
    does not form the term ``khoi_nghiep``, but its words cover that term's syllables.
    """
    shared = 0.0
    if suspects is None or any(w in suspects for w in only_b):
        shared += _cover_phrases(only_a, only_b)
    if suspects is None or any(w in suspects for w in only_a):
        shared += _cover_phrases(only_b, only_a)
    for term in sorted(only_a, key=lambda t: (-only_a[t], t)):
        if len(term) < _FUZZY_MIN_LENGTH or not only_b:
            continue
        if suspects is None or term in suspects:
            candidates: Iterable[str] = only_b
        else:
            candidates = [other for other in only_b if other in suspects]
        match = _closest(term, candidates)
        if match is not None:
            other, ratio = match
            shared += min(only_a.pop(term), only_b.pop(other)) * ratio / 100.0
    return shared


def _closest(term: str, candidates: Iterable[str]) -> tuple[str, float] | None:
    """The candidate within a typo of ``term`` (best ratio, then alphabetical)."""
    choices = sorted(c for c in candidates if len(c) >= _FUZZY_MIN_LENGTH)
    if not choices:
        return None
    found = process.extractOne(term, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    return None if found is None else (found[0], found[1])


def _cover_phrases(phrases: dict[str, float], words: dict[str, float]) -> float:
    shared = 0.0
    for term in sorted(t for t in phrases if "_" in t):
        free = [w for w in words if "_" not in w]
        if not free:
            break
        used: list[str] = []
        total = 0.0
        for syllable in term.removeprefix(PLACE_PREFIX).split("_"):
            if syllable in free and syllable not in used:
                used.append(syllable)
                total += 100.0
                continue
            match = (
                _closest(syllable, (w for w in free if w not in used))
                if len(syllable) >= 3
                else None
            )
            if match is None:
                break
            used.append(match[0])
            total += match[1]
        else:
            weight = phrases.pop(term)
            for word in used:
                del words[word]
            shared += weight * total / (100.0 * len(used))
    return shared


def similarity(a: str, b: str) -> float:
    """Similarity of two questions in [0, 100], without corpus statistics.

    Inside :func:`bot.clustering.cluster_texts` and :class:`bot.clustering.SimilarIndex`
    the weights also use the rarity of each word among all questions, so scores there
    can differ from this stand-alone one.
    """
    weighting = Weighting()
    return score_terms(
        weighting.vector(normalize_question(a).terms),
        weighting.vector(normalize_question(b).terms),
    )
