"""Similarity of two questions, as grouping and the similar-question lookup see it.

The similarity is the pair model's probability (:mod:`bot.clustering.model`) that two
questions ask the same thing, from the cosines of their term and character n-gram vectors
(:mod:`bot.clustering.features`) and their marks: the communes, wards and provinces they
name (:mod:`bot.clustering.places`), hamlets, and facets of one kind (``facets.tsv``: jobs
for new graduates against jobs for demobilised soldiers; a loan's interest rate against
its paperwork). Scores are given on 0-100.
"""

from __future__ import annotations

import numpy as np

from bot.clustering import model
from bot.clustering.features import vectorize
from bot.clustering.model import hard_conflict, mark_flags, marks_of
from bot.clustering.normalize import normalize_question

__all__ = ["similarity"]


def similarity(a: str, b: str) -> float:
    """Similarity of two questions in [0, 100], without corpus statistics.

    Inside :func:`bot.clustering.cluster_texts` and :class:`bot.clustering.SimilarIndex`
    the weights also use the rarity of each word among all questions, so scores there
    can differ from this stand-alone one.
    """
    if a == b:
        return 100.0
    terms = [normalize_question(a).terms, normalize_question(b).terms]
    vectors = vectorize(terms)
    cosines = [float(m[0].multiply(m[1]).sum()) for m in (vectors.terms, vectors.grams)]
    marks = marks_of(terms[0], a), marks_of(terms[1], b)
    if hard_conflict(*marks):
        return 0.0
    value = model.get().one(cosines[0], cosines[1], mark_flags(*marks))
    return float(np.clip(100.0 * value, 0.0, 100.0))
