"""Finding a unit from what a young person types: accent-insensitive, typo-tolerant and
indifferent to tone-mark placement ("thuc phan" → "Phường Thục Phán", "Đàm Thủy" →
"Xã Đàm Thuỷ")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from bot.clustering.normalize import fold
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
    r"|\s+(?:a|nhe|nha|ad)$"
)


def _core(folded: str) -> str:
    for prefix in _PREFIXES:
        if folded.startswith(prefix + " "):
            return folded[len(prefix) + 1 :]
    return folded


@dataclass(frozen=True)
class UnitMatch:
    unit: Unit
    score: float


class UnitSearch:
    """An in-memory index of a province's units (a few hundred names)."""

    def __init__(self, units: Sequence[Unit]) -> None:
        self._units = list(units)
        self._full = [u.search_key or fold(u.name) for u in self._units]
        self._core = [_core(k) for k in self._full]
        # The scorer's own preprocessing, done once for the choices instead of per search.
        self._choices = (
            [utils.default_process(k) for k in self._core],
            [utils.default_process(k) for k in self._full],
        )

    def __len__(self) -> int:
        return len(self._units)

    def search(self, query: str, *, limit: int = 5) -> list[UnitMatch]:
        # "nhà em ở Thục Phán ạ": the place, not the sentence around it.
        q = _SAID_AROUND.sub("", fold(query)).strip() or fold(query)
        if len(q.replace(" ", "")) < 2:
            return []
        # "xã Đàm Thuỷ, huyện Trùng Khánh": the unit is named first, then where it is (a
        # district before the 2025 merger, the province). What is named first comes first.
        head = _QUALIFIER.split(q, maxsplit=1)[0].strip()
        if head != q and len(head.replace(" ", "")) >= 2:
            first = self._ranked(head, limit=limit)
            named = {match.unit.id for match in first}
            rest = [m for m in self._ranked(q, limit=limit) if m.unit.id not in named]
            return (first + rest)[:limit]
        return self._ranked(q, limit=limit)

    def _ranked(self, q: str, *, limit: int) -> list[UnitMatch]:
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
        for index, core in enumerate(self._core):
            if q_core == core:
                scores[index] = 101.0
            elif f" {q_core} " in f" {core} " or core.startswith(q_core):
                scores[index] = max(scores.get(index, 0.0), 99.0)
        ranked = sorted(
            (i for i, s in scores.items() if s >= MIN_SCORE),
            key=lambda i: (-scores[i], self._units[i].name),
        )
        return [UnitMatch(self._units[i], min(scores[i], 100.0)) for i in ranked[:limit]]


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
