"""A sticker, a voice message or a photo as a young person's very first Telegram update,
and a thumbs-up sticker at a yes/no question: python-telegram-bot's real HTTP stack
against the fake Bot API on 127.0.0.1, the real engine and a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.channels.telegram import TelegramChannel
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_conversation_telegram import (  # noqa: F401  (fixtures)
    Person,
    api,
    campaign,
    channel,
)


@pytest.mark.parametrize(
    ("push", "note"),
    [
        (lambda fake: fake.push_sticker(2001, emoji="😂"), "Nhãn dán dễ thương"),
        (lambda fake: fake.push_sticker(2001, emoji="👍"), "Nhãn dán dễ thương"),
        (lambda fake: fake.push_voice(2001), "tin nhắn thoại"),
        (lambda fake: fake.push_photo(2001), "chưa xem được ảnh"),
        (lambda fake: fake.push_location(2001), "chỉ đọc được"),
    ],
    ids=["sticker", "thumbs-up-sticker", "voice", "photo", "location"],
)
async def test_a_first_update_without_text_gets_the_welcome(
    api: FakeTelegramAPI,  # noqa: F811
    channel: TelegramChannel,  # noqa: F811
    push: Callable[[FakeTelegramAPI], object],
    note: str,
) -> None:
    person = Person(api, channel, 2001)
    shown = await person._do(lambda: push(api))
    assert note in shown
    assert "Chào bạn!" in shown and "Bạn có đồng ý không?" in shown
    assert "xã, phường" in await person.press("Mình đồng ý")


async def test_a_thumbs_up_sticker_agrees_and_sends(
    api: FakeTelegramAPI,  # noqa: F811
    channel: TelegramChannel,  # noqa: F811
) -> None:
    """A thumbs-up sticker at the consent and at "send?" was "Nhãn dán dễ thương đó!
    Nhưng mình chỉ đọc được chữ thôi" and the question again."""
    hoa = Person(api, channel, 2002)
    await hoa.say("/start")
    agreed = await hoa._do(lambda: api.push_sticker(2002, emoji="👍"))
    assert "Cảm ơn bạn" in agreed and "xã, phường" in agreed
    await hoa.say("thuc phan")
    await hoa.press("Phường Thục Phán")
    await hoa.say("Nông Thị Hoa")
    await hoa.press("Bỏ qua")
    await hoa.press("Nghề nghiệp, việc làm")
    shown = await hoa.say(
        "Em muốn hỏi tỉnh có hỗ trợ thanh niên học nghề ở vùng cao không, nhất là nghề mộc?"
    )
    if "gần giống" in shown:
        await hoa.press("Vẫn gửi câu của tôi")
    sent = await hoa._do(lambda: api.push_sticker(2002, emoji="👍🏻"))
    assert "Mã câu hỏi" in sent


async def test_a_forwarded_story_first_is_answered(
    api: FakeTelegramAPI,  # noqa: F811
    channel: TelegramChannel,  # noqa: F811
) -> None:
    """A story forwarded as the first message was mapped to nothing: no answer at all."""
    person = Person(api, channel, 2003)
    story = {"chat": {"id": 777, "type": "channel", "title": "Kênh"}, "id": 5}
    shown = await person._do(lambda: api._push_media(2003, {"story": story}, enqueue=True))
    assert "chỉ đọc được tin nhắn bằng chữ" in shown and "Bạn có đồng ý không?" in shown
