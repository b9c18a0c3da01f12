"""An answer reaches only the people who asked that: the chair's answer in the conclusion
notice extended to questions of another topic group ("nhóm vấn đề") is recorded only
after the organiser's explicit confirmation, on the command line (``--cross-topic``, as
``clusters merge`` asks) and in chat (a yes/no question, as ``/gop`` asks)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign import conclusion
from bot.campaign.setup import create_campaign
from bot.cli import main
from storage.models import Campaign
from tests.followup import official, outbox, question

DIALOGUE = date(2025, 8, 28)


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(province_app, title="Đối thoại 2025", dialogue=DIALOGUE)


async def _covers(app: App, campaign: Campaign) -> dict[int, tuple[int, ...]]:
    return {e.question_id: e.covers for e in await app.store.conclusions.entries(campaign.id)}


async def test_cli_also_across_topic_groups_needs_cross_topic(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    app = province_app
    jobs = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    fair = await question(app, campaign, "an", "Có hội chợ việc làm ở xã không?")
    chinese = await question(
        app, campaign, "hoa", "Xã có lớp tiếng Trung miễn phí không?", topic="Kiến nghị khác"
    )
    answer = "Tỉnh tổ chức hội chợ việc làm mỗi quý."

    # Same topic group: recorded at once.
    assert await run(["conclusion", "answer", jobs.code, answer, "--also", fair.code]) == 0
    capsys.readouterr()
    # Another topic group: refused with one line naming the groups and the option.
    argv = ["conclusion", "answer", jobs.code, answer, "--also", chinese.code]
    assert await run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert chinese.code in err and "--cross-topic" in err
    assert "Nghề nghiệp, việc làm" in err and "Kiến nghị khác" in err
    assert (await _covers(app, campaign))[jobs.id] == (jobs.id, fair.id)  # nothing added

    assert await run([*argv, fair.code, "--cross-topic"]) == 0
    assert set((await _covers(app, campaign))[jobs.id]) == {jobs.id, fair.id, chinese.id}


async def test_chat_also_across_topic_groups_asks_first(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    organiser = await official(app, engine, "organiser", "org")
    jobs = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    chinese = await question(
        app, campaign, "hoa", "Xã có lớp tiếng Trung miễn phí không?", topic="Kiến nghị khác"
    )

    await organiser.say(f"/ketluan {jobs.code} +{chinese.code} Tỉnh mở hội chợ việc làm.")
    asked = organiser.last_text
    assert "nhóm vấn đề khác nhau" in asked and chinese.code in asked, asked
    assert "Kiến nghị khác" in asked
    assert await _covers(app, campaign) == {}  # nothing recorded before the answer
    await organiser.press("Không ghi")
    assert "Chưa ghi" in organiser.last_text
    assert await _covers(app, campaign) == {}

    await organiser.say(f"/ketluan {jobs.code} +{chinese.code} Tỉnh mở hội chợ việc làm.")
    await organiser.press("Vẫn ghi")
    assert "2 câu hỏi" in organiser.last_text, organiser.last_text
    assert set((await _covers(app, campaign))[jobs.id]) == {jobs.id, chinese.id}


async def test_record_answer_refuses_other_topic_groups_without_confirmation(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    jobs = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    loans = await question(
        app, campaign, "an", "Vay vốn khởi nghiệp ở đâu?", topic="Khởi nghiệp, lập nghiệp"
    )
    with pytest.raises(conclusion.CrossTopicCover) as refused:
        await conclusion.record_answer(
            app.store, campaign, jobs.code, "Có.", also=[loans.code], now=app.clock.now()
        )
    assert refused.value.codes == [jobs.code, loans.code]
    assert len(refused.value.topics) == 2


async def test_a_question_no_longer_named_is_no_longer_covered(
    province_app: App, campaign: Campaign
) -> None:
    # "/ketluan A +B …" then "/ketluan A …" (B named by mistake): B stayed covered, its
    # asker was sent the chair's answer to A, and nothing but removing A's entry undid it.
    app = province_app
    engine = build_engine(app)
    organiser = await official(app, engine, "organiser", "org")
    jobs = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    fair = await question(app, campaign, "an", "Xã có lớp học nghề hàn miễn phí không?")
    await organiser.say(f"/ketluan {jobs.code} +{fair.code} Tỉnh mở sàn việc làm hằng tháng.")
    assert "của 2 câu hỏi" in organiser.last_text
    await organiser.say(f"/ketluan {jobs.code} Tỉnh mở sàn việc làm hằng tháng tại các xã.")
    assert "của 1 câu hỏi" in organiser.last_text, organiser.last_text
    assert (await _covers(app, campaign))[jobs.id] == (jobs.id,)


async def test_a_question_with_its_own_answer_is_told_that_one(
    province_app: App, campaign: Campaign
) -> None:
    # "/ketluan A +B …" recorded before "/ketluan B …": B's asker was sent A's answer
    # (the first entry naming B won), never the chair's answer to B itself.
    app = province_app
    store, now = app.store, app.clock.now()
    jobs = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    fair = await question(app, campaign, "an", "Xã có hội chợ việc làm không?")
    await conclusion.record_answer(
        store, campaign, jobs.code, "Tỉnh mở sàn việc làm hằng tháng.", also=[fair.code], now=now
    )
    await conclusion.record_answer(
        store, campaign, fair.code, "Xã tổ chức hội chợ việc làm vào tháng 10.", now=now
    )
    await conclusion.publish(store, campaign, today=date(2025, 8, 29), now=now)
    an = await app.store.people.by_identity("test", "an")
    assert an is not None
    [told] = [text for person, text in await outbox(app, "conclusion") if person == an.id]
    assert "hội chợ việc làm vào tháng 10" in told and "sàn việc làm hằng tháng" not in told, told
