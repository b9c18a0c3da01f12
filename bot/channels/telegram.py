"""The Telegram channel: a thin adapter between the Bot API and the conversation engine.

Updates become :class:`~handlers.events.Event` (:mod:`bot.channels.telegram_mapping`),
the engine's replies become HTML messages, inline keyboards, edits and files
(:mod:`bot.channels.telegram_render`). Built the python-telegram-bot way
(``Application.builder()`` with ``AIORateLimiter``, resources opened in ``post_init`` and
released in ``post_shutdown``, no PTB persistence: state lives in our database), except
that updates are fetched by our own loop rather than PTB's ``Updater``:

* **Long polling** (default): ``getUpdates`` with an ``offset`` that only moves past an
  update once ``engine.handle()`` returned for it and for every earlier one. The engine
  stores the update id in the same transaction as its effects, so a crash loses nothing
  and a redelivered update is handled once. Updates of different chats are handled
  concurrently (bounded); those of one chat in order (:mod:`bot.channels.telegram_flow`).
* **Webhook** when ``TELEGRAM_WEBHOOK_URL`` is set: ``setWebhook`` with a secret token and
  ``POST /telegram/webhook`` on the shared :class:`~bot.channels.webserver.WebServer`. A
  request without the right ``X-Telegram-Bot-Api-Secret-Token`` gets 403 unread; 200 is
  answered only after the engine stored the update, 500 when it failed so Telegram
  redelivers (the person is told once; after ``webhook_attempts`` failures the update is
  given up so it cannot hold back everybody's later updates).

When handling an update fails, the traceback goes to the log once (``update <id> failed``)
and the person gets the localised ``error.generic`` text, never any detail. In polling mode
the update is then confirmed: the person was asked to try again, and retrying a bug
forever would hold back every later update.

Sending: Telegram's overall and group limits are PTB's ``AIORateLimiter`` (overall:
``TELEGRAM_MAX_MESSAGES_PER_SECOND``, 30 by default, also the outbox's pace); on top of it
messages to one chat are paced (``per_chat_interval``); a 429 waits ``retry_after`` and
retries, timeouts and 5xx retry with backoff (both bounded); a 403 marks the person
unreachable. :meth:`TelegramChannel.deliver` serves the outbox and raises the
:mod:`bot.channels.base` delivery errors instead of retrying.

The bot token is part of every Bot API URL; it is kept out of the log (httpx's request
log line is rewritten) and out of every message this module writes.

``PTB_TIMEDELTA``: python-telegram-bot 22 warns (``PTBDeprecationWarning``) whenever an
integer time span such as ``RetryAfter.retry_after`` is read, even inside its own
constructor, unless the environment opts in to ``datetime.timedelta`` values. With warnings
as errors that warning would replace every 429. The variable is read when such a value is
used, not at import; this module sets it (``setdefault``, so an operator's choice wins)
and reads ``retry_after`` in either form.
"""

from __future__ import annotations

import os

os.environ.setdefault("PTB_TIMEDELTA", "true")  # see the module docstring

import asyncio
import contextlib
import hmac
import logging
import secrets
import signal
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, TypeVar

from aiohttp import web
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
)
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
from telegram.ext import AIORateLimiter, Application, ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from bot.app import App
from bot.channels.base import (
    Capabilities,
    ChannelBlocked,
    ChannelPermanentError,
    ChannelRateLimited,
    ChannelTransientError,
    DeliveryError,
    Engine,
)
from bot.channels.telegram_flow import AckTracker, ChatPacer, ChatScheduler
from bot.channels.telegram_mapping import (
    ALLOWED_UPDATES,
    CHANNEL,
    GroupCommand,
    Reachability,
    chat_key,
    map_update,
)
from bot.channels.telegram_render import FileMessage, Outgoing, TextMessage, render_reply
from bot.channels.telegram_request import AiohttpRequest
from bot.channels.webserver import WebServer
from handlers.events import AttachmentKind, Event, EventKind, Reply
from locales import MissingMessageError, translator

__all__ = [
    "CAPABILITIES",
    "COMMAND_MENU",
    "SECRET_HEADER",
    "TelegramChannel",
    "TelegramOptions",
    "TelegramSetupError",
    "fetch_bot_username",
    "run_telegram",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

CAPABILITIES: Final = Capabilities(
    name=CHANNEL,
    text_limit=4096,
    buttons=True,
    files=True,
    edits=True,
    messages_per_second=30.0,
    per_chat_interval=1.0,
)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH: Final = "/telegram/webhook"
MAX_DOCUMENT_BYTES: Final = 50 * 1024 * 1024
MAX_PHOTO_BYTES: Final = 10 * 1024 * 1024

#: The command menu: (Vietnamese command, English command, description key). The
#: Vietnamese menu is the default; people whose Telegram is in English see the English one.
COMMAND_MENU: Final[tuple[tuple[str, str, str], ...]] = (
    ("start", "start", "telegram.menu.start"),
    ("hoi", "ask", "telegram.menu.ask"),
    ("cauhoi", "myquestions", "telegram.menu.questions"),
    ("sua", "edit", "telegram.menu.edit"),
    ("rut", "withdraw", "telegram.menu.withdraw"),
    ("huy", "cancel", "telegram.menu.cancel"),
    ("ngonngu", "language", "telegram.menu.language"),
    ("trogiup", "help", "telegram.menu.help"),
    ("xoa", "deletedata", "telegram.menu.delete"),
)


class TelegramSetupError(Exception):
    """The channel cannot run (no or refused token, API unreachable); one line, no secret."""


@dataclass(frozen=True)
class TelegramOptions:
    """Tuning of the adapter; the defaults follow Telegram's published limits."""

    poll_timeout: int = 30  # seconds a getUpdates long poll waits for news
    poll_limit: int = 100  # updates per getUpdates (Telegram's maximum)
    busy_poll_interval: float = 0.25  # re-poll pause while earlier updates are unfinished
    min_poll_interval: float = 0.02  # polls repeat the unfinished updates: not more often
    max_concurrent_updates: int = 64
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
    set_commands: bool = True
    http: Literal["aiohttp", "httpx"] = "aiohttp"  # the transport under PTB (see below)
    read_timeout: float = 5.0  # seconds to wait for a Bot API answer (long polls: + timeout)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_ref(chat_id: str) -> int | str:
    """Bot API chat ids are integers; ``@channelname`` stays text."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id


def _text(language: str | None, key: str, **values: Any) -> str:
    """A catalogue text in ``language``, in Vietnamese if that catalogue lacks it."""
    try:
        return translator(language).t(key, **values)
    except MissingMessageError:
        return translator("vi").t(key, **values)


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


@contextlib.contextmanager
def _redacting(token: str) -> Iterator[None]:
    """Keep ``token`` out of the log while the block runs."""
    log_filter = _RedactFilter(token)
    for name in _FILTERED_LOGGERS:
        logging.getLogger(name).addFilter(log_filter)
    try:
        yield
    finally:
        for name in _FILTERED_LOGGERS:
            logging.getLogger(name).removeFilter(log_filter)


def _transport(kind: str, pool_size: int, read_timeout: float) -> BaseRequest:
    """PTB's HTTP transport: aiohttp (about a third of httpx's CPU per request, see
    :mod:`bot.channels.telegram_request`) or PTB's own ``HTTPXRequest``."""
    if kind == "httpx":
        return HTTPXRequest(connection_pool_size=pool_size, read_timeout=read_timeout)
    return AiohttpRequest(connection_pool_size=pool_size, read_timeout=read_timeout)


class _FileTooLarge(Exception):
    pass


class _PollingBot(ExtBot[Any]):
    """PTB's ExtBot plus a getUpdates that returns the raw updates.

    Every poll returns the unconfirmed updates again (the offset only moves once they are
    handled), so the loop builds ``Update`` objects only for those it has not seen yet:
    PTB's parsing is by far the costliest part of an update.
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


class TelegramChannel:
    """The Telegram adapter (implements :class:`bot.channels.base.Channel`).

    ``start()`` connects (getMe), sets the command menu and starts polling or the webhook;
    ``stop()`` stops taking updates, lets in-flight ones finish and closes. ``serve(stop)``
    does both around waiting for ``stop``.
    """

    capabilities = CAPABILITIES

    def __init__(
        self,
        app: App,
        engine: Engine,
        *,
        options: TelegramOptions | None = None,
        web: WebServer | None = None,
    ) -> None:
        settings = app.settings.telegram
        if settings.bot_token is None:
            raise TelegramSetupError("TELEGRAM_BOT_TOKEN is not set")
        self._app = app
        self._engine = engine
        self._options = options or TelegramOptions()
        self._token = settings.bot_token.get_secret_value()
        self._webhook_url = settings.webhook_url
        secret = settings.webhook_secret
        self._secret = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        self._web = web
        self._own_web = False
        self._overall_rate = self._options.overall_max_rate or float(
            settings.max_messages_per_second
        )
        if self._overall_rate != CAPABILITIES.messages_per_second:
            # The outbox paces by the capabilities: keep it in step with the rate limiter.
            self.capabilities = replace(CAPABILITIES, messages_per_second=self._overall_rate)
        self._redaction = contextlib.ExitStack()
        self._application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._requests: tuple[BaseRequest, BaseRequest] | None = None
        self._scheduler = ChatScheduler(max_concurrency=self._options.max_concurrent_updates)
        self._tracker = AckTracker()
        self._pacer = ChatPacer(self._options.per_chat_interval)
        self._failures: OrderedDict[str, int] = OrderedDict()
        self._poll_task: asyncio.Task[None] | None = None
        self._stop_event = asyncio.Event()
        self._started = False
        self._accepting = False
        self._poll_errors = 0
        self.handled = 0
        self.failed = 0
        self._last_update_at: datetime | None = None

    # -- properties -------------------------------------------------------------------

    @property
    def application(self) -> Application[Any, Any, Any, Any, Any, Any]:
        if self._application is None:
            raise RuntimeError("the Telegram channel is not started")
        return self._application

    @property
    def bot(self) -> _PollingBot:
        bot = self.application.bot
        assert isinstance(bot, _PollingBot)
        return bot

    def _build(self) -> Application[Any, Any, Any, Any, Any, Any]:
        """The PTB application: our own loop fetches updates (no Updater, no JobQueue)."""
        settings = self._app.settings.telegram
        opts = self._options
        # Our own request objects, so that a failed start-up can close them too.
        self._requests = (
            _transport(opts.http, 256, opts.read_timeout),
            _transport(opts.http, 2, opts.read_timeout),
        )
        bot = _PollingBot(
            self._token,
            base_url=settings.api_base_url,
            base_file_url=settings.file_base_url,
            request=self._requests[0],
            get_updates_request=self._requests[1],
            rate_limiter=AIORateLimiter(
                overall_max_rate=self._overall_rate,
                overall_time_period=1,
                group_max_rate=opts.group_max_rate,
                group_time_period=60,
                max_retries=0,
            ),
        )
        return (
            Application.builder()
            .bot(bot)
            .updater(None)
            .job_queue(None)
            .post_init(self._post_init)
            .post_shutdown(self._post_shutdown)
            .build()
        )

    @property
    def bot_username(self) -> str:
        """The bot's @username without the @ (known after :meth:`start`)."""
        return str(self.bot.username)

    @property
    def mode(self) -> str:
        return "webhook" if self._webhook_url else "polling"

    @property
    def webhook_secret(self) -> str:
        return self._secret

    def health(self) -> dict[str, Any]:
        """What ``GET /healthz`` shows for Telegram."""
        return {
            "ok": self._started and self._poll_errors < 5,
            "mode": self.mode,
            "bot": self.bot_username if self._started else None,
            "in_flight": self._scheduler.in_flight,
            "handled": self.handled,
            "failed": self.failed,
            "last_update_at": self._last_update_at.isoformat() if self._last_update_at else None,
        }

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, set the menu and start taking updates; on failure nothing is left open."""
        if self._started:
            return
        self._stop_event = asyncio.Event()
        self._tracker = AckTracker()
        self._redaction.enter_context(_redacting(self._token))
        try:
            self._application = self._build()
            await self._initialize()
        except BaseException:
            if self._requests is not None:
                await asyncio.gather(*(request.shutdown() for request in self._requests))
            self._application = None
            self._redaction.close()
            raise
        self._started = True
        try:
            post_init = self.application.post_init
            if post_init is not None:
                await post_init(self.application)
            self._accepting = True
            if self._webhook_url:
                await self._start_webhook()
            else:
                self._poll_task = asyncio.create_task(self._poll(), name="telegram-polling")
        except BaseException:
            await self.stop()
            raise
        logger.info("telegram: @%s started (%s)", self.bot_username, self.mode)

    async def _initialize(self) -> None:
        attempts = max(1, self._options.start_attempts)
        for attempt in range(1, attempts + 1):
            try:
                await self.application.initialize()
                return
            except InvalidToken:
                raise TelegramSetupError(
                    "Telegram refused the bot token; check TELEGRAM_BOT_TOKEN"
                ) from None
            except TelegramError as exc:
                if attempt == attempts:
                    raise TelegramSetupError(
                        f"cannot reach the Telegram Bot API: {self._redact(exc)}"
                    ) from None
                delay = self._backoff(attempt)
                logger.warning("telegram: getMe failed (%s); retrying", self._redact(exc))
                await asyncio.sleep(delay)

    async def _post_init(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self._options.set_commands:
            await self._set_commands()

    async def _post_shutdown(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self._own_web and self._web is not None:
            await self._web.stop()
            self._web = None
            self._own_web = False
        self._redaction.close()

    async def _set_commands(self) -> None:
        """The command menu in Vietnamese (default) and English (``language_code="en"``)."""
        for language, index in (("vi", 0), ("en", 1)):
            commands = [
                BotCommand(entry[index], _text(language, entry[2])) for entry in COMMAND_MENU
            ]
            try:
                await self.bot.set_my_commands(
                    commands, language_code=None if language == "vi" else language
                )
            except TelegramError as exc:
                logger.warning("telegram: setMyCommands failed: %s", self._redact(exc))

    async def stop(self) -> None:
        """Stop taking updates, finish the in-flight ones, confirm them, close."""
        if not self._started:
            return
        self._accepting = False
        self._stop_event.set()
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramSetupError):
                await self._poll_task
        finished = await self._scheduler.drain(self._options.shutdown_timeout)
        if not finished:
            logger.warning(
                "telegram: some updates did not finish in time; they will be redelivered"
            )
        if self._poll_task is not None:
            self._poll_task = None
            await self._confirm()
        if self._web is not None:
            self._web.remove_route("POST", WEBHOOK_PATH)
            self._web.remove_health_check(CHANNEL)
        self._started = False
        application = self.application
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        self._application = None
        logger.info("telegram: stopped")

    async def serve(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set (or polling fails for good), then stop cleanly."""
        await self.start()
        try:
            waiter = asyncio.create_task(stop.wait())
            watched: set[asyncio.Task[Any]] = {waiter}
            if self._poll_task is not None:
                watched.add(self._poll_task)
            await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            poll = self._poll_task
            if poll is not None and poll.done() and not poll.cancelled():
                error = poll.exception()
                if error is not None:
                    raise error
        finally:
            await self.stop()

    # -- polling ----------------------------------------------------------------------

    async def _poll(self) -> None:
        opts = self._options
        tracker = self._tracker
        assert self._requests is not None
        base_read_timeout = self._requests[1].read_timeout or 5.0
        loop = asyncio.get_running_loop()
        with contextlib.suppress(TelegramError):
            await self.bot.delete_webhook(drop_pending_updates=False)
        while not self._stop_event.is_set():
            offset = tracker.offset
            if tracker.in_flight >= opts.poll_limit:
                # The window is full: getUpdates would only repeat the unfinished updates.
                await tracker.wait_progress(1.0, since=offset)
                continue
            timeout = 0 if tracker.in_flight else opts.poll_timeout
            polled_at = loop.time()
            try:
                raw = await self.bot.fetch_updates(
                    offset=offset,
                    limit=opts.poll_limit,
                    timeout=timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    read_timeout=base_read_timeout + timeout,
                )
            except InvalidToken:
                raise TelegramSetupError(
                    "Telegram refused the bot token; check TELEGRAM_BOT_TOKEN"
                ) from None
            except RetryAfter as exc:
                await self._pause(_seconds(exc.retry_after))
                continue
            except TelegramError as exc:  # Conflict, TimedOut, NetworkError, 5xx
                self._poll_errors += 1
                delay = self._backoff(self._poll_errors)
                level = logging.INFO if isinstance(exc, TimedOut) else logging.WARNING
                logger.log(
                    level,
                    "telegram: getUpdates failed (%s); retrying in %.1f s",
                    self._redact(exc),
                    delay,
                )
                await self._pause(delay)
                continue
            self._poll_errors = 0
            fresh = 0
            for data in raw:
                update_id = data.get("update_id")
                if isinstance(update_id, int) and tracker.is_new(update_id):
                    self._dispatch_polled(update_id, data)
                    fresh += 1
            if tracker.in_flight:
                # Each poll returns every unconfirmed update again: poll once an update is
                # confirmed (or after a short pause), not in a busy loop.
                if not fresh or len(raw) < opts.poll_limit:
                    await tracker.wait_progress(opts.busy_poll_interval, since=offset)
                pause = polled_at + opts.min_poll_interval - loop.time()
                if pause > 0:
                    await self._pause(pause)

    def _dispatch_polled(self, update_id: int, data: dict[str, Any]) -> None:
        self._tracker.dispatched(update_id)
        try:
            update = Update.de_json(data, self.bot)
        except Exception:  # nothing Telegram would send; confirm it rather than loop on it
            logger.exception("update %s failed", update_id)
            self._tracker.finished(update_id)
            return

        async def job() -> bool:
            stored = await self._process(update)
            # Not reached when cancelled at shutdown: the update stays unconfirmed and
            # Telegram delivers it again to the next run.
            self._tracker.finished(update_id)
            return stored

        self._scheduler.submit(chat_key(update), job)

    async def _confirm(self) -> None:
        """Tell Telegram which updates are done, so a restart does not get them again."""
        if self._tracker.offset is None:
            return
        with contextlib.suppress(TelegramError):
            await self.bot.fetch_updates(
                offset=self._tracker.offset,
                limit=1,
                timeout=0,
                allowed_updates=ALLOWED_UPDATES,
                read_timeout=5.0,
            )

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), seconds)

    # -- webhook ----------------------------------------------------------------------

    async def _start_webhook(self) -> None:
        if self._web is None:
            web_settings = self._app.settings.web
            self._web = WebServer(host=web_settings.host, port=web_settings.port)
            self._own_web = True
        self._web.add_route("POST", WEBHOOK_PATH, self._on_webhook)
        self._web.add_health_check(CHANNEL, self.health)
        if not self._web.running:
            await self._web.start()
        assert self._webhook_url is not None
        try:
            await self.bot.set_webhook(
                url=self._webhook_url,
                secret_token=self._secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        except TelegramError as exc:
            raise TelegramSetupError(f"setWebhook failed: {self._redact(exc)}") from None

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), self._secret.encode()):
            logger.info("telegram: refused a webhook request without the right secret token")
            return web.json_response({"ok": False}, status=403)
        if not self._accepting:
            return web.json_response({"ok": False}, status=503)
        try:
            data = await request.json()
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.bot)
        except Exception:  # malformed body: nothing Telegram would send
            return web.json_response({"ok": False}, status=400)
        task = self._scheduler.submit(chat_key(update), lambda: self._process(update))
        stored = await asyncio.shield(task)
        return web.json_response({"ok": stored}, status=200 if stored else 500)

    # -- handling ---------------------------------------------------------------------

    async def process_update(self, update: Update) -> bool:
        """Handle one update now (tests, custom transports); ``True`` when it is done."""
        return await self._process(update)

    async def _process(self, update: Update) -> bool:
        self._last_update_at = datetime.now(UTC)
        query = update.callback_query
        answered = False

        async def answer() -> None:
            nonlocal answered
            if query is not None and not answered:
                answered = True
                await self._answer(query)

        try:
            incoming = map_update(update, bot_username=self.bot_username)
            if isinstance(incoming, Event):
                return await self._process_event(incoming, answer)
            if isinstance(incoming, GroupCommand):
                await self._redirect_group(incoming)
            elif isinstance(incoming, Reachability):
                await self._set_reachable(incoming.user_id, reachable=incoming.reachable)
            return True
        except Exception:
            logger.exception("update %s failed", update.update_id)
            self.failed += 1
            return False
        finally:
            await answer()

    async def _process_event(self, event: Event, answer: Callable[[], Awaitable[None]]) -> bool:
        try:
            replies = await self._engine.handle(event)
        except Exception:
            logger.exception("update %s failed", event.update_id)
            self.failed += 1
            await answer()
            failures = self._count_failure(event.update_id or "")
            if failures == 1:
                error = Reply(_text(event.language_code, "error.generic"))
                await self._send_replies(event, [error])
            return self.mode == "polling" or failures >= self._options.webhook_attempts
        await answer()
        await self._send_replies(event, replies)
        self.handled += 1
        return True

    def _count_failure(self, update_id: str) -> int:
        count = self._failures.pop(update_id, 0) + 1
        self._failures[update_id] = count
        while len(self._failures) > 1024:
            self._failures.popitem(last=False)
        return count

    async def _answer(self, query: CallbackQuery) -> None:
        """Every button press is answered (stops the client's spinner), even a forged one."""
        try:
            await self.bot.answer_callback_query(query.id)
        except TelegramError as exc:
            logger.debug("telegram: answerCallbackQuery failed: %s", self._redact(exc))

    async def _send_replies(self, event: Event, replies: list[Reply]) -> None:
        """Render the engine's replies to the person, in order.

        ``replaces_prompt`` edits the prompt whose button was pressed when it is the first
        message of the answer; after other messages an edit would show the new prompt
        above them, so the old prompt only loses its buttons and the new one is sent.
        """
        chat = _chat_ref(event.reply_chat)
        prompt: int | None = None
        if event.kind == EventKind.BUTTON and event.message_id and event.message_id.isdigit():
            prompt = int(event.message_id)
        sent = 0
        for reply in replies:
            edit_target: int | None = None
            if reply.replaces_prompt and prompt is not None:
                if sent == 0:
                    edit_target = prompt
                else:
                    await self._clear_keyboard(chat, prompt)
                prompt = None
            for item in render_reply(reply, edit_first=edit_target is not None):
                try:
                    await self._send_item(
                        chat, item, attempts=self._options.send_attempts, edit_target=edit_target
                    )
                    sent += 1
                except Forbidden:
                    await self._set_reachable(event.user_id, reachable=False)
                    return
                except (TelegramError, _FileTooLarge, OSError) as exc:
                    logger.warning("telegram: a message was not delivered: %s", self._redact(exc))

    async def _clear_keyboard(self, chat: int | str, message_id: int) -> None:
        try:
            async with self._pacer.turn(str(chat)):
                await self.bot.edit_message_reply_markup(chat, message_id, reply_markup=None)
        except TelegramError as exc:
            logger.debug("telegram: could not clear an old keyboard: %s", self._redact(exc))

    async def _redirect_group(self, command: GroupCommand) -> None:
        """Point to a private chat: questions (and names) are never taken in a group."""
        link = f"https://t.me/{self.bot_username}?start={command.payload or 'g'}"
        language = command.language_code
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(_text(language, "telegram.group.button"), url=link)]]
        )
        text = TextMessage(_text(language, "telegram.group.redirect"), markup)
        try:
            await self._send_item(
                command.chat_id,
                text,
                attempts=self._options.send_attempts,
                reply_to=command.message_id,
            )
        except TelegramError as exc:
            logger.info("telegram: no answer to a group command: %s", self._redact(exc))

    async def _set_reachable(self, user_id: str, *, reachable: bool) -> None:
        """A person who blocked the bot (403) is not messaged again until they return."""
        people = self._app.store.people
        person = await people.by_identity(CHANNEL, user_id)
        if person is not None and person.unreachable == reachable:
            await people.set_unreachable(person.id, not reachable)
            logger.info(
                "telegram: person %s is %s",
                person.id,
                "reachable again" if reachable else "unreachable (blocked the bot)",
            )

    # -- sending ----------------------------------------------------------------------

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        """Send one reply for the outbox; raise a :class:`DeliveryError` on failure.

        The first message is tried once (the outbox decides about retrying); once part of
        a reply went out, the remaining parts are retried here so that a retry by the
        outbox does not repeat the delivered ones.
        """
        if not self._started:
            raise ChannelTransientError("the Telegram channel is not started")
        chat = _chat_ref(chat_id)
        try:
            for index, item in enumerate(render_reply(reply)):
                attempts = 1 if index == 0 else self._options.send_attempts
                await self._send_item(chat, item, attempts=attempts)
        except TelegramError as exc:
            raise self._delivery_error(exc) from None
        except (_FileTooLarge, OSError) as exc:
            raise ChannelPermanentError(str(exc)) from None

    def _delivery_error(self, exc: TelegramError) -> DeliveryError:
        message = self._redact(exc)
        if isinstance(exc, RetryAfter):
            return ChannelRateLimited(_seconds(exc.retry_after))
        if isinstance(exc, Forbidden):
            return ChannelBlocked(message)
        if isinstance(exc, BadRequest | InvalidToken | ChatMigrated):
            return ChannelPermanentError(message)
        return ChannelTransientError(message)  # TimedOut, NetworkError (5xx), others

    async def _send_item(
        self,
        chat: int | str,
        item: Outgoing,
        *,
        attempts: int,
        edit_target: int | None = None,
        reply_to: int | None = None,
    ) -> None:
        bot = self.bot
        async with self._pacer.turn(str(chat)):
            if isinstance(item, TextMessage):
                if item.edit and edit_target is not None:
                    try:
                        await self._call(
                            lambda: bot.edit_message_text(
                                item.html,
                                chat_id=chat,
                                message_id=edit_target,
                                parse_mode=ParseMode.HTML,
                                reply_markup=item.keyboard,
                            ),
                            attempts=attempts,
                        )
                        return
                    except BadRequest as exc:  # not modified, gone, too old: send anew
                        logger.debug("telegram: prompt not edited (%s)", self._redact(exc))
                parameters = (
                    ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if reply_to is not None
                    else None
                )
                await self._call(
                    lambda: bot.send_message(
                        chat,
                        item.html,
                        parse_mode=ParseMode.HTML,
                        reply_markup=item.keyboard,
                        reply_parameters=parameters,
                    ),
                    attempts=attempts,
                )
                return
            await self._send_file(chat, item, attempts=attempts)

    async def _send_file(self, chat: int | str, item: FileMessage, *, attempts: int) -> None:
        size = item.path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise _FileTooLarge(f"{item.path.name} is {size} bytes, over Telegram's 50 MB")
        content = await asyncio.to_thread(item.path.read_bytes)
        bot = self.bot
        caption = item.caption_html or None
        if item.kind == AttachmentKind.PHOTO and size <= MAX_PHOTO_BYTES:
            await self._call(
                lambda: bot.send_photo(
                    chat,
                    content,
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                    reply_markup=item.keyboard,
                    filename=item.path.name,
                ),
                attempts=attempts,
            )
            return
        await self._call(
            lambda: bot.send_document(
                chat,
                content,
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_markup=item.keyboard,
                filename=item.path.name,
            ),
            attempts=attempts,
        )

    async def _call(self, request: Callable[[], Awaitable[T]], *, attempts: int) -> T:
        """Run one Bot API request; wait out 429s and retry network failures (bounded)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await request()
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                if attempt >= attempts or wait > self._options.max_retry_after:
                    raise
                logger.info("telegram: rate limited (429), waiting %.1f s", wait)
                await asyncio.sleep(wait)
            except BadRequest:
                raise  # a NetworkError subclass, but retrying cannot help
            except (TimedOut, NetworkError) as exc:
                if attempt >= attempts:
                    raise
                delay = self._backoff(attempt)
                logger.info("telegram: %s; retrying in %.1f s", self._redact(exc), delay)
                await asyncio.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        opts = self._options
        return float(min(opts.backoff_max, opts.backoff_base * 2 ** (attempt - 1)))

    def _redact(self, exc: BaseException | str) -> str:
        text = str(exc) if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        return text.replace(self._token, "<token>")


async def run_telegram(
    app: App,
    engine: Engine,
    *,
    stop: asyncio.Event | None = None,
    web: WebServer | None = None,
    options: TelegramOptions | None = None,
) -> None:
    """Run the Telegram channel until ``stop`` is set.

    Without ``stop`` this installs SIGINT/SIGTERM handlers that stop it (``youthbot run``
    passes its own event to run several channels in one process, and a shared ``web``
    server for the webhooks and ``/healthz``). Raises :class:`TelegramSetupError` when
    the channel cannot run.
    """
    channel = TelegramChannel(app, engine, options=options, web=web)
    own_stop = stop is None
    stop_event = asyncio.Event() if stop is None else stop
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if own_stop:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop_event.set)
                installed.append(signum)
    try:
        await channel.serve(stop_event)
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def fetch_bot_username(app: App) -> str:
    """The bot's @username (without @) from getMe; :class:`TelegramSetupError` if unknown."""
    settings = app.settings.telegram
    if settings.bot_token is None:
        raise TelegramSetupError("TELEGRAM_BOT_TOKEN is not set")
    token = settings.bot_token.get_secret_value()
    requests = (AiohttpRequest(connection_pool_size=1), AiohttpRequest(connection_pool_size=1))
    try:
        with _redacting(token):
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
            "Telegram refused the bot token; check TELEGRAM_BOT_TOKEN"
        ) from None
    except TelegramError as exc:
        message = f"{type(exc).__name__}: {exc}".replace(token, "<token>")
        raise TelegramSetupError(f"cannot reach the Telegram Bot API: {message}") from None
    finally:
        await asyncio.gather(*(request.shutdown() for request in requests))
