"""The Telegram adapter's pure parts: update mapping, reply rendering, ordering helpers."""

from __future__ import annotations

import asyncio
import html
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.channels.telegram_flow import AckTracker, ChatPacer, ChatScheduler
from bot.channels.telegram_mapping import (
    GroupCommand,
    Reachability,
    chat_key,
    map_update,
    parse_command,
)
from bot.channels.telegram_render import (
    FileMessage,
    TextMessage,
    keyboard,
    render_reply,
    split_message,
)
from handlers.events import Attachment, AttachmentKind, Button, Event, EventKind, Reply
from tests.fakes.telegram_api import FakeTelegramAPI, check_telegram_html

BOT = "youthbot_test_bot"


@pytest.fixture
def fake() -> FakeTelegramAPI:
    return FakeTelegramAPI()  # not started: only used to build realistic update JSON


def update(data: dict[str, Any]) -> Update:
    parsed = Update.de_json(data, None)
    assert parsed is not None
    return parsed


# ---- commands ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "addressee", "args"),
    [
        ("/start", "start", None, ""),
        ("/start u-w01273", "start", None, "u-w01273"),
        ("/Hoi@Youthbot_Test_Bot  Em muốn hỏi ", "hoi", "Youthbot_Test_Bot", "Em muốn hỏi"),
        ("/cauhoi@youthbot_test_bot", "cauhoi", "youthbot_test_bot", ""),
        ("/sua 12\nvới dòng mới", "sua", None, "12\nvới dòng mới"),
    ],
)
def test_parse_command(text: str, name: str, addressee: str | None, args: str) -> None:
    parsed = parse_command(text)
    assert parsed is not None
    assert (parsed.name, parsed.addressee, parsed.args) == (name, addressee, args)


@pytest.mark.parametrize("text", ["hello", "/ start", "//x", "", "/", "a /start"])
def test_not_a_command(text: str) -> None:
    assert parse_command(text) is None


# ---- mapping ---------------------------------------------------------------------------------


def test_text_message_becomes_text_event(fake: FakeTelegramAPI) -> None:
    data = fake.push_message(
        1001, "Chào bạn", first_name="Hoa", last_name="Nông", language_code="en", enqueue=False
    )
    event = map_update(update(data), bot_username=BOT)

    assert isinstance(event, Event)
    assert event.kind == EventKind.TEXT
    assert event.channel == "telegram"
    assert (event.user_id, event.chat_id) == ("1001", "1001")
    assert event.text == "Chào bạn"
    assert event.display_name == "Hoa Nông"
    assert event.language_code == "en"
    assert event.message_id == str(data["message"]["message_id"])
    assert event.update_id == str(data["update_id"])
    assert event.at is not None and event.at.tzinfo is not None


def test_start_with_payload(fake: FakeTelegramAPI) -> None:
    data = fake.push_message(1001, "/start u-w01273", enqueue=False)
    event = map_update(update(data), bot_username=BOT)

    assert isinstance(event, Event)
    assert event.kind == EventKind.COMMAND
    assert (event.command, event.text, event.payload) == ("start", "u-w01273", "u-w01273")


def test_other_command_keeps_arguments_as_text(fake: FakeTelegramAPI) -> None:
    data = fake.push_message(1001, f"/SUA@{BOT} ABC123", enqueue=False)
    event = map_update(update(data), bot_username=BOT)

    assert isinstance(event, Event)
    assert (event.kind, event.command, event.text, event.payload) == (
        EventKind.COMMAND,
        "sua",
        "ABC123",
        None,
    )


def test_button_press_becomes_button_event(fake: FakeTelegramAPI) -> None:
    data = fake.push_callback(1001, "3.cy", message_id=7, language_code="vi", enqueue=False)
    keyboard = {"inline_keyboard": [[{"text": "Mình đồng ý", "callback_data": "3.cy"}]]}
    data["callback_query"]["message"]["reply_markup"] = keyboard
    event = map_update(update(data), bot_username=BOT)

    assert isinstance(event, Event)
    assert event.kind == EventKind.BUTTON
    assert event.payload == "3.cy"
    assert event.message_id == "7"
    assert event.chat_id == "1001"


def test_press_on_a_message_without_that_button_names_no_prompt(fake: FakeTelegramAPI) -> None:
    # A double tap after the prompt changed, or a forged press: nothing to edit or clear.
    data = fake.push_callback(1001, "3.cy", message_id=7, enqueue=False)
    event = map_update(update(data), bot_username=BOT)
    assert isinstance(event, Event) and event.kind == EventKind.BUTTON
    assert event.message_id is None


def test_edited_message_becomes_edited_event(fake: FakeTelegramAPI) -> None:
    first = fake.push_message(1001, "Câu hỏi cũ", enqueue=False)
    data = fake.push_edited_message(
        1001, first["message"]["message_id"], "Câu hỏi mới", enqueue=False
    )
    event = map_update(update(data), bot_username=BOT)

    assert isinstance(event, Event)
    assert (event.kind, event.text) == (EventKind.EDITED, "Câu hỏi mới")


@pytest.mark.parametrize(
    ("push", "media_type"),
    [
        (lambda f: f.push_sticker(1001, enqueue=False), "sticker"),
        (lambda f: f.push_photo(1001, caption="ảnh", enqueue=False), "photo"),
        (lambda f: f.push_voice(1001, enqueue=False), "voice"),
        (lambda f: f.push_location(1001, enqueue=False), "location"),
        (lambda f: f.push_contact(1001, enqueue=False), "contact"),
    ],
)
def test_media_become_media_events(fake: FakeTelegramAPI, push: Any, media_type: str) -> None:
    event = map_update(update(push(fake)), bot_username=BOT)

    assert isinstance(event, Event)
    assert (event.kind, event.media_type) == (EventKind.MEDIA, media_type)


@pytest.mark.parametrize("media", ["video", "video_note", "audio", "document", "poll", "dice"])
def test_other_media_types(fake: FakeTelegramAPI, media: str) -> None:
    data = fake.push_message(1001, "x", enqueue=False)
    message = data["message"]
    del message["text"]
    file = {"file_id": "F1", "file_unique_id": "u1"}
    message[media] = {
        "video": {**file, "width": 1, "height": 1, "duration": 1},
        "video_note": {**file, "length": 1, "duration": 1},
        "audio": {**file, "duration": 1},
        "document": file,
        "poll": {
            "id": "p",
            "allows_revoting": False,
            "members_only": False,
            "question": "?",
            "options": [{"text": t, "voter_count": 0, "persistent_id": t} for t in ("a", "b")],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        },
        "dice": {"emoji": "🎲", "value": 3},
    }[media]
    event = map_update(update(data), bot_username=BOT)

    assert isinstance(event, Event)
    assert (event.kind, event.media_type) == (EventKind.MEDIA, media)


def test_group_text_never_becomes_an_event(fake: FakeTelegramAPI) -> None:
    for text in ("Tôi là Nông Thị Hoa, xin hỏi...", "/hoi", "/hoi@other_bot", "/cauhoi"):
        data = fake.push_group_message(-100123, 1001, text, enqueue=False)
        assert map_update(update(data), bot_username=BOT) is None, text


def test_group_commands_for_the_bot_are_noticed(fake: FakeTelegramAPI) -> None:
    start = fake.push_group_message(-100123, 1001, "/start", enqueue=False)
    hoi = fake.push_group_message(-5, 1001, f"/hoi@{BOT.upper()} câu hỏi", enqueue=False)
    deep = fake.push_group_message(-5, 1001, f"/start@{BOT} u-w01273", enqueue=False)

    first = map_update(update(start), bot_username=BOT)
    second = map_update(update(hoi), bot_username=BOT)
    third = map_update(update(deep), bot_username=BOT)
    assert isinstance(first, GroupCommand) and first.chat_id == -100123
    assert isinstance(second, GroupCommand) and second.command == "hoi"
    assert second.payload is None
    assert isinstance(third, GroupCommand) and third.payload == "u-w01273"


def test_group_button_press_is_not_an_event(fake: FakeTelegramAPI) -> None:
    data = fake.push_callback(1001, "1.cy", chat_id=-100123, enqueue=False)
    data["callback_query"]["message"]["chat"]["type"] = "supergroup"
    assert map_update(update(data), bot_username=BOT) is None


def test_blocking_the_bot_is_noticed(fake: FakeTelegramAPI) -> None:
    def member(status: str) -> Update:
        user = {"id": 1001, "is_bot": False, "first_name": "Lan"}
        bot = {"id": 1, "is_bot": True, "first_name": "B"}
        return update(
            {
                "update_id": 9,
                "my_chat_member": {
                    "chat": {"id": 1001, "type": "private", "first_name": "Lan"},
                    "from": user,
                    "date": 1,
                    "old_chat_member": {"status": "member", "user": bot},
                    "new_chat_member": (
                        {"status": status, "user": bot, "until_date": 0}
                        if status == "kicked"
                        else {"status": status, "user": bot}
                    ),
                },
            }
        )

    assert map_update(member("kicked"), bot_username=BOT) == Reachability("1001", False)
    assert map_update(member("member"), bot_username=BOT) == Reachability("1001", True)


def test_chat_key(fake: FakeTelegramAPI) -> None:
    assert chat_key(update(fake.push_message(1001, "x", enqueue=False))) == "1001"
    assert chat_key(update(fake.push_callback(1002, "1.a", enqueue=False))) == "1002"


# ---- rendering -------------------------------------------------------------------------------


def test_text_is_escaped() -> None:
    items = render_reply(Reply('Điểm <b>10</b> & "trên" 5 > 3'))

    assert len(items) == 1
    item = items[0]
    assert isinstance(item, TextMessage)
    assert item.html == 'Điểm &lt;b&gt;10&lt;/b&gt; &amp; "trên" 5 &gt; 3'
    assert check_telegram_html(item.html) is None


def test_keyboard_keeps_the_engines_rows() -> None:
    markup = keyboard(((Button("Có", "1.y"), Button("Không", "1.n")), (Button("Khác", "1.o"),)))

    assert markup is not None
    assert markup == {
        "inline_keyboard": [
            [{"text": "Có", "callback_data": "1.y"}, {"text": "Không", "callback_data": "1.n"}],
            [{"text": "Khác", "callback_data": "1.o"}],
        ]
    }


def test_keyboard_drops_a_row_with_oversized_callback_data(
    caplog: pytest.LogCaptureFixture,
) -> None:
    too_long = "câu hỏi về việc làm của thanh niên ở vùng sâu vùng xa"  # 53 chars, 69 bytes
    assert len(too_long) <= 64 < len(too_long.encode())
    with caplog.at_level(logging.ERROR):
        markup = keyboard(((Button("A", "1.a"),), (Button("B", too_long), Button("C", "1.c"))))

    assert markup is not None
    assert [[b["callback_data"] for b in row] for row in markup["inline_keyboard"]] == [["1.a"]]
    assert "dropped a button row" in caplog.text
    assert keyboard(((Button("B", "x" * 65),),)) is None
    assert keyboard(((Button("B", "x" * 64),),)) is not None


def test_long_text_is_split_with_buttons_on_the_last_part() -> None:
    paragraph = "Thanh niên <xã> & phường hỏi về việc làm. " * 40
    text = "\n\n".join([paragraph.strip()] * 8)  # about 13,000 characters
    reply = Reply(text, buttons=((Button("Gửi", "4.s"),),))
    items = render_reply(reply)

    assert len(items) >= 4
    assert all(isinstance(i, TextMessage) for i in items)
    texts = [i.html for i in items if isinstance(i, TextMessage)]
    assert all(len(t) <= 4096 for t in texts)
    assert all(check_telegram_html(t) is None for t in texts)
    assert [i.keyboard is not None for i in items if isinstance(i, TextMessage)] == [False] * (
        len(items) - 1
    ) + [True]
    # Nothing lost but the whitespace at the cuts.
    joined = "".join(html.unescape(t) for t in texts)
    assert joined.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("aăâbcdđeêươ&<> \n.?!😀")), min_size=1, max_size=12000)
)
def test_split_message_always_fits(text: str) -> None:
    parts = split_message(text)
    for part in parts:
        escaped = html.escape(part, quote=False)
        assert len(escaped) <= 4096
        assert len(part.encode("utf-16-le")) // 2 <= 4096
        assert part.strip()


def test_attachments_follow_the_text(tmp_path: Path) -> None:
    doc = tmp_path / "tong-hop.xlsx"
    chart = tmp_path / "bieu-do.png"
    reply = Reply(
        "Bản tổng hợp tuần này",
        buttons=((Button("OK", "1.ok"),),),
        attachments=(
            Attachment(doc, caption="Tổng hợp <tuần>"),
            Attachment(chart, AttachmentKind.PHOTO, caption="x" * 1500),
        ),
    )
    items = render_reply(reply)

    kinds = [type(i).__name__ for i in items]
    assert kinds == ["TextMessage", "FileMessage", "TextMessage", "FileMessage"]
    first, document, long_caption, photo = items
    assert isinstance(first, TextMessage) and first.keyboard is not None
    assert isinstance(document, FileMessage)
    assert document.caption_html == "Tổng hợp &lt;tuần&gt;"
    assert isinstance(long_caption, TextMessage) and long_caption.html == "x" * 1500
    assert isinstance(photo, FileMessage) and photo.caption_html == ""
    assert photo.kind == AttachmentKind.PHOTO


def test_edit_first_marks_only_the_first_part() -> None:
    items = render_reply(Reply("a " * 3000, replaces_prompt=True), edit_first=True)

    assert [i.edit for i in items if isinstance(i, TextMessage)] == [True, False]


# ---- flow helpers ----------------------------------------------------------------------------


def test_ack_tracker_counts_what_is_still_being_handled() -> None:
    tracker = AckTracker()
    for update_id in (5, 6, 7):
        tracker.dispatched(update_id)
    assert tracker.unfinished == 3
    tracker.finished(6)
    assert tracker.unfinished == 2  # 5 still running
    tracker.finished(5)
    tracker.finished(7)
    assert tracker.unfinished == 0
    assert not tracker.is_new(7) and tracker.is_new(8)
    with pytest.raises(ValueError, match="out of order"):
        tracker.dispatched(3)


async def test_scheduler_orders_per_chat_and_runs_chats_concurrently() -> None:
    scheduler = ChatScheduler(max_concurrency=8)
    log: list[str] = []
    gate = asyncio.Event()

    def job(name: str, wait: bool) -> Any:
        async def run() -> str:
            log.append(f"start {name}")
            if wait:
                await gate.wait()
            log.append(f"end {name}")
            return name

        return run

    a1 = scheduler.submit("a", job("a1", True))
    a2 = scheduler.submit("a", job("a2", False))
    b1 = scheduler.submit("b", job("b1", False))
    await b1  # chat b is not held up by chat a
    assert "end b1" in log and "start a2" not in log
    gate.set()
    assert await a2 == "a2" and await a1 == "a1"
    assert log.index("end a1") < log.index("start a2")
    assert await scheduler.drain(1.0)
    assert scheduler.in_flight == 0


async def test_pacer_spaces_messages_to_one_chat() -> None:
    pacer = ChatPacer(0.2)
    loop = asyncio.get_running_loop()
    times: dict[str, list[float]] = {"1": [], "2": []}

    async def send(chat: str) -> None:
        async with pacer.turn(chat):
            times[chat].append(loop.time())

    await asyncio.gather(send("1"), send("1"), send("2"))

    first, second = times["1"]
    assert second - first >= 0.19
    assert times["2"][0] - first < 0.1  # another chat is not held up
