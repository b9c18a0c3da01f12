"""A realistic, varied corpus of young people's questions for the speed benchmarks.

Not a handful of templates: every question starts from one of the hand-written questions
of the labelled tuning sets (``tests/data/cluster_dev.jsonl``, ``cluster_holdout.jsonl``
and, when present, ``cluster_dev2.jsonl``; never the blind set), chosen by concern with a
Zipf-like popularity (a few hot issues, a long tail), and is then rewritten the way the
same concern arrives from many people:

- the commune, ward or hamlet named in it is replaced by another real one of the
  province (``vietnam-provinces``) or a generated hamlet name;
- greetings, self-introductions and closings are added or dropped;
- a context sentence of another question of the same concern may be joined to it;
- diacritics are dropped, teencode and abbreviations used, letters slipped or doubled.

The generator is deterministic for a seed.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TUNING_SETS = ("cluster_dev.jsonl", "cluster_holdout.jsonl", "cluster_dev2.jsonl")

GREETINGS = [
    "",
    "",
    "",
    "Kính gửi đồng chí Chủ tịch UBND tỉnh, ",
    "Kính thưa các đồng chí lãnh đạo, ",
    "Dạ em chào các bác ạ, ",
    "anh chị ơi cho e hỏi ",
    "Xin chào ban tổ chức, ",
    "Chào ad, ",
    "Thưa đồng chí Chủ tịch, ",
    "em chào mọi người, cho em hỏi ",
]
INTROS = [
    "Em là đoàn viên {place}, ",
    "Tôi là bí thư chi đoàn {place}, tôi xin kiến nghị: ",
    "Em là sinh viên năm {year} quê ở {place}. Em xin hỏi: ",
    "Cháu tên là {name} ở {place}, cháu muốn hỏi ",
    "Em là công nhân, quê {place}, ",
]
CLOSINGS = [
    "",
    "",
    "",
    " Em xin cảm ơn!",
    " ạ",
    " Mong nhận được câu trả lời của lãnh đạo.",
    " 🙏",
    " Xin chân thành cảm ơn.",
    " Trân trọng!",
    " e cảm ơn ạ",
]
NAMES = ["Nông Thị Hoa", "Lò Văn Lan", "Hoàng Minh Đức", "Bế Văn Tùng", "Lục Thị Mai", "Mai"]
TEEN = [
    ("không", "ko"),
    ("không", "k"),
    ("được", "dc"),
    ("được", "đc"),
    ("thanh niên", "tn"),
    ("như thế nào", "ntn"),
    ("gì", "j"),
    ("em", "e"),
    ("bao nhiêu", "bn"),
    ("sinh viên", "sv"),
    ("với", "vs"),
    ("biết", "bít"),
]
_PLACE = re.compile(
    r"\b(xã|phường|thôn|bản|xóm|xa|phuong|thon|ban|xom)\s+"
    r"((?:[A-ZĐ][\wÀ-ỹ]*)(?:\s+[A-ZĐ][\wÀ-ỹ]*)?)"
)
HAMLET_FIRST = ["Nà", "Khuổi", "Pác", "Lũng", "Phja", "Cốc", "Bó", "Nặm", "Thôm", "Khau"]
HAMLET_SECOND = ["Lẹng", "Khon", "Vai", "Rụa", "Củng", "Mạ", "Chang", "Mò", "Sác", "Pục"]


def strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def _seeds() -> dict[str, list[str]]:
    by_concern: dict[str, list[str]] = defaultdict(list)
    for name in TUNING_SETS:
        path = DATA / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                by_concern[f"{name}:{row['label']}"].append(row["text"])
    return dict(by_concern)


def _places() -> list[str]:
    from bot.campaign.units import province_units

    names = [u.name for u in province_units("cao_bang")[1:]]
    names += [u.name for u in province_units("lang_son")[1:]]
    return names


def _slip(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    word = words[i]
    k = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        word = word[:k] + word[k + 1 :]  # a letter dropped
    elif kind == 1:
        word = word[:k] + word[k] + word[k:]  # a key held
    else:
        word = word[: k - 1] + word[k] + word[k - 1] + word[k + 1 :]  # two swapped
    words[i] = word
    return " ".join(words)


class Corpus:
    """Generates questions; ``concern`` of each is kept for checks."""

    def __init__(self, *, seed: int = 2025, exponent: float = 1.0) -> None:
        self._rng = random.Random(seed)
        seeds = _seeds()
        if not seeds:
            raise RuntimeError(f"no labelled tuning set in {DATA}")
        self._concerns = sorted(seeds)
        self._rng.shuffle(self._concerns)
        self._texts = seeds
        self._weights = [1.0 / (rank + 1) ** exponent for rank in range(len(self._concerns))]
        self._places = _places()

    def _place(self) -> str:
        rng = self._rng
        if rng.random() < 0.5:
            return rng.choice(self._places)
        return f"thôn {rng.choice(HAMLET_FIRST)} {rng.choice(HAMLET_SECOND)}"

    def question(self) -> tuple[str, str]:
        """One (concern, text)."""
        rng = self._rng
        concern = rng.choices(self._concerns, weights=self._weights)[0]
        texts = self._texts[concern]
        text = rng.choice(texts)
        if rng.random() < 0.5:
            text = _PLACE.sub(lambda m: self._place(), text)
        if len(texts) > 1 and rng.random() < 0.1:
            other = rng.choice(texts)
            if other != text:
                text = f"{text.rstrip('.?! ')}. {other}"
        lead = rng.choice(GREETINGS)
        if rng.random() < 0.25:
            lead += rng.choice(INTROS).format(
                place=self._place(), year=rng.randint(1, 4), name=rng.choice(NAMES)
            )
        text = lead + text[:1].lower() + text[1:] if lead else text
        text += rng.choice(CLOSINGS)
        if rng.random() < 0.3:
            for full, short in rng.sample(TEEN, 4):
                text = re.sub(rf"\b{full}\b", short, text)
        if rng.random() < 0.3:
            text = strip_marks(text)
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            text = _slip(rng, text)
        return concern, " ".join(text.split())

    def texts(self, count: int) -> list[str]:
        return [self.question()[1] for _ in range(count)]


def questions(count: int, *, seed: int = 2025) -> list[tuple[str, str]]:
    """``count`` (id, text) pairs."""
    return [(item_id, text) for item_id, _, text in labelled(count, seed=seed)]


def labelled(count: int, *, seed: int = 2025) -> list[tuple[str, str, str]]:
    """``count`` (id, concern, text) triples: the same questions as ``questions``."""
    corpus = Corpus(seed=seed)
    return [(f"q{number:06d}", *corpus.question()) for number in range(count)]


if __name__ == "__main__":
    for item_id, text in questions(20):
        print(item_id, text)
