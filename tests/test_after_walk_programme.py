"""After the dialogue day the live programme is the record of what was asked: refreshing
the automatic proposal is refused (it replaced every question not pinned by today's
ranking, so the programme document and the report's 'asked at the dialogue' changed
after the fact). Edits by hand (a question from the floor added) stay possible."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign import programme
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.clock import FakeClock
from storage.models import Campaign
from tests.followup import official, question, support

DIALOGUE = date(2025, 8, 28)
ON_THE_DAY = datetime(2025, 8, 28, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
AFTER = datetime(2025, 8, 28, 17, 30, tzinfo=UTC)  # 00:30 on 29/08 in Vietnam


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(province_app, title="Đối thoại 2025", dialogue=DIALOGUE)


async def _codes(app: App, campaign: Campaign) -> list[str]:
    return [e.question.code for e in await programme.entries(app.store, campaign)]


async def test_no_refresh_after_the_dialogue(
    province_app: App, campaign: Campaign, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    app = province_app
    jobs = await question(app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    await question(app, campaign, "b", "Vay vốn khởi nghiệp ở đâu?", topic="vay vốn")
    await programme.propose(app.store, campaign, now=clock.now())
    asked = await _codes(app, campaign)
    assert jobs.code in asked

    clock.set(ON_THE_DAY)  # on the day itself organisers may still refresh
    await programme.propose(app.store, campaign, now=clock.now(), refresh=True)

    # After the dialogue a new question many support would have replaced one asked.
    late = await question(app, campaign, "c", "Bản em chưa có sóng điện thoại.", topic="Chuyển")
    for fan in ("d", "e", "f"):
        await support(app, late, fan)
    clock.set(AFTER)
    assert await run(["programme", "propose"]) == 2
    assert "đã diễn ra ngày 28/08/2025" in capsys.readouterr().err
    engine = build_engine(app)
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say("/kichban dexuat")
    assert "đã diễn ra ngày 28/08/2025" in organiser.last_text
    assert await _codes(app, campaign) == asked  # the record kept
    # A question from the floor is still added by hand.
    await organiser.say(f"/kichban them {late.code}")
    assert await _codes(app, campaign) == [*asked, late.code]
    await organiser.say("/kichban")  # shown as it is
    assert late.code in organiser.last_text
