"""Posters and `youthbot link` carry every configured channel (Telegram's deep link and the
Zalo bot's link, each with its QR code), the organising body, the dialogue date and a
contact. The QR codes are decoded back from the rendered PNG with zxing-cpp."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.application.app import App
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.documents.posters import poster_text

TELEGRAM = "https://t.me/hoi_chu_tich_bot?start=u-w01273"
ZALO = "https://zalo.me/1459232241454765289"


@pytest.fixture
async def campaign_app(province_app: App) -> App:
    await create_campaign(
        province_app, title="Đối thoại với thanh niên Cao Bằng 2025", dialogue=date(2025, 8, 28)
    )
    return province_app


async def link(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    status = await asyncio.to_thread(main, ["link", "--unit", "w01273", *args])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def decoded(path: Path) -> list[str]:
    with Image.open(path) as image:
        return sorted(result.text for result in zxingcpp.read_barcodes(image))


async def test_both_channels_on_one_poster(
    campaign_app: App, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    contact = "Văn phòng Tỉnh đoàn Cao Bằng, 0206 3852 123"
    assert await asyncio.to_thread(main, ["campaign", "edit", "1", "--contact", contact]) == 0
    capsys.readouterr()
    status, lines, err = await link(
        capsys, "--bot-username", "hoi_chu_tich_bot", "--zalo-link", ZALO
    )
    assert status == 0, err
    out = tmp_path / "out"
    assert lines == [
        f"Telegram: {TELEGRAM}",
        f"mã QR:    {out / 'link-w01273-c1-qr.png'}",
        f"Zalo: {ZALO}",
        f"mã QR:    {out / 'link-w01273-c1-zalo-qr.png'}",
        f"áp phích: {out / 'link-w01273-c1-poster.png'}",
        f"áp phích: {out / 'link-w01273-c1-poster.pdf'}",
    ]
    assert decoded(out / "link-w01273-c1-poster.png") == sorted([TELEGRAM, ZALO])
    assert decoded(out / "link-w01273-c1-zalo-qr.png") == [ZALO]
    assert decoded(out / "link-w01273-c1-qr.png") == [TELEGRAM]


async def test_zalo_alone_from_the_settings(
    campaign_app: App,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("ZALO_BOT_LINK", ZALO)
    status, lines, err = await link(capsys)
    assert status == 0, err
    assert lines[0] == f"Zalo: {ZALO}"
    assert lines[-1].startswith("lưu ý: áp phích chưa có thông tin liên hệ; thêm bằng `youthbot")
    assert decoded(tmp_path / "out" / "link-w01273-c1-poster.png") == [ZALO]


async def test_a_zalo_token_without_its_link_is_pointed_out(
    campaign_app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZALO_BOT_TOKEN", "3141592653589793238:FakeZaloBotTokenForTestsOnly")
    status, lines, _ = await link(capsys, "--bot-username", "hoi_chu_tich_bot")
    assert status == 0
    assert lines[0].startswith("cảnh báo: đã đặt ZALO_BOT_TOKEN nhưng chưa có ZALO_BOT_LINK")
    assert lines[1] == f"Telegram: {TELEGRAM}"


async def test_no_channel_and_a_bad_zalo_link_are_one_line(
    campaign_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines, err = await link(capsys)
    assert (status, lines) == (2, [])
    assert err.startswith("youthbot link: chưa có kênh nào cho áp phích: đặt TELEGRAM_BOT_TOKEN")
    status, _, err = await link(capsys, "--zalo-link", "http://zalo.me/1")
    assert status == 2
    assert err == (
        "youthbot link: 'http://zalo.me/1' không phải đường dẫn https:// của bot Zalo, ví dụ "
        "https://zalo.me/1234567890123456789\n"
    )


def test_poster_names_the_organiser_the_dialogue_and_a_contact() -> None:
    text = poster_text(
        campaign_title="Hội nghị đối thoại năm 2027",
        unit_name="Phường Phan Đình Phùng",
        unit_typed="Phan Đình Phùng",
        closes=date(2027, 8, 21),
        dialogue=date(2027, 8, 28),
        organiser="UBND tỉnh Thái Nguyên",
        contact="Văn phòng Tỉnh đoàn, 0208 3855 123",
        zalo_link=ZALO,
    )
    assert text.organiser == "Do UBND tỉnh Thái Nguyên tổ chức · đối thoại ngày 28/08/2027"
    assert text.contact == "Liên hệ: Văn phòng Tỉnh đoàn, 0208 3855 123"
    assert text.scan.startswith("Quét mã để gửi câu hỏi")
    [zalo] = text.channels
    assert zalo.step == "Bấm “Nhắn tin”, gửi “Chào” rồi gõ “Phan Đình Phùng” khi được hỏi đơn vị."


async def test_the_poster_language_is_its_own_option(
    campaign_app: App, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The command line speaks Vietnamese; `--language en` still makes an English poster.
    posters = {}
    for language in ("vi", "en"):
        out = tmp_path / language
        status, _, err = await link(
            capsys, "--zalo-link", ZALO, "--language", language, "--out", str(out)
        )
        assert status == 0, err
        posters[language] = (out / "link-w01273-c1-poster.png").read_bytes()
    assert posters["vi"] != posters["en"]
