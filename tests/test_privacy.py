"""Personal data is kept no longer than the consent text promises."""

from __future__ import annotations

from datetime import date, timedelta

from bot.application.app import App
from bot.campaign import privacy
from bot.campaign.setup import create_campaign
from bot.clock import FakeClock
from handlers import routers
from handlers.engine import Engine
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker


async def test_names_go_after_the_report_and_inactive_people_after_a_year(
    province_app: App, clock: FakeClock
) -> None:
    campaign = await create_campaign(
        province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28)
    )
    engine = Engine(province_app.store, clock, routers=routers())
    t = Talker(engine, user_id="hoa")
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")
    await t.press("Thục Phán")
    await t.say("Nông Thị Hoa")
    await t.press("Bỏ qua")
    await t.press("việc làm")
    await t.say("Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?")
    await t.press("Gửi")
    store = province_app.store
    assert await privacy.sweep(store, now=clock.now()) == privacy.SweepResult(0, 0)
    clock.set(clock.now().replace(year=2025, month=10, day=20))  # report 17/09 + 30 days passed
    result = await privacy.sweep(store, now=clock.now())
    assert result.names_removed == 1 and result.people_erased == 0
    [question] = await store.questions.of_campaign(campaign.id)
    assert question.asker_name is None and question.text.startswith("Tỉnh có")
    clock.advance(timedelta(days=366))
    assert (await privacy.sweep(store, now=clock.now())).people_erased == 1
    assert await store.people.by_identity("test", "hoa") is None
    assert await store.audit.entries(action="privacy.sweep")
