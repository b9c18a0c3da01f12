"""``youthbot demo``: a whole campaign through the real code paths, no network, no token.

Young people from several communes of Cao Bằng send questions through the same engine the
chat channels use, on a simulated clock; the demo prints what happened in a few lines.
Everything lands in the configured database, so ``youthbot campaign list`` and the other
commands show it afterwards.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any, TextIO

from bot.app import App
from bot.campaigns import create_campaign
from bot.clock import FakeClock
from bot.units import parse_units_csv, province_by_codename, province_unit_code, province_units
from bot.wiring import build_engine
from handlers.engine import Engine
from handlers.events import Event, EventKind, Reply
from locales import Translator, translator
from storage.models import Campaign, DeadlineKind, UnitKind

DEMO_TITLE = "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Cao Bằng với thanh niên năm 2025"
DEMO_START = datetime.fromisoformat("2025-07-21T08:00:00+07:00")


def _data(name: str) -> str:
    return (resources.files("bot") / "demo_data" / name).read_text("utf-8")


@dataclass
class Youth:
    """A simulated young person: what they type and tap."""

    unit: str
    name: str | None
    category: str
    topic: str
    text: str


class DemoDriver:
    """Talks to the engine like a person on a phone: reads prompts, taps buttons."""

    def __init__(self, engine: Engine, user_id: str) -> None:
        self.engine = engine
        self.user_id = user_id
        self.last: list[Reply] = []
        self._n = 0

    async def send(self, kind: EventKind, **fields: Any) -> list[Reply]:
        self._n += 1
        event = Event(
            channel="demo",
            user_id=self.user_id,
            kind=kind,
            language_code="vi",
            update_id=f"{self.user_id}-{self._n}",
            **fields,
        )
        self.last = await self.engine.handle(event)
        return self.last

    async def say(self, text: str) -> list[Reply]:
        if text.startswith("/"):
            name, _, rest = text[1:].partition(" ")
            return await self.send(EventKind.COMMAND, command=name, text=rest, payload=rest or None)
        return await self.send(EventKind.TEXT, text=text)

    def has_button(self, label: str) -> bool:
        return any(label.lower() in b.label.lower() for r in self.last for b in r.choices)

    async def tap(self, label: str) -> list[Reply]:
        for reply in self.last:
            for button in reply.choices:
                if label.lower() in button.label.lower():
                    return await self.send(EventKind.BUTTON, payload=button.payload)
        raise RuntimeError(f"demo: no button {label!r} in {[r.text[:40] for r in self.last]}")

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)


async def submit_question(driver: DemoDriver, youth: Youth) -> str:
    """Go through the whole flow; returns the receipt or support line."""
    await driver.say("/start")
    if driver.has_button("đồng ý"):
        await driver.tap("đồng ý")
    if driver.has_button("Đúng vậy"):
        await driver.tap("Đúng vậy")
    elif "xã, phường" in driver.text:
        await driver.say(youth.unit)
        first = driver.last[-1].choices[0].label
        await driver.tap(first)
    if "Họ và tên" in driver.text:
        if youth.name:
            await driver.say(youth.name)
        else:
            await driver.tap("Ẩn danh")
            await driver.tap("Bỏ qua")
    if driver.has_button("Bỏ qua") and "nhóm nào" in driver.text:
        await driver.tap(youth.category)
    await driver.tap(youth.topic)
    await driver.say(youth.text)
    if driver.has_button("cũng muốn hỏi"):
        # The demo's youth support an earlier question when theirs is a rewording of it.
        await driver.tap("cũng muốn hỏi câu 1")
        return driver.text
    await driver.tap("Gửi")
    return driver.text


async def run_demo(app: App, out: TextIO) -> int:
    tr = translator(app.settings.core.language)
    clock = FakeClock(DEMO_START)
    app.clock = clock
    p = _Printer(out, tr)

    p.head("demo.storage", path=app.settings.core.db, version=await app.store.db.schema_version())
    codename = app.settings.core.province
    province = province_by_codename(codename)
    assert province is not None
    loaded = await app.store.units.upsert_many(province_units(codename), now=clock.now())
    extra = parse_units_csv(_data("units.csv").encode(), province_code=province_unit_code(province))
    await app.store.units.upsert_many(extra.units, now=clock.now())
    p.line("demo.units", communes=loaded - 1, province=province.name, others=len(extra.units))

    campaign = await _campaign(app, p)
    engine = build_engine(app)

    p.head("demo.intake")
    people = [Youth(**item) for item in json.loads(_data("youth.json"))]
    run_tag = f"{await app.store.questions.count(campaign.id)}"
    for index, youth in enumerate(people):
        clock.advance(timedelta(minutes=47))
        driver = DemoDriver(engine, user_id=f"demo-{run_tag}-{index}")
        receipt = await submit_question(driver, youth)
        who = youth.name or tr("demo.anonymous")
        p.item(f"{who} ({youth.unit}): {receipt.splitlines()[-1]}")

    await _bad_inputs(engine, p)

    questions = await app.store.questions.of_campaign(campaign.id)
    topics = {t.id: t.name for t in await app.store.campaigns.topics(campaign.id)}
    by_topic = Counter(topics.get(q.topic_id, "?") for q in questions)
    p.head("demo.stored", count=len(questions))
    for name, count in by_topic.most_common():
        p.item(f"{count} × {name}")
    p.line("demo.next", campaign=campaign.id)
    return 0


async def _campaign(app: App, p: _Printer) -> Campaign:
    for existing in await app.store.campaigns.active():
        if existing.title == DEMO_TITLE:
            await app.store.campaigns.update(existing.id, now=app.clock.now(), status="archived")
    provinces = await app.store.units.all(kinds=[UnitKind.PROVINCE])
    campaign = await create_campaign(
        app,
        title=DEMO_TITLE,
        theme="Thanh niên Cao Bằng với chuyển đổi số và khởi nghiệp",
        host_code=provinces[0].code,
        dialogue=date(2025, 8, 28),
        overrides={
            DeadlineKind.UNITS_SUBMIT: date(2025, 8, 5),
            DeadlineKind.ANSWERS_DUE: date(2025, 8, 20),
        },
    )
    p.head("demo.campaign", id=campaign.id, title=campaign.title)
    for deadline in campaign.deadlines:
        p.item(f"{p.tr('deadline.' + deadline.kind.value)}: {deadline.due:%d/%m/%Y}")
    return campaign


async def _bad_inputs(engine: Engine, p: _Printer) -> None:
    p.head("demo.bad_input")
    driver = DemoDriver(engine, user_id="demo-bad-input")
    await driver.say("/start")
    await driver.send(EventKind.MEDIA, media_type="sticker")
    p.item(f"sticker → {driver.last[0].text}")
    await driver.send(EventKind.BUTTON, payload="1.up.99999")
    p.item(f"forged button → {driver.last[0].text}")
    await driver.say("/khonghieu")
    p.item(f"/khonghieu → {driver.last[0].text}")


class _Printer:
    def __init__(self, out: TextIO, tr: Translator) -> None:
        self.out = out
        self.tr = tr

    def head(self, key: str, **kwargs: Any) -> None:
        self.out.write(f"\n== {self.tr(key, **kwargs)}\n")

    def line(self, key: str, **kwargs: Any) -> None:
        self.out.write(self.tr(key, **kwargs) + "\n")

    def item(self, text: str) -> None:
        self.out.write(f"   {text}\n")
