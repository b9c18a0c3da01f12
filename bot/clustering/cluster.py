"""Group duplicate questions ("gộp câu hỏi trùng") of one campaign.

Algorithm (deterministic, no chaining):

1. Each question is normalised to weighted terms (:mod:`bot.clustering.normalize`,
   :mod:`bot.clustering.scoring`); identical term sets are grouped first.
2. *Leader pass*: term sets are visited in a content-defined order (most repeated first,
   then by content), so the partition does not depend on input order or hash seed. Each
   joins the most similar existing representative if the score reaches the threshold,
   or becomes a representative itself. Candidates come from an inverted index over the
   representatives' terms, probed with the question's rarest terms only (blocking):
   a few dozen comparisons per question instead of all pairs.
3. *Refinement*: each group's medoid (the member most similar to the others) becomes its
   representative and every question is assigned again to its best representative.
   Every member of a group scores at least the threshold against the representative, so
   A≈B and B≈C never pull a distant C into A's group.
4. Organisers' decisions are applied last: ``cannot_link`` pairs are split apart,
   ``must_link`` pairs are merged (unless that would join a ``cannot_link`` pair).
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter

from bot.clustering.normalize import NormalizedQuestion, fold, normalize_question
from bot.clustering.scoring import Weighting, distinctness, exact_score, score_terms
from bot.clustering.spelling import Speller

__all__ = ["DEFAULT_THRESHOLD", "cluster_texts", "cluster_with_progress"]

#: Default similarity (0-100) a question needs with its group's representative to join it.
#: Chosen on the labelled development set (tests/data/cluster_dev.jsonl): thresholds 30-50
#: with the penalties of bot.clustering.scoring give B-cubed F1 within a point of the best
#: (0.80); 35 keeps B-cubed precision at 0.99 and the hard negatives scored on their own
#: ("lãi suất" against "hồ sơ" of the same loan, the same road in two communes, vocational
#: training against jobs for demobilised soldiers) below 30. A wrong merge hides a
#: question from the organisers while a missed one only shows a duplicate, hence the lean
#: towards precision.
DEFAULT_THRESHOLD = 35.0

#: Rarest terms of a question looked up in the representatives' index.
_PROBE_TERMS = 6
#: At most this many representatives are scored per question (best by shared
#: rare-term weight first).
_MAX_CANDIDATES = 16
#: Posting lists longer than this are skipped once enough candidates are found.
_LONG_POSTINGS = 200
#: Of those, the best few by exact term matches are scored again with typo matching.
_TYPO_CANDIDATES = 3
#: A newcomer must also score at least threshold × _CORE_FACTOR with each of the first
#: _CORE_SIZE members of a group: a representative B similar to both A and C does not
#: gather A and C when they are far apart (complete linkage on the group's core).
_CORE_SIZE = 8
_CORE_FACTOR = 0.8
#: Terms seen at most this often may be typos of others (see scoring.score_terms).
_SUSPECT_COUNT = 2
#: Members sampled when looking for a group's medoid: bounds the cost for huge groups.
_MEDOID_SAMPLE = 24
_REFINE_ROUNDS = 1


@dataclass(slots=True)
class _Doc:
    """One distinct term set and the items that share it."""

    key: tuple[str, ...]
    vector: dict[str, float]
    # Weight of all terms as extras (each times its distinctness).
    total: float
    prefix: tuple[str, ...]
    members: list[int]


def _probe_terms(vector: dict[str, float], df: Counter[str]) -> tuple[str, ...]:
    """The rarest terms shared with at least one other question (blocking keys).

    Two questions that belong together nearly always share one of each other's rarest
    words; probing only those keeps candidate lists short.
    """
    shared = [term for term in vector if df[term] > 1]
    shared.sort(key=lambda term: (-vector[term], term))
    return tuple(shared[:_PROBE_TERMS])


class _Representatives:
    """Inverted index over the representatives' terms."""

    def __init__(self, docs: list[_Doc], suspects: Container[str]) -> None:
        self._docs = docs
        self._suspects = suspects
        self._postings: dict[str, list[int]] = defaultdict(list)
        # Representative → its first members: a newcomer must not be far from them.
        self._core: dict[int, list[int]] = {}

    def add(self, doc_index: int) -> None:
        self._core[doc_index] = []
        for term in self._docs[doc_index].vector:
            self._postings[term].append(doc_index)

    def join(self, representative: int, doc_index: int) -> None:
        core = self._core[representative]
        if len(core) < _CORE_SIZE:
            core.append(doc_index)

    def _fits(self, doc: _Doc, representative: int, *, threshold: float) -> bool:
        """Whether ``doc`` is close enough to the group's first members (no chaining)."""
        floor = threshold * _CORE_FACTOR
        return all(
            score_terms(doc.vector, self._docs[m].vector, floor=floor, suspects=self._suspects)
            >= floor
            for m in self._core[representative]
        )

    def best(self, doc_index: int, *, threshold: float) -> tuple[int, float] | None:
        doc = self._docs[doc_index]
        overlap: dict[int, float] = defaultdict(float)
        for term in doc.prefix:
            postings = self._postings.get(term, ())
            # A common word adds little once rarer ones found candidates, and costs most.
            if len(postings) > _LONG_POSTINGS and len(overlap) >= _MAX_CANDIDATES:
                continue
            weight = doc.vector[term]
            for other in postings:
                overlap[other] += weight
        if not overlap:
            return None
        ranked = heapq.nlargest(_MAX_CANDIDATES, overlap.items(), key=itemgetter(1))
        # Exact term matches rank the candidates; the costlier typo-tolerant score is
        # computed for the front runners only.
        vector, total = doc.vector, doc.total
        exact = []
        for other, _ in ranked:
            other_doc = self._docs[other]
            other_vector = other_doc.vector
            shared = shared_extra = 0.0
            for term, weight in vector.items():
                if term in other_vector:
                    shared += weight
                    shared_extra += weight * distinctness(term)
            score = exact_score(shared, total - shared_extra, other_doc.total - shared_extra)
            exact.append((-score, other))
        exact.sort()
        best: tuple[int, float] | None = None
        for _, other in exact[:_TYPO_CANDIDATES]:
            floor = threshold if best is None else best[1]
            score = score_terms(
                doc.vector, self._docs[other].vector, floor=floor, suspects=self._suspects
            )
            if (
                score >= threshold
                and (best is None or score > best[1])
                and self._fits(doc, other, threshold=threshold)
            ):
                best = (other, score)
        return best


Progress = Callable[[int], None]


def _no_progress(_: int) -> None:
    pass


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


def _build_docs(
    texts: Sequence[str], *, progress: Progress = _no_progress
) -> tuple[list[_Doc], list[int], frozenset[str]]:
    """Distinct term sets in content order, the doc index of every item, and the rare
    terms (the only ones that may be typos)."""
    terms_by_text = _terms_by_text(texts, progress)
    item_terms = [terms_by_text[text] for text in texts]
    df: Counter[str] = Counter()
    for terms in item_terms:
        df.update(terms)
    weighting = Weighting(df, len(texts))
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, terms in enumerate(item_terms):
        groups[tuple(sorted(terms))].append(index)
    docs: list[_Doc] = []
    for key, members in groups.items():
        vector = {t: 0.0 if t.startswith("\0") else weighting.weight(t) for t in key}
        if any(t.startswith("\0") for t in key):
            vector = {}
        total = sum(weight * distinctness(term) for term, weight in vector.items())
        docs.append(_Doc(key, vector, total, _probe_terms(vector, df), members))
    docs.sort(key=lambda doc: (-len(doc.members), -sum(doc.vector.values()), doc.key))
    item_doc = [0] * len(texts)
    for doc_index, doc in enumerate(docs):
        for member in doc.members:
            item_doc[member] = doc_index
    suspects = frozenset(term for term, count in df.items() if count <= _SUSPECT_COUNT)
    return docs, item_doc, suspects


def _leader_pass(
    docs: list[_Doc],
    order: Iterable[int],
    *,
    threshold: float,
    suspects: Container[str],
    seeds: Iterable[int] = (),
    progress: Progress = _no_progress,
) -> dict[int, int]:
    """Assign each doc to its best representative, creating representatives as needed."""
    index = _Representatives(docs, suspects)
    assignment: dict[int, int] = {}
    for seed in seeds:
        index.add(seed)
    for doc_index in order:
        found = index.best(doc_index, threshold=threshold) if docs[doc_index].vector else None
        if found is None:
            index.add(doc_index)
            assignment[doc_index] = doc_index
        else:
            assignment[doc_index] = found[0]
            index.join(found[0], doc_index)
        progress(len(docs[doc_index].members))
    return assignment


def _medoid(docs: list[_Doc], members: list[int], suspects: Container[str]) -> int:
    """The member with the highest item-weighted similarity to the others."""
    if len(members) <= 2:
        return members[0]
    sample = members[:_MEDOID_SAMPLE]
    best, best_total = members[0], -1.0
    for candidate in sample:
        vector = docs[candidate].vector
        total = sum(
            len(docs[other].members)
            * (
                100.0
                if other == candidate
                else score_terms(vector, docs[other].vector, suspects=suspects)
            )
            for other in sample
        )
        if total > best_total:
            best, best_total = candidate, total
    return best


def _cluster_docs(
    docs: list[_Doc],
    *,
    threshold: float,
    suspects: Container[str],
    progress: Progress = _no_progress,
) -> dict[int, int]:
    order = range(len(docs))
    assignment = _leader_pass(
        docs, order, threshold=threshold, suspects=suspects, progress=progress
    )
    for _ in range(_REFINE_ROUNDS):
        groups: dict[int, list[int]] = defaultdict(list)
        for doc_index in order:
            groups[assignment[doc_index]].append(doc_index)
        medoid_of = {leader: _medoid(docs, members, suspects) for leader, members in groups.items()}
        changed = {leader for leader, medoid in medoid_of.items() if medoid != leader}
        if not changed:
            break
        medoids = sorted(medoid_of.values())
        seeds = set(medoids)
        # Groups whose representative stays keep their members; the members of the others
        # are assigned again, against every representative.
        redo = [i for i in order if assignment[i] in changed and i not in seeds]
        refined = _leader_pass(docs, redo, threshold=threshold, suspects=suspects, seeds=medoids)
        assignment = dict(assignment)
        assignment.update(refined)
        for seed in medoids:
            assignment[seed] = seed
    return assignment


def cluster_texts(
    items: Sequence[tuple[str, str]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
) -> dict[str, str]:
    """Group duplicate questions.

    Args:
        items: ``(id, text)`` pairs; ids must be unique.
        threshold: similarity (0-100) each member needs with its group's representative;
            higher gives smaller, purer groups. See :data:`DEFAULT_THRESHOLD`.
        must_link: id pairs an organiser merged ("gộp"); their groups are merged.
        cannot_link: id pairs an organiser split ("tách"); they end in different groups,
            which wins over a conflicting ``must_link``.

    Returns:
        Item id → group label, where the label is the id of the group's representative
        question. The grouping is the same for any order of ``items``.

    Raises:
        ValueError: on a duplicate id.
    """
    return cluster_with_progress(
        items, threshold=threshold, must_link=must_link, cannot_link=cannot_link
    )


def cluster_with_progress(
    items: Sequence[tuple[str, str]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
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
    docs, item_doc, suspects = _build_docs([text for _, text in items], progress=progress)
    assignment = _cluster_docs(docs, threshold=threshold, suspects=suspects, progress=progress)
    # Within a doc, the representative item is the smallest id: order-independent.
    doc_label = {i: min(ids[m] for m in doc.members) for i, doc in enumerate(docs)}
    labels = {ids[i]: doc_label[assignment[item_doc[i]]] for i in range(len(items))}
    from bot.clustering._constraints import apply_constraints

    return apply_constraints(
        labels,
        item_vectors={ids[i]: docs[item_doc[i]].vector for i in range(len(items))},
        must_link=must_link,
        cannot_link=cannot_link,
    )
