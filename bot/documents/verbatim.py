"""Questions quoted as received ("nguyên văn"): which ones an official document marks.

Documents quote every question exactly as the young person wrote it (an official must not
reword a citizen's question). A question typed without diacritics, in teencode or in English
then reads oddly in a formal document, so it carries a sober mark, "(nguyên văn)", and the
document explains the mark once. Detection is deliberately conservative: a formal Vietnamese
question is never marked.
"""

from __future__ import annotations

import re
import unicodedata

#: Teencode and chat abbreviations that do not occur as words in formal Vietnamese.
TEENCODE = frozenset(
    {
        "ko", "k", "kg", "kh", "khg", "khong", "hok", "hông", "khum", "hem",
        "dc", "đc", "đk", "dk", "j", "z", "mik", "mk", "mn", "mng", "bn", "ns",
        "ntn", "cx", "cg", "vs", "trc", "ak", "ạk", "tn", "ng", "nc", "r", "e",
        "ok", "oke", "okela", "pls", "plz", "thanks", "thank", "thks", "tks",
        "lun", "bít", "bik", "wa", "wá", "ui", "zậy", "vậy", "ah",
    }
)  # fmt: skip
#: "vậy" is an ordinary word: it only counts together with other teencode.
_WEAK = frozenset({"vậy", "ah", "r", "e", "ng"})
_STRONG = TEENCODE - _WEAK
MIN_WORDS = 4


_WORD = re.compile(r"[^\W\d_]+")


def words_of(text: str) -> list[str]:
    """Lower-case words of ``text`` (digits and punctuation dropped)."""
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def is_verbatim_case(text: str) -> bool:
    """Whether ``text`` is worth the "(nguyên văn)" mark: written without diacritics
    (Vietnamese typed on a plain keyboard, or English), or with several teencode words.

    >>> is_verbatim_case("em muon hoi tinh co ho tro tn tim viec lam ko a")
    True
    >>> is_verbatim_case("Cho e hỏi tn xuất ngũ dc hỗ trợ j ko ạ")
    True
    >>> is_verbatim_case("Thanh niên xuất ngũ được hỗ trợ học nghề như thế nào?")
    False
    """
    words = words_of(text)
    if len(words) < MIN_WORDS:
        return False
    if text.isascii():
        return True  # no diacritics at all: a plain keyboard, or English
    accented = len(words) - sum(map(str.isascii, words))
    if accented * 3 < len(words):
        return True
    distinct = set(words)
    strong = len(_STRONG.intersection(distinct))
    if not strong:
        return False
    return strong >= 2 or bool(_WEAK.intersection(distinct))
