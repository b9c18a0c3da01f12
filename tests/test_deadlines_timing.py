"""Deadlines on Vietnam time (UTC+7) with a fake clock and a real database: the
questions' closing minute, reminders after date edits, restarts and missed ticks."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.application.app import App
from bot.application.config import Settings
from bot.application.wiring import build_engine
from bot.campaign import conclusion, reminders
from bot.campaign.setup import create_campaign, reschedule
from bot.clock import FakeClock
from bot.documents import schedule
from handlers import routers
from handlers.engine import Engine, EngineSettings
from storage.models import Campaign, DeadlineKind, Question
from tests.followup import official, outbox, question
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker
from tests.test_digests_db import QUESTIONS, ask
from tests.test_reminders import outbox_texts, secretary

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(local: str) -> datetime:
    """A Vietnam local time ("2025-08-21T23:59:30")."""
    return datetime.fromisoformat(local + "+07:00")


async def write_question(t: Talker) -> None:
    """Up to the preview, not sent."""
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")
    await t.press("Thục Phán")
    await t.say("nông thị hoa")
    await t.press("Học sinh, sinh viên")
    await t.press("việc làm")
    await t.say(
        "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?"
    )
    assert "kiểm tra lại" in t.last_text


async def test_question_sent_seconds_after_midnight_is_kept_as_late(
    province_app: App, clock: FakeClock, campaign: Campaign
) -> None:
    # Questions close at the end of 21/08/2025 (7 days before the dialogue of 28/08).
    engine = Engine(
        province_app.store, clock, settings=EngineSettings(cache_seconds=0), routers=routers()
    )
    on_time = Talker(engine, user_id="on-time")
    clock.set(at("2025-08-21T23:58:00"))
    await write_question(on_time)
    clock.set(at("2025-08-21T23:59:30"))  # 16:59:30 UTC: still the closing day in Vietnam
    await on_time.press("Gửi")
    assert "Mã câu hỏi" in on_time.last_text and "muộn" not in on_time.last_text

    late = Talker(engine, user_id="late")
    clock.set(at("2025-08-21T23:58:00"))
    await write_question(late)
    clock.set(at("2025-08-22T00:00:05"))
    await late.press("Gửi")
    # Written before midnight, sent five seconds after: recorded as late, not dropped.
    assert "gửi muộn" in late.last_text and "Mã câu hỏi" in late.last_text
    questions = await province_app.store.questions.of_campaign(campaign.id)
    assert [q.late for q in questions] == [False, True]
    # A question begun after midnight: the campaign is closed, and 21/08 was its last day
    # (it said "hết hạn nhận câu hỏi từ ngày 21/08/2025", expired since the 21st).
    newcomer = Talker(engine, user_id="newcomer")
    await newcomer.say("/start")
    assert "đã hết hạn nhận câu hỏi (hạn cuối: hết ngày 21/08/2025)" in newcomer.last_text


# -- reminders ---------------------------------------------------------------------------


async def cao_bang(app: App, **fields: object) -> Campaign:
    """Cao Bằng 2025: units send their questions by 05/08/2025, dialogue 28/08/2025."""
    campaign = await create_campaign(
        app,
        title="Đối thoại 2025",
        dialogue=date(2025, 8, 28),
        overrides={DeadlineKind.UNITS_SUBMIT: date(2025, 8, 5)},
    )
    if fields:
        await app.store.campaigns.update(campaign.id, now=app.clock.now(), **fields)
    found = await app.store.campaigns.get(campaign.id)
    assert found is not None
    return found


async def tick(app: App, clock: FakeClock, local: str) -> int:
    clock.set(at(local))
    return await reminders.tick(app.store, now=clock.now(), tz=VN)


async def test_days_left_counted_from_the_day_the_reminder_goes_out(
    province_app: App, clock: FakeClock
) -> None:
    app = province_app
    await cao_bang(app, reminder_hour=20)
    engine = Engine(app.store, clock, routers=routers())
    sec = await secretary(app, engine, "sec", "w01273")
    # "còn 1 ngày" was planned for 04/08 at 20:00; the bot was down until 06:00 on the 5th,
    # the deadline day itself: caught up, and it says "hôm nay", not "còn 1 ngày".
    assert await tick(app, clock, "2025-08-05T06:00:00") == 1
    [text] = await outbox_texts(app, sec)
    assert "05/08/2025" in text and "hôm nay" in text and "còn 1 ngày" not in text


async def test_the_deadline_days_reminder_is_caught_up_until_the_day_ends(
    province_app: App, clock: FakeClock
) -> None:
    app = province_app
    await cao_bang(app)
    engine = Engine(app.store, clock, routers=routers())
    sec = await secretary(app, engine, "sec", "w01273")
    assert await tick(app, clock, "2025-08-04T08:01:00") == 1  # "còn 1 ngày"
    # Down from 07:00 to 21:00 on the deadline day (the 08:00 reminder 13 hours late).
    assert await tick(app, clock, "2025-08-05T21:00:00") == 1
    assert await tick(app, clock, "2025-08-05T21:01:00") == 0
    async with await App.open(Settings(env_file=None), clock=clock) as restarted:
        assert await reminders.tick(restarted.store, now=clock.now(), tz=VN) == 0
    assert await tick(app, clock, "2025-08-06T00:00:05") == 0  # the day is over: nothing more
    texts = await outbox_texts(app, sec)
    assert len(texts) == 2 and "còn 1 ngày" in texts[0] and "hôm nay" in texts[1]


async def test_young_peoples_only_reminder_survives_a_long_stop(
    province_app: App, clock: FakeClock
) -> None:
    app = province_app
    await cao_bang(app)
    engine = Engine(app.store, clock, routers=routers())
    keen = Talker(engine, user_id="keen")
    await keen.say("/start")
    await keen.press("đồng ý")
    await keen.say("/huy")
    # Planned for 02/08 at 08:00 (3 days before questions close on 05/08); the bot was
    # down until 02:00 on the 3rd: caught up in the morning, not in the night.
    assert await tick(app, clock, "2025-08-03T02:00:00") == 0
    assert await tick(app, clock, "2025-08-03T08:00:30") == 1
    assert await tick(app, clock, "2025-08-03T10:01:00") == 0
    person = await app.store.people.by_identity("test", "keen")
    assert person is not None
    [text] = await outbox_texts(app, person.id)
    assert "05/08/2025" in text and "còn 2 ngày" in text


async def test_an_overdue_commitment_is_not_said_to_have_a_day_left(
    province_app: App, clock: FakeClock
) -> None:
    app = province_app
    campaign = await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    engine = build_engine(app)
    asked = await question(app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    await official(app, engine, "department", "home", department="Sở Nội vụ")
    clock.set(at("2025-08-29T10:00:00"))
    await conclusion.record_answer(
        app.store, campaign, asked.code, "Có hội chợ việc làm.", now=clock.now()
    )
    await conclusion.add_commitment(
        app.store,
        campaign,
        owner="SNV",
        due=date(2025, 9, 20),
        text="Mở hội chợ việc làm",
        code=asked.code,
        now=clock.now(),
    )
    await conclusion.publish(app.store, campaign, today=date(2025, 9, 7), now=clock.now())
    assert await tick(app, clock, "2025-09-21T08:05:00") == 1  # the morning after its due date
    text = (await outbox(app, "reminder"))[-1][1]
    assert "quá hạn thứ Bảy, 20/09/2025" in text and "chậm 1 ngày" in text and "còn" not in text


async def cao_bang_2025(app: App) -> Campaign:
    """Cao Bằng 2025: units send by 05/08, departments answer by 20/08, dialogue 28/08."""
    return await create_campaign(
        app,
        title="Đối thoại 2025",
        dialogue=date(2025, 8, 28),
        overrides={
            DeadlineKind.UNITS_SUBMIT: date(2025, 8, 5),
            DeadlineKind.ANSWERS_DUE: date(2025, 8, 20),
        },
    )


async def test_organisers_are_told_what_each_department_still_owes(
    province_app: App, clock: FakeClock
) -> None:
    """Cao Bằng 2025: Sở Nội vụ forwards before 08/08, departments answer before 20/08,
    the conclusion notice within 10 days of the dialogue of 28/08."""
    app = province_app
    campaign = await cao_bang_2025(app)
    engine = build_engine(app)
    await official(app, engine, "organiser", "org")
    en_org = await official(app, engine, "organiser", "org-en")
    await en_org.say("/ngonngu en")
    org_ids = [
        p.id
        for p in [await app.store.people.by_identity("test", u) for u in ("org", "org-en")]
        if p is not None
    ]
    jobs = [
        await question(app, campaign, f"j{i}", f"Việc làm cho thanh niên số {i} thế nào ạ?")
        for i in range(3)
    ]
    digital = [
        await question(
            app,
            campaign,
            f"d{i}",
            f"Wifi miễn phí ở xã số {i} khi nào có ạ?",
            topic="Chuyển đổi số",
        )
        for i in range(2)
    ]
    other = await question(app, campaign, "o", "Sân bóng của phường khi nào sửa ạ?", topic="khác")

    assert await tick(app, clock, "2025-08-07T08:05:00") > 0  # forwarding due tomorrow
    [vi, en] = [t for p, t in await outbox(app, "reminder") if p in org_ids]
    assert "Sở Nội vụ chuyển các sở, ngành: thứ Sáu, 08/08/2025 (còn 1 ngày)" in vi
    assert "Home Affairs forwards to departments: Friday 8 August 2025 (1 day left)" in en
    assert "Còn 6 câu hỏi chưa được chuyển tới sở, ngành nào." in vi
    assert "6 questions have not been forwarded to any department yet." in en

    now = clock.now()
    for q in [*jobs, other]:
        await app.store.questions.route_question(q.id, "Sở Nội vụ", now=now)
    for q in digital:
        await app.store.questions.route_question(q.id, "Sở Khoa học và Công nghệ", now=now)
    await app.store.questions.save_answer(jobs[0].id, "Có hội chợ việc làm.", now=now)
    await app.store.questions.save_answer(digital[0].id, "Năm 2026.", now=now)
    await app.store.questions.route_question(other.id, "Sở Xây dựng", now=now)

    assert await tick(app, clock, "2025-08-19T08:05:00") > 0  # answers due tomorrow
    [vi, en] = [t for p, t in (await outbox(app, "reminder"))[-2:]]
    assert "20/08/2025" in vi and "20 August 2025" in en
    assert vi.endswith(
        "Còn 4 câu hỏi chưa có trả lời:\n- Sở Nội vụ: 2\n- Sở Khoa học và Công nghệ: 1\n"
        "- Sở Xây dựng: 1"
    ), vi
    assert "4 questions still have no answer:\n- Sở Nội vụ: 2" in en

    await app.store.questions.save_answer(jobs[1].id, "Có.", now=now)
    assert await tick(app, clock, "2025-09-06T08:05:00") > 0  # the conclusion due tomorrow
    [vi, en] = [t for p, t in (await outbox(app, "reminder"))[-2:]]
    assert "Hạn ban hành thông báo kết luận: Chủ nhật, 07/09/2025 (còn 1 ngày)" in vi
    assert "Còn 3 câu hỏi chưa có trả lời:\n- Sở Khoa học và Công nghệ: 1\n" in vi


async def test_a_reminder_still_waiting_does_not_go_out_with_the_old_date(
    province_app: App, clock: FakeClock
) -> None:
    app = province_app
    campaign = await cao_bang(app)
    engine = Engine(app.store, clock, routers=routers())
    sec = await secretary(app, engine, "sec", "w01273")
    keen = Talker(engine, user_id="keen")
    await keen.say("/start")
    await keen.press("đồng ý")
    await keen.say("/huy")
    assert await tick(app, clock, "2025-08-02T08:01:00") == 2  # secretary, young person
    # Telegram is down: both wait in the outbox. The organisers move the deadline.
    await reschedule(
        app,
        campaign,
        overrides={
            DeadlineKind.UNITS_SUBMIT: date(2025, 8, 12),
            DeadlineKind.QUESTIONS_CLOSE: date(2025, 8, 12),
        },
    )
    rows = await app.store.db.fetchall("SELECT body FROM outbox WHERE status = 'pending'")
    assert not [r["body"] for r in rows if "05/08/2025" in json.loads(r["body"])["text"]]
    # The new date's reminders come at their time, the young person's too.
    assert await tick(app, clock, "2025-08-05T08:01:00") == 1
    assert await tick(app, clock, "2025-08-09T08:01:00") == 2
    texts = await outbox_texts(app, sec)
    assert texts and all("12/08/2025" in t for t in texts)


async def test_reminders_give_the_weekday_and_english_months(
    province_app: App, clock: FakeClock
) -> None:
    """'05/08/2025' alone: no weekday, and an English reader takes it for 8 May."""
    app = province_app
    await cao_bang(app)
    engine = Engine(app.store, clock, routers=routers())
    people = []
    for user, language in (("vi", None), ("en", "en")):
        t = Talker(engine, user_id=user)
        await t.say("/start")
        if language:
            await t.say("/ngonngu en")
        await t.press("đồng ý" if not language else "agree")
        await t.say("/huy")
        person = await app.store.people.by_identity("test", user)
        assert person is not None
        people.append(person.id)
    assert await tick(app, clock, "2025-08-02T08:01:00") == 2
    [vi] = await outbox_texts(app, people[0])
    [en] = await outbox_texts(app, people[1])
    assert "nhận câu hỏi đến hết thứ Ba, 05/08/2025 (còn 3 ngày)" in vi
    assert "takes questions until the end of Tuesday 5 August 2025 (3 days left)" in en


async def test_a_digest_caught_up_after_a_stop_counts_the_missed_days_questions(
    province_app: App, clock: FakeClock, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    await official(app, engine, "organiser", "org")  # a daily digest at 17:00
    clock.set(at("2025-07-01T17:05:00"))
    assert await schedule.tick(app, clock.now()) == 1
    clock.set(at("2025-07-02T10:00:00"))
    await ask(engine, "y1", "thuc phan", "Nông Thị Hoa", "việc làm", QUESTIONS[0][3])
    # Down from 16:00 on the 2nd until 09:00 on the 4th: the 17:00 digests of the 2nd and
    # the 3rd were missed; the one caught up counts the question of the 2nd as new.
    clock.set(at("2025-07-04T09:00:00"))
    assert await schedule.tick(app, clock.now()) == 1
    assert await schedule.tick(app, clock.now()) == 0
    bodies = [
        json.loads(r["body"])
        for r in await app.store.db.fetchall(
            "SELECT body FROM outbox WHERE kind = 'digest' ORDER BY id"
        )
    ]
    assert bodies[-1]["attachments"], bodies[-1]["text"]


async def owing_departments(
    app: App, *, organiser: bool = False
) -> tuple[dict[str, int], list[Question]]:
    """Cao Bằng 2025, answers due 20/08: Sở Nội vụ owes two answers, Sở Y tế (read in
    English) one, Sở Xây dựng none; with ``organiser``, an organiser too. The people's
    ids by their user name, and the three questions."""
    campaign = await cao_bang_2025(app)
    engine = build_engine(app)
    await official(app, engine, "department", "home", department="Sở Nội vụ")
    health = await official(app, engine, "department", "health", department="Sở Y tế")
    await health.say("/ngonngu en")
    await official(app, engine, "department", "idle", department="Sở Xây dựng")
    users = ["home", "health", "idle"]
    if organiser:
        await official(app, engine, "organiser", "org")
        users.append("org")
    asked = [
        await question(app, campaign, f"j{i}", f"Việc làm cho thanh niên số {i} thế nào ạ?")
        for i in range(3)
    ]
    for q in asked[:2]:
        await app.store.questions.route_question(q.id, "Sở Nội vụ", now=app.clock.now())
    await app.store.questions.route_question(asked[2].id, "Sở Y tế", now=app.clock.now())
    ids = {
        u: (await app.store.people.by_identity("test", u)).id  # type: ignore[union-attr]
        for u in users
    }
    return ids, asked


async def test_departments_are_reminded_of_what_they_owe_and_only_then(
    province_app: App, clock: FakeClock
) -> None:
    app = province_app
    ids, _ = await owing_departments(app)
    assert await tick(app, clock, "2025-08-13T08:05:00") == 2  # 7 days before 20/08
    texts = dict(await outbox(app, "reminder"))
    assert ids["idle"] not in texts  # Sở Xây dựng owes nothing: no "còn 0 câu hỏi"
    assert texts[ids["home"]] == (
        "Nhắc việc – Hạn các sở, ngành gửi trả lời: thứ Tư, 20/08/2025 (còn 7 ngày).\n"
        "Sở Nội vụ còn 2 câu hỏi chưa trả lời trong Đối thoại 2025.\n"
        "Gõ /traloi để trả lời từng câu ngay tại đây, hoặc /baocao để nhận danh sách."
    )
    assert texts[ids["health"]].startswith(
        "Reminder – Departments' answers due: Wednesday 20 August 2025 (7 days left).\n"
        "Sở Y tế still owes 1 answer in Đối thoại 2025."
    )
