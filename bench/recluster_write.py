"""Benchmark: storing a fresh grouping of 100,000 questions (``ClusterRepository.replace_all``,
the write at the end of the organisers' re-clustering) and how long a chat waits for the
write lock meanwhile.

    .venv/bin/python bench/recluster_write.py [--db SEEDED.db] [--root SOURCE_TREE]

The database is seeded as in ``bench/engine_intake.py`` (``--db`` keeps it for the next
run; each run works on a copy). The grouping is random (groups of 1 to 8 questions, about
33,500 groups for 100,000), stored twice in a row: the second run also drops the groups of
the first. A "chat" opens a quick transaction every 5 ms meanwhile, as the engine does
for each event; its longest wait is the silence a young person would see.
``--root`` runs the same bench against another source tree (the code before a change).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if "--root" in sys.argv:
    at = sys.argv.index("--root")
    ROOT = Path(sys.argv[at + 1]).resolve()
    del sys.argv[at : at + 2]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(Path(__file__).resolve().parent))

from engine_intake import prepare  # noqa: E402

from bot.application.app import App  # noqa: E402
from bot.application.config import Settings  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from storage import Store  # noqa: E402


async def chat(store: Store, writing: asyncio.Event, waits: list[float]) -> None:
    """A quick transaction every 5 ms while ``writing`` is set, as chat events make."""
    while writing.is_set():
        t0 = time.perf_counter()
        async with store.transaction(quick=True):
            await store.db.fetchone("SELECT count(*) AS n FROM clusters WHERE id = 1")
        waits.append(time.perf_counter() - t0)
        await asyncio.sleep(0.005)


async def run(db: Path, rounds: int) -> list[tuple[int, float, float, float]]:
    os.environ["YOUTHBOT_DB"] = str(db)
    clock = FakeClock(datetime(2025, 7, 2, 2, tzinfo=UTC))
    results = []
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        store = app.store
        campaign = (await store.campaigns.active())[0]
        ids = [row.id for row in await store.questions.texts(campaign.id)]
        rng = random.Random(1)
        rng.shuffle(ids)
        groups: list[list[int]] = []
        while len(ids) > sum(map(len, groups)):
            start = sum(map(len, groups))
            groups.append(sorted(ids[start : start + rng.choice([1, 1, 1, 2, 3, 5, 8])]))
        groups.sort(key=min)
        for _ in range(rounds):
            waits: list[float] = []
            writing = asyncio.Event()
            writing.set()
            task = asyncio.create_task(chat(store, writing, waits))
            await asyncio.sleep(0.05)
            t0, c0 = time.perf_counter(), time.process_time()
            await store.clusters.replace_all(
                campaign.id, groups, [g[0] for g in groups], now=clock.now()
            )
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            writing.clear()
            await task
            results.append((len(groups), wall, cpu, max(waits)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--db", type=Path, help="reuse (or create) a seeded database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        seeded = args.db or Path(folder) / "seed.db"
        if not seeded.exists():
            t0 = time.perf_counter()
            asyncio.run(prepare(seeded, args.questions))
            print(f"prepared {args.questions:,} questions in {time.perf_counter() - t0:.1f} s")
        copy = Path(folder) / "run.db"
        shutil.copyfile(seeded, copy)
        results = asyncio.run(run(copy, args.rounds))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"code: {ROOT}")
    for number, (groups, wall, cpu, wait) in enumerate(results, 1):
        print(
            f"round {number}: {groups:,} groups stored in {wall:.2f} s ({cpu:.2f} s CPU); "
            f"longest chat wait {wait * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
