"""/thongbao in chat: audience, unit, text, preview with the count, confirmation."""

from __future__ import annotations

from datetime import date

from bot.application.app import App
from bot.campaign.setup import create_campaign
from handlers import routers
from handlers.engine import Engine
from handlers.roles import create_invite
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker


async def join(engine: Engine, user: str, unit: str) -> None:
    t = Talker(engine, user_id=user)
    await t.say("/start")
    await t.press("đồng ý")
    await t.say(unit)
    await t.press(t.last_prompt().choices[0].label)
    await t.say("/huy")


async def test_broadcast_to_one_unit(province_app: App) -> None:
    campaign = await create_campaign(
        province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28)
    )
    engine = Engine(province_app.store, province_app.clock, routers=routers())
    for user, unit in (("a", "thuc phan"), ("b", "thuc phan"), ("c", "dam thuy")):
        await join(engine, user, unit)
    code = await create_invite(
        province_app.store, "organiser", now=province_app.clock.now(), campaign_id=campaign.id
    )
    org = Talker(engine, user_id="org")
    await org.say(f"/nhanquyen {code}")
    await org.say("/thongbao")
    await org.press("một đơn vị")
    await org.say("x")
    assert "ít nhất 2 chữ" in org.last_text
    await org.say("thuc phan")
    await org.press("Thục Phán")
    await org.say("   ")
    assert "phải có chữ" in org.last_text
    await org.say("Chiều thứ Bảy sinh hoạt chi đoàn tại nhà văn hóa phường.")
    assert "tới 2 người" in org.last_text
    await org.press("Gửi thông báo")
    assert "tới 2 người" in org.last_text
    rows = await province_app.store.db.fetchall(
        "SELECT person_id FROM outbox WHERE kind = 'broadcast'"
    )
    people = {await province_app.store.people.by_identity("test", u) for u in ("a", "b")}
    assert {r["person_id"] for r in rows} == {p.id for p in people if p is not None}


async def test_a_greeting_is_a_broadcasts_text_not_a_hello_to_the_bot(province_app: App) -> None:
    campaign = await create_campaign(
        province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28)
    )
    engine = Engine(province_app.store, province_app.clock, routers=routers())
    await join(engine, "a", "thuc phan")
    code = await create_invite(
        province_app.store, "organiser", now=province_app.clock.now(), campaign_id=campaign.id
    )
    org = Talker(engine, user_id="org")
    await org.say(f"/nhanquyen {code}")
    await org.say("/thongbao")
    await org.press("một đơn vị")
    await org.say("thuc phan")
    await org.press("Thục Phán")
    await org.say("Xin chào!")  # where any text is content, a hello is the content
    assert "tới 1 người" in org.last_text and "Xin chào!" in org.last_text


async def test_organiser_of_several_campaigns_picks_one(province_app: App) -> None:
    province = await create_campaign(
        province_app, title="Đối thoại cấp tỉnh", dialogue=date(2025, 8, 28)
    )
    commune = await create_campaign(
        province_app,
        title="Đối thoại phường Thục Phán",
        dialogue=date(2025, 9, 10),
        level="commune",
        host_code="w01273",
    )
    engine = Engine(province_app.store, province_app.clock, routers=routers())
    await join(engine, "a", "thuc phan")
    code = await create_invite(province_app.store, "organiser", now=province_app.clock.now())
    org = Talker(engine, user_id="org")
    await org.say(f"/nhanquyen {code}")
    await org.say("/thongbao")
    assert "đợt đối thoại nào" in org.last_text
    await org.press("phường Thục Phán")
    await org.press("Toàn bộ thanh niên")
    await org.say("Họp chi đoàn tối nay.")
    await org.press("Gửi thông báo")
    row = await province_app.store.db.fetchone("SELECT campaign_id FROM broadcasts")
    assert row is not None and row["campaign_id"] == commune.id != province.id
    # An organiser of one campaign is not asked: theirs is the only one.
    one = await create_invite(
        province_app.store, "organiser", now=province_app.clock.now(), campaign_id=province.id
    )
    org2 = Talker(engine, user_id="org2")
    await org2.say(f"/nhanquyen {one}")
    await org2.say("/thongbao")
    assert "Gửi thông báo tới ai" in org2.last_text
