"""``youthbot link``: deep link, QR code and A4 poster (getMe against the fake Bot API)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from matplotlib import ft2font
from PIL import Image

from bot.application.app import App
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.documents.posters import _font_path, deep_link, poster_text, qr_image, unit_payload
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_support import TOKEN

TITLE = "Đối thoại giữa Chủ tịch UBND tỉnh Cao Bằng với thanh niên năm 2025"
LINK = "https://t.me/youthbot_test_bot?start=u-w01273"

pytestmark = pytest.mark.usefixtures("english_cli")


@pytest.fixture
async def campaign_app(province_app: App) -> App:
    await create_campaign(province_app, title=TITLE, dialogue=date(2025, 8, 28))
    return province_app


async def run_cli(*args: str) -> int:
    """``youthbot ...`` in a thread (it runs its own event loop) while the fake serves here."""
    return await asyncio.to_thread(main, list(args))


async def test_link_with_a_token_asks_telegram_for_the_username(
    campaign_app: App,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    async with FakeTelegramAPI(token=TOKEN) as api:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.bot_url)
        monkeypatch.setenv("TELEGRAM_FILE_BASE_URL", api.file_url)
        status = await run_cli("link", "--unit", "w01273")
        assert [c.method for c in api.calls] == ["getMe"]

    captured = capsys.readouterr()
    assert status == 0, captured.err
    lines = captured.out.splitlines()
    assert lines[0] == f"Telegram: {LINK}"
    out = tmp_path / "out"
    qr = out / "link-w01273-c1-qr.png"
    poster = out / "link-w01273-c1-poster.png"
    pdf = out / "link-w01273-c1-poster.pdf"
    assert lines[1:4] == [f"QR code: {qr}", f"poster:  {poster}", f"poster:  {pdf}"]
    assert lines[4].startswith("note: the poster has no contact; add one with `youthbot campaign")
    with Image.open(qr) as image:
        assert image.format == "PNG"
        assert image.width == image.height >= 500
    with Image.open(poster) as image:
        assert image.format == "PNG"
        assert image.size == (2480, 3508)  # A4 at 300 dpi
        # Mostly white paper with dark text and a QR code on it.
        grey = image.convert("L").resize((248, 351))
        dark = sum(grey.histogram()[:100])
        assert 0.03 < dark / (248 * 351) < 0.5
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000
    assert TOKEN not in captured.out + captured.err


async def test_link_with_a_bot_username_option(
    campaign_app: App, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "posters"
    status = await run_cli(
        "link", "--unit", "w01273", "--bot-username", "@youthbot_test_bot", "--out", str(out)
    )

    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.out.splitlines()[0] == f"Telegram: {LINK}"
    assert sorted(p.name for p in out.iterdir()) == [
        "link-w01273-c1-poster.pdf",
        "link-w01273-c1-poster.png",
        "link-w01273-c1-qr.png",
    ]


async def test_link_without_a_username_is_a_one_line_error(
    campaign_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    status = await run_cli("link", "--unit", "w01273")

    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.strip().splitlines() == [
        "youthbot link: no channel for the poster: set TELEGRAM_BOT_TOKEN (or pass "
        "--bot-username NAME) and/or ZALO_BOT_LINK (or --zalo-link URL)"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unit", "x99999", "--bot-username", "youthbot_test_bot"], "no unit with code"),
        (
            ["--unit", "w01273", "--campaign", "7", "--bot-username", "youthbot_test_bot"],
            "no campaign 7",
        ),
        (["--unit", "w01273", "--bot-username", "not a name!"], "not a Telegram bot username"),
    ],
)
async def test_link_usage_errors(
    campaign_app: App, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status = await run_cli("link", *args)

    captured = capsys.readouterr()
    assert status == 2
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1


async def test_link_without_an_active_campaign(
    province_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    status = await run_cli("link", "--unit", "w01273", "--bot-username", "youthbot_test_bot")

    assert status == 2
    assert "no active campaign" in capsys.readouterr().err


async def test_link_falls_back_to_the_option_when_telegram_is_unreachable(
    campaign_app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")  # nothing listens
    status = await run_cli("link", "--unit", "w01273", "--bot-username", "youthbot_test_bot")

    captured = capsys.readouterr()
    assert status == 0
    assert captured.out.splitlines()[0].startswith("warning: cannot reach the Telegram Bot API")
    assert f"Telegram: {LINK}" in captured.out.splitlines()
    assert TOKEN not in captured.out + captured.err


def test_deep_link_rules() -> None:
    assert deep_link("@youthbot_test_bot", unit_payload("w01273")) == LINK
    with pytest.raises(ValueError, match="bot username"):
        deep_link("ab", "u-1")
    with pytest.raises(ValueError, match="cannot go in a Telegram link"):
        unit_payload("x" * 63)
    with pytest.raises(ValueError, match="cannot go in a Telegram link"):
        unit_payload("trường.1")
    assert len(unit_payload("x" * 62)) == 64


@pytest.mark.parametrize("language", ["vi", "en"])
def test_poster_texts_and_font_cover_vietnamese(language: str) -> None:
    text = poster_text(
        telegram_link=LINK,
        zalo_link="https://zalo.me/1459232241454765289",
        campaign_title=TITLE,
        unit_name="Phường Thục Phán",
        unit_typed="Thục Phán",
        closes=date(2025, 8, 21),
        dialogue=date(2025, 8, 28),
        organiser="Tỉnh đoàn Cao Bằng",
        contact="Văn phòng Tỉnh đoàn, 0206 3852 123",
        language=language,
    )
    if language == "vi":
        assert text.scan.startswith("Quét một trong hai mã để gửi câu hỏi tới buổi đối thoại")
        assert text.deadline == "Hạn gửi câu hỏi: hết ngày 21/08/2025"
        assert text.organiser == "Do Tỉnh đoàn Cao Bằng tổ chức · đối thoại ngày 28/08/2025"
        assert "“Thục Phán”" in text.channels[1].step
    else:
        assert "21/08/2025" in text.deadline
    everything = "".join(str(value) for value in vars(text).values()) + "ẮẰẲẴẶặỹỵửữựđĐ"
    for bold in (False, True):
        font = ft2font.FT2Font(_font_path(bold))
        missing = {c for c in everything if not c.isspace() and font.get_char_index(ord(c)) == 0}
        assert missing == set(), f"no glyph for {missing}"


def test_qr_image_is_square_with_a_quiet_zone() -> None:
    image = qr_image(LINK, module_px=10)
    assert image.width == image.height
    assert image.getpixel((5, 5)) == (255, 255, 255)  # the white border
    assert image.getpixel((45, 45)) == (0, 0, 0)  # the finder pattern's corner
