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

# Measured at the default threshold (docs/benchmarks.md, issue 12, second round: the
# learned pair score), text only:
#   set       B-cubed F1  pairwise P   (baseline B-cubed F1)
#   dev       0.826       0.872        (0.647)
#   holdout   0.865       0.987        (0.756)
#   dev2      0.577       0.809        (0.534)
#   blind     0.553       0.866        (0.522)
# The floors leave a margin for harmless changes of the word lists.
FLOORS = {
    "cluster_dev.jsonl": (0.80, 0.84),
    "cluster_holdout.jsonl": (0.84, 0.95),
    "cluster_dev2.jsonl": (0.56, 0.78),
    "cluster_blind.jsonl": (0.53, 0.84),
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


#: With the asker's topic group and unit, as the bot groups, scored by the same-topic
#: weights (measured: dev2 0.681 / 0.893, blind 0.653 / 0.870; the issue's bar for
#: precision is 0.85).
BOT_FLOORS = {"cluster_dev2.jsonl": (0.66, 0.87), "cluster_blind.jsonl": (0.63, 0.85)}


@pytest.mark.parametrize("name", sorted(BOT_FLOORS))
def test_topics_and_units_as_the_bot_groups(name: str) -> None:
    rows = load_labelled(DATA / name)
    items = [(row.id, row.text) for row in rows]
    gold = {row.id: row.label for row in rows}
    text_only = cluster_texts(items)
    bot = cluster_texts(
        items,
        groups={row.id: row.topic for row in rows},
        units={row.id: row.unit for row in rows},
    )
    b3_floor, precision_floor = BOT_FLOORS[name]
    assert bcubed(bot, gold).f1 >= b3_floor
    assert pairwise(bot, gold).precision >= precision_floor
    # The unit is evidence: recall rises well above the text alone.
    assert bcubed(bot, gold).recall > bcubed(text_only, gold).recall + 0.04


@pytest.mark.parametrize("name", ["cluster_dev2.jsonl", "cluster_blind.jsonl"])
def test_topic_groups_raise_precision(name: str) -> None:
    rows = load_labelled(DATA / name)
    items = [(row.id, row.text) for row in rows]
    gold = {row.id: row.label for row in rows}
    with_topics = cluster_texts(items, groups={row.id: row.topic for row in rows})
    assert pairwise(with_topics, gold).precision >= pairwise(cluster_texts(items), gold).precision
    assert pairwise(with_topics, gold).precision >= 0.86


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


@pytest.mark.parametrize("name", ["cluster_dev2.jsonl", "cluster_blind.jsonl"])
def test_a_commune_campaign_where_everyone_names_one_unit_keeps_its_precision(name: str) -> None:
    """In a commune's own campaign nearly every asker names the commune. "Same unit" was
    learned as strong evidence from sets with hundreds of units; counted here it grouped
    dev2 at pairwise precision 0.40. A unit holding most questions now says nothing."""
    rows = load_labelled(DATA / name)
    items = [(row.id, row.text) for row in rows]
    gold = {row.id: row.label for row in rows}
    groups = {row.id: row.topic for row in rows}
    one_unit = cluster_texts(items, groups=groups, units={row.id: "Xã Đàm Thuỷ" for row in rows})
    assert one_unit == cluster_texts(items, groups=groups)
    assert pairwise(one_unit, gold).precision >= 0.85
