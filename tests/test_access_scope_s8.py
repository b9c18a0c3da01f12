"""Access control when two provinces share a deployment (YOUTHBOT_PROVINCE=cao_bang):
Cao Bằng's provincial dialogue and Thái Nguyên's (whose dialogue comes first), each
with a "Sở Nội vụ" that owes answers.

Access agrees with who belongs to a campaign (handlers.audience): a department's role
given without a campaign covers the home province's campaigns, a secretary's the
campaigns holding their unit. Cao Bằng's Sở Nội vụ can neither list, see, answer, publish
nor get the sheet or digest of Thái Nguyên's questions; Thái Nguyên's own contact can.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bot.application.app import App
from bot.application.config import Settings
from bot.application.wiring import build_engine
from bot.campaign import conclusion
from bot.campaign.setup import create_campaign
from bot.campaign.units import province_units
from bot.clock import FakeClock
from bot.documents.desk import StoreDocumentDesk
from bot.documents.produce import StoreDigestMaker
from handlers.answers import save_answer
from storage.models import Campaign, Question
from tests.followup import official, question, queued_to
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker
from tests.test_answer_sheet_chat import fill_sheet, filled, send_file

CB_TEXT = "Việc làm cho thanh niên Cao Bằng sau tốt nghiệp thế nào ạ?"
TN_TEXT = "Việc làm cho thanh niên Thái Nguyên sau tốt nghiệp thế nào ạ?"


@dataclass
class Two:
    cb: Campaign  # Cao Bằng, dialogue 28/08/2025
    tn: Campaign  # Thái Nguyên, dialogue 20/08/2025 (the first active campaign)
    cb_q: Question
    tn_q: Question
    dep_cb: Talker  # Sở Nội vụ, given without a campaign (Cao Bằng's registry)
    dep_tn: Talker  # Sở Nội vụ, given for Thái Nguyên's campaign
    sec_cb: Talker  # secretary of Phường Thục Phán (Cao Bằng), without a campaign


@pytest.fixture
async def two(province_app: App) -> Two:
    app = province_app
    await app.store.units.upsert_many(province_units("thai_nguyen"), now=app.clock.now())
    cb = await create_campaign(
        app, title="Đối thoại tỉnh Cao Bằng 2025", dialogue=date(2025, 8, 28)
    )
    tn = await create_campaign(
        app, title="Đối thoại tỉnh Thái Nguyên 2025", dialogue=date(2025, 8, 20), host_code="p19"
    )
    engine = build_engine(app)
    cb_q = await question(app, cb, "asker_cb", CB_TEXT)
    tn_q = await question(app, tn, "asker_tn", TN_TEXT, unit="w01840")
    for q in (cb_q, tn_q):
        await app.store.questions.route_question(q.id, "Sở Nội vụ", now=app.clock.now())
    ward = await app.store.units.by_code("w01273")
    assert ward is not None
    return Two(
        cb,
        tn,
        cb_q,
        tn_q,
        await official(app, engine, "department", "dep_cb", department="Sở Nội vụ"),
        await official(
            app, engine, "department", "dep_tn", department="Sở Nội vụ", campaign_id=tn.id
        ),
        await official(app, engine, "secretary", "sec_cb", unit_id=ward.id),
    )


async def answer_of(app: App, q: Question) -> str | None:
    found = await app.store.questions.get(q.id)
    assert found is not None
    return found.answer


async def test_a_department_answers_only_its_own_provinces_questions(
    province_app: App, two: Two
) -> None:
    app = province_app
    # The list of questions waiting: Cao Bằng's only.
    await two.dep_cb.say("/traloi")
    assert two.cb_q.code in two.dep_cb.last_text
    assert two.tn_q.code not in two.dep_cb.last_text
    # Thái Nguyên's question by its code: refused, nothing recorded, nothing shown.
    await two.dep_cb.say(f"/traloi {two.tn_q.code} Tỉnh có chính sách hỗ trợ.")
    assert TN_TEXT not in two.dep_cb.last_text
    assert await answer_of(app, two.tn_q) is None
    await two.dep_cb.say(f"/traloi {two.tn_q.code}")
    assert TN_TEXT not in two.dep_cb.last_text
    # Its own province's: recorded as before.
    await two.dep_cb.say(f"/traloi {two.cb_q.code} Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    assert await answer_of(app, two.cb_q) == "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm."
    # Thái Nguyên's contact: Thái Nguyên's, not Cao Bằng's.
    await two.dep_tn.say("/traloi")
    assert two.tn_q.code in two.dep_tn.last_text
    assert two.cb_q.code not in two.dep_tn.last_text


async def test_a_department_publishes_only_its_own_provinces_drafts(
    province_app: App, two: Two
) -> None:
    app = province_app
    for q in (two.cb_q, two.tn_q):
        await save_answer(
            app.store, q, "Trả lời nháp.", now=app.clock.now(), by="Sở Nội vụ", source="chat"
        )
    await two.dep_cb.say("/congbo tatca")
    assert two.tn_q.code not in two.dep_cb.last_text
    await two.dep_cb.press("Gửi tất cả")
    cb_q, tn_q = [await app.store.questions.get(q.id) for q in (two.cb_q, two.tn_q)]
    assert cb_q is not None and cb_q.answer_published
    assert tn_q is not None and not tn_q.answer_published


async def test_the_sheet_and_digest_are_the_home_provinces(province_app: App, two: Two) -> None:
    app = province_app
    # /phieu: Cao Bằng's sheet, though Thái Nguyên's campaign comes first.
    replies = await two.dep_cb.say("/phieu")
    assert "1 câu hỏi" in two.dep_cb.last_text
    said = await send_file(two.dep_cb, filled(replies, {two.cb_q.code: "Có."}))
    assert "Đã ghi 1 trả lời nháp" in said and await answer_of(app, two.cb_q) == "Có."
    sheet_tn = await two.dep_tn.say("/phieu")
    # Thái Nguyên's sheet, filled and sent by Cao Bằng's Sở Nội vụ: refused.
    said = await send_file(two.dep_cb, filled(sheet_tn, {two.tn_q.code: "Có."}))
    assert "Đã ghi" not in said
    assert await answer_of(app, two.tn_q) is None
    # The same sheet from Thái Nguyên's contact: recorded.
    said = await send_file(two.dep_tn, filled(sheet_tn, {two.tn_q.code: "Có."}))
    assert "Đã ghi 1 trả lời nháp" in said
    # /baocao: Cao Bằng's digest.
    await two.dep_cb.say("/baocao")
    assert "Cao Bằng" in two.dep_cb.last_text and "Thái Nguyên" not in two.dep_cb.last_text


async def test_a_secretary_report_on_their_unit_is_their_provinces_campaign(
    province_app: App, two: Two
) -> None:
    await two.sec_cb.say("/baocao w01273")
    assert "Thái Nguyên" not in two.sec_cb.last_text
    assert "Cao Bằng" in two.sec_cb.last_text


async def test_a_department_follows_up_only_its_own_provinces_commitments(
    province_app: App, two: Two
) -> None:
    app = province_app
    tn_task = await conclusion.add_commitment(
        app.store,
        two.tn,
        owner="Sở Nội vụ",
        due=date(2025, 12, 31),
        text="Tổ chức hội chợ việc làm.",
        now=app.clock.now(),
    )
    await two.dep_cb.say(f"/camket xong {tn_task.id} đã xong")
    found = await app.store.conclusions.commitment(tn_task.id)
    assert found is not None and found.status != "done"
    await two.dep_tn.say(f"/camket xong {tn_task.id} đã xong")
    found = await app.store.conclusions.commitment(tn_task.id)
    assert found is not None and found.status == "done"


@pytest.fixture
async def tn_home(
    clock: FakeClock, database: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[App]:
    """A Thái Nguyên deployment (YOUTHBOT_PROVINCE=thai_nguyen) that loaded Cao Bằng's
    units too: the first province by name is not the home one."""
    monkeypatch.setenv("YOUTHBOT_PROVINCE", "thai_nguyen")
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        for province in ("cao_bang", "thai_nguyen"):
            await app.store.units.upsert_many(province_units(province), now=app.clock.now())
        yield app


async def test_a_large_sheet_sent_back_is_read_for_the_configured_province(tn_home: App) -> None:
    """Recorded after the chat (a large campaign), the sheet is checked against the
    deployment's province, not the first province loaded."""
    app = tn_home
    await create_campaign(
        app, title="Đối thoại tỉnh Cao Bằng 2025", dialogue=date(2025, 8, 20), host_code="p04"
    )
    tn = await create_campaign(
        app, title="Đối thoại tỉnh Thái Nguyên 2025", dialogue=date(2025, 8, 28), host_code="p19"
    )
    engine = build_engine(app)
    maker = StoreDigestMaker(app, background_from=1)
    engine.digests = maker
    engine.documents = StoreDocumentDesk(app, maker=maker)
    tn_q = await question(app, tn, "asker_tn", TN_TEXT, unit="w01840")
    await app.store.questions.route_question(tn_q.id, "Sở Nội vụ", now=app.clock.now())
    home = await official(app, engine, "department", "home", department="Sở Nội vụ")
    await home.say("/phieu")
    assert "cần ít phút" in home.last_text, home.last_text
    await maker.wait_idle()
    [body] = await queued_to(app, "home", "digest")
    [path] = [a["path"] for a in body["attachments"]]
    said = await send_file(home, fill_sheet(Path(path), {tn_q.code: "Có."}))
    assert "cần ít phút để kiểm tra và ghi" in said
    await maker.wait_idle()
    assert "Đã ghi 1 trả lời nháp" in (await queued_to(app, "home", "digest"))[-1]["text"]
    assert await answer_of(app, tn_q) == "Có."
