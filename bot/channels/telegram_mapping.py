"""Telegram updates mapped to the engine's :class:`~handlers.events.Event` (at the edge).

Pure functions over python-telegram-bot's ``Update`` objects; nothing here sends anything.
Private chats become events; in groups only commands addressed to the bot are noticed,
and only so that the adapter can point the person to a private chat (no group text ever
reaches the engine, so nobody's name or question is posted in a group).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType

from handlers.events import Event, EventKind

__all__ = [
    "ALLOWED_UPDATES",
    "CHANNEL",
    "DEEP_LINK_PAYLOAD",
    "MEDIA_TYPES",
    "GroupCommand",
    "Incoming",
    "Reachability",
    "chat_key",
    "map_update",
    "parse_command",
]

CHANNEL = "telegram"

#: The longest text message Telegram takes (UTF-16 code units); the apps send a longer
#: paste as several messages, the first ones exactly this long.
TEXT_LIMIT = 4096

#: Update kinds asked for in getUpdates / setWebhook (``my_chat_member`` tells us when a
#: person blocks or unblocks the bot).
ALLOWED_UPDATES: tuple[str, ...] = ("message", "edited_message", "callback_query", "my_chat_member")

#: Message contents reported as :attr:`EventKind.MEDIA`, checked in this order (an
#: animation also carries a ``document``, a venue a ``location``).
MEDIA_TYPES: tuple[str, ...] = (
    "animation",
    "sticker",
    "photo",
    "video_note",
    "video",
    "voice",
    "audio",
    "document",
    "location",
    "contact",
    "poll",
    "dice",
    # A forwarded story, a game, paid media, a checklist: nothing the bot reads, but a
    # young person who sent one (first of all) is answered, never met with silence.
    "story",
    "game",
    "paid_media",
    "checklist",
)

#: A ``/start`` deep-link payload Telegram accepts: ``t.me/<bot>?start=<payload>``.
DEEP_LINK_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.DOTALL)
_GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """``/name@addressee args``: ``name`` lowercased, ``args`` stripped."""

    name: str
    addressee: str | None
    args: str


@dataclass(frozen=True, slots=True)
class GroupCommand:
    """A command addressed to the bot in a group: answer with a link to a private chat."""

    chat_id: int
    message_id: int
    command: str
    payload: str | None  # a valid deep-link payload given to /start, kept for the link
    language_code: str | None


@dataclass(frozen=True, slots=True)
class Reachability:
    """The person blocked (``reachable=False``) or unblocked the bot in their private chat."""

    user_id: str
    reachable: bool


Incoming = Event | GroupCommand | Reachability | None


def parse_command(text: str) -> ParsedCommand | None:
    """Split ``/cmd@bot args``; ``None`` when ``text`` is not a command."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    name, addressee, args = match.groups()
    return ParsedCommand(name=name.lower(), addressee=addressee, args=(args or "").strip())


def chat_key(update: Update) -> str:
    """The chat an update belongs to: updates of one chat are handled in order."""
    chat = update.effective_chat
    if chat is not None:
        return str(chat.id)
    user = update.effective_user
    if user is not None:
        return str(user.id)
    return f"update:{update.update_id}"


def map_update(update: Update, *, bot_username: str) -> Incoming:
    """Turn one update into what the adapter acts on; ``None``: nothing to do.

    Callback queries from anywhere but a private chat map to ``None`` (the bot sends no
    callback buttons to groups, so they are stale or forged): the adapter still answers them.
    """
    if update.callback_query is not None:
        return _button(update)
    if update.my_chat_member is not None:
        member = update.my_chat_member
        if member.chat.type != ChatType.PRIVATE:
            return None
        status = member.new_chat_member.status
        if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            return Reachability(user_id=str(member.from_user.id), reachable=False)
        if status == ChatMemberStatus.MEMBER:
            return Reachability(user_id=str(member.from_user.id), reachable=True)
        return None
    if update.message is not None:
        return _message(update, update.message, bot_username=bot_username, edited=False)
    if update.edited_message is not None:
        return _message(update, update.edited_message, bot_username=bot_username, edited=True)
    return None


def _button(update: Update) -> Event | None:
    query = update.callback_query
    assert query is not None
    if query.data is None or query.from_user.is_bot:
        return None
    message = query.message
    if message is not None and message.chat.type != ChatType.PRIVATE:
        return None
    user = query.from_user
    return Event(
        channel=CHANNEL,
        user_id=str(user.id),
        kind=EventKind.BUTTON,
        payload=query.data,
        chat_id=str(message.chat.id) if message is not None else str(user.id),
        display_name=user.full_name,
        language_code=user.language_code,
        # Only a prompt that still shows the pressed button may be edited or cleared:
        # one a first press already changed (a double tap) or one without it (a forged
        # press) is left alone, as Telegram would refuse the edit.
        message_id=str(message.message_id)
        if message is not None and _shows(message, query.data)
        else None,
        update_id=str(update.update_id),
        at=None,  # a button press carries no date
    )


def _shows(message: object, data: str) -> bool:
    """Whether ``message`` (as the press saw it) carries a button with ``data``."""
    markup = getattr(message, "reply_markup", None)
    rows = getattr(markup, "inline_keyboard", None) or ()
    return any(getattr(button, "callback_data", None) == data for row in rows for button in row)


def _message(update: Update, message: Message, *, bot_username: str, edited: bool) -> Incoming:
    user = message.from_user
    if user is None or user.is_bot:
        return None
    chat = message.chat
    text = message.text if message.text is not None else message.caption
    if chat.type in _GROUP_TYPES:
        return None if edited else _group_command(message, text, bot_username)
    if chat.type != ChatType.PRIVATE:
        return None  # channel posts
    base = Event(
        channel=CHANNEL,
        user_id=str(user.id),
        kind=EventKind.TEXT,
        chat_id=str(chat.id),
        display_name=user.full_name,
        language_code=user.language_code,
        message_id=str(message.message_id),
        update_id=str(update.update_id),
        at=(message.edit_date or message.date) if edited else message.date,
        # Message ids of a private chat count both sides' messages: consecutive ids tell
        # the engine the person sent this before any answer came (a split paste, a flood).
        seq=message.message_id,
    )
    if edited:
        if not text:
            return None  # a live location moving, a media swap: nothing to re-read
        return replace(base, kind=EventKind.EDITED, text=text)
    if message.text is not None:
        command = parse_command(message.text)
        if command is None:
            cut = len(message.text.encode("utf-16-le")) // 2 >= TEXT_LIMIT
            return replace(base, text=message.text, cut=cut)
        payload = command.args.split()[0] if command.name == "start" and command.args else None
        return replace(
            base,
            kind=EventKind.COMMAND,
            command=command.name,
            text=command.args,
            payload=payload,
        )
    for media_type in MEDIA_TYPES:
        if getattr(message, media_type, None):
            # A photo's or a document's caption is what the person wrote: the engine
            # reads it as their text.
            event = replace(
                base, kind=EventKind.MEDIA, media_type=media_type, text=message.caption or ""
            )
            if media_type == "sticker" and message.sticker is not None:
                # The emoji the sticker stands for: a thumbs-up sticker can say yes.
                event = replace(event, emoji=message.sticker.emoji or None)
            document = message.document if media_type == "document" else None
            if document is not None:
                event = replace(event, file_ref=document.file_id, file_name=document.file_name)
            return event
    return None  # service messages (pins, payments, web app data...)


def _group_command(message: Message, text: str | None, bot_username: str) -> GroupCommand | None:
    if message.text is None or text is None:
        return None
    command = parse_command(text)
    if command is None:
        return None
    addressed = command.addressee is not None and command.addressee.lower() == bot_username.lower()
    if not addressed and not (command.name == "start" and command.addressee is None):
        return None
    payload = None
    if command.name == "start" and command.args:
        first = command.args.split()[0]
        payload = first if DEEP_LINK_PAYLOAD.match(first) else None
    user = message.from_user
    return GroupCommand(
        chat_id=message.chat.id,
        message_id=message.message_id,
        command=command.name,
        payload=payload,
        language_code=user.language_code if user is not None else None,
    )
