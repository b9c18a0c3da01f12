"""A department's /traloi list says by when its answers are due, and once that date has
passed, how late they are (the list read the same before and after the deadline, and no
reminder comes after it: the department had no word that its answers were overdue)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.clock import FakeClock
from storage.models import Campaign, DeadlineKind
from tests.followup import official, question

DIALOGUE = date(2025, 8, 28)


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(province_app, title="Đối thoại 2025", dialogue=DIALOGUE)


async def test_the_waiting_list_names_the_deadline_and_the_delay(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    app = province_app
    store = app.store
    due = campaign.deadline(DeadlineKind.ANSWERS_DUE)
    jobs = await question(app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    await store.questions.route_question(jobs.id, "Sở Nội vụ", now=clock.now())
    engine = build_engine(app)
    home = await official(app, engine, "department", "home", department="Sở Nội vụ")

    on_the_day = datetime(due.year, due.month, due.day, 1, tzinfo=UTC)  # 08:00 in Vietnam
    clock.set(on_the_day - timedelta(days=2))
    await home.say("/traloi")
    assert f"Hạn gửi trả lời: {due:%d/%m/%Y} (còn 2 ngày)." in home.last_text
    clock.set(on_the_day)
    await home.say("/traloi")
    assert f"Hạn gửi trả lời: {due:%d/%m/%Y} (hôm nay)." in home.last_text
    clock.set(on_the_day + timedelta(days=3))
    await home.say("/traloi")
    assert f"Đã quá hạn gửi trả lời {due:%d/%m/%Y} (chậm 3 ngày): đề nghị trả lời sớm" in (
        home.last_text
    )
    assert jobs.code in home.last_text
