"""After the departments' answer deadline: overdue reminders to the departments that still
owe answers and to the organisers, on Vietnam time with a fake clock and a real database."""

from __future__ import annotations

from bot.application.app import App
from bot.clock import FakeClock
from tests.followup import outbox
from tests.test_deadlines_timing import owing_departments, tick


async def test_departments_late_with_answers_are_reminded_after_the_deadline(
    province_app: App, clock: FakeClock
) -> None:
    app = province_app
    ids, asked = await owing_departments(app, organiser=True)
    # Everything before the deadline is out already (not what this test is about).
    await tick(app, clock, "2025-08-20T08:05:00")
    before = len(await outbox(app, "reminder"))

    def late_texts(rows: list[tuple[int, str]]) -> dict[int, str]:
        return dict(rows[before:])

    # The night after the deadline, and the next morning before the office hour: nothing.
    assert await tick(app, clock, "2025-08-21T02:00:00") == 0
    assert await tick(app, clock, "2025-08-21T07:30:00") == 0
    # The day after, at the reminders' hour: each late department and the organiser.
    assert await tick(app, clock, "2025-08-21T08:05:00") == 3
    texts = late_texts(await outbox(app, "reminder"))
    assert ids["idle"] not in texts  # Sở Xây dựng owes nothing
    assert texts[ids["home"]] == (
        "Quá hạn – Hạn các sở, ngành gửi trả lời: thứ Tư, 20/08/2025 (chậm 1 ngày).\n"
        "Sở Nội vụ còn 2 câu hỏi chưa trả lời trong Đối thoại 2025. Đề nghị khẩn trương"
        " trả lời, người hỏi đang chờ.\n"
        "Gõ /traloi để trả lời từng câu ngay tại đây, hoặc /baocao để nhận danh sách."
    )
    assert texts[ids["health"]] == (
        "Overdue – Departments' answers due: Wednesday 20 August 2025 (1 day overdue).\n"
        "Sở Y tế still owes 1 answer in Đối thoại 2025. Please answer it as soon as"
        " possible: the person who asked is waiting.\n"
        "Type /answer to answer it here, or /report for the list."
    )
    assert texts[ids["org"]] == (
        "Quá hạn – Hạn các sở, ngành gửi trả lời: thứ Tư, 20/08/2025 (chậm 1 ngày).\n"
        "Đối thoại 2025\n"
        "Còn 3 câu hỏi chưa có trả lời:\n"
        "- Sở Nội vụ: 2\n"
        "- Sở Y tế: 1"
    )
    # A restart later the same day sends nothing twice; the next days are quiet.
    assert await tick(app, clock, "2025-08-21T15:00:00") == 0
    assert await tick(app, clock, "2025-08-22T08:05:00") == 0
    assert await tick(app, clock, "2025-08-23T08:05:00") == 0
    # Sở Y tế answers; three days later only Sở Nội vụ and the organiser hear of it.
    await app.store.questions.save_answer(asked[2].id, "Đã có chính sách …", now=clock.now())
    assert await tick(app, clock, "2025-08-24T05:30:00") == 0  # not at night
    assert await tick(app, clock, "2025-08-24T09:00:00") == 2
    rows = await outbox(app, "reminder")
    texts = dict(rows[-2:])
    assert "(chậm 4 ngày)" in texts[ids["home"]] and "còn 2 câu hỏi" in texts[ids["home"]]
    assert texts[ids["org"]].endswith("Còn 2 câu hỏi chưa có trả lời:\n- Sở Nội vụ: 2")
    assert ids["health"] not in texts
    # Everything answered: no more overdue reminders.
    for q in asked[:2]:
        await app.store.questions.save_answer(q.id, "Trả lời …", now=clock.now())
    assert await tick(app, clock, "2025-08-27T08:05:00") == 0
