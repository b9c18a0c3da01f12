"""The Telegram adapter over PTB's real HTTP stack against the fake Bot API on 127.0.0.1.

These tests are about rendering and delivery, so most use :class:`EchoEngine`, a test
double of the ENGINE; the conversation with the real engine is in test_telegram_e2e.py.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import logging
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import telegram
from telegram.error import NetworkError

from bot.application.app import App
from bot.channels.base import (
    ChannelBlocked,
    ChannelPermanentError,
    ChannelRateLimited,
    ChannelTransientError,
)
from bot.channels.telegram import (
    CAPABILITIES,
    TelegramChannel,
    TelegramSetupError,
    run_telegram,
)
from bot.channels.telegram_request import AiohttpRequest
from bot.channels.webserver import WebServer
from handlers.events import Attachment, AttachmentKind, Button, Event, EventKind, Reply
from tests.fakes.telegram_api import FakeTelegramAPI, check_telegram_html
from tests.test_telegram_support import (
    TOKEN,
    EchoEngine,
    latest_prompt,
    options,
    press,
    running,
    settle,
    telegram_app,
)

USER = 1001
OTHER = 1002


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server
        assert server.errors == []


@pytest.fixture
def tg_app(app: App, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch) -> App:
    return telegram_app(app, api, monkeypatch)


def channel_for(tg_app: App, engine: EchoEngine, **changes: object) -> TelegramChannel:
    return TelegramChannel(tg_app, engine, options=options(**changes))


# ---- start-up -------------------------------------------------------------------------------


async def test_capabilities() -> None:
    assert CAPABILITIES.text_limit == 4096
    assert CAPABILITIES.buttons and CAPABILITIES.files and CAPABILITIES.edits
    assert (CAPABILITIES.messages_per_second, CAPABILITIES.per_chat_interval) == (30.0, 1.0)
    assert TelegramChannel.capabilities is CAPABILITIES
    assert os.environ.get("PTB_TIMEDELTA") == "true"


async def test_start_sets_one_vietnamese_command_menu(api: FakeTelegramAPI, tg_app: App) -> None:
    # An old English-only menu (an earlier version set one) is removed: people whose
    # Telegram is in English see the Vietnamese menu, as the bot speaks Vietnamese.
    old = {"command": "ask", "description": "Send a new question or opinion"}
    async with httpx.AsyncClient() as client:
        await client.post(
            f"{api.bot_url}{api.token}/setMyCommands",
            json={"commands": [old], "language_code": "en"},
        )
    assert api.commands_for("en") == [old]
    channel = channel_for(tg_app, EchoEngine())
    async with running(channel):
        assert channel.bot_username == "youthbot_test_bot"

    vietnamese = api.commands_for("")
    assert vietnamese is not None
    assert [c["command"] for c in vietnamese][:3] == ["start", "hoi", "cauhoi"]
    assert any(c["description"] == "Gửi câu hỏi, ý kiến mới" for c in vietnamese)
    assert api.commands_for("en") is None


async def test_missing_or_refused_token(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TelegramSetupError, match="TELEGRAM_BOT_TOKEN is not set"):
        TelegramChannel(app, EchoEngine())

    async with FakeTelegramAPI(token="987654321:another-token_that-is-not-ours-0123") as other:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", other.bot_url)
        from bot.application.config import Settings

        wrong = App(settings=Settings(env_file=None), store=app.store, clock=app.clock)
        channel = TelegramChannel(wrong, EchoEngine(), options=options())
        with pytest.raises(TelegramSetupError) as caught:
            await channel.start()
    assert "refused the bot token" in str(caught.value)
    assert TOKEN not in str(caught.value)


# ---- rendering ------------------------------------------------------------------------------


async def test_reply_is_escaped_html_with_buttons(api: FakeTelegramAPI, tg_app: App) -> None:
    engine = EchoEngine()
    async with running(channel_for(tg_app, engine)) as channel:
        api.push_message(USER, "<b>Điểm</b> & 5 > 3")
        await settle(api, channel)

    sent = api.sent_messages(USER)
    assert [m["text"] for m in sent] == ["echo: &lt;b&gt;Điểm&lt;/b&gt; &amp; 5 &gt; 3"]
    assert sent[0]["parse_mode"] == "HTML"
    assert sent[0]["reply_markup"]["inline_keyboard"] == [
        [{"text": "Tiếp", "callback_data": "1.next"}]
    ]
    assert engine.events[0].kind == EventKind.TEXT
    assert engine.events[0].text == "<b>Điểm</b> & 5 > 3"


async def test_button_press_edits_the_prompt_and_is_answered(
    api: FakeTelegramAPI, tg_app: App
) -> None:
    async with running(channel_for(tg_app, EchoEngine())) as channel:
        api.push_message(USER, "xin chào")
        await settle(api, channel)
        prompt = latest_prompt(api, USER)
        press(api, USER, "Tiếp")
        await settle(api, channel)

    assert len(api.callback_answers) == 1
    assert api.edits == [
        {
            "method": "editMessageText",
            "chat_id": USER,
            "message_id": prompt.message_id,
            "text": "pressed 1.next",
            "parse_mode": "HTML",
            "reply_markup": None,
        }
    ]
    assert len(api.sent_messages(USER)) == 1  # the edit replaced the prompt


async def test_a_press_on_a_message_without_that_button_gets_a_new_prompt(
    api: FakeTelegramAPI, tg_app: App
) -> None:
    same = [Reply("Chọn một:", buttons=((Button("A", "1.a"),),), replaces_prompt=True)]

    def respond(event: Event) -> list[Reply]:
        return same

    async with running(channel_for(tg_app, EchoEngine(respond))) as channel:
        api.push_message(USER, "bắt đầu")
        await settle(api, channel)
        api.push_callback(USER, "1.a", message_id=999)  # a message that shows no such button
        await settle(api, channel)

    # The forged press is not even tried as an edit: the prompt comes as a new message.
    assert api.calls_to("editMessageText") == []
    assert api.sent_texts(USER) == ["Chọn một:"] * 2
    assert len(api.callback_answers) == 1
    assert api.error_answers == []


async def test_not_modified_is_done_and_never_sent_anew(api: FakeTelegramAPI, tg_app: App) -> None:
    """An edit Telegram finds already made (a retry, a replay) is done: no second prompt."""
    same = [Reply("Chọn một:", buttons=((Button("A", "1.a"),),), replaces_prompt=True)]

    def respond(event: Event) -> list[Reply]:
        return same

    async with running(channel_for(tg_app, EchoEngine(respond))) as channel:
        api.push_message(USER, "bắt đầu")
        await settle(api, channel)
        press(api, USER, "A")  # the same text and buttons: "message is not modified"
        await settle(api, channel)

    edits = api.calls_to("editMessageText")
    assert [c.status for c in edits] == [400]
    assert edits[0].response is not None
    assert "not modified" in edits[0].response["description"]
    assert api.sent_texts(USER) == ["Chọn một:"]  # never re-sent as a new message


async def test_short_note_and_next_prompt_become_one_edit(
    api: FakeTelegramAPI, tg_app: App
) -> None:
    def respond(event: Event) -> list[Reply]:
        if event.kind == EventKind.BUTTON:
            return [
                Reply("Cảm ơn bạn!"),
                Reply("Bước tiếp:", buttons=((Button("B", "2.b"),),), replaces_prompt=True),
            ]
        return [Reply("Bước đầu:", buttons=((Button("A", "1.a"),),))]

    async with running(channel_for(tg_app, EchoEngine(respond))) as channel:
        api.push_message(USER, "bắt đầu")
        await settle(api, channel)
        first = latest_prompt(api, USER)
        press(api, USER, "A")
        await settle(api, channel)

    # "Cảm ơn bạn!" and the next prompt are one message, replacing the pressed prompt.
    assert api.sent_texts(USER) == ["Bước đầu:"]
    assert [(e["method"], e["message_id"]) for e in api.edits] == [
        ("editMessageText", first.message_id)
    ]
    assert api.edits[0]["text"] == "Cảm ơn bạn!\n\nBước tiếp:"
    assert latest_prompt(api, USER).data("B") == "2.b"


async def test_prompt_after_a_file_is_sent_anew(
    api: FakeTelegramAPI, tg_app: App, tmp_path: Path
) -> None:
    report = tmp_path / "bao-cao.xlsx"
    report.write_bytes(b"PK fake workbook")

    def respond(event: Event) -> list[Reply]:
        if event.kind == EventKind.BUTTON:
            return [
                Reply("Báo cáo:", attachments=(Attachment(report),)),
                Reply("Bước tiếp:", buttons=((Button("B", "2.b"),),), replaces_prompt=True),
            ]
        return [Reply("Bước đầu:", buttons=((Button("A", "1.a"),),))]

    async with running(channel_for(tg_app, EchoEngine(respond))) as channel:
        api.push_message(USER, "bắt đầu")
        await settle(api, channel)
        first = latest_prompt(api, USER)
        press(api, USER, "A")
        await settle(api, channel)

    assert api.sent_texts(USER)[-1] == "Bước tiếp:"
    # The old prompt keeps its text but loses its (now stale) buttons.
    assert ("editMessageReplyMarkup", first.message_id, None) in [
        (e["method"], e["message_id"], e["reply_markup"]) for e in api.edits
    ]


async def test_message_over_4096_characters_is_split(api: FakeTelegramAPI, tg_app: App) -> None:
    paragraph = "Ý kiến của thanh niên về việc làm & <đào tạo nghề> tại địa phương. " * 30
    long_text = "\n\n".join([paragraph.strip()] * 6)  # about 12,000 characters
    assert len(long_text) > 2 * 4096

    def respond(event: Event) -> list[Reply]:
        return [Reply(long_text, buttons=((Button("OK", "1.ok"),),))]

    async with running(channel_for(tg_app, EchoEngine(respond))) as channel:
        api.push_message(USER, "/cauhoi")
        await settle(api, channel)

    sent = api.sent_messages(USER)
    assert len(sent) >= 3
    assert all(len(m["text"]) <= 4096 and check_telegram_html(m["text"]) is None for m in sent)
    assert [m["reply_markup"] is not None for m in sent] == [False] * (len(sent) - 1) + [True]
    assert all(m["text"].endswith("phương.") for m in sent)  # cut at paragraph ends
    shown = "\n\n".join(html.unescape(m["text"]) for m in sent)
    assert shown == long_text


@pytest.mark.parametrize("http", ["aiohttp", "httpx"])
async def test_documents_and_photos(
    api: FakeTelegramAPI, tg_app: App, tmp_path: Path, http: str
) -> None:
    xlsx = tmp_path / "tong-hop.xlsx"
    xlsx.write_bytes(b"PK\x03\x04 fake xlsx")
    chart = tmp_path / "bieu-do.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n fake png")

    def respond(event: Event) -> list[Reply]:
        return [
            Reply(
                "Bản tổng hợp:",
                attachments=(
                    Attachment(xlsx, caption="Tổng hợp <tuần 27>"),
                    Attachment(chart, AttachmentKind.PHOTO, caption="Biểu đồ"),
                ),
            )
        ]

    async with running(channel_for(tg_app, EchoEngine(respond), http=http)) as channel:
        api.push_message(USER, "/baocao")
        await settle(api, channel)

    assert api.sent_texts(USER) == ["Bản tổng hợp:"]
    [document] = api.documents
    assert (document["filename"], document["content"]) == ("tong-hop.xlsx", xlsx.read_bytes())
    assert document["caption"] == "Tổng hợp &lt;tuần 27&gt;"
    [photo] = api.photos
    assert (photo["filename"], photo["caption"]) == ("bieu-do.png", "Biểu đồ")


async def test_per_chat_pacing_between_messages(api: FakeTelegramAPI, tg_app: App) -> None:
    def respond(event: Event) -> list[Reply]:
        # Each has buttons, so they stay three messages.
        return [
            Reply(t, buttons=((Button(t, f"1.{n}"),),)) for n, t in enumerate(("một", "hai", "ba"))
        ]

    async with running(channel_for(tg_app, EchoEngine(respond), per_chat_interval=0.3)) as ch:
        api.push_message(USER, "x")
        api.push_message(OTHER, "y")
        await settle(api, ch)

    mine = [c.time for c in api.calls_to("sendMessage") if c.params["chat_id"] == USER]
    theirs = [c.time for c in api.calls_to("sendMessage") if c.params["chat_id"] == OTHER]
    assert len(mine) == 3
    assert all(b - a >= 0.28 for a, b in itertools.pairwise(mine))
    assert theirs[0] - mine[0] < 0.25  # another chat does not wait for this one


# ---- failures -------------------------------------------------------------------------------


async def test_engine_failure_answers_the_press_and_says_sorry(
    api: FakeTelegramAPI, tg_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    engine = EchoEngine(fail=True)
    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram"):
        async with running(channel_for(tg_app, engine)) as channel:
            pushed = api.push_callback(USER, "3.zz", message_id=5)
            await settle(api, channel)

    assert len(api.callback_answers) == 1
    assert api.sent_texts(USER) == [
        "Xin lỗi, mình đang gặp trục trặc. Bạn thử lại sau ít phút nhé, "
        "câu trả lời trước của bạn vẫn được lưu."
    ]
    failures = [r for r in caplog.records if r.getMessage().startswith("update ")]
    assert [r.getMessage() for r in failures] == [f"update {pushed['update_id']} failed"]
    assert failures[0].exc_info is not None
    assert not api.pending_updates  # confirmed: the person was told to try again
    assert channel.failed == 1


async def test_apology_in_the_language_the_person_chose(api: FakeTelegramAPI, tg_app: App) -> None:
    # An English app is no choice of English: the apology is Vietnamese...
    async with running(channel_for(tg_app, EchoEngine(fail=True))) as channel:
        api.push_message(USER, "hello", language_code="en")
        await settle(api, channel)
    assert api.sent_texts(USER)[0].startswith("Xin lỗi, mình đang gặp trục trặc")
    # ... and English for someone who asked for English (/ngonngu en).
    await tg_app.store.people.get_or_create(
        channel="telegram",
        external_id="2002",
        chat_id="2002",
        display_name=None,
        language="en",
        now=tg_app.clock.now(),
    )
    async with running(channel_for(tg_app, EchoEngine(fail=True))) as channel:
        api.push_message(2002, "hello", language_code="vi")
        await settle(api, channel)
    assert api.sent_texts(2002)[0].startswith("Sorry, something went wrong")


async def test_forged_and_group_presses_are_answered(api: FakeTelegramAPI, tg_app: App) -> None:
    engine = EchoEngine()
    async with running(channel_for(tg_app, engine)) as channel:
        group_press = api.push_callback(USER, "1.a", chat_id=-100777, enqueue=False)
        group_press["callback_query"]["message"]["chat"]["type"] = "supergroup"
        api.push_raw(group_press)
        api.push_callback(USER, "x" * 64)
        await settle(api, channel)

    assert len(api.callback_answers) == 2
    assert [e.payload for e in engine.events] == ["x" * 64]  # the engine judges payloads


@pytest.mark.parametrize("http", ["aiohttp", "httpx"])
async def test_429_waits_retry_after_then_retries(
    api: FakeTelegramAPI, tg_app: App, http: str
) -> None:
    api.fail_next("sendMessage", 429, retry_after=0.3)
    async with running(channel_for(tg_app, EchoEngine(), http=http)) as channel:
        api.push_message(USER, "xin chào")
        await settle(api, channel)

    calls = api.calls_to("sendMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 0.28
    assert api.sent_texts(USER) == ["echo: xin chào"]


async def test_a_reply_outlasts_any_number_of_429s(api: FakeTelegramAPI, tg_app: App) -> None:
    """The answer to a person's action is never given up for a rate limit: each 429 is
    waited out, however many come (the update itself is confirmed at once)."""
    api.fail_next("sendMessage", 429, retry_after=0.05, times=10)
    async with running(channel_for(tg_app, EchoEngine(), send_attempts=3)) as channel:
        api.push_message(USER, "xin chào")
        await settle(api, channel)

    assert [c.status for c in api.calls_to("sendMessage")] == [429] * 10 + [200]
    assert api.sent_texts(USER) == ["echo: xin chào"]
    assert not api.pending_updates


@pytest.mark.parametrize("http", ["aiohttp", "httpx"])
async def test_5xx_and_network_errors_are_retried(
    api: FakeTelegramAPI, tg_app: App, http: str
) -> None:
    api.fail_next("sendMessage", 502, times=1)
    api.fail_next("sendMessage", 500, times=1)
    async with running(channel_for(tg_app, EchoEngine(), http=http)) as channel:
        api.push_message(USER, "xin chào")
        await settle(api, channel)

    assert [c.status for c in api.calls_to("sendMessage")] == [502, 500, 200]


@pytest.mark.parametrize("http", ["aiohttp", "httpx"])
async def test_timeouts_are_retried(api: FakeTelegramAPI, tg_app: App, http: str) -> None:
    api.delay(0.6, method="sendMessage", times=1)
    channel = channel_for(tg_app, EchoEngine(), read_timeout=0.2, http=http)
    async with running(channel):
        api.push_message(USER, "xin chào")
        await settle(api, channel)
        sends = lambda: api.calls_to("sendMessage")  # noqa: E731
        await api.wait_for(lambda: len(sends()) == 2 and all(c.status for c in sends()))

    first, second = api.calls_to("sendMessage")
    assert first.client_gone  # timed out on our side (Telegram may still deliver it)
    assert second.ok
    # Telegram did deliver the first: the person has it twice, and the bot says so.
    assert api.sent_texts(USER) == ["echo: xin chào"] * 2
    assert channel.health()["replies_resent"] == 1


async def test_aiohttp_transport_errors_carry_no_token(api: FakeTelegramAPI) -> None:
    requests = (AiohttpRequest(), AiohttpRequest())
    refused = telegram.Bot(
        TOKEN,
        base_url="http://127.0.0.1:9/bot",
        request=requests[0],
        get_updates_request=requests[1],
    )
    try:
        with pytest.raises(NetworkError) as caught:
            await refused.initialize()
    finally:
        for request in requests:
            await request.shutdown()
    assert str(caught.value).startswith("aiohttp.ClientConnectorError")
    assert TOKEN not in str(caught.value)
    with pytest.raises(RuntimeError, match="not initialized"):
        await requests[0].do_request(f"{api.bot_url}{TOKEN}/getMe", "POST")


async def test_403_marks_the_person_unreachable(api: FakeTelegramAPI, tg_app: App) -> None:
    people = tg_app.store.people
    person, _ = await people.get_or_create(
        channel="telegram",
        external_id=str(USER),
        chat_id=str(USER),
        display_name=None,
        language="vi",
        now=tg_app.clock.now(),
    )
    api.block_chat(USER)
    async with running(channel_for(tg_app, EchoEngine())) as channel:
        api.push_message(USER, "xin chào")
        await settle(api, channel)
        blocked = await people.get(person.id)
        assert blocked is not None and blocked.unreachable

        api.unblock_chat(USER)  # they come back: Telegram says so with my_chat_member
        api.push_raw(member_update(USER, "member"))
        await settle(api, channel)

    back = await people.get(person.id)
    assert back is not None and not back.unreachable
    assert [c.status for c in api.calls_to("sendMessage")] == [403]  # no retry of a 403


def member_update(user_id: int, status: str) -> dict[str, object]:
    bot = {"id": 123456789, "is_bot": True, "first_name": "Youthbot Test"}
    old = "kicked" if status == "member" else "member"
    return {
        "my_chat_member": {
            "chat": {"id": user_id, "type": "private", "first_name": "Lan"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Lan"},
            "date": 1751335200,
            "old_chat_member": {"status": old, "user": bot, "until_date": 0},
            "new_chat_member": {"status": status, "user": bot},
        }
    }


@pytest.mark.parametrize("http", ["aiohttp", "httpx"])
async def test_the_token_never_reaches_the_log(
    api: FakeTelegramAPI, tg_app: App, caplog: pytest.LogCaptureFixture, http: str
) -> None:
    api.fail_next("sendMessage", 429, retry_after=0.05)
    api.fail_next("getUpdates", 502)
    with caplog.at_level(logging.DEBUG):
        async with running(channel_for(tg_app, EchoEngine(), http=http)) as channel:
            api.push_message(USER, "xin chào")
            await settle(api, channel)
            api.block_chat(USER)
            api.push_message(USER, "lần nữa")
            await settle(api, channel)

    assert "Set Bot API URL: " in caplog.text  # PTB logs its URLs, which hold the token
    if http == "httpx":
        assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # and httpx
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text
    assert "Rate limit hit after maximum" not in caplog.text  # handled 429s are not errors


# ---- polling --------------------------------------------------------------------------------


async def test_a_slow_reply_holds_back_no_other_chat(api: FakeTelegramAPI, tg_app: App) -> None:
    """Updates are confirmed once stored and handled; a reply that takes long to deliver
    holds back its own chat only."""
    api.delay(1.0, method="sendMessage", times=1)
    async with running(channel_for(tg_app, EchoEngine())) as channel:
        api.push_message(USER, "chậm")
        await api.wait_for(lambda: api.calls_to("sendMessage"), what="the first send")
        api.push_message(OTHER, "nhanh")
        # The other chat is answered while the first reply is still on its way...
        await api.wait_for_messages(1, OTHER)
        assert api.sent_texts(USER) == []
        # ...and both updates are confirmed to Telegram already.
        await api.wait_for(lambda: not api.pending_updates, what="both confirmed")
        await settle(api, channel)

    assert api.sent_texts(USER) == ["echo: chậm"]


async def test_updates_of_one_chat_keep_their_order(api: FakeTelegramAPI, tg_app: App) -> None:
    async def slow_first(event: Event) -> None:
        if event.text == "1":
            await asyncio.sleep(0.2)

    class SlowEngine(EchoEngine):
        async def handle(self, event: Event) -> list[Reply]:
            await slow_first(event)
            return await super().handle(event)

    async with running(channel_for(tg_app, SlowEngine())) as channel:
        for text in ("1", "2", "3", "4"):
            api.push_message(USER, text)
        await settle(api, channel)

    assert api.sent_texts(USER) == ["echo: 1", "echo: 2", "echo: 3", "echo: 4"]


async def test_update_unfinished_at_shutdown_is_handled_at_the_next_start(
    api: FakeTelegramAPI, tg_app: App
) -> None:
    gate = asyncio.Event()
    first_engine = EchoEngine(gate=gate)
    channel = channel_for(tg_app, first_engine, shutdown_timeout=0.2)
    async with running(channel):
        pushed = api.push_message(USER, "đang xử lý thì tắt máy")
        await api.wait_for(lambda: first_engine.events, what="the engine got the update")
    # Stopped (the handling was cancelled): Telegram was told to forget the update only
    # because it is stored here.
    assert not api.pending_updates
    stored = await tg_app.store.updates.inbox("telegram")
    assert [item.update_id for item in stored] == [str(pushed["update_id"])]
    assert api.sent_texts(USER) == []

    second_engine = EchoEngine()
    async with running(channel_for(tg_app, second_engine)) as second:
        await settle(api, second)

    assert [e.update_id for e in second_engine.events] == [str(pushed["update_id"])]
    assert api.sent_texts(USER) == ["echo: đang xử lý thì tắt máy"]


async def test_stored_updates_are_forgotten_once_handled(api: FakeTelegramAPI, tg_app: App) -> None:
    engine = EchoEngine()
    async with running(channel_for(tg_app, engine, poll_timeout=1)) as channel:
        for text in ("một", "hai", "ba"):
            api.push_message(USER, text)
        await settle(api, channel)
        # The next poll (here a quiet one: nothing new) forgets the handled updates.
        for _ in range(50):
            if not await tg_app.store.updates.inbox("telegram"):
                break
            await asyncio.sleep(0.1)
        assert await tg_app.store.updates.inbox("telegram") == []
    assert len(engine.events) == 3


async def test_updates_are_not_confirmed_while_they_cannot_be_stored(
    api: FakeTelegramAPI, tg_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    db = tg_app.store.db
    engine = EchoEngine()
    async with running(channel_for(tg_app, engine)) as channel:
        # A real failure of the real database: the inbox table is gone.
        await db.execute("ALTER TABLE update_inbox RENAME TO update_inbox_away")
        pushed = api.push_message(USER, "lưu không được")
        await api.wait_for(
            lambda: "storing updates failed" in caplog.text, what="the failure was logged"
        )
        assert [u["update_id"] for u in api.pending_updates] == [pushed["update_id"]]
        assert engine.events == []  # not handled before it is stored
        await db.execute("ALTER TABLE update_inbox_away RENAME TO update_inbox")
        await settle(api, channel)
    assert [e.text for e in engine.events] == ["lưu không được"]
    assert not api.pending_updates


async def test_run_telegram_stops_on_sigterm(
    api: FakeTelegramAPI, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = telegram_app(app, api, monkeypatch)
    engine = EchoEngine()
    task = asyncio.create_task(run_telegram(tg, engine, options=options()))
    await api.wait_for(lambda: api.calls_to("getUpdates"), what="polling started")
    api.push_message(USER, "xin chào")
    await api.wait_for_messages(1, USER)
    os.kill(os.getpid(), signal.SIGTERM)  # handled by the loop: sets the stop event
    await asyncio.wait_for(task, 10)

    assert not api.pending_updates
    assert asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM) is False


async def test_run_telegram_with_a_stop_event(api: FakeTelegramAPI, tg_app: App) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_telegram(tg_app, EchoEngine(), stop=stop, options=options()))
    api.push_message(USER, "xin chào")
    await api.wait_for_messages(1, USER)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert not api.pending_updates


# ---- groups ---------------------------------------------------------------------------------


async def test_groups_get_a_link_to_a_private_chat(api: FakeTelegramAPI, tg_app: App) -> None:
    engine = EchoEngine()
    group = -100555
    async with running(channel_for(tg_app, engine)) as channel:
        api.push_group_message(group, USER, "Tôi là Nông Thị Hoa, muốn hỏi về việc làm")
        api.push_group_message(group, USER, "/hoi")  # not addressed to this bot
        api.push_group_message(group, USER, "/cauhoi@other_bot")
        api.push_group_message(group, USER, "/start")
        api.push_group_message(group, OTHER, "/hoi@youthbot_test_bot câu hỏi của tôi")
        api.push_group_message(group, OTHER, "/start@youthbot_test_bot u-w01273")
        await settle(api, channel)

    assert engine.events == []  # nothing from a group reaches the engine
    sent = api.sent_messages(group)
    assert len(sent) == 3
    for message in sent:
        assert "tin nhắn riêng" in message["text"]
        assert message["params"]["reply_parameters"]["allow_sending_without_reply"] is True
    buttons = [m["reply_markup"]["inline_keyboard"][0][0] for m in sent]
    assert [b["text"] for b in buttons] == ["Gửi câu hỏi riêng"] * 3
    assert [b["url"] for b in buttons] == [
        "https://t.me/youthbot_test_bot?start=g",
        "https://t.me/youthbot_test_bot?start=g",
        "https://t.me/youthbot_test_bot?start=u-w01273",
    ]


# ---- deliver (the outbox) -------------------------------------------------------------------


async def test_deliver_maps_errors(api: FakeTelegramAPI, tg_app: App, tmp_path: Path) -> None:
    async with running(channel_for(tg_app, EchoEngine())) as channel:
        await channel.deliver(str(USER), Reply("Nhắc bạn: hạn gửi câu hỏi là 21/08."))

        api.fail_next("sendMessage", 429, retry_after=7)
        with pytest.raises(ChannelRateLimited) as limited:
            await channel.deliver(str(USER), Reply("x"))
        assert limited.value.retry_after == 7.0

        api.fail_next("sendMessage", 502)
        with pytest.raises(ChannelTransientError):
            await channel.deliver(str(USER), Reply("x"))

        api.fail_next("sendMessage", 400, description="Bad Request: chat not found")
        with pytest.raises(ChannelPermanentError, match=r"(?i)chat not found"):
            await channel.deliver(str(USER), Reply("x"))

        api.block_chat(OTHER)
        with pytest.raises(ChannelBlocked):
            await channel.deliver(str(OTHER), Reply("x"))

        missing = Attachment(tmp_path / "khong-co.xlsx")
        with pytest.raises(ChannelPermanentError):
            await channel.deliver(str(USER), Reply("", attachments=(missing,)))

        # Once a part went out, later parts are retried here (no duplicate on outbox retry).
        api.enable_rate_limits(scale=20, fractional_retry_after=True)  # 20/s per chat
        before = len(api.calls_to("sendMessage"))
        await channel.deliver(str(USER), Reply("a " * 1500 + "\n\n" + "b " * 1500))
        api.disable_rate_limits()
        statuses = [c.status for c in api.calls_to("sendMessage")[before:]]
        assert statuses == [200, 429, 200]


async def test_deliver_before_start_is_transient(tg_app: App) -> None:
    channel = channel_for(tg_app, EchoEngine())
    with pytest.raises(ChannelTransientError):
        await channel.deliver(str(USER), Reply("x"))


# ---- webhook --------------------------------------------------------------------------------


@pytest.fixture
async def web() -> AsyncIterator[WebServer]:
    async with WebServer(host="127.0.0.1", port=0) as server:
        yield server


def webhook_app(
    app: App, api: FakeTelegramAPI, web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> App:
    return telegram_app(
        app,
        api,
        monkeypatch,
        TELEGRAM_WEBHOOK_URL=f"{web.url}/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET="s3cret-Webhook_token",
    )


async def test_webhook_checks_the_secret_and_answers_after_handling(
    api: FakeTelegramAPI, app: App, web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = EchoEngine()
    channel = TelegramChannel(
        webhook_app(app, api, web, monkeypatch), engine, options=options(), web=web
    )
    url = f"{web.url}/telegram/webhook"
    async with running(channel):
        assert api.webhook_url == url
        assert api.webhook_secret == "s3cret-Webhook_token"
        assert api.calls_to("getUpdates") == []

        update = api.push_message(USER, "không có mật khẩu", enqueue=False)
        assert (await api.post_webhook(url, update))[0] == 403
        assert (await api.post_webhook(url, update, "wrong-secret"))[0] == 403
        assert engine.events == [] and api.sent_messages() == []

        api.push_message(USER, "qua webhook")
        assert await api.deliver_webhook_updates() == [200]
        # 200 came after the update was handled and answered.
        assert api.sent_texts(USER) == ["echo: qua webhook"]

        async with httpx.AsyncClient() as client:
            health = await client.get(f"{web.url}/healthz")
            bad = await client.post(
                url,
                content=b"{",
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Webhook_token"},
            )
            wrong_method = await client.get(url)
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "ok"
        assert body["channels"]["telegram"]["mode"] == "webhook"
        assert body["channels"]["telegram"]["handled"] == 1
        assert bad.status_code == 400
        assert wrong_method.status_code == 405

    # After stop the route is gone but the shared server still runs (Zalo may use it).
    async with httpx.AsyncClient() as client:
        after = await client.get(f"{web.url}/healthz")
    assert after.json() == {"status": "ok", "channels": {}}


async def test_webhook_failure_is_500_so_telegram_redelivers(
    api: FakeTelegramAPI, app: App, web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = EchoEngine(fail=True)
    channel = TelegramChannel(
        webhook_app(app, api, web, monkeypatch), engine, options=options(), web=web
    )
    url = f"{web.url}/telegram/webhook"
    async with running(channel):
        update = api.push_message(USER, "lỗi", enqueue=False)
        statuses = [(await api.post_webhook(url, update, api.webhook_secret))[0] for _ in range(4)]

    # Redelivered twice more, then given up so it cannot hold back later updates.
    assert statuses == [500, 500, 200, 200]
    assert len(api.sent_texts(USER)) == 1  # the person is told once
    assert len(engine.events) == 4


async def test_webhook_generates_a_secret_when_none_is_set(
    api: FakeTelegramAPI, app: App, web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = telegram_app(app, api, monkeypatch, TELEGRAM_WEBHOOK_URL=f"{web.url}/telegram/webhook")
    async with running(TelegramChannel(tg, EchoEngine(), options=options(), web=web)) as channel:
        assert api.webhook_secret == channel.webhook_secret
        assert len(channel.webhook_secret) >= 32


async def test_polling_channel_reports_to_a_shared_web_server(
    api: FakeTelegramAPI, tg_app: App, web: WebServer
) -> None:
    channel = TelegramChannel(tg_app, EchoEngine(), options=options(), web=web)
    async with running(channel), httpx.AsyncClient() as client:
        body = (await client.get(f"{web.url}/healthz")).json()
        webhook = await client.post(f"{web.url}/telegram/webhook", content=b"{}")
    assert body["channels"]["telegram"]["mode"] == "polling"
    assert body["channels"]["telegram"]["bot"] == "youthbot_test_bot"
    assert webhook.status_code == 404  # no webhook route in polling mode


async def test_webserver_health_reports_a_broken_channel(web: WebServer) -> None:
    web.add_health_check("zalo", lambda: {"ok": False, "error": "token refused"})

    def broken() -> dict[str, object]:
        raise RuntimeError("boom")

    web.add_health_check("other", broken)
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{web.url}/healthz")
        missing = await client.get(f"{web.url}/nothing")
    assert response.status_code == 503
    assert json.loads(response.text)["status"] == "degraded"
    assert missing.status_code == 404
    with pytest.raises(ValueError, match="already registered"):

        async def handler(request: object) -> object:
            raise AssertionError

        web.add_route("POST", "/x", handler)  # type: ignore[arg-type]
        web.add_route("post", "/x", handler)  # type: ignore[arg-type]


async def test_finished_prompt_loses_its_buttons(api: FakeTelegramAPI, tg_app: App) -> None:
    def respond(event: Event) -> list[Reply]:
        if event.kind == EventKind.BUTTON:
            return [Reply("Đã nhận câu hỏi của bạn. Mã câu hỏi: ABC234.")]
        return [Reply("Xem lại:", buttons=((Button("Gửi", "1.ps"),),))]

    async with running(channel_for(tg_app, EchoEngine(respond))) as channel:
        api.push_message(USER, "x")
        await settle(api, channel)
        preview = latest_prompt(api, USER)
        press(api, USER, "Gửi")
        await settle(api, channel)

    assert api.sent_texts(USER)[-1].startswith("Đã nhận")
    assert ("editMessageReplyMarkup", preview.message_id, None) in [
        (e["method"], e["message_id"], e["reply_markup"]) for e in api.edits
    ]


async def test_youthbot_run_with_a_refused_token_says_what_to_fix(
    app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    async with FakeTelegramAPI(token="987654321:another-token_that-is-not-ours-0123") as other:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", other.bot_url)
        status = await asyncio.to_thread(main, ["run", "--channel", "telegram"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    # One line, in the operator's language (Vietnamese by default), no token, no traceback.
    assert err[-1] == (
        "youthbot run: Telegram từ chối token của bot; kiểm tra TELEGRAM_BOT_TOKEN"
    ), err
    assert not any("Traceback" in line or TOKEN in line for line in err)
