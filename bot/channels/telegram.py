"""The Telegram channel: a thin adapter between the Bot API and the conversation engine.

Updates become :class:`~handlers.events.Event` (:mod:`bot.channels.telegram_mapping`),
the engine's replies become HTML messages, inline keyboards, edits and files
(:mod:`bot.channels.telegram_render`, sent by :mod:`bot.channels.telegram_sender`). Built
the python-telegram-bot way (``Application.builder()`` with ``AIORateLimiter``, resources
opened in ``post_init`` and released in ``post_shutdown``, no PTB persistence: state lives
in our database), except that updates are fetched by our own loop rather than PTB's
``Updater``, and that PTB's HTTP transport is aiohttp (:mod:`bot.channels.telegram_request`;
``TelegramOptions(http="httpx")`` gives PTB's own):

* **Long polling** (default, :mod:`bot.channels.telegram_polling`): the getUpdates offset
  only moves past an update once ``engine.handle()`` returned for it and for every earlier
  one. The engine stores the update id in the same transaction as its effects, so a crash
  loses nothing and a redelivered update is handled once. Updates of different chats are
  handled concurrently (bounded); those of one chat in order
  (:mod:`bot.channels.telegram_flow`).
* **Webhook** when ``TELEGRAM_WEBHOOK_URL`` is set: ``setWebhook`` with a secret token
  (``TELEGRAM_WEBHOOK_SECRET``, or a random one per start) and ``POST /telegram/webhook``
  on the shared :class:`~bot.channels.webserver.WebServer`. A request without the right
  ``X-Telegram-Bot-Api-Secret-Token`` gets 403 unread; 200 is answered only after the
  engine stored the update (and the replies went out), 500 when it failed so Telegram
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
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final

from aiohttp import web
from telegram import BotCommand, Update
from telegram.error import Forbidden, InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application
from telegram.request import BaseRequest

from bot.application.app import App
from bot.channels.base import (
    ChannelPermanentError,
    ChannelTransientError,
    Engine,
    RateGate,
    merge_replies,
)
from bot.channels.lifecycle import ChannelLifecycle, catalogue_text, serve_until_stopped
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
from handlers.events import Event, EventKind, Reply
from locales import DEFAULT_LANGUAGE

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
        return {
            "ok": self._started and poll_errors < 5,
            "mode": self.mode,
            "bot": self.bot_username if self._started else None,
            "in_flight": self._scheduler.in_flight,
            "handled": self.handled,
            "failed": self.failed,
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
        """Stop taking updates, finish the in-flight ones, confirm them, close."""
        if not self._started:
            return
        if not await self._stop_taking_updates(self._options.shutdown_timeout):
            logger.warning(
                "telegram: updates cut short by the stop are stored; the next start handles them"
            )
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

    async def _keep_updates(self, updates: list[tuple[int, str]], done_below: int | None) -> None:
        """Store polled updates before Telegram is told to forget them (see the poller)."""
        await self._app.store.updates.receive(
            CHANNEL, updates, now=self._app.clock.now(), done_below=done_below
        )

    async def _replay_inbox(self) -> None:
        """Handle the stored updates a crash or a stop left unfinished, before new ones."""
        stored = await self._app.store.updates.inbox(CHANNEL)
        for update_id, payload in stored:
            try:
                data = json.loads(payload)
            except ValueError:
                data = {}
            self._dispatch_polled(update_id, data if isinstance(data, dict) else {})
        if stored:
            logger.info("telegram: handling %d stored update(s) left by the last run", len(stored))

    def _dispatch_polled(self, update_id: int, data: dict[str, Any]) -> None:
        self._tracker.dispatched(update_id)
        try:
            update = Update.de_json(_without_keyboard(data), self.bot)
        except Exception:  # nothing Telegram would send; forget it rather than loop on it
            logger.exception("update %s failed", update_id)
            self._tracker.finished(update_id)
            return

        async def job() -> bool:
            stored = await self._process(update)
            # Not reached when cancelled at shutdown: the update stays stored and the next
            # start handles it.
            self._tracker.finished(update_id)
            return stored

        self._scheduler.submit(chat_key(update), job)

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
        task = self._scheduler.submit(chat_key(update), lambda: self._process(update))
        stored = await asyncio.shield(task)
        return web.json_response({"ok": stored}, status=200 if stored else 500)

    # -- handling ---------------------------------------------------------------------

    async def _process(self, update: Update) -> bool:
        """Handle one update; ``True`` when it is done with (stored, or nothing to store)."""
        self._last_update_at = datetime.now(UTC)
        query = update.callback_query
        # Every button press is answered, even a stale or forged one, and at once (it stops
        # the spinner on the person's screen), alongside the handling.
        answering = asyncio.create_task(self.sender.answer(query)) if query is not None else None
        try:
            incoming = map_update(update, bot_username=self.bot_username)
            if isinstance(incoming, Event):
                return await self._process_event(incoming)
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
            if answering is not None:
                await answering

    async def _process_event(self, event: Event) -> bool:
        try:
            replies = await self._engine.handle(event)
        except Exception:
            logger.exception("update %s failed", event.update_id)
            done, tell = self._record_failure(
                event.update_id or "", attempts=self._options.webhook_attempts
            )
            if tell:
                language = await self._stored_language(event.user_id)
                error = Reply(catalogue_text(language, "error.generic"))
                await self._send_replies(event, [error])
            return done
        await self._send_replies(event, replies)
        self.handled += 1
        return True

    async def _send_replies(self, event: Event, replies: list[Reply]) -> None:
        """Render the engine's replies to the person, in order.

        ``replaces_prompt`` edits the prompt whose button was pressed when it is the first
        message of the answer; after other messages an edit would show the new prompt
        above them, so the old prompt only loses its buttons and the new one is sent. A
        pressed prompt that nothing replaces (a receipt, a stale press) loses its buttons
        too, so finished steps cannot be pressed again.
        """
        chat = chat_ref(event.reply_chat)
        prompt: int | None = None
        pressed = event.message_id if event.kind == EventKind.BUTTON else None
        if pressed and pressed.isdigit():
            shown = self._shown.get((event.reply_chat, int(pressed)))
            if shown is None or (event.payload or "") in shown:
                prompt = int(pressed)
        sent = 0
        for reply in merge_replies(replies, limit=TEXT_LIMIT):
            edit_target: int | None = None
            if reply.replaces_prompt and prompt is not None:
                if sent == 0:
                    edit_target = prompt
                else:
                    self._settle(event.reply_chat, prompt, None)
                    await self.sender.clear_keyboard(chat, prompt)
                prompt = None
            for item in render_reply(reply, edit_first=edit_target is not None):
                if isinstance(item, TextMessage) and item.edit and edit_target is not None:
                    self._settle(event.reply_chat, edit_target, item.keyboard)
                try:
                    await self.sender.send(chat, item, edit_target=edit_target)
                    sent += 1
                except Forbidden:
                    await self._set_reachable(event.user_id, reachable=False)
                    return
                except (TelegramError, FileTooLarge, OSError) as exc:
                    logger.warning("telegram: a message was not delivered: %s", self._redact(exc))
        if prompt is not None and replies:
            self._settle(event.reply_chat, prompt, None)
            await self.sender.clear_keyboard(chat, prompt)

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

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        """Send one reply for the outbox; raise a :class:`DeliveryError` on failure.

        The first message is tried once (the outbox decides about retrying); once part of
        a reply went out, the remaining parts are retried here so that a retry by the
        outbox does not repeat the delivered ones.
        """
        if not self._started:
            raise ChannelTransientError("the Telegram channel is not started")
        chat = chat_ref(chat_id)
        try:
            for index, item in enumerate(render_reply(reply)):
                await self.sender.send(chat, item, attempts=1 if index == 0 else None)
        except TelegramError as exc:
            raise delivery_error(exc, self._redact(exc)) from None
        except (FileTooLarge, OSError) as exc:
            raise ChannelPermanentError(str(exc)) from None


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
