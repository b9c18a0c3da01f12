"""Who issues each official document, who signs it and who receives it (Nghị định 30/2020).

Four levels issue the dialogue's documents, each in its own voice:

- ``province`` — the summary of the whole campaign ("Báo cáo tổng hợp"), by the host's Youth
  Union: for a province dialogue the Ban Thường vụ of the Tỉnh đoàn (or the Ban Công tác
  thanh thiếu nhi of the provincial Fatherland Front), sent to Sở Nội vụ; for a commune
  dialogue the commune's Youth Union, sent to its UBND;
- ``commune`` — a commune's or ward's own list, by its Youth Union ("Đoàn phường Thục Phán"),
  sent to the Tỉnh đoàn and its UBND;
- ``school`` — a school's, agency's, enterprise's or armed-forces unit's own list, by its
  Youth Union, sent to the Tỉnh đoàn;
- ``department`` — the letter ("Công văn") by which Sở Nội vụ forwards a department's
  questions to it.

After the questions (issue 16), four more, each by the body that issues it in practice:

- ``answers`` — the compilation of the departments' answers ("Báo cáo tổng hợp nội dung trả
  lời"), by Sở Nội vụ to the UBND (a commune dialogue: by the commune's UBND);
- ``programme`` — the live programme ("Kịch bản"), by the organising Youth Union;
- ``conclusion`` — the chair's conclusion notice ("Thông báo kết luận"), by the office of the
  provincial UBND (a commune dialogue: by the commune's UBND);
- ``report`` — the report on the dialogue's results ("Báo cáo kết quả"), by the host's Youth
  Union to the level above.

Each level has built-in defaults (:func:`default_settings`); a campaign may override any
field per level, and per unit (the ward's secretary's own name). Text fields may name
placeholders, filled per document: ``{province}`` ("tỉnh Cao Bằng"), ``{province_name}``
("Cao Bằng"), ``{youth_union}`` ("Tỉnh đoàn Cao Bằng"), ``{host}`` ("UBND tỉnh Cao Bằng"),
``{unit}`` ("Phường Thục Phán"), ``{unit_lc}`` ("phường Thục Phán"), ``{unit_place}``
("Thục Phán", the place of the date line), ``{department}`` ("Sở Y tế").

Everything here is pure; :func:`issuer_for` reads the stored rows.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Literal

from bot.clustering.normalize import fold
from storage.issuers import LEVELS, IssuerRow
from storage.models import UnitKind

Level = Literal[
    "province", "commune", "school", "department", "answers", "programme", "conclusion", "report"
]
Letterhead = Literal["state", "youth_union"]

#: Placeholders a setting may use, with an example value (for help texts and checks).
PLACEHOLDERS: Mapping[str, str] = {
    "province": "tỉnh Cao Bằng",
    "province_name": "Cao Bằng",
    "youth_union": "Tỉnh đoàn Cao Bằng",
    "host": "UBND tỉnh Cao Bằng",
    "unit": "Phường Thục Phán",
    "unit_lc": "phường Thục Phán",
    "unit_place": "Thục Phán",
    "department": "Sở Y tế",
}


@dataclass(frozen=True, slots=True)
class Signer:
    """The signature block ("thẩm quyền ký"): authority, title, space for the seal, name."""

    authority: str = ""  #: "TM. BAN THƯỜNG VỤ", "KT. GIÁM ĐỐC"; "" when the head signs
    title: str = ""  #: "BÍ THƯ", "PHÓ GIÁM ĐỐC"
    name: str = ""  #: full name; "" leaves the line for the clerk


@dataclass(frozen=True, slots=True)
class Issuer:
    """A resolved issuer: what the head and foot of one document print."""

    name: str  #: the issuing body, bold on the left: "Ban Thường vụ", "Đoàn phường Thục Phán"
    parent: str = ""  #: its parent body, above it: "BCH Đoàn tỉnh Cao Bằng", "UBND tỉnh …"
    letterhead: Letterhead = "state"  #: national motto, or "ĐOÀN TNCS HỒ CHÍ MINH"
    symbol: str = ""  #: "BC-TĐTN": "Số: …/BC-TĐTN"
    number: str = ""  #: "" leaves the number blank for the clerk
    place: str = ""  #: of the date line: "Cao Bằng, ngày …"
    signer: Signer = Signer()
    recipients: tuple[str, ...] = ()  #: "Nơi nhận" lines, without "- " and ";"
    archive: str = ""  #: after "VT" in "- Lưu: VT, VP."


@dataclass(frozen=True, slots=True)
class IssuerSettings:
    """Unresolved settings of a level or a unit: ``None`` inherits, text may hold
    placeholders."""

    issuer: str | None = None
    issuer_parent: str | None = None
    letterhead: str | None = None
    symbol: str | None = None
    number: str | None = None
    place: str | None = None
    signer_authority: str | None = None
    signer_title: str | None = None
    signer_name: str | None = None
    recipients: tuple[str, ...] | None = None
    archive: str | None = None

    @classmethod
    def from_row(cls, row: IssuerRow) -> IssuerSettings:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    def over(self, base: IssuerSettings) -> IssuerSettings:
        """These settings where set, ``base`` elsewhere."""
        return replace(
            base,
            **{
                f.name: getattr(self, f.name)
                for f in fields(self)
                if getattr(self, f.name) is not None
            },
        )


@dataclass(frozen=True, slots=True)
class IssuerContext:
    """What placeholders stand for in one document."""

    province_name: str  #: "Cao Bằng", "Thành phố Hà Nội"
    host: str  #: "UBND tỉnh Cao Bằng"
    campaign_level: str = "province"  #: the dialogue's level: "province" or "commune"
    host_unit: str = ""  #: the host unit's name: "Cao Bằng", "Phường Thục Phán"
    unit: str = ""  #: the unit whose list it is ("Phường Thục Phán")
    department: str = ""  #: the department a letter is addressed to ("Sở Y tế")

    def values(self) -> dict[str, str]:
        name = _strip_kind(self.province_name)
        city = fold(self.province_name).startswith("thanh pho")
        unit = self.unit or self.host_unit
        return {
            "province": ("thành phố " if city else "tỉnh ") + name,
            "province_name": name,
            "youth_union": ("Thành đoàn " if city else "Tỉnh đoàn ") + name,
            "host": self.host,
            "unit": unit,
            "unit_lc": in_sentence(unit),
            "unit_place": place_name(unit),
            "department": self.department,
        }


def level_of(kind: UnitKind) -> Level:
    """The level whose settings a unit's own list uses."""
    if kind == UnitKind.PROVINCE:
        return "province"
    return "commune" if kind.territorial else "school"


def default_settings(level: Level, *, campaign_level: str = "province") -> IssuerSettings:
    """Built-in settings of a level: the usual practice of the plans (see the module doc)."""
    commune_dialogue = campaign_level == "commune"
    youth_union_list = IssuerSettings(
        issuer="Đoàn {unit_lc}",
        issuer_parent="BCH Đoàn {province}",
        letterhead="youth_union",
        symbol="BC-ĐTN",
        number="",
        place="{province_name}",
        signer_authority="TM. BAN CHẤP HÀNH",
        signer_title="BÍ THƯ",
        signer_name="",
        archive="",
    )
    if level in _AFTER_QUESTIONS:
        return _after_questions(level, commune_dialogue, youth_union_list)
    if level == "province":
        if commune_dialogue:
            return replace(
                youth_union_list,
                place="{unit_place}",
                recipients=("{host}", "Ban Thường vụ {youth_union} (để báo cáo)"),
            )
        return IssuerSettings(
            issuer="Ban Thường vụ",
            issuer_parent="BCH Đoàn {province}",
            letterhead="youth_union",
            symbol="BC-TĐTN",
            number="",
            place="{province_name}",
            signer_authority="TM. BAN THƯỜNG VỤ",
            signer_title="BÍ THƯ",
            signer_name="",
            recipients=("Sở Nội vụ {province}", "{host} (để báo cáo)"),
            archive="VP",
        )
    if level == "commune":
        if commune_dialogue:
            return replace(youth_union_list, place="{unit_place}", recipients=("{host}",))
        return replace(
            youth_union_list,
            place="{unit_place}",
            recipients=("Ban Thường vụ {youth_union}", "UBND {unit_lc}"),
        )
    if level == "school":
        if commune_dialogue:
            return replace(youth_union_list, recipients=("{host}",))
        return replace(youth_union_list, recipients=("Ban Thường vụ {youth_union}",))
    if commune_dialogue:
        return IssuerSettings(
            issuer="{host}",
            issuer_parent="",
            letterhead="state",
            symbol="UBND-VP",
            number="",
            place="{unit_place}",
            signer_authority="KT. CHỦ TỊCH",
            signer_title="PHÓ CHỦ TỊCH",
            signer_name="",
            recipients=("Như trên", "Đoàn {unit_lc}"),
            archive="VP",
        )
    return IssuerSettings(
        issuer="Sở Nội vụ",
        issuer_parent="UBND {province}",
        letterhead="state",
        symbol="SNV-CTTN",
        number="",
        place="{province_name}",
        signer_authority="KT. GIÁM ĐỐC",
        signer_title="PHÓ GIÁM ĐỐC",
        signer_name="",
        recipients=("Như trên", "{host} (để báo cáo)", "Ban Thường vụ {youth_union}"),
        archive="CTTN",
    )


_AFTER_QUESTIONS = ("answers", "programme", "conclusion", "report")


def _after_questions(
    level: Level, commune_dialogue: bool, youth_union_list: IssuerSettings
) -> IssuerSettings:
    """Defaults of the four documents after the questions (see the module docstring)."""
    commune_ubnd = IssuerSettings(
        issuer="{host}",
        issuer_parent="",
        letterhead="state",
        symbol="BC-UBND",
        number="",
        place="{unit_place}",
        signer_authority="TM. ỦY BAN NHÂN DÂN",
        signer_title="CHỦ TỊCH",
        signer_name="",
        archive="VP",
    )
    provincial_youth_union = IssuerSettings(
        issuer="Ban Thường vụ",
        issuer_parent="BCH Đoàn {province}",
        letterhead="youth_union",
        symbol="BC-TĐTN",
        number="",
        place="{province_name}",
        signer_authority="TM. BAN THƯỜNG VỤ",
        signer_title="BÍ THƯ",
        signer_name="",
        archive="VP",
    )
    if level == "answers":
        if commune_dialogue:
            return replace(
                commune_ubnd,
                signer_authority="KT. CHỦ TỊCH",
                signer_title="PHÓ CHỦ TỊCH",
                recipients=("Đoàn {unit_lc}", "Các ban, ngành, đoàn thể {unit_lc}"),
            )
        return IssuerSettings(
            issuer="Sở Nội vụ",
            issuer_parent="UBND {province}",
            letterhead="state",
            symbol="BC-SNV",
            number="",
            place="{province_name}",
            signer_authority="KT. GIÁM ĐỐC",
            signer_title="PHÓ GIÁM ĐỐC",
            signer_name="",
            recipients=(
                "{host} (để báo cáo)",
                "Ban Thường vụ {youth_union}",
                "Các sở, ban, ngành {province}",
            ),
            archive="CTTN",
        )
    if level == "programme":
        if commune_dialogue:
            return replace(
                youth_union_list,
                symbol="KB-ĐTN",
                place="{unit_place}",
                recipients=("Thường trực {host} (để báo cáo)", "Các thành viên Ban Tổ chức"),
            )
        return replace(
            provincial_youth_union,
            symbol="KB-TĐTN",
            recipients=(
                "Thường trực {host} (để báo cáo)",
                "Sở Nội vụ {province}",
                "Các sở, ban, ngành có liên quan",
                "Các thành viên Ban Tổ chức",
            ),
        )
    if level == "conclusion":
        if commune_dialogue:
            return replace(
                commune_ubnd,
                symbol="TB-UBND",
                recipients=(
                    "Thường trực Đảng ủy, HĐND {unit_lc}",
                    "Đoàn {unit_lc}",
                    "Các ban, ngành, đoàn thể {unit_lc}",
                ),
            )
        return IssuerSettings(
            issuer="Văn phòng",
            issuer_parent="UBND {province}",
            letterhead="state",
            symbol="TB-VPUBND",
            number="",
            place="{province_name}",
            signer_authority="KT. CHÁNH VĂN PHÒNG",
            signer_title="PHÓ CHÁNH VĂN PHÒNG",
            signer_name="",
            recipients=(
                "Chủ tịch, các Phó Chủ tịch {host}",
                "Các sở, ban, ngành {province}",
                "Ban Thường vụ {youth_union}",
                "Sở Nội vụ {province}",
            ),
            archive="KGVX",
        )
    if commune_dialogue:
        return replace(
            commune_ubnd,
            recipients=("Sở Nội vụ {province}", "Ban Thường vụ {youth_union}"),
        )
    return replace(
        provincial_youth_union,
        recipients=("{host} (để báo cáo)", "Sở Nội vụ {province}", "Trung ương Đoàn (để báo cáo)"),
    )


def resolve(
    level: Level,
    context: IssuerContext,
    *,
    layers: Sequence[IssuerSettings] = (),
) -> Issuer:
    """The issuer a document prints: defaults, then each of ``layers`` (level, then unit)
    over them, placeholders filled.

    A letterhead nobody set follows the issuer: when a layer renames the issuer or its
    parent without choosing a letterhead, a Youth Union body ("Đoàn …") gets "ĐOÀN TNCS HỒ
    CHÍ MINH" and any other body the national motto.
    """
    merged = default_settings(level, campaign_level=context.campaign_level)
    renamed = False
    letterhead_set = False
    for layer in layers:
        merged = layer.over(merged)
        renamed = renamed or layer.issuer is not None or layer.issuer_parent is not None
        letterhead_set = letterhead_set or layer.letterhead is not None
    values = context.values()

    def fill(text: str | None) -> str:
        return single_youth_union(" ".join(fill_placeholders(text or "", values).split()))

    name = fill(merged.issuer)
    parent = fill(merged.issuer_parent)
    letterhead: Letterhead = "youth_union" if merged.letterhead == "youth_union" else "state"
    if renamed and not letterhead_set:
        letterhead = "youth_union" if is_youth_union(name, parent) else "state"
    return Issuer(
        name=name,
        parent=parent,
        letterhead=letterhead,
        symbol=fill(merged.symbol),
        number=fill(merged.number),
        place=fill(merged.place),
        signer=Signer(
            authority=fill(merged.signer_authority),
            title=fill(merged.signer_title),
            name=fill(merged.signer_name),
        ),
        recipients=tuple(r for r in (fill(x) for x in merged.recipients or ()) if r),
        archive=fill(merged.archive),
    )


_FORMATTER = string.Formatter()


def placeholders_in(text: str) -> list[str]:
    """The placeholder names ``text`` uses; raises ``ValueError`` on a stray brace."""
    return [name for _, name, _, _ in _FORMATTER.parse(text) if name is not None]


def check_placeholders(text: str) -> list[str]:
    """Unknown placeholder names in ``text`` (empty when it is fine).

    Raises ``ValueError`` for text ``str.format`` cannot read (a lone "{").
    """
    return [name for name in placeholders_in(text) if name not in PLACEHOLDERS]


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """``text`` with its placeholders replaced; text with stray braces is kept as written."""
    if "{" not in text:
        return text
    try:
        return text.format_map(_Missing(values))
    except (ValueError, IndexError):
        return text


class _Missing(dict[str, str]):
    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_YOUTH_UNION_WORDS = re.compile(r"\b(doan|thanh doan|tinh doan|huyen doan)\b")


def is_youth_union(name: str, parent: str) -> bool:
    """A Youth Union body ("Đoàn …", "BCH Đoàn tỉnh …", "Tỉnh đoàn …"), not an agency."""
    return any(_YOUTH_UNION_WORDS.search(fold(text)) for text in (name, parent))


#: The kinds of administrative unit, written in lower case before the unit's name
#: (Nghị định 30, Phụ lục II: "xã Ái Quốc", "tỉnh Nam Định").
_ADMINISTRATIVE_KIND = re.compile(
    r"^(?:tỉnh|thành phố|xã|phường|đặc khu|thị trấn|huyện|quận|thị xã)\s", re.IGNORECASE
)


def in_sentence(name: str) -> str:
    """A unit's name inside a sentence: "Phường Thục Phán" → "phường Thục Phán"; a school's,
    agency's or Youth Union body's own name unchanged ("Bộ Chỉ huy Quân sự tỉnh Cao Bằng")."""
    if _ADMINISTRATIVE_KIND.match(name):
        return name[:1].lower() + name[1:]
    return name


#: "Đoàn " before a name that is already a Youth Union body ("Đoàn Khối các cơ quan tỉnh").
_DOUBLED_YOUTH_UNION = re.compile(
    r"\bĐoàn\s+(?=(?:Đoàn|Chi đoàn|Liên chi đoàn|Tỉnh đoàn|Thành đoàn)\b)", re.IGNORECASE
)


def single_youth_union(text: str) -> str:
    """ "Đoàn Đoàn Khối các cơ quan tỉnh" → "Đoàn Khối các cơ quan tỉnh" (a unit that is a
    Youth Union body named after "Đoàn {unit_lc}")."""
    return _DOUBLED_YOUTH_UNION.sub("", text)


_KIND_PREFIX = re.compile(r"^(tỉnh|thành phố)\s+", re.IGNORECASE)
_PLACE_PREFIX = re.compile(
    r"^(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)?\s*"
    r"(?:tỉnh|thành phố|xã|phường|đặc khu|thị trấn|huyện|quận|thị xã)?\s*",
    re.IGNORECASE,
)


def place_name(name: str) -> str:
    """The place of a date line (Nghị định 30: the name without "tỉnh", "xã", "phường"):
    "UBND tỉnh Cao Bằng" → "Cao Bằng", "Phường Thục Phán" → "Thục Phán"; a numbered ward
    keeps its kind ("Phường 5")."""
    stripped = _PLACE_PREFIX.sub("", name.strip(), count=1).strip()
    if not stripped or stripped.isdecimal():
        return name.strip()
    return stripped


def _strip_kind(name: str) -> str:
    return _KIND_PREFIX.sub("", name.strip()) or name.strip()


def layers_for(rows: Iterable[IssuerRow], level: Level, target: str = "") -> list[IssuerSettings]:
    """The stored layers that apply to a document: the level's, then the target's."""
    found = {(r.level, r.target): r for r in rows}
    layers = []
    if (level, "") in found:
        layers.append(IssuerSettings.from_row(found[(level, "")]))
    if target and (level, target) in found:
        layers.append(IssuerSettings.from_row(found[(level, target)]))
    return layers


__all__ = [
    "LEVELS",
    "PLACEHOLDERS",
    "Issuer",
    "IssuerContext",
    "IssuerSettings",
    "Letterhead",
    "Level",
    "Signer",
    "check_placeholders",
    "default_settings",
    "fill_placeholders",
    "is_youth_union",
    "layers_for",
    "level_of",
    "resolve",
]
