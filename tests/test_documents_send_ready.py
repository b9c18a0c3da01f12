"""Documents an official sends as they are: what they would otherwise correct by hand
before sending (a line left alone at a page foot, ...). Each DOCX/XLSX is read back with
python-docx/openpyxl."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import docx
from docx.text.paragraph import Paragraph
from openpyxl import load_workbook

from bot.documents import posters
from bot.documents.answer_sheet import SheetQuestion, write_answer_sheet
from bot.documents.docx import write_docx
from bot.documents.followup import (
    AnsweredQuestion,
    AnswersDocument,
    ConclusionDocument,
    ConclusionItem,
    CoveredQuestion,
    DepartmentAnswers,
)
from bot.documents.followup_docx import write_followup_docx
from bot.documents.frame import TITLE_LINE_CHARS, title_lines
from bot.documents.xlsx import TableColumn, write_table, write_xlsx
from locales import Translator, translator
from tests.test_digest_docs import make_digest
from tests.test_followup_docs import _hand_made_head


def _keeps_with_next(paragraph: Paragraph) -> bool:
    """keep_with_next as Word resolves it: the paragraph's own setting, else its styles'."""
    if paragraph.paragraph_format.keep_with_next is not None:
        return bool(paragraph.paragraph_format.keep_with_next)
    style = paragraph.style
    while style is not None:
        value = style.paragraph_format.keep_with_next
        if value is not None:
            return bool(value)
        style = style.base_style
    return False


def test_summary_members_lead_in_is_kept_with_its_list(tmp_path: Path) -> None:
    # 'Các câu hỏi khác cùng vấn đề:' ended pages alone in a 600-question summary (pages 1,
    # 2, 7, 8, 39, 48, 52, 65 of 80 in LibreOffice), its list starting the next page.
    path = write_docx(make_digest(), tmp_path / "tong-hop.docx", tr=Translator("vi"))
    document = docx.Document(str(path))
    lead_ins = [p for p in document.paragraphs if p.text == "Các câu hỏi khác cùng vấn đề:"]
    assert lead_ins
    for paragraph in lead_ins:
        assert _keeps_with_next(paragraph)
        following = paragraph._p.getnext()
        assert following is not None and "- " in Paragraph(following, paragraph._parent).text


def test_a_long_question_is_not_kept_whole_with_its_details(tmp_path: Path) -> None:
    # LibreOffice never splits a "keep with next" paragraph: a question of 2,000 characters
    # (the default limit) went whole to the next page, leaving 11.5 cm blank at the foot of
    # page 1 of the summary and 12.7 cm in the compilation of answers. Short ones still keep
    # with their details.
    long_text = "Em là sinh viên năm cuối, nhà ở xã vùng cao, đường hay sạt lở; " * 30 + "ạ?"
    digest = make_digest()
    first = digest.questions[0]
    questions = (replace(first, text=long_text), *digest.questions[1:])
    path = write_docx(
        make_digest(questions=questions), tmp_path / "tong-hop.docx", tr=Translator("vi")
    )
    paragraphs = docx.Document(str(path)).paragraphs
    long_item = next(p for p in paragraphs if long_text[:40] in p.text)
    assert not _keeps_with_next(long_item)
    short_items = [p for p in paragraphs if p.style.name == "YB Question" and p is not long_item]
    assert short_items and all(_keeps_with_next(p) for p in short_items)
    # The compilation of answers lists questions the same way.
    head = _hand_made_head("vi")
    asked = [
        AnsweredQuestion(
            code, "Việc làm", "Phường Thục Phán", "Lan", text, 1, None, None, None, False, None
        )
        for code, text in (("K7Q2MA", long_text), ("P3X8AB", "Có việc làm cho sinh viên không?"))
    ]
    document = AnswersDocument(
        head, date(2025, 8, 26), (DepartmentAnswers("Sở Nội vụ", tuple(asked)),)
    )
    out = write_followup_docx(document, tmp_path / "tra-loi.docx", tr=translator("vi"))
    paragraphs = docx.Document(str(out)).paragraphs
    long_item = next(p for p in paragraphs if long_text[:40] in p.text)
    short_item = next(p for p in paragraphs if "Có việc làm cho sinh viên" in p.text)
    assert not _keeps_with_next(long_item) and _keeps_with_next(short_item)


def test_conclusion_items_question_is_kept_with_the_chairs_answer(tmp_path: Path) -> None:
    # With 19 items, the bold question of an item ended pages 1, 2 and 3 of the notice
    # alone, the chair's conclusion on it starting the next page.
    item = ConclusionItem(
        1,
        "K7Q2MA",
        "Việc làm",
        "Tỉnh có hỗ trợ thanh niên tìm việc làm không?",
        ("K7Q2MA", "P3X8AB"),
        2,
        "Giao Sở Nội vụ tổ chức phiên giao dịch việc làm hằng quý.",
        (),
        original="tinh co ho tro tn tim viec ko a",
        also_asked=(CoveredQuestion("P3X8AB", "Xã Đàm Thuỷ", "Có việc làm không ạ?"),),
    )
    document = ConclusionDocument(
        _hand_made_head("vi"),
        "Chủ tịch UBND tỉnh Cao Bằng",
        "",
        (item,),
        (),
        date(2025, 9, 7),
        None,
    )
    out = write_followup_docx(document, tmp_path / "ket-luan.docx", tr=translator("vi"))
    paragraphs = docx.Document(str(out)).paragraphs
    index = next(i for i, p in enumerate(paragraphs) if "Tỉnh có hỗ trợ thanh niên" in p.text)
    question, original, lead_in = paragraphs[index : index + 3]
    assert "tinh co ho tro" in original.text and "Các câu hỏi khác" in lead_in.text
    assert all(_keeps_with_next(p) for p in (question, original, lead_in))
    answer = next(p for p in paragraphs if p.text.startswith("Giao Sở Nội vụ tổ chức"))
    assert not _keeps_with_next(answer)


def test_answer_sheet_names_one_font_in_every_cell(tmp_path: Path) -> None:
    # The title, the labels of its head, the instructions and the column headers named no
    # font: LibreOffice printed them in a serif face, the values in Calibri.
    question = SheetQuestion(
        "K7Q2MA", "Việc làm", "Phường Thục Phán", "Nông Thị Hoa", "Có việc làm không?", 2, ""
    )
    path = write_answer_sheet(
        [question],
        tmp_path / "phieu.xlsx",
        tr=translator("vi"),
        department="Sở Nội vụ",
        campaign_id=1,
        campaign_title="Đối thoại 2027",
        due=date(2027, 8, 20),
    )
    ws = load_workbook(path).active
    assert ws is not None
    cells = [c for row in ws.iter_rows() for c in row if c.value not in (None, "")]
    assert len(cells) > 15
    assert {c.font.name for c in cells} == {"Calibri"}, [
        (c.coordinate, c.font.name) for c in cells if c.font.name != "Calibri"
    ]


def _title_lines(path: Path) -> list[str]:
    """The title's lines: the paragraphs between the kind ("BÁO CÁO") and the rule under it."""
    paragraphs = docx.Document(str(path)).paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.text == "BÁO CÁO") + 1
    lines = []
    for paragraph in paragraphs[start:]:
        if not paragraph.text:
            break
        lines.append(paragraph.text)
    return lines


def test_titles_break_between_phrases_with_no_word_left_alone(tmp_path: Path) -> None:
    # "gửi Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Cao Bằng với thanh niên năm 2027" is
    # longer than a printed line: LibreOffice left "năm 2027" alone on the title's last
    # line of the summary and the unit lists, and cut "Hội nghị đối / thoại" in the
    # compilation of answers. The title is broken before a phrase, each line fitting.
    campaign = "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Cao Bằng với thanh niên năm 2027"
    digest = replace(make_digest(), campaign_title=campaign)
    path = write_docx(digest, tmp_path / "tong-hop.docx", tr=Translator("vi"))
    assert _title_lines(path) == [
        "Tổng hợp câu hỏi, ý kiến, kiến nghị của thanh niên",
        "gửi Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Cao Bằng",
        "với thanh niên năm 2027",
    ]
    head = replace(_hand_made_head("vi"), campaign_title=campaign)
    document = AnswersDocument(head, date(2025, 8, 26), ())
    out = write_followup_docx(document, tmp_path / "tra-loi.docx", tr=translator("vi"))
    assert _title_lines(out) == [
        "Tổng hợp nội dung trả lời ý kiến, kiến nghị",
        "của thanh niên tại Hội nghị đối thoại",
        "giữa Chủ tịch UBND tỉnh Cao Bằng với thanh niên năm 2027",
    ]
    # A title that fits a line stays one line; a word longer than a line is left whole.
    assert title_lines("Tổng hợp câu hỏi, ý kiến, kiến nghị của thanh niên") == [
        "Tổng hợp câu hỏi, ý kiến, kiến nghị của thanh niên"
    ]
    assert title_lines("A" * 100) == ["A" * 100]
    assert all(len(line) <= TITLE_LINE_CHARS for line in title_lines("gửi " + "Hội nghị " * 30))


def test_poster_title_is_not_broken_inside_a_name() -> None:
    # The A4 poster's title wrapped greedily: "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Cao
    # / Bằng với thanh niên năm 2027", the province's name cut in two.
    title = "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Cao Bằng với thanh niên năm 2027"
    font = posters._font(80, bold=True)
    lines = posters._lines(posters._Block(title, 80, bold=True, title=True), font, 2140)
    assert lines == [
        "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh",
        "Cao Bằng với thanh niên năm 2027",
    ]
    # The width the poster gives its title (300 dpi): what render_poster draws.
    assert all(font.getlength(line) <= 2140 for line in lines)


def test_follow_up_documents_mark_questions_quoted_as_received(tmp_path: Path) -> None:
    # The summary marks a question typed without diacritics "(nguyên văn)" and explains the
    # mark once; the conclusion notice (published) and the compilation of answers quoted the
    # same words unmarked, as if the office had typed them so.
    teencode = "em muon hoi tinh co ho tro tn tim viec lam ko a"
    formal = "Tỉnh có hỗ trợ thanh niên tìm việc làm không?"
    items = tuple(
        ConclusionItem(n, code, "Việc làm", text, (code,), 1, "Giao Sở Nội vụ.", ())
        for n, code, text in ((1, "K7Q2MA", teencode), (2, "P3X8AB", formal))
    )
    notice = ConclusionDocument(
        _hand_made_head("vi"), "Chủ tịch UBND tỉnh Cao Bằng", "", items, (), date(2025, 9, 7), None
    )
    asked = tuple(
        AnsweredQuestion(
            code, "Việc làm", "Xã Đàm Thuỷ", "Lan", text, 1, None, None, None, False, None
        )
        for code, text in (("K7Q2MA", teencode), ("P3X8AB", formal))
    )
    answers = AnswersDocument(
        _hand_made_head("vi"), date(2025, 8, 26), (DepartmentAnswers("Sở Nội vụ", asked),)
    )
    for name, document in (("ket-luan", notice), ("tra-loi", answers)):
        out = write_followup_docx(document, tmp_path / f"{name}.docx", tr=translator("vi"))
        texts = [p.text for p in docx.Document(str(out)).paragraphs]
        assert sum("được ghi chú “(nguyên văn)”" in t for t in texts) == 1, name
        assert any(f"“{teencode}” (nguyên văn)" in t for t in texts), name
        assert any(f"“{formal}”" in t and "(nguyên văn)" not in t for t in texts), name


def test_files_name_their_issuer_not_the_library(tmp_path: Path) -> None:
    # Word's File > Info showed "python-docx" as author, "generated by python-docx" as
    # comment and 23/12/2013 as the date created; Excel showed "openpyxl" as author.
    digest = make_digest()
    summary = docx.Document(str(write_docx(digest, tmp_path / "t.docx", tr=Translator("vi"))))
    properties = summary.core_properties
    author = "Ban Công tác thanh thiếu nhi, Ủy ban MTTQ Việt Nam tỉnh Cao Bằng"
    assert properties.author == author and properties.last_modified_by == author
    assert properties.title.startswith("Báo cáo: Tổng hợp câu hỏi, ý kiến, kiến nghị")
    assert "python-docx" not in properties.comments
    assert properties.created is not None and properties.created.year >= 2025
    assert properties.language == "vi-VN"
    head = _hand_made_head("vi")
    notice = ConclusionDocument(head, "Chủ tịch UBND tỉnh", "", (), (), date(2025, 9, 7), None)
    out = write_followup_docx(notice, tmp_path / "tb.docx", tr=translator("vi"))
    assert docx.Document(str(out)).core_properties.author == "Sở Nội vụ, UBND tỉnh Cao Bằng"
    workbook = load_workbook(write_xlsx(digest, tmp_path / "t.xlsx", tr=Translator("vi")))
    assert workbook.properties.creator == author
    assert workbook.properties.title == digest.campaign_title
    # The answer sheet sent to a department, and any table written (youthbot cluster --out).
    question = SheetQuestion("K7Q2MA", "Việc làm", "Xã Đàm Thuỷ", "Lan", "Có việc không?", 1, "")
    sheet = write_answer_sheet(
        [question],
        tmp_path / "phieu.xlsx",
        tr=translator("vi"),
        department="Sở Nội vụ",
        campaign_id=1,
        campaign_title="Đối thoại 2027",
        due=None,
    )
    table = write_table(tmp_path / "nhom.xlsx", "Nhóm", [TableColumn("Mã", 8, 10)], [("A",)])
    for path in (sheet, table):
        assert load_workbook(path).properties.creator != "openpyxl"
