"""Timing sanity check of the digest renderers on a large synthetic campaign.

Builds a DigestData with 100,000 questions, ~20,000 clusters and 60 units, then times the
chat text, XLSX, DOCX, chart and CSV/JSONL renderers and reports peak RSS.

    .venv/bin/python bench/digest_docs.py [--questions 100000] [--clusters 20000] [--out DIR]

Budget: the whole digest pipeline (database part included) ≤ 10 s and ≤ 1 GB; the
renderers should take ≤ 6 s together.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.campaign.setup import DEFAULT_TOPICS
from bot.delivery.textsplit import split_text
from bot.documents.chart import write_chart
from bot.documents.docx import write_docx
from bot.documents.exports import write_questions_csv, write_questions_jsonl
from bot.documents.model import (
    ClusterRow,
    DeadlineRow,
    DigestData,
    QuestionRow,
    Totals,
    UnitRow,
    build_topic_sections,
    select_candidates,
)
from bot.documents.text import render_digest_text
from bot.documents.xlsx import write_xlsx
from locales import Translator

TOPICS = DEFAULT_TOPICS
PLACES = (
    "Thục Phán",
    "Nùng Trí Cao",
    "Tân Giang",
    "Đàm Thuỷ",
    "Trùng Khánh",
    "Quảng Uyên",
    "Hà Quảng",
    "Bảo Lạc",
    "Nguyên Bình",
    "Thạch An",
    "Hoà An",
    "Hạ Lang",
    "Phục Hoà",
    "Đông Khê",
    "Tĩnh Túc",
    "Thông Nông",
    "Trà Lĩnh",
    "Xuân Trường",
    "Ca Thành",
    "Lý Bôn",
)
FAMILY = ("Nguyễn", "Hoàng", "Nông", "Lục", "Bế", "Đàm", "Triệu", "Lương", "Ma", "Hà")
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thu", "Hồng", "Quốc")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Hà", "Hiếu", "Lan", "Linh", "Nam", "Tuấn", "Yến")
PHRASES = (
    "Em muốn hỏi về chính sách hỗ trợ vay vốn ưu đãi cho thanh niên khởi nghiệp ở nông thôn",
    "đề nghị tỉnh có kế hoạch đào tạo kỹ năng số cho đoàn viên vùng sâu vùng xa",
    "khi nào xã em có sóng điện thoại và Internet ổn định để học trực tuyến",
    "thanh niên xuất ngũ được hỗ trợ học nghề và giới thiệu việc làm như thế nào",
    "kiến nghị xây dựng sân chơi, nhà văn hoá cho thanh thiếu nhi ở thôn",
    "bếp ăn bán trú của trường cần được kiểm tra an toàn thực phẩm thường xuyên hơn",
)


def synthetic_digest(n_questions: int, n_clusters: int, n_units: int, seed: int = 7) -> DigestData:
    rng = random.Random(seed)
    units = [
        (f"CB{i:03d}", ("Phường " if i % 9 == 0 else "Xã ") + PLACES[i % len(PLACES)] + f" {i}")
        for i in range(n_units)
    ]
    # Zipf-like sizes: a few issues raised by hundreds, most by one or two people.
    weights = [1 / (k + 1) ** 0.9 for k in range(n_clusters)]
    # Every cluster gets one question, the rest follow the Zipf weights.
    cluster_of = list(range(min(n_clusters, n_questions)))
    cluster_of += rng.choices(range(n_clusters), weights=weights, k=n_questions - len(cluster_of))
    rng.shuffle(cluster_of)
    cluster_topic = [TOPICS[rng.randrange(len(TOPICS))] for _ in range(n_clusters)]
    start = datetime(2025, 7, 1, 1, 0, tzinfo=UTC)
    questions: list[QuestionRow] = []
    members: dict[int, list[QuestionRow]] = defaultdict(list)
    for i, k in enumerate(cluster_of):
        unit_code, unit_name = units[rng.randrange(n_units)]
        anonymous = rng.random() < 0.1
        q = QuestionRow(
            id=i + 1,
            code=f"Q{i:06d}",
            created_at=start + timedelta(seconds=i * 29),
            asker_name=None
            if anonymous
            else f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            anonymous=anonymous,
            unit_code=unit_code,
            unit_name=unit_name,
            category=rng.choice(("Công nhân", "Học sinh, sinh viên", "Công chức, viên chức", None)),
            topic=cluster_topic[k],
            cluster_label=f"Vấn đề {k}",
            supporters=rng.choice((0, 0, 0, 1, 2, 5)),
            status="Đã tiếp nhận",
            channel=rng.choice(("telegram", "zalo")),
            text=f"{rng.choice(PHRASES)}, {rng.choice(PHRASES)} (ý kiến số {i})?",
            late=rng.random() < 0.02,
        )
        questions.append(q)
        members[k].append(q)
    clusters = []
    for k, qs in members.items():
        unit_counts = Counter(q.unit_name for q in qs)
        clusters.append(
            ClusterRow(
                label=f"Vấn đề {k}",
                topic=cluster_topic[k],
                representative_code=qs[0].code,
                representative_text=qs[0].text,
                people=sum(1 + q.supporters for q in qs),
                question_count=len(qs),
                unit_names=tuple(name for name, _ in unit_counts.most_common()),
                question_codes=tuple(q.code for q in qs),
            )
        )
    sections = build_topic_sections(questions, clusters, topic_order=TOPICS)
    per_unit = Counter(q.unit_code for q in questions)
    people_unit = Counter()
    for q in questions:
        people_unit[q.unit_code] += 1 + q.supporters
    unit_rows = tuple(
        UnitRow(code, name, "Xã", per_unit[code], people_unit[code]) for code, name in units
    )
    extra_silent = tuple(
        UnitRow(f"SL{i:02d}", f"Trường THPT số {i}", "Trường học", 0, 0) for i in range(8)
    )
    supporters = sum(q.supporters for q in questions)
    return DigestData(
        campaign_id=1,
        campaign_title="Hội nghị đối thoại giữa Chủ tịch UBND tỉnh với thanh niên năm 2025",
        host_name="UBND tỉnh Cao Bằng",
        scope="campaign",
        scope_name="UBND tỉnh Cao Bằng",
        period_start=start,
        period_end=start + timedelta(days=35),
        generated_at=start + timedelta(days=35),
        totals=Totals(
            questions=len(questions),
            people=len(questions) + supporters,
            supporters=supporters,
            units=len(per_unit),
            units_total=n_units + len(extra_silent),
            new_questions=1234,
            new_people=1500,
        ),
        topics=sections,
        top_candidates=select_candidates(clusters, max_per_topic=3),
        silent_units=extra_silent,
        deadlines=(
            DeadlineRow("Hạn xã gửi câu hỏi", date(2025, 8, 5), 0),
            DeadlineRow("Sở Nội vụ chuyển các sở, ngành", date(2025, 8, 8), 3),
            DeadlineRow("Các sở, ngành gửi trả lời", date(2025, 8, 20), 15),
        ),
        questions=tuple(questions),
        units=unit_rows + extra_silent,
        show_names=True,
        language="vi",
        previous_digest_at=start + timedelta(days=34),
        issuer_name="Ban Công tác thanh thiếu nhi",
        issuer_parent="Ủy ban MTTQ Việt Nam tỉnh Cao Bằng",
        place_name="Cao Bằng",
    )


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--clusters", type=int, default=20_000)
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="digest-bench-"))
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    data = synthetic_digest(args.questions, args.clusters, args.units)
    build = time.perf_counter() - t0
    clusters = sum(len(s.clusters) for s in data.topics)
    print(
        f"synthetic data: {len(data.questions):,} questions, {clusters:,} clusters, "
        f"{len(data.units)} units — built in {build:.2f} s (not counted), "
        f"RSS {_peak_rss_mb():.0f} MB"
    )
    tr = Translator("vi")
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name: str, fn: object) -> None:
        # CPU time too: on a shared machine the wall clock also counts other processes.
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()  # type: ignore[operator]
        timings[name] = time.perf_counter() - start
        cpu[name] = time.process_time() - start_cpu
        detail = ""
        if isinstance(result, Path):
            detail = f" ({result.stat().st_size / 1e6:.1f} MB)"
        print(
            f"{name:<8} wall {timings[name]:5.2f} s  cpu {cpu[name]:5.2f} s{detail:>12}"
            f"   peak RSS {_peak_rss_mb():.0f} MB"
        )

    timed("text", lambda: split_text(render_digest_text(data, tr=tr), limit=4096))
    timed("xlsx", lambda: write_xlsx(data, out / "digest.xlsx", tr=tr))
    timed("docx", lambda: write_docx(data, out / "digest.docx", tr=tr))
    timed("chart", lambda: write_chart(data, out / "digest.png", tr=tr) and out / "digest.png")
    renderers = sum(timings.values())
    renderers_cpu = sum(cpu.values())
    timed("csv", lambda: write_questions_csv(data.questions, out / "questions.csv", tr=tr))
    timed(
        "jsonl",
        lambda: (
            write_questions_jsonl(data.questions, out / "questions.jsonl")
            and out / "questions.jsonl"
        ),
    )
    print(
        f"renderers (text+xlsx+docx+chart): wall {renderers:.2f} s, cpu {renderers_cpu:.2f} s"
        " (target ≤ 6 s)"
    )
    print(f"all incl. csv/jsonl: wall {sum(timings.values()):.2f} s, cpu {sum(cpu.values()):.2f} s")
    print(f"peak RSS: {_peak_rss_mb():.0f} MB (target ≤ 1024 MB)")
    print(f"files in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
