"""Quality floor of duplicate grouping on the labelled sets (see bench/cluster_quality.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clustering import cluster_texts
from bot.clustering.evaluation import bcubed, load_labelled, pairwise, sweep_baseline

DATA = Path(__file__).resolve().parent / "data"

# Measured at the default threshold: dev B-cubed F1 0.800, pairwise F1 0.658;
# holdout 0.824 / 0.559. The floors leave a margin for harmless changes of the word lists.
FLOORS = {"cluster_dev.jsonl": (0.77, 0.6), "cluster_holdout.jsonl": (0.79, 0.5)}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_quality_floor_and_better_than_baseline(name: str) -> None:
    rows = load_labelled(DATA / name)
    items = [(row.id, row.text) for row in rows]
    gold = {row.id: row.label for row in rows}
    ours = cluster_texts(items)
    b3_floor, pair_floor = FLOORS[name]
    assert bcubed(ours, gold).f1 >= b3_floor
    assert pairwise(ours, gold).f1 >= pair_floor
    assert bcubed(ours, gold).precision >= 0.95
    _, baseline = sweep_baseline(items, gold)
    assert bcubed(ours, gold).f1 > bcubed(baseline, gold).f1 + 0.05
    assert pairwise(ours, gold).f1 > pairwise(baseline, gold).f1 + 0.1


def test_dev_set_is_large_and_varied() -> None:
    rows = load_labelled(DATA / "cluster_dev.jsonl")
    labels = [row.label for row in rows]
    assert len(rows) >= 400
    assert len({row.id for row in rows}) == len(rows)
    assert sum(1 for label in set(labels) if labels.count(label) == 1) >= 50
    assert sum(1 for label in set(labels) if labels.count(label) >= 3) >= 40
    assert len(load_labelled(DATA / "cluster_holdout.jsonl")) >= 150
