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
