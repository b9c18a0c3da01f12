"""A sticker, a location, a file, a reaction or a message Zalo hid as a young person's very
first message on Zalo: the real Zalo adapter polling the fake Zalo Bot API on 127.0.0.1,
the real engine and a real SQLite file."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.zalo import ZaloChannel
from tests.fakes.zalo_api import (
    FakeZaloApi,
    make_event,
    make_image_event,
    make_sticker_event,
    make_unsupported_event,
)
from tests.test_conversation_zalo import Person as Walker
from tests.test_zalo_qa import QUESTION, Person, api, channel  # noqa: F401  (fixtures)

FIRST = "8e7d6c5b4a3928171605"


@pytest.mark.parametrize(
    ("event", "note"),
    [
        (make_unsupported_event(FIRST), "nền tảng đã ẩn nội dung"),
        (make_sticker_event(FIRST), "Nhãn dán dễ thương"),
        (make_image_event(FIRST), "chưa xem được ảnh"),
        (make_event("message.location.received", user_id=FIRST), "chỉ đọc được"),
        (make_event("message.file.received", user_id=FIRST), "chưa mở được tệp"),
        (make_event("message.reaction.received", user_id=FIRST), "chỉ đọc được"),
    ],
    ids=["unsupported", "sticker", "image", "location", "file", "reaction"],
)
async def test_a_first_message_without_text_gets_the_welcome(
    api: FakeZaloApi,  # noqa: F811
    channel: ZaloChannel,  # noqa: F811
    event: dict[str, Any],
    note: str,
) -> None:
    """It got "Mình chỉ đọc được chữ thôi… gõ /hoi" (or only "nền tảng đã ẩn nội dung")
    and no welcome: no deadline, no consent, nothing to answer."""
    person = Person(api, channel, FIRST)
    shown = "\n".join(await person.send(event))
    assert note in shown
    assert "Chào bạn!" in shown and "Bạn có đồng ý không?" in shown
    assert shown.rstrip().endswith("Bạn gõ 1 hoặc 2 nhé.")
    assert "xã, phường" in await person.say("1")


async def test_never_mind_at_the_preview_on_zalo(
    api: FakeZaloApi,  # noqa: F811
    channel: ZaloChannel,  # noqa: F811
) -> None:
    """ "thoi" typed at "send?" was "Gõ 1 để gửi câu hỏi nhé"."""
    hoa = Walker(api, channel, FIRST)
    await hoa.to_preview()
    asked = await hoa.say("thoi")
    assert "Bạn muốn bỏ câu hỏi này, không gửi nữa phải không?" in asked
    assert asked.endswith("1. Đúng, bỏ câu hỏi\n2. Không, giữ lại\nBạn gõ 1 hoặc 2 nhé.")
    kept = await hoa.say("2")
    assert "Mình vẫn giữ câu hỏi của bạn." in kept and QUESTION in kept
    await hoa.say("bo di")
    assert "chưa gửi đi đâu" in await hoa.say("1")


async def test_the_edit_list_tells_alike_questions_apart_on_zalo(
    api: FakeZaloApi,  # noqa: F811
    channel: ZaloChannel,  # noqa: F811
) -> None:
    """/sua listed "1. ABC123: Em muốn hỏi tỉnh có chính sách gì…" twice (cut at 40
    characters): now each is cut at a word near 70, numbered once, with its code."""
    hoa = Walker(api, channel, FIRST)
    start = "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên khởi nghiệp ở "
    await hoa.to_text_step()
    await hoa.say(start + "vùng cao, nhất là vay vốn ưu đãi không ạ?")
    await hoa.say("1")
    await hoa.say("/hoi")
    await hoa.say("3")
    shown = await hoa.say(start + "nông thôn, nhất là đất đai làm xưởng không ạ?")
    if "gần giống" in shown:
        await hoa.say("vẫn gửi câu của tôi")
    await hoa.say("1")
    listed = await hoa.say("/sua")
    lines = listed.splitlines()
    assert lines[0] == "Bạn muốn sửa câu hỏi nào?"
    assert lines[1].startswith("1. ") and lines[2].startswith("2. ")
    assert "nông thôn" in listed and "vùng cao" in listed
    assert lines[-1] == "Bạn gõ 1 hoặc 2 nhé."
    assert all(len(line) <= 90 for line in lines)
