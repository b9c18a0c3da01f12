"""Answers: drafts until published; published to the asker and supporters only, once;
sent to a group's other questions only after the official saw every recipient."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.terminal import render
from bot.channels.zalo import render_reply
from bot.cli import main
from handlers.clusters import merge
from handlers.delivery import decode_replies, encode_replies
from locales import translator
from storage.models import Campaign, Question
from tests.followup import official, outbox, question, support
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker

JOBS = "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp đại học?"
CHINESE = "Xã có mở lớp học tiếng Trung miễn phí cho thanh niên không ạ?"
HOMESTAY = "Thanh niên muốn vay vốn làm homestay ở Đàm Thuỷ thì cần thủ tục gì?"


async def route_jobs(app: App, campaign: Campaign, department: str = "Sở Nội vụ") -> None:
    topic = next(t for t in await app.store.campaigns.topics(campaign.id) if "việc làm" in t.name)
    await app.store.questions.route_topic(topic.id, department, now=app.clock.now())


async def test_department_drafts_then_sends_to_asker_and_supporters(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    asked = await question(app, campaign, "lan", JOBS)
    supporter = await support(app, asked, "minh", language="en")
    await route_jobs(app, campaign)
    health = await official(app, engine, "department", "health", department="Sở Y tế")
    home = await official(app, engine, "department", "home", department="Sở Nội vụ")

    await health.say(f"/traloi {asked.code} Không thuộc thẩm quyền.")
    assert "không có quyền" in health.last_text
    await home.say(f"/traloi {asked.code} Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    assert "chưa gửi" in home.last_text and "2 thanh niên" in home.last_text
    assert await outbox(app, "answer") == []  # a draft reaches nobody
    mine = Talker(engine, user_id="lan")
    await mine.say("/cauhoi")
    assert "Trung tâm Dịch vụ" not in mine.last_text  # ... nor the asker's /cauhoi

    await home.say(f"/traloi {asked.code} Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm, hỏi tại xã.")
    await home.press("Gửi tới người hỏi")
    assert "tới 2 thanh niên" in home.last_text
    sent = dict(await outbox(app, "answer"))
    assert len(sent) == 2 and all("hỏi tại xã" in text for text in sent.values())
    assert "has been answered" in sent[supporter] and asked.code in sent[supporter]
    stored = await app.store.questions.get(asked.id)
    assert stored is not None and stored.status == "answered" and stored.answer_published

    await mine.say("/cauhoi")
    assert (
        "Trả lời (Sở Nội vụ): Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm, hỏi tại xã."
        in mine.last_text
    )
    await home.say(f"/traloi {asked.code} Sửa lại sau khi gửi.")
    assert "không sửa được" in home.last_text
    await home.say(f"/congbo {asked.code}")
    assert "không sửa được" in home.last_text
    assert len(await outbox(app, "answer")) == 2  # told once


async def test_answer_reaches_only_its_asker_not_other_group_members(
    province_app: App, campaign: Campaign
) -> None:
    """Two Đàm Thuỷ questions wrongly grouped: an answer to one never reaches the other."""
    app = province_app
    engine = build_engine(app)
    chinese = await question(app, campaign, "thuy", CHINESE, topic="Kiến nghị khác")
    homestay = await question(app, campaign, "hoa", HOMESTAY, topic="vay vốn")
    await merge(
        app.store, [chinese.code, homestay.code], by=None, now=app.clock.now(), cross_topic=True
    )
    organiser = await official(app, engine, "organiser", "org")

    await organiser.say(f"/traloi {chinese.code} Xã sẽ mở lớp tiếng Trung vào tháng 9.")
    assert organiser.button("cả nhóm")  # offered, never automatic
    await organiser.press("Gửi tới người hỏi")
    sent = await outbox(app, "answer")
    homestay_asker = (await app.store.questions.get(homestay.id)).person_id  # type: ignore[union-attr]
    assert [p for p, _ in sent] != [] and homestay_asker not in [p for p, _ in sent]
    assert all(homestay.code not in text for _, text in sent)
    other = await app.store.questions.get(homestay.id)
    assert other is not None and other.answer is None and other.status != "answered"


async def test_group_send_lists_every_recipient_and_quotes_their_own_code(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    first = await question(app, campaign, "a", JOBS)
    second = await question(
        app, campaign, "b", "Có hỗ trợ việc làm cho sinh viên mới ra trường không?"
    )
    third = await question(
        app, campaign, "c", "Em tốt nghiệp cao đẳng, tỉnh có giới thiệu việc không?"
    )
    own = await question(app, campaign, "d", "Việc làm cho thanh niên xuất ngũ thế nào?")
    fan = await support(app, second, "e")
    await merge(
        app.store,
        [first.code, second.code, third.code, own.code],
        by=None,
        now=app.clock.now(),
        cross_topic=True,
    )
    await app.store.questions.save_answer(
        own.id, "Trả lời riêng.", now=app.clock.now(), by="Sở Nội vụ"
    )
    organiser = await official(app, engine, "organiser", "org")

    await organiser.say(f"/traloi {first.code} Tỉnh tổ chức phiên giao dịch việc làm hằng tháng.")
    await organiser.press("cả nhóm")
    listing = organiser.last_text
    assert "tới 4 người hỏi (3 câu hỏi)" in listing
    for q in (first, second, third):
        assert q.code in listing and q.text[:30] in listing
    assert f"trả lời riêng: {own.code}" in listing
    await organiser.press("Gửi tới 4 người")
    sent = await outbox(app, "answer")
    assert len(sent) == 4
    by_person = dict(sent)
    for q in (first, second, third):
        text = by_person[q.person_id]  # type: ignore[index]
        assert q.code in text and q.text in text
        assert all(o.code not in text for o in (first, second, third) if o is not q)
    assert second.code in by_person[fan] and "cùng quan tâm" in by_person[fan]
    kept = await app.store.questions.get(own.id)
    assert kept is not None and kept.answer == "Trả lời riêng." and not kept.answer_published


async def test_department_answers_one_by_one_from_the_waiting_list(
    province_app: App, campaign: Campaign
) -> None:
    """/traloi alone lists what this official may answer and has no answer yet, the biggest
    group first; a press opens one question in full, the next message is its answer."""
    app = province_app
    engine = build_engine(app)
    alone = await question(app, campaign, "lan", JOBS)
    fan = await support(app, alone, "minh")
    grouped = [
        await question(app, campaign, f"g{n}", text)
        for n, text in enumerate(
            (
                "Có hỗ trợ việc làm cho sinh viên mới ra trường không?",
                "Em tốt nghiệp cao đẳng, tỉnh có giới thiệu việc không?",
                "Sinh viên ra trường tìm việc ở đâu ạ?",
            )
        )
    ]
    await merge(app.store, [q.code for q in grouped], by=None, now=app.clock.now())
    withdrawn = await question(app, campaign, "w", "Câu hỏi đã rút về việc làm ở xã.")
    await app.store.questions.set_status(withdrawn.id, "withdrawn", now=app.clock.now())
    health = await question(app, campaign, "h", "Trạm y tế xã có bác sĩ trực đêm không?")
    await app.store.questions.route_question(health.id, "Sở Y tế", now=app.clock.now())
    await route_jobs(app, campaign)
    home = await official(app, engine, "department", "home", department="Sở Nội vụ")

    await home.say("/traloi")
    listing = home.last_text
    assert "4 câu" in listing and "nhóm 3 câu hỏi tương tự" in listing
    assert listing.index(grouped[0].code) < listing.index(alone.code)  # the group first
    assert alone.text[:40] in listing and "2 người hỏi" in listing
    assert health.code not in listing and withdrawn.code not in listing
    assert [b.label for b in home.last_prompt().choices][-1] == alone.code
    assert f"4. {alone.code}" in listing

    await home.press(alone.code)
    assert alone.text in home.last_text and "gõ nội dung trả lời" in home.last_text
    assert await outbox(app, "answer") == []
    await home.say("Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    assert "chưa gửi" in home.last_text and "2 thanh niên" in home.last_text
    await home.press("Gửi tới người hỏi")
    assert "/traloi" in home.last_text  # the way to the next one
    sent = dict(await outbox(app, "answer"))
    assert set(sent) == {alone.person_id, fan}
    assert all(alone.code in text and "Trung tâm Dịch vụ" in text for text in sent.values())

    await home.say("/traloi")
    assert "3 câu" in home.last_text and alone.code not in home.last_text
    # A code typed at the list opens it; a code that does not exist is named.
    await home.say("XXXXXX")
    assert "Không tìm thấy câu hỏi có mã XXXXXX" in home.last_text
    await home.say(grouped[1].code.lower())
    assert grouped[1].text in home.last_text and "cùng nhóm còn 2 câu" in home.last_text.lower()
    await home.say("/huy")
    assert (await app.store.questions.get(grouped[1].id)).answer is None  # type: ignore[union-attr]

    health_contact = await official(app, engine, "department", "hc", department="Sở Y tế")
    await health_contact.say("/traloi")
    assert health.code in health_contact.last_text and "1 câu" in health_contact.last_text
    await health_contact.press(health.code)
    await health_contact.say("Trạm có bác sĩ trực theo lịch của Trung tâm Y tế.")
    await health_contact.press("Để sau")
    await health_contact.say("/traloi")
    assert "Không còn câu hỏi nào chờ trả lời" in health_contact.last_text
    assert "chưa gửi: 1 trả lời" in health_contact.last_text and "/congbo tatca" in (
        health_contact.last_text
    )
    await health_contact.say(f"/traloi {health.code}")  # the draft is shown to correct
    assert "Trả lời đã soạn (chưa gửi): Trạm có bác sĩ" in health_contact.last_text

    young = Talker(engine, user_id="lan")
    await young.say("/traloi")
    assert "không có quyền" in young.last_text


async def _eight_waiting(
    app: App, campaign: Campaign, prefix: str
) -> tuple[list[Question], Talker]:
    """Eight questions waiting for an answer, and an organiser who just typed /traloi."""
    engine = build_engine(app)
    asked = [
        await question(app, campaign, f"{prefix}{n}", f"Câu hỏi số {n} về việc làm ở xã ạ?")
        for n in range(8)
    ]
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say("/traloi")
    return asked, organiser


async def test_waiting_list_pages_and_refuses_what_cannot_be_answered(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    asked, organiser = await _eight_waiting(app, campaign, "p")
    labels = [b.label for b in organiser.last_prompt().choices]
    assert len(labels) == 7 and labels[-1] == "Xem tiếp (2 câu)"
    await organiser.press("Xem tiếp")
    labels = [b.label for b in organiser.last_prompt().choices]
    assert labels == [asked[6].code, asked[7].code]
    assert f"2. {asked[7].code}" in organiser.last_text  # numbered from 1 on each page
    await organiser.say("2")  # so a number picks that line's button
    assert asked[7].text in organiser.last_text
    await app.store.questions.set_status(asked[7].id, "withdrawn", now=app.clock.now())
    await organiser.say("Trả lời muộn.")
    assert "rút lại" in organiser.last_text
    assert (await app.store.questions.get(asked[7].id)).answer is None  # type: ignore[union-attr]


async def test_without_buttons_the_waiting_list_names_each_code_once(
    province_app: App, campaign: Campaign
) -> None:
    """Zalo and the terminal write choices as a numbered list; the waiting list numbers
    its questions already, so only "see more" is added under it (before, every code was
    listed twice), also after the reply outbox and when the prompt is shown again."""
    asked, organiser = await _eight_waiting(province_app, campaign, "z")
    shown = organiser.last_prompt()
    stored = decode_replies(encode_replies([shown], prompt=None))[0][0]
    await organiser.say("XXXXXX")  # no such code: said, and the list shown again
    assert "Không tìm thấy câu hỏi có mã XXXXXX" in organiser.last_text
    again = organiser.transcript[-1][1][-1]
    assert again.text == shown.text
    for reply in (shown, stored, again):
        for text in (
            "\n\n".join(render_reply(reply, tr=translator("vi"))),
            render(reply, language="vi"),
        ):
            assert all(text.count(q.code) == 1 for q in asked[:6]), text
            assert "7. Xem tiếp (2 câu)" in text and asked[6].code not in text
    await organiser.say("7")  # the numbers still pick: 7 is "see more"
    assert f"1. {asked[6].code}" in organiser.last_text
    assert organiser.last_prompt().listed == 2


async def test_the_waiting_list_of_one_topic_group(province_app: App, campaign: Campaign) -> None:
    """ "/traloi việc làm", "/traloi chuyen doi so": the waiting questions of the groups
    named; a mistyped code before an answer is named as such, never read as a group."""
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "a", JOBS)
    wifi = await question(app, campaign, "b", "Bản em chưa có sóng 4G ạ?", topic="Chuyển đổi số")
    organiser = await official(app, engine, "organiser", "org")

    await organiser.say("/traloi viec lam")
    assert "Nhóm vấn đề: Nghề nghiệp, việc làm" in organiser.last_text
    assert jobs.code in organiser.last_text and wifi.code not in organiser.last_text
    await organiser.say("/traloi chuyen doi so")
    assert wifi.code in organiser.last_text and jobs.code not in organiser.last_text
    await organiser.say("/traloi vay vốn")
    assert "Không còn câu hỏi nào chờ trả lời trong nhóm: Khởi nghiệp" in organiser.last_text
    await organiser.say("/traloi ZZZZZZ Tỉnh hỗ trợ việc làm cho thanh niên.")
    assert "Không tìm thấy câu hỏi có mã ZZZZZZ" in organiser.last_text
    await organiser.say("/traloi xyz abc")
    assert "Không có nhóm vấn đề nào khớp “xyz abc”" in organiser.last_text
    await organiser.say(f"/traloi {jobs.code.lower()}")  # a code typed in lower case
    assert jobs.text in organiser.last_text and "gõ nội dung trả lời" in organiser.last_text


async def test_the_waiting_list_pages_through_every_question_in_order(
    province_app: App, campaign: Campaign
) -> None:
    """Every waiting question appears once across the pages, whatever the page size, in
    the documented order: groups of waiting questions by size, a group's questions
    together (most supported first), then the others (most supported, then oldest)."""
    app = province_app
    store = app.store
    rng = random.Random(12)
    asked = []
    for n in range(70):
        topic = rng.choice(["việc làm", "Chuyển đổi số"])
        asked.append(await question(app, campaign, f"q{n}", f"Câu hỏi {n} ạ?", topic=topic))
    clusters = [await store.clusters.add(campaign.id, q.id, now=app.clock.now()) for q in asked]
    for q in asked:  # groups of 1 to 6
        if rng.random() < 0.6:
            await store.clusters.assign(q.id, clusters[rng.randrange(12)])
    for n, q in enumerate(asked):
        for fan in range(rng.choice([0, 0, 0, 1, 2, 3])):
            await support(app, q, f"fan{n}-{fan}")
    for q in rng.sample(asked, 8):
        await store.questions.save_answer(q.id, "Đã có.", now=app.clock.now(), by="Sở Nội vụ")
    for q in rng.sample(asked, 5):
        await store.questions.set_status(q.id, "withdrawn", now=app.clock.now())
    await route_jobs(app, campaign)
    topics = await store.campaigns.topics(campaign.id)
    jobs_topic = next(t.id for t in topics if "việc làm" in t.name)

    async def expected(departments: list[str] | None, topic_ids: list[int] | None) -> list[int]:
        fresh = [await store.questions.get(q.id) for q in asked]
        waiting = [
            q
            for q in fresh
            if q is not None
            and q.answer is None
            and q.status != "withdrawn"
            and (topic_ids is None or q.topic_id in topic_ids)
            and (departments is None or await store.questions.department_of(q.id) in departments)
        ]
        sizes: dict[int, int] = {}
        for q in waiting:
            sizes[q.cluster_id or 0] = sizes.get(q.cluster_id or 0, 0) + 1
        people = {q.id: 1 + len(await store.questions.supporters(q.id)) for q in waiting}

        def key(q: Question) -> tuple[int, int, int, int]:
            size = sizes[q.cluster_id or 0] if q.cluster_id else 1
            return (-size, q.cluster_id if size > 1 else 0, -people[q.id], q.id)  # type: ignore[return-value]

        return [q.id for q in sorted(waiting, key=key)]

    for departments, topic_ids in ((None, None), (["Sở Nội vụ"], None), (None, [jobs_topic])):
        want = await expected(departments, topic_ids)
        for page_size in (6, 7, 50):
            seen: list[int] = []
            for offset in range(0, len(want) + page_size, page_size):
                total, page = await store.questions.awaiting_answer(
                    campaign.id,
                    departments=departments,
                    topics=topic_ids,
                    limit=page_size,
                    offset=offset,
                )
                assert total == len(want)
                seen += [q.id for q, _, _ in page]
            assert seen == want, (departments, topic_ids, page_size)


@pytest.mark.usefixtures("english_cli")
async def test_cli_route_answer_and_publish(
    province_app: App, campaign: Campaign, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = province_app
    asked = await question(app, campaign, "a", JOBS)
    code = asked.code
    run = lambda argv: asyncio.to_thread(main, argv)  # noqa: E731
    assert await run(["route", "--topic", "viec lam", "--department", "so noi vu"]) == 0
    assert "Sở Nội vụ" in capsys.readouterr().out
    assert await run(["route", "--topic", "Không có", "--department", "Sở Nội vụ"]) == 2
    assert "No topic group" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text(f"code,answer\n{code},Có hỗ trợ.\nZZZZZZ,Không rõ\n{code},\n", encoding="utf-8")
    assert await run(["answer", "--file", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "line 3" in out and "line 4" in out
    assert (await app.store.questions.get(asked.id)).answer is None  # type: ignore[union-attr]
    good = tmp_path / "good.csv"
    good.write_text(f"code,answer,by\n{code},Có hỗ trợ vay vốn.,SNV\n", encoding="utf-8")
    assert await run(["answer", "--file", str(good)]) == 0
    assert await outbox(app, "answer") == []  # drafts
    assert await run(["answer", code, "--text", "Có hỗ trợ vay vốn và việc làm."]) == 0
    assert await run(["answers", "publish", code]) == 0
    [(_, text)] = await outbox(app, "answer")
    assert "Sở Nội vụ" in text and code in text and "và việc làm" in text
    assert await run(["answers", "publish", code]) == 0
    assert len(await outbox(app, "answer")) == 1
    assert await run(["answer", code, "--text", "Khác."]) == 2
    assert "can no longer be changed" in capsys.readouterr().err


@pytest.mark.usefixtures("english_cli")
async def test_cli_group_publish_shows_the_recipients_before_sending(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    app = province_app
    first = await question(app, campaign, "a", JOBS)
    second = await question(
        app, campaign, "b", "Có hỗ trợ việc làm cho sinh viên mới ra trường không?"
    )
    await merge(
        app.store, [first.code, second.code], by=None, now=app.clock.now(), cross_topic=True
    )
    await app.store.questions.save_answer(first.id, "Có.", now=app.clock.now(), by="Sở Nội vụ")
    run = lambda argv: asyncio.to_thread(main, argv)  # noqa: E731
    assert await run(["answers", "publish", first.code, "--with-group"]) == 0
    out = capsys.readouterr().out
    assert "to 2 askers" in out and first.code in out and second.code in out and "--yes" in out
    assert await outbox(app, "answer") == []
    assert await run(["answers", "publish", first.code, "--with-group", "--yes"]) == 0
    sent = dict(await outbox(app, "answer"))
    assert second.code in sent[second.person_id] and first.code not in sent[second.person_id]  # type: ignore[index]


async def test_supporters_never_read_the_askers_phone_number(
    province_app: App, campaign: Campaign
) -> None:
    """The asker kept "sđt em …" in the question: the asker's own messages quote it as
    written; a supporter's answer notice and /cauhoi show the question without it."""
    app = province_app
    engine = build_engine(app)
    asked = await question(app, campaign, "lan", "Xin việc làm ở đâu ạ? Sđt em 0912 345 678.")
    supporter = await support(app, asked, "minh")
    await route_jobs(app, campaign)
    home = await official(app, engine, "department", "home", department="Sở Nội vụ")
    await home.say(f"/traloi {asked.code} Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    await home.press("Gửi tới người hỏi")
    sent = dict(await outbox(app, "answer"))
    assert "0912 345 678" in sent[asked.person_id]
    assert "0912" not in sent[supporter] and "Sđt em ***" in sent[supporter]
    minh = Talker(engine, user_id="minh")
    await minh.say("/cauhoi")
    assert "Xin việc làm ở đâu ạ? Sđt em ***" in minh.last_text


async def test_codes_typed_with_a_comma_or_in_lower_case_are_found(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    # "/traloi 7atygc, Tỉnh có…" was read as a topic group's name ("Không có nhóm vấn đề
    # nào khớp"), and `answers publish "7ATYGC, GCUFQN"` (two codes copied from a list)
    # as one unknown code: the answers stayed unsent.
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "a", JOBS)
    other = await question(app, campaign, "b", "Có hỗ trợ việc làm cho sinh viên mới ra trường?")
    await route_jobs(app, campaign)
    home = await official(app, engine, "department", "home", department="Sở Nội vụ")
    await home.say(f"/traloi {jobs.code.lower()}, Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.")
    assert "Đã lưu trả lời" in home.last_text, home.last_text
    await home.say(f"/traloi {other.code}: Có, qua các phiên giao dịch việc làm.")
    assert "Đã lưu trả lời" in home.last_text, home.last_text
    stored = await app.store.questions.get(other.id)
    assert stored is not None and stored.answer == "Có, qua các phiên giao dịch việc làm."
    run = lambda argv: asyncio.to_thread(main, argv)  # noqa: E731
    assert await run(["answers", "publish", f"{jobs.code}, {other.code.lower()}"]) == 0
    sent = dict(await outbox(app, "answer"))
    assert set(sent) == {jobs.person_id, other.person_id}
    assert jobs.person_id is not None and other.person_id is not None
    assert jobs.code in sent[jobs.person_id] and other.code in sent[other.person_id]


async def test_routing_a_topic_again_counts_the_questions_that_move(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    # A topic sent to the wrong department and sent again said "(0 câu hỏi)" while its
    # questions did move: the count was of questions never routed before.
    app = province_app
    await question(app, campaign, "a", JOBS)
    await question(app, campaign, "b", "Có hỗ trợ việc làm cho sinh viên mới ra trường?")
    alone = await question(app, campaign, "c", "Thanh niên xuất khẩu lao động được vay vốn không?")
    run = lambda argv: asyncio.to_thread(main, argv)  # noqa: E731
    assert await run(["route", "--topic", "viec lam", "--department", "Sở Y tế"]) == 0
    assert "tới Sở Y tế (3 câu hỏi)" in capsys.readouterr().out
    assert await run(["route", "--question", alone.code, "--department", "SNgV"]) == 0
    assert await run(["route", "--topic", "viec lam", "--department", "SNV"]) == 0
    assert "tới Sở Nội vụ (2 câu hỏi)" in capsys.readouterr().out  # not the one sent alone


async def test_a_csv_saved_by_a_vietnamese_excel_is_read(
    province_app: App, campaign: Campaign, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Excel set to Vietnamese separates columns with ";" and the department titles them
    # as the sheet does ("Mã câu hỏi", "Trả lời"): "dòng tiêu đề phải có các cột
    # code,answer". A row left blank (";;") was "không có câu hỏi mã ''", and a question
    # withdrawn since refused the whole file with a line naming neither file nor row.
    app = province_app
    jobs = await question(app, campaign, "a", JOBS)
    gone = await question(app, campaign, "b", "Có hỗ trợ việc làm cho sinh viên mới ra trường?")
    await app.store.questions.set_status(gone.id, "withdrawn", now=app.clock.now())
    await route_jobs(app, campaign)
    sheet = tmp_path / "tra-loi.csv"
    sheet.write_text(
        "\ufeffMã câu hỏi;Trả lời\n"
        f'{jobs.code.lower()};"Có, qua Trung tâm Dịch vụ việc làm; hỏi tại xã."\n'
        ";\n"
        f"{gone.code};Có.\n",
        encoding="utf-8",
    )
    run = lambda argv: asyncio.to_thread(main, argv)  # noqa: E731
    assert await run(["answer", "--file", str(sheet)]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "đã ghi 1 câu trả lời" in out and f"đã rút: {gone.code}" in out, out
    stored = await app.store.questions.get(jobs.id)
    assert stored is not None
    assert stored.answer == "Có, qua Trung tâm Dịch vụ việc làm; hỏi tại xã."
