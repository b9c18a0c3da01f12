"""Sending rendered messages to Telegram: pacing per chat, bounded retries, error mapping.

A 429 waits ``retry_after`` and retries; timeouts and network errors (5xx included) retry
with exponential backoff; both are bounded by the caller's ``attempts`` (default
``TelegramOptions.send_attempts``; a 429 asking for more than ``max_retry_after`` seconds is
not waited out). 400 and 403 are never retried. Messages to one chat keep
``per_chat_interval`` between them (:class:`ChatPacer`).

Idempotence: an edit whose answer is "message is not modified" was done already (a retry
after a lost answer, a replay after a crash) and counts as done, never as a reason to send
the prompt anew. A new message whose answer was lost (``lost_answer``) may have arrived:
the ``lost`` callback tells the caller, which marks the retry as a possible duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final, TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.channels.base import (
    ChannelBlocked,
    ChannelPermanentError,
    ChannelRateLimited,
    ChannelTransientError,
    ChannelUnauthorized,
    DeliveryError,
)
from bot.channels.telegram_bot import PollingBot, TelegramOptions
from bot.channels.telegram_flow import ChatPacer
from bot.channels.telegram_render import FileMessage, Outgoing
from bot.channels.telegram_request import lost_answer
from handlers.events import AttachmentKind

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_PHOTO_BYTES",
    "FileTooLarge",
    "Sender",
    "chat_ref",
    "delivery_error",
    "not_modified",
    "retry_after_seconds",
]

logger = logging.getLogger("bot.channels.telegram")

T = TypeVar("T")

MAX_DOCUMENT_BYTES: Final = 50 * 1024 * 1024
MAX_PHOTO_BYTES: Final = 10 * 1024 * 1024


class FileTooLarge(Exception):
    """An attachment over Telegram's upload limit (50 MB)."""


def retry_after_seconds(value: float | timedelta) -> float:
    """``RetryAfter.retry_after`` in seconds (a timedelta with ``PTB_TIMEDELTA``, else int)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def chat_ref(chat_id: str) -> int | str:
    """Bot API chat ids are integers; ``@channelname`` stays text."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id


def not_modified(exc: TelegramError) -> bool:
    """Telegram's answer to an edit that changes nothing: the edit is already there."""
    return isinstance(exc, BadRequest) and "message is not modified" in exc.message.lower()


def delivery_error(exc: TelegramError, message: str) -> DeliveryError:
    """The outbox's view of a failed send (``message`` is the redacted description)."""
    if isinstance(exc, RetryAfter):
        return ChannelRateLimited(retry_after_seconds(exc.retry_after))
    if isinstance(exc, Forbidden):
        return ChannelBlocked(message)
    if isinstance(exc, InvalidToken):  # 401/404: the token, not the message
        return ChannelUnauthorized(message)
    if isinstance(exc, BadRequest | ChatMigrated):
        return ChannelPermanentError(message)
    # TimedOut, NetworkError (5xx), others
    return ChannelTransientError(message, maybe_delivered=lost_answer(exc))


class Sender:
    """Sends :mod:`bot.channels.telegram_render` messages through one bot."""

    def __init__(
        self,
        bot: PollingBot,
        *,
        pacer: ChatPacer,
        options: TelegramOptions,
        redact: Callable[[BaseException | str], str],
    ) -> None:
        self._bot = bot
        self._pacer = pacer
        self._options = options
        self._redact = redact

    async def send(
        self,
        chat: int | str,
        item: Outgoing,
        *,
        attempts: int | None = None,
        edit_target: int | None = None,
        reply_to: int | None = None,
        lost: Callable[[], None] | None = None,
    ) -> None:
        """Send ``item``: an edit of ``edit_target`` when the item asks for one (a new
        message if the edit is refused; done if it is "not modified"), a reply to
        ``reply_to`` when given. ``lost`` is called when a new message's answer was lost
        (it may have arrived)."""
        tries = self._options.send_attempts if attempts is None else attempts
        bot = self._bot
        async with self._pacer.turn(str(chat)):
            if isinstance(item, FileMessage):
                await self._send_file(chat, item, attempts=tries, lost=lost)
                return
            if item.edit and edit_target is not None:
                try:
                    await self.call(
                        lambda: bot.post_raw(
                            "editMessageText",
                            {
                                "chat_id": chat,
                                "message_id": edit_target,
                                "text": item.html,
                                "parse_mode": ParseMode.HTML,
                                "reply_markup": item.keyboard,
                            },
                        ),
                        attempts=tries,
                    )
                    return
                except BadRequest as exc:
                    if not_modified(exc):  # already edited: a retry or a replay
                        return
                    # Gone or no longer editable: the person still needs the prompt.
                    logger.debug("telegram: prompt not edited (%s)", self._redact(exc))
            parameters = (
                ReplyParameters(reply_to, allow_sending_without_reply=True)
                if reply_to is not None
                else None
            )
            await self.call(
                lambda: bot.post_raw(
                    "sendMessage",
                    {
                        "chat_id": chat,
                        "text": item.html,
                        "parse_mode": ParseMode.HTML,
                        "reply_markup": item.keyboard,
                        "reply_parameters": parameters,
                    },
                ),
                attempts=tries,
                lost=lost,
            )

    async def _send_file(
        self,
        chat: int | str,
        item: FileMessage,
        *,
        attempts: int,
        lost: Callable[[], None] | None,
    ) -> None:
        size = item.path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise FileTooLarge(f"{item.path.name} is {size} bytes, over Telegram's 50 MB")
        content = await asyncio.to_thread(item.path.read_bytes)
        bot = self._bot
        caption = item.caption_html or None
        markup = InlineKeyboardMarkup.de_json(item.keyboard) if item.keyboard else None
        # A photo over Telegram's photo limit goes as a document, like any other file.
        upload: Callable[..., Awaitable[Message]] = (
            bot.send_photo
            if item.kind == AttachmentKind.PHOTO and size <= MAX_PHOTO_BYTES
            else bot.send_document
        )
        await self.call(
            lambda: upload(
                chat,
                content,
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                filename=item.path.name,
            ),
            attempts=attempts,
            lost=lost,
        )

    async def clear_keyboard(self, chat: int | str, message_id: int) -> None:
        """Take the buttons off an old prompt (pressing them would only be refused)."""
        try:
            async with self._pacer.turn(str(chat)):
                await self._bot.post_raw(
                    "editMessageReplyMarkup", {"chat_id": chat, "message_id": message_id}
                )
        except TelegramError as exc:
            logger.debug("telegram: could not clear an old keyboard: %s", self._redact(exc))

    async def answer(self, query: CallbackQuery) -> None:
        """Answer a button press (stops the client's spinner); failures only logged."""
        try:
            await self._bot.post_raw("answerCallbackQuery", {"callback_query_id": query.id})
        except TelegramError as exc:
            logger.debug("telegram: answerCallbackQuery failed: %s", self._redact(exc))

    async def call(
        self,
        request: Callable[[], Awaitable[T]],
        *,
        attempts: int,
        lost: Callable[[], None] | None = None,
    ) -> T:
        """Run one Bot API request; wait out 429s and retry network failures (bounded).

        ``lost`` is called each time the request's answer was lost (see the module doc).
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return await request()
            except RetryAfter as exc:
                wait = retry_after_seconds(exc.retry_after)
                if attempt >= attempts or wait > self._options.max_retry_after:
                    raise
                logger.info("telegram: rate limited (429), waiting %.1f s", wait)
                await asyncio.sleep(wait)
            except BadRequest:
                raise  # a NetworkError subclass, but retrying cannot help
            except (TimedOut, NetworkError) as exc:
                if lost is not None and lost_answer(exc):
                    lost()
                if attempt >= attempts:
                    raise
                delay = self._options.backoff(attempt)
                logger.info("telegram: %s; retrying in %.1f s", self._redact(exc), delay)
                await asyncio.sleep(delay)
