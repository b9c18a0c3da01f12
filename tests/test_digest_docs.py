"""Digest documents read back: XLSX (openpyxl), DOCX (python-docx), chart (PIL), CSV, JSONL.

:func:`make_digest` builds a small but realistic Cao Bằng campaign; the other digest test
modules import it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from openpyxl import load_workbook
from PIL import Image

from bot.documents.chart import MAX_HEIGHT_PX, WIDTH_PX, chart_data, write_chart
from bot.documents.docx import date_line, place_from_host, roman, write_docx
from bot.documents.exports import question_from_json, write_questions_csv, write_questions_jsonl
from bot.documents.model import (
    ClusterRow,
    DeadlineRow,
    DigestData,
    QuestionRow,
    TopicSection,
    Totals,
    UnitRow,
    build_topic_sections,
    select_candidates,
)
from bot.documents.xlsx import group_name_by_code, write_xlsx
from locales import Translator

CAMPAIGN = "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh với thanh niên năm 2025"
TOPIC_ORDER = (
    "Chuyển đổi số",
    "Nghề nghiệp, việc làm",
    "Khởi nghiệp, lập nghiệp, vay vốn",
    "Kiến nghị khác",
)
UNITS = {
    "04021": ("Phường Thục Phán", "Phường"),
    "04024": ("Phường Nùng Trí Cao", "Phường"),
    "04150": ("Xã Đàm Thuỷ", "Xã"),
    "04270": ("Xã Trùng Khánh", "Xã"),
    "T0001": ("Trường Cao đẳng Cao Bằng", "Trường học"),
}
SILENT = {
    "04300": ("Xã Hạ Lang", "Xã"),
    "04330": ("Xã Bảo Lạc", "Xã"),
}
START = datetime(2025, 7, 1, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
GENERATED = datetime(2025, 8, 5, 1, 30, tzinfo=UTC)  # 05/08/2025 08:30 in Vietnam

# (code, name or None, anonymous, unit code, category, topic, cluster, supporters, text)
_QUESTIONS = (
    (
        "K7Q2M",
        "Nông Thị Hoa",
        False,
        "04021",
        "Công nhân",
        TOPIC_ORDER[2],
        "Vay vốn khởi nghiệp",
        3,
        "Thanh niên khởi nghiệp ở nông thôn được vay vốn ưu đãi ở đâu, thủ tục thế nào?",
    ),
    (
        "P3X8A",
        None,
        True,
        "04150",
        "Dân tộc thiểu số",
        TOPIC_ORDER[2],
        "Vay vốn khởi nghiệp",
        1,
        "Em muốn vay vốn nuôi bò nhưng không có tài sản thế chấp thì làm sao ạ?",
    ),
    (
        "B5N1C",
        "Hoàng Văn Nam",
        False,
        "04150",
        None,
        TOPIC_ORDER[2],
        "Vay vốn khởi nghiệp",
        0,
        "Đề nghị tăng mức vay vốn Quỹ hỗ trợ thanh niên lập nghiệp.",
    ),
    (
        "H2T9D",
        "Lục Minh Tuấn",
        False,
        "T0001",
        "Học sinh, sinh viên",
        TOPIC_ORDER[1],
        "Việc làm sau tốt nghiệp",
        2,
        "Sinh viên tốt nghiệp cao đẳng có được tỉnh giới thiệu việc làm tại khu công nghiệp không?",
    ),
    (
        "M8R4E",
        "Bế Thu Trang",
        False,
        "04024",
        "Công chức, viên chức",
        TOPIC_ORDER[1],
        "Việc làm sau tốt nghiệp",
        1,
        "Tỉnh có chương trình đưa thanh niên đi làm việc ở nước ngoài không?",
    ),
    (
        "Z6W3F",
        "Đàm Quang Huy",
        False,
        "04270",
        "Dân tộc thiểu số",
        TOPIC_ORDER[0],
        "Sóng điện thoại vùng cao",
        5,
        "Bao giờ các xóm vùng cao của xã Trùng Khánh có sóng điện thoại & Internet ổn định "
        "để học trực tuyến <lớp 12>?",
    ),
    (
        "C1V7G",
        "Nông Thị Hoa",
        False,
        "04021",
        "Công nhân",
        TOPIC_ORDER[0],
        "Đào tạo kỹ năng số",
        0,
        "Đề nghị mở lớp tập huấn kỹ năng số miễn phí cho đoàn viên.",
    ),
    (
        "L4K2H",
        "Triệu Văn Dũng",
        False,
        "04150",
        "Lực lượng vũ trang",
        TOPIC_ORDER[3],
        "Thanh niên xuất ngũ",
        0,
        "Thanh niên xuất ngũ về địa phương\nđược hỗ trợ học nghề như thế nào?",
    ),
)


def make_questions() -> tuple[QuestionRow, ...]:
    rows = []
    for i, (code, name, anon, unit, category, topic, cluster, supporters, text) in enumerate(
        _QUESTIONS
    ):
        rows.append(
            QuestionRow(
                id=101 + i,
                code=code,
                created_at=START + timedelta(days=i * 3, minutes=15 * i),
                asker_name=name,
                anonymous=anon,
                unit_code=unit,
                unit_name=UNITS[unit][0],
                category=category,
                topic=topic,
                cluster_label=cluster,
                supporters=supporters,
                status="Đã tiếp nhận",
                channel=("telegram", "zalo", "terminal")[i % 3],
                text=text,
                late=i == 7,
            )
        )
    return tuple(rows)


def make_clusters(questions: tuple[QuestionRow, ...]) -> list[ClusterRow]:
    groups: dict[str, list[QuestionRow]] = {}
    for q in questions:
        assert q.cluster_label is not None
        groups.setdefault(q.cluster_label, []).append(q)
    clusters = []
    for label, qs in groups.items():
        units: list[str] = []
        for q in qs:
            if q.unit_name not in units:
                units.append(q.unit_name)
        clusters.append(
            ClusterRow(
                label=label,
                topic=qs[0].topic,
                representative_code=qs[0].code,
                representative_text=qs[0].text,
                people=sum(1 + q.supporters for q in qs),
                question_count=len(qs),
                unit_names=tuple(units),
                question_codes=tuple(q.code for q in qs),
            )
        )
    return clusters


def make_digest(
    *,
    language: str = "vi",
    show_names: bool = True,
    questions: tuple[QuestionRow, ...] | None = None,
    scope: str = "campaign",
) -> DigestData:
    qs = make_questions() if questions is None else questions
    clusters = make_clusters(qs)
    sent_units = {q.unit_code for q in qs}
    units = tuple(
        UnitRow(
            code,
            name,
            kind,
            sum(1 for q in qs if q.unit_code == code),
            sum(1 + q.supporters for q in qs if q.unit_code == code),
        )
        for code, (name, kind) in {**UNITS, **SILENT}.items()
    )
    supporters = sum(q.supporters for q in qs)
    askers = {(q.asker_name, q.unit_code) if q.asker_name else q.code for q in qs}
    return DigestData(
        campaign_id=7,
        campaign_title=CAMPAIGN,
        host_name="UBND tỉnh Cao Bằng",
        scope=scope,  # type: ignore[arg-type]
        scope_name="UBND tỉnh Cao Bằng",
        period_start=START,
        period_end=GENERATED,
        generated_at=GENERATED,
        totals=Totals(
            questions=len(qs),
            people=len(askers) + supporters,
            supporters=supporters,
            units=len(sent_units),
            units_total=len(UNITS) + len(SILENT),
            new_questions=2,
            new_people=3,
        ),
        topics=build_topic_sections(qs, clusters, topic_order=TOPIC_ORDER),
        top_candidates=select_candidates(clusters),
        silent_units=tuple(u for u in units if u.question_count == 0),
        deadlines=(
            DeadlineRow("Công khai kế hoạch đối thoại", date(2025, 7, 20), -16),
            DeadlineRow("Hạn xã gửi câu hỏi", date(2025, 8, 5), 0),
            DeadlineRow("Sở Nội vụ chuyển các sở, ngành", date(2025, 8, 8), 3),
            DeadlineRow("Các sở, ngành gửi trả lời", date(2025, 8, 20), 15),
            DeadlineRow("Hội nghị đối thoại", date(2025, 8, 28), 23),
        ),
        questions=qs,
        units=units,
        show_names=show_names,
        language=language,
        previous_digest_at=GENERATED - timedelta(days=1),
        issuer_name="Ban Công tác thanh thiếu nhi",
        issuer_parent="Ủy ban MTTQ Việt Nam tỉnh Cao Bằng",
        place_name="Cao Bằng",
    )


@pytest.fixture
def tr() -> Translator:
    return Translator("vi")


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_sheets_header_freeze_filter(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    path = write_xlsx(data, tmp_path / "digest.xlsx", tr=tr)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Tổng quan", "Câu hỏi", "Vấn đề được quan tâm", "Đơn vị"]
    assert all(len(name) <= 31 for name in wb.sheetnames)

    ws = wb["Câu hỏi"]
    header = [c.value for c in ws[1]]
    assert header == [
        "STT",
        "Mã câu hỏi",
        "Thời gian gửi (giờ Việt Nam)",
        "Họ và tên",
        "Đơn vị",
        "Đối tượng thanh niên",
        "Nhóm vấn đề",
        "Vấn đề",
        "Số người cùng quan tâm",
        "Tình trạng xử lý",
        "Kênh gửi",
        "Nội dung câu hỏi, ý kiến, kiến nghị",
        "Gửi sau thời hạn",
        "Cơ quan trả lời",
        "Nội dung trả lời",
    ]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:O{len(data.questions) + 1}"
    assert ws.max_row == len(data.questions) + 1
    text_width = ws.column_dimensions["L"].width
    assert 40 <= text_width <= 80
    assert ws["L2"].alignment.wrap_text


def test_xlsx_prints_one_page_wide_with_readable_rows(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    wb = load_workbook(write_xlsx(data, tmp_path / "d.xlsx", tr=tr))
    orientation = {
        "Tổng quan": "portrait",
        "Câu hỏi": "landscape",
        "Vấn đề được quan tâm": "landscape",
        "Đơn vị": "portrait",
    }
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.paperSize == 9  # A4
        assert setup.orientation == orientation[ws.title]
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)  # one page wide, any length
        assert "&P" in ws.oddFooter.center.text  # page numbers
        if ws.title != "Tổng quan":
            assert ws.print_title_rows == "$1:$1"  # the header row on every printed page
            assert ws.print_options.gridLines
    # Headers and titles name their font: without one, viewers fall back to another face.
    assert wb["Tổng quan"]["A1"].font.name == "Calibri"
    assert all(c.font.name == "Calibri" for c in wb["Câu hỏi"][1])

    # A wrapped question gets a row tall enough for its lines (LibreOffice does not grow
    # rows by itself); short rows keep the default height.
    ws = wb["Câu hỏi"]
    rows = {ws.cell(r, 2).value: r for r in range(2, ws.max_row + 1)}
    assert ws.column_dimensions["L"].width <= 60
    long_question = ws.row_dimensions[rows["Z6W3F"]].height  # 105 characters
    line_break = ws.row_dimensions[rows["L4K2H"]].height  # two short lines
    assert long_question is not None and long_question >= 30
    assert line_break is not None and line_break >= 30
    # A short question: at most the two lines its issue's name takes ("I.2. Đề nghị…").
    assert (ws.row_dimensions[rows["C1V7G"]].height or 15) <= 30
    clusters = wb["Vấn đề được quan tâm"]
    assert all(
        clusters.row_dimensions[r].height is None or clusters.row_dimensions[r].height <= 409
        for r in range(2, clusters.max_row + 1)
    )


def test_xlsx_question_values_match_model(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    ws = load_workbook(write_xlsx(data, tmp_path / "d.xlsx", tr=tr))["Câu hỏi"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(data.questions)
    groups = group_name_by_code(data)
    for number, (row, q) in enumerate(zip(rows, data.questions, strict=True), start=1):
        (
            stt,
            code,
            created,
            name,
            unit,
            category,
            topic,
            cluster,
            supporters,
            status,
            channel,
            text,
            late,
            department,
            answer,
        ) = row
        assert (stt, code) == (number, q.code)
        # Vietnam wall-clock time, UTC+7.
        assert created == (q.created_at + timedelta(hours=7)).replace(tzinfo=None)
        assert name == ("Ẩn danh" if q.anonymous else q.asker_name)
        assert (unit, topic, status) == (q.unit_name, q.topic, q.status)
        # The issue by its number in the documents and its first words, never "N12".
        assert cluster == groups[q.code]
        assert re.match(r"^[IVX]+\.\d+\. \S", cluster)
        assert (department, answer) == (q.department, q.answer)
        assert category == q.category  # None reads back as an empty cell
        assert supporters == q.supporters
        assert channel in ("Telegram", "Zalo", "Máy tính (dòng lệnh)")
        assert text == q.text  # "&", "<", ">" and line breaks survive
        assert late == ("Có" if q.late else "Không")
    assert ws["C2"].number_format == "dd/mm/yyyy hh:mm"


def test_xlsx_clusters_and_units(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    wb = load_workbook(write_xlsx(data, tmp_path / "d.xlsx", tr=tr))
    ws = wb["Vấn đề được quan tâm"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == [
        "STT",
        "Nhóm vấn đề",
        "Vấn đề",
        "Mã câu hỏi",
        "Nội dung câu hỏi, ý kiến, kiến nghị",
        "Họ và tên",
        "Đơn vị",
        "Số thanh niên quan tâm",
        "Số câu hỏi",
    ]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    # One row per question: the representative with the figures, then each member
    # in its own words — a cluster never hides a question.
    assert len(rows) == len(data.questions)
    assert ws.auto_filter.ref == f"A1:I{len(data.questions) + 1}"
    assert [r[0] for r in rows if r[0] is not None] == list(range(1, len(data.clusters) + 1))
    by_code = {q.code: q for q in data.questions}
    first = data.clusters[0]
    assert rows[0] == (
        1,
        first.topic,
        group_name_by_code(data)[first.representative_code],
        first.representative_code,
        first.representative_text,
        by_code[first.representative_code].asker_name,
        by_code[first.representative_code].unit_name,
        first.people,
        first.question_count,
    )
    assert {r[3] for r in rows} == set(by_code)
    for r in rows:
        assert r[4] == by_code[r[3]].text
    # Totals are the sum of the rows.
    assert sum(r[8] for r in rows if r[8] is not None) == data.totals.questions
    people = [r[7] for r in rows if r[7] is not None]
    assert people == sorted(people, reverse=True)
    vay_von = [r for r in rows if r[1] == "Khởi nghiệp, lập nghiệp, vay vốn"]
    assert [r[3] for r in vay_von] == ["K7Q2M", "P3X8A", "B5N1C"]
    assert vay_von[1][5] == "Ẩn danh"  # anonymous askers are never named
    assert vay_von[0][0] is not None and vay_von[1][0] is None and vay_von[1][8] is None

    units = wb["Đơn vị"]
    assert units.freeze_panes == "A2"
    values = {r[0]: r for r in units.iter_rows(min_row=2, values_only=True)}
    assert set(values) == set(UNITS) | set(SILENT)
    assert values["04300"] == ("04300", "Xã Hạ Lang", "Xã", 0, 0)
    assert values["04150"][3] == 3

    overview = wb["Tổng quan"]
    cells = [c for row in overview.iter_rows(values_only=True) for c in row if c is not None]
    assert "UBND tỉnh Cao Bằng" in cells
    assert "Hạn xã gửi câu hỏi" in cells
    assert "hôm nay" in cells


def test_xlsx_keeps_hostile_text_as_text(tmp_path: Path, tr: Translator) -> None:
    q = replace(make_questions()[0], text='=HYPERLINK("http://x")\x07 & <b>', asker_name="=1+1")
    data = make_digest(questions=(q,))
    ws = load_workbook(write_xlsx(data, tmp_path / "d.xlsx", tr=tr))["Câu hỏi"]
    assert ws["L2"].value == '=HYPERLINK("http://x") & <b>'
    assert ws["L2"].data_type == "s"
    assert ws["D2"].value == "=1+1"
    assert ws["D2"].data_type == "s"


def test_xlsx_hidden_names_and_empty_digest(tmp_path: Path, tr: Translator) -> None:
    data = make_digest(show_names=False)
    ws = load_workbook(write_xlsx(data, tmp_path / "d.xlsx", tr=tr))["Câu hỏi"]
    names = [r[0] for r in ws.iter_rows(min_row=2, min_col=4, max_col=4, values_only=True)]
    assert set(names) == {None, "Ẩn danh"}

    empty = make_digest(questions=())
    wb = load_workbook(write_xlsx(empty, tmp_path / "e.xlsx", tr=tr))
    assert wb["Câu hỏi"].max_row == 1
    assert wb["Câu hỏi"].auto_filter.ref == "A1:O1"
    assert wb["Vấn đề được quan tâm"].max_row == 1


def test_xlsx_english(tmp_path: Path) -> None:
    wb = load_workbook(
        write_xlsx(make_digest(language="en"), tmp_path / "d.xlsx", tr=Translator("en"))
    )
    assert wb.sheetnames == ["Overview", "Questions", "Issues", "Units"]
    assert wb["Questions"]["A1"].value == "No."
    assert wb["Questions"]["B1"].value == "Code"
    assert wb["Questions"]["N1"].value == "Answering body"


# --- DOCX -----------------------------------------------------------------------------------


def _body_texts(document: docx.document.Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def _all_text(document: docx.document.Document) -> str:
    parts = _body_texts(document)
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_docx_layout_and_title(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    document = docx.Document(str(write_docx(data, tmp_path / "d.docx", tr=tr)))
    header = document.tables[0]
    left, right = (cell.text for cell in header.rows[0].cells)
    number, day = (cell.text for cell in header.rows[1].cells)
    assert "BAN CÔNG TÁC THANH THIẾU NHI" in left
    assert "ỦY BAN MTTQ VIỆT NAM TỈNH CAO BẰNG" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right
    assert "Độc lập - Tự do - Hạnh phúc" in right
    assert number.startswith("Số: ") and number.endswith("/BC-TĐTN")
    assert day == "Cao Bằng, ngày 05 tháng 8 năm 2025"
    borders = header._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders is not None
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}

    texts = _body_texts(document)
    kind = next(p for p in document.paragraphs if p.text == "BÁO CÁO")
    assert kind.runs[0].bold
    assert kind.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert "Tổng hợp câu hỏi, ý kiến, kiến nghị của thanh niên" in texts
    intro = next(t for t in texts if t.startswith("Thực hiện Kế hoạch"))
    assert "từ ngày 01/07/2025 đến ngày 05/08/2025" in intro
    assert "8 câu hỏi" in intro
    assert "5/7 đơn vị" in intro
    closing = "Trên đây là tổng hợp ý kiến, kiến nghị của thanh niên gửi UBND tỉnh Cao Bằng"
    assert any(t.startswith(closing) for t in texts)
    # No typed dashes as separator lines anywhere.
    assert not any(
        set(t.strip()) <= set("—–-_") and t.strip() for t in _all_text(document).splitlines()
    )

    section = document.sections[0]
    # Word stores twentieths of a point: compare in centimetres.
    assert (round(section.page_width.cm, 2), round(section.page_height.cm, 2)) == (21, 29.7)
    assert round(section.top_margin.cm, 2) == round(section.bottom_margin.cm, 2) == 2
    assert round(section.left_margin.cm, 2) == 3
    assert 1.5 <= round(section.right_margin.cm, 2) <= 2


def test_docx_topics_in_order_with_names(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    document = docx.Document(str(write_docx(data, tmp_path / "d.docx", tr=tr)))
    headings = [p.text for p in document.paragraphs if p.style.name == "YB Topic"]
    assert headings[:4] == [
        "I. Nhóm vấn đề: Chuyển đổi số (2 ý kiến)",
        "II. Nhóm vấn đề: Nghề nghiệp, việc làm (2 ý kiến)",
        "III. Nhóm vấn đề: Khởi nghiệp, lập nghiệp, vay vốn (3 ý kiến)",
        "IV. Nhóm vấn đề: Kiến nghị khác (1 ý kiến)",
    ]
    text = _all_text(document)
    # The most-supported issue of a topic comes first, quoted, with its askers.
    assert "1. “Bao giờ các xóm vùng cao của xã Trùng Khánh có sóng điện thoại & Internet" in text
    assert "Số thanh niên quan tâm: 6 (1 câu hỏi)." in text
    assert "Nông Thị Hoa (Phường Thục Phán), mã K7Q2M" in text
    assert "Ẩn danh (Xã Đàm Thuỷ), mã P3X8A" in text
    assert "Hoàng Văn Nam (Xã Đàm Thuỷ), mã B5N1C" in text
    # A line break inside a question does not break the paragraph.
    assert "Thanh niên xuất ngũ về địa phương được hỗ trợ học nghề" in text
    # Every question's own words are in the document, not only the representatives'.
    for q in data.questions:
        assert " ".join(q.text.split()) in text, q.code


def test_docx_never_prints_hidden_names(tmp_path: Path, tr: Translator) -> None:
    rows = list(make_questions())
    # A filler bug: an anonymous asker's name still set. It must not reach the document.
    rows[1] = replace(rows[1], asker_name="Tên Bí Mật")
    data = make_digest(questions=tuple(rows))
    text = _all_text(docx.Document(str(write_docx(data, tmp_path / "a.docx", tr=tr))))
    assert "Tên Bí Mật" not in text

    hidden = make_digest(show_names=False)
    text = _all_text(docx.Document(str(write_docx(hidden, tmp_path / "b.docx", tr=tr))))
    for q in hidden.questions:
        if q.asker_name:
            assert q.asker_name not in text
    assert "Đơn vị: Phường Thục Phán, mã K7Q2M." in text
    assert "Xã Đàm Thuỷ, mã P3X8A" in text
    assert "Họ tên người hỏi không hiển thị" in text


def test_docx_limits(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    path = write_docx(
        data, tmp_path / "d.docx", tr=tr, max_names_per_cluster=2, max_clusters_per_topic=1
    )
    text = _all_text(docx.Document(str(path)))
    assert "Ngoài ra còn 1 vấn đề khác thuộc nhóm này" in text
    # The cut issue is gone from the topic sections (it stays in the candidates table).
    paragraphs = "\n".join(_body_texts(docx.Document(str(path))))
    assert "Đề nghị mở lớp tập huấn kỹ năng số" not in paragraphs

    # Exact duplicates fold into one line of askers, cut after max_names_per_cluster.
    base = make_questions()[0]
    twins = tuple(
        replace(base, id=500 + i, code=f"D{i}", asker_name=f"Người {i}", supporters=0)
        for i in range(4)
    )
    folded = make_digest(questions=twins)
    document = docx.Document(
        str(write_docx(folded, tmp_path / "e.docx", tr=tr, max_names_per_cluster=2))
    )
    text = _all_text(document)
    assert "Số thanh niên quan tâm: 4 (4 câu hỏi)." in text
    assert (
        "Người hỏi: Người 0 (Phường Thục Phán), mã D0; Người 1 (Phường Thục Phán), mã D1"
        " và 2 người khác." in text
    )
    assert text.count(base.text) == 1 + 1  # listed once, and once in the candidates table


def test_docx_candidates_table(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    document = docx.Document(str(write_docx(data, tmp_path / "d.docx", tr=tr)))
    table = document.tables[1]
    assert [c.text for c in table.rows[0].cells] == [
        "STT",
        "Nhóm vấn đề",
        "Nội dung câu hỏi",
        "Số thanh niên quan tâm",
        "Đơn vị",
    ]
    assert len(table.rows) == 1 + len(data.top_candidates)
    first = data.top_candidates[0]
    row = [c.text for c in table.rows[1].cells]
    assert row[0] == "1"
    assert row[1] == first.topic
    assert row[2] == f"“{first.representative_text}”"
    assert row[3] == str(first.people)
    assert row[4] == ", ".join(first.unit_names)
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_docx_fonts_times_new_roman(tmp_path: Path, tr: Translator) -> None:
    document = docx.Document(str(write_docx(make_digest(), tmp_path / "d.docx", tr=tr)))
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert Pt(13) <= normal.font.size <= Pt(14)
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        assert fonts.get(qn(attr)) == "Times New Roman"
    assert fonts.get(qn("w:asciiTheme")) is None
    defaults = document.styles.element.find(qn("w:docDefaults"))
    default_fonts = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    assert default_fonts.get(qn("w:eastAsia")) == "Times New Roman"
    assert default_fonts.get(qn("w:eastAsiaTheme")) is None

    runs = [r for p in document.paragraphs for r in p.runs]
    runs += [
        r
        for t in document.tables
        for row in t.rows
        for c in row.cells
        for p in c.paragraphs
        for r in p.runs
    ]
    assert runs
    for run in runs:
        assert run.font.name in (None, "Times New Roman")

    def size(run: docx.text.run.Run) -> Pt:
        return run.font.size or run._parent.style.font.size or normal.font.size

    # The text itself is 13-14 pt; Nghị định 30 sets the smaller parts: the national name
    # 12-13 pt, "Nơi nhận:" 12 pt and its list 11 pt. The candidates table is 12 pt.
    for run in (r for p in document.paragraphs for r in p.runs):
        assert Pt(13) <= size(run) <= Pt(14), run.text
    header, candidates, closing = document.tables
    # The issuer block 12-13 pt, the national name 12-13 pt, the rest 13-14 pt.
    issuer_block = {p.text for p in header.rows[0].cells[0].paragraphs}
    for cell in (*header.rows[0].cells, *header.rows[1].cells):
        for run in (r for p in cell.paragraphs for r in p.runs):
            small = run.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" or run.text in issuer_block
            low, high = (Pt(12), Pt(13)) if small else (Pt(13), Pt(14))
            assert low <= size(run) <= high, run.text
    for row in candidates.rows:
        for run in (r for c in row.cells for p in c.paragraphs for r in p.runs):
            assert size(run) == Pt(12), run.text
    recipients, signer = closing.rows[0].cells
    sizes = [size(p.runs[0]) for p in recipients.paragraphs]
    assert sizes == [Pt(12), Pt(11), Pt(11), Pt(11)]
    assert Pt(13) <= size(signer.paragraphs[0].runs[0]) <= Pt(14)


def test_docx_printed_layout(tmp_path: Path, tr: Translator) -> None:
    """What a rendered page needs: the national name on one line, a candidates table whose
    narrow columns hold their headers, and no heading or closing stranded from its table."""
    document = docx.Document(str(write_docx(make_digest(), tmp_path / "d.docx", tr=tr)))
    header, candidates, closing = document.tables
    # "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in bold Times New Roman is 0.73 cm wide per
    # point (9.5 cm at 13 pt); its column, less Word's 0.19 cm cell margins, must hold it.
    nation = next(
        r
        for p in header.rows[0].cells[1].paragraphs
        for r in p.runs
        if r.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    )
    column_cm = header._tbl.tblGrid.gridCol_lst[1].w.cm - 2 * 0.19
    assert 0.731 * nation.font.size.pt < column_cm
    widths = [round(col.w.cm, 2) for col in candidates._tbl.tblGrid.gridCol_lst]
    assert round(sum(widths), 2) == 16.0  # the text width between the margins
    assert widths[0] >= 1.3  # "STT" in bold 12 pt, not "ST" over "T"
    assert widths[4] >= 3.0  # unit names such as "Phường Nùng Trí Cao" on two lines at most
    for row in candidates.rows:
        assert row._tr.trPr.find(qn("w:cantSplit")) is not None
    # The heading and the sentence introducing the table stay with it; so does the
    # closing sentence with the signature block.
    body = list(document.element.body.iterchildren())
    before_table = body[body.index(candidates._tbl) - 1]
    before_closing = body[body.index(closing._tbl) - 1]
    for element in (before_table, before_closing):
        paragraph = docx.text.paragraph.Paragraph(element, document)
        assert paragraph.paragraph_format.keep_with_next, paragraph.text


def test_docx_candidates_heading_travels_with_its_table(tmp_path: Path, tr: Translator) -> None:
    """The candidates heading is a full-width frame anchored to the sentence under it.

    With ``keep_with_next`` alone (heading, sentence, table), LibreOffice left the heading
    alone at the foot of a page while the sentence and the table began the next one
    (tong-hop-20261223-1000.docx, page 2). A frame goes wherever its anchor paragraph goes.
    """
    document = docx.Document(str(write_docx(make_digest(), tmp_path / "d.docx", tr=tr)))
    candidates = document.tables[1]
    body = list(document.element.body.iterchildren())
    at = body.index(candidates._tbl)
    heading = Paragraph(body[at - 2], document)
    intro = Paragraph(body[at - 1], document)
    assert heading.text == "DANH SÁCH CÂU HỎI ĐỀ XUẤT TRAO ĐỔI TRỰC TIẾP TẠI HỘI NGHỊ"
    assert intro.text.startswith("Căn cứ số thanh niên quan tâm")
    heading_ppr, intro_ppr = heading._p.pPr, intro._p.pPr
    assert heading_ppr is not None and intro_ppr is not None
    frame = heading_ppr.find(qn("w:framePr"))
    assert frame is not None
    assert {k.split("}")[1]: v for k, v in frame.attrib.items()} == {
        "w": "9071",  # the 16 cm text width: the heading centred as before
        "wrap": "notBeside",  # the sentence flows under it, never beside it
        "vAnchor": "text",  # anchored to the paragraph that follows
        "hAnchor": "margin",
        "xAlign": "center",
        "y": "1",
    }
    # Schema order inside w:pPr (Word refuses a file with it out of order).
    tags = [child.tag.split("}")[1] for child in heading_ppr]
    assert tags.index("keepNext") < tags.index("framePr") < tags.index("ind") < tags.index("jc")
    # The intro is no frame: it carries the frame, and keeps with the table.
    assert intro_ppr.find(qn("w:framePr")) is None
    assert intro.paragraph_format.keep_with_next
    assert heading.paragraph_format.keep_with_next
    assert heading.alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_docx_english(tmp_path: Path) -> None:
    tr = Translator("en")
    document = docx.Document(
        str(write_docx(make_digest(language="en"), tmp_path / "d.docx", tr=tr))
    )
    text = _all_text(document)
    assert "REPORT" in text
    assert "Summary of young people's questions and recommendations" in text
    assert "Cao Bằng, 5 August 2025" in text
    assert "I. Topic group: Chuyển đổi số (2 questions)" in text
    assert "IV. Topic group: Kiến nghị khác (1 question)" in text


def test_date_line_and_helpers(tr: Translator) -> None:
    data = make_digest()
    january = replace(data, generated_at=datetime(2026, 1, 3, 20, 0, tzinfo=UTC))  # 04/01 in VN
    assert date_line(january, tr=tr) == "Cao Bằng, ngày 04 tháng 01 năm 2026"
    december = replace(data, generated_at=datetime(2025, 12, 15, 3, 0, tzinfo=UTC), place_name="")
    assert date_line(december, tr=tr) == "Cao Bằng, ngày 15 tháng 12 năm 2025"
    assert place_from_host("UBND xã Đàm Thuỷ") == "Đàm Thuỷ"
    assert place_from_host("Ủy ban nhân dân thành phố Lạng Sơn") == "Lạng Sơn"
    assert [roman(n) for n in (1, 4, 9, 13, 14)] == ["I", "IV", "IX", "XIII", "XIV"]


# --- chart ----------------------------------------------------------------------------------


def test_chart_data_and_png(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    path = tmp_path / "chart.png"
    bars = write_chart(data, path, tr=tr)
    expected_topics = sorted(
        ((s.topic, s.question_count) for s in data.topics), key=lambda item: -item[1]
    )
    assert list(bars.by_topic) == expected_topics
    assert dict(bars.by_unit) == {u.name: u.question_count for u in data.units if u.question_count}
    assert sum(n for _, n in bars.by_topic) == len(data.questions)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width == WIDTH_PX
        assert image.height > image.width  # portrait


def test_chart_groups_other_units(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    many = tuple(UnitRow(f"U{i:02d}", f"Xã Số {i}", "Xã", 40 - i, 40 - i) for i in range(20))
    bars = chart_data(replace(data, units=many), tr=tr, max_units=15)
    assert len(bars.by_unit) == 16
    assert bars.by_unit[:15] == tuple((u.name, u.question_count) for u in many[:15])
    assert bars.by_unit[15] == (
        "Các đơn vị khác (5 đơn vị)",
        sum(u.question_count for u in many[15:]),
    )
    # Exactly one unit over the limit is shown by name rather than as "others".
    assert len(chart_data(replace(data, units=many[:16]), tr=tr, max_units=15).by_unit) == 16
    write_chart(replace(data, units=many), tmp_path / "c.png", tr=tr)


def test_chart_height_is_capped_and_counts_everything(tmp_path: Path, tr: Translator) -> None:
    """A big campaign (60 units, 20 long topic names) still fits one phone screen; the
    units and topic groups without a bar are summed, so every question is counted."""
    data = make_digest()
    units = tuple(UnitRow(f"U{i:02d}", f"Xã Số {i}", "Xã", 70 - i, 70 - i) for i in range(60))
    topics = tuple(
        TopicSection(
            f"Nhóm vấn đề số {i}: chính sách hỗ trợ thanh niên lập nghiệp ở nông thôn", n, ()
        )
        for i, n in enumerate(range(200, 0, -10))
    )
    big = replace(data, units=units, topics=topics)
    path = tmp_path / "big.png"
    bars = write_chart(big, path, tr=tr)
    with Image.open(path) as image:
        assert image.width == WIDTH_PX
        assert image.height <= MAX_HEIGHT_PX
    assert bars == chart_data(big, tr=tr)
    assert sum(n for _, n in bars.by_unit) == sum(u.question_count for u in units)
    assert sum(n for _, n in bars.by_topic) == sum(t.question_count for t in topics)
    assert 5 <= len(bars.by_unit) - 1 <= 10  # the busiest units by name, then the rest
    assert bars.by_unit[0] == ("Xã Số 0", 70)
    assert bars.by_unit[-1][0].startswith("Các đơn vị khác (")
    rest = len(topics) - (len(bars.by_topic) - 1)
    assert bars.by_topic[-1][0] == f"… và {rest} nhóm vấn đề khác"

    # The default topic list (13 groups) and many units: 10 units by name.
    thirteen = replace(
        big, topics=tuple(replace(t, topic=f"Nhóm {i}") for i, t in enumerate(topics[:13]))
    )
    bars = write_chart(thirteen, path, tr=tr)
    assert len(bars.by_topic) == 13
    assert len(bars.by_unit) == 11
    with Image.open(path) as image:
        assert image.height <= MAX_HEIGHT_PX


def test_chart_empty(tmp_path: Path) -> None:
    bars = write_chart(
        make_digest(questions=(), language="en"), tmp_path / "c.png", tr=Translator("en")
    )
    assert bars.by_topic == ()
    assert bars.by_unit == ()
    assert (tmp_path / "c.png").stat().st_size > 0


# --- CSV / JSONL ----------------------------------------------------------------------------


def test_csv_bom_headers_rows(tmp_path: Path, tr: Translator) -> None:
    data = make_digest()
    path = write_questions_csv(data.questions, tmp_path / "q.csv", tr=tr)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["ID", "Mã câu hỏi", "Thời gian gửi (giờ Việt Nam)", "Họ và tên"]
    assert len(rows) == len(data.questions) + 1
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["ID"] == "101"
    assert first["Thời gian gửi (giờ Việt Nam)"] == "2025-07-01 08:00"
    assert first["Mã đơn vị"] == "04021"
    anonymous = dict(zip(rows[0], rows[2], strict=True))
    assert anonymous["Họ và tên"] == "Ẩn danh"
    last = dict(zip(rows[0], rows[-1], strict=True))
    assert last["Nội dung câu hỏi, ý kiến, kiến nghị"] == data.questions[-1].text
    assert last["Gửi sau thời hạn"] == "Có"


def test_csv_guards_formulas_and_hides_names(tmp_path: Path, tr: Translator) -> None:
    q = replace(make_questions()[0], text="=1+2", asker_name="@Nam")
    path = write_questions_csv([q], tmp_path / "q.csv", tr=tr)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert "'=1+2" in rows[1]
    assert "'@Nam" in rows[1]
    hidden = write_questions_csv(make_questions(), tmp_path / "h.csv", tr=tr, show_names=False)
    assert "Nông Thị Hoa" not in hidden.read_text(encoding="utf-8-sig")


def test_jsonl_round_trip(tmp_path: Path) -> None:
    questions = make_questions()
    path = tmp_path / "q.jsonl"
    assert write_questions_jsonl(questions, path) == len(questions)
    text = path.read_text(encoding="utf-8")
    assert "Xã Đàm Thuỷ" in text  # not \u-escaped
    lines = text.splitlines()
    assert len(lines) == len(questions)
    objects = [json.loads(line) for line in lines]
    assert set(objects[0]) == {
        "id",
        "code",
        "created_at",
        "asker_name",
        "anonymous",
        "unit_code",
        "unit_name",
        "category",
        "topic",
        "cluster_label",
        "supporters",
        "status",
        "channel",
        "text",
        "late",
        "department",
        "answer",
        "answered_at",
        "answered_by",
        "answer_published",
        "commitment",
        "live_answer",
        "live_answered_by",
        "live_answered_on",
    }
    assert objects[0]["created_at"] == "2025-07-01T01:00:00+00:00"
    assert tuple(question_from_json(o) for o in objects) == questions

    stream = io.StringIO()
    write_questions_jsonl(questions[:2], stream, show_names=False)
    assert [json.loads(line)["asker_name"] for line in stream.getvalue().splitlines()] == [
        None,
        None,
    ]


def test_jsonl_never_names_an_anonymous_asker() -> None:
    leaky = replace(make_questions()[1], asker_name="Tên Bí Mật")  # anonymous, name set by mistake
    stream = io.StringIO()
    write_questions_jsonl([leaky], stream)
    assert json.loads(stream.getvalue())["asker_name"] is None


def test_xlsx_huge_cluster_lists_every_member(tmp_path: Path, tr: Translator) -> None:
    """An issue of 3,000 questions keeps 3,000 rows, each with its code and words."""
    data = make_digest()
    base = data.questions[0]
    members = tuple(
        replace(base, id=10_000 + i, code=f"Q{i:06d}", text=f"Câu hỏi số {i} về vay vốn")
        for i in range(3000)
    )
    big = replace(
        data.topics[0].clusters[0],
        question_codes=tuple(q.code for q in members),
        question_count=3000,
        people=3000,
        representative_code="Q000000",
        representative_text=members[0].text,
    )
    topics = (replace(data.topics[0], clusters=(big,)), *data.topics[1:])
    questions = (*members, *data.questions)
    ws = load_workbook(
        write_xlsx(replace(data, topics=topics, questions=questions), tmp_path / "d.xlsx", tr=tr)
    )["Vấn đề được quan tâm"]
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[2] == ws["C2"].value]
    assert len(rows) == 3000
    assert rows[2999][3:5] == ("Q002999", "Câu hỏi số 2999 về vay vốn")


def test_xlsx_overview_counts_are_numbers(tmp_path: Path, tr: Translator) -> None:
    # Stored as text ("12"), every figure of the overview showed Excel's "number stored as
    # text" warning and could not be summed; the "9/62" units ratio stays text.
    data = make_digest()
    ws = load_workbook(write_xlsx(data, tmp_path / "d.xlsx", tr=tr))["Tổng quan"]
    values = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row[0]}
    assert values["Số câu hỏi"] == data.totals.questions
    assert values["Số thanh niên tham gia"] == data.totals.people
    assert isinstance(values["Số đơn vị chưa gửi câu hỏi"], int)
    assert values["Đơn vị đã gửi / tổng số đơn vị"] == (
        f"{data.totals.units}/{data.totals.units_total}"
    )
