"""Reminders on a fake clock: who gets what when, a date change, a restart, opt-out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.application.app import App
from bot.application.config import Settings
from bot.campaign import reminders
from bot.campaign.setup import create_campaign, reschedule
from bot.clock import FakeClock
from handlers import routers
from handlers.engine import Engine
from handlers.roles import create_invite
from storage.models import Campaign, DeadlineKind
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: str, hour: int = 8, minute: int = 0) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00+07:00")


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(
        province_app,
        title="Đối thoại 2025",
        dialogue=date(2025, 8, 28),
        overrides={DeadlineKind.UNITS_SUBMIT: date(2025, 8, 5)},
    )


async def secretary(app: App, engine: Engine, user: str, unit_code: str) -> int:
    unit = await app.store.units.by_code(unit_code)
    assert unit is not None
    code = await create_invite(app.store, "secretary", now=app.clock.now(), unit_id=unit.id)
    t = Talker(engine, user_id=user)
    await t.say(f"/nhanquyen {code}")
    person = await app.store.people.by_identity("test", user)
    assert person is not None
    return person.id


async def outbox_texts(app: App, person_id: int) -> list[str]:
    rows = await app.store.db.fetchall(
        "SELECT body FROM outbox WHERE person_id = ? ORDER BY id", (person_id,)
    )
    import json

    return [json.loads(r["body"])["text"] for r in rows]


def test_occurrences_follow_the_timeline(campaign: Campaign) -> None:
    occ = reminders.occurrences(campaign, reminders.ReminderPolicy(), VN)
    secretary_times = [o.send_at for o in occ if o.audience == "secretary"]
    assert secretary_times == [
        at("2025-07-29"),
        at("2025-08-02"),
        at("2025-08-04"),
        at("2025-08-05"),
    ]
    youth = [o for o in occ if o.audience == "youth"]
    assert [o.send_at for o in youth] == [at("2025-08-02")]  # 3 days before 05/08
    kinds = {o.deadline for o in occ if o.audience == "organiser"}
    assert kinds == {
        DeadlineKind.PLAN_PUBLISHED,
        DeadlineKind.FORWARD,
        DeadlineKind.ANSWERS_DUE,
        DeadlineKind.CONCLUSION,
        DeadlineKind.REPORT,
    }


async def test_secretary_reminders_with_counts_date_change_and_restart(
    province_app: App, campaign: Campaign, clock: FakeClock, tmp_path: Path
) -> None:
    app = province_app
    engine = Engine(app.store, clock, routers=routers())
    sec = await secretary(app, engine, "sec", "w01273")
    clock.set(at("2025-07-29", 8, 1))
    queued = await reminders.tick(app.store, now=clock.now(), tz=VN)
    assert queued == 1
    [text] = await outbox_texts(app, sec)
    assert "05/08/2025" in text and "còn 7 ngày" in text and "Phường Thục Phán" in text
    assert "0 câu hỏi" in text
    # The same tick again, or after a restart on the same file, queues nothing new.
    assert await reminders.tick(app.store, now=clock.now(), tz=VN) == 0
    async with await App.open(Settings(env_file=None), clock=clock) as restarted:
        assert await reminders.tick(restarted.store, now=clock.now(), tz=VN) == 0
    # The organisers move the deadline: reminders follow the new date.
    updated = await reschedule(
        app, campaign, overrides={DeadlineKind.UNITS_SUBMIT: date(2025, 8, 12)}
    )
    assert updated.deadline(DeadlineKind.UNITS_SUBMIT) == date(2025, 8, 12)
    clock.set(at("2025-08-02", 8, 5))
    assert await reminders.tick(app.store, now=clock.now(), tz=VN) == 0  # old 3-day slot gone
    clock.set(at("2025-08-05", 8, 5))
    assert await reminders.tick(app.store, now=clock.now(), tz=VN) == 1  # new 7-day slot
    texts = await outbox_texts(app, sec)
    assert "12/08/2025" in texts[-1]


async def test_missed_reminders_are_caught_up_once_not_forever(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    engine = Engine(province_app.store, clock, routers=routers())
    sec = await secretary(province_app, engine, "sec", "w01273")
    clock.set(at("2025-07-29", 15))  # the bot was down at 08:00
    assert await reminders.tick(province_app.store, now=clock.now(), tz=VN) == 1
    clock.set(at("2025-08-03", 9))  # down for days: the 2/8 slot is stale and skipped
    assert await reminders.tick(province_app.store, now=clock.now(), tz=VN) == 0
    assert len(await outbox_texts(province_app, sec)) == 1


async def test_youth_reminded_once_and_can_opt_out(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    engine = Engine(province_app.store, clock, routers=routers())
    keen = Talker(engine, user_id="keen")
    quiet = Talker(engine, user_id="quiet")
    for t in (keen, quiet):
        await t.say("/start")
        await t.press("đồng ý")
        await t.say("/huy")
    await quiet.say("/tatnhacnho")
    assert "Đã tắt nhắc nhở" in quiet.last_text
    clock.set(at("2025-08-02", 8, 30))
    queued = await reminders.tick(province_app.store, now=clock.now(), tz=VN)
    assert queued == 1
    keen_person = await province_app.store.people.by_identity("test", "keen")
    assert keen_person is not None
    [text] = await outbox_texts(province_app, keen_person.id)
    assert "/hoi" in text and "05/08/2025" in text


async def test_unfinished_question_gets_one_nudge(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    engine = Engine(province_app.store, clock, routers=routers())
    t = Talker(engine, user_id="slow")
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")
    clock.advance(timedelta(hours=25))
    assert await reminders.tick(province_app.store, now=clock.now(), tz=VN) == 1
    clock.advance(timedelta(minutes=30))
    assert await reminders.tick(province_app.store, now=clock.now(), tz=VN) == 0
    person = await province_app.store.people.by_identity("test", "slow")
    assert person is not None
    assert "viết dở" in (await outbox_texts(province_app, person.id))[0]


async def test_reminder_timing_is_configurable_per_campaign(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    import asyncio

    from bot.cli import main

    argv = ["campaign", "edit", str(campaign.id), "--reminder-days", "2,0", "--reminder-hour", "14"]
    assert await asyncio.to_thread(main, argv) == 0
    assert await asyncio.to_thread(main, ["campaign", "edit", "1", "--reminder-days", "x"]) == 2
    updated = await province_app.store.campaigns.get(campaign.id)
    assert updated is not None and updated.reminder_days == (2, 0) and updated.reminder_hour == 14
    occ = reminders.occurrences(
        updated, reminders.campaign_policy(updated, reminders.ReminderPolicy()), VN
    )
    assert [o.send_at for o in occ if o.audience == "secretary"] == [
        at("2025-08-03", 14),
        at("2025-08-05", 14),
    ]
    engine = Engine(province_app.store, clock, routers=routers())
    await secretary(province_app, engine, "sec", "w01273")
    clock.set(at("2025-07-29", 8, 5))  # the default 7-day slot no longer applies
    assert await reminders.tick(province_app.store, now=clock.now(), tz=VN) == 0
    clock.set(at("2025-08-03", 14, 5))
    assert await reminders.tick(province_app.store, now=clock.now(), tz=VN) == 1


async def test_tick_drops_abandoned_drafts(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    from bot.application.scheduler import run_tick

    engine = Engine(province_app.store, clock, routers=routers())
    t = Talker(engine, user_id="gone")
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")
    clock.advance(timedelta(hours=province_app.settings.core.draft_ttl_hours + 1))
    done = await run_tick(province_app)
    assert done["expired_drafts"] == 1
    person = await province_app.store.people.by_identity("test", "gone")
    assert person is not None
    conv = await province_app.store.conversations.get(person.id)
    # Nothing of the draft is kept: only the mark that tells the person it was dropped.
    assert conv is not None and conv.state == "idle" and conv.data == {"draft_expired": True}
