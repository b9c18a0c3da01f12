"""Whole conversations over Telegram with the real engine (``bot.application.wiring.build_engine``).

PTB's real HTTP stack talks to the fake Bot API on 127.0.0.1; the engine stores everything
in a real SQLite file. The fake clock of conftest says 1 July 2025.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.channels.telegram import TelegramChannel
from bot.channels.webserver import WebServer
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI, check_telegram_html
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.test_telegram_support import (
    TOKEN,
    latest_prompt,
    options,
    press,
    running,
    settle,
    telegram_app,
    texts_since,
)

USER = 1001
QUESTION = "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?"


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server
        assert server.errors == []
        # Whole conversations: nothing the bot did was refused by "Telegram".
        assert server.error_answers == [], [c.describe() for c in server.error_answers]


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(
        province_app,
        title="Đối thoại giữa Chủ tịch UBND tỉnh với thanh niên năm 2025",
        dialogue=date(2025, 8, 28),
    )


@pytest.fixture
def tg_app(
    province_app: App, campaign: Campaign, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> App:
    return telegram_app(province_app, api, monkeypatch)


def new_channel(tg_app: App, **changes: Any) -> TelegramChannel:
    return TelegramChannel(tg_app, build_engine(tg_app), options=options(**changes))


class Person:
    """A young person on Telegram: each action waits until the bot handled it."""

    def __init__(
        self, api: FakeTelegramAPI, channel: TelegramChannel, user_id: int = USER, **kw: Any
    ) -> None:
        self.api = api
        self.channel = channel
        self.user_id = user_id
        self.kw = kw

    async def _do(self, action: Callable[[], object]) -> str:
        start = len(self.api.calls)
        action()
        await settle(self.api, self.channel)
        texts = texts_since(self.api, self.user_id, start)
        for text in texts:
            assert check_telegram_html(text) is None, text
        return "\n".join(texts)

    async def say(self, text: str) -> str:
        return await self._do(lambda: self.api.push_message(self.user_id, text, **self.kw))

    async def press(self, label: str) -> str:
        return await self._do(lambda: press(self.api, self.user_id, label))


@pytest.mark.parametrize("http", ["aiohttp", "httpx"])  # the transport under PTB
async def test_whole_intake_over_telegram(api: FakeTelegramAPI, tg_app: App, http: str) -> None:
    async with running(new_channel(tg_app, http=http)) as channel:
        hoa = Person(api, channel, first_name="Hoa", last_name="Nông")
        welcome = await hoa.say("/start")
        assert "Đối thoại giữa Chủ tịch UBND tỉnh" in welcome
        assert "hết ngày 21/08/2025" in welcome
        assert "xã, phường" in await hoa.press("đồng ý")
        await hoa.say("thuc phan")
        assert "Họ và tên" in await hoa.press("Thục Phán")
        await hoa.say("nông thị hoa")
        await hoa.press("Học sinh, sinh viên")
        await hoa.press("việc làm")
        preview = await hoa.say(QUESTION)
        assert "kiểm tra lại" in preview and "Nông Thị Hoa" in preview
        receipt = await hoa.press("Gửi")
        assert "Mã câu hỏi" in receipt

    code = receipt.split("Mã câu hỏi: ")[1][:6]
    question = await tg_app.store.questions.by_code(code)
    assert question is not None
    assert question.channel == "telegram"
    assert question.asker_name == "Nông Thị Hoa"
    assert question.text == QUESTION
    presses = 5
    assert len(api.callback_answers) == presses
    assert api.edits, "button answers edit the prompt in place"
    assert not api.pending_updates
    person = await tg_app.store.people.by_identity("telegram", str(USER))
    assert person is not None and person.id == question.person_id


async def test_vietnamese_whatever_the_app_language(api: FakeTelegramAPI, tg_app: App) -> None:
    async with running(new_channel(tg_app)) as channel:
        john = Person(api, channel, language_code="en")
        welcome = await john.say("/start")
        assert "Hạn gửi: hết ngày 21/08/2025" in welcome
        assert "Prefer English? Send /ngonngu en" in welcome  # offered once, in a short line
        assert welcome.count("English") == 1
        again = await john.say("/start")
        assert "English" not in again


async def test_deep_link_names_the_unit(api: FakeTelegramAPI, tg_app: App) -> None:
    async with running(new_channel(tg_app)) as channel:
        lan = Person(api, channel)
        await lan.say("/start u-w01273")
        asked = await lan.press("đồng ý")
        assert "Bạn thuộc Phường Thục Phán phải không?" in asked
        assert "Họ và tên" in await lan.press("Đúng vậy")


async def test_restart_in_the_middle_of_the_flow(api: FakeTelegramAPI, tg_app: App) -> None:
    async with running(new_channel(tg_app)) as first:
        lan = Person(api, first)
        await lan.say("/start")
        await lan.press("đồng ý")
        await lan.say("thuc phan")
    prompt_before = latest_prompt(api, USER)

    # A new process: a new adapter and engine on the same database.
    async with running(new_channel(tg_app)) as second:
        lan = Person(api, second)
        assert "Họ và tên" in await lan.press("Thục Phán")
        await lan.say("Lò Văn Lan")
        await lan.press("Học sinh, sinh viên")
        await lan.press("việc làm")
        await lan.say(QUESTION)
        assert "Mã câu hỏi" in await lan.press("Gửi")

    assert prompt_before.data("Thục Phán")  # the button came from before the restart
    questions = await tg_app.store.questions.of_campaign(1)
    assert [q.asker_name for q in questions] == ["Lò Văn Lan"]


async def test_forged_callbacks_are_answered_and_refused(api: FakeTelegramAPI, tg_app: App) -> None:
    async with running(new_channel(tg_app)) as channel:
        lan = Person(api, channel)
        await lan.say("/start")
        prompt = latest_prompt(api, USER)
        start = len(api.calls)
        api.push_callback(USER, "99999.zz", message_id=prompt.message_id)
        api.push_callback(USER, "<script>", message_id=prompt.message_id)
        await settle(api, channel)
        refused = texts_since(api, USER, start)

    assert len(api.callback_answers) == 2
    assert refused, "the person is told the button is not valid"
    forged = await tg_app.store.audit.entries(action="button.forged")
    assert len(forged) == 2
    # Nothing changed: the consent prompt (same step, same payloads) is shown again.
    assert latest_prompt(api, USER).data("đồng ý") == prompt.data("đồng ý")


async def test_redelivered_update_is_handled_once(api: FakeTelegramAPI, tg_app: App) -> None:
    async with running(new_channel(tg_app)) as channel:
        update = api.push_message(USER, "/start")
        await settle(api, channel)
    sent = len(api.sent_messages(USER))
    assert sent >= 1

    # Telegram delivers it again (say the confirmation was lost in a crash).
    api.push_raw(copy.deepcopy(update))
    async with running(new_channel(tg_app)) as again:
        await settle(api, again)

    assert len(api.sent_messages(USER)) == sent
    assert not api.pending_updates


async def test_updates_stored_before_a_crash_are_handled_once_at_the_next_start(
    api: FakeTelegramAPI, tg_app: App
) -> None:
    async with running(new_channel(tg_app)) as channel:
        handled = api.push_message(USER, "/start")
        await settle(api, channel)

    # What a kill -9 can leave: Telegram already told to forget two updates that were
    # stored, one handled (its processed id is recorded) and one not yet handled; and
    # Telegram delivering the handled one again anyway.
    prompt = latest_prompt(api, USER)
    unhandled = api.push_callback(
        USER, prompt.data("đồng ý"), message_id=prompt.message_id, enqueue=False
    )
    await tg_app.store.updates.receive(
        "telegram",
        [(str(u["update_id"]), u["update_id"], json.dumps(u)) for u in (handled, unhandled)],
        now=tg_app.clock.now(),
    )
    api.push_raw(copy.deepcopy(handled))
    start = len(api.calls)
    async with running(new_channel(tg_app)) as again:
        await settle(api, again)
        left = await tg_app.store.updates.inbox("telegram")

    # The press was handled (the unit prompt replaced the consent prompt); the old
    # /start was not handled again (no second welcome).
    answers = texts_since(api, USER, start)
    assert len(answers) == 1 and "xã, phường" in answers[0], answers
    # Stored a moment ago, the press is answered (a press replayed later is not).
    assert len(api.callback_answers) == 1
    assert left == []  # nothing handled stays stored


async def test_429_and_403_during_a_conversation(api: FakeTelegramAPI, tg_app: App) -> None:
    async with running(new_channel(tg_app)) as channel:
        lan = Person(api, channel)
        api.fail_next("sendMessage", 429, retry_after=0.2)
        assert "hết ngày 21/08/2025" in await lan.say("/start")
        assert 429 in [c.status for c in api.calls_to("sendMessage")]

        api.block_chat(USER)
        await lan.press("đồng ý")

    person = await tg_app.store.people.by_identity("telegram", str(USER))
    assert person is not None and person.unreachable


async def test_group_messages_never_reach_the_engine(api: FakeTelegramAPI, tg_app: App) -> None:
    async with running(new_channel(tg_app)) as channel:
        api.push_group_message(-100999, USER, "Tôi là Nông Thị Hoa ở Thục Phán, xin hỏi…")
        api.push_group_message(-100999, USER, "/start")
        await settle(api, channel)

    assert await tg_app.store.people.by_identity("telegram", str(USER)) is None
    [redirect] = api.sent_messages(-100999)
    button = redirect["reply_markup"]["inline_keyboard"][0][0]
    assert button["url"] == "https://t.me/youthbot_test_bot?start=g"


async def test_webhook_with_the_engine(
    api: FakeTelegramAPI,
    province_app: App,
    campaign: Campaign,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with WebServer(host="127.0.0.1", port=0) as web:
        url = f"{web.url}/telegram/webhook"
        tg = telegram_app(
            province_app,
            api,
            monkeypatch,
            TELEGRAM_WEBHOOK_URL=url,
            TELEGRAM_WEBHOOK_SECRET="webhook-secret-123",
        )
        channel = TelegramChannel(tg, build_engine(tg), options=options(), web=web)
        async with running(channel):
            forged = api.push_message(USER, "/start", enqueue=False)
            assert (await api.post_webhook(url, forged, "not-the-secret"))[0] == 403
            assert await tg.store.people.by_identity("telegram", str(USER)) is None

            update = api.push_message(USER, "/start", enqueue=False)
            assert (await api.post_webhook(url, update, "webhook-secret-123"))[0] == 200
            sent = len(api.sent_messages(USER))
            assert sent >= 1  # welcome and the consent prompt, before the 200
            assert "đồng ý" in api.sent_messages(USER)[-1]["text"]
            # Telegram retries (say our 200 was lost): handled once.
            assert (await api.post_webhook(url, update, "webhook-secret-123"))[0] == 200
            assert len(api.sent_messages(USER)) == sent

            press(api, USER, "đồng ý")
            assert await api.deliver_webhook_updates() == [200]
            assert len(api.callback_answers) == 1
