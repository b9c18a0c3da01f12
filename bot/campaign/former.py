"""Communes, wards and towns as they were before the 1 July 2025 merger ("xã cũ").

A year on, many young people still name the commune they grew up with ("xã Chí Viễn",
"Hồng Việt, huyện Hòa An"), which no longer exists: it is part of a new one (Xã Đàm
Thuỷ, Xã Hòa An). ``data/former_wards.tsv`` lists, for every former commune-level unit,
the new unit(s) its area went to, as unit codes of ``bot.campaign.units`` (``w01234``).

The file is extracted from the open dataset of the ``vietnamadminunits`` package (MIT
licence, © 2025 Tran Ngoc Minh Hieu; 10,040 former units mapped to the 3,321 new ones)
and matched to ``vietnam-provinces``' ward codes by name within the province. The
package itself (with its geometry dependencies) is needed only to make the file again::

    pip install vietnamadminunits==1.0.4
    python -m bot.campaign.former
"""

from __future__ import annotations

import copy
import csv
import functools
import io
import json
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "former_wards.tsv"
_HEADER = "# province\tformer_unit\tformer_district\tnew_units"


@dataclass(frozen=True, slots=True)
class FormerUnit:
    """A commune, ward or town before the 2025 merger — "xã, phường, thị trấn cũ"."""

    name: str  # "Xã Chí Viễn"
    district: str  # "Huyện Trùng Khánh"
    new_codes: tuple[str, ...]  # the unit(s) of today that took its area


@functools.cache
def former_units() -> dict[str, tuple[FormerUnit, ...]]:
    """Every former unit, by the code of its province today (``p04``)."""
    by_province: dict[str, list[FormerUnit]] = defaultdict(list)
    with DATA.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            province, name, district, codes = line.rstrip("\n").split("\t")
            by_province[province].append(FormerUnit(name, district, tuple(codes.split(","))))
    return {province: tuple(units) for province, units in by_province.items()}


# -- making the file again (maintainers only) ----------------------------------------------


def _nfc(text: str) -> str:
    # "Xã Chân Mây - Lăng Cô" in one list, "Xã Chân Mây – Lăng Cô" in the other.
    return " ".join(unicodedata.normalize("NFC", text).replace("–", "-").lower().split())


def _merged(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The ``…_NO_ACCENTED`` and ``…_ACCENTED`` tables of one level, nested dicts merged."""

    def merge(into: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
        for key, value in more.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict) and "ward" not in value:
                merge(into[key], value)
            else:
                into.setdefault(key, value)
        return into

    return merge(copy.deepcopy(data[f"{name}_NO_ACCENTED"]), data[f"{name}_ACCENTED"])


def extract(package_data: Path) -> list[tuple[str, str, str, str]]:
    """The rows of ``former_wards.tsv`` from ``vietnamadminunits``' data folder."""
    from vietnam_provinces import Province, Ward

    from bot.campaign.units import province_unit_code, ward_unit_code
    from bot.clustering.normalize import fold

    def province_key(name: str) -> str:
        return fold(name).removeprefix("tinh ").removeprefix("thanh pho ")

    provinces = {p.code.value: p for p in Province.iter_all()}
    exact: dict[tuple[str, str], list[Ward]] = defaultdict(list)
    folded: dict[tuple[str, str], list[Ward]] = defaultdict(list)
    by_code = {}
    for ward in Ward.iter_all():
        province = provinces[ward.province_code.value]
        exact[(province_key(province.name), _nfc(ward.name))].append(ward)
        folded[(province_key(province.name), fold(ward.name))].append(ward)
        by_code[ward.code.value] = ward

    def read(name: str) -> Any:
        return json.loads((package_data / name).read_text(encoding="utf-8"))

    today = read("parser_from_2025.json")
    new_wards = {}
    # Units whose names differ only by their accents are keyed with them ("phườngsapả").
    for pkey, wards in _merged(today, "DICT_PROVINCE_WARD").items():
        province = today["DICT_PROVINCE"][pkey]["province"]
        for wkey, entry in wards.items():
            ward, code = entry["ward"], int(entry["wardCode"])
            key = province_key(province)
            found = exact.get((key, _nfc(ward))) or folded.get((key, fold(ward)))
            if found and len(found) > 1:  # "Xã Văn Lang" and "Xã Văn Lăng": the code decides
                found = [w for w in found if w.code.value == code]
            if not found:
                same_code = by_code.get(code)
                found = [same_code] if same_code is not None else []
            if len(found) != 1:
                print(f"not matched: {ward}, {province}", file=sys.stderr)
                continue
            new_wards[(pkey, wkey)] = found[0]
    before = read("parser_legacy.json")
    former = {}
    for pkey, districts in _merged(before, "DICT_PROVINCE_DISTRICT_WARD").items():
        for dkey, wards in districts.items():
            district = before["DICT_PROVINCE_DISTRICT"][pkey][dkey]["district"]
            for wkey, entry in wards.items():
                former[f"{pkey}_{dkey}_{wkey}"] = (district, entry["ward"])

    mapping = json.loads((package_data / "converter_2025.json").read_text(encoding="utf-8"))
    targets: dict[str, list[Ward]] = defaultdict(list)
    for new_province, wards in mapping["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_key, old_keys in wards.items():
            new = new_wards.get((new_province, new_key))
            if new is not None:
                for old_key in old_keys:
                    targets[old_key].append(new)
    for new_province, olds in mapping["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in olds.items():
            # The default part first: most of the former unit went there.
            for part in sorted(parts, key=lambda p: not p["isDefaultNewWard"]):
                new = new_wards.get((new_province, part["newWardKey"]))
                if new is not None:
                    targets[old_key].append(new)
    rows: list[tuple[str, str, str, str]] = []
    for old_key, wards in targets.items():
        if old_key not in former:
            continue
        district, name = former[old_key]
        codes = list(dict.fromkeys(ward_unit_code(w) for w in wards))
        today = province_unit_code(provinces[wards[0].province_code.value])
        rows.append((today, name, district, ",".join(codes)))
    rows.sort()
    return rows


def main() -> None:
    """Write ``data/former_wards.tsv`` again from the installed ``vietnamadminunits``."""
    import importlib.util

    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("vietnamadminunits is not installed: pip install vietnamadminunits==1.0.4")
    rows = extract(Path(next(iter(spec.submodule_search_locations))) / "data")
    out = io.StringIO()
    out.write(_HEADER + "\n")
    csv.writer(out, delimiter="\t", lineterminator="\n").writerows(rows)
    DATA.write_text(out.getvalue(), encoding="utf-8")
    print(f"{len(rows)} former units written to {DATA}")


if __name__ == "__main__":
    main()
