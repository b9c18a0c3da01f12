"""Benchmark: how often the similar-question prompt offers a young person a question that
asks the same thing (dev2 only; the blind set is never read here).

    .venv/bin/python bench/similar_suggestions.py [--root SOURCE_TREE]

Each question of ``tests/data/cluster_dev2.jsonl`` is looked up as the chat looks it up at
submission, against the questions before it: with its topic group and unit, shown only
questions of its own unit (``Wanted(shown_to_unit=...)``), up to 3, at each threshold.
A suggestion is right when it shares the question's concern. The units are dev2's own,
then drawn at random among K (no link between unit and concern: how a province-wide
campaign's policy questions look), which shows what "same unit" is worth as evidence.
``--root`` runs the same lookups with another source tree (e.g. the code before a change).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if "--root" in sys.argv:
    at = sys.argv.index("--root")
    ROOT = Path(sys.argv[at + 1]).resolve()
    del sys.argv[at : at + 2]
sys.path.insert(0, str(ROOT))

from bot.clustering import SimilarIndex  # noqa: E402
from bot.clustering.index import Wanted  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "cluster_dev2.jsonl"
THRESHOLDS = (40, 45, 50, 55, 60, 70)


def suggestions(rows: list[dict[str, str]], unit_of: dict[str, int]) -> dict[int, list[int]]:
    """Per threshold: right suggestions, wrong ones, askers offered at least one."""
    topics = {t: i + 1 for i, t in enumerate(sorted({r["topic"] for r in rows}))}
    label = {r["id"]: r["label"] for r in rows}
    # As the chat asks (bot.clustering.similar.CampaignSimilarity.find), where the tree has it.
    extra = {"text_only": True} if "text_only" in Wanted.__dataclass_fields__ else {}
    index = SimilarIndex()
    result = {t: [0, 0, 0] for t in THRESHOLDS}
    for row in rows:
        unit = unit_of[row["id"]]
        query = index.query(row["text"], unit=unit, topic=topics[row["topic"]])
        wanted = Wanted(limit=3, min_score=min(THRESHOLDS), shown_to_unit=unit, **extra)
        [found] = index.tops(query, wanted)
        for threshold in THRESHOLDS:
            hits = [key for key, score in found if score >= threshold]
            result[threshold][0] += sum(label[k] == row["label"] for k in hits)
            result[threshold][1] += sum(label[k] != row["label"] for k in hits)
            result[threshold][2] += bool(hits)
        index.add(row["id"], row["text"], topic=topics[row["topic"]], unit=unit)
    return result


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    units = {u: i + 1 for i, u in enumerate(sorted({r["unit"] for r in rows}))}
    settings = {"dev2's own units": {r["id"]: units[r["unit"]] for r in rows}}
    for count in (20, 60):
        rng = random.Random(count)
        settings[f"{count} units at random"] = {r["id"]: rng.randrange(1, count + 1) for r in rows}
    print(f"source tree: {ROOT}")
    for name, unit_of in settings.items():
        print(name)
        for threshold, (right, wrong, offered) in suggestions(rows, unit_of).items():
            precision = right / max(right + wrong, 1)
            print(
                f"  from {threshold}: right {right:4d}, wrong {wrong:4d}, precision"
                f" {precision:.3f}, askers offered {offered}"
            )


if __name__ == "__main__":
    main()
