"""Similarity of two questions, as grouping and the similar-question lookup see it.

The similarity is the dot product of blended term and character n-gram vectors
(:mod:`bot.clustering.features`), minus :data:`bot.clustering.cluster.CONFLICT_PENALTY`
when the two questions are in *conflict*: they name different places and none in common
("the same road in two communes"), or disjoint facets of one kind (``facets.tsv``: jobs
for new graduates against jobs for demobilised soldiers; a loan's interest rate against
its paperwork). Scores are given on 0-100.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.clustering import _lexicon
from bot.clustering.features import vectorize
from bot.clustering.normalize import PLACE_PREFIX, normalize_question

__all__ = ["CONFLICT_PENALTY", "conflict", "distinguishing", "similarity"]

#: Subtracted from the similarity (0-1) of two questions in conflict.
CONFLICT_PENALTY = 1.0


def _kinds(terms: Iterable[str]) -> dict[str, set[str]]:
    facets = _lexicon.get().facets
    found: dict[str, set[str]] = {}
    for term in terms:
        kind = "@" if term.startswith(PLACE_PREFIX) else facets.get(term)
        if kind is not None:
            found.setdefault(kind, set()).add(term)
    return found


def distinguishing(terms: Iterable[str]) -> tuple[str, ...]:
    """The terms that can put a question in conflict with another (places, facets)."""
    facets = _lexicon.get().facets
    return tuple(t for t in terms if t.startswith(PLACE_PREFIX) or t in facets)


def conflict(a: Iterable[str], b: Iterable[str]) -> bool:
    """Whether two questions' terms name disjoint places or disjoint facets of one kind."""
    kinds_a = _kinds(a)
    if not kinds_a:
        return False
    kinds_b = _kinds(b)
    return any(kind in kinds_b and not (values & kinds_b[kind]) for kind, values in kinds_a.items())


def similarity(a: str, b: str) -> float:
    """Similarity of two questions in [0, 100], without corpus statistics.

    Inside :func:`bot.clustering.cluster_texts` and :class:`bot.clustering.SimilarIndex`
    the weights also use the rarity of each word among all questions, so scores there
    can differ from this stand-alone one.
    """
    terms = [normalize_question(a).terms, normalize_question(b).terms]
    vectors = vectorize(terms).matrix
    value = float(vectors[0].multiply(vectors[1]).sum())
    if conflict(*terms):
        value -= CONFLICT_PENALTY
    return max(0.0, min(100.0, 100.0 * value))
