"""An official's words outside a step: the command they mean, or the tasks their roles
allow, never the young people's consent text."""

from __future__ import annotations

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from handlers.answers import publish, save_answer
from handlers.engine import Engine
from storage.models import Campaign, DeadlineKind
from tests.followup import official, question
from tests.talk import Talker

CONSENT = "Trước khi gửi, bạn đọc giúp mình"


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


async def test_a_report_asked_for_a_unit_in_words_covers_that_unit(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """ "tổng hợp câu hỏi xã Đàm Thuỷ" gave the whole campaign's report: the unit named
    is the report's scope, as /baocao w… would give; a secretary asking for another
    unit is refused, as with the command."""
    await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    organiser = await official(province_app, engine, "organiser", "org")
    await organiser.say("tổng hợp câu hỏi xã đàm thủy")
    assert "Đơn vị: Xã Đàm Thuỷ" in organiser.last_text
    assert "Phạm vi: toàn đợt" not in organiser.last_text
    await organiser.say("báo cáo hôm nay")  # no unit named: the whole campaign
    assert "Phạm vi: toàn đợt" in organiser.last_text
    await organiser.say("danh sách câu hỏi xã hà quảng")
    assert "Đơn vị: Xã Hà Quảng" in organiser.last_text
    await organiser.say("có bao nhiêu câu hỏi rồi")
    assert "Phạm vi: toàn đợt" in organiser.last_text
    await organiser.say("có bao nhiêu câu hỏi chưa trả lời")
    assert "Câu hỏi chờ trả lời: 1 câu" in organiser.last_text

    unit = await province_app.store.units.by_code("w01273")
    assert unit is not None
    secretary = await official(province_app, engine, "secretary", "sec", unit_id=unit.id)
    await secretary.say("báo cáo xã Đàm Thuỷ")
    assert "Xã Đàm Thuỷ" in secretary.last_text and "TỔNG HỢP CÂU HỎI" not in secretary.last_text


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


async def test_an_official_asking_when_gets_the_dates_in_formal_words(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """ "khi nào đối thoại" from an official gets the campaign's dates, worded for an
    official (no "bạn", no "gõ /hoi"); before, it got the task menu. "cảm ơn" gets a
    courteous word, not the young people's "when your question is answered". A young
    person asking it at a step gets the dates and the step again (before: "no unit
    named 'khi nào đối thoại ạ'")."""
    department = await official(province_app, engine, "department", "dep", department="Sở Y tế")
    today = province_app.clock.now().date()
    close = campaign.deadline(DeadlineKind.QUESTIONS_CLOSE)
    await department.say("khi nào đối thoại ạ")
    said = department.last_text
    assert "Đối thoại 2025" in said and "28/08/2025" in said
    if today <= close:
        assert f"Hạn nhận câu hỏi: hết ngày {close:%d/%m/%Y}" in said
    assert "bạn" not in said.lower() and "/hoi" not in said
    assert "Đồng chí cần làm việc gì" not in said
    await department.say("hạn chót gửi câu hỏi là khi nào")
    assert "28/08/2025" in department.last_text
    await department.say("cảm ơn ad")
    assert "không có gì" in department.last_text and "bạn" not in department.last_text
    await department.say("chào")  # the task menu ...
    assert "Đồng chí cần làm việc gì" in department.last_text
    await department.say("khi nào đối thoại")  # ... and the dates from there too
    assert "28/08/2025" in department.last_text and "Đồng chí cần" not in department.last_text
    organiser = await official(province_app, engine, "organiser", "org-when")
    await organiser.say("/thongbao")
    await organiser.say("hủy")  # an official's cancel: no "type /hoi to ask"
    assert organiser.last_text == "Đã hủy."

    young = Talker(engine, user_id="young-when")
    await young.say("/start")
    await young.press("Mình đồng ý")
    await young.say("khi nào đối thoại ạ")  # at the unit step: the dates, then the step
    assert "28/08/2025" in young.last_text and "chưa tìm thấy đơn vị" not in young.last_text
    assert young.last_text.endswith(young.transcript[-2][1][-1].text)
    await young.say("đàm thủy")
    await young.say("1")
    await young.say("còn gửi được không ad")  # at the name step: not taken for a name
    assert "28/08/2025" in young.last_text


async def test_a_new_role_shows_its_tasks_at_once(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """A department's contact was told "type /baocao" on receiving the role; its task is
    the answers: the tasks the role allows are shown as buttons instead."""
    department = await official(province_app, engine, "department", "dep", department="Sở Y tế")
    assert "/baocao" not in department.last_text
    labels = [b.label for b in department.last_prompt().choices]
    assert labels == ["Câu hỏi chờ trả lời", "Báo cáo tổng hợp", "Xem các lệnh"]
    await department.press("Câu hỏi chờ trả lời")
    assert "chờ trả lời" in department.last_text


async def test_the_engine_marks_an_officials_prompts_formal(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """Zalo and the terminal write a hint under numbered options: "Đồng chí gõ …" under an
    official's prompts, "Bạn gõ …" under a young person's."""
    young = Talker(engine, user_id="young")
    await young.say("/start")
    assert not young.last_prompt().formal
    organiser = await official(province_app, engine, "organiser", "org")
    assert organiser.last_prompt().formal  # the tasks, after the role is granted
    await organiser.say("chào")
    assert organiser.last_prompt().formal  # the menu asked again
    await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    await organiser.press("Câu hỏi chờ trả lời")
    await organiser.say("???")
    repeated = [r for r in organiser.transcript[-1][1] if r.buttons]
    assert repeated and all(r.formal for r in repeated)  # the waiting list asked again
