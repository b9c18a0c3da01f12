"""Train the pair model of the grouping (``bot/clustering/data/pair_model.json``).

Usage::

    .venv/bin/python bench/train_pair_model.py [--write] [--precision P] [--topic-precision P] [--folds K]

Pairs of questions from the development sets (``tests/data/cluster_dev2.jsonl`` and the
older ``cluster_dev.jsonl``; never the blind set), with the features of
:mod:`bot.clustering.model` computed by the grouping's own code, label 1 when both
questions share a concern. Every pair of a set is used, so the hard negatives (same words,
another ask; same ask, another commune) are all in.

Cross-validation is grouped by concern: dev2's concerns are split in K folds; the pairs
between folds a and b are scored by a logistic regression trained on the pairs of the
other folds (and of the old dev set), so no concern is scored by a model that saw it.
Every dev2 pair is used twice, with the askers' units known and without them, so that one
model serves both. A second model (``same_topic`` in the JSON) is learned from the pairs
of one topic group with units known, the only pairs the bot ever compares (it never groups
across topic groups and always knows units): fitted on them alone it is not dominated by
the many easy pairs of different topics (cross-validated on dev2: B-cubed F1 0.685 at
pairwise precision 0.852 with units and topics, against 0.640 at 0.860 for the one model).
Average linkage on the out-of-fold probabilities gives, for each threshold, the B-cubed
and pairwise scores on dev2 in four settings: text alone, with the asker's topic group as
a constraint, with units, with both (as the bot groups). Two thresholds are chosen: with
units, the best F1 with units and topics among the thresholds whose pairwise precision
reaches ``--topic-precision`` there and ``--precision`` with units but no topics; without
units (a file without a unit column), the best F1 with topics among those reaching
``--topic-precision`` with topics and ``--precision-without-units`` on the text alone. The
final models are then fitted on all pairs, and ``--write`` stores them with the thresholds
and the cross-validated figures.

Needs scikit-learn (a development dependency); the bot itself only reads the JSON file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clustering import cluster, model  # noqa: E402
from bot.clustering.evaluation import bcubed, load_labelled, pairwise  # noqa: E402

DATA = ROOT / "tests" / "data"
OUT = ROOT / "bot" / "clustering" / "data" / "pair_model.json"
THRESHOLDS = [t / 100 for t in range(20, 86, 5)]


def item_features(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Features (n, n, len(FEATURES)) of every pair of questions, as the grouping sees
    them with no unit known, and the pairs in hard conflict (n, n)."""
    docs, item_doc = cluster._build_docs(texts, [None] * len(texts))
    rows = np.arange(len(docs.keys))
    terms, grams = docs.vectors.terms, docs.vectors.grams
    features = np.zeros((len(rows), len(rows), len(model.FEATURES)), dtype=np.float32)
    features[..., 0] = (terms @ terms.T).toarray()
    features[..., 1] = (grams @ grams.T).toarray()
    features[..., 2:6] = docs.marks.block(rows)
    hard = docs.marks.hard_block(rows)
    if hard is None:
        hard = np.zeros((len(rows), len(rows)), dtype=bool)
    index = np.asarray(item_doc)
    return features[np.ix_(index, index)], hard[np.ix_(index, index)]


def with_units(features: np.ndarray, units: list[str | None]) -> np.ndarray:
    """The same features with the askers' units known (``same_unit``, ``units_known``)."""
    codes = np.asarray(cluster._unit_codes(units))
    result = features.copy()
    head = np.repeat(codes, len(codes)).reshape(len(codes), len(codes))
    result[..., 6:] = model.get().unit_features(head, head.T)
    return result


def upper(matrix: np.ndarray) -> np.ndarray:
    count = matrix.shape[0]
    result: np.ndarray = matrix[np.triu_indices(count, k=1)]
    return result


def folds(labels: list[str], count: int, seed: int = 0) -> np.ndarray:
    names = sorted(set(labels))
    np.random.RandomState(seed).shuffle(names)
    fold = {name: position % count for position, name in enumerate(names)}
    return np.asarray([fold[label] for label in labels])


def fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    return fitted.coef_[0].astype(np.float64), float(fitted.intercept_[0])


def probabilities(x: np.ndarray, weights: np.ndarray, intercept: float) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-(x @ weights + intercept)))
    return result


def upgma(sims: np.ndarray, threshold: float) -> np.ndarray:
    labels: np.ndarray = cluster._average_linkage(sims, threshold)
    return labels


def scores(predicted: np.ndarray, gold: list[str]) -> tuple[float, float, float]:
    p = {str(i): str(label) for i, label in enumerate(predicted.tolist())}
    g = {str(i): label for i, label in enumerate(gold)}
    b3, pair = bcubed(p, g), pairwise(p, g)
    return b3.f1, pair.precision, pair.recall


def _coefficients(weights: np.ndarray, intercept: float) -> dict[str, object]:
    """A model's weights by feature name and its intercept, as ``pair_model.json`` has them."""
    return {
        "weights": {
            name: round(value, 6)
            for name, value in zip(model.FEATURES, weights.tolist(), strict=True)
        },
        "intercept": round(intercept, 6),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {OUT.name}")
    parser.add_argument("--precision", type=float, default=0.70)
    parser.add_argument("--topic-precision", type=float, default=0.85)
    parser.add_argument("--precision-without-units", type=float, default=0.75)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation")
    args = parser.parse_args()

    dev2 = load_labelled(DATA / "cluster_dev2.jsonl")
    old = load_labelled(DATA / "cluster_dev.jsonl")
    gold = [row.label for row in dev2]
    x2, hard2 = item_features([row.text for row in dev2])
    count = len(dev2)
    same = np.asarray(gold)[:, None] == np.asarray(gold)[None, :]
    # Every dev2 pair twice: with the askers' units and without (the old set has none).
    xk, xh, yp, hp = (
        upper(with_units(x2, [r.unit for r in dev2])),
        upper(x2),
        upper(same),
        upper(hard2),
    )
    old_labels = np.asarray([row.label for row in old])
    xo_all, hard_old = item_features([row.text for row in old])
    soft_old = ~upper(hard_old)
    # Pairs in hard conflict are decided by the rule, not learned.
    xo = upper(xo_all)[soft_old]
    yo = upper(old_labels[:, None] == old_labels[None, :])[soft_old]

    fold = folds(gold, args.folds)
    head, tail = np.triu_indices(count, k=1)
    fa, fb = fold[head], fold[tail]
    topics = np.asarray([row.topic or "" for row in dev2])
    same_topic = topics[:, None] == topics[None, :]
    # The second model scores the pairs of one topic group, the only ones grouping
    # compares when topics are known: learned from those pairs alone, it is not
    # dominated by the many easy pairs of different topics.
    st = upper(same_topic)
    oof = {name: np.zeros(len(yp)) for name in ("text", "units", "text+topics", "units+topics")}
    for a in range(args.folds):
        for b in range(a, args.folds):
            train = (fa != a) & (fa != b) & (fb != a) & (fb != b) & ~hp
            test = ((fa == a) & (fb == b)) | ((fa == b) & (fb == a))
            weights, intercept = fit(
                np.vstack([xk[train], xh[train], xo]),
                np.concatenate([yp[train], yp[train], yo]),
                args.c,
            )
            oof["units"][test] = probabilities(xk[test], weights, intercept)
            oof["text"][test] = probabilities(xh[test], weights, intercept)
            oof["text+topics"][test] = oof["text"][test]
            inside = train & st
            weights, intercept = fit(xk[inside], yp[inside], args.c)
            oof["units+topics"][test] = probabilities(xk[test], weights, intercept)
    regimes = {}
    for name in ("text", "text+topics", "units", "units+topics"):
        out_of_fold = oof[name]
        out_of_fold[hp] = model.NEVER
        sims = np.zeros((count, count))
        sims[head, tail] = out_of_fold
        sims += sims.T
        if name.endswith("+topics"):
            sims = np.where(same_topic, sims, 0.0)
        np.fill_diagonal(sims, 1.0)
        regimes[name] = sims
    print(f"pairs in hard conflict: {hp.sum()} ({yp[hp].sum()} of them same concern)")
    print("cross-validated on dev2: B-cubed F1 / pairwise P, by what the grouping knows")
    print("  threshold: " + " | ".join(f"{name:>13}" for name in regimes))
    table: list[tuple[float, dict[str, tuple[float, float, float]]]] = []
    for threshold in THRESHOLDS:
        row = {name: scores(upgma(sims, threshold), gold) for name, sims in regimes.items()}
        table.append((threshold, row))
        print(
            f"  {threshold:.2f}:      "
            + " | ".join(f"{f:.3f} / {p:.3f}" for f, p, _ in row.values())
        )
    good = [
        (t, row)
        for t, row in table
        if row["units+topics"][1] >= args.topic_precision and row["units"][1] >= args.precision
    ]
    chosen = max(good or table, key=lambda entry: entry[1]["units+topics"][0])[0]
    print(
        f"chosen threshold {chosen:.2f}: best F1 with units and topics among pairwise"
        f" precision ≥ {args.topic_precision} (units and topics), ≥ {args.precision}"
        " (units, no topics)"
    )
    # Without units (a file with no unit column) the same precision needs a higher cut.
    good = [
        (t, row)
        for t, row in table
        if row["text+topics"][1] >= args.topic_precision
        and row["text"][1] >= args.precision_without_units
    ]
    without = max(good or table, key=lambda entry: entry[1]["text+topics"][0])[0]
    print(
        f"chosen threshold without units {without:.2f}: best F1 with topics among pairwise"
        f" precision ≥ {args.topic_precision} (topics), ≥ {args.precision_without_units}"
        " (text alone)"
    )

    weights, intercept = fit(
        np.vstack([xk[~hp], xh[~hp], xo]), np.concatenate([yp[~hp], yp[~hp], yo]), args.c
    )
    print("final model:", dict(zip(model.FEATURES, np.round(weights, 3).tolist(), strict=True)))
    print("intercept:", round(intercept, 3))
    inside = ~hp & st
    topic_weights, topic_intercept = fit(xk[inside], yp[inside], args.c)
    print(
        "same-topic model:",
        dict(zip(model.FEATURES, np.round(topic_weights, 3).tolist(), strict=True)),
        "intercept",
        round(topic_intercept, 3),
    )
    if args.write:
        document = {
            "about": "Logistic regression over pair features (bot/clustering/model.py); "
            "written by bench/train_pair_model.py from cluster_dev2.jsonl and cluster_dev.jsonl.",
            **_coefficients(weights, intercept),
            "same_topic": {
                "about": "Used for two questions of one known topic group whose askers' "
                "units are known (learned from those pairs of cluster_dev2.jsonl only).",
                **_coefficients(topic_weights, topic_intercept),
            },
            "threshold": round(100 * chosen, 1),
            "threshold_without_units": round(100 * without, 1),
            "cross_validation": {
                "folds": args.folds,
                "min_pairwise_precision": {
                    "with units": {
                        "units": args.precision,
                        "units+topics": args.topic_precision,
                    },
                    "without units": {
                        "text": args.precision_without_units,
                        "text+topics": args.topic_precision,
                    },
                },
                "dev2": [
                    {
                        "threshold": t,
                        **{
                            name: {"bcubed_f1": round(f, 4), "pairwise_p": round(p, 4)}
                            for name, (f, p, _) in row.items()
                        },
                    }
                    for t, row in table
                ],
            },
        }
        OUT.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", "utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
