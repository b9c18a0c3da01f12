"""Question vectors for grouping: TF-IDF of terms and of character n-grams.

Each question's terms (:func:`bot.clustering.normalize.normalize_question`: greetings and
self-introductions gone, teencode expanded, domain paraphrases mapped to one term) give two
L2-normalised sparse vectors:

- *terms*: each term weighted by its rarity among the questions (smoothed IDF) times its
  prior from ``term_weights.tsv`` (domain words nearly every question has weigh less);
- *characters*: the 3- to 5-letter pieces of each accent-free word of the terms, padded
  with spaces (sublinear counts times IDF), which still match a word typed with a typo
  ("nghep" / "nghiep") and the parts of compounds ("an toàn thực phẩm" / "thực phẩm").

The dot product of two rows of one matrix is a cosine; the pair model
(:mod:`bot.clustering.model`) turns the two cosines and the questions' places and facets
into the probability that two questions ask the same thing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from bot.clustering import _lexicon
from bot.clustering.normalize import PLACE_PREFIX

__all__ = [
    "TERM_SHARE",
    "Vectors",
    "char_grams",
    "term_grams",
    "term_words",
    "vectorize",
]

#: α: share of the term vector in the blended similarity (the rest is character n-grams).
TERM_SHARE = 0.5
_GRAM_SIZES = (3, 4, 5)
#: Prior multipliers above 1 (aspect words: "lãi suất", "hồ sơ") are capped at this.
_PRIOR_CAP = 2.0


@lru_cache(maxsize=262144)
def char_grams(word: str) -> tuple[str, ...]:
    """3- to 5-letter pieces of `` word `` (padded with spaces, as scikit-learn's char_wb)."""
    padded = f" {word} "
    return tuple(
        padded[i : i + size]
        for size in _GRAM_SIZES
        for i in range(len(padded) - size + 1)
        if size <= len(padded)
    )


@lru_cache(maxsize=262144)
def term_grams(term: str) -> tuple[str, ...]:
    """Character n-grams of every word of a term."""
    return tuple(gram for word in term_words(term) for gram in char_grams(word))


def term_words(term: str) -> list[str]:
    """Accent-free words of a term (``@quang_uyen`` → ``["quang", "uyen"]``)."""
    return [w for w in term.removeprefix(PLACE_PREFIX).split("_") if w]


def prior(term: str) -> float:
    """The prior weight of a term (``term_weights.tsv``; 1.0 for ordinary words)."""
    return min(_lexicon.get().weights.get(term, 1.0), _PRIOR_CAP)


def idf(df: int, documents: int) -> float:
    """Smoothed inverse document frequency (scikit-learn's ``smooth_idf``)."""
    return 1.0 + math.log((documents + 1) / (df + 1))


@dataclass(frozen=True, slots=True)
class Vectors:
    """Rows of term and character n-gram vectors (CSR, float32, each row of norm 1 or
    empty): the dot product of two rows of one matrix is a cosine."""

    terms: sp.csr_matrix
    grams: sp.csr_matrix

    @property
    def matrix(self) -> sp.csr_matrix:
        """Both, weighted √α and √(1-α): row products are ``α·cos(terms) +
        (1-α)·cos(characters)``, the blend that finds candidate pairs."""
        return sp.hstack(
            [self.terms * math.sqrt(TERM_SHARE), self.grams * math.sqrt(1.0 - TERM_SHARE)],
            format="csr",
            dtype=np.float32,
        )


def _rows(
    bags: Sequence[Mapping[str, float]], vocabulary: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays of L2-normalised rows."""
    lengths = np.fromiter((len(bag) for bag in bags), dtype=np.int64, count=len(bags))
    indptr = np.zeros(len(bags) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    keys = [key for bag in bags for key in bag]
    setdefault = vocabulary.setdefault
    indices = np.fromiter(
        (setdefault(key, len(vocabulary)) for key in keys), dtype=np.int32, count=len(keys)
    )
    data = np.fromiter(
        (value for bag in bags for value in bag.values()), dtype=np.float64, count=len(keys)
    )
    squares = np.zeros(len(bags))
    nonempty = lengths > 0
    if nonempty.any():
        squares[nonempty] = np.add.reduceat(data * data, indptr[:-1][nonempty])
    norms = np.sqrt(squares)
    scale = np.divide(1.0, norms, out=np.zeros(len(bags)), where=norms > 0)
    data *= np.repeat(scale, lengths)
    return indptr, indices, data.astype(np.float32)


def vectorize(
    terms: Sequence[tuple[str, ...]],
    *,
    df: Mapping[str, int] | None = None,
    documents: int | None = None,
) -> Vectors:
    """Term and character vectors of term tuples.

    Args:
        terms: the terms of each question (or of each distinct term set); hamlet marks
            (``@…``) are left out (their words are terms of their own).
        df, documents: term document frequencies and the number of questions they were
            counted over (defaults: counted over ``terms`` itself). Character n-gram
            frequencies are always counted over ``terms``.
    """
    terms = [tuple(t for t in row if not t.startswith(PLACE_PREFIX)) for row in terms]
    if df is None:
        df = Counter(t for row in terms for t in set(row))
        documents = len(terms)
    assert documents is not None
    term_bags = [{t: idf(df.get(t, 0), documents) * prior(t) for t in row} for row in terms]
    gram_counts: list[Counter[str]] = []
    gram_df: Counter[str] = Counter()
    for row in terms:
        counts: Counter[str] = Counter()
        for term in row:
            counts.update(term_grams(term))
        gram_counts.append(counts)
        gram_df.update(counts.keys())
    count = len(terms)
    gram_idf = {g: idf(n, count) for g, n in gram_df.items()}
    gram_bags = [
        {g: (1.0 + math.log(n)) * gram_idf[g] for g, n in counts.items()} for counts in gram_counts
    ]
    term_vocab: dict[str, int] = {}
    gram_vocab: dict[str, int] = {}
    t_ptr, t_idx, t_val = _rows(term_bags, term_vocab)
    g_ptr, g_idx, g_val = _rows(gram_bags, gram_vocab)
    shape_t = (count, max(len(term_vocab), 1))
    shape_g = (count, max(len(gram_vocab), 1))
    return Vectors(
        sp.csr_matrix((t_val, t_idx, t_ptr), shape=shape_t),
        sp.csr_matrix((g_val, g_idx, g_ptr), shape=shape_g),
    )
