"""One person, two channels: /lienket codes link a Zalo and a Telegram identity."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.clock import FakeClock
from handlers.engine import Engine
from handlers.linking import MAX_FAILURES, hash_code, normalize_code
from storage.models import Campaign
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(
        province_app,
        title="Đối thoại giữa Chủ tịch UBND tỉnh với thanh niên năm 2025",
        dialogue=date(2025, 8, 28),
    )


@pytest.fixture
def engine(province_app: App, campaign: Campaign) -> Engine:
    return build_engine(province_app)


def zalo(engine: Engine, user: str = "a1b2c3d4e5") -> Talker:
    return Talker(engine, user_id=user, channel="zalo", language=None)


def telegram(engine: Engine, user: str = "424242") -> Talker:
    return Talker(engine, user_id=user, channel="telegram", language="vi")


async def ask_one_question(t: Talker) -> str:
    await t.say("/start")
    await t.say("1")
    await t.say("thuc phan")
    await t.say("1")
    await t.say("Nông Thị Hoa")
    await t.say("4")
    await t.say("nghe nghiep viec lam")
    await t.say("Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?")
    await t.say("1")
    assert "Mã câu hỏi" in t.last_text
    return t.last_text.split("Mã câu hỏi: ")[1][:6]


async def code_from(t: Talker) -> str:
    await t.say("/lienket")
    assert "Bạn đồng ý liên kết không?" in t.last_text
    await t.say("1")  # "Đồng ý liên kết"
    match = re.search(r"Mã liên kết của bạn: (\d{6})", t.last_text)
    assert match is not None, t.last_text
    return match.group(1)


def test_codes_are_normalised_and_hashed() -> None:
    assert normalize_code(" 123 456 ") == "123456"
    assert normalize_code("123-456") == "123456"
    assert normalize_code("12345") is None
    assert normalize_code("abcdef") is None
    assert hash_code("123456") != "123456" and len(hash_code("123456")) == 64


async def test_zalo_question_follows_to_telegram(engine: Engine, province_app: App) -> None:
    store = province_app.store
    z = zalo(engine)
    code = await ask_one_question(z)
    link = await code_from(z)
    assert "Trên Telegram" in z.last_text and f"/lienket {link}" in z.last_text
    assert "15 phút" in z.last_text
    # Only the hash is stored.
    row = await store.db.fetchone("SELECT * FROM link_codes")
    assert row is not None and link not in tuple(row) and row["code_hash"] == hash_code(link)

    t = telegram(engine)
    await t.say("/start")  # a new person on Telegram, asked for consent
    await t.say("/tatnhacnho")  # opted out of reminders on Telegram
    zalo_person = await store.people.by_identity("zalo", z.user_id)
    assert zalo_person is not None
    await t.say(f"/lienket {link[:3]} {link[3:]}")
    assert "Đừng nhập mã do người khác đưa" in t.last_text  # asked before anything joins
    await t.say("1")
    assert "Đã liên kết xong" in t.last_text and "Zalo" in t.last_text
    # The issuing app hears of it; the opt-out holds for the linked person.
    notice = await store.db.fetchone("SELECT channel, body FROM outbox WHERE kind = 'notice'")
    assert notice is not None and notice["channel"] == "zalo" and "Telegram" in notice["body"]
    assert await store.people.reminders_opt_out(zalo_person.id)

    tg_person = await store.people.by_identity("telegram", t.user_id)
    assert tg_person is not None and tg_person.id == zalo_person.id
    assert {i.channel for i in await store.people.identities(zalo_person.id)} == {
        "zalo",
        "telegram",
    }
    await t.say("/cauhoi")
    assert code in t.last_text
    # The Telegram side keeps the consent, unit and name given on Zalo: straight to topics.
    await t.say("/hoi")
    assert "nhóm vấn đề" in t.last_text
    [entry] = await store.audit.entries(action="identity.link")
    assert entry.actor_id == zalo_person.id and entry.detail["issued_on"] == "zalo"

    # The code works once.
    other = telegram(engine, user="777")
    await other.say(f"/lienket {link}")
    assert "đã được dùng" in other.last_text


async def test_telegram_deep_link_carries_the_code(engine: Engine, province_app: App) -> None:
    t = telegram(engine)
    await t.say("/start")
    await t.say("1")  # consent on Telegram
    link = await code_from(t)
    assert "Trên Zalo" in t.last_text
    z = zalo(engine)
    await z.say(f"/start l-{link}")  # works from a deep link too (and as /link on Zalo)
    await z.say("1")
    assert "Đã liên kết xong" in z.last_text
    person = await province_app.store.people.by_identity("telegram", t.user_id)
    assert person is not None
    assert await province_app.store.people.by_identity("zalo", z.user_id) == person


async def test_profile_gaps_are_filled_from_the_other_identity(
    engine: Engine, province_app: App
) -> None:
    z = zalo(engine)
    await ask_one_question(z)  # name, unit and category known on Zalo
    t = telegram(engine)
    await t.say("/start")
    link = await code_from(t)  # the (empty) Telegram person issues the code
    await z.say(f"/link {link}")
    await z.say("đồng ý")
    assert "Đã liên kết xong" in z.last_text
    person = await province_app.store.people.by_identity("telegram", t.user_id)
    assert person is not None
    assert person.full_name == "Nông Thị Hoa" and person.category == "students"
    assert person.unit_id is not None
    assert len(await province_app.store.questions.of_person(person.id)) == 1


async def test_wrong_expired_and_same_channel_codes(
    engine: Engine, province_app: App, clock: FakeClock
) -> None:
    z = zalo(engine)
    link = await code_from(z)
    await z.say(f"/lienket {link}")  # typed back on Zalo
    assert "cần gửi trên Telegram" in z.last_text

    t = telegram(engine)
    wrong = f"{(int(link) + 1) % 1_000_000:06d}"
    await t.say(f"/lienket {wrong}")
    assert "chưa đúng" in t.last_text
    await t.say("/lienket abc")
    assert "chưa đúng" in t.last_text

    clock.advance(timedelta(minutes=16))
    await t.say(f"/lienket {link}")
    assert "hết hạn" in t.last_text
    failed = await province_app.store.audit.entries(action="identity.link_failed")
    assert [e.detail["reason"] for e in reversed(failed)] == ["wrong", "wrong", "expired"]
    assert await province_app.store.people.by_identity("telegram", t.user_id) != (
        await province_app.store.people.by_identity("zalo", z.user_id)
    )


async def test_a_new_code_replaces_the_old_one(engine: Engine) -> None:
    z = zalo(engine)
    first = await code_from(z)
    second = await code_from(z)
    t = telegram(engine)
    if first != second:
        await t.say(f"/lienket {first}")
        assert "chưa đúng" in t.last_text
    await t.say(f"/lienket {second}")
    await t.say("1")
    assert "Đã liên kết xong" in t.last_text


async def test_guessing_is_rate_limited(
    engine: Engine, province_app: App, clock: FakeClock
) -> None:
    z = zalo(engine)
    link = await code_from(z)
    t = telegram(engine)
    wrong = f"{(int(link) + 1) % 1_000_000:06d}"
    for _ in range(MAX_FAILURES):
        await t.say(f"/lienket {wrong}")
        assert "chưa đúng" in t.last_text
    await t.say(f"/lienket {link}")  # even the right code is refused now
    assert "sai mã nhiều lần" in t.last_text
    assert len(await province_app.store.audit.entries(action="identity.link_limited")) == 1
    clock.advance(timedelta(minutes=61))
    link = await code_from(z)
    await t.say(f"/lienket {link}")
    await t.say("1")
    assert "Đã liên kết xong" in t.last_text


async def test_already_linked_and_conflicting_identities(engine: Engine) -> None:
    z = zalo(engine)
    t = telegram(engine)
    await t.say(f"/lienket {await code_from(z)}")
    await t.say("1")
    assert "Đã liên kết xong" in t.last_text
    await t.say(f"/lienket {await code_from(z)}")
    assert "đã được liên kết rồi" in t.last_text

    # Another Telegram account cannot take over the same Zalo person.
    intruder = telegram(engine, user="999")
    await intruder.say(f"/lienket {await code_from(z)}")
    assert "tài khoản Telegram khác" in intruder.last_text


async def test_linking_mid_draft_keeps_the_flow(engine: Engine) -> None:
    z = zalo(engine)
    await z.say("/start")
    link = await code_from(z)
    repeated = z.transcript[-1][1][-1]  # the consent prompt is asked again after the code
    assert repeated.choices and repeated.choices[0].label == "Mình đồng ý"
    assert "Trước khi gửi" not in repeated.text  # its short wording, not the whole notice
    t = telegram(engine)
    await t.say(f"/lienket {link}")
    await t.say("1")
    assert "Đã liên kết xong" in t.last_text
    await z.say("1")  # the Zalo conversation goes on
    assert "xã, phường" in z.last_text


async def test_english_speakers_get_english(engine: Engine) -> None:
    t = Talker(engine, user_id="555", channel="telegram", language="en")
    await t.say("/language en")
    await t.say("/link")
    assert "Do you agree to link them?" in t.last_text and "/deletedata" in t.last_text
    await t.say("yes")
    assert "Your link code" in t.last_text and "On Zalo, send the bot: /link" in t.last_text


async def test_no_code_before_the_person_agrees_to_link(engine: Engine, province_app: App) -> None:
    """Linking joins two identities' data: what is joined and who sees it is said first,
    and no code exists until the person says yes."""
    store = province_app.store
    z = zalo(engine)
    await z.say("/lienket")  # the very first message, nothing agreed yet
    assert not re.search(r"\d{6}", z.last_text)
    for words in ("Câu hỏi, họ tên, đơn vị", "xem, sửa, rút được câu hỏi", "/xoa"):
        assert words in z.last_text
    assert await store.db.fetchval("SELECT COUNT(*) FROM link_codes") == 0
    await z.say("2")  # "Không liên kết"
    assert "Mình không liên kết gì" in z.last_text
    assert await store.db.fetchval("SELECT COUNT(*) FROM link_codes") == 0
    assert len(await store.audit.entries(action="consent.link_declined")) == 1

    link = await code_from(z)
    [agreed] = await store.audit.entries(action="consent.link")
    assert agreed.detail["purpose"] == "issue"
    assert await store.db.fetchval("SELECT COUNT(*) FROM link_codes") == 1
    assert link


async def test_a_code_joins_nothing_before_its_typer_agrees(
    engine: Engine, province_app: App
) -> None:
    """Someone types a code a stranger gave them: warned, and nothing of theirs moves
    to the stranger (questions, name) unless they agree."""
    store = province_app.store
    stranger = telegram(engine, user="31337")
    await stranger.say("/start")
    link = await code_from(stranger)
    victim = zalo(engine)
    code = await ask_one_question(victim)
    await victim.say(f"/lienket {link}")
    assert "Đừng nhập mã do người khác đưa" in victim.last_text
    assert "tài khoản Telegram đã tạo mã" in victim.last_text
    await stranger.say("/cauhoi")
    assert code not in stranger.last_text
    await victim.say("không")
    assert "vẫn riêng như cũ" in victim.last_text
    mine = await store.people.by_identity("zalo", victim.user_id)
    theirs = await store.people.by_identity("telegram", stranger.user_id)
    assert mine is not None and theirs is not None and mine.id != theirs.id
    assert len(await store.questions.of_person(theirs.id)) == 0
    assert await store.audit.entries(action="identity.link") == []


async def test_a_code_replaced_while_its_typer_reads(engine: Engine) -> None:
    z = zalo(engine)
    first = await code_from(z)
    t = telegram(engine)
    await t.say(f"/lienket {first}")
    second = await code_from(z)  # a new code replaces the one being read about
    await t.say("1")
    if first != second:
        assert "chưa đúng" in t.last_text
    await t.say(f"/lienket {second}")
    await t.say("1")
    assert "Đã liên kết xong" in t.last_text


async def test_a_question_half_written_comes_back_after_the_code(engine: Engine) -> None:
    z = zalo(engine)
    await z.say("/start")
    await z.say("1")
    await z.say("thuc phan")
    await z.say("1")
    await z.say("Nông Thị Hoa")  # now asked for the category
    await z.say("/lienket")
    await z.say("1")
    assert "Mã liên kết của bạn" in z.transcript[-1][1][0].text
    await z.say("4")  # the category step goes on
    assert "nhóm vấn đề" in z.last_text


async def test_the_buttons_of_the_step_shown_again_work(engine: Engine) -> None:
    t = telegram(engine)
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")  # the units found, as buttons
    await t.say("/lienket")
    await t.press("Đồng ý liên kết")
    assert "Mã liên kết của bạn" in t.transcript[-1][1][0].text
    await t.press("Thục Phán")  # a button of the step shown again after the code
    assert "họ tên" in t.last_text.lower() or "tên" in t.last_text, t.last_text
    await t.say("/lienket")
    await t.press("Không liên kết")
    assert "vẫn riêng như cũ" in t.transcript[-1][1][0].text


async def test_a_question_typed_at_the_link_prompt_is_kept(engine: Engine) -> None:
    """Words typed instead of yes or no: nothing is linked, and a question goes where it
    would have gone (it was 'Mình chưa hiểu ý bạn' and lost)."""
    z = zalo(engine)
    await z.say("/start")
    await z.say("1")
    await z.say("/lienket")
    await z.say("hmm")
    assert "chưa hiểu" in z.last_text and "liên kết" in z.last_text
    await z.say("Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?")
    said = "\n".join(r.text for r in z.transcript[-1][1])
    assert "Mình không liên kết gì" in said and "giữ lại câu hỏi" in said, said
    assert "xã, phường" in z.last_text  # the unit step again, the question kept
