"""The digest of a 100,000-question campaign from the database: message, XLSX, DOCX, chart.

The issue: "Digest message, XLSX, DOCX and chart for a campaign of 100,000 questions in
<= 10 s, peak RSS <= 1 GB". Unlike ``bench/digest_docs.py`` (the renderers on a synthetic
model), this goes through the database:

1. **Seeding** (not timed against the budget): a fresh SQLite file opened with
   ``bot.application.app.App.open``; Cao Bằng's communes and wards (``bot.campaign.units.province_units``); a
   campaign (``bot.campaign.setup.create_campaign``, the 13 default topics); ``--people``
   young people; ``--questions`` questions through ``store.questions.insert_bulk`` with
   varied Vietnamese texts (the concern/wording generator of ``bench/cluster_speed.py``:
   Zipf-popular concerns, several wordings, prefixes, teen spelling, no diacritics,
   typos), spread over the communes (Zipf-like) and topics, 10 % anonymous, categories,
   channels, creation times over six weeks, some forwarded to a department, answered or
   withdrawn, 2 % late; supporters (direct ``executemany``, as ``add_support`` would
   store them); then duplicate groups with ``bot.clustering.store.recluster`` (the real
   grouping; ``--clusters simple`` groups by concern instead, faster).
2. **Measured**, in a fresh subprocess per run so that the peak RSS is the digest's:
   ``bot.documents.produce.produce_digest`` for the whole campaign (scope "campaign", names
   shown, Vietnamese): database -> model -> chat text + XLSX + DOCX + PNG chart, end to
   end. Wall time and CPU time (``time.process_time``: every thread of the process) of
   that call alone; peak RSS (``ru_maxrss``) of the process read right after it, which
   includes the interpreter, the imports and the opened database (their RSS before the
   call is printed too).
3. ``youthbot export --format jsonl --out FILE`` (``build_digest`` + the JSON Lines writer)
   as a subprocess: wall, CPU and peak RSS of the whole command (start-up included).

    .venv/bin/python bench/digest_pipeline.py [--questions 100000] [--runs 2]
        [--clusters recluster|simple] [--profile] [--keep DIR]

``--profile`` adds one more measured run under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

for _name in list(os.environ):  # settings come only from what this bench sets
    if _name.startswith(("YOUTHBOT_", "TELEGRAM_", "ZALO_", "SMTP_")):
        del os.environ[_name]

NOW = datetime(2025, 8, 15, 3, 0, tzinfo=UTC)  # the campaign's questions close on 21/08
LOCAL_NOW = NOW.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))

# cluster_speed's concerns (by index) -> the campaign topic a young person would pick.
CONCERN_TOPIC = (
    "Khởi nghiệp, lập nghiệp, vay vốn",  # vay vốn khởi nghiệp
    "Khởi nghiệp, lập nghiệp, vay vốn",  # vay vốn nuôi bò
    "Thanh niên xuất ngũ",  # học nghề cho bộ đội xuất ngũ
    "Thanh niên xuất ngũ",  # việc làm cho bộ đội xuất ngũ
    "Nghề nghiệp, việc làm",  # việc làm cho sinh viên mới tốt nghiệp
    "An toàn thực phẩm trường học",
    "Chuyển đổi số",  # sóng điện thoại, internet
    "Xây dựng nông thôn mới, đô thị văn minh",  # đường giao thông
    "Xây dựng nông thôn mới, đô thị văn minh",  # nhà văn hóa
    "Xây dựng nông thôn mới, đô thị văn minh",  # đèn đường
    "Xây dựng nông thôn mới, đô thị văn minh",  # nước sạch
    "Xây dựng nông thôn mới, đô thị văn minh",  # sân chơi cho thiếu nhi
    "Chuyển đổi số",  # lớp kỹ năng số
    "Chuyển đổi số",  # bán hàng online
    "Nghề nghiệp, việc làm",  # xuất khẩu lao động
    "Cán bộ Đoàn quá tuổi",
    "Xây dựng tổ chức Đoàn, Hội",  # phụ cấp bí thư chi đoàn
    "Chính sách thu hút tài năng trẻ",
    "Quy hoạch tỉnh",  # nhà ở xã hội
    "Khởi nghiệp, lập nghiệp, vay vốn",  # tiêu thụ nông sản
    "Kiến nghị khác",  # ma túy
    "Kiến nghị khác",  # bạo lực học đường
    "Nâng cao chất lượng nguồn nhân lực trẻ",  # học bổng
    "Nâng cao chất lượng nguồn nhân lực trẻ",  # thi công chức
    "Quy hoạch tỉnh",  # du lịch cộng đồng
)
DEPARTMENTS = (
    "Sở Nội vụ",
    "Sở Giáo dục và Đào tạo",
    "Sở Khoa học và Công nghệ",
    "Sở Nông nghiệp và Môi trường",
    "Sở Tài chính",
)
CATEGORIES = (
    None,
    None,
    "students",
    "students",
    "workers",
    "officials",
    "armed_forces",
    "ethnic_minority",
    "ethnic_minority",
    "religious",
    "disability",
    "other",
)
FAMILY = ("Nguyễn", "Hoàng", "Nông", "Lục", "Bế", "Đàm", "Triệu", "Lương", "Ma", "Hà", "Lò")
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thu", "Hồng", "Quốc", "Ngọc")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Hà", "Hiếu", "Lan", "Linh", "Nam", "Tuấn", "Yến", "Mai")
ANSWER = (
    "Tỉnh đã có kế hoạch hỗ trợ trong năm nay; đề nghị bạn liên hệ Đoàn xã để được hướng "
    "dẫn hồ sơ cụ thể."
)


# --------------------------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------------------------


def generate(count: int, *, seed: int) -> list[tuple[int, int, str]]:
    """``count`` (concern, wording group, text): cluster_speed's generator, keeping what
    each question is about."""
    import itertools

    import cluster_speed as cs  # bench/cluster_speed.py (vocabulary and noise functions)

    assert len(cs.TOPICS) == len(CONCERN_TOPIC)

    rng = random.Random(seed)
    places = [f"{m} {a} {b}" for m, a, b in itertools.product(cs.MARKERS, cs.FIRST, cs.SECOND)]
    rng.shuffle(places)
    concerns = [
        (topic, aspect, place)
        for topic in range(len(cs.TOPICS))
        for aspect in range(len(cs.ASPECTS))
        for place in rng.sample(range(len(places)), 40)
    ]
    rng.shuffle(concerns)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(concerns))]
    picks = rng.choices(range(len(concerns)), weights=weights, k=count)
    out: list[tuple[int, int, str]] = []
    for pick in picks:
        topic, aspect, place = concerns[pick]
        text = rng.choice(cs.FRAMES).format(
            aspect=rng.choice(cs.ASPECTS[aspect]),
            topic=rng.choice(cs.TOPICS[topic]),
            place=places[place],
        )
        text = " ".join(text.split())
        text = rng.choice(cs.PREFIXES).format(place2=rng.choice(places)) + text
        text += rng.choice(cs.SUFFIXES)
        if rng.random() < 0.3:
            for full, short in cs.TEEN:
                text = text.replace(full, short)
        if rng.random() < 0.3:
            text = cs._strip(text)
        if rng.random() < 0.15:
            text = cs._typo(rng, text)
        out.append((pick, topic, text[:1].upper() + text[1:]))
    return out


async def seed_database(
    db: Path, *, questions: int, people: int, supports: int, clusters: str, seed: int
) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "bench"))
    from bot.application.app import App
    from bot.application.config import Settings
    from bot.campaign.setup import create_campaign
    from bot.campaign.units import province_units
    from bot.clock import FakeClock
    from bot.clustering.store import recluster
    from storage.models import NewQuestion, UnitKind
    from storage.times import to_utc_text

    rng = random.Random(seed)
    os.environ["YOUTHBOT_DB"] = str(db)
    clock = FakeClock(datetime(2025, 7, 1, 2, 0, tzinfo=UTC))
    timings: dict[str, float] = {}
    started = time.monotonic()
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        store = app.store
        await store.units.upsert_many(province_units("cao_bang"), now=clock.now())
        campaign = await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
        topics = {t.name: t.id for t in await store.campaigns.topics(campaign.id)}
        units = [u for u in await store.units.all() if u.kind != UnitKind.PROVINCE]
        unit_weights = [1.0 / (k + 1) ** 0.7 for k in range(len(units))]
        rng.shuffle(units)

        at = to_utc_text(clock.now())
        await store.db.executemany(
            "INSERT INTO people (id, display_name, language, created_at, updated_at)"
            " VALUES (?, ?, 'vi', ?, ?)",
            ((pid, f"Bạn {pid}", at, at) for pid in range(1, people + 1)),
        )
        timings["people"] = time.monotonic() - started

        texts = generate(questions, seed=seed)
        # Some people ask several questions: Zipf-ish over the people.
        askers = rng.choices(range(1, people + 1), k=questions)
        picked_units = rng.choices(units, weights=unit_weights, k=questions)
        rows = []
        for (_, group, text), person, unit in zip(texts, askers, picked_units, strict=True):
            topic = CONCERN_TOPIC[group]
            if rng.random() < 0.1:  # people do not always pick the obvious topic
                topic = rng.choice(list(topics))
            anonymous = rng.random() < 0.1
            rows.append(
                NewQuestion(
                    campaign_id=campaign.id,
                    person_id=person,
                    unit_id=unit.id,
                    topic_id=topics[topic],
                    category=rng.choice(CATEGORIES),
                    text=text,
                    asker_name=None
                    if anonymous
                    else f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                    anonymous=anonymous,
                    channel="telegram" if rng.random() < 0.7 else "zalo",
                    late=rng.random() < 0.02,
                )
            )
        t = time.monotonic()
        await store.questions.insert_bulk(rows, now=clock.now())
        while True:
            # insert_bulk ignores a row whose random code is already taken: top up.
            stored = await store.db.fetchall(
                "SELECT id, unit_id, text FROM questions WHERE campaign_id = ? ORDER BY id",
                (campaign.id,),
            )
            if len(stored) >= questions:
                break
            await store.questions.insert_bulk(rows[: questions - len(stored)], now=clock.now())
        timings["insert_bulk"] = time.monotonic() - t
        ids = [r["id"] for r in stored]
        unit_of = {r["id"]: r["unit_id"] for r in stored}
        concern_of_text = {text: concern for concern, _, text in texts}
        concern_of = {r["id"]: concern_of_text[r["text"]] for r in stored}
        # Creation times over six weeks, statuses, departments, answers (seeding only).
        first = datetime(2025, 7, 1, 1, 0, tzinfo=UTC)
        span = (NOW - timedelta(days=1) - first).total_seconds()
        stamps = sorted(rng.uniform(0, span) for _ in ids)
        updates = []
        for qid, offset in zip(ids, stamps, strict=True):
            when = to_utc_text(first + timedelta(seconds=offset))
            roll = rng.random()
            status, department, answer = "submitted", None, None
            if roll < 0.02:
                status = "withdrawn"
            elif roll < 0.12:
                status, department = "forwarded", rng.choice(DEPARTMENTS)
            elif roll < 0.17:
                status, department, answer = "answered", rng.choice(DEPARTMENTS), ANSWER
            updates.append((when, when, status, department, answer, qid))
        await store.db.executemany(
            "UPDATE questions SET created_at = ?, updated_at = ?, status = ?, department = ?,"
            " answer = ? WHERE id = ?",
            updates,
        )
        # Supporters ("tôi cũng muốn hỏi"), mostly on the popular questions.
        weights = [1.0 / (k + 1) ** 0.6 for k in range(len(ids))]
        shuffled = ids[:]
        rng.shuffle(shuffled)
        targets = rng.choices(shuffled, weights=weights, k=supports)
        await store.db.executemany(
            "INSERT OR IGNORE INTO supports (question_id, person_id, unit_id, created_at)"
            " VALUES (?, ?, ?, ?)",
            (
                (
                    qid,
                    rng.randrange(1, people + 1),
                    unit_of[qid],
                    to_utc_text(NOW - timedelta(seconds=rng.uniform(3600, span / 2))),
                )
                for qid in targets
            ),
        )
        timings["questions+supports"] = time.monotonic() - started
        t = time.monotonic()
        if clusters == "recluster":
            grouped = await recluster(store, campaign.id, now=clock.now())
            cluster_info = (
                f"recluster: {grouped.clusters:,} groups, largest {grouped.largest:,} questions"
            )
        else:
            by_concern: dict[int, list[int]] = defaultdict(list)
            for qid in ids:
                by_concern[concern_of[qid]].append(qid)
            groups = sorted(by_concern.values(), key=min)
            await store.clusters.replace_all(
                campaign.id, groups, [g[0] for g in groups], now=clock.now()
            )
            cluster_info = f"simple (by generated concern): {len(groups):,} groups"
        timings["clusters"] = time.monotonic() - t
        counts = await store.db.fetchone(
            "SELECT (SELECT count(*) FROM questions) AS questions,"
            " (SELECT count(*) FROM questions WHERE status != 'withdrawn') AS live,"
            " (SELECT count(*) FROM supports) AS supports,"
            " (SELECT count(*) FROM clusters) AS clusters,"
            " (SELECT count(DISTINCT unit_id) FROM questions) AS units"
        )
        assert counts is not None
    del os.environ["YOUTHBOT_DB"]
    return {
        "campaign_id": campaign.id,
        "counts": dict(counts),
        "cluster_info": cluster_info,
        "timings": timings,
        "units_total": len(units),
    }


# --------------------------------------------------------------------------------------------
# Measured part (a fresh process)
# --------------------------------------------------------------------------------------------


def measure(db: Path, campaign_id: int, out_dir: Path, profile: bool) -> dict[str, Any]:
    from bot.application.app import App
    from bot.application.config import Settings
    from bot.documents import produce
    from bot.documents.build import DigestScope

    os.environ["YOUTHBOT_DB"] = str(db)
    # Where the time goes: produce_digest's steps, timed where they run (the files are
    # written in worker threads).
    phases: dict[str, float] = {}

    def timed(name: str, fn: Any) -> Any:
        if asyncio.iscoroutinefunction(fn):

            async def wrapper_async(*a: Any, **k: Any) -> Any:
                t = time.perf_counter()
                try:
                    return await fn(*a, **k)
                finally:
                    phases[name] = phases.get(name, 0.0) + time.perf_counter() - t

            return wrapper_async

        def wrapper(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    for name in ("build_digest", "render_digest_text", "write_xlsx", "write_chart", "write_docx"):
        setattr(produce, name, timed(name, getattr(produce, name)))
    if profile:
        # cProfile sees one thread: run the writers inline so that they are profiled too.
        async def inline(fn: Any, /, *a: Any, **k: Any) -> Any:
            return fn(*a, **k)

        setattr(produce, "asyncio", SimpleNamespace(to_thread=inline))  # noqa: B010

    async def run() -> dict[str, Any]:
        async with await App.open(Settings(env_file=None)) as app:
            campaign = await app.store.campaigns.get(campaign_id)
            assert campaign is not None
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            profiler = None
            if profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            files = await produce.produce_digest(
                app.store,
                campaign,
                scope=DigestScope(),
                show_names=True,
                language="vi",
                now=NOW,
                out_dir=out_dir,
                local_now=LOCAL_NOW,
            )
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if profiler is not None:
                import io
                import pstats

                profiler.disable()
                buffer = io.StringIO()
                stats = pstats.Stats(profiler, stream=buffer)
                stats.sort_stats("cumulative").print_stats(40)
                stats.sort_stats("tottime").print_stats(25)
                profile_text = buffer.getvalue()
            else:
                profile_text = ""
            return {
                "wall": wall,
                "cpu": cpu,
                "rss_before_mb": rss_before,
                "peak_rss_mb": peak,
                "text_chars": len(files.text),
                "questions": files.data.totals.questions,
                "people": files.data.totals.people,
                "clusters": sum(len(s.clusters) for s in files.data.topics),
                "files": {p.suffix: p.stat().st_size for p in files.paths},
                "profile": profile_text,
                "phases": phases,
            }

    return asyncio.run(run())


def run_child(args: list[str]) -> tuple[dict[str, Any], float, float, float]:
    """Run ``args`` in a fresh process; its JSON answer, wall, CPU, peak RSS (MB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, cwd=ROOT)
    stdout = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {proc.returncode}")
    answer = json.loads(stdout) if stdout.strip().startswith(b"{") else {}
    return answer, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def export_jsonl(db: Path, campaign_id: int, out: Path) -> tuple[float, float, float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOUTHBOT_")}
    env.update(YOUTHBOT_DB=str(db), YOUTHBOT_LOG_LEVEL="WARNING")
    command = [sys.executable, "-m", "bot", "export", "--format", "jsonl"]
    command += ["--campaign", str(campaign_id), "--out", str(out)]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=out.parent, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    lines = sum(1 for _ in out.open(encoding="utf-8"))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=70_000)
    parser.add_argument("--supports", type=int, default=30_000)
    parser.add_argument("--clusters", choices=("recluster", "simple"), default="recluster")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--profile", action="store_true", help="one more run under cProfile")
    parser.add_argument("--keep", type=Path, help="keep the database and files in this folder")
    parser.add_argument("--measure", nargs=3, metavar=("DB", "CAMPAIGN", "OUT"), help="internal")
    parser.add_argument("--measure-profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed-db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.seed_db:
        seeded = asyncio.run(
            seed_database(
                args.seed_db,
                questions=args.questions,
                people=args.people,
                supports=args.supports,
                clusters=args.clusters,
                seed=args.seed,
            )
        )
        print(json.dumps(seeded))
        return 0
    if args.measure:
        db, campaign, out = args.measure
        result = measure(Path(db), int(campaign), Path(out), args.measure_profile)
        print(json.dumps(result))
        return 0

    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(
        f"machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, "
        f"Python {platform.python_version()}, SQLite "
        f"{__import__('sqlite3').sqlite_version}, {platform.system()} {platform.release()}, "
        f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory(prefix="youthbot-digest-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db = work / "youthbot.db"
        if db.exists():
            raise SystemExit(f"{db} exists; --keep wants an empty folder")
        started = time.monotonic()
        # Seeded in a child process too: Linux keeps a process' peak RSS across fork and
        # exec, so children of a big parent would report the parent's size as their peak.
        me = [sys.executable, str(Path(__file__).resolve())]
        seeded, _, _, _ = run_child(
            [
                *me,
                "--seed-db",
                str(db),
                f"--questions={args.questions}",
                f"--people={args.people}",
                f"--supports={args.supports}",
                f"--clusters={args.clusters}",
                f"--seed={args.seed}",
            ]
        )
        counts = seeded["counts"]
        db_mb = sum(p.stat().st_size for p in work.glob("youthbot.db*")) / 1e6
        print(
            f"seeded in {time.monotonic() - started:.1f} s (not measured): "
            f"{counts['questions']:,} questions ({counts['live']:,} not withdrawn) in "
            f"{counts['units']} of {seeded['units_total']} communes/wards, "
            f"{args.people:,} people, {counts['supports']:,} supports, {seeded['cluster_info']}"
            f" (clustering took {seeded['timings']['clusters']:.1f} s); "
            f"database {db_mb:.0f} MB"
        )
        campaign = str(seeded["campaign_id"])
        results = []
        runs = [False] * args.runs + ([True] if args.profile else [])
        for index, profiled in enumerate(runs, start=1):
            out = work / f"out-{index}"
            command = [*me, "--measure", str(db), campaign, str(out)]
            if profiled:
                command.append("--measure-profile")
            answer, _, _, _ = run_child(command)
            label = f"run {index}" + (" (under cProfile, not a figure)" if profiled else "")
            files = ", ".join(f"{k[1:]} {v / 1e6:.1f} MB" for k, v in answer["files"].items())
            print(
                f"{label}: produce_digest {answer['wall']:.2f} s wall, {answer['cpu']:.2f} s "
                f"CPU; peak RSS {answer['peak_rss_mb']:.0f} MB (before the call: "
                f"{answer['rss_before_mb']:.0f} MB); {answer['questions']:,} questions, "
                f"{answer['people']:,} people, {answer['clusters']:,} groups, message "
                f"{answer['text_chars']:,} chars; {files}"
            )
            print(
                "  steps (wall): "
                + ", ".join(f"{k} {v:.2f} s" for k, v in answer["phases"].items())
            )
            if profiled:
                print(answer["profile"])
            else:
                results.append(answer)
        for index in range(1, args.runs + 1):
            out = work / f"export-{index}.jsonl"
            wall, cpu, rss, lines = export_jsonl(db, int(campaign), out)
            print(
                f"export run {index}: youthbot export --format jsonl: {wall:.2f} s wall, "
                f"{cpu:.2f} s CPU, peak RSS {rss:.0f} MB (whole command, start-up included), "
                f"{lines:,} lines, {out.stat().st_size / 1e6:.1f} MB"
            )
    worst = max(results, key=lambda r: r["wall"]) if results else None
    print("target: produce_digest <= 10 s, peak RSS <= 1 GB (1024 MB)")
    if worst is None:
        return 0
    ok = worst["wall"] <= 10 and worst["peak_rss_mb"] <= 1024
    print(
        f"worst run: {worst['wall']:.2f} s, {worst['peak_rss_mb']:.0f} MB -> "
        + ("within target" if ok else "OVER target")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
