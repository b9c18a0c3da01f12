"""No young person faces a silent bot, and what they type is understood: a sticker or a
hidden message as the first message, a thumbs-up, "thôi" at the preview, the /sua and
/rut lists, teencode. Through the engine and a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.clock import FakeClock
from handlers.account import PICK_CHARS, pick_texts
from handlers.engine import Engine
from handlers.events import EventKind
from handlers.understanding import drops_draft, idle_request, intents, unsure
from storage.models import Campaign
from tests.talk import Talker
from tests.test_young_people_qa import QUESTION, walk

WELCOME = "Bạn có đồng ý không?"


def texts(t: Talker) -> str:
    return t.last_text


# -- 1. the very first message is no text --------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "note"),
    [
        (EventKind.UNSUPPORTED, {}, "nền tảng đã ẩn nội dung"),
        (EventKind.MEDIA, {"media_type": "sticker"}, "Nhãn dán dễ thương"),
        (EventKind.MEDIA, {"media_type": "location"}, "chỉ đọc được tin nhắn bằng chữ"),
        (EventKind.MEDIA, {"media_type": "document"}, "chưa mở được tệp"),
        (EventKind.MEDIA, {"media_type": "voice"}, "tin nhắn thoại"),
        (EventKind.MEDIA, {"media_type": "photo"}, "chưa xem được ảnh"),
    ],
)
async def test_a_first_message_without_text_gets_the_welcome(
    engine: Engine, kind: EventKind, fields: dict[str, str], note: str
) -> None:
    """A sticker, a location, a file or a message Zalo hid, sent first, got a note ("I only
    read text") and no welcome, no consent, no way in: now the welcome follows the note."""
    t = Talker(engine, user_id="first")
    await t.event(kind, **fields)
    assert note in texts(t)
    assert "Chào bạn!" in texts(t) and WELCOME in texts(t)
    await t.say("đồng ý")
    assert "xã, phường" in texts(t)
    # Later, a sticker at a step gets the note and the step again (no second welcome).
    await t.event(kind, **fields)
    assert note in texts(t) and "Chào bạn!" not in texts(t) and "xã, phường" in texts(t)


async def test_a_sticker_between_questions_is_no_second_welcome(engine: Engine) -> None:
    t = Talker(engine, user_id="again")
    await walk(t)
    await t.say(QUESTION)
    await t.say("1")
    assert "Mã câu hỏi" in texts(t)
    await t.event(EventKind.MEDIA, media_type="sticker", emoji="😂")
    assert "Nhãn dán" in texts(t) and "/hoi" in texts(t) and "Chào bạn!" not in texts(t)
    await t.event(EventKind.MEDIA, media_type="sticker", emoji="👍")  # an "ok"
    assert texts(t).startswith("Dạ!") and "Chào bạn!" not in texts(t)


# -- 2. a thumbs-up ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["👍", "👍🏻", "👍🏽", "👍👍", "👌", "✅", "👍 ", "👍️"])
def test_thumbs_up_with_a_skin_tone_or_twice_is_a_yes(typed: str) -> None:
    assert "yes" in intents(typed)


@pytest.mark.parametrize("typed", ["👍😂", "😂", "❤️"])
def test_other_emoji_are_no_yes(typed: str) -> None:
    assert "yes" not in intents(typed)


async def test_a_thumbs_up_with_a_skin_tone_sends_at_the_preview(engine: Engine) -> None:
    """ "👍🏻" (a thumbs-up with a skin tone, what many keyboards offer) at "send?" was
    "Mình chưa hiểu ý bạn. Gõ 1 để gửi câu hỏi nhé"."""
    t = Talker(engine, user_id="tone")
    await walk(t)
    await t.say(QUESTION)
    await t.say("👍🏻")
    assert "Mã câu hỏi" in texts(t)


async def test_a_thumbs_up_sticker_says_yes_where_yes_or_no_is_asked(engine: Engine) -> None:
    """A thumbs-up sticker (Telegram gives its emoji) at the consent and at "send?" was
    "Nhãn dán dễ thương đó! Nhưng mình chỉ đọc được chữ thôi" and the question again."""
    t = Talker(engine, user_id="sticker")
    await t.say("/start")
    await t.event(EventKind.MEDIA, media_type="sticker", emoji="👍")
    assert "Cảm ơn bạn" in texts(t) and "xã, phường" in texts(t)
    for step in ("thuc phan", "1", "Nông Thị Hoa", "bỏ qua"):
        await t.say(step)
    # At the topic list a sticker chooses nothing: said, and the list again.
    await t.event(EventKind.MEDIA, media_type="sticker", emoji="👍")
    assert "Nhãn dán" in texts(t) and "vấn đề" in texts(t).lower()
    await t.say("1")
    await t.say(QUESTION)
    # Another sticker at "send?" sends nothing.
    await t.event(EventKind.MEDIA, media_type="sticker", emoji="😂")
    assert "Nhãn dán" in texts(t) and "kiểm tra lại" in texts(t)
    await t.event(EventKind.MEDIA, media_type="sticker", emoji="👌")
    assert "Mã câu hỏi" in texts(t)


async def test_a_thumbs_up_sticker_withdraws_or_deletes_nothing(
    engine: Engine, province_app: object
) -> None:
    """Destructive yes/no questions (/rut, /xoa) need a typed answer, not a sticker."""
    t = Talker(engine, user_id="careful")
    await walk(t)
    await t.say(QUESTION)
    await t.say("1")
    await t.say("/rut")
    await t.event(EventKind.MEDIA, media_type="sticker", emoji="👍")
    assert "Nhãn dán" in texts(t) and "Rút câu hỏi" in texts(t)
    await t.say("/xoa")
    await t.event(EventKind.MEDIA, media_type="sticker", emoji="👍")
    assert "Nhãn dán" in texts(t)
    await t.say("/cauhoi")
    assert "Mã" in texts(t) or "câu hỏi" in texts(t)


# -- 3. "thôi" at the preview ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["thôi", "thoi", "thôi khỏi", "không gửi nữa", "bỏ đi", "bo di", "thôi nha", "ko"]
)
async def test_never_mind_at_the_preview_asks_to_drop_the_question(
    engine: Engine, typed: str
) -> None:
    """ "thôi" at "send?" was "Mình chưa hiểu ý bạn. Gõ 1 để gửi câu hỏi nhé": pushed to
    send what the person meant to drop ("không gửi nữa" dropped it with no way back)."""
    t = Talker(engine, user_id="never-mind")
    await walk(t)
    await t.say(QUESTION)
    await t.say(typed)
    shown = texts(t)
    assert "bỏ câu hỏi này" in shown and "gửi câu hỏi nhé" not in shown
    assert [b.label for b in t.last_prompt().choices] == ["Đúng, bỏ câu hỏi", "Không, giữ lại"]
    await t.say("không")  # keep it: the preview again, nothing lost
    assert "Mình vẫn giữ câu hỏi" in texts(t) and f"Câu hỏi: {QUESTION}" in texts(t)
    await t.say(typed)
    await t.say("1")
    assert "đã bỏ câu hỏi đó, chưa gửi" in texts(t)
    person = await engine.store.people.by_identity("test", "never-mind")
    assert person is not None
    assert await engine.store.questions.of_person(person.id) == []


@pytest.mark.parametrize("answer", ["ừ", "thôi", "bỏ đi", "👍", "đúng rồi"])
async def test_dropping_is_confirmed_in_words(engine: Engine, answer: str) -> None:
    t = Talker(engine, user_id="drop")
    await walk(t)
    await t.say(QUESTION)
    await t.say("thôi")
    await t.say(answer)
    assert "đã bỏ câu hỏi đó" in texts(t)


def test_sending_words_are_no_drop() -> None:
    for typed in ("gửi đi", "thôi gửi đi", "ok", "1", "cứ gửi"):
        assert not drops_draft(typed), typed


async def test_the_cancel_button_still_drops_at_once(engine: Engine) -> None:
    t = Talker(engine, user_id="button")
    await walk(t)
    await t.say(QUESTION)
    await t.press("Hủy")
    assert "Đã hủy" in texts(t)


async def test_dropping_in_english(engine: Engine) -> None:
    t = Talker(engine, user_id="en")
    await walk(t)
    await t.say("/ngonngu en")
    await t.say(QUESTION)
    await t.say("forget it")
    assert "Drop this question" in texts(t)
    await t.say("no")
    assert "Your question is still here." in texts(t)


# -- 4. the /sua and /rut lists -----------------------------------------------------------------------

ALIKE = "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên khởi nghiệp ở "


async def test_questions_that_start_alike_are_told_apart_in_the_lists(
    engine: Engine, clock: FakeClock
) -> None:
    """Two questions starting alike were both "ABC123: Em muốn hỏi tỉnh có chính sách gì…"
    (cut at 40 characters): now numbered in the text, long enough to differ, codes as
    buttons."""
    t = Talker(engine, user_id="lists")
    await walk(t)
    await t.say(ALIKE + "vùng cao, nhất là vay vốn ưu đãi không ạ?")
    await t.say("1")
    clock.advance(timedelta(minutes=5))
    await t.say("/hoi")
    await t.say("1")  # the topic group
    await t.say(ALIKE + "nông thôn, nhất là đất đai làm xưởng không ạ?")
    if "gần giống" in texts(t):
        await t.say("vẫn gửi câu của tôi")
    await t.say("1")
    for command, title in (("/sua", "sửa câu hỏi nào"), ("/rut", "rút câu hỏi nào")):
        await t.say(command)
        shown = texts(t)
        assert title in shown
        assert "vùng cao" in shown and "nông thôn" in shown, shown
        assert all(len(b.label) == 6 for b in t.last_prompt().choices)  # the codes
    second = next(line for line in texts(t).splitlines() if line.startswith("2. "))
    await t.say("2")
    assert f"Rút câu hỏi {second[3:9]}?" in texts(t)


def test_identical_questions_show_the_day_they_were_sent() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from storage.models import Question

    def q(code: str, text: str, day: int) -> Question:
        at = datetime(2025, 8, day, 3, 0, tzinfo=UTC)
        return Question(
            1, code, 1, 1, 1, 1, None, text, None, False, "test", "submitted", False, at, at
        )

    long = "Em muốn hỏi " + "rất " * 60 + "dài"
    shown = pick_texts(
        [q("AAAAAA", long, 1), q("BBBBBB", long, 2), q("CCCCCC", "Câu khác hẳn", 3)],
        ZoneInfo("Asia/Ho_Chi_Minh"),
    )
    assert shown[0].startswith("(01/08 10:00) ") and shown[1].startswith("(02/08 10:00) ")
    assert shown[2] == "Câu khác hẳn"
    assert all(len(s) <= PICK_CHARS + 15 for s in shown)  # a phone line or two


# -- 5. teencode ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["đc r", "dc r", "oke r", "ok r nha", "đc rồi", "uk rồi", "oke rồi ạ"]
)
async def test_teencode_done_words_send(engine: Engine, typed: str) -> None:
    """ "đc r" ("được rồi") at "send?" was "Mình chưa hiểu ý bạn"."""
    t = Talker(engine, user_id="teen")
    await walk(t)
    await t.say(QUESTION)
    await t.say(typed)
    assert "Mã câu hỏi" in texts(t)


_ = Campaign  # the campaign fixture (conftest) opens the collection


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("khác mà", "similar.different"),
        ("câu khác", "similar.different"),
        ("ko giống đâu", "similar.different"),
        ("khác hẳn", "similar.different"),
        ("giống mà", "similar.same"),
        ("đồng ý mà", "yes"),
    ],
)
def test_teencode_at_the_similar_questions(typed: str, said: str) -> None:
    """ "khác mà" ("it's different") under "Đã có bạn hỏi gần giống thế này" was "Mình
    chưa hiểu ý bạn"."""
    assert said in intents(typed)


@pytest.mark.parametrize(
    ("typed", "wanted"),
    [
        ("khi nào có kq", "when"),
        ("bh có tl", "when"),
        ("bao h có kq vậy ad", "when"),
        ("có kq chưa", "cauhoi"),
        ("đã có tl chưa ad", "cauhoi"),
    ],
)
def test_teencode_asking_about_the_answer(typed: str, wanted: str) -> None:
    """ "khi nào có kq" ("kết quả") was "Chào bạn quay lại! Gõ /hoi …"."""
    assert idle_request(typed) == wanted


@pytest.mark.parametrize("typed", ["ko bik", "k bit", "kh biết", "hok bjk"])
def test_teencode_not_knowing(typed: str) -> None:
    """ "ko bik" at the group step was "Nhóm bạn gõ chưa có trong danh sách"; at the
    unit step it was searched as a unit's name."""
    assert unsure(typed)


async def test_not_knowing_ones_group_in_teencode_skips_it(engine: Engine) -> None:
    t = Talker(engine, user_id="bik")
    await walk(t, 5)
    await t.say("k bik")
    assert "nhóm vấn đề" in texts(t)


@pytest.mark.parametrize("typed", ["thôi khỏi", "thoi khoi", "bỏ đi", "thôi"])
async def test_never_mind_when_asked_for_the_question(engine: Engine, typed: str) -> None:
    """ "thôi khỏi" when asked for the question was "Câu hỏi hơi ngắn, bạn viết rõ hơn"."""
    t = Talker(engine, user_id="no-question")
    await walk(t)
    await t.say(typed)
    assert "Đã hủy" in texts(t) and "hơi ngắn" not in texts(t)


@pytest.mark.parametrize(
    ("command", "typed"), [("/rut", "thôi"), ("/sua", "thoi khoi"), ("/sua", "ko")]
)
async def test_never_mind_under_the_lists(engine: Engine, command: str, typed: str) -> None:
    """ "thôi" under the /rut or /sua list was "Mình chưa hiểu ý bạn" and the list again."""
    t = Talker(engine, user_id="list-never-mind")
    await walk(t)
    await t.say(QUESTION)
    await t.say("1")
    await t.say("/hoi")
    await t.say("1")
    await t.say(ALIKE + "nông thôn, nhất là đất đai làm xưởng không ạ?")
    if "gần giống" in texts(t):
        await t.say("vẫn gửi câu của tôi")
    await t.say("1")
    await t.say(command)
    await t.say(typed)
    assert "các câu hỏi của bạn vẫn giữ nguyên" in texts(t)
    await t.say("1")  # no list open any more: not a pick
    assert "Rút câu hỏi" not in texts(t) and "Câu hiện tại" not in texts(t)


@pytest.mark.parametrize(
    ("typed", "step"),
    [
        ("sai tên r", "Họ và tên"),
        ("viết sai tên", "Họ và tên"),
        ("nhầm xã r", "xã, phường"),
        ("sai vấn đề", "nhóm vấn đề nào"),
        ("để e sửa", "Câu hiện tại"),
        ("gửi giùm e", "Mã câu hỏi"),
        ("gui dum", "Mã câu hỏi"),
    ],
)
async def test_what_is_wrong_at_the_preview_said_in_teencode(
    engine: Engine, typed: str, step: str
) -> None:
    """ "sai tên r", "nhầm xã r" at "send?" were "Mình chưa hiểu ý bạn. Gõ 1 để gửi câu
    hỏi nhé"; "gửi giùm e" was offered as words to add to the question."""
    t = Talker(engine, user_id="wrong")
    await walk(t)
    await t.say(QUESTION)
    await t.say(typed)
    assert step in texts(t)


async def test_not_understood_at_the_preview_does_not_push_to_send(engine: Engine) -> None:
    """ "khoan" ("wait") at "send?" was answered "Gõ 1 để gửi câu hỏi nhé" alone."""
    t = Talker(engine, user_id="wait")
    await walk(t)
    await t.say(QUESTION)
    await t.say("khoan")
    assert "Câu hỏi chưa gửi đâu" in texts(t) and "việc khác" in texts(t)


@pytest.mark.parametrize("typed", ["ko đồng ý đâu", "hok đồng ý", "k đồng ý đâu ạ"])
async def test_declining_the_consent_in_teencode(engine: Engine, typed: str) -> None:
    """ "ko đồng ý đâu" at the consent was "Mình chưa hiểu ý bạn"."""
    t = Talker(engine, user_id="decline")
    await t.say("/start")
    await t.say(typed)
    assert "Mình chưa lưu thông tin gì của bạn" in texts(t)


async def _at_the_similar_questions(province_app: App) -> Talker:
    engine = build_engine(province_app)
    first = Talker(engine, user_id="first-asker")
    await walk(first)
    await first.say(QUESTION)
    await first.say("gửi")
    t = Talker(engine, user_id="second-asker")
    await walk(t)
    await t.say(QUESTION)
    assert "Đã có bạn hỏi gần giống" in texts(t)
    return t


async def test_never_mind_under_the_similar_questions(
    province_app: App, campaign: Campaign
) -> None:
    """ "thôi" under "Đã có bạn hỏi gần giống thế này" was "Mình chưa hiểu ý bạn. Bạn gõ số
    của câu hỏi giống ý mình…"; now dropping is asked, and "không" shows the list again."""
    t = await _at_the_similar_questions(province_app)
    await t.say("thôi")
    assert "Bạn muốn bỏ câu hỏi này" in texts(t)
    await t.say("không")
    assert "Mình vẫn giữ câu hỏi" in texts(t) and "Đã có bạn hỏi gần giống" in texts(t)
    await t.say("bỏ đi")
    await t.say("1")
    assert "đã bỏ câu hỏi đó" in texts(t)


async def test_same_as_question_one_in_words(province_app: App, campaign: Campaign) -> None:
    """ "giống câu 1" under the similar questions was offered as words to add."""
    t = await _at_the_similar_questions(province_app)
    await t.say("giống câu 1")
    assert "cũng quan tâm câu hỏi" in texts(t)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("ok e", "yes"),
        ("vg", "yes"),
        ("ừa", "yes"),
        ("ukm", "yes"),
        ("uki", "yes"),
        ("đk", "yes"),
        ("oh ok", "yes"),
        ("gửi liền", "send"),
        ("gửi ngay đi e", "send"),
        ("ko đâu", "no"),
    ],
)
def test_more_teencode_answers(typed: str, said: str) -> None:
    """Each of these at a yes/no question was "Mình chưa hiểu ý bạn"."""
    assert said in intents(typed)


async def test_laughing_at_the_consent_is_no_refusal(engine: Engine) -> None:
    """ "kkk" (laughter) at the consent was read as "k" (không): consent declined, the
    person erased."""
    t = Talker(engine, user_id="laugh")
    await t.say("/start")
    await t.say("kkk")
    assert "Mình chưa lưu thông tin gì" not in texts(t) and "đồng ý" in texts(t)
    await t.say("ok")
    assert "xã, phường" in texts(t)


@pytest.mark.parametrize(
    ("typed", "said"),
    [("yup", "yes"), ("okey", "yes"), ("nah", "no"), ("nvm", "cancel"), ("cancel it", "cancel")],
)
def test_english_short_answers(typed: str, said: str) -> None:
    assert said in intents(typed)


@pytest.mark.parametrize(
    ("typed", "name"), [("hoa 2k7", "Hoa"), ("Lò Thị Hoa (2k8)", "Lò Thị Hoa")]
)
async def test_a_birth_year_in_teencode_after_the_name(
    engine: Engine, typed: str, name: str
) -> None:
    """ "hoa 2k7" (born 2007) was "Bạn gõ họ tên bằng chữ nhé": the year is left out, as
    "sinh năm 2007" is."""
    t = Talker(engine, user_id="born")
    await walk(t, 4)
    await t.say(typed)
    person = await engine.store.people.by_identity("test", "born")
    assert person is not None and person.full_name == name


@pytest.mark.parametrize(
    ("steps", "typed"), [(2, "thôi"), (3, "thôi"), (4, "thôi khỏi"), (6, "thôi")]
)
async def test_never_mind_before_the_question_is_written(
    engine: Engine, steps: int, typed: str
) -> None:
    """ "thôi" asked for the unit, the name or the topic was searched as a unit, "“thôi”
    chưa phải là họ tên" or "Mình chưa hiểu ý bạn": now cancelled, as "hủy"."""
    t = Talker(engine, user_id="before")
    await walk(t, steps)
    await t.say(typed)
    assert "Đã hủy" in texts(t)


async def test_thoi_still_skips_the_optional_group(engine: Engine) -> None:
    t = Talker(engine, user_id="group")
    await walk(t, 5)
    await t.say("thôi")
    assert "nhóm vấn đề nào" in texts(t)


@pytest.mark.parametrize("typed", ["help", "hướng dẫn", "trợ giúp"])
async def test_help_in_words_at_a_step(engine: Engine, typed: str) -> None:
    """ "help" at the topic list was "Mình chưa thấy nhóm vấn đề này trong danh sách"."""
    t = Talker(engine, user_id="help")
    await walk(t, 6)
    await t.say(typed)
    assert "/hoi" in texts(t) and "nhóm vấn đề nào" in texts(t)
    assert "chưa thấy nhóm" not in texts(t)


@pytest.mark.parametrize("name", ["Khôi", "Hồng", "Tiệp"])
async def test_given_names_spelled_like_answer_words(engine: Engine, name: str) -> None:
    """ "Khôi" (unaccented "khoi", as "khỏi") was "“Khôi” chưa phải là họ tên"."""
    t = Talker(engine, user_id="named")
    await walk(t, 4)
    await t.say(name)
    person = await engine.store.people.by_identity("test", "named")
    assert person is not None and person.full_name == name


@pytest.mark.parametrize(
    ("typed", "question"),
    [
        ("thêm vô", "Xã em có được lắp wifi"),
        ("gộp", "Xã em có được lắp wifi"),
        ("cả hai", "Xã em có được lắp wifi"),
        ("lấy câu mới", "Câu hỏi: à e quên"),
    ],
)
async def test_what_to_do_with_words_added_at_the_preview(
    engine: Engine, typed: str, question: str
) -> None:
    """ "thêm vô", "gộp", "cả hai" under "Bạn muốn làm gì với tin nhắn này?" were joined
    to the words added ("… vay vốn ko gộp") and the question asked again."""
    t = Talker(engine, user_id="amend")
    await walk(t)
    await t.say(QUESTION)
    await t.say("à e quên, cho e hỏi thêm là có hỗ trợ vay vốn ko")
    await t.say(typed)
    assert "kiểm tra lại" in texts(t) and question in texts(t)
    assert typed not in texts(t)


@pytest.mark.parametrize("typed", ["ok", "👍", "hả"])
async def test_a_reply_is_not_joined_to_the_words_added(engine: Engine, typed: str) -> None:
    """ "ok" there became part of them ("… vay vốn ko ok"), then of the question."""
    t = Talker(engine, user_id="amend-ok")
    await walk(t)
    await t.say(QUESTION)
    await t.say("à e quên, cho e hỏi thêm là có hỗ trợ vay vốn ko")
    await t.say(typed)
    assert "chưa hiểu ý bạn" in texts(t) and f"vay vốn ko {typed}" not in texts(t)
    await t.say("1")
    assert "vay vốn ko\n" not in texts(t) and f"ko {typed}" not in texts(t)


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("còn câu nữa", "nhóm vấn đề nào"),
        ("e có câu khác", "nhóm vấn đề nào"),
        ("ktra câu hỏi", "Bạn đã gửi 1 câu hỏi"),
        ("rút", "Rút câu hỏi"),
        ("xoá tk", "xóa dữ liệu"),
    ],
)
async def test_requests_in_teencode_after_sending(engine: Engine, typed: str, answer: str) -> None:
    """Each was "Chào bạn quay lại! Gõ /hoi …" ("sửa" alone already opened /sua)."""
    t = Talker(engine, user_id="after")
    await walk(t)
    await t.say(QUESTION)
    await t.say("1")
    await t.say(typed)
    assert answer in texts(t)


def test_questions_differing_only_near_the_cut_are_shown_where_they_differ() -> None:
    """Cut at 70 characters, "… tìm việc làm ở…" and "… tìm việc làm sau…" differed by
    one short word at the very end."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from storage.models import Question

    def q(code: str, text: str) -> Question:
        at = datetime(2025, 8, 1, 3, 0, tzinfo=UTC)
        return Question(
            1, code, 1, 1, 1, 1, None, text, None, False, "test", "submitted", False, at, at
        )

    start = "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm "
    shown = pick_texts(
        [
            q("AAAAAA", start + "ở vùng cao không ạ?"),
            q("BBBBBB", start + "sau khi tốt nghiệp?"),
            q("CCCCCC", "Xã em có được lắp wifi miễn phí ở nhà văn hóa không ạ?"),
        ],
        ZoneInfo("Asia/Ho_Chi_Minh"),
    )
    assert shown[0].endswith("làm ở vùng cao không ạ?") and "…" in shown[0]
    assert shown[1].endswith("làm sau khi tốt nghiệp?")
    assert shown[2] == "Xã em có được lắp wifi miễn phí ở nhà văn hóa không ạ?"
    assert all(len(s) <= PICK_CHARS for s in shown)


async def test_agreeing_and_staying_anonymous_in_one_message(engine: Engine) -> None:
    """ "đồng ý, ẩn danh nha" at the consent noted the wish and asked the consent again
    ("Bạn trả lời giúp mình câu dưới đây trước nhé"); "đồng ý nhưng e muốn giấu tên" was
    not understood."""
    for user, typed in (
        ("both-1", "đồng ý, ẩn danh nha"),
        ("both-2", "đồng ý nhưng e muốn giấu tên"),
    ):
        t = Talker(engine, user_id=user)
        await t.say("/start")
        await t.say(typed)
        assert "gửi ẩn danh" in texts(t) and "xã, phường" in texts(t)
        assert "trả lời giúp mình câu dưới đây" not in texts(t)
        for step in ("thuc phan", "1"):
            await t.say(step)
        assert "Họ và tên" not in texts(t)  # no name asked: anonymous


async def test_yes_after_politeness_at_the_consent(engine: Engine) -> None:
    """ "vâng ạ e đồng ý" was "Mình chưa hiểu ý bạn"."""
    t = Talker(engine, user_id="polite")
    await t.say("/start")
    await t.say("vâng ạ e đồng ý")
    assert "xã, phường" in texts(t)


@pytest.mark.parametrize(
    "typed",
    [
        "ai sẽ xem được câu hỏi của em vậy ạ?",
        "thông tin của em có bị lộ ra ngoài không ạ",
        "ok nhưng ai xem đc câu hỏi v",
        "có an toàn ko ad",
        "lưu bao lâu v",
    ],
)
async def test_a_question_about_the_notice_at_the_consent(engine: Engine, typed: str) -> None:
    """ "ai sẽ xem được câu hỏi của em vậy ạ?" at the consent was kept as the person's
    question for the chair ("Mình đã giữ lại câu hỏi bạn vừa gửi"); shorter ones were
    "Mình chưa hiểu ý bạn". The notice answers them: shown whole again."""
    t = Talker(engine, user_id="privacy")
    await t.say("/start")
    await t.say(typed)
    assert "Người xem:" in texts(t) and "đã giữ lại câu hỏi" not in texts(t)
    await t.say("đồng ý")
    for step in ("thuc phan", "1", "Hoa", "bỏ qua", "1"):
        await t.say(step)
    assert "Bạn viết câu hỏi" in texts(t)  # nothing kept as the question


async def test_a_question_on_safety_for_the_chair_is_still_kept(engine: Engine) -> None:
    t = Talker(engine, user_id="safety")
    await t.say("/start")
    await t.say("Em muốn hỏi về an toàn thực phẩm trường học ạ")
    assert "đã giữ lại câu hỏi" in texts(t)


@pytest.mark.parametrize("typed", ["ko phải", "sai r", "nhầm", "ko, e ở xã khác", "không đúng"])
async def test_not_the_unit_of_the_poster(engine: Engine, typed: str) -> None:
    """Asked "Bạn thuộc Phường Thục Phán phải không?" (a unit's poster), "ko phải", "sai
    r" were searched as units ("Mình chưa tìm thấy đơn vị nào giống "ko phải"") and the
    same question asked again."""
    t = Talker(engine, user_id="poster")
    await t.say("/start u-w01273")
    await t.say("đồng ý")
    assert "phải không?" in texts(t)
    await t.say(typed)
    assert "Bạn đang sinh hoạt, học tập hoặc làm việc ở đâu?" in texts(t)
    assert "chưa tìm thấy" not in texts(t)


@pytest.mark.parametrize("typed", ["ok", "👍", "dạ", "oke nha"])
async def test_an_ok_after_the_receipt_is_no_welcome_back(engine: Engine, typed: str) -> None:
    """ "ok" right after "Đã nhận câu hỏi của bạn" was answered "Chào bạn quay lại!"."""
    t = Talker(engine, user_id="ack")
    await walk(t)
    await t.say(QUESTION)
    await t.say("1")
    await t.say(typed)
    assert texts(t).startswith("Dạ!") and "quay lại" not in texts(t)


@pytest.mark.parametrize(
    ("typed", "withdrawn"),
    [
        ("rút đi", True),
        ("ừ rút", True),
        ("xóa đi", True),
        ("ko rút nữa", False),
        ("thôi khỏi rút", False),
        ("để đó", False),
        ("hủy", False),
    ],
)
async def test_withdrawing_said_in_words(engine: Engine, typed: str, withdrawn: bool) -> None:
    """Asked "Rút câu hỏi …?", "rút đi", "ko rút nữa", "để đó" were "Mình chưa hiểu ý bạn"."""
    t = Talker(engine, user_id="withdraw")
    await walk(t)
    await t.say(QUESTION)
    await t.say("1")
    await t.say("/rut")
    await t.say(typed)
    assert ("Đã rút câu hỏi" in texts(t)) is withdrawn
    assert "chưa hiểu ý bạn" not in texts(t)


@pytest.mark.parametrize(
    ("typed", "deleted"),
    [
        ("xóa đi", True),
        ("ừ xóa", True),
        ("ko xóa nữa", False),
        ("thôi khỏi xóa", False),
        ("để đó", False),
    ],
)
async def test_deleting_ones_data_said_in_words(engine: Engine, typed: str, deleted: bool) -> None:
    """Asked by /xoa "Bạn muốn rút lại đồng ý và xóa dữ liệu của mình?", "xóa đi" and
    "ko xóa nữa" were "Mình chưa hiểu ý bạn"."""
    t = Talker(engine, user_id="delete")
    await walk(t)
    await t.say("/xoa")
    await t.say(typed)
    assert ("Đã xóa dữ liệu" in texts(t)) is deleted
    assert "chưa hiểu ý bạn" not in texts(t)
