"""Reminders, digests and broadcasts when several campaigns run at once: Cao Bằng's
provincial dialogue, the commune-level dialogue of one of its wards (Thục Phán), and
Thái Nguyên's provincial dialogue on the same deployment (YOUTHBOT_PROVINCE=cao_bang).

Each person hears only of the campaigns they belong to: a role given for one campaign,
that campaign; a secretary's role given without one, the campaigns of their unit; a
department's role given without one, the campaigns of the deployment's province (whose
registry it was chosen from); young people, the campaigns of the unit they chose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.application.app import App
from bot.application.scheduler import run_tick
from bot.application.wiring import build_engine
from bot.campaign import conclusion, reminders
from bot.campaign.setup import create_campaign, reschedule
from bot.campaign.units import province_units
from bot.clock import FakeClock
from bot.documents import schedule
from handlers.broadcast import plan_broadcast
from storage.models import Campaign, DeadlineKind
from tests.followup import official, person, question
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(local: str) -> datetime:
    return datetime.fromisoformat(local + "+07:00")


@dataclass
class Deployment:
    province: Campaign  # Cao Bằng, dialogue 28/08/2025
    commune: Campaign  # Phường Thục Phán (Cao Bằng), dialogue 20/08/2025
    other: Campaign  # Thái Nguyên, dialogue 10/09/2025
    ids: dict[str, int]  # people by user name


async def young(app: App, user: str, unit: str, *, language: str = "vi") -> int:
    """A young person who consented and chose ``unit`` (no question needed)."""
    person_id = await person(app, user, language=language)
    found = await app.store.units.by_code(unit)
    assert found is not None
    await app.store.people.update(person_id, now=app.clock.now(), unit_id=found.id)
    await app.store.people.grant_consent(person_id, version="1", now=app.clock.now())
    return person_id


async def unit_id(app: App, code: str) -> int:
    found = await app.store.units.by_code(code)
    assert found is not None
    return found.id


@pytest.fixture
async def deployment(province_app: App) -> Deployment:
    app = province_app
    await app.store.units.upsert_many(province_units("thai_nguyen"), now=app.clock.now())
    province = await create_campaign(
        app,
        title="Đối thoại tỉnh Cao Bằng 2025",
        dialogue=date(2025, 8, 28),
        overrides={DeadlineKind.UNITS_SUBMIT: date(2025, 8, 5)},
    )
    commune = await create_campaign(
        app, title="Đối thoại phường Thục Phán 2025", dialogue=date(2025, 8, 20), host_code="w01273"
    )
    other = await create_campaign(
        app, title="Đối thoại tỉnh Thái Nguyên 2025", dialogue=date(2025, 9, 10), host_code="p19"
    )
    engine = build_engine(app)
    # Roles given without a campaign, and roles given for one.
    await official(app, engine, "secretary", "sec_tp", unit_id=await unit_id(app, "w01273"))
    await official(app, engine, "secretary", "sec_ntc", unit_id=await unit_id(app, "w01279"))
    await official(app, engine, "secretary", "sec_tn", unit_id=await unit_id(app, "w01840"))
    await official(app, engine, "department", "dep_cb", department="Sở Nội vụ")
    await official(
        app, engine, "department", "dep_tn", department="Sở Nội vụ", campaign_id=other.id
    )
    await official(app, engine, "organiser", "org_cb", campaign_id=province.id)
    # A secretary of a Cao Bằng ward for the provincial campaign who is also a young
    # person of Thái Nguyên, and reads English.
    mixed = await official(
        app,
        engine,
        "secretary",
        "mixed",
        unit_id=await unit_id(app, "w01288"),
        campaign_id=province.id,
    )
    await mixed.say("/ngonngu en")
    ids = {
        u: (await app.store.people.by_identity("test", u)).id  # type: ignore[union-attr]
        for u in ("sec_tp", "sec_ntc", "sec_tn", "dep_cb", "dep_tn", "org_cb", "mixed")
    }
    await app.store.people.update(
        ids["mixed"], now=app.clock.now(), unit_id=await unit_id(app, "w01840")
    )
    await app.store.people.grant_consent(ids["mixed"], version="1", now=app.clock.now())
    ids["youth_tp"] = await young(app, "youth_tp", "w01273")
    ids["youth_tn"] = await young(app, "youth_tn", "w01840")
    # Sở Nội vụ owes answers in both provinces: Cao Bằng's and Thái Nguyên's own.
    cb = await question(app, province, "asker_cb", "Việc làm cho thanh niên Cao Bằng thế nào ạ?")
    tn = await question(
        app, other, "asker_tn", "Việc làm cho thanh niên Thái Nguyên thế nào ạ?", unit="w01840"
    )
    for q in (cb, tn):
        await app.store.questions.route_question(q.id, "Sở Nội vụ", now=app.clock.now())
    return Deployment(province, commune, other, ids)


async def reminders_to(app: App) -> dict[int, list[tuple[int, str]]]:
    """(campaign id, text) of every queued reminder, by person."""
    rows = await app.store.db.fetchall(
        "SELECT person_id, dedup_key, body FROM outbox WHERE kind = 'reminder' ORDER BY id"
    )
    found: dict[int, list[tuple[int, str]]] = {}
    for r in rows:
        campaign_id = int(r["dedup_key"].split(":")[1])
        found.setdefault(r["person_id"], []).append((campaign_id, json.loads(r["body"])["text"]))
    return found


async def run_days(app: App, clock: FakeClock, first: str, last: str) -> None:
    """The scheduler's tick at night (02:00, nothing may go) and in the morning, each day."""
    day = date.fromisoformat(first)
    while day <= date.fromisoformat(last):
        clock.set(at(f"{day}T02:00:00"))
        assert await reminders.tick(app.store, now=clock.now(), tz=VN) == 0, day
        clock.set(at(f"{day}T08:05:00"))
        await reminders.tick(app.store, now=clock.now(), tz=VN)
        day += timedelta(days=1)


async def test_each_person_hears_only_of_their_own_campaigns(
    province_app: App, clock: FakeClock, deployment: Deployment
) -> None:
    app, d, ids = province_app, deployment, deployment.ids
    await run_days(app, clock, "2025-07-01", "2025-10-15")
    sent = await reminders_to(app)

    def campaigns(user: str) -> set[int]:
        return {campaign_id for campaign_id, _ in sent.get(ids[user], [])}

    cb, tp, tn = d.province.id, d.commune.id, d.other.id
    # A secretary given no campaign: the campaigns of their unit, none of another province.
    assert campaigns("sec_tp") == {cb, tp}
    assert campaigns("sec_ntc") == {cb}
    assert campaigns("sec_tn") == {tn}
    # A department given no campaign: its own province's, though Thái Nguyên's Sở Nội vụ
    # (the same name) owes answers too; Thái Nguyên's own contact hears of those.
    assert campaigns("dep_cb") == {cb}
    assert not any("Thái Nguyên" in text for _, text in sent[ids["dep_cb"]])
    assert campaigns("dep_tn") == {tn}
    assert campaigns("org_cb") == {cb}
    # Young people: the campaigns of the unit they chose, once each.
    youth_tp = sent[ids["youth_tp"]]
    assert sorted(c for c, _ in youth_tp) == sorted([cb, tp])
    assert [c for c, _ in sent[ids["youth_tn"]]] == [tn]
    # Secretary of a Cao Bằng ward for the provincial campaign, young person of Thái
    # Nguyên: each role's reminders, in English.
    mixed = sent[ids["mixed"]]
    assert {c for c, _ in mixed} == {cb, tn}
    assert all(text.startswith("Reminder") for _, text in mixed), mixed
    assert [c for c, text in mixed if "takes questions" in text] == [tn]
    assert all(c == cb for c, text in mixed if "questions, " in text or "question, " in text)
    # Two campaigns in one unit's reminders: each says which campaign it is about.
    texts = [text for _, text in sent[ids["sec_tp"]]]
    assert any("Đối thoại phường Thục Phán 2025" in t for t in texts)
    assert any("Đối thoại tỉnh Cao Bằng 2025" in t for t in texts)
    # Once: no reminder text twice to the same person for the same campaign and slot.
    keys = await app.store.db.fetchall(
        "SELECT person_id, count(*) AS n FROM outbox WHERE kind = 'reminder'"
        " GROUP BY person_id, body HAVING count(*) > 1"
    )
    assert not keys


async def test_a_changed_date_is_followed_and_a_closed_campaign_falls_silent(
    province_app: App, clock: FakeClock, deployment: Deployment
) -> None:
    app, d, ids = province_app, deployment, deployment.ids
    # Thục Phán moves its units' deadline from its plan to 15/08; then closes early.
    moved = await reschedule(
        app, d.commune, overrides={DeadlineKind.UNITS_SUBMIT: date(2025, 8, 15)}
    )
    assert moved.deadline(DeadlineKind.UNITS_SUBMIT) == date(2025, 8, 15)
    await run_days(app, clock, "2025-08-08", "2025-08-08")  # 7 days before 15/08
    [(campaign_id, text)] = [
        (c, t) for c, t in (await reminders_to(app))[ids["sec_tp"]] if c == d.commune.id
    ]
    assert "15/08/2025" in text and "còn 7 ngày" in text
    await app.store.campaigns.update(d.commune.id, now=clock.now(), status="archived")
    await run_days(app, clock, "2025-08-09", "2025-10-15")
    sent = await reminders_to(app)
    commune_after = [c for c, _ in sent[ids["sec_tp"]] if c == d.commune.id]
    assert commune_after == [campaign_id]  # the one before it closed, nothing after
    # Its young people's reminder (10/08) never goes; the province's reminders go on.
    assert ids["youth_tp"] not in sent
    assert {c for c, _ in sent[ids["org_cb"]]} == {d.province.id}


async def test_broadcasts_reach_only_the_campaigns_people(
    province_app: App, deployment: Deployment
) -> None:
    app, d, ids = province_app, deployment, deployment.ids
    secretaries = await plan_broadcast(app.store, d.commune, "secretaries")
    assert set(secretaries.recipients) == {ids["sec_tp"]}
    secretaries = await plan_broadcast(app.store, d.other, "secretaries")
    assert set(secretaries.recipients) == {ids["sec_tn"]}
    departments = await plan_broadcast(app.store, d.other, "departments")
    assert set(departments.recipients) == {ids["dep_tn"]}
    departments = await plan_broadcast(app.store, d.province, "departments")
    assert set(departments.recipients) == {ids["dep_cb"]}
    youth = await plan_broadcast(app.store, d.province, "youth")
    assert ids["youth_tn"] not in youth.recipients and ids["youth_tp"] in youth.recipients
    youth = await plan_broadcast(app.store, d.other, "youth")
    assert ids["youth_tn"] in youth.recipients and ids["youth_tp"] not in youth.recipients


async def test_scheduled_digests_cover_only_the_campaigns_of_the_role(
    province_app: App, clock: FakeClock, deployment: Deployment
) -> None:
    app, d, ids = province_app, deployment, deployment.ids
    for user in ("sec_ntc", "dep_cb", "sec_tn"):
        [role] = await app.store.roles.of_person(ids[user])
        await app.store.jobs.subscribe(role.id, frequency="daily", hour=8, now=clock.now())
    clock.set(at("2025-07-02T08:05:00"))
    await schedule.tick(app, clock.now())
    rows = await app.store.db.fetchall(
        "SELECT person_id, dedup_key FROM outbox WHERE kind = 'digest' ORDER BY id"
    )
    got: dict[int, set[int]] = {}
    for r in rows:
        got.setdefault(r["person_id"], set()).add(int(r["dedup_key"].rsplit(":", 1)[1]))
    assert got.get(ids["sec_ntc"]) == {d.province.id}
    # A department given no campaign: its province's campaigns, the commune's included.
    assert got.get(ids["dep_cb"]) == {d.province.id, d.commune.id}
    assert got.get(ids["sec_tn"]) == {d.other.id}


async def test_the_home_province_is_the_configured_one(province_app: App, clock: FakeClock) -> None:
    """Bắc Ninh loaded beside Cao Bằng (and first by name): a department given no
    campaign is still YOUTHBOT_PROVINCE's (cao_bang), in the scheduler's reminders and
    in an organiser's /thongbao."""
    app = province_app
    await app.store.units.upsert_many(province_units("bac_ninh"), now=clock.now())
    campaign = await create_campaign(
        app, title="Đối thoại tỉnh Cao Bằng 2025", dialogue=date(2025, 8, 28)
    )
    engine = build_engine(app)
    await official(app, engine, "department", "dep_cb", department="Sở Nội vụ")
    org = await official(app, engine, "organiser", "org_cb", campaign_id=campaign.id)
    asked = await question(app, campaign, "asker", "Việc làm cho thanh niên Cao Bằng thế nào ạ?")
    await app.store.questions.route_question(asked.id, "Sở Nội vụ", now=clock.now())
    dep = await app.store.people.by_identity("test", "dep_cb")
    assert dep is not None
    await org.say("/thongbao")
    await org.press("sở, ngành")
    await org.say("Đề nghị các sở gửi trả lời đúng hạn.")
    assert "tới 1 người" in org.last_text
    answers_due = campaign.deadline(DeadlineKind.ANSWERS_DUE)
    clock.set(at(f"{answers_due - timedelta(days=7)}T08:05:00"))
    await run_tick(app)
    assert [c for c, _ in (await reminders_to(app)).get(dep.id, [])] == [campaign.id]


async def test_a_conclusion_and_its_tasks_reach_only_the_campaigns_departments(
    province_app: App, clock: FakeClock, deployment: Deployment
) -> None:
    """Thái Nguyên's conclusion gives its Sở Nội vụ a task: Cao Bằng's Sở Nội vụ (given
    no campaign) hears neither of the notice nor of the task's reminders."""
    app, d, ids = province_app, deployment, deployment.ids
    [asked] = await app.store.questions.of_campaign(d.other.id)
    clock.set(at("2025-09-11T09:00:00"))
    await conclusion.record_answer(
        app.store, d.other, asked.code, "Tỉnh mở hội chợ việc làm.", now=clock.now()
    )
    await conclusion.add_commitment(
        app.store,
        d.other,
        owner="Sở Nội vụ",
        due=date(2025, 10, 1),
        text="Mở hội chợ việc làm",
        code=asked.code,
        now=clock.now(),
    )
    await conclusion.publish(app.store, d.other, today=date(2025, 9, 11), now=clock.now())
    await run_days(app, clock, "2025-09-12", "2025-10-05")
    rows = await app.store.db.fetchall(
        "SELECT person_id, dedup_key FROM outbox WHERE dedup_key LIKE ? OR dedup_key LIKE ?",
        (f"conclusion:{d.other.id}:official:%", f"rem:{d.other.id}:commitment:%"),
    )
    told = {r["person_id"] for r in rows}
    assert ids["dep_tn"] in told
    assert ids["dep_cb"] not in told


async def test_report_on_demand_is_of_a_campaign_the_person_belongs_to(
    province_app: App, deployment: Deployment
) -> None:
    """/baocao took the first campaign by date whatever the unit: Thái Nguyên's
    secretary got Thục Phán's (empty) digest, never Thái Nguyên's."""
    engine = build_engine(province_app)
    sec = Talker(engine, user_id="sec_tn")
    await sec.say("/baocao")
    assert "Đối thoại tỉnh Thái Nguyên 2025" in sec.last_text, sec.last_text
    dep = Talker(engine, user_id="dep_cb")
    await dep.say("/baocao")
    assert "Thái Nguyên" not in dep.last_text, dep.last_text
