"""How many candidates the similar-question lookup must score exactly: the top three found
with N candidates against those found with 48, over the dev and holdout questions (each
looked up against the questions before it, as at submission time).

    .venv/bin/python bench/lookup_candidates.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bot.clustering.index as index_module  # noqa: E402
from bot.clustering import SimilarIndex  # noqa: E402


def top_threes(rows: list[dict[str, str]], candidates: int) -> list[tuple[str, ...]]:
    index_module._CANDIDATES = candidates  # the module constant under test
    index = SimilarIndex()
    found = []
    for row in rows:
        found.append(tuple(key for key, _ in index.nearest(row["text"], limit=3)))
        index.add(str(row["id"]), row["text"])
    return found


def main() -> None:
    rows = []
    for name in ("cluster_dev.jsonl", "cluster_holdout.jsonl"):
        with (ROOT / "tests" / "data" / name).open(encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    reference = top_threes(rows, 48)
    for candidates in (24, 12):
        same = sum(a == b for a, b in zip(reference, top_threes(rows, candidates), strict=True))
        print(
            f"{candidates} candidates: same top three as 48 for {same / len(rows):.1%} of {len(rows)}"
        )


if __name__ == "__main__":
    main()
