"""What a young person says back about an answer: recorded with the question it is about
(after they confirm which), shown to officials in the compilation of answers, never lost
to a "closed" message nor stored as an unlinked question."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import docx

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.cli import main
from handlers.answers import publish, save_answer
from handlers.engine import Engine
from storage.models import Campaign, Question
from tests.followup import official, outbox, question, support
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker

JOBS = "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp đại học?"
ROADS = "Khi nào đường vào bản Nà Lẹng được làm lại ạ?"


async def answered(app: App, q: Question, text: str) -> None:
    await save_answer(app.store, q, text, now=app.clock.now(), by="Sở Nội vụ", source="test")
    fresh = await app.store.questions.get(q.id)
    assert fresh is not None
    await publish(app.store, [fresh], now=app.clock.now())


async def consented(engine: Engine, user: str) -> Talker:
    """The asker's chat, consent given (as it was when they asked)."""
    t = Talker(engine, user_id=user)
    await t.say("/start")
    await t.say("đồng ý")
    await t.say("/huy")
    return t


async def after_the_dialogue(app: App) -> None:
    app.clock.advance(timedelta(days=60))  # type: ignore[attr-defined]


async def commented(app: App, engine: Engine, campaign: Campaign, said: str) -> Question:
    """Lan's jobs question, answered; she writes ``said`` back and sends it as a comment."""
    jobs = await question(app, campaign, "lan", JOBS)
    await answered(app, jobs, "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    lan = await consented(engine, "lan")
    await lan.say(said)
    await lan.press(f"Ý kiến về câu {jobs.code}")
    return jobs


async def test_a_reply_to_an_answer_is_recorded_with_that_question(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    await answered(app, jobs, "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    [(_, notice)] = await outbox(app, "answer")
    assert "Bạn cứ nhắn lại cho mình" in notice  # people are told they can answer back
    lan = await consented(engine, "lan")

    await lan.say("Em chưa hài lòng với câu trả lời, trung tâm ở xa quá ạ")
    assert f"trả lời câu {jobs.code}" in lan.last_text
    assert [c.label for c in lan.last_prompt().choices] == [
        f"Ý kiến về câu {jobs.code}",
        "Đây là câu hỏi mới",
        "Không gửi",
    ]
    await lan.say("ok gửi đi")
    assert f"ghi lại ý kiến của bạn về trả lời câu {jobs.code}" in lan.last_text
    said = await app.store.questions.feedback_of([jobs.id])
    [feedback] = said[jobs.id]
    assert feedback.text == "Em chưa hài lòng với câu trả lời, trung tâm ở xa quá ạ"
    assert not feedback.supporter
    assert len(await app.store.questions.of_campaign(campaign.id)) == 1  # no new question


async def test_after_the_dialogue_any_message_can_go_to_the_answer(
    province_app: App, campaign: Campaign
) -> None:
    """Once no dialogue takes questions, a message was met with "closed" and lost; now a
    supporter's words reach the answered question they support."""
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    await support(app, jobs, "minh")
    minh = await consented(engine, "minh")
    await answered(app, jobs, "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    await after_the_dialogue(app)

    await minh.say("Trung tâm chỉ mở giờ hành chính, sinh viên đi học không đến được")
    assert "Đây là câu hỏi mới" not in str(minh.last_prompt().choices)  # nothing takes them
    await minh.press(f"Ý kiến về câu {jobs.code}")
    [feedback] = (await app.store.questions.feedback_of([jobs.id]))[jobs.id]
    assert feedback.supporter and "giờ hành chính" in feedback.text


async def test_a_new_question_stays_a_question(province_app: App, campaign: Campaign) -> None:
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    await answered(app, jobs, "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    lan = await consented(engine, "lan")
    # Not about the answer while a dialogue takes questions: straight into the flow.
    await lan.say(ROADS)
    assert "Ý kiến về câu" not in lan.last_text
    await lan.say("/huy")
    # About an answer, but meant as a question: one tap makes it one.
    await lan.say("Câu trả lời vừa rồi chưa rõ, em muốn hỏi thêm về thủ tục vay vốn ạ")
    await lan.press("Đây là câu hỏi mới")
    assert await app.store.questions.feedback_of([jobs.id]) == {}
    for step in ("dam thuy", "ok", "Hoàng Thị Lan", "bỏ qua"):
        await lan.say(step)
    await lan.press("Khởi nghiệp")
    assert "kiểm tra lại" in lan.last_text and "thủ tục vay vốn" in lan.last_text  # the draft


async def test_which_answer_when_there_are_several(province_app: App, campaign: Campaign) -> None:
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    roads = await question(app, campaign, "lan", ROADS, topic="nông thôn")
    await answered(app, jobs, "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    await answered(app, roads, "Đường sẽ được làm trong năm 2026.")
    lan = await consented(engine, "lan")

    await lan.say("em không hài lòng với phần trả lời ạ")
    assert jobs.code in lan.last_text and roads.code in lan.last_text
    await lan.say("đồng ý")  # which one? a yes chooses nothing
    assert not await app.store.questions.feedback_of([jobs.id, roads.id])
    await lan.press(f"Ý kiến về câu {roads.code}")
    assert set(await app.store.questions.feedback_of([jobs.id, roads.id])) == {roads.id}
    # Naming the code picks that answer at once.
    await lan.say(f"Về câu {jobs.code}: trung tâm ở xa quá")
    assert lan.last_prompt().choices[0].label == f"Ý kiến về câu {jobs.code}"
    await lan.say("Không gửi")
    assert "không gửi ý kiến đó" in lan.last_text
    assert set(await app.store.questions.feedback_of([jobs.id, roads.id])) == {roads.id}


async def test_no_answer_no_offer_and_greetings_stay_greetings(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    lan = await consented(engine, "lan")
    await lan.say("em chưa hài lòng với câu trả lời")  # nothing was answered yet
    assert "Ý kiến về câu" not in lan.last_text
    await lan.say("/huy")
    await answered(app, jobs, "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    await after_the_dialogue(app)
    for said in ("chào ad", "cảm ơn ạ", "ok"):
        await lan.say(said)
        assert "Ý kiến về câu" not in lan.last_text, said


async def test_officials_read_it_in_the_compilation_of_answers(
    province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    await commented(province_app, build_engine(province_app), campaign, "Em chưa hài lòng ạ")

    out = tmp_path / "answers.docx"
    argv = ["export", "--format", "docx", "--document", "answers", "--out", str(out)]
    assert await asyncio.to_thread(main, argv) == 0
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "Ý kiến phản hồi của người hỏi" in text
    assert "Em chưa hài lòng ạ" in text

    # The report on the dialogue counts them among its figures.
    out = tmp_path / "report.docx"
    argv = ["export", "--format", "docx", "--document", "report", "--out", str(out)]
    assert await asyncio.to_thread(main, argv) == 0
    rows = [
        [cell.text for cell in row.cells]
        for table in docx.Document(str(out)).tables
        for row in table.rows
    ]
    assert ["Ý kiến phản hồi của thanh niên về trả lời", "1"] in rows


async def test_erasing_keeps_the_words_without_the_person(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    jobs = await commented(app, build_engine(app), campaign, "Em chưa hài lòng với câu trả lời ạ")
    person = await app.store.people.by_identity("test", "lan")
    assert person is not None
    await app.store.people.erase(person.id)
    [feedback] = (await app.store.questions.feedback_of([jobs.id]))[jobs.id]
    assert feedback.person_id is None and feedback.text == "Em chưa hài lòng với câu trả lời ạ"


async def test_officials_list_the_comments_in_their_scope(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    jobs = await commented(app, engine, campaign, "Em chưa hài lòng, trung tâm ở xa quá ạ")
    topic = next(t for t in await app.store.campaigns.topics(campaign.id) if "việc làm" in t.name)
    await app.store.questions.route_topic(topic.id, "Sở Nội vụ", now=app.clock.now())
    lan = Talker(engine, user_id="lan")

    home = await official(app, engine, "department", "home", department="Sở Nội vụ")
    await home.say("/phanhoi")
    assert "Ý kiến phản hồi của thanh niên về trả lời (1 ý kiến mới nhất)" in home.last_text
    assert jobs.code in home.last_text and "trung tâm ở xa quá" in home.last_text
    assert "người hỏi" in home.last_text and "Câu hỏi: “Tỉnh có chính sách" in home.last_text
    await home.say("/trogiup")
    assert "/phanhoi" in home.last_text
    health = await official(app, engine, "department", "health", department="Sở Y tế")
    await health.say("/phanhoi")
    assert "Chưa có ý kiến phản hồi nào" in health.last_text  # not its question
    await lan.say("/phanhoi")
    assert "không có quyền" in lan.last_text


async def test_a_comment_over_the_limit_is_not_cut(province_app: App, campaign: Campaign) -> None:
    """Feedback was cut at 2,000 characters without a word; now the person is asked for a
    shorter one, and a shorter one is recorded whole."""
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    await answered(app, jobs, "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    lan = await consented(engine, "lan")
    long = "Em chưa hài lòng với câu trả lời vì trung tâm ở xa, đi lại rất khó. " * 40
    await lan.say(long)
    assert "quá giới hạn 2.000 ký tự nên mình chưa ghi lại" in lan.last_text
    assert await app.store.questions.feedback_of([jobs.id]) == {}
    await lan.say(long[:1990])
    await lan.press(f"Ý kiến về câu {jobs.code}")
    [feedback] = (await app.store.questions.feedback_of([jobs.id]))[jobs.id]
    assert feedback.text == long[:1990].strip()
