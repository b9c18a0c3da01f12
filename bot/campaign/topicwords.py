"""Which default topic group ("nhóm vấn đề") a typed reply points to: "mạng internet" →
Chuyển đổi số, "học nghề" → Nghề nghiệp, việc làm. The words are data
(``data/topic_words.tsv``); a suggestion is only offered, never chosen for the person."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources

from bot.clustering.normalize import plain


@functools.cache
def _words() -> dict[str, tuple[str, ...]]:
    """Each default group's folded name → its words and phrases."""
    text = (resources.files("bot.campaign") / "data" / "topic_words.tsv").read_text("utf-8")
    table: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, words = line.partition("\t")
        table[plain(name)] = tuple(w.strip() for w in words.split(",") if w.strip())
    return table


def suggest(text: str, names: Sequence[str], *, limit: int = 3) -> list[str]:
    """The groups among ``names`` whose words ``text`` uses, those with more words first."""
    typed = f" {plain(text)} "
    hits: list[tuple[int, int, str]] = []
    for position, name in enumerate(names):
        words = _words().get(plain(name), ())
        count = sum(1 for word in words if f" {word} " in typed)
        if count:
            hits.append((-count, position, name))
    return [name for _, _, name in sorted(hits)[:limit]]
