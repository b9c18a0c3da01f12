"""Bad input: each gets a clear, kind answer and nothing is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.application.app import App
from bot.clock import FakeClock
from handlers import routers
from handlers.engine import Engine, EngineSettings
from handlers.events import EventKind
from storage.models import Campaign, Question
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker

QUESTION = "Tỉnh có chính sách hỗ trợ vốn vay ưu đãi cho thanh niên khởi nghiệp ở nông thôn không?"


@pytest.fixture
def engine(province_app: App, campaign: Campaign) -> Engine:
    return Engine(
        province_app.store,
        province_app.clock,
        settings=EngineSettings(questions_per_hour=3),
        routers=routers(),
    )


async def to_text_step(t: Talker) -> None:
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")
    await t.press("Thục Phán")
    await t.say("Hoàng Văn Nam")
    await t.press("Bỏ qua")
    await t.press("Khởi nghiệp")
    assert "viết câu hỏi" in t.last_text


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
async def test_empty_text(engine: Engine, text: str) -> None:
    t = Talker(engine)
    await to_text_step(t)
    await t.say(text)
    assert "trống" in t.last_text
    assert "viết câu hỏi" in t.last_text  # asked again


async def test_text_over_the_limit_keeps_the_draft(engine: Engine) -> None:
    t = Talker(engine)
    await to_text_step(t)
    await t.say(QUESTION)
    await t.press("Sửa câu hỏi")
    await t.say("ý kiến dài " * 300)
    assert "quá giới hạn 2.000 ký tự" in t.last_text
    # The earlier draft is still there: the preview comes back with it.
    await t.say(QUESTION)
    assert QUESTION in t.last_text


@pytest.mark.parametrize("media", ["sticker", "photo", "voice", "video", "location", "contact"])
async def test_media_is_explained_and_nothing_stored(
    engine: Engine, province_app: App, media: str
) -> None:
    t = Talker(engine)
    await to_text_step(t)
    await t.event(EventKind.MEDIA, media_type=media)
    assert "chỉ đọc được" in t.last_text
    assert "viết câu hỏi" in t.last_text
    assert await province_app.store.questions.count(1) == 0


async def test_unsupported_hidden_content(engine: Engine) -> None:
    t = Talker(engine)
    await t.event(EventKind.UNSUPPORTED)
    assert "Đoàn xã" in t.last_text


async def test_unknown_command(engine: Engine) -> None:
    t = Talker(engine)
    await to_text_step(t)
    await t.say("/abracadabra")
    assert "/abracadabra" in t.last_text and "/trogiup" in t.last_text
    assert "viết câu hỏi" in t.last_text  # the flow is not lost


async def test_stale_button(engine: Engine) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc pha")  # two units offered
    first_pick = t.button("Thục Phán").payload
    other_pick = t.last_prompt().choices[-1].payload
    await t.press("Thục Phán")
    await t.press_payload(first_pick)  # a double tap: one short, complete answer
    assert t.last_text == "Bạn bấm rồi, mình đã nhận nhé."
    await t.press_payload(other_pick)  # another button of an old prompt
    assert "bước trước" in t.last_text
    assert "Họ và tên" in t.last_text  # and where we are now


async def test_stale_button_when_nothing_is_pending(engine: Engine) -> None:
    t = Talker(engine)
    await to_text_step(t)
    await t.say(QUESTION)
    old = t.button("Sửa câu hỏi").payload
    await t.press("Gửi")
    await t.press_payload(old)
    assert "không có việc gì đang chờ" in t.last_text and "/hoi" in t.last_text


@pytest.mark.parametrize("payload", ["garbage", "99999.cy", "1.zz", "1.up.1; DROP TABLE", ""])
async def test_forged_payload_is_refused_and_audited(
    engine: Engine, province_app: App, payload: str
) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.press_payload(payload)
    assert "không hợp lệ" in t.last_text or "bước trước" in t.last_text
    entries = await province_app.store.audit.entries(action="button.forged")
    assert entries or "bước trước" in t.last_text


async def test_payload_for_a_unit_not_offered_is_forged(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")
    offered = t.button("Thục Phán").payload
    step = offered.split(".")[0]
    await t.press_payload(f"{step}.up.9999")
    assert "không hợp lệ" in t.last_text
    assert await province_app.store.audit.entries(action="button.forged")


async def test_withdrawing_another_persons_question_is_refused(
    engine: Engine, province_app: App
) -> None:
    alice = Talker(engine, user_id="1")
    await to_text_step(alice)
    await alice.say(QUESTION)
    await alice.press("Gửi")
    bob = Talker(engine, user_id="2")
    await to_text_step(bob)
    await bob.say("Xin hỏi bao giờ đường vào xã được trải nhựa để thanh niên đi làm thuận tiện?")
    await bob.press("Gửi")
    await bob.say("/rut")
    mine = bob.button("Rút").payload
    step = mine.split(".")[0]
    alice_question = (await province_app.store.questions.of_campaign(1))[0]
    # A crafted payload naming Alice's question in Bob's own prompt step.
    await bob.press_payload(f"{step}.wp.{alice_question.id}")
    assert "không hợp lệ" in bob.last_text
    assert (await province_app.store.questions.get(alice_question.id)).status == "submitted"  # type: ignore[union-attr]
    assert await province_app.store.audit.entries(action="button.forged")


async def test_same_text_twice_in_a_row_is_one_question(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    await to_text_step(t)
    await t.say(QUESTION)
    await t.say(QUESTION)  # sent twice before pressing send
    await t.press("Gửi")
    await t.say("/hoi")
    await t.press("Khởi nghiệp")
    await t.say(QUESTION + "  ")
    await t.press("Gửi")
    assert "đúng câu này rồi" in t.last_text
    assert await province_app.store.questions.count(1) == 1


async def test_flooding_is_limited_and_the_draft_kept(engine: Engine, province_app: App) -> None:
    t = Talker(engine)
    await to_text_step(t)
    for i in range(3):
        await t.say(f"Câu hỏi số {i}: tỉnh hỗ trợ thanh niên khởi nghiệp thế nào ở xã {i}?")
        await t.press("Gửi")
        if i < 2:
            await t.say("/hoi")
            await t.press("Khởi nghiệp")
    await t.say("/hoi")
    assert "3 câu hỏi trong một giờ" in t.last_text
    assert await province_app.store.questions.count(1) == 3


async def test_draft_expires_after_the_configured_time(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    engine = Engine(
        province_app.store,
        clock,
        settings=EngineSettings(draft_ttl=timedelta(hours=2)),
        routers=routers(),
    )
    t = Talker(engine)
    await to_text_step(t)
    clock.advance(timedelta(hours=1))
    await t.say("/trogiup")
    assert "viết câu hỏi" in t.last_text  # still there after an hour
    clock.advance(timedelta(hours=3))
    await t.say(QUESTION)
    assert "quá lâu" in t.last_text


async def test_redelivered_update_is_handled_once(engine: Engine, province_app: App) -> None:
    from handlers.events import Event

    event = Event(
        channel="test", user_id="5", kind=EventKind.COMMAND, command="start", update_id="u1"
    )
    first = await engine.handle(event)
    second = await engine.handle(event)
    assert first and second == []


async def test_edited_message_updates_the_draft(engine: Engine) -> None:
    t = Talker(engine)
    await to_text_step(t)
    await t.say(QUESTION)
    await t.event(
        EventKind.EDITED, text="Tỉnh hỗ trợ lãi suất vay vốn khởi nghiệp cho thanh niên thế nào?"
    )
    assert "cập nhật" in t.last_text and "lãi suất" in t.last_text
    await t.say("/huy")
    await t.event(EventKind.EDITED, text="gì đó")
    assert "/sua" in t.last_text


async def test_name_validation(engine: Engine) -> None:
    t = Talker(engine)
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")
    await t.press("Thục Phán")
    for bad in ["12345", "x", "a" * 100, "Nam 😀"]:
        await t.say(bad)
        assert "họ tên bằng chữ" in t.last_text


async def test_out_of_range_number_is_not_taken_as_text(engine: Engine) -> None:
    t = Talker(engine)
    await to_text_step(t)
    await t.say("7")  # the question step has no options: a short text
    assert "hơi ngắn" in t.last_text
    await t.say(QUESTION)
    await t.press("Sửa câu hỏi")
    await t.say("/trogiup")
    await t.say("/hoi")
    await t.press("Khởi nghiệp")
    await t.say(QUESTION)  # the same question again: similar-questions prompt or preview
    await t.say("42")
    assert "chưa hiểu ý bạn" in t.last_text


async def test_commands_typed_with_accents_work(engine: Engine) -> None:
    t = Talker(engine)
    await t.say("/Trợgiúp")
    assert "/hoi" in t.last_text
    await t.say("/hỏi")
    assert "đồng ý" in t.last_text.lower()


async def test_accented_command_sent_as_plain_text(engine: Engine) -> None:
    t = Talker(engine)
    await t.event(EventKind.TEXT, text="/trợgiúp")
    assert "/hoi" in t.last_text
    await t.event(EventKind.TEXT, text="/ sao vậy")  # not a command: ordinary text
    assert "chưa hiểu lệnh" not in t.last_text


async def test_contact_details_are_pointed_out_and_taken_out_on_request(
    engine: Engine, province_app: App
) -> None:
    """A phone number inside the question reaches officials and printed summaries: the
    preview says so and offers to take it out (button or words); the person decides."""
    t = Talker(engine)
    await to_text_step(t)
    await t.say(f"Em là Nam, sđt 0912.345.678, em hỏi: {QUESTION} Em cảm ơn ạ")
    assert "thông tin liên lạc của bạn (0912.345.678)" in t.last_text
    assert [c.label for c in t.last_prompt().choices][:2] == ["Gửi", "Bỏ số liên lạc"]
    await t.say("xóa sđt đi")
    assert "đã bỏ số liên lạc" in t.last_text
    assert f"Câu hỏi: Em là Nam, em hỏi: {QUESTION} Em cảm ơn ạ" in t.last_text
    assert "Bỏ số liên lạc" not in [c.label for c in t.last_prompt().choices]
    await t.press("Gửi")
    stored = await _sent(province_app, t)
    assert "0912" not in stored.text and stored.text.startswith("Em là Nam, em hỏi")


async def test_contact_details_kept_when_the_person_sends(
    engine: Engine, province_app: App
) -> None:
    t = Talker(engine)
    await to_text_step(t)
    await t.say(f"{QUESTION} Liên hệ em qua zalo 0388 123 456 ạ")
    await t.press("Gửi")  # the person's choice: officials may call back
    stored = await _sent(province_app, t)
    assert stored.text.endswith("zalo 0388 123 456 ạ")


async def test_a_question_that_is_only_a_phone_number_is_asked_again(engine: Engine) -> None:
    t = Talker(engine)
    await to_text_step(t)
    await t.say("Số điện thoại của em: 0912 345 678 ạ")
    await t.press("Bỏ số liên lạc")
    assert "viết lại câu hỏi" in t.last_text
    await t.say(QUESTION)
    assert "kiểm tra lại" in t.last_text and "Bỏ số liên lạc" not in t.last_text


async def _sent(app: App, t: Talker) -> Question:
    """The question just sent, by the code its receipt names."""
    found = await app.store.questions.by_code(t.last_text.split("Mã câu hỏi: ")[1][:6])
    assert found is not None
    return found


async def test_an_anonymous_asker_is_told_a_number_names_them(
    engine: Engine, province_app: App
) -> None:
    """Asked anonymously with a phone number in the question: the preview says plainly
    that officials may know who asked (it said what it says to a named asker)."""
    t = Talker(engine, user_id="anon-number")
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")
    await t.press("Thục Phán")
    await t.press("Ẩn danh")
    await t.press("Bỏ qua")
    await t.press("Khởi nghiệp")
    await t.say(f"{QUESTION} Có gì gọi em 0912 345 678 ạ")
    assert "bạn gửi ẩn danh, nhưng câu hỏi có thông tin liên lạc của bạn" in t.last_text
    assert "có thể biết bạn là ai" in t.last_text
    await t.press("Bỏ số liên lạc")
    await t.press("Gửi")
    stored = await _sent(province_app, t)
    assert stored.anonymous and "0912" not in stored.text


async def test_a_list_past_the_hourly_limit_keeps_the_questions_not_sent(
    engine: Engine, province_app: App
) -> None:
    """A numbered list sent one by one that reaches the hourly limit: the questions after
    it were dropped with the flood message. Now the next one waits as the draft, sent
    when the hour has passed."""
    t = Talker(engine)
    await to_text_step(t)
    for i in range(2):
        await t.say(f"Câu hỏi số {i}: tỉnh hỗ trợ thanh niên khởi nghiệp thế nào ở xã {i}?")
        await t.press("Gửi")
        await t.say("/hoi")
        await t.press("Khởi nghiệp")
    await t.say(
        "em hỏi 3 câu ạ: 1. wifi miễn phí ở nhà văn hóa khi nào có? "
        "2. đường vào bản Nà Mò bao giờ được sửa? 3. xã có mở lớp học nghề không?"
    )
    await t.press("3 câu riêng")
    for _ in range(3):
        if "kiểm tra lại" in t.last_text:
            break
        await t.press_payload(t.last_prompt().choices[0].payload)
    await t.press("Gửi")
    assert "Mã câu hỏi" in t.last_text
    assert "3 câu hỏi trong một giờ" in t.last_text
    assert "2/3" in t.last_text and "Nà Mò" in t.last_text  # kept, not dropped
    assert await province_app.store.questions.count(1) == 3
