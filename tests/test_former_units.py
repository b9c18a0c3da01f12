"""Communes and wards of before the 1 July 2025 merger, as young people still name them:
the unit of today they are part of is offered, with a word on why; a former district
offers the communes it became (``bot/campaign/former.py``)."""

from __future__ import annotations

from io import StringIO

import pytest
from vietnam_provinces import Ward

from bot.application.app import App
from bot.campaign.former import former_units
from bot.campaign.lookup import NotFoundError, find_unit
from bot.campaign.units import province_units, ward_unit_code
from bot.campaign.unitsearch import UnitSearch
from bot.channels.terminal import chat_loop
from handlers.engine import Engine
from locales import translator
from storage.models import Unit, UnitKind
from tests.talk import Talker


def _cao_bang() -> UnitSearch:
    units = [
        Unit(
            id=index,
            code=u.code,
            name=u.name,
            kind=u.kind,
            province_code=u.province_code,
            parent_code=u.parent_code,
            address=u.address,
            search_key=u.search_key,
            active=True,
        )
        for index, u in enumerate(province_units("cao_bang"))
        if u.kind != UnitKind.PROVINCE
    ]
    return UnitSearch(units)


def _found(search: UnitSearch, typed: str) -> list[tuple[str, str | None]]:
    return [(m.unit.name, m.former and m.former.name) for m in search.search(typed)]


def test_the_data_names_units_of_today_in_every_province() -> None:
    table = former_units()
    codes = {ward_unit_code(w) for w in Ward.iter_all()}
    assert len(table) == 34  # every province of today has former communes
    assert sum(len(units) for units in table.values()) > 10_000
    for province, units in table.items():
        assert province.startswith("p")
        for former in units:
            assert former.name and former.district and set(former.new_codes) <= codes
    # Hà Giang's former communes are in Tuyên Quang now.
    tuyen_quang = {f.district for f in table[_province("tuyen_quang")]}
    assert "Huyện Đồng Văn" in tuyen_quang


def _province(codename: str) -> str:
    return next(u.code for u in province_units(codename) if u.kind == UnitKind.PROVINCE)


@pytest.mark.parametrize(
    "typed",
    [
        "xã Chí Viễn",
        "chi vien",
        "Chí Viễn cũ",
        "xã Chí Viễn (cũ)",
        "em ở xã chí viễn ạ",
        "Chí Viễn, huyện Trùng Khánh",
    ],
)
def test_a_former_commune_offers_the_one_it_is_part_of(typed: str) -> None:
    # It used to offer "Bệnh viện Đa khoa tỉnh Cao Bằng" and "Bộ Chỉ huy Quân sự tỉnh…".
    assert _found(_cao_bang(), typed) == [("Xã Đàm Thuỷ", "Xã Chí Viễn")]


def test_a_former_town_and_a_district_that_chooses_among_namesakes() -> None:
    search = _cao_bang()
    assert _found(search, "thị trấn Nước Hai") == [("Xã Hòa An", "Thị trấn Nước Hai")]
    assert _found(search, "Hồng Việt, huyện Hòa An, tỉnh Cao Bằng") == [
        ("Xã Hòa An", "Xã Hồng Việt")
    ]
    # Two former Xã Hưng Đạo (Nguyên Bình, the city of Cao Bằng), and one of today: the
    # unit of today first, then where each former one went; the district typed chooses.
    both = _found(search, "Hưng Đạo")
    assert both[0] == ("Xã Hưng Đạo", None) and len(both) == 3
    assert _found(search, "Hưng Đạo huyện Nguyên Bình") == [
        ("Xã Hưng Đạo", None),
        ("Xã Tam Kim", "Xã Hưng Đạo"),
    ]


def test_todays_names_are_found_as_before() -> None:
    search = _cao_bang()
    assert _found(search, "thuc phan") == [("Phường Thục Phán", None)]
    assert _found(search, "Đàm Thuỷ") == [("Xã Đàm Thuỷ", None)]


def test_a_former_district_offers_the_communes_it_became() -> None:
    search = _cao_bang()
    names = [m.unit.name for m in search.search("huyện Trùng Khánh, Cao Bằng")]
    assert names[0] == "Xã Trùng Khánh"
    # Chí Viễn was a commune of Trùng Khánh: Đàm Thuỷ is one of the communes offered.
    assert "Xã Đàm Thuỷ" in names and 5 <= len(names) <= 12
    assert all(m.unit.kind != UnitKind.PROVINCE for m in search.search("huyện Trùng Khánh"))


async def _at_the_unit_step(engine: Engine) -> Talker:
    t = Talker(engine)
    await t.say("/start")
    await t.say("đồng ý")
    return t


async def test_the_intake_says_where_a_former_commune_went(engine: Engine) -> None:
    t = await _at_the_unit_step(engine)
    await t.say("xã Chí Viễn")
    assert "Xã Chí Viễn (huyện Trùng Khánh cũ) nay thuộc Xã Đàm Thuỷ." in t.last_text
    assert [c.label for c in t.last_prompt().choices] == ["Xã Đàm Thuỷ"]
    await t.say("đúng rồi")
    assert "Họ và tên" in t.last_text

    english = Talker(engine, user_id="2002", language="en")
    await english.say("/start")
    await english.say("/ngonngu en")
    await english.say("yes")
    await english.say("Chi Vien")
    assert (
        "Xã Chí Viễn (huyện Trùng Khánh, before July 2025) is now part of Xã Đàm Thuỷ."
        in english.last_text
    )


async def test_the_terminal_hint_follows_a_language_switched_in_the_chat(
    engine: Engine,
) -> None:
    """``/ngonngu en`` typed in the terminal: the hint under the options is English too
    (it stayed in the language the chat was started with)."""
    lines = iter(["/ngonngu en\n", "/thoat\n"]).__next__
    out = StringIO()
    await chat_loop(
        engine, user_id="t-switch", language="vi", read_line=lines, out=out, store=engine.store
    )
    text = out.getvalue()
    assert "Do you agree?" in text
    tail = text[text.index("Do you agree?") :]
    assert "or type your choice" in tail and "gõ lựa chọn" not in tail


async def test_a_hamlet_typed_for_a_unit_asks_for_its_commune(engine: Engine) -> None:
    t = await _at_the_unit_step(engine)
    await t.say("thôn Bó Blằng")
    assert 'Bạn gõ tên xã hoặc phường nơi có "thôn Bó Blằng" nhé.' in t.last_text
    await t.say("thôn Nà Rụa, xã Đàm Thuỷ")  # with its commune: the commune
    assert [c.label for c in t.last_prompt().choices] == ["Xã Đàm Thuỷ"]


async def test_the_former_city_is_a_former_district(engine: Engine) -> None:
    t = await _at_the_unit_step(engine)
    await t.say("thành phố Cao Bằng")
    assert "Từ 1/7/2025 không còn cấp huyện" in t.last_text
    assert {c.label for c in t.last_prompt().choices} == {
        "Phường Nùng Trí Cao",
        "Phường Thục Phán",
        "Phường Tân Giang",
    }


async def test_the_command_line_says_where_a_former_commune_went(province_app: App) -> None:
    """`--unit "Chí Viễn"` (a commune of before July 2025): the unit of today is offered
    with the reason, in the operator's language, as the chat does."""
    with pytest.raises(NotFoundError) as raised:
        await find_unit(province_app.store, "Chí Viễn")
    said = raised.value.render(translator("vi"))
    assert "Xã Chí Viễn (huyện Trùng Khánh cũ) nay thuộc Xã Đàm Thuỷ." in said
    assert "“w01501 (Xã Đàm Thuỷ)”" in said
    english = raised.value.render(translator("en"))
    assert "is now part of Xã Đàm Thuỷ. Did you mean “w01501 (Xã Đàm Thuỷ)”?" in english
    # A unit of today mistyped gets the suggestion alone.
    with pytest.raises(NotFoundError) as raised:
        await find_unit(province_app.store, "thuc phna")
    assert "nay thuộc" not in raised.value.render(translator("vi"))
