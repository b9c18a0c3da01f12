"""The documents an official sends as they are, read back as a civil servant reads them:
names in Vietnamese alphabetical order (Đ among the D's, "Tân" before "Thục"), and a
question holding a pasted link laid out without a line stretched across the page."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from bot.application.app import App
from bot.campaign import conclusion, programme
from bot.campaign.setup import create_campaign
from bot.cli import main
from handlers.answers import publish, save_answer
from storage.models import Campaign, Question
from tests.followup import question
from tests.rendering import pages, require_tools, to_pdf

DIALOGUE = date(2025, 8, 28)
LINK = (
    "https://www.facebook.com/groups/thanhniencaobang/permalink/"
    "12345678901234567890123456789/?comment_id=9876543210987654321"
)
LINKED = f"Xem bài {LINK} về việc làm cho sinh viên"


async def export(kind: str, out: Path) -> Path:
    argv = ["export", "--format", "docx", "--document", kind, "--out", str(out)]
    assert await asyncio.to_thread(main, argv) == 0
    return out


@pytest.fixture
async def held(province_app: App) -> tuple[App, Campaign, dict[str, Question]]:
    """A dialogue held: one question from each of five units (one count each, so only
    their names order them; the first two grouped as one issue), routed to Sở Nội vụ and Đại học Thái Nguyên or not at all, one
    answered in writing, one by the chair; the conclusion published."""
    app = province_app
    store, now = app.store, app.clock.now()
    campaign = await create_campaign(app, title="Hội nghị đối thoại năm 2025", dialogue=DIALOGUE)
    asked = {
        "jobs": await question(
            app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?", unit="w01447"
        ),
        "anonymous": await question(
            app, campaign, "b", "Sinh viên về quê có việc làm không?", unit="w01501", anonymous=True
        ),
        "link": await question(app, campaign, "c", LINKED, unit="w01273", name="Nông Thị Cúc"),
        "loans": await question(
            app, campaign, "d", "Vay vốn khởi nghiệp ở đâu?", topic="vay vốn", unit="w01288"
        ),
        "roads": await question(
            app, campaign, "e", "Đường xóm hỏng bao giờ sửa?", topic="nông thôn", unit="w01786"
        ),
    }
    for topic in await store.campaigns.topics(campaign.id):
        if "việc làm" in topic.name:
            await store.questions.route_topic(topic.id, "Sở Nội vụ", now=now)
        if "vay vốn" in topic.name:
            await store.questions.route_topic(topic.id, "Đại học Thái Nguyên", now=now)
    jobs = asked["jobs"]
    group = await store.clusters.add(campaign.id, jobs.id, now=now)
    await store.clusters.assign(asked["anonymous"].id, group)
    await save_answer(
        store, jobs, "Có Trung tâm Dịch vụ việc làm.", now=now, by="Sở Nội vụ", source="test"
    )
    await publish(store, [await store.questions.get(jobs.id)], now=now)  # type: ignore[list-item]
    await programme.propose(store, campaign, now=now)
    after = datetime(2025, 8, 29, 3, tzinfo=UTC)
    await conclusion.record_answer(
        store, campaign, asked["roads"].code, "Sửa đường trong quý IV.", now=after
    )
    await conclusion.add_commitment(
        store,
        campaign,
        owner="SNV",
        due=date(2025, 12, 31),
        text="Sửa đường liên xóm",
        code=asked["roads"].code,
        now=after,
    )
    await conclusion.publish(store, campaign, today=date(2025, 8, 29), now=after)
    return app, campaign, asked


def first_column(table: docx.table.Table) -> list[str]:
    return [row.cells[0].text for row in table.rows[1:]]


def table_headed(document: docx.document.Document, header: str) -> docx.table.Table:
    return next(t for t in document.tables if t.rows[0].cells[0].text == header)


# --- Vietnamese alphabetical order -----------------------------------------------------------

UNITS_IN_ORDER = [
    "Phường Tân Giang",  # "Tân" before "Thục": a before h, as a Vietnamese reader sorts
    "Phường Thục Phán",
    "Xã Đàm Thuỷ",  # Đ among the D's, not after X
    "Xã Đông Khê",
    "Xã Trà Lĩnh",
]


async def test_report_lists_units_and_departments_alphabetically(
    held: tuple[App, Campaign, dict[str, Question]], tmp_path: Path
) -> None:
    report = docx.Document(str(await export("report", tmp_path / "report.docx")))
    assert first_column(table_headed(report, "Đơn vị")) == UNITS_IN_ORDER
    assert first_column(table_headed(report, "Cơ quan trả lời")) == [
        "Đại học Thái Nguyên",
        "Sở Nội vụ",
        "Chưa chuyển cơ quan trả lời",  # the questions not routed stay last
    ]


async def test_answers_and_conclusion_list_departments_alphabetically(
    held: tuple[App, Campaign, dict[str, Question]], tmp_path: Path
) -> None:
    answers = docx.Document(str(await export("answers", tmp_path / "answers.docx")))
    sections = [
        re.sub(r" \(.*", "", p.text) for p in answers.paragraphs if re.match(r"^[IVX]+\. ", p.text)
    ]
    assert sections == [
        "I. Đại học Thái Nguyên",
        "II. Sở Nội vụ",
        "III. Chưa chuyển sở, ngành",
    ]

    notice = docx.Document(str(await export("conclusion", tmp_path / "conclusion.docx")))
    written = [p.text for p in notice.paragraphs if p.text.startswith("- ")]
    assert written == [
        "- Đại học Thái Nguyên: 1 câu hỏi;",
        "- Sở Nội vụ: 2 câu hỏi.",
    ], written


async def test_summary_names_a_groups_units_alphabetically(
    held: tuple[App, Campaign, dict[str, Question]], tmp_path: Path
) -> None:
    summary = docx.Document(str(await export("summary", tmp_path / "summary.docx")))
    table = table_headed(summary, "STT")
    units = {row.cells[2].text: row.cells[4].text for row in table.rows[1:]}
    # One question each from Xã Trà Lĩnh and Xã Đàm Thuỷ, grouped: Đ is among the D's.
    [grouped] = [u for text, u in units.items() if "Tỉnh hỗ trợ việc làm" in text]
    assert grouped == "Xã Đàm Thuỷ, Xã Trà Lĩnh"


# --- the answers compilation and the report agree ------------------------------------------


async def test_answers_compilation_counts_the_chairs_answers_as_the_report_does(
    held: tuple[App, Campaign, dict[str, Question]], tmp_path: Path
) -> None:
    """A question the chair answered at the dialogue showed its answer under a heading
    "(đã trả lời 0/1)", while the report counted it answered: the two documents Sở Nội vụ
    sends gave different figures for the same department."""
    report = docx.Document(str(await export("report", tmp_path / "report.docx")))
    by_department = {
        row.cells[0].text: (row.cells[1].text, row.cells[2].text)
        for row in table_headed(report, "Cơ quan trả lời").rows[1:]
    }
    figures = {
        row.cells[0].text: row.cells[1].text for row in table_headed(report, "Nội dung").rows[1:]
    }
    answers = docx.Document(str(await export("answers", tmp_path / "answers.docx")))
    headings = {
        found[1]: (found[3], found[2])
        for p in answers.paragraphs
        if (found := re.match(r"^[IVX]+\. (.+) \(đã trả lời (\d+)/(\d+)\)$", p.text))
    }
    assert headings == {
        "Đại học Thái Nguyên": ("1", "0"),
        "Sở Nội vụ": ("3", "1"),
        "Chưa chuyển sở, ngành": ("1", "1"),  # the chair answered it at the dialogue
    }
    assert by_department == {
        "Đại học Thái Nguyên": ("1", "0"),
        "Sở Nội vụ": ("3", "1"),
        "Chưa chuyển cơ quan trả lời": ("1", "1"),
    }
    answered = int(figures["Câu hỏi, ý kiến, kiến nghị"]) - int(
        figures["Câu hỏi chưa có trả lời (bằng văn bản hoặc tại hội nghị)"]
    )
    intro = next(p.text for p in answers.paragraphs if p.text.startswith("Tổng số"))
    assert intro.startswith(f"Tổng số 5 câu hỏi, ý kiến, kiến nghị; đã có trả lời {answered} ")
    assert answered == 2
    assert (
        "Trong số câu hỏi đã có trả lời, 1 câu được Chủ tịch trả lời trực tiếp tại Hội nghị"
        in intro
    ), intro


# --- every document ends its body with "./." ----------------------------------------------


def words(element: Any) -> str:
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


def closing_line(document: docx.document.Document) -> str:
    """The last paragraph with text before the foot ("Nơi nhận", the signer)."""
    body = document.element.body
    blocks = [child for child in body if child.tag.endswith(("}p", "}tbl"))]
    foot = blocks[-1]
    assert foot.tag.endswith("}tbl") and "Nơi nhận" in words(foot)
    for block in reversed(blocks[:-1]):
        text = words(block).strip()
        if text:
            assert block.tag.endswith("}p"), f"the body ends on a table: {text[:60]}"
            return text
    raise AssertionError("no body")


async def test_every_document_closes_its_body(
    held: tuple[App, Campaign, dict[str, Question]], tmp_path: Path
) -> None:
    """The live programme went from its table straight to "Nơi nhận": it had no closing
    sentence and no "./.", which every other document has."""
    for kind in ("summary", "answers", "programme", "conclusion", "report"):
        document = docx.Document(str(await export(kind, tmp_path / f"{kind}.docx")))
        assert closing_line(document).endswith("./."), kind
    programme_doc = docx.Document(str(tmp_path / "programme.docx"))
    assert closing_line(programme_doc) == (
        "Trên đây là kịch bản câu hỏi đối thoại trực tiếp tại Hội nghị; đề nghị các cơ quan,"
        " đơn vị được phân công trả lời chuẩn bị nội dung trả lời./."
    )


async def test_english_conclusion_names_a_task_in_english(
    held: tuple[App, Campaign, dict[str, Question]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The English notice gave a task as "Sở Nội vụ to: Sửa đường liên xóm (by …)."."""
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
    notice = docx.Document(str(await export("conclusion", tmp_path / "conclusion.docx")))
    lines = [p.text for p in notice.paragraphs]
    assert "Task for Sở Nội vụ: Sửa đường liên xóm (by 31/12/2025)." in lines, lines
    assert not any(" to: " in line for line in lines)


async def test_report_task_status_starts_with_a_capital(
    held: tuple[App, Campaign, dict[str, Question]], tmp_path: Path
) -> None:
    report = docx.Document(str(await export("report", tmp_path / "report.docx")))
    tasks = table_headed(report, "STT")
    assert tasks.rows[0].cells[4].text == "Tình trạng"
    [status] = [row.cells[4].text for row in tasks.rows[1:]]
    assert status.startswith("Đang thực hiện"), status  # "– quá hạn" once past its due date


async def test_summary_proposing_every_issue_leaves_none_to_answer_in_writing(
    held: tuple[App, Campaign, dict[str, Question]], tmp_path: Path
) -> None:
    """With four issues, all four are proposed for the live dialogue: the summary said
    "các ý kiến, kiến nghị còn lại đề nghị … trả lời bằng văn bản" of a rest there was not."""
    summary = docx.Document(str(await export("summary", tmp_path / "summary.docx")))
    [intro] = [p.text for p in summary.paragraphs if p.text.startswith("Căn cứ số thanh niên")]
    assert intro == (
        "Căn cứ số thanh niên quan tâm, đề xuất 4 câu hỏi sau (tất cả các vấn đề thanh niên"
        " nêu) để trao đổi trực tiếp tại Hội nghị đối thoại."
    )
    assert len(table_headed(summary, "STT").rows) == 1 + 4


# --- a pasted link -------------------------------------------------------------------------


def holding(document: docx.document.Document, text: str) -> list[docx.text.paragraph.Paragraph]:
    return [p for p in document.paragraphs if text in p.text]


async def test_a_question_with_a_link_is_not_justified(
    held: tuple[App, Campaign, dict[str, Question]], tmp_path: Path
) -> None:
    """A justified line cannot break inside a link: the words before it were spread across
    the whole line ("2.      “Xem      bài"). That paragraph is aligned left, in the young
    person's own words; every other one stays justified (Nghị định 30)."""
    for kind in ("summary", "answers"):
        document = docx.Document(str(await export(kind, tmp_path / f"{kind}.docx")))
        [linked] = holding(document, LINKED)
        assert linked.alignment == WD_ALIGN_PARAGRAPH.LEFT, kind
        others = holding(document, "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
        assert others and all(p.alignment is None for p in others), kind
        assert document.styles["Normal"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY


async def test_a_question_with_a_link_renders_without_a_stretched_line(
    held: tuple[App, Campaign, dict[str, Question]], tmp_path: Path
) -> None:
    require_tools()
    path = await export("summary", tmp_path / "summary.docx")
    [pdf] = await asyncio.to_thread(to_pdf, [path], tmp_path / "pdf", tmp_path / "profile")
    words = [w for page in pages(pdf) for w in page.words]
    see = next(i for i, w in enumerate(words) if w.text == "“Xem")
    before, after = words[see], words[see + 1]
    assert after.text == "bài" and abs(after.y_min - before.y_min) < 1
    # One space between the two words (about 3 pt at 13 pt), not a line's width.
    assert after.x_min - before.x_max < 10, (before, after)


async def test_workbook_status_cells_start_with_a_capital(
    held: tuple[App, Campaign, dict[str, Question]], tmp_path: Path
) -> None:
    """The question sheet's "Tình trạng xử lý" printed the chat's sentence words
    ("đã chuyển cơ quan trả lời") where every other cell starts with a capital."""
    import openpyxl

    out = tmp_path / "questions.xlsx"
    assert await asyncio.to_thread(main, ["export", "--format", "xlsx", "--out", str(out)]) == 0
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in openpyxl.load_workbook(out)]
    [rows] = [rows for rows in sheets if any("Tình trạng xử lý" in row for row in rows)]
    header = next(i for i, row in enumerate(rows) if "Tình trạng xử lý" in row)
    column = rows[header].index("Tình trạng xử lý")
    statuses = [row[column] for row in rows[header + 1 :] if row[column]]
    assert statuses and all(status[0].isupper() for status in statuses), statuses
