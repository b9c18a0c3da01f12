"""Vietnamese text normalisation for grouping young people's questions.

Young people write the same question many ways: with or without diacritics ("dấu"),
with the tone mark on either vowel ("thuỷ" / "thủy"), in teencode ("ko dc j"), wrapped in
greetings ("Kính gửi đồng chí Chủ tịch UBND tỉnh, em là đoàn viên xã ..., cho em hỏi ...").
This module turns a question into comparable *terms*; every word list it uses lives in
``bot/clustering/data/`` so that organisers can extend it without touching code.

Public, pure functions: :func:`fold`, :func:`canonical`, :func:`normalize_question`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.clustering import _lexicon
from bot.clustering.spelling import Speller

__all__ = [
    "Clause",
    "NormalizedQuestion",
    "canonical",
    "clauses",
    "fold",
    "fold_word",
    "normalize_question",
    "split_context",
]

# Combining marks used by Vietnamese: the five tones (huyền, sắc, hỏi, ngã, nặng) and the
# three vowel qualities (breve ă, circumflex â ê ô, horn ơ ư).
_TONES = frozenset("\u0300\u0301\u0309\u0303\u0323")
_QUALITIES = frozenset("\u0306\u0302\u031b")
_VOWELS = frozenset("aeiouy")
# Every combining diacritical mark is dropped by fold(); đ is a letter of its own in
# Unicode, not d + mark, so it needs its own entry.
_FOLD_TABLE = dict.fromkeys(range(768, 880)) | {ord("đ"): "d", ord("Đ"): "d"}
# Combining marks left over after NFC (a second tone mark, say) stay inside the word.
_WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")
_TOKEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
# Clause boundaries survive tokenisation: the preamble rules need them.
_CLAUSE_SPLIT = re.compile(r"[.,;:!?\n\r()\[\]{}…\-–—/\\|\"“”'‘’]+")
# Accent-free spellings that vary with no change in meaning: kĩ/kỹ, lí/lý, mĩ/mỹ, tỉ/tỷ,
# sĩ/sỹ, qui/quy, hi/hy (hi sinh / hy sinh).
_Y_FOR_I = re.compile(r"^(k|l|m|t|h|s|qu)i$")
#: Words after which a hamlet's name follows; accent-free forms only where unambiguous
#: ("ban" is also "bạn", "bán"). Communes, wards and provinces are found against the
#: official list instead (:mod:`bot.clustering.places`).
_PLACE_MARKERS = frozenset({"thôn", "bản", "xóm", "làng", "tổ"})
_PLACE_MARKERS_FOLDED = frozenset({"thon", "xom"})
_PLACE_NAME_WORDS = 2
# A clause and the punctuation after it; a sentence ends where that holds one of .!?;\n
_CLAUSE = re.compile(r"[^,:().!?;\n]+[,:().!?;\n]*")
_SENTENCE_END = frozenset(".!?;\n")
_CONTEXT_WORD = re.compile(r"\w+")
#: Accent-free words that end a self-introduction: the clause asks or wants something.
_ASKING = frozenset(
    "muon de nghi kien xin mong hoi khong ko k hok chua sao nao gi dau bao can".split()  # noqa: SIM905
)
#: A lead-in "… hỏi:" / "Ý kiến của …:" frames what follows as the question.
_FRAME_ENDS = ("hoi", "kien nghi", "de nghi", "y kien", "de xuat", "phan anh", "gop y")
#: Prefix of a hamlet-name term ("@na_leng"), kept beside the name's own words.
PLACE_PREFIX = "@"


_PUNCTUATION = re.compile(r"[^\w\s]+")


def fold(text: str) -> str:
    """Accent-free, case-folded form with collapsed whitespace ("Xã Đàm Thuỷ" → "xa dam thuy").

    Cheap enough to call on every unit name for accent-insensitive search: "thuc phan"
    finds "Phường Thục Phán" and "dam thuy" finds "Xã Đàm Thuỷ".
    """
    folded = unicodedata.normalize("NFD", text).casefold().translate(_FOLD_TABLE)
    if not folded.isascii():
        folded = unicodedata.normalize("NFC", folded)
    return " ".join(folded.split())


#: :func:`fold` of one word, cached (words repeat across questions).
fold_word = lru_cache(maxsize=131072)(fold)


def plain(text: str) -> str:
    """Folded words without punctuation ("Bà Rịa - Vũng Tàu" → "ba ria vung tau";
    "Khởi nghiệp, lập nghiệp" → "khoi nghiep lap nghiep"): how typed words are compared
    with names, choices and word lists."""
    return " ".join(_PUNCTUATION.sub(" ", fold(text)).split())


def canonical(text: str) -> str:
    """NFC, case-folded text with each syllable's tone mark on one canonical vowel.

    Both placements in use ("thuỷ"/"thủy", "hoà"/"hòa", "khoẻ"/"khỏe") give the same
    result; the traditional placement ("thủy", "hòa", "khỏe") is the one kept.
    """
    lowered = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return _WORD.sub(lambda match: _canonical_word(match.group()), lowered)


@lru_cache(maxsize=131072)
def _canonical_word(word: str) -> str:
    """Re-place the tone mark of one lower-case syllable (or run of letters)."""
    decomposed = unicodedata.normalize("NFD", word)
    if not any(ch in _TONES for ch in decomposed):
        return unicodedata.normalize("NFC", decomposed)
    letters: list[str] = []
    qualities: list[str] = []
    tone = ""
    for ch in decomposed:
        if ch in _TONES:
            tone = ch
        elif unicodedata.combining(ch):
            if letters:
                qualities[-1] += ch
        else:
            letters.append(ch)
            qualities.append("")
    position = _tone_position(letters, qualities)
    if position is None:
        return unicodedata.normalize("NFC", word)
    parts = [
        letter + "".join(sorted(quality)) + (tone if index == position else "")
        for index, (letter, quality) in enumerate(zip(letters, qualities, strict=True))
    ]
    return unicodedata.normalize("NFC", "".join(parts))


def _tone_position(letters: list[str], qualities: list[str]) -> int | None:
    """Index of the vowel that carries the tone mark (traditional placement rules)."""
    vowels = [i for i, letter in enumerate(letters) if letter in _VOWELS]
    if not vowels:
        return None
    start = vowels[0]
    # "qu" and "gi" before another vowel are consonants: quý, già, giữa.
    if (
        start > 0
        and letters[start - 1] in "qg"
        and letters[start] in "ui"
        and start + 1 < len(letters)
        and letters[start + 1] in _VOWELS
        and (letters[start - 1] == "q") == (letters[start] == "u")
    ):
        start += 1
    end = start
    while end + 1 < len(letters) and letters[end + 1] in _VOWELS:
        end += 1
    nucleus = range(start, end + 1)
    marked = [i for i in nucleus if qualities[i]]
    if marked:
        return marked[-1]  # ươ → ơ, uô → ô, iê → ê, ưu → ư
    if len(nucleus) == 1:
        return start
    if end + 1 < len(letters):
        return end  # closed syllable: hoàng, toán
    if len(nucleus) == 3:
        return start + 1  # ngoài, xoáy
    return start  # open two-vowel syllable: hòa, thủy, khỏe, mùa


@lru_cache(maxsize=1)
def _preamble_starts() -> dict[str, tuple[int, ...]]:
    """First word → lengths (longest first) of the salutations, intros and openers."""
    lexicon = _lexicon.get()
    found: dict[str, set[int]] = {}
    for phrase in lexicon.salutations | lexicon.intros | lexicon.openers:
        found.setdefault(phrase[0], set()).add(len(phrase))
    return {word: tuple(sorted(sizes, reverse=True)) for word, sizes in found.items()}


@dataclass(frozen=True, slots=True)
class Clause:
    """A clause of a question: its text, its words as typed and accent-free, and whether it
    is context (greeting, self-introduction, lead-in) rather than the question."""

    text: str
    raw: tuple[str, ...]
    words: tuple[str, ...]
    context: bool


def clauses(text: str) -> list[Clause]:
    """The clauses of ``text``, each marked question or context (see :func:`split_context`)."""
    lexicon = _lexicon.get()
    starts = _preamble_starts()
    found: list[Clause] = []
    in_context = False
    for clause in _CLAUSE.findall(text):
        raw = tuple(_CONTEXT_WORD.findall(clause))
        words = tuple(map(fold_word, raw))
        if words:
            salutation = intro = opener = False
            for size in starts.get(words[0], ()):
                head = words[:size]
                salutation = salutation or head in lexicon.salutations
                intro = intro or head in lexicon.intros
                opener = opener or head in lexicon.openers
            if intro:
                in_context = True
            elif in_context and (
                salutation or opener or "?" in clause or not _ASKING.isdisjoint(words)
            ):
                in_context = False
            lead_in = clause.rstrip().endswith(":") and (
                words[:2] == ("y", "kien") or " ".join(words).endswith(_FRAME_ENDS)
            )
            found.append(Clause(clause, raw, words, in_context or lead_in or salutation))
        if not _SENTENCE_END.isdisjoint(clause):
            in_context = False  # a self-introduction ends with its sentence
    return found


def _parts(text: str) -> tuple[str, str]:
    """The question part of ``text`` and its context (cached with the places they name)."""
    from bot.clustering.places import analyse

    found = analyse(text)
    return found.question, found.context


def _question_text(text: str) -> str:
    """The question part of ``text``, or all of it when that part has no word."""
    question = _parts(text)[0]
    return question if _CONTEXT_WORD.search(question) else text


def split_context(text: str) -> tuple[str, str]:
    """The question part of ``text`` and its context (greetings, self-introduction,
    secretary's lead-in), by clause.

    A clause starting with a salutation ("kính gửi", "thưa", "em chào") is context; one
    starting with a self-introduction ("em là", "tôi là", "em ở"; ``preamble.tsv``)
    starts context that goes on to the end of its sentence ("Em là …, đoàn viên chi đoàn
    thôn …, xã …") until a clause starts with an opener ("cho em hỏi") or asks or wants
    something ("muốn", "đề nghị", "… không?"). A clause ending in ":" after a lead-in word
    ("ĐVTN xã … hỏi:") is context too.
    """
    return _parts(text)


@dataclass(frozen=True, slots=True)
class NormalizedQuestion:
    """A question reduced to what matters for grouping.

    Attributes:
        text: the question as submitted.
        tokens: canonical accented tokens after teencode expansion and removal of
            greetings ("kính gửi", "cho em hỏi", "ạ") and self-introductions.
        folded: the same tokens without diacritics, in the same order.
        terms: content terms used for similarity: accent-free, paraphrases of the
            domain mapped to one term ("công ăn việc làm" → ``viec_lam``), stopwords
            dropped, each term once, in order of first appearance.
        accented: whether the question was written with diacritics.
    """

    text: str
    tokens: tuple[str, ...]
    folded: tuple[str, ...]
    terms: tuple[str, ...]
    accented: bool


def _fold_token(token: str) -> str:
    folded = token.translate(_FOLD_TABLE) if token.isascii() else fold(token)
    return _Y_FOR_I.sub(r"\1y", folded)


@lru_cache(maxsize=131072)
def _token_forms(raw: str) -> tuple[bool, tuple[tuple[str, str], ...]]:
    """Whether the raw token has diacritics, and its (canonical, folded) word pairs
    after teencode expansion."""
    token = _canonical_word(unicodedata.normalize("NFC", raw.casefold()))
    folded = _fold_token(token)
    lexicon = _lexicon.get()
    expansion = lexicon.abbreviations.get(token)
    if expansion is None:
        return not token.isascii() and token.isalpha(), ((token, folded),)
    return False, tuple((word, _fold_token(word)) for word in expansion)


def _clauses(text: str) -> tuple[list[list[tuple[str, str]]], bool]:
    """Clauses of (canonical, folded) word pairs, and whether the writer used diacritics
    (at least a quarter of the words carry one; teencode expansions do not count)."""
    clauses: list[list[tuple[str, str]]] = []
    words = marked = 0
    for chunk in _CLAUSE_SPLIT.split(unicodedata.normalize("NFC", text)):
        clause: list[tuple[str, str]] = []
        for raw in _TOKEN.findall(chunk):
            has_marks, forms = _token_forms(raw)
            clause.extend(forms)
            words += 1
            marked += has_marks
        if clause:
            clauses.append(clause)
    return clauses, words > 0 and marked * 4 >= words


def _starts_with(folded: list[str], phrases: frozenset[tuple[str, ...]], longest: int) -> int:
    """Length of the longest phrase that ``folded`` starts with (0 if none)."""
    for length in range(min(longest, len(folded)), 0, -1):
        if tuple(folded[:length]) in phrases:
            return length
    return 0


def _strip_preamble(clauses: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """Drop the salutation clause and a self-introduction that precedes the question."""
    lexicon = _lexicon.get()
    if len(clauses) > 1:
        first = [f for _, f in clauses[0]]
        if _starts_with(first, lexicon.salutations, lexicon.preamble_longest):
            clauses = clauses[1:]
    flat = [form for clause in clauses for form in clause]
    folded = [f for _, f in flat]
    starts = lexicon.salutations | lexicon.intros
    if not _starts_with(folded, starts, lexicon.preamble_longest):
        return flat
    for index in range(1, len(folded)):
        length = _starts_with(folded[index:], lexicon.openers, lexicon.preamble_longest)
        if length and index + length < len(folded):
            return flat[index + length :]
    return flat


@lru_cache(maxsize=131072)
def _word_info(word: str, folded: str) -> tuple[bool, str | None, int]:
    """What the word lists say of one (canonical, folded) word, cached.

    Returns (is a greeting word, its term or None for a stopword, place-marker kind:
    0 none, 1 always, 2 only in text written without diacritics).
    """
    lexicon = _lexicon.get()
    # A word typed without diacritics may be any word with that folded form.
    bare = word.isascii()
    greeting = word in lexicon.greeting_words or (bare and folded in lexicon.greeting_words_folded)
    marker = 1 if word in _PLACE_MARKERS else 2 if bare and folded in _PLACE_MARKERS_FOLDED else 0
    term = lexicon.words.get(word)
    if term is None:
        stop = word in lexicon.stopwords or (bare and folded in lexicon.stopwords_folded)
        term = None if stop else folded
    return greeting, term, marker


def _remove_greetings(forms: list[tuple[str, str]]) -> list[tuple[str, str]]:
    lexicon = _lexicon.get()
    lengths, greetings = lexicon.greeting_lengths, lexicon.greetings
    kept: list[tuple[str, str]] = []
    count = len(forms)
    index = 0
    while index < count:
        form = forms[index]
        sizes = lengths.get(form[1])
        if sizes:
            for size in sizes:
                if index + size <= count and (
                    tuple(f for _, f in forms[index : index + size]) in greetings
                ):
                    index += size
                    break
            else:
                sizes = None
            if sizes:
                continue
        if not _word_info(*form)[0]:
            kept.append(form)
        index += 1
    return kept


def _marked(word: str) -> bool:
    """Whether a word was written with a diacritic (or đ)."""
    return not word.isascii()


def _terms(forms: list[tuple[str, str]], *, accented: bool) -> tuple[str, ...]:
    lexicon = _lexicon.get()
    phrase_lengths = lexicon.phrase_lengths
    phrases, accented_phrases = lexicon.phrases, lexicon.accented_phrases
    # Marker kinds that count: in text with diacritics an unmarked "xa" is "far", not "xã".
    marker_kinds = (1,) if accented else (1, 2)
    # Per position: (term or None for a stopword, plain unknown word?, place marker?).
    found: list[tuple[str | None, bool, bool]] = []
    words = [w for w, _ in forms]
    folded = [f for _, f in forms]
    count = len(forms)
    index = 0
    while index < count:
        sizes = phrase_lengths.get(folded[index])
        if sizes:
            for size in sizes:
                if index + size > count:
                    continue
                phrase = phrases.get(tuple(folded[index : index + size]))
                if phrase is not None:
                    # Where accent-free forms collide, the written diacritics decide:
                    # "đóng bảo (hiểm)" is not "đồng bào", though both fold to "dong bao".
                    span = tuple(words[index : index + size])
                    written = accented_phrases.get(_lexicon.loose(span))
                    if written is not None:
                        phrase = written
                    elif all(_marked(w) for w in span):
                        continue
                    # "đường vào thôn", "nhà văn hóa xã": a name may follow the phrase too.
                    marker = _word_info(*forms[index + size - 1])[2] in marker_kinds
                    found.append((phrase or None, False, marker and bool(phrase)))
                    index += size
                    break
            else:
                sizes = None
            if sizes:
                continue
        word, fold_ = forms[index]
        _, term, marker_kind = _word_info(word, fold_)
        plain = term == fold_ and fold_.isalpha() and word not in lexicon.words
        found.append((term, plain, term is not None and marker_kind in marker_kinds))
        index += 1
    terms: dict[str, None] = {}
    position = 0
    while position < len(found):
        term, _, marker = found[position]
        position += 1
        if term is None:
            continue
        terms[term] = None
        if marker:
            # "xã Quảng Uyên", "thôn Nà Lẹng": the name is one strong term, so that the
            # same question about another place does not look the same.
            name: list[str] = []
            while position < len(found) and len(name) < _PLACE_NAME_WORDS:
                next_term, plain, _ = found[position]
                if next_term is None or not plain:
                    break
                name.append(next_term)
                position += 1
            if name:
                # The words stay terms of their own (the same place matches); the name
                # also marks the hamlet ("thôn Nà Lẹng"), which a question about another
                # hamlet does not share.
                terms.update(dict.fromkeys(name))
                terms[PLACE_PREFIX + "_".join(name)] = None
    return tuple(terms)


def normalize_question(text: str, *, speller: Speller | None = None) -> NormalizedQuestion:
    """Reduce a question to tokens and similarity terms (see :class:`NormalizedQuestion`).

    Args:
        text: the question as submitted.
        speller: repairs typos in syllables it does not know before terms are formed;
            without one, words are taken as typed.
    """
    # Greetings and self-introductions are not the question ("em là đoàn viên xã …").
    clauses, accented = _clauses(_question_text(text))
    forms = _remove_greetings(_strip_preamble(clauses))
    if speller is not None:
        # Names after "thôn", "bản", "xóm" stay as typed: a hamlet is told apart by its
        # name, with or without a speller (the batch grouping and the index agree).
        markers = [_word_info(*form)[2] for form in forms]
        forms = [
            form
            if any(markers[max(0, index - _PLACE_NAME_WORDS) : index])
            else _respell(form, speller)
            for index, form in enumerate(forms)
        ]
    return NormalizedQuestion(
        text=text,
        tokens=tuple(w for w, _ in forms),
        folded=tuple(f for _, f in forms),
        terms=_terms(forms, accented=accented),
        accented=accented,
    )


def _respell(form: tuple[str, str], speller: Speller) -> tuple[str, str]:
    corrected = speller.correct(form[1])
    if corrected is None:
        return form
    # The intended diacritics are unknown: keep the accent-free form only.
    return corrected, corrected
