"""Issue 14 through the engine with a recording channel and a real SQLite file: the
language rules, typed answers, preview amendments, bursts, commands with arguments,
stale presses, media, anonymity and ``/xoa``. The same behaviours are exercised through
the Telegram and Zalo adapters in ``test_conversation_telegram.py``/``..._zalo.py``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from handlers import routers
from handlers.engine import Engine, EngineSettings, Router
from handlers.events import EventKind
from handlers.roles import create_invite
from handlers.states import State
from storage.db import Database
from storage.models import Campaign
from tests.talk import Talker

QUESTION = "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?"
SENT_AT = datetime(2025, 7, 1, 1, 59, 59, tzinfo=UTC)  # just before the fake clock's "now"
VIETNAMESE_LABELS = {"Mình đồng ý", "Không đồng ý", "Ẩn danh", "Bỏ qua", "Gửi", "Hủy"}
VIETNAMESE_LABELS |= {"Thêm vào câu hỏi", "Bỏ qua, giữ câu hỏi cũ", "Học sinh, sinh viên"}


# The intake's answers in order: start, consent, unit, its pick, name, group, topic
# (3: Nghề nghiệp, việc làm).
STEPS = ("/start", "đồng ý", "thuc phan", "1", "Nông Thị Hoa", "bỏ qua", "3")


async def walk(t: Talker, steps: int) -> None:
    """Answer the intake's first ``steps`` prompts as :data:`STEPS` does."""
    for step in STEPS[:steps]:
        await t.say(step)


async def to_preview(t: Talker, question: str = QUESTION) -> None:
    await walk(t, len(STEPS))
    await t.say(question)
    assert "kiểm tra lại" in t.last_text


# -- language ------------------------------------------------------------------------


async def test_vietnamese_whatever_the_platform_says_and_english_offered_once(
    engine: Engine,
) -> None:
    t = Talker(engine, language="en")
    await t.say("/start")
    assert "Hạn gửi" in t.last_text and t.last_text.count("/ngonngu en") == 1
    await t.say("/start")
    assert "/ngonngu en" not in t.last_text  # once, on first contact


def test_every_step_with_a_prompt_can_be_asked_again() -> None:
    router = Router()
    for each in routers():
        router.include(each)
    without = {str(s) for s in State} - {State.IDLE, State.LANGUAGE} - set(router.reasks)
    assert without == set()


@pytest.mark.parametrize(
    ("steps", "english"),
    [
        ([], "Do you agree?"),
        (["đồng ý"], "Where do you live"),
        (["đồng ý", "thuc phan"], "Pick your unit"),
        (["đồng ý", "thuc phan", "1"], "What is your full name?"),
        (["đồng ý", "thuc phan", "1", "Nông Thị Hoa"], "Which group are you in?"),
        (["đồng ý", "thuc phan", "1", "Nông Thị Hoa", "bỏ qua"], "Which topic"),
        (["đồng ý", "thuc phan", "1", "Nông Thị Hoa", "bỏ qua", "3"], "Write your question"),
        (
            ["đồng ý", "thuc phan", "1", "Nông Thị Hoa", "bỏ qua", "3", QUESTION],
            "Please check before sending",
        ),
        (
            [
                *["đồng ý", "thuc phan", "1", "Nông Thị Hoa", "bỏ qua", "3", QUESTION],
                "Em bổ sung thêm: trường em chưa có phòng máy tính",
            ],
            "What should I do with it?",
        ),
    ],
)
async def test_switching_language_asks_the_pending_step_again(
    engine: Engine, steps: list[str], english: str
) -> None:
    t = Talker(engine)
    await t.say("/start")
    for step in steps:
        await t.say(step)
    old = t.last_prompt().choices if t.transcript[-1][1][-1].buttons else []
    await t.say("/ngonngu en")
    assert t.last_text.startswith("Switched to English.")
    assert english in t.last_text
    labels = {b.label for b in t.transcript[-1][1][-1].choices}
    assert not labels & VIETNAMESE_LABELS  # new buttons, in English
    if old:  # the old buttons are stale: a press shows where we are, in English
        await t.press_payload(old[-1].payload)
        assert "earlier step" in t.last_text and english in t.last_text
    await t.say("/ngonngu")
    await t.press("Tiếng Việt")
    assert t.last_text.startswith("Đã chuyển sang tiếng Việt.")


async def test_topic_groups_in_the_persons_language(
    engine: Engine, province_app: App, campaign: Campaign
) -> None:
    """The default topic groups are shown (and typed) in English to an English speaker;
    one an organiser added is shown as written. Vietnamese shows the stored names."""
    await province_app.store.campaigns.add_topic(campaign.id, "Nước sạch vùng cao")
    engine.invalidate()
    t = Talker(engine)
    await walk(t, 6)
    labels = [c.label for c in t.last_prompt().choices]
    assert "Nghề nghiệp, việc làm" in labels and "Nước sạch vùng cao" in labels
    await t.say("/ngonngu en")
    labels = [c.label for c in t.last_prompt().choices]
    assert "Careers and jobs" in labels and "Other recommendations" in labels
    assert "Nước sạch vùng cao" in labels and "Nghề nghiệp, việc làm" not in labels
    await t.say("jobs")
    await t.say(QUESTION)
    assert "Topic: Careers and jobs" in t.last_text
    await t.say("send")
    await t.say("/myquestions")
    assert "Careers and jobs" in t.last_text


async def test_a_question_typed_first_suggests_its_topic_groups(engine: Engine) -> None:
    """The question came before the topic step: the groups its words point to come first;
    the whole list is one tap away, and changing the topic at the preview shows it all."""
    t = Talker(engine)
    await walk(t, 2)
    await t.say("Xã mình có mở lớp học nghề sửa xe máy miễn phí cho thanh niên không ạ?")
    for step in ("thuc phan", "1", "Nông Thị Hoa", "bỏ qua"):
        await t.say(step)
    assert "Câu hỏi của bạn có lẽ thuộc nhóm vấn đề dưới đây" in t.last_text
    labels = [c.label for c in t.last_prompt().choices]
    assert labels[0] == "Nghề nghiệp, việc làm" and labels[-1] == "Xem tất cả các nhóm"
    await t.say("1")
    assert "kiểm tra lại" in t.last_text and "Vấn đề: Nghề nghiệp, việc làm" in t.last_text
    await t.press("Đổi vấn đề")
    assert len(t.last_prompt().choices) == 13


async def test_switching_language_in_my_questions_steps(engine: Engine) -> None:
    t = Talker(engine)
    await to_preview(t)
    await t.say("gửi")
    await t.say("/rut")
    assert "Rút câu hỏi" in t.last_text
    await t.say("/ngonngu english")
    assert "Withdraw question" in t.last_text and "Withdraw it" in t.last_prompt().choices[0].label
    await t.say("/xoa")
    await t.say("/ngonngu vi")
    assert "rút lại đồng ý" in t.last_text


# -- typed answers ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["đồng ý", "Đồng ý ạ", "dong y", "ok", "oke", "có", "ừ"])
async def test_typed_agreement(engine: Engine, typed: str) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.say(typed)
    assert "Cảm ơn bạn!" in t.last_text


@pytest.mark.parametrize("typed", ["Không đồng ý", "không", "ko", "thôi", "khong dong y a"])
async def test_typed_refusal(engine: Engine, province_app: App, typed: str) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.say(typed)
    assert "chưa lưu thông tin gì" in t.last_text
    assert await province_app.store.people.by_identity("test", "1001") is None


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        *[(said, True) for said in ("ok", "đúng rồi", "vâng", "gửi đi", "gửi luôn")],
        *[(said, True) for said in ("Gửi luôn nhé", "xác nhận", "gui")],
        *[(said, False) for said in ("thôi không gửi nữa", "không hỏi nữa ạ", "thôi hủy đi")],
        ("hủy", False),
    ],
)
async def test_typed_answer_at_the_preview(
    engine: Engine, province_app: App, typed: str, sent: bool
) -> None:
    """Confirming sends the question as written; "thôi không gửi nữa" and the like
    drop it once confirmed (they were offered as an addition to the question); the word
    of the "Hủy" button drops it at once."""
    t = Talker(engine)
    await to_preview(t)
    await t.say(typed)
    if not sent and typed != "hủy":
        assert "Bạn muốn bỏ câu hỏi này" in t.last_text
        await t.say("có")
    questions = await province_app.store.questions.of_campaign(1)
    if sent:
        assert "Mã câu hỏi" in t.last_text
        assert [q.text for q in questions] == [QUESTION]
    else:
        assert "Đã hủy" in t.last_text or "đã bỏ câu hỏi đó" in t.last_text
        assert questions == []


@pytest.mark.parametrize(
    ("typed", "category"),
    [
        ("bộ đội", "armed_forces"),
        ("Em là công an ạ", "armed_forces"),
        ("cong nhan", "workers"),
        ("sinh viên", "students"),
        ("người Tày", "ethnic_minority"),
        ("theo đạo Thiên Chúa", "religious"),
        ("khuyết tật", "disability"),
        ("cán bộ xã", "officials"),
        ("nông dân", "other"),
        ("thanh niên nông thôn", "other"),
        ("tiếp", ""),
        ("ok", ""),
        ("không", ""),
    ],
)
async def test_a_group_typed_in_words_at_the_group_step(
    engine: Engine, province_app: App, typed: str, category: str
) -> None:
    """People type their group ("bộ đội", "nông dân") rather than tap it, or "tiếp"/"ok"
    to move on from this optional step ("" records that they chose not to say)."""
    t = Talker(engine)
    await walk(t, 5)
    assert "Bạn thuộc nhóm nào" in t.last_text
    await t.say(typed)
    assert "nhóm vấn đề nào" in t.last_text  # the topic step: the group is settled
    person = await province_app.store.people.by_identity("test", "1001")
    assert person is not None and person.category == category


async def test_a_group_that_is_not_on_the_list_gets_a_hint(
    engine: Engine, province_app: App
) -> None:
    t = Talker(engine)
    await walk(t, 5)
    await t.say("nhóm yêu thích âm nhạc")
    assert "chưa có trong danh sách" in t.last_text and "Bạn thuộc nhóm nào" in t.last_text
    person = await province_app.store.people.by_identity("test", "1001")
    assert person is not None and person.category is None  # still to be asked
    await t.say("Linh")  # a name is not a group word
    assert "chưa có trong danh sách" in t.last_text
    # With a question already kept from an earlier step, "gửi đi" moves on too.
    await t.say(QUESTION)
    assert "giữ lại câu hỏi" in t.last_text
    await t.say("gửi đi")
    assert "nhóm vấn đề" in t.last_text  # the topic step (its groups guessed first)


@pytest.mark.parametrize(
    ("typed", "topic"),
    [
        ("khởi nghiệp", "Khởi nghiệp, lập nghiệp, vay vốn"),
        ("nong thon moi", "Xây dựng nông thôn mới, đô thị văn minh"),
        ("xuất ngũ", "Thanh niên xuất ngũ"),
    ],
)
async def test_a_topic_typed_in_words(engine: Engine, typed: str, topic: str) -> None:
    """A word of a topic's label picks it, whatever punctuation the label has."""
    t = Talker(engine)
    await walk(t, 6)
    await t.say(typed)
    await t.say(QUESTION)
    assert "kiểm tra lại" in t.last_text and topic in t.last_text


async def test_a_topic_that_is_not_on_the_list_points_to_the_catch_all(engine: Engine) -> None:
    t = Talker(engine)
    await walk(t, 6)
    await t.say("chuyện linh tinh")
    assert "chưa thấy nhóm vấn đề này" in t.last_text and "«Kiến nghị khác»" in t.last_text
    assert "nhóm vấn đề nào" in t.last_text  # asked again


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("đường sá", "Xây dựng nông thôn mới, đô thị văn minh"),
        ("mạng internet yếu", "Chuyển đổi số"),
        ("học nghề", "Nghề nghiệp, việc làm"),
        ("bộ đội xuất ngũ", "Thanh niên xuất ngũ"),
    ],
)
async def test_words_typed_at_the_topic_step_suggest_groups(
    engine: Engine, typed: str, suggested: str
) -> None:
    """A subject typed instead of a group gets the groups it points to, first; the whole
    list is one tap away. Nothing is chosen for the person."""
    t = Talker(engine)
    await walk(t, 6)
    await t.say(typed)
    assert f"«{typed}» có lẽ thuộc nhóm vấn đề dưới đây" in t.last_text
    labels = [c.label for c in t.last_prompt().choices]
    assert labels == [suggested, "Xem tất cả các nhóm"]
    await t.press("Xem tất cả các nhóm")
    assert len(t.last_prompt().choices) == 13
    await t.say(typed)
    await t.say("1")
    await t.say(QUESTION)
    assert f"Vấn đề: {suggested}" in t.last_text


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("xã đàm thủy huyện trùng khánh", "Xã Đàm Thuỷ"),  # a district before the merger
        ("Xã Đàm Thủy, Trùng Khánh", "Xã Đàm Thuỷ"),
        ("phường thục phán tp cao bằng", "Phường Thục Phán"),
        ("trùng khánh", "Xã Trùng Khánh"),
        ("nhà em ở thục phán ạ", "Phường Thục Phán"),  # a sentence around the place
        ("mình sống ở Hà Quảng", "Xã Hà Quảng"),
    ],
)
async def test_the_unit_named_first_comes_first(engine: Engine, typed: str, first: str) -> None:
    """People still write the old address ("xã …, huyện …"): the unit they name comes
    before the one their old district was named after. A sentence around the place
    ("nhà em ở …") does not bring other units in."""
    t = Talker(engine)
    await walk(t, 2)
    await t.say(typed)
    assert t.last_prompt().choices[0].label == first


async def test_a_unit_typed_exactly_is_offered_alone(engine: Engine) -> None:
    """ "hà quảng" names Xã Hà Quảng: near names (Quang Hán, Nam Quang…) are noise then."""
    t = Talker(engine)
    await walk(t, 2)
    await t.say("hà quảng")
    assert [c.label for c in t.last_prompt().choices] == ["Xã Hà Quảng"]
    await t.say("ha quan")  # a typo still gets the near names
    assert len(t.last_prompt().choices) > 1


@pytest.mark.parametrize("typed", ["đúng rồi", "ok gửi đi", "vâng ạ", "1"])
async def test_one_unit_offered_is_chosen_by_a_yes(
    engine: Engine, province_app: App, typed: str
) -> None:
    t = Talker(engine)
    await walk(t, 2)
    await t.say("dam thuy")
    await t.say(typed)
    assert "Họ và tên" in t.last_text
    person = await province_app.store.people.by_identity("test", "1001")
    unit = await province_app.store.units.get(person.unit_id) if person and person.unit_id else None
    assert unit is not None and unit.name == "Xã Đàm Thuỷ"


async def test_a_yes_among_several_units_asks_which(engine: Engine) -> None:
    t = Talker(engine)
    await walk(t, 2)
    await t.say("thuc pha")
    await t.say("đúng rồi")
    assert "đơn vị mình trong danh sách" in t.last_text  # the test channel has no buttons
    assert [c.label for c in t.last_prompt().choices] == ["Phường Thục Phán", "Xã Phục Hòa"]


async def test_thanks_midway_is_answered_and_the_step_shown_again(engine: Engine) -> None:
    t = Talker(engine)
    await walk(t, 4)
    await t.say("cảm ơn ad nhiều ạ")
    assert t.last_text.startswith("Không có gì bạn nhé!") and "Họ và tên" in t.last_text
    await t.say("Nông Thị Hoa")
    assert "Bạn thuộc nhóm nào" in t.last_text


async def test_thanks_with_an_answer_is_the_answer(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    await walk(t, 4)
    await t.say("Em cảm ơn, em tên là Lò Thị Mai")
    assert "Bạn thuộc nhóm nào" in t.last_text
    person = await province_app.store.people.by_identity("test", "1001")
    assert person is not None and person.full_name == "Lò Thị Mai"


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("em ở Hà Nội", "Hà Nội không thuộc Cao Bằng"),
        ("TP.HCM", "Thành phố Hồ Chí Minh không thuộc Cao Bằng"),
        ("mình đang học ở sài gòn ạ", "Thành phố Hồ Chí Minh không thuộc Cao Bằng"),
        ("tỉnh Thái Nguyên", "Thái Nguyên không thuộc Cao Bằng"),
        ("em ở Bắc Giang", "Bắc Giang không thuộc Cao Bằng"),  # a province before 2025
        ("Cao Bằng", "cụ thể xã, phường (hoặc trường, cơ quan) của bạn ở Cao Bằng"),
        ("em ở tỉnh cao bằng", "cụ thể xã, phường (hoặc trường, cơ quan) của bạn ở Cao Bằng"),
    ],
)
async def test_a_province_typed_for_a_unit_is_explained(
    engine: Engine, typed: str, said: str
) -> None:
    """A province is not a unit: no fuzzy communes ("Hà Nội" used to offer Xã Hạ Lang),
    but what to type instead; the unit is still asked for."""
    t = Talker(engine)
    await walk(t, 2)
    replies = await t.say(typed)
    assert said in replies[0].text
    assert "Bạn đang sinh hoạt, học tập hoặc làm việc ở đâu?" in replies[-1].text
    assert not any(reply.buttons for reply in replies)
    await t.say("dam thuy")
    assert [c.label for c in t.last_prompt().choices] == ["Xã Đàm Thuỷ"]


async def test_places_typed_in_english(engine: Engine) -> None:
    t = Talker(engine)
    await walk(t, 2)
    await t.say("/ngonngu en")
    await t.say("I live in Hanoi")
    assert "Hà Nội is not in Cao Bằng" in t.last_text
    await t.say("Cao Bang province")
    assert "your commune, ward, school or agency in Cao Bằng" in t.last_text
    await t.say("Dam Thuy commune")
    assert [c.label for c in t.last_prompt().choices] == ["Xã Đàm Thuỷ"]


async def test_a_former_district_gets_its_communes_with_a_word(engine: Engine) -> None:
    t = Talker(engine)
    await walk(t, 2)
    await t.say("huyện Trùng Khánh")
    assert "Từ 1/7/2025 không còn cấp huyện" in t.last_text
    labels = [c.label for c in t.last_prompt().choices]
    assert labels[0] == "Xã Trùng Khánh" and len(labels) > 1


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Dạ em tên là nguyễn văn an ạ", "Nguyễn Văn An"),
        ("Họ tên: Lò Thị Mai", "Lò Thị Mai"),
        ("tên mình là Hoàng Thu Hà", "Hoàng Thu Hà"),
        ("Tôi là Nông Văn Dũng.", "Nông Văn Dũng"),
        ("Nguyễn Văn A", "Nguyễn Văn A"),
        # With a birth year or an age (were "write your name in letters").
        ("Lò Thị Mai sinh năm 2005", "Lò Thị Mai"),
        ("em tên là Hoa, sinh năm 2007 ạ", "Hoa"),
        ("Nông Văn Dũng, 17 tuổi", "Nông Văn Dũng"),
        ("Trần Thị Năm", "Trần Thị Năm"),
    ],
)
async def test_a_name_said_in_a_sentence(
    engine: Engine, province_app: App, typed: str, name: str
) -> None:
    t = Talker(engine)
    await walk(t, 4)
    await t.say(typed)
    assert "Bạn thuộc nhóm nào" in t.last_text
    person = await province_app.store.people.by_identity("test", "1001")
    assert person is not None and person.full_name == name


@pytest.mark.parametrize(
    "typed",
    [
        *["không muốn nêu tên", "em không muốn ghi tên", "bí mật", "em không muốn nói tên đâu"],
        # Asking privately ("Em Muốn Hỏi Kín" was stored as the name).
        *["em muốn hỏi kín", "hỏi kín", "cho em hỏi kín được không", "e muon gui an danh"],
    ],
)
async def test_declining_a_name_in_words_is_anonymous(
    engine: Engine, province_app: App, typed: str
) -> None:
    """Never stored as a name ("Không Muốn Nêu Tên" was, and shown to officials)."""
    t = Talker(engine)
    await walk(t, 4)
    await t.say(typed)
    assert "Bạn thuộc nhóm nào" in t.last_text
    person = await province_app.store.people.by_identity("test", "1001")
    assert person is not None and person.full_name is None and person.anonymous


async def test_declining_a_name_where_names_are_required_asks_again(
    province_app: App,
) -> None:
    await create_campaign(
        province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28), allow_anonymous=False
    )
    t = Talker(Engine(province_app.store, province_app.clock, routers=routers()))
    await walk(t, 4)
    await t.say("em không muốn nói tên đâu")
    assert "Họ và tên" in t.last_text and "Bạn thuộc nhóm nào" not in t.last_text
    person = await province_app.store.people.by_identity("test", "1001")
    assert person is not None and person.full_name is None and not person.anonymous


async def test_a_question_announced_first_is_awaited_and_kept_whole(
    engine: Engine, province_app: App
) -> None:
    """ "cho em hỏi chút ạ" on its own is not the question: the bot waits for it and
    keeps both messages together."""
    t = Talker(engine)
    await walk(t, 7)
    await t.say("cho em hỏi chút ạ")
    assert "bạn viết câu hỏi tiếp" in t.last_text
    await t.say("tỉnh có hỗ trợ vay vốn cho thanh niên khởi nghiệp không?")
    assert "kiểm tra lại" in t.last_text
    await t.say("gửi")
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.text == (
        "cho em hỏi chút ạ tỉnh có hỗ trợ vay vốn cho thanh niên khởi nghiệp không?"
    )


async def test_requests_in_words_after_sending(engine: Engine, province_app: App) -> None:
    """Between questions people write what they want instead of a command: thanks,
    when the answer comes, edit or withdraw their question, see its status."""
    t = Talker(engine)
    await to_preview(t)
    await t.say("gửi")
    await t.say("cảm ơn ad ạ")
    assert "Không có gì" in t.last_text and "quay lại" not in t.last_text
    await t.say("khi nào có câu trả lời ạ")
    assert "ngày 28/08/2025" in t.last_text and "/cauhoi" in t.last_text
    await t.say("em muốn sửa câu hỏi")
    assert "Bạn gõ nội dung mới" in t.last_text
    await t.say("/huy")
    await t.say("hủy câu hỏi")
    assert "Rút câu hỏi" in t.last_text
    await t.press("Giữ lại")
    await t.say("xem câu hỏi của em")
    assert QUESTION[:30] in t.last_text
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.status != "withdrawn" and question.text == QUESTION


async def test_when_and_where_the_dialogue_is_and_did_my_question_arrive(
    engine: Engine, province_app: App
) -> None:
    """ "khi nào đối thoại", "còn gửi được không", "ad nhận được câu hỏi của em chưa":
    the dates of the dialogue and of the deadline, or the person's own questions."""
    t = Talker(engine)
    await to_preview(t)
    await t.say("gửi")
    for typed in ("khi nào đối thoại vậy ad", "ở đâu tổ chức", "còn gửi được không ad"):
        await t.say(typed)
        said = t.last_text
        assert "28/08/2025" in said and "đến hết ngày 21/08/2025" in said, typed
        assert "Ban tổ chức thông báo" in said and "quay lại" not in said
    for typed in ("ad ơi nhận được câu hỏi của em chưa", "câu hỏi của em đâu rồi"):
        await t.say(typed)
        assert QUESTION[:30] in t.last_text, typed
    await t.say("/ngonngu en")
    for typed in ("when is the dialogue?", "where is my question", "got it"):
        await t.say(typed)
        said = t.last_text
        if typed == "got it":
            assert QUESTION[:30] not in said and "28/08/2025" not in said
        else:
            assert "28/08/2025" in said or QUESTION[:30] in said, typed
    await t.say("/ngonngu vi")
    asked = "Khi nào tỉnh tổ chức hội nghị việc làm cho thanh niên nông thôn?"
    await t.say(asked)
    assert "28/08/2025" not in t.last_text  # a question to the chair, not about the dates
    await t.say("/huy")
    await t.say("Hạn nộp học phí khi nào?")  # a deadline, but not the dialogue's
    assert "28/08/2025" not in t.last_text and "21/08/2025" not in t.last_text
    assert len(await province_app.store.questions.of_campaign(1)) == 1


async def test_a_question_about_answers_to_the_chair_is_still_a_question(
    engine: Engine,
) -> None:
    """ "Khi nào … trả lời …", "… sửa đường …" to the chair: a new question, not a
    request about the person's own one."""
    t = Talker(engine)
    await to_preview(t)
    await t.say("gửi")
    asked = "Khi nào tỉnh trả lời kiến nghị sửa đường giao thông xã Đàm Thủy bị sạt lở?"
    await t.say(asked)
    assert "nhóm vấn đề" in t.last_text  # the new question's topic (guessed first)
    await t.say("1")
    assert "kiểm tra lại" in t.last_text and asked in t.last_text


@pytest.mark.parametrize(
    ("typed", "supported"),
    [
        ("câu này giống câu em", True),
        ("giống ạ", True),
        ("em cũng muốn hỏi câu này", True),
        ("1", True),
        ("của em khác", False),
        ("không giống", False),
        ("gửi câu của em", False),
        ("ok gửi đi", False),
        ("cứ gửi đi ad", False),
        ("cảm ơn ad", None),  # thanked back, the prompt again
    ],
)
async def test_a_typed_reply_to_the_similar_question(
    province_app: App, campaign: Campaign, typed: str, supported: bool | None
) -> None:
    """ "giống câu em" supports the one question shown; "của em khác", "ok gửi đi" send
    one's own."""
    engine = build_engine(province_app)
    first = Talker(engine, user_id="first")
    await to_preview(first, "Tỉnh có chính sách hỗ trợ việc làm cho thanh niên xuất ngũ không ạ?")
    await first.say("gửi")
    t = Talker(engine, user_id="second")
    await walk(t, len(STEPS))
    await t.say("cho em hỏi tỉnh có hỗ trợ việc làm cho bộ đội xuất ngũ không")
    assert "Đã có bạn hỏi gần giống" in t.last_text
    await t.say(typed)
    if supported is None:
        assert "Không có gì bạn nhé" in t.last_text and "Đã có bạn hỏi gần giống" in t.last_text
    elif supported:
        assert "cũng quan tâm câu hỏi" in t.last_text
    else:
        assert "kiểm tra lại" in t.last_text


async def test_the_first_duplicate_of_a_campaign_is_offered_whatever_words_it_adds(
    province_app: App, campaign: Campaign
) -> None:
    """The campaign's second question asks the first one again with a word no question
    has yet ("ad"): the first is still offered, and joins its group when supported."""
    engine = build_engine(province_app)
    first = Talker(engine, user_id="first")
    await to_preview(first, "Xã có hỗ trợ vay vốn khởi nghiệp cho thanh niên không ạ?")
    await first.say("gửi")
    t = Talker(engine, user_id="second")
    await walk(t, len(STEPS))
    await t.say("xã mình có cho thanh niên vay vốn để khởi nghiệp không ad")
    assert "Đã có bạn hỏi gần giống" in t.last_text and "vay vốn khởi nghiệp" in t.last_text
    await t.say("em cũng muốn hỏi câu này")
    assert "cũng quan tâm câu hỏi" in t.last_text


@pytest.mark.parametrize(
    ("steps", "typed"),
    [(4, "hủy"), (4, "thôi em không hỏi nữa"), (6, "huỷ bỏ ạ"), (7, "thôi mình không gửi nữa đâu")],
)
async def test_cancelling_in_words_before_the_question_is_written(
    engine: Engine, steps: int, typed: str
) -> None:
    """ "hủy" at the name step was answered "“hủy” chưa phải là họ tên"; at the question
    step "thôi em không hỏi nữa" became the question. Both now cancel, as /huy does."""
    t = Talker(engine)
    await walk(t, steps)
    await t.say(typed)
    assert "Đã hủy" in t.last_text
    await t.say("Nông Văn Hủy")  # the flow is over: not taken as a name
    assert "họ tên" not in t.last_text


async def test_a_cancel_word_once_the_question_is_written_never_drops_it(engine: Engine) -> None:
    """After the question is written, "hủy" typed over added words keeps the question."""
    t = Talker(engine)
    await to_preview(t)
    await t.say("Em bổ sung thêm: xã em chưa có điểm giới thiệu việc làm")
    assert "Bạn vừa gửi thêm" in t.last_text
    await t.say("hủy")
    assert "Đã hủy" not in t.last_text
    await t.say("bỏ qua")
    assert f"Câu hỏi: {QUESTION}" in t.last_text


async def test_a_link_alone_is_not_a_question(engine: Engine) -> None:
    """A bare link was accepted as the question; officials cannot answer a link."""
    t = Talker(engine)
    await walk(t, len(STEPS))
    await t.say("https://facebook.com/groups/thanhnien/posts/123")
    assert "chưa mở được đường link" in t.last_text and "kiểm tra lại" not in t.last_text
    await t.say(f"{QUESTION} Em đọc ở www.caobang.gov.vn/tin-tuc")
    assert "kiểm tra lại" in t.last_text and "www.caobang.gov.vn/tin-tuc" in t.last_text


async def test_unclear_answers_are_asked_again_never_guessed(engine: Engine) -> None:
    t = Talker(engine)
    await t.say("/start u-w01273")
    await t.say("đồng ý")
    await t.say("dung")  # "đúng" or "đừng"?
    assert "chưa hiểu ý bạn" in t.last_text and "phải không" in t.last_text
    await t.say("đúng")
    assert "Họ và tên" in t.last_text
    await t.say("không")  # not a name
    assert "“không” chưa phải là họ tên" in t.last_text and "Ẩn danh" in t.last_text


# -- the preview ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "asked"),
    [
        ("em muốn sửa câu hỏi", "Bạn gõ nội dung mới"),
        ("sửa lại ạ", "Bạn gõ nội dung mới"),
        ("cho em đổi vấn đề", "thuộc nhóm vấn đề nào"),
        ("đổi đơn vị", "Gõ tên xã, phường"),
        ("em muốn sửa tên", "Họ và tên"),
        ("khi nào đối thoại ạ", "hội nghị đối thoại với Chủ tịch UBND diễn ra ngày"),
    ],
)
async def test_a_change_asked_in_words_at_the_preview(
    engine: Engine, typed: str, asked: str
) -> None:
    """ "em muốn sửa câu hỏi" is the "Sửa câu hỏi" button, not text to add to the
    question (it was offered as an addition)."""
    t = Talker(engine)
    await to_preview(t)
    await t.say(typed)
    assert asked in t.last_text and "Bạn vừa gửi thêm" not in t.last_text


async def test_text_at_the_preview_is_added_replaced_or_ignored(
    engine: Engine, province_app: App
) -> None:
    more = "Em bổ sung thêm: trường THCS Hợp Giang chưa có phòng máy tính"
    t = Talker(engine)
    await to_preview(t)
    await t.say("asdf")  # neither a choice nor worth adding
    assert "chưa hiểu ý bạn" in t.last_text and f"Câu hỏi: {QUESTION}" in t.last_text
    await t.say(more)
    assert "Bạn vừa gửi thêm" in t.last_text and more in t.last_text
    await t.say("bỏ qua")
    assert "giữ nguyên" in t.last_text and f"Câu hỏi: {QUESTION}" in t.last_text
    await t.say(more)
    await t.say("thay thế")
    assert f"Câu hỏi: {more}" in t.last_text
    await t.say(QUESTION)
    await t.say("1")  # add
    assert f"Câu hỏi: {more}\n{QUESTION}" in t.last_text
    await t.say("ok")
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.text == f"{more}\n{QUESTION}"


# -- bursts ---------------------------------------------------------------------------------


async def test_a_flood_gets_one_answer(engine: Engine) -> None:
    t = Talker(engine, language="en")
    answers = []
    for index in range(30):
        replies = await t.event(
            EventKind.TEXT, text="alo", at=SENT_AT + timedelta(milliseconds=index)
        )
        answers.append(replies)
    assert len(answers[0]) >= 1 and all(not replies for replies in answers[1:])
    assert "Bạn có đồng ý không?" in "\n".join(r.text for r in answers[0])


async def test_a_message_after_the_answer_is_answered(engine: Engine) -> None:
    t = Talker(engine)
    await t.event(EventKind.TEXT, text="alo", at=SENT_AT)
    # Sent after the bot answered (the fake clock's "now"): no burst.
    later = await t.event(EventKind.TEXT, text="alo", at=SENT_AT + timedelta(seconds=1, hours=1))
    assert later and "Chào bạn" in later[0].text  # a hello mid-way is answered


async def test_the_parts_of_a_long_paste_are_one_message(
    province_app: App, campaign: Campaign
) -> None:
    settings = EngineSettings(max_question_chars=5000)
    engine = Engine(province_app.store, province_app.clock, settings=settings, routers=routers())
    t = Talker(engine)
    await to_preview(t, "Em muốn hỏi về nước sạch cho xóm em.")
    await t.press("Gửi")
    await t.say("/hoi")
    await t.say("1")
    paste = ("Em xin kiến nghị về nước sạch cho các xóm vùng cao của xã em. " * 72).strip()
    # Telegram cuts at 4,096 characters, here in the middle of a word.
    first = await t.event(EventKind.TEXT, text=paste[:4096], at=SENT_AT, seq=40, cut=True)
    rest = await t.event(EventKind.TEXT, text=paste[4096:], at=SENT_AT, seq=41)
    assert first and not rest  # one answer
    await t.say("gửi")
    assert "ghép tin nhắn bạn gửi liền sau" in t.last_text  # nothing is sent unseen
    await t.say("gửi")
    assert "Mã câu hỏi" in t.last_text
    questions = await province_app.store.questions.of_campaign(campaign.id)
    assert questions[-1].text == paste


async def test_a_long_paste_over_the_limit_is_told_once(engine: Engine) -> None:
    t = Talker(engine)
    await to_preview(t)
    await t.say("Sửa câu hỏi")
    paste = "Ở xã em đường vào các thôn bị sạt lở, các em đi học rất vất vả. " * 70
    first = await t.event(EventKind.TEXT, text=paste[:4096], at=SENT_AT, seq=7, cut=True)
    rest = await t.event(EventKind.TEXT, text=paste[4096:], at=SENT_AT, seq=8)
    assert "dài hơn 4.09" in first[0].text and rest == []
    await t.say(QUESTION)  # the shortened question; the tail never became one
    assert f"Câu hỏi: {QUESTION}" in t.last_text


# -- commands with arguments -------------------------------------------------------------------


async def test_commands_with_codes(engine: Engine, province_app: App) -> None:
    hoa, lan = Talker(engine, user_id="1"), Talker(engine, user_id="2")
    await to_preview(hoa)
    await hoa.say("gửi")
    await to_preview(lan, "Em muốn hỏi tỉnh có kế hoạch xây nhà văn hóa cho thôn em không?")
    await lan.say("gửi")
    await lan.say("/hoi")
    await lan.say("3")
    await lan.say("Em muốn hỏi bao giờ thôn em có nước sạch để dùng hằng ngày?")
    await lan.say("gửi")
    [hoas] = await province_app.store.questions.of_person(1)
    lans = await province_app.store.questions.of_person(2)

    await lan.say(f"/sua {hoas.code}")  # someone else's: refused, nothing opened
    assert f"không thấy câu hỏi mã {hoas.code}" in lan.last_text
    await lan.say("/rut ZZZZZZ")
    assert "không thấy câu hỏi mã ZZZZZZ" in lan.last_text
    await lan.say("/sua câu hỏi về nước")
    assert "không giống mã câu hỏi" in lan.last_text
    await lan.say(f"/sua {lans[-1].code.lower()}")  # her older one, though she has two
    assert lans[-1].text in lan.last_text
    await lan.say("Em muốn hỏi tỉnh có kế hoạch xây nhà văn hóa mới cho thôn em không ạ?")
    assert f"Đã sửa câu hỏi {lans[-1].code}" in lan.last_text
    await lan.say(f"/rut #{lans[0].code}")
    await lan.say("có")
    assert f"Đã rút câu hỏi {lans[0].code}" in lan.last_text
    await lan.say(f"/sua {lans[0].code}")
    assert "đã được rút nên không sửa được" in lan.last_text
    await lan.say(f"/cauhoi {lans[0].code}")
    assert "đã rút" in lan.last_text and lans[0].code in lan.last_text
    assert (await province_app.store.questions.by_code(hoas.code)).text == QUESTION  # type: ignore[union-attr]
    await hoa.say("/hoi Em muốn hỏi về phủ sóng 4G cho các xã biên giới của tỉnh ạ?")
    assert "nhóm vấn đề" in hoa.last_text  # the question is kept; the topic is asked
    await hoa.say("1")
    assert "Câu hỏi: Em muốn hỏi về phủ sóng 4G" in hoa.last_text


async def _official(app: App, engine: Engine, user: str, role: str, **scope: object) -> Talker:
    code = await create_invite(app.store, role, now=app.clock.now(), **scope)  # type: ignore[arg-type]
    t = Talker(engine, user_id=user)
    await t.say(f"/nhanquyen {code}")
    return t


async def test_help_lists_only_what_each_role_may_use(
    engine: Engine, province_app: App, campaign: Campaign
) -> None:
    unit = await province_app.store.units.by_code("w01273")
    assert unit is not None
    youth = Talker(engine, user_id="9")
    await youth.say("/trogiup")
    assert "/hoi" in youth.last_text and "cán bộ" not in youth.last_text
    secretary = await _official(province_app, engine, "10", "secretary", unit_id=unit.id)
    await secretary.say("/trogiup")
    for refused in ("/thongbao", "/moi", "/gop", "/traloi"):
        assert refused not in secretary.last_text
    assert "/baocao –" in secretary.last_text and "MÃ_ĐƠN_VỊ" not in secretary.last_text
    department = await _official(province_app, engine, "11", "department", department="Sở Y tế")
    await department.say("/trogiup")
    assert "/traloi" in department.last_text and "/thongbao" not in department.last_text
    organiser = await _official(province_app, engine, "12", "organiser", campaign_id=campaign.id)
    await organiser.say("/trogiup")
    for allowed in ("/baocao", "MÃ_ĐƠN_VỊ", "/thongbao", "/moi bithu", "/traloi", "/gop"):
        assert allowed in organiser.last_text
    assert "/moi tochuc" not in organiser.last_text
    admin = await _official(province_app, engine, "13", "admin")
    await admin.say("/trogiup")
    assert "/moi tochuc" in admin.last_text


async def test_report_for_a_named_unit_is_honoured_or_refused(
    province_app: App, campaign: Campaign
) -> None:
    engine = build_engine(province_app)
    unit = await province_app.store.units.by_code("w01273")
    assert unit is not None
    secretary = await _official(province_app, engine, "10", "secretary", unit_id=unit.id)
    await secretary.say("/baocao dam thuy")
    assert "không có quyền xem báo cáo của Xã Đàm Thuỷ" in secretary.last_text
    await secretary.say("/baocao qqqqqq")
    assert "Không tìm thấy đơn vị" in secretary.last_text
    organiser = await _official(province_app, engine, "12", "organiser", campaign_id=campaign.id)
    await organiser.say("/baocao w01273")
    assert "Phường Thục Phán" in organiser.last_text
    assert organiser.transcript[-1][1][-1].attachments  # the unit's files


# -- presses, media, anonymity ----------------------------------------------------------------


async def test_media_answers_fit_the_step(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    await t.event(EventKind.MEDIA, media_type="sticker")  # the first message: welcomed
    assert "Nhãn dán" in t.last_text and "Bạn có đồng ý không?" in t.last_text
    await t.say("/start")
    await t.say("đồng ý")
    await t.event(EventKind.MEDIA, media_type="sticker")
    assert "Nhãn dán dễ thương" in t.last_text and "xã, phường" in t.last_text
    await t.say("thuc phan")
    await t.say("1")
    await t.say("Nông Thị Hoa")
    await t.say("bỏ qua")
    await t.say("3")
    await t.event(EventKind.MEDIA, media_type="photo", text=f"  {QUESTION}  ")
    assert "đọc phần chữ bạn ghi kèm" in t.last_text and f"Câu hỏi: {QUESTION}" in t.last_text
    await t.event(EventKind.MEDIA, media_type="document", text="đồng ý")  # a caption as a choice
    assert "Mã câu hỏi" in t.last_text


async def test_anonymous_askers_are_not_asked_for_a_name(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.say("đồng ý")
    await t.say("thuc phan")
    await t.say("1")
    await t.say("ẩn danh")
    assert "nhóm nào" in t.last_text
    person = await province_app.store.people.by_identity("test", "1001")
    assert person is not None and person.anonymous and person.full_name is None


async def test_older_anonymous_names_are_dropped_by_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with await Database.open(path, migrate_to=8) as db:
        await db.execute(
            "INSERT INTO people (full_name, anonymous, created_at, updated_at)"
            " VALUES ('Hoa', 1, '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00'),"
            " ('Lan', 0, '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')"
        )
    async with await Database.open(path) as db:
        rows = await db.fetchall("SELECT full_name FROM people ORDER BY id")
    assert [r[0] for r in rows] == [None, "Lan"]


# -- /xoa --------------------------------------------------------------------------------------


async def test_erasing_keeps_nothing_that_identifies(
    engine: Engine, province_app: App, campaign: Campaign
) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.say("đồng ý")
    await t.say("thuc phan")
    await t.say("1")
    await t.say("Nông Thị Hoa")
    await t.say("5")  # Dân tộc thiểu số
    await t.say("3")
    await t.say(QUESTION)
    await t.say("gửi")
    [before] = await province_app.store.questions.of_campaign(campaign.id)
    assert before.category == "ethnic_minority" and before.asker_name == "Nông Thị Hoa"
    await t.say("/xoa")
    assert "1 câu hỏi đã gửi vẫn được giữ" in t.last_text and "không kèm gì" in t.last_text
    await t.say("có")
    [after] = await province_app.store.questions.of_campaign(campaign.id)
    assert after.text == QUESTION  # the dialogue's figures stay true...
    assert after.person_id is None and after.asker_name is None and after.anonymous
    assert after.category is None and after.unit_id == campaign.host_unit_id  # ...not who
    assert after.created_at.time() == datetime.min.time()


async def test_erasing_someone_who_never_agreed(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.say("/xoa")
    assert "Bạn chưa đồng ý" in t.last_text and "họ tên, đơn vị" in t.last_text
    assert "rút lại đồng ý" not in t.last_text
    assert await province_app.store.people.by_identity("test", "1001") is None
    agreed = Talker(engine, user_id="2")
    await agreed.say("/start")
    await agreed.say("đồng ý")
    await agreed.say("/xoa")
    assert "rút lại đồng ý" in agreed.last_text and "câu hỏi đã gửi" not in agreed.last_text


async def test_terminal_chat_speaks_the_language_it_was_started_with(engine: Engine) -> None:
    from io import StringIO

    from bot.channels.terminal import chat_loop

    for language, expected in (("en", "Do you agree?"), ("vi", "Bạn có đồng ý không?")):
        read_line = iter(["/thoat\n"]).__next__
        out = StringIO()
        await chat_loop(
            engine,
            user_id=f"t-{language}",
            language=language,
            read_line=read_line,
            out=out,
        )
        assert expected in out.getvalue()


def test_the_terminal_writes_one_option_plainly() -> None:
    """One option: "Bạn gõ 1 để chọn", not "số thứ tự (1 đến 1)"."""
    from bot.channels.terminal import render
    from handlers.events import Button, Reply

    one = Reply("Bạn chọn đúng đơn vị của mình nhé:", buttons=((Button("Xã Đàm Thuỷ", "1.up.5"),),))
    two = Reply("Bạn có đồng ý không?", buttons=((Button("Có", "1.y"),), (Button("Không", "1.n"),)))
    assert render(one, language="vi").endswith(
        "1. Xã Đàm Thuỷ\nBạn gõ 1 để chọn, hoặc gõ lựa chọn của bạn."
    )
    assert "(1 đến 1)" not in render(one, language="vi")
    assert render(two, language="vi").endswith("(1 đến 2) hoặc gõ lựa chọn.")
    assert render(one, language="en").endswith("Reply 1 to choose it, or type your choice.")


async def test_a_long_question_typed_outside_the_flow_is_not_met_with_a_greeting(
    engine: Engine, province_app: App
) -> None:
    """A question over the limit typed while idle was answered "Chào bạn quay lại!" and
    dropped; now the person is told it was not recorded, and the tail of a message the
    app split is not taken for a new question."""
    t = Talker(engine)
    await to_preview(t)
    await t.say("gửi")
    paste = "Ở xã em đường vào các thôn bị sạt lở, các em đi học rất vất vả. " * 70
    first = await t.event(EventKind.TEXT, text=paste[:4096], at=SENT_AT, seq=30, cut=True)
    rest = await t.event(EventKind.TEXT, text=paste[4096:], at=SENT_AT, seq=31)
    assert "dài hơn 4.09" in first[0].text and "chưa ghi lại" in first[0].text
    assert rest == []  # the tail was not begun as a question
    await t.say("hi")
    assert "kiểm tra lại" not in t.last_text

    newcomer = Talker(engine, user_id="new")
    replies = await newcomer.say(paste[:2500])
    assert "chưa ghi lại" in replies[0].text  # said first, then the welcome and consent
    assert "đồng ý" in newcomer.last_text.lower()
    assert len(await province_app.store.questions.of_person(1)) == 1


async def test_english_numbers_are_written_the_english_way(engine: Engine) -> None:
    t = Talker(engine, language="en")
    await to_preview(t)
    await t.say("/ngonngu en")
    await t.say("send")
    await t.say("On the road to my village " * 100)
    assert "2,599 characters long, over the 2,000-character limit" in t.last_text


# -- "em muốn hỏi về …": what the question will be about, before the question --------------


async def test_a_subject_announced_before_consent_leads_to_its_topic_group(
    engine: Engine,
) -> None:
    """ "tôi muốn hỏi về việc làm" at the consent was "not understood"; it is noted, the
    topic groups it names come first, and the question is asked about it."""
    t = Talker(engine)
    await t.say("/start")
    await t.say("tôi muốn hỏi về việc làm")
    assert "bạn muốn hỏi về việc làm" in t.last_text and "đồng ý không" in t.last_text
    assert "chưa hiểu" not in t.last_text
    for step in STEPS[1:6]:
        await t.say(step)
    assert "có lẽ thuộc nhóm" in t.last_text
    assert t.last_prompt().choices[0].label == "Nghề nghiệp, việc làm"
    await t.say("1")
    assert "câu hỏi hoặc kiến nghị của mình về việc làm" in t.last_text


@pytest.mark.parametrize(
    "step", [3, 5], ids=["at the unit (not searched as a unit)", "at the name (not a name)"]
)
async def test_a_subject_announced_at_a_later_step_is_noted(engine: Engine, step: int) -> None:
    t = Talker(engine)
    await walk(t, step - 1 if step == 3 else step)
    prompt = t.last_prompt().text if step == 5 else t.last_text
    await t.say("em muốn hỏi về vay vốn ạ")
    assert "bạn muốn hỏi về vay vốn" in t.last_text
    assert "chưa tìm thấy đơn vị" not in t.last_text and "chưa phải là họ tên" not in t.last_text
    assert prompt.splitlines()[-1] in t.last_text, "the step asked again"


async def test_a_subject_only_is_sendable_with_a_tip_at_the_preview(engine: Engine) -> None:
    """ "em muốn hỏi về lớp học nghề" alone: the preview suggests adding the concrete
    question (officials answer that better); words typed then are offered as an addition."""
    t = Talker(engine)
    await walk(t, len(STEPS))
    await t.say("em muốn hỏi về lớp học nghề")
    assert "kiểm tra lại" in t.last_text and "mới nêu chủ đề (lớp học nghề)" in t.last_text
    await t.say("Xã có mở lớp dạy nghề may miễn phí cho thanh niên không ạ?")
    await t.press("Thêm vào câu hỏi")
    assert "Xã có mở lớp dạy nghề may" in t.last_text and "mới nêu chủ đề" not in t.last_text


@pytest.mark.parametrize(
    "text",
    [
        "em muốn hỏi về vay vốn có cần thế chấp không",
        "Em muốn hỏi về đường vào thôn?",
        "em muốn hỏi về việc làm sau khi tốt nghiệp đại học ở tỉnh mình",
    ],
)
async def test_a_question_that_starts_like_a_subject_is_the_question(
    engine: Engine, text: str
) -> None:
    t = Talker(engine)
    await walk(t, len(STEPS))
    await t.say(text)
    assert "kiểm tra lại" in t.last_text and text in t.last_text
    assert "mới nêu chủ đề" not in t.last_text


async def test_not_knowing_the_topic_group_asks_for_the_question_first(engine: Engine) -> None:
    """ "em không biết chọn nhóm nào" was "not in the list"; now the question comes
    first and the groups it points to are offered; not knowing one's group skips it."""
    t = Talker(engine)
    await walk(t, 5)
    await t.say("em cũng không rõ nữa")  # the (optional) group of young people
    assert "thuộc nhóm vấn đề nào" in t.last_text
    await t.say("em không biết chọn nhóm nào")
    assert "viết câu hỏi hoặc kiến nghị trước" in t.last_text
    assert "chưa thấy nhóm vấn đề này" not in t.last_text
    await t.say("Đường vào thôn bị sạt lở từ tháng 7, bao giờ tỉnh sửa để các em đi học ạ?")
    assert "có lẽ thuộc nhóm" in t.last_text
    await t.press("nông thôn mới")
    assert "kiểm tra lại" in t.last_text and "Vấn đề: Xây dựng nông thôn mới" in t.last_text
    assert "Nhóm:" not in t.last_text


@pytest.mark.parametrize("restart", ["/start", "/hoi"])
async def test_restarting_in_the_middle_keeps_the_words_written(
    engine: Engine, restart: str
) -> None:
    """/start or /hoi typed while a question waits at the preview dropped the draft and
    its text; the words are kept and the flow comes back to the preview."""
    t = Talker(engine)
    await to_preview(t)
    await t.say(restart)
    assert "vẫn được giữ nguyên" in t.last_text
    # A new draft: the topic is asked again, the groups the kept text points to first.
    assert "có lẽ thuộc nhóm vấn đề" in t.last_text
    await t.press("Nghề nghiệp, việc làm")
    assert "kiểm tra lại" in t.last_text and QUESTION in t.last_text
    await t.press("Gửi")
    assert "Mã câu hỏi" in t.last_text


async def test_restarting_before_any_text_changes_nothing(engine: Engine) -> None:
    t = Talker(engine)
    await walk(t, 4)
    await t.say("/start")
    assert "vẫn được giữ" not in t.last_text


async def test_calls_emoji_and_being_done_at_a_choice_step(engine: Engine) -> None:
    """At the topic list: "ad ơi" is a greeting and "👍", "???" are not understood (all
    three were "this group is not in the list"); "em hỏi xong rồi" before any question is
    written ends the draft."""
    t = Talker(engine)
    await walk(t, 6)
    await t.say("ad ơi")
    assert "Chào bạn" in t.last_text and "chưa thấy nhóm" not in t.last_text
    for typed in ("👍", "???"):
        await t.say(typed)
        assert "chưa hiểu ý bạn" in t.last_text and "chưa thấy nhóm" not in t.last_text
    await t.say("đường sá")  # words: the groups they point to, or where such go
    assert "chưa hiểu" not in t.last_text
    await t.say("/huy")
    await t.say("/hoi")
    await t.say("em hỏi xong rồi")
    assert "Đã hủy" in t.last_text


@pytest.mark.parametrize("typed", ["em không biết", "xã mình", "ở trường em ạ"])
async def test_no_unit_name_asks_for_the_name(engine: Engine, typed: str) -> None:
    """ "xã mình" was searched and offered Xã Minh Khai, Xã Minh Tâm; "em không biết"
    found nothing "like" it. Both ask for the commune's name, kindly."""
    t = Talker(engine)
    await walk(t, 2)
    await t.say(typed)
    assert "bạn gõ tên xã hoặc phường nơi bạn đang sống" in t.last_text
    assert "Minh" not in t.last_text and "chưa tìm thấy" not in t.last_text
    await t.say("thuc phan")
    assert "Phường Thục Phán" in [c.label for c in t.last_prompt().choices]
