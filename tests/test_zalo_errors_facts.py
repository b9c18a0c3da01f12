"""Zalo error answers and what they cost (nothing, unless the person cannot be reached).

Through the fake Zalo Bot API on 127.0.0.1, the real engine and SQLite. The facts relied on
(``../shared/CHANNELS.md``): every answer is ``{ok, result, description, error_code}``; the
token is part of every URL (so a wrong token or API address answers 401 or 404 whichever
method is called); 429 "Quota exceeded" exists; ``text`` is 1-2,000 characters. The platform
documents no code for a blocked person: the 403 to a send (as on Telegram) is what marks
them; any other code is not proof that a message or a person is at fault, so nothing is
given up because of it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.application.app import App
from bot.campaign.setup import create_campaign
from bot.channels.base import (
    ChannelBlocked,
    ChannelPermanentError,
    ChannelTransientError,
    ChannelUnauthorized,
)
from bot.channels.zalo_client import ZaloClient, ZaloForbidden, ZaloUnauthorized
from bot.delivery.outbox import OutboxSender
from handlers.delivery import queue_for_person
from handlers.events import Reply
from tests.fakes.zalo_api import FakeZaloApi
from tests.test_outbox import drain
from tests.test_zalo_channel import FAST, USER, Bot, wait_until

OPTIONS = replace(FAST, token_probe_interval=0.05)


@pytest.fixture
async def api() -> AsyncIterator[FakeZaloApi]:
    async with FakeZaloApi(max_poll_seconds=1) as fake:
        yield fake


@pytest.fixture
async def zalo_app(province_app: App) -> App:
    await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    return province_app


def operator_lines(caplog: pytest.LogCaptureFixture, needle: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and needle in r.getMessage()
    ]


async def test_a_404_on_a_send_pauses_the_channel_and_the_answer_arrives(
    zalo_app: App, api: FakeZaloApi, caplog: pytest.LogCaptureFixture
) -> None:
    """A 404 (the token or the API address is wrong) was taken as a refusal of the message:
    the answer to /start was skipped. Now the channel pauses, says once what to fix, and the
    answer goes once the platform takes the token again."""
    with caplog.at_level(logging.INFO):
        async with Bot(zalo_app, api, options=OPTIONS) as bot:
            api.fail_next("sendMessage", 404)
            text = await bot.say("/start")
            assert "Mình đồng ý" in text
            assert bot.channel.health()["ok"]
    assert [r.status for r in api.calls("sendMessage")][:2] == [404, 200]
    lines = operator_lines(caplog, "ZALO_BOT_TOKEN")
    assert len(lines) == 1 and "ZALO_API_BASE_URL" in lines[0], lines
    assert not any("dropped" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("status", "with_code"),
    [(418, True), (200, False)],
    ids=["unknown-code", "ok-false-without-code"],
)
async def test_an_unknown_error_keeps_the_answer(
    zalo_app: App,
    api: FakeZaloApi,
    caplog: pytest.LogCaptureFixture,
    status: int,
    with_code: bool,
) -> None:
    """An error code we do not know (or ``ok: false`` without one) dropped the answer."""
    with caplog.at_level(logging.INFO):
        async with Bot(zalo_app, api, options=OPTIONS) as bot:
            api.fail_next("sendMessage", status, times=2, with_code=with_code)
            text = await bot.say("/start")
            assert "Mình đồng ý" in text
    lines = operator_lines(caplog, "does not know")
    assert len(lines) == 1 and "ZALO_BOT_TOKEN" in lines[0], lines


async def test_outbox_keeps_messages_through_a_404_and_an_unknown_code(
    zalo_app: App, api: FakeZaloApi
) -> None:
    """The outbox marked an answer 'failed' on a 404 or an unknown code."""
    app, store = zalo_app, zalo_app.store
    async with Bot(zalo_app, api, options=OPTIONS) as bot:
        await bot.say("/start")
        person = await store.people.by_identity("zalo", USER)
        assert person is not None
        sender = OutboxSender(store, {"zalo": bot.channel}, app.clock)
        await queue_for_person(
            store, person.id, Reply("Câu trả lời A"), kind="answer", now=app.clock.now()
        )
        api.fail_next("sendMessage", 404)
        await sender.drain_once()
        assert (await store.outbox.counts()).get("failed") is None
        await wait_until(lambda: not bot.channel.health()["token_refused"])
        app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
        await drain(sender, app)
        await queue_for_person(
            store, person.id, Reply("Câu trả lời B"), kind="answer", now=app.clock.now()
        )
        api.fail_next("sendMessage", 418)
        await sender.drain_once()
        assert (await store.outbox.counts()).get("failed") is None
        app.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
        await drain(sender, app)
        assert await store.outbox.counts() == {"sent": 2}
        assert "Câu trả lời A" in bot.texts() and "Câu trả lời B" in bot.texts()


async def test_deliver_maps_refusals_by_what_they_mean(zalo_app: App, api: FakeZaloApi) -> None:
    async with Bot(zalo_app, api, options=OPTIONS) as bot:
        await bot.say("/start")
        api.fail_next("sendMessage", 404)
        with pytest.raises(ChannelUnauthorized):
            await bot.channel.deliver(USER, Reply("x"))
        await wait_until(lambda: not bot.channel.health()["token_refused"])
        api.fail_next("sendMessage", 418)
        with pytest.raises(ChannelTransientError):
            await bot.channel.deliver(USER, Reply("y"))
        api.block(USER)
        with pytest.raises(ChannelBlocked):
            await bot.channel.deliver(USER, Reply("z"))


async def test_a_long_message_refused_as_malformed_goes_in_shorter_parts(
    zalo_app: App, api: FakeZaloApi, caplog: pytest.LogCaptureFixture
) -> None:
    """The platform may count its 2,000 characters otherwise than we do: a long text it
    refuses (400) was dropped; now it goes in two parts. A short one it refuses is one
    ERROR line (never silent)."""
    sentence = "Tỉnh hỗ trợ thanh niên học nghề miễn phí mỗi quý tại trung tâm dịch vụ việc làm. "
    long_text = (sentence * 20).strip()
    async with Bot(zalo_app, api, options=OPTIONS) as bot:
        await bot.say("/start")
        before = len(api.sent)
        api.fail_next("sendMessage", 400, description="Bad Request: text is too long")
        await bot.channel.deliver(USER, Reply(long_text))
        parts = bot.texts(since=before)
        assert len(parts) == 2 and " ".join(parts) == long_text
        with caplog.at_level(logging.ERROR):
            api.fail_next("sendMessage", 400)
            with pytest.raises(ChannelPermanentError):
                await bot.channel.deliver(USER, Reply("ngắn"))
        assert len(operator_lines(caplog, "refused as malformed")) == 1


async def test_a_403_to_a_call_that_names_nobody_is_the_token(api: FakeZaloApi) -> None:
    """A 403 to getMe was taken as 'a person blocked the bot'."""
    async with ZaloClient(api.token, base_url=api.base_url) as client:
        api.fail_next("getMe", 403)
        with pytest.raises(ZaloUnauthorized):
            await client.get_me()
        api.fail_next("getMe", 404)
        with pytest.raises(ZaloUnauthorized):
            await client.get_me()
        api.block(USER)
        with pytest.raises(ZaloForbidden):
            await client.send_message(USER, "x")


async def test_a_chat_that_answers_404_again_while_the_token_works_is_unreachable(
    zalo_app: App, api: FakeZaloApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Should the platform answer 404 for one chat it does not know, pausing every chat at
    each try of it would be endless: the second 404 of that chat, once getMe works, marks
    that person unreachable (kept for their return) instead; the others go on."""
    store = zalo_app.store
    async with Bot(zalo_app, api, options=OPTIONS) as bot:
        await bot.say("/start")
        api.fail_next("sendMessage", 404, times=2)
        with pytest.raises(ChannelUnauthorized):
            await bot.channel.deliver(USER, Reply("x"))
        await wait_until(lambda: not bot.channel.health()["token_refused"])
        with caplog.at_level(logging.ERROR), pytest.raises(ChannelBlocked):
            await bot.channel.deliver(USER, Reply("y"))
        person = await store.people.by_identity("zalo", USER)
        assert person is not None and person.unreachable
        assert len(operator_lines(caplog, "although the bot token works")) == 1
        assert not bot.channel.health()["token_refused"]
