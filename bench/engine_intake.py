"""Benchmark: complete intake conversations through the engine on an SQLite file that
already holds 100,000 questions (issue: conversation engine).

Targets: ≥ 2,000 events/s on one core, p99 latency per event ≤ 5 ms, peak RSS ≤ 250 MB.

    .venv/bin/python bench/engine_intake.py [--questions 100000] [--people 1000]
        [--no-similar] [--cold] [--restart] [--db SEEDED.db] [--root SOURCE_TREE]
        [--profile OUT.prof]

The seed questions and the questions typed come from ``bench/corpus.py`` (hand-written
questions rewritten as many people write them: places, greetings, teencode, no
diacritics, typos), 10 % of the seed asked anonymously. The similar-question lookup is
wired in as in production; its index is built before timing starts, as ``youthbot run``
does before the channels start (``--cold``: not built, so the first question text pays
for it; ``--restart``: built, then read back from its snapshot by a second start, as
after a crash). Latency is reported per event kind as well as overall. ``--db`` keeps the seeded
database for the next run (each run works on a copy); ``--root`` runs the same bench
against another source tree, e.g. the code before a change.
Each event goes through ``bot.delivery.replies.handle_and_store`` as the channels run it:
the replies are stored in the event's transaction and forgotten as delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# --root runs the bench against another source tree (the code before a change, say).
ROOT = Path(__file__).resolve().parents[1]
if "--root" in sys.argv:
    at = sys.argv.index("--root")
    ROOT = Path(sys.argv[at + 1]).resolve()
    del sys.argv[at : at + 2]
sys.path.insert(0, str(ROOT))

from bot.application.app import App  # noqa: E402
from bot.application.config import Settings  # noqa: E402
from bot.application.wiring import build_engine  # noqa: E402
from bot.campaign.setup import create_campaign  # noqa: E402
from bot.campaign.units import province_units  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.delivery.replies import handle_and_store  # noqa: E402
from handlers.events import Event, EventKind  # noqa: E402
from storage.models import NewQuestion  # noqa: E402


def _corpus(seed: int):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus import Corpus

    return Corpus(seed=seed)


async def prepare(db: Path, questions: int) -> None:
    os.environ["YOUTHBOT_DB"] = str(db)
    clock = FakeClock(datetime(2025, 7, 1, 2, tzinfo=UTC))
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        await app.store.units.upsert_many(province_units("cao_bang"), now=clock.now())
        campaign = await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
        person, _ = await app.store.people.get_or_create(
            channel="bench",
            external_id="seed",
            chat_id="seed",
            display_name=None,
            language="vi",
            now=clock.now(),
        )
        units = [u.id for u in await app.store.units.all()]
        topics = [t.id for t in await app.store.campaigns.topics(campaign.id)]
        rng = random.Random(7)
        corpus = _corpus(7)
        await app.store.questions.insert_bulk(
            (
                NewQuestion(
                    campaign.id,
                    person.id,
                    rng.choice(units),
                    rng.choice(topics),
                    None,
                    corpus.question()[1],
                    "Seed",
                    rng.random() < 0.1,  # some asked anonymously
                    "bench",
                    False,
                )
                for _ in range(questions)
            ),
            now=clock.now(),
        )


async def run(
    db: Path,
    people: int,
    *,
    similar: bool = True,
    cold: bool = False,
    restart: bool = False,
    profile: Path | None = None,
) -> dict[str, object]:
    os.environ["YOUTHBOT_DB"] = str(db)
    clock = FakeClock(datetime(2025, 7, 2, 2, tzinfo=UTC))
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        engine = build_engine(app)
        assert engine.similar is not None
        warm_up = restarted = 0.0
        if not similar:
            engine.similar = None  # the engine alone, without the clustering lookups
        elif not cold:
            t0 = time.perf_counter()
            if hasattr(engine.similar, "warm_up"):
                await engine.similar.warm_up()  # as `youthbot run` does before traffic
            else:  # the code before issue 12: built at the first lookup
                await engine.similar.find(1, "khởi động chỉ mục", limit=3)  # type: ignore[call-arg]
            warm_up = time.perf_counter() - t0
            if restart:
                # A second start: the index read from the snapshot the first one wrote.
                engine = build_engine(app)
                gc.collect()
                t0 = time.perf_counter()
                await engine.similar.warm_up()  # type: ignore[union-attr]
                restarted = time.perf_counter() - t0
        rng = random.Random(11)
        corpus = _corpus(11)
        latencies: list[float] = []
        by_step: dict[str, list[float]] = {}
        # CPU time of the process per event: what the event costs, whatever else the
        # (shared) machine is doing meanwhile.
        cpu_by_step: dict[str, list[float]] = {}
        n = 0

        async def send(user: str, step: str, kind: EventKind, **fields: object) -> list:  # type: ignore[type-arg]
            nonlocal n
            n += 1
            clock.advance(timedelta(seconds=1))  # each event its own moment, as in a chat
            event = Event(channel="bench", user_id=user, kind=kind, update_id=str(n), **fields)  # type: ignore[arg-type]
            c0, t0 = time.process_time(), time.perf_counter()
            # As the channels do: the replies are stored in the event's transaction, and
            # forgotten once delivered (that delete rides with the next transaction).
            replies, stored = await handle_and_store(engine, app.store, event, now=clock.now())
            if stored is not None:
                app.store.replies.delivered(stored.id)
            elapsed = time.perf_counter() - t0
            latencies.append(elapsed)
            by_step.setdefault(step, []).append(elapsed)
            cpu_by_step.setdefault(step, []).append(time.process_time() - c0)
            return replies

        def pick(replies: list, index: int = 0) -> str:  # type: ignore[type-arg]
            for reply in reversed(replies):
                if reply.buttons:
                    return str(reply.choices[min(index, len(reply.choices) - 1)].payload)
            raise RuntimeError("no buttons: " + " | ".join(r.text for r in replies))

        # The typed questions are written before timing: the corpus's own work is not
        # the engine's.
        questions = [corpus.question()[1] for _ in range(people)]
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        started, cpu_started = time.perf_counter(), time.process_time()
        submitted = 0
        for i in range(people):
            user = f"p{i}"
            r = await send(user, "start", EventKind.COMMAND, command="start")
            r = await send(user, "consent", EventKind.BUTTON, payload=pick(r))
            r = await send(
                user,
                "unit search",
                EventKind.TEXT,
                text=rng.choice(["thuc phan", "dam thuy", "ha quang", "tra linh"]),
            )
            r = await send(user, "unit pick", EventKind.BUTTON, payload=pick(r))
            r = await send(user, "name", EventKind.TEXT, text=f"Nguyễn Văn {chr(65 + i % 26)}")
            r = await send(user, "category", EventKind.BUTTON, payload=pick(r, rng.randrange(8)))
            r = await send(user, "topic", EventKind.BUTTON, payload=pick(r, rng.randrange(13)))
            r = await send(user, "question text", EventKind.TEXT, text=questions[i])
            labels = [b.label for reply in r for b in reply.choices]
            if any(label == "Gửi" for label in labels):
                r = await send(user, "send", EventKind.BUTTON, payload=pick(r, 0))
            else:  # similar questions offered: send mine anyway, then confirm
                r = await send(
                    user, "similar: send mine", EventKind.BUTTON, payload=pick(r, len(labels) - 1)
                )
                r = await send(user, "send", EventKind.BUTTON, payload=pick(r, 0))
            submitted += any("Mã câu hỏi" in reply.text for reply in r)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if profiler and profile:
            profiler.disable()
            profiler.dump_stats(profile)
    latencies.sort()
    cpu_all = [v for values in cpu_by_step.values() for v in values]
    steps = {
        step: (
            len(values),
            _quantile(values, 0.5),
            _quantile(values, 0.99),
            max(values),
            _quantile(cpu_by_step[step], 0.5),
            _quantile(cpu_by_step[step], 0.99),
        )
        for step, values in by_step.items()
    }
    return {
        "cpu_s": cpu,
        "cpu_p99_ms": _quantile(cpu_all, 0.99),
        "steps": steps,
        "warm_up_s": warm_up,
        "restart_s": restarted,
        "events": len(latencies),
        "conversations": people,
        "submitted": submitted,
        "seconds": elapsed,
        "events_per_s": len(latencies) / elapsed,
        # The events' own times only, without the bench's driving between them (making
        # events, picking buttons, the bookkeeping): what the engine itself can do.
        "engine_events_per_s": len(latencies) / sum(latencies),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def seeded_copy(folder: Path, db: Path | None, questions: int) -> Path:
    """A copy, in ``folder``, of the seeded database ``db`` (seeded first when it does not
    exist yet; a temporary one when ``db`` is None), for one run to change as it likes."""
    seeded = db or folder / "seed.db"
    if not seeded.exists():
        t0 = time.perf_counter()
        asyncio.run(prepare(seeded, questions))
        print(f"prepared {questions:,} questions in {time.perf_counter() - t0:.1f} s")
    copy = folder / "run.db"
    shutil.copyfile(seeded, copy)
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument(
        "--no-similar", action="store_true", help="measure the engine without the lookups"
    )
    parser.add_argument(
        "--cold", action="store_true", help="no warm-up: the first lookup builds the index"
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="start twice: the second start reads the index from the first one's snapshot",
    )
    parser.add_argument("--db", type=Path, help="reuse (or create) a seeded database here")
    parser.add_argument(
        "--profile", type=Path, help="write a cProfile of the timed conversations here"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        copy = seeded_copy(Path(folder), args.db, args.questions)
        figures = asyncio.run(
            run(
                copy,
                args.people,
                similar=not args.no_similar,
                cold=args.cold,
                restart=args.restart,
                profile=args.profile,
            )
        )
    report(figures)


def report(figures: dict[str, object]) -> None:
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"{figures['events']:,} events ({figures['conversations']} conversations, "
        f"{figures['submitted']} questions submitted) in {figures['seconds']:.2f} s: "
        f"{figures['events_per_s']:,.0f} events/s; latency p50 {figures['p50_ms']:.2f} ms, "
        f"p99 {figures['p99_ms']:.2f} ms, max {figures['max_ms']:.1f} ms; peak RSS {rss_mb:.0f} MB"
    )
    print(
        f"in the engine alone (the sum of the events' own times): "
        f"{figures['engine_events_per_s']:,.0f} events/s"
    )
    cpu = float(figures["cpu_s"])  # type: ignore[arg-type]
    print(
        f"process CPU {cpu:.2f} s: {figures['events'] / cpu:,.0f} events per CPU second; "
        f"CPU per event p99 {figures['cpu_p99_ms']:.2f} ms"
    )
    print(f"index warm-up before timing: {figures['warm_up_s']:.1f} s")
    if figures["restart_s"]:
        print(f"index warm-up at a restart (from the snapshot): {figures['restart_s']:.2f} s")
    print("per event kind:          count   wall p50    p99    max | CPU p50    p99  (ms)")
    steps = figures["steps"]
    assert isinstance(steps, dict)
    for step, (count, p50, p99, peak, cpu50, cpu99) in steps.items():
        print(
            f"  {step:<20} {count:>7} {p50:>10.2f} {p99:>6.2f} {peak * 1000:>6.1f}"
            f" | {cpu50:>7.2f} {cpu99:>6.2f}"
        )


if __name__ == "__main__":
    main()
