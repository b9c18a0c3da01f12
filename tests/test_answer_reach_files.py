"""Answers from files reach only what the department answered: a CSV naming one question
twice is refused whole (it recorded both and sent the second, "2 answers recorded");
a sheet row whose question its asker edited after the sheet was made is refused (the
answer to the old words went out quoting the new ones); ``answers sheet --out`` names a
folder too (it stopped on "IsADirectoryError")."""

from __future__ import annotations

import asyncio
from pathlib import Path

import openpyxl
import pytest

from bot.application.app import App
from bot.cli import main
from storage.models import Campaign
from tests.followup import outbox, question, support

JOBS = "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp đại học?"
EDITED = "Em hỏi về học bổng du học cho sinh viên dân tộc thiểu số ạ?"


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


async def test_a_csv_answering_one_question_twice_is_refused(
    province_app: App, campaign: Campaign, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = province_app
    asked = await question(app, campaign, "lan", JOBS)
    both = tmp_path / "tra-loi.csv"
    both.write_text(
        f"code,answer\n{asked.code},Tỉnh có sàn việc làm.\n{asked.code.lower()},Không có.\n",
        encoding="utf-8",
    )
    assert await run(["answer", "--file", str(both), "--publish"]) == 1
    out = capsys.readouterr().out
    assert f"dòng 3: mã {asked.code} đã có ở dòng 2" in out, out
    fresh = await app.store.questions.get(asked.id)
    assert fresh is not None and fresh.answer is None
    assert await outbox(app, "answer") == []


def _fill(path: Path, code: str, answer: str) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows()]
    top = next(n for n, r in enumerate(rows) if any(c.value == "Mã câu hỏi" for c in r))
    columns = {c.value: index for index, c in enumerate(rows[top])}
    for row in rows[top + 1 :]:
        if row[columns["Mã câu hỏi"]].value == code:
            row[columns["Trả lời"]].value = answer
    book.save(path)


async def test_a_sheet_row_whose_question_was_edited_since_is_refused(
    province_app: App, campaign: Campaign, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = province_app
    asked = await question(app, campaign, "lan", JOBS)
    other = await question(app, campaign, "an", "Xã có hội chợ việc làm không?")
    await support(app, asked, "minh")
    assert await run(["route", "--topic", "viec lam", "--department", "so noi vu"]) == 0
    # --out names a folder: the sheet is written in it under its usual name.
    assert await run(["answers", "sheet", "--department", "Sở Nội vụ", "--out", str(tmp_path)]) == 0
    [sheet] = list(tmp_path.glob("*.xlsx"))
    capsys.readouterr()
    _fill(sheet, asked.code, "Tỉnh có sàn việc làm hằng tháng.")
    _fill(sheet, other.code, "Có, mỗi quý một lần.")
    await app.store.questions.update_text(asked.id, EDITED, now=app.clock.now())  # /sua

    assert await run(["answer", "--file", str(sheet), "--publish"]) != 0
    said = capsys.readouterr()
    assert asked.code in said.out + said.err and EDITED in said.out + said.err, said
    assert await outbox(app, "answer") == []  # all or nothing: the other row waits too
    for q in (asked, other):
        fresh = await app.store.questions.get(q.id)
        assert fresh is not None and fresh.answer is None

    # A new sheet shows the new words: answered, it is recorded and sent.
    fresh_sheet = tmp_path / "moi.xlsx"
    args = ["answers", "sheet", "--department", "Sở Nội vụ", "--out", str(fresh_sheet)]
    assert await run(args) == 0
    _fill(fresh_sheet, asked.code, "Tỉnh có học bổng cho sinh viên dân tộc thiểu số.")
    assert await run(["answer", "--file", str(fresh_sheet), "--publish"]) == 0
    sent = [text for _, text in await outbox(app, "answer")]
    assert len(sent) == 2 and all(EDITED in t and "học bổng" in t.split("Trả lời")[1] for t in sent)
