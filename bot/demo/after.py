"""The demo after the questions: a department answers by its XLSX sheet, organisers edit
the live programme, the dialogue takes place, the chair's conclusion notice is published
to the askers, a commitment is reminded and done, and the four documents are written.

Called at the end of :func:`bot.demo.script.run_demo`, on its simulated clock, through the
same code paths as the chat commands and the command line.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl

from bot.application.app import App
from bot.campaign import programme, reminders
from bot.campaign.departments import campaign_province, find_department, find_topic
from bot.clock import FakeClock
from bot.documents.answer_sheet import (
    apply_import,
    plan_import,
    read_answer_sheet,
    sheet_file_name,
    sheet_questions,
    write_campaign_sheet,
)
from bot.documents.followup import DOCUMENT_KINDS, FILE_STEMS
from bot.documents.followup_build import build_document
from bot.documents.followup_docx import write_followup_docx
from bot.documents.names import dated_stem, reserve
from handlers.answers import publish
from handlers.engine import short
from locales import translator
from storage.models import Campaign

if TYPE_CHECKING:
    from bot.delivery.outbox import OutboxSender
    from bot.demo.script import DemoChannel, DemoDriver, _Printer

#: What the demo's departments write back in their sheets.
SHEET_ANSWERS = (
    "Năm nay tỉnh phủ sóng 4G cho các xóm vùng cao còn lõm sóng; thanh niên phản ánh điểm"
    " mất sóng qua Zalo của UBND xã để được ưu tiên."
)

CHAIR_ON_JOBS = (
    "Tỉnh giao Trung tâm Dịch vụ việc làm tổ chức phiên giao dịch việc làm hằng tháng tại các"
    " xã; thanh niên mới tốt nghiệp được tư vấn miễn phí."
)
CHAIR_ON_TALENT = (
    "Học sinh đạt giải quốc gia được ưu tiên xét tuyển vào cơ quan nhà nước của tỉnh sau khi"
    " tốt nghiệp đại học, theo chính sách thu hút tài năng trẻ."
)


async def _flush(sender: OutboxSender, channel: DemoChannel) -> list[str]:
    start = len(channel.delivered)
    while await sender.drain_once():
        pass
    return [reply.text for _, reply in channel.delivered[start:]]


async def after_dialogue(
    app: App,
    campaign: Campaign,
    clock: FakeClock,
    officials: dict[str, DemoDriver],
    sender: OutboxSender,
    channel: DemoChannel,
    p: _Printer,
) -> None:
    await _sheet(app, campaign, sender, channel, p)
    await _feedback(officials["organiser"], channel, p)
    await _programme(app, campaign, officials["organiser"], p)
    await _dialogue(app, campaign, clock, officials["organiser"], sender, channel, p)
    await _commitments(app, campaign, clock, officials["department"], sender, channel, p)
    await _documents(app, campaign, p)


async def _sheet(
    app: App, campaign: Campaign, sender: OutboxSender, channel: DemoChannel, p: _Printer
) -> None:
    """A department answers by its own XLSX sheet (the old name still finds it)."""
    p.head("demo.sheet")
    now = app.clock.now()
    province = await campaign_province(app.store, campaign)
    topic = await find_topic(app.store, campaign.id, "chuyen doi so")
    department = await find_department(app.store, province, "Sở Thông tin và Truyền thông", now=now)
    routed = await app.store.questions.route_topic(topic.id, department.name, now=now)
    p.item(
        f'youthbot route --topic "chuyen doi so" --department "Sở Thông tin và Truyền thông"'
        f" → {department.name} ({routed})"
    )
    tr = translator(app.settings.core.language)
    out = app.settings.core.out_dir
    path = out / sheet_file_name(campaign, department.name, app.local_now())
    rows = await sheet_questions(app.store, campaign, department.name, tr=tr)
    await asyncio.to_thread(
        write_campaign_sheet,
        rows,
        path,
        campaign=campaign,
        department=department.name,
        tr=tr,
    )
    p.item(f"youthbot answers sheet --department SKHCN → {path}")
    filled = path.with_name(path.stem + "-da-tra-loi.xlsx")
    await asyncio.to_thread(_fill, path, filled, {r.code for r in rows})
    content = await asyncio.to_thread(read_answer_sheet, filled)
    plan = await plan_import(app.store, content, department=department.name, now=app.clock.now())
    recorded = await apply_import(app.store, plan, now=app.clock.now())
    p.item(
        p.tr.n(
            "demo.sheet.imported",
            recorded,
            path=filled.name,
            errors=p.tr.n("count.bad_rows", len(plan.errors)),
        )
    )
    drafts = await app.store.questions.unpublished_answers(campaign.id, department=department.name)
    result = await publish(app.store, drafts, now=app.clock.now())
    p.item(
        p.tr.n(
            "demo.sheet.published",
            len(result.questions),
            people=p.tr.n("count.young_people", result.notified),
        )
    )
    for text in (await _flush(sender, channel))[:2]:
        p.item("  " + short(text.replace("\n", " / "), 150))


#: What a young person writes back after reading the answer.
FEEDBACK = "Xóm em vẫn chưa có sóng, em chưa hài lòng với câu trả lời ạ"


async def _feedback(someone: DemoDriver, channel: DemoChannel, p: _Printer) -> None:
    """One of the young people told the answer writes back; it is recorded with the
    question the answer was for, not as a new question."""
    # The person told the answer just shown (the latest answer delivered).
    answered = [chat for chat, reply in channel.delivered if "đã có trả lời" in reply.text]
    if not answered:
        return
    person = someone.other(answered[-1], session="after-")
    await person.say(FEEDBACK)
    p.item(f"“{FEEDBACK}” → {short(person.text.replace(chr(10), ' / '), 150)}")
    await person.tap("Ý kiến về câu")
    p.item(f"[Ý kiến về câu …] → {short(person.text, 150)}")


def _fill(source: Path, target: Path, codes: set[str]) -> None:
    """What the department does in its spreadsheet: type the answers, save a copy."""
    wb = openpyxl.load_workbook(source)
    ws = wb.active
    assert ws is not None
    for row in ws.iter_rows():
        if row[1].value in codes:
            row[7].value = SHEET_ANSWERS
    wb.save(target)


async def _programme(app: App, campaign: Campaign, organiser: DemoDriver, p: _Printer) -> None:
    """The organisers start from the proposal and edit it in chat (/kichban)."""
    p.head("demo.programme")
    entries = await programme.propose(app.store, campaign, now=app.clock.now())
    p.item(p.tr.n("demo.programme.proposed", len(entries)))
    if len(entries) >= 3:
        first, second, last = entries[0], entries[1], entries[-1]
        commands = [
            f"/kichban sua {first.question.code} Tỉnh có chính sách gì giúp thanh niên tìm việc"
            " làm sau khi tốt nghiệp?",
            f"/kichban giao {first.question.code} chutich",
            f"/kichban ghim {second.question.code}",
            f"/kichban bo {last.question.code}",
            f"/kichban chuyen {second.question.code} 1",
        ]
        for command in commands:
            await organiser.say(command)
            p.item(command)
    for line in organiser.text.splitlines()[:7]:
        p.item("  " + line)


async def _dialogue(
    app: App,
    campaign: Campaign,
    clock: FakeClock,
    organiser: DemoDriver,
    sender: OutboxSender,
    channel: DemoChannel,
    p: _Printer,
) -> None:
    """The dialogue day; the chair's answers and commitments; the notice published."""
    p.head("demo.dialogue", date=f"{campaign.dialogue_date:%d/%m/%Y}")
    clock.set(datetime.combine(campaign.dialogue_date, time(10), tzinfo=app.tz))
    topics = {t.id: t.name for t in await app.store.campaigns.topics(campaign.id)}
    entries = await programme.entries(app.store, campaign)
    jobs = next((e for e in entries if "việc làm" in topics.get(e.question.topic_id, "")), None)
    talent = next((e for e in entries if "tài năng" in topics.get(e.question.topic_id, "")), None)
    for entry, text in ((jobs, CHAIR_ON_JOBS), (talent, CHAIR_ON_TALENT)):
        if entry is not None:
            await organiser.say(f"/ketluan {entry.question.code} {text}")
            p.item(f"/ketluan {entry.question.code} …: {organiser.text}")
    if jobs is not None:
        due = campaign.dialogue_date + timedelta(days=30)
        command = (
            f"/camket {jobs.question.code}; SNV; {due:%d/%m/%Y}; Tổ chức phiên giao dịch việc"
            " làm cho thanh niên tại 10 xã vùng cao"
        )
        await organiser.say(command)
        p.item(f"{command}: {organiser.text}")
    clock.set(clock.now() + timedelta(days=3))
    await organiser.say("/ketluan congbo")
    p.item(organiser.text)
    await organiser.tap("Công bố")
    p.item(organiser.text)
    sent = await _flush(sender, channel)
    p.item(p.tr.n("demo.delivered", len(sent)))
    for text in sent[:2]:  # the part of the notice that answers this person
        p.item("  " + short(text.split("\n\n", 1)[-1].replace("\n", " / "), 220))
    await organiser.say("/ketluan congbo")
    p.item(f"/ketluan congbo ({p.tr('demo.again')}): {organiser.text}")


async def _commitments(
    app: App,
    campaign: Campaign,
    clock: FakeClock,
    department: DemoDriver,
    sender: OutboxSender,
    channel: DemoChannel,
    p: _Printer,
) -> None:
    """The commitment's reminder a week before it is due; the department reports it done."""
    p.head("demo.commitments")
    found = await app.store.conclusions.commitments(campaign.id)
    if not found:
        return
    commitment = found[0]
    clock.set(datetime.combine(commitment.due - timedelta(days=7), time(8, 5), tzinfo=app.tz))
    queued = await reminders.tick(app.store, now=clock.now(), tz=app.tz)
    p.item(
        p.tr.n("demo.reminders.at", queued, when=f"{clock.now().astimezone(app.tz):%d/%m %H:%M}")
    )
    for text in (await _flush(sender, channel))[:1]:
        p.item("  " + short(text, 200))
    await department.say(f"/camket xong {commitment.id} Đã tổ chức tại 10 xã")
    p.item(f"/camket xong {commitment.id}: {department.text}")


async def _documents(app: App, campaign: Campaign, p: _Printer) -> None:
    """The four documents after the questions, and the report's figures."""
    p.head("demo.followup_documents")
    language = app.settings.core.language
    tr = translator(language)
    out = app.settings.core.out_dir
    report = None
    for kind in DOCUMENT_KINDS:
        document = await build_document(
            kind,
            app.store,
            campaign,
            language=language,
            today=app.local_now().date(),
            now=app.clock.now(),
        )
        stem = dated_stem(FILE_STEMS[kind], campaign.host_unit_name, app.local_now())
        stem = reserve(out, stem, (".docx",))
        path = out / f"{stem}.docx"
        await asyncio.to_thread(write_followup_docx, document, path, tr=tr)
        p.item(f"youthbot export --format docx --document {kind} → {path}")
        if kind == "report":
            report = document
    if report is not None and hasattr(report, "figures"):
        f = report.figures
        p.item(
            p.tr.n(
                "demo.report",
                f.questions,
                people=p.tr.n("count.young_people", f.people),
                answered=f.answered,
                in_time=f.answered_in_time,
                live=f.live_questions,
                chair=f.answered_live,
                pending=f.pending,
                commitments=p.tr.n("count.commitments", f.commitments),
                done=f.commitments_done,
            )
        )
