"""Finding one named thing (a department, a topic group) from what an official types:
accent-free, indifferent to case, "&" / "và" and punctuation, tolerant of one typo, and
never guessing between two ("So Noi vu", "sở nội vụ", "Sở Nội Vụ" and "SNV" all find
"Sở Nội vụ"; "Sở Y" is not enough to choose, so it gets suggestions instead).

Pure: the caller hands in the entries and decides what to do with no match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.clustering.normalize import fold

FUZZY_MIN = 90.0  # a typo: the whole name must match this well (0-100)
FUZZY_MARGIN = 5.0  # ... and better than any other entry
SUGGEST_MIN = 55.0
MAX_SUGGESTIONS = 3
SUGGEST_SPREAD = 10.0
MIN_PART_CHARS = 3  # a part of a name ("noi vu") must say this much to choose alone

_NON_WORD = re.compile(r"[^0-9a-z]+")


def name_key(text: str) -> str:
    """The comparable form of a name: folded, "&" read as "và", punctuation dropped
    ("Sở GD&ĐT" → "so gd va dt", "Sở Lao động - Thương binh" → "so lao dong thuong binh")."""
    folded = fold(text.replace("&", " và "))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def _words(key: str, generic: frozenset[str]) -> tuple[str, ...]:
    return tuple(w for w in key.split() if w != "va" and w not in generic)


def _compact(key: str) -> str:
    return "".join(w for w in key.split() if w != "va")


@dataclass(frozen=True, slots=True)
class NameEntry:
    """Something to find: ``names`` are its official name first, then its aliases."""

    id: int
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.names[0]


@dataclass(frozen=True, slots=True)
class NameMatch:
    """The entry found (``None`` when there is none to choose) and, when none, the
    closest labels to suggest ("did you mean")."""

    entry: NameEntry | None
    suggestions: tuple[str, ...] = ()


class NameMatcher:
    """An index of a few dozen names (a province's departments, a campaign's topics).

    ``generic`` words say nothing on their own ("sở"); ``suffixes`` are trailing phrases
    a query may add and the names omit ("tỉnh Cao Bằng").
    """

    def __init__(
        self,
        entries: Iterable[NameEntry],
        *,
        generic: Iterable[str] = (),
        suffixes: Iterable[str] = (),
    ) -> None:
        self._entries = list(entries)
        self._generic = frozenset(name_key(g) for g in generic)
        self._suffixes = sorted({name_key(s) for s in suffixes if s.strip()}, key=len, reverse=True)
        # (entry index, key) for every name and alias
        self._keys: list[tuple[int, str]] = [
            (i, name_key(name)) for i, entry in enumerate(self._entries) for name in entry.names
        ]

    def _query_key(self, text: str) -> str:
        key = name_key(text)
        for suffix in self._suffixes:
            if key.endswith(" " + suffix):
                return key[: -len(suffix) - 1].strip()
        return key

    def match(self, text: str) -> NameMatch:
        key = self._query_key(text)
        if not key:
            return NameMatch(None)
        # 1. The name or an alias, written any way.
        exact = {i for i, k in self._keys if k == key or _compact(k) == _compact(key)}
        if len(exact) == 1:
            return NameMatch(self._entries[exact.pop()])
        if exact:
            return NameMatch(None, self._labels(sorted(exact)))
        # 2. A telling part of exactly one entry's name ("noi vu", "viec lam").
        words = _words(key, self._generic)
        contained: set[int] = set()
        if len("".join(words)) >= MIN_PART_CHARS:
            for i, k in self._keys:
                if _contains(_words(k, frozenset()), words):
                    contained.add(i)
        if len(contained) == 1:
            return NameMatch(self._entries[contained.pop()])
        if contained:
            return NameMatch(None, self._labels(sorted(contained)))
        # 3. One typo in the whole name, clearly closer to one entry than to any other.
        best: dict[int, float] = {}
        for i, k in self._keys:
            best[i] = max(best.get(i, 0.0), fuzz.ratio(key, k))
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        if ranked:
            top_index, top = ranked[0]
            runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
            if top >= FUZZY_MIN and top - runner_up >= FUZZY_MARGIN:
                return NameMatch(self._entries[top_index])
        return NameMatch(None, self.suggest(key))

    def suggest(self, key: str) -> tuple[str, ...]:
        """The closest labels, judged on the telling words ("ngoai giao" is close to
        "Sở Ngoại vụ", not to every "Sở ...")."""
        core = " ".join(_words(key, self._generic)) or key
        scores: dict[int, float] = {}
        for i, k in self._keys:
            k_core = " ".join(_words(k, self._generic)) or k
            score = max(fuzz.ratio(core, k_core), fuzz.token_set_ratio(core, k_core))
            scores[i] = max(scores.get(i, 0.0), score)
        ordered = sorted(scores.items(), key=lambda kv: -kv[1])
        best = ordered[0][1] if ordered else 0.0
        # Only names about as close as the closest: one good guess beats three vague ones.
        ranked = [i for i, s in ordered if s >= SUGGEST_MIN and s >= best - SUGGEST_SPREAD]
        return self._labels(ranked[:MAX_SUGGESTIONS])

    def _labels(self, indexes: Sequence[int]) -> tuple[str, ...]:
        return tuple(self._entries[i].label for i in indexes)


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """``needle`` occurs in ``haystack`` as consecutive words."""
    n = len(needle)
    if n == 0 or n > len(haystack):
        return False
    return any(tuple(haystack[i : i + n]) == tuple(needle) for i in range(len(haystack) - n + 1))
