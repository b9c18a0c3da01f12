"""Quality of duplicate grouping on the labelled sets, against the plain baseline.

Usage::

    .venv/bin/python bench/cluster_quality.py [--ablations] [--no-blind] [--old PATH]

For each labelled set in tests/data (``cluster_dev.jsonl`` and ``cluster_holdout.jsonl``,
the older sets; ``cluster_dev2.jsonl``, the large tuning set; ``cluster_blind.jsonl``,
never looked at: only these aggregate scores are printed) prints pairwise and B-cubed
precision / recall / F1 of:

- ours: ``bot.clustering.cluster_texts`` at its default threshold, on the text alone;
- ours + topic: the same with the asker's topic group as a constraint;
- ours + units, ours + topic + units: with the asker's unit as a signal of the pair model
  (and its threshold for known units); topic and unit together are what the bot has;
- baseline: TF-IDF of character 3-5-grams (diacritics stripped), cosine, average
  linkage, at the threshold with the best B-cubed F1 *on dev2* (on the old dev set when
  dev2 is absent), the same threshold on every set;
- with ``--old PATH``: the method before this change, from a copy of its source tree
  (e.g. ``git archive 658c7c5 | tar -x -C /tmp/old``), run in a subprocess;
- with ``--ablations``: ours with one ingredient changed, to show what each one brings.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clustering import DEFAULT_THRESHOLD, _lexicon, cluster, model  # noqa: E402
from bot.clustering import normalize as normalize_module  # noqa: E402
from bot.clustering import places as places_module  # noqa: E402
from bot.clustering.evaluation import (  # noqa: E402
    LabelledQuestion,
    baseline_clusters,
    bcubed,
    load_labelled,
    pairwise,
    sweep_baseline,
)
from bot.clustering.places import Places  # noqa: E402
from bot.clustering.spelling import Speller  # noqa: E402

DATA = ROOT / "tests" / "data"
SETS = {
    "dev": DATA / "cluster_dev.jsonl",
    "holdout": DATA / "cluster_holdout.jsonl",
    "dev2": DATA / "cluster_dev2.jsonl",
    "blind": DATA / "cluster_blind.jsonl",
}

_OLD_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from bot.clustering import cluster_texts
items = [tuple(x) for x in json.load(sys.stdin)]
json.dump(cluster_texts(items), sys.stdout)
"""


def row(name: str, predicted: dict[str, str], gold: dict[str, str]) -> str:
    pair, b3 = pairwise(predicted, gold), bcubed(predicted, gold)
    groups = len(set(predicted.values()))
    return (
        f"  {name:<40} pairwise P {pair.precision:.3f} R {pair.recall:.3f} F1 {pair.f1:.3f}"
        f" | B-cubed P {b3.precision:.3f} R {b3.recall:.3f} F1 {b3.f1:.3f} | {groups} groups"
    )


@contextlib.contextmanager
def _patched(target: object, name: str, value: object) -> Iterator[None]:
    old = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, old)


class _NoSpeller(Speller):
    def correct(self, word: str) -> str | None:
        return None


@contextlib.contextmanager
def _lexicon_without(*, synonyms: tuple[str, ...] = (), facets: bool = False) -> Iterator[None]:
    lexicon = _lexicon.get()
    changes: dict[str, object] = {}
    if facets:
        changes["facets"] = {}
    if synonyms:
        phrases = dict(lexicon.phrases)
        words = dict(lexicon.words)
        lines = [line for name in synonyms for line in _lexicon._lines(name, optional=True)]
        for line in lines:
            for variant in line.split("\t"):
                own = _lexicon.term_of(variant)
                key = tuple(own.split("_"))
                if len(key) > 1:
                    phrases[key] = own
                else:
                    words[_lexicon._words(variant)[0]] = own
        changes["phrases"] = phrases
        changes["words"] = words
    plain = dataclasses.replace(lexicon, **changes)  # type: ignore[arg-type]
    with _patched(_lexicon, "get", lambda: plain):
        yield


@contextlib.contextmanager
def _lexicon_files(names: tuple[str, ...]) -> Iterator[None]:
    """The lexicon as if only these synonym files were there."""
    _lexicon.get.cache_clear()
    try:
        with _patched(_lexicon, "SYNONYM_FILES", names):
            yield
    finally:
        _lexicon.get.cache_clear()


ABLATIONS: dict[str, Callable[[], contextlib.AbstractContextManager[None]]] = {
    "no synonym files": lambda: _lexicon_without(synonyms=_lexicon.SYNONYM_FILES),
    "no domain lexicon": lambda: _lexicon_files(_lexicon.SYNONYM_FILES[:1]),
    "no facets file": lambda: _lexicon_without(facets=True),
    "no typo repair": lambda: _patched(cluster, "Speller", _NoSpeller),
    "introductions kept in the terms": lambda: _patched(
        normalize_module, "_question_text", lambda text: text
    ),
    "no places (communes, provinces)": lambda: _patched(
        model, "question_places", lambda text: (Places(), Places())
    ),
}


def _clear_caches() -> None:
    normalize_module._token_forms.cache_clear()
    normalize_module._word_info.cache_clear()
    places_module.analyse.cache_clear()


def _ours(
    rows: list[LabelledQuestion], *, topics: bool = False, units: bool = False
) -> dict[str, str]:
    items = [(r.id, r.text) for r in rows]
    groups = {r.id: r.topic for r in rows} if topics else None
    unit_of = {r.id: r.unit for r in rows} if units else None
    return cluster.cluster_texts(items, groups=groups, units=unit_of)


def _old(rows: list[LabelledQuestion], source: Path) -> dict[str, str]:
    items = [[r.id, r.text] for r in rows]
    done = subprocess.run(
        [sys.executable, "-c", _OLD_SCRIPT, str(source)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        check=True,
    )
    labels: dict[str, str] = json.loads(done.stdout)
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ablations", action="store_true")
    parser.add_argument("--no-blind", action="store_true", help="leave the blind set out")
    parser.add_argument("--only", choices=sorted(SETS), help="score this set only")
    parser.add_argument("--old", type=Path, help="source tree of the previous method")
    args = parser.parse_args()
    present = {name: path for name, path in SETS.items() if path.exists()}
    if args.no_blind:
        present.pop("blind", None)
    shown = [args.only] if args.only else list(present)
    tuning = "dev2" if "dev2" in present else "dev"
    tuning_rows = load_labelled(present[tuning])
    threshold, _ = sweep_baseline(
        [(r.id, r.text) for r in tuning_rows], {r.id: r.label for r in tuning_rows}
    )
    print(
        f"ours: threshold {DEFAULT_THRESHOLD:g} with units, {cluster.THRESHOLD_WITHOUT_UNITS:g} without; baseline threshold {threshold:.2f}"
    )
    print(f"(baseline threshold chosen for the best B-cubed F1 on {tuning})")
    for set_name, path in present.items():
        if set_name not in shown:
            continue
        rows = load_labelled(path)
        gold = {r.id: r.label for r in rows}
        print(f"{set_name}: {len(rows)} questions, {len(set(gold.values()))} concerns")
        print(row("ours", _ours(rows), gold))
        if all(r.topic is not None for r in rows):
            print(row("ours + topic groups", _ours(rows, topics=True), gold))
        if all(r.unit is not None for r in rows):
            print(row("ours + units", _ours(rows, units=True), gold))
            print(
                row(
                    "ours + topic groups + units (the bot)",
                    _ours(rows, topics=True, units=True),
                    gold,
                )
            )
        items = [(r.id, r.text) for r in rows]
        print(
            row(
                f"baseline (TF-IDF char 3-5, avg ≥ {threshold:.2f})",
                baseline_clusters(items, threshold=threshold),
                gold,
            )
        )
        if args.old is not None:
            print(row("previous method", _old(rows, args.old), gold))
        if not args.ablations:
            continue
        for name, switch in ABLATIONS.items():
            with switch():
                _clear_caches()
                predicted = _ours(rows)
            _clear_caches()
            print(row(f"ours, {name}", predicted, gold))


if __name__ == "__main__":
    main()
