"""A department's answer sheet in chat: /phieu sends the XLSX of its questions; the filled
file sent back is read and its answers recorded as drafts, all or nothing, each wrong row
named; nothing reaches a young person until published. Over the engine (both databases)
and over Telegram (python-telegram-bot's real download from the fake Bot API)."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.telegram import TelegramChannel
from bot.documents.answer_sheet import COLUMNS, FIRST_DATA_ROW
from bot.documents.desk import StoreDocumentDesk
from bot.documents.produce import StoreDigestMaker
from handlers.events import EventKind, Reply
from handlers.roles import create_invite
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.followup import official, outbox, question, queued_to
from tests.pg import backend  # noqa: F401  (the engine tests here on SQLite and PostgreSQL)
from tests.talk import Talker
from tests.test_telegram_support import TOKEN, options, running, settle, telegram_app

JOBS = "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp đại học?"
FAIR = "Có hội chợ việc làm cho thanh niên ở xã không ạ?"
ANSWER_COLUMN = COLUMNS.index("answer") + 1
CODE_COLUMN = COLUMNS.index("code") + 1


async def route_jobs(app: App, campaign: Campaign) -> None:
    topic = next(t for t in await app.store.campaigns.topics(campaign.id) if "việc làm" in t.name)
    await app.store.questions.route_topic(topic.id, "Sở Nội vụ", now=app.clock.now())


def fill_sheet(
    source: Path | bytes, answers: dict[str, str], *, codes: dict[str, str] | None = None
) -> bytes:
    """A sheet (a file, or its bytes) with ``answers`` (code → text) written in and
    ``codes`` (code → another code) changed, as a department would send it back."""
    book = openpyxl.load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source)
    sheet = book.active
    assert sheet is not None
    for row in range(FIRST_DATA_ROW, sheet.max_row + 1):
        code = str(sheet.cell(row=row, column=CODE_COLUMN).value or "")
        if code in answers:
            sheet.cell(row=row, column=ANSWER_COLUMN, value=answers[code])
        if codes and code in codes:
            sheet.cell(row=row, column=CODE_COLUMN, value=codes[code])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filled(
    replies: list[Reply], answers: dict[str, str], *, codes: dict[str, str] | None = None
) -> bytes:
    """The sheet attached to ``replies``, filled in (:func:`fill_sheet`)."""
    [attachment] = [a for r in replies for a in r.attachments]
    return fill_sheet(attachment.path, answers, codes=codes)


async def send_file(talker: Talker, content: bytes | None, name: str = "tra-loi.xlsx") -> str:
    replies = await talker.event(
        EventKind.MEDIA, media_type="document", file_name=name, file_content=content
    )
    return "\n".join(r.text for r in replies)


async def test_a_department_gets_its_sheet_and_sends_it_back_filled(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    fair = await question(app, campaign, "minh", FAIR)
    await route_jobs(app, campaign)
    home = await official(app, engine, "department", "home", department="Sở Nội vụ")

    sheet_replies = await home.say("/phieu")
    assert "Phiếu trả lời của Sở Nội vụ: 2 câu hỏi, 2 câu chưa có trả lời" in home.last_text
    book = openpyxl.load_workbook(sheet_replies[0].attachments[0].path)
    cells = [str(c.value) for row in book.active.iter_rows() for c in row]  # type: ignore[union-attr]
    assert jobs.code in cells and fair.code in cells and JOBS in cells

    # A wrong code: nothing at all is recorded, and the row is named.
    wrong = filled(sheet_replies, {jobs.code: "Có.", fair.code: "Có."}, codes={fair.code: "ZZZZZZ"})
    said = await send_file(home, wrong)
    assert "1 dòng cần sửa; chưa ghi trả lời nào" in said and "ZZZZZZ" in said
    assert (await app.store.questions.get(jobs.id)).answer is None  # type: ignore[union-attr]

    good = filled(sheet_replies, {jobs.code: "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm."})
    said = await send_file(home, good)
    assert "Đã ghi 1 trả lời nháp từ phiếu của Sở Nội vụ" in said and "/congbo tatca" in said
    stored = await app.store.questions.get(jobs.id)
    assert stored is not None and stored.answer == "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm."
    assert not stored.answer_published and await outbox(app, "answer") == []
    said = await send_file(home, good)  # the same file again: nothing changes
    assert "Đã ghi 0 trả lời nháp" in said and "1 dòng không đổi" in said

    await home.say("/congbo tatca")
    await home.press("Gửi tất cả")
    assert [p for p, _ in await outbox(app, "answer")] == [jobs.person_id]


async def test_files_that_are_not_a_usable_sheet_or_not_yours(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    await route_jobs(app, campaign)
    home = await official(app, engine, "department", "home", department="Sở Nội vụ")
    health = await official(app, engine, "department", "health", department="Sở Y tế")
    sheet_replies = await home.say("/phieu")
    good = filled(sheet_replies, {jobs.code: "Có."})

    said = await send_file(health, good)
    assert "Đây là phiếu của Sở Nội vụ" in said and "Không ghi trả lời nào" in said
    assert "chưa phải phiếu trả lời" in await send_file(home, b"not a spreadsheet")
    assert "Chưa tải được tệp" in await send_file(home, None)
    await health.say("/phieu")
    assert "Chưa có câu hỏi nào được chuyển tới Sở Y tế" in health.last_text
    young = Talker(engine, user_id="lan")
    assert "chưa mở được tệp" in await send_file(young, good)  # a young person: text only
    assert (await app.store.questions.get(jobs.id)).answer is None  # type: ignore[union-attr]
    zalo = Talker(engine, user_id="home-zalo", channel="zalo")
    code = await create_invite(app.store, "department", now=app.clock.now(), department="Sở Nội vụ")
    await zalo.say(f"/nhanquyen {code}")
    await zalo.say("/phieu")
    assert "Zalo chưa gửi, nhận được tệp" in zalo.last_text


async def test_a_large_campaign_gets_its_sheet_after_the_chat(
    province_app: App, campaign: Campaign
) -> None:
    """Thousands of routed questions take seconds to write: the chat answers at once and
    the sheet follows through the outbox."""
    app = province_app
    engine = build_engine(app)
    maker = StoreDigestMaker(app, background_from=1)
    engine.digests = maker
    engine.documents = StoreDocumentDesk(app, maker=maker)
    jobs = await question(app, campaign, "lan", JOBS)
    await route_jobs(app, campaign)
    home = await official(app, engine, "department", "home", department="Sở Nội vụ")
    replies = await home.say("/phieu")
    assert "cần ít phút" in home.last_text and not replies[-1].attachments
    await maker.wait_idle()
    [body] = await queued_to(app, "home", "digest")
    assert "Phiếu trả lời của Sở Nội vụ: 1 câu hỏi" in body["text"]
    [path] = [a["path"] for a in body["attachments"]]
    cells = [str(c.value) for r in openpyxl.load_workbook(path).active.iter_rows() for c in r]  # type: ignore[union-attr]
    assert jobs.code in cells

    # Sent back filled: checked and recorded after the chat too, from a kept copy.
    said = await send_file(home, fill_sheet(Path(path), {jobs.code: "Tỉnh hỗ trợ hằng tháng."}))
    assert "cần ít phút để kiểm tra và ghi" in said
    await maker.wait_idle()
    assert "Đã ghi 1 trả lời nháp" in (await queued_to(app, "home", "digest"))[-1]["text"]
    stored = await app.store.questions.get(jobs.id)
    assert stored is not None and stored.answer == "Tỉnh hỗ trợ hằng tháng."


# -- over Telegram ----------------------------------------------------------------------------


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server
        assert server.error_answers == [], [c.describe() for c in server.error_answers]


async def test_the_sheet_goes_and_comes_back_over_telegram(
    province_app: App, campaign: Campaign, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = telegram_app(province_app, api, monkeypatch)
    jobs = await question(app, campaign, "lan", JOBS)
    await route_jobs(app, campaign)
    code = await create_invite(app.store, "department", now=app.clock.now(), department="Sở Nội vụ")
    async with running(TelegramChannel(app, build_engine(app), options=options())) as channel:
        api.push_message(2001, f"/nhanquyen {code}")
        api.push_message(2001, "/phieu")
        await settle(api, channel)
        [sent] = api.documents
        assert re.fullmatch(r"tra-loi-so-noi-vu-\d{8}-\d{4}\.xlsx", sent["filename"])
        back = fill_sheet(sent["content"], {jobs.code: "Tỉnh hỗ trợ hằng tháng."})
        api.push_document(2001, back, file_name="tra-loi-so-noi-vu (1).xlsx")
        await settle(api, channel)
    assert any(c.method == "getFile" for c in api.calls)
    stored = await app.store.questions.get(jobs.id)
    assert stored is not None and stored.answer == "Tỉnh hỗ trợ hằng tháng."
    texts = [c.params.get("text", "") for c in api.calls if c.method == "sendMessage"]
    assert any("Đã ghi 1 trả lời nháp" in str(t) for t in texts)
