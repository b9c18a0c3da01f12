"""A young person's conversation as a demanding tester walked it (teencode, typed
numbers, asking in English, anonymity, the same question sent twice): each test is a
defect seen in ``youthbot chat --demo``, through the engine and a real SQLite file."""

from __future__ import annotations

from datetime import date

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from handlers import routers
from handlers.engine import Engine
from handlers.events import EventKind
from handlers.intake import normalize_name
from handlers.understanding import announced_subject, intents, language_wish, lead_in_only
from storage.models import Campaign
from tests.talk import Talker

QUESTION = "Xã em có được lắp wifi miễn phí ở nhà văn hóa cho thanh niên không ạ?"
# start, consent, unit, its pick, name, group, topic (1: Chuyển đổi số)
STEPS = ("/start", "đồng ý", "thuc phan", "1", "Nông Thị Hoa", "bỏ qua", "1")


async def walk(t: Talker, steps: int = len(STEPS)) -> None:
    for step in STEPS[:steps]:
        await t.say(step)


async def test_ones_own_question_is_not_offered_as_someone_elses(
    province_app: App, campaign: Campaign
) -> None:
    """The same question typed again after sending it was shown as "Đã có bạn hỏi gần
    giống thế này" (another young person's), with "Tôi cũng muốn hỏi câu 1" to support
    one's own question. Now the preview comes, and sending it again says it was sent."""
    engine = build_engine(province_app)
    t = Talker(engine)
    await walk(t)
    await t.say(QUESTION)
    assert "kiểm tra lại" in t.last_text
    await t.say("gửi")
    assert "Mã câu hỏi" in t.last_text
    code = t.last_text.split("Mã câu hỏi: ")[1][:6]
    await t.say("/hoi")
    await t.say("1")  # the topic
    await t.say(QUESTION)
    assert "Đã có bạn hỏi gần giống" not in t.last_text
    assert "kiểm tra lại" in t.last_text
    await t.say("gửi")
    assert code in t.last_text and "Mã câu hỏi" not in t.last_text  # already sent
    other = Talker(engine, user_id="other")
    await walk(other)
    await other.say(QUESTION)  # another young person is still shown it
    assert "Đã có bạn hỏi gần giống" in other.last_text


# -- teencode: "e" for "em", "mk"/"mik" for "mình" ------------------------------------------


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("e đồng ý", {"yes", "send"}),
        ("e dong y a", {"yes", "send"}),
        ("mk đồng ý nhé", {"yes", "send"}),
        ("e ko đồng ý", {"no"}),
        ("e k muốn hỏi nữa", {"cancel"}),
        ("e hỏi xong rồi", {"cancel"}),
        ("Ê Đê", {"category.ethnic_minority"}),  # a people's name, not "e" + "Đê"
    ],
)
def test_teencode_speakers_in_short_replies(typed: str, said: set[str]) -> None:
    assert said <= intents(typed)


@pytest.mark.parametrize(
    ("typed", "subject"),
    [
        ("e muon hoi ve viec lam", "viec lam"),
        ("cho e hỏi về vay vốn ạ", "vay vốn"),
        ("mk muốn hỏi về chuyển đổi số", "chuyển đổi số"),
        ("mik co cau hoi ve dat dai", "dat dai"),
    ],
)
def test_teencode_speakers_announce_a_subject(typed: str, subject: str) -> None:
    assert announced_subject(typed) == subject


@pytest.mark.parametrize("typed", ["cho e hỏi", "e muon hoi a", "e có câu hỏi:"])
def test_teencode_speakers_lead_in(typed: str) -> None:
    assert lead_in_only(typed)


@pytest.mark.parametrize(
    ("typed", "name"),
    [("e ten la lan", "Lan"), ("e là Lò Thị Mai", "Lò Thị Mai"), ("mk tên Hoa", "Hoa")],
)
def test_teencode_speakers_before_a_name(typed: str, name: str) -> None:
    assert normalize_name(typed) == name


async def test_teencode_subject_at_consent_offers_its_topic_group(engine: Engine) -> None:
    """ "e muon hoi ve viec lam" at the consent was "Mình chưa hiểu ý bạn" and the
    subject was lost ("em muon hoi ve viec lam" was noted); "e đồng ý" did not agree."""
    t = Talker(engine)
    await t.say("/start")
    await t.say("e muon hoi ve viec lam")
    assert "chưa hiểu" not in t.last_text and "viec lam" in t.last_text
    await t.say("e đồng ý")
    assert "Cảm ơn bạn" in t.last_text
    for step in STEPS[2:6]:
        await t.say(step)
    labels = [c.label for c in t.last_prompt().choices]
    assert labels[0] == "Nghề nghiệp, việc làm" and len(labels) == 2  # and "all groups"


# -- asking anonymously in words ("em muốn hỏi kín") ---------------------------------------


async def test_asking_privately_before_the_name_step_is_kept_for_it(
    engine: Engine, province_app: App
) -> None:
    """ "em muốn hỏi kín" at the consent was "Mình chưa hiểu ý bạn" and forgotten: the
    name was asked for as if nothing was said. Now it is noted and the name step skipped."""
    t = Talker(engine)
    await t.say("/start")
    await t.say("em muốn hỏi kín")
    assert "chưa hiểu" not in t.last_text and "ẩn danh" in t.last_text
    assert "Bạn có đồng ý không?" in t.last_text  # the consent is still asked
    await t.say("đồng ý")
    await t.say("thuc phan")
    await t.say("1")
    assert "Họ và tên" not in t.last_text and "Bạn thuộc nhóm nào" in t.last_text
    for step in STEPS[5:]:
        await t.say(step)
    await t.say(QUESTION)
    assert "Họ tên: Ẩn danh" in t.last_text
    await t.say("gửi")
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.anonymous and question.asker_name is None


async def test_a_named_person_asking_privately_at_the_preview(
    engine: Engine, province_app: App
) -> None:
    """At the preview, "cho em gửi ẩn danh" was offered as words to add to the question."""
    t = Talker(engine)
    await walk(t)
    await t.say(QUESTION)
    assert "Họ tên: Nông Thị Hoa" in t.last_text
    await t.say("cho em gửi ẩn danh")
    assert "Bạn vừa gửi thêm" not in t.last_text
    assert "Họ tên: Ẩn danh" in t.last_text and "kiểm tra lại" in t.last_text
    await t.say("gửi")
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.anonymous and question.asker_name is None and question.text == QUESTION


async def test_asking_privately_at_the_question_step_is_not_the_question(
    engine: Engine, province_app: App
) -> None:
    """ "em muốn hỏi kín" at the question step became the question itself."""
    t = Talker(engine)
    await walk(t)
    await t.say("em muốn hỏi kín")
    assert "ẩn danh" in t.last_text and "kiểm tra lại" not in t.last_text
    await t.say(QUESTION)
    assert "Họ tên: Ẩn danh" in t.last_text and f"Câu hỏi: {QUESTION}" in t.last_text


async def test_asking_privately_where_names_are_required_says_so(province_app: App) -> None:
    await create_campaign(
        province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28), allow_anonymous=False
    )
    t = Talker(Engine(province_app.store, province_app.clock, routers=routers()))
    await t.say("/start")
    await t.say("em muốn hỏi kín")
    assert "ghi họ tên" in t.last_text and "Bạn có đồng ý không?" in t.last_text
    await walk(t, 4)
    assert "Họ và tên" in t.last_text


# -- asking for English in words -------------------------------------------------------------


@pytest.mark.parametrize("typed", ["english please", "English pls", "can you speak english?"])
async def test_asking_for_english_at_the_consent(engine: Engine, typed: str) -> None:
    """ "english please" at the consent was "Mình chưa hiểu ý bạn" and the whole
    Vietnamese notice again; only "/ngonngu en" switched."""
    t = Talker(engine, language="en")
    await t.say("/start")
    await t.say(typed)
    assert "Switched to English" in t.last_text and "Do you agree?" in t.last_text
    assert "chưa hiểu" not in t.last_text
    await t.say("tiếng việt")
    assert "Đã chuyển sang tiếng Việt" in t.last_text and "Bạn có đồng ý không?" in t.last_text


async def test_asking_for_english_as_the_first_message(engine: Engine) -> None:
    t = Talker(engine, language="en")
    await t.say("english please")
    assert "Switched to English" in t.last_text and "Do you agree?" in t.last_text


async def test_asking_for_english_at_the_question_step_is_not_the_question(
    engine: Engine,
) -> None:
    """At the question step "english please" became the question itself."""
    t = Talker(engine)
    await walk(t)
    await t.say("english please")
    assert "Switched to English" in t.last_text and "check before sending" not in t.last_text
    await t.say("When will our commune get free wifi at the cultural house?")
    assert "check before sending" in t.last_text and "english please" not in t.last_text


@pytest.mark.parametrize("typed", ["Anh", "tiếng anh lớp 10 có khó không", "Nguyễn Anh"])
def test_a_name_or_a_question_is_no_language_wish(typed: str) -> None:
    assert language_wish(typed) is None


# -- a thumbs-up typed as an answer --------------------------------------------------------


async def test_a_thumbs_up_agrees(engine: Engine, province_app: App) -> None:
    """ "👍" (what a phone's keyboard offers first) at the consent was "Mình chưa hiểu ý
    bạn", though it is read as a yes; at the topic list it still chooses nothing."""
    t = Talker(engine)
    await t.say("/start")
    await t.say("👍")
    assert "Cảm ơn bạn" in t.last_text and "xã, phường" in t.last_text
    for step in STEPS[2:6]:
        await t.say(step)
    await t.say("👍")
    assert "chưa hiểu ý bạn" in t.last_text  # a topic is not a yes
    await t.say("1")
    await t.say(QUESTION)
    await t.say("👍")
    assert "Mã câu hỏi" in t.last_text


# -- /sua, /rut while a new question is being written ----------------------------------------


@pytest.mark.parametrize("command", ["/sua", "/rut", "/sua ABCDEF"])
async def test_editing_or_withdrawing_keeps_a_question_being_written(
    engine: Engine, province_app: App, command: str
) -> None:
    """/sua or /rut at the preview of a second question dropped it without a word (and
    /sua then edited the first one). Now the person is told to send or cancel it first,
    and it is still there."""
    t = Talker(engine)
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    await t.say("/hoi")
    await t.say("1")
    second = "Đề nghị xã sửa đường vào thôn Nà Rẻo vì mùa mưa học sinh đi học rất khó khăn."
    await t.say(second)
    assert "kiểm tra lại" in t.last_text
    await t.say(command)
    assert "chưa gửi" in t.last_text and "/huy" in t.last_text
    assert "kiểm tra lại" in t.last_text and second in t.last_text  # the preview again
    await t.say("gửi")
    assert "Mã câu hỏi" in t.last_text
    texts = {q.text for q in await province_app.store.questions.of_campaign(1)}
    assert texts == {QUESTION, second}


async def test_editing_when_nothing_is_being_written_still_edits(engine: Engine) -> None:
    t = Talker(engine)
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    await t.say("/sua")
    assert "Câu hiện tại" in t.last_text and QUESTION in t.last_text


# -- a long letter typed before the question step ---------------------------------------------

LETTER = "Kính gửi đồng chí Chủ tịch, em xin trình bày hoàn cảnh gia đình em. " + (
    "Bố mẹ em làm nông, em muốn vay vốn để học nghề và khởi nghiệp nuôi gà ở quê. " * 30
)


@pytest.mark.parametrize("steps", [2, 6])  # at the unit step, at the topic step
async def test_a_letter_too_long_before_the_question_step_is_said_not_kept(
    engine: Engine, steps: int
) -> None:
    """A 2,400-character letter typed at the topic step was answered with topic groups
    "«Kính gửi đồng chí Chủ tịch,…» có lẽ thuộc nhóm vấn đề…" and dropped without a
    word (at the unit step: "Mình chưa tìm thấy đơn vị nào"); the person believed it
    received."""
    assert len(LETTER) > 2000
    t = Talker(engine)
    await walk(t, steps)
    prompt = t.transcript[-1][1][-1].text  # the step's own prompt
    await t.say(LETTER)
    assert "quá giới hạn 2.000 ký tự" in t.last_text and "chưa ghi lại" in t.last_text
    assert t.last_text.endswith(prompt)  # the same step again
    assert "có lẽ thuộc nhóm" not in t.last_text and "chưa tìm thấy" not in t.last_text


async def test_a_second_question_too_long_to_join_the_kept_one_is_said_not_kept(
    engine: Engine, province_app: App
) -> None:
    """A question kept at the topic step, then another one too long to join it: dropped
    without a word (the topic groups offered instead); now said, the first still kept."""
    first = "Cho em hỏi " + "về chính sách vay vốn khởi nghiệp cho thanh niên nông thôn, " * 20
    second = "Em xin hỏi thêm " + "về việc học nghề miễn phí cho thanh niên xuất ngũ, " * 18
    assert len(first) < 2000 and len(second) < 2000 and len(first) + len(second) > 2000
    t = Talker(engine)
    await walk(t, 6)
    await t.say(first)
    assert "giữ lại câu hỏi" in t.last_text
    await t.say(second)
    assert "quá giới hạn 2.000 ký tự" in t.last_text and "vẫn được giữ" in t.last_text
    await t.say("1")
    assert "kiểm tra lại" in t.last_text and first.strip() in t.last_text


async def test_a_question_typed_at_the_topic_list_gets_its_groups_first(engine: Engine) -> None:
    """The question typed at the topic list was kept, but the whole list of 13 groups
    came again; the question typed first gets the groups it points to (and "all")."""
    t = Talker(engine)
    await walk(t, 6)
    assert len(t.last_prompt().choices) == 13
    await t.say(QUESTION)
    assert "giữ lại câu hỏi" in t.last_text
    labels = [c.label for c in t.last_prompt().choices]
    assert "Chuyển đổi số" in labels and "Xem tất cả các nhóm" in labels and len(labels) < 13
    await t.say("1")
    assert "kiểm tra lại" in t.last_text and "Vấn đề: Chuyển đổi số" in t.last_text


# -- not changing a question after all ---------------------------------------------------------


@pytest.mark.parametrize("typed", ["thôi", "ko sửa nữa", "thôi không sửa đâu", "giữ nguyên"])
async def test_not_editing_a_sent_question_after_all(
    engine: Engine, province_app: App, typed: str
) -> None:
    """After /sua, "ko sửa nữa" replaced the sent question's text with "ko sửa nữa"
    ("thôi" was "Câu hỏi hơi ngắn"). Now the question stays as it was."""
    t = Talker(engine)
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    await t.say("/sua")
    assert "Câu hiện tại" in t.last_text
    await t.say(typed)
    assert "giữ nguyên" in t.last_text and "Đã sửa" not in t.last_text
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.text == QUESTION
    await t.say("Nông Văn Hủy")  # the edit is over: not taken as the new text
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.text == QUESTION


@pytest.mark.parametrize("typed", ["thôi", "ko sửa nữa"])
async def test_not_editing_the_draft_after_all(engine: Engine, typed: str) -> None:
    """At the preview's "Sửa câu hỏi", "ko sửa nữa" became the question."""
    t = Talker(engine)
    await walk(t)
    await t.say(QUESTION)
    await t.say("2")  # Sửa câu hỏi
    assert "Câu hiện tại" in t.last_text
    await t.say(typed)
    assert "giữ nguyên" in t.last_text and f"Câu hỏi: {QUESTION}" in t.last_text


# -- asking about one's questions in the middle of a new one ------------------------------------


async def test_asking_where_ones_question_is_in_the_middle_of_a_new_one(engine: Engine) -> None:
    """A returning person who sent /start is at the topic list of a new question: "câu
    hỏi của e đâu rồi" was "Mình chưa thấy nhóm vấn đề này trong danh sách", over and
    over. Now it lists their questions, then the list again; a topic's words are still a
    topic's ("sửa đường" is no /sua)."""
    t = Talker(engine)
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    code = t.last_text.split("Mã câu hỏi: ")[1][:6]
    await t.say("/start")
    assert "nhóm vấn đề nào" in t.last_text
    await t.say("câu hỏi của e đâu rồi")
    assert code in t.last_text and "chưa thấy nhóm" not in t.last_text
    assert t.last_text.endswith(t.last_prompt().text)
    await t.say("bao giờ có trả lời câu hỏi của em ạ")
    assert "28/08/2025" in t.last_text and "chưa thấy nhóm" not in t.last_text
    await t.say("sửa đường")
    assert "Câu hiện tại" not in t.last_text


# -- another young person's phone number --------------------------------------------------------


async def test_feedback_on_a_supported_answer_never_shows_the_askers_phone(
    province_app: App, campaign: Campaign
) -> None:
    """A supporter who writes back about an answer was shown the asker's question as it
    was typed, phone number included ("• CODE: “… gọi em 0912 345 678”"); /cauhoi and
    the similar questions mask it."""
    from handlers.answers import publish, save_answer
    from tests.followup import question, support

    app = province_app
    engine = build_engine(app)
    asked = await question(
        app, campaign, "lan", "Xã có lớp học nghề may cho thanh niên không ạ? Gọi em 0912 345 678"
    )
    await support(app, asked, "minh")
    await save_answer(app.store, asked, "Có, tháng 9.", now=app.clock.now(), by="UBND", source="t")
    fresh = await app.store.questions.get(asked.id)
    assert fresh is not None
    await publish(app.store, [fresh], now=app.clock.now())
    minh = Talker(engine, user_id="minh")
    await minh.say("/start")
    await minh.say("đồng ý")
    await minh.say("/huy")
    await minh.say("Em chưa hài lòng với câu trả lời, tháng 9 muộn quá ạ")
    assert asked.code in minh.last_text and "lớp học nghề may" in minh.last_text
    assert "0912" not in minh.last_text and "345 678" not in minh.last_text


async def test_status_while_writing_the_first_question(engine: Engine) -> None:
    """/cauhoi at the preview of a first question said "Gõ /hoi để gửi câu đầu tiên",
    as if nothing was being written. Now: the question below is not sent yet."""
    t = Talker(engine)
    await walk(t)
    await t.say(QUESTION)
    await t.say("/cauhoi")
    assert "/hoi" not in t.last_text and "chưa gửi" in t.last_text
    assert "kiểm tra lại" in t.last_text  # the preview again


async def test_asking_privately_as_the_first_message(engine: Engine, province_app: App) -> None:
    """ "em muốn hỏi kín" as the very first message (Zalo has no /start) was dropped:
    the welcome came and the name was asked for later as if nothing was said."""
    t = Talker(engine)
    await t.say("em muốn hỏi kín")
    assert "ẩn danh" in t.last_text and "Bạn có đồng ý không?" in t.last_text
    for step in STEPS[1:4]:
        await t.say(step)
    assert "Họ và tên" not in t.last_text and "Bạn thuộc nhóm nào" in t.last_text


async def test_asking_privately_between_questions(engine: Engine, province_app: App) -> None:
    """A named person who had sent a question wrote "cho em hỏi kín": "Chào bạn quay lại!"
    and nothing else. Now a new question starts, anonymous."""
    t = Talker(engine)
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    await t.say("cho em hỏi kín")
    assert "ẩn danh" in t.last_text and "nhóm vấn đề" in t.last_text
    await t.say("1")
    await t.say("Xã em có kế hoạch mở lớp dạy nghề cho thanh niên dân tộc thiểu số không ạ?")
    assert "Họ tên: Ẩn danh" in t.last_text


@pytest.mark.parametrize(
    ("typed", "said"),
    [("english please", "Switched to English"), ("cảm ơn ad nhiều", "Không có gì")],
)
async def test_words_aside_while_editing_a_sent_question(
    engine: Engine, province_app: App, typed: str, said: str
) -> None:
    """After /sua, "english please" replaced the sent question's text."""
    t = Talker(engine)
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    await t.say("/sua")
    await t.say(typed)
    assert said in t.last_text and QUESTION in t.last_text  # the edit step again
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.text == QUESTION


# -- answer words where a name is expected --------------------------------------------------------


# "thôi" there is "never mind" (cancelled): tests/test_youth_understood_engine.py.
@pytest.mark.parametrize("typed", ["ok", "dc", "ko"])
async def test_an_answer_word_at_the_topic_list_is_not_a_missing_group(
    engine: Engine, typed: str
) -> None:
    """ "ok" at the topic list was "Mình chưa thấy nhóm vấn đề này trong danh sách"."""
    t = Talker(engine)
    await walk(t, 6)
    await t.say(typed)
    assert "chưa hiểu ý bạn" in t.last_text and "chưa thấy nhóm" not in t.last_text


@pytest.mark.parametrize("typed", ["ok", "dc", "ko"])  # "thôi": cancelled, as above
async def test_an_answer_word_at_the_unit_step_is_not_searched(engine: Engine, typed: str) -> None:
    """ "ok" at the unit step was searched: "Mình chưa tìm thấy đơn vị nào giống "ok""."""
    t = Talker(engine)
    await walk(t, 2)
    await t.say(typed)
    assert "chưa tìm thấy" not in t.last_text
    assert "bạn gõ tên xã hoặc phường nơi bạn đang sống" in t.last_text


async def test_the_consent_notice_is_not_repeated_whole_on_a_phone(engine: Engine) -> None:
    """A word not understood at consent: the question again with its buttons, not the
    ~900-character notice once more; /start shows the notice whole."""
    t = Talker(engine, user_id="consent-brief")
    await t.say("/start")
    notice = t.last_text
    assert "Mục đích" in notice and len(notice) > 600
    await t.say("hmm")
    again = t.transcript[-1][1][-1]
    assert again.text.startswith("Bạn có đồng ý không?") and len(again.text) < 150
    assert [b.label for b in again.choices] == ["Mình đồng ý", "Không đồng ý"]
    await t.say("???")
    assert "Mục đích" not in t.last_text
    await t.say("/start")
    assert "Mục đích" in t.last_text
    await t.say("ok")
    assert "Bạn đang sinh hoạt, học tập hoặc làm việc ở đâu?" in t.last_text


@pytest.mark.parametrize("typed", ["a" * 50, "aaaaaaaaaaaaaaaaaaaa ???", "hmmmmmmmmmmmmmmmmmmmmm"])
async def test_a_letter_held_down_is_not_a_question(engine: Engine, typed: str) -> None:
    """Fifty "a" passed the length check and reached the preview as a question."""
    t = Talker(engine, user_id="held")
    await walk(t)
    await t.say(typed)
    assert "Câu hỏi hơi ngắn" in t.last_text and "kiểm tra lại" not in t.last_text
    await t.say("Xã em có lớp học tiếng Anh miễn phí cho thanh niên khôngggg ạ?")
    assert "kiểm tra lại" in t.last_text  # a held letter in a real question is fine


async def test_a_number_added_with_an_edit_is_pointed_out(
    engine: Engine, province_app: App
) -> None:
    """An edit has no preview: a phone number added with /sua reached officials without
    the word the preview gives."""
    t = Talker(engine, user_id="edit-number")
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    code = t.last_text.split("Mã câu hỏi: ")[1][:6]
    await t.say("/sua")
    await t.say(f"{QUESTION} Có gì anh chị gọi em số 0912 345 678 nhé")
    assert f"Đã sửa câu hỏi {code}." in t.last_text
    assert "thông tin liên lạc của bạn (0912 345 678)" in t.last_text
    assert f"/sua {code}" in t.last_text
    await t.say("/sua")
    await t.say(QUESTION)
    assert "thông tin liên lạc" not in t.last_text


# -- "đã có trả lời chưa?": has my question been answered? --------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "đã có trả lời chưa?",
        "câu hỏi của em có trả lời chưa",
        "có câu trả lời chưa ad",
        "ad ơi trả lời chưa",
        "has my question been answered?",
        "any answer yet?",
    ],
)
async def test_asking_whether_ones_question_was_answered(engine: Engine, typed: str) -> None:
    """After sending a question, "đã có trả lời chưa?" was "Chào bạn quay lại!" and
    "câu hỏi của em có trả lời chưa" became the text of a new question. Now both list the
    person's questions with their status; in the middle of a new one, the step follows."""
    t = Talker(engine, user_id="answered-yet")
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    code = t.last_text.split("Mã câu hỏi: ")[1][:6]
    await t.say(typed)
    assert code in t.last_text and "nhóm vấn đề" not in t.last_text
    assert "quay lại" not in t.last_text
    await t.say("/start")  # a new question: at its topic list
    await t.say(typed)
    assert code in t.last_text and "chưa thấy nhóm" not in t.last_text
    assert t.last_text.endswith(t.last_prompt().text)


@pytest.mark.parametrize(
    "typed",
    [
        "Kiến nghị làm đường liên thôn của xã em năm ngoái đã được trả lời chưa?",
        "Vì sao đơn xin vay vốn của thanh niên xã em gửi từ tháng 3 đến nay chưa có trả lời?",
    ],
)
def test_a_question_to_the_chair_about_an_answer_is_no_status_request(typed: str) -> None:
    from handlers.understanding import idle_request

    assert idle_request(typed) is None


# -- a confirmation left open while the question moved on ---------------------------------------


async def test_withdrawing_a_question_forwarded_while_the_confirmation_waited(
    engine: Engine, province_app: App
) -> None:
    """/rut asked "Rút câu hỏi …?"; the question was forwarded to a department before
    the person pressed "Rút câu này": it was withdrawn all the same (an answered one too).
    Now the press says why it can no longer be withdrawn and the question stays."""
    t = Talker(engine, user_id="late-withdraw")
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    code = t.last_text.split("Mã câu hỏi: ")[1][:6]
    await t.say("/rut")
    assert "Rút câu hỏi" in t.last_text
    question = await province_app.store.questions.by_code(code)
    assert question is not None
    await province_app.store.questions.route_question(
        question.id, "Sở Nội vụ", now=province_app.clock.now()
    )
    await t.press("Rút câu này")
    assert "đã được chuyển tới cơ quan trả lời nên không rút được nữa" in t.last_text
    after = await province_app.store.questions.get(question.id)
    assert after is not None and after.status == "forwarded"


async def test_editing_a_question_forwarded_while_the_new_text_was_typed(
    engine: Engine, province_app: App
) -> None:
    """/sua asked for the new text; the question was forwarded before it came: the
    forwarded question's text was replaced (when the person had another question still
    open). Now the new text is refused with the reason."""
    t = Talker(engine, user_id="late-edit")
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    first = t.last_text.split("Mã câu hỏi: ")[1][:6]
    await t.say("/hoi")
    await t.say("1")
    await t.say("Xã em có kế hoạch mở lớp học nghề cho thanh niên dân tộc thiểu số không ạ?")
    await t.say("gửi")
    await t.say(f"/sua {first}")
    question = await province_app.store.questions.by_code(first)
    assert question is not None
    await province_app.store.questions.route_question(
        question.id, "Sở Nội vụ", now=province_app.clock.now()
    )
    await t.say("Xã em có được lắp wifi miễn phí ở nhà văn hóa thôn không ạ?")
    assert "nên không sửa được nữa" in t.last_text
    after = await province_app.store.questions.get(question.id)
    assert after is not None and after.text == QUESTION


async def test_withdrawing_after_collection_closed_says_withdraw(
    engine: Engine, province_app: App
) -> None:
    """/rut after the deadline said "… nên không sửa được nữa" (cannot be edited)."""
    from datetime import timedelta

    t = Talker(engine, user_id="closed-withdraw")
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    code = t.last_text.split("Mã câu hỏi: ")[1][:6]
    province_app.clock.advance(timedelta(days=60))  # type: ignore[attr-defined]
    engine.invalidate()
    for typed in ("/rut", f"/rut {code}"):
        await t.say(typed)
        assert "không rút được nữa" in t.last_text and "sửa" not in t.last_text


# -- an earlier message edited (Telegram) ---------------------------------------------------------


async def test_editing_ones_name_at_the_preview_does_not_replace_the_question(
    engine: Engine,
) -> None:
    """At the preview, correcting the name message ("Hoa" → "Hòa") made the name the
    question: "Câu hỏi: Nông Thị Hòa", the question gone. An edit not close to the
    question is now offered as the add/replace/keep choice; a typo fixed still applies."""
    t = Talker(engine, user_id="edit-name")
    await walk(t)
    await t.say(QUESTION)
    await t.event(EventKind.EDITED, text="Nông Thị Hòa", message_id="5")
    assert "Câu hỏi: Nông Thị Hòa" not in t.last_text
    assert "Thay câu hỏi bằng tin này" in [b.label for b in t.last_prompt().choices]
    await t.press("giữ câu hỏi cũ")
    assert f"Câu hỏi: {QUESTION}" in t.last_text
    fixed = QUESTION.replace("wifi", "wifi công cộng")
    await t.event(EventKind.EDITED, text=fixed, message_id="8")
    assert "cập nhật" in t.last_text and f"Câu hỏi: {fixed}" in t.last_text


async def test_editing_a_question_kept_before_its_step(engine: Engine) -> None:
    """A question typed before consent, then corrected while the unit was asked: "Câu
    hỏi đã gửi không sửa bằng cách sửa tin nhắn được" (nothing was sent) and the old
    text reached the preview. Now the correction is kept; another edit changes nothing
    and says so without speaking of a sent question."""
    t = Talker(engine, user_id="edit-early")
    await t.say(QUESTION)
    await t.say("đồng ý")
    fixed = QUESTION.replace("nhà văn hóa", "nhà văn hóa thôn")
    await t.event(EventKind.EDITED, text=fixed, message_id="1")
    assert "cập nhật" in t.last_text and "đã gửi" not in t.last_text
    await t.event(EventKind.EDITED, text="đồng ý ạ", message_id="3")
    assert "đã gửi" not in t.last_text and "xã, phường" in t.last_text
    for step in STEPS[2:6]:
        await t.say(step)
    await t.say("1")
    assert f"Câu hỏi: {fixed}" in t.last_text


async def test_a_first_question_too_long_is_not_said_to_be_kept(engine: Engine) -> None:
    """A first question of 2,400 characters at the question step: "…bản nháp trước vẫn
    được giữ" (the earlier draft is kept), when there was none; it read as this one
    kept. Now: not kept, shorten it. With a question already written it is still said."""
    t = Talker(engine, user_id="too-long-first")
    await walk(t)
    await t.say(LETTER)
    assert "quá giới hạn 2.000 ký tự" in t.last_text and "chưa ghi lại" in t.last_text
    assert "bản nháp" not in t.last_text
    await t.say(QUESTION)
    await t.press("Sửa câu hỏi")
    await t.say(LETTER)
    assert "bản nháp trước vẫn được giữ" in t.last_text


async def test_a_hello_after_the_deadline_does_not_invite_a_new_question(
    engine: Engine, province_app: App
) -> None:
    """ "chào ad" after collection closed: "Chào bạn quay lại! Gõ /hoi để gửi câu hỏi
    mới", and /hoi then said it had closed. Now the hello says it has closed and points
    to the person's questions."""
    from datetime import timedelta

    t = Talker(engine, user_id="hello-closed")
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    province_app.clock.advance(timedelta(days=60))  # type: ignore[attr-defined]
    engine.invalidate()
    await t.say("chào ad")
    assert "/hoi" not in t.last_text and "hết hạn nhận câu hỏi" in t.last_text
    assert "/cauhoi" in t.last_text


@pytest.mark.parametrize("tick", [True, False])  # the scheduler dropped it, or the next message
async def test_pressing_send_on_a_draft_dropped_for_age_says_it_was_not_sent(
    engine: Engine, province_app: App, tick: bool
) -> None:
    """A preview left four days, then "Gửi" pressed: the scheduler had dropped the draft
    and the press was "Nút đó thuộc một bước đã xong rồi, hiện không có việc gì đang chờ
    bạn": the person believed the question sent. Now: it was dropped, not sent."""
    from datetime import timedelta

    from bot.application.scheduler import run_tick

    t = Talker(engine, user_id="old-draft")
    await walk(t)
    await t.say(QUESTION)
    send = t.button("Gửi").payload
    province_app.clock.advance(timedelta(days=4))  # type: ignore[attr-defined]
    if tick:
        assert (await run_tick(province_app))["expired_drafts"] == 1
    await t.press_payload(send)
    assert "quá lâu" in t.last_text and "chưa được gửi" in t.last_text
    assert await province_app.store.questions.of_campaign(1) == []
    await t.say("/hoi")
    assert "quá lâu" not in t.last_text  # said once


async def test_one_person_interested_in_english(province_app: App, campaign: Campaign) -> None:
    """In English the similar question read "(1 people interested)"."""
    engine = build_engine(province_app)
    other = Talker(engine, user_id="first-asker")
    await walk(other)
    await other.say(QUESTION)
    await other.say("gửi")
    t = Talker(engine, user_id="english-similar")
    await walk(t, 1)
    await t.say("/ngonngu en")
    for step in ("I agree", "thuc phan", "1", "Lan Nguyen", "skip", "1", QUESTION):
        await t.say(step)
    assert "(1 person interested)" in t.last_text
    vi = Talker(engine, user_id="vi-similar")
    await walk(vi)
    await vi.say(QUESTION)
    assert "(1 người quan tâm)" in vi.last_text


@pytest.mark.parametrize("typed", ["/ngonngu en", "/language en"])
async def test_the_language_command_as_the_first_message(engine: Engine, typed: str) -> None:
    """On Zalo (no /start) a first "/ngonngu en" got "Switched to English." and nothing
    more: no welcome, no consent, no next step. Now the welcome follows, in English
    (as it does for "english please")."""
    t = Talker(engine, user_id="first-language", channel="zalo")
    await t.say(typed)
    assert "Switched to English" in t.last_text and "Do you agree?" in t.last_text
    assert t.last_text.count("Do you agree?") == 1
