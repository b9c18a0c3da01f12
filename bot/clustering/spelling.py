"""Typo repair for accent-free syllables ("ngiep" → "nghiep", "tnih" → "tinh").

A syllable is left alone when it is *known*: it occurs in the word lists of
``bot/clustering/data`` or at least :data:`MIN_KNOWN_COUNT` times among the questions
at hand. An unknown syllable one edit (insertion, deletion, substitution or swap of
neighbours) away from known ones becomes the most frequent of them. Corrected
syllables can then form the domain terms a typo had broken ("khoi ngiep" →
``khoi_nghiep``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from rapidfuzz.distance import OSA

from bot.clustering import _lexicon

__all__ = ["MIN_KNOWN_COUNT", "Speller"]

#: Occurrences from which a syllable of the questions counts as a real word.
MIN_KNOWN_COUNT = 3
#: Pseudo-count of a syllable of the word lists, so that they win ties against noise.
_LEXICON_COUNT = 5
_MIN_LENGTH = 3


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Speller:
    """Corrects unknown syllables against the word lists and the given syllable counts."""

    __slots__ = ("_by_deletion", "_counts", "_known")

    def __init__(self, counts: Mapping[str, int] | None = None) -> None:
        self._counts: dict[str, int] = dict.fromkeys(_lexicon.get().syllables, _LEXICON_COUNT)
        self._known: set[str] = set(self._counts)
        self._by_deletion: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self._known):
            self._index(word)
        if counts:
            self.update(counts.items())

    def _index(self, word: str) -> None:
        for deletion in _deletions(word):
            self._by_deletion[deletion].append(word)

    def update(self, counts: Iterable[tuple[str, int]]) -> None:
        """Add occurrences of syllables (for incremental use)."""
        for word, count in counts:
            if not word.isalpha():
                continue
            total = self._counts.get(word, 0) + count
            self._counts[word] = total
            if total >= MIN_KNOWN_COUNT and word not in self._known:
                self._known.add(word)
                self._index(word)

    def is_known(self, word: str) -> bool:
        return word in self._known

    def correct(self, word: str) -> str | None:
        """The known syllable ``word`` was probably meant to be, or None."""
        if word in self._known or len(word) < _MIN_LENGTH or not word.isalpha():
            return None
        # A letter was dropped ("kiem" typed "kie"): also for short syllables.
        candidates = set(self._by_deletion.get(word, ()))
        if len(word) > _MIN_LENGTH:
            deletions = _deletions(word)
            candidates.update(d for d in deletions if d in self._known)
            for deletion in deletions:
                candidates.update(self._by_deletion.get(deletion, ()))
        best: tuple[bool, int, str] | None = None
        for candidate in candidates:
            if OSA.distance(word, candidate, score_cutoff=1) > 1:
                continue
            # A doubled key ("coong", "giooi") is the likeliest slip of all.
            doubled = len(candidate) == len(word) - 1 and any(
                word[i] == word[i + 1] and word[:i] + word[i + 1 :] == candidate
                for i in range(len(word) - 1)
            )
            key = (not doubled, -self._counts.get(candidate, 0), candidate)
            if best is None or key < best:
                best = key
        return best[2] if best is not None else None
