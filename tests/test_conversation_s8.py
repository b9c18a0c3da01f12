"""A 17-year-old on a cheap phone, as played through ``youthbot chat --demo``: plain words
for "where is my question", a subject said in the very first message, asking in English,
a short word typed between questions, "gửi" after an edit, another unit named mid-flow.
Each test is a defect seen there; through the engine and a real SQLite file."""

from __future__ import annotations

import pytest

from handlers.engine import Engine
from handlers.understanding import idle_request, language_wish
from tests.talk import Talker
from tests.test_young_people_qa import QUESTION, walk


async def _sent(t: Talker) -> str:
    """Walk the whole flow and send QUESTION; its code."""
    await walk(t)
    await t.say(QUESTION)
    await t.say("gửi")
    assert "Mã câu hỏi" in t.last_text
    return t.last_text.split("Mã câu hỏi: ")[1][:6]


# -- "câu hỏi của tôi đâu": where is my question ------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "câu hỏi của tôi đâu",
        "cau hoi cua toi dau",
        "câu hỏi của em đâu ạ",
        "cau hoi cua e o dau",
        "câu hỏi em gửi đâu rồi ad",
        "câu hỏi đâu",
    ],
)
def test_where_is_my_question_lists_ones_questions(typed: str) -> None:
    assert idle_request(typed) == "cauhoi"


@pytest.mark.parametrize(
    "typed",
    [
        "đường vào bản em ở đâu",  # no "câu hỏi": a question to the chair
        "câu hỏi về việc làm thì gửi ở đâu",  # where to send one: not a request to list
    ],
)
def test_other_wheres_are_no_list(typed: str) -> None:
    assert idle_request(typed) != "cauhoi"


async def test_where_is_my_question_shows_it(engine: Engine) -> None:
    """ "câu hỏi của tôi đâu" after sending was "Chào bạn quay lại! Gõ /hoi …": the
    person's own question was not shown."""
    t = Talker(engine, user_id="where")
    code = await _sent(t)
    await t.say("câu hỏi của tôi đâu")
    assert code in t.last_text and "Chào bạn quay lại" not in t.last_text


# -- what the question will be about, said before the flow ---------------------------------


async def test_a_subject_in_the_very_first_message_is_kept(engine: Engine) -> None:
    """ "cho em hỏi về việc làm ạ" as the first message got the welcome and was forgotten
    (the same words at the consent were noted): now noted, and the groups it names come
    first at the topic step, the question asked about it."""
    t = Talker(engine, user_id="first-subject")
    await t.say("cho em hỏi về việc làm ạ")
    assert "bạn muốn hỏi về việc làm" in t.last_text and "Bạn có đồng ý không?" in t.last_text
    for step in ("đồng ý", "thuc phan", "1", "Nông Thị Hoa", "bỏ qua"):
        await t.say(step)
    assert "Nghề nghiệp, việc làm" in [b.label for b in t.last_prompt().choices][:2]
    await t.press("Nghề nghiệp")
    assert "về việc làm" in t.last_text


@pytest.mark.parametrize(
    ("typed", "subject"),
    [
        ("em muốn hỏi về học bổng", "học bổng"),
        ("e muon hoi", None),
        ("việc làm", "việc làm"),
        ("wifi?", "wifi"),
    ],
)
async def test_a_short_wish_to_ask_between_questions_starts_one(
    engine: Engine, typed: str, subject: str | None
) -> None:
    """After a first question, "em muốn hỏi về học bổng", "e muon hoi", "việc làm" (a
    question's subject in a word or two) were "Chào bạn quay lại! Gõ /hoi …": the words
    were dropped and the person had to start again. Now the next question begins (the
    unit and name kept), about what they named."""
    t = Talker(engine, user_id="again")
    await _sent(t)
    await t.say(typed)
    assert "Chào bạn quay lại" not in t.last_text and "nhóm vấn đề" in t.last_text
    await t.press_payload(t.last_prompt().choices[0].payload)
    assert "Bạn viết câu hỏi" in t.last_text
    if subject is not None:
        assert f"về {subject} vào đây" in t.last_text


@pytest.mark.parametrize("typed", ["hihi", "test", "có ai không", "ê"])
async def test_words_about_nothing_start_no_question(engine: Engine, typed: str) -> None:
    t = Talker(engine, user_id="idle")
    await _sent(t)
    await t.say(typed)
    assert "Gõ /hoi" in t.last_text


# -- asking for English (or Vietnamese) in a sentence --------------------------------------


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("Hello, can I ask a question in English?", "en"),
        ("can i ask in english", "en"),
        ("Can we talk in English please?", "en"),
        ("I don't speak Vietnamese", "en"),
        ("I dont understand Vietnamese, sorry", "en"),
        ("cho em hỏi bằng tiếng anh được không", "en"),
        ("e nhắn bằng tiếng anh dc ko", "en"),
        ("can you answer in Vietnamese", "vi"),
        ("mình nói bằng tiếng việt nhé", "vi"),
    ],
)
def test_a_language_asked_for_in_a_sentence(typed: str, language: str) -> None:
    assert language_wish(typed) == language


@pytest.mark.parametrize(
    "typed",
    [
        "Trường em có dạy bằng tiếng anh không ạ",  # a question to the chair
        "tiếng anh lớp 10 có khó không",
        "How can young people in English classes get scholarships for studying abroad?",
    ],
)
def test_questions_naming_a_language_are_no_wish(typed: str) -> None:
    assert language_wish(typed) is None


async def test_asking_in_english_first_switches_and_keeps_no_question(engine: Engine) -> None:
    """ "Hello, can I ask a question in English?" as the first message (a phone in English)
    was kept as the person's question for the chair, and the whole welcome came in
    Vietnamese. Now the welcome comes in English, with nothing kept as a question."""
    t = Talker(engine, user_id="english", language="en")
    await t.say("Hello, can I ask a question in English?")
    assert "Do you agree?" in t.last_text and "Bạn có đồng ý" not in t.last_text
    assert "kept the question" not in t.last_text
    for step in ("yes", "thuc phan", "1", "John Nguyen", "skip", "1"):
        await t.say(step)
    assert "Write your question" in t.last_text  # nothing was kept as one


async def test_at_the_question_step_such_a_sentence_is_the_question(engine: Engine) -> None:
    """Where the question itself is typed, "em hỏi bằng tiếng Anh ở buổi đối thoại được
    không" may be it: it stays the question (only "english please" alone switches)."""
    t = Talker(engine, user_id="asks-in-english")
    await walk(t)
    await t.say("em hỏi bằng tiếng Anh ở buổi đối thoại được không")
    assert "kiểm tra lại" in t.last_text and "bằng tiếng Anh" in t.last_text


# -- anonymity asked for in one's own words ----------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "cho em ẩn danh nhé",
        "ko muốn để tên",
        "giấu tên giúp em",
        "đừng ghi tên em",
        "k de ten dc k",
    ],
)
async def test_anonymity_in_ones_words_at_the_preview(engine: Engine, typed: str) -> None:
    """ "cho em ẩn danh nhé" at the preview was "Bạn vừa gửi thêm … Thêm vào câu hỏi?":
    offered as words to add to the question, the name still on it."""
    t = Talker(engine, user_id="hidden")
    await walk(t)
    await t.say(QUESTION)
    await t.say(typed)
    assert "Ẩn danh" in t.last_text and "Nông Thị Hoa" not in t.last_text
    assert "Bạn vừa gửi thêm" not in t.last_text
    await t.say("gửi")
    assert "Mã câu hỏi" in t.last_text


def test_names_are_no_anonymity() -> None:
    from handlers.understanding import wants_anonymous

    assert not wants_anonymous("Đặng Tên")
    assert not wants_anonymous("Đường vào bản em không có tên đường")


# -- another unit named after the unit step --------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "unit"),
    [
        ("à nhầm, em ở xã Hòa An", "xa hoa an"),
        ("em ở xã Hòa An chứ không phải Thục Phán", "xa hoa an"),
        ("sai đơn vị rồi, e học ở phuong tan giang", "phuong tan giang"),
        ("mình thuộc xã hà quảng ạ", "xa ha quang"),
    ],
)
def test_another_unit_named_in_a_sentence(typed: str, unit: str) -> None:
    from handlers.understanding import other_unit

    assert other_unit(typed) == unit


@pytest.mark.parametrize(
    "typed",
    [
        "Lan",
        "Xã em bao giờ có wifi miễn phí ở nhà văn hóa ạ?",
        "em ở xã này đường rất xấu",  # a question's words, no unit named
        "Học sinh, sinh viên",
    ],
)
def test_no_other_unit_in_other_words(typed: str) -> None:
    from handlers.understanding import other_unit

    assert other_unit(typed) is None


@pytest.mark.parametrize("step", [5, 6])  # at the group, at the topic
async def test_another_unit_named_later_changes_it(engine: Engine, step: int) -> None:
    """ "à nhầm, em ở xã Hòa An" at the group or topic step (the person picked the wrong
    unit) was "Nhóm bạn gõ chưa có trong danh sách": the unit could only be changed at the
    preview. Now the units named are offered, and the flow goes on where it was."""
    t = Talker(engine, user_id=f"moved{step}")
    await walk(t, steps=step)
    await t.say("à nhầm, em ở xã Hòa An")
    assert t.last_prompt().choices[0].label == "Xã Hòa An"
    await t.say("1")
    if step == 5:
        await t.say("bỏ qua")
    await t.say("1")
    await t.say(QUESTION)
    assert "Đơn vị: Xã Hòa An" in t.last_text and "Họ tên: Nông Thị Hoa" in t.last_text


async def test_another_unit_named_at_the_preview(engine: Engine) -> None:
    t = Talker(engine, user_id="moved-preview")
    await walk(t)
    await t.say(QUESTION)
    await t.say("em ở xã Hòa An chứ không phải Thục Phán")
    assert "Bạn vừa gửi thêm" not in t.last_text
    await t.press("Hòa An")
    assert "Đơn vị: Xã Hòa An" in t.last_text and QUESTION in t.last_text


# -- "gửi" once nothing is waiting to be sent ------------------------------------------------


@pytest.mark.parametrize("typed", ["gửi", "gui di", "gửi luôn"])
async def test_send_after_an_edit_is_an_acknowledgement(engine: Engine, typed: str) -> None:
    """After "Đã sửa câu hỏi …" (an edit is saved at once), "gửi" was "Chào bạn quay lại!
    Gõ /hoi …", as to someone back after a while: it is an "ok"."""
    t = Talker(engine, user_id="edited")
    code = await _sent(t)
    await t.say("/sua")
    await t.say("Xã em bao giờ có wifi miễn phí ở nhà văn hóa thôn Nà Mò ạ?")
    assert f"Đã sửa câu hỏi {code}" in t.last_text
    await t.say(typed)
    assert t.last_text.startswith("Dạ!") and "Chào bạn quay lại" not in t.last_text


@pytest.mark.parametrize(
    ("typed", "unit"),
    [
        ("oops I live in xa hoa an", "xa hoa an"),
        ("sorry, I'm from phuong tan giang", "phuong tan giang"),
        ("wrong one, I study at truong thpt chuyen cao bang", "truong thpt chuyen cao bang"),
    ],
)
def test_another_unit_named_in_english(typed: str, unit: str) -> None:
    from handlers.understanding import other_unit

    assert other_unit(typed) == unit


async def test_a_sentence_is_no_name(engine: Engine) -> None:
    """ "oops I live in xa hoa an" at the name step became the name "Oops I Live In Xa Hoa
    An"; "toi la sinh vien nam nhat truong dai hoc" the name "Sinh Vien Nam Nhat …"."""
    t = Talker(engine, user_id="no-name", language="en")
    for step in ("/start", "english", "yes", "thuc phan", "1"):
        await t.say(step)
    await t.say("oops I live in xa hoa an")
    assert t.last_prompt().choices[0].label == "Xã Hòa An"
    await t.say("1")
    assert "full name" in t.last_text
    await t.say("toi la sinh vien nam nhat truong dai hoc")
    assert "full name" in t.last_text and "Which group" not in t.last_text


# -- a new subject where the groups suggested do not fit --------------------------------------


async def test_a_new_subject_at_the_suggested_groups_shows_them_all(engine: Engine) -> None:
    """At "Câu hỏi của bạn có lẽ thuộc nhóm …" (groups suggested), "em muốn hỏi về ma túy"
    (words of no group) was "Mình chưa hiểu ý bạn" and the same groups again."""
    t = Talker(engine, user_id="new-subject")
    await _sent(t)
    await t.say("việc làm")
    assert [b.label for b in t.last_prompt().choices] == [
        "Nghề nghiệp, việc làm",
        "Xem tất cả các nhóm",
    ]
    await t.say("à không, em muốn hỏi về ma túy")  # words of no group
    assert "Mình chưa hiểu" not in t.last_text
    assert len(t.last_prompt().choices) > 5  # every group
    await t.say("Kiến nghị khác")
    assert "về ma túy vào đây" in t.last_text


@pytest.mark.parametrize("typed", ["ok", "đúng rồi", "uh"])
async def test_ok_takes_the_one_group_suggested(engine: Engine, typed: str) -> None:
    """One group suggested for the question ("… có lẽ thuộc nhóm vấn đề dưới đây"): "ok"
    was "Mình chưa hiểu ý bạn", as "ok" is where one unit is offered."""
    t = Talker(engine, user_id="one-group")
    await walk(t, steps=6)
    await t.say("học nghề")
    assert [b.label for b in t.last_prompt().choices] == [
        "Nghề nghiệp, việc làm",
        "Xem tất cả các nhóm",
    ]
    await t.say(typed)
    assert "Bạn viết câu hỏi" in t.last_text
    await t.say(QUESTION)
    assert "Vấn đề: Nghề nghiệp, việc làm" in t.last_text


# -- several questions in one message -------------------------------------------------------

SEVERAL = (
    "em muốn hỏi 3 câu: 1. wifi miễn phí ở nhà văn hóa khi nào có? "
    "2. đường vào bản Nà Mò bao giờ được sửa? 3. xã có mở lớp học nghề cho thanh niên không?"
)


def test_a_numbered_list_is_several_questions() -> None:
    from handlers.intake import question_parts

    assert question_parts(SEVERAL) == [
        "wifi miễn phí ở nhà văn hóa khi nào có?",
        "đường vào bản Nà Mò bao giờ được sửa?",
        "xã có mở lớp học nghề cho thanh niên không?",
    ]
    assert question_parts(QUESTION) == []
    listed = SEVERAL.split(": ", 1)[1]  # "1. wifi … 2. … 3. …"
    assert len(question_parts("Dạ ad ơi, em có mấy câu hỏi sau ạ: " + listed)) == 3
    # Words before the list that say something would be dropped: no split offered.
    assert question_parts("Về đường ở xã Hòa An: " + listed) == []
    assert question_parts("Em sinh năm 2007. Em muốn hỏi về học phí năm 2025 ạ?") == []


async def test_several_questions_in_one_message_go_one_by_one(
    engine: Engine, province_app: object
) -> None:
    """Three numbered questions in one message could only be sent as one question, under
    one topic group (wifi, a road and vocational classes go to three departments). Now
    the preview offers to send them one by one, each with its own group."""
    t = Talker(engine, user_id="several")
    await walk(t)
    await t.say(SEVERAL)
    await t.press("3 câu riêng")
    assert "wifi" in t.last_text and "1/3" in t.last_text
    codes = []
    for _ in range(3):
        if "kiểm tra lại" not in t.last_text:  # the group the part points to
            await t.press_payload(t.last_prompt().choices[0].payload)
        assert "kiểm tra lại" in t.last_text
        await t.say("gửi")
        assert "Mã câu hỏi" in t.last_text
        codes.append(t.last_text.split("Mã câu hỏi: ")[1][:6])
    assert len(set(codes)) == 3
    await t.say("/cauhoi")
    assert all(code in t.last_text for code in codes)
    assert "học nghề" in t.last_text and "Nà Mò" in t.last_text


@pytest.mark.parametrize(
    "typed",
    [
        "có ai đọc câu hỏi của em không",
        "ad đã xem câu hỏi của em chưa",
        "câu hỏi của mình có ai đọc chưa",
        "where's my question?",
        "did anyone read my question",
    ],
)
def test_did_anyone_read_my_question(typed: str) -> None:
    assert idle_request(typed) == "cauhoi"


async def test_did_anyone_read_it_is_no_new_question(engine: Engine) -> None:
    """ "có ai đọc câu hỏi của em không" after sending began a new question with these
    words as the question for the chair (the topic groups were asked)."""
    t = Talker(engine, user_id="read")
    code = await _sent(t)
    await t.say("có ai đọc câu hỏi của em không")
    assert code in t.last_text and "nhóm vấn đề" not in t.last_text


def test_questions_about_reading_stay_questions() -> None:
    assert idle_request("Xã có thư viện cho thanh niên đọc sách miễn phí không ạ") is None


@pytest.mark.parametrize(
    "typed",
    [
        "câu hỏi em sao rồi",
        "câu hỏi của em thế nào rồi ạ",
        "cau hoi cua e sao r",
        "câu hỏi của mình ra sao",
        "em muốn xem lại câu hỏi",
    ],
)
def test_how_is_my_question_doing(typed: str) -> None:
    assert idle_request(typed) == "cauhoi"


def test_how_questions_to_the_chair_stay_questions() -> None:
    assert idle_request("câu hỏi về học phí thế nào") is None


# -- changing one's mind at "withdraw it?" -------------------------------------------------


async def test_edit_rather_than_withdraw(engine: Engine) -> None:
    """At "Rút câu hỏi …?", "à thôi em muốn sửa câu hỏi" (edit it instead) was "Mình chưa
    hiểu ý bạn" and the same question: now the question is kept and its edit asked."""
    t = Talker(engine, user_id="rather-edit")
    code = await _sent(t)
    await t.say("rút câu hỏi")
    assert f"Rút câu hỏi {code}?" in t.last_text
    await t.say("à thôi em muốn sửa câu hỏi")
    assert "Mình chưa hiểu" not in t.last_text and "Bạn gõ nội dung mới" in t.last_text
    await t.say("Xã em bao giờ có wifi miễn phí ở nhà văn hóa thôn Nà Mò ạ?")
    assert f"Đã sửa câu hỏi {code}" in t.last_text
    await t.say("/cauhoi")
    assert "Nà Mò" in t.last_text and "đã rút" not in t.last_text.lower()


async def _to_preview(t: Talker) -> None:
    if "kiểm tra lại" not in t.last_text:  # the group the part points to
        await t.press_payload(t.last_prompt().choices[0].payload)
    assert "kiểm tra lại" in t.last_text


async def test_cancel_in_a_numbered_list_drops_that_question_only(
    engine: Engine, province_app: object
) -> None:
    """ "Hủy" (or /huy) on question 2 of 3 dropped questions 2 and 3: the third, never
    shown, was lost without a word. Now only the one on screen goes; the next follows."""
    t = Talker(engine, user_id="several-cancel")
    await walk(t)
    await t.say(SEVERAL)
    await t.press("3 câu riêng")
    await _to_preview(t)
    await t.say("gửi")
    assert "Mã câu hỏi" in t.last_text and "2/3" in t.last_text
    await t.say("/huy")
    assert "Đã bỏ câu 2/3" in t.last_text
    assert "3/3" in t.last_text and "học nghề" in t.last_text
    await _to_preview(t)
    await t.press("Hủy")
    assert "Đã hủy" in t.last_text  # the last one: nothing waits behind it
    await t.say("/cauhoi")
    assert "wifi" in t.last_text and "học nghề" not in t.last_text


@pytest.mark.parametrize("command", ["/start", "/hoi"])
async def test_start_in_a_numbered_list_keeps_the_questions_not_sent(
    engine: Engine, province_app: object, command: str
) -> None:
    """/start (or /hoi) on question 1 of 3 kept question 1 as the draft and lost 2 and 3."""
    t = Talker(engine, user_id=f"several{command}")
    await walk(t)
    await t.say(SEVERAL)
    await t.press("3 câu riêng")
    await t.say(command)
    for _ in range(4):
        if "kiểm tra lại" in t.last_text:
            break
        await t.press_payload(t.last_prompt().choices[0].payload)
    assert "wifi" in t.last_text and "Nà Mò" in t.last_text and "học nghề" in t.last_text
