"""Benchmark: complete intake conversations through the engine on an SQLite file that
already holds 100,000 questions (issue: conversation engine).

Targets: ≥ 2,000 events/s on one core, p99 latency per event ≤ 5 ms, peak RSS ≤ 250 MB.

    .venv/bin/python bench/engine_intake.py [--questions 100000] [--people 1000]

The similar-question lookup is wired in as in production; its index over the campaign is
built before timing starts (a running bot builds it once, at the first question). Each
event goes through ``bot.delivery.replies.handle_and_store`` as the channels run it: the
replies are stored in the event's transaction and forgotten as delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.application.app import App
from bot.application.config import Settings
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.campaign.units import province_units
from bot.clock import FakeClock
from bot.delivery.replies import handle_and_store
from handlers.events import Event, EventKind
from storage.models import NewQuestion

SUBJECTS = ["thanh niên", "sinh viên", "học sinh", "đoàn viên", "công nhân trẻ", "bộ đội xuất ngũ"]
CONCERNS = [
    "hỗ trợ tìm việc làm sau khi tốt nghiệp",
    "vay vốn khởi nghiệp ưu đãi",
    "học nghề miễn phí",
    "sóng 4G ở thôn vùng cao",
    "sửa đường liên xã",
    "an toàn thực phẩm bếp ăn bán trú",
    "tuyển dụng công chức cấp xã",
    "nhà văn hóa thôn",
    "sân chơi thể thao cho thanh niên",
    "đào tạo kỹ năng số",
    "du lịch cộng đồng",
    "chuyển đổi cây trồng",
]
PLACES = [
    "xã Đàm Thuỷ",
    "phường Thục Phán",
    "xã Hà Quảng",
    "xã Trà Lĩnh",
    "xã Bảo Lạc",
    "xã Hòa An",
]


def question_text(rng: random.Random) -> str:
    return (
        f"{rng.choice(SUBJECTS).capitalize()} ở {rng.choice(PLACES)} muốn hỏi về "
        f"{rng.choice(CONCERNS)} và {rng.choice(CONCERNS)} năm {rng.randint(2024, 2030)}?"
    )


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
        await app.store.questions.insert_bulk(
            (
                NewQuestion(
                    campaign.id,
                    person.id,
                    rng.choice(units),
                    rng.choice(topics),
                    None,
                    question_text(rng),
                    "Seed",
                    False,
                    "bench",
                    False,
                )
                for _ in range(questions)
            ),
            now=clock.now(),
        )


async def run(db: Path, people: int, *, similar: bool = True) -> dict[str, float]:
    os.environ["YOUTHBOT_DB"] = str(db)
    clock = FakeClock(datetime(2025, 7, 2, 2, tzinfo=UTC))
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        engine = build_engine(app)
        assert engine.similar is not None
        if similar:
            await engine.similar.find(1, "khởi động chỉ mục", limit=3)  # build the index
        else:
            engine.similar = None  # the engine alone, without the clustering lookups
        rng = random.Random(11)
        latencies: list[float] = []
        n = 0

        async def send(user: str, kind: EventKind, **fields: object) -> list:  # type: ignore[type-arg]
            nonlocal n
            n += 1
            event = Event(channel="bench", user_id=user, kind=kind, update_id=str(n), **fields)  # type: ignore[arg-type]
            t0 = time.perf_counter()
            # As the channels do: the replies are stored in the event's transaction, and
            # forgotten once delivered (that delete rides with the next transaction).
            replies, stored = await handle_and_store(engine, app.store, event, now=clock.now())
            if stored is not None:
                app.store.replies.delivered(stored.id)
            latencies.append(time.perf_counter() - t0)
            return replies

        def pick(replies: list, index: int = 0) -> str:  # type: ignore[type-arg]
            for reply in reversed(replies):
                if reply.buttons:
                    return str(reply.choices[min(index, len(reply.choices) - 1)].payload)
            raise RuntimeError("no buttons: " + " | ".join(r.text for r in replies))

        started = time.perf_counter()
        submitted = 0
        for i in range(people):
            user = f"p{i}"
            r = await send(user, EventKind.COMMAND, command="start")
            r = await send(user, EventKind.BUTTON, payload=pick(r))
            r = await send(
                user,
                EventKind.TEXT,
                text=rng.choice(["thuc phan", "dam thuy", "ha quang", "tra linh"]),
            )
            r = await send(user, EventKind.BUTTON, payload=pick(r))
            r = await send(user, EventKind.TEXT, text=f"Nguyễn Văn {chr(65 + i % 26)}")
            r = await send(user, EventKind.BUTTON, payload=pick(r, rng.randrange(8)))
            r = await send(user, EventKind.BUTTON, payload=pick(r, rng.randrange(13)))
            r = await send(user, EventKind.TEXT, text=question_text(rng))
            labels = [b.label for reply in r for b in reply.choices]
            if any(label == "Gửi" for label in labels):
                r = await send(user, EventKind.BUTTON, payload=pick(r, 0))
            else:  # similar questions offered: send mine anyway, then confirm
                r = await send(user, EventKind.BUTTON, payload=pick(r, len(labels) - 1))
                r = await send(user, EventKind.BUTTON, payload=pick(r, 0))
            submitted += any("Mã câu hỏi" in reply.text for reply in r)
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "events": len(latencies),
        "conversations": people,
        "submitted": submitted,
        "seconds": elapsed,
        "events_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument(
        "--no-similar", action="store_true", help="measure the engine without the lookups"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        t0 = time.perf_counter()
        asyncio.run(prepare(db, args.questions))
        print(f"prepared {args.questions:,} questions in {time.perf_counter() - t0:.1f} s")
        figures = asyncio.run(run(db, args.people, similar=not args.no_similar))
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


if __name__ == "__main__":
    main()
