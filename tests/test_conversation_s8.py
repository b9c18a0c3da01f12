"""A 17-year-old on a cheap phone, as played through ``youthbot chat --demo``: plain words
for "where is my question", a subject said in the very first message, asking in English,
a short word typed between questions, "gửi" after an edit, another unit named mid-flow.
Each test is a defect seen there; through the engine and a real SQLite file."""

from __future__ import annotations

import pytest

from handlers.engine import Engine
from handlers.understanding import idle_request
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
