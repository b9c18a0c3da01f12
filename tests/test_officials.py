"""An official's words outside a step: the command they mean, or the tasks their roles
allow, never the young people's consent text."""

from __future__ import annotations

from datetime import date

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from handlers.answers import publish, save_answer
from handlers.engine import Engine
from storage.models import Campaign
from tests.followup import official, question
from tests.talk import Talker

CONSENT = "Trước khi gửi, bạn đọc giúp mình"


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))


@pytest.fixture
def engine(province_app: App, campaign: Campaign) -> Engine:
    return build_engine(province_app)


async def test_an_organiser_in_words_gets_the_command_or_the_tasks(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    asked = await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    organiser = await official(province_app, engine, "organiser", "org")

    await organiser.say("/start")
    assert "Chào đồng chí" in organiser.last_text and CONSENT not in organiser.last_text
    assert organiser.button("Báo cáo tổng hợp")
    await organiser.say("xem các câu hỏi chưa trả lời")
    assert "Câu hỏi chờ trả lời: 1 câu" in organiser.last_text and asked.code in organiser.last_text
    await organiser.say("báo cáo")  # at the list: run, not "not understood"
    assert "TỔNG HỢP CÂU HỎI" in organiser.last_text
    await organiser.say("chào ad")
    assert "Đồng chí cần làm việc gì" in organiser.last_text and CONSENT not in organiser.last_text
    labels = [b.label for b in organiser.last_prompt().choices]
    assert labels == [
        "Câu hỏi chờ trả lời",
        "Báo cáo tổng hợp",
        "Gửi thông báo",
        "Văn bản (Word)",
        "Xem các lệnh",
    ]
    await organiser.press("Câu hỏi chờ trả lời")
    assert asked.code in organiser.last_text
    await organiser.say("/huy")
    await organiser.say("cho xin văn bản")
    assert "Đồng chí cần văn bản nào" in organiser.last_text

    # A question after all: kept, and asked as a young person's (consent first).
    own = "Tỉnh có hỗ trợ vay vốn cho cán bộ Đoàn khởi nghiệp không ạ?"
    await organiser.say("/huy")
    await organiser.say(own)
    assert "Đồng chí cần làm việc gì" in organiser.last_text
    await organiser.press("như một câu hỏi")
    assert CONSENT in organiser.last_text
    await organiser.press("Mình đồng ý")
    for step in ("đàm thủy", "1", "Nông Văn Hải", "bỏ qua", "1"):
        await organiser.say(step)
    assert "kiểm tra lại" in organiser.last_text and own in organiser.last_text


async def test_a_secretary_sees_only_their_tasks_and_a_young_person_the_young_flow(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    unit = await province_app.store.units.by_code("w01273")
    assert unit is not None
    secretary = await official(province_app, engine, "secretary", "sec", unit_id=unit.id)
    await secretary.say("trả lời câu hỏi")  # not a secretary's task: the menu
    labels = [b.label for b in secretary.last_prompt().choices]
    assert labels == ["Báo cáo tổng hợp", "Xem các lệnh"]
    await secretary.say("báo cáo")
    assert "TỔNG HỢP CÂU HỎI" in secretary.last_text

    young = Talker(engine, user_id="young")
    await young.say("báo cáo")
    assert CONSENT in young.last_text and "Đồng chí" not in young.last_text


async def test_an_official_who_asked_can_still_comment_on_their_answer(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    app = province_app
    organiser = await official(app, engine, "organiser", "org")
    own = await question(app, campaign, "org", "Xóm em chưa có sóng điện thoại, bao giờ có ạ?")
    await save_answer(app.store, own, "Cuối năm có sóng.", now=app.clock.now(), by="Sở", source="t")
    fresh = await app.store.questions.get(own.id)
    assert fresh is not None
    await publish(app.store, [fresh], now=app.clock.now())
    await organiser.say("em vẫn chưa hài lòng, xóm em chưa thấy ai khảo sát")
    assert organiser.button(own.code) and "Đồng chí cần làm việc gì" not in organiser.last_text
