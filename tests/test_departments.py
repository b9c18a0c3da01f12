"""The departments registry: official names and aliases per province, accent-free lookup,
"did you mean" for unknown names (never created), the same matching for topics, and the
free-text names typed before the registry mapped to it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.application.app import App
from bot.campaign import departments as registry
from bot.campaign.names import NameEntry, NameMatcher, name_key
from bot.cli import main
from storage.models import Campaign
from tests.followup import question

CAO_BANG = "p04"


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


def test_name_key_reads_accents_case_ampersands_and_dashes_alike() -> None:
    assert name_key("Sở GD&ĐT") == "so gd va dt"
    assert name_key("Sở Lao động - Thương binh và Xã hội") == "so lao dong thuong binh va xa hoi"
    assert name_key("  SỞ  NỘI VỤ ") == name_key("so noi vu") == name_key("Sở Nội Vụ")


def test_matcher_never_guesses_between_two() -> None:
    matcher = NameMatcher(
        [NameEntry(1, ("Sở Y tế",)), NameEntry(2, ("Sở Xây dựng",)), NameEntry(3, ("Sở Tư pháp",))],
        generic=("sở",),
    )
    assert matcher.match("so y te").entry == NameEntry(1, ("Sở Y tế",))
    assert matcher.match("Sở Y tê").entry is not None  # one typo
    vague = matcher.match("Sở")
    assert vague.entry is None
    short = matcher.match("Sở Y")
    assert short.entry is None and short.suggestions[0] == "Sở Y tế"


@pytest.mark.parametrize(
    ("typed", "official"),
    [
        ("So Noi vu", "Sở Nội vụ"),
        ("sở nội vụ", "Sở Nội vụ"),
        ("Sở Nội Vụ", "Sở Nội vụ"),
        ("SNV", "Sở Nội vụ"),
        ("Sở Nội vụ tỉnh Cao Bằng", "Sở Nội vụ"),
        ("Sở Lao động - Thương binh và Xã hội", "Sở Nội vụ"),
        ("so LDTBXH", "Sở Nội vụ"),
        ("Sở GD&ĐT", "Sở Giáo dục và Đào tạo"),
        ("so giao duc dao tao", "Sở Giáo dục và Đào tạo"),
        ("Sở Kế hoạch và Đầu tư", "Sở Tài chính"),
        ("Sở Thông tin và Truyền thông", "Sở Khoa học và Công nghệ"),
        ("Sở TN&MT", "Sở Nông nghiệp và Môi trường"),
        ("Sở Giao thông vận tải", "Sở Xây dựng"),
        ("Ban Dân tộc", "Sở Dân tộc và Tôn giáo"),
        ("cong an tinh", "Công an tỉnh"),
        ("tinh doan", "Tỉnh đoàn"),
        ("NHCSXH", "Ngân hàng Chính sách xã hội chi nhánh tỉnh"),
    ],
)
async def test_every_spelling_finds_the_one_department(
    province_app: App, typed: str, official: str
) -> None:
    found = await registry.find_department(
        province_app.store, CAO_BANG, typed, now=province_app.clock.now()
    )
    assert found.name == official


async def test_a_city_gets_city_names(app: App) -> None:
    from bot.campaign.units import province_units

    await app.store.units.upsert_many(province_units("ha_noi")[:1], now=app.clock.now())
    names = {d.name for d in await registry.departments(app.store, "p01", now=app.clock.now())}
    assert {"Công an thành phố", "Thành đoàn", "Sở Nội vụ"} <= names


async def test_unknown_names_get_suggestions_and_are_never_created(province_app: App) -> None:
    store, now = province_app.store, province_app.clock.now()
    before = await registry.departments(store, CAO_BANG, now=now)
    with pytest.raises(registry.DepartmentError) as caught:
        await registry.find_department(store, CAO_BANG, "Sở Ngoại giao", now=now)
    from locales import translator

    text = caught.value.render(translator("vi"))
    assert "Không có sở, ngành “Sở Ngoại giao”" in text and "“Sở Ngoại vụ”" in text
    assert "Did you mean" in caught.value.render(translator("en"))
    assert await registry.departments(store, CAO_BANG, now=now) == before


@pytest.mark.usefixtures("english_cli")
async def test_cli_list_add_rename_alias(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    app = province_app
    assert await run(["departments", "list"]) == 0
    listing = capsys.readouterr().out
    assert "Sở Nội vụ  (also: " in listing and "Sở Lao động - Thương binh và Xã hội" in listing

    assert await run(["departments", "add", "Phòng Văn hóa - Xã hội", "--alias", "PVHXH"]) == 0
    assert await run(["departments", "add", "So Noi Vu"]) == 2
    assert "already names Sở Nội vụ" in capsys.readouterr().err
    assert await run(["departments", "alias", "pvhxh", "Phòng VHXH"]) == 0

    asked = await question(app, campaign, "a", "Xin hỏi về việc làm?")
    assert await run(["route", "--question", asked.code, "--department", "phong vhxh"]) == 0
    assert await run(["invite", "--role", "department", "--department", "PVHXH"]) == 0
    assert (
        await run(["departments", "rename", "Phòng VHXH", "Phòng Văn hóa - Xã hội xã Đàm Thuỷ"])
        == 0
    )
    assert "(2 references updated)" in capsys.readouterr().out
    assert await app.store.questions.department_of(asked.id) == "Phòng Văn hóa - Xã hội xã Đàm Thuỷ"
    invite = await app.store.db.fetchval("SELECT department FROM invites")
    assert invite == "Phòng Văn hóa - Xã hội xã Đàm Thuỷ"
    found = await registry.find_department(
        app.store, CAO_BANG, "Phòng Văn hóa - Xã hội", now=app.clock.now()
    )
    assert found.name == "Phòng Văn hóa - Xã hội xã Đàm Thuỷ"  # the old name still finds it


@pytest.mark.usefixtures("english_cli")
async def test_route_and_invite_never_create_a_department(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    app = province_app
    await question(app, campaign, "a", "Xin hỏi về việc làm?")
    for typed in ("So Noi vu", "Sở Nội Vụ", "SNV"):
        assert await run(["route", "--topic", "Nghề nghiệp, việc làm", "--department", typed]) == 0
    assert await run(["route", "--topic", "viec lam", "--department", "Sở Lao động"]) == 0
    topics = await app.store.db.fetchall(
        "SELECT DISTINCT department FROM topics WHERE department IS NOT NULL"
    )
    assert [r["department"] for r in topics] == ["Sở Nội vụ"]
    count = await app.store.departments.count(CAO_BANG)
    assert await run(["route", "--topic", "viec lam", "--department", "Sở Ngoại giao"]) == 2
    assert "Did you mean: “Sở Ngoại vụ”" in capsys.readouterr().err
    assert await run(["invite", "--role", "department", "--department", "Bộ Ngoại giao"]) == 2
    assert await app.store.departments.count(CAO_BANG) == count
    assert await run(["route", "--topic", "viec", "--department", "SNV"]) == 0  # a telling part
    assert await run(["route", "--topic", "vay", "--department", "Sở Y"]) == 2
    assert "Did you mean: “Sở Y tế”" in capsys.readouterr().err


async def test_free_text_names_typed_before_the_registry_are_mapped(
    province_app: App, campaign: Campaign
) -> None:
    """An older database: "So Noi vu" and "Sở Nội Vụ" were two departments."""
    app = province_app
    store, now = app.store, app.clock.now()
    asked = await question(app, campaign, "a", "Xin hỏi về việc làm?")
    topics = await store.campaigns.topics(campaign.id)
    await store.questions.route_topic(topics[0].id, "So Noi vu", now=now)
    await store.questions.route_question(asked.id, "Sở Nội Vụ", now=now)
    person = (await store.questions.get(asked.id)).person_id  # type: ignore[union-attr]
    assert person is not None
    await store.roles.grant(person, "department", now=now, department="sở nội vụ")
    await store.roles.grant(person, "department", now=now, department="Phòng Kinh tế xã")

    result = await registry.ensure_registry(store, CAO_BANG, now=now)
    assert result is not None
    assert result.mapped == {
        "So Noi vu": "Sở Nội vụ",
        "Sở Nội Vụ": "Sở Nội vụ",
        "sở nội vụ": "Sở Nội vụ",
    }
    assert result.kept == ["Phòng Kinh tế xã"]
    assert await store.questions.department_of(asked.id) == "Sở Nội vụ"
    roles = {r.department for r in await store.roles.of_person(person)}
    assert roles == {"Sở Nội vụ", "Phòng Kinh tế xã"}
    assert await registry.ensure_registry(store, CAO_BANG, now=now) is None  # once


@pytest.mark.usefixtures("english_cli")
async def test_loading_a_province_csv(
    province_app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "departments.csv"
    good.write_text(
        'name,aliases\nSở Nội vụ,Sở NV tỉnh\n"Trường Đại học Thái Nguyên","ĐHTN; Đại học TN"\n',
        encoding="utf-8",
    )
    assert await run(["departments", "load", str(good)]) == 0
    assert "added 1 department and 1 other name" in capsys.readouterr().out
    found = await registry.find_department(
        province_app.store, CAO_BANG, "dhtn", now=province_app.clock.now()
    )
    assert found.name == "Trường Đại học Thái Nguyên"
    bad = tmp_path / "bad.csv"
    bad.write_text("name,aliases\n,X\nSở Y tế,\nSở Y tế,\n", encoding="utf-8")
    assert await run(["departments", "load", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "line 2: no name" in out and "line 4: the same name as line 3" in out
    header = tmp_path / "header.csv"
    header.write_text("ten,bi danh\nSở Y tế,\n", encoding="utf-8")
    assert await run(["departments", "load", str(header)]) == 2
    assert "the first line must have the columns name, aliases" in capsys.readouterr().out


def test_the_shipped_list_reads_and_names_no_department_twice() -> None:
    words = registry.ProvinceWords("p04", "Cao Bằng", "tỉnh", "Tỉnh đoàn")
    specs = registry.default_specs(words)
    keys = [name_key(n) for s in specs for n in (s.name, *s.aliases)]
    assert len(keys) == len(set(keys))
    assert {"Sở Nội vụ", "Sở Tài chính", "Sở Giáo dục và Đào tạo", "Công an tỉnh"} <= {
        s.name for s in specs
    }


async def test_chat_invite_looks_the_department_up(province_app: App, campaign: Campaign) -> None:
    from bot.application.wiring import build_engine
    from tests.followup import official

    app = province_app
    engine = build_engine(app)
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say("/moi songanh so giao duc dao tao")
    assert "Sở Giáo dục và Đào tạo" in organiser.last_text
    invite = await app.store.db.fetchval("SELECT department FROM invites WHERE role = 'department'")
    assert invite == "Sở Giáo dục và Đào tạo"
    await organiser.say("/moi songanh Sở Ngoại giao")
    assert "Có phải: “Sở Ngoại vụ”?" in organiser.last_text
    assert (
        await app.store.db.fetchval("SELECT count(*) FROM invites WHERE role = 'department'") == 1
    )


@pytest.mark.usefixtures("english_cli")
async def test_digest_for_a_department_typed_any_way(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    await question(province_app, campaign, "a", "Xin hỏi về việc làm?")
    assert await run(["route", "--topic", "viec lam", "--department", "SNV"]) == 0
    assert await run(["digest", "--department", "so noi vu"]) == 0
    assert "Sở Nội vụ" in capsys.readouterr().out
    assert await run(["digest", "--department", "Sở Ngoại giao"]) == 2
