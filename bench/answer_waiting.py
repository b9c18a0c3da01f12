"""Benchmark: an official's ``/traloi`` (the questions waiting for an answer) and the
department reminder's count, on a campaign of 100,000 questions.

    .venv/bin/python bench/answer_waiting.py [--db SEEDED.db] [--runs 20]

The database is seeded as in ``bench/engine_intake.py`` (``--db`` keeps it; each run works
on a copy); a third of its questions are then put in groups of three, and the jobs topic is
routed to a department. Timed through the engine (``handle_and_store``, as the channels
do): an organiser's ``/traloi`` (the whole campaign), a page further on, and a department
contact's ``/traloi``; and the storage calls alone. Each is run with the partial index of
unanswered questions and of drafts (migration 0017) and without them (dropped), the
schema before it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_intake import seeded_copy

from bot.application.app import App
from bot.application.config import Settings
from bot.application.wiring import build_engine
from bot.clock import FakeClock
from bot.delivery.replies import handle_and_store
from handlers.events import Event, EventKind

DEPARTMENT = "Sở Nội vụ"


async def _official(app: App, name: str, role: str, **scope: object) -> None:
    person, _ = await app.store.people.get_or_create(
        channel="bench",
        external_id=name,
        chat_id=name,
        display_name=None,
        language="vi",
        now=app.clock.now(),
    )
    await app.store.roles.grant(person.id, role, now=app.clock.now(), **scope)  # type: ignore[arg-type]


async def _prepare(app: App) -> int:
    campaign = (await app.store.campaigns.active())[0]
    db = app.store.db
    # Groups of three among the first third of the questions (a re-grouping's output).
    third = int(await db.fetchval("SELECT max(id) / 3 FROM questions"))
    await db.executemany(
        "INSERT INTO clusters (id, campaign_id, created_at) VALUES (?, ?, ?)",
        [(1_000_000 + n, campaign.id, "2025-07-01T00:00:00") for n in range(third // 3 + 1)],
    )
    await db.execute("UPDATE questions SET cluster_id = 1000000 + id / 3 WHERE id <= ?", (third,))
    topic = next(t for t in await app.store.campaigns.topics(campaign.id) if "việc làm" in t.name)
    await app.store.questions.route_topic(topic.id, DEPARTMENT, now=app.clock.now())
    await _official(app, "organiser", "organiser", campaign_id=campaign.id)
    await _official(app, "department", "department", department=DEPARTMENT)
    return campaign.id


async def _time(call: object, runs: int) -> tuple[float, float]:
    """Median and worst wall time (ms) of ``runs`` awaits of ``call()``."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await call()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


async def run(db: Path, runs: int, *, with_index: bool) -> dict[str, tuple[float, float]]:
    os.environ["YOUTHBOT_DB"] = str(db)
    clock = FakeClock(datetime(2025, 7, 2, 2, tzinfo=UTC))
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        campaign_id = await _prepare(app)
        if not with_index:
            await app.store.db.execute("DROP INDEX questions_waiting")
            await app.store.db.execute("DROP INDEX questions_drafts")
        engine = build_engine(app)
        engine.similar = None  # no question is asked here
        store = app.store

        def say(user: str, text: str) -> object:
            async def send() -> None:
                event = Event(
                    kind=EventKind.COMMAND if text.startswith("/") else EventKind.TEXT,
                    channel="bench",
                    user_id=user,
                    chat_id=user,
                    text=text.partition(" ")[2] if text.startswith("/") else text,
                    command=text[1:].partition(" ")[0] if text.startswith("/") else None,
                )
                replies, _ = await handle_and_store(engine, store, event, now=clock.now())
                assert replies, text

            return send

        waiting = await store.questions.awaiting_answer(campaign_id)
        routed = await store.questions.awaiting_answer(campaign_id, departments=[DEPARTMENT])
        print(f"  waiting for an answer: {waiting[0]:,}, of which {DEPARTMENT}'s {routed[0]:,}")
        return {
            "/traloi (organiser)": await _time(say("organiser", "/traloi"), runs),
            "/traloi (department)": await _time(say("department", "/traloi"), runs),
            "awaiting_answer, page 1": await _time(
                lambda: store.questions.awaiting_answer(campaign_id), runs
            ),
            "awaiting_answer, page 5,000": await _time(
                lambda: store.questions.awaiting_answer(campaign_id, offset=30_000), runs
            ),
            "department_owed (reminder)": await _time(
                lambda: store.questions.department_owed(campaign_id, DEPARTMENT), runs
            ),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="reuse (or create) a seeded database here")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    for with_index in (True, False):
        with tempfile.TemporaryDirectory() as folder:
            copy = seeded_copy(Path(folder), args.db, args.questions)
            label = "with the partial index (0017)" if with_index else "without it (before 0017)"
            print(label)
            for name, (median, worst) in asyncio.run(
                run(copy, args.runs, with_index=with_index)
            ).items():
                print(f"  {name:30s} median {median:7.1f} ms, max {worst:7.1f} ms")


if __name__ == "__main__":
    main()
