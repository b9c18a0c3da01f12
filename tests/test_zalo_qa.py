"""Young people on Zalo, checked with fresh eyes: the real Zalo adapter polling the fake
Zalo Bot API on 127.0.0.1, the real engine (``build_engine``) and a real SQLite file.
Everything is typed (no buttons); every message must read well as plain text."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.application.app import App
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_client import zalo_text_length
from storage.models import Campaign
from tests.fakes.zalo_api import FakeZaloApi, make_text_event
from tests.test_conversation_zalo import _wait, burst, serving
from tests.walks import TAP_WORDS

USER = "7a6b5c4d3e2f10293847"
QUESTION = "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?"
MARKDOWN = re.compile(r"\*\*|__|`|\[[^\]]+\]\(|^#+ ", re.MULTILINE)


@pytest.fixture
async def api() -> AsyncIterator[FakeZaloApi]:
    async with FakeZaloApi(max_poll_seconds=1) as fake:
        yield fake
        for _, text in fake.sent:
            assert zalo_text_length(text) <= 2000
            assert not any(w in text.lower() for w in TAP_WORDS), text
            assert MARKDOWN.search(text) is None, text


@pytest.fixture
async def channel(
    province_app: App, campaign: Campaign, api: FakeZaloApi
) -> AsyncIterator[ZaloChannel]:
    async with serving(province_app, api) as zalo:
        yield zalo


class Person:
    def __init__(self, api: FakeZaloApi, channel: ZaloChannel, user_id: str = USER) -> None:
        self.api, self.channel, self.user_id = api, channel, user_id

    async def send(self, event: dict[str, Any]) -> list[str]:
        before, target = len(self.api.sent), self.channel.processed + 1
        self.api.push(event)
        await _wait(
            lambda: (
                self.channel.processed >= target and self.channel.health()["replies_waiting"] == 0
            )
        )
        return [text for chat, text in self.api.sent[before:] if chat == self.user_id]

    async def say(self, text: str) -> str:
        return "\n---\n".join(await self.send(make_text_event(self.user_id, text)))


async def _send_burst(
    api: FakeZaloApi, channel: ZaloChannel, events: list[dict[str, Any]]
) -> list[str]:
    before, target = len(api.sent), channel.processed + len(events)
    for event in events:
        api.push(event)
    await _wait(lambda: channel.processed >= target and channel.health()["replies_waiting"] == 0)
    return [text for _, text in api.sent[before:]]


async def test_a_number_typed_twice_is_not_taken_from_a_list_not_yet_seen(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    """ "4" sent twice in a row at the group list (a double send, before the topic list
    came): the second "4" picked topic 4 ("Khởi nghiệp…"), from a list the person had not
    seen, and skipped the topic step. A typed number belongs to the list on screen."""
    hoa = Person(api, channel)
    for line in ("/start", "ok", "thuc phan", "1", "Nông Thị Hoa"):
        await hoa.say(line)
    answers = await _send_burst(api, channel, burst(USER, province_app.clock, "4", "4"))
    assert "Câu hỏi của bạn thuộc nhóm vấn đề nào?" in answers[-1]
    assert not any("Bạn viết câu hỏi" in a for a in answers)
    assert "Bạn viết câu hỏi" in await hoa.say("3")  # now picked from the list seen
    shown = await hoa.say(QUESTION)
    assert "Nhóm: Học sinh, sinh viên" in shown and "Vấn đề: Nghề nghiệp, việc làm" in shown


async def _asked_before(api: FakeZaloApi, channel: ZaloChannel) -> None:
    """Someone else of the same unit already sent QUESTION under their name."""
    other = Person(api, channel, "0f" * 10)
    for line in ("/start", "ok", "thuc phan", "1", "Hoàng Văn An", "9", "3", QUESTION, "1"):
        await other.say(line)


async def _at_similar(person: Person) -> None:
    for line in ("/start", "ok", "thuc phan", "1", "Lý Văn Nam", "9", "3"):
        await person.say(line)
    assert "Đã có bạn hỏi gần giống" in await person.say(QUESTION)


async def test_number_words_pick_at_the_similar_supported_and_preview_steps(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    """ "hai", "một", "số hai" picked the option at the unit, group and topic lists, but
    at the similar-question prompt, the new "Câu bạn vừa viết còn ý nào khác…" step and
    the preview they were "Mình chưa hiểu ý bạn. Gõ 1 để gửi câu hỏi nhé" (after "một")."""
    await _asked_before(api, channel)
    nam = Person(api, channel)
    await _at_similar(nam)
    assert "còn ý nào khác câu" in await nam.say("một")
    assert "chưa hiểu" not in (done := await nam.say("hai")) and "/hoi" in done
    lan = Person(api, channel, "1e" * 10)
    await _at_similar(lan)
    assert "kiểm tra lại" in await lan.say("số hai")
    assert "Mã câu hỏi" in await lan.say("một")
    [_, lans] = await province_app.store.questions.of_campaign(1)
    assert lans.text == QUESTION and lans.asker_name == "Lý Văn Nam"


async def test_a_name_that_is_a_number_word_stays_a_name(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    hai = Person(api, channel)
    for line in ("/start", "ok", "thuc phan", "1"):
        await hai.say(line)
    assert "Bạn thuộc nhóm nào?" in await hai.say("Hai")
    person = await province_app.store.people.by_identity("zalo", USER)
    assert person is not None and person.full_name == "Hai"


async def test_withdrawing_a_question_reads_as_one_question(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    """/rut asked 'Rút câu hỏi CODE: "… tốt nghiệp?"?': a question mark after the quote
    of a question that ends with its own. The question is asked, then the words quoted."""
    hoa = Person(api, channel)
    for line in ("/start", "ok", "thuc phan", "1", "Nông Thị Hoa", "9", "3", QUESTION, "1"):
        await hoa.say(line)
    [question] = await province_app.store.questions.of_campaign(1)
    asked = await hoa.say("/rut")
    assert asked.startswith(f'Rút câu hỏi {question.code}?\n"{QUESTION}"\n\n1. Rút câu này')
    await hoa.say("/ngonngu en")
    asked = await hoa.say("/withdraw")
    assert f'Withdraw question {question.code}?\n"{QUESTION}"\n\n' in asked
    assert '?"?' not in asked


async def test_a_number_sent_with_the_question_is_not_added_to_it(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    """The question and "1" sent together (before the preview came): the "1" was joined
    to the question ("… tốt nghiệp?\\n1", "Mình đã ghép tin nhắn bạn gửi liền sau vào câu
    hỏi"). A bare option number is no part of a question."""
    hoa = Person(api, channel)
    for line in ("/start", "ok", "thuc phan", "1", "Nông Thị Hoa", "9", "3"):
        await hoa.say(line)
    answers = await _send_burst(api, channel, burst(USER, province_app.clock, QUESTION, "1"))
    assert "kiểm tra lại" in answers[-1]
    shown = await hoa.say("1")
    assert "Mã câu hỏi" in shown and "ghép" not in shown
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.text == QUESTION
