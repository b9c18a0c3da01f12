"""Split a long chat message into parts a messenger accepts.

Telegram takes 4,096 characters per message and Zalo 2,000. A digest is longer, so it is
sent as several messages cut where a reader expects a break: a blank line (between
sections), else a line break, else a sentence end, else a space. A word is cut only when
it alone is longer than the limit (a long URL). Whitespace at the cut is dropped; every
other character is kept, in order.

Lengths are Python characters (code points). Telegram counts UTF-16 code units, so an
adapter sending text with many emoji should pass a limit with some margin.
"""

from __future__ import annotations

import unicodedata

#: Cut points in order of preference; the cut goes after ``keep`` characters of the match.
_SEPARATORS: tuple[tuple[str, int], ...] = (
    ("\n\n", 0),
    ("\n", 0),
    (". ", 1),
    ("? ", 1),
    ("! ", 1),
    ("… ", 1),
)


def split_text(text: str, *, limit: int) -> list[str]:
    """Split ``text`` into non-empty parts of at most ``limit`` characters.

    A preferred separator is used only if it leaves the part at least half full, so a
    blank line near the start of a long paragraph does not produce a tiny message.

    The first part is always a prefix of ``text.strip()`` (adapters that measure parts
    their own way rely on this to cut again from where it ended).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if len(rest) <= limit:
            parts.append(rest)
            break
        cut = _cut_position(rest, limit)
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip()
    return parts


def _cut_position(text: str, limit: int) -> int:
    """Where to cut ``text`` (longer than ``limit``): the part is ``text[:cut]``."""
    floor = limit // 2
    sentence_cut = 0
    for separator, keep in _SEPARATORS:
        # The part text[:i + keep] must fit: i + keep <= limit.
        i = text.rfind(separator, 0, limit - keep + len(separator))
        if i <= 0:
            continue
        cut = i + keep
        if keep == 0:
            if cut >= floor:
                return cut
        else:
            sentence_cut = max(sentence_cut, cut)
    if sentence_cut and sentence_cut >= floor:
        return sentence_cut
    # Last whitespace at index <= limit: the part ends right before it.
    for i in range(min(limit, len(text) - 1), 0, -1):
        if text[i].isspace():
            return i
    return _hard_cut(text, limit)


def _hard_cut(text: str, limit: int) -> int:
    """A cut inside a word longer than ``limit``, never before a combining mark."""
    cut = limit
    while cut > 1 and unicodedata.combining(text[cut]):
        cut -= 1
    return cut
