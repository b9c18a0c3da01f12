"""Benchmark: an organiser's /baocao in chat on a campaign of 100,000 questions, and what
the other chats see meanwhile.

    .venv/bin/python bench/chat_report.py [--db SEEDED.db] [--root SOURCE_TREE]

The database is seeded as in ``bench/engine_intake.py`` (``--db`` keeps it; each run works
on a copy). While the organiser's command runs (and, from issue 12 on, while its files are
built in the background), another person sends an event every 20 ms through
``handle_and_store`` as the channels do, and a timer measures the event loop's longest
stall. Reported: how long the organiser waited for the answer, when the files were ready,
the other person's longest wait, and the loop's longest stall.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# bench/engine_intake.py seeds the database, and takes --root (the source tree to run)
# off the command line as it is imported: import it before any of the project's modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_intake import ROOT, seeded_copy

from bot.application.app import App
from bot.application.config import Settings
from bot.application.wiring import build_engine
from bot.clock import FakeClock
from bot.delivery.replies import handle_and_store
from handlers.events import Event, EventKind


async def run(db: Path, out_dir: Path) -> dict[str, float]:
    os.environ["YOUTHBOT_DB"] = str(db)
    os.environ["YOUTHBOT_OUT_DIR"] = str(out_dir)
    clock = FakeClock(datetime(2025, 7, 2, 2, tzinfo=UTC))
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        engine = build_engine(app)
        engine.similar = None  # the chat measured is a help command: no lookup needed
        campaign = (await app.store.campaigns.active())[0]
        boss, _ = await app.store.people.get_or_create(
            channel="bench",
            external_id="organiser",
            chat_id="organiser",
            display_name=None,
            language="vi",
            now=clock.now(),
        )
        await app.store.roles.grant(boss.id, "organiser", now=clock.now(), campaign_id=campaign.id)
        waits: list[float] = []
        gaps: list[float] = []
        running = asyncio.Event()
        running.set()

        async def other_person() -> None:
            number = 0
            while running.is_set():
                number += 1
                event = Event(
                    channel="bench",
                    user_id=f"young{number % 5}",
                    kind=EventKind.COMMAND,
                    command="trogiup",
                    update_id=f"y{number}",
                )
                t0 = time.perf_counter()
                await handle_and_store(engine, app.store, event, now=clock.now())
                waits.append(time.perf_counter() - t0)
                await asyncio.sleep(0.02)

        async def ticker() -> None:
            last = time.perf_counter()
            while running.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        tasks = [asyncio.create_task(other_person()), asyncio.create_task(ticker())]
        await asyncio.sleep(0.2)
        report = Event(
            channel="bench",
            user_id="organiser",
            kind=EventKind.COMMAND,
            command="baocao",
            update_id="report",
        )
        t0 = time.perf_counter()
        replies, _ = await handle_and_store(engine, app.store, report, now=clock.now())
        answered = time.perf_counter() - t0
        digests = engine.digests
        if hasattr(digests, "wait_idle"):  # files built in the background (issue 12 on)
            await digests.wait_idle()
        ready = time.perf_counter() - t0
        running.clear()
        await asyncio.gather(*tasks)
    return {
        "answered_s": answered,
        "files_ready_s": ready,
        "attachments": float(sum(len(r.attachments) for r in replies)),
        "other_longest_wait_s": max(waits),
        "other_events": float(len(waits)),
        "loop_longest_stall_s": max(gaps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="reuse (or create) a seeded database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        copy = seeded_copy(Path(folder), args.db, args.questions)
        figures = asyncio.run(run(copy, Path(folder) / "out"))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"code: {ROOT}")
    print(
        f"/baocao answered in {figures['answered_s']:.2f} s "
        f"({figures['attachments']:.0f} files attached), files ready after "
        f"{figures['files_ready_s']:.1f} s; another person's longest wait "
        f"{figures['other_longest_wait_s']:.2f} s over {figures['other_events']:.0f} events; "
        f"longest event-loop stall {figures['loop_longest_stall_s']:.2f} s"
    )


if __name__ == "__main__":
    main()
