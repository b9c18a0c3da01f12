"""Splitting long messages for Telegram (4,096) and Zalo (2,000)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.delivery.textsplit import split_text


def _squash(text: str) -> str:
    return "".join(text.split())


def test_short_text_is_one_part() -> None:
    assert split_text("  Xin chào!  ", limit=100) == ["Xin chào!"]
    assert split_text("", limit=10) == []
    assert split_text(" \n\n ", limit=10) == []


def test_prefers_paragraph_break() -> None:
    first = "Đoạn một có vài câu. Câu thứ hai."
    second = "Đoạn hai cũng vậy. Thêm một câu."
    assert split_text(f"{first}\n\n{second}", limit=60) == [first, second]


def test_then_line_break_then_sentence_then_space() -> None:
    assert split_text("dòng thứ nhất khá dài\ndòng thứ hai", limit=25) == [
        "dòng thứ nhất khá dài",
        "dòng thứ hai",
    ]
    assert split_text("Câu một rất dài nhé. Câu hai cũng dài", limit=30) == [
        "Câu một rất dài nhé.",
        "Câu hai cũng dài",
    ]
    assert split_text("Bạn hỏi gì vậy? Mình trả lời", limit=20) == [
        "Bạn hỏi gì vậy?",
        "Mình trả lời",
    ]
    assert split_text("một hai ba bốn năm sáu bảy", limit=12) == [
        "một hai ba",
        "bốn năm sáu",
        "bảy",
    ]


def test_separator_too_early_is_not_used() -> None:
    # A blank line after 3 characters would leave a tiny message: cut at a space instead.
    text = "Mở\n\n" + "từ " * 30
    parts = split_text(text, limit=40)
    assert len(parts[0]) > 20
    assert all(len(p) <= 40 for p in parts)


def test_long_word_is_cut_hard_never_before_a_combining_mark() -> None:
    assert split_text("a" * 25, limit=10) == ["a" * 10, "a" * 10, "a" * 5]
    url = "https://example.org/" + "x" * 30
    parts = split_text(f"Xem {url} nhé", limit=20)
    assert parts[0] == "Xem"
    assert all(len(p) <= 20 for p in parts)
    assert _squash("".join(parts)) == _squash(f"Xem {url} nhé")
    decomposed = unicodedata.normalize("NFD", "ệ" * 8)  # e + two combining marks each
    parts = split_text(decomposed, limit=4)
    assert all(not unicodedata.combining(p[0]) for p in parts)
    assert "".join(parts) == decomposed


def test_rejects_bad_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        split_text("abc", limit=0)


WORDS = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyỹếờ.?!,", min_size=1, max_size=14)
SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "\n\n", ". ", "? ", "  ", "\t"])


@st.composite
def messages(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, max_size=60))
    out = []
    for word in words:
        out.append(word)
        out.append(draw(SEPARATORS))
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(messages(), st.text(max_size=300)), limit=st.integers(1, 80))
@example(text="abc. def\n\nghi", limit=4)
@example(text="x" * 200, limit=7)
@example(text="a!a\n\u2028\xa0?\x1c  \u0301.", limit=1)  # once looped forever (cut at 0)
def test_split_properties(text: str, limit: int) -> None:
    parts = split_text(text, limit=limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert all(p == p.strip() for p in parts)
    if parts:
        assert text.strip().startswith(parts[0])
    assert _squash("".join(parts)) == _squash(text)
    words = text.split()
    if all(len(w) <= limit for w in words):
        # No word was cut: the parts hold exactly the original words, in order.
        assert [w for p in parts for w in p.split()] == words
