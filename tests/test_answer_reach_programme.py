"""A cluster never erases a question: the live programme (``programme show``, ``/kichban``
and its Word file) lists, under a question, every other question of its group with its
code, unit and own words (it named them by code only, or not at all), withdrawn ones
left out; on a phone the first three, then how many more."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import docx
import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign import programme
from bot.campaign.setup import create_campaign
from bot.cli import main
from handlers.clusters import merge
from storage.models import Campaign, Question
from tests.followup import official, question, support

WORDS = (
    "Tỉnh có hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp không ạ?",
    "tinh co chinh sach ho tro tim viec lam khi tot nghiep ve que ko a",
    "Em muốn hỏi về việc làm cho sinh viên mới ra trường.",
    "Sinh viên tốt nghiệp về địa phương có được giới thiệu việc làm?",
    "Cho em hỏi tỉnh có sàn giao dịch việc làm cho người mới tốt nghiệp không?",
    "Câu hỏi sẽ được rút lại về việc làm.",
)
UNITS = ("w01273", "w01279", "w01273", "w01279", "w01273", "w01273")


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


@pytest.fixture
async def group(province_app: App) -> tuple[App, Campaign, list[Question]]:
    app = province_app
    campaign = await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    asked = [
        await question(app, campaign, f"u{i}", text, unit=unit, name=f"Người {i}")
        for i, (text, unit) in enumerate(zip(WORDS, UNITS, strict=True))
    ]
    for j in range(3):
        await support(app, asked[0], f"fan{j}")
    await support(app, asked[1], "fan-b")
    await merge(app.store, [q.code for q in asked], by=None, now=app.clock.now())
    await app.store.questions.set_status(asked[-1].id, "withdrawn", now=app.clock.now())
    await programme.propose(app.store, campaign, now=app.clock.now())
    return app, campaign, asked


async def _unit(app: App, q: Question) -> str:
    unit = await app.store.units.get(q.unit_id)
    assert unit is not None
    return unit.name


async def test_programme_show_lists_each_related_question_in_its_own_words(
    group: tuple[App, Campaign, list[Question]], capsys: pytest.CaptureFixture[str]
) -> None:
    app, _, asked = group
    assert await run(["programme", "show"]) == 0
    out = capsys.readouterr().out
    first = next(line for line in out.splitlines() if line.startswith("1. "))
    assert asked[0].code in first
    for other in asked[1:5]:
        assert f"+ {other.code} ({await _unit(app, other)}): “{other.text}”" in out, out
    assert asked[5].code not in out and "rút lại" not in out  # withdrawn


async def test_kichban_in_chat_shows_three_related_then_how_many_more(
    group: tuple[App, Campaign, list[Question]],
) -> None:
    app, _, asked = group
    organiser = await official(app, build_engine(app), "organiser", "org")
    await organiser.say("/kichban")
    shown = organiser.last_text
    assert "Câu hỏi cùng nội dung:" in shown
    for other in asked[1:4]:
        assert f"+ {other.code} ({await _unit(app, other)}): “{other.text}”" in shown, shown
    assert asked[4].code not in shown
    assert "và 1 câu hỏi khác cùng nội dung" in shown and "/vanban kichban" in shown


async def test_programme_docx_gives_each_related_question_its_words_unit_and_people(
    group: tuple[App, Campaign, list[Question]], tmp_path: Path
) -> None:
    app, _, asked = group
    out = tmp_path / "kich-ban.docx"
    args = ["export", "--format", "docx", "--document", "programme", "--out", str(out)]
    assert await run(args) == 0
    cells = [
        [cell.text for cell in row.cells]
        for table in docx.Document(str(out)).tables
        for row in table.rows
    ]
    [row] = [c for c in cells if asked[0].code in c[1]]
    question_cell, askers_cell = row[1], row[2]
    b = asked[1]
    assert (
        f"- {b.code}, Người 1 ({await _unit(app, b)}) và 1 người cùng quan tâm: “{b.text}”"
        in question_cell
    ), question_cell
    for other in asked[2:5]:
        line = f"- {other.code}, Người {asked.index(other)} ({await _unit(app, other)}): "
        assert line + f"“{other.text}”" in question_cell, question_cell
    assert asked[5].code not in question_cell
    assert "Người 0" in askers_cell and "3 người cùng quan tâm" in askers_cell
