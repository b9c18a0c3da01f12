"""Several ``youthbot run`` workers over one PostgreSQL database.

On SQLite one process does everything and none of this runs. On PostgreSQL
(:attr:`storage.db.Database.shared`) each worker:

* writes a heartbeat every :data:`HEARTBEAT_SECONDS`; a worker silent for
  :data:`DEAD_AFTER_SECONDS` is dead, and the outbox messages it had in flight go back to
  the queue (marked as possibly sent twice, like after a crash of the one process), and
  the replies it had stored but not delivered are taken over by a live worker (whole
  chats, in order: ``storage.replies``), as are those a cleanly stopped worker left;
* competes for the scheduler's lease (:data:`SCHEDULER_LEASE`): its holder runs the
  minute tick (reminders, digests, housekeeping); when the holder dies its lease expires
  after :data:`LEASE_SECONDS` and the next heartbeat of another worker takes it, so the
  tick moves within about 20 seconds;
* takes its sending allowance from shared token buckets (:class:`SharedRate`), so the
  bot's limits (Telegram's 30 messages/s overall) hold whatever the number of workers.

``youthbot run`` takes the three times from ``YOUTHBOT_WORKER_LEASE_SECONDS`` (15 by
default): the lease and the silence that means dead last that long, a heartbeat comes
every third of it.

An update is handled once whichever worker receives it (the engine records its id in
the event's transaction) and one person's events one at a time (the engine's transaction
holds an advisory lock keyed by the person's identity): see
:meth:`storage.conversations.ConversationRepository.open_event`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Sequence

from storage import Store

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
DEAD_AFTER_SECONDS = 15.0
LEASE_SECONDS = 15.0
SCHEDULER_LEASE = "scheduler"
TOKEN_LIFETIME = 0.1
"""Seconds a worker may hold sending tokens before they lapse (see :class:`SharedRate`)."""


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class SharedRate:
    """A sending rate shared by every worker through a database token bucket.

    A worker takes a few tokens per trip (a thirtieth of a second's worth: one at
    Telegram's 30/s, a database trip per message, which PostgreSQL does not notice) and
    spends them within :data:`TOKEN_LIFETIME` or lets them go; the bucket holds no more
    than one trip's worth, so a one-second window sees at most ``rate`` × (1 + lifetime)
    plus one trip's tokens, however many workers send, and in practice ``rate`` (a
    token is spent as soon as it is granted).
    """

    def __init__(
        self,
        store: Store,
        name: str,
        rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self.name = name
        self.rate = rate
        self._chunk = max(1, math.ceil(rate / 30))
        self._tokens = 0
        self._valid_until = 0.0
        self._monotonic = monotonic
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for one token."""
        async with self._lock:
            while True:
                if self._tokens > 0 and self._monotonic() < self._valid_until:
                    self._tokens -= 1
                    return
                grant = await self._store.coordination.take(
                    self.name, want=self._chunk, rate=self.rate, capacity=self._chunk
                )
                if grant.tokens:
                    self._tokens = grant.tokens
                    self._valid_until = self._monotonic() + TOKEN_LIFETIME
                else:
                    await asyncio.sleep(max(grant.wait, 0.005))


class Worker:
    """This process among the workers: heartbeat, the scheduler's lease, recovery of the
    messages dead workers left in flight."""

    def __init__(
        self,
        store: Store,
        *,
        worker_id: str | None = None,
        on_leader: Callable[[], None] | None = None,
        on_recovered: Callable[[int], None] | None = None,
        on_live: Callable[[Sequence[str]], Awaitable[object]] | None = None,
        heartbeat: float = HEARTBEAT_SECONDS,
        dead_after: float = DEAD_AFTER_SECONDS,
        lease_ttl: float = LEASE_SECONDS,
    ) -> None:
        self.store = store
        self.id = worker_id or new_worker_id()
        self.leader = False
        self._on_leader = on_leader
        self._on_recovered = on_recovered
        self._on_live = on_live
        self._heartbeat = heartbeat
        self._dead_after = dead_after
        self._lease_ttl = lease_ttl

    async def beat(self) -> None:
        """One heartbeat: presence, the lease, and recovery of dead workers' messages."""
        coordination = self.store.coordination
        await coordination.heartbeat(self.id)
        was_leader = self.leader
        self.leader = await coordination.lease(SCHEDULER_LEASE, self.id, ttl=self._lease_ttl)
        if self.leader and not was_leader:
            log.info("worker %s: took the scheduler's lease", self.id)
            if self._on_leader is not None:
                self._on_leader()
        elif was_leader and not self.leader:
            log.warning("worker %s: lost the scheduler's lease", self.id)
        live = await coordination.live(within=self._dead_after)
        recovered = await self.store.outbox.recover(live_workers=live)
        if recovered:
            log.warning(
                "outbox: %d message(s) were in flight on a stopped worker; resending", recovered
            )
            if self._on_recovered is not None:
                self._on_recovered(recovered)
        if self._on_live is not None:  # the replies stopped or dead workers left
            await self._on_live(live)
        if self.leader:
            await coordination.forget_dead(after=max(self._dead_after * 20, 300.0))

    async def run(self, stop: asyncio.Event) -> None:
        """Beat until ``stop``; then leave (the lease is free at once)."""
        try:
            while not stop.is_set():
                try:
                    await self.beat()
                except Exception:  # the database may be back at the next beat
                    log.exception("worker %s: heartbeat failed", self.id)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._heartbeat)
        finally:
            self.leader = False
            with contextlib.suppress(Exception):
                await self.store.coordination.leave(self.id)
