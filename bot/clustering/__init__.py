"""Grouping of duplicate questions ("gộp câu hỏi trùng") and Vietnamese text normalisation.

Pure, typed functions with keyword-only options:

- :func:`fold` and :func:`canonical`: accent-free and canonical forms of Vietnamese text
  (also used by the conversation engine for accent-insensitive unit-name search);
- :func:`normalize_question`: a question reduced to comparable terms;
- :func:`similarity`: similarity of two questions, 0-100;
- :func:`cluster_texts`: group the questions of a campaign (deterministic, no chaining);
- :class:`SimilarIndex`: "similar questions already asked" lookup at submission time.
"""

from bot.clustering.cluster import DEFAULT_THRESHOLD, cluster_texts
from bot.clustering.index import SimilarIndex, Wanted
from bot.clustering.normalize import NormalizedQuestion, canonical, fold, normalize_question
from bot.clustering.scoring import similarity

__all__ = [
    "DEFAULT_THRESHOLD",
    "NormalizedQuestion",
    "SimilarIndex",
    "Wanted",
    "canonical",
    "cluster_texts",
    "fold",
    "normalize_question",
    "similarity",
]
