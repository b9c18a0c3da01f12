"""A person who blocked the bot on their only app still gets the answers published
meanwhile once they come back (at least once, quoting their own code and words), through
the real Zalo and Telegram adapters against the fakes on 127.0.0.1, on real databases.
Broadcasts they missed are not sent on their return (see storage.outbox.KEPT_FOR_RETURN)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.telegram import TelegramChannel
from bot.delivery.outbox import OutboxSender
from handlers.answers import publish, save_answer
from handlers.broadcast import plan_broadcast, start_broadcast
from storage.models import Campaign, NewQuestion, Question
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloApi
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.test_outbox import drain, young_people
from tests.test_telegram_adapter import member_update
from tests.test_telegram_support import TOKEN, options, running, settle, telegram_app
from tests.test_zalo_channel import USER, Bot

JOBS = "Tỉnh có hỗ trợ thanh niên học nghề miễn phí không ạ?"
ANSWER = "Có. Trung tâm dịch vụ việc làm tỉnh mở lớp học nghề miễn phí mỗi quý."


@pytest.fixture
async def zalo_api() -> AsyncIterator[FakeZaloApi]:
    async with FakeZaloApi(max_poll_seconds=1) as fake:
        yield fake


@pytest.fixture
async def tg_api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


async def asked(app: App, campaign: Campaign, person_id: int, channel: str) -> Question:
    unit = await app.store.units.by_code("w01273")
    assert unit is not None
    topic = next(t for t in await app.store.campaigns.topics(campaign.id) if "việc làm" in t.name)
    return await app.store.questions.create(
        NewQuestion(
            campaign_id=campaign.id,
            person_id=person_id,
            unit_id=unit.id,
            topic_id=topic.id,
            category=None,
            text=JOBS,
            asker_name="Nông Thị Hoa",
            anonymous=False,
            channel=channel,
            late=False,
        ),
        now=app.clock.now(),
    )


async def answer(app: App, question: Question) -> None:
    await save_answer(app.store, question, ANSWER, now=app.clock.now(), by="Sở Nội vụ", source="t")
    fresh = await app.store.questions.get(question.id)
    assert fresh is not None
    await publish(app.store, [fresh], now=app.clock.now())


def is_answer(text: str, question: Question) -> bool:
    return question.code in text and JOBS in text and ANSWER in text


async def test_an_answer_published_while_blocked_on_zalo_arrives_when_they_write_again(
    province_app: App, campaign: Campaign, zalo_api: FakeZaloApi
) -> None:
    """Zalo is their only app and they blocked the bot (a 403 marked it): the answer
    published meanwhile was never queued, and writing again brought nothing. Now it is
    kept, and sent once they write; the broadcast they missed is not."""
    app = province_app
    store = app.store
    async with Bot(app, zalo_api) as bot:
        await bot.say("/start")
        person = await store.people.by_identity("zalo", USER)
        assert person is not None
        question = await asked(app, campaign, person.id, "zalo")
        zalo_api.block(USER)
        await bot.say("1")  # the reply is refused: they blocked the bot
        person = await store.people.by_identity("zalo", USER)
        assert person is not None and person.unreachable

        await answer(app, question)
        plan = await plan_broadcast(store, campaign, "youth")
        await start_broadcast(
            store, plan, "Hạn gửi câu hỏi: 05/08", author_id=None, now=app.clock.now()
        )
        sender = OutboxSender(store, {"zalo": bot.channel}, app.clock)
        await drain(sender, app)
        assert not any(is_answer(t, question) for t in bot.texts())

        zalo_api.blocked_chats.discard(USER)
        before = len(zalo_api.sent)
        await bot.say("chào bạn")  # they come back
        await drain(sender, app)
        texts = bot.texts(since=before)
        assert sum(is_answer(t, question) for t in texts) == 1, texts
        assert not any("Hạn gửi câu hỏi" in t for t in texts)  # past: not kept
        assert "Câu hỏi " + question.code + " của bạn đã có trả lời" in texts[-1]
        await drain(sender, app)
    assert sum(is_answer(t, question) for _, t in zalo_api.sent) == 1


async def test_an_answer_refused_by_a_403_arrives_when_they_come_back_on_telegram(
    province_app: App,
    campaign: Campaign,
    tg_api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer was queued while Telegram (their only app) worked, then refused with
    403 (they blocked the bot between): it stayed 'blocked' for good. Now it goes when
    they unblock the bot and write."""
    app = telegram_app(province_app, tg_api, monkeypatch)
    [person] = await young_people(app, 1)
    question = await asked(app, campaign, person, "telegram")
    await answer(app, question)
    tg_api.block_chat(5000)
    channel = TelegramChannel(app, build_engine(app), options=options())
    async with running(channel):
        sender = OutboxSender(app.store, {"telegram": channel}, app.clock)
        await drain(sender, app)
        assert await app.store.outbox.counts() == {"blocked": 1}
        found = await app.store.people.get(person)
        assert found is not None and found.unreachable
        # Published while they are away, a second answer (a supported question) waits too.
        other = await asked(app, campaign, person, "telegram")
        await answer(app, other)

        tg_api.unblock_chat(5000)  # they come back: Telegram says so, then they write
        tg_api.push_raw(member_update(5000, "member"))
        tg_api.push_message(5000, "xin chào")
        await settle(tg_api, channel)
        await drain(sender, app)
    texts = tg_api.sent_texts(5000)
    assert sum(is_answer(t, question) for t in texts) == 1, texts
    assert sum(is_answer(t, other) for t in texts) == 1, texts
    assert tg_api.duplicate_deliveries() == {}
    assert (await app.store.outbox.counts()).get("blocked", 0) == 0


async def test_kept_answers_go_to_the_app_they_come_back_on(
    province_app: App, campaign: Campaign
) -> None:
    """Blocked on both apps (/lienket linked them): the answer is kept on the preferred one
    and goes to whichever they come back on, whole."""
    store = province_app.store
    now = province_app.clock.now()
    tg, _ = await store.people.get_or_create(
        channel="telegram",
        external_id="5000",
        chat_id="5000",
        display_name=None,
        language="vi",
        now=now,
    )
    zl, _ = await store.people.get_or_create(
        channel="zalo", external_id=USER, chat_id=USER, display_name=None, language="vi", now=now
    )
    await store.people.merge(zl.id, tg.id)
    await store.people.set_blocked("telegram", "5000", blocked=True)
    await store.people.set_blocked("zalo", USER, blocked=True)
    question = await asked(province_app, campaign, tg.id, "telegram")
    await answer(province_app, question)
    [row] = await store.db.fetchall("SELECT status, channel FROM outbox")
    assert (row["status"], row["channel"]) == ("blocked", "telegram")
    await store.people.set_blocked("zalo", USER, blocked=False)
    [row] = await store.db.fetchall("SELECT status, channel, chat_id FROM outbox")
    assert (row["status"], row["channel"], row["chat_id"]) == ("pending", "zalo", USER)


async def test_writing_on_telegram_brings_the_kept_answer_without_my_chat_member(
    province_app: App,
    campaign: Campaign,
    tg_api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Telegram's "member again" update did not come through (given up when the database
    refused it, as a polled update is): their next message alone did not mark them
    reachable, so the kept answer, and every later one, never went. Writing is enough."""
    app = telegram_app(province_app, tg_api, monkeypatch)
    [person] = await young_people(app, 1)
    question = await asked(app, campaign, person, "telegram")
    await app.store.people.set_blocked("telegram", "5000", blocked=True)
    await answer(app, question)
    channel = TelegramChannel(app, build_engine(app), options=options())
    async with running(channel):
        sender = OutboxSender(app.store, {"telegram": channel}, app.clock)
        tg_api.push_message(5000, "/trogiup")
        await settle(tg_api, channel)
        await drain(sender, app)
    assert sum(is_answer(t, question) for t in tg_api.sent_texts(5000)) == 1
    found = await app.store.people.get(person)
    assert found is not None and not found.unreachable
