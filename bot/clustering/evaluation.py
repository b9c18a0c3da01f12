"""Quality measures for a grouping against hand labels, and the plain baseline to beat
(TF-IDF of character 3-5-grams, diacritics stripped, average linkage).

Used by ``bench/cluster_quality.py`` and the quality-floor tests; not by the bot itself.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "LabelledQuestion",
    "Scores",
    "baseline_clusters",
    "baseline_similarities",
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
    topic: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def load_labelled(path: Path) -> list[LabelledQuestion]:
    """Read a JSON Lines file of ``{"id", "text", "label"[, "topic"][, "unit"]}`` objects."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            topic, unit = data.get("topic"), data.get("unit")
            rows.append(
                LabelledQuestion(
                    str(data["id"]),
                    data["text"],
                    str(data["label"]),
                    str(topic) if topic not in (None, "") else None,
                    str(unit) if unit not in (None, "") else None,
                )
            )
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


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def baseline_similarities(texts: Sequence[str]) -> np.ndarray:
    """Cosine similarities of TF-IDF vectors of character 3-5-grams (diacritics stripped,
    lower case), scikit-learn's defaults otherwise."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(3, 5), preprocessor=_strip_marks)
    matrix = vectorizer.fit_transform(list(texts))
    sims: np.ndarray = np.asarray((matrix @ matrix.T).toarray(), dtype=np.float64)
    return sims


def baseline_clusters(
    items: Sequence[tuple[str, str]], *, threshold: float, sims: np.ndarray | None = None
) -> dict[str, str]:
    """The plain baseline: TF-IDF character 3-5-grams, cosine, average linkage, cut at
    average similarity ``threshold`` (0-1)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(items) < 2:
        return {item_id: item_id for item_id, _ in items}
    if sims is None:
        sims = baseline_similarities([text for _, text in items])
    distances = np.clip(1.0 - sims, 0.0, None)
    condensed = distances[np.triu_indices(len(items), k=1)]
    flat = fcluster(linkage(condensed, method="average"), t=1.0 - threshold, criterion="distance")
    first: dict[int, str] = {}
    for (item_id, _), label in zip(items, flat.tolist(), strict=True):
        first.setdefault(label, item_id)
    return {item_id: first[label] for (item_id, _), label in zip(items, flat.tolist(), strict=True)}


def sweep_baseline(
    items: Sequence[tuple[str, str]], gold: Mapping[str, str]
) -> tuple[float, dict[str, str]]:
    """The baseline's threshold (0.05-0.95) with the best B-cubed F1 on ``gold``, and its
    grouping there."""
    sims = baseline_similarities([text for _, text in items])
    best: tuple[float, float, dict[str, str]] | None = None
    for step in range(5, 96):
        threshold = step / 100.0
        labels = baseline_clusters(items, threshold=threshold, sims=sims)
        f1 = bcubed(labels, gold).f1
        if best is None or f1 > best[0]:
            best = (f1, threshold, labels)
    assert best is not None
    return best[1], best[2]
