"""Issue 14 over Zalo: our Zalo client polling the fake Zalo Bot API on 127.0.0.1, the
real engine (``build_engine``) and a real SQLite file. Zalo has no buttons: everything is
typed, options are numbered ("Bạn gõ số 1–6 để chọn nhé"), and nobody is told to tap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.channels.zalo import ZaloChannel, ZaloOptions
from bot.channels.zalo_client import RetryPolicy, ZaloClient
from bot.clock import FakeClock
from storage.models import Campaign
from tests.fakes.zalo_api import FakeZaloApi, make_event, make_text_event
from tests.walks import TAP_WORDS

QUESTION = "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?"
FAST = ZaloOptions(poll_timeout=1, per_chat_interval=0.0, backoff_base=0.01, backoff_max=0.05)


async def _wait(condition: Callable[[], bool]) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("timed out waiting for the Zalo adapter")


@pytest.fixture
async def api() -> AsyncIterator[FakeZaloApi]:
    async with FakeZaloApi(max_poll_seconds=1) as fake:
        yield fake
        refused = [(r.method, r.status) for r in fake.requests if r.status >= 400]
        assert [r for r in refused if r != ("getUpdates", 408)] == []  # 408: nothing new
        told_to_tap = [t for _, t in fake.sent if any(w in t.lower() for w in TAP_WORDS)]
        assert told_to_tap == []


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(
        province_app, title="Đối thoại với thanh niên 2025", dialogue=date(2025, 8, 28)
    )


@asynccontextmanager
async def serving(app: App, api: FakeZaloApi) -> AsyncIterator[ZaloChannel]:
    """The real Zalo adapter, with the production engine, polling ``api`` until the
    block ends (other Zalo test modules use it for their own ``channel`` fixtures)."""
    client = ZaloClient(
        api.token, base_url=api.base_url, retry=RetryPolicy(max_attempts=3, base_delay=0.01)
    )
    zalo = ZaloChannel(app, build_engine(app), options=FAST, client=client)
    stop = asyncio.Event()
    task = asyncio.create_task(zalo.serve(stop))
    await _wait(lambda: bool(zalo.health()["ok"]) or task.done())
    try:
        yield zalo
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await client.aclose()


@pytest.fixture
async def channel(
    province_app: App, campaign: Campaign, api: FakeZaloApi
) -> AsyncIterator[ZaloChannel]:
    async with serving(province_app, api) as zalo:
        yield zalo


class Person:
    def __init__(self, api: FakeZaloApi, channel: ZaloChannel, user_id: str) -> None:
        self.api, self.channel, self.user_id = api, channel, user_id

    async def send(self, *events: dict[str, Any]) -> list[str]:
        """Events in a row; the bot's messages to this person, one by one."""
        before, target = len(self.api.sent), self.channel.processed + len(events)
        for event in events:
            self.api.push(event)
        await _wait(lambda: self.channel.processed >= target)
        return [text for chat, text in self.api.sent[before:] if chat == self.user_id]

    async def say(self, text: str) -> str:
        return "\n---\n".join(await self.send(make_text_event(self.user_id, text)))

    async def to_text_step(self) -> None:
        await self.say("/start")
        await self.say("dong y")
        await self.say("thuc phan")
        await self.say("1")
        await self.say("Nông Thị Hoa")
        await self.say("bo qua")
        await self.say("3")

    async def to_preview(self) -> None:
        await self.to_text_step()
        shown = await self.say(QUESTION)
        if "gần giống" in shown:
            shown = await self.say("vẫn gửi câu của tôi")
        assert "kiểm tra lại" in shown and "Bạn gõ số 1–6 để chọn nhé." in shown


def burst(user: str, clock: FakeClock, *texts: str) -> list[dict[str, Any]]:
    """Messages sent at once, before the bot could answer (dated just before "now")."""
    sent = int((clock.now() - timedelta(seconds=1)).timestamp() * 1000)
    return [make_text_event(user, text, date_ms=sent + i) for i, text in enumerate(texts)]


USER = "5f1e2d3c4b5a69788796"


# -- 1. language -----------------------------------------------------------------------------


async def test_vietnamese_and_english_on_request(api: FakeZaloApi, channel: ZaloChannel) -> None:
    hoa = Person(api, channel, USER)
    welcome = await hoa.say("/start")
    assert "Bạn có đồng ý không?" in welcome and "/ngonngu en" in welcome
    await hoa.say("dong y")
    await hoa.say("thuc pha")  # two units offered
    switched = await hoa.say("/ngonngu english")
    assert switched.startswith("Switched to English.") and "Pick your unit" in switched
    assert switched.endswith("Type 1 or 2.")
    assert "What is your full name?" in await hoa.say("1")
    back = await hoa.say("/ngonngu tiếng việt")
    assert "Họ và tên" in back and "Ẩn danh" in back


# -- 2. typed answers, the preview, messages in a row ----------------------------------------------


async def test_typed_confirmations_with_and_without_diacritics(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    for index, typed in enumerate(["đồng ý", "Đồng ý ạ", "dong y", "ok", "có", "vâng"]):
        person = Person(api, channel, f"a{index:019d}")
        await person.say("/start")
        assert "Cảm ơn bạn!" in await person.say(typed), typed
    for index, typed in enumerate(["gửi đi", "gui luon nhe", "đúng rồi", "xac nhan", "1"]):
        person = Person(api, channel, f"b{index:019d}")
        await person.to_preview()
        assert "Mã câu hỏi" in await person.say(typed), typed
    nobody = Person(api, channel, "c0000000000000000000")
    await nobody.say("/start")
    unclear = await nobody.say("có lẽ")
    assert "Mình chưa hiểu ý bạn." in unclear and unclear.endswith("Bạn gõ 1 hoặc 2 nhé.")
    assert "Bạn chọn một mục" not in unclear


async def test_text_at_the_preview_is_offered_never_swallowed(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    hoa = Person(api, channel, USER)
    await hoa.to_preview()
    for typed in ("asdf", "Gửi luôn nhé"):  # neither replaces the question
        shown = await hoa.say(typed)
        if "Mã câu hỏi" in shown:
            break
        assert f"Câu hỏi: {QUESTION}" in shown
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.text == QUESTION
    await hoa.say("/hoi")
    await hoa.say("1")
    shown = await hoa.say("Em muốn hỏi bao giờ xã em có sân bóng cho thanh niên chơi thể thao?")
    if "gần giống" in shown:
        await hoa.say("vẫn gửi câu của tôi")
    addition = "Em bổ sung thêm: nhiều bạn ở xã em phải đi làm xa"
    offered = await hoa.say(addition)
    assert "1. Thêm vào câu hỏi" in offered and offered.endswith("Bạn gõ 1, 2 hoặc 3 nhé.")
    replaced = await hoa.say("2")
    assert f"Câu hỏi: {addition}" in replaced


async def test_messages_in_a_row_are_one_question_and_one_answer(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    assert isinstance(province_app.clock, FakeClock)
    hoa = Person(api, channel, USER)
    await hoa.to_text_step()
    parts = [
        "Em muốn hỏi về mạng internet ở các thôn vùng cao.",
        "Nhiều thôn chưa có sóng 4G nên học trực tuyến rất khó.",
        "Bao giờ tỉnh phủ sóng hết ạ?",
    ]
    answers = await hoa.send(*burst(USER, province_app.clock, *parts))
    assert len(answers) == 1 and parts[0] in answers[0]
    again = await hoa.say("1")
    assert "ghép tin nhắn bạn gửi liền sau" in again and "\n".join(parts) in again
    assert "Mã câu hỏi" in await hoa.say("1")
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.text == "\n".join(parts)


async def test_a_flood_gets_one_answer(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    assert isinstance(province_app.clock, FakeClock)
    khoa = Person(api, channel, USER)
    answers = await khoa.send(*burst(USER, province_app.clock, *["alo"] * 30))
    assert len(answers) == 1 and "Bạn có đồng ý không?" in answers[0]
    assert "Chào bạn!" in await khoa.say("alo")  # read the answer, wrote again: answered


async def test_a_flood_sent_now_gets_one_answer(api: FakeZaloApi, channel: ZaloChannel) -> None:
    # Dated by the real clock, as the platform dates them (the bot's clock is a fake one).
    khoa = Person(api, channel, USER)
    answers = await khoa.send(*[make_text_event(USER, "alo") for _ in range(30)])
    assert len(answers) == 1 and "Bạn có đồng ý không?" in answers[0]
    assert "Chào bạn!" in await khoa.say("alo")


# -- 3. commands with codes ---------------------------------------------------------------------


async def test_commands_act_on_the_code_given(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    hoa, lan = Person(api, channel, USER), Person(api, channel, "0a0b0c0d0e0f10111213")
    await hoa.to_preview()
    await hoa.say("1")
    [hoas] = await province_app.store.questions.of_campaign(1)
    await lan.say("/start")
    await lan.say("ok")
    assert f"không thấy câu hỏi mã {hoas.code}" in await lan.say(f"/sửa {hoas.code}")
    assert "không thấy câu hỏi mã ZZZZZZ" in await lan.say("/rut ZZZZZZ")
    asked = await hoa.say(f"/rut {hoas.code.lower()}")
    assert asked.endswith("1. Rút câu này\n2. Giữ lại\nBạn gõ 1 hoặc 2 nhé.")
    assert f"Đã rút câu hỏi {hoas.code}" in await hoa.say("có")


# -- 5. media --------------------------------------------------------------------------------------


async def test_image_caption_is_the_question_and_a_sticker_fits_the_step(
    api: FakeZaloApi, channel: ZaloChannel, province_app: App
) -> None:
    hoa = Person(api, channel, USER)
    await hoa.say("/start")
    await hoa.say("ok")
    [sticker] = await hoa.send(make_event("message.sticker.received", user_id=USER, sticker="x"))
    assert "Nhãn dán dễ thương" in sticker and "xã, phường" in sticker
    await hoa.say("thuc phan")
    await hoa.say("1")
    await hoa.say("an danh")
    await hoa.say("9")
    await hoa.say("3")
    image = make_event(
        "message.image.received",
        user_id=USER,
        photo_url="https://example.test/p.jpg",
        caption=QUESTION,
    )
    [preview] = await hoa.send(image)
    assert "đọc phần chữ" in preview and f"Câu hỏi: {QUESTION}" in preview
    assert "Mã câu hỏi" in await hoa.say("gửi")
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.text == QUESTION and question.anonymous and question.asker_name is None


# -- 6. /xoa --------------------------------------------------------------------------------------


async def test_delete_wording_fits_consent(api: FakeZaloApi, channel: ZaloChannel) -> None:
    never = Person(api, channel, USER)
    await never.say("/start")
    assert "Bạn chưa đồng ý" in await never.say("/xoa")
    hoa = Person(api, channel, "0a0b0c0d0e0f10111213")
    await hoa.to_preview()
    await hoa.say("1")
    asked = await hoa.say("/xoa")
    assert "1 câu hỏi đã gửi vẫn được giữ" in asked and asked.endswith("Bạn gõ 1 hoặc 2 nhé.")
    assert "Đã xóa dữ liệu" in await hoa.say("1")
