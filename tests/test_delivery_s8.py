"""Delivery, eighth session: the conclusion notice of a large campaign is queued in bounded
batches (chats are answered meanwhile) and a kill -9 between two batches loses nobody and
doubles nobody; real SQLite files, a real subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.application.app import App
from bot.application.scheduler import run_tick
from bot.campaign import conclusion
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.clock import FakeClock
from storage.models import Campaign
from tests.followup import question, support

ROOT = Path(__file__).resolve().parents[1]
DIALOGUE = date(2025, 8, 28)
AFTER = datetime(2025, 8, 29, 3, 0, tzinfo=UTC)


def killed_at(module: str, batch: str, size: int, call: int, argv: list[str]) -> str:
    """A script running ``youthbot`` with ``argv`` whose ``module`` queues in batches of
    ``size`` (its constant ``batch``), killed (SIGKILL, as kill -9) when it starts
    queueing batch number ``call``: the batches before it are committed."""
    package, _, name = module.rpartition(".")
    return f"""
import os, signal, sys
from {package} import {name} as target
target.{batch} = {size}
original = target.queue_each
calls = 0
async def dying(*args, **kwargs):
    global calls
    calls += 1
    if calls == {call}:
        os.kill(os.getpid(), signal.SIGKILL)
    return await original(*args, **kwargs)
target.queue_each = dying
from bot.cli import main
sys.exit(main({argv!r}))
"""


#: ``youthbot conclusion publish`` with batches of 3 messages, killed at its fourth batch:
#: the first three are committed (the four told the chair's answer in two, then three of
#: the seven told that theirs waits).
KILLED_PUBLISH = killed_at(
    "bot.campaign.conclusion", "QUEUE_BATCH", 3, 4, ["conclusion", "publish"]
)


def killed(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by a Python of its own on the test's database (``YOUTHBOT_DB``)."""
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def killed_publish() -> int:
    return (await asyncio.to_thread(killed, KILLED_PUBLISH)).returncode


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(province_app, title="Đối thoại 2025", dialogue=DIALOGUE)


async def eleven_askers(app: App, campaign: Campaign) -> list[int]:
    """Ten askers and one supporter; the chair answers three questions, seven wait."""
    asked = [
        await question(app, campaign, f"asker{n}", f"Câu hỏi số {n} về việc làm cho thanh niên?")
        for n in range(10)
    ]
    fan = await support(app, asked[0], "fan")
    await conclusion.record_answer(
        app.store,
        campaign,
        asked[0].code,
        "Tỉnh tổ chức hội chợ việc làm mỗi quý.",
        also=[asked[1].code, asked[2].code],
        now=app.clock.now(),
    )
    return [q.person_id for q in asked if q.person_id is not None] + [fan]


async def notices(app: App) -> dict[int, int]:
    rows = await app.store.db.fetchall(
        "SELECT person_id, count(*) AS n FROM outbox WHERE kind = 'conclusion' GROUP BY person_id"
    )
    return {r["person_id"]: r["n"] for r in rows}


async def test_kill_9_between_batches_loses_nobody_and_a_rerun_doubles_nobody(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    app = province_app
    people = await eleven_askers(app, campaign)

    assert await killed_publish() == -signal.SIGKILL
    # Three batches were committed before the kill: the notice was not written in one
    # transaction that held every chat waiting.
    assert sum((await notices(app)).values()) == 7
    current = await app.store.conclusions.get(campaign.id)
    assert current is not None and current.published_at is not None  # final: no more edits
    with pytest.raises(conclusion.ConclusionError):
        await conclusion.record_answer(
            app.store, campaign, "XXXXXX", "Sửa sau khi công bố", now=clock.now()
        )

    clock.set(AFTER)
    again = await conclusion.publish(app.store, campaign, today=AFTER.date(), now=AFTER)
    assert again.published_now  # it went on with the rest
    assert again.published_at == current.published_at
    told = await notices(app)
    assert set(told) == set(people) and set(told.values()) == {1}
    third = await conclusion.publish(app.store, campaign, today=AFTER.date(), now=AFTER)
    assert not third.published_now and third.people == 0
    assert sum((await notices(app)).values()) == len(people)


async def test_the_scheduler_finishes_a_publication_a_crash_cut_short(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    app = province_app
    people = await eleven_askers(app, campaign)
    assert await killed_publish() == -signal.SIGKILL
    assert sum((await notices(app)).values()) == 7

    clock.set(AFTER)
    done = await run_tick(app)
    assert done["conclusion_resumed"] == len(people) - 7
    told = await notices(app)
    assert set(told) == set(people) and set(told.values()) == {1}
    assert (await run_tick(app))["conclusion_resumed"] == 0


#: ``youthbot answers publish --all`` with batches of 2 questions, killed at its third
#: batch: two batches are committed.
KILLED_ANSWERS = killed_at(
    "handlers.answers", "PUBLISH_BATCH", 2, 3, ["answers", "publish", "--all"]
)


async def test_kill_9_between_batches_of_answers_loses_and_doubles_nobody(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    from handlers.answers import save_answer

    app = province_app
    asked = [
        await question(app, campaign, f"asker{n}", f"Câu hỏi số {n} về việc làm cho thanh niên?")
        for n in range(5)
    ]
    fans = [await support(app, q, f"fan{n}") for n, q in enumerate(asked)]
    for n, q in enumerate(asked):
        await save_answer(
            app.store, q, f"Sở Nội vụ trả lời câu số {n}.", now=clock.now(), by=None, source="test"
        )

    done = await asyncio.to_thread(killed, KILLED_ANSWERS)
    assert done.returncode == -signal.SIGKILL, done.stderr
    rows = await app.store.db.fetchall("SELECT person_id FROM outbox WHERE kind = 'answer'")
    assert len(rows) == 8  # two batches: two questions' askers and supporters each
    published = [q for q in asked if (await app.store.questions.get(q.id)).answer_published_at]  # type: ignore[union-attr]
    assert len(published) == 4  # each batch published with its messages, or not at all

    assert await run(["answers", "publish", "--all"]) == 0
    rows = await app.store.db.fetchall(
        "SELECT person_id, count(*) AS n FROM outbox WHERE kind = 'answer' GROUP BY person_id"
    )
    everyone = {q.person_id for q in asked} | set(fans)
    assert {r["person_id"] for r in rows} == everyone and {r["n"] for r in rows} == {1}


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


async def test_an_unknown_zalo_error_never_gives_an_answer_up(
    province_app: App, campaign: Campaign, caplog: pytest.LogCaptureFixture
) -> None:
    """An error code the bot does not know was retried like an outage and, after eight
    tries and two days, the answer was marked failed: dropped though nothing showed that
    message or its person at fault (the code could be the bot's quota, its configuration,
    anything the platform does not document)."""
    import logging
    from datetime import timedelta

    from bot.delivery.outbox import OutboxSender
    from handlers.delivery import queue_for_person
    from handlers.events import Reply
    from tests.fakes.zalo_api import FakeZaloApi
    from tests.test_zalo_channel import USER, Bot
    from tests.test_zalo_errors_facts import OPTIONS

    app, store = province_app, province_app.store
    with caplog.at_level(logging.INFO):
        async with FakeZaloApi(max_poll_seconds=1) as api, Bot(app, api, options=OPTIONS) as bot:
            await bot.say("/start")
            person = await store.people.by_identity("zalo", USER)
            assert person is not None
            sender = OutboxSender(store, {"zalo": bot.channel}, app.clock)
            await queue_for_person(
                store, person.id, Reply("Câu trả lời của Sở"), kind="answer", now=app.clock.now()
            )
            api.fail_next("sendMessage", 200, times=12, description="Unexpected error -32")
            for _ in range(12):  # three days of tries
                await sender.drain_once()
                app.clock.advance(timedelta(hours=6))  # type: ignore[attr-defined]
            counts = await store.outbox.counts()
            assert counts == {"pending": 1}, counts
            await sender.drain_once()
            assert await store.outbox.counts() == {"sent": 1}
            assert "Câu trả lời của Sở" in bot.texts()
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and "does not know" in r.getMessage()
    ]
    assert len(lines) == 1 and "-32" in lines[0] and "ZALO_BOT_TOKEN" in lines[0], lines


async def test_youthbot_outbox_says_what_waits_what_failed_why_and_what_may_be_twice(
    province_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    """No command showed the operator the outbox: what waits and why (a refused token, an
    error the bot does not know), what was not sent and why, what may have arrived twice."""
    from handlers.delivery import encode_reply
    from handlers.events import Reply
    from storage.outbox import NewMessage

    store, now = province_app.store, province_app.clock.now()
    body = encode_reply(Reply("Câu trả lời"))
    await store.outbox.enqueue(
        [
            NewMessage(None, channel, f"chat{n}", "answer", body, dedup_key=f"k{n}")
            for n, channel in enumerate(["zalo", "zalo", "zalo", "telegram", "telegram", "zalo"])
        ],
        now=now,
    )
    ids = {
        r["dedup_key"]: r["id"] for r in await store.db.fetchall("SELECT id, dedup_key FROM outbox")
    }
    await store.outbox.retry_later(
        ids["k1"], at=now, error="an error unknown to the bot: Zalo sendMessage failed [-32]: x"
    )
    await store.outbox.retry_later(ids["k2"], at=now, error="the bot token is refused")
    await store.outbox.mark_failed(
        ids["k3"], status="failed", error="Telegram: Bad Request: message is too long [400]"
    )
    await store.outbox.mark_sent(ids["k4"], now=now, resent=True)
    await store.db.execute(
        "INSERT INTO reply_outbox (channel, chat_id, body, created_at, resent)"
        " VALUES ('telegram', 'c9', '{}', '2025-07-01T02:00:00Z', 1)"
    )

    assert await asyncio.to_thread(main, ["outbox"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Hộp thư đi: 4 tin chờ gửi, 0 tin đang gửi, 0 tin giữ lại, 1 tin không gửi được,"
        " 1 tin đã gửi."
    ), out
    assert "Chờ gửi qua zalo: 4 tin, tin cũ nhất xếp hàng lúc 09:00 01/07/2025." in out
    assert "2 tin: chưa đến lượt" in out
    assert "lỗi bot chưa biết; tin chờ và được thử lại, không bị bỏ" in out and "[-32]" in out
    assert "kiểm tra TELEGRAM_BOT_TOKEN hoặc ZALO_BOT_TOKEN" in out
    assert "Không gửi được qua telegram: 1 tin" in out and "từ chối chính tin nhắn này" in out
    assert "Có thể đã đến hai lần: 1 tin" in out
    assert "Câu trả lời trò chuyện chưa gửi qua telegram: 1 (trong đó 1 có thể đến hai lần)" in out

    assert await asyncio.to_thread(main, ["outbox", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps the lines
    assert "bao nhiêu tin đang chờ và vì sao, bao nhiêu tin không gửi được và vì sao" in shown


async def test_inside_a_chat_events_transaction_the_batches_do_not_pause(
    province_app: App, campaign: Campaign, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside one transaction (a chat event's, as /ketluan congbo runs) the batches join it:
    a pause between them would only have held the database longer."""
    app = province_app
    people = await eleven_askers(app, campaign)
    monkeypatch.setattr(conclusion, "QUEUE_BATCH", 3)
    monkeypatch.setattr(conclusion, "QUEUE_PAUSE", 30.0)
    clock.set(AFTER)
    async with app.store.transaction():
        result = await asyncio.wait_for(
            conclusion.publish(app.store, campaign, today=AFTER.date(), now=AFTER), timeout=20
        )
    assert result.people + result.waiting == len(people)
    assert sum((await notices(app)).values()) == len(people)
