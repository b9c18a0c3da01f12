"""What the Telegram and Zalo adapters share: running, webhooks, failures, reachability.

:class:`ChannelLifecycle` is the base of :class:`~bot.channels.telegram.TelegramChannel`
and :class:`~bot.channels.zalo.ZaloChannel` (a channel base, not the engine: an adapter
only calls ``engine.handle()``). It holds the state both keep the same way and the steps
they take the same way:

* ``serve(stop)``: ``start()``, wait for ``stop`` (or the polling task to fail for good,
  whose error is raised), ``stop()``; :func:`serve_until_stopped` adds SIGINT/SIGTERM
  handlers when no ``stop`` event is given (``run_telegram``, ``run_zalo``);
* stopping: no more updates taken, the polling task cancelled, in-flight ones drained;
* the webhook: ``POST <path>`` on the shared :class:`~bot.channels.webserver.WebServer`
  (or one of the channel's own), 403 without the right secret token, 503 while stopped;
* engine failures: counted per update id (the newest 1,024 ids are kept), the person told
  once, an update given up at once when polled, after ``webhook_attempts`` by webhook
  (never while the database is busy);
* a person who blocked the bot is marked unreachable, and reachable when they return;
* a refused token (401/404) while running pauses polling and sending (:class:`TokenGuard`):
  one ERROR line names the setting to fix, the channel probes until the token works
  again, and nothing waiting is failed meanwhile;
* :func:`catalogue_text`: a catalogue text, in Vietnamese when the person's language lacks it.

Log records go to the adapter's own logger (``bot.channels.telegram``, ...) and start
with the channel's name, as the adapters wrote them before.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import signal
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final

from aiohttp import web
from pydantic import SecretStr

from bot.application.app import App
from bot.channels.base import Engine
from bot.channels.telegram_flow import ChatScheduler
from bot.channels.webserver import WebServer
from bot.delivery.replies import handle_received
from locales import DEFAULT_LANGUAGE, MissingMessageError, translator

if TYPE_CHECKING:
    from bot.delivery.replies import ReplySender
    from handlers.events import Event, Reply
    from storage.replies import StoredReply

__all__ = [
    "FAILURES_KEPT",
    "REPLAY_MAX_AGE",
    "ChannelLifecycle",
    "TokenGuard",
    "catalogue_text",
    "serve_until_stopped",
]

#: How many update ids the failure counter remembers (the oldest are forgotten first).
FAILURES_KEPT: Final = 1024

#: Stored updates older than this are dropped at a start, not handled: an answer a day
#: late to a button or a message the person has long given up on confuses more than it
#: helps, and Telegram itself keeps unconfirmed updates for 24 hours only.
REPLAY_MAX_AGE: Final = timedelta(hours=24)


def catalogue_text(language: str | None, key: str, **values: Any) -> str:
    """A catalogue text in ``language``, in Vietnamese if that catalogue lacks it."""
    try:
        return translator(language).t(key, **values)
    except MissingMessageError:
        return translator(DEFAULT_LANGUAGE).t(key, **values)


class TokenGuard:
    """Pauses a channel while the platform refuses its token, and resumes it by itself.

    ``probe()`` returns True when the token works, False when it is still refused (and may
    raise on other failures: probing goes on). A token revoked in the platform's settings
    needs a new one in the environment and a restart; one that was refused for a while
    (a platform incident) starts working again without a restart.
    """

    def __init__(
        self,
        channel: str,
        variable: str,
        logger: logging.Logger,
        probe: Callable[[], Awaitable[bool]],
        *,
        interval: float = 30.0,
    ) -> None:
        self._channel = channel
        self._variable = variable
        self._log = logger
        self._probe = probe
        self.interval = interval
        self._usable = asyncio.Event()
        self._usable.set()
        self._task: asyncio.Task[None] | None = None
        self.refusals = 0

    @property
    def refused(self) -> bool:
        return not self._usable.is_set()

    def refuse(self, detail: str) -> None:
        """The platform just refused the token: pause (the first time, tell the operator)."""
        if self.refused:
            return
        self.refusals += 1
        self._usable.clear()
        self._log.error(
            "%s: the platform refuses the bot token (%s): polling and sending are paused "
            "and nothing waiting is lost; set %s to the bot's current token and restart "
            "(the token is tried again every %g s)",
            self._channel,
            detail,
            self._variable,
            self.interval,
        )
        self._task = asyncio.create_task(self._probing(), name=f"{self._channel}-token-probe")

    async def wait_usable(self) -> None:
        await self._usable.wait()

    async def _probing(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                works = await self._probe()
            except Exception:  # unreachable meanwhile: keep trying
                continue
            if works:
                self._log.warning("%s: the bot token is accepted again; resuming", self._channel)
                self._usable.set()
                self._task = None
                return

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class ChannelLifecycle(ABC):
    """Base of the platform adapters; each sets the class attributes below."""

    #: The channel's name: identities, the ``/healthz`` entry and the log prefix.
    _channel: ClassVar[str]
    #: The adapter module's logger.
    _log: ClassVar[logging.Logger]
    #: The webhook's path and the header that carries its secret token.
    _webhook_path: ClassVar[str]
    _secret_header: ClassVar[str]
    #: What the polling task raises when the channel cannot run (not raised by ``stop()``).
    _setup_error: ClassVar[type[Exception]]

    def __init__(
        self,
        app: App,
        engine: Engine,
        *,
        web: WebServer | None,
        webhook_url: str | None,
        webhook_secret: SecretStr | None,
        max_concurrent_updates: int,
    ) -> None:
        self._app = app
        self._engine = engine
        self._webhook_url = webhook_url
        secret = webhook_secret
        self._secret = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        self._web = web
        self._own_web = False
        self._scheduler = ChatScheduler(max_concurrency=max_concurrent_updates)
        self._failures: OrderedDict[str, int] = OrderedDict()
        self._poll_task: asyncio.Task[None] | None = None
        self._stop_event = asyncio.Event()
        self._started = False
        self._accepting = False
        self.handled = 0  # events the engine handled
        self.failed = 0  # events whose handling failed
        self._last_update_at: datetime | None = None

    #: The channel's durable replies (set once started).
    _replies: ReplySender | None

    async def _handle_received(self, event: Event) -> tuple[list[Reply], StoredReply | None]:
        """The engine on one received event, its replies stored in its transaction
        (:func:`bot.delivery.replies.handle_received`; claimed for sending unless the
        channel is in an outage, a busy database waited out when polled)."""
        return await handle_received(
            self._engine,
            self._app.store,
            event,
            now=self._app.clock.now,
            claim=lambda: self._replies is None or not self._replies.outage,
            polled=self.mode == "polling",
        )

    async def take_over_replies(self, live_workers: Sequence[str]) -> int:
        """Several workers: send the replies that stopped or dead workers left for this
        channel (:meth:`bot.delivery.replies.ReplySender.take_over`); how many."""
        replies = self._replies
        if replies is None or not self._accepting:
            return 0
        return await replies.take_over(live_workers)

    @abstractmethod
    async def start(self) -> None:
        """Connect and start taking updates; on failure nothing is left open."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop taking updates, finish the in-flight ones, close."""

    @property
    def mode(self) -> str:
        return "webhook" if self._webhook_url else "polling"

    @property
    def webhook_secret(self) -> str:
        return self._secret

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

    async def _stop_taking_updates(self, grace: float) -> bool:
        """Refuse new updates, end polling and wait for the in-flight ones; ``False``
        when some were cut short after ``grace`` seconds."""
        self._accepting = False
        self._stop_event.set()
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, self._setup_error):
                await self._poll_task
            self._poll_task = None
        return await self._scheduler.drain(grace)

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when the channel stops meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), seconds)

    # -- webhook ----------------------------------------------------------------------

    def _add_webhook_route(self) -> WebServer:
        """``POST <webhook path>`` on the shared web server, or on one of our own."""
        if self._web is None:
            web_settings = self._app.settings.web
            self._web = WebServer(host=web_settings.host, port=web_settings.port)
            self._own_web = True
        self._web.add_route("POST", self._webhook_path, self._on_webhook)
        return self._web

    def _remove_webhook_route(self) -> None:
        """Take the webhook route and the ``/healthz`` entry off the web server."""
        if self._web is not None:
            self._web.remove_route("POST", self._webhook_path)
            self._web.remove_health_check(self._channel)

    async def _stop_own_web(self) -> None:
        """Stop the web server when the channel started it (a shared one keeps running)."""
        if self._own_web and self._web is not None:
            await self._web.stop()
            self._web = None
            self._own_web = False

    @abstractmethod
    async def _on_webhook(self, request: web.Request) -> web.Response: ...

    def _refuse_webhook(self, request: web.Request) -> web.Response | None:
        """403 without the right secret token (the body unread), 503 while stopped."""
        if not self._secret_matches(request.headers.get(self._secret_header)):
            self._log.info(
                "%s: refused a webhook request without the right secret token", self._channel
            )
            return web.json_response({"ok": False}, status=403)
        if not self._accepting:
            return web.json_response({"ok": False}, status=503)
        return None

    def _secret_matches(self, given: str | None) -> bool:
        """Whether the header carries our secret; any other value (none, bytes that are
        not UTF-8, which arrive as surrogates) is simply not it."""
        if given is None:
            return False
        try:
            raw = given.encode("utf-8", "surrogateescape")
        except UnicodeError:
            return False
        return hmac.compare_digest(raw, self._secret.encode())

    # -- failures ---------------------------------------------------------------------

    def _record_failure(
        self, key: str | None, *, attempts: int, busy: bool = False
    ) -> tuple[bool, bool]:
        """Count a failed event (``key``: its update id): (given up?, tell the person?).

        The person is told once; a webhook event is retried by the platform until it was
        tried ``attempts`` times, a polled one (or one without id) is given up at once.
        ``busy``: it failed because another process kept the database busy, no fault of
        the event: a webhook event is then neither counted nor given up (the platform
        sends it again; giving it up lost the message, and the apology could not be stored
        under the same lock).
        """
        self.failed += 1
        if busy and self.mode == "webhook" and key is not None:
            return False, False
        failures = 1 if key is None else self._count_failure(key)
        done = self.mode == "polling" or key is None or failures >= attempts
        return done, failures == 1

    def _count_failure(self, key: str) -> int:
        count = self._failures.pop(key, 0) + 1
        self._failures[key] = count
        while len(self._failures) > FAILURES_KEPT:
            self._failures.popitem(last=False)
        return count

    async def _stored_language(self, user_id: str) -> str:
        """The language a person chose (Vietnamese until they ask for English)."""
        try:
            person = await self._app.store.people.by_identity(self._channel, user_id)
        except Exception:  # the database is the engine's problem; speak Vietnamese
            self._log.exception("%s: cannot look up a person's language", self._channel)
            return DEFAULT_LANGUAGE
        return person.language if person is not None else DEFAULT_LANGUAGE

    # -- reachability -----------------------------------------------------------------

    async def _set_reachable(self, user_id: str, *, reachable: bool) -> None:
        """A person who blocked the bot (403) is not messaged again on this app until they
        return (another app of theirs still reaches them)."""
        person = await self._app.store.people.by_identity(self._channel, user_id)
        if person is not None and person.unreachable == reachable:
            await self._mark_reachable(person.id, user_id, reachable=reachable)

    async def _mark_reachable(self, person_id: int, user_id: str, *, reachable: bool) -> None:
        """``person.unreachable`` of :meth:`by_identity` is this identity's: flip it."""
        await self._app.store.people.set_blocked(self._channel, user_id, blocked=not reachable)
        self._log.info(
            "%s: person %s is %s",
            self._channel,
            person_id,
            "reachable again" if reachable else "unreachable (blocked the bot)",
        )


@contextlib.contextmanager
def stopped_by_signals(stop: asyncio.Event | None) -> Iterator[asyncio.Event]:
    """The given ``stop`` event; without one, a new event that SIGINT and SIGTERM set
    (the handlers are removed on leaving)."""
    stop_event = asyncio.Event() if stop is None else stop
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if stop is None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop_event.set)
                installed.append(signum)
    try:
        yield stop_event
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def serve_until_stopped(channel: ChannelLifecycle, stop: asyncio.Event | None) -> None:
    """``channel.serve()`` until ``stop`` is set; without ``stop``, until SIGINT/SIGTERM."""
    with stopped_by_signals(stop) as stop_event:
        await channel.serve(stop_event)
