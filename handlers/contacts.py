"""Contact details (phone numbers, e-mail addresses) inside a question's text.

Young people often end a question with "sđt em 0912 345 678 ạ" so that someone can call
them back. The question's text reaches the commune and provincial Youth Union, the
Department of Home Affairs and the printed summaries, and (unless anonymous) may be
suggested to other young people of the unit. So the preview points the number out and
offers to take it out (:func:`without_contacts`), and the suggestions shown to others
never carry it (:func:`masked`), nor the asker's own name when they wrote it in ("Em là
Nông Thị Hoa ở bản Nà Rì…").
"""

from __future__ import annotations

import re
import unicodedata

from bot.clustering.normalize import fold

__all__ = ["contact_details", "masked", "without_contacts"]

# Vietnamese numbers: mobiles 0xx xxx xxxx (10 digits), landlines 02xx xxx xxxx (11), or
# +84 / 84 instead of the 0; groups split by spaces, dots or dashes. Not a longer run of
# digits (a citizen ID has 12) nor an amount ("50.000.000" does not start with 0).
_PHONE = r"(?<![\d\w])(?:\+84|84|0)[\s.\-]?\d(?:[\s.\-]?\d){7,9}(?![\d\w])"
_EMAIL = r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
_CONTACT = re.compile(rf"{_EMAIL}|{_PHONE}")
# The words that introduce a number ("sđt em là", "liên hệ qua số", "zalo:"): taken out
# with it, so that "…như thế nào ạ? sđt em 0912 345 678" leaves "…như thế nào ạ?".
_LABEL = (
    r"(?:(?:có\s+gì\s+|co\s+gi\s+)?"
    r"(?:(?:anh\s+chị|anh\s+chi|anh|chị|chi|cô|co|chú|chu|thầy|thay|ac|a/c)\s+)?"
    r"(?:liên\s+hệ|lien\s+he|lh|gọi|goi|nhắn|nhan)"
    r"(?:\s+(?:cho\s+)?(?:em|mình|minh|tôi|toi|cháu|chau))?(?:\s+(?:qua|theo))?\s*)?"
    r"(?:(?:số\s+điện\s+thoại|so\s+dien\s+thoai|số\s+đt|so\s+dt|sđt|sdt|đt|dt|"
    r"điện\s+thoại|dien\s+thoai|zalo|e-?mail|mail|số|so)"
    r"(?:\s+(?:của\s+|cua\s+)?(?:em|mình|minh|tôi|toi|cháu|chau))?"
    r"(?:\s+(?:là|la))?\s*[:\-]?\s*)?"
    # The same in English: "call me on", "my phone number is".
    r"(?:(?:call|text|contact|reach)\s+me(?:\s+(?:at|on))?\s*)?"
    r"(?:(?:my\s+)?(?:phone\s+number|phone|mobile|tel|number)(?:\s+is)?\s*[:\-]?\s*)?"
)
# A courtesy word right after the number goes with it ("zalo 0388 123 456 ạ").
_AFTER = r"(?:\s+(?:nhé|nhe|nha|ạ|a)(?=[\s.,;!?]|$))?"
_LABELLED = re.compile(rf"(?:\b{_LABEL})?(?:{_EMAIL}|{_PHONE}){_AFTER}", re.IGNORECASE)


def contact_details(text: str) -> list[str]:
    """The phone numbers and e-mail addresses written in ``text``, in order."""
    return [match.group(0).strip() for match in _CONTACT.finditer(text)]


def without_contacts(text: str) -> str:
    """``text`` with its phone numbers and e-mail addresses taken out, with the words
    that introduce them ("sđt em:", "liên hệ qua số"); where a number stood between two
    punctuation marks ("Em là Mai, sđt 0912 345 678, em muốn…"), one of them stays."""
    cut = text
    for match in reversed(list(_LABELLED.finditer(text))):
        before = cut[: match.start()].rstrip(" \t")
        after = cut[match.end() :].lstrip(" \t")
        if not before or before[-1] in _MARKS:
            after = after.lstrip(_MARKS + " \t")
        space = " " if before and after and after[0] not in _MARKS else ""
        cut = before + space + after
    return cut.strip(" \t,;:-")


_MARKS = ".,;:!?"


def masked(text: str, name: str | None = None) -> str:
    """``text`` with each phone number and e-mail address replaced by "***"; with
    ``name`` (the asker's full name), each place the text spells it, with or without
    accents, in any case, too: another young person reads the words, never who wrote
    them."""
    text = _CONTACT.sub("***", text)
    return _without_name(text, name) if name else text


def _without_name(text: str, name: str) -> str:
    words = fold(name).split()
    if len(words) < 2:  # one word ("Hoa", "Mai") is too often a plain word
        return text
    whole = fold(text)
    if not all(word in whole for word in words):  # the usual case, at a string's cost
        return text
    # The text folded character by character, each folded character knowing its source.
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for out in " " if char.isspace() else fold(char):
            folded.append(out)
            origin.append(index)
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)")
    spans = []
    for match in pattern.finditer("".join(folded)):
        end = origin[match.end() - 1] + 1
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1  # a decomposed accent of the last letter goes with it
        spans.append((origin[match.start()], end))
    for start, end in reversed(spans):
        text = text[:start] + "***" + text[end:]
    return text
