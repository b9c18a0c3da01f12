"""``youthbot demo``: a whole campaign through the real code paths, no network, no token.

Young people from several communes of Cao Bằng send questions through the same engine the
chat channels use, on a simulated clock; the demo prints what happened in a few lines.
Everything lands in the demo's own database (``bot.commands.demo`` chooses and guards it),
where ``youthbot chat --demo`` can join the campaign afterwards.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign import reminders
from bot.campaign.departments import campaign_province, find_department, find_topic
from bot.campaign.setup import create_campaign
from bot.campaign.units import (
    parse_units_csv,
    province_by_codename,
    province_unit_code,
    province_units,
)
from bot.channels.base import Capabilities
from bot.clock import FakeClock
from bot.clustering.store import recluster
from bot.delivery.outbox import OutboxSender
from bot.demo.after import after_dialogue
from bot.documents.build import DigestScope, build_digest
from bot.documents.docx import write_docx
from bot.documents.exports import write_questions_jsonl
from bot.documents.frame import is_self
from bot.documents.names import reserve
from bot.documents.produce import file_stem, produce_digest
from bot.documents.xlsx import write_xlsx
from handlers.broadcast import report_if_done
from handlers.engine import Engine, short, topic_label
from handlers.events import Event, EventKind, Reply
from handlers.roles import create_invite
from locales import Translator, translator
from storage.db import parse_target
from storage.models import Campaign, DeadlineKind

# The script's young people live in Cao Bằng, whatever YOUTHBOT_PROVINCE says.
DEMO_PROVINCE = "cao_bang"
DEMO_TITLE = "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Cao Bằng với thanh niên năm {year}"
# The demo's campaign follows Cao Bằng's 2025 plan (units send up 23 days before the
# dialogue, departments answer 8 days before), placed around today so that the campaign
# is still collecting afterwards and `youthbot chat` can join it.
COLLECTION_STARTED_DAYS_AGO = 7
UNITS_SUBMIT_IN_DAYS = 14
DIALOGUE_AFTER_SUBMIT_DAYS = 23
ANSWERS_BEFORE_DIALOGUE_DAYS = 8


#: (level, unit code or "", settings): what the demo's officials set for the documents.
DEMO_SIGNERS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("province", "", {"signer_title": "PHÓ BÍ THƯ", "signer_name": "Hoàng Thị Minh"}),
    ("commune", "w01273", {"signer_name": "Lương Văn Đức"}),
    ("department", "", {"signer_name": "Triệu Văn Bình"}),
)
#: The unit and the departments whose documents the demo writes.
DEMO_UNIT = "w01273"
DEMO_DEPARTMENTS = ("Sở Nội vụ", "Sở Khoa học và Công nghệ")


@dataclass(frozen=True)
class DemoDates:
    start: datetime  # collection opened (simulated questions arrive from here)
    units_submit: date
    answers_due: date
    dialogue: date

    @classmethod
    def around(cls, today: date, tz: ZoneInfo) -> DemoDates:
        start = datetime.combine(
            today - timedelta(days=COLLECTION_STARTED_DAYS_AGO), time(8), tzinfo=tz
        )
        submit = today + timedelta(days=UNITS_SUBMIT_IN_DAYS)
        dialogue = submit + timedelta(days=DIALOGUE_AFTER_SUBMIT_DAYS)
        return cls(start, submit, dialogue - timedelta(days=ANSWERS_BEFORE_DIALOGUE_DAYS), dialogue)


def program_name() -> str:
    """How the operator started youthbot (``.venv/bin/youthbot``), to repeat it in hints."""
    typed = Path(sys.argv[0])
    if typed.name == "youthbot" and not typed.is_absolute():
        return str(typed)
    return "youthbot"


def _data(name: str) -> str:
    return (resources.files("bot.demo") / "data" / name).read_text("utf-8")


@dataclass
class Youth:
    """A simulated young person: what they type and tap."""

    unit: str
    name: str | None
    category: str
    topic: str
    text: str
    support: bool = True  # "Tôi cũng muốn hỏi câu này" when a similar question is shown


class DemoDriver:
    """Talks to the engine like a person on a phone: reads prompts, taps buttons."""

    def __init__(self, engine: Engine, user_id: str, *, session: str = "") -> None:
        self.engine = engine
        self.user_id = user_id
        self.last: list[Reply] = []
        self._n = 0
        # Update ids are unique per chat: a later session of the same person must not
        # reuse the first one's (the engine would take them for redeliveries).
        self._session = session

    async def send(self, kind: EventKind, **fields: Any) -> list[Reply]:
        self._n += 1
        event = Event(
            channel="demo",
            user_id=self.user_id,
            kind=kind,
            language_code="vi",
            update_id=f"{self.user_id}-{self._session}{self._n}",
            **fields,
        )
        self.last = await self.engine.handle(event)
        return self.last

    async def say(self, text: str) -> list[Reply]:
        if text.startswith("/"):
            name, _, rest = text[1:].partition(" ")
            return await self.send(EventKind.COMMAND, command=name, text=rest, payload=rest or None)
        return await self.send(EventKind.TEXT, text=text)

    def other(self, user_id: str, *, session: str) -> DemoDriver:
        """Another person talking to the same bot, in a session named ``session``."""
        return DemoDriver(self.engine, user_id, session=session)

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
        if youth.support:  # most support the earlier question when theirs rewords it
            await driver.tap("cũng muốn hỏi câu 1")
            return driver.text
        await driver.tap("Vẫn gửi")  # one sends their own wording: clustering groups them
    await driver.tap("Gửi")
    return driver.text


async def run_demo(app: App, out: TextIO, *, chat_hint: str | None = None) -> int:
    """Run the whole campaign; ``chat_hint`` is the file to name in the closing line when
    it is not the default demo file."""
    tr = translator(app.settings.core.language)
    dates = DemoDates.around(app.local_now().date(), app.tz)
    clock = FakeClock(dates.start)
    app.clock = clock
    p = _Printer(out, tr)

    p.head("demo.storage", path=app.store.db.location, version=await app.store.db.schema_version())
    codename = DEMO_PROVINCE
    province = province_by_codename(codename)
    assert province is not None
    loaded = await app.store.units.upsert_many(province_units(codename), now=clock.now())
    extra = parse_units_csv(_data("units.csv").encode(), province_code=province_unit_code(province))
    await app.store.units.upsert_many(extra.units, now=clock.now())
    p.line(
        "demo.units",
        n=loaded - 1,
        province=province.name,
        others=p.tr.n("count.other_units", len(extra.units)),
    )

    campaign = await _campaign(app, p, dates, host_code=province_unit_code(province))
    try:
        await _run_campaign(app, campaign, p, dates, clock)
    except BaseException:
        # Never leave a half-played campaign open for `youthbot chat --demo`.
        await app.store.campaigns.update(campaign.id, now=clock.now(), status="archived")
        raise
    program = program_name()
    if chat_hint is None:
        p.line("demo.next", program=program, campaign=campaign.id, db=app.settings.core.db)
    else:
        p.line(
            "demo.next_file",
            program=program,
            campaign=campaign.id,
            db=parse_target(chat_hint).display,
        )
    return 0


async def _run_campaign(
    app: App, campaign: Campaign, p: _Printer, dates: DemoDates, clock: FakeClock
) -> None:
    tr = p.tr
    engine = build_engine(app)

    p.head("demo.intake")
    people = [Youth(**item) for item in json.loads(_data("youth.json"))]
    # Each run of the demo has its own people (and update ids), named after its campaign.
    run_tag = f"c{campaign.id}"
    for index, youth in enumerate(people):
        clock.advance(timedelta(minutes=47))
        driver = DemoDriver(engine, user_id=f"demo-{run_tag}-{index}")
        receipt = await submit_question(driver, youth)
        who = youth.name or tr("demo.anonymous")
        person = await app.store.people.by_identity("demo", driver.user_id)
        unit = await app.store.units.get(person.unit_id) if person and person.unit_id else None
        where = unit.name if unit else youth.unit
        outcome = receipt.splitlines()[-1].split(" Gõ ")[0].split(" Khi ")[0]
        p.item(tr("demo.submitted", who=who, unit=where, typed=youth.unit, outcome=outcome))

    await _bad_inputs(engine, p, run_tag)

    questions = await app.store.questions.of_campaign(campaign.id)
    topics = {  # a default group in the operator's language
        t.id: topic_label(tr, t.name) for t in await app.store.campaigns.topics(campaign.id)
    }
    by_topic = Counter(topics.get(q.topic_id, "?") for q in questions)
    p.head("demo.stored", n=len(questions))
    for name, count in by_topic.most_common():
        p.item(f"{count} × {name}")

    await _clusters(app, campaign, p)
    officials = await _officials(app, engine, p, run_tag)
    channel = DemoChannel()

    async def batch_progress(batch_id: int) -> None:
        await report_if_done(app.store, batch_id, now=clock.now())

    sender = OutboxSender(app.store, {"demo": channel}, clock, on_batch_progress=batch_progress)
    await _reminders(app, clock, sender, channel, p, dates)
    await _broadcast(officials["organiser"], sender, channel, p, dates)
    await _digest(app, campaign, p)
    await _documents(app, campaign, dates, p)
    await _answers(app, campaign, dates, officials["department"], sender, channel, p)
    await after_dialogue(app, campaign, clock, officials, sender, channel, p)


class DemoChannel:
    """A channel that only records: the demo's outbox deliveries, shown on screen."""

    capabilities = Capabilities(
        name="demo",
        text_limit=100_000,
        buttons=True,
        files=True,
        edits=False,
        messages_per_second=10_000.0,
        per_chat_interval=0.0,
    )

    def __init__(self) -> None:
        self.delivered: list[tuple[str, Reply]] = []

    async def deliver(self, chat_id: str, reply: Reply, *, start: int = 0) -> None:
        self.delivered.append((chat_id, reply))


async def _flush(sender: OutboxSender, channel: DemoChannel) -> list[tuple[str, Reply]]:
    start = len(channel.delivered)
    while await sender.drain_once():
        pass
    return channel.delivered[start:]


async def _clusters(app: App, campaign: Campaign, p: _Printer) -> None:
    result = await recluster(app.store, campaign.id, now=app.clock.now())
    p.head("demo.clusters", n=result.questions, clusters=p.tr.n("count.groups", result.clusters))
    data = await build_digest(
        app.store,
        campaign,
        scope=DigestScope(),
        show_names=False,
        language="vi",
        now=app.clock.now(),
    )
    for cluster in data.clusters[:3]:
        p.item(f"{cluster.people} × “{cluster.representative_text[:90]}”")


async def _officials(app: App, engine: Engine, p: _Printer, tag: str) -> dict[str, DemoDriver]:
    """A secretary, an organiser and a department contact redeem invites in chat."""
    p.head("demo.roles")
    unit = await app.store.units.by_code("w01273")
    assert unit is not None
    specs = {
        "secretary": {"unit_id": unit.id},
        "organiser": {},
        "department": {"department": "Sở Nội vụ"},
    }
    drivers = {}
    for role, scope in specs.items():
        code = await create_invite(app.store, role, now=app.clock.now(), **scope)  # type: ignore[arg-type]
        driver = DemoDriver(engine, user_id=f"demo-{tag}-{role}")
        await driver.say(f"/nhanquyen {code}")
        granted = driver.last[0].text  # then the tasks the role allows, as buttons
        p.item(f"youthbot invite --role {role} → /nhanquyen {code}: {granted}")
        drivers[role] = driver
    return drivers


async def _reminders(
    app: App,
    clock: FakeClock,
    sender: OutboxSender,
    channel: DemoChannel,
    p: _Printer,
    dates: DemoDates,
) -> None:
    p.head("demo.reminders")
    for days_before in (7, 3):
        day = dates.units_submit - timedelta(days=days_before)
        clock.set(datetime.combine(day, time(8, 5), tzinfo=app.tz))
        queued = await reminders.tick(app.store, now=clock.now(), tz=app.tz)
        sent = await _flush(sender, channel)
        p.item(
            p.tr.n(
                "demo.reminders.at", queued, when=f"{clock.now().astimezone(app.tz):%d/%m %H:%M}"
            )
        )
        for _, reply in sent[:2]:
            p.item("  " + reply.text.splitlines()[0][:110])


async def _broadcast(
    organiser: DemoDriver, sender: OutboxSender, channel: DemoChannel, p: _Printer, dates: DemoDates
) -> None:
    p.head("demo.broadcast")
    await organiser.say("/thongbao")
    await organiser.tap("Toàn bộ thanh niên")
    await organiser.say(
        f"Hội nghị đối thoại diễn ra ngày {dates.dialogue:%d/%m/%Y} tại Hội trường UBND tỉnh. "
        "Mời các bạn theo dõi trực tuyến!"
    )
    p.item(organiser.text.splitlines()[0])
    await organiser.tap("Gửi thông báo")
    p.item(organiser.text)
    sent = await _flush(sender, channel)
    await _flush(sender, channel)  # the final report to the organiser
    p.item(p.tr.n("demo.delivered", len(sent)))
    p.item(channel.delivered[-1][1].text)  # the final report, back to the organiser


async def _digest(app: App, campaign: Campaign, p: _Printer) -> None:
    out = app.settings.core.out_dir
    files = await produce_digest(
        app.store,
        campaign,
        scope=DigestScope(),
        show_names=True,
        language=app.settings.core.language,
        now=app.clock.now(),
        out_dir=out,
        local_now=app.local_now(),
    )
    message = out / (files.xlsx.stem + ".txt")
    message.write_text(files.text + "\n", encoding="utf-8")
    export = out / (files.xlsx.stem + ".jsonl")
    write_questions_jsonl(files.data.questions, export)
    p.head(
        "demo.digest",
        n=files.data.totals.questions,
        people=p.tr.n("count.young_people", files.data.totals.people),
    )
    for line in files.text.splitlines()[:6]:
        p.item(line)
    for path in (message, files.xlsx, files.docx, files.chart, export):
        p.item(f"→ {path}")


async def _answers(
    app: App,
    campaign: Campaign,
    dates: DemoDates,
    department: DemoDriver,
    sender: OutboxSender,
    channel: DemoChannel,
    p: _Printer,
) -> None:
    p.head("demo.answers")
    answered = datetime.combine(dates.answers_due - timedelta(days=2), time(10), tzinfo=app.tz)
    app.clock.set(answered)  # type: ignore[attr-defined]
    # On a phone: the list of questions waiting (largest groups first), one tapped, the
    # answer typed as the next message.
    await department.say("/traloi")
    p.item("/traloi → " + short(department.text.replace("\n", " / "), 220))
    first = department.last[-1].choices[0].label
    await department.tap(first)
    await department.say(
        "Tỉnh hỗ trợ thanh niên tìm việc qua Trung tâm Dịch vụ việc làm và các phiên giao dịch"
        " việc làm hằng tháng; bạn đăng ký tại UBND xã, phường."
    )
    p.item(department.text.splitlines()[0])
    await department.tap("Gửi tới người hỏi")  # to the asker and supporters, not the group
    p.item(department.text.replace("\n", " / "))
    for _, reply in await _flush(sender, channel):
        p.item("  " + reply.text.replace("\n", " / ")[:150])


async def _documents(app: App, campaign: Campaign, dates: DemoDates, p: _Printer) -> None:
    """The three documents of `youthbot export --format docx`: the summary, a ward's own
    list and the letters forwarding questions to departments, each issued and signed by its
    own body, made the day after the units' deadline (before Sở Nội vụ's forwarding date),
    once the questions are routed."""
    p.head("demo.documents")
    made = datetime.combine(dates.units_submit + timedelta(days=1), time(10), tzinfo=app.tz)
    app.clock.set(made)  # type: ignore[attr-defined]
    topic = await find_topic(app.store, campaign.id, "viec lam")
    province = await campaign_province(app.store, campaign)
    home = await find_department(app.store, province, "so noi vu", now=app.clock.now())
    routed = await app.store.questions.route_topic(topic.id, home.name, now=app.clock.now())
    p.item(f'youthbot route --topic "viec lam" --department "so noi vu": {home.name}, {routed}')
    topics = await app.store.campaigns.topics(campaign.id)
    digital = next(t for t in topics if "chuyển đổi số" in t.name.lower())
    await app.store.questions.route_topic(digital.id, DEMO_DEPARTMENTS[1], now=app.clock.now())
    unit = await app.store.units.by_code(DEMO_UNIT)
    assert unit is not None
    scopes = [
        DigestScope(),
        DigestScope(kind="unit", unit_id=unit.id),
        *(DigestScope(kind="department", department=d) for d in DEMO_DEPARTMENTS),
    ]
    language = app.settings.core.language
    tr = translator(language)
    out = app.settings.core.out_dir
    for scope in scopes:
        data = await build_digest(
            app.store,
            campaign,
            scope=scope,
            show_names=True,
            language=language,
            now=app.clock.now(),
            tz_today=app.local_now(),
        )
        stem = file_stem(data, app.local_now(), host=campaign.host_unit_name)
        stem = reserve(out, stem, (".docx", ".xlsx"))
        docx_path = write_docx(data, out / f"{stem}.docx", tr=tr)
        xlsx_path = write_xlsx(data, out / f"{stem}.xlsx", tr=tr)
        issuer = data.issuer
        assert issuer is not None
        to = data.scope_name if scope.kind == "department" else issuer.recipients[0]
        if is_self(to, issuer):  # its own questions: to its own offices, as the letter says
            to = tr.t("document.department.internal", issuer=issuer.name)
        p.item(
            p.tr.n(
                "demo.document",
                data.totals.questions,
                issuer=issuer.name,
                to=to,
                signer=issuer.signer.name or "…",
            )
        )
        p.item(f"  → {docx_path}  {xlsx_path.name}")


async def _campaign(app: App, p: _Printer, dates: DemoDates, *, host_code: str) -> Campaign:
    # The demo's file holds only the demo's runs: earlier ones are archived, so young
    # people (and `youthbot chat --demo`) meet one open campaign.
    for existing in await app.store.campaigns.active():
        await app.store.campaigns.update(existing.id, now=app.clock.now(), status="archived")
    campaign = await create_campaign(
        app,
        title=DEMO_TITLE.format(year=dates.dialogue.year),
        theme="Thanh niên Cao Bằng với chuyển đổi số và khởi nghiệp",
        host_code=host_code,
        organiser="Ban Thường vụ Tỉnh đoàn Cao Bằng",
        contact="Văn phòng Tỉnh đoàn Cao Bằng, đường Hoàng Đình Giong, phường Thục Phán",
        dialogue=dates.dialogue,
        overrides={
            DeadlineKind.UNITS_SUBMIT: dates.units_submit,
            DeadlineKind.ANSWERS_DUE: dates.answers_due,
        },
    )
    p.head("demo.campaign", id=campaign.id, title=campaign.title)
    for deadline in campaign.deadlines:
        p.item(f"{p.tr('deadline.' + deadline.kind.value)}: {deadline.due:%d/%m/%Y}")
    # Who signs the documents (as `youthbot campaign edit --documents ...` sets it); the
    # names are made up for the demo.
    now = app.clock.now()
    for level, target, fields in DEMO_SIGNERS:
        await app.store.issuers.set(campaign.id, level, target, now=now, **fields)
    return campaign


async def _bad_inputs(engine: Engine, p: _Printer, tag: str) -> None:
    p.head("demo.bad_input")
    driver = DemoDriver(engine, user_id=f"demo-{tag}-bad-input")
    await driver.say("/start")
    await driver.send(EventKind.MEDIA, media_type="sticker")
    p.item(f"sticker → {driver.last[0].text}")
    await driver.send(EventKind.BUTTON, payload="999999.up.1")
    p.item(f"forged button → {driver.last[0].text}")
    await driver.say("/khonghieu")
    p.item(f"/khonghieu → {driver.last[0].text}")


class _Printer:
    def __init__(self, out: TextIO, tr: Translator) -> None:
        self.out = out
        self.tr = tr

    def head(self, key: str, **kwargs: Any) -> None:
        self.out.write(f"\n== {self._text(key, kwargs)}\n")

    def line(self, key: str, **kwargs: Any) -> None:
        self.out.write(self._text(key, kwargs) + "\n")

    def _text(self, key: str, kwargs: dict[str, Any]) -> str:
        """A heading's words; ``n=`` is a count they agree with (a plural message)."""
        if "n" in kwargs:
            return self.tr.n(key, kwargs.pop("n"), **kwargs)
        return self.tr(key, **kwargs)

    def item(self, text: str) -> None:
        self.out.write(f"   {text}\n")
