"""Places a question names: communes, wards and provinces checked against the official list.

A question about a road, a market or a mobile mast in one commune is another concern than
the same words about another commune. Words after "xã"/"phường" are not always a place
("xa" typed without diacritics is also "far", "xã nhà" is "our commune"), so a name counts
only when it is one of the 3,321 communes, wards and special zones or the 34 provinces of
``vietnam-provinces`` (after the 1 July 2025 merger):

- a province name counts anywhere ("Cao Bằng", "tinh lang son");
- a commune or ward name counts after "xã", "phường", "huyện", "khu" or "tp"; without a
  marker, when it is written as a name (every word capitalised, with diacritics: "Tằng
  Loỏng", "Mường Xén") or has three syllables or more ("mu cang chai").

One-syllable names are ignored (too ambiguous).

Where a place is named matters. In the question itself ("đường vào xã Đàm Thuỷ"), another
place makes another concern: two questions naming different places there never merge. In
the greeting and the self-introduction ("Kính gửi UBND tỉnh Cao Bằng, em là đoàn viên xã
Quang Trung, …", "ĐVTN xã Hồng Phong hỏi: …") it is the asker's *context*: most young
people ask about where they live, but a province-wide question from two communes is one
concern, so the pair model weighs context places as learned from the labelled sets
(:mod:`bot.clustering.model`). :func:`split_context` tells the two parts apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.clustering.normalize import clauses, fold, split_context

__all__ = ["Analysis", "Places", "analyse", "find_places", "question_places", "split_context"]

_TYPE_PREFIXES = ("xa ", "phuong ", "dac khu ", "thanh pho ", "tinh ")
_MARKERS = frozenset({"xa", "phuong", "huyen", "khu", "tp"})
_WORD = re.compile(r"\w+")
_LONGEST = 4


@dataclass(frozen=True, slots=True)
class Places:
    """Communes/wards (accent-free names) and provinces (codes) a question names."""

    communes: frozenset[str] = frozenset()
    provinces: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.communes or self.provinces)


@dataclass(frozen=True, slots=True)
class _Gazetteer:
    communes: frozenset[str]
    provinces: dict[str, int]
    #: First two words of every name (all have two or more): others are skipped at once.
    starts: frozenset[str]
    #: First word of every name: a cheaper first test than the two words joined.
    firsts: frozenset[str]


def _bare(name: str) -> str:
    folded = fold(name)
    for prefix in _TYPE_PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    from vietnam_provinces import Province, Ward

    communes = frozenset(
        name for ward in Ward.iter_all() if len((name := _bare(ward.name)).split()) >= 2
    )
    provinces = {_bare(p.name): int(p.code.value) for p in Province.iter_all()}
    starts = frozenset(" ".join(name.split()[:2]) for name in (*communes, *provinces))
    firsts = frozenset(start.split()[0] for start in starts)
    return _Gazetteer(communes, provinces, starts, firsts)


from bot.clustering.normalize import fold_word as _fold_word  # noqa: E402


def find_places(text: str) -> Places:
    """The communes and provinces named in ``text`` (see the module docstring)."""
    raw = _WORD.findall(text)
    return _places(raw, [_fold_word(word) for word in raw])


def _places(raw: Sequence[str], words: Sequence[str]) -> Places:
    gazetteer = _gazetteer()
    starts, firsts = gazetteer.starts, gazetteer.firsts
    communes: set[str] = set()
    provinces: set[int] = set()
    index = 0
    last = len(words) - 1
    while index < last:
        if words[index] not in firsts or words[index] + " " + words[index + 1] not in starts:
            index += 1
            continue
        for length in range(_LONGEST, 1, -1):
            if index + length > len(words):
                continue
            name = " ".join(words[index : index + length])
            province = gazetteer.provinces.get(name)
            if province is not None:
                provinces.add(province)
                break
            if name in gazetteer.communes and (
                (index > 0 and words[index - 1] in _MARKERS)
                or length >= 3
                or _written_as_name(raw[index : index + length])
            ):
                communes.add(name)
                break
        else:
            index += 1
            continue
        index += length
    return Places(frozenset(communes), frozenset(provinces))


_NOWHERE = Places()


@dataclass(frozen=True, slots=True)
class Analysis:
    """A question split into its question part and its context, with the places each
    names (computed in one pass over the clauses, and cached: the grouping needs it for
    the terms and for the marks)."""

    question: str
    context: str
    asked: Places
    around: Places


# Large enough for a campaign's distinct questions: the grouping asks twice per text
# (terms, then marks), the second time after all the others.
@lru_cache(maxsize=262144)
def analyse(text: str) -> Analysis:
    """:func:`split_context` and :func:`question_places` of ``text`` at once."""
    parts: tuple[list[str], list[str]] = ([], [])
    found: tuple[list[Places], list[Places]] = ([], [])
    for clause in clauses(text):
        parts[clause.context].append(clause.text)
        places = _places(clause.raw, clause.words)
        if places:
            found[clause.context].append(places)
    return Analysis("".join(parts[0]), "".join(parts[1]), _union(found[0]), _union(found[1]))


def question_places(text: str) -> tuple[Places, Places]:
    """Places named in the question part of ``text`` and in its context."""
    found = analyse(text)
    return found.asked, found.around


def _union(places: list[Places]) -> Places:
    if not places:
        return _NOWHERE
    if len(places) == 1:
        return places[0]
    return Places(
        frozenset().union(*(p.communes for p in places)),
        frozenset().union(*(p.provinces for p in places)),
    )


def _written_as_name(words: Sequence[str]) -> bool:
    return all(word[:1].isupper() for word in words) and not all(w.isascii() for w in words)
