"""The engine's platform-independent input and output types.

Channel adapters (Telegram, Zalo, terminal) map platform updates to :class:`Event` at the
edge and render :class:`Reply` back; nothing here knows any chat platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path


class EventKind(StrEnum):
    """What a person did."""

    TEXT = "text"
    COMMAND = "command"  # "/start abc": command="start", text="abc"
    BUTTON = "button"  # a press on a choice button (or a typed number on Zalo/terminal)
    MEDIA = "media"  # sticker, photo, voice, video, location, contact, document...
    EDITED = "edited"  # an edit of an earlier message
    UNSUPPORTED = "unsupported"  # content the platform hides from the bot (Zalo protected users)


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a person sent on one channel.

    ``user_id`` is the platform's id of the person as text (Zalo ids are hex strings);
    ``chat_id`` is where replies go (equal to ``user_id`` in private chats).
    """

    channel: str
    user_id: str
    kind: EventKind
    text: str = ""
    command: str | None = None
    payload: str | None = None
    media_type: str | None = None
    chat_id: str | None = None
    display_name: str | None = None
    language_code: str | None = None
    message_id: str | None = None
    update_id: str | None = None  # the platform's delivery id: a redelivery is handled once
    at: datetime | None = None  # when it was sent (the platform's date), if known
    # The message's place in the chat counting the bot's messages too (Telegram's
    # message_id): consecutive places mean the person sent it before any answer came.
    seq: int | None = None
    # Where ids are not ordered (Zalo): whether it was sent before the bot's last message
    # to the chat went out (the adapter knows when it sent it); None when unknown.
    before_answer: bool | None = None
    # The text is exactly as long as the platform allows: the app cut a longer message
    # there (maybe mid-word) and sends the rest as the next message.
    cut: bool = False
    # A file the person sent (a document): the platform's id of it, its name, and its
    # bytes when the adapter fetched them (only files the engine may read: a filled
    # answer sheet, say).
    file_ref: str | None = None
    file_name: str | None = None
    file_content: bytes | None = None
    # The emoji a sticker stands for (Telegram's ``sticker.emoji``): a thumbs-up sticker
    # is a yes where a yes/no is asked.
    emoji: str | None = None

    @property
    def reply_chat(self) -> str:
        return self.chat_id or self.user_id


@dataclass(frozen=True, slots=True)
class Button:
    """A choice: ``label`` is shown, ``payload`` (short ASCII, ≤ 64 bytes) comes back."""

    label: str
    payload: str


class AttachmentKind(StrEnum):
    DOCUMENT = "document"
    PHOTO = "photo"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to send with a reply (a digest's XLSX, DOCX or chart)."""

    path: Path
    kind: AttachmentKind = AttachmentKind.DOCUMENT
    caption: str = ""

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show. ``text`` is plain text: adapters escape it for their markup.

    ``buttons`` are rows of choices. ``replaces_prompt`` asks the adapter to edit the
    previous prompt in place where the platform allows it (Telegram), instead of sending
    a new message. ``listed``: the first ``listed`` choices are already numbered 1, 2, …
    in ``text`` (a list of questions whose buttons are their codes), so a channel that
    writes choices as a numbered list (Zalo, the terminal) lists only the others.
    ``formal``: the prompt of an official's task.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachments: tuple[Attachment, ...] = field(default=())
    replaces_prompt: bool = False
    listed: int = 0
    #: An official's prompt: a channel's hint under numbered options speaks formally.
    formal: bool = False

    @property
    def choices(self) -> list[Button]:
        return [b for row in self.buttons for b in row]

    def numbered_choices(self) -> list[tuple[int, Button]]:
        """The choices a channel without buttons lists under the text, with their numbers
        (those the text numbers already left out: :attr:`listed`)."""
        return [(n, b) for n, b in enumerate(self.choices, start=1) if n > self.listed]
