"""Clusters in the database: incremental assignment at submission, re-clustering with
another threshold, and organisers' merges, splits and representatives surviving it."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.clustering.store import recluster
from handlers.clusters import merge, represent, split
from handlers.roles import create_invite
from storage.models import Campaign, NewQuestion
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker

TEXTS = {
    "jobs1": "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?",
    "jobs2": "tinh co chinh sach gi ho tro thanh nien tim viec lam sau khi tot nghiep",
    "loan_rate": "Lãi suất vay vốn khởi nghiệp cho thanh niên hiện nay là bao nhiêu?",
    "loan_file": "Hồ sơ vay vốn khởi nghiệp cho thanh niên gồm những giấy tờ gì?",
    "road_a": "Đường liên xóm ở xã Quảng Uyên xuống cấp, bao giờ được sửa?",
    "road_b": "Đường liên xóm ở xã Trà Lĩnh xuống cấp, bao giờ được sửa?",
}


@pytest.fixture
async def codes(province_app: App, campaign: Campaign) -> dict[str, str]:
    person, _ = await province_app.store.people.get_or_create(
        channel="test",
        external_id="x",
        chat_id="x",
        display_name=None,
        language="vi",
        now=province_app.clock.now(),
    )
    unit = await province_app.store.units.by_code("w01273")
    topic = (await province_app.store.campaigns.topics(campaign.id))[0]
    assert unit is not None
    found = {}
    for key, text in TEXTS.items():
        q = await province_app.store.questions.create(
            NewQuestion(
                campaign.id, person.id, unit.id, topic.id, None, text, "A", False, "test", False
            ),
            now=province_app.clock.now(),
        )
        found[key] = q.code
    return found


async def groups(app: App, codes: dict[str, str]) -> dict[str, int | None]:
    result = {}
    for key, code in codes.items():
        q = await app.store.questions.by_code(code)
        assert q is not None
        result[key] = q.cluster_id
    return result


async def test_recluster_groups_duplicates_not_lookalikes(
    province_app: App, campaign: Campaign, codes: dict[str, str]
) -> None:
    result = await recluster(province_app.store, campaign.id, now=province_app.clock.now())
    assert result.questions == 6
    g = await groups(province_app, codes)
    assert g["jobs1"] == g["jobs2"]
    assert g["loan_rate"] != g["loan_file"]
    assert g["road_a"] != g["road_b"]


async def test_manual_decisions_survive_reclustering(
    province_app: App, campaign: Campaign, codes: dict[str, str]
) -> None:
    store, now = province_app.store, province_app.clock.now()
    await recluster(store, campaign.id, now=now)
    await merge(store, [codes["road_a"], codes["road_b"]], by=None, now=now)
    await split(store, codes["jobs2"], by=None, now=now)
    await represent(store, codes["loan_file"], by=None, now=now)
    for threshold in (40.0, 90.0):
        await recluster(store, campaign.id, threshold=threshold, now=now)
        g = await groups(province_app, codes)
        assert g["road_a"] == g["road_b"]
        assert g["jobs1"] != g["jobs2"]
        question = await store.questions.by_code(codes["loan_file"])
        assert question is not None and question.cluster_id is not None
        info = await store.clusters.get(question.cluster_id)
        assert info is not None and info.representative == question.id and info.rep_chosen


async def test_a_new_grouping_replaces_the_old_one_whole(
    province_app: App, campaign: Campaign, codes: dict[str, str]
) -> None:
    """Each question ends in exactly its new group; one left out of every group (withdrawn
    since, say) ends in none; the old groups are gone; an organiser's representative
    stays while its question is in a group."""
    store, now = province_app.store, province_app.clock.now()
    ids = {}
    for key, code in codes.items():
        question = await store.questions.by_code(code)
        assert question is not None
        ids[key] = question.id
    first = await store.clusters.replace_all(
        campaign.id,
        [[ids["jobs1"], ids["jobs2"]], [ids["loan_rate"], ids["loan_file"]], [ids["road_a"]]],
        [ids["jobs1"], ids["loan_rate"], ids["road_a"]],
        now=now,
    )
    await represent(store, codes["loan_file"], by=None, now=now)
    second = await store.clusters.replace_all(
        campaign.id,
        [[ids["jobs1"]], [ids["jobs2"], ids["loan_rate"], ids["loan_file"]], [ids["road_b"]]],
        [ids["jobs1"], ids["jobs2"], ids["road_b"]],
        now=now,
    )
    assert not set(first) & set(second)
    assert [c.id for c in await store.clusters.of_campaign(campaign.id)] == second
    assert await groups(province_app, codes) == {
        "jobs1": second[0],
        "jobs2": second[1],
        "loan_rate": second[1],
        "loan_file": second[1],
        "road_a": None,
        "road_b": second[2],
    }
    chosen = await store.clusters.get(second[1])
    assert chosen is not None and chosen.representative == ids["loan_file"] and chosen.rep_chosen


async def test_new_question_joins_its_duplicates_cluster(
    province_app: App, campaign: Campaign
) -> None:
    engine = build_engine(province_app)
    codes = []
    for user, text in (
        ("a", TEXTS["jobs1"]),
        ("b", "Sau khi tốt nghiệp, thanh niên được tỉnh hỗ trợ tìm việc làm thế nào?"),
    ):
        t = Talker(engine, user_id=user)
        await t.say("/start")
        await t.press("đồng ý")
        await t.say("thuc phan")
        await t.press("Thục Phán")
        await t.say("Lê Văn An")
        await t.press("Bỏ qua")
        await t.press("việc làm")
        await t.say(text)
        if user == "b":
            assert "gần giống" in t.last_text
            await t.press("Vẫn gửi")
        await t.press("Gửi")
        codes.append(t.last_text.split("Mã câu hỏi: ")[1][:6])
    first, second = [await province_app.store.questions.by_code(c) for c in codes]
    assert first is not None and second is not None
    assert first.cluster_id is not None and first.cluster_id == second.cluster_id


async def test_chat_merge_needs_an_organiser(
    province_app: App, campaign: Campaign, codes: dict[str, str]
) -> None:
    engine = build_engine(province_app)
    youth = Talker(engine, user_id="y")
    await youth.say(f"/gop {codes['road_a']} {codes['road_b']}")
    assert "không có quyền" in youth.last_text
    invite = await create_invite(
        province_app.store, "organiser", now=province_app.clock.now(), campaign_id=campaign.id
    )
    org = Talker(engine, user_id="o")
    await org.say(f"/nhanquyen {invite}")
    await org.say(f"/gop {codes['road_a'].lower()} {codes['road_b']}")
    assert "Đã gộp" in org.last_text
    g = await groups(province_app, codes)
    assert g["road_a"] == g["road_b"]
    await org.say("/gop ABCDEF")
    assert "Cách dùng" in org.last_text


async def test_merge_refuses_unknown_codes_and_questions_of_two_campaigns(
    province_app: App,
    campaign: Campaign,
    codes: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = await create_campaign(province_app, title="Đối thoại 2026", dialogue=date(2026, 8, 28))
    person = await province_app.store.people.by_identity("test", "x")
    unit = await province_app.store.units.by_code("w01273")
    topic = (await province_app.store.campaigns.topics(other.id))[0]
    assert person is not None and unit is not None
    elsewhere = await province_app.store.questions.create(
        NewQuestion(
            other.id, person.id, unit.id, topic.id, None, TEXTS["road_a"], "A", False, "t", False
        ),
        now=province_app.clock.now(),
    )
    before = await groups(province_app, codes)
    engine = build_engine(province_app)
    invite = await create_invite(province_app.store, "admin", now=province_app.clock.now())
    admin = Talker(engine, user_id="a")
    await admin.say(f"/nhanquyen {invite}")

    await admin.say(f"/gop {codes['road_a']} {elsewhere.code}")
    assert "thuộc các đợt đối thoại khác nhau" in admin.last_text
    await admin.say(f"/gop {codes['road_a']} ZZZZZZ")
    assert admin.last_text == "Không tìm thấy câu hỏi ZZZZZZ."
    # The operator's command line says the same, in one line.
    assert (
        await asyncio.to_thread(main, ["clusters", "merge", codes["road_a"], elsewhere.code]) == 2
    )
    assert "khác nhau" in capsys.readouterr().err
    assert await groups(province_app, codes) == before  # nothing was merged


async def test_codes_copied_from_a_list_are_merged(
    province_app: App,
    campaign: Campaign,
    codes: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `clusters list` prints a group's codes as "6C548B, 7ATYGC" and the bot confirms a
    # merge the same way; an official copying them got "không có câu hỏi mã '6C548B,'"
    # (command line) or "Không tìm thấy câu hỏi 6C548B,." (chat). A code twice is one code.
    a, b, c = codes["road_a"], codes["road_b"], codes["loan_rate"]
    assert await asyncio.to_thread(main, ["clusters", "merge", f"{a},", b.lower()]) == 0
    assert f"{a} {b}" in capsys.readouterr().out
    g = await groups(province_app, codes)
    assert g["road_a"] == g["road_b"]
    assert await asyncio.to_thread(main, ["clusters", "merge", a, f"{a.lower()} "]) == 2
    assert "hai mã" in capsys.readouterr().err
    engine = build_engine(province_app)
    invite = await create_invite(
        province_app.store, "organiser", now=province_app.clock.now(), campaign_id=campaign.id
    )
    org = Talker(engine, user_id="o")
    await org.say(f"/nhanquyen {invite}")
    await org.say(f"/gop {codes['loan_file']},{c}")
    assert org.last_text.startswith("Đã gộp"), org.last_text
    await org.say(f"/tach {c},")
    assert org.last_text.startswith("Đã tách"), org.last_text
    g = await groups(province_app, codes)
    assert g["loan_rate"] != g["loan_file"]


async def test_a_large_group_can_be_read_in_full(
    province_app: App,
    campaign: Campaign,
    codes: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `clusters list` printed the first 12 codes of a group and nothing of the rest, and
    # no command showed a group's questions in their words: the one wrongly grouped could
    # not be found to split it off.
    app = province_app
    person = await app.store.people.by_identity("test", "x")
    unit = await app.store.units.by_code("w01273")
    topic = (await app.store.campaigns.topics(campaign.id))[0]
    assert person is not None and unit is not None
    more = []
    for n in range(8):
        text = f"Đường liên xóm số {n + 1} xuống cấp, bao giờ được sửa?"
        q = await app.store.questions.create(
            NewQuestion(
                campaign.id, person.id, unit.id, topic.id, None, text, "A", False, "t", False
            ),
            now=app.clock.now(),
        )
        more.append(q.code)
    every = [*codes.values(), *more]
    await merge(app.store, every, by=None, now=app.clock.now())
    assert await asyncio.to_thread(main, ["clusters", "list"]) == 0
    listed = capsys.readouterr().out
    assert "14 câu hỏi" in listed and "… và 2 câu khác (xem đủ: youthbot clusters show" in listed
    assert await asyncio.to_thread(main, ["clusters", "show", f"{more[-1].lower()},"]) == 0
    shown = capsys.readouterr().out
    # One young person asked them all (the fixture's): counted once, as the list does.
    assert shown.startswith(f"Nhóm của câu hỏi {more[-1]}: 14 câu hỏi, 1 người"), shown
    for code in every:
        assert f" {code} · " in shown, code
    assert "“Đường liên xóm số 8 xuống cấp, bao giờ được sửa?”" in shown
    assert "youthbot clusters split MÃ" in shown


async def test_the_questions_a_person_asked_or_joined_in_one_read(
    province_app: App, codes: dict[str, str]
) -> None:
    """What the similar-question prompt never offers a person (one statement, both
    databases): the questions they asked, and those they support."""
    store, now = province_app.store, province_app.clock.now()
    asker = await store.people.by_identity("test", "x")
    other, _ = await store.people.get_or_create(
        channel="test", external_id="y", chat_id="y", display_name=None, language="vi", now=now
    )
    assert asker is not None
    ids = {key: (await store.questions.by_code(code)).id for key, code in codes.items()}  # type: ignore[union-attr]
    assert await store.questions.joined_ids(asker.id) == set(ids.values())
    assert await store.questions.joined_ids(other.id) == set()
    first = next(iter(ids.values()))
    await store.questions.add_support(first, other.id, None, now=now)
    assert await store.questions.joined_ids(other.id) == {first}
