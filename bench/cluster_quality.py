"""Quality of duplicate grouping on the labelled sets, against a plain baseline.

Usage::

    .venv/bin/python bench/cluster_quality.py [--no-ablations]

For tests/data/cluster_dev.jsonl (tuning set) and tests/data/cluster_holdout.jsonl
(held out) prints pairwise and B-cubed precision / recall / F1 of:

- ours: ``bot.clustering.cluster_texts`` at its default threshold;
- baseline: rapidfuzz ``token_set_ratio`` on lower-cased raw text, single link over all
  pairs, threshold picked by sweep (50-100) for the best pairwise F1 *on the same set*
  (an optimistic baseline);
- ablations: ours with one ingredient switched off, to show what each one brings.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clustering import DEFAULT_THRESHOLD, _lexicon, cluster, scoring  # noqa: E402
from bot.clustering import normalize as normalize_module  # noqa: E402
from bot.clustering.evaluation import (  # noqa: E402
    bcubed,
    load_labelled,
    pairwise,
    sweep_baseline,
)
from bot.clustering.spelling import Speller  # noqa: E402

SETS = {
    "dev": ROOT / "tests" / "data" / "cluster_dev.jsonl",
    "holdout": ROOT / "tests" / "data" / "cluster_holdout.jsonl",
}


def _row(name: str, predicted: dict[str, str], gold: dict[str, str]) -> str:
    pair, b3 = pairwise(predicted, gold), bcubed(predicted, gold)
    groups = len(set(predicted.values()))
    return (
        f"  {name:<34} pairwise P {pair.precision:.3f} R {pair.recall:.3f} F1 {pair.f1:.3f}"
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
def _without_synonyms() -> Iterator[None]:
    """Each synonym variant keeps its own term instead of the group's canonical one."""
    lexicon = _lexicon.get()
    phrases = dict(lexicon.phrases)
    words = dict(lexicon.words)
    for line in _lexicon._lines("synonyms.tsv"):
        for variant in line.split("\t"):
            own = _lexicon.term_of(variant)
            key = tuple(own.split("_"))
            if len(key) > 1:
                phrases[key] = own
            else:
                words[_lexicon._words(variant)[0]] = own
    plain = dataclasses.replace(lexicon, phrases=phrases, words=words)
    with _patched(_lexicon, "get", lambda: plain):
        yield


@contextlib.contextmanager
def _flat_distinctness() -> Iterator[None]:
    def one(term: str) -> float:
        return 1.0

    with _patched(scoring, "distinctness", one), _patched(cluster, "distinctness", one):
        yield


ABLATIONS: dict[str, Callable[[], contextlib.AbstractContextManager[None]]] = {
    "no IDF weighting": lambda: _patched(scoring, "IDF_POWER", 0.0),
    "no substitution penalty": lambda: _patched(scoring, "CONFLICT_PENALTY", 0.0),
    "no place/aspect distinctness": _flat_distinctness,
    "no synonyms file": _without_synonyms,
    "no typo repair": lambda: _patched(cluster, "Speller", _NoSpeller),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-ablations", action="store_true")
    args = parser.parse_args()
    print(f"default threshold {DEFAULT_THRESHOLD:g}")
    for set_name, path in SETS.items():
        rows = load_labelled(path)
        items = [(row.id, row.text) for row in rows]
        gold = {row.id: row.label for row in rows}
        print(f"{set_name}: {len(rows)} questions, {len(set(gold.values()))} concerns")
        print(_row("ours", cluster.cluster_texts(items), gold))
        threshold, baseline = sweep_baseline(items, gold)
        print(_row(f"baseline (token_set_ratio ≥ {threshold:g})", baseline, gold))
        if args.no_ablations:
            continue
        for name, switch in ABLATIONS.items():
            with switch():
                normalize_module._token_forms.cache_clear()
                predicted = cluster.cluster_texts(items)
            normalize_module._token_forms.cache_clear()
            print(_row(f"ours, {name}", predicted, gold))


if __name__ == "__main__":
    main()
