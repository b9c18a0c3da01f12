"""The Telegram channel: a thin adapter between the Bot API and the conversation engine.

Updates become :class:`~handlers.events.Event` (:mod:`bot.channels.telegram_mapping`),
the engine's replies become HTML messages, inline keyboards, edits and files
(:mod:`bot.channels.telegram_render`, sent by :mod:`bot.channels.telegram_sender`). Built
the python-telegram-bot way (``Application.builder()`` with ``AIORateLimiter``, resources
opened in ``post_init`` and released in ``post_shutdown``, no PTB persistence: state lives
in our database), except that updates are fetched by our own loop rather than PTB's
``Updater``, and that PTB's HTTP transport is aiohttp (:mod:`bot.channels.telegram_request`;
``TelegramOptions(http="httpx")`` gives PTB's own):

* **Long polling** (default, :mod:`bot.channels.telegram_polling`): each update is stored
  (``update_inbox``) before the getUpdates offset moves past it, and its stored copy is
  deleted in the transaction that handles it; the engine records the update id in that
  transaction too, so a crash loses nothing and a redelivered update is handled once. A
  start handles what a crash or a stop left (not what is older than a day, nor answering
  presses Telegram no longer waits for). Updates of different chats are handled
  concurrently (bounded); those of one chat in order (:mod:`bot.channels.telegram_flow`).
* **Webhook** when ``TELEGRAM_WEBHOOK_URL`` is set: ``setWebhook`` with a secret token
  (``TELEGRAM_WEBHOOK_SECRET``, or a random one per start) and ``POST /telegram/webhook``
  on the shared :class:`~bot.channels.webserver.WebServer`. A request without the right
  ``X-Telegram-Bot-Api-Secret-Token`` (or one that is not even UTF-8) gets 403 unread;
  200 is answered only after the engine stored the update and its replies, 500 when it
  failed so Telegram redelivers (the person is told once; after ``webhook_attempts``
  failures the update is given up so it cannot hold back everybody's later updates).

Replies: the engine's replies are stored with its effects and delivered by
:class:`~bot.delivery.replies.ReplySender` (:meth:`TelegramChannel.send_stored`), at once
when the chat has nothing waiting, else in the chat's order; through outages, restarts and
a refused token (which pauses the channel, :class:`~bot.channels.lifecycle.TokenGuard`),
at least once, resends marked.

When handling an update fails, the traceback goes to the log once (``update <id> failed``)
and the person gets the localised ``error.generic`` text, never any detail. In polling mode
the update is then confirmed: the person was asked to try again, and retrying a bug
forever would hold back every later update. (A database kept busy by another process is
no bug: the update is handled again until the lock goes, see
:func:`bot.delivery.replies.handle_polled`.)

Sending: Telegram's overall and group limits are PTB's ``AIORateLimiter`` (overall:
``TELEGRAM_MAX_MESSAGES_PER_SECOND``, 30 by default, also the outbox's pace); on top of it
messages to one chat are paced (``per_chat_interval``). Each stored reply's messages are
tried once per try (the reply sender waits ``retry_after`` on a 429 and backs off on
timeouts and 5xx); an edit answered "message is not modified" is done; a 403 marks the
person unreachable. :meth:`TelegramChannel.deliver` serves the outbox and raises the
:mod:`bot.channels.base` delivery errors instead of retrying. A 5xx HTML error page or a
timeout is one short log line, never a traceback (:mod:`bot.channels.telegram_request`).

Groups: only ``/start`` and commands addressed to ``@<bot>`` are answered, with a button
to a private chat; nothing said in a group reaches the engine.

The bot token is part of every Bot API URL; it is kept out of the log (PTB's and httpx's
records are rewritten while the channel runs) and out of every message this module writes.

``PTB_TIMEDELTA``: python-telegram-bot 22 warns (``PTBDeprecationWarning``) whenever an
integer time span such as ``RetryAfter.retry_after`` is read, even inside its own
constructor, unless the environment opts in to ``datetime.timedelta`` values. With warnings
as errors that warning would replace every 429. The variable is read when such a value is
used, not at import; this module sets it (``setdefault``, so an operator's choice wins)
and ``retry_after`` is read in either form.
"""

from __future__ import annotations

import os

os.environ.setdefault("PTB_TIMEDELTA", "true")  # see the module docstring

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from functools import partial
from typing import Any, Final

from aiohttp import web
from telegram import BotCommand, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application
from telegram.request import BaseRequest

from bot.application.app import App
from bot.channels.base import (
    ChannelBlocked,
    ChannelPermanentError,
    ChannelTransientError,
    ChannelUnauthorized,
    Engine,
    RateGate,
    merge_replies,
)
from bot.channels.lifecycle import (
    REPLAY_MAX_AGE,
    ChannelLifecycle,
    TokenGuard,
    catalogue_text,
    serve_until_stopped,
)
from bot.channels.telegram_bot import (
    CAPABILITIES,
    PollingBot,
    TelegramOptions,
    TelegramSetupError,
    fetch_bot_username,
    redact,
    redacting,
    transport,
)
from bot.channels.telegram_flow import AckTracker, ChatPacer
from bot.channels.telegram_mapping import (
    ALLOWED_UPDATES,
    CHANNEL,
    GroupCommand,
    Reachability,
    chat_key,
    map_update,
)
from bot.channels.telegram_polling import Poller
from bot.channels.telegram_render import TEXT_LIMIT, Keyboard, TextMessage, render_reply
from bot.channels.telegram_sender import FileTooLarge, Sender, chat_ref, delivery_error
from bot.channels.webserver import WebServer
from bot.delivery.replies import (
    Delivery,
    ReplySender,
    stored_content,
)
from handlers.delivery import encode_replies
from handlers.events import Event, EventKind, Reply
from locales import DEFAULT_LANGUAGE
from storage.replies import StoredReply

__all__ = [
    "CAPABILITIES",
    "COMMAND_MENU",
    "SECRET_HEADER",
    "WEBHOOK_PATH",
    "TelegramChannel",
    "TelegramOptions",
    "TelegramSetupError",
    "fetch_bot_username",
    "run_telegram",
]

logger = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH: Final = "/telegram/webhook"

#: The command menu: (Vietnamese command, English command, description key). The menu is
#: Vietnamese for everyone; the English commands work too (``/ask``, ``/help``...).
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

PtbApplication = Application[Any, Any, Any, Any, Any, Any]

#: A button press older than this is not answered (answerCallbackQuery): Telegram has
#: stopped the spinner and would only say "query is too old" (a press replayed after a
#: restart).
CALLBACK_ANSWER_WINDOW: Final = 10.0
#: Files the engine may read, fetched before it runs: a department's filled answer sheet.
READABLE: Final = (".xlsx",)
#: A larger file is not fetched (an answer sheet of a few hundred rows is ~50 KB).
MAX_READ_BYTES: Final = 5 * 1024 * 1024


class Outcome(Enum):
    """What became of one update (the stored copy of a polled one follows from it)."""

    HANDLED = "handled"  # the engine's transaction took it (and its stored copy)
    DONE = "done"  # done with outside the engine: the stored copy is forgotten
    FAILED = "failed"  # not done: a webhook asks Telegram to redeliver


@dataclass(frozen=True, slots=True)
class _Step:
    """One Bot API call of a stored reply: a message (an edit when ``edit_target``), or
    taking the buttons off an answered prompt (``clear``)."""

    item: Any = None  # telegram_render.Outgoing
    edit_target: int | None = None
    clear: int | None = None


class TelegramChannel(ChannelLifecycle):
    """The Telegram adapter (implements :class:`bot.channels.base.Channel`).

    ``start()`` connects (getMe), sets the command menu and starts polling or the webhook;
    ``stop()`` stops taking updates, lets in-flight ones finish and closes. ``serve(stop)``
    does both around waiting for ``stop``.
    """

    capabilities = CAPABILITIES
    _channel = CHANNEL
    _log = logger
    _webhook_path = WEBHOOK_PATH
    _secret_header = SECRET_HEADER
    _setup_error = TelegramSetupError

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
            raise TelegramSetupError("cli.channel.no_token", variable="TELEGRAM_BOT_TOKEN")
        self._options = options or TelegramOptions()
        super().__init__(
            app,
            engine,
            web=web,
            webhook_url=settings.webhook_url,
            webhook_secret=settings.webhook_secret,
            max_concurrent_updates=self._options.max_concurrent_updates,
        )
        self._token = settings.bot_token.get_secret_value()
        self._overall_rate = self._options.overall_max_rate or float(
            settings.max_messages_per_second
        )
        if self._overall_rate != CAPABILITIES.messages_per_second:
            # The outbox paces by the capabilities: keep it in step with the rate limiter.
            self.capabilities = replace(CAPABILITIES, messages_per_second=self._overall_rate)
        self._redact = partial(redact, token=self._token)
        self._redaction = contextlib.ExitStack()
        self._application: PtbApplication | None = None
        self._requests: tuple[BaseRequest, BaseRequest] | None = None
        self._sender: Sender | None = None
        self._poller: Poller | None = None
        self._tracker = AckTracker()
        self._pacer = ChatPacer(self._options.per_chat_interval)
        # The buttons a prompt shows since a press changed it (edited into the next step,
        # or cleared): a second press of an old button on it (a double tap) must not edit
        # or clear it again (Telegram answers 400, or the new step's buttons would go).
        self._shown: OrderedDict[tuple[str, int], frozenset[str]] = OrderedDict()
        self._replies: ReplySender | None = None
        self._guard = TokenGuard(
            CHANNEL,
            "TELEGRAM_BOT_TOKEN",
            logger,
            self._probe_token,
            interval=self._options.token_probe_interval,
        )

    # -- properties -------------------------------------------------------------------

    @property
    def application(self) -> PtbApplication:
        if self._application is None:
            raise RuntimeError("the Telegram channel is not started")
        return self._application

    @property
    def bot(self) -> PollingBot:
        bot = self.application.bot
        assert isinstance(bot, PollingBot)
        return bot

    @property
    def sender(self) -> Sender:
        if self._sender is None:
            raise RuntimeError("the Telegram channel is not started")
        return self._sender

    @property
    def bot_username(self) -> str:
        """The bot's @username without the @ (known after :meth:`start`)."""
        return str(self.bot.username)

    def health(self) -> dict[str, Any]:
        """What ``GET /healthz`` shows for Telegram."""
        poll_errors = self._poller.errors if self._poller is not None else 0
        replies = self._replies
        return {
            "ok": self._started and poll_errors < 5 and not self._guard.refused,
            "mode": self.mode,
            "bot": self.bot_username if self._started else None,
            "in_flight": self._scheduler.in_flight,
            "handled": self.handled,
            "failed": self.failed,
            "token_refused": self._guard.refused,
            "replies_waiting": replies.pending if replies is not None else 0,
            "replies_resent": replies.stats["resent"] if replies is not None else 0,
            "last_update_at": self._last_update_at.isoformat() if self._last_update_at else None,
        }

    # -- lifecycle --------------------------------------------------------------------

    def _build(self) -> PtbApplication:
        """The PTB application: our own loop fetches updates (no Updater, no JobQueue)."""
        settings = self._app.settings.telegram
        opts = self._options
        # Our own request objects, so that a failed start-up can close them too.
        self._requests = (
            transport(opts.http, 256, opts.read_timeout),
            transport(opts.http, 2, opts.read_timeout),
        )
        bot = PollingBot(
            self._token,
            base_url=settings.api_base_url,
            base_file_url=settings.file_base_url,
            request=self._requests[0],
            get_updates_request=self._requests[1],
            rate_limiter=SharedRateLimiter(
                opts.shared_rate,
                overall_max_rate=self._overall_rate,
                overall_time_period=1,
                group_max_rate=opts.group_max_rate,
                group_time_period=60,
                max_retries=0,  # the adapter waits and retries itself (bounded)
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

    async def start(self) -> None:
        """Connect, set the menu and start taking updates; on failure nothing is left open."""
        if self._started:
            return
        self._stop_event = asyncio.Event()
        self._tracker = AckTracker()
        self._redaction.enter_context(redacting(self._token))
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
            # Replies a crash or a stop left go first, before anything new is handled.
            self._replies = ReplySender(
                self._app.store,
                CHANNEL,
                self,
                logger=logger,
                max_concurrency=self._options.max_concurrent_updates,
                backoff=self._options.backoff,
            )
            await self._replies.start()
            self._accepting = True
            if self._webhook_url:
                await self._start_webhook()
            else:
                await self._replay_inbox()
                self._poller = Poller(
                    self.bot,
                    tracker=self._tracker,
                    keep=self._keep_updates,
                    dispatch=self._dispatch_polled,
                    stop=self._stop_event,
                    options=self._options,
                    redact=self._redact,
                    guard=self._guard,
                )
                self._poll_task = asyncio.create_task(self._poller.run(), name="telegram-poll")
            if self._web is not None:  # shared with Zalo's webhook, or our own
                self._web.add_health_check(CHANNEL, self.health)
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
                    "cli.channel.token_refused", platform="Telegram", variable="TELEGRAM_BOT_TOKEN"
                ) from None
            except TelegramError as exc:
                if attempt == attempts:
                    raise TelegramSetupError(
                        "cli.channel.unreachable", platform="Telegram", detail=self._redact(exc)
                    ) from None
                logger.warning("telegram: getMe failed (%s); retrying", self._redact(exc))
                await asyncio.sleep(self._options.backoff(attempt))

    async def _post_init(self, application: PtbApplication) -> None:
        self._sender = Sender(
            self.bot, pacer=self._pacer, options=self._options, redact=self._redact
        )
        if self._options.set_commands:
            await self._set_commands()

    async def _post_shutdown(self, application: PtbApplication) -> None:
        await self._stop_own_web()
        self._sender = None
        self._redaction.close()

    async def _set_commands(self) -> None:
        """One command menu, in Vietnamese, whatever the app's language: the bot speaks
        Vietnamese until a person asks for English (most young Vietnamese use Telegram in
        English). A menu for English apps left by an earlier version is removed."""
        commands = [BotCommand(entry[0], catalogue_text("vi", entry[2])) for entry in COMMAND_MENU]
        try:
            await self.bot.set_my_commands(commands)
            await self.bot.delete_my_commands(language_code="en")
        except TelegramError as exc:
            logger.warning("telegram: setMyCommands failed: %s", self._redact(exc))

    async def stop(self) -> None:
        """Stop taking updates, finish the in-flight ones, deliver their replies (within
        ``shutdown_timeout`` in all), confirm the updates to Telegram, close. A clean stop
        leaves nothing to replay: handled updates are gone from the inbox, and what could
        not be delivered in time waits, stored, for the next start."""
        if not self._started:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._options.shutdown_timeout
        if not await self._stop_taking_updates(self._options.shutdown_timeout):
            logger.warning(
                "telegram: updates cut short by the stop are stored; the next start handles them"
            )
        if self._replies is not None:
            grace = 0.0 if self._guard.refused else max(0.0, deadline - loop.time())
            await self._replies.stop(grace)  # kept: its counts stay in health()
        await self._guard.close()
        if self._poller is not None:
            await self._poller.confirm()
            self._poller = None
        self._remove_webhook_route()
        self._started = False
        application = self.application
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        self._application = None
        logger.info("telegram: stopped")

    # -- updates in -------------------------------------------------------------------

    async def _keep_updates(self, updates: list[tuple[int, str]]) -> None:
        """Store polled updates before Telegram is told to forget them (see the poller)."""
        await self._app.store.updates.receive(
            CHANNEL,
            [(str(update_id), update_id, payload) for update_id, payload in updates],
            now=self._app.clock.now(),
        )

    async def _replay_inbox(self) -> None:
        """Handle the stored updates a crash or a stop cut short, before new ones; those
        older than ``REPLAY_MAX_AGE`` are dropped instead (see there)."""
        updates = self._app.store.updates
        now = self._app.clock.now()
        dropped = await updates.forget_received_before(CHANNEL, now - REPLAY_MAX_AGE)
        if dropped:
            logger.warning(
                "telegram: %d stored update(s) older than %d hours dropped, not handled",
                dropped,
                REPLAY_MAX_AGE.total_seconds() // 3600,
            )
        stored = await updates.inbox(CHANNEL)
        for item in stored:
            try:
                data = json.loads(item.payload)
            except ValueError:
                data = {}
            age = (now - item.received_at).total_seconds()
            self._dispatch_polled(
                int(item.update_id), data if isinstance(data, dict) else {}, age=age
            )
        if stored:
            logger.info("telegram: handling %d stored update(s) left by the last run", len(stored))

    def _dispatch_polled(self, update_id: int, data: dict[str, Any], *, age: float = 0.0) -> None:
        self._tracker.dispatched(update_id)
        try:
            update = Update.de_json(_without_keyboard(data), self.bot)
        except Exception:  # nothing Telegram would send; forget it rather than loop on it
            logger.warning("telegram: update %s is not an update; dropped", update_id)
            self._tracker.finished(update_id)
            self._forget_soon(update_id)
            return

        async def job() -> Outcome:
            outcome = await self._process(update, age=age)
            # Not reached when cancelled at shutdown: the update stays stored and the next
            # start handles it.
            self._tracker.finished(update_id)
            if outcome is not Outcome.HANDLED:  # polled: never redelivered, so done with
                await self._forget(update_id)
            return outcome

        self._scheduler.submit(chat_key(update), job)

    async def _forget(self, update_id: int) -> None:
        try:
            await self._app.store.updates.forget(CHANNEL, str(update_id))
        except Exception as exc:  # handled again at the next start, which is harmless
            logger.warning("telegram: could not forget update %s: %s", update_id, exc)

    def _forget_soon(self, update_id: int) -> None:
        self._scheduler.submit(f"forget:{update_id}", lambda: self._forget(update_id))

    async def _start_webhook(self) -> None:
        server = self._add_webhook_route()
        if not server.running:
            await server.start()
        assert self._webhook_url is not None
        try:
            await self.bot.set_webhook(
                url=self._webhook_url,
                secret_token=self._secret,
                allowed_updates=list(ALLOWED_UPDATES),
                max_connections=self._app.settings.telegram.webhook_max_connections,
            )
        except TelegramError as exc:
            raise TelegramSetupError(
                "cli.channel.webhook_failed", platform="Telegram", detail=self._redact(exc)
            ) from None

    async def _on_webhook(self, request: web.Request) -> web.Response:
        refused = self._refuse_webhook(request)
        if refused is not None:
            return refused
        try:
            data = await request.json()
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(_without_keyboard(data), self.bot)
        except Exception:  # malformed body: nothing Telegram would send
            return web.json_response({"ok": False}, status=400)
        # Answered once the update's effect and its replies are committed, not once the
        # replies are sent: Telegram holds at most max_connections webhook requests open,
        # and a stored reply is delivered whatever happens to this process.
        committed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        task = self._scheduler.submit(
            chat_key(update), lambda: self._process(update, committed=committed)
        )

        def finished(done: asyncio.Task[Outcome]) -> None:
            if not committed.done():  # handled outside the engine, failed or cancelled
                ok = not done.cancelled() and done.exception() is None
                committed.set_result(ok and done.result() is not Outcome.FAILED)

        task.add_done_callback(finished)
        stored = await asyncio.shield(committed)
        return web.json_response({"ok": stored}, status=200 if stored else 500)

    # -- handling ---------------------------------------------------------------------

    async def _process(
        self,
        update: Update,
        *,
        age: float = 0.0,
        committed: asyncio.Future[bool] | None = None,
    ) -> Outcome:
        """Handle one update (``age``: seconds since it was stored, for a replayed one);
        ``committed`` is resolved once the engine's transaction committed (a webhook's
        answer), before the replies are delivered."""
        self._last_update_at = datetime.now(UTC)
        query = update.callback_query
        # Every button press is answered, even a stale or forged one, and at once (it stops
        # the spinner on the person's screen), alongside the handling; not a replayed one
        # Telegram has long given up on.
        answering = (
            asyncio.create_task(self.sender.answer(query))
            if query is not None and age < CALLBACK_ANSWER_WINDOW
            else None
        )
        if answering is not None:
            # Let the answer leave first: the engine's work may not pause before its
            # commit (SQLite runs it in this thread), and the spinner should stop now.
            await asyncio.sleep(0)
        try:
            incoming = map_update(update, bot_username=self.bot_username)
            if isinstance(incoming, Event):
                return await self._process_event(incoming, committed)
            if isinstance(incoming, GroupCommand):
                await self._redirect_group(incoming)
            elif isinstance(incoming, Reachability):
                await self._set_reachable(incoming.user_id, reachable=incoming.reachable)
            return Outcome.DONE
        except Exception:
            logger.exception("update %s failed", update.update_id)
            self.failed += 1
            return Outcome.FAILED if self.mode == "webhook" else Outcome.DONE
        finally:
            if answering is not None:
                await answering

    async def _process_event(
        self, event: Event, committed: asyncio.Future[bool] | None = None
    ) -> Outcome:
        """Run the engine; its replies are stored in its transaction, then delivered by
        the reply sender in the chat's order."""
        if event.kind == EventKind.BUTTON and event.message_id and event.message_id.isdecimal():
            shown = self._shown.get((event.reply_chat, int(event.message_id)))
            if shown is not None and (event.payload or "") not in shown:
                # A double tap: the prompt already changed; leave it as it is now.
                event = replace(event, message_id=None)
        event = await self._fetch_file(event)
        try:
            _, stored = await self._handle_received(event)
        except Exception as exc:
            logger.exception("update %s failed", event.update_id)
            done, tell = self._record_failure(
                event.update_id or "",
                attempts=self._options.webhook_attempts,
                busy=self._app.store.db.busy(exc),
            )
            if tell:
                language = await self._stored_language(event.user_id)
                error = Reply(catalogue_text(language, "error.generic"))
                await self._queue_reply(event, [error])
            return Outcome.DONE if done else Outcome.FAILED
        self.handled += 1
        if committed is not None and not committed.done():
            committed.set_result(True)
        if stored is not None and self._replies is not None:
            await self._replies.deliver(stored)  # now, or queued behind the chat's others
        return Outcome.HANDLED

    async def _fetch_file(self, event: Event) -> Event:
        """A file the engine may read (a filled answer sheet, ``.xlsx``) fetched before
        it runs, outside any transaction; anything else, or a fetch that fails, goes on
        without its bytes (the engine then says it could not read it)."""
        name = (event.file_name or "").lower()
        if event.kind != EventKind.MEDIA or not event.file_ref or not name.endswith(READABLE):
            return event
        try:
            found = await self.bot.get_file(event.file_ref)
            if found.file_size is not None and found.file_size > MAX_READ_BYTES:
                return event
            content = bytes(await found.download_as_bytearray())
        except TelegramError as exc:
            logger.warning("telegram: could not fetch a file: %s", self._redact(exc))
            return event
        return replace(event, file_content=content) if len(content) <= MAX_READ_BYTES else event

    async def _queue_reply(self, event: Event, replies: list[Reply]) -> None:
        """Store and send replies that no engine transaction produced (an apology)."""
        try:
            async with self._app.store.transaction():
                stored = await self._app.store.replies.add(
                    CHANNEL,
                    event.reply_chat,
                    event.user_id,
                    encode_replies(replies, prompt=None),
                    now=self._app.clock.now(),
                )
        except Exception as exc:  # the database refused: the person asks again
            logger.warning("telegram: could not store an apology: %s", exc)
            return
        if self._replies is not None:
            self._replies.push(stored)

    # -- delivering stored replies (bot.delivery.replies) -----------------------------

    async def wait_usable(self) -> None:
        await self._guard.wait_usable()

    async def _probe_token(self) -> bool:
        try:
            await self.bot.get_me()
        except InvalidToken:
            return False
        return True

    def _refused(self, exc: TelegramError) -> ChannelUnauthorized:
        self._guard.refuse(self._redact(exc))
        return ChannelUnauthorized(self._redact(exc))

    async def send_stored(self, delivery: Delivery) -> None:
        """Deliver one stored row, from ``delivery.done`` on (see :func:`_plan`)."""
        if not self._started or self._sender is None:
            raise ChannelTransientError("the Telegram channel is not started")
        if self._guard.refused:
            raise ChannelUnauthorized("the bot token is refused")
        reply: StoredReply = delivery.reply
        replies, prompt = stored_content(reply)
        chat = chat_ref(reply.chat_id)
        steps = _plan(replies, int(prompt) if prompt and prompt.isdecimal() else None)

        def lost() -> None:
            delivery.lost = True

        for step in steps[delivery.done :]:
            try:
                if step.clear is not None:
                    self._settle(reply.chat_id, step.clear, None)
                    await self.sender.clear_keyboard(chat, step.clear)
                else:
                    if step.edit_target is not None and isinstance(step.item, TextMessage):
                        self._settle(reply.chat_id, step.edit_target, step.item.keyboard)
                    await self.sender.send(
                        chat, step.item, attempts=1, edit_target=step.edit_target, lost=lost
                    )
            except Forbidden as exc:
                await self._set_reachable(reply.chat_id, reachable=False)
                raise ChannelBlocked(self._redact(exc)) from None
            except InvalidToken as exc:
                raise self._refused(exc) from None
            except BadRequest as exc:  # this message cannot go (Telegram said why): the next
                logger.warning("telegram: a message was refused: %s", self._redact(exc))
            except TelegramError as exc:
                raise delivery_error(exc, self._redact(exc)) from None
            except (FileTooLarge, OSError) as exc:  # a file that cannot go: the rest can
                logger.warning("telegram: a file was not sent: %s", exc)
            delivery.done += 1

    def _settle(self, chat: str, message_id: int, keyboard: Keyboard | None) -> None:
        """Remember which buttons a prompt shows after an edit (the newest 4,096)."""
        rows = keyboard["inline_keyboard"] if keyboard else []
        self._shown[(chat, message_id)] = frozenset(
            button["callback_data"] for row in rows for button in row if "callback_data" in button
        )
        while len(self._shown) > 4096:
            self._shown.popitem(last=False)

    async def _redirect_group(self, command: GroupCommand) -> None:
        """Point to a private chat: questions (and names) are never taken in a group."""
        link = f"https://t.me/{self.bot_username}?start={command.payload or 'g'}"
        language = DEFAULT_LANGUAGE  # Vietnamese, whatever the app's language
        markup = {
            "inline_keyboard": [
                [{"text": catalogue_text(language, "telegram.group.button"), "url": link}]
            ]
        }
        text = TextMessage(catalogue_text(language, "telegram.group.redirect"), markup)
        try:
            await self.sender.send(command.chat_id, text, reply_to=command.message_id)
        except TelegramError as exc:
            logger.info("telegram: no answer to a group command: %s", self._redact(exc))

    # -- the outbox -------------------------------------------------------------------

    async def deliver(self, chat_id: str, reply: Reply, *, start: int = 0) -> bool:
        """Send one reply for the outbox; raise a :class:`DeliveryError` on failure.

        The first message is tried once (the outbox decides about retrying, and marks the
        retry when the first try's answer was lost); once part of a reply went out, the
        remaining parts are retried here, and should they still fail the error says how
        many went out (``parts_done``): the outbox's retry starts after them (``start``)
        and repeats none. Returns True when a retry here followed a lost answer (a part
        may have arrived twice).
        """
        if not self._started:
            raise ChannelTransientError("the Telegram channel is not started")
        if self._guard.refused:
            raise ChannelUnauthorized("the bot token is refused")
        chat = chat_ref(chat_id)
        maybe_twice = False
        done = start

        def lost() -> None:
            nonlocal maybe_twice
            maybe_twice = True

        try:
            for index, item in enumerate(render_reply(reply)):
                if index < start:
                    continue  # delivered by an earlier try
                first = index == start
                await self.sender.send(
                    chat, item, attempts=1 if first else None, lost=None if first else lost
                )
                done = index + 1
        except InvalidToken as exc:
            raise self._refused(exc).after(done) from None
        except TelegramError as exc:
            raise delivery_error(exc, self._redact(exc)).after(done) from None
        except (FileTooLarge, OSError) as exc:
            raise ChannelPermanentError(str(exc)).after(done) from None
        return maybe_twice


def _plan(replies: list[Reply], prompt: int | None) -> list[_Step]:
    """The Bot API calls that show one event's replies, in order.

    ``replaces_prompt`` edits the prompt whose button was pressed (``prompt``) when it is
    the first message of the answer; after other messages an edit would show the new
    prompt above them, so the old prompt only loses its buttons and the new one is sent. A
    pressed prompt that nothing replaces (a receipt, a stale press) loses its buttons too,
    so finished steps cannot be pressed again. Replayed after a crash, the same plan comes
    out, and its edits find the prompt already edited ("not modified": done).
    """
    steps: list[_Step] = []
    sent = 0
    for reply in merge_replies(replies, limit=TEXT_LIMIT):
        edit_target: int | None = None
        if reply.replaces_prompt and prompt is not None:
            if sent == 0:
                edit_target = prompt
            else:
                steps.append(_Step(clear=prompt))
            prompt = None
        for item in render_reply(reply, edit_first=edit_target is not None):
            steps.append(_Step(item, edit_target=edit_target))
            sent += 1
    if prompt is not None and replies:
        steps.append(_Step(clear=prompt))
    return steps


class SharedRateLimiter(AIORateLimiter):
    """PTB's rate limiter, plus a token from the workers' shared bucket for every message
    to a chat when several workers send for the same bot (``gate``; ``None``: one process,
    PTB's limiter alone)."""

    def __init__(self, gate: RateGate | None, **options: Any) -> None:
        super().__init__(**options)
        self._gate = gate

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if self._gate is not None and data.get("chat_id") is not None:
            await self._gate.acquire()
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def _without_keyboard(data: dict[str, Any]) -> dict[str, Any]:
    """The update with only the pressed button left of the pressed message's keyboard:
    parsing every button was a fifth of the cost of parsing a press, and the mapping only
    asks whether the message still shows the pressed one."""
    query = data.get("callback_query")
    if not isinstance(query, dict):
        return data
    message = query.get("message")
    if isinstance(message, dict) and "reply_markup" in message:
        rest = {k: v for k, v in message.items() if k != "reply_markup"}
        markup = message["reply_markup"]
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        pressed = [
            button
            for row in rows or ()
            if isinstance(row, list)
            for button in row
            if isinstance(button, dict) and button.get("callback_data") == query.get("data")
        ]
        if pressed:
            rest["reply_markup"] = {"inline_keyboard": [pressed[:1]]}
        data = {**data, "callback_query": {**query, "message": rest}}
    return data


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
    await serve_until_stopped(channel, stop)
