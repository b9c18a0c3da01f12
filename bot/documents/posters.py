"""Deep links, QR codes and printable A4 posters that invite young people to the bot.

A unit (commune, ward, school...) prints a poster with a QR code for each configured
channel: Telegram's ``https://t.me/<bot>?start=u-<unit code>`` starts the bot with the unit
already known; Zalo's is the bot's own link (``ZALO_BOT_LINK``; Zalo bots take no start
parameter, so the poster says which unit name to type). The poster also names the
organising body, the dialogue date, the deadline and a contact. Texts come from
``locales/<lang>/poster.po``; the font is matplotlib's bundled DejaVu Sans, which has every
Vietnamese letter with its diacritics.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path

import qrcode
import qrcode.constants
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

from bot.documents.frame import title_lines
from locales import LocalizedError, translator

__all__ = [
    "A4_MM",
    "ChannelCode",
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
_TELEGRAM = (34, 139, 202)
_ZALO = (0, 104, 255)


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
class ChannelCode:
    """One channel on the poster: its name, the link its QR code holds, what to do."""

    name: str
    link: str
    step: str
    color: tuple[int, int, int] = _INK


@dataclass(frozen=True)
class PosterText:
    """Every line printed on a poster, already translated."""

    heading: str
    title: str
    organiser: str
    unit: str
    deadline: str
    scan: str
    steps: str
    link_label: str
    privacy: str
    contact: str = ""
    channels: tuple[ChannelCode, ...] = field(default_factory=tuple)


def poster_text(
    *,
    campaign_title: str,
    unit_name: str,
    closes: date,
    dialogue: date,
    organiser: str,
    contact: str = "",
    telegram_link: str | None = None,
    zalo_link: str | None = None,
    unit_typed: str | None = None,
    language: str = "vi",
) -> PosterText:
    """The poster's lines; ``unit_typed`` is what a Zalo user types to find the unit."""
    tr = translator(language)
    channels: list[ChannelCode] = []
    if telegram_link:
        channels.append(
            ChannelCode("Telegram", telegram_link, tr.t("poster.telegram_step"), _TELEGRAM)
        )
    if zalo_link:
        step = tr.t("poster.zalo_step", unit=unit_typed or unit_name)
        channels.append(ChannelCode("Zalo", zalo_link, step, _ZALO))
    return PosterText(
        heading=tr.t("poster.heading"),
        title=campaign_title,
        organiser=tr.t("poster.organiser", organiser=organiser, date=f"{dialogue:%d/%m/%Y}"),
        unit=tr.t("poster.unit", unit=unit_name),
        deadline=tr.t("poster.deadline", date=f"{closes:%d/%m/%Y}"),
        scan=tr.t("poster.scan_two" if len(channels) > 1 else "poster.scan_one"),
        steps=tr.t("poster.steps"),
        link_label=tr.t("poster.link"),
        privacy=tr.t("poster.privacy"),
        contact=tr.t("poster.contact", contact=contact) if contact.strip() else "",
        channels=tuple(channels),
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
    title: bool = False  #: broken between phrases (:func:`title_lines`), not greedily


def _lines(block: _Block, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    if not block.title:
        return _wrap(block.text, font, width)
    text = unicodedata.normalize("NFC", block.text)
    return [
        line
        for paragraph in text.split("\n")
        for part in title_lines(paragraph, width=width, measure=font.getlength)
        for line in _wrap(part, font, width)  # a word wider than the poster is still cut
    ]


def _block_height(block: _Block, width: int, scale: float) -> int:
    font = _font(round(block.size * scale), bold=block.bold)
    line_height = round(font.size * 1.3)
    return line_height * len(_lines(block, font, width)) + round(block.space_after * scale)


def _draw_block(
    draw: ImageDraw.ImageDraw, block: _Block, *, x: int, y: int, width: int, scale: float
) -> int:
    font = _font(round(block.size * scale), bold=block.bold)
    line_height = round(font.size * 1.3)
    for line in _lines(block, font, width):
        offset = (width - round(font.getlength(line))) // 2 if block.center else 0
        draw.text((x + offset, y), line, font=font, fill=block.color)
        y += line_height
    return y + round(block.space_after * scale)


def _qr_of(link: str, side: int) -> Image.Image:
    qr = qr_image(link, module_px=1)
    modules = qr.width
    side = modules * max(1, side // modules)
    return qr.resize((side, side), Image.Resampling.NEAREST)


def render_poster(text: PosterText, *, dpi: int = 300) -> Image.Image:
    """An A4 portrait poster (``dpi`` dots per inch): one QR code in the middle, or two side
    by side (Telegram and Zalo), each with its channel's name and what to tap."""
    if not text.channels:
        raise ValueError("a poster needs at least one channel")
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
        _Block(text.title, 80, bold=True, space_after=24, title=True),
        _Block(text.organiser, 50, color=_MUTED, space_after=30),
        _Block(text.unit, 62, space_after=24),
        _Block(text.deadline, 70, bold=True, color=_DEADLINE, space_after=36),
        _Block(text.scan, 60, bold=True, space_after=30),
    ]
    two = len(text.channels) > 1
    column = (inner - round(80 * scale)) // 2 if two else inner
    captions = [
        [
            _Block(channel.name, 66, bold=True, color=channel.color, space_after=8),
            _Block(channel.step, 46, space_after=0),
        ]
        for channel in text.channels
    ]
    caption_height = max(sum(_block_height(b, column, scale) for b in c) for c in captions)
    bottom = [_Block(text.steps, 46, space_after=30)]
    bottom.append(_Block(text.link_label, 40, color=_MUTED, space_after=0))
    for channel in text.channels:
        bottom.append(_Block(f"{channel.name}: {channel.link}", 42, bold=True, space_after=6))
    if text.contact:
        bottom.append(_Block(text.contact, 44, bold=True, space_after=0))
    bottom[-1] = replace(bottom[-1], space_after=36)
    bottom.append(_Block(text.privacy, 38, color=_MUTED))

    y = band_height + round(70 * scale)
    needed = sum(_block_height(b, inner, scale) for b in top + bottom) + caption_height
    gap = round(40 * scale)
    room = height - y - needed - 2 * gap - margin // 2
    qr_side = min(round((1100 if two else 1300) * scale), column, room)
    qr_side = max(qr_side, round(500 * scale))
    codes = [_qr_of(channel.link, qr_side) for channel in text.channels]
    side = max(code.width for code in codes)  # codes differ by a few modules: one row box
    spare = room - side
    gap += max(0, spare) // 3  # spread what is left around the QR codes

    for block in top:
        y = _draw_block(draw, block, x=margin, y=y, width=inner, scale=scale)
    y += gap
    for index, (code, caption) in enumerate(zip(codes, captions, strict=True)):
        left = margin + index * (column + round(80 * scale))
        inset = (side - code.width) // 2
        poster.paste(code, (left + (column - code.width) // 2, y + inset))
        caption_y = y + side + round(10 * scale)
        for block in caption:
            caption_y = _draw_block(draw, block, x=left, y=caption_y, width=column, scale=scale)
    y += side + round(10 * scale) + caption_height + gap
    for block in bottom:
        y = _draw_block(draw, block, x=margin, y=y, width=inner, scale=scale)
    return poster


@dataclass(frozen=True)
class PosterFiles:
    qr_png: tuple[Path, ...]  # one per channel, in the poster's order
    poster_png: Path
    poster_pdf: Path


def write_poster_files(
    text: PosterText, *, out_dir: Path, stem: str, dpi: int = 300
) -> PosterFiles:
    """Write ``<stem>-qr.png`` (Telegram), ``<stem>-zalo-qr.png``, ``<stem>-poster.png`` and
    ``<stem>-poster.pdf``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    qr_files = []
    for channel in text.channels:
        suffix = "qr" if channel.name == "Telegram" else f"{channel.name.lower()}-qr"
        path = out_dir / f"{stem}-{suffix}.png"
        qr_image(channel.link, module_px=20).save(path, format="PNG", dpi=(dpi, dpi))
        qr_files.append(path)
    files = PosterFiles(
        qr_png=tuple(qr_files),
        poster_png=out_dir / f"{stem}-poster.png",
        poster_pdf=out_dir / f"{stem}-poster.pdf",
    )
    poster = render_poster(text, dpi=dpi)
    poster.save(files.poster_png, format="PNG", dpi=(dpi, dpi), optimize=True)
    poster.save(files.poster_pdf, format="PDF", resolution=float(dpi))
    return files
