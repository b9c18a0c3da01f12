"""The live programme: the automatic proposal organisers start from, and their edits
(add, pin, drop, reword keeping the asker's words, move, assign), in chat and on the
command line."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign import programme
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.clustering.store import recluster
from storage.models import Campaign, Question
from tests.followup import official, question, support

TOPICS = ("việc làm", "vay vốn", "Chuyển đổi số", "thực phẩm", "xuất ngũ")


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


@pytest.fixture
async def setup(province_app: App) -> tuple[App, Campaign, list[Question]]:
    """20 distinct questions over five topic groups, more supporters for the first ones."""
    app = province_app
    campaign = await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    subjects = [
        "lớp học tiếng Trung",
        "vay vốn nuôi bò",
        "wifi miễn phí ở bản",
        "bếp ăn bán trú",
        "việc làm sau xuất ngũ",
        "học bổng đại học",
        "sân bóng cho thôn",
        "đường về bản",
        "internet trường học",
        "chợ nông sản",
        "hội chợ việc làm",
        "nhà văn hoá thôn",
        "khám sức khoẻ học sinh",
        "bảo hiểm y tế",
        "nước sạch",
        "điện mặt trời",
        "du lịch cộng đồng",
        "xe buýt đến trường",
        "đào tạo nghề hàn",
        "thư viện xã",
    ]
    questions = []
    for i, subject in enumerate(subjects):
        q = await question(
            app,
            campaign,
            f"u{i}",
            f"Xin hỏi tỉnh có kế hoạch gì về {subject} không ạ?",
            topic=TOPICS[i % 5],
        )
        for j in range(max(0, 6 - i)):
            await support(app, q, f"s{i}-{j}")
        questions.append(q)
    await recluster(app.store, campaign.id, now=app.clock.now())
    return app, campaign, questions


async def test_the_proposal_and_every_edit(setup: tuple[App, Campaign, list[Question]]) -> None:
    app, campaign, questions = setup
    store, now = app.store, app.clock.now()
    proposed = await programme.propose(store, campaign, now=now)
    assert len(proposed) == programme.PROGRAMME_MAX
    assert proposed[0].question.id == questions[0].id  # most people first
    assert all(e.item.state == "proposed" for e in proposed)
    left_out = next(q for q in questions if q.id not in {e.question.id for e in proposed})

    first, second = proposed[0].question, proposed[1].question
    await programme.set_pinned(store, campaign, second.code, True, now=now)
    await programme.drop(store, campaign, first.code, now=now)
    entries = await programme.add(store, campaign, left_out.code, now=now)
    assert entries.item.state == "pinned"
    reworded = await programme.reword(
        store, campaign, second.code, "Tỉnh có chính sách gì cho việc làm?", now=now
    )
    assert reworded.wording == "Tỉnh có chính sách gì cho việc làm?"
    assert reworded.question.text == second.text  # the asker's words stay
    order = await programme.move(store, campaign, left_out.code, 1, now=now)
    assert order[0].question.id == left_out.id
    await programme.assign(store, campaign, left_out.code, "SNV", now=now)
    await programme.assign(
        store, campaign, second.code, "Phó Chủ tịch UBND tỉnh Nguyễn Văn A", person=True, now=now
    )

    entries_now = await programme.entries(store, campaign)
    assert first.id not in {e.question.id for e in entries_now}
    assert len(entries_now) == programme.PROGRAMME_MAX
    with pytest.raises(programme.ProgrammeError):
        await programme.add(store, campaign, questions[-1].code, now=now)  # 16th: refused

    # Refreshing keeps the pinned ones and their edits, and never brings back a dropped one.
    refreshed = await programme.propose(store, campaign, now=now, refresh=True)
    ids = [e.question.id for e in refreshed]
    assert first.id not in ids and left_out.id in ids and second.id in ids
    kept = next(e for e in refreshed if e.question.id == second.id)
    assert kept.reworded and kept.item.answerer == "Phó Chủ tịch UBND tỉnh Nguyễn Văn A"
    assert next(e for e in refreshed if e.question.id == left_out.id).item.answerer == "Sở Nội vụ"
    await programme.reword(store, campaign, second.code, None, now=now)
    assert not (await programme.entries(store, campaign))[1].reworded


async def test_organisers_edit_the_programme_in_chat(
    setup: tuple[App, Campaign, list[Question]],
) -> None:
    app, _, questions = setup
    engine = build_engine(app)
    youth = await official(
        app, engine, "secretary", "sec", unit_id=(await app.store.units.by_code("w01273")).id
    )  # type: ignore[union-attr]
    await youth.say("/kichban")
    assert "không có quyền" in youth.last_text
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say("/kichban")
    shown = organiser.last_text
    assert "15 câu hỏi" in shown and "135 phút" in shown and questions[0].code in shown
    await organiser.say(f"/kichban bo {questions[0].code}")
    assert questions[0].code not in organiser.last_text and "14 câu hỏi" in organiser.last_text
    await organiser.say(f"/kichban sửa {questions[1].code} Tỉnh hỗ trợ vay vốn nuôi bò thế nào?")
    assert "“Tỉnh hỗ trợ vay vốn nuôi bò thế nào?”" in organiser.last_text
    assert "nguyên văn người hỏi" in organiser.last_text
    await organiser.say(f"/kichban giao {questions[1].code} so noi vu")
    assert "Trả lời: Lãnh đạo Sở Nội vụ" in organiser.last_text
    await organiser.say(f"/kichban giao {questions[1].code} chutich")
    assert "Trả lời: Chủ tịch UBND tỉnh Cao Bằng" in organiser.last_text
    await organiser.say(f"/kichban giao {questions[1].code} Sở Ngoại giao")
    assert "Có phải" in organiser.last_text
    await organiser.say(f"/kichban chuyen {questions[2].code} 1")
    assert organiser.last_text.splitlines()[1].startswith(f"1. {questions[2].code}")
    await organiser.say(f"/kichban them {questions[19].code}")
    assert f"📌 {questions[19].code}" in organiser.last_text
    await organiser.say("/kichban xoa")
    assert "Cách dùng" in organiser.last_text
    # On a phone: the proposal again, and the Word file, one tap each.
    await organiser.say("/kichban")
    assert [b.label for b in organiser.last_prompt().choices] == [
        "Đề xuất lại",
        "Tải kịch bản (Word)",
    ]
    replies = await organiser.press("Tải kịch bản")
    [attachment] = [a for r in replies for a in r.attachments]
    assert attachment.filename.startswith("kich-ban") and attachment.filename.endswith(".docx")
    await organiser.say("/kichban")
    await organiser.press("Đề xuất lại")
    assert f"📌 {questions[19].code}" in organiser.last_text  # pinned: kept by a new proposal
    assert questions[0].code not in organiser.last_text  # dropped: never proposed again


@pytest.mark.usefixtures("english_cli")
async def test_programme_on_the_command_line(
    setup: tuple[App, Campaign, list[Question]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, questions = setup
    assert await run(["programme", "show"]) == 0
    assert "15 questions, about 135 minutes" in capsys.readouterr().out
    code = questions[3].code
    assert await run(["programme", "reword", code, "Bếp ăn bán trú có an toàn không?"]) == 0
    out = capsys.readouterr().out
    assert "“Bếp ăn bán trú có an toàn không?”" in out and "the asker's own words" in out
    assert await run(["programme", "assign", code, "--department", "Sở Y tế"]) == 0
    assert "Answered by: Head of Sở Y tế" in capsys.readouterr().out
    assert await run(["programme", "move", code, "1"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith(f"1. {code}")
    assert await run(["programme", "drop", "ZZZZZZ"]) == 2
    assert "No question with the code ZZZZZZ" in capsys.readouterr().err
    assert await run(["programme", "pin", questions[19].code]) == 2
    assert "already has 15 questions" in capsys.readouterr().err
