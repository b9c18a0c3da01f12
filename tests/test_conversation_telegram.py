"""Issue 14 over Telegram: python-telegram-bot's real HTTP calls against the fake Bot API
on 127.0.0.1 (which answers like Telegram, 400 "message is not modified" included), the
real engine (``build_engine``) and a real SQLite file. Every test ends with no error
answer from the fake platform."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.channels.telegram import TelegramChannel
from handlers.roles import create_invite
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_support import (
    TOKEN,
    latest_prompt,
    options,
    running,
    settle,
    telegram_app,
    texts_since,
)

QUESTION = "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?"


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server
        # Nothing the bot did was refused by "Telegram".
        assert server.error_answers == [], [c.describe() for c in server.error_answers]
        assert server.errors == []


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(
        province_app, title="Đối thoại với thanh niên 2025", dialogue=date(2025, 8, 28)
    )


@pytest.fixture
async def channel(
    province_app: App, campaign: Campaign, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelegramChannel]:
    app = telegram_app(province_app, api, monkeypatch)
    async with running(TelegramChannel(app, build_engine(app), options=options())) as running_:
        yield running_


class Person:
    """A young person on Telegram whose app is in English (most are)."""

    def __init__(self, api: FakeTelegramAPI, channel: TelegramChannel, user_id: int) -> None:
        self.api, self.channel, self.user_id = api, channel, user_id

    async def _do(self, action: Callable[[], object]) -> str:
        start = len(self.api.calls)
        action()
        await settle(self.api, self.channel)
        return "\n".join(texts_since(self.api, self.user_id, start))

    def messages_since(self, start: int) -> list[str]:
        return texts_since(self.api, self.user_id, start)

    async def say(self, text: str) -> str:
        return await self._do(lambda: self.api.push_message(self.user_id, text, language_code="en"))

    async def press(self, label: str) -> str:
        prompt = latest_prompt(self.api, self.user_id)
        data = prompt.data(label)
        return await self._do(
            lambda: self.api.push_callback(self.user_id, data, message_id=prompt.message_id)
        )

    async def send(self, *pushes: Callable[[], Any]) -> list[str]:
        """Several updates at once (before any answer): the bot's messages, one by one."""
        start = len(self.api.calls)
        for push in pushes:
            push()
        await settle(self.api, self.channel)
        return self.messages_since(start)

    async def to_text_step(self) -> None:
        await self.say("/start")
        await self.say("đồng ý")
        await self.say("thuc phan")
        await self.press("Phường Thục Phán")
        await self.say("Nông Thị Hoa")
        await self.press("Bỏ qua")
        await self.press("Nghề nghiệp, việc làm")

    async def to_preview(self) -> None:
        await self.to_text_step()
        shown = await self.say(QUESTION)
        if "gần giống" in shown:  # someone asked it already: send it anyway
            shown = await self.press("Vẫn gửi câu của tôi")
        assert "kiểm tra lại" in shown


# -- 1. language --------------------------------------------------------------------------


async def test_vietnamese_for_an_english_app_and_english_one_command_away(
    api: FakeTelegramAPI, channel: TelegramChannel, province_app: App
) -> None:
    lan = Person(api, channel, 1001)
    welcome = await lan.say("/start")
    assert "Bạn có đồng ý không?" in welcome and welcome.count("/ngonngu en") == 1
    vietnamese = latest_prompt(api, 1001)
    switched = await lan.say("/ngonngu en")
    assert switched.startswith("Switched to English.") and "Do you agree?" in switched
    assert "Hạn gửi" not in switched and "Trước khi gửi" not in switched
    english = latest_prompt(api, 1001)
    assert [label for row in english.buttons for label, _ in row] == ["I agree", "I don't agree"]
    # The old Vietnamese buttons do not work any more in the old language.
    start = len(api.calls)
    api.push_callback(1001, vietnamese.data("Mình đồng ý"), message_id=vietnamese.message_id)
    await settle(api, channel)
    [stale] = lan.messages_since(start)
    assert "earlier step" in stale and "Do you agree?" in stale
    assert [c.method for c in api.calls[start:] if c.method.startswith("edit")] == [
        "editMessageReplyMarkup"  # the old keyboard goes
    ]
    assert "Where do you live" in await lan.press("I agree")
    person = await province_app.store.people.by_identity("telegram", "1001")
    assert person is not None and person.language == "en"


# -- 2. typed answers, the preview, split messages ----------------------------------------------


async def test_typed_confirmations_with_and_without_diacritics(
    api: FakeTelegramAPI, channel: TelegramChannel, province_app: App
) -> None:
    agreeing = ["đồng ý", "Đồng ý ạ", "dong y", "ok", "oke", "có", "ừ", "vâng", "đúng rồi"]
    for offset, typed in enumerate(agreeing):
        person = Person(api, channel, 2000 + offset)
        await person.say("/start")
        assert "Cảm ơn bạn!" in await person.say(typed), typed
    refusing = ["Không đồng ý", "không", "ko", "thôi"]
    for offset, typed in enumerate(refusing):
        person = Person(api, channel, 3000 + offset)
        await person.say("/start")
        assert "chưa lưu thông tin gì" in await person.say(typed), typed
    sending = ["gửi đi", "gửi luôn", "xác nhận", "ok", "Gửi luôn nhé"]
    for offset, typed in enumerate(sending):
        person = Person(api, channel, 4000 + offset)
        await person.to_preview()
        assert "Mã câu hỏi" in await person.say(typed), typed
    questions = await province_app.store.questions.of_campaign(1)
    assert [q.text for q in questions] == [QUESTION] * len(sending)


async def test_text_at_the_preview_is_offered_never_swallowed(
    api: FakeTelegramAPI, channel: TelegramChannel, province_app: App
) -> None:
    hoa = Person(api, channel, 1001)
    await hoa.to_preview()
    addition = "Em bổ sung thêm: trường THCS Hợp Giang chưa có phòng máy"
    offered = await hoa.say(addition)
    assert "Bạn vừa gửi thêm" in offered and addition in offered
    preview = await hoa.press("Thêm vào câu hỏi")
    assert f"Câu hỏi: {QUESTION}\n{addition}" in preview
    assert "Mã câu hỏi" in await hoa.press("Gửi")
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.text == f"{QUESTION}\n{addition}"


async def test_a_paste_split_by_the_app_is_one_message(
    api: FakeTelegramAPI, channel: TelegramChannel, province_app: App
) -> None:
    hoa = Person(api, channel, 1001)
    await hoa.to_text_step()
    paste = "Em kiến nghị về nước sạch cho các xóm vùng cao của xã em, bà con rất khó khăn. " * 55
    first, rest = paste[:4096], paste[4096:]
    answers = await hoa.send(
        lambda: api.push_message(1001, first), lambda: api.push_message(1001, rest)
    )
    assert len(answers) == 1 and "dài hơn 4.09" in answers[0]  # one answer to the paste
    assert "kiểm tra lại" not in answers[0]  # the tail did not become the question
    preview = await hoa.say(QUESTION)
    assert f"Câu hỏi: {QUESTION}" in preview


async def test_the_rest_of_a_cut_message_joins_it_even_after_an_answer(
    api: FakeTelegramAPI, channel: TelegramChannel, province_app: App
) -> None:
    # The second part may arrive after the bot answered the first (a slow network): the
    # first was cut at exactly 4,096 characters, so the next one, seconds later, is its rest.
    hoa = Person(api, channel, 1001)
    await hoa.to_text_step()
    paste = "Ở xã em đường vào các thôn bị sạt lở, các em đi học rất vất vả. " * 70
    told = await hoa.say(paste[:4096])
    assert "dài hơn 4.09" in told
    assert await hoa.say(paste[4096:]) == ""  # joined to the rest, not a new question
    assert f"Câu hỏi: {QUESTION}" in await hoa.say(QUESTION)


# -- 3. commands with arguments --------------------------------------------------------------------


async def test_commands_act_on_the_code_given(
    api: FakeTelegramAPI, channel: TelegramChannel, province_app: App
) -> None:
    hoa, lan = Person(api, channel, 1001), Person(api, channel, 1002)
    await hoa.to_preview()
    await hoa.press("Gửi")
    [hoas] = await province_app.store.questions.of_campaign(1)
    await lan.to_preview()
    await lan.press("Gửi")
    refused = await lan.say(f"/sua {hoas.code}")
    assert f"không thấy câu hỏi mã {hoas.code}" in refused
    assert "không thấy câu hỏi mã ZZZZZZ" in await lan.say("/rut ZZZZZZ")
    assert "Rút câu hỏi" in await hoa.say(f"/rut {hoas.code.lower()}")
    assert f"Đã rút câu hỏi {hoas.code}" in await hoa.press("Rút câu này")


async def test_help_lists_only_what_a_secretary_may_use(
    api: FakeTelegramAPI, channel: TelegramChannel, province_app: App
) -> None:
    unit = await province_app.store.units.by_code("w01273")
    assert unit is not None
    code = await create_invite(
        province_app.store, "secretary", now=province_app.clock.now(), unit_id=unit.id
    )
    hoa = Person(api, channel, 1001)
    await hoa.say(f"/start i-{code}")
    shown = await hoa.say("/trogiup")
    assert "/baocao" in shown and "/vaitro" in shown
    for refused in ("/thongbao", "/moi", "/gop", "/tach", "/traloi"):
        assert refused not in shown
    assert "không có quyền xem báo cáo của Xã Đàm Thuỷ" in await hoa.say("/baocao dam thuy")


# -- 4. stale and repeated presses --------------------------------------------------------------------


async def test_double_taps_and_old_buttons_get_one_answer_and_no_platform_error(
    api: FakeTelegramAPI, channel: TelegramChannel
) -> None:
    hoa = Person(api, channel, 1001)
    await hoa.say("/start")
    consent = latest_prompt(api, 1001)
    data = consent.data("Mình đồng ý")
    answers = await hoa.send(
        lambda: api.push_callback(1001, data, message_id=consent.message_id),
        lambda: api.push_callback(1001, data, message_id=consent.message_id),
    )
    assert "xã, phường" in answers[0]
    assert answers[1:] == ["Bạn bấm rồi, mình đã nhận nhé."]
    # The consent message became the unit question: the second press did not touch it.
    assert len(api.calls_to("editMessageText")) == 1
    assert not api.calls_to("editMessageReplyMarkup")
    await hoa.say("/huy")
    start = len(api.calls)
    api.push_callback(1001, consent.data("Không đồng ý"), message_id=consent.message_id)
    await settle(api, channel)
    [idle] = hoa.messages_since(start)
    assert "không có việc gì đang chờ bạn" in idle and idle.endswith("nhé.")
    # Presses forged on messages that show no such button: answered, nothing edited.
    start = len(api.calls)
    for message_id in range(1, 23):
        api.push_callback(1001, f"{message_id}.cy", message_id=message_id)
    await settle(api, channel)
    assert not [c for c in api.calls[start:] if c.method.startswith("edit")]
    assert len([c for c in api.calls[start:] if c.method == "answerCallbackQuery"]) == 22


# -- 5. media and floods ---------------------------------------------------------------------------------


async def test_captions_are_text_and_a_sticker_is_answered_for_the_step(
    api: FakeTelegramAPI, channel: TelegramChannel, province_app: App
) -> None:
    hoa = Person(api, channel, 1001)
    await hoa.say("/start")
    await hoa.say("đồng ý")
    sticker = await hoa._do(lambda: api.push_sticker(1001))
    assert "Nhãn dán dễ thương" in sticker and "xã, phường" in sticker
    await hoa.say("thuc phan")
    await hoa.press("Phường Thục Phán")
    await hoa.say("Nông Thị Hoa")
    await hoa.press("Bỏ qua")
    await hoa.press("Nghề nghiệp, việc làm")
    preview = await hoa._do(lambda: api.push_photo(1001, caption=QUESTION))
    assert "đọc phần chữ" in preview and f"Câu hỏi: {QUESTION}" in preview
    await hoa.press("Gửi")
    await hoa.say("/hoi")
    await hoa.press("Chuyển đổi số")
    document = {
        "file_id": "DOC1",
        "file_unique_id": "uDOC1",
        "file_name": "kien-nghi.pdf",
        "mime_type": "application/pdf",
    }
    caption = "Em gửi kiến nghị về phủ sóng 4G cho các thôn vùng cao của xã em ạ"
    message = api.push_message(1001, "x", enqueue=False)["message"]
    del message["text"]
    message.update({"document": document, "caption": caption})
    preview = await hoa._do(lambda: api.push_raw({"message": message}))
    assert f"Câu hỏi: {caption}" in preview


async def test_a_flood_gets_one_answer(api: FakeTelegramAPI, channel: TelegramChannel) -> None:
    minh = Person(api, channel, 1001)
    answers = await minh.send(
        *[lambda: api.push_message(1001, "alo", language_code="en") for _ in range(30)]
    )
    assert len(answers) == 1 and "Bạn có đồng ý không?" in answers[0]
    # Once the person has seen the answer, the next message is answered again.
    assert "Chào bạn!" in await minh.say("alo")


# -- 6. /xoa -------------------------------------------------------------------------------------------


async def test_delete_wording_fits_consent(
    api: FakeTelegramAPI, channel: TelegramChannel, province_app: App
) -> None:
    never = Person(api, channel, 1001)
    await never.say("/start")
    assert "Bạn chưa đồng ý" in await never.say("/xoa")
    hoa = Person(api, channel, 1002)
    await hoa.to_preview()
    await hoa.press("Gửi")
    asked = await hoa.say("/xoa")
    assert "1 câu hỏi đã gửi vẫn được giữ" in asked
    await hoa.press("Xóa dữ liệu của tôi")
    [question] = await province_app.store.questions.of_campaign(1)
    assert question.person_id is None and question.category is None and question.asker_name is None
