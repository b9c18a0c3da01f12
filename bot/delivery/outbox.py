"""The durable outbox sender: one loop drains queued messages within each platform's limits.

Every message to a person that does not answer their own message (reminders, broadcasts,
digests, answers) is queued first (:func:`queue_for_person`), so a crash loses nothing; the
sender paces each channel below its limit (Telegram: 30 messages/s overall, about one per
second per chat), waits ``retry_after`` on a 429, stops messaging a person on an app where
they blocked the bot (another app of theirs, linked with /lienket, still reaches them),
and retries network errors with backoff (a long message cut in parts goes on from the
first part not delivered), five minutes apart at most, for :data:`GIVE_UP_AFTER`: an
outage of the platform or of the server's network costs nobody their answer. A refused
token (401/404) fails nothing: the messages wait, and go once the token works (the
channel tells the operator). A retry after a lost answer is marked ``resent``, as is a
message in flight at a crash.

(Replies to a person's own message have their own outbox: :mod:`bot.delivery.replies`.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot.channels.base import (
    Channel,
    ChannelBlocked,
    ChannelRateLimited,
    ChannelTransientError,
    ChannelUnauthorized,
    ChannelUnexplained,
    DeliveryError,
    RateGate,
)
from bot.clock import Clock
from handlers.delivery import CHANNEL_PREFERENCE, decode_reply, encode_reply, queue_for_person
from storage import Store
from storage.outbox import OutboxMessage

__all__ = ["OutboxSender", "decode_reply", "encode_reply", "queue_for_person"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
GIVE_UP_AFTER = timedelta(days=2)
"""A message failing with network errors, timeouts or 5xx is given up once it was tried
:data:`MAX_ATTEMPTS` times and queued this long ago (it was given up after eight tries,
four minutes into an outage: every answer and broadcast queued then was lost)."""
SAFETY = 0.95  # pace at 95 % of a platform's published limit
TOKEN_WAIT = 30.0  # seconds between tries while a channel's token is refused
BUSY_TRIES = 5  # tries of a write while other processes keep the database busy
BUSY_PAUSE = 1.0  # seconds between them (each also waits the database's busy timeout)


@dataclass
class _Pacer:
    """Spaces sends on one channel: overall rate plus a minimum interval per chat."""

    interval: float
    per_chat: float
    next_free: float = 0.0
    paused_until: float = 0.0
    last_chat: dict[str, float] = field(default_factory=dict)

    def chat_ready_at(self, chat_id: str) -> float:
        return self.last_chat.get(chat_id, 0.0) + self.per_chat

    def slot(self, now: float) -> float:
        """When the next send may start (and reserve it)."""
        start = max(now, self.next_free, self.paused_until)
        self.next_free = start + self.interval
        return start


BatchDone = Callable[[int], Awaitable[None]]


class OutboxSender:
    """Drains the outbox through the given channels (one sender per process)."""

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        clock: Clock,
        *,
        on_batch_progress: BatchDone | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        poll_seconds: float = 1.0,
        worker: str | None = None,
        gates: Mapping[str, RateGate] | None = None,
    ) -> None:
        self.store = store
        # Several workers (PostgreSQL): claims carry this worker's id, only dead workers'
        # messages are recovered (by bot.application.workers), and ``gates`` share a
        # channel's limit with the other workers.
        self._worker = worker
        self._gates = dict(gates or {})
        self.channels = dict(channels)
        self.clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._on_batch = on_batch_progress
        self._pacers = {
            name: _Pacer(
                interval=1.0 / (ch.capabilities.messages_per_second * SAFETY),
                per_chat=ch.capabilities.per_chat_interval,
            )
            for name, ch in self.channels.items()
        }
        self._unrecorded: list[Callable[[], Awaitable[object]]] = []
        """Writes of outcomes the database refused past every busy try (oldest first):
        done before anything else is sent, so a message that went out is recorded within
        the run (it was left "in flight" until the next start)."""
        self.stats: dict[str, int] = {
            "sent": 0,
            "blocked": 0,
            "failed": 0,
            "retried": 0,
            "rerouted": 0,
        }

    def wake(self) -> None:
        """Tell the loop that something was queued."""
        self._wake.set()

    async def recover(self) -> int:
        """At the start: messages a crash left in flight are sent again (marked resent),
        and broadcasts that a crash left finished but unreported are reported."""
        if self._on_batch is not None:
            for batch_id in await self.store.broadcasts.unreported():
                await self._on_batch(batch_id)  # reports the finished ones only
        if self._worker is not None:
            return 0  # other workers may be sending: bot.application.workers recovers
        recovered = await self.store.outbox.recover()
        if recovered:
            log.warning(
                "outbox: %d message(s) were in flight at the last stop; resending", recovered
            )
        return recovered

    async def run(self, stop: asyncio.Event) -> None:
        recovered = False
        while not stop.is_set():
            try:
                if not recovered:
                    await self.recover()
                    recovered = True
                sent = await self.drain_once(stop=stop)
            except Exception as exc:
                # Another process keeps the database busy past its wait (a backup, a
                # re-clustering): sending goes on once the lock is released. (A message
                # whose outcome could not be recorded in all that time is recorded first
                # then, see _unrecorded; only a stop before that leaves it in flight, for
                # the next start to send again, marked resent.)
                if not self.store.db.busy(exc):
                    raise
                log.warning("outbox: the database is busy (%s); sending goes on shortly", exc)
                await self._sleep(BUSY_PAUSE)
                continue
            if sent == 0 and not stop.is_set():
                self._wake.clear()
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait(
                    {waiter, stopper}, timeout=self._poll, return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                stopper.cancel()
        if self._unrecorded:
            try:
                await self._record_unrecorded()
            except Exception as exc:
                log.warning(
                    "outbox: %d outcome(s) could not be recorded before the stop (%s); the"
                    " next start sends those messages again, marked resent",
                    len(self._unrecorded),
                    exc,
                )

    async def drain_once(self, *, stop: asyncio.Event | None = None, limit: int = 500) -> int:
        """Deliver what is due now; returns how many were attempted."""
        await self._record_unrecorded()
        due = await self.store.outbox.due(
            now=self.clock.now(), channels=list(self.channels), limit=limit
        )
        attempted = 0
        deferred: set[str] = set()
        for message in due:
            if stop is not None and stop.is_set():
                break
            pacer = self._pacers[message.channel]
            key = f"{message.channel}:{message.chat_id}"
            if key in deferred:
                continue
            now = self._monotonic()
            ready = pacer.chat_ready_at(message.chat_id)
            if ready > now + 0.05 and len(due) > 1:
                # Another chat's message can go first; this one waits for the next pass.
                deferred.add(key)
                continue
            start = max(pacer.slot(now), ready)
            if start > now:
                await self._sleep(start - now)
            await self._deliver(message, pacer)
            attempted += 1
        if deferred and attempted == 0:
            await self._sleep(min(p.per_chat for p in self._pacers.values()) / 4 or 0.01)
            return 1  # keep the loop going without waiting for the poll interval
        return attempted

    async def _deliver(self, message: OutboxMessage, pacer: _Pacer) -> None:
        gate = self._gates.get(message.channel)
        if gate is not None:
            await gate.acquire()
        if not await self.store.outbox.claim(message.id, worker=self._worker):
            return
        channel = self.channels[message.channel]
        try:
            maybe_twice = await channel.deliver(
                message.chat_id, decode_reply(message.body), start=message.parts_done
            )
        except (DeliveryError, TimeoutError, OSError) as exc:
            failure: BaseException | None = exc
            maybe_twice = False
        else:
            failure = None
            pacer.last_chat[message.chat_id] = self._monotonic()
            self.stats["sent"] += 1
        # What happened is recorded even while another process keeps the database busy: a
        # message that went out must not stay "in flight" until the next start. Past
        # every try, the writes wait in memory and go before the next send.
        writes: list[Callable[[], Awaitable[object]]] = [
            lambda: self._record(message, pacer, failure, bool(maybe_twice))
        ]
        if message.batch_id is not None and self._on_batch is not None:
            batch = message.batch_id
            on_batch = self._on_batch
            writes.append(lambda: on_batch(batch))
        for n, write in enumerate(writes):
            try:
                await self._busy_retry(write)
            except Exception as exc:
                if not self.store.db.busy(exc):
                    raise
                self._unrecorded.extend(writes[n:])
                raise

    async def _record_unrecorded(self) -> None:
        """Record the outcomes the database refused before (oldest first); raises while it
        is still busy (the rest wait for the next call)."""
        while self._unrecorded:
            await self._unrecorded[0]()
            self._unrecorded.pop(0)

    async def _record(
        self,
        message: OutboxMessage,
        pacer: _Pacer,
        failure: BaseException | None,
        maybe_twice: bool,
    ) -> None:
        """Store the outcome of one try (``failure``: what the channel raised)."""
        outbox = self.store.outbox
        if failure is None:
            await outbox.mark_sent(message.id, now=self.clock.now(), resent=maybe_twice)
            return
        error = str(failure)
        parts_done = max(getattr(failure, "parts_done", 0), message.parts_done)
        if isinstance(failure, ChannelUnauthorized):
            # Not the message's fault: it waits for the token (the channel told the operator;
            # while the token is refused it answers at once, without calling the platform).
            await outbox.retry_later(
                message.id,
                at=self.clock.now() + timedelta(seconds=TOKEN_WAIT),
                error=error,
                counted=False,
                parts_done=parts_done,
            )
        elif isinstance(failure, ChannelRateLimited):
            pause = max(failure.retry_after, 0.5)
            pacer.paused_until = self._monotonic() + pause
            self.stats["retried"] += 1
            # The attempt does not count against the message: the platform asked us to wait.
            await outbox.retry_later(
                message.id,
                at=self.clock.now() + timedelta(seconds=pause),
                error=error,
                counted=False,
                parts_done=parts_done,
            )
        elif isinstance(failure, ChannelBlocked):
            if message.person_id is not None and await self._reroute(message):
                self.stats["rerouted"] += 1
            else:
                self.stats["blocked"] += 1
                await outbox.mark_failed(message.id, status="blocked", error=error)
                if message.person_id is not None:
                    await outbox.block_person(message.person_id, error="blocked the bot")
        elif isinstance(failure, (TimeoutError, ChannelTransientError, OSError)):
            lost = isinstance(failure, ChannelTransientError) and failure.maybe_delivered
            queued = message.created_at or self.clock.now()
            # An error the platform does not explain is never proof against the message:
            # it waits (backoff up to 5 minutes) however long it lasts.
            if (
                not isinstance(failure, ChannelUnexplained)
                and message.attempts + 1 >= MAX_ATTEMPTS
                and self.clock.now() - queued >= GIVE_UP_AFTER
            ):
                self.stats["failed"] += 1
                await outbox.mark_failed(message.id, status="failed", error=error)
            else:
                self.stats["retried"] += 1
                backoff = min(2 ** min(message.attempts + 1, 9), 300)
                await outbox.retry_later(
                    message.id,
                    at=self.clock.now() + timedelta(seconds=backoff),
                    error=error,
                    resent=lost,  # the failed try may have arrived: the retry is a resend
                    parts_done=parts_done,
                )
        else:  # ChannelPermanentError and any other refusal of the message itself
            self.stats["failed"] += 1
            await outbox.mark_failed(message.id, status="failed", error=error)

    async def _busy_retry(self, write: Callable[[], Awaitable[object]]) -> None:
        """Run ``write`` again while other writers keep the database busy past its wait (a
        backup or a re-clustering from the command line), up to :data:`BUSY_TRIES` times."""
        for attempt in range(1, BUSY_TRIES + 1):
            try:
                await write()
                return
            except Exception as exc:
                if attempt == BUSY_TRIES or not self.store.db.busy(exc):
                    raise
                log.warning("outbox: the database is busy (%s); trying again", exc)
                await self._sleep(BUSY_PAUSE)

    async def _reroute(self, message: OutboxMessage) -> bool:
        """The person blocked the bot on this chat: it is not used again until they come
        back there; when another app of theirs still reaches them (linked with /lienket),
        their messages for this chat go there instead (True)."""
        assert message.person_id is not None
        people = self.store.people
        await people.set_chat_blocked(message.person_id, message.channel, message.chat_id)
        found = (await people.reachable_identities([message.person_id])).get(message.person_id)
        if not found:
            return False
        # (On an app this process does not run, they wait for the process that does.)
        rank = {name: i for i, name in enumerate(CHANNEL_PREFERENCE)}
        other = min(found, key=lambda i: rank.get(i.channel, len(rank)))
        moved = await self.store.outbox.move_chat(
            message.id,
            message.person_id,
            source=(message.channel, message.chat_id),
            target=(other.channel, other.chat_id),
        )
        log.info(
            "outbox: %d message(s) go to %s instead (blocked on %s)",
            moved,
            other.channel,
            message.channel,
        )
        return True
