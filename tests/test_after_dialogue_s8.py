"""After the dialogue: what the chair answered live is not asked of a department again,
the exports carry the chair's answer, and publishing every drafted answer shows what goes
out, to whom, before anything is sent."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.clock import FakeClock
from handlers.clusters import merge
from storage.models import Campaign
from tests.followup import official, outbox, question, support

DIALOGUE = date(2025, 8, 28)
AFTER = datetime(2025, 8, 29, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam, the day after
HOME = "Sở Nội vụ"


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    return await create_campaign(province_app, title="Đối thoại 2025", dialogue=DIALOGUE)


async def test_questions_the_chair_answered_live_leave_the_waiting_list(
    province_app: App, campaign: Campaign, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    app = province_app
    store = app.store
    engine = build_engine(app)
    live = await question(app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    covered = await question(app, campaign, "b", "Có hội chợ việc làm ở xã không ạ?")
    written = await question(app, campaign, "c", "Xã có lớp tiếng Trung miễn phí không?")
    for q in (live, covered, written):
        await store.questions.route_question(q.id, HOME, now=clock.now())
    home = await official(app, engine, "department", "home", department=HOME)
    organiser = await official(app, engine, "organiser", "org")
    await home.say("/traloi")
    assert all(q.code in home.last_text for q in (live, covered, written))

    clock.set(AFTER)
    await organiser.say(f"/ketluan {live.code} +{covered.code} Tỉnh mở hội chợ việc làm mỗi quý.")
    assert "Đã ghi ý kiến của Chủ tịch" in organiser.last_text, organiser.last_text
    await home.say("/traloi")
    shown = home.last_text
    assert written.code in shown and live.code not in shown and covered.code not in shown, shown
    assert "Câu hỏi chờ trả lời: 1 câu" in shown, shown
    assert "Đã được Chủ tịch trả lời trực tiếp tại hội nghị: 2 câu hỏi" in shown, shown
    # Nor is the department reminded of them.
    assert await store.questions.department_owed(campaign.id, HOME) == 1
    assert await store.questions.owed_by_department(campaign.id) == [(HOME, 1)]
    # `answers list` says so too, instead of "chưa trả lời".
    capsys.readouterr()
    assert await run(["answers", "list"]) == 0
    states = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert (
        "trả lời tại hội nghị" in states[live.code]
        and "trả lời tại hội nghị" in (states[covered.code])
    )
    assert "chưa trả lời" in states[written.code]

    # Opened by its code, it says the chair answered it (a written answer stays possible).
    await home.say(f"/traloi {covered.code}")
    assert (
        "Chủ tịch đã trả lời câu này trực tiếp tại hội nghị: “Tỉnh mở hội chợ việc làm mỗi quý.”"
        in home.last_text
    ), home.last_text
    await home.say("/huy")
    await home.say(f"/traloi {written.code} Xã mở lớp từ tháng 10.")
    await home.say("/traloi")
    assert "Không còn câu hỏi nào chờ trả lời" in home.last_text, home.last_text
    assert "trả lời trực tiếp tại hội nghị: 2 câu hỏi" in home.last_text


async def test_exports_carry_the_chairs_answer_at_the_dialogue(
    province_app: App,
    campaign: Campaign,
    clock: FakeClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = province_app
    engine = build_engine(app)
    live = await question(app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    covered = await question(app, campaign, "b", "Có hội chợ việc làm ở xã không ạ?")
    written = await question(app, campaign, "c", "Xã có lớp tiếng Trung miễn phí không?")
    for q in (live, covered, written):
        await app.store.questions.route_question(q.id, HOME, now=clock.now())
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say(f"/traloi {written.code} Xã mở lớp từ tháng 10.")
    clock.set(AFTER)
    await organiser.say(f"/ketluan {live.code} +{covered.code} Tỉnh mở hội chợ việc làm mỗi quý.")
    chair, said = "Chủ tịch UBND tỉnh Cao Bằng", "Tỉnh mở hội chợ việc làm mỗi quý."

    # The workbook: the chair's answer, who gave it and the day, beside the written one.
    book = tmp_path / "q.xlsx"
    assert await run(["export", "--format", "xlsx", "--out", str(book)]) == 0
    ws = load_workbook(book)["Câu hỏi"]
    header = [c.value for c in ws[1]]
    for title in (
        "Trả lời trực tiếp tại hội nghị",
        "Người trả lời tại hội nghị",
        "Ngày trả lời tại hội nghị",
    ):
        assert title in header, header
    rows = {r[header.index("Mã câu hỏi")]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    for q in (live, covered):
        row = rows[q.code]
        assert row[header.index("Trả lời trực tiếp tại hội nghị")] == said
        assert row[header.index("Người trả lời tại hội nghị")] == chair
        assert row[header.index("Ngày trả lời tại hội nghị")] == "28/08/2025"
    assert not rows[written.code][header.index("Trả lời trực tiếp tại hội nghị")]
    assert rows[written.code][header.index("Nội dung trả lời")] == "Xã mở lớp từ tháng 10."

    table = tmp_path / "q.csv"
    assert await run(["export", "--format", "csv", "--out", str(table)]) == 0
    with table.open(encoding="utf-8-sig") as fh:
        by_code = {r["Mã câu hỏi"]: r for r in csv.DictReader(fh)}
    assert by_code[covered.code]["Trả lời trực tiếp tại hội nghị"] == said
    assert by_code[covered.code]["Ngày trả lời tại hội nghị"] == "28/08/2025"

    capsys.readouterr()
    assert await run(["export", "--format", "jsonl"]) == 0
    objects = {o["code"]: o for o in map(json.loads, capsys.readouterr().out.splitlines())}
    assert objects[live.code]["live_answer"] == said
    assert objects[live.code]["live_answered_by"] == chair
    assert objects[live.code]["live_answered_on"] == "2025-08-28"
    assert objects[written.code]["live_answer"] is None

    # The compilation of answers says who answered at the dialogue, and when.
    answers = tmp_path / "answers.docx"
    assert (
        await run(["export", "--format", "docx", "--document", "answers", "--out", str(answers)])
        == 0
    )
    text = "\n".join(p.text for p in docx.Document(str(answers)).paragraphs)
    assert (
        f"Trả lời trực tiếp tại Hội nghị ngày 28/08/2025 ({chair}; Thông báo kết luận): {said}"
        in text
    ), text


@pytest.mark.usefixtures("english_cli")
async def test_the_live_answer_columns_in_english(
    province_app: App, campaign: Campaign, clock: FakeClock, tmp_path: Path
) -> None:
    app = province_app
    engine = build_engine(app)
    live = await question(app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    organiser = await official(app, engine, "organiser", "org")
    clock.set(AFTER)
    await organiser.say(f"/ketluan {live.code} Tỉnh mở hội chợ việc làm mỗi quý.")
    table = tmp_path / "q.csv"
    assert await run(["export", "--format", "csv", "--out", str(table)]) == 0
    with table.open(encoding="utf-8-sig") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["Answer given at the dialogue"] == "Tỉnh mở hội chợ việc làm mỗi quý."
    assert row["Answered at the dialogue by"] == (
        "Chair of the People's Committee of Cao Bằng province"
    )
    assert row["Answered at the dialogue on"] == "28/08/2025"


async def test_publish_all_shows_what_goes_to_whom_before_sending(
    province_app: App, campaign: Campaign, clock: FakeClock
) -> None:
    app = province_app
    store = app.store
    engine = build_engine(app)
    jobs = await question(app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    fan = await support(app, jobs, "fan")
    grouped = await question(app, campaign, "b", "Có hỗ trợ việc làm cho sinh viên mới ra trường?")
    await merge(store, [jobs.code, grouped.code], by=None, now=clock.now())
    chinese = await question(app, campaign, "c", "Xã có lớp tiếng Trung miễn phí không?")
    home = await official(app, engine, "organiser", "home")
    other = await official(app, engine, "organiser", "other")
    await home.say(f"/traloi {jobs.code} Tỉnh mở sàn việc làm hằng tháng.")
    await home.press("Để sau")
    await home.say(f"/traloi {chinese.code} Xã mở lớp từ tháng 10.")
    await home.press("Để sau")

    await home.say("/congbo tatca")
    shown = home.last_text
    # Each answer, who gave it and how many people get it; the group's other question,
    # which has no answer of its own, is not among them.
    assert f"{jobs.code} – " in shown and "“Tỉnh mở sàn việc làm hằng tháng.” → 2 người nhận" in (
        shown
    ), shown
    assert f"{chinese.code} – " in shown and "→ 1 người nhận" in shown
    assert grouped.code not in shown
    # The first messages as their people will read them, before anything is sent.
    assert f"Tin nhắn trả lời câu {jobs.code} (1 trong 2 tin" in shown, shown
    assert f"Câu hỏi {jobs.code} của bạn" in shown, shown
    assert "Gửi 2 trả lời đã soạn tới 3 thanh niên?" in shown
    assert await outbox(app, "answer") == []

    # Another official replaces a draft meanwhile: nothing goes out unseen.
    await other.say(f"/traloi {chinese.code} Liên hệ Đoàn xã để đăng ký lớp.")
    await home.press("Gửi tất cả")
    assert await outbox(app, "answer") == []
    assert "Chưa gửi: có câu hỏi hoặc trả lời vừa thay đổi" in home.last_text
    assert "Liên hệ Đoàn xã để đăng ký lớp." in home.last_text
    await home.press("Gửi tất cả")
    sent = dict(await outbox(app, "answer"))
    assert set(sent) == {jobs.person_id, fan, chinese.person_id}
    assert grouped.person_id not in sent
    assert "Liên hệ Đoàn xã để đăng ký lớp." in sent[chinese.person_id]  # type: ignore[index]
    assert "Đã gửi 2 trả lời; 3 thanh niên sẽ nhận được." in home.last_text


@pytest.mark.usefixtures("english_cli")
async def test_cli_publishing_prints_who_receives_what_and_asks_at_a_terminal(
    province_app: App,
    campaign: Campaign,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = province_app
    store = app.store
    jobs = await question(app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    grouped = await question(app, campaign, "b", "Có hỗ trợ việc làm cho sinh viên mới ra trường?")
    await merge(store, [jobs.code, grouped.code], by=None, now=clock.now())
    chinese = await question(app, campaign, "c", "Xã có lớp tiếng Trung miễn phí không?")
    await store.questions.save_answer(jobs.id, "Sàn việc làm hằng tháng.", now=clock.now(), by=HOME)
    await store.questions.save_answer(chinese.id, "Lớp mở tháng 10.", now=clock.now(), by=HOME)

    # At a terminal, without --yes: the list, the messages, then a question; "n" sends nothing.
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "n")
    capsys.readouterr()
    assert await run(["answers", "publish", jobs.code, "--with-group"]) == 0
    out = capsys.readouterr().out
    assert "to 2 askers" in out and jobs.code in out and grouped.code in out, out
    assert "Text: Sàn việc làm hằng tháng." in out
    # The group's other asker reads their own question above the answer.
    assert f"Câu hỏi {grouped.code} của bạn đã có trả lời." in out, out
    assert "Có hỗ trợ việc làm cho sinh viên mới ra trường?" in out
    assert asked and await outbox(app, "answer") == []

    assert await run(["answers", "publish", "--all"]) == 1
    out = capsys.readouterr().out
    assert f"• {jobs.code} – {HOME}: “Sàn việc làm hằng tháng.” → 1 person" in out, out
    assert f"• {chinese.code} – {HOME}: “Lớp mở tháng 10.” → 1 person" in out
    assert grouped.code not in out  # the group's other question was not chosen
    assert f"The message answering {jobs.code} (1 of 1" in out
    assert "Send 2 drafted answers? Young people who will receive them: 2." in out
    assert await outbox(app, "answer") == []

    # Confirmed with --yes: the same list printed, then sent to exactly those people.
    assert await run(["answers", "publish", "--all", "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"• {chinese.code} – " in out and "sent" in out.lower()
    assert "Send 2 drafted answers" not in out  # nobody is asked: no question printed
    sent = dict(await outbox(app, "answer"))
    assert set(sent) == {jobs.person_id, chinese.person_id}
