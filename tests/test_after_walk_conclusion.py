"""After the dialogue, nobody whose question was asked is left in silence: publishing the
conclusion notice tells the asker (and supporters) of every question it does not answer,
and that has no published written answer, that it will be answered in writing, by whom
and by when (found walking the demo: 10 of its 12 askers were told nothing)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign import conclusion, programme
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.clock import FakeClock
from handlers.answers import publish as publish_answers
from handlers.answers import save_answer
from storage.models import Campaign
from tests.followup import official, outbox, question, support
from tests.talk import Talker

DIALOGUE = date(2025, 8, 28)
AFTER = datetime(2025, 8, 29, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam, the day after


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(province_app, title="Đối thoại 2025", dialogue=DIALOGUE)


async def _told(app: App) -> dict[int, list[str]]:
    by_person: dict[int, list[str]] = {}
    for person, text in await outbox(app, "conclusion"):
        by_person.setdefault(person, []).append(text)
    return by_person


async def test_askers_without_an_answer_are_told_when_and_by_whom(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    app = province_app
    store = app.store
    now = clock.now()
    live = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    lan_other = await question(
        app, campaign, "lan", "Bản em chưa có sóng 4G.", topic="Chuyển đổi số"
    )
    unrouted = await question(app, campaign, "an", "Xã có hội chợ việc làm không?")
    written = await question(
        app, campaign, "binh", "Khi nào phủ sóng xã Hà Quảng?", topic="Chuyển đổi số"
    )
    owed = await question(
        app, campaign, "chi", "Wifi miễn phí ở nhà văn hóa xóm?", topic="Chuyển đổi số"
    )
    fan = await support(app, owed, "dung", language="en")
    gone = await question(app, campaign, "em", "Câu đã rút", topic="Chuyển đổi số")
    await store.questions.set_status(gone.id, "withdrawn", now=now)
    for q in (lan_other, written, owed):
        await store.questions.route_question(q.id, "Sở Khoa học và Công nghệ", now=now)
    fresh = await store.questions.get(written.id)
    assert fresh is not None
    await save_answer(store, fresh, "Quý IV năm 2025.", now=now, by=None, source="test")
    fresh = await store.questions.get(written.id)
    assert fresh is not None
    await publish_answers(store, [fresh], now=now)
    await conclusion.record_answer(
        store, campaign, live.code, "Tỉnh mở sàn việc làm hằng tháng.", now=now
    )

    clock.set(AFTER)
    engine = build_engine(app)
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say("/ketluan congbo")
    # Before sending: how many will hear only that they wait (lan is told with her answer).
    assert "3 thanh niên khác sẽ được báo câu hỏi của mình chưa có trả lời" in (organiser.last_text)
    await organiser.press("Công bố")
    assert "gửi tới 1 thanh niên" in organiser.last_text
    assert "3 thanh niên khác được báo câu hỏi của mình chưa có trả lời" in organiser.last_text

    told = await _told(app)
    ids = {
        user: (await store.people.by_identity("test", user)).id  # type: ignore[union-attr]
        for user in ("lan", "an", "binh", "chi", "em")
    }
    # Lan: the chair's answer to one question, the status of her other one, one message.
    [lan] = told[ids["lan"]]
    assert "sàn việc làm hằng tháng" in lan
    assert lan_other.code in lan and "Sở Khoa học và Công nghệ sẽ trả lời bằng văn bản" in lan
    assert "dự kiến trước 17/09/2025" in lan  # the results report's deadline
    # Grouped with nothing and routed nowhere: forwarded, with a date.
    [an] = told[ids["an"]]
    assert unrouted.code in an and "chưa được trả lời tại hội nghị" in an
    assert "cơ quan có thẩm quyền" in an and "17/09/2025" in an
    assert "Kết luận:" not in an
    # Routed, no answer: the asker and the supporter (in English) know.
    [chi] = told[ids["chi"]]
    assert owed.code in chi and "Sở Khoa học và Công nghệ" in chi
    [dung] = told[fan]
    assert owed.code in dung and "will answer in writing, expected by 17/09/2025" in dung
    # Answered in writing already, or withdrawn: nothing more.
    assert ids["binh"] not in told and ids["em"] not in told

    # Again: nobody is told twice.
    before = len(await outbox(app, "conclusion"))
    again = await conclusion.publish(store, campaign, today=date(2025, 8, 30), now=AFTER)
    assert not again.published_now and again.waiting == 0
    assert len(await outbox(app, "conclusion")) == before


async def test_a_late_notice_gives_a_date_still_ahead(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    app = province_app
    store = app.store
    live = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    other = await question(app, campaign, "an", "Xã có hội chợ việc làm không?")
    await conclusion.record_answer(
        store, campaign, live.code, "Tỉnh mở sàn việc làm hằng tháng.", now=clock.now()
    )
    late = datetime(2025, 9, 30, 3, 0, tzinfo=UTC)  # after the report's deadline (17/09)
    clock.set(late)
    result = await conclusion.publish(store, campaign, today=date(2025, 9, 30), now=late)
    assert (result.people, result.waiting) == (1, 1)
    an = await store.people.by_identity("test", "an")
    assert an is not None
    [text] = (await _told(app))[an.id]
    assert other.code in text and "dự kiến trước 10/10/2025" in text


async def test_my_questions_after_the_notice_show_the_chair_s_answer_or_when(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    # /cauhoi after the notice: the question the chair answered read 'đã nhận' with no
    # answer, and the one not reached the same, nothing about when it would be answered.
    app = province_app
    store = app.store
    live = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    other = await question(app, campaign, "lan", "Xã có hội chợ việc làm không?")
    await conclusion.record_answer(
        store, campaign, live.code, "Tỉnh mở sàn việc làm hằng tháng.", now=clock.now()
    )
    engine = build_engine(app)
    lan = Talker(engine, user_id="lan")
    await lan.say("/cauhoi")
    assert "sàn việc làm" not in lan.last_text  # not published yet
    clock.set(AFTER)
    await conclusion.publish(store, campaign, today=date(2025, 8, 29), now=AFTER)
    await lan.say("/cauhoi")
    mine = lan.last_text
    assert "Kết luận của Chủ tịch tại hội nghị: Tỉnh mở sàn việc làm hằng tháng." in mine
    after_other = mine.split(other.code, 1)[1]
    assert "Chưa có trả lời; sẽ được trả lời bằng văn bản, dự kiến trước 17/09/2025" in after_other
    await lan.say(f"/cauhoi {live.code}")
    assert "Tỉnh mở sàn việc làm hằng tháng." in lan.last_text


async def test_the_confirmation_names_programme_questions_without_the_chair_s_answer(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    # Publishing told the askers of programme questions the organiser forgot to record
    # that they were 'not answered at the dialogue', without a word to the organiser first.
    app = province_app
    store = app.store
    jobs = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    loans = await question(app, campaign, "an", "Vay vốn khởi nghiệp ở đâu?", topic="vay vốn")
    await programme.propose(store, campaign, now=clock.now())
    assert {e.question.code for e in await programme.entries(store, campaign)} == {
        jobs.code,
        loans.code,
    }
    await conclusion.record_answer(
        store, campaign, jobs.code, "Tỉnh mở sàn việc làm hằng tháng.", now=clock.now()
    )
    clock.set(AFTER)
    organiser = await official(app, build_engine(app), "organiser", "org")
    await organiser.say("/ketluan congbo")
    assert "1 câu hỏi trong kịch bản chưa có ý kiến kết luận: " + loans.code in (
        organiser.last_text
    )
    assert jobs.code not in organiser.last_text.split("kịch bản", 1)[1]
    await organiser.say(f"/ketluan {loans.code} Ngân hàng Chính sách xã hội cho vay.")
    await organiser.say("/ketluan congbo")
    assert "trong kịch bản" not in organiser.last_text


async def test_the_notice_gives_the_rest_to_departments_in_writing_with_a_date(
    province_app: App, campaign: Campaign, clock: FakeClock, tmp_path: Path
) -> None:
    # The notice answered the questions asked on stage and said nothing of the others,
    # while their askers were told a department would answer them in writing by a date.
    app = province_app
    store = app.store
    now = clock.now()
    jobs = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    fair = await question(app, campaign, "an", "Xã có hội chợ việc làm không?")
    fair2 = await question(app, campaign, "binh", "Hội chợ việc làm tổ chức khi nào?")
    await question(app, campaign, "chi", "Đường liên xóm bao giờ sửa?", topic="nông thôn")
    done = await question(app, campaign, "dung", "Wifi nhà văn hóa?", topic="Chuyển đổi số")
    for q in (fair, fair2, done):
        await store.questions.route_question(q.id, "Sở Nội vụ", now=now)
    fresh = await store.questions.get(done.id)
    assert fresh is not None
    await save_answer(store, fresh, "Đã lắp.", now=now, by=None, source="test")
    await publish_answers(store, [await store.questions.get(done.id)], now=now)  # type: ignore[list-item]
    await conclusion.record_answer(store, campaign, jobs.code, "Sàn việc làm hằng tháng.", now=now)
    clock.set(AFTER)
    await conclusion.publish(store, campaign, today=date(2025, 8, 29), now=AFTER)

    out = tmp_path / "notice.docx"
    assert (
        await asyncio.to_thread(
            main, ["export", "--format", "docx", "--document", "conclusion", "--out", str(out)]
        )
        == 0
    )
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert (
        "Đối với 3 câu hỏi, ý kiến, kiến nghị của thanh niên chưa được trả lời tại Hội nghị,"
        " giao các cơ quan sau trả lời bằng văn bản, gửi tới người hỏi trước ngày 17/09/2025:"
    ) in text
    assert "- Sở Nội vụ: 2 câu hỏi;" in text
    assert "- Ban tổ chức chuyển tới cơ quan có thẩm quyền: 1 câu hỏi." in text


async def test_conclusion_show_names_programme_questions_without_the_chair_s_answer(
    province_app: App, campaign: Campaign, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    # On the command line 'conclusion publish' asks nothing: 'conclusion show' (and /ketluan)
    # is where the organiser sees what is still to record before publishing.
    app = province_app
    store = app.store
    jobs = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    loans = await question(app, campaign, "an", "Vay vốn khởi nghiệp ở đâu?", topic="vay vốn")
    await programme.propose(store, campaign, now=clock.now())
    await conclusion.record_answer(store, campaign, jobs.code, "Sàn việc làm.", now=clock.now())
    assert await asyncio.to_thread(main, ["conclusion", "show"]) == 0
    shown = capsys.readouterr().out
    assert f"1 câu hỏi trong kịch bản chưa có ý kiến kết luận: {loans.code}." in shown
    clock.set(AFTER)
    await conclusion.publish(store, campaign, today=date(2025, 8, 29), now=AFTER)
    assert await asyncio.to_thread(main, ["conclusion", "show"]) == 0
    assert "trong kịch bản" not in capsys.readouterr().out  # published: nothing to add
