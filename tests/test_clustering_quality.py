"""Quality floor of duplicate grouping on the labelled sets (see bench/cluster_quality.py).

``cluster_dev2.jsonl`` is the tuning set; ``cluster_blind.jsonl`` is never looked at: only
these aggregate scores are computed on it (tests/data/CLUSTER_SETS.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clustering import cluster_texts
from bot.clustering.evaluation import baseline_clusters, bcubed, load_labelled, pairwise

DATA = Path(__file__).resolve().parent / "data"

# Measured at the default threshold (docs/benchmarks.md, issue 12), text only:
#   set       B-cubed F1  pairwise P   (baseline B-cubed F1)
#   dev       0.823       0.928        (0.647)
#   holdout   0.872       0.965        (0.756)
#   dev2      0.547       0.804        (0.534)
#   blind     0.540       0.879        (0.522)
# The floors leave a margin for harmless changes of the word lists.
FLOORS = {
    "cluster_dev.jsonl": (0.79, 0.88),
    "cluster_holdout.jsonl": (0.84, 0.92),
    "cluster_dev2.jsonl": (0.52, 0.77),
    "cluster_blind.jsonl": (0.51, 0.84),
}
#: The baseline's cut (average cosine similarity), chosen for its best B-cubed F1 on dev2.
BASELINE_THRESHOLD = 0.17


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_quality_floor_and_better_than_baseline(name: str) -> None:
    rows = load_labelled(DATA / name)
    items = [(row.id, row.text) for row in rows]
    gold = {row.id: row.label for row in rows}
    ours = cluster_texts(items)
    b3_floor, precision_floor = FLOORS[name]
    assert bcubed(ours, gold).f1 >= b3_floor
    assert pairwise(ours, gold).precision >= precision_floor
    baseline = baseline_clusters(items, threshold=BASELINE_THRESHOLD)
    assert bcubed(ours, gold).f1 > bcubed(baseline, gold).f1
    assert pairwise(ours, gold).precision > pairwise(baseline, gold).precision + 0.3


@pytest.mark.parametrize("name", ["cluster_dev2.jsonl", "cluster_blind.jsonl"])
def test_topic_groups_raise_precision(name: str) -> None:
    rows = load_labelled(DATA / name)
    items = [(row.id, row.text) for row in rows]
    gold = {row.id: row.label for row in rows}
    with_topics = cluster_texts(items, groups={row.id: row.topic for row in rows})
    assert pairwise(with_topics, gold).precision >= pairwise(cluster_texts(items), gold).precision
    assert pairwise(with_topics, gold).precision >= 0.83


def test_sets_are_large_and_varied() -> None:
    rows = load_labelled(DATA / "cluster_dev.jsonl")
    labels = [row.label for row in rows]
    assert len(rows) >= 400
    assert len({row.id for row in rows}) == len(rows)
    assert sum(1 for label in set(labels) if labels.count(label) == 1) >= 50
    assert sum(1 for label in set(labels) if labels.count(label) >= 3) >= 40
    assert len(load_labelled(DATA / "cluster_holdout.jsonl")) >= 150
    dev2 = load_labelled(DATA / "cluster_dev2.jsonl")
    blind = load_labelled(DATA / "cluster_blind.jsonl")
    assert len(dev2) >= 1000 and len(blind) >= 800
    assert not {row.id for row in dev2} & {row.id for row in blind}
    assert all(row.topic for row in dev2 + blind)
