"""The results report ("báo cáo kết quả") made before the dialogue's date is a draft: it
says "(Dự thảo …)" under its title, as the unpublished conclusion notice does, and the
command line says so in one line. (It read as the report of a dialogue held on a date
still to come.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import docx
import pytest

from bot.application.app import App
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.documents.followup_build import build_document
from bot.documents.followup_docx import write_followup_docx
from locales import translator
from storage.models import Campaign
from tests.followup import question

DRAFT = "(Dự thảo – Hội nghị đối thoại dự kiến tổ chức ngày {date})"
INTRO = "báo cáo kết quả tổ chức Hội nghị đối thoại"


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs if p.text.strip()]


async def report(app: App, campaign: Campaign, now: datetime, path: Path) -> list[str]:
    document = await build_document(
        "report",
        app.store,
        campaign,
        language="vi",
        today=now.astimezone(app.tz).date(),
        now=now,
    )
    write_followup_docx(document, path, tr=translator("vi"))
    return paragraphs(path)


async def test_report_before_the_dialogue_is_a_draft(province_app: App, tmp_path: Path) -> None:
    app = province_app
    campaign = await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    await question(app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    # 23:30 on 27/08 in Vietnam (16:30 UTC): the day before the dialogue.
    before = await report(
        app, campaign, datetime(2025, 8, 27, 16, 30, tzinfo=UTC), tmp_path / "a.docx"
    )
    note = DRAFT.format(date="28/08/2025")
    assert note in before
    # Under the title, before the report's first sentence (as the notice's draft mark).
    intro = next(i for i, text in enumerate(before) if INTRO in text)
    assert before.index(note) == intro - 1
    assert before[intro - 2].startswith("Kết quả tổ chức Đối thoại 2025")
    italic = [
        r.italic
        for p in docx.Document(str(tmp_path / "a.docx")).paragraphs
        if p.text == note
        for r in p.runs
    ]
    assert italic and all(italic)
    # From the dialogue's day on (00:10 on 28/08 in Vietnam is still 27/08 in UTC), a report.
    on_the_day = await report(
        app, campaign, datetime(2025, 8, 27, 17, 10, tzinfo=UTC), tmp_path / "b.docx"
    )
    assert not any("Dự thảo" in text for text in on_the_day)
    assert any(INTRO in text for text in on_the_day)


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


async def test_export_says_the_report_is_a_draft(
    province_app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The command line runs on the real clock: one dialogue still to come, one long past.
    app = province_app
    coming = date.today() + timedelta(days=60)
    await create_campaign(app, title="Đối thoại sắp tới", dialogue=coming)
    out = tmp_path / "coming.docx"
    argv = ["export", "--format", "docx", "--document", "report", "--campaign"]
    assert await run([*argv, "Đối thoại sắp tới", "--out", str(out)]) == 0
    shown = f"{coming:%d/%m/%Y}"
    assert DRAFT.format(date=shown) in paragraphs(out)
    err = capsys.readouterr().err
    line = f"Hội nghị đối thoại ngày {shown} chưa diễn ra: báo cáo được ghi là “(Dự thảo)”."
    assert err.count(line) == 1, err

    await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    past = tmp_path / "past.docx"
    assert await run([*argv, "Đối thoại 2025", "--out", str(past)]) == 0
    assert not any("Dự thảo" in text for text in paragraphs(past))
    assert "chưa diễn ra" not in capsys.readouterr().err
