"""Units ("đơn vị"): a province's communes and wards from ``vietnam-provinces``, and
non-territorial units (schools, agencies, enterprises, armed forces, Youth Union bases)
from a CSV file validated row by row."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from vietnam_provinces import Province, VietNamDivisionType, Ward

from bot.clustering.normalize import fold
from locales import Message, Translator, translator
from storage.models import NewUnit, UnitKind

SOURCE_PROVINCES = "vietnam-provinces"
SOURCE_CSV = "csv"
# Unit codes travel in Telegram deep links ("u-<code>", ≤ 64 characters, [A-Za-z0-9_-]).
UNIT_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{1,31}$")
CSV_COLUMNS = ("code", "name", "kind")
CSV_OPTIONAL = ("address", "parent_code")
MAX_NAME = 200

_WARD_KINDS = {
    VietNamDivisionType.XA: UnitKind.COMMUNE,
    VietNamDivisionType.PHUONG: UnitKind.WARD,
    VietNamDivisionType.DAC_KHU: UnitKind.SPECIAL_ZONE,
}
# Kinds a CSV may name, with Vietnamese spellings accepted too.
CSV_KINDS: dict[str, UnitKind] = {
    "school": UnitKind.SCHOOL,
    "truong": UnitKind.SCHOOL,
    "agency": UnitKind.AGENCY,
    "co quan": UnitKind.AGENCY,
    "enterprise": UnitKind.ENTERPRISE,
    "doanh nghiep": UnitKind.ENTERPRISE,
    "armed_forces": UnitKind.ARMED_FORCES,
    "luc luong vu trang": UnitKind.ARMED_FORCES,
    "youth_base": UnitKind.YOUTH_BASE,
    "co so doan truc thuoc": UnitKind.YOUTH_BASE,
}


def all_provinces() -> list[Province]:
    return sorted(Province.iter_all(), key=lambda p: p.code.value)


def province_by_codename(codename: str) -> Province | None:
    for province in Province.iter_all():
        if province.codename == codename:
            return province
    return None


def province_unit_code(province: Province) -> str:
    return f"p{province.code.value:02d}"


def ward_unit_code(ward: Ward) -> str:
    return f"w{ward.code.value:05d}"


def province_units(codename: str) -> list[NewUnit]:
    """The province itself and its communes, wards and special zones."""
    province = province_by_codename(codename)
    if province is None:
        raise ValueError(f"unknown province codename {codename!r}")
    pcode = province_unit_code(province)
    name = province.name
    units = [
        NewUnit(
            code=pcode,
            name=name,
            kind=UnitKind.PROVINCE,
            search_key=fold(name),
            source=SOURCE_PROVINCES,
            province_code=pcode,
        )
    ]
    for ward in sorted(Ward.iter_by_province(province.code), key=lambda w: w.code.value):
        units.append(
            NewUnit(
                code=ward_unit_code(ward),
                name=ward.name,
                kind=_WARD_KINDS[ward.division_type],
                search_key=fold(ward.name),
                source=SOURCE_PROVINCES,
                province_code=pcode,
                parent_code=pcode,
                address=f"{ward.name}, {name}",
            )
        )
    return units


@dataclass(frozen=True)
class RowError:
    """What is wrong with one line of a units CSV; the texts are in ``locales/*/cli.po``."""

    line: int
    problems: tuple[Message, ...]

    def render(self, tr: Translator) -> str:
        """``line 3: ...`` in the reader's language."""
        problems = "; ".join(problem.render(tr) for problem in self.problems)
        return tr.t("cli.units.csv.row", line=self.line, problems=problems)

    @property
    def message(self) -> str:
        """The problems in English (logs, tests)."""
        return "; ".join(str(problem) for problem in self.problems)

    def __str__(self) -> str:
        return self.render(translator("en"))


@dataclass(frozen=True)
class CsvResult:
    units: list[NewUnit]
    errors: list[RowError]


def parse_units_csv(
    data: bytes, *, province_code: str | None, existing_codes: set[str] | None = None
) -> CsvResult:
    """Validate a units CSV (columns code, name, kind; optional address, parent_code).

    Every bad row is reported with its line number; the caller imports nothing when any
    row is bad, so a bad file is never half-imported.
    """
    errors: list[RowError] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return CsvResult([], [RowError(line, (Message("cli.units.csv.encoding"),))])
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        return CsvResult([], [RowError(1, (Message("cli.units.csv.empty_file"),))])
    columns = [h.strip().lower() for h in header]
    missing = [c for c in CSV_COLUMNS if c not in columns]
    if missing:
        return CsvResult(
            [],
            [
                RowError(
                    1,
                    (
                        Message(
                            "cli.units.csv.missing_columns",
                            n=len(missing),
                            missing=", ".join(missing),
                            expected=", ".join(CSV_COLUMNS),
                        ),
                    ),
                )
            ],
        )
    index = {name: columns.index(name) for name in (*CSV_COLUMNS, *CSV_OPTIONAL) if name in columns}
    units: list[NewUnit] = []
    seen: dict[str, int] = {}
    taken = {c.lower() for c in (existing_codes or set())}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            too_many = Message("cli.units.csv.fields", fields=len(row), columns=len(columns))
            errors.append(RowError(line, (too_many,)))
            continue
        cells = row + [""] * (len(columns) - len(row))

        def cell(name: str, cells: list[str] = cells) -> str:
            return cells[index[name]].strip() if name in index else ""

        code, name, kind_text = cell("code"), cell("name"), cell("kind")
        problems: list[Message] = []
        if not UNIT_CODE.match(code):
            problems.append(Message("cli.units.csv.bad_code", code=code))
        elif code.lower() in seen:
            problems.append(
                Message("cli.units.csv.repeated_code", code=code, first=seen[code.lower()])
            )
        elif code.lower() in taken:
            problems.append(Message("cli.units.csv.taken_code", code=code))
        if not name:
            problems.append(Message("cli.units.csv.empty_name"))
        elif len(name) > MAX_NAME:
            problems.append(Message("cli.units.csv.long_name", max=MAX_NAME))
        kind = CSV_KINDS.get(fold(kind_text).replace("-", " ")) or CSV_KINDS.get(kind_text.lower())
        if kind is None:
            problems.append(Message("cli.units.csv.bad_kind", kind=kind_text))
        if problems:
            errors.append(RowError(line, tuple(problems)))
            continue
        assert kind is not None
        seen[code.lower()] = line
        units.append(
            NewUnit(
                code=code,
                name=name,
                kind=kind,
                search_key=fold(name),
                source=SOURCE_CSV,
                province_code=province_code,
                parent_code=cell("parent_code") or province_code,
                address=cell("address"),
            )
        )
    if not units and not errors:
        errors.append(RowError(2, (Message("cli.units.csv.no_units"),)))
    return CsvResult(units, errors)
