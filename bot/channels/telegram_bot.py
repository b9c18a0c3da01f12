"""The Telegram adapter's PTB side: options, the bot object, its transport, log redaction.

Nothing here talks to the engine; :mod:`bot.channels.telegram` builds on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from telegram.error import InvalidToken, TelegramError
from telegram.ext import ExtBot
from telegram.request import BaseRequest

from bot.application.app import App
from bot.channels.base import Capabilities, ChannelSetupError, RateGate
from bot.channels.telegram_mapping import CHANNEL
from bot.channels.telegram_request import AiohttpRequest, HttpxRequest

__all__ = [
    "CAPABILITIES",
    "PollingBot",
    "TelegramOptions",
    "TelegramSetupError",
    "fetch_bot_username",
    "redact",
    "redacting",
    "transport",
]

CAPABILITIES: Final = Capabilities(
    name=CHANNEL,
    text_limit=4096,
    buttons=True,
    files=True,
    edits=True,
    messages_per_second=30.0,
    per_chat_interval=1.0,
)


class TelegramSetupError(ChannelSetupError):
    """The Telegram channel cannot run (no or refused token, API unreachable)."""


@dataclass(frozen=True)
class TelegramOptions:
    """Tuning of the adapter; the defaults follow Telegram's published limits."""

    poll_timeout: int = 30  # seconds a getUpdates long poll waits for news
    poll_limit: int = 100  # updates per getUpdates (Telegram's maximum)
    min_poll_interval: float = 0.1  # after a short batch: lets a busy bot fetch in batches
    max_backlog: int = 512  # fetched updates still being handled before polling pauses
    max_concurrent_updates: int = 128  # handling mostly waits on Telegram: keep many going
    per_chat_interval: float = CAPABILITIES.per_chat_interval
    # Messages per second overall; None: TELEGRAM_MAX_MESSAGES_PER_SECOND (default 30).
    overall_max_rate: float | None = None
    group_max_rate: float = 20.0  # messages per minute to one group
    send_attempts: int = 4  # first try included
    max_retry_after: float = 60.0  # a longer 429 wait is not waited out
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    start_attempts: int = 5  # getMe tries at start-up before giving up
    shutdown_timeout: float = 30.0  # in-flight updates get this long to finish
    webhook_attempts: int = 3  # failures of one update before the webhook gives it up
    token_probe_interval: float = 30.0  # while Telegram refuses the token: getMe this often
    set_commands: bool = True
    http: Literal["aiohttp", "httpx"] = "aiohttp"  # the transport under PTB, see transport()
    read_timeout: float = 5.0  # seconds to wait for a Bot API answer (long polls: + timeout)
    # Several workers: the overall limit is the bot's, taken from a shared bucket.
    shared_rate: RateGate | None = None

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1, 2, ...) of a failed request."""
        return float(min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))


# -- keeping the token out of the log ------------------------------------------------------

#: Loggers that may see the token: httpx logs every request URL (INFO), PTB logs its
#: base URLs (DEBUG), and PTB's rate limiter logs the 429s the adapter handles itself.
_FILTERED_LOGGERS: Final = (
    "httpx",
    "httpcore",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.AIORateLimiter",
)


class _RedactFilter(logging.Filter):
    """Rewrites log records that contain the token; drops PTB's log of 429s we handle."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "telegram.ext.AIORateLimiter" and str(record.msg).startswith(
            "Rate limit hit after maximum"
        ):
            return False  # max_retries=0 by design: the adapter waits and retries itself
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "<token>"), None
        return True


@contextlib.contextmanager
def redacting(token: str) -> Iterator[None]:
    """Keep ``token`` out of the log while the block runs."""
    log_filter = _RedactFilter(token)
    for name in _FILTERED_LOGGERS:
        logging.getLogger(name).addFilter(log_filter)
    try:
        yield
    finally:
        for name in _FILTERED_LOGGERS:
            logging.getLogger(name).removeFilter(log_filter)


def redact(error: BaseException | str, token: str) -> str:
    """An error as one line for the log, without the token."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return text.replace(token, "<token>")


# -- the bot ---------------------------------------------------------------------------------


def transport(kind: str, pool_size: int, read_timeout: float) -> BaseRequest:
    """PTB's HTTP transport: aiohttp (about a third of httpx's CPU per request, see
    :mod:`bot.channels.telegram_request`) or PTB's own ``HTTPXRequest``."""
    if kind == "httpx":
        return HttpxRequest(connection_pool_size=pool_size, read_timeout=read_timeout)
    return AiohttpRequest(connection_pool_size=pool_size, read_timeout=read_timeout)


class PollingBot(ExtBot[Any]):
    """PTB's ExtBot plus a getUpdates that returns the raw updates.

    Every poll returns the unconfirmed updates again (the offset only moves once they are
    handled), so the polling loop builds ``Update`` objects only for those it has not seen:
    PTB's parsing is the costliest part of an update.
    """

    __slots__ = ()

    async def fetch_updates(
        self,
        *,
        offset: int | None,
        limit: int,
        timeout: int,  # noqa: ASYNC109 - the long-poll time Telegram waits, sent along
        allowed_updates: Sequence[str],
        read_timeout: float,
    ) -> list[dict[str, Any]]:
        result = await self._post(
            "getUpdates",
            {
                "offset": offset,
                "limit": limit,
                "timeout": timeout,
                "allowed_updates": list(allowed_updates),
            },
            read_timeout=read_timeout,
        )
        return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []

    async def post_raw(self, endpoint: str, params: dict[str, Any]) -> Any:
        """One Bot API call whose answer nobody reads: PTB's parameters, defaults, rate
        limiter, transport and errors (``BadRequest``, ``Forbidden``, ``RetryAfter``...),
        but no ``Message`` built from the answer. Building it was a third of the CPU of a
        sendMessage or editMessageText (see ``bench/telegram_updates.py``). ``None``
        values are left out, as in PTB's own methods.
        """
        return await self._post(endpoint, params)


async def fetch_bot_username(app: App) -> str:
    """The bot's @username (without @) from getMe; :class:`TelegramSetupError` if unknown."""
    settings = app.settings.telegram
    if settings.bot_token is None:
        raise TelegramSetupError("cli.channel.no_token", variable="TELEGRAM_BOT_TOKEN")
    token = settings.bot_token.get_secret_value()
    requests = (AiohttpRequest(connection_pool_size=1), AiohttpRequest(connection_pool_size=1))
    try:
        with redacting(token):
            bot: ExtBot[Any] = ExtBot(
                token,
                base_url=settings.api_base_url,
                base_file_url=settings.file_base_url,
                request=requests[0],
                get_updates_request=requests[1],
            )
            async with bot:
                return str(bot.username)
    except InvalidToken:
        raise TelegramSetupError(
            "cli.channel.token_refused", platform="Telegram", variable="TELEGRAM_BOT_TOKEN"
        ) from None
    except TelegramError as exc:
        raise TelegramSetupError(
            "cli.channel.unreachable", platform="Telegram", detail=redact(exc, token)
        ) from None
    finally:
        await asyncio.gather(*(request.shutdown() for request in requests))
