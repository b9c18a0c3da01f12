"""Long polling with getUpdates, confirming an update only once it has been handled.

Telegram confirms updates by the ``offset`` of the next getUpdates: everything below it is
forgotten. The poller passes the offset :class:`~bot.channels.telegram_flow.AckTracker`
gives, which moves past an update only when it and every earlier one are handled, so a
crash (or a stop that cuts an update short) loses nothing: Telegram delivers the
unconfirmed updates again and the engine, which stored the ids of those it handled,
handles each once.

The price of that guarantee: every poll returns the unconfirmed updates again, and at most
``poll_limit`` (100) updates beyond the oldest unfinished one can be in hand. So the poller
long-polls only when nothing is in hand; otherwise it polls again once an update has been
confirmed (or after ``busy_poll_interval``), never more often than ``min_poll_interval``,
and builds ``Update`` objects only for the updates it has not seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut

from bot.channels.telegram_bot import PollingBot, TelegramOptions, TelegramSetupError
from bot.channels.telegram_flow import AckTracker
from bot.channels.telegram_mapping import ALLOWED_UPDATES
from bot.channels.telegram_sender import retry_after_seconds

__all__ = ["Poller"]

logger = logging.getLogger("bot.channels.telegram")

Dispatch = Callable[[int, dict[str, Any]], None]
"""Called with each new update (its id and raw JSON), in update order."""


class Poller:
    """The getUpdates loop of one bot; :meth:`run` until ``stop`` is set."""

    def __init__(
        self,
        bot: PollingBot,
        *,
        tracker: AckTracker,
        dispatch: Dispatch,
        stop: asyncio.Event,
        options: TelegramOptions,
        redact: Callable[[BaseException | str], str],
    ) -> None:
        self._bot = bot
        self._tracker = tracker
        self._dispatch = dispatch
        self._stop = stop
        self._options = options
        self._redact = redact
        self.errors = 0
        """Failed polls in a row (reported by the health check)."""

    async def run(self) -> None:
        """Poll until stopped; :class:`TelegramSetupError` if Telegram refuses the token."""
        opts = self._options
        tracker = self._tracker
        loop = asyncio.get_running_loop()
        with contextlib.suppress(TelegramError):
            await self._bot.delete_webhook(drop_pending_updates=False)  # polling needs none
        while not self._stop.is_set():
            offset = tracker.offset
            if tracker.in_flight >= opts.poll_limit:
                # The window is full: getUpdates would only repeat the unfinished updates.
                await tracker.wait_progress(1.0, since=offset)
                continue
            timeout = 0 if tracker.in_flight else opts.poll_timeout
            polled_at = loop.time()
            try:
                raw = await self._bot.fetch_updates(
                    offset=offset,
                    limit=opts.poll_limit,
                    timeout=timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    read_timeout=opts.read_timeout + timeout,
                )
            except InvalidToken:
                raise TelegramSetupError(
                    "Telegram refused the bot token; check TELEGRAM_BOT_TOKEN"
                ) from None
            except RetryAfter as exc:
                await self._pause(retry_after_seconds(exc.retry_after))
                continue
            except TelegramError as exc:  # Conflict, TimedOut, NetworkError, 5xx
                self.errors += 1
                delay = opts.backoff(self.errors)
                level = logging.INFO if isinstance(exc, TimedOut) else logging.WARNING
                logger.log(
                    level,
                    "telegram: getUpdates failed (%s); retrying in %.1f s",
                    self._redact(exc),
                    delay,
                )
                await self._pause(delay)
                continue
            self.errors = 0
            fresh = 0
            for data in raw:
                update_id = data.get("update_id")
                if isinstance(update_id, int) and tracker.is_new(update_id):
                    self._dispatch(update_id, data)
                    fresh += 1
            if tracker.in_flight:
                # Each poll returns every unconfirmed update again: poll once an update is
                # confirmed (or after a short pause), not in a busy loop.
                if not fresh or len(raw) < opts.poll_limit:
                    await tracker.wait_progress(opts.busy_poll_interval, since=offset)
                pause = polled_at + opts.min_poll_interval - loop.time()
                if pause > 0:
                    await self._pause(pause)

    async def confirm(self) -> None:
        """Tell Telegram which updates are done, so a restart does not get them again."""
        if self._tracker.offset is None:
            return
        with contextlib.suppress(TelegramError):
            await self._bot.fetch_updates(
                offset=self._tracker.offset,
                limit=1,
                timeout=0,
                allowed_updates=ALLOWED_UPDATES,
                read_timeout=self._options.read_timeout,
            )

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
