"""Word lists of ``bot/clustering/data/``, loaded once and shaped for fast matching."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Lexicon", "get", "loose", "term_of"]

# "kỹ" and "kĩ", "lý" and "lí": the same word in the two spellings in use.
_LOOSE = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


@lru_cache(maxsize=65536)  # a phrase's words as typed: they repeat across questions
def loose(words: tuple[str, ...]) -> tuple[str, ...]:
    """Accented words with y spelled i, as the keys of ``accented_phrases``."""
    return tuple(word.translate(_LOOSE) for word in words)


@dataclass(frozen=True, slots=True)
class Lexicon:
    abbreviations: dict[str, tuple[str, ...]]
    greetings: frozenset[tuple[str, ...]]
    greeting_words: frozenset[str]
    greeting_words_folded: frozenset[str]
    salutations: frozenset[tuple[str, ...]]
    intros: frozenset[tuple[str, ...]]
    openers: frozenset[tuple[str, ...]]
    preamble_longest: int
    stopwords: frozenset[str]
    stopwords_folded: frozenset[str]
    # Folded word sequences (two words or more) → term; "" for stop phrases.
    phrases: dict[tuple[str, ...], str]
    # The same with the canonical accented words: wins where accent-free forms collide
    # ("tuyên dương" and "tuyến đường" both fold to "tuyen duong").
    accented_phrases: dict[tuple[str, ...], str]
    # First folded word → lengths (longest first) of the phrases starting with it.
    phrase_lengths: dict[str, tuple[int, ...]]
    greeting_lengths: dict[str, tuple[int, ...]]
    # Canonical accented single words → term.
    words: dict[str, str]
    # Term → weight multiplier (weak domain words).
    weights: dict[str, float]
    # Every accent-free syllable of the word lists (known to the typo repair).
    syllables: frozenset[str]
    # Term → facet kind ("who", "aspect"): see facets.tsv.
    facets: dict[str, str]


#: Synonym files, read in this order (the first to name a variant decides its term):
#: the curated core, then the larger domain lexicon (DOMAIN_LEXICON.md).
SYNONYM_FILES = ("synonyms.tsv", "domain_synonyms.tsv")


def _lines(name: str, *, optional: bool = False) -> list[str]:
    path = resources.files("bot.clustering").joinpath("data", name)
    if optional and not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    return [
        line.strip("\n\r")
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _words(phrase: str) -> tuple[str, ...]:
    from bot.clustering.normalize import _canonical_word

    lowered = unicodedata.normalize("NFC", phrase.casefold())
    return tuple(_canonical_word(word) for word in lowered.split())


def _folded(words: tuple[str, ...]) -> tuple[str, ...]:
    from bot.clustering.normalize import _fold_token

    return tuple(_fold_token(word) for word in words)


def term_of(phrase: str) -> str:
    """The similarity term of a phrase: accent-free words joined by "_"."""
    return "_".join(_folded(_words(phrase)))


@lru_cache(maxsize=1)
def get() -> Lexicon:
    """The lexicon (loaded on first use, then cached)."""
    abbreviations: dict[str, tuple[str, ...]] = {}
    for line in _lines("abbreviations.tsv"):
        key, expansion = line.split("\t")
        (word,) = _words(key)
        abbreviations.setdefault(word, _words(expansion))

    greetings: set[tuple[str, ...]] = set()
    greeting_words: set[str] = set()
    for line in _lines("greetings.txt"):
        words = _words(line)
        if len(words) == 1:
            greeting_words.add(words[0])
        else:
            greetings.add(_folded(words))

    preamble: dict[str, set[tuple[str, ...]]] = {
        "salutation": set(),
        "intro": set(),
        "opener": set(),
    }
    for line in _lines("preamble.tsv"):
        kind, phrase = line.split("\t")
        preamble[kind].add(_folded(_words(phrase)))

    phrases: dict[tuple[str, ...], str] = {}
    accented_phrases: dict[tuple[str, ...], str] = {}
    words_map: dict[str, str] = {}
    ascii_variants: set[str] = set()
    synonym_lines = [line for name in SYNONYM_FILES for line in _lines(name, optional=True)]
    for line in synonym_lines:
        canonical_phrase, *variants = line.split("\t")
        term = term_of(canonical_phrase)
        for variant in (canonical_phrase, *variants):
            words = _words(variant)
            if len(words) == 1:
                words_map.setdefault(words[0], term)
                if words[0].isascii():
                    ascii_variants.add(words[0])
            else:
                phrases.setdefault(_folded(words), term)
                accented_phrases.setdefault(loose(words), term)

    for line in _lines("compounds.txt"):
        words = _words(line)
        if len(words) > 1:
            phrases.setdefault(_folded(words), term_of(line))
            accented_phrases.setdefault(loose(words), term_of(line))

    weights: dict[str, float] = {}
    for line in _lines("term_weights.tsv"):
        phrase, weight = line.split("\t")
        words = _words(phrase)
        term = term_of(phrase)
        weights[term] = float(weight)
        if len(words) > 1:
            phrases.setdefault(_folded(words), term)
            accented_phrases.setdefault(loose(words), term)

    facets: dict[str, str] = {}
    for line in _lines("facets.tsv"):
        kind, phrase = line.split("\t")
        words = _words(phrase)
        term = term_of(phrase)
        facets[term] = kind
        if len(words) > 1:
            phrases.setdefault(_folded(words), term)
            accented_phrases.setdefault(loose(words), term)

    stopwords: set[str] = set()
    for line in _lines("stopwords.txt"):
        words = _words(line)
        if len(words) == 1:
            stopwords.add(words[0])
        else:
            phrases.setdefault(_folded(words), "")
            accented_phrases.setdefault(loose(words), "")
    # An accent-free stopword that is also an accent-free content word listed in the
    # synonyms is kept ("vậy" and "vay" both fold to "vay").
    stopwords_folded = {_folded((word,))[0] for word in stopwords} - ascii_variants
    syllables = {s for phrase in phrases for s in phrase}
    syllables.update(_folded((w,))[0] for w in (*words_map, *stopwords, *greeting_words))
    syllables.update(_folded(e)[0] for e in abbreviations.values() if len(e) == 1)
    syllables.update(s for e in abbreviations.values() for s in _folded(e))

    def lengths(keys: Iterable[tuple[str, ...]]) -> dict[str, tuple[int, ...]]:
        found: dict[str, set[int]] = {}
        for key in keys:
            found.setdefault(key[0], set()).add(len(key))
        return {word: tuple(sorted(sizes, reverse=True)) for word, sizes in found.items()}

    preamble_phrases = preamble["salutation"] | preamble["intro"] | preamble["opener"]
    return Lexicon(
        abbreviations=abbreviations,
        greetings=frozenset(greetings),
        greeting_words=frozenset(greeting_words),
        greeting_words_folded=frozenset(_folded((w,))[0] for w in greeting_words),
        salutations=frozenset(preamble["salutation"]),
        intros=frozenset(preamble["intro"]),
        openers=frozenset(preamble["opener"]),
        preamble_longest=max((len(p) for p in preamble_phrases), default=1),
        stopwords=frozenset(stopwords),
        stopwords_folded=frozenset(stopwords_folded),
        phrases=phrases,
        accented_phrases=accented_phrases,
        phrase_lengths=lengths(phrases),
        greeting_lengths=lengths(greetings),
        words=words_map,
        weights=weights,
        syllables=frozenset(s for s in syllables if s.isalpha()),
        facets=facets,
    )
