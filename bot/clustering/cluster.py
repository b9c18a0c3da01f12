"""Group duplicate questions ("gộp câu hỏi trùng") of one campaign.

Algorithm (deterministic, no chaining):

1. Each question is normalised to terms (:mod:`bot.clustering.normalize`; greetings and
   self-introductions left out, typos repaired against the vocabulary of all the
   questions) and turned into term TF-IDF and character n-gram vectors
   (:mod:`bot.clustering.features`); the communes, provinces, hamlets and facets it names
   are its *marks* (:mod:`bot.clustering.places`, :mod:`bot.clustering.model`). Questions
   with the same terms, marks (and topic group) are one *document*.
2. The similarity of two documents is the pair model's probability that they ask the same
   thing (:mod:`bot.clustering.model`: a logistic regression over the two cosines and the
   marks, learned from the labelled development sets; two questions of one topic group
   whose askers' units are known, the pairs the bot compares, have weights learned on such
   pairs alone). Two questions whose question parts name different communes or hamlets
   are never the same concern (:data:`model.NEVER`).
3. *Average linkage* (UPGMA) joins documents while the average probability over all
   pairs of two groups reaches the threshold. Unlike the single link, a chain A≈B≈C does
   not pull a distant C into A's group: every member must be close to the group as a
   whole.
4. Large inputs are first cut into blocks: each document's nearest neighbours are found
   by sparse products over its rarer terms, and average linkage runs exactly inside each
   connected part of the neighbour graph (parts larger than :data:`BLOCK_SIZE` are cut
   again at a higher probability).
5. Topic groups, when given, are never mixed. Organisers' decisions are applied last:
   ``cannot_link`` pairs are split apart, ``must_link`` pairs are merged (unless that
   would join a ``cannot_link`` pair).

Each group's label is the id of its *medoid*: the member most similar to the others,
weighted by how well it reads (:func:`well_formed`: diacritics, a capital), so that the
question officials see for the group is a well-written one, not a teencode one.
"""

from __future__ import annotations

import multiprocessing
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.pool import Pool
from typing import TypeVar

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components

from bot.clustering import model
from bot.clustering.features import Vectors, vectorize
from bot.clustering.model import NO_MARKS, MarkMatrix, Marks, marks_of
from bot.clustering.normalize import NormalizedQuestion, fold, normalize_question
from bot.clustering.spelling import Speller

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_THRESHOLD",
    "THRESHOLD_WITHOUT_UNITS",
    "cluster_texts",
    "cluster_with_progress",
]

#: Default average probability (0-100) of "same concern" that two groups need to be
#: joined. Chosen with the pair model by cross-validation on the development sets
#: (tests/data/cluster_dev2.jsonl and the older cluster_dev.jsonl; see
#: bench/train_pair_model.py and docs/benchmarks.md). A wrong merge hides a question from
#: the organisers while a missed one only shows a duplicate, hence the lean towards
#: precision.
DEFAULT_THRESHOLD = model.get().threshold
#: The same for questions whose askers' units are not known (a file without units).
THRESHOLD_WITHOUT_UNITS = model.get().threshold_without_units
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

    keys: list[tuple[Hashable, tuple[str, ...], Hashable]]
    members: list[list[int]]
    vectors: Vectors
    marks: MarkMatrix
    #: Unit code of each document (model.NO_UNIT when not known).
    units: np.ndarray
    #: Topic group code of each document (-1 when not known).
    groups: np.ndarray


# Below this many distinct texts a second process costs more than it saves.
PARALLEL_FROM = 20_000
_CHUNK = 2_000


def _terms_of(question: NormalizedQuestion, text: str) -> tuple[str, ...]:
    # A question with no content term only equals its own wording.
    return question.terms or ("\0" + fold(text),)


# What a worker sends back for one text: its accent-free words joined by spaces, its terms
# joined by _SEP, and its marks (None for none). Strings, not tuples of strings: the parent
# unpickles 100,000 of these while both cores normalise, and that cost was a third of a
# worker's (3.5 s of CPU at 100,000 questions).
_Analysed = tuple[str, str, Marks | None]
# Never inside a term: a term is a word, a phrase's name or "\0" + fold(text), and fold()
# splits on it as whitespace.
_SEP = "\x1f"


def _analyse_chunk(texts: list[str]) -> list[_Analysed]:
    analysed: list[_Analysed] = []
    for text in texts:
        question = normalize_question(text)
        terms = _terms_of(question, text)
        marks = marks_of(terms, text)
        analysed.append((" ".join(question.folded), _SEP.join(terms), marks or None))
    return analysed


_Shared = TypeVar("_Shared")


@contextmanager
def _forked_pool(slot: list[_Shared], shared: _Shared, workers: int) -> Iterator[Pool]:
    """``workers`` forked processes that read ``shared`` from ``slot``, a module global:
    inherited by the fork, not pickled with each task (documents, matrices, texts)."""
    slot.append(shared)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield pool
    finally:
        slot.clear()


# The texts of a parallel normalisation: each task is a slice's bounds, so the parent
# pickles two numbers per chunk instead of its texts.
_FORKED_TEXTS: list[list[str]] = []


def _analyse_slice(bounds: tuple[int, int]) -> list[_Analysed]:
    return _analyse_chunk(_FORKED_TEXTS[0][bounds[0] : bounds[1]])


def _analyse_distinct(distinct: list[str], *, workers: int, progress: Progress) -> list[_Analysed]:
    """Each text normalised and its places found, in ``workers`` processes when there are
    many (each text is independent; the lexicons are inherited by fork, not reloaded)."""
    bounds = [(i, min(i + _CHUNK, len(distinct))) for i in range(0, len(distinct), _CHUNK)]
    done: list[_Analysed] = []
    if workers > 1 and len(distinct) >= PARALLEL_FROM:
        with _forked_pool(_FORKED_TEXTS, distinct, workers) as pool:
            for part in pool.imap(_analyse_slice, bounds):
                done.extend(part)
                progress(len(part))
        return done
    for start, end in bounds:
        done.extend(_analyse_chunk(distinct[start:end]))
        progress(end - start)
    return done


def _terms_by_text(
    texts: Sequence[str], progress: Progress, *, workers: int = 1
) -> tuple[dict[str, tuple[str, ...]], dict[str, Marks]]:
    """Terms and marks (places, facets) of each distinct text, typos repaired against the
    vocabulary of all texts."""
    repeats = Counter(texts)
    distinct = list(repeats)
    analysed = _analyse_distinct(distinct, workers=workers, progress=progress)
    progress(len(texts) - len(distinct))  # the repeated texts: nothing more to do
    counts: Counter[str] = Counter()
    for text, (words, _, _) in zip(distinct, analysed, strict=True):
        times = repeats[text]
        if times == 1:
            counts.update(words.split())
        else:
            for word in words.split():
                counts[word] += times
    speller = Speller(counts)
    # The words the speller repairs, found once: most texts have none of them.
    repaired = {word for word in counts if speller.correct(word)}
    terms_by_text: dict[str, tuple[str, ...]] = {}
    marks_by_text: dict[str, Marks] = {}
    for text, (words, joined, marks) in zip(distinct, analysed, strict=True):
        if repaired and not repaired.isdisjoint(words.split()):
            terms = _terms_of(normalize_question(text, speller=speller), text)
            marks_by_text[text] = marks_of(terms, text)
        else:
            terms = tuple(joined.split(_SEP))
            marks_by_text[text] = marks or NO_MARKS
        terms_by_text[text] = terms
    return terms_by_text, marks_by_text


def _build_docs(
    texts: Sequence[str],
    groups: Sequence[Hashable],
    *,
    units: Sequence[int] | None = None,
    progress: Progress = _no_progress,
    workers: int = 1,
) -> tuple[_Docs, list[int]]:
    if units is not None:
        # A unit holding too many of the questions to tell them apart is "not known".
        dominant = model.dominant_units(Counter(units), len(units))
        if dominant:
            units = [model.NO_UNIT if unit in dominant else unit for unit in units]
    terms_by_text, marks_by_text = _terms_by_text(texts, progress, workers=workers)
    index: dict[tuple[Hashable, tuple[str, ...], Hashable], int] = {}
    members: list[list[int]] = []
    keys: list[tuple[Hashable, tuple[str, ...], Hashable]] = []
    item_doc: list[int] = []
    for item, (text, group) in enumerate(zip(texts, groups, strict=True)):
        marks = marks_by_text[text]
        # Questions with the same terms but other places are other documents.
        where = (marks.communes, marks.places, marks.provinces, marks.hamlets)
        unit = units[item] if units is not None else model.NO_UNIT
        key = (group, tuple(sorted(terms_by_text[text])), (where, unit))
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
    for (_, terms, _), items in zip(keys, members, strict=True):
        for term in terms:
            df[term] += len(items)
    term_rows = [tuple(t for t in terms if not t.startswith("\0")) for _, terms, _ in keys]
    vectors = vectorize(term_rows, df=df, documents=len(texts))
    mark_matrix = MarkMatrix([marks_by_text[texts[items[0]]] for items in members])
    doc_units = np.asarray(
        [units[items[0]] if units is not None else model.NO_UNIT for items in members],
        dtype=np.int64,
    )
    group_codes: dict[Hashable, int] = {}
    doc_groups = np.asarray(
        [
            -1 if group is None else group_codes.setdefault(group, len(group_codes))
            for group, _, _ in keys
        ],
        dtype=np.int64,
    )
    return _Docs(keys, members, vectors, mark_matrix, doc_units, doc_groups), item_doc


def _similarities(docs: _Docs, rows: np.ndarray) -> np.ndarray:
    """Dense matrix of pair probabilities (0-1, :mod:`bot.clustering.model`) of some
    documents, all of one topic group."""
    terms = docs.vectors.terms[rows]
    grams = docs.vectors.grams[rows]
    general = model.get()
    units = docs.units[rows]
    known = units != model.NO_UNIT
    inner = general.same_topic if docs.groups[rows[0]] >= 0 and known.any() else None
    term_cos: np.ndarray = np.asarray((terms @ terms.T).toarray(), dtype=np.float64)
    gram_cos: np.ndarray = np.asarray((grams @ grams.T).toarray(), dtype=np.float64)
    if inner is None or known.all():
        # The logit built in place: a block of 2,500 documents is 50 MB per matrix.
        logits = _logits(inner or general, docs, rows, term_cos, gram_cos, in_place=True)
    else:  # some units unknown: their pairs keep the general weights
        both = known[:, None] & known[None, :]
        logits = np.where(
            both,
            _logits(inner, docs, rows, term_cos, gram_cos),
            _logits(general, docs, rows, term_cos, gram_cos),
        )
    sims: np.ndarray = np.negative(logits, out=logits)
    np.exp(sims, out=sims)
    sims += 1.0
    np.reciprocal(sims, out=sims)
    hard = docs.marks.hard_block(rows)
    if hard is not None:
        sims[hard] = model.NEVER
    np.fill_diagonal(sims, 1.0)
    return sims


def _logits(
    pair_model: model.PairModel,
    docs: _Docs,
    rows: np.ndarray,
    term_cos: np.ndarray,
    gram_cos: np.ndarray,
    *,
    in_place: bool = False,
) -> np.ndarray:
    """The pair model's logits of every pair of ``rows`` (``in_place``: in ``term_cos``)."""
    weights = pair_model.weights
    logits = term_cos if in_place else term_cos.copy()
    logits *= weights[0]
    if in_place:
        gram_cos *= weights[1]
        logits += gram_cos
    else:
        logits += weights[1] * gram_cos
    logits += pair_model.intercept
    docs.marks.add_block(rows, logits, weights[2:6])
    pair_model.add_units(logits, docs.units[rows])
    return logits


def pair_probabilities(docs: _Docs, head: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """Probabilities (0-1) of the document pairs (head[k], tail[k])."""
    features = np.empty((len(head), len(model.FEATURES)), dtype=np.float32)
    vectors = docs.vectors
    for column, matrix in enumerate((vectors.terms, vectors.grams)):
        for start in range(0, len(head), 65536):
            a = matrix[head[start : start + 65536]]
            b = matrix[tail[start : start + 65536]]
            features[start : start + 65536, column] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    features[:, 2:6] = docs.marks.pairs(head, tail)
    features[:, 6:] = model.get().unit_features(docs.units[head], docs.units[tail])
    topical = (docs.groups[head] >= 0) & (docs.groups[head] == docs.groups[tail])
    probabilities = model.get().probability(features, topical)
    result: np.ndarray = np.asarray(probabilities, dtype=np.float64)
    result[docs.marks.hard_pairs(head, tail)] = model.NEVER
    return result


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
    docs: _Docs, rows: np.ndarray, threshold: float, *, workers: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i, j, similarity) of documents among ``rows`` (local indices) that are
    among each other's nearest by rarer terms and similar at least ``threshold``
    (``workers`` > 1: the nearest are searched in that many forked processes)."""
    # Probe with the terms; drop the commonest terms (they add pairs, not precision)
    # unless a document has nothing else.
    terms = docs.vectors.terms[rows].tocsc()
    df = np.diff(terms.indptr)
    limit = max(50, int(_COMMON_SHARE * len(rows)))
    keep = np.flatnonzero(df <= limit)
    probe = terms[:, keep].tocsr()
    probe_t = probe.T.tocsr()
    starts = range(0, len(rows), _ROW_CHUNK)
    if workers > 1 and len(starts) > 1:
        with _forked_pool(_FORKED_PROBE, (probe, probe_t), workers) as pool:
            found = pool.map(_nearest_slice, starts)
    else:
        found = [_nearest(probe, probe_t, start) for start in starts]
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    pairs = np.unique(np.concatenate(found))
    head, tail = pairs // len(rows), pairs % len(rows)
    sims = pair_probabilities(docs, rows[head], rows[tail])
    keep_pair = sims >= threshold
    return head[keep_pair], tail[keep_pair], sims[keep_pair]


# The probe matrices of a parallel neighbour search (:func:`_forked_pool`).
_FORKED_PROBE: list[tuple[sp.csr_matrix, sp.csr_matrix]] = []


def _nearest_slice(start: int) -> np.ndarray:
    probe, probe_t = _FORKED_PROBE[0]
    return _nearest(probe, probe_t, start)


def _nearest(probe: sp.csr_matrix, probe_t: sp.csr_matrix, start: int) -> np.ndarray:
    """The pairs (low * n + high, distinct) of the rows from ``start`` (one chunk) and
    their :data:`_NEIGHBOURS` nearest by shared probe weight."""
    count = probe.shape[0]
    block = (probe[start : start + _ROW_CHUNK] @ probe_t).tocsr()
    heads: list[np.ndarray] = []
    tails: list[np.ndarray] = []
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
        return np.zeros(0, dtype=np.int64)
    head = np.concatenate(heads)
    tail = np.concatenate(tails)
    pairs: np.ndarray = np.unique(np.minimum(head, tail) * count + np.maximum(head, tail))
    return pairs


def _blocks(
    docs: _Docs, rows: np.ndarray, threshold: float, *, workers: int = 1
) -> list[np.ndarray]:
    """Parts of ``rows`` that average linkage at ``threshold`` never joins across."""
    if len(rows) <= BLOCK_SIZE:
        return [rows]
    head, tail, sims = _neighbour_edges(docs, rows, threshold, workers=workers)
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


def well_formed(text: str) -> float:
    """How well ``text`` reads as written Vietnamese, 0.6-1.0: the share of its words with
    diacritics (a question typed without them, or in teencode, reads worse to officials),
    and a capital first letter. Used to pick a group's representative among near-equals."""
    words = _LETTERED.findall(text)
    if not words:
        return 0.6
    marked = sum(1 for w in words if not w.isascii())
    score = min(1.0, marked / len(words) / 0.3) * 0.8
    score += 0.2 if words[0][:1].isupper() else 0.0
    return 0.6 + 0.4 * score


_LETTERED = re.compile(r"[^\W\d_]+")  # runs of letters: words without their punctuation


# The documents, threshold and text quality of a parallel grouping, inherited by the
# forked workers (a module global: the matrices are shared, not pickled).
_FORKED: list[tuple[_Docs, float, Sequence[float] | None]] = []


def _represent(block: np.ndarray) -> np.ndarray:
    """The representative document of each document of a block (one worker task)."""
    docs, threshold, quality = _FORKED[0]
    return _represent_block(docs, block, threshold, quality)


def _group_blocks(rows: np.ndarray) -> list[np.ndarray]:
    """The blocks of one topic group's documents (one worker task)."""
    docs, threshold, _ = _FORKED[0]
    return _blocks(docs, rows, threshold)


def _represent_block(
    docs: _Docs, block: np.ndarray, threshold: float, quality: Sequence[float] | None
) -> np.ndarray:
    sims = _similarities(docs, block)
    labels = _average_linkage(sims, threshold)
    sizes = np.asarray([len(docs.members[d]) for d in block.tolist()], dtype=np.float64)
    chosen = np.empty(len(block), dtype=np.int64)
    for label in np.unique(labels).tolist():
        inside = np.flatnonzero(labels == label)
        # Medoid: the most similar to the others, each counted per question.
        totals = sims[np.ix_(inside, inside)] @ sizes[inside]
        if quality is not None:
            totals = totals * np.asarray([quality[int(block[i])] for i in inside])
        chosen[inside] = block[inside[int(np.argmax(totals))]]
    return chosen


def _cluster_docs(
    docs: _Docs,
    *,
    threshold: float,
    progress: Progress,
    quality: Sequence[float] | None = None,
    workers: int = 1,
) -> list[int]:
    """Representative document of each document (``quality``: how well each document's
    text reads, :func:`well_formed`; it tips the choice between near-equal medoids).
    ``workers`` > 1: the large topic groups are cut into blocks, and the blocks grouped, in
    that many forked processes (the result is the same: each group and each block is
    handled alone)."""
    count = len(docs.keys)
    representative = list(range(count))
    by_group: dict[Hashable, list[int]] = defaultdict(list)
    for doc, (group, _, _) in enumerate(docs.keys):
        by_group[group].append(doc)
    groups = [np.asarray(group_docs, dtype=np.int64) for group_docs in by_group.values()]
    parallel = workers > 1 and count >= PARALLEL_FROM
    # Only topic groups larger than a block need their blocks found (the neighbour search).
    large = [rows for rows in groups if len(rows) > BLOCK_SIZE]
    blocks: list[np.ndarray] = []

    def collect(found: Iterable[list[np.ndarray]]) -> None:
        for group_blocks in found:
            for block in group_blocks:
                if len(block) == 1:  # alone: its own representative
                    progress(len(docs.members[int(block[0])]))
                else:
                    blocks.append(block)

    collect([rows] for rows in groups if len(rows) <= BLOCK_SIZE)
    if len(large) == 1:
        # One large group (a file without topics): its neighbours searched in the
        # workers, before the pool below exists (never two pools at once).
        collect([_blocks(docs, large[0], threshold, workers=workers if parallel else 1)])
    elif not parallel:
        collect(_blocks(docs, rows, threshold) for rows in large)
    if not parallel:
        results = [(block, _represent_block(docs, block, threshold, quality)) for block in blocks]
    else:
        # One pool for the large groups' blocks (one group per task) and the grouping.
        with _forked_pool(_FORKED, (docs, threshold, quality), workers) as pool:
            if len(large) > 1:
                collect(pool.imap(_group_blocks, large))
            results = list(zip(blocks, pool.imap(_represent, blocks, chunksize=8), strict=True))
    for block, chosen in results:
        for doc, best in zip(block.tolist(), chosen.tolist(), strict=True):
            representative[doc] = best
        progress(sum(len(docs.members[d]) for d in block.tolist()))
    return representative


def cluster_texts(
    items: Sequence[tuple[str, str]],
    *,
    threshold: float | None = None,
    groups: Mapping[str, Hashable] | None = None,
    units: Mapping[str, Hashable] | None = None,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
) -> dict[str, str]:
    """Group duplicate questions.

    Args:
        items: ``(id, text)`` pairs; ids must be unique.
        threshold: average probability (0-100) of "same concern" two groups need to be
            joined; higher gives smaller, purer groups. Default: :data:`DEFAULT_THRESHOLD`
            when ``units`` are given, :data:`THRESHOLD_WITHOUT_UNITS` otherwise.
        groups: item id → topic group; questions of different groups are never put
            together automatically (a missing id is a group of its own kind: ``None``).
        units: item id → the asker's unit (commune, school, …), a signal of the pair
            model (a missing id or ``None``: not known).
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
        items,
        threshold=threshold,
        groups=groups,
        units=units,
        must_link=must_link,
        cannot_link=cannot_link,
    )


def cluster_with_progress(
    items: Sequence[tuple[str, str]],
    *,
    threshold: float | None = None,
    groups: Mapping[str, Hashable] | None = None,
    units: Mapping[str, Hashable] | None = None,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    progress: Progress = _no_progress,
    workers: int = 1,
) -> dict[str, str]:
    """:func:`cluster_texts`, reporting work done: ``progress(n)`` is called as items are
    normalised and again as they are grouped (``2 * len(items)`` units in all).
    ``workers``: processes that normalise the texts of a large batch and group its blocks
    (the command line uses the machine's cores; inside the bot's event loop it stays 1:
    no fork there)."""
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
    unit_codes = _unit_codes([units.get(i) for i in ids]) if units is not None else None
    if threshold is None:
        known = unit_codes is not None and any(code != model.NO_UNIT for code in unit_codes)
        threshold = DEFAULT_THRESHOLD if known else THRESHOLD_WITHOUT_UNITS
    docs, item_doc = _build_docs(
        texts, item_groups, units=unit_codes, progress=progress, workers=workers
    )
    # Within a document, the representative item is the best written (then the smallest id).
    # (Scored once per distinct text: at 100,000 questions this is on the batch's budget.)
    scores: dict[str, float] = {}

    def written(i: int) -> float:
        score = scores.get(texts[i])
        if score is None:
            score = scores[texts[i]] = well_formed(texts[i])
        return score

    doc_best = [
        min(m, key=lambda i: (-written(i), i)) if len(m) > 1 else min(m) for m in docs.members
    ]
    quality = [written(i) for i in doc_best]
    representative = _cluster_docs(
        docs, threshold=threshold / 100.0, progress=progress, quality=quality, workers=workers
    )
    doc_label = {d: ids[best] for d, best in enumerate(doc_best)}
    labels = {ids[i]: doc_label[representative[item_doc[i]]] for i in range(len(ids))}
    from bot.clustering._constraints import apply_constraints

    doc_of = {ids[i]: item_doc[i] for i in range(len(ids))}

    def similar(a: str, b: str) -> float:
        pair = (np.asarray([doc_of[a]]), np.asarray([doc_of[b]]))
        return float(pair_probabilities(docs, *pair)[0])

    return apply_constraints(
        labels, similarity=similar, must_link=must_link, cannot_link=cannot_link
    )


def _unit_codes(values: Sequence[Hashable]) -> list[int]:
    """Small integer codes of units (the same unit typed alike gets one code)."""
    codes: dict[Hashable, int] = {}
    result = []
    for value in values:
        key = _group_key(value)
        result.append(model.NO_UNIT if key in (None, "") else codes.setdefault(key, len(codes)))
    return result


def _group_key(value: Hashable) -> Hashable:
    # Topic names typed by hand differ in case and diacritics only ("Việc làm", "viec lam").
    return fold(value) if isinstance(value, str) else value
