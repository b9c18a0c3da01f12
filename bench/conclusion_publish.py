"""Benchmark: publishing the conclusion notice (or every drafted answer) of a large
campaign, and what a chat waiting on the database meanwhile sees.

    .venv/bin/python bench/conclusion_publish.py [--questions 20000] [--runs 3]
        [--what conclusion|answers]

``--what answers``: every question gets a drafted answer (one of 1,000 texts) and
``answers publish --all`` (``handlers.answers.publish``) sends them all instead.

A fresh SQLite file (WAL): Cao Bằng's units, a campaign whose dialogue is past, N
questions each asked by a different young person with a Telegram identity, ten of them
answered in the conclusion (each covering 50 questions), the rest waiting for a written
answer: every asker gets one message. While ``bot.campaign.conclusion.publish`` runs, a
second process (as ``youthbot run`` would be) writes one small transaction every 5 ms
(``BEGIN IMMEDIATE``, one insert, commit, ``busy_timeout`` 30 s) and records how long each
waited: the longest wait is how long a chat's reply is held up by the publication.

Figures: the publication's wall time, the messages queued, and the concurrent writer's
longest and 99th-percentile wait.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.application.app import App  # noqa: E402
from bot.application.config import Settings  # noqa: E402
from bot.campaign import conclusion  # noqa: E402
from bot.campaign.setup import create_campaign  # noqa: E402
from bot.campaign.units import province_units  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from storage.models import NewQuestion  # noqa: E402

DIALOGUE = date(2025, 8, 28)
AFTER = datetime(2025, 8, 29, 3, 0, tzinfo=UTC)


async def seed(db: Path, questions: int) -> None:
    os.environ["YOUTHBOT_DB"] = str(db)
    clock = FakeClock(datetime(2025, 7, 1, 2, tzinfo=UTC))
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        store = app.store
        await store.units.upsert_many(province_units("cao_bang"), now=clock.now())
        campaign = await create_campaign(app, title="Đối thoại 2025", dialogue=DIALOGUE)
        at = "2025-07-01T02:00:00Z"
        # Bulk rows straight in SQL: seeding only (20,000 get_or_create calls take minutes).
        async with store.transaction():
            await store.db.executemany(
                "INSERT INTO people (id, language, created_at, updated_at) VALUES (?, 'vi', ?, ?)",
                [(1000 + i, at, at) for i in range(questions)],
            )
            await store.db.executemany(
                "INSERT INTO identities (person_id, channel, external_id, chat_id, created_at)"
                " VALUES (?, 'telegram', ?, ?, ?)",
                [(1000 + i, str(5000 + i), str(5000 + i), at) for i in range(questions)],
            )
        units = [u.id for u in await store.units.all()]
        topics = [t.id for t in await store.campaigns.topics(campaign.id)]
        await store.questions.insert_bulk(
            (
                NewQuestion(
                    campaign.id,
                    1000 + i,
                    units[i % len(units)],
                    topics[i % len(topics)],
                    None,
                    f"Câu hỏi số {i} về việc làm cho thanh niên ở xã?",
                    "Seed",
                    False,
                    "telegram",
                    False,
                )
                for i in range(questions)
            ),
            now=clock.now(),
        )
        codes = [
            r["code"]
            for r in await store.db.fetchall(
                "SELECT code FROM questions WHERE campaign_id = ? ORDER BY id LIMIT 500",
                (campaign.id,),
            )
        ]
        for n in range(10):
            group = codes[n * 50 : (n + 1) * 50]
            await conclusion.record_answer(
                store,
                campaign,
                group[0],
                f"Tỉnh sẽ giải quyết kiến nghị số {n}.",
                also=group[1:],
                now=clock.now(),
                cross_topic=True,
            )


def writer(path: str, ready: Any, stop: Any, out: Any) -> None:
    """Another process's chat: one small write every 5 ms; the wait of each."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("CREATE TABLE IF NOT EXISTS bench_chat (id INTEGER PRIMARY KEY, at REAL)")
    waits: list[float] = []
    while not stop.is_set():
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO bench_chat (at) VALUES (?)", (t0,))
        conn.execute("COMMIT")
        waits.append(time.perf_counter() - t0)
        ready.set()
        time.sleep(0.005)
    conn.close()
    out.put(waits)


async def publish_answers(db: Path) -> tuple[float, int]:
    from handlers.answers import publish as publish_all

    os.environ["YOUTHBOT_DB"] = str(db)
    clock = FakeClock(AFTER)
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        [campaign] = await app.store.campaigns.active()
        # Drafts straight in SQL: seeding only.
        await app.store.db.execute(
            "UPDATE questions SET answer = 'Sở Nội vụ trả lời kiến nghị số ' || (id % 1000),"
            " answered_at = '2025-08-20T02:00:00Z'"
        )
        drafts = await app.store.questions.unpublished_answers(campaign.id)
        t0 = time.perf_counter()
        result = await publish_all(app.store, drafts, now=AFTER)
        elapsed = time.perf_counter() - t0
        queued = int(
            await app.store.db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'answer'")
        )
        assert queued == result.notified == len(drafts), (queued, result.notified)
        return elapsed, queued


async def publish(db: Path) -> tuple[float, int]:
    os.environ["YOUTHBOT_DB"] = str(db)
    clock = FakeClock(AFTER)
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        [campaign] = await app.store.campaigns.active()
        t0 = time.perf_counter()
        result = await conclusion.publish(app.store, campaign, today=AFTER.date(), now=AFTER)
        elapsed = time.perf_counter() - t0
        assert result.published_now
        queued = int(
            await app.store.db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'conclusion'")
        )
        assert queued == result.people + result.waiting + result.officials, result
        asked = int(await app.store.db.fetchval("SELECT count(*) FROM questions"))
        assert queued == asked, (queued, asked)  # every asker, once
        return elapsed, queued


def one_run(folder: Path, questions: int, what: str) -> dict[str, float]:
    db = folder / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    asyncio.run(seed(db, questions))
    ctx = multiprocessing.get_context("spawn")
    ready, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
    proc = ctx.Process(target=writer, args=(str(db), ready, stop, out))
    proc.start()
    assert ready.wait(120), "the writer did not start"
    elapsed, queued = asyncio.run(publish(db) if what == "conclusion" else publish_answers(db))
    time.sleep(0.2)
    stop.set()
    waits: list[float] = out.get(timeout=60)
    proc.join()
    waits.sort()
    return {
        "publish_s": elapsed,
        "queued": queued,
        "wait_max_ms": waits[-1] * 1000,
        "wait_p99_ms": waits[int(len(waits) * 0.99)] * 1000,
        "writes": len(waits),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--what", choices=("conclusion", "answers"), default="conclusion")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, {args.questions:,} questions"
    )
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.runs):
            figures = one_run(Path(tmp), args.questions, args.what)
            runs.append(figures)
            print(
                f"run {n + 1}: publish {figures['publish_s']:.2f} s, {figures['queued']:,} queued;"
                f" a chat's write waited at most {figures['wait_max_ms']:.0f} ms"
                f" (p99 {figures['wait_p99_ms']:.0f} ms, {figures['writes']:,} writes)"
            )
    print(
        f"median: publish {statistics.median(r['publish_s'] for r in runs):.2f} s,"
        f" longest wait {statistics.median(r['wait_max_ms'] for r in runs):.0f} ms"
    )


if __name__ == "__main__":
    main()
