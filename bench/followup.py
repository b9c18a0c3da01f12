"""What follows the questions, on a large campaign: department answer sheets written and
imported, every answer published, the programme proposed, the conclusion published, the
four documents built and written.

Seeding (not timed): a fresh SQLite file; Cao Bằng's communes and wards; a campaign; one
young person per question (each with a chat identity, so every answer is queued), a
supporter on one question in five; questions through ``insert_bulk``; every topic group
routed to one of five departments.

Measured, each step once, in order (wall time; peak RSS at the end):

1. ``sheets``: one XLSX answer sheet per department (``sheet_questions`` +
   ``write_campaign_sheet``), as ``youthbot answers sheet --all``;
2. ``import``: every sheet, filled with an answer per row beforehand (not timed), read,
   checked and recorded (``read_answer_sheet``, ``plan_import``, ``apply_import``), as
   ``youthbot answers import``;
3. ``publish``: every drafted answer published (``handlers.answers.publish``), one
   message queued per asker and supporter, as ``youthbot answers publish --all``;
4. ``programme``: the automatic proposal (``bot.campaign.programme.propose``);
5. ``conclusion``: 15 entries, each extended to 100 more questions, published
   (``bot.campaign.conclusion.publish``);
6. the four documents built from the database and written as DOCX.

    .venv/bin/python bench/followup.py [--questions 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from bot.application.app import App  # noqa: E402
from bot.application.config import Settings  # noqa: E402
from bot.campaign import conclusion, programme  # noqa: E402
from bot.campaign.setup import create_campaign  # noqa: E402
from bot.campaign.units import province_units  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.documents.answer_sheet import (  # noqa: E402
    apply_import,
    plan_import,
    read_answer_sheet,
    sheet_questions,
    write_campaign_sheet,
)
from bot.documents.followup import DOCUMENT_KINDS  # noqa: E402
from bot.documents.followup_build import build_document  # noqa: E402
from bot.documents.followup_docx import write_followup_docx  # noqa: E402
from handlers.answers import publish  # noqa: E402
from locales import translator  # noqa: E402
from storage.models import NewQuestion, UnitKind  # noqa: E402

DEPARTMENTS = ("Sở Nội vụ", "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Tài chính", "Sở Xây dựng")
DIALOGUE = date(2025, 8, 28)
WORDS = [
    "việc",
    "làm",
    "vay",
    "vốn",
    "khởi",
    "nghiệp",
    "học",
    "nghề",
    "sóng",
    "điện",
    "thoại",
    "đường",
    "xóm",
    "bếp",
    "ăn",
    "bán",
    "trú",
    "học",
    "bổng",
    "sân",
    "bóng",
    "nhà",
    "văn",
    "hoá",
    "nước",
    "sạch",
    "điện",
    "mặt",
    "trời",
    "du",
    "lịch",
    "cộng",
    "đồng",
    "xe",
    "buýt",
    "thư",
    "viện",
]


def fill(path: Path, out: Path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws is not None
    for row in ws.iter_rows(min_row=8):
        if row[1].value:
            row[7].value = f"Trả lời cho câu hỏi {row[1].value}: tỉnh đã có kế hoạch."
    wb.save(out)


async def seed(app: App, questions: int) -> int:
    rng = random.Random(16)
    now = app.clock.now()
    await app.store.units.upsert_many(province_units("cao_bang"), now=now)
    campaign = await create_campaign(app, title="Đối thoại (bench)", dialogue=DIALOGUE)
    units = [u.id for u in await app.store.units.all() if u.kind != UnitKind.PROVINCE]
    topics = await app.store.campaigns.topics(campaign.id)
    at = now.isoformat(timespec="seconds")
    people = questions + questions // 5
    await app.store.db.executemany(
        "INSERT INTO people (id, language, created_at, updated_at) VALUES (?, 'vi', ?, ?)",
        [(i, at, at) for i in range(1, people + 1)],
    )
    await app.store.db.executemany(
        "INSERT INTO identities (person_id, channel, external_id, chat_id, created_at)"
        " VALUES (?, 'telegram', ?, ?, ?)",
        [(i, str(i), str(i), at) for i in range(1, people + 1)],
    )
    await app.store.questions.insert_bulk(
        (
            NewQuestion(
                campaign_id=campaign.id,
                person_id=i,
                unit_id=rng.choice(units),
                topic_id=topics[i % len(topics)].id,
                category=None,
                text=" ".join(rng.choice(WORDS) for _ in range(12)) + f" ({i})?",
                asker_name=f"Người hỏi {i}",
                anonymous=i % 10 == 0,
                channel="telegram",
                late=False,
            )
            for i in range(1, questions + 1)
        ),
        now=now,
    )
    ids = [r.id for r in await app.store.questions.texts(campaign.id)]
    await app.store.db.executemany(
        "INSERT INTO supports (question_id, person_id, created_at) VALUES (?, ?, ?)",
        [(ids[k * 5], questions + 1 + k, at) for k in range(questions // 5)],
    )
    for n, topic in enumerate(topics):
        await app.store.questions.route_topic(topic.id, DEPARTMENTS[n % 5], now=now)
    return campaign.id


async def run(questions: int, folder: Path) -> None:
    os.environ["YOUTHBOT_DB"] = str(folder / "bench.db")
    os.environ["YOUTHBOT_OUT_DIR"] = str(folder)
    settings = Settings(env_file=None)
    clock = FakeClock(datetime(2025, 8, 10, 3, tzinfo=UTC))
    tr = translator("vi")
    async with await App.open(settings, clock=clock) as app:
        started = time.perf_counter()
        campaign_id = await seed(app, questions)
        print(f"seeded {questions} questions in {time.perf_counter() - started:.1f} s")
        campaign = await app.store.campaigns.get(campaign_id)
        assert campaign is not None
        store = app.store
        timings: list[tuple[str, float, str]] = []

        t = time.perf_counter()
        sheets = []
        for department in DEPARTMENTS:
            rows = await sheet_questions(store, campaign, department, tr=tr)
            path = folder / f"sheet-{len(sheets)}.xlsx"
            await asyncio.to_thread(
                write_campaign_sheet, rows, path, campaign=campaign, department=department, tr=tr
            )
            sheets.append((department, path))
        timings.append(("sheets", time.perf_counter() - t, f"{len(sheets)} files"))
        for _, path in sheets:
            fill(path, path)

        t = time.perf_counter()
        recorded = 0
        for department, path in sheets:
            content = await asyncio.to_thread(read_answer_sheet, path)
            plan = await plan_import(store, content, department=department, now=clock.now())
            assert not plan.errors, plan.errors[:3]
            recorded += await apply_import(store, plan, now=clock.now())
        timings.append(("import", time.perf_counter() - t, f"{recorded} answers"))

        t = time.perf_counter()
        drafts = await store.questions.unpublished_answers(campaign.id)
        result = await publish(store, drafts, now=clock.now())
        timings.append(
            (
                "publish",
                time.perf_counter() - t,
                f"{len(result.questions)} answers, {result.notified} messages",
            )
        )

        t = time.perf_counter()
        entries = await programme.propose(store, campaign, now=clock.now())
        timings.append(("programme", time.perf_counter() - t, f"{len(entries)} questions"))

        clock.set(datetime(2025, 8, 29, 3, tzinfo=UTC))
        t = time.perf_counter()
        codes = [r.code for r in await store.questions.texts(campaign.id)]
        for n, entry in enumerate(entries):
            also = codes[1000 + n * 100 : 1000 + (n + 1) * 100]
            await conclusion.record_answer(
                store,
                campaign,
                entry.question.code,
                "Kết luận của Chủ tịch.",
                also=also,
                now=clock.now(),
            )
        published = await conclusion.publish(
            store, campaign, today=date(2025, 8, 29), now=clock.now()
        )
        timings.append(
            (
                "conclusion",
                time.perf_counter() - t,
                f"{published.people} young people, {published.officials} officials",
            )
        )

        for kind in DOCUMENT_KINDS:
            t = time.perf_counter()
            document = await build_document(
                kind, store, campaign, language="vi", today=date(2025, 8, 29), now=clock.now()
            )
            path = folder / f"{kind}.docx"
            await asyncio.to_thread(write_followup_docx, document, path, tr=tr)
            timings.append(
                (f"docx {kind}", time.perf_counter() - t, f"{path.stat().st_size // 1024} KB")
            )

    print(f"python {platform.python_version()}, {platform.machine()}, {questions} questions")
    for name, seconds, detail in timings:
        print(f"{name:<16} {seconds:7.2f} s  {detail}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="folder to keep the database and files in")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(args.questions, args.keep))
    else:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(run(args.questions, Path(folder)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
