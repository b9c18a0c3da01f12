"""Routing to departments and answers going back to askers and supporters."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.cli import main
from handlers.roles import create_invite
from storage.models import Campaign
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker

JOBS = "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp đại học?"
JOBS_NO_ACCENTS = "tinh co chinh sach gi ho tro thanh nien tim viec lam sau khi tot nghiep dai hoc"


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))


async def asker(engine: object, user: str, text: str, *, support: bool = False) -> Talker:
    t = Talker(engine, user_id=user)  # type: ignore[arg-type]
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")
    await t.press("Thục Phán")
    await t.say("Hoàng Thị Lan")
    await t.press("Bỏ qua")
    await t.press("việc làm")
    await t.say(text)
    await t.press("cũng muốn hỏi câu 1" if support else "Gửi")
    return t


async def answer_texts(app: App) -> dict[int, str]:
    rows = await app.store.db.fetchall("SELECT person_id, body FROM outbox WHERE kind = 'answer'")
    return {r["person_id"]: json.loads(r["body"])["text"] for r in rows}


async def test_department_answers_routed_question_and_everyone_is_told(
    province_app: App, campaign: Campaign
) -> None:
    engine = build_engine(province_app)
    first = await asker(engine, "a", JOBS)
    code = first.last_text.split("Mã câu hỏi: ")[1][:6]
    second = await asker(engine, "b", JOBS_NO_ACCENTS, support=True)
    assert code in second.last_text
    health = await create_invite(
        province_app.store, "department", now=province_app.clock.now(), department="Sở Y tế"
    )
    labour = await create_invite(
        province_app.store, "department", now=province_app.clock.now(), department="Sở Nội vụ"
    )
    wrong = Talker(engine, user_id="health")
    await wrong.say(f"/nhanquyen {health}")
    right = Talker(engine, user_id="home")
    await right.say(f"/nhanquyen {labour}")
    topic = next(
        t for t in await province_app.store.campaigns.topics(campaign.id) if "việc làm" in t.name
    )
    assert (
        await province_app.store.questions.route_topic(
            topic.id, "Sở Nội vụ", now=province_app.clock.now()
        )
        == 1
    )
    await wrong.say(f"/traloi {code} Không thuộc thẩm quyền.")
    assert "không có quyền" in wrong.last_text
    await right.say(f"/traloi {code} Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm, hỏi tại xã.")
    assert "gửi tới 2 thanh niên" in right.last_text
    texts = await answer_texts(province_app)
    assert len(texts) == 2 and all("Trung tâm Dịch vụ việc làm" in t for t in texts.values())
    question = await province_app.store.questions.by_code(code)
    assert question is not None and question.status == "answered"


@pytest.mark.usefixtures("english_cli")
async def test_cli_route_and_answers_from_csv(
    province_app: App, campaign: Campaign, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = build_engine(province_app)
    t = await asker(engine, "a", JOBS)
    code = t.last_text.split("Mã câu hỏi: ")[1][:6]
    run = lambda argv: asyncio.to_thread(main, argv)  # noqa: E731
    assert (
        await run(["route", "--topic", "Nghề nghiệp, việc làm", "--department", "Sở Nội vụ"]) == 0
    )
    assert await run(["route", "--topic", "Không có", "--department", "X"]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(f"code,answer\n{code},Có hỗ trợ.\nZZZZZZ,Không rõ\n{code},\n", encoding="utf-8")
    assert await run(["answer", "--file", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "line 3" in out and "line 4" in out
    assert await answer_texts(province_app) == {}  # nothing half-recorded
    good = tmp_path / "good.csv"
    good.write_text(f"code,answer,by\n{code},Có hỗ trợ vay vốn.,Sở Nội vụ\n", encoding="utf-8")
    assert await run(["answer", "--file", str(good)]) == 0
    [text] = (await answer_texts(province_app)).values()
    assert "Sở Nội vụ" in text and code in text
