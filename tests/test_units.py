"""Units: 34 provinces from vietnam-provinces, Cao Bằng's 56, and the CSV import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.application.app import App
from bot.campaign.units import all_provinces, parse_units_csv, province_units
from bot.cli import main
from storage.models import UnitKind
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)

DEEP_LINK_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,62}$")


def test_all_34_provinces_selectable() -> None:
    provinces = all_provinces()
    assert len(provinces) == 34
    for province in provinces:
        units = province_units(province.codename)
        assert units[0].kind == UnitKind.PROVINCE
        assert len(units) > 1, province.codename
        assert all(DEEP_LINK_SAFE.match(u.code) for u in units)
        assert len({u.code for u in units}) == len(units)


def test_cao_bang_has_its_56_communes_and_wards() -> None:
    units = province_units("cao_bang")
    local = [u for u in units if u.kind.territorial]
    assert len(local) == 56
    names = {u.name for u in local}
    assert "Phường Thục Phán" in names
    assert "Xã Đàm Thuỷ" in names


async def test_load_is_idempotent(app: App) -> None:
    for _ in range(2):
        await app.store.units.upsert_many(province_units("cao_bang"), now=app.clock.now())
    assert await app.store.units.count() == 57


CSV_OK = (
    "code,name,kind,address\n"
    "dh-tn,Đại học Thái Nguyên,school,Thái Nguyên\n"
    "bchqs-cb,Bộ Chỉ huy Quân sự tỉnh,lực lượng vũ trang,\n"
    "cty-abc;x,Công ty ABC,enterprise,\n"
)


def test_csv_reports_every_bad_row_with_its_line() -> None:
    data = (
        "code,name,kind\n"
        "dh-tn,Đại học Thái Nguyên,school\n"
        ",Không mã,agency\n"  # line 3: no code
        "dh-tn,Trùng mã,school\n"  # line 4: duplicate
        "thpt-1,,school\n"  # line 5: no name
        "thpt-2,Trường THPT,spaceship\n"  # line 6: bad kind
        "\n"
        "cq-1,Sở Nội vụ,cơ quan\n"  # fine, Vietnamese kind
    ).encode()
    result = parse_units_csv(data, province_code="p04")
    assert [e.line for e in result.errors] == [3, 4, 5, 6]
    assert "repeats line 2" in str(result.errors[1])
    assert {u.code for u in result.units} == {"dh-tn", "cq-1"}


def test_csv_bad_encoding_and_missing_columns() -> None:
    bad = parse_units_csv("code,name,kind\nx1,Trường,school\n".encode("utf-16"), province_code=None)
    assert bad.errors and "UTF-8" in bad.errors[0].message
    missing = parse_units_csv(b"code,title\nx1,abc\n", province_code=None)
    assert "missing columns name, kind" in missing.errors[0].message
    empty = parse_units_csv(b"", province_code=None)
    assert empty.errors


def test_csv_accepts_bom_and_semicolons() -> None:
    data = "\ufeffcode;name;kind\nthpt-cb;Trường THPT Chuyên Cao Bằng;school\n".encode()
    result = parse_units_csv(data, province_code="p04")
    assert not result.errors
    assert result.units[0].name == "Trường THPT Chuyên Cao Bằng"


@pytest.mark.usefixtures("english_cli")
def test_cli_import_is_all_or_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["units", "load"]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,kind\ndh-tn,Đại học Thái Nguyên,school\nw01273,Trùng phường,school\n")
    assert main(["units", "import", str(bad)]) == 1
    err = capsys.readouterr()
    assert "line 3" in err.out and "nothing was imported" in err.err
    assert main(["units", "list", "--kind", "school"]) == 0
    assert "0 units" in capsys.readouterr().out
    good = tmp_path / "good.csv"
    good.write_text("code,name,kind\ndh-tn,Đại học Thái Nguyên,school\n")
    assert main(["units", "import", str(good)]) == 0
    assert main(["units", "list", "--kind", "school"]) == 0
    assert "Đại học Thái Nguyên" in capsys.readouterr().out
    assert main(["units", "import", str(tmp_path / "missing.csv")]) == 2


@pytest.mark.parametrize(
    ("province", "typed", "named", "ours"),
    [
        ("cao_bang", "em ở Hà Nội", "Hà Nội", False),
        ("cao_bang", "Bắc Giang", "Bắc Giang", False),  # merged into Bắc Ninh in 2025
        ("cao_bang", "vũng tàu", "Bà Rịa - Vũng Tàu", False),
        ("cao_bang", "tỉnh Cao Bằng", "Cao Bằng", True),
        ("tuyen_quang", "Hà Giang", "Hà Giang", True),  # part of Tuyên Quang since 2025
        ("tuyen_quang", "xã Hà Giang", None, None),  # a unit's name, not a province
    ],
)
async def test_provinces_named_instead_of_a_unit(
    app: App, province: str, typed: str, named: str | None, ours: bool | None
) -> None:
    from bot.campaign.unitsearch import NAMED_SCORE, UnitSearch

    await app.store.units.upsert_many(province_units(province), now=app.clock.now())
    search = UnitSearch([u for u in await app.store.units.all() if u.kind != UnitKind.PROVINCE])
    found = search.province_named(typed)
    if named is None:
        assert found is None
    else:
        assert found is not None and (found.name, found.ours) == (named, ours)
    if province == "tuyen_quang":
        # Hà Giang is also two wards' name: those are offered, not the province's word.
        best = search.search(typed)[0]
        assert best.unit.name.startswith("Phường Hà Giang") and best.score >= NAMED_SCORE
        assert search.home_province == "Tuyên Quang"
