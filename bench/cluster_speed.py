"""Speed of duplicate grouping on synthetic-but-realistic campaigns.

Usage::

    .venv/bin/python bench/cluster_speed.py [--size 100000] [--seed 2025] [--in-process]
        [--naive-sizes 1000,2000,5000] [--skip-naive]

Reports: the batch command end to end on SIZE questions (wall time, peak RSS of the
process that ran it), SimilarIndex build time and lookup p50/p99 over 1000 lookups with
SIZE questions indexed, and a naive all-pairs comparison (rapidfuzz ``cdist`` with
``token_set_ratio``, and a Python double loop over our own similarity) at small sizes,
with its ratio to ``cluster_texts`` at the same sizes.

Targets (2-core machine): 100,000 questions grouped in ≤ 30 s with peak RSS ≤ 1.5 GB,
lookup p99 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from bot.clustering import SimilarIndex, cluster_texts  # noqa: E402
from bot.clustering.cluster import _build_docs  # noqa: E402
from bot.clustering.scoring import score_terms  # noqa: E402

# Topic phrasings: each inner list says the same thing several ways.
TOPICS = [
    [
        "vay vốn khởi nghiệp",
        "vay vốn để khởi nghiệp",
        "vay tiền khởi nghiệp",
        "vay ưu đãi lập nghiệp",
    ],
    ["vay vốn nuôi bò", "vay tiền chăn nuôi bò", "vay ưu đãi nuôi bò sinh sản"],
    ["học nghề cho bộ đội xuất ngũ", "đào tạo nghề cho quân nhân xuất ngũ", "học nghề khi ra quân"],
    [
        "việc làm cho bộ đội xuất ngũ",
        "tìm việc cho thanh niên xuất ngũ",
        "giới thiệu việc làm khi ra quân",
    ],
    [
        "việc làm cho sinh viên mới tốt nghiệp",
        "tìm việc sau khi ra trường",
        "xin việc cho sinh viên mới ra trường",
    ],
    [
        "an toàn thực phẩm ở bếp ăn trường học",
        "vệ sinh thực phẩm trong căng tin trường",
        "an toàn thực phẩm bữa ăn bán trú",
    ],
    ["sóng điện thoại", "mạng internet", "sóng 4G", "wifi"],
    ["đường giao thông", "đường liên thôn", "con đường vào bản"],
    ["nhà văn hóa", "nhà sinh hoạt cộng đồng", "nhà văn hoá thôn"],
    ["đèn đường", "đèn chiếu sáng", "hệ thống chiếu sáng"],
    ["nước sạch", "nước sinh hoạt", "công trình nước sạch"],
    ["sân chơi cho thiếu nhi", "khu vui chơi cho trẻ em", "điểm vui chơi cho thanh thiếu nhi"],
    ["lớp kỹ năng số", "tập huấn kỹ năng số", "lớp học kĩ năng công nghệ"],
    ["bán hàng online", "livestream bán nông sản", "bán hàng trên sàn thương mại điện tử"],
    ["xuất khẩu lao động", "đi lao động ở Hàn Quốc", "đi làm việc ở nước ngoài"],
    ["cán bộ Đoàn quá tuổi", "bí thư Đoàn hết tuổi đoàn", "cán bộ đoàn chuyên trách quá tuổi"],
    ["phụ cấp bí thư chi đoàn", "chế độ phụ cấp cho bí thư chi đoàn thôn"],
    [
        "thu hút sinh viên giỏi về quê",
        "thu hút nhân tài về tỉnh",
        "chính sách thu hút tài năng trẻ",
    ],
    ["nhà ở xã hội cho công nhân", "mua nhà ở xã hội", "nhà ở cho người thu nhập thấp"],
    ["tiêu thụ nông sản", "đầu ra cho nông sản", "bao tiêu sản phẩm nông nghiệp"],
    ["phòng chống ma túy", "tệ nạn ma túy trong thanh niên", "thanh niên nghiện ma túy"],
    ["bạo lực học đường", "học sinh bị bắt nạt ở trường", "đánh nhau trong trường học"],
    ["học bổng cho học sinh nghèo", "học bổng vượt khó", "quỹ học bổng của tỉnh đoàn"],
    ["thi tuyển công chức xã", "tuyển dụng công chức cấp xã", "thi công chức"],
    ["du lịch cộng đồng", "làm homestay", "phát triển du lịch cộng đồng"],
]
ASPECTS = [
    ["lãi suất", "mức lãi"],
    ["hồ sơ", "thủ tục", "giấy tờ"],
    ["điều kiện", "tiêu chí"],
    ["thời hạn", "kỳ hạn"],
    ["kinh phí", "chi phí"],
    ["kế hoạch", "lộ trình"],
    ["", ""],
]
MARKERS = ["xã", "thôn", "bản", "phường", "xóm"]
FIRST = [
    "Nà",
    "Bản",
    "Khuổi",
    "Pác",
    "Lũng",
    "Phja",
    "Cốc",
    "Bó",
    "Thôm",
    "Nặm",
    "Quang",
    "Hòa",
    "Đức",
    "Minh",
    "Thanh",
    "Vĩnh",
    "Tân",
    "Phúc",
    "Lương",
    "Kim",
    "Hồng",
    "Bình",
    "Đông",
    "Xuân",
]
SECOND = [
    "Lẹng",
    "Khon",
    "Nặm",
    "Vai",
    "Rụa",
    "Củng",
    "Mạ",
    "Chang",
    "Trung",
    "An",
    "Long",
    "Hải",
    "Thịnh",
    "Khai",
    "Sơn",
    "Lợi",
    "Tiến",
    "Hưng",
    "Giang",
    "Phong",
    "Thủy",
    "Lĩnh",
    "Quý",
    "Đạt",
]
FRAMES = [
    "{aspect} {topic} ở {place} như thế nào?",
    "Cho em hỏi {aspect} {topic} tại {place} ạ",
    "{place} {aspect} {topic} bao giờ được giải quyết?",
    "Đề nghị tỉnh quan tâm {aspect} {topic} cho thanh niên {place}",
    "em muốn hỏi về {aspect} {topic} ở {place} với ạ",
    "Thanh niên {place} hỏi {aspect} {topic} thế nào",
    "{aspect} {topic} ở {place} còn nhiều khó khăn, mong được hỗ trợ",
]
PREFIXES = [
    "",
    "",
    "",
    "Kính gửi đồng chí Chủ tịch UBND tỉnh, ",
    "anh chị ơi cho e hỏi ",
    "Em là đoàn viên {place2}, cho em hỏi ",
    "Xin chào ban tổ chức, ",
]
SUFFIXES = ["", "", "", " Em xin cảm ơn!", " ạ", " 🙏", " mong được trả lời ạ"]
TEEN = [("không", "ko"), ("được", "dc"), ("thanh niên", "tn"), ("như thế nào", "ntn"), ("gì", "j")]


def _strip(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    candidates = [i for i, word in enumerate(words) if len(word) >= 4 and word.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    k = rng.randrange(1, len(word) - 1)
    words[i] = word[:k] + word[k + 1 :]
    return " ".join(words)


def synthetic_questions(count: int, *, seed: int) -> list[tuple[str, str]]:
    """``count`` (id, text) pairs: concerns of Zipf-like popularity, varied wording, noise."""
    rng = random.Random(seed)
    places = [f"{m} {a} {b}" for m, a, b in itertools.product(MARKERS, FIRST, SECOND)]
    rng.shuffle(places)
    concerns = [
        (topic, aspect, place)
        for topic in range(len(TOPICS))
        for aspect in range(len(ASPECTS))
        for place in rng.sample(range(len(places)), 40)
    ]
    rng.shuffle(concerns)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(concerns))]
    picks = rng.choices(range(len(concerns)), weights=weights, k=count)
    questions: list[tuple[str, str]] = []
    for number, pick in enumerate(picks):
        topic, aspect, place = concerns[pick]
        text = rng.choice(FRAMES).format(
            aspect=rng.choice(ASPECTS[aspect]),
            topic=rng.choice(TOPICS[topic]),
            place=places[place],
        )
        text = " ".join(text.split())
        text = rng.choice(PREFIXES).format(place2=rng.choice(places)) + text + rng.choice(SUFFIXES)
        if rng.random() < 0.3:
            for full, short in TEEN:
                text = text.replace(full, short)
        if rng.random() < 0.3:
            text = _strip(text)
        if rng.random() < 0.15:
            text = _typo(rng, text)
        questions.append((f"q{number:06d}", text))
    return questions


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


def bench_batch(questions: list[tuple[str, str]], *, in_process: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "questions.jsonl"
        target = Path(tmp) / "clusters.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for item_id, text in questions:
                handle.write(json.dumps({"id": item_id, "text": text}, ensure_ascii=False) + "\n")
        if in_process:
            from bot.clustering.batch import main

            start, cpu_start = time.perf_counter(), time.process_time()
            status = main([str(source), "--out", str(target)])
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            rss = _peak_rss_mb(resource.RUSAGE_SELF)
            how = f"in process: bot.clustering.batch.main, CPU {cpu:.1f} s"
        else:
            # ``youthbot cluster`` when the CLI exists, else the package's own entry point.
            has_cli = (ROOT / "bot" / "cli.py").exists()
            entry = ["-m", "bot", "cluster"] if has_cli else ["-m", "bot.clustering"]
            command = [sys.executable, *entry, str(source), "--out", str(target)]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            status = subprocess.run(command, cwd=ROOT, check=False).returncode
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            rss = after.ru_maxrss / 1024.0
            how = f"subprocess: python {' '.join(entry)} INPUT --out OUT, CPU {cpu:.1f} s"
        labels = [json.loads(line)["cluster"] for line in target.read_text("utf-8").splitlines()]
    print(
        f"batch ({how}): {len(questions):,} questions, exit {status}, {elapsed:.1f} s, "
        f"peak RSS {rss:,.0f} MB, {len(set(labels)):,} groups"
    )


def bench_index(questions: list[tuple[str, str]], *, seed: int) -> None:
    index = SimilarIndex()
    start, cpu_start = time.perf_counter(), time.process_time()
    for key, text in questions:
        index.add(key, text)
    build = time.perf_counter() - start
    build_cpu = time.process_time() - cpu_start
    queries = [text for _, text in synthetic_questions(1000, seed=seed + 1)]
    timings = []
    for text in queries:
        t0 = time.perf_counter()
        index.nearest(text, limit=3)
        timings.append((time.perf_counter() - t0) * 1000.0)
    timings.sort()
    p50 = timings[len(timings) // 2]
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(
        f"SimilarIndex: build {len(questions):,} in {build:.1f} s (CPU {build_cpu:.1f} s); "
        f"nearest() over 1000 lookups: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {timings[-1]:.2f} ms"
    )


def bench_naive(questions: list[tuple[str, str]], sizes: list[int]) -> None:
    for size in sizes:
        items = questions[:size]
        texts = [text.lower() for _, text in items]
        t0 = time.perf_counter()
        process.cdist(texts, texts, scorer=fuzz.token_set_ratio, workers=1)
        cdist_time = time.perf_counter() - t0
        t0 = time.perf_counter()
        cluster_texts(items)
        ours = time.perf_counter() - t0
        line = (
            f"n={size:,}: ours cluster_texts {ours:.2f} s | all-pairs rapidfuzz cdist "
            f"token_set_ratio {cdist_time:.2f} s ({cdist_time / ours:.1f}x ours)"
        )
        if size <= 2000:
            docs, item_doc, _ = _build_docs([text for _, text in items])
            vectors = [docs[d].vector for d in item_doc]
            t0 = time.perf_counter()
            for i in range(len(vectors)):
                for j in range(i + 1, len(vectors)):
                    score_terms(vectors[i], vectors[j])
            loop = time.perf_counter() - t0
            line += f" | all-pairs Python loop, our score {loop:.2f} s ({loop / ours:.1f}x ours)"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--naive-sizes", default="1000,2000,5000")
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    questions = synthetic_questions(args.size, seed=args.seed)
    print(f"{len(questions):,} synthetic questions, e.g. {questions[0][1]!r}")
    bench_batch(questions, in_process=args.in_process)
    bench_index(questions, seed=args.seed)
    if not args.skip_naive:
        bench_naive(questions, [int(s) for s in args.naive_sizes.split(",") if s])


if __name__ == "__main__":
    main()
