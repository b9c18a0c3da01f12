"""Benchmark: storing a fresh grouping of 100,000 questions (``ClusterRepository.replace_all``,
the write at the end of the organisers' re-clustering) and how long a chat waits for the
write lock meanwhile.

    .venv/bin/python bench/recluster_write.py [--db SEEDED.db] [--root SOURCE_TREE]

The database is seeded as in ``bench/engine_intake.py`` (``--db`` keeps it for the next
run; each run works on a copy). The grouping is random (groups of 1 to 8 questions, about
33,500 groups for 100,000), stored twice in a row: the second run also drops the groups of
the first. A "chat" opens a quick transaction every 5 ms meanwhile, as the engine does
for each event; its longest wait is the silence a young person would see. A second
connection does the same as another process would (a second worker, or the bot while the
CLI re-clusters): past SQLite's busy timeout its transaction is refused.
``--root`` runs the same bench against another source tree (the code before a change).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

# bench/engine_intake.py seeds the database, and takes --root (the source tree to run)
# off the command line as it is imported: import it before any of the project's modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_intake import ROOT, seeded_copy

from bot.application.app import App
from bot.application.config import Settings
from bot.clock import FakeClock
from storage import Store
from storage.db import BUSY_TIMEOUT_MS


async def chat(store: Store, writing: asyncio.Event, waits: list[float]) -> None:
    """A quick transaction every 5 ms while ``writing`` is set, as chat events make."""
    while writing.is_set():
        t0 = time.perf_counter()
        async with store.transaction(quick=True):
            await store.db.fetchone("SELECT count(*) AS n FROM clusters WHERE id = 1")
        waits.append(time.perf_counter() - t0)
        await asyncio.sleep(0.005)


def other_process_chat(db: Path, writing: threading.Event, waits: list[float]) -> int:
    """The same through a connection of its own, as a second process (a worker, or the bot
    while the CLI re-clusters) sees it: SQLite's busy timeout decides how long it waits.
    Returns how many transactions failed ("database is locked")."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    failed = 0
    while writing.is_set():
        t0 = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("SELECT count(*) FROM clusters WHERE id = 1").fetchall()
            conn.execute("COMMIT")
        except sqlite3.OperationalError:
            failed += 1
        waits.append(time.perf_counter() - t0)
        time.sleep(0.005)
    conn.close()
    return failed


async def run(db: Path, rounds: int) -> list[tuple[int, float, float, float, float, int]]:
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
            other_waits: list[float] = []
            writing = asyncio.Event()
            writing.set()
            other_writing = threading.Event()
            other_writing.set()
            task = asyncio.create_task(chat(store, writing, waits))
            other = asyncio.create_task(
                asyncio.to_thread(other_process_chat, db, other_writing, other_waits)
            )
            await asyncio.sleep(0.05)
            t0, c0 = time.perf_counter(), time.process_time()
            await store.clusters.replace_all(
                campaign.id, groups, [g[0] for g in groups], now=clock.now()
            )
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            writing.clear()
            other_writing.clear()
            await task
            failed = await other
            results.append((len(groups), wall, cpu, max(waits), max(other_waits), failed))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--db", type=Path, help="reuse (or create) a seeded database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        copy = seeded_copy(Path(folder), args.db, args.questions)
        results = asyncio.run(run(copy, args.rounds))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"code: {ROOT}")
    for number, (groups, wall, cpu, wait, other, failed) in enumerate(results, 1):
        print(
            f"round {number}: {groups:,} groups stored in {wall:.2f} s ({cpu:.2f} s CPU); "
            f"longest chat wait {wait * 1000:.0f} ms in this process, {other * 1000:.0f} ms "
            f"in another ({failed} refused after the {BUSY_TIMEOUT_MS / 1000:.0f} s busy timeout)"
        )


if __name__ == "__main__":
    main()
