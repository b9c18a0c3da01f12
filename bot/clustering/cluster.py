"""Group duplicate questions ("gộp câu hỏi trùng") of one campaign.

Algorithm (deterministic, no chaining):

1. Each question is normalised to terms (:mod:`bot.clustering.normalize`; typos repaired
   against the vocabulary of all the questions) and turned into a blended vector of term
   TF-IDF and character n-grams (:mod:`bot.clustering.features`). Questions with the same
   terms (and topic group) are one *document*.
2. The similarity of two documents is the dot product of their vectors, lowered by
   :data:`bot.clustering.scoring.CONFLICT_PENALTY` when they name different places with
   none in common or disjoint facets of the same kind (``facets.tsv``: who is concerned,
   what aspect of a loan), because the same words about another commune or another
   group of young people are another question.
3. *Average linkage* (UPGMA) joins documents while the average similarity over all pairs of
   two groups reaches the threshold. Unlike the single link, a chain A≈B≈C does not pull a
   distant C into A's group: every member must be close to the group as a whole.
4. Large inputs are first cut into blocks: each document's nearest neighbours are found
   by sparse products over its rarer terms, and average linkage runs exactly inside each
   connected part of the neighbour graph (parts larger than :data:`BLOCK_SIZE` are cut
   again at a higher similarity).
5. Topic groups, when given, are never mixed. Organisers' decisions are applied last:
   ``cannot_link`` pairs are split apart, ``must_link`` pairs are merged (unless that
   would join a ``cannot_link`` pair).

Each group's label is the id of its *medoid*: the member most similar to the others.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components

from bot.clustering import _lexicon
from bot.clustering.features import Vectors, vectorize
from bot.clustering.normalize import NormalizedQuestion, fold, normalize_question
from bot.clustering.scoring import CONFLICT_PENALTY
from bot.clustering.spelling import Speller

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_THRESHOLD",
    "cluster_texts",
    "cluster_with_progress",
]

#: Default average similarity (0-100) that two groups need to be joined. Chosen on the
#: development sets (tests/data/cluster_dev2.jsonl and the older cluster_dev.jsonl): see
#: docs/benchmarks.md. A wrong merge hides a question from the organisers while a missed
#: one only shows a duplicate, hence the lean towards precision.
DEFAULT_THRESHOLD = 45.0
#: Largest block clustered exactly with a dense similarity matrix.
BLOCK_SIZE = 2500
#: Neighbours kept per document when building blocks.
_NEIGHBOURS = 24
#: Terms in more than this share of documents are not used to find neighbours.
_COMMON_SHARE = 0.05
_ROW_CHUNK = 2048
_RAISE_STEP = 0.05

Progress = Callable[[int], None]


def _no_progress(_: int) -> None:
    pass


@dataclass(slots=True)
class _Docs:
    """Distinct (group, term set) documents and the items of each."""

    keys: list[tuple[Hashable, tuple[str, ...]]]
    members: list[list[int]]
    vectors: Vectors
    facets: sp.csr_matrix  # documents × facet values (0/1)
    facet_kinds: np.ndarray  # facet value → kind index


def _terms_by_text(texts: Sequence[str], progress: Progress) -> dict[str, tuple[str, ...]]:
    """Terms of each distinct text, typos repaired against the vocabulary of all texts."""
    normalized: dict[str, NormalizedQuestion] = {}
    for text in texts:
        if text not in normalized:
            normalized[text] = normalize_question(text)
        progress(1)
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(normalized[text].folded)
    speller = Speller(counts)
    terms_by_text: dict[str, tuple[str, ...]] = {}
    for text, question in normalized.items():
        final = question
        if any(speller.correct(word) for word in question.folded):
            final = normalize_question(text, speller=speller)
        # A question with no content term only equals its own wording.
        terms_by_text[text] = final.terms or ("\0" + fold(text),)
    return terms_by_text


def _facet_matrix(keys: Sequence[tuple[str, ...]]) -> tuple[sp.csr_matrix, np.ndarray]:
    facets = _lexicon.get().facets
    values: dict[str, int] = {}
    kinds: list[int] = []
    kind_index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for row, terms in enumerate(keys):
        for term in terms:
            kind = facets.get(term)
            if kind is None:
                continue
            if term not in values:
                values[term] = len(values)
                kinds.append(kind_index.setdefault(kind, len(kind_index)))
            rows.append(row)
            cols.append(values[term])
    matrix = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)),
        shape=(len(keys), max(len(values), 1)),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix, np.asarray(kinds or [0], dtype=np.int32)


def _build_docs(
    texts: Sequence[str], groups: Sequence[Hashable], *, progress: Progress = _no_progress
) -> tuple[_Docs, list[int]]:
    terms_by_text = _terms_by_text(texts, progress)
    index: dict[tuple[Hashable, tuple[str, ...]], int] = {}
    members: list[list[int]] = []
    keys: list[tuple[Hashable, tuple[str, ...]]] = []
    item_doc: list[int] = []
    for item, (text, group) in enumerate(zip(texts, groups, strict=True)):
        key = (group, tuple(sorted(terms_by_text[text])))
        doc = index.get(key)
        if doc is None:
            doc = index[key] = len(keys)
            keys.append(key)
            members.append([])
        members[doc].append(item)
        item_doc.append(doc)
    # Term frequencies count questions, not distinct documents: a concern raised by many
    # young people makes its words common.
    df: Counter[str] = Counter()
    for (_, terms), items in zip(keys, members, strict=True):
        for term in terms:
            df[term] += len(items)
    term_rows = [tuple(t for t in terms if not t.startswith("\0")) for _, terms in keys]
    vectors = vectorize(term_rows, df=df, documents=len(texts))
    facets, kinds = _facet_matrix(term_rows)
    return _Docs(keys, members, vectors, facets, kinds), item_doc


def _similarities(docs: _Docs, rows: np.ndarray) -> np.ndarray:
    """Dense similarity matrix of some documents, with conflicts penalised."""
    matrix = docs.vectors.matrix[rows]
    sims: np.ndarray = np.asarray((matrix @ matrix.T).toarray(), dtype=np.float64)
    conflict = np.zeros(sims.shape, dtype=bool)
    places = [docs.vectors.places[r] for r in rows.tolist()]
    with_place = [i for i, p in enumerate(places) if p]
    for position, i in enumerate(with_place):
        for j in with_place[position + 1 :]:
            if not (places[i] & places[j]):
                conflict[i, j] = conflict[j, i] = True
    facets = docs.facets[rows]
    if facets.nnz:
        for kind in np.unique(docs.facet_kinds).tolist():
            columns = np.flatnonzero(docs.facet_kinds == kind)
            sub = facets[:, columns]
            has = np.asarray(sub.sum(axis=1)).ravel() > 0
            if has.sum() < 2:
                continue
            shared = (sub @ sub.T).toarray() > 0
            conflict |= has[:, None] & has[None, :] & ~shared
    sims[conflict] -= CONFLICT_PENALTY
    np.fill_diagonal(sims, 1.0)
    return sims


def _average_linkage(sims: np.ndarray, threshold: float) -> np.ndarray:
    """Flat UPGMA clusters (labels 0..k-1) at average similarity ≥ ``threshold``."""
    count = sims.shape[0]
    if count == 1:
        return np.zeros(1, dtype=np.int64)
    distances = np.clip(1.0 - sims, 0.0, None)
    condensed = distances[np.triu_indices(count, k=1)]
    tree = linkage(condensed, method="average")
    # A merge at distance exactly 1 - threshold counts; floating point needs a hair.
    labels = fcluster(tree, t=1.0 - threshold + 1e-9, criterion="distance")
    return np.asarray(labels, dtype=np.int64) - 1


def _neighbour_edges(
    docs: _Docs, rows: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i, j, similarity) of documents among ``rows`` (local indices) that are
    among each other's nearest by rarer terms and similar at least ``threshold``."""
    matrix = docs.vectors.matrix[rows]
    terms = matrix.copy()
    # Probe with the term part only; drop the commonest terms (they add pairs, not
    # precision) unless a document has nothing else.
    gram_start = _term_columns(docs)
    terms = terms[:, :gram_start].tocsc()
    df = np.diff(terms.indptr)
    limit = max(50, int(_COMMON_SHARE * len(rows)))
    keep = np.flatnonzero(df <= limit)
    probe = terms[:, keep].tocsr()
    probe_t = probe.T.tocsr()
    heads: list[np.ndarray] = []
    tails: list[np.ndarray] = []
    for start in range(0, len(rows), _ROW_CHUNK):
        block = (probe[start : start + _ROW_CHUNK] @ probe_t).tocsr()
        for local in range(block.shape[0]):
            lo, hi = block.indptr[local], block.indptr[local + 1]
            cols = block.indices[lo:hi]
            vals = block.data[lo:hi]
            if len(cols) > _NEIGHBOURS:
                top = np.argpartition(-vals, _NEIGHBOURS - 1)[:_NEIGHBOURS]
                cols = cols[top]
            cols = cols[cols != start + local]
            heads.append(np.full(len(cols), start + local, dtype=np.int64))
            tails.append(cols.astype(np.int64))
    if not heads:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    head = np.concatenate(heads)
    tail = np.concatenate(tails)
    low, high = np.minimum(head, tail), np.maximum(head, tail)
    pairs = np.unique(low * len(rows) + high)
    head, tail = pairs // len(rows), pairs % len(rows)
    sims = np.empty(len(head))
    for start in range(0, len(head), 65536):
        a = matrix[head[start : start + 65536]]
        b = matrix[tail[start : start + 65536]]
        sims[start : start + 65536] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    places = docs.vectors.places
    keep_pair = sims >= threshold
    for position in np.flatnonzero(keep_pair).tolist():
        pa, pb = places[rows[head[position]]], places[rows[tail[position]]]
        if pa and pb and not (pa & pb):
            keep_pair[position] = False
    return head[keep_pair], tail[keep_pair], sims[keep_pair]


def _term_columns(docs: _Docs) -> int:
    """Index of the first character n-gram column (term columns come first)."""
    return docs.vectors.term_columns


def _blocks(docs: _Docs, rows: np.ndarray, threshold: float) -> list[np.ndarray]:
    """Parts of ``rows`` that average linkage at ``threshold`` never joins across."""
    if len(rows) <= BLOCK_SIZE:
        return [rows]
    head, tail, sims = _neighbour_edges(docs, rows, threshold)
    return _split(rows, head, tail, sims, threshold)


def _split(
    rows: np.ndarray, head: np.ndarray, tail: np.ndarray, sims: np.ndarray, threshold: float
) -> list[np.ndarray]:
    count = len(rows)
    graph = sp.coo_matrix((np.ones(len(head)), (head, tail)), shape=(count, count))
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    found: list[np.ndarray] = []
    for part in np.split(order, bounds):
        if len(part) <= BLOCK_SIZE or threshold >= 1.0:
            found.append(rows[part])
            continue
        # A giant part (chained by single links): cut it at a higher similarity.
        inside = np.zeros(count, dtype=bool)
        inside[part] = True
        local = np.full(count, -1, dtype=np.int64)
        local[part] = np.arange(len(part))
        keep = inside[head] & inside[tail] & (sims >= threshold + _RAISE_STEP)
        found.extend(
            _split(
                rows[part],
                local[head[keep]],
                local[tail[keep]],
                sims[keep],
                threshold + _RAISE_STEP,
            )
        )
    return found


def _cluster_docs(docs: _Docs, *, threshold: float, progress: Progress) -> list[int]:
    """Representative document of each document."""
    count = len(docs.keys)
    representative = list(range(count))
    by_group: dict[Hashable, list[int]] = defaultdict(list)
    for doc, (group, _) in enumerate(docs.keys):
        by_group[group].append(doc)
    for group_docs in by_group.values():
        for block in _blocks(docs, np.asarray(group_docs, dtype=np.int64), threshold):
            if len(block) == 1:  # alone: its own representative
                progress(len(docs.members[int(block[0])]))
                continue
            sims = _similarities(docs, block)
            labels = _average_linkage(sims, threshold)
            sizes = np.asarray([len(docs.members[d]) for d in block.tolist()], dtype=np.float64)
            for label in np.unique(labels).tolist():
                inside = np.flatnonzero(labels == label)
                # Medoid: the most similar to the others, each counted per question.
                totals = sims[np.ix_(inside, inside)] @ sizes[inside]
                best = int(inside[int(np.argmax(totals))])
                for position in inside.tolist():
                    representative[int(block[position])] = int(block[best])
            progress(int(sizes.sum()))
    return representative


def cluster_texts(
    items: Sequence[tuple[str, str]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    groups: Mapping[str, Hashable] | None = None,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
) -> dict[str, str]:
    """Group duplicate questions.

    Args:
        items: ``(id, text)`` pairs; ids must be unique.
        threshold: average similarity (0-100) two groups need to be joined; higher gives
            smaller, purer groups. See :data:`DEFAULT_THRESHOLD`.
        groups: item id → topic group; questions of different groups are never put
            together automatically (a missing id is a group of its own kind: ``None``).
        must_link: id pairs an organiser merged ("gộp"); their groups are merged, across
            topic groups too (the organiser confirmed it).
        cannot_link: id pairs an organiser split ("tách"); they end in different groups,
            which wins over a conflicting ``must_link``.

    Returns:
        Item id → group label, where the label is the id of the group's representative
        question. The grouping is the same for any order of ``items``.

    Raises:
        ValueError: on a duplicate id.
    """
    return cluster_with_progress(
        items, threshold=threshold, groups=groups, must_link=must_link, cannot_link=cannot_link
    )


def cluster_with_progress(
    items: Sequence[tuple[str, str]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    groups: Mapping[str, Hashable] | None = None,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    progress: Progress = _no_progress,
) -> dict[str, str]:
    """:func:`cluster_texts`, reporting work done: ``progress(n)`` is called as items are
    normalised and again as they are grouped (``2 * len(items)`` units in all)."""
    ids = [item_id for item_id, _ in items]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i, count in Counter(ids).items() if count > 1)
        raise ValueError(f"duplicate id {duplicate!r}")
    if not items:
        return {}
    # Sorted by id, so that the result does not depend on the input order.
    order = sorted(range(len(items)), key=lambda i: ids[i])
    ids = [ids[i] for i in order]
    texts = [items[i][1] for i in order]
    item_groups: list[Hashable] = [
        _group_key(groups.get(item_id)) if groups is not None else None for item_id in ids
    ]
    docs, item_doc = _build_docs(texts, item_groups, progress=progress)
    representative = _cluster_docs(docs, threshold=threshold / 100.0, progress=progress)
    # Within a document, the representative item is the smallest id.
    doc_label = {d: ids[min(m)] for d, m in enumerate(docs.members)}
    labels = {ids[i]: doc_label[representative[item_doc[i]]] for i in range(len(ids))}
    from bot.clustering._constraints import apply_constraints

    matrix = docs.vectors.matrix
    doc_of = {ids[i]: item_doc[i] for i in range(len(ids))}

    def similar(a: str, b: str) -> float:
        return float(matrix[doc_of[a]].multiply(matrix[doc_of[b]]).sum())

    return apply_constraints(
        labels, similarity=similar, must_link=must_link, cannot_link=cannot_link
    )


def _group_key(value: Hashable) -> Hashable:
    # Topic names typed by hand differ in case and diacritics only ("Việc làm", "viec lam").
    return fold(value) if isinstance(value, str) else value
