"""An answer reaches only what the official saw before choosing to send: when another
official replaced the draft, the asker edited the question, or an organiser split a
question from the group after the list was shown, "Gửi" sends nothing and shows the
review (or the list) again as it is now."""

from __future__ import annotations

from bot.application.app import App
from bot.application.wiring import build_engine
from handlers.clusters import merge, split
from storage.models import Campaign
from tests.followup import official, outbox, question, support
from tests.talk import Talker

JOBS = "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp đại học?"
JOBS_TEEN = "tinh co ho tro tim viec lam sau tot nghiep ko a"
CHINESE = "Xã có mở lớp học tiếng Trung miễn phí cho thanh niên không ạ?"


async def test_a_draft_replaced_by_another_official_is_not_sent_unseen(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    asked = await question(app, campaign, "lan", JOBS)
    first = await official(app, engine, "organiser", "org-a")
    second = await official(app, engine, "organiser", "org-b")
    await first.say(f"/traloi {asked.code} Tỉnh mở sàn việc làm hằng tháng.")
    await second.say(f"/traloi {asked.code} Liên hệ Trung tâm Dịch vụ việc làm.")

    await first.press("Gửi tới người hỏi")  # they read their own text, not the second's
    assert await outbox(app, "answer") == []
    shown = first.last_text
    assert "Chưa gửi" in shown and "cán bộ khác sửa trả lời" in shown, shown
    assert "Liên hệ Trung tâm Dịch vụ việc làm." in shown  # the answer as it is now
    await first.press("Gửi tới người hỏi")  # seen now: sent
    [(_, sent)] = await outbox(app, "answer")
    assert "Liên hệ Trung tâm Dịch vụ việc làm." in sent and asked.code in sent


async def test_a_question_edited_after_the_draft_is_shown_before_sending(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    asked = await question(app, campaign, "lan", JOBS)
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say(f"/traloi {asked.code} Tỉnh mở sàn việc làm hằng tháng.")
    lan = Talker(engine, user_id="lan")
    await lan.say(f"/sua {asked.code}")
    edited = "Tỉnh có học bổng cho sinh viên dân tộc thiểu số không ạ?"
    await lan.say(edited)
    assert "Đã sửa" in lan.last_text

    await organiser.press("Gửi tới người hỏi")
    assert await outbox(app, "answer") == []
    assert f"Câu hỏi: “{edited}”" in organiser.last_text, organiser.last_text
    await organiser.press("Để sau")
    assert await outbox(app, "answer") == []


async def test_a_question_split_from_the_group_after_the_list_gets_nothing(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    teen = await question(app, campaign, "minh", JOBS_TEEN, anonymous=True)
    chinese = await question(app, campaign, "hoa", CHINESE)
    fan = await support(app, teen, "tuan")
    await merge(app.store, [jobs.code, teen.code, chinese.code], by=None, now=app.clock.now())
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say(f"/traloi {jobs.code} Tỉnh mở sàn việc làm hằng tháng.")
    await organiser.press("nhóm")
    assert "tới 4 người hỏi (3 câu hỏi)" in organiser.last_text
    await split(app.store, chinese.code, by=None, now=app.clock.now())  # another organiser

    await organiser.press("Gửi tới 4")
    assert await outbox(app, "answer") == []
    shown = organiser.last_text
    assert "danh sách vừa thay đổi" in shown and chinese.code not in shown, shown
    assert "tới 3 người hỏi (2 câu hỏi)" in shown
    await organiser.press("Gửi tới 3")
    sent = await outbox(app, "answer")
    assert len(sent) == 3 and not any(chinese.code in text for _, text in sent)
    assert any(p == fan and teen.code in text for p, text in sent)
    hoa = await app.store.people.by_identity("test", "hoa")
    assert hoa is not None and hoa.id not in {p for p, _ in sent}


async def test_the_review_quotes_the_question_as_its_people_will_read_it(
    province_app: App, campaign: Campaign
) -> None:
    # The question opened, then edited by its asker while the official typed the answer:
    # the review showed only the code and the answer, and "Gửi" sent it quoting words the
    # official never saw.
    app = province_app
    engine = build_engine(app)
    asked = await question(app, campaign, "lan", JOBS)
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say(f"/traloi {asked.code}")
    assert JOBS in organiser.last_text
    lan = Talker(engine, user_id="lan")
    await lan.say(f"/sua {asked.code}")
    edited = "Tỉnh có học bổng cho sinh viên dân tộc thiểu số không ạ?"
    await lan.say(edited)

    await organiser.say("Tỉnh mở sàn việc làm hằng tháng.")
    review = organiser.last_text
    assert f"Câu hỏi: “{edited}”" in review and "Nội dung: Tỉnh mở sàn" in review, review
    await organiser.say(f"/traloi {asked.code} Tỉnh có học bổng Khuyến học hằng năm.")
    assert f"Câu hỏi: “{edited}”" in organiser.last_text


async def test_a_group_sent_meanwhile_by_another_official_is_not_reported_as_sent_again(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    teen = await question(app, campaign, "minh", JOBS_TEEN)
    await merge(app.store, [jobs.code, teen.code], by=None, now=app.clock.now())
    first = await official(app, engine, "organiser", "org-a")
    second = await official(app, engine, "organiser", "org-b")
    await first.say(f"/traloi {jobs.code} Tỉnh mở sàn việc làm hằng tháng.")
    await first.press("nhóm")
    await second.say(f"/congbo {jobs.code}")
    await second.press("nhóm")
    await second.press("Gửi tới 2")
    assert len(await outbox(app, "answer")) == 2

    await first.press("Gửi tới 2")  # it said "Đã gửi trả lời tới 0 thanh niên (câu hỏi -)"
    assert "đã được gửi trước đó" in first.last_text, first.last_text
    assert len(await outbox(app, "answer")) == 2


async def test_one_message_quotes_every_question_of_the_person_it_answers(
    province_app: App, campaign: Campaign
) -> None:
    # Lan asked twice in other words and supports a third wording; the group's answer
    # reached her once, quoting only her first question's code and words.
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", JOBS)
    again = await question(app, campaign, "lan", JOBS_TEEN)
    other = await question(app, campaign, "minh", "Sinh viên ra trường có được giới thiệu việc?")
    lan = await support(app, other, "lan")
    await merge(app.store, [jobs.code, again.code, other.code], by=None, now=app.clock.now())
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say(f"/traloi {jobs.code} Tỉnh mở sàn việc làm hằng tháng.")
    await organiser.press("nhóm")
    assert "tới 2 người hỏi (3 câu hỏi)" in organiser.last_text, organiser.last_text
    await organiser.press("Gửi tới 2")
    assert "tới 2 thanh niên" in organiser.last_text

    sent = dict(await outbox(app, "answer"))
    assert len(sent) == 2
    mine = sent[lan]
    assert f"Các câu hỏi {jobs.code}, {again.code}, {other.code} đã có trả lời." in mine
    assert f"Bạn hỏi ({jobs.code}): “{JOBS}”" in mine
    assert f"Bạn hỏi ({again.code}): “{JOBS_TEEN}”" in mine
    assert f"Bạn cùng quan tâm ({other.code}): “" in mine
    assert mine.count("Tỉnh mở sàn việc làm hằng tháng.") == 1
    minh = [text for person, text in sent.items() if person != lan]
    assert len(minh) == 1 and f"Câu hỏi {other.code} của bạn" in minh[0]
    assert jobs.code not in minh[0]
