"""Roles: the access matrix (each privileged chat command × each role × in and out of
scope) and invite codes (expired, reused, forged)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.application.app import App
from bot.campaign.setup import create_campaign
from bot.clock import FakeClock
from handlers.access import Action, Scope, allows, authorize
from handlers.engine import Engine
from handlers.roles import create_invite
from storage.models import Campaign
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker


async def person_with_role(
    app: App, engine: Engine, user: str, role: str | None, **scope: object
) -> Talker:
    t = Talker(engine, user_id=user)
    await t.say("/trogiup")  # first contact creates the person
    if role is not None:
        code = await create_invite(app.store, role, now=app.clock.now(), **scope)  # type: ignore[arg-type]
        await t.say(f"/nhanquyen {code}")
        assert "Đã cấp vai trò" in t.last_text
    return t


async def unit_id(app: App, code: str) -> int:
    unit = await app.store.units.by_code(code)
    assert unit is not None
    return unit.id


ROLES = [
    "youth",
    "secretary_here",
    "secretary_elsewhere",
    "organiser",
    "organiser_other",
    "department",
    "admin",
]


async def make(app: App, engine: Engine, name: str, campaign: Campaign) -> Talker:
    other = await create_campaign(
        app,
        title="Đối thoại cấp xã",
        dialogue=date(2025, 9, 30),
        level="commune",
        host_code="w01279",
    )
    await app.store.campaigns.update(other.id, now=app.clock.now(), status="archived")
    here = await unit_id(app, "w01273")
    elsewhere = await unit_id(app, "w01279")
    specs: dict[str, tuple[str | None, dict[str, object]]] = {
        "youth": (None, {}),
        "secretary_here": ("secretary", {"unit_id": here}),
        "secretary_elsewhere": ("secretary", {"unit_id": elsewhere}),
        "organiser": ("organiser", {"campaign_id": campaign.id}),
        "organiser_other": ("organiser", {"campaign_id": other.id}),
        "department": ("department", {"department": "Sở Y tế"}),
        "admin": ("admin", {}),
    }
    role, scope = specs[name]
    return await person_with_role(app, engine, f"u-{name}", role, **scope)


# command → roles that must be allowed (everyone else refused)
MATRIX = {
    "/thongbao": {"organiser", "admin"},
    "/moi bithu w01273": {"organiser", "admin"},
    "/moi tochuc": {"admin"},
    "/moi admin": {"admin"},
}


@pytest.mark.parametrize("command", sorted(MATRIX))
@pytest.mark.parametrize("who", ROLES)
async def test_access_matrix_chat_commands(
    province_app: App, engine: Engine, campaign: Campaign, command: str, who: str
) -> None:
    t = await make(province_app, engine, who, campaign)
    await t.say(command)
    refused = "không có quyền" in t.last_text
    assert refused == (who not in MATRIX[command]), t.last_text
    actions = [e.action for e in await province_app.store.audit.entries(limit=5)]
    assert ("access.denied" if refused else "access.granted") in actions


def _role(role: str, **kw: object):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from storage.roles import Role

    return Role(
        1,
        1,
        role,
        kw.get("unit_id"),
        kw.get("campaign_id"),
        kw.get("department"),  # type: ignore[arg-type]
        None,
        datetime.now(UTC),
        None,
    )


@pytest.mark.parametrize(
    ("role", "action", "scope", "allowed"),
    [
        (_role("secretary", unit_id=5), Action.DIGEST, Scope(campaign_id=1, unit_id=5), True),
        (_role("secretary", unit_id=5), Action.DIGEST, Scope(campaign_id=1, unit_id=6), False),
        (_role("secretary", unit_id=5), Action.DIGEST, Scope(campaign_id=1), False),
        (_role("secretary", unit_id=5), Action.BROADCAST, Scope(campaign_id=1, unit_id=5), False),
        (
            _role("department", department="Sở Y tế"),
            Action.ANSWER,
            Scope(department="Sở Y tế"),
            True,
        ),
        (
            _role("department", department="Sở Y tế"),
            Action.ANSWER,
            Scope(department="Sở Xây dựng"),
            False,
        ),
        (_role("department", department="Sở Y tế"), Action.DIGEST, Scope(campaign_id=1), False),
        (_role("organiser", campaign_id=1), Action.DIGEST, Scope(campaign_id=1), True),
        (_role("organiser", campaign_id=1), Action.DIGEST, Scope(campaign_id=2), False),
        (_role("organiser"), Action.DIGEST, Scope(campaign_id=2), True),
        (_role("organiser"), Action.MANAGE_ROLES, Scope(), False),
        (_role("organiser"), Action.INVITE, Scope(role="admin"), False),
        (_role("organiser"), Action.INVITE, Scope(role="secretary"), True),
        (_role("admin"), Action.MANAGE_ROLES, Scope(), True),
    ],
)
def test_policy(role: object, action: Action, scope: Scope, allowed: bool) -> None:
    assert allows(role, action, scope) is allowed  # type: ignore[arg-type]


async def test_invite_expired_reused_forged(
    province_app: App, engine: Engine, clock: FakeClock
) -> None:
    store = province_app.store
    code = await create_invite(store, "organiser", now=clock.now(), days=1)
    a = Talker(engine, user_id="a")
    b = Talker(engine, user_id="b")
    await a.say(f"/nhanquyen {code.lower()}")  # case does not matter
    assert "Ban tổ chức" in a.last_text
    await b.say(f"/start i-{code}")
    assert "đã được sử dụng" in b.last_text
    old = await create_invite(store, "organiser", now=clock.now(), days=1)
    clock.advance(timedelta(days=2))
    await b.say(f"/nhanquyen {old}")
    assert "hết hạn" in b.last_text
    await b.say("/nhanquyen AAAAAAAAAA")
    assert "không đúng" in b.last_text
    person_b = await store.people.by_identity("test", "b")
    assert person_b is not None and await store.roles.of_person(person_b.id) == []
    failures = await store.audit.entries(action="invite.failed")
    assert len(failures) == 3
    # Guessing is throttled.
    for _ in range(3):
        await b.say("/nhanquyen BBBBBBBBBB")
    await b.say(f"/nhanquyen {await create_invite(store, 'admin', now=clock.now())}")
    assert "quá nhiều lần" in b.last_text


async def test_codes_are_stored_hashed(province_app: App) -> None:
    code = await create_invite(province_app.store, "admin", now=province_app.clock.now())
    rows = await province_app.store.db.fetchall("SELECT * FROM invites")
    assert all(code not in str(tuple(r)) for r in rows)


async def test_revoked_role_loses_access(
    province_app: App, engine: Engine, campaign: Campaign
) -> None:
    t = await make(province_app, engine, "organiser", campaign)
    person = await province_app.store.people.by_identity("test", "u-organiser")
    assert person is not None
    [role] = await province_app.store.roles.of_person(person.id)
    assert await authorize(
        province_app.store,
        person.id,
        Action.BROADCAST,
        Scope(campaign_id=campaign.id),
        now=province_app.clock.now(),
    )
    await province_app.store.roles.revoke(role.id, now=province_app.clock.now())
    await t.say("/thongbao")
    assert "không có quyền" in t.last_text


async def test_help_lists_official_commands_only_to_officials(
    province_app: App, engine: Engine, campaign: Campaign
) -> None:
    youth = await make(province_app, engine, "youth", campaign)
    await youth.say("/trogiup")
    assert "/baocao" not in youth.last_text
    organiser = await make(province_app, engine, "organiser", campaign)
    await organiser.say("/trogiup")
    assert "/baocao" in organiser.last_text and "/thongbao" in organiser.last_text


async def test_organiser_of_one_campaign_invites_for_it_when_several_are_open(
    province_app: App, engine: Engine, campaign: Campaign
) -> None:
    await create_campaign(
        province_app,
        title="Đối thoại phường",
        dialogue=date(2025, 9, 10),
        level="commune",
        host_code="w01273",
    )
    engine.invalidate()
    code = await create_invite(
        province_app.store, "organiser", now=province_app.clock.now(), campaign_id=campaign.id
    )
    org = Talker(engine, user_id="org-one")
    await org.say(f"/nhanquyen {code}")
    await org.say("/moi bithu w01279")
    assert "Mã mời" in org.last_text
    invite = await province_app.store.db.fetchone(
        "SELECT campaign_id FROM invites WHERE role = 'secretary'"
    )
    assert invite is not None and invite["campaign_id"] == campaign.id
