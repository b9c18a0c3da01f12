"""The report on the dialogue ("báo cáo kết quả") gives numbers that add up: questions
received (of which anonymous, late), issues once grouped, answered in writing, answered
by the chair at the dialogue, still without an answer; by topic group, by department
and by unit, each table summing to the total. Anonymous askers are counted, never named.
(Walking the demo, the report had no 'not answered' figure at all, no late or anonymous
count, no table by department or unit, and a question the chair answered at the dialogue
counted as not answered in its topic group.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest

from bot.application.app import App
from bot.campaign import conclusion
from bot.campaign.setup import create_campaign
from bot.cli import main
from handlers.answers import publish, save_answer
from handlers.clusters import merge
from storage.models import Campaign
from tests.followup import question

DIALOGUE = date(2025, 8, 28)


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(province_app, title="Đối thoại 2025", dialogue=DIALOGUE)


def _tables(path: Path) -> list[list[list[str]]]:
    document = docx.Document(str(path))
    return [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]


async def test_report_figures_add_up_by_topic_department_and_unit(
    province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    app = province_app
    store, now = app.store, app.clock.now()
    jobs = await question(app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    jobs2 = await question(
        app, campaign, "b", "Tỉnh có hỗ trợ tìm việc làm cho sinh viên không?", unit="w01279"
    )
    loans = await question(
        app, campaign, "c", "Vay vốn khởi nghiệp ở đâu?", topic="vay vốn", anonymous=True
    )
    wifi = await question(
        app,
        campaign,
        "d",
        "Bản em chưa có sóng điện thoại.",
        topic="Chuyển đổi số",
        name="Nông Văn Dũng",
        unit="w01279",
    )
    road = await question(app, campaign, "e", "Đường liên xóm bao giờ sửa?", topic="nông thôn")
    gone = await question(app, campaign, "f", "Câu đã rút", topic="nông thôn")
    await store.questions.set_status(gone.id, "withdrawn", now=now)
    await store.db.execute("UPDATE questions SET late = 1 WHERE id = ?", (road.id,))
    await merge(store, [jobs.code, jobs2.code], by=None, now=now)
    for q, department in ((jobs, "Sở Nội vụ"), (jobs2, "Sở Nội vụ"), (loans, "Sở Tài chính")):
        await store.questions.route_question(q.id, department, now=now)
    await store.questions.route_question(wifi.id, "Sở Khoa học và Công nghệ", now=now)
    fresh = await store.questions.get(jobs.id)
    assert fresh is not None
    await save_answer(store, fresh, "Có Trung tâm Dịch vụ việc làm.", now=now, by=None, source="t")
    await publish(store, [await store.questions.get(jobs.id)], now=now)  # type: ignore[list-item]
    after = datetime(2025, 8, 29, 3, tzinfo=UTC)
    # The chair answers the wifi question at the dialogue (no written answer).
    await conclusion.record_answer(store, campaign, wifi.code, "Phủ sóng năm 2026.", now=after)
    await conclusion.publish(store, campaign, today=date(2025, 8, 29), now=after)

    out = tmp_path / "report.docx"
    assert await run(["export", "--format", "docx", "--document", "report", "--out", str(out)]) == 0
    tables = _tables(out)
    figures = next({r[0]: r[1] for r in t} for t in tables if t[0][0] == "Nội dung")
    assert figures["Câu hỏi, ý kiến, kiến nghị"] == "5"  # the withdrawn one out
    assert figures["Trong đó: câu hỏi ẩn danh"] == "1"
    assert figures["Trong đó: câu hỏi gửi sau hạn"] == "1"
    assert figures["Vấn đề sau khi gộp các câu hỏi trùng ý"] == "4"
    assert figures["Câu hỏi đã có trả lời bằng văn bản"] == "1"
    assert figures["Câu hỏi được Chủ tịch trả lời tại hội nghị (Thông báo kết luận)"] == "1"
    assert figures["Câu hỏi chưa có trả lời (bằng văn bản hoặc tại hội nghị)"] == "3"

    def rows(first: str) -> list[list[str]]:
        [table] = [t for t in tables if t[0][0] == first]
        return table[1:]

    topics = {r[0]: r[1:] for r in rows("Nhóm vấn đề")}
    assert topics["Chuyển đổi số"] == ["1", "1", "0"]  # answered at the dialogue
    assert topics["Nghề nghiệp, việc làm"] == ["2", "1", "1"]
    departments = {r[0]: r[1:] for r in rows("Cơ quan trả lời")}
    assert departments == {
        "Sở Khoa học và Công nghệ": ["1", "1", "0", "0"],
        "Sở Nội vụ": ["2", "1", "1", "1"],
        "Sở Tài chính": ["1", "0", "0", "1"],
        "Chưa chuyển cơ quan trả lời": ["1", "0", "0", "1"],
    }
    units = {r[0]: r[1:] for r in rows("Đơn vị")}
    assert units == {"Phường Thục Phán": ["3", "1", "2"], "Phường Nùng Trí Cao": ["2", "1", "1"]}
    for table in (topics, departments, units):  # each adds up to the total
        assert sum(int(v[0]) for v in table.values()) == 5
        assert sum(int(v[-1]) for v in table.values()) == 3
    # Counted, never named: no asker's name anywhere in the report.
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    cells = "\n".join(c for t in tables for r in t for c in r)
    for name in ("Hoàng Thị Lan", "Nông Văn Dũng", "Ẩn danh"):
        assert name not in text and name not in cells


async def test_the_compilation_of_answers_shows_the_chair_s_answer(
    province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    # A question the chair answered at the dialogue read 'Chưa có trả lời.' in the
    # compilation of answers.
    app = province_app
    store, now = app.store, app.clock.now()
    wifi = await question(app, campaign, "d", "Bản em chưa có sóng.", topic="Chuyển đổi số")
    other = await question(app, campaign, "e", "Xóm em cũng mất sóng.", topic="Chuyển đổi số")
    left = await question(app, campaign, "f", "Wifi nhà văn hóa?", topic="Chuyển đổi số")
    for q in (wifi, other, left):
        await store.questions.route_question(q.id, "Sở Khoa học và Công nghệ", now=now)
    await conclusion.record_answer(
        store, campaign, wifi.code, "Phủ sóng năm 2026.", also=[other.code], now=now
    )
    out = tmp_path / "answers.docx"
    assert (
        await run(["export", "--format", "docx", "--document", "answers", "--out", str(out)]) == 0
    )
    lines = [p.text for p in docx.Document(str(out)).paragraphs]
    live = (
        "Trả lời trực tiếp tại Hội nghị ngày 28/08/2025 (Chủ tịch UBND tỉnh Cao Bằng;"
        " Thông báo kết luận): Phủ sóng năm 2026."
    )
    for q in (wifi, other):
        at = next(i for i, line in enumerate(lines) if q.code in line)
        assert lines[at + 1] == live, lines[at : at + 2]
    at = next(i for i, line in enumerate(lines) if left.code in line)
    assert lines[at + 1] == "Chưa có trả lời."
