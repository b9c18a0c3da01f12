"""The Zalo channel: a thin adapter between the Zalo Bot Platform and the conversation engine.

Updates from :class:`~bot.channels.zalo_client.ZaloClient` become
:class:`~handlers.events.Event` (:func:`map_update`) and the engine's replies become plain
text messages (:func:`render_replies`). Zalo bots have no buttons, files or edits, so:

* choices are a numbered list under the reply, with one hint sentence ("Bạn trả lời 1 hoặc
  2 nhé.") in the person's language; the engine already takes a typed number or a close
  option label as the choice;
* a file the engine attaches (a digest) becomes a line saying it comes by e-mail or on
  Telegram;
* text is split at 2,000 characters (counted in UTF-16 units, as the platform is assumed
  to) where a reader expects a break, with the numbered options kept in the last message.

Two ways to receive updates:

* **Long polling** (default): ``getUpdates`` returns one update per call and has no offset
  (what it returned is gone from the platform), so each update is stored in the inbox
  (``storage.updates``) before it is handled, and the transaction that handles it deletes
  it: a crash loses nothing, and a start handles what is left (what is older than a day is
  dropped). 408 means nothing new. Errors back off exponentially; a refused token pauses
  the channel (:class:`~bot.channels.lifecycle.TokenGuard`) until it works again.
* **Webhook** when ``ZALO_WEBHOOK_URL`` is set: ``setWebhook`` with a secret token and
  ``POST /zalo/webhook`` on the shared :class:`~bot.channels.webserver.WebServer`. A request
  without the right ``X-Bot-Api-Secret-Token`` gets 403 unread; invalid JSON gets 400;
  wrapped (``{"ok": true, "result": ...}``) and bare events are both accepted. 200 is
  answered once the engine stored the event and its replies (they are sent afterwards),
  500 when it failed so Zalo redelivers; the person is told once, and after
  ``webhook_attempts`` failures the event is given up.

Replies are stored with the event's effects and delivered from there by
:class:`~bot.delivery.replies.ReplySender`, in order per chat, through outages and
restarts (see there); a send whose answer was lost is marked when retried.

Zalo redelivers webhook events: the ``message_id`` is the event's ``update_id``, so the
engine (which stores it in the same transaction as the effects) handles a redelivery once.
Events of one chat are handled in order, different chats concurrently (bounded).

When handling fails the traceback goes to the log once (with the message id, never the
text) and the person gets the localised ``error.generic`` text. Messages to one chat are
at least ``per_chat_interval`` apart; a 429 pauses every send for ``retry_after`` (the quota
is the bot's); a 403 to a person marks them unreachable until they write again. A 401 or
404 (a wrong token or API address) pauses the channel with one ERROR line and drops
nothing (a chat that answers 404 again once getMe works is taken as unreachable); an
error code this bot does not know is retried like an outage (one ERROR line per code); a
long message the platform refuses as malformed (400) goes in shorter parts, and one it
still refuses is logged at ERROR.
:meth:`ZaloChannel.deliver` serves the outbox and raises the :mod:`bot.channels.base`
delivery errors.

Only private chats reach the engine: nobody's question or name is taken in a group.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from bot.application.app import App
from bot.channels.base import (
    Capabilities,
    ChannelBlocked,
    ChannelPermanentError,
    ChannelRateLimited,
    ChannelSetupError,
    ChannelTransientError,
    ChannelUnauthorized,
    ChannelUnexplained,
    DeliveryError,
    Engine,
)
from bot.channels.lifecycle import (
    REPLAY_MAX_AGE,
    ChannelLifecycle,
    TokenGuard,
    catalogue_text,
    serve_until_stopped,
)
from bot.channels.telegram_flow import ChatPacer
from bot.channels.webserver import WebServer
from bot.channels.zalo_client import (
    MAX_TEXT_LENGTH,
    RetryPolicy,
    ZaloClient,
    ZaloError,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloUnauthorized,
    ZaloUpdate,
    parse_update,
    zalo_text_length,
)
from bot.clustering.normalize import fold
from bot.delivery.replies import (
    Delivery,
    ReplySender,
    stored_content,
)
from bot.delivery.textsplit import split_text
from handlers.delivery import encode_replies
from handlers.events import Event, EventKind, Reply
from locales import DEFAULT_LANGUAGE, Translator, translator

__all__ = [
    "CAPABILITIES",
    "CHANNEL",
    "SECRET_HEADER",
    "WEBHOOK_PATH",
    "ZaloChannel",
    "ZaloOptions",
    "ZaloSetupError",
    "fit_text",
    "map_update",
    "parse_command",
    "render_replies",
    "render_reply",
    "run_zalo",
]

logger = logging.getLogger(__name__)

CHANNEL: Final = "zalo"

CAPABILITIES: Final = Capabilities(
    name=CHANNEL,
    text_limit=MAX_TEXT_LENGTH,
    buttons=False,
    files=False,
    edits=False,
    messages_per_second=5.0,  # Zalo publishes no limits: stay well below Telegram's
    per_chat_interval=1.0,
)

SECRET_HEADER: Final = "X-Bot-Api-Secret-Token"
WEBHOOK_PATH: Final = "/zalo/webhook"

#: ``message.<kind>.received`` → :attr:`Event.media_type` (unknown kinds keep their name).
MEDIA_TYPES: Final[dict[str, str]] = {
    "image": "photo",
    "photo": "photo",
    "sticker": "sticker",
    "gif": "animation",
    "voice": "voice",
    "audio": "audio",
    "video": "video",
    "file": "document",
    "document": "document",
    "location": "location",
    "contact": "contact",
    "link": "link",
}

_COMMAND = re.compile(r"^/(\S{1,64})(?:\s+(.*))?$", re.DOTALL)
#: Zalo dates messages in whole milliseconds (and a little more, for safety).
_DATE_RESOLUTION = 0.0015
#: Room left for the end of a reply next to its numbered options before they go alone.
_MIN_TAIL = 200
#: A message at least this long that the platform refuses as malformed (400) is sent again
#: in shorter parts (the platform may count its 2,000 characters otherwise than we do).
_MIN_SPLIT = 200


class ZaloSetupError(ChannelSetupError):
    """The Zalo channel cannot run (no or refused token, API unreachable)."""


# --------------------------------------------------------------------------- mapping


def parse_command(text: str) -> tuple[str, str] | None:
    """``"/LiênKết 123 456"`` → ``("lienket", "123 456")``; ``None`` when not a command.

    Zalo has no command entities: a message starting with ``/`` is a command. The name is
    folded (lower case, no diacritics) so a phone keyboard's accents do not matter.
    """
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    name = fold(match.group(1)).replace(" ", "")
    if not name:
        return None
    return name, (match.group(2) or "").strip()


def _is_group(chat_type: str) -> bool:
    return "GROUP" in chat_type.upper()


def map_update(update: ZaloUpdate) -> Event | None:
    """The engine event for one Zalo update; ``None`` for what the bot ignores.

    Bots' own messages and group chats are ignored. ``update_id`` is the ``message_id``
    (so a redelivered event is handled once) unless the platform left it out.
    """
    message = update.message
    if message.sender.is_bot or _is_group(message.chat_type):
        return None
    message_id = message.message_id or None
    base = Event(
        channel=CHANNEL,
        user_id=message.sender.id,
        kind=EventKind.TEXT,
        chat_id=message.chat_id,
        display_name=message.sender.display_name or None,
        message_id=message_id,
        update_id=message_id,
        at=message.date,
    )
    kind = update.kind
    if kind == "text":
        text = message.text or ""
        command = parse_command(text) if text.lstrip().startswith("/") else None
        if command is None:
            return replace(base, text=text)
        name, args = command
        payload = args.split()[0] if name == "start" and args else None
        return replace(base, kind=EventKind.COMMAND, command=name, text=args, payload=payload)
    if kind == "unsupported":
        return replace(base, kind=EventKind.UNSUPPORTED)
    return replace(
        base,
        kind=EventKind.MEDIA,
        media_type=MEDIA_TYPES.get(kind, kind),
        text=message.caption or "",
    )


# --------------------------------------------------------------------------- rendering


def fit_text(text: str, *, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-16 units, at natural breaks.

    :func:`bot.delivery.textsplit.split_text` counts code points; a part with characters outside
    the BMP (emoji) is split again until it fits the platform's measure.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    return _fit(text, chars=limit, units=limit)


def _fit(text: str, *, chars: int, units: int) -> list[str]:
    parts: list[str] = []
    for part in split_text(text, limit=chars):
        size = zalo_text_length(part)
        if size <= units:
            parts.append(part)
            continue
        # Each code point beyond the BMP counts twice: shrink by the excess and retry.
        smaller = len(part) - (size - units)
        if smaller < 2:
            parts.extend(_pack(part, units=units))
        else:
            parts.extend(_fit(part, chars=smaller, units=units))
    return parts


def _pack(text: str, *, units: int) -> list[str]:
    """Code point by code point, as many as fit (for text without usable breaks)."""
    parts: list[str] = []
    current, size = "", 0
    for char in text:
        width = zalo_text_length(char)
        if current and size + width > units:
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def choices_hint(count: int, tr: Translator, *, formal: bool = False) -> str:
    """The hint under ``count`` numbered options ("Bạn gõ 1, 2 hoặc 3 nhé."; to an
    official, ``formal``: "Đồng chí gõ …")."""
    suffix = ".formal" if formal else ""
    if count == 1:
        return tr("zalo.choices.one" + suffix)
    if count <= 4:
        numbers = ", ".join(str(i) for i in range(1, count))
        return tr("zalo.choices.some" + suffix, numbers=numbers, last=count)
    return tr("zalo.choices.many" + suffix, last=count)


def render_reply(reply: Reply, *, tr: Translator, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """One reply as Zalo messages: text, file notes, then numbered options in the last."""
    blocks = [reply.text.strip()] if reply.text.strip() else []
    for attachment in reply.attachments:
        lines = [attachment.caption.strip()] if attachment.caption.strip() else []
        lines.append(tr("zalo.file_elsewhere", name=attachment.filename))
        blocks.append("\n".join(lines))
    body = "\n\n".join(blocks)
    parts = fit_text(body, limit=limit) if body else []
    choices = reply.choices
    if not choices:
        return parts
    lines = [f"{index}. {button.label}" for index, button in reply.numbered_choices()]
    lines.append(choices_hint(len(choices), tr, formal=reply.formal))
    options = "\n".join(lines)
    if not parts:
        return fit_text(options, limit=limit)
    room = limit - zalo_text_length(options) - 2
    last = parts.pop()
    if zalo_text_length(last) <= room:
        return [*parts, f"{last}\n\n{options}"]
    if room >= _MIN_TAIL:
        # Keep the end of the text (usually the question asked) with the options.
        tail = fit_text(last, limit=room)[-1]
        head = last[: len(last) - len(tail)].rstrip()
        return [*parts, head, f"{tail}\n\n{options}"] if head else [*parts, f"{tail}\n\n{options}"]
    return [*parts, last, *fit_text(options, limit=limit)]


def render_replies(
    replies: Sequence[Reply], *, tr: Translator, limit: int = MAX_TEXT_LENGTH
) -> list[str]:
    """All replies to one event as Zalo messages; short replies share one message."""
    messages: list[str] = []
    for reply in replies:
        for index, part in enumerate(render_reply(reply, tr=tr, limit=limit)):
            joined = f"{messages[-1]}\n\n{part}" if messages and index == 0 else ""
            if joined and zalo_text_length(joined) <= limit:
                messages[-1] = joined
            else:
                messages.append(part)
    return messages


# --------------------------------------------------------------------------- channel


@dataclass(frozen=True)
class ZaloOptions:
    """Tuning of the adapter; Zalo publishes no limits, so the defaults are cautious."""

    poll_timeout: int = 30  # seconds a getUpdates long poll waits for news
    per_chat_interval: float = CAPABILITIES.per_chat_interval
    max_concurrent_updates: int = 32
    backoff_base: float = 1.0  # getUpdates failures: 1, 2, 4... seconds
    backoff_max: float = 60.0
    rate_limit_wait: float = 5.0  # a 429 that does not say how long to wait
    max_retry_after: float = 60.0  # a longer 429 wait is not waited out for a reply
    http_timeout: float = 10.0
    start_attempts: int = 5  # getMe tries at start-up before giving up
    shutdown_timeout: float = 30.0  # in-flight events and their replies get this long
    webhook_attempts: int = 3  # failures of one event before the webhook gives it up
    token_probe_interval: float = 30.0  # while Zalo refuses the token: getMe this often


class ZaloChannel(ChannelLifecycle):
    """The Zalo adapter (implements :class:`bot.channels.base.Channel`).

    ``start()`` checks the token (getMe) and starts polling or the webhook; ``stop()``
    stops taking updates, lets in-flight ones finish and closes. ``serve(stop)`` does both
    around waiting for ``stop``. ``client`` is injectable (tests point it at a fake API).
    """

    capabilities: Capabilities = CAPABILITIES
    _channel = CHANNEL
    _log = logger
    _webhook_path = WEBHOOK_PATH
    _secret_header = SECRET_HEADER
    _setup_error = ZaloSetupError

    def __init__(
        self,
        app: App,
        engine: Engine,
        *,
        options: ZaloOptions | None = None,
        web: WebServer | None = None,
        client: ZaloClient | None = None,
    ) -> None:
        settings = app.settings.zalo
        self._options = opts = options or ZaloOptions()
        super().__init__(
            app,
            engine,
            web=web,
            webhook_url=settings.webhook_url,
            webhook_secret=settings.webhook_secret,
            max_concurrent_updates=opts.max_concurrent_updates,
        )
        self._own_client = client is None
        if client is None:
            if settings.bot_token is None:
                raise ZaloSetupError("cli.channel.no_token", variable="ZALO_BOT_TOKEN")
            client = ZaloClient(
                settings.bot_token,
                base_url=settings.api_base_url,
                timeout=opts.http_timeout,
                retry=RetryPolicy(max_retry_after=opts.max_retry_after),
            )
        self._client = client
        if opts.per_chat_interval != CAPABILITIES.per_chat_interval:
            self.capabilities = replace(CAPABILITIES, per_chat_interval=opts.per_chat_interval)
        self._pacer = ChatPacer(opts.per_chat_interval)
        self._paused_until = 0.0
        self._ready = False  # started and taking updates
        self._poll_errors = 0
        self._bot_name: str | None = None
        self.processed = 0  # updates finished: handled (or ignored)
        self._replies: ReplySender | None = None
        self._guard = TokenGuard(
            CHANNEL, "ZALO_BOT_TOKEN", logger, self._probe_token, interval=opts.token_probe_interval
        )
        self._seq = 0  # arrival order of stored polled updates
        self._unknown_codes: set[int | None] = set()  # error codes the operator was told of
        self._not_found: dict[str, None] = {}  # chats whose last send answered 404
        # When our last message to each chat went out (wall clock, like the platform's
        # dates): a message dated before it was sent before the person could see our answer
        # (a flood, several messages in a row), which the engine answers once.
        self._last_sent: OrderedDict[str, float] = OrderedDict()

    # -- properties -------------------------------------------------------------------

    @property
    def client(self) -> ZaloClient:
        return self._client

    def health(self) -> dict[str, Any]:
        """What ``GET /healthz`` shows for Zalo."""
        replies = self._replies
        return {
            "ok": self._ready and self._poll_errors < 5 and not self._guard.refused,
            "mode": self.mode,
            "bot": self._bot_name,
            "in_flight": self._scheduler.in_flight,
            "handled": self.handled,
            "failed": self.failed,
            "processed": self.processed,
            "token_refused": self._guard.refused,
            "replies_waiting": replies.pending if replies is not None else 0,
            "replies_resent": replies.stats["resent"] if replies is not None else 0,
            "last_update_at": self._last_update_at.isoformat() if self._last_update_at else None,
        }

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        self._stop_event = asyncio.Event()
        try:
            await self._check_token()
        except BaseException:
            if self._own_client:
                await self._client.aclose()
            raise
        self._started = True
        try:
            # Replies a crash or a stop left go first, before anything new is handled.
            self._replies = ReplySender(
                self._app.store,
                CHANNEL,
                self,
                logger=logger,
                max_concurrency=self._options.max_concurrent_updates,
                backoff=self._backoff,
            )
            await self._replies.start()
            self._accepting = True
            if self._webhook_url:
                await self._start_webhook()
            else:
                await self._start_polling()
        except BaseException:
            await self.stop()
            raise
        self._ready = True
        logger.info("zalo: %s started (%s)", self._bot_name or "bot", self.mode)

    async def _check_token(self) -> None:
        attempts = max(1, self._options.start_attempts)
        for attempt in range(1, attempts + 1):
            try:
                info = await self._client.get_me()
            except ZaloUnauthorized:
                raise ZaloSetupError(
                    "cli.channel.token_refused", platform="Zalo", variable="ZALO_BOT_TOKEN"
                ) from None
            except ZaloError as exc:
                if attempt == attempts:
                    raise ZaloSetupError(
                        "cli.channel.unreachable", platform="Zalo", detail=str(exc)
                    ) from None
                delay = self._backoff(attempt)
                logger.warning("zalo: getMe failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
            else:
                self._bot_name = info.account_name or info.display_name or info.id
                return

    async def _start_polling(self) -> None:
        # Polling and a webhook exclude each other: a webhook left from an earlier run goes.
        with contextlib.suppress(ZaloError):
            await self._client.delete_webhook()
        await self._replay_inbox()
        if self._web is not None:
            self._web.add_health_check(CHANNEL, self.health)
        self._poll_task = asyncio.create_task(self._poll(), name="zalo-polling")

    async def _replay_inbox(self) -> None:
        """Handle the stored updates a crash or a stop cut short, before new ones; those
        older than ``REPLAY_MAX_AGE`` are dropped instead."""
        updates = self._app.store.updates
        now = self._app.clock.now()
        dropped = await updates.forget_received_before(CHANNEL, now - REPLAY_MAX_AGE)
        if dropped:
            logger.warning(
                "zalo: %d stored update(s) older than %d hours dropped, not handled",
                dropped,
                REPLAY_MAX_AGE.total_seconds() // 3600,
            )
        self._seq = await updates.last_seq(CHANNEL)
        stored = await updates.inbox(CHANNEL)
        for item in stored:
            try:
                update = parse_update(json.loads(item.payload))
            except ValueError:
                logger.warning("zalo: a stored update is not an update; dropped")
                await updates.forget(CHANNEL, item.update_id)
                continue
            self._submit_polled(update, item.update_id)
        if stored:
            logger.info("zalo: handling %d stored update(s) left by the last run", len(stored))

    async def _start_webhook(self) -> None:
        server = self._add_webhook_route()
        server.add_health_check(CHANNEL, self.health)
        if not server.running:
            await server.start()
        assert self._webhook_url is not None
        try:
            await self._client.set_webhook(self._webhook_url, self._secret)
        except (ZaloError, ValueError) as exc:
            raise ZaloSetupError(
                "cli.channel.webhook_failed", platform="Zalo", detail=str(exc)
            ) from None

    async def stop(self) -> None:
        """Stop taking updates, finish the in-flight ones, close."""
        if not self._started:
            return
        self._ready = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._options.shutdown_timeout
        if not await self._stop_taking_updates(self._options.shutdown_timeout):
            logger.warning("zalo: some events did not finish in time; they are stored")
        if self._replies is not None:
            grace = 0.0 if self._guard.refused else max(0.0, deadline - loop.time())
            await self._replies.stop(grace)  # kept: its counts stay in health()
        await self._guard.close()
        self._remove_webhook_route()
        await self._stop_own_web()
        if self._own_client:
            await self._client.aclose()
        self._started = False
        logger.info("zalo: stopped")

    # -- polling ----------------------------------------------------------------------

    async def _poll(self) -> None:
        opts = self._options
        while not self._stop_event.is_set():
            if self._scheduler.in_flight >= 4 * opts.max_concurrent_updates:
                await self._pause(0.05)  # the engine is behind: do not take more yet
                continue
            try:
                update = await self._client.get_updates(timeout=opts.poll_timeout)
            except ZaloUnauthorized as exc:
                self._poll_errors += 1
                self._guard.refuse(str(exc))
                await self._guard.wait_usable()
                self._poll_errors = 0
                continue
            except ZaloError as exc:
                self._poll_errors += 1
                self._note_unknown(exc)
                delay = self._backoff(self._poll_errors)
                logger.warning("zalo: getUpdates failed (%s); retrying in %.1f s", exc, delay)
                await self._pause(delay)
                continue
            except ValueError as exc:  # an answer that is not a message event
                logger.warning("zalo: an update was not understood: %s", exc)
                continue
            self._poll_errors = 0
            if update is not None:
                # Zalo forgets what getUpdates returned: keep it until it is handled.
                self._seq += 1
                key = update.message.message_id or f"local-{self._seq}"
                try:
                    await self._app.store.updates.receive(
                        CHANNEL,
                        [(key, self._seq, json.dumps(update.raw, ensure_ascii=False))],
                        now=self._app.clock.now(),
                    )
                except Exception as exc:  # handled anyway; only a crash now would lose it
                    logger.warning("zalo: an update could not be stored: %s", exc)
                self._submit_polled(update, key)

    def _submit_polled(self, update: ZaloUpdate, key: str) -> None:
        async def job() -> bool:
            outcome = await self._process(update)
            # The engine's transaction deleted the copy unless it was done with outside the
            # engine, or has no id of the platform's (stored under a local one).
            if outcome != _HANDLED or not update.message.message_id:
                try:
                    await self._app.store.updates.forget(CHANNEL, key)
                except Exception as exc:  # handled again at the next start: harmless
                    logger.warning("zalo: could not forget an update: %s", exc)
            return True

        self._scheduler.submit(update.message.chat_id, job)

    def _backoff(self, attempt: int) -> float:
        opts = self._options
        return float(min(opts.backoff_max, opts.backoff_base * 2 ** (attempt - 1)))

    # -- webhook ----------------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        refused = self._refuse_webhook(request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid JSON"}, status=400)
        try:
            update = parse_update(body)
        except ValueError as exc:
            # Valid JSON but no message event (another kind of notification): nothing to do,
            # and answering an error would only make Zalo send it again.
            logger.info("zalo: ignored a webhook body: %s", exc)
            return web.json_response({"ok": True})
        stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        task = self._scheduler.submit(
            update.message.chat_id, lambda: self._process(update, stored=stored)
        )

        def unresolved(_: asyncio.Task[str]) -> None:
            if not stored.done():  # cancelled at shutdown before it ran
                stored.set_result(False)

        task.add_done_callback(unresolved)
        ok = await asyncio.shield(stored)
        return web.json_response({"ok": ok}, status=200 if ok else 500)

    # -- handling ---------------------------------------------------------------------

    async def process_update(self, update: ZaloUpdate) -> bool:
        """Handle one update now (tests, custom transports); ``True`` when it is done."""
        return await self._process(update) != _FAILED

    async def _process(
        self, update: ZaloUpdate, *, stored: asyncio.Future[bool] | None = None
    ) -> str:
        """Handle one update and queue its replies; ``stored`` is resolved once the
        engine's transaction is over. Returns ``_HANDLED`` (the engine took it),
        ``_DONE`` (done with outside the engine) or ``_FAILED``."""

        def resolve(ok: bool) -> None:
            if stored is not None and not stored.done():
                stored.set_result(ok)

        self._last_update_at = datetime.now(UTC)
        try:
            return await self._handle(update, resolve)
        finally:
            self.processed += 1

    async def _handle(self, update: ZaloUpdate, resolve: Callable[[bool], None]) -> str:
        try:
            event = map_update(update)
            sent = self._last_sent.get(event.reply_chat) if event is not None else None
            if event is not None and event.at is not None and sent is not None:
                # Dates are whole milliseconds: one sent just after our message can carry
                # a date a fraction of a millisecond before it.
                early = event.at.timestamp() < sent - _DATE_RESOLUTION
                event = replace(event, before_answer=early)
            if event is None:
                resolve(True)
                return _DONE
            try:
                _, reply = await self._handle_received(event)
            except Exception as exc:
                logger.exception("zalo: message %s failed", event.message_id or "(no id)")
                done, tell = self._record_failure(
                    event.message_id or None,
                    attempts=self._options.webhook_attempts,
                    busy=self._app.store.db.busy(exc),
                )
                resolve(done)
                if tell:
                    await self._tell_failure(event)
                return _DONE if done else _FAILED
            resolve(True)
            self.handled += 1
            await self._language(event.user_id, returning=True)  # they wrote: reachable
            if reply is not None and self._replies is not None:
                await self._replies.deliver(reply)  # now, or queued behind the chat's others
            return _HANDLED
        except Exception:
            logger.exception("zalo: message %s failed", update.message.message_id or "(no id)")
            self.failed += 1
            resolve(False)
            return _DONE if self.mode == "polling" else _FAILED

    async def _tell_failure(self, event: Event) -> None:
        """Store and send the apology (no engine transaction produced it)."""
        language = await self._language(event.user_id)
        error = Reply(catalogue_text(language, "error.generic"))
        try:
            async with self._app.store.transaction():
                reply = await self._app.store.replies.add(
                    CHANNEL,
                    event.reply_chat,
                    event.user_id,
                    encode_replies([error], prompt=None),
                    now=self._app.clock.now(),
                )
        except Exception as exc:  # the database refused: the person asks again
            logger.warning("zalo: could not store an apology: %s", exc)
            return
        if self._replies is not None:
            self._replies.push(reply)

    async def _language(self, user_id: str, *, returning: bool = False) -> str:
        """The person's language; ``returning``: they wrote, so they are reachable again."""
        people = self._app.store.people
        try:
            person = await people.by_identity(CHANNEL, user_id)
        except Exception:  # the database is the engine's problem; speak Vietnamese
            logger.exception("zalo: cannot look up a person's language")
            return DEFAULT_LANGUAGE
        if person is None:
            return DEFAULT_LANGUAGE
        if returning and person.unreachable:
            await self._mark_reachable(person.id, user_id, reachable=True)
        return person.language

    # -- sending ----------------------------------------------------------------------

    async def wait_usable(self) -> None:
        await self._guard.wait_usable()

    async def _probe_token(self) -> bool:
        try:
            await self._client.get_me()
        except ZaloUnauthorized:
            return False
        return True

    async def send_stored(self, delivery: Delivery) -> None:
        """Deliver one stored row (its replies as Zalo texts), from ``delivery.done`` on."""
        if not self._started:
            raise ChannelTransientError("the Zalo channel is not started")
        if self._guard.refused:
            raise ChannelUnauthorized("the bot token is refused")
        row = delivery.reply
        replies, _ = stored_content(row)
        language = await self._language(row.chat_id)
        texts = render_replies(replies, tr=translator(language))

        def lost() -> None:
            delivery.lost = True

        for text in texts[delivery.done :]:
            try:
                await self._send_fitting(row.chat_id, text, retry_rate_limit=False, lost=lost)
            except ValueError as exc:  # a text the client cannot send: the rest can go
                _report_refused(exc)
            except ZaloForbidden as exc:
                await self._set_reachable(row.chat_id, reachable=False)
                raise ChannelBlocked(str(exc)) from None
            except ZaloUnauthorized as exc:
                self._guard.refuse(str(exc))
                raise ChannelUnauthorized(str(exc)) from None
            except ZaloError as exc:
                self._note_unknown(exc)
                error = _delivery_error(exc, self._options.rate_limit_wait)
                if isinstance(error, ChannelPermanentError):  # this text: the rest can go
                    _report_refused(exc)
                else:
                    raise error from None
            delivery.done += 1

    async def deliver(self, chat_id: str, reply: Reply, *, start: int = 0) -> bool:
        """Send one reply for the outbox; raise a :class:`DeliveryError` on failure.

        The first message is not retried after a 429 (the outbox reschedules); once part
        of a reply went out, the rest is retried here, and should it still fail the error
        says how many went out (``parts_done``): the outbox's retry starts after them
        (``start``) and repeats none. Returns True when a part may have arrived twice (a
        retry after a lost answer).
        """
        if self._guard.refused:
            raise ChannelUnauthorized("the bot token is refused")
        language = await self._language(chat_id)
        maybe_twice = False
        done = start

        def lost() -> None:
            nonlocal maybe_twice
            maybe_twice = True

        try:
            for index, text in enumerate(render_reply(reply, tr=translator(language))):
                if index < start:
                    continue  # delivered by an earlier try
                await self._send_fitting(chat_id, text, retry_rate_limit=index > start, lost=lost)
                done = index + 1
        except ZaloForbidden as exc:
            await self._set_reachable(chat_id, reachable=False)
            raise ChannelBlocked(str(exc)).after(done) from None
        except ZaloUnauthorized as exc:
            self._guard.refuse(str(exc))
            raise ChannelUnauthorized(str(exc)).after(done) from None
        except ZaloError as exc:
            self._note_unknown(exc)
            error = _delivery_error(exc, self._options.rate_limit_wait)
            if isinstance(error, ChannelPermanentError):
                _report_refused(exc)
            raise error.after(done) from None
        except ValueError as exc:
            _report_refused(exc)
            raise ChannelPermanentError(str(exc)).after(done) from None
        return maybe_twice

    def _note_unknown(self, exc: ZaloError) -> None:
        """Tell the operator once per code about an error this bot does not know."""
        if not exc.unknown or exc.error_code in self._unknown_codes:
            return
        self._unknown_codes.add(exc.error_code)
        logger.error(
            "zalo: the platform answered an error this bot does not know (%s); nothing is "
            "dropped: what was being sent waits and is tried again, however long it lasts "
            "('youthbot outbox' shows what waits). If it goes on, check "
            "ZALO_BOT_TOKEN and ZALO_API_BASE_URL, and the bot in Zalo Bot Creator",
            exc,
        )

    async def _send_fitting(
        self,
        chat_id: str,
        text: str,
        *,
        retry_rate_limit: bool,
        lost: Callable[[], None] | None = None,
    ) -> None:
        """Send one message; a long one the platform refuses as malformed (400) goes again
        in shorter parts. A short one it refuses raises the error."""
        try:
            await self._send_text(chat_id, text, retry_rate_limit=retry_rate_limit, lost=lost)
        except ZaloError as exc:
            size = zalo_text_length(text)
            if not exc.bad_request or size < _MIN_SPLIT:
                raise
            parts = fit_text(text, limit=(size + 1) // 2)
            if len(parts) < 2:
                raise
            logger.warning(
                "zalo: the platform refused a message of %d characters (%s); it goes in %d "
                "shorter parts",
                size,
                exc.description,
                len(parts),
            )
            for part in parts:
                await self._send_fitting(chat_id, part, retry_rate_limit=True, lost=lost)

    async def _send_text(
        self,
        chat_id: str,
        text: str,
        *,
        retry_rate_limit: bool,
        lost: Callable[[], None] | None = None,
    ) -> None:
        """Send one message, paced per chat and held back while the bot is rate limited."""
        retried = False
        while True:
            await self._wait_rate_limit()
            async with self._pacer.turn(chat_id):
                try:
                    await self._client.send_message(chat_id, text, lost=lost)
                    self._sent_now(chat_id)
                    self._not_found.pop(chat_id, None)
                    return
                except ZaloUnauthorized as exc:
                    if exc.error_code == 404 and await self._chat_not_found(chat_id):
                        raise ZaloForbidden(404, exc.description, method=exc.method) from None
                    raise
                except ZaloRateLimited as exc:
                    wait = exc.retry_after
                    wait = self._options.rate_limit_wait if wait is None else wait
                    self._paused_until = max(self._paused_until, time.monotonic() + wait)
                    logger.info("zalo: rate limited (429); sending pauses %.1f s", wait)
                    if retried or not retry_rate_limit or wait > self._options.max_retry_after:
                        raise
                    retried = True

    async def _chat_not_found(self, chat_id: str) -> bool:
        """A send to ``chat_id`` answered 404: True when it is that chat, not our token or
        address. The first 404 of a chat pauses the channel (the token guard); a second one
        of the same chat while getMe works means the platform does not know that chat."""
        if chat_id not in self._not_found:
            self._not_found[chat_id] = None
            while len(self._not_found) > 1024:
                del self._not_found[next(iter(self._not_found))]
            return False
        try:
            await self._client.get_me()
        except ZaloError:
            return False
        del self._not_found[chat_id]
        logger.error(
            "zalo: the platform answers 404 for chat %s although the bot token works: that "
            "person is treated as unreachable until they write again",
            _short_chat(chat_id),
        )
        return True

    def _sent_now(self, chat_id: str) -> None:
        """Note that a message to ``chat_id`` just went out (the newest 65,536 chats)."""
        self._last_sent.pop(chat_id, None)
        self._last_sent[chat_id] = time.time()
        while len(self._last_sent) > 65536:
            self._last_sent.popitem(last=False)

    async def _wait_rate_limit(self) -> None:
        # Another 429 may extend the pause while this one sleeps: check again after.
        while (remaining := self._paused_until - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(remaining)


_HANDLED, _DONE, _FAILED = "handled", "done", "failed"


def _delivery_error(exc: ZaloError, default_wait: float) -> DeliveryError:
    """Only a 403 to a person (blocked) and a 400 (a malformed message of ours, already
    tried in shorter parts) give a message up; a refused token or API address pauses the
    channel, and network errors, 5xx and codes we do not know are tried again (those we do
    not know never given up: :class:`ChannelUnexplained`)."""
    if isinstance(exc, ZaloRateLimited):
        return ChannelRateLimited(default_wait if exc.retry_after is None else exc.retry_after)
    if isinstance(exc, ZaloForbidden):
        return ChannelBlocked(str(exc))
    if isinstance(exc, ZaloUnauthorized):
        return ChannelUnauthorized(str(exc))
    if exc.bad_request:
        return ChannelPermanentError(str(exc))
    if exc.unknown:
        return ChannelUnexplained(f"an error unknown to the bot: {exc}")  # kept, however long
    lost = isinstance(exc, ZaloNetworkError) and exc.lost
    return ChannelTransientError(str(exc), maybe_delivered=lost)


def _short_chat(chat_id: str) -> str:
    """A chat id for the log: its last four characters only."""
    return "****" + chat_id[-4:] if len(chat_id) > 4 else "****"


def _report_refused(exc: Exception) -> None:
    """One ERROR line for a message of ours that cannot be sent (never the text itself)."""
    logger.error(
        "zalo: a message was refused as malformed and is not sent (%s); this is a bug of "
        "the bot: please report it",
        exc,
    )


async def run_zalo(
    app: App,
    engine: Engine,
    *,
    stop: asyncio.Event | None = None,
    web: WebServer | None = None,
    options: ZaloOptions | None = None,
    client: ZaloClient | None = None,
) -> None:
    """Run the Zalo channel until ``stop`` is set.

    Without ``stop`` this installs SIGINT/SIGTERM handlers that stop it (``youthbot run``
    passes its own event to run several channels in one process, and a shared ``web``
    server for the webhooks and ``/healthz``). Raises :class:`ZaloSetupError` when the
    channel cannot run.
    """
    channel = ZaloChannel(app, engine, options=options, web=web, client=client)
    await serve_until_stopped(channel, stop)
