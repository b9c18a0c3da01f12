"""Normalisation, similarity, grouping and the similar-question index (bot.clustering)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clustering import (
    DEFAULT_THRESHOLD,
    SimilarIndex,
    _lexicon,
    canonical,
    cluster_texts,
    fold,
    normalize_question,
    similarity,
)
from bot.clustering.cluster import _build_docs, _similarities, well_formed

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "data" / "cluster_dev.jsonl"

# --- normalisation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("thuỷ", "thủy"),
        ("hoà", "hòa"),
        ("khoẻ", "khỏe"),
        ("uỷ ban", "ủy ban"),
        ("Thuỵ", "thụy"),
        ("HOÀ BÌNH", "hòa bình"),
        ("tuỳ", "tùy"),
        ("Xã Đàm Thuỷ", "xã đàm thủy"),
    ],
)
def test_canonical_makes_both_tone_placements_equal(a: str, b: str) -> None:
    assert a != b
    assert canonical(a) == canonical(b)


def test_canonical_accepts_decomposed_input_and_keeps_other_words() -> None:
    decomposed = unicodedata.normalize("NFD", "Hoà An, quý, giữa, người, hoàng")
    assert canonical(decomposed) == "hòa an, quý, giữa, người, hoàng"
    assert unicodedata.is_normalized("NFC", canonical(decomposed))


def test_fold_strips_diacritics_case_and_spacing() -> None:
    assert fold("  Xã   Đàm Thuỷ ") == "xa dam thuy"
    assert fold("Phường Thục Phán") == "phuong thuc phan"
    assert fold("thuỷ") == fold("thủy") == fold("THỦY")
    assert fold(unicodedata.normalize("NFD", "Đàm Thủy")) == "dam thuy"


@pytest.mark.parametrize(
    ("query", "unit"),
    [
        ("thuc phan", "Phường Thục Phán"),
        ("dam thuy", "Xã Đàm Thuỷ"),
        ("Đàm Thủy", "Xã Đàm Thuỷ"),
        ("ĐÀM THUỶ", "Xã Đàm Thủy"),
    ],
)
def test_fold_supports_accent_insensitive_unit_search(query: str, unit: str) -> None:
    assert fold(query) in fold(unit)


def test_teencode_and_abbreviations_are_expanded() -> None:
    question = normalize_question("ko dc j, ntn, đvtn, UBND, sv, hs")
    assert question.tokens == (
        "không", "được", "gì", "như", "thế", "nào", "đoàn", "viên", "thanh", "niên",
        "ủy", "ban", "nhân", "dân", "sinh", "viên", "học", "sinh",
    )  # fmt: skip
    assert (
        normalize_question("tn xuất ngũ").terms == normalize_question("thanh niên xuất ngũ").terms
    )


def test_greetings_and_self_introduction_are_removed() -> None:
    plain = normalize_question("lãi suất vay vốn khởi nghiệp là bao nhiêu").terms
    wrapped = (
        "Kính gửi đồng chí Chủ tịch UBND tỉnh Cao Bằng, em là đoàn viên xã Quang Trung, "
        "cho em hỏi lãi suất vay vốn khởi nghiệp là bao nhiêu ạ? Em xin cảm ơn!"
    )
    unaccented = (
        "kinh gui dong chi chu tich ubnd tinh em la doan vien xa Quang Trung cho e hoi "
        "lai suat vay von khoi nghiep la bao nhieu a em xin cam on"
    )
    assert plain
    assert normalize_question(wrapped).terms == plain
    assert normalize_question(unaccented).terms == plain
    assert (
        normalize_question(
            "Dạ anh chị ơi cho em hỏi là lãi suất vay vốn khởi nghiệp là bao nhiêu ạ"
        ).terms
        == plain
    )


def test_greeting_only_message_has_no_terms() -> None:
    assert normalize_question("Xin chào! Em cảm ơn ạ 🙏").terms == ()


def test_punctuation_and_emoji_are_ignored() -> None:
    assert (
        normalize_question("Lãi suất vay vốn khởi nghiệp??? 😀😀!!! ...").terms
        == normalize_question("lãi suất vay vốn khởi nghiệp").terms
    )


def test_paraphrases_of_the_domain_share_terms() -> None:
    a = normalize_question("Thanh niên không có công ăn việc làm").terms
    b = normalize_question("thanh nien ko tim dc viec lam").terms
    assert set(a) & set(b) >= {"viec_lam"}


def test_accented_and_unaccented_writing_give_the_same_terms() -> None:
    text = "Bộ đội xuất ngũ có được học nghề miễn phí không?"
    assert normalize_question(text).accented
    assert not normalize_question(fold(text)).accented
    assert normalize_question(text).terms == normalize_question(fold(text)).terms


def test_synonym_variants_map_to_a_single_group() -> None:
    owner: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for line in _lexicon._lines("synonyms.tsv"):
        canonical_form, *variants = line.split("\t")
        for variant in (canonical_form, *variants):
            owner[_lexicon._words(variant)].add(canonical_form)
    assert {words: groups for words, groups in owner.items() if len(groups) > 1} == {}


_VIETNAMESE = st.text(
    alphabet=st.sampled_from(
        list("aăâeêioôơuưyđbcdghklmnpqrstvx ,.?!")
        + list("àáảãạằắẳẵặấầẩẫậ")
        + list("èéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
        + ["\u0300", "\u0309", "😀"]
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(_VIETNAMESE)
def test_fold_and_canonical_are_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert canonical(canonical(text)) == canonical(text)
    assert fold(canonical(text)) == fold(text)


@settings(max_examples=100, deadline=None)
@given(_VIETNAMESE, _VIETNAMESE)
def test_similarity_is_bounded_for_any_text(a: str, b: str) -> None:
    assert 0.0 <= similarity(a, b) <= 100.0


# --- similarity --------------------------------------------------------------------------

HARD_NEGATIVES = [
    ("Lãi suất vay vốn khởi nghiệp là bao nhiêu?", "Hồ sơ vay vốn khởi nghiệp gồm những gì?"),
    ("Đường ở xã Quảng Uyên bị hỏng", "Đường ở xã Trà Lĩnh bị hỏng"),
    ("Đường vào thôn Nà Lẹng bị hỏng nặng", "Đường vào thôn Khuổi Khon bị hỏng nặng"),
    (
        "Bộ đội xuất ngũ có được học nghề miễn phí không?",
        "Bộ đội xuất ngũ có được giới thiệu việc làm không?",
    ),
    ("Điều kiện vay vốn khởi nghiệp là gì?", "Thời hạn vay vốn khởi nghiệp là bao lâu?"),
    ("Sân chơi cho thiếu nhi ở thôn", "Nhà văn hóa ở thôn xuống cấp"),
]
PARAPHRASES = [
    (
        "Lãi suất vay vốn khởi nghiệp là bao nhiêu?",
        "cho e hoi lai suat vay von khoi nghiep bn vay a",
    ),
    (
        "Thanh niên xuất ngũ có được học nghề miễn phí không?",
        "Bộ đội ra quân có được hỗ trợ đào tạo nghề không ạ",
    ),
    (
        "Đường ở xã Quảng Uyên bị hỏng, khi nào sửa?",
        "duong xa quang uyen xuong cap qua bao gio sua",
    ),
    (
        "Sinh viên mới tốt nghiệp khó tìm việc làm, tỉnh có hỗ trợ gì không?",
        "Tỉnh có kế hoạch tạo việc làm cho sinh viên mới ra trường không?",
    ),
    ("Hồ sơ vay vốn khởi nghiệp gồm những gì?", "thu tuc vay von khoi ngiep can giay to j"),
]


@pytest.mark.parametrize(("a", "b"), HARD_NEGATIVES)
def test_hard_negatives_score_below_the_threshold(a: str, b: str) -> None:
    assert similarity(a, b) < DEFAULT_THRESHOLD


@pytest.mark.parametrize(("a", "b"), PARAPHRASES)
def test_paraphrases_score_above_the_threshold(a: str, b: str) -> None:
    assert similarity(a, b) >= DEFAULT_THRESHOLD


def test_similarity_is_bounded_symmetric_and_reflexive() -> None:
    texts = [t for pair in HARD_NEGATIVES + PARAPHRASES for t in pair] + ["", "ạ"]
    for a in texts:
        for b in texts[:6]:
            score = similarity(a, b)
            assert 0.0 <= score <= 100.0
            assert score == pytest.approx(similarity(b, a))
    assert similarity(texts[0], texts[0]) == pytest.approx(100.0)


# --- grouping ----------------------------------------------------------------------------


def _groups(labels: dict[str, str]) -> set[frozenset[str]]:
    members: dict[str, set[str]] = defaultdict(set)
    for item_id, label in labels.items():
        members[label].add(item_id)
    return {frozenset(group) for group in members.values()}


def test_hard_negatives_stay_apart_and_paraphrases_join() -> None:
    items = []
    for index, (a, b) in enumerate(HARD_NEGATIVES):
        items += [(f"n{index}a", a), (f"n{index}b", b)]
    for index, (a, b) in enumerate(PARAPHRASES):
        items += [(f"p{index}a", a), (f"p{index}b", b)]
    labels = cluster_texts(items)
    for index in range(len(HARD_NEGATIVES)):
        assert labels[f"n{index}a"] != labels[f"n{index}b"]
    for index in range(len(PARAPHRASES)):
        assert labels[f"p{index}a"] == labels[f"p{index}b"]


@pytest.mark.parametrize(
    ("a", "b", "c"),
    [
        (
            "Vay vốn khởi nghiệp lãi suất bao nhiêu",
            "Vay vốn khởi nghiệp lãi suất và hồ sơ thế nào",
            "Vay vốn khởi nghiệp hồ sơ gồm gì",
        ),
        (
            "Đường vào thôn Nà Lẹng bị hỏng, khi nào sửa?",
            "Đường vào thôn Nà Lẹng và thôn Khuổi Khon bị hỏng, khi nào sửa?",
            "Đường vào thôn Khuổi Khon bị hỏng, khi nào sửa?",
        ),
    ],
)
def test_no_chaining(a: str, b: str, c: str) -> None:
    """B is close to A and to C, but A and C are different concerns: average linkage
    does not let B bridge them (a single link would)."""
    assert similarity(a, b) >= DEFAULT_THRESHOLD
    assert similarity(b, c) >= DEFAULT_THRESHOLD
    assert similarity(a, c) < DEFAULT_THRESHOLD
    labels = cluster_texts([("a", a), ("b", b), ("c", c)])
    assert labels["a"] != labels["c"]


def _dev_items() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in DEV.read_text("utf-8").splitlines() if line.strip()]
    return [(row["id"], row["text"]) for row in rows]


def test_every_group_is_close_on_average() -> None:
    """The average-linkage guarantee: within each group, the average similarity over all
    pairs of distinct term sets reaches the threshold (no chain of near pairs)."""
    items = _dev_items()
    labels = cluster_texts(items)
    docs, item_doc = _build_docs([text for _, text in items], [None] * len(items))
    ids = [item_id for item_id, _ in items]
    groups: dict[str, set[int]] = defaultdict(set)
    for index, item_id in enumerate(ids):
        groups[labels[item_id]].add(item_doc[index])
    checked = 0
    for members in groups.values():
        if len(members) < 2:
            continue
        rows = np.asarray(sorted(members))
        sims = _similarities(docs, rows)
        count = len(rows)
        average = (sims.sum() - count) / (count * (count - 1))
        assert average >= DEFAULT_THRESHOLD / 100.0 - 1e-6
        checked += 1
    assert checked >= 30


def test_labels_are_member_ids_and_every_item_is_labelled() -> None:
    items = _dev_items()
    labels = cluster_texts(items)
    assert set(labels) == {item_id for item_id, _ in items}
    for label in set(labels.values()):
        assert labels[label] == label


def test_shuffled_input_gives_the_same_labels() -> None:
    items = _dev_items()
    expected = cluster_texts(items)
    shuffled = items[:]
    random.Random(7).shuffle(shuffled)
    assert cluster_texts(shuffled) == expected
    assert cluster_texts(list(reversed(items))) == expected


def test_labels_do_not_depend_on_the_hash_seed() -> None:
    script = (
        "import json, sys\n"
        "from bot.clustering import cluster_texts\n"
        "rows = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8') if l.strip()]\n"
        "labels = cluster_texts([(r['id'], r['text']) for r in rows[:150]])\n"
        "print(json.dumps(labels, sort_keys=True))\n"
    )
    outputs = set()
    for seed in ("1", "4242"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script, str(DEV)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=environment,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_threshold_controls_granularity() -> None:
    items = _dev_items()[:200]
    loose = len(set(cluster_texts(items, threshold=20).values()))
    strict = len(set(cluster_texts(items, threshold=70).values()))
    everything_apart = len(set(cluster_texts(items, threshold=100.1).values()))
    assert loose < strict <= everything_apart


def test_duplicate_ids_are_rejected_and_empty_input_is_fine() -> None:
    with pytest.raises(ValueError, match="duplicate id 'x'"):
        cluster_texts([("x", "a"), ("x", "b")])
    assert cluster_texts([]) == {}


def test_identical_texts_group_even_without_content_words() -> None:
    labels = cluster_texts([("1", "ạ"), ("2", "ạ"), ("3", "cảm ơn"), ("4", "Việc làm?")])
    assert labels["1"] == labels["2"]
    assert labels["3"] != labels["1"]
    assert labels["4"] == "4"


# --- organisers' decisions ----------------------------------------------------------------

LOAN_RATE = "Lãi suất vay vốn khởi nghiệp là bao nhiêu?"
LOAN_RATE_2 = "lai suat vay von khoi nghiep bn vay a"
LOAN_FILE = "Hồ sơ vay vốn khởi nghiệp gồm những gì?"
ROAD = "Đường vào xã Trà Lĩnh xuống cấp, bao giờ sửa?"


def _loan_items() -> list[tuple[str, str]]:
    return [("r1", LOAN_RATE), ("r2", LOAN_RATE_2), ("f1", LOAN_FILE), ("road", ROAD)]


def test_must_link_merges_groups() -> None:
    assert cluster_texts(_loan_items())["f1"] != cluster_texts(_loan_items())["r1"]
    labels = cluster_texts(_loan_items(), must_link=[("f1", "r2")])
    assert labels["f1"] == labels["r1"] == labels["r2"]
    assert labels["road"] != labels["r1"]


def test_cannot_link_splits_a_group() -> None:
    assert cluster_texts(_loan_items())["r1"] == cluster_texts(_loan_items())["r2"]
    labels = cluster_texts(_loan_items(), cannot_link=[("r1", "r2")])
    assert labels["r1"] != labels["r2"]
    assert labels["f1"] == "f1"


def test_cannot_link_wins_over_must_link_and_unknown_ids_are_ignored() -> None:
    labels = cluster_texts(
        _loan_items(),
        must_link=[("r1", "f1"), ("f1", "r2"), ("ghost", "r1")],
        cannot_link=[("r1", "f1"), ("nobody", "r2")],
    )
    assert labels["r1"] != labels["f1"]
    assert set(labels) == {"r1", "r2", "f1", "road"}


def test_decisions_survive_reclustering_with_new_questions() -> None:
    must, cannot = [("f1", "r1")], [("r1", "r2")]
    first = cluster_texts(_loan_items(), must_link=must, cannot_link=cannot)
    more = [*_loan_items(), ("r3", "Cho em hỏi lãi suất vay khởi nghiệp bao nhiêu ạ")]
    second = cluster_texts(more, must_link=must, cannot_link=cannot)
    for labels in (first, second):
        assert labels["f1"] == labels["r1"]
        assert labels["r1"] != labels["r2"]


# --- similar questions at submission -----------------------------------------------------


def test_similar_index_finds_paraphrases_first() -> None:
    index = SimilarIndex()
    for item_id, text in _loan_items():
        index.add(item_id, text)
    found = index.nearest("cho em hoi lai suat vay khoi nghiep la bao nhieu", limit=3)
    assert {key for key, _ in found[:2]} == {"r1", "r2"}
    assert all(score >= DEFAULT_THRESHOLD for _, score in found)
    assert "road" not in {key for key, _ in found}
    assert found == sorted(found, key=lambda pair: (-pair[1], pair[0]))


def test_similar_index_finds_a_duplicate_whatever_new_words_the_lookup_has() -> None:
    """A campaign's first questions: every indexed word is "common", and words no
    indexed question has ("ad", a typo, a name) must not take the place of those that
    find candidates. (They did: the first duplicate in a campaign was never offered.)"""
    index = SimilarIndex()
    index.add("first", "Xã có hỗ trợ vay vốn khởi nghiệp cho thanh niên không ạ")
    found = index.nearest("xã mình có cho thanh niên vay vốn để khởi nghiệp không ad", limit=1)
    assert [key for key, _ in found] == ["first"] and found[0][1] >= DEFAULT_THRESHOLD
    many_new = "Thanh niên Lũng Pắn, Tà Sa, Nà Lẹng muốn vay vốn khởi nghiệp thì hỏi ở đâu?"
    index.add("road", "Đường vào xã xuống cấp, bao giờ được sửa?")
    assert "first" in {key for key, _ in index.nearest(many_new, limit=2, min_score=0)}
    for number in range(60):  # a small campaign: "vay vốn" is in more than 3 % of it
        index.add(f"loan{number}", f"Thủ tục vay vốn hộ nghèo số {number} thế nào?")
    found = index.nearest("Xã mình hỗ trợ vay vốn khởi nghiệp cho thanh niên không ad", limit=1)
    assert [key for key, _ in found] == ["first"]


def test_similar_index_remove_replace_limit_and_min_score() -> None:
    index = SimilarIndex()
    assert index.nearest("bất kỳ") == []
    for item_id, text in _loan_items():
        index.add(item_id, text)
    assert len(index) == 4
    index.remove("r1")
    index.remove("missing")
    assert "r1" not in index
    assert "r1" not in {key for key, _ in index.nearest(LOAN_RATE, limit=10, min_score=0)}
    index.add("road", LOAN_RATE)  # replaces the road question
    assert len(index) == 3
    found = index.nearest(LOAN_RATE, limit=3)
    assert ("road", pytest.approx(100.0, abs=0.1)) in found
    assert len(index.nearest(LOAN_RATE, limit=1)) == 1
    assert index.nearest(LOAN_RATE, limit=0) == []
    assert index.nearest("Khi nào có sân bóng đá ở xã?", min_score=DEFAULT_THRESHOLD) == []


def test_similar_index_survives_many_removals() -> None:
    index = SimilarIndex()
    for number in range(3000):
        index.add(f"k{number}", f"đường vào thôn số {number} bị hỏng")
    for number in range(2900):
        index.remove(f"k{number}")
    assert len(index) == 100
    found = index.nearest("đường vào thôn số 2950 bị hỏng", limit=1)
    assert found[0][0] == "k2950"


def test_a_group_is_shown_by_its_best_written_question() -> None:
    items = [
        (
            "1",
            "tinh co chinh sach ho tro thanh nien tim viec lam khi tot nghiep ve dia phuong ko a",
        ),
        (
            "2",
            "Tỉnh có chính sách hỗ trợ thanh niên tìm việc làm khi tốt nghiệp về địa phương không ạ?",
        ),
        (
            "3",
            "tinh co chinh sach ho tro thanh nien tim viec lam sau tot nghiep ve dia phuong khong",
        ),
    ]
    labels = cluster_texts(items)
    assert set(labels.values()) == {"2"}, labels
    assert well_formed(items[1][1]) > well_formed(items[0][1])
