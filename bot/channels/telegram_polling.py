"""Long polling with getUpdates: store each update, then confirm it, then handle it.

Telegram confirms updates by the ``offset`` of the next getUpdates: everything below it is
forgotten. The poller stores what a poll brought (:meth:`storage.updates.UpdateRepository.receive`)
before it passes the next offset, so a crash loses nothing: the next start handles the
stored updates that were not handled (the transaction that handles an update deletes its
stored copy). Because stored updates can be confirmed at once, every poll brings only new
updates, and a slow update does not hold the others back.

A refused token (401/404) while running pauses polling (:class:`TokenGuard`) instead of
ending the channel: it resumes when the token works again.

Fetching stops while ``max_backlog`` updates are still being handled; a poll that comes
back with less than a full batch is followed by a short pause (``min_poll_interval``), so
a busy bot takes updates in batches rather than one poll each.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut

from bot.channels.lifecycle import TokenGuard
from bot.channels.telegram_bot import PollingBot, TelegramOptions
from bot.channels.telegram_flow import AckTracker
from bot.channels.telegram_mapping import ALLOWED_UPDATES
from bot.channels.telegram_sender import retry_after_seconds

__all__ = ["Poller"]

logger = logging.getLogger("bot.channels.telegram")

Dispatch = Callable[[int, dict[str, Any]], None]
"""Called with each new update (its id and raw JSON), in update order."""

Keep = Callable[[list[tuple[int, str]]], Awaitable[None]]
"""Stores fetched updates (id, raw JSON)."""


class Poller:
    """The getUpdates loop of one bot; :meth:`run` until ``stop`` is set."""

    def __init__(
        self,
        bot: PollingBot,
        *,
        tracker: AckTracker,
        keep: Keep,
        dispatch: Dispatch,
        stop: asyncio.Event,
        options: TelegramOptions,
        redact: Callable[[BaseException | str], str],
        guard: TokenGuard,
    ) -> None:
        self._bot = bot
        self._guard = guard
        self._tracker = tracker
        self._keep = keep
        self._dispatch = dispatch
        self._stop = stop
        self._options = options
        self._redact = redact
        self._offset: int | None = None
        self.errors = 0
        """Failed polls in a row (reported by the health check)."""

    async def run(self) -> None:
        """Poll until stopped (paused while Telegram refuses the token)."""
        opts = self._options
        tracker = self._tracker
        loop = asyncio.get_running_loop()
        with contextlib.suppress(TelegramError):
            await self._bot.delete_webhook(drop_pending_updates=False)  # polling needs none
        while not self._stop.is_set():
            if tracker.unfinished >= opts.max_backlog:
                await tracker.wait_finished(1.0)
                continue
            polled_at = loop.time()
            try:
                raw = await self._bot.fetch_updates(
                    offset=self._offset,
                    limit=opts.poll_limit,
                    timeout=opts.poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    read_timeout=opts.read_timeout + opts.poll_timeout,
                )
            except InvalidToken as exc:
                self.errors += 1
                self._guard.refuse(self._redact(exc))
                await self._guard.wait_usable()
                self.errors = 0
                continue
            except RetryAfter as exc:
                await self._pause(retry_after_seconds(exc.retry_after))
                continue
            except TelegramError as exc:  # Conflict, TimedOut, NetworkError, 5xx
                await self._failed(exc, transient=isinstance(exc, TimedOut))
                continue
            ids = [u["update_id"] for u in raw if isinstance(u.get("update_id"), int)]
            fresh = [(u["update_id"], u) for u in raw if _is_new(u, tracker)]
            if fresh:
                try:
                    await self._keep([(update_id, json.dumps(u)) for update_id, u in fresh])
                except Exception as exc:  # the database refused: confirm nothing, retry
                    await self._failed(exc, transient=False, what="storing updates")
                    continue
            self.errors = 0
            if ids:
                self._offset = max(ids) + 1  # stored (or already handled): confirmable
            for update_id, update in fresh:
                self._dispatch(update_id, update)
            if len(raw) < opts.poll_limit:
                pause = polled_at + opts.min_poll_interval - loop.time()
                if pause > 0:
                    await self._pause(pause)

    async def confirm(self) -> None:
        """Tell Telegram which updates are stored, so a restart does not get them again."""
        if self._offset is None:
            return
        with contextlib.suppress(TelegramError):
            await self._bot.fetch_updates(
                offset=self._offset,
                limit=1,
                timeout=0,
                allowed_updates=ALLOWED_UPDATES,
                read_timeout=self._options.read_timeout,
            )

    async def _failed(self, exc: Exception, *, transient: bool, what: str = "getUpdates") -> None:
        self.errors += 1
        delay = self._options.backoff(self.errors)
        logger.log(
            logging.INFO if transient else logging.WARNING,
            "telegram: %s failed (%s); retrying in %.1f s",
            what,
            self._redact(exc),
            delay,
        )
        await self._pause(delay)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)


def _is_new(update: dict[str, Any], tracker: AckTracker) -> bool:
    update_id = update.get("update_id")
    return isinstance(update_id, int) and tracker.is_new(update_id)
