"""Quality measures for a grouping against hand labels, and the plain baseline to beat.

Used by ``bench/cluster_quality.py`` and the quality-floor tests; not by the bot itself.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

__all__ = [
    "LabelledQuestion",
    "Scores",
    "baseline_clusters",
    "bcubed",
    "load_labelled",
    "pairwise",
    "sweep_baseline",
]


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    id: str
    text: str
    label: str


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def load_labelled(path: Path) -> list[LabelledQuestion]:
    """Read a JSON Lines file of ``{"id", "text", "label"}`` objects."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            rows.append(LabelledQuestion(str(data["id"]), data["text"], str(data["label"])))
    return rows


def pairwise(predicted: Mapping[str, str], gold: Mapping[str, str]) -> Scores:
    """Precision and recall over the pairs of items put in the same group."""

    def pairs(assignment: Mapping[str, str]) -> set[tuple[str, str]]:
        groups: dict[str, list[str]] = defaultdict(list)
        for item_id in sorted(assignment):
            groups[assignment[item_id]].append(item_id)
        return {
            (members[i], members[j])
            for members in groups.values()
            for i in range(len(members))
            for j in range(i + 1, len(members))
        }

    found, expected = pairs(predicted), pairs(gold)
    both = len(found & expected)
    return Scores(
        both / len(found) if found else 1.0,
        both / len(expected) if expected else 1.0,
    )


def bcubed(predicted: Mapping[str, str], gold: Mapping[str, str]) -> Scores:
    """B-cubed precision and recall, averaged over items."""
    joint = Counter((predicted[i], gold[i]) for i in gold)
    predicted_size = Counter(predicted[i] for i in gold)
    gold_size = Counter(gold.values())
    precision = recall = 0.0
    for item_id, label in gold.items():
        overlap = joint[(predicted[item_id], label)]
        precision += overlap / predicted_size[predicted[item_id]]
        recall += overlap / gold_size[label]
    count = len(gold)
    return Scores(precision / count, recall / count)


def _baseline_matrix(texts: Sequence[str]) -> np.ndarray:
    lowered = [text.lower() for text in texts]
    return process.cdist(lowered, lowered, scorer=fuzz.token_set_ratio, dtype=np.uint8)


def baseline_clusters(
    items: Sequence[tuple[str, str]], *, threshold: float, matrix: np.ndarray | None = None
) -> dict[str, str]:
    """rapidfuzz ``token_set_ratio`` on lower-cased raw text, single link, all pairs."""
    if matrix is None:
        matrix = _baseline_matrix([text for _, text in items])
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows, cols = np.nonzero(matrix >= threshold)
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if i < j:
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {items[i][0]: items[find(i)][0] for i in range(len(items))}


def sweep_baseline(
    items: Sequence[tuple[str, str]], gold: Mapping[str, str]
) -> tuple[float, dict[str, str]]:
    """The baseline at the threshold (50-100) with the best pairwise F1 on ``gold``."""
    matrix = _baseline_matrix([text for _, text in items])
    best: tuple[float, float, dict[str, str]] | None = None
    for threshold in range(50, 101):
        labels = baseline_clusters(items, threshold=threshold, matrix=matrix)
        f1 = pairwise(labels, gold).f1
        if best is None or f1 > best[0]:
            best = (f1, float(threshold), labels)
    assert best is not None
    return best[1], best[2]
