"""Phone numbers and e-mail addresses inside a question (handlers.contacts)."""

from __future__ import annotations

import pytest

from handlers.contacts import contact_details, masked, without_contacts


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("sdt em 0912345678", ["0912345678"]),
        ("SĐT: 0912 345 678.", ["0912 345 678"]),
        ("zalo 0388-123-456 ạ", ["0388-123-456"]),
        ("gọi +84 912 345 678", ["+84 912 345 678"]),
        ("máy bàn 0206 3852 123", ["0206 3852 123"]),
        ("mail: mai.lo+dv@gmail.com nhé", ["mai.lo+dv@gmail.com"]),
        # Not contact details: amounts, years, a citizen ID, a distance, a house number.
        ("Xã cần 50.000.000 đồng cho sân bóng năm 2026", []),
        ("CCCD 001203012345 bị sai ngày sinh", []),
        ("Số 5 đường Lê Lợi có hố sâu 0,5 m", []),
        ("Hỗ trợ 100.000 đồng/tháng cho 120 thanh niên", []),
    ],
)
def test_contact_details(text: str, found: list[str]) -> None:
    assert contact_details(text) == found


@pytest.mark.parametrize(
    ("text", "left"),
    [
        (
            "Điều kiện vay vốn thế nào ạ? sdt em 0912345678",
            "Điều kiện vay vốn thế nào ạ?",
        ),
        (
            "Em là Mai, sđt 0912 345 678, em muốn hỏi về lớp nghề ạ",
            "Em là Mai, em muốn hỏi về lớp nghề ạ",
        ),
        ("Em hỏi về đường. SĐT: 0912345678. Em cảm ơn ạ", "Em hỏi về đường. Em cảm ơn ạ"),
        ("Có gì liên hệ em qua số 0912.345.678 nhé. Em cảm ơn", "Em cảm ơn"),
        ("email: mai.lo@gmail.com. Hỏi về học bổng", "Hỏi về học bổng"),
        ("Đường hỏng... sđt 0912345678 ... mong sớm sửa", "Đường hỏng... mong sớm sửa"),
        ("Không có số nào ở đây", "Không có số nào ở đây"),
    ],
)
def test_without_contacts(text: str, left: str) -> None:
    assert without_contacts(text) == left


def test_masked_keeps_the_words() -> None:
    assert masked("Đường vào thôn hỏng, sđt 0912 345 678") == "Đường vào thôn hỏng, sđt ***"


def test_english_labels_go_with_the_number() -> None:
    assert (
        without_contacts("Loans for start-ups? Call me on 0912 345 678") == "Loans for start-ups?"
    )
    assert without_contacts("My phone number is 0912345678. Thanks") == "Thanks"


def test_the_whole_call_back_request_goes() -> None:
    assert (
        without_contacts("Có lớp nghề không ạ? Có gì anh chị liên hệ em qua số 0912 345 678 nhé.")
        == "Có lớp nghề không ạ?"
    )
