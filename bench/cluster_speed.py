"""Speed of duplicate grouping on synthetic-but-realistic campaigns.

Usage::

    .venv/bin/python bench/cluster_speed.py [--size 100000] [--seed 2025] [--in-process]
        [--naive-sizes 1000,2000,5000] [--skip-naive] [--skip-batch] [--topics-units]
        [--root SOURCE_TREE]

Reports: the batch command end to end on SIZE questions (wall time, peak RSS of the
process that ran it), SimilarIndex build time and lookup p50/p99 over 1000 lookups with
SIZE questions indexed, and a naive all-pairs comparison (rapidfuzz ``cdist`` with
``token_set_ratio``) at small sizes, with its ratio to ``cluster_texts`` at the same sizes.
``--topics-units`` gives the batch's input a topic group (one of 13, fixed per concern,
another one for one question in ten, as people pick) and a unit (one of 40) per question,
as a campaign's export has them: the pair model's unit and same-topic weights then run.
The questions come from ``bench/corpus.py`` (hand-written questions rewritten as many
people write them), not from templates. ``--root`` runs the same bench against another
source tree (e.g. ``git archive 658c7c5 | tar -x -C /tmp/old``).

Targets (2-core machine): 100,000 questions grouped in ≤ 30 s with peak RSS ≤ 1.5 GB,
lookup p99 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

# --root runs the bench against another source tree (the code before a change, say).
ROOT = Path(__file__).resolve().parent.parent
if "--root" in sys.argv:
    at = sys.argv.index("--root")
    ROOT = Path(sys.argv[at + 1]).resolve()
    del sys.argv[at : at + 2]
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from bot.clustering import SimilarIndex, cluster_texts  # noqa: E402

try:
    from bot.clustering import Wanted
except ImportError:  # the code before SimilarIndex.tops (--root)
    Wanted = None  # type: ignore[assignment,misc]


def synthetic_questions(count: int, *, seed: int) -> list[tuple[str, str, str]]:
    """``count`` (id, concern, text) triples from ``bench/corpus.py`` (realistic variety)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus import labelled

    return labelled(count, seed=seed)


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


def _topics(concerns: list[str], *, seed: int) -> list[int]:
    """A topic group per question: fixed per concern, another one in ten times."""
    rng = random.Random(seed)
    return [
        zlib.crc32(concern.encode()) % 13 + 1 if rng.random() >= 0.1 else rng.randrange(1, 14)
        for concern in concerns
    ]


def bench_batch(
    questions: list[tuple[str, str]],
    *,
    in_process: bool,
    concerns: list[str] | None,
    seed: int,
) -> None:
    """The batch command on ``questions``; with ``concerns``, a topic group (from the
    concern) and a unit per question too."""
    rng = random.Random(seed)
    topics_units = concerns is not None
    topics = _topics(concerns, seed=seed) if concerns is not None else []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "questions.jsonl"
        target = Path(tmp) / "clusters.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for number, (item_id, text) in enumerate(questions):
                row: dict[str, object] = {"id": item_id, "text": text}
                if topics_units:
                    row["topic"] = f"T{topics[number]}"
                    row["unit"] = f"U{rng.randrange(1, 41)}"
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        if in_process:
            from bot.clustering.batch import main

            start, cpu_start = time.perf_counter(), time.process_time()
            status = main([str(source), "--out", str(target)])
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            rss = _peak_rss_mb(resource.RUSAGE_SELF)
            how = f"in process: bot.clustering.batch.main, CPU {cpu:.1f} s"
        else:
            # ``youthbot cluster`` when the CLI exists, else the package's own entry point.
            has_cli = (ROOT / "bot" / "cli.py").exists()
            entry = ["-m", "bot", "cluster"] if has_cli else ["-m", "bot.clustering"]
            command = [sys.executable, *entry, str(source), "--out", str(target)]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            status = subprocess.run(command, cwd=ROOT, check=False).returncode
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            rss = after.ru_maxrss / 1024.0
            how = f"subprocess: python {' '.join(entry)} INPUT --out OUT, CPU {cpu:.1f} s"
        labels = [json.loads(line)["cluster"] for line in target.read_text("utf-8").splitlines()]
    print(
        f"batch ({how}): {len(questions):,} questions, exit {status}, {elapsed:.1f} s, "
        f"peak RSS {rss:,.0f} MB, {len(set(labels)):,} groups"
    )


def bench_index(questions: list[tuple[str, str]], *, seed: int) -> None:
    index = SimilarIndex()
    # As in a campaign: 13 topic groups, 40 units, one question in ten anonymous.
    rng = random.Random(seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    for key, text in questions:
        index.add(
            key,
            text,
            topic=rng.randrange(1, 14),
            unit=rng.randrange(1, 41),
            shown=rng.random() >= 0.1,
        )
    build = time.perf_counter() - start
    build_cpu = time.process_time() - cpu_start
    queries = [text for _, _, text in synthetic_questions(1000, seed=seed + 1)]
    timings = []
    for text in queries:
        t0 = time.perf_counter()
        index.nearest(text, limit=3)
        timings.append((time.perf_counter() - t0) * 1000.0)
    timings.sort()
    p50 = timings[len(timings) // 2]
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(
        f"SimilarIndex: build {len(questions):,} in {build:.1f} s (CPU {build_cpu:.1f} s); "
        f"nearest() over 1000 lookups: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {timings[-1]:.2f} ms"
    )
    # As the intake does it at each question: one query, the best of the same topic group,
    # the best three that may be shown to the asker. CPU time, so that other processes on
    # a shared machine count less.
    # The asker's topic group and unit, drawn like the questions': the best of the topic
    # group (its cluster), and the best three this person may be shown (their unit's).
    cpu = []
    for text in queries:
        topic, unit = rng.randrange(1, 14), rng.randrange(1, 41)
        c0 = time.process_time()
        query = index.query(text, unit=unit)
        if hasattr(index, "tops"):  # both filters scored in one pass, as the intake does
            index.tops(query, Wanted(limit=1, topic=topic), Wanted(limit=3, shown_to_unit=unit))
        else:  # the code before (--root)
            index.top(query, limit=1, topic=topic)
            index.top(query, limit=3, shown_to_unit=unit)
        cpu.append((time.process_time() - c0) * 1000.0)
    cpu.sort()
    print(
        f"intake lookup (query, best of the topic group, best three of the unit) over 1000: CPU p50 "
        f"{cpu[len(cpu) // 2]:.2f} ms, mean {sum(cpu) / len(cpu):.2f} ms, "
        f"p99 {cpu[int(len(cpu) * 0.99) - 1]:.2f} ms"
    )


def bench_naive(questions: list[tuple[str, str]], sizes: list[int]) -> None:
    for size in sizes:
        items = questions[:size]
        texts = [text.lower() for _, text in items]
        t0 = time.perf_counter()
        process.cdist(texts, texts, scorer=fuzz.token_set_ratio, workers=1)
        cdist_time = time.perf_counter() - t0
        t0 = time.perf_counter()
        cluster_texts(items)
        ours = time.perf_counter() - t0
        line = (
            f"n={size:,}: ours cluster_texts {ours:.2f} s | all-pairs rapidfuzz cdist "
            f"token_set_ratio {cdist_time:.2f} s ({cdist_time / ours:.1f}x ours)"
        )
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--naive-sizes", default="1000,2000,5000")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-batch", action="store_true", help="only the index and lookups")
    parser.add_argument(
        "--topics-units", action="store_true", help="a topic group and a unit per batch question"
    )
    args = parser.parse_args()
    rows = synthetic_questions(args.size, seed=args.seed)
    questions = [(item_id, text) for item_id, _, text in rows]
    print(f"{len(questions):,} synthetic questions, e.g. {questions[0][1]!r}")
    if not args.skip_batch:
        bench_batch(
            questions,
            in_process=args.in_process,
            concerns=[concern for _, concern, _ in rows] if args.topics_units else None,
            seed=args.seed,
        )
    bench_index(questions, seed=args.seed)
    if not args.skip_naive:
        bench_naive(questions, [int(s) for s in args.naive_sizes.split(",") if s])


if __name__ == "__main__":
    main()
