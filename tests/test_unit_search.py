"""What young people type for their unit, against a province's units and a few of its
schools, agencies and enterprises (``bot/campaign/unitsearch.py``): typos find the unit;
words that merely share a syllable with a unit's name ("viên", "Cao Bằng") offer nothing
rather than the provincial hospital or military command."""

from __future__ import annotations

import pytest

from bot.campaign.units import province_units
from bot.campaign.unitsearch import NAMED_SCORE, UnitSearch
from storage.models import Unit, UnitKind

OTHERS = [
    ("Bệnh viện Đa khoa tỉnh Cao Bằng", UnitKind.AGENCY),
    ("Bộ Chỉ huy Quân sự tỉnh Cao Bằng", UnitKind.ARMED_FORCES),
    ("Công ty Cổ phần Khoáng sản Cao Bằng", UnitKind.ENTERPRISE),
    ("Trường Cao đẳng Sư phạm Cao Bằng", UnitKind.SCHOOL),
    ("Trường THPT Chuyên Cao Bằng", UnitKind.SCHOOL),
    ("Đoàn Khối các cơ quan tỉnh", UnitKind.YOUTH_BASE),
]


@pytest.fixture(scope="module")
def search() -> UnitSearch:
    from bot.clustering.normalize import fold

    units = [
        Unit(index, u.code, u.name, u.kind, u.province_code, u.parent_code, u.address,
             u.search_key, True)
        for index, u in enumerate(province_units("cao_bang"))
        if u.kind != UnitKind.PROVINCE
    ]  # fmt: skip
    for name, kind in OTHERS:
        units.append(Unit(len(units), f"x{len(units)}", name, kind, "p04", "p04", name,
                          fold(name), True))  # fmt: skip
    return UnitSearch(units)


def names(search: UnitSearch, typed: str) -> list[str]:
    return [m.unit.name for m in search.search(typed)]


@pytest.mark.parametrize(
    "typed",
    [
        "sinh viên ở Hà Nội",  # offered the hospital (bệnh "viện"), Hà Quảng, Hạ Lang…
        "thôn Bó Blằng",  # offered the military command
        "trung tâm y tế huyện",  # offered Minh Tâm, Tam Kim, Quang Trung…
        "chi đoàn thôn",
        "công ty may",  # offered the mining company
        "em làm công nhân ở KCN",
    ],
)
def test_words_sharing_a_syllable_offer_nothing(search: UnitSearch, typed: str) -> None:
    assert names(search, typed) == []


@pytest.mark.parametrize(
    ("typed", "unit"),
    [
        ("thuc phn", "Phường Thục Phán"),
        ("dam thy", "Xã Đàm Thuỷ"),
        ("hoa ann", "Xã Hòa An"),
        ("trung khan", "Xã Trùng Khánh"),
        ("chuyen cao bag", "Trường THPT Chuyên Cao Bằng"),
        ("cao dang su pham", "Trường Cao đẳng Sư phạm Cao Bằng"),
        # A school not in the list, said with its commune: the commune.
        ("trường THPT Hòa An", "Xã Hòa An"),
        ("THCS Đàm Thuỷ", "Xã Đàm Thuỷ"),
        # The province said after the unit.
        ("xã Minh Tâm Cao Bằng", "Xã Minh Tâm"),
        ("xa minh tam, tinh cao bang", "Xã Minh Tâm"),
        ("thpt chuyên cao bằng", "Trường THPT Chuyên Cao Bằng"),
    ],
)
def test_typos_and_longer_words_find_the_unit(search: UnitSearch, typed: str, unit: str) -> None:
    found = search.search(typed)
    assert found and found[0].unit.name == unit
    assert "Bệnh viện Đa khoa tỉnh Cao Bằng" not in names(search, typed)


def test_the_province_alone_is_not_cut_to_its_word(search: UnitSearch) -> None:
    # "tỉnh Cao Bằng" names the province (the intake explains what to type), not "tỉnh".
    assert "Xã Tĩnh Túc" not in names(search, "tỉnh Cao Bằng")


def test_the_former_city_offers_its_wards(search: UnitSearch) -> None:
    for typed in ("thành phố Cao Bằng", "TP Cao Bằng"):
        found = search.search(typed)
        assert {m.unit.name for m in found} == {
            "Phường Nùng Trí Cao",
            "Phường Thục Phán",
            "Phường Tân Giang",
        }
        assert all(m.score >= NAMED_SCORE for m in found)
