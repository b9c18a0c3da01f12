"""The chat digest (vi/en), the digest catalogues and the pure model helpers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.textsplit import split_text
from bot.documents.model import (
    ClusterRow,
    DigestData,
    QuestionRow,
    UnitRow,
    build_topic_sections,
    format_number,
    rank_clusters,
    select_candidates,
)
from bot.documents.text import (
    days_left_text,
    join_limited,
    render_digest_text,
    render_mail,
    render_nothing_new,
    shorten,
)
from locales import LOCALES_DIR, Translator, catalogue_keys
from tests.test_digest_docs import make_digest, make_questions

VI = Translator("vi")
EN = Translator("en")


def test_vietnamese_digest_sections() -> None:
    text = render_digest_text(make_digest(), tr=VI)
    lines = text.splitlines()
    assert lines[:4] == [
        "TỔNG HỢP CÂU HỎI, Ý KIẾN CỦA THANH NIÊN",
        "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh với thanh niên năm 2025",
        "Phạm vi: toàn đợt — UBND tỉnh Cao Bằng",
        "Thời gian: từ 01/07/2025 08:00 đến 05/08/2025 08:30 (giờ Việt Nam)",
    ]
    assert "Tổng số: 8 câu hỏi của 19 thanh niên (12 lượt cùng quan tâm)." in lines
    assert "Đơn vị đã gửi câu hỏi: 5/7." in lines
    assert "Mới từ lần tổng hợp trước (04/08/2025 08:30): 2 câu hỏi của 3 thanh niên." in lines
    assert "• Công khai kế hoạch đối thoại: 20/07/2025 — đã quá 16 ngày" in lines
    assert "• Hạn xã gửi câu hỏi: 05/08/2025 — hôm nay" in lines
    assert "• Sở Nội vụ chuyển các sở, ngành: 08/08/2025 — còn 3 ngày" in lines
    assert "THEO NHÓM VẤN ĐỀ (4 nhóm)" in lines
    assert "1. Chuyển đổi số: 2 câu hỏi, 7 thanh niên" in lines
    # Within a topic the issue raised by most people comes first.
    first_topic = text.split("1. Chuyển đổi số")[1].split("2. Nghề nghiệp")[0]
    assert first_topic.index("sóng điện thoại") < first_topic.index("kỹ năng số")
    assert "    7 thanh niên · 3 câu hỏi · Phường Thục Phán, Xã Đàm Thuỷ" in lines
    assert "5 CÂU HỎI ĐỀ XUẤT TRAO ĐỔI TRỰC TIẾP TẠI HỘI NGHỊ" in lines
    assert "   7 thanh niên · Khởi nghiệp, lập nghiệp, vay vốn · mã K7Q2M" in lines
    assert lines[-2:] == ["ĐƠN VỊ CHƯA GỬI CÂU HỎI (2)", "Xã Hạ Lang, Xã Bảo Lạc."]
    # Plain text, no names in a chat message, no line-break inside a quoted question.
    assert "Nông Thị Hoa" not in text
    assert "<b>" not in text
    assert "“Thanh niên xuất ngũ về địa phương được hỗ trợ học nghề như thế nào?”" in text


def test_english_digest_and_plurals() -> None:
    text = render_digest_text(make_digest(language="en"), tr=EN)
    assert text.startswith("YOUNG PEOPLE'S QUESTIONS — DIGEST\n")
    assert "Total: 8 questions from 19 young people (12 “me too” supports)." in text
    assert "Units that have sent questions: 5 of 7." in text
    assert "20/07/2025 — 16 days ago" in text
    assert "05/08/2025 — today" in text
    assert "08/08/2025 — 3 days left" in text
    assert "4. Kiến nghị khác: 1 question, 1 young person" in text
    assert "1 young person · 1 question · Xã Đàm Thuỷ" in text
    assert "UNITS THAT HAVE NOT SENT QUESTIONS YET (2)" in text
    assert days_left_text(1, tr=EN) == "1 day left"
    assert days_left_text(-1, tr=EN) == "1 day ago"
    assert days_left_text(1, tr=VI) == "còn 1 ngày"
    assert days_left_text(-2, tr=VI) == "đã quá 2 ngày"
    assert days_left_text(0, tr=VI) == "hôm nay"


def test_big_numbers_are_grouped() -> None:
    assert format_number(12345, "vi") == "12.345"
    assert format_number(12345, "en") == "12,345"
    data = make_digest()
    big = replace(data, totals=replace(data.totals, questions=12345, people=23456))
    assert "Tổng số: 12.345 câu hỏi của 23.456 thanh niên" in render_digest_text(big, tr=VI)


def test_truncations() -> None:
    data = make_digest()
    silent = tuple(UnitRow(f"S{i}", f"Xã Thử {i}", "Xã", 0, 0) for i in range(20))
    text = render_digest_text(replace(data, silent_units=silent), tr=VI, max_silent_units=12)
    assert "ĐƠN VỊ CHƯA GỬI CÂU HỎI (20)" in text
    assert "Xã Thử 11 và 8 đơn vị khác." in text
    assert "Xã Thử 12" not in text

    text = render_digest_text(data, tr=VI, clusters_per_topic=1, max_topics=2, candidates=3)
    assert "  … và 1 vấn đề khác" in text
    assert "… và 2 nhóm vấn đề khác" in text
    assert "3. Khởi nghiệp" not in text
    assert "3 CÂU HỎI ĐỀ XUẤT" in text

    assert shorten("một hai ba bốn năm sáu", 12) == "một hai ba…"
    assert shorten("  xuống\n dòng  ", 50) == "xuống dòng"
    assert join_limited(["A", "B", "C"], limit=2, tr=EN) == "A, B and 1 other unit"


def test_scopes_periods_and_news() -> None:
    data = make_digest()
    unit = replace(data, scope="unit", scope_name="Xã Đàm Thuỷ", period_start=None)
    text = render_digest_text(unit, tr=VI)
    assert "Đơn vị: Xã Đàm Thuỷ" in text
    assert "Số liệu tính đến 05/08/2025 08:30 (giờ Việt Nam)" in text
    assert "Đơn vị đã gửi câu hỏi" not in text
    department = replace(data, scope="department", scope_name="Sở Y tế")
    assert "Answering body: Sở Y tế" in render_digest_text(department, tr=EN)

    quiet = replace(data, totals=replace(data.totals, new_questions=0, new_people=0))
    assert "Không có câu hỏi mới từ lần tổng hợp trước (04/08/2025 08:30)." in render_digest_text(
        quiet, tr=VI
    )
    first = replace(data, previous_digest_at=None)
    assert "lần tổng hợp trước" not in render_digest_text(first, tr=VI)

    assert render_nothing_new(data, tr=VI) == (
        f"{data.campaign_title}: không có câu hỏi mới từ 04/08/2025 08:30; "
        "tổng số hiện có 8 câu hỏi."
    )
    never = replace(data, previous_digest_at=None, period_start=None)
    assert (
        render_nothing_new(never, tr=EN)
        == f"{data.campaign_title}: no new questions; 8 questions so far."
    )
    assert "\n" not in render_nothing_new(data, tr=EN)


def test_empty_digest() -> None:
    text = render_digest_text(make_digest(questions=()), tr=VI)
    assert "Chưa có câu hỏi nào." in text
    assert "ĐỀ XUẤT" not in text


def test_mail_subject_and_body() -> None:
    data = make_digest()
    subject, body = render_mail(data, tr=VI)
    assert subject == f"Tổng hợp câu hỏi của thanh niên — {data.campaign_title} (05/08/2025 08:30)"
    assert body.startswith("Kính gửi Quý cơ quan, đơn vị,\n\n")
    assert render_digest_text(data, tr=VI) in body
    assert body.endswith("Trân trọng.")


def test_long_digest_splits_for_messengers() -> None:
    data = make_digest()
    many = tuple(
        ClusterRow(
            label=f"Vấn đề {i}",
            topic=f"Nhóm vấn đề số {i % 13}",
            representative_code=f"Q{i:05d}",
            representative_text="Em muốn hỏi về chính sách hỗ trợ thanh niên khởi nghiệp " * 6,
            people=500 - i,
            question_count=3,
            unit_names=tuple(f"Xã {j}" for j in range(8)),
            question_codes=(f"Q{i:05d}",),
        )
        for i in range(400)
    )
    sections = build_topic_sections((), many)
    big = replace(data, topics=sections, top_candidates=select_candidates(many))
    text = render_digest_text(big, tr=VI, clusters_per_topic=5)
    assert len(text) > 4096
    for limit in (4096, 2000):
        parts = split_text(text, limit=limit)
        assert len(parts) > 1
        assert all(0 < len(p) <= limit for p in parts)
        assert "".join("".join(parts).split()) == "".join(text.split())


# --- catalogues -----------------------------------------------------------------------------


def test_digest_keys_exist_in_both_languages() -> None:
    vi = {k for k in catalogue_keys("vi") if k.startswith("digest.")}
    en = {k for k in catalogue_keys("en") if k.startswith("digest.")}
    assert vi == en
    assert len(vi) > 100


def test_digest_catalogues_are_nfc_and_use_known_placeholders() -> None:
    for language in ("vi", "en"):
        text = (LOCALES_DIR / language / "digest.po").read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text), language
        # Only str.format placeholders: no stray %-formats or unbalanced braces.
        assert "%s" not in text
        for line in text.splitlines():
            if line.startswith(("msgstr", '"')):
                assert line.count("{") == line.count("}"), line


def test_vietnamese_text_has_diacritics() -> None:
    # A catalogue typed without diacritics would still pass the key check.
    assert re.search(
        "[ạảãáàâấầẩẫậăắằẳẵặđêếềểễệôốồổỗộơớờởỡợưứừửữự]", VI.t("digest.text.title").lower()
    )
    assert VI.t("digest.anonymous") == "Ẩn danh"


# --- model helpers --------------------------------------------------------------------------


def _cluster(label: str, topic: str, people: int, questions: int = 1) -> ClusterRow:
    return ClusterRow(label, topic, label, label, people, questions, ("Xã A",), (label,))


def test_rank_clusters_people_then_questions_then_label() -> None:
    ranked = rank_clusters(
        [
            _cluster("b", "T", 5, 1),
            _cluster("a", "T", 5, 1),
            _cluster("c", "T", 5, 3),
            _cluster("d", "T", 9),
        ]
    )
    assert [c.label for c in ranked] == ["d", "c", "a", "b"]


def test_select_candidates_spreads_topics() -> None:
    clusters = [_cluster(f"x{i}", "X", 100 - i) for i in range(10)] + [
        _cluster(f"y{i}", "Y", 50 - i) for i in range(3)
    ]
    assert [c.label for c in select_candidates(clusters, limit=4)] == ["x0", "x1", "x2", "x3"]
    spread = select_candidates(clusters, limit=4, max_per_topic=2)
    assert [c.label for c in spread] == ["x0", "x1", "y0", "y1"]
    # Not enough other topics: the cap gives way so the list is still full.
    assert len(select_candidates(clusters, limit=8, max_per_topic=2)) == 8


def test_build_topic_sections_keeps_unclustered_questions() -> None:
    questions = make_questions()
    lonely = replace(questions[0], code="NEW01", topic="Quy hoạch tỉnh", cluster_label=None)
    sections = build_topic_sections(
        (*questions, lonely), [_cluster("K7Q2M", "Khởi nghiệp, lập nghiệp, vay vốn", 4)]
    )
    by_topic = {s.topic: s for s in sections}
    assert by_topic["Quy hoạch tỉnh"].clusters[0].representative_code == "NEW01"
    assert by_topic["Quy hoạch tỉnh"].clusters[0].people == 1 + lonely.supporters
    assert by_topic["Khởi nghiệp, lập nghiệp, vay vốn"].question_count == 3
    # Without an explicit order: most questions first.
    counts = [s.question_count for s in sections]
    assert counts == sorted(counts, reverse=True)


def test_digest_data_rejects_naive_times() -> None:
    with pytest.raises(ValueError, match="generated_at"):
        replace(make_digest(), generated_at=datetime(2025, 8, 5, 8, 30))
    assert replace(
        make_digest(), generated_at=datetime(2025, 8, 5, tzinfo=UTC) + timedelta(hours=1)
    )


def test_question_row_is_immutable() -> None:
    q: QuestionRow = make_questions()[0]
    with pytest.raises(AttributeError):
        q.text = "khác"  # type: ignore[misc]
    assert isinstance(make_digest(), DigestData)
