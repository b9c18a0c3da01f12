"""The intake flow through the engine, in both languages, with a real SQLite file."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.application.app import App
from bot.campaign.setup import create_campaign
from bot.clock import FakeClock
from handlers import routers
from handlers.engine import Engine, EngineSettings
from storage.models import Campaign
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(
        province_app,
        title="Đối thoại giữa Chủ tịch UBND tỉnh với thanh niên năm 2025",
        dialogue=date(2025, 8, 28),
    )


@pytest.fixture
def engine(province_app: App, campaign: Campaign) -> Engine:
    return Engine(
        province_app.store, province_app.clock, settings=EngineSettings(), routers=routers()
    )


async def full_intake(t: Talker, *, unit_query: str = "thuc phan") -> str:
    await t.say("/start")
    assert "Đối thoại giữa Chủ tịch UBND tỉnh" in t.last_text
    assert "hết ngày 21/08/2025" in t.last_text
    await t.press("đồng ý")
    assert "xã, phường" in t.last_text
    await t.say(unit_query)
    await t.press("Thục Phán")
    assert "Họ và tên" in t.last_text
    await t.say("nông thị hoa")
    await t.press("Học sinh, sinh viên")
    await t.press("việc làm")
    await t.say(
        "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?"
    )
    assert "kiểm tra lại" in t.last_text
    assert "Nông Thị Hoa" in t.last_text
    await t.press("Gửi")
    assert "Mã câu hỏi" in t.last_text
    return t.last_text.split("Mã câu hỏi: ")[1][:6]


async def test_whole_conversation_vietnamese(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    code = await full_intake(t)
    question = await province_app.store.questions.by_code(code)
    assert question is not None
    assert question.asker_name == "Nông Thị Hoa"
    assert question.category == "students"
    unit = await province_app.store.units.get(question.unit_id)
    assert unit is not None and unit.name == "Phường Thục Phán"
    topic = await province_app.store.campaigns.topic(question.topic_id)
    assert topic is not None and topic.name == "Nghề nghiệp, việc làm"
    assert question.channel == "test" and not question.late


async def test_whole_conversation_english(engine: Engine, province_app: App) -> None:
    t = Talker(engine, user_id="2002", language="en")
    await t.say("/start")
    assert "Prefer English? Send /ngonngu en" in t.last_text  # Vietnamese, English offered
    await t.say("/ngonngu en")
    assert "Deadline: end of 21/08/2025" not in t.last_text  # only the pending step again
    assert "Do you agree?" in t.last_text and "Bạn có đồng ý" not in t.last_text
    await t.press("I agree")
    await t.say("Đàm Thủy")
    await t.press("Đàm Thuỷ")
    await t.press("Anonymous")  # no contact name is asked for
    await t.press("Skip")
    await t.press("Digital transformation")
    await t.say("When will every commune have free public wifi for young people?")
    assert "Anonymous" in t.last_text
    await t.press("Send")
    assert "Question code" in t.last_text
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.anonymous and question.asker_name is None and question.category is None


async def test_returning_person_skips_known_answers(engine: Engine) -> None:
    t = Talker(engine)
    await full_intake(t)
    await t.say("/hoi")
    assert "nhóm vấn đề" in t.last_text  # straight to the topic
    await t.press("Chuyển đổi số")
    await t.say("Khi nào các xã vùng cao có sóng điện thoại ổn định để học trực tuyến?")
    await t.press("Đổi đơn vị")
    await t.say("dam thuy")
    await t.press("Đàm Thuỷ")
    assert "Đơn vị: Xã Đàm Thuỷ" in t.last_text
    await t.press("Gửi")
    assert "Mã câu hỏi" in t.last_text


async def test_deep_link_offers_the_unit_in_one_tap(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    await t.say("/start u-w01273")
    await t.press("đồng ý")
    assert "Phường Thục Phán" in t.last_text
    await t.press("Đúng vậy")
    assert "Họ và tên" in t.last_text


async def test_unknown_deep_link_unit_is_ignored(engine: Engine) -> None:
    t = Talker(engine)
    await t.say("/start u-nope")
    await t.press("đồng ý")
    assert "Gõ tên xã" in t.last_text


async def test_typed_question_when_idle_starts_the_flow(engine: Engine) -> None:
    t = Talker(engine)
    await full_intake(t)
    await t.say("Tỉnh có kế hoạch mở thêm lớp dạy nghề miễn phí cho thanh niên nông thôn không?")
    assert "nhóm vấn đề" in t.last_text
    await t.press("việc làm")
    assert "dạy nghề miễn phí" in t.last_text  # straight to the preview, text kept


LOAN = "Cho em hỏi thanh niên nông thôn muốn vay vốn nuôi gà thì thủ tục thế nào ạ?"


async def consent_to_topic(t: Talker) -> None:
    """From the consent prompt to the loans topic, typing no question on the way."""
    await t.press("Mình đồng ý")
    await t.say("thuc phan")
    await t.press("Thục Phán")
    await t.say("Nông Thị Hoa")
    await t.press("Học sinh, sinh viên")
    await t.press("vay vốn")


async def test_a_question_sent_as_the_first_message_is_kept_through_consent(
    engine: Engine, province_app: App
) -> None:
    t = Talker(engine)
    await t.say(LOAN)  # before /start and before consent
    assert "giữ lại câu hỏi" in t.last_text and "đồng ý" in t.last_text
    await consent_to_topic(t)
    assert "kiểm tra lại" in t.last_text and LOAN in t.last_text, "no need to type it again"
    await t.press("Gửi")
    code = t.last_text.split("Mã câu hỏi: ")[1][:6]
    stored = await province_app.store.questions.by_code(code)
    assert stored is not None and stored.text == LOAN


async def test_ask_with_the_question_as_a_first_message_keeps_it_through_consent(
    engine: Engine,
) -> None:
    t = Talker(engine)
    await t.say(f"/hoi {LOAN}")
    assert "giữ lại câu hỏi" in t.last_text and "đồng ý" in t.last_text
    await consent_to_topic(t)
    assert "kiểm tra lại" in t.last_text and LOAN in t.last_text


async def test_a_question_typed_at_a_choice_or_name_step_is_kept_not_lost(
    engine: Engine, province_app: App
) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.press("Mình đồng ý")
    await t.say("thuc phan")
    await t.press("Thục Phán")
    await t.say("Em muốn hỏi về chính sách vay vốn cho thanh niên nông thôn")  # at the name
    assert "giữ lại câu hỏi" in t.last_text and "Họ và tên" in t.last_text
    await t.say("Nông Thị Hoa")
    await t.press("Học sinh, sinh viên")
    await t.say("Lãi suất có được hỗ trợ cho người dưới 30 tuổi không")  # at the topic
    assert "giữ lại câu hỏi" in t.last_text and "nhóm vấn đề" in t.last_text
    await t.press("vay vốn")
    preview = t.last_text
    assert "kiểm tra lại" in preview
    assert "chính sách vay vốn" in preview and "dưới 30 tuổi" in preview, "both kept, joined"
    # A long unit name, a name with a comma, a wordy choice: answers, not questions.
    t2 = Talker(engine, user_id="1002")
    await t2.say("/start")
    await t2.press("Mình đồng ý")
    await t2.say("Đoàn Thanh niên phường Thục Phán, thành phố Cao Bằng, tỉnh Cao Bằng, Việt Nam")
    assert "giữ lại" not in t2.last_text and "đơn vị" in t2.last_text
    await t2.press("Thục Phán")
    await t2.say("Em là Hoàng Thị Mai, đoàn viên phường Thục Phán")
    assert "giữ lại" not in t2.last_text and "Họ và tên" in t2.last_text


async def test_a_hello_midway_is_answered_and_the_step_shown_again(engine: Engine) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.say("xin chào ạ")
    assert "Chào bạn" in t.last_text and "chưa hiểu" not in t.last_text
    assert t.last_prompt().buttons, "the consent buttons again"
    await t.press("Mình đồng ý")
    await t.say("alo")
    assert "Chào bạn" in t.last_text and "Gõ tên xã" in t.last_text


async def test_declining_consent_keeps_nothing(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.press("Không đồng ý")
    assert "chưa lưu" in t.last_text
    assert await province_app.store.people.by_identity("test", "1001") is None


async def test_numbers_and_words_choose_like_buttons(engine: Engine) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.say("1")  # "Mình đồng ý"
    assert "xã, phường" in t.last_text
    await t.say("thuc phan")
    await t.say("1")
    assert "Họ và tên" in t.last_text
    await t.say("an danh")
    assert "Bạn thuộc nhóm nào" in t.last_text  # anonymous: no name is asked for


async def test_questions_list_edit_and_withdraw(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    code = await full_intake(t)
    await t.say("/cauhoi")
    assert code in t.last_text and "đã nhận" in t.last_text
    await t.say("/sua")
    await t.say("Tỉnh có hỗ trợ thanh niên học nghề rồi tìm việc làm tại địa phương không?")
    assert f"Đã sửa câu hỏi {code}" in t.last_text
    question = await province_app.store.questions.by_code(code)
    assert question is not None and "học nghề" in question.text
    await t.say("/rut")
    await t.press("Rút câu này")
    assert f"Đã rút câu hỏi {code}" in t.last_text
    question = await province_app.store.questions.by_code(code)
    assert question is not None and question.status == "withdrawn"
    await t.say("/rut")
    assert "không có câu hỏi nào" in t.last_text


async def test_language_switch_midway_continues_in_english(engine: Engine) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("/ngonngu")
    await t.press("English")
    assert "Switched to English" in t.last_text
    assert "Where do you live" in t.last_text


async def test_delete_my_data(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    code = await full_intake(t)
    await t.say("/xoa")
    await t.press("Xóa dữ liệu")
    assert "Đã xóa" in t.last_text
    question = await province_app.store.questions.by_code(code)
    assert question is not None and question.asker_name is None and question.person_id is None
    assert await province_app.store.people.by_identity("test", "1001") is None


async def test_help_and_cancel(engine: Engine) -> None:
    t = Talker(engine)
    await t.say("/trogiup")
    assert "/hoi" in t.last_text and "/xoa" in t.last_text
    await t.say("/huy")
    assert "Không có việc gì" in t.last_text
    await t.say("/start")
    await t.say("/huy")
    assert "Đã hủy" in t.last_text


async def test_english_help_has_english_commands(engine: Engine) -> None:
    t = Talker(engine, language="en")
    await t.say("/ngonngu en")
    await t.say("/help")
    assert "/ask" in t.last_text and "/hoi" not in t.last_text


async def test_no_open_campaign(province_app: App) -> None:
    engine = Engine(province_app.store, province_app.clock, routers=routers())
    t = Talker(engine)
    await t.say("/start")
    assert "chưa có đợt đối thoại" in t.last_text


async def test_closed_campaign_says_so_and_late_acceptance(
    province_app: App, clock: FakeClock, campaign: Campaign
) -> None:
    engine = Engine(
        province_app.store, clock, settings=EngineSettings(cache_seconds=0), routers=routers()
    )
    t = Talker(engine)
    await full_intake(t)
    clock.advance(timedelta(days=60))
    await t.say("/hoi")
    assert "đã hết hạn nhận câu hỏi (hạn cuối: hết ngày 21/08/2025)" in t.last_text
    await province_app.store.campaigns.update(campaign.id, now=clock.now(), accept_late=True)
    clock.set(clock.now().replace(year=2025, month=8, day=25))
    await t.say("/hoi")
    await t.press("Chuyển đổi số")
    await t.say("Xin hỏi kế hoạch phủ sóng 5G cho các xã biên giới của tỉnh ra sao?")
    assert "gửi muộn" in t.last_text
    await t.press("Gửi")
    assert "(gửi muộn)" in t.last_text
    questions = await province_app.store.questions.of_campaign(campaign.id)
    assert questions[-1].late


async def test_option_words_and_misspellings_choose_but_ambiguity_does_not(engine: Engine) -> None:
    t = Talker(engine)
    await t.say("/start u-w01273")
    await t.say("minh dong yy")  # a typo of the first option
    assert "Phường Thục Phán phải không" in t.last_text
    await t.say("dung")  # "đúng" (right) or "đừng" (don't)? Asked again, not guessed
    assert "chưa hiểu ý bạn" in t.last_text and "phải không" in t.last_text
    await t.say("Chọn đơn vị khác")
    assert "xã, phường" in t.last_text
    await t.say("thuc phan")
    await t.say("phuong thuc phan")  # the option's words, without accents
    assert "Họ và tên" in t.last_text


async def test_a_sentence_containing_a_label_is_text_not_a_choice(engine: Engine) -> None:
    t = Talker(engine)
    await full_intake(t)
    await t.say("/hoi")
    await t.press("việc làm")
    await t.say("Em muốn hỏi về việc làm cho thanh niên dân tộc thiểu số ở xã ạ?")
    await t.say("muốn sửa câu hỏi về đường")  # typed in the preview: a message, not a choice
    assert "Bạn vừa gửi thêm" in t.last_text  # never silently replacing the question
    await t.press("Thay câu hỏi")
    assert "Câu hỏi: muốn sửa câu hỏi về đường" in t.last_text
