"""Concurrency helpers of the Telegram adapter: per-chat order, acknowledgement, pacing.

* :class:`ChatScheduler` runs jobs of different chats concurrently (bounded) and the jobs
  of one chat one after another, in submission order.
* :class:`AckTracker` knows which polled updates are dispatched and how many are not
  finished yet (polling pauses while too many wait).
* :class:`ChatPacer` keeps at least ``interval`` seconds between two messages to one chat
  (Telegram allows about one message per second per chat).

No Telegram types here: the Zalo adapter can use the same pieces.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = ["AckTracker", "ChatPacer", "ChatScheduler"]

T = TypeVar("T")


class ChatScheduler:
    """Per-chat ordered, globally bounded execution of async jobs."""

    def __init__(self, *, max_concurrency: int) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._tails: dict[str, asyncio.Task[object]] = {}
        self._tasks: set[asyncio.Task[object]] = set()

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def submit(self, key: str, job: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
        """Run ``job`` after the jobs already submitted for ``key``; returns its task."""
        previous = self._tails.get(key)
        task: asyncio.Task[T] = asyncio.create_task(self._run(previous, job))
        self._tails[key] = task
        self._tasks.add(task)

        def forget(done: asyncio.Task[T]) -> None:
            self._tasks.discard(done)
            if self._tails.get(key) is done:
                del self._tails[key]

        task.add_done_callback(forget)
        return task

    async def _run(
        self, previous: asyncio.Task[object] | None, job: Callable[[], Awaitable[T]]
    ) -> T:
        if previous is not None:
            await asyncio.wait([previous])  # its outcome is its own business
        async with self._semaphore:
            return await job()

    async def drain(self, timeout: float) -> bool:  # noqa: ASYNC109 - a bounded shutdown wait
        """Wait for every submitted job (``timeout`` seconds at most); cancel the rest.

        Returns ``True`` when everything finished in time.
        """
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        return not pending


class AckTracker:
    """Which updates were dispatched (in update order) and how many are not finished.

    The poller stores each update before confirming it to the platform (the transaction
    that handles it deletes the stored copy); the tracker tells it which fetched updates
    are new and how many are still being handled (:attr:`unfinished`, to stop fetching
    when too many wait).
    """

    def __init__(self) -> None:
        self._running: set[int] = set()
        self.last_dispatched = -1
        self._finished = asyncio.Event()

    @property
    def unfinished(self) -> int:
        """Dispatched updates still being handled (or waiting for their chat's turn)."""
        return len(self._running)

    def is_new(self, update_id: int) -> bool:
        return update_id > self.last_dispatched

    def dispatched(self, update_id: int) -> None:
        if update_id <= self.last_dispatched:
            raise ValueError(f"update {update_id} dispatched out of order")
        self.last_dispatched = update_id
        self._running.add(update_id)

    def finished(self, update_id: int) -> None:
        self._running.discard(update_id)
        self._finished.set()

    async def wait_finished(self, timeout: float) -> None:  # noqa: ASYNC109 - bounded wait
        """Return once another update is finished, or after ``timeout`` seconds."""
        self._finished.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finished.wait(), timeout)


@dataclass
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float = float("-inf")
    users: int = 0


class ChatPacer:
    """At least ``interval`` seconds between two sends to one chat (``turn`` is exclusive)."""

    PRUNE_ABOVE = 4096

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = max(0.0, interval)
        self._clock = clock
        self._slots: dict[str, _Slot] = {}

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: str) -> AsyncIterator[None]:
        """Hold the chat's turn: waits for the previous send plus the interval."""
        slot = self._slots.get(chat_id)
        if slot is None:
            if len(self._slots) >= self.PRUNE_ABOVE:
                self._prune()
            slot = self._slots[chat_id] = _Slot()
        slot.users += 1
        try:
            async with slot.lock:
                wait = slot.last + self.interval - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                try:
                    yield
                finally:
                    slot.last = self._clock()
        finally:
            slot.users -= 1

    def _prune(self) -> None:
        now = self._clock()
        for chat_id, slot in list(self._slots.items()):
            if slot.users == 0 and now - slot.last >= self.interval:
                del self._slots[chat_id]
