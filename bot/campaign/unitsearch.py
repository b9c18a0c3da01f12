"""Finding a unit from what a young person types: accent-insensitive, typo-tolerant and
indifferent to tone-mark placement ("thuc phan" → "Phường Thục Phán", "Đàm Thủy" →
"Xã Đàm Thuỷ")."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from bot.campaign.former import FormerUnit, former_units
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
# A name typed a letter or two off: "thuc phn" (94), "dam thy" (93), "hoa ann" (92).
TYPO_SCORE = 80.0
# A unit's whole name said inside longer words ("trường THPT Hòa An").
INSIDE_SCORE = 90.0
# Typed text long enough to be compared with a part of a long name.
_PART_CHARS = 8
# A former district typed: all the communes it became are offered (7 or 8 most often).
_DISTRICT_UNITS = 12
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


# A former commune-level unit's name without its kind ("Thị trấn Nước Hai" → "nuoc hai").
_FORMER_KIND = re.compile(r"^(?:xa|phuong|thi tran)\s+")
# Below a commune: "thôn", "bản", "xóm", "tổ dân phố", "ấp", "buôn", "khu phố", "làng".
_HAMLET = re.compile(r"^(?:thon|ban|xom|to dan pho|to|ap|buon|khu pho|lang|phum|soc|khoi)\s+\S")
# A city or town under a province, before 2025: "thành phố Cao Bằng", "TP Cao Bằng".
_CITY = re.compile(r"^(?:thanh pho|tp)\s+")
# A former district's kind: "Huyện Hòa An", "Thành phố Cao Bằng", "Thị xã Quảng Yên".
_DISTRICT_KIND = re.compile(r"^(?:huyen|quan|thi xa|thanh pho)\s+")
# "xã Chí Viễn cũ", "Chí Viễn (cũ)": the former unit said to be former.
_SAID_FORMER = re.compile(r"\s*\(?\s*cu\s*\)?$")


@dataclass(frozen=True)
class UnitMatch:
    unit: Unit
    score: float
    # The name typed as it is (accents and "xã"/"phường" aside), not a near one.
    exact: bool = False
    # The commune, ward or town of before 1 July 2025 that was typed and is now (part
    # of) this unit ("Xã Chí Viễn", now in Xã Đàm Thuỷ); None: the unit's own name.
    former: FormerUnit | None = None


class UnitSearch:
    """An in-memory index of a province's units (a few hundred names)."""

    def __init__(self, units: Sequence[Unit]) -> None:
        self._units = list(units)
        self._full = [u.search_key or fold(u.name) for u in self._units]
        self._core = [_core(k) for k in self._full]
        self._padded = [f" {k} " for k in self._core]  # for whole-word containment
        self._names = set(self._core)
        self._home = {u.province_code for u in self._units if u.province_code}
        names = [fold(_current_provinces().get(code, "")) for code in self._home]
        self._home_suffixes = [
            suffix for name in names if name for suffix in (f" tinh {name}", f" {name}")
        ]
        # The scorer's own preprocessing, done once for the choices instead of per search.
        self._choices = (
            [utils.default_process(k) for k in self._core],
            [utils.default_process(k) for k in self._full],
        )
        self._former = _former_index(self._units, self._home)

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

    def names_district(self, query: str) -> bool:
        """Whether the text names a district, town or urban district ("huyện …"), or a
        city under the province ("thành phố Cao Bằng"), a level abolished on 1 July 2025."""
        place = _place_words(query)
        if _DISTRICT.match(place) is not None:
            return True
        city = _CITY.match(place)
        return city is not None and bool(self._of_district(place[city.end() :]))

    @staticmethod
    def names_hamlet(query: str) -> bool:
        """Whether the text names a hamlet, village or residential group ("thôn …", "bản
        …", "tổ dân phố …"): below the units people choose from."""
        return _HAMLET.match(_place_words(query)) is not None

    def search(self, query: str, *, limit: int = 5) -> list[UnitMatch]:
        # "nhà em ở Thục Phán ạ": the place, not the sentence around it.
        q = _SAID_AROUND.sub("", fold(query)).strip() or fold(query)
        # "xã Minh Tâm Cao Bằng": the province said after the unit says nothing more.
        for suffix in self._home_suffixes if _core(q) not in self._names else ():
            rest = q[: -len(suffix)].rstrip(" ,-")
            # Not when nothing but "tỉnh" is left: "tỉnh Cao Bằng" names the province.
            if q.endswith(suffix) and len(_PROVINCE_WORD.sub("", rest + " ").strip()) >= 3:
                q = rest
                break
        # "huyện Trùng Khánh", "thành phố Cao Bằng": a district (or a city under the
        # province) of before 2025, whose communes and wards are offered.
        district = _DISTRICT.match(q) or _CITY.match(q)
        if district and (communes := self._of_district(q[district.end() :])):
            return communes
        matches = self._search(q, limit=limit)
        former = self._formerly(q)
        if not former:
            return matches
        # A former unit's exact name: the unit(s) it is part of now, after any unit of
        # that very name today; near names ("Chí Viễn" was like "Bệnh viện …") drop out.
        named = [m for m in matches if m.score >= NAMED_SCORE]
        seen = {m.unit.id for m in named}
        for match in former:
            if match.unit.id not in seen:
                seen.add(match.unit.id)
                named.append(match)
        return named[:limit]

    def _of_district(self, name: str) -> list[UnitMatch]:
        """The units of today that took the communes of the former district ``name``
        ("huyện Trùng Khánh": Xã Trùng Khánh and the six others), the one named after
        it first; none when no former district has that name."""
        name = _place_words(_QUALIFIER.split(name, maxsplit=1)[0])  # "…, Cao Bằng"
        indexes = sorted(
            {
                index
                for entries in self._former.values()
                for former, now in entries
                if _district_name(former) == name
                for index in now
            },
            key=lambda i: (self._core[i] != name, self._units[i].name),
        )
        return [
            UnitMatch(self._units[i], 100.0, exact=self._core[i] == name)
            for i in indexes[:_DISTRICT_UNITS]
        ]

    def _formerly(self, q: str) -> list[UnitMatch]:
        """The units of today that took the area of the former unit named in ``q``
        ("xã Chí Viễn", "Hồng Việt, huyện Hòa An"); the district, when one is typed,
        chooses among former units of the same name."""
        if not self._former:
            return []
        head, *rest = _QUALIFIER.split(q, maxsplit=1)
        found = self._former.get(_SAID_FORMER.sub("", _FORMER_KIND.sub("", head.strip())), ())
        where = f" {_place_words(rest[0])} " if rest else ""
        if len(found) > 1 and where.strip():
            # Several former units of that name (one per district): the one typed.
            found = tuple(f for f in found if f" {_district_name(f[0])} " in where) or found
        return [
            UnitMatch(self._units[index], 100.0, exact=True, former=former)
            for former, indexes in found
            for index in indexes
        ]

    def _search(self, q: str, *, limit: int) -> list[UnitMatch]:
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
        # Whole words typed in order weigh most; then a name typed a letter or two off,
        # on the name without its generic prefix ("dam thy", "xa dam thy"). Only whole
        # names are compared: a word in common ("viên", "Cao Bằng") made "sinh viên ở Hà
        # Nội" or "thôn Bó Blằng" look like the provincial hospital or military command.
        typed = utils.default_process(q_core)
        for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
            for _, score, index in process.extract(
                typed,
                self._choices[0],
                scorer=scorer,
                processor=None,
                limit=limit * 3,
                score_cutoff=TYPO_SCORE,
            ):
                scores[index] = max(scores.get(index, 0.0), float(score))
        if len(typed) >= _PART_CHARS:
            # Part of a long name, with a typo ("chuyen cao bag"): the part must be most
            # of what was typed and at least half of the name.
            for _, score, index in process.extract(
                typed,
                self._choices[0],
                scorer=fuzz.partial_ratio,
                processor=None,
                limit=limit * 3,
                score_cutoff=TYPO_SCORE,
            ):
                if len(typed) <= len(self._core[index]) <= 2 * len(typed):
                    scores[index] = max(scores.get(index, 0.0), float(score) - 5.0)
        padded = f" {q_core} "
        for index, (core, core_padded) in enumerate(zip(self._core, self._padded, strict=True)):
            if q_core == core:
                scores[index] = 101.0
            elif padded in core_padded or core.startswith(q_core):
                scores[index] = max(scores.get(index, 0.0), NAMED_SCORE)
            elif len(core) >= _PART_CHARS // 2 and core_padded in padded:
                # The unit's whole name inside what was typed: "trường THPT Hòa An",
                # "THCS Đàm Thuỷ" (a school not in the list: its commune is offered).
                scores[index] = max(scores.get(index, 0.0), INSIDE_SCORE)
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


def _district_name(former: FormerUnit) -> str:
    """A former district's name without its kind: "Huyện Hòa An" → "hoa an"."""
    return _DISTRICT_KIND.sub("", fold(former.district))


def _former_index(
    units: Sequence[Unit], provinces: set[str]
) -> dict[str, tuple[tuple[FormerUnit, tuple[int, ...]], ...]]:
    """The former units of ``provinces`` by their name without its kind, folded, each
    with the positions in ``units`` of the units that took its area."""
    position = {unit.code: index for index, unit in enumerate(units)}
    index: dict[str, list[tuple[FormerUnit, tuple[int, ...]]]] = {}
    table = former_units()
    for province in provinces:
        for former in table.get(province, ()):
            now = tuple(position[code] for code in former.new_codes if code in position)
            if now:
                key = _FORMER_KIND.sub("", fold(former.name))
                index.setdefault(key, []).append((former, now))
    return {key: tuple(found) for key, found in index.items()}


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
