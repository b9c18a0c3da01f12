"""Reading short typed replies (``handlers/understanding.py``): pure functions."""

from __future__ import annotations

import pytest

from handlers.understanding import (
    ambiguous,
    intents,
    is_answer_word,
    meaningful,
    only_thanks,
    question_like,
    typed_number,
)

YES = [
    "đồng ý",
    "Đồng ý ạ",
    "dong y",
    "Dong y a",
    "Dạ, đồng ý ạ!",
    "em đồng ý nhé",
    "mình đồng ý",
    "ok",
    "OK",
    "oke",
    "okeee",
    "okie",
    "có",
    "co",
    "có ạ",
    "ừ",
    "uh",
    "vâng",
    "vâng ạ em cảm ơn",
    "dạ",
    "đúng rồi",
    "dung roi",
    "đúng",
    "xác nhận",
    "xac nhan",
    "được",
    "dc",
    "yes",
    "I agree",
    "👍",
]
NO = [
    "không",
    "khong",
    "Không ạ",
    "ko",
    "k",
    "hông",
    "thôi",
    "thoi",
    "Không đồng ý",
    "ko dong y",
    "chưa",
    "đừng",
    "no",
]
SEND = ["gửi đi", "gửi luôn", "Gửi luôn nhé", "gui", "gửi", "gui di ad", "nộp", "send"]


@pytest.mark.parametrize("text", YES)
def test_yes_with_and_without_diacritics(text: str) -> None:
    assert {"yes", "send"} <= intents(text)
    assert "no" not in intents(text)


@pytest.mark.parametrize("text", NO)
def test_no_with_and_without_diacritics(text: str) -> None:
    assert "no" in intents(text)
    assert not {"yes", "send"} & intents(text)


@pytest.mark.parametrize("text", SEND)
def test_send_words(text: str) -> None:
    assert "send" in intents(text)
    assert "yes" not in intents(text)  # "gửi" is no answer to "do you agree?"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # An "ok" in front adds nothing: "gửi đi" also means "send mine" where similar
        # questions are shown.
        ("ok gửi đi", {"send", "similar.different"}),
        ("vâng, gửi luôn ạ", {"send", "similar.different"}),
        ("ok giống câu em", {"similar.same"}),
        ("cứ gửi đi", {"send", "similar.different"}),
        ("thôi gửi đi", {"send", "similar.different"}),
        ("ok bỏ qua", set()),  # kept apart: an "ok" before a no-like word is unclear
        ("dạ vâng", {"yes", "send"}),
        ("ok không", set()),  # two answers that disagree say nothing
        ("ok nhưng em muốn hỏi thêm", set()),
    ],
)
def test_two_answers_in_a_row(text: str, said: set[str]) -> None:
    assert intents(text) == said


def test_agreeing_is_not_disagreeing() -> None:
    # "đồng ý" is inside "Không đồng ý": the two must never tie.
    assert intents("đồng ý") & intents("Không đồng ý") == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "Em bổ sung thêm: trường THCS Hợp Giang chưa có phòng máy",
        "asdf",
        "ok nhưng em muốn hỏi thêm về việc làm",
        "không biết hỏi gì nữa, ở xã em đường xấu lắm",
        "dung",  # "đúng" or "đừng": the diacritics decide, and there are none
        "",
    ],
)
def test_sentences_and_unclear_words_mean_nothing(text: str) -> None:
    assert not {"yes", "no", "send"} & intents(text)


def test_dung_without_diacritics_is_ambiguous() -> None:
    assert ambiguous("dung") and ambiguous("Dung ạ")
    assert not ambiguous("đúng") and not ambiguous("đừng") and not ambiguous("dung roi")


def test_other_intents() -> None:
    assert "skip" in intents("bỏ qua") and "skip" in intents("bo qua nhe")
    assert "skip" in intents("không")  # "Which group are you in?" "không"
    assert "cancel" in intents("hủy") and "cancel" not in intents("thôi")
    assert "add" in intents("thêm vào") and "replace" in intents("thay thế")
    assert "keep" in intents("giữ nguyên") and "anonymous" in intents("ẩn danh")


def test_meaningful_drops_politeness() -> None:
    assert meaningful("Dạ, đồng ý ạ!") == "dong y"
    assert meaningful("đồng ý, cảm ơn ad") == "dong y"
    assert meaningful("okkk") == "ok"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1),
        ("2.", 2),
        ("3)", 3),
        ("#4", 4),
        ("số 2", 2),
        ("so 2", 2),
        ("chọn 1 nhé", 1),
        ("câu 2 ạ", 2),
        ("hai", 2),
        ("năm", 5),
        ("2️⃣", 2),
        ("12", 12),
        ("123", None),
        ("1 2", None),
        ("ok", None),
        ("2025 là năm", None),
        ("cái thứ 3", 3),
        ("em chọn nhóm số 2 ạ", 2),
        ("chọn cái thứ hai", 2),
        ("dòng 4", 4),
        ("phương án 1", 1),
        ("số nhà 5", None),
        ("thứ", None),
    ],
)
def test_typed_numbers(text: str, number: int | None) -> None:
    assert typed_number(text) == number


def test_language_words() -> None:
    for typed in ("en", "English", "tiếng Anh", "tieng anh"):
        assert "en" in intents(typed) and "vi" not in intents(typed)
    for typed in ("vi", "Tiếng Việt", "tieng viet", "vietnamese"):
        assert "vi" in intents(typed) and "en" not in intents(typed)


def test_answer_words_are_not_names_but_names_are() -> None:
    for typed in ("không", "Không ạ", "ok", "bỏ qua", "ẩn danh"):
        assert is_answer_word(typed), typed
    for name in ("Minh Anh", "Nông Thị Hoa", "Lò Văn Thành", "Đinh Thị Vân"):
        assert not is_answer_word(name), name


@pytest.mark.parametrize(
    "text",
    [
        "Cho em hỏi thanh niên muốn vay vốn thì làm thế nào ạ",
        "Thanh niên xuất ngũ có được hỗ trợ học nghề không",
        "Xã mình bao giờ thì có sân bóng cho thanh niên ạ",
        "Em kiến nghị tỉnh mở thêm lớp dạy nghề cho thanh niên vùng cao",
        "Lớp tin học miễn phí cho thanh niên khuyết tật mở ở đâu?",
    ],
)
def test_questions_typed_ahead_read_as_questions(text: str) -> None:
    assert question_like(text, strict=True)


@pytest.mark.parametrize(
    "text",
    [
        "Trường Trung học phổ thông Chuyên Cao Bằng",
        "Phường Thục Phán, thành phố Cao Bằng",
        "Em là Hoàng Thị Mai, đoàn viên phường Thục Phán",
        "Hội Liên hiệp Thanh niên Việt Nam xã Hạnh Phúc",
        "Mình chọn nhóm khởi nghiệp vay vốn nhé",
        "em đồng ý cho mình lưu thông tin",
        "ok",
    ],
)
def test_long_answers_are_not_taken_for_questions(text: str) -> None:
    assert not question_like(text, strict=True)


def test_greetings() -> None:
    for typed in ("xin chào", "Chào ad ạ", "alo", "Hi", "hello bot"):
        assert "greeting" in intents(typed), typed
    for typed in ("chào mừng ngày thành lập Đoàn", "đồng ý"):
        assert "greeting" not in intents(typed), typed


@pytest.mark.parametrize(
    ("text", "thanks"),
    [
        ("cảm ơn ad nhiều ạ", True),
        ("dạ em cảm ơn ạ", True),
        ("thank you so much", True),
        ("em cảm ơn, em tên là Lan", False),  # a name comes with it: not only thanks
        ("cảm ơn, xã Đàm Thủy", False),
        ("xã Đàm Thủy", False),
    ],
)
def test_only_thanks(text: str, thanks: bool) -> None:
    assert only_thanks(text) == thanks


def test_every_way_of_asking_for_anonymity_passes_the_quick_check() -> None:
    """``wants_anonymous`` skips texts with none of ``ANONYMOUS_STEMS``: no phrase of the
    anonymous intent may lack one, or it would never be heard."""
    from handlers.understanding import ANONYMOUS_STEMS, INTENTS, wants_anonymous

    missing = [phrase for phrase in INTENTS["anonymous"] if not ANONYMOUS_STEMS.search(phrase)]
    assert missing == []
    for said in (
        "Ẩn danh",
        "đồng ý nhưng em muốn giấu tên",
        "ok, annn danh nha",
        "hỏi kín",
        "ẩn-danh",
    ):
        assert wants_anonymous(said), said
    long_question = (
        "Xã có hỗ trợ vốn kinh doanh, học nghề, tiền thuê nhà cho thanh niên không? " * 3
    )
    assert not wants_anonymous(long_question)
