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
    "idf",
    "idfs",
    "prior",
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


def idfs(df: np.ndarray, documents: int) -> np.ndarray:
    """:func:`idf` of an array of document frequencies."""
    return np.asarray(1.0 + np.log((documents + 1) / (df + 1.0)), dtype=np.float64)


def _counts(
    rows: Sequence[Sequence[str]], vocabulary: dict[str, int], height: int
) -> sp.csr_matrix:
    """How often each key occurs in each row (canonical CSR, float64, ``height`` rows:
    those after ``rows`` empty); keys not yet in ``vocabulary`` are added to it."""
    lengths = np.zeros(height, dtype=np.int64)
    lengths[: len(rows)] = [len(row) for row in rows]
    indptr = np.zeros(height + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    setdefault = vocabulary.setdefault
    indices = np.fromiter(
        (setdefault(key, len(vocabulary)) for row in rows for key in row),
        dtype=np.int32,
        count=int(indptr[-1]),
    )
    shape = (height, max(len(vocabulary), 1))
    matrix = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=shape)
    matrix.sum_duplicates()
    return matrix


def _normalised(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """``matrix`` (float64, canonical CSR) with each non-empty row of norm 1, as float32."""
    squares = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
    norms = np.sqrt(squares)
    scale = np.divide(1.0, norms, out=np.zeros(len(norms)), where=norms > 0)
    matrix.data *= np.repeat(scale, np.diff(matrix.indptr))
    return matrix.astype(np.float32)


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
    count = len(terms)
    # Each row's term occurrences as a sparse matrix; the character n-grams of a row are
    # then one product with the n-grams of each distinct term (computed once per term,
    # not once per row: 100,000 questions share some 30,000 terms).
    vocabulary: dict[str, int] = {}
    occurrences = _counts(terms, vocabulary, count)
    # Terms: present or not, weighted by IDF and the lexicon's prior.
    term_weight = np.zeros(occurrences.shape[1])
    for term, column in vocabulary.items():
        term_weight[column] = idf(df.get(term, 0), documents) * prior(term)
    term_matrix = occurrences.copy()
    term_matrix.data = term_weight[term_matrix.indices]
    # Character n-grams: sublinear counts times their IDF over these rows.
    grams_of_terms = _counts([term_grams(t) for t in vocabulary], {}, occurrences.shape[1])
    gram_matrix = sp.csr_matrix(occurrences @ grams_of_terms)
    gram_matrix.sum_duplicates()
    gram_df = np.bincount(gram_matrix.indices, minlength=gram_matrix.shape[1])
    gram_matrix.data = (1.0 + np.log(gram_matrix.data)) * idfs(gram_df, count)[gram_matrix.indices]
    return Vectors(_normalised(term_matrix), _normalised(gram_matrix))
