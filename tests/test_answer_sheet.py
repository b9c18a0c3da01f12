"""A department's XLSX answer sheet: written, filled in a spreadsheet, imported back.
All or nothing: a bad row refuses the whole file, naming the row and what to fix."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.application.app import App
from bot.campaign.setup import create_campaign
from bot.cli import main
from storage.models import Campaign, Question
from tests.followup import outbox, question, support

JOBS = "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp đại học?"
LOANS = "Thanh niên muốn vay vốn khởi nghiệp thì liên hệ ở đâu?"
SCHOOL = "Bếp ăn bán trú ở trường có được kiểm tra an toàn thực phẩm không?"


CODE_HEADERS = ("Mã câu hỏi", "Question code")
ANSWER_HEADERS = ("Trả lời", "Answer")


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


@pytest.fixture
async def setup(province_app: App) -> tuple[App, Campaign, list[Question]]:
    app = province_app
    campaign = await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    jobs = await question(app, campaign, "a", JOBS)
    loans = await question(app, campaign, "b", LOANS, topic="vay vốn", anonymous=True)
    school = await question(app, campaign, "c", SCHOOL, topic="thực phẩm")
    await support(app, jobs, "d")
    for topic, department in (
        ("viec lam", "SNV"),
        ("vay von", "Sở Nội Vụ"),
        ("thuc pham", "Sở Y tế"),
    ):
        assert await run(["route", "--topic", topic, "--department", department]) == 0
    return app, campaign, [jobs, loans, school]


def fill(path: Path, answers: dict[str, str], *, out: Path | None = None) -> Path:
    """Type answers into the sheet the way a department does, by question code."""
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws is not None
    header = next(r for r in range(1, 20) if ws.cell(r, 2).value in CODE_HEADERS)
    answer = next(c for c in range(1, 20) if ws.cell(header, c).value in ANSWER_HEADERS)
    for row in range(header + 1, ws.max_row + 1):
        code = ws.cell(row, 2).value
        if code in answers:
            ws.cell(row, answer).value = answers[code]
    target = out or path
    wb.save(target)
    return target


@pytest.mark.usefixtures("english_cli")
async def test_round_trip_records_drafts_and_unchanged_rows_are_fine(
    setup: tuple[App, Campaign, list[Question]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app, _, (jobs, loans, school) = setup
    sheet = tmp_path / "so-noi-vu.xlsx"
    assert await run(["answers", "sheet", "--department", "so noi vu", "--out", str(sheet)]) == 0
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    assert ws is not None
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c]
    assert "Sở Nội vụ" in cells and jobs.code in cells and loans.code in cells
    assert school.code not in cells  # another department's question
    assert "Hoàng Thị Lan" in cells and "Anonymous" in cells and 2 in cells  # asker, people
    assert ws.protection.sheet  # only the answer column is open for typing

    fill(sheet, {jobs.code: "Tỉnh có Trung tâm Dịch vụ việc làm."})
    assert await run(["answers", "import", str(sheet)]) == 0
    assert "recorded 1 answer (draft)" in capsys.readouterr().out
    stored = await app.store.questions.get(jobs.id)
    assert stored is not None and stored.answer == "Tỉnh có Trung tâm Dịch vụ việc làm."
    assert stored.answered_by == "Sở Nội vụ" and not stored.answer_published
    assert await outbox(app, "answer") == []

    # The same file again: nothing changes, and that is fine.
    assert await run(["answers", "import", str(sheet)]) == 0
    assert "recorded 0 answers (drafts); 1 row unchanged, 1 row without" in capsys.readouterr().out

    # A new sheet carries the draft; the department completes it; --publish tells askers.
    again = tmp_path / "again.xlsx"
    assert await run(["answers", "sheet", "--department", "Sở Nội vụ", "--out", str(again)]) == 0
    assert "Tỉnh có Trung tâm Dịch vụ việc làm." in [
        c
        for row in openpyxl.load_workbook(again).active.iter_rows(values_only=True)
        for c in row  # type: ignore[union-attr]
    ]
    fill(again, {loans.code: "Liên hệ Ngân hàng Chính sách xã hội."})
    assert await run(["answer", "--file", str(again), "--publish"]) == 0
    told = {person for person, _ in await outbox(app, "answer")}
    assert told == {loans.person_id}  # only the newly recorded answer was published


@pytest.mark.usefixtures("english_cli")
async def test_bad_rows_refuse_the_whole_file(
    setup: tuple[App, Campaign, list[Question]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app, _, (jobs, loans, school) = setup
    sheet = tmp_path / "sheet.xlsx"
    assert await run(["answers", "sheet", "--department", "Sở Nội vụ", "--out", str(sheet)]) == 0
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    assert ws is not None
    last = ws.max_row
    ws.cell(last - 1, 8).value = "Trả lời tốt."  # a good row ...
    ws.cell(last, 8).value = "x" * 4000  # ... and a bad one
    ws.cell(last + 1, 2).value = "ZZZZZZ"
    ws.cell(last + 1, 8).value = "Không rõ."
    ws.cell(last + 2, 2).value = school.code  # routed to Sở Y tế
    ws.cell(last + 2, 8).value = "Không thuộc."
    ws.cell(last + 3, 2).value = jobs.code  # twice
    ws.cell(last + 3, 8).value = "Lần hai."
    ws.cell(last + 4, 8).value = "Không có mã."
    wb.save(sheet)
    assert await run(["answers", "import", str(sheet)]) == 1
    out = capsys.readouterr()
    for needle in (
        f"row {last}: the answer to question",
        f"row {last + 1}: no question has the code ZZZZZZ",
        f"row {last + 2}: question {school.code} is routed to Sở Y tế, not to Sở Nội vụ",
        f"row {last + 3}: code {jobs.code} is already on row",
        f"row {last + 4}: an answer without a question code",
    ):
        assert needle in out.out, needle
    assert "no answer was recorded" in out.err
    for q in (jobs, loans):
        stored = await app.store.questions.get(q.id)
        assert stored is not None and stored.answer is None  # not even the good row


@pytest.mark.usefixtures("english_cli")
async def test_files_that_are_not_a_department_sheet_are_refused(
    setup: tuple[App, Campaign, list[Question]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app, _, (jobs, _, _) = setup
    sheet = tmp_path / "sheet.xlsx"
    assert await run(["answers", "sheet", "--department", "Sở Nội vụ", "--out", str(sheet)]) == 0

    # Another department's file, imported as if it were Sở Y tế's.
    fill(sheet, {jobs.code: "Có."})
    assert await run(["answers", "import", str(sheet), "--department", "Sở Y tế"]) == 2
    assert "is the sheet of Sở Nội vụ, not of Sở Y tế" in capsys.readouterr().err

    # Columns renamed or removed.
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    assert ws is not None
    for row in ws.iter_rows():
        for cell in row:
            if cell.value in ANSWER_HEADERS:
                cell.value = "Notes"
    wrong = tmp_path / "wrong.xlsx"
    wb.save(wrong)
    assert await run(["answers", "import", str(wrong)]) == 2
    assert "no header row with the columns" in capsys.readouterr().err

    # An empty sheet: the head and header, no rows.
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    assert ws is not None
    ws.delete_rows(8, ws.max_row)
    empty = tmp_path / "empty.xlsx"
    wb.save(empty)
    assert await run(["answers", "import", str(empty)]) == 2
    assert "has no question rows" in capsys.readouterr().err

    # Not a spreadsheet at all.
    junk = tmp_path / "junk.xlsx"
    junk.write_text("code,answer\n", encoding="utf-8")
    assert await run(["answers", "import", str(junk)]) == 2
    assert "cannot be read as an Excel file" in capsys.readouterr().err
    stored = await app.store.questions.get(jobs.id)
    assert stored is not None and stored.answer is None


@pytest.mark.usefixtures("english_cli")
async def test_a_published_answer_cannot_be_changed_by_a_sheet(
    setup: tuple[App, Campaign, list[Question]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app, _, (jobs, _, _) = setup
    sheet = tmp_path / "sheet.xlsx"
    assert await run(["answers", "sheet", "--all", "--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("tra-loi-*.xlsx"))
    assert [re.sub(r"-\d{8}-\d{4}", "", name) for name in written] == [
        "tra-loi-so-noi-vu.xlsx",
        "tra-loi-so-y-te.xlsx",
    ]  # and the local date and time they were made
    sheet = tmp_path / written[0]
    fill(sheet, {jobs.code: "Bản đầu."})
    assert await run(["answers", "import", str(sheet), "--publish"]) == 0
    fill(sheet, {jobs.code: "Bản sửa."})
    assert await run(["answers", "import", str(sheet)]) == 1
    assert "was sent to the askers on" in capsys.readouterr().out
    stored = await app.store.questions.get(jobs.id)
    assert stored is not None and stored.answer == "Bản đầu."


async def test_a_vietnamese_sheet_imports_on_an_english_command_line(
    setup: tuple[App, Campaign, list[Question]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, _, (jobs, _, _) = setup
    sheet = tmp_path / "sheet.xlsx"
    assert await run(["answers", "sheet", "--department", "Sở Nội vụ", "--out", str(sheet)]) == 0
    texts = [
        c for row in openpyxl.load_workbook(sheet).active.iter_rows(values_only=True) for c in row
    ]  # type: ignore[union-attr]
    assert "Mã câu hỏi" in texts and "Trả lời" in texts and "Ẩn danh" in texts
    fill(sheet, {jobs.code: "Có hỗ trợ."})
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
    assert await run(["answers", "import", str(sheet)]) == 0
    assert "recorded 1 answer (draft)" in capsys.readouterr().out


async def test_a_sheet_that_is_not_there_is_named_missing(
    setup: tuple[App, Campaign, list[Question]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A mistyped path was "không đọc được như một file Excel … lưu lại dạng .xlsx": the
    # official re-saved a file that was fine instead of fixing the path.
    missing = tmp_path / "tra-loi-so-y-te.xlsx"
    assert await run(["answers", "import", str(missing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"youthbot answers: không có file {missing}; kiểm tra lại tên và thư mục"], err


async def test_the_sheet_prints_on_a4_with_its_rows_tall_enough(
    setup: tuple[App, Campaign, list[Question]], tmp_path: Path
) -> None:
    # Departments print the sheet to read and sign it off: it came out on three portrait
    # pages cut between columns, every row one line high (wrapped text drawn over the next
    # row in LibreOffice), the header row printed once.
    _, _, (jobs, _, _) = setup
    sheet = tmp_path / "so-noi-vu.xlsx"
    assert await run(["answers", "sheet", "--department", "SNV", "--out", str(sheet)]) == 0
    ws = openpyxl.load_workbook(sheet).active
    assert ws is not None
    setup_ = ws.page_setup
    assert setup_.orientation == "landscape" and str(setup_.paperSize) == ws.PAPERSIZE_A4
    assert setup_.fitToWidth == 1 and setup_.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr is not None
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$7:$7"
    header = ws.row_dimensions[7].height
    assert header is not None and header >= 60  # "Số người quan tâm": a word a line, in bold
    row = next(r for r in range(8, ws.max_row + 1) if ws.cell(r, 2).value == jobs.code)
    height = ws.row_dimensions[row].height
    # The topic "Nghề nghiệp, việc làm" wraps in its 18-wide column: two lines at least.
    assert height is not None and height >= 30, height


def _rewrite_dimension(path: Path, ref: str) -> None:
    """Write the sheet's size as ``ref`` (a program that saves a wrong one, "A1")."""
    import re
    import zipfile

    data = {}
    with zipfile.ZipFile(path) as zin:
        for name in zin.namelist():
            data[name] = zin.read(name)
    xml = data["xl/worksheets/sheet1.xml"].decode("utf-8")
    data["xl/worksheets/sheet1.xml"] = re.sub(
        r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', xml
    ).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, content in data.items():
            zout.writestr(name, content)


@pytest.mark.usefixtures("english_cli")
async def test_a_sheet_reworked_in_a_spreadsheet_program_is_still_read(
    setup: tuple[App, Campaign, list[Question]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Departments rework the file before sending it back: a sheet of notes put first
    # ("không thấy dòng tiêu đề"), a column inserted on the left (the head's "Sở, ngành"
    # no longer in column A: "the department's name is missing"), codes copied with a
    # space inside or typed in lower case ("no question has the code GCU FQN"), the
    # instruction rows deleted, a program that saves the sheet's size as "A1". Each
    # refused the whole file though every answer was there.
    app, _, (jobs, loans, _) = setup
    sheet = tmp_path / "sheet.xlsx"
    assert await run(["answers", "sheet", "--department", "SNV", "--out", str(sheet)]) == 0

    def reworked(name: str, change: Callable[[Workbook, Worksheet], object]) -> Path:
        wb = openpyxl.load_workbook(sheet)
        ws = wb.active
        assert ws is not None
        rows = {ws.cell(r, 2).value: r for r in range(8, ws.max_row + 1)}
        ws.cell(rows[jobs.code], 8).value = f"Trả lời ({name})."
        ws.cell(rows[loans.code], 2).value = " " + loans.code[:3].lower() + " " + loans.code[3:]
        ws.cell(rows[loans.code], 8).value = f"Vay vốn ({name})."
        change(wb, ws)
        path = tmp_path / f"{name}.xlsx"
        wb.save(path)
        return path

    def notes_first(wb: Workbook, ws: Worksheet) -> None:
        wb.create_sheet("Ghi chú", 0)["A1"] = "Văn phòng Sở: đã trình lãnh đạo duyệt"

    def column_on_the_left(wb: Workbook, ws: Worksheet) -> None:
        ws.insert_cols(1)

    def head_deleted(wb: Workbook, ws: Worksheet) -> None:
        ws.delete_rows(1, 6)

    for name, change in (
        ("notes-first", notes_first),
        ("column-on-the-left", column_on_the_left),
        ("head-deleted", head_deleted),
        ("lower-case-codes", lambda wb, ws: None),
    ):
        path = reworked(name, change)
        assert await run(["answers", "import", str(path)]) == 0, capsys.readouterr()
        assert "Sở Nội vụ: recorded 2 answers" in capsys.readouterr().out
        for q, text in ((jobs, f"Trả lời ({name})."), (loans, f"Vay vốn ({name}).")):
            stored = await app.store.questions.get(q.id)
            assert stored is not None and stored.answer == text, (name, stored)

    wrong_size = reworked("wrong-size", lambda wb, ws: None)
    _rewrite_dimension(wrong_size, "A1")
    assert await run(["answers", "import", str(wrong_size)]) == 0, capsys.readouterr()
    assert "Sở Nội vụ: recorded 2 answers" in capsys.readouterr().out


@pytest.mark.usefixtures("english_cli")
async def test_a_row_of_another_dialogue_is_refused(
    setup: tuple[App, Campaign, list[Question]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A row copied from last year's sheet into this year's, the code still the old
    # question's: its answer was recorded on last year's question, which the department
    # and Sở Nội vụ no longer look at; the row is refused, naming it.
    app, _, (old_jobs, _, _) = setup
    campaign = await create_campaign(app, title="Đối thoại 2026", dialogue=date(2026, 8, 28))
    jobs = await question(app, campaign, "e", JOBS)
    assert (
        await run(["route", "--campaign", "2", "--topic", "viec lam", "--department", "Sở Nội vụ"])
        == 0
    )
    sheet = tmp_path / "sheet.xlsx"
    argv = ["answers", "sheet", "--campaign", "2", "--department", "SNV", "--out", str(sheet)]
    assert await run(argv) == 0
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    assert ws is not None
    last = ws.max_row
    ws.cell(last, 8).value = "Năm nay có hội chợ việc làm."
    ws.cell(last + 1, 2).value = old_jobs.code
    ws.cell(last + 1, 8).value = "Trả lời nhầm đợt."
    wb.save(sheet)
    assert await run(["answers", "import", str(sheet)]) == 1
    out = capsys.readouterr().out
    assert f"row {last + 1}: question {old_jobs.code} belongs to another dialogue" in out, out
    for q in (old_jobs, jobs):
        stored = await app.store.questions.get(q.id)
        assert stored is not None and stored.answer is None
