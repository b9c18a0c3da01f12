"""English is complete, never a fallback mix: an English reader sees no Vietnamese
sentence or default name where an English one exists, and counts agree ("1 young person",
"2 young people") through plural messages, while Vietnamese (no plural) reads as before."""

from __future__ import annotations

import openpyxl
import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from handlers.engine import Engine
from storage.models import Campaign
from tests.followup import official, question


@pytest.fixture
def engine(province_app: App, campaign: Campaign) -> Engine:
    return build_engine(province_app)


async def test_the_report_in_english_names_the_topic_groups_in_english(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    organiser = await official(province_app, engine, "organiser", "org")
    await organiser.say("/baocao")
    assert "Nghề nghiệp, việc làm" in organiser.last_text
    await organiser.say("/ngonngu en")
    replies = await organiser.say("/report")
    text = organiser.last_text
    assert "Careers and jobs" in text, text
    assert "Nghề nghiệp" not in text
    sheets = [a for r in replies for a in r.attachments if str(a.path).endswith(".xlsx")]
    assert sheets
    book = openpyxl.load_workbook(sheets[0].path, read_only=True)
    cells = {
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
    }
    assert "Careers and jobs" in cells
    assert "Nghề nghiệp, việc làm" not in cells
