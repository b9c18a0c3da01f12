"""Deep links, QR codes and printable A4 posters that invite young people to the bot.

A unit (commune, ward, school...) prints a poster with a QR code of
``https://t.me/<bot>?start=u-<unit code>``: whoever scans it starts the bot with their unit
already known. Texts come from ``locales/<lang>/telegram.po``; the font is matplotlib's
bundled DejaVu Sans, which has every Vietnamese letter with its diacritics.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import qrcode
import qrcode.constants
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

from locales import LocalizedError, translator

__all__ = [
    "A4_MM",
    "LinkError",
    "PosterFiles",
    "PosterText",
    "deep_link",
    "poster_text",
    "qr_image",
    "render_poster",
    "unit_payload",
    "write_poster_files",
]

A4_MM = (210, 297)
BOT_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_INK = (24, 32, 48)
_ACCENT = (13, 71, 161)  # a deep blue band at the top
_DEADLINE = (183, 28, 28)
_MUTED = (90, 98, 112)
_WHITE = (255, 255, 255)


class LinkError(LocalizedError, ValueError):
    """A unit code or bot username that cannot make a Telegram deep link (the text is in
    ``locales/*/cli.po``)."""


def unit_payload(unit_code: str) -> str:
    """The ``/start`` payload naming a unit: ``u-<code>`` (``LinkError`` if unusable)."""
    payload = f"u-{unit_code}"
    if not PAYLOAD.match(payload):
        raise LinkError("cli.link.bad_unit_code", code=unit_code)
    return payload


def deep_link(bot_username: str, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``, both checked against Telegram's rules."""
    name = bot_username.removeprefix("@")
    if not BOT_USERNAME.match(name):
        raise LinkError("cli.link.bad_username", name=bot_username)
    if not PAYLOAD.match(payload):
        raise LinkError("cli.link.bad_payload", payload=payload)
    return f"https://t.me/{name}?start={payload}"


def qr_image(data: str, *, module_px: int = 20, border: int = 4) -> Image.Image:
    """A black-on-white QR code of ``data``, each module ``module_px`` pixels wide."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=border
    )
    code.add_data(data)
    code.make(fit=True)
    modules = code.modules_count + 2 * border
    image = Image.new("1", (modules, modules), 1)
    pixels = image.load()
    assert pixels is not None
    for row, line in enumerate(code.get_matrix()):
        for col, dark in enumerate(line):
            if dark:
                pixels[col, row] = 0
    size = modules * max(1, module_px)
    return image.resize((size, size), Image.Resampling.NEAREST).convert("RGB")


@dataclass(frozen=True)
class PosterText:
    """Every line printed on a poster, already translated."""

    heading: str
    title: str
    unit: str
    deadline: str
    scan: str
    steps: str
    link_label: str
    link: str
    privacy: str


def poster_text(
    *, link: str, campaign_title: str, unit_name: str, closes: date, language: str = "vi"
) -> PosterText:
    tr = translator(language)
    return PosterText(
        heading=tr.t("telegram.poster.heading"),
        title=campaign_title,
        unit=tr.t("telegram.poster.unit", unit=unit_name),
        deadline=tr.t("telegram.poster.deadline", date=f"{closes:%d/%m/%Y}"),
        scan=tr.t("telegram.poster.scan"),
        steps=tr.t("telegram.poster.steps"),
        link_label=tr.t("telegram.poster.link"),
        link=link,
        privacy=tr.t("telegram.poster.privacy"),
    )


@cache
def _font_path(bold: bool) -> str:
    properties = font_manager.FontProperties(
        family="DejaVu Sans", weight="bold" if bold else "normal"
    )
    return str(font_manager.findfont(properties, fallback_to_default=True))


@cache
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_path(bold), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap; a word wider than ``width`` (a URL) is cut between characters."""
    lines: list[str] = []
    for paragraph in unicodedata.normalize("NFC", text).split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for char in word:
                if font.getlength(line + char) > width and line:
                    lines.append(line)
                    line = ""
                line += char
        lines.append(line)
    return lines


@dataclass(frozen=True)
class _Block:
    text: str
    size: int
    bold: bool = False
    color: tuple[int, int, int] = _INK
    center: bool = True
    space_after: int = 0


def _block_height(block: _Block, width: int, scale: float) -> int:
    font = _font(round(block.size * scale), bold=block.bold)
    line_height = round(font.size * 1.3)
    return line_height * len(_wrap(block.text, font, width)) + round(block.space_after * scale)


def _draw_block(
    draw: ImageDraw.ImageDraw, block: _Block, *, x: int, y: int, width: int, scale: float
) -> int:
    font = _font(round(block.size * scale), bold=block.bold)
    line_height = round(font.size * 1.3)
    for line in _wrap(block.text, font, width):
        offset = (width - round(font.getlength(line))) // 2 if block.center else 0
        draw.text((x + offset, y), line, font=font, fill=block.color)
        y += line_height
    return y + round(block.space_after * scale)


def render_poster(text: PosterText, *, dpi: int = 300) -> Image.Image:
    """An A4 portrait poster (``dpi`` dots per inch) with the QR code in the middle."""
    scale = dpi / 300
    width = round(A4_MM[0] / 25.4 * dpi)
    height = round(A4_MM[1] / 25.4 * dpi)
    margin = round(170 * scale)
    inner = width - 2 * margin
    poster = Image.new("RGB", (width, height), _WHITE)
    draw = ImageDraw.Draw(poster)

    band = _Block(text.heading, 100, bold=True, color=_WHITE)
    band_height = _block_height(band, inner, scale) + round(120 * scale)
    draw.rectangle((0, 0, width, band_height), fill=_ACCENT)
    _draw_block(draw, band, x=margin, y=round(60 * scale), width=inner, scale=scale)

    top = [
        _Block(text.title, 84, bold=True, space_after=30),
        _Block(text.unit, 64, space_after=30),
        _Block(text.deadline, 72, bold=True, color=_DEADLINE, space_after=40),
    ]
    bottom = [
        _Block(text.scan, 66, bold=True, space_after=40),
        _Block(text.steps, 52, center=False, space_after=40),
        _Block(text.link_label, 44, color=_MUTED, space_after=0),
        _Block(text.link, 48, bold=True, space_after=50),
        _Block(text.privacy, 40, color=_MUTED),
    ]
    y = band_height + round(90 * scale)
    needed = sum(_block_height(b, inner, scale) for b in top + bottom)
    gap = round(50 * scale)
    qr_side = min(round(1350 * scale), height - y - needed - 2 * gap - margin // 2)
    qr_side = max(qr_side, round(600 * scale))

    qr = qr_image(text.link, module_px=1)
    modules = qr.width
    side = modules * max(1, qr_side // modules)
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    spare = height - margin // 2 - y - needed - side - 2 * gap
    gap += max(0, spare) // 3  # spread what is left around the QR code

    for block in top:
        y = _draw_block(draw, block, x=margin, y=y, width=inner, scale=scale)
    poster.paste(qr, ((width - side) // 2, y + gap))
    y += side + 2 * gap
    for block in bottom:
        x = margin + (round(80 * scale) if not block.center else 0)
        y = _draw_block(draw, block, x=x, y=y, width=inner, scale=scale)
    return poster


@dataclass(frozen=True)
class PosterFiles:
    qr_png: Path
    poster_png: Path
    poster_pdf: Path


def write_poster_files(
    text: PosterText, *, out_dir: Path, stem: str, dpi: int = 300
) -> PosterFiles:
    """Write ``<stem>-qr.png``, ``<stem>-poster.png`` and ``<stem>-poster.pdf``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = PosterFiles(
        qr_png=out_dir / f"{stem}-qr.png",
        poster_png=out_dir / f"{stem}-poster.png",
        poster_pdf=out_dir / f"{stem}-poster.pdf",
    )
    qr_image(text.link, module_px=20).save(files.qr_png, format="PNG", dpi=(dpi, dpi))
    poster = render_poster(text, dpi=dpi)
    poster.save(files.poster_png, format="PNG", dpi=(dpi, dpi), optimize=True)
    poster.save(files.poster_pdf, format="PDF", resolution=float(dpi))
    return files
