"""Finding a unit from what a young person types: accent-insensitive, typo-tolerant and
indifferent to tone-mark placement ("thuc phan" → "Phường Thục Phán", "Đàm Thủy" →
"Xã Đàm Thuỷ")."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from bot.campaign.units import all_provinces, province_unit_code
from bot.clustering.normalize import fold, plain
from storage.models import Unit, UnitKind

# Generic words people type or omit ("xã", "trường") that say nothing about which unit.
_PREFIXES = (
    "thanh pho",
    "phuong",
    "xa",
    "dac khu",
    "tinh",
    "truong",
    "dai hoc",
    "cong ty",
    "doan",
)
MIN_SCORE = 72.0
NAMED_SCORE = 99.0  # the typed words are the unit's name, or whole words of it
# What a young person types for a commune or ward: its name without "Xã", "Phường"...
_TERRITORIAL_PREFIXES = ("đặc khu ", "phường ", "xã ")


# Where a typed unit name ends and its location begins: a comma or dash, or a district,
# town, city or province word ("xa dam thuy huyen trung khanh", "truong thpt x - tp y").
_QUALIFIER = re.compile(r"\s*[,;(\-–]\s*|\s+(?=(?:huyen|thi xa|thanh pho|tp|quan|tinh)\b)")


# Words around a place in a sentence: "em ở …", "nhà mình ở …", "em đang học ở …", "… ạ".
_SAID_AROUND = re.compile(
    # A pronoun first, so that a unit named "Ô …" ("o …" folded) is never cut.
    r"^(?:(?:nha|que)\s+)?(?:em|minh|toi|to|tui|chau|con)\s+(?:dang\s+)?"
    r"(?:o|song o|hoc o|lam o|lam viec o|sinh hoat o|que o)\s+"
    # In English: "I live in …", "I'm from …", "… commune", "… province".
    r"|^(?:i\s+(?:live|study|work|am|m)|i'm|im)\s+(?:in|at|from)\s+"
    r"|\s+(?:a|nhe|nha|ad|commune|ward|province|city)$"
)


# Before the 1 July 2025 merger: "huyện Trùng Khánh", "thị xã …", "quận …" no longer exist.
_DISTRICT = re.compile(r"^(?:huyen|quan|thi xa|thi tran)\s+")
# How people name a province or a centrally-run city: "tỉnh …", "TP.HCM", "thủ đô Hà Nội".
_PROVINCE_WORD = re.compile(r"^(?:tinh|thanh pho|tp|thu do)\s+")
# Everyday names of provinces that the official list spells otherwise (folded).
_PROVINCE_ALIASES = {
    "hcm": "ho_chi_minh",
    "tphcm": "ho_chi_minh",
    "hochiminh": "ho_chi_minh",
    "sai gon": "ho_chi_minh",
    "saigon": "ho_chi_minh",
    "hn": "ha_noi",
    "hanoi": "ha_noi",
    "hcmc": "ho_chi_minh",
}


# The provinces merged into another on 1 July 2025 (Nghị quyết 202/2025/QH15), by the
# province they joined.
_MERGED: dict[str, tuple[str, ...]] = {
    "tuyen_quang": ("Hà Giang",),
    "lao_cai": ("Yên Bái",),
    "thai_nguyen": ("Bắc Kạn",),
    "phu_tho": ("Vĩnh Phúc", "Hòa Bình"),
    "bac_ninh": ("Bắc Giang",),
    "hung_yen": ("Thái Bình",),
    "hai_phong": ("Hải Dương",),
    "ninh_binh": ("Hà Nam", "Nam Định"),
    "quang_tri": ("Quảng Bình",),
    "da_nang": ("Quảng Nam",),
    "quang_ngai": ("Kon Tum",),
    "gia_lai": ("Bình Định",),
    "khanh_hoa": ("Ninh Thuận",),
    "lam_dong": ("Đắk Nông", "Bình Thuận"),
    "dak_lak": ("Phú Yên",),
    "ho_chi_minh": ("Bình Dương", "Bà Rịa - Vũng Tàu"),
    "dong_nai": ("Bình Phước",),
    "tay_ninh": ("Long An",),
    "can_tho": ("Sóc Trăng", "Hậu Giang"),
    "vinh_long": ("Bến Tre", "Trà Vinh"),
    "dong_thap": ("Tiền Giang",),
    "ca_mau": ("Bạc Liêu",),
    "an_giang": ("Kiên Giang",),
}


@functools.cache
def _current_provinces() -> dict[str, str]:
    """Each province's unit code → its name as people say it (since 1 July 2025)."""
    names: dict[str, str] = {}
    for province in all_provinces():
        short = province.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
        # "Hồ Chí Minh" alone names a person: the city keeps its "Thành phố".
        names[province_unit_code(province)] = (
            province.name if province.codename == "ho_chi_minh" else short
        )
    return names


@functools.cache
def _provinces() -> dict[str, tuple[str, str]]:
    """Every province by its typed name, folded: (unit code, name as people say it)."""
    codes = {p.codename: province_unit_code(p) for p in all_provinces()}
    current = _current_provinces()
    table = {plain(name.removeprefix("Thành phố ")): (code, name) for code, name in current.items()}
    for alias, codename in _PROVINCE_ALIASES.items():
        table[alias] = (codes[codename], current[codes[codename]])
    # People still name the provinces merged on 1 July 2025 ("Hà Giang", now Tuyên
    # Quang): named as typed, inside the province they joined.
    for codename, old_names in _MERGED.items():
        for old in old_names:
            table[plain(old)] = (codes[codename], old)
    table["vung tau"] = table["brvt"] = table[plain("Bà Rịa - Vũng Tàu")]
    return table


def _place_words(query: str) -> str:
    """The place a sentence names, folded, without punctuation: "Em ở TP.HCM ạ" → "tp hcm"."""
    return plain(_SAID_AROUND.sub("", fold(query)))


@dataclass(frozen=True)
class ProvinceNamed:
    """A province typed where a unit was asked for: one whose units these are ("ours"), or
    another one (the young person lives or studies elsewhere)."""

    name: str
    ours: bool


def _core(folded: str) -> str:
    for prefix in _PREFIXES:
        if folded.startswith(prefix + " "):
            return folded[len(prefix) + 1 :]
    return folded


@dataclass(frozen=True)
class UnitMatch:
    unit: Unit
    score: float
    # The name typed as it is (accents and "xã"/"phường" aside), not a near one.
    exact: bool = False


class UnitSearch:
    """An in-memory index of a province's units (a few hundred names)."""

    def __init__(self, units: Sequence[Unit]) -> None:
        self._units = list(units)
        self._full = [u.search_key or fold(u.name) for u in self._units]
        self._core = [_core(k) for k in self._full]
        self._padded = [f" {k} " for k in self._core]  # for whole-word containment
        self._home = {u.province_code for u in self._units if u.province_code}
        # The scorer's own preprocessing, done once for the choices instead of per search.
        self._choices = (
            [utils.default_process(k) for k in self._core],
            [utils.default_process(k) for k in self._full],
        )

    def __len__(self) -> int:
        return len(self._units)

    @property
    def home_province(self) -> str | None:
        """The province whose units these are, as people name it, when there is one."""
        names = {_current_provinces().get(code) for code in self._home} - {None}
        return names.pop() if len(names) == 1 else None

    def province_named(self, query: str) -> ProvinceNamed | None:
        """The province typed instead of a unit ("em ở Hà Nội", "tỉnh Cao Bằng"), if that
        is all the text names."""
        q = _place_words(query)
        found = _provinces().get(_PROVINCE_WORD.sub("", q)) or _provinces().get(q)
        if found is None:
            return None
        code, name = found
        return ProvinceNamed(name, ours=code in self._home)

    @staticmethod
    def names_district(query: str) -> bool:
        """Whether the text names a district, town or urban district ("huyện …"), a level
        abolished on 1 July 2025."""
        return _DISTRICT.match(_place_words(query)) is not None

    def search(self, query: str, *, limit: int = 5) -> list[UnitMatch]:
        # "nhà em ở Thục Phán ạ": the place, not the sentence around it.
        q = _SAID_AROUND.sub("", fold(query)).strip() or fold(query)
        # "huyện Trùng Khánh": the former district's name (now often a commune's); every
        # near name is offered, since the district became several communes.
        district = _DISTRICT.match(q)
        if district and len(q) - district.end() >= 2:
            return self._ranked(q[district.end() :], limit=limit, only_exact=False)
        if len(q.replace(" ", "")) < 2:
            return []
        # "xã Đàm Thuỷ, huyện Trùng Khánh": the unit is named first, then where it is (a
        # district before the 2025 merger, the province). What is named first comes first.
        head = _QUALIFIER.split(q, maxsplit=1)[0].strip()
        if head != q and len(head.replace(" ", "")) >= 2:
            first = self._ranked(head, limit=limit)
            if first and first[0].exact:
                return first
            named = {match.unit.id for match in first}
            rest = [m for m in self._ranked(q, limit=limit) if m.unit.id not in named]
            return (first + rest)[:limit]
        return self._ranked(q, limit=limit)

    def _ranked(self, q: str, *, limit: int, only_exact: bool = True) -> list[UnitMatch]:
        q_core = _core(q)
        scores: dict[int, float] = {}
        # Whole words typed in order weigh most; then typo-tolerant matches on the name
        # without its generic prefix, so "dam thuy" and "xa dam thuy" score alike.
        for choices, query_form in zip(self._choices, (q_core, q), strict=True):
            for _, score, index in process.extract(
                utils.default_process(query_form),
                choices,
                scorer=fuzz.WRatio,
                processor=None,
                limit=limit * 3,
            ):
                scores[index] = max(scores.get(index, 0.0), float(score))
        padded = f" {q_core} "
        for index, (core, core_padded) in enumerate(zip(self._core, self._padded, strict=True)):
            if q_core == core:
                scores[index] = 101.0
            elif padded in core_padded or core.startswith(q_core):
                scores[index] = max(scores.get(index, 0.0), NAMED_SCORE)
        ranked = sorted(
            (i for i, s in scores.items() if s >= MIN_SCORE),
            key=lambda i: (-scores[i], self._units[i].name),
        )
        if only_exact and ranked and scores[ranked[0]] > 100.0:
            # "Hà Quảng" typed: the units of that name (a school named after it too), not
            # also Quang Hán, Nam Quang…
            ranked = [i for i in ranked if scores[i] >= NAMED_SCORE]
        return [
            UnitMatch(self._units[i], min(scores[i], 100.0), exact=scores[i] > 100.0)
            for i in ranked[:limit]
        ]


def short_name(unit: Unit) -> str:
    """The name people type: "Phường Thục Phán" → "Thục Phán"; schools keep theirs."""
    if unit.kind.territorial:
        lowered = unit.name.lower()
        for prefix in _TERRITORIAL_PREFIXES:
            if lowered.startswith(prefix):
                return unit.name[len(prefix) :].strip()
    return unit.name


def example_names(units: Sequence[Unit], *, limit: int = 2) -> list[str]:
    """A few names to show in the unit prompt, taken from the campaign's own units: a ward
    and a commune when there are both (as "Thục Phán, Đàm Thủy" in Cao Bằng), else any."""
    shown = [u for u in units if not u.hidden and u.kind != UnitKind.PROVINCE]
    picked: list[Unit] = []
    for kind in (UnitKind.WARD, UnitKind.COMMUNE, UnitKind.SPECIAL_ZONE):
        first = min((u for u in shown if u.kind == kind), key=lambda u: u.name, default=None)
        if first is not None:
            picked.append(first)
    picked += sorted((u for u in shown if u not in picked), key=lambda u: (u.kind, u.name))
    return [short_name(u) for u in picked[:limit]]
