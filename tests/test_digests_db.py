"""Digests from the database: contents checked against what is stored, scope and privacy,
files read back with openpyxl and python-docx, e-mail to a real SMTP server, schedules on
a fake clock with a restart, /baocao in chat, and `youthbot export`."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import docx
import openpyxl
import pytest

from bot.application.app import App
from bot.application.config import Settings
from bot.application.wiring import build_engine, digest_tick
from bot.cli import main
from bot.clock import FakeClock
from bot.documents import produce as produce_module
from bot.documents import schedule
from bot.documents.build import DigestScope, build_digest
from bot.documents.produce import StoreDigestMaker, produce_digest
from handlers.engine import Engine
from handlers.roles import create_invite
from storage.models import Campaign
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker

QUESTIONS = [
    (
        "thuc phan",
        "Nông Thị Hoa",
        "việc làm",
        "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?",
    ),
    (
        "dam thuy",
        None,
        "Khởi nghiệp",
        "Lãi suất vay vốn khởi nghiệp cho thanh niên hiện nay là bao nhiêu?",
    ),
    (
        "thuc phan",
        "Lò Văn Tùng",
        "Chuyển đổi số",
        "Khi nào các thôn vùng cao có sóng 4G ổn định để học trực tuyến?",
    ),
]


async def ask(
    engine: object, user: str, unit: str, name: str | None, topic: str, text: str
) -> None:
    t = Talker(engine, user_id=user)  # type: ignore[arg-type]
    await t.say("/start")
    await t.press("đồng ý")
    await t.say(unit)
    await t.press(t.last_prompt().choices[0].label)
    if name:
        await t.say(name)
    else:
        await t.press("Ẩn danh")
    await t.press("Bỏ qua")
    await t.press(topic)
    await t.say(text)
    await t.press("Gửi")
    assert "Mã câu hỏi" in t.last_text


@pytest.fixture
async def filled(province_app: App, campaign: Campaign) -> App:
    engine = build_engine(province_app)
    for i, (unit, name, topic, text) in enumerate(QUESTIONS):
        province_app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        await ask(engine, f"y{i}", unit, name, topic, text)
    return province_app


async def test_digest_counts_match_the_database(filled: App, campaign: Campaign) -> None:
    data = await build_digest(
        filled.store,
        campaign,
        scope=DigestScope(),
        show_names=True,
        language="vi",
        now=filled.clock.now(),
    )
    stored = await filled.store.questions.of_campaign(campaign.id)
    assert data.totals.questions == len(stored) == 3
    assert data.totals.units == 2
    assert {q.code for q in data.questions} == {q.code for q in stored}
    anonymous = [q for q in data.questions if q.anonymous]
    assert len(anonymous) == 1 and anonymous[0].asker_name is None
    assert "Phường Thục Phán" not in {u.name for u in data.silent_units}
    assert "Xã Hà Quảng" in {u.name for u in data.silent_units}
    assert data.deadlines[1].due == date(2025, 8, 21)


async def test_secretary_digest_holds_only_their_unit(filled: App, campaign: Campaign) -> None:
    unit = await filled.store.units.by_code("w01273")
    assert unit is not None
    data = await build_digest(
        filled.store,
        campaign,
        scope=DigestScope("unit", unit.id),
        show_names=True,
        language="vi",
        now=filled.clock.now(),
    )
    assert {q.unit_name for q in data.questions} == {"Phường Thục Phán"}
    assert data.totals.questions == 2
    assert [u.name for u in data.units] == ["Phường Thục Phán"]


async def test_names_hidden_when_not_entitled(filled: App, campaign: Campaign) -> None:
    data = await build_digest(
        filled.store,
        campaign,
        scope=DigestScope(),
        show_names=False,
        language="vi",
        now=filled.clock.now(),
    )
    assert all(q.asker_name is None for q in data.questions)


async def test_files_read_back_match_the_database(
    filled: App, campaign: Campaign, tmp_path: Path
) -> None:
    files = await produce_digest(
        filled.store,
        campaign,
        scope=DigestScope(),
        show_names=True,
        language="vi",
        now=filled.clock.now(),
        out_dir=tmp_path / "out",
    )
    stored = {q.code: q for q in await filled.store.questions.of_campaign(campaign.id)}
    book = openpyxl.load_workbook(files.xlsx)
    sheet = next(ws for ws in book.worksheets if ws.max_row == len(stored) + 1)
    header = [c.value for c in sheet[1]]
    code_col = next(i for i, h in enumerate(header) if h and "Mã" in str(h))
    codes = {row[code_col] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert codes == set(stored)
    assert sheet.freeze_panes == "A2"
    text = "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)
    assert "TỔNG HỢP" in text.upper()
    assert "Nông Thị Hoa" in text and "Lò Văn Tùng" in text
    assert files.chart_data.by_topic and sum(n for _, n in files.chart_data.by_topic) == 3


async def secretary(app: App, engine: Engine, unit_code: str) -> Talker:
    """The Youth Union secretary of a unit, in chat (invited, then redeemed)."""
    unit = await app.store.units.by_code(unit_code)
    assert unit is not None
    code = await create_invite(app.store, "secretary", now=app.clock.now(), unit_id=unit.id)
    sec = Talker(engine, user_id="sec")
    await sec.say(f"/nhanquyen {code}")
    return sec


async def test_chat_report_respects_roles(filled: App, campaign: Campaign) -> None:
    engine = build_engine(filled)
    youth = Talker(engine, user_id="y0")
    await youth.say("/baocao")
    assert "không có quyền" in youth.last_text
    sec = await secretary(filled, engine, "w01279")
    replies = await sec.say("/baocao")
    assert "Phường Nùng Trí Cao" in replies[0].text
    assert "Thục Phán" not in replies[0].text  # another unit's questions never appear
    names = [a.filename for a in replies[0].attachments]
    assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".png") for n in names)


async def test_a_large_chat_report_is_prepared_after_the_chat_and_sent(
    filled: App, campaign: Campaign
) -> None:
    """From a campaign's size up (100,000 questions: 10-20 s of work), /baocao answers at
    once and its files follow through the outbox; building them inside the chat's
    transaction had kept every other chat waiting that long."""
    engine = build_engine(filled)
    maker = StoreDigestMaker(filled, background_from=1)
    engine.digests = maker
    sec = await secretary(filled, engine, "w01279")
    replies = await sec.say("/baocao")
    questions = await filled.store.questions.count(campaign.id)
    assert f"có {questions} câu hỏi" in replies[-1].text and not replies[-1].attachments
    await maker.wait_idle()
    person = await filled.store.people.by_identity("test", "sec")
    assert person is not None
    [row] = await filled.store.db.fetchall(
        "SELECT body FROM outbox WHERE kind = 'digest' AND person_id = ?", (person.id,)
    )
    body = json.loads(row["body"])
    assert "Phường Nùng Trí Cao" in body["text"] and "Thục Phán" not in body["text"]
    names = [attachment["path"] for attachment in body["attachments"]]
    assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".docx") for n in names)
    assert (
        await filled.store.db.fetchval("SELECT status FROM job_runs WHERE job = 'chat-digest'")
        == "done"
    )


async def test_a_chat_report_cut_short_is_made_at_a_later_tick(
    filled: App, campaign: Campaign, clock: FakeClock
) -> None:
    """The bot stopped (or crashed) while the files were being built: the request was
    recorded with the chat's answer, so the scheduler's tick makes it later, once."""
    engine = build_engine(filled)
    maker = StoreDigestMaker(filled, background_from=1)
    engine.digests = maker
    code = await create_invite(filled.store, "organiser", now=clock.now(), campaign_id=campaign.id)
    org = Talker(engine, user_id="org")
    await org.say(f"/nhanquyen {code}")
    await org.say("/baocao")
    for task in list(maker._tasks):  # the stop
        task.cancel()
    await maker.wait_idle()
    person = await filled.store.people.by_identity("test", "org")
    assert person is not None
    sql = "SELECT body FROM outbox WHERE kind = 'digest' AND person_id = ?"
    assert await filled.store.db.fetchall(sql, (person.id,)) == []
    assert await digest_tick(filled, clock.now()) == 0  # not before it could have finished
    clock.advance(timedelta(minutes=11))
    assert await digest_tick(filled, clock.now()) == 1
    [row] = await filled.store.db.fetchall(sql, (person.id,))
    assert json.loads(row["body"])["attachments"]
    assert await digest_tick(filled, clock.now()) == 0  # once


async def test_scheduled_digest_once_per_period_and_after_restart(
    filled: App, campaign: Campaign, clock: FakeClock
) -> None:
    engine = build_engine(filled)
    code = await create_invite(filled.store, "organiser", now=clock.now(), campaign_id=campaign.id)
    org = Talker(engine, user_id="org")
    await org.say(f"/nhanquyen {code}")
    clock.set(datetime.fromisoformat("2025-07-01T17:05:00+07:00"))
    assert await schedule.tick(filled, clock.now()) == 1
    assert await schedule.tick(filled, clock.now()) == 0  # same period: never twice
    async with await App.open(Settings(env_file=None), clock=clock) as restarted:
        assert await schedule.tick(restarted, clock.now()) == 0
        # Down for two days: the latest missed run is caught up once.
        clock.set(datetime.fromisoformat("2025-07-04T09:00:00+07:00"))
        assert await schedule.tick(restarted, clock.now()) == 1
        assert await schedule.tick(restarted, clock.now()) == 0
    rows = await filled.store.db.fetchall(
        "SELECT body FROM outbox WHERE kind = 'digest' ORDER BY id"
    )
    bodies = [json.loads(r["body"]) for r in rows]
    assert "Đối thoại 2025" in bodies[0]["text"]
    assert bodies[0]["attachments"]  # files go with the first digest
    # Nothing new in the second period: one short line, no files.
    assert not bodies[1]["attachments"]


async def test_digest_by_email_to_a_real_smtp_server(
    filled: App,
    campaign: Campaign,
    smtp_server: tuple[object, int],  # a real aiosmtpd server (tests/conftest.py)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp_server
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_STARTTLS", "false")
    monkeypatch.setenv("SMTP_SENDER", "youthbot@tinhdoan.test")
    assert await asyncio.to_thread(main, ["digest", "--email", "sonoivu@caobang.test"]) == 0
    [(_sender, recipients, raw)] = inbox.messages  # type: ignore[attr-defined]
    assert recipients == ["sonoivu@caobang.test"]
    parsed = message_from_bytes(raw)
    names = sorted(part.get_filename() for part in parsed.walk() if part.get_filename())
    assert any(n.endswith(".docx") for n in names) and any(n.endswith(".xlsx") for n in names)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx", "docx"])
async def test_export_formats(
    filled: App, campaign: Campaign, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"export.{fmt}"
    assert await asyncio.to_thread(main, ["export", "--format", fmt, "--out", str(out)]) == 0
    assert out.exists() and out.stat().st_size > 0
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
        assert len(rows) == 3
        assert all(r["campaign_id"] == campaign.id and r["unit_code"] for r in rows)
        anonymous = [r for r in rows if r["anonymous"]]
        assert len(anonymous) == 1 and "asker_name" not in anonymous[0]


async def test_export_errors_are_one_line(filled: App, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["export", "--unit", "nope"],
        ["export", "--campaign", "99"],
        ["export", "--format", "csv", "--out", "/nonexistent/dir/x.csv"],
    ):
        assert await asyncio.to_thread(main, argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all("Traceback" not in line for line in err)


async def test_digest_schedule_and_email_are_chosen_per_role(
    filled: App, campaign: Campaign, clock: FakeClock
) -> None:
    engine = build_engine(filled)
    code = await create_invite(filled.store, "organiser", now=clock.now(), campaign_id=campaign.id)
    org = Talker(engine, user_id="org")
    await org.say(f"/nhanquyen {code}")
    await org.say("/email khong-phai-email")
    assert "Cách dùng" in org.last_text
    await org.say("/email tinhdoan@caobang.test")
    assert "Đã lưu" in org.last_text
    [role] = await filled.store.roles.all()
    argv = [
        "roles",
        "digest",
        str(role.id),
        "--frequency",
        "weekly",
        "--weekday",
        "4",
        "--hour",
        "9",
    ]
    assert await asyncio.to_thread(main, argv) == 0
    assert await asyncio.to_thread(main, ["roles", "digest", "999", "--frequency", "daily"]) == 2
    [sub] = await filled.store.jobs.subscriptions()
    assert (sub.frequency, sub.weekday, sub.hour) == ("weekly", 4, 9)
    refreshed = await filled.store.roles.get(role.id)
    assert refreshed is not None and refreshed.email == "tinhdoan@caobang.test"
    # The CLI ran on the real clock; subscribe again on the test's clock for the schedule.
    await filled.store.jobs.subscribe(
        role.id, frequency="weekly", weekday=4, hour=9, now=clock.now()
    )
    clock.set(datetime.fromisoformat("2025-07-03T17:00:00+07:00"))  # Thursday: not yet
    assert await schedule.tick(filled, clock.now()) == 0
    clock.set(datetime.fromisoformat("2025-07-04T09:01:00+07:00"))  # Friday 09:00
    assert await schedule.tick(filled, clock.now()) == 1


async def test_a_scheduled_digest_cut_short_is_sent_later_once(
    filled: App,
    campaign: Campaign,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The files cannot be written (the output folder is a file): the run fails, and the
    # period is not marked done, so the digest is not lost.
    blocked = tmp_path / "out"
    blocked.write_text("not a folder")
    monkeypatch.setenv("YOUTHBOT_OUT_DIR", str(blocked))
    app = App(settings=Settings(env_file=None), store=filled.store, clock=clock)
    code = await create_invite(app.store, "organiser", now=clock.now(), campaign_id=campaign.id)
    await Talker(build_engine(app), user_id="org").say(f"/nhanquyen {code}")
    clock.set(datetime.fromisoformat("2025-07-01T17:05:00+07:00"))
    assert await schedule.tick(app, clock.now()) == 0
    sql = "SELECT body FROM outbox WHERE kind = 'digest'"
    assert await app.store.db.fetchall(sql) == []
    clock.advance(timedelta(minutes=1))
    assert await schedule.tick(app, clock.now()) == 0  # not at every tick: it may be running
    monkeypatch.setenv("YOUTHBOT_OUT_DIR", str(tmp_path / "files"))
    fixed = App(settings=Settings(env_file=None), store=filled.store, clock=clock)
    clock.advance(produce_module.RESUME_AFTER)
    assert await schedule.tick(fixed, clock.now()) == 1
    assert await schedule.tick(fixed, clock.now()) == 0  # done: once
    [row] = await app.store.db.fetchall(sql)
    assert json.loads(row["body"])["attachments"]
    # A crash after the run began left it pending: a restart takes it up once, and what
    # was queued before is not queued again.
    [sub] = await app.store.jobs.subscriptions()
    clock.set(datetime.fromisoformat("2025-07-02T17:01:00+07:00"))
    period = schedule.last_slot(sub, clock.now(), app.tz).isoformat()
    stale = clock.now() - produce_module.RESUME_AFTER
    job = f"digest:{sub.id}"
    assert await fixed.store.jobs.take(job, period, now=clock.now(), stale_before=stale)
    assert not await fixed.store.jobs.take(job, period, now=clock.now(), stale_before=stale)
    async with await App.open(Settings(env_file=None), clock=clock) as restarted:
        assert await schedule.tick(restarted, clock.now()) == 0
        clock.advance(produce_module.RESUME_AFTER + timedelta(minutes=1))
        assert await schedule.tick(restarted, clock.now()) == 1
        assert await schedule.tick(restarted, clock.now()) == 0
    assert len(await app.store.db.fetchall(sql)) == 2


async def test_report_on_zalo_sends_files_by_telegram_and_email(
    filled: App,
    campaign: Campaign,
    smtp_server: tuple[object, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp_server
    for name, value in (
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", str(port)),
        ("SMTP_STARTTLS", "false"),
    ):
        monkeypatch.setenv(name, value)
    app = App(settings=Settings(env_file=None), store=filled.store, clock=filled.clock)
    engine = build_engine(app)
    unit = await app.store.units.by_code("w01273")
    assert unit is not None
    code = await create_invite(app.store, "secretary", now=app.clock.now(), unit_id=unit.id)
    sec = Talker(engine, user_id="zalo-sec", channel="zalo")
    await sec.say(f"/nhanquyen {code}")
    # Without Telegram or e-mail the secretary is told how to get the files.
    replies = await sec.say("/baocao")
    assert "Zalo không gửi được tệp" in replies[-1].text and not replies[-1].attachments
    person = await app.store.people.by_identity("zalo", "zalo-sec")
    assert person is not None
    tg, _ = await app.store.people.get_or_create(
        channel="telegram",
        external_id="777",
        chat_id="777",
        display_name=None,
        language="vi",
        now=app.clock.now(),
    )
    await app.store.people.merge(tg.id, person.id)
    await sec.say("/email bithu@thucphan.test")
    replies = await sec.say("/baocao")
    assert "Telegram, e-mail" in replies[-1].text
    rows = await app.store.db.fetchall(
        "SELECT channel, body FROM outbox WHERE kind = 'digest' AND person_id = ?", (person.id,)
    )
    [row] = rows
    assert row["channel"] == "telegram" and json.loads(row["body"])["attachments"]
    assert len(inbox.messages) == 1  # type: ignore[attr-defined]


async def test_quiet_setting_sends_nothing_for_a_period_without_news(
    filled: App, campaign: Campaign, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YOUTHBOT_DIGEST_QUIET", "true")
    app = App(settings=Settings(env_file=None), store=filled.store, clock=clock)
    code = await create_invite(app.store, "organiser", now=clock.now(), campaign_id=campaign.id)
    await Talker(build_engine(app), user_id="org").say(f"/nhanquyen {code}")
    clock.set(datetime.fromisoformat("2025-07-01T17:05:00+07:00"))
    assert await schedule.tick(app, clock.now()) == 1  # the day's questions
    clock.set(datetime.fromisoformat("2025-07-02T17:05:00+07:00"))
    assert await schedule.tick(app, clock.now()) == 0  # nothing new: nothing at all


async def test_hidden_units_count_only_for_their_questions(filled: App, campaign: Campaign) -> None:
    for code in ("w01273", "w01438"):  # Thục Phán has questions; Hà Quảng has none
        unit = await filled.store.units.by_code(code)
        assert unit is not None
        await filled.store.units.set_hidden(unit.id, True)
    data = await build_digest(
        filled.store,
        campaign,
        scope=DigestScope(),
        show_names=True,
        language="vi",
        now=filled.clock.now(),
    )
    assert data.totals.questions == 3 and data.totals.units == 2
    assert "Xã Hà Quảng" not in {u.name for u in data.silent_units}
