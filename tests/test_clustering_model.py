"""The learned pair score, places and their rules (bot.clustering.model, places)."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest

from bot.clustering import DEFAULT_THRESHOLD, SimilarIndex, cluster_texts, similarity
from bot.clustering import model as pair_model
from bot.clustering.cluster import _build_docs, _similarities, pair_probabilities
from bot.clustering.model import NO_UNIT
from bot.clustering.places import find_places, split_context

# --- places ------------------------------------------------------------------------------


def test_communes_and_provinces_are_checked_against_the_official_list() -> None:
    assert find_places("Đường ở xã Quảng Uyên bị hỏng").communes == {"quang uyen"}
    assert find_places("duong xa quang uyen xuong cap").communes == {"quang uyen"}
    assert find_places("tinh cao bang co ho tro khong").provinces == {4}
    # "xa" is also "far", and "xã nhà" is "our commune": no such commune, no place.
    assert find_places("di lam xa nha qua").communes == frozenset()
    assert find_places("Thanh niên xã nhà muốn làm homestay").communes == frozenset()
    # Without "xã": a name written as a name counts, ordinary lower-case words do not.
    assert find_places("Nước suối gần KCN Tằng Loỏng bị ô nhiễm").communes == {"tang loong"}
    assert find_places("mong cuộc sống hòa bình").communes == frozenset()


def test_greetings_and_self_introductions_are_context() -> None:
    question, context = split_context(
        "Kính gửi đồng chí Chủ tịch UBND tỉnh Cao Bằng,\n"
        "Em là Lưu Ngọc Ánh, đoàn viên chi đoàn thôn Nhìu Sang, xã Đàm Thủy.\n"
        "Cho em hỏi đường vào xã Quang Trung bao giờ được sửa ạ?"
    )
    assert find_places(context).communes == {"dam thuy"}
    assert find_places(context).provinces == {4}
    assert find_places(question).communes == {"quang trung"}
    question, context = split_context("ĐVTN xã Hồng Phong hỏi: nuôi con giống thế nào?")
    assert "Hồng Phong" in context and "nuôi con giống" in question
    question, context = split_context("em la nguoi Mong, muon vay von uu dai de nuoi trau")
    assert "vay von" in question


def test_a_place_in_the_introduction_does_not_block_a_duplicate() -> None:
    a = "Em là đoàn viên xã Quảng Uyên. Lãi suất vay vốn khởi nghiệp là bao nhiêu ạ?"
    b = "Tôi là bí thư chi đoàn xã Trà Lĩnh. Cho hỏi lãi suất vay vốn khởi nghiệp bao nhiêu?"
    assert similarity(a, b) >= DEFAULT_THRESHOLD
    labels = cluster_texts([("a", a), ("b", b)])
    assert labels["a"] == labels["b"]


def test_different_places_in_the_question_never_merge() -> None:
    """Two questions about one commune and one with the same words about another: however
    close the words, the third is never put with the first two (not even on average)."""
    road = "Đường vào trung tâm xã {} xuống cấp nặng, bao giờ được sửa?"
    items = [
        ("a1", road.format("Quảng Uyên")),
        ("a2", road.format("Quảng Uyên") + " Mong các bác quan tâm."),
        ("b", road.format("Trà Lĩnh")),
    ]
    labels = cluster_texts(items, threshold=1.0)
    assert labels["a1"] == labels["a2"] != labels["b"]
    assert similarity(items[0][1], items[2][1]) == 0.0
    index = SimilarIndex()
    index.add("b", items[2][1])
    assert index.nearest(items[0][1], min_score=0.0) == [("b", 0.0)] or not index.nearest(
        items[0][1], min_score=0.1
    )


# --- the model file ----------------------------------------------------------------------


def test_the_shipped_model_has_every_feature_and_a_sensible_threshold() -> None:
    model = pair_model.get()
    assert model.weights.shape == (len(pair_model.FEATURES),)
    assert 0.0 < model.threshold < 100.0
    # Closer words mean more likely the same concern; a conflict means less.
    names = dict(zip(pair_model.FEATURES, model.weights.tolist(), strict=True))
    assert names["terms"] > 0 and names["characters"] > 0
    assert names["commune_conflict"] < 0 < names["commune_shared"]


def test_a_model_file_missing_a_feature_is_refused() -> None:
    with pytest.raises(ValueError, match="province_shared"):
        pair_model.load(
            {
                "weights": {n: 1.0 for n in pair_model.FEATURES if n != "province_shared"},
                "intercept": 0.0,
                "threshold": 50.0,
            }
        )
    loaded = pair_model.load(
        json.loads(
            json.dumps(
                {"weights": dict.fromkeys(pair_model.FEATURES, 0.0), "intercept": 0, "threshold": 5}
            )
        )
    )
    assert loaded.one(1.0, 1.0, (0.0,) * len(pair_model.MARK_FEATURES)) == pytest.approx(0.5)


# --- chat and reports agree --------------------------------------------------------------

TEXTS = [
    "Lãi suất vay vốn khởi nghiệp là bao nhiêu?",
    "Hồ sơ vay vốn khởi nghiệp gồm những gì?",
    "Thanh niên xuất ngũ có được học nghề miễn phí không?",
    "Bộ đội ra quân có được hỗ trợ đào tạo nghề không ạ",
    "Đường ở xã Quảng Uyên bị hỏng, khi nào sửa?",
    "Đường ở xã Trà Lĩnh bị hỏng, khi nào sửa?",
    "Kính gửi UBND tỉnh Cao Bằng. Em là đoàn viên xã Đàm Thủy. Đề nghị mở lớp tiếng Trung.",
    "Sinh viên mới tốt nghiệp khó tìm việc làm, tỉnh có hỗ trợ gì không?",
    "Tỉnh có kế hoạch tạo việc làm cho sinh viên mới ra trường không?",
]


def test_the_index_scores_as_the_batch_grouping_does() -> None:
    """The similar-question prompt (SimilarIndex) and the organisers' grouping
    (cluster_texts) use one score: the same probability for the same pair."""
    docs, item_doc = _build_docs(TEXTS, [None] * len(TEXTS))
    index = SimilarIndex()
    for number, text in enumerate(TEXTS):
        index.add(str(number), text)
    for a, b in combinations(range(len(TEXTS)), 2):
        head, tail = np.asarray([item_doc[a]]), np.asarray([item_doc[b]])
        batch = max(0.0, 100.0 * float(pair_probabilities(docs, head, tail)[0]))
        query = index.query(TEXTS[a])
        assert index.score(query, index._slot_of[str(b)]) == pytest.approx(batch, abs=0.1)


def test_the_same_unit_is_evidence_and_the_index_agrees() -> None:
    """Two wordings of "the road to the hamlets is broken" that name no place: from one
    commune's young people they are likely one concern, from two communes not; the chat's
    index scores them as the batch grouping does."""
    a = "Đường liên thôn xuống cấp nặng, mưa là lầy lội, bao giờ được sửa?"
    b = "Đề nghị sửa con đường vào thôn, đi lại rất khó khăn mỗi khi trời mưa."
    scores = {}
    for units in ((1, 1), (1, 2)):
        docs, item_doc = _build_docs([a, b], [None, None], units=list(units))
        head, tail = np.asarray([item_doc[0]]), np.asarray([item_doc[1]])
        scores[units] = 100.0 * float(pair_probabilities(docs, head, tail)[0])
        index = SimilarIndex()
        index.add("a", a, unit=units[0])
        index.add("b", b, unit=units[1])
        query = index.query(a, unit=units[0])
        assert index.score(query, index._slot_of["b"]) == pytest.approx(scores[units], abs=0.1)
    assert scores[(1, 1)] >= DEFAULT_THRESHOLD > scores[(1, 2)]
    same = cluster_texts([("a", a), ("b", b)], units={"a": "Xã Đàm Thuỷ", "b": "xa dam thuy"})
    apart = cluster_texts([("a", a), ("b", b)], units={"a": "Xã Đàm Thuỷ", "b": "Xã Trà Lĩnh"})
    assert same["a"] == same["b"] and apart["a"] != apart["b"]


def test_pairs_of_one_topic_use_their_weights_in_the_batch_and_in_the_index() -> None:
    """Two questions of one topic group whose askers' units are known are scored with the
    weights learned on such pairs (the only ones the bot compares); the chat's index, the
    batch's dense blocks and its pair scores agree on every pair, units known or not."""
    topics = [1, 1, 1, 2, 1, 1, 2, 2, 2]
    units = [1, 2, 1, 3, 3, NO_UNIT, 4, 2, 5]  # none holds so many that it says nothing
    grouped, item_doc = _build_docs(TEXTS, topics, units=units)
    plain_docs, plain_doc = _build_docs(TEXTS, [None] * len(TEXTS), units=units)
    index = SimilarIndex()
    for number, text in enumerate(TEXTS):
        index.add(str(number), text, topic=topics[number], unit=max(units[number] + 1, 0))
    changed = 0
    for a, b in combinations(range(len(TEXTS)), 2):
        head, tail = np.asarray([item_doc[a]]), np.asarray([item_doc[b]])
        batch = max(0.0, 100.0 * float(pair_probabilities(grouped, head, tail)[0]))
        general = pair_probabilities(
            plain_docs, np.asarray([plain_doc[a]]), np.asarray([plain_doc[b]])
        )
        inner = topics[a] == topics[b] and NO_UNIT not in (units[a], units[b])
        changed += inner and abs(batch - 100.0 * max(0.0, float(general[0]))) > 1.0
        if not inner:
            assert batch == pytest.approx(100.0 * max(0.0, float(general[0])), abs=1e-6)
        query = index.query(TEXTS[a], topic=topics[a], unit=max(units[a] + 1, 0))
        assert index.score(query, index._slot_of[str(b)]) == pytest.approx(batch, abs=0.1)
    assert changed >= 3  # the pairs of one topic that are close enough for it to show
    for topic in (1, 2):
        rows = np.asarray(sorted({item_doc[i] for i in range(len(TEXTS)) if topics[i] == topic}))
        block = _similarities(grouped, rows)
        for x, y in combinations(range(len(rows)), 2):
            pair = pair_probabilities(grouped, rows[[x]], rows[[y]])
            assert block[x, y] == pytest.approx(float(pair[0]), abs=1e-6)


def test_a_unit_holding_most_questions_is_no_evidence_in_the_batch_or_the_index() -> None:
    """In a commune's own campaign nearly every asker names the commune: "same unit" then
    says nothing, and the pairs are scored as if units were not known, alike in the batch
    and in the chat's index. A unit among many still counts."""
    commune = [1] * 7 + [2, 3]
    grouped, item_doc = _build_docs(TEXTS, [1] * len(TEXTS), units=commune)
    plain_docs, plain_doc = _build_docs(TEXTS, [1] * len(TEXTS))
    index = SimilarIndex()
    for number, text in enumerate(TEXTS):
        index.add(str(number), text, topic=1, unit=commune[number] + 1)
    for a, b in combinations(range(7), 2):  # both from the commune
        batch = pair_probabilities(grouped, np.asarray([item_doc[a]]), np.asarray([item_doc[b]]))
        alone = pair_probabilities(
            plain_docs, np.asarray([plain_doc[a]]), np.asarray([plain_doc[b]])
        )
        assert float(batch[0]) == pytest.approx(float(alone[0]), abs=1e-9)
        query = index.query(TEXTS[a], topic=1, unit=2)
        expected = 100.0 * max(0.0, float(alone[0]))
        assert index.score(query, index._slot_of[str(b)]) == pytest.approx(expected, abs=0.1)
    # The same two questions among many units: their shared unit is evidence again.
    many = [1, 11, 12, 13, 14, 15, 16, 1, 17]  # two of nine questions from one unit
    spread, spread_doc = _build_docs(TEXTS, [1] * len(TEXTS), units=many)
    pair = pair_probabilities(spread, np.asarray([spread_doc[0]]), np.asarray([spread_doc[7]]))
    alone = pair_probabilities(plain_docs, np.asarray([plain_doc[0]]), np.asarray([plain_doc[7]]))
    assert float(pair[0]) > float(alone[0]) + 0.05
