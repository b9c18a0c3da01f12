"""Engine replies rendered for Telegram: escaped HTML parts, inline keyboards, files.

Pure functions: :func:`render_reply` turns one :class:`~handlers.events.Reply` into the
messages to send, in order; the adapter sends them. Reply text is plain text, so every
piece is escaped for Telegram's HTML parse mode. Telegram's limits are 4,096 characters
per message and 1,024 per caption (counted after entities are parsed, in UTF-16 code
units); parts are cut so that both the escaped text and its UTF-16 length fit, which
also satisfies a stricter reader that counts the raw HTML.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from pathlib import Path

from bot.delivery.textsplit import split_text
from handlers.events import AttachmentKind, Button, Reply

__all__ = [
    "CAPTION_LIMIT",
    "MAX_CALLBACK_DATA_BYTES",
    "TEXT_LIMIT",
    "FileMessage",
    "Keyboard",
    "Outgoing",
    "TextMessage",
    "escape",
    "keyboard",
    "render_reply",
    "split_message",
]

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MAX_CALLBACK_DATA_BYTES = 64


Keyboard = dict[str, list[list[dict[str, str]]]]
"""An inline keyboard as the Bot API's JSON (``InlineKeyboardMarkup``): sent as it is, so
no PTB objects are built for the buttons of every prompt."""


@dataclass(frozen=True, slots=True)
class TextMessage:
    """One sendMessage (or editMessageText when ``edit``) in HTML parse mode."""

    html: str
    keyboard: Keyboard | None = None
    edit: bool = False


@dataclass(frozen=True, slots=True)
class FileMessage:
    """One sendDocument or sendPhoto; ``caption_html`` is already escaped."""

    path: Path
    kind: AttachmentKind
    caption_html: str = ""
    keyboard: Keyboard | None = None


Outgoing = TextMessage | FileMessage


def escape(text: str) -> str:
    """Plain text for Telegram's HTML parse mode (only ``&``, ``<`` and ``>`` matter)."""
    return html.escape(text, quote=False)


def _cost(part: str) -> int:
    """The larger of the escaped length and Telegram's own count (UTF-16 code units)."""
    return max(len(escape(part)), len(part.encode("utf-16-le")) // 2)


def split_message(text: str, *, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut plain ``text`` into parts whose escaped form fits ``limit`` (see module doc).

    Cuts fall on blank lines, line ends, sentence ends or spaces (:func:`split_text`);
    when a part only fits unescaped, it is cut again with a smaller limit.
    """
    parts: list[str] = []
    rest = text.strip()
    while rest:
        size = limit
        while True:
            first = split_text(rest, limit=size)[0]  # a prefix of ``rest``
            cost = _cost(first)
            if cost <= limit or size == 1:
                break
            size = max(1, min(size - 1, len(first) * limit // cost - 1))
        parts.append(first)
        rest = rest[len(first) :].strip()
    return parts


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> Keyboard | None:
    """The engine's rows as an inline keyboard; a row with an unusable payload is dropped.

    ``callback_data`` must be 1-64 bytes: the engine makes short ASCII payloads, but a
    longer one would make Telegram refuse the whole message, so its row is logged and left
    out instead.
    """
    built: list[list[dict[str, str]]] = []
    for row in rows:
        if not row:
            continue
        bad = [b for b in row if not 1 <= len(b.payload.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES]
        if bad or not all(b.label.strip() for b in row):
            logger.error(
                "dropped a button row: callback data must be 1-%d bytes and labels non-empty "
                "(payload sizes %s)",
                MAX_CALLBACK_DATA_BYTES,
                [len(b.payload.encode("utf-8")) for b in row],
            )
            continue
        built.append([{"text": b.label, "callback_data": b.payload} for b in row])
    return {"inline_keyboard": built} if built else None


def _caption(text: str) -> tuple[str, list[str]]:
    """A caption that fits, or none and the text to send as messages before the file."""
    text = text.strip()
    if not text:
        return "", []
    if _cost(text) <= CAPTION_LIMIT:
        return escape(text), []
    return "", split_message(text)


def render_reply(reply: Reply, *, edit_first: bool = False) -> list[Outgoing]:
    """The messages that show ``reply``, in order.

    Text parts come first, then the attachments (photos as photos, the rest as documents).
    The keyboard goes on the last text part (on the last file when there is no text).
    With ``edit_first`` the first text part is an edit of the prompt the person answered.
    """
    markup = keyboard(reply.buttons)
    texts = split_message(reply.text) if reply.text.strip() else []
    items: list[Outgoing] = [
        TextMessage(escape(part), edit=edit_first and index == 0)
        for index, part in enumerate(texts)
    ]
    for attachment in reply.attachments:
        caption, before = _caption(attachment.caption)
        items.extend(TextMessage(escape(part)) for part in before)
        items.append(FileMessage(attachment.path, attachment.kind, caption))
    if markup is not None:
        target = len(texts) - 1 if texts else len(items) - 1
        if target < 0:
            logger.warning("a reply with buttons but no text or file: buttons not shown")
        else:
            item = items[target]
            if isinstance(item, TextMessage):
                items[target] = TextMessage(item.html, markup, item.edit)
            else:
                items[target] = FileMessage(item.path, item.kind, item.caption_html, markup)
    return items
