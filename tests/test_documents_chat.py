"""/vanban: the documents after the questions as Word files in chat, the same an
administrator gets with ``youthbot export --document``, for organisers only."""

from __future__ import annotations

from datetime import timedelta

import docx

from bot.application.app import App
from bot.application.wiring import build_engine, digest_tick
from bot.clock import FakeClock
from bot.documents.desk import StoreDocumentDesk
from bot.documents.produce import StoreDigestMaker
from handlers.roles import create_invite
from storage.models import Campaign
from tests.followup import official, question, queued_to
from tests.talk import Talker

KINDS = {
    "Tổng hợp nội dung trả lời": "tra-loi",
    "Kịch bản hội nghị": "kich-ban",
    "Thông báo kết luận": "thong-bao-ket-luan",
    "Báo cáo kết quả": "bao-cao-ket-qua",
}


async def test_an_organiser_gets_each_document_as_a_word_file(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    asked = await question(app, campaign, "lan", "Tỉnh có hỗ trợ việc làm cho sinh viên không?")
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say(f"/ketluan {asked.code} Tỉnh tổ chức hội chợ việc làm mỗi quý.")

    await organiser.say("/vanban")
    assert [b.label for b in organiser.last_prompt().choices] == list(KINDS)
    for label, stem in KINDS.items():
        await organiser.say("/vanban")
        replies = await organiser.press(label)
        [attachment] = [a for r in replies for a in r.attachments]
        assert attachment.filename.startswith(stem) and attachment.filename.endswith(".docx")
        text = "\n".join(p.text for p in docx.Document(str(attachment.path)).paragraphs)
        assert "Đối thoại 2025" in text or "ĐỐI THOẠI" in text.upper(), label
    replies = await organiser.say("/vanban ketluan")
    [attachment] = [a for r in replies for a in r.attachments]
    document = docx.Document(str(attachment.path))
    cells = " ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    body = " ".join(p.text for p in document.paragraphs) + cells
    assert "hội chợ việc làm mỗi quý" in body
    await organiser.say("/vanban xyz")
    assert "Cách dùng: /vanban" in organiser.last_text


async def test_documents_are_for_organisers_and_need_files(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    department = await official(app, engine, "department", "home", department="Sở Nội vụ")
    await department.say("/vanban")
    assert "không có quyền" in department.last_text
    await department.say("/vanban ketluan")
    assert (
        "không có quyền" in department.last_text and not department.transcript[-1][1][0].attachments
    )
    young = Talker(engine, user_id="lan")
    await young.say("/vanban baocao")
    assert "không có quyền" in young.last_text
    zalo = Talker(engine, user_id="org-zalo", channel="zalo")
    code = await create_invite(app.store, "organiser", now=app.clock.now())
    await zalo.say(f"/nhanquyen {code}")
    await zalo.say("/vanban ketluan")
    assert "Zalo chưa gửi được tệp" in zalo.last_text


async def test_a_large_campaign_gets_its_document_after_the_chat(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    """At 100,000 questions a document takes seconds to build: the chat answers at once,
    the file follows through the outbox, and one cut short is made at a later tick."""
    app = province_app
    engine = build_engine(app)
    maker = StoreDigestMaker(app, background_from=1)
    engine.digests = maker
    engine.documents = StoreDocumentDesk(app, maker=maker)
    await question(app, campaign, "lan", "Tỉnh có hỗ trợ việc làm cho sinh viên không?")
    organiser = await official(app, engine, "organiser", "org")
    replies = await organiser.say("/vanban baocao")
    assert "cần ít phút" in organiser.last_text and not replies[-1].attachments
    await maker.wait_idle()
    [body] = await queued_to(app, "org", "digest")
    assert "Báo cáo kết quả (Word)" in body["text"]
    [path] = [a["path"] for a in body["attachments"]]
    assert "bao-cao-ket-qua" in path and docx.Document(path).paragraphs

    await organiser.say("/vanban kichban")  # the bot stops while it is being made
    for task in list(maker._tasks):
        task.cancel()
    await maker.wait_idle()
    assert len(await queued_to(app, "org", "digest")) == 1
    clock.advance(timedelta(minutes=11))
    assert await digest_tick(app, clock.now()) == 1
    bodies = await queued_to(app, "org", "digest")
    assert len(bodies) == 2 and "Kịch bản hội nghị" in bodies[-1]["text"]
    assert await digest_tick(app, clock.now()) == 0  # once
