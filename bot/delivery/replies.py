"""Durable replies: stored with the state change that produced them, then delivered in
order per chat, through outages and restarts.

:func:`handle_and_store` runs the engine and stores its replies (``storage.replies``) in
one transaction, so the answer to a person's action exists exactly when the action's effect
does. :class:`ReplySender` (one per channel) then delivers each chat's rows in order, one
row at a time, and forgets a row once delivered:

* **Order per chat.** A chat's rows go strictly one after another, in the order they were
  stored; a row that cannot be delivered yet (an outage) holds back the later rows of its
  chat only. Different chats go concurrently (bounded).
* **Retries.** Network errors, timeouts and 5xx are retried without limit: the answer to a
  person's last action is never given up because of an outage. While sends fail, the
  channel is in an *outage*: one row at a time probes (every chat's next row in turn,
  ``probe_every`` apart at most) and the others wait, so an outage costs Telegram a try
  every second or two instead of one per waiting chat, and the first success lets every
  chat go at once. A 429 waits ``retry_after``. A refused token (401/404) pauses the
  channel until the token works again (the channel tells the operator). A message the
  platform refuses (400) is dropped with one log line; a person who blocked the bot gets
  nothing more.
* **At least once.** A row is deleted after its delivery; a crash between the two makes the
  next start send it again. Such rows (and sends retried after a lost answer: a timeout or
  a dropped connection, where the platform may have done the work) are *resent*: marked in
  the table, counted in :attr:`ReplySender.stats` and logged one line each (the chat's last
  four digits), so that a message that arrived twice is always accounted for. Edits of
  the pressed prompt repeat harmlessly (the platform says "not modified", taken as done).
  Which rows a crash can have delivered is known from their claim (``storage.replies``):
  a row is claimed from its insert on (stored during an outage, it is not), released
  while an outage refuses it outright (a 5xx, no connection: nothing of it arrived) and
  claimed again before its next try. So the only rows marked without need are those a
  crash caught between the commit and the first try.
* **Progress within a row.** A row may take several messages (an edit, then a new prompt,
  files); after a failure the retry goes on from the first message not yet delivered.
* **Clean stop.** :meth:`ReplySender.stop` lets the queues drain (bounded), then frees the
  rows it never tried, so the next start sends them without the resent mark.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.channels.base import (
    ChannelBlocked,
    ChannelPermanentError,
    ChannelRateLimited,
    ChannelTransientError,
    ChannelUnauthorized,
    Engine,
)
from handlers.delivery import decode_replies, encode_replies
from handlers.events import Event, EventKind, Reply
from storage import Store
from storage.replies import StoredReply

#: Tries of one event while other writers keep the database busy (each waits up to the
#: database's busy timeout: SQLite's is 5 s).
BUSY_ATTEMPTS = 3
#: Seconds between further tries of a polled update while the database stays busy.
BUSY_PAUSE = 2.0

log = logging.getLogger(__name__)

__all__ = [
    "BUSY_ATTEMPTS",
    "Delivery",
    "ReplySender",
    "ReplyTransport",
    "handle_and_store",
    "handle_polled",
    "handle_received",
    "stored_content",
]


async def handle_and_store(
    engine: Engine, store: Store, event: Event, *, now: datetime, claim: bool = True
) -> tuple[list[Reply], StoredReply | None]:
    """Handle ``event`` and store its replies in the same transaction.

    Returns the replies and their stored row (``None`` when there is nothing to say, as
    for a redelivered update). The engine's own transaction joins this one, so the state
    change, the replies and the end of the update's stored copy (a polled one's raw text)
    commit together or not at all. ``claim=False`` stores the row as not on its way (the
    channel is in an outage: it waits, see :class:`ReplySender`).

    When other writers keep the database busy past its wait (a re-clustering or a
    backup from the command line, another worker), the event is handled again from the
    start, up to :data:`BUSY_ATTEMPTS` times: nothing of it was kept, and giving up would
    cost the person their message.
    """
    for attempt in range(1, BUSY_ATTEMPTS + 1):
        try:
            return await _handle_and_store_once(engine, store, event, now=now, claim=claim)
        except Exception as exc:
            if attempt == BUSY_ATTEMPTS or not store.db.busy(exc):
                raise
            log.warning(
                "%s update %s: the database was busy (%s); handling it again (%d/%d)",
                event.channel,
                event.update_id,
                exc,
                attempt + 1,
                BUSY_ATTEMPTS,
            )
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


async def handle_polled(
    engine: Engine,
    store: Store,
    event: Event,
    *,
    now: Callable[[], datetime],
    claim: Callable[[], bool],
) -> tuple[list[Reply], StoredReply | None]:
    """:func:`handle_and_store` for a polled update, which the platform never sends
    again: while other writers keep the database busy past :data:`BUSY_ATTEMPTS` tries, it
    is handled again every :data:`BUSY_PAUSE` seconds instead of being given up (the
    person's message was lost, and the apology could not be stored either, so they got
    no answer at all). Its chat's later updates wait behind it, in order; a stop cancels
    the wait and the stored update is handled at the next start."""
    while True:
        try:
            return await handle_and_store(engine, store, event, now=now(), claim=claim())
        except Exception as exc:
            if not store.db.busy(exc):
                raise
            log.warning(
                "%s update %s: the database is still busy (%s); handling it again in %.0f s",
                event.channel,
                event.update_id,
                exc,
                BUSY_PAUSE,
            )
            await asyncio.sleep(BUSY_PAUSE)


async def handle_received(
    engine: Engine,
    store: Store,
    event: Event,
    *,
    now: Callable[[], datetime],
    claim: Callable[[], bool],
    polled: bool,
) -> tuple[list[Reply], StoredReply | None]:
    """An update as a channel adapter received it: a ``polled`` one waits out a busy
    database (:func:`handle_polled`, never sent again); a webhook's is tried
    :data:`BUSY_ATTEMPTS` times (:func:`handle_and_store`), then its platform sends it
    again."""
    if polled:
        return await handle_polled(engine, store, event, now=now, claim=claim)
    return await handle_and_store(engine, store, event, now=now(), claim=claim())


async def _handle_and_store_once(
    engine: Engine, store: Store, event: Event, *, now: datetime, claim: bool
) -> tuple[list[Reply], StoredReply | None]:
    chat = event.reply_chat
    async with store.transaction(quick=True):  # a chat event: see Database.transaction
        replies = await engine.handle(event)
        if event.update_id is not None:  # a polled update's stored copy goes with it
            await store.updates.handled(event.channel, event.update_id)
        if not replies:
            return replies, None
        # The reply confirming an erasure is followed to the end (see StoredReply).
        erased = (event.channel, chat) in store.people.erased_chats
        prompt = event.message_id if event.kind == EventKind.BUTTON else None
        stored = await store.replies.add(
            event.channel,
            chat,
            event.user_id,
            encode_replies(replies, prompt=prompt),
            now=now,
            erased=erased,
            claimed=claim,
        )
    if erased:  # committed: forget the mark only now (a busy retry still needs it)
        store.people.erased_chats.discard((event.channel, chat))
    stored.content = (replies, prompt)  # the sender need not decode what it was given
    return replies, stored


def stored_content(reply: StoredReply) -> tuple[list[Reply], str | None]:
    """A row's replies and pressed prompt (decoded from the table when read back)."""
    content = reply.content
    if isinstance(content, tuple):
        return content
    return decode_replies(reply.body)


@dataclass
class Delivery:
    """One row on its way: how far it got, and whether a retry may repeat a message."""

    reply: StoredReply
    done: int = 0
    """Messages (sends, edits) of the row already delivered: a retry starts after them."""
    lost: bool = False
    """A send went out but its answer was lost: the platform may have delivered it."""
    tried: bool = False
    attempts: int = 0
    """Failed tries (the backoff before the next)."""
    released: bool = False
    """Known undelivered (an outage refused every try) and so not claimed in the table: a
    crash now would not make the next start mark it as a possible duplicate."""


class ReplyTransport(Protocol):
    """What a channel offers the reply sender."""

    async def send_stored(self, delivery: Delivery) -> None:
        """Deliver the row's messages from ``delivery.done`` on, counting each delivered
        one in ``delivery.done``; raise a :class:`bot.channels.base.DeliveryError` (and set
        ``delivery.lost`` when a send's answer was lost)."""
        ...

    async def wait_usable(self) -> None:
        """Return when sending may be tried (at once, unless the token is refused)."""
        ...


class ReplySender:
    """Delivers one channel's stored replies; see the module docstring."""

    def __init__(
        self,
        store: Store,
        channel: str,
        transport: ReplyTransport,
        *,
        logger: logging.Logger,
        max_concurrency: int = 128,
        backoff: Callable[[int], float] = lambda attempt: min(8.0, 0.5 * 2 ** (attempt - 1)),
        probe_every: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._channel = channel
        self._transport = transport
        self._log = logger
        self._backoff = backoff
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(max(1, max_concurrency))
        self._queues: dict[str, deque[Delivery]] = {}
        """Each chat with rows waiting or on their way (also while one goes inline)."""
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._probe_every = probe_every
        self._failing = 0  # failed tries in a row, channel-wide (the outage's length)
        self._probing = False  # a row is trying, in an outage
        self._turns = asyncio.Condition()
        self._stopping = False
        self.stats: dict[str, int] = {
            "delivered": 0,
            "resent": 0,
            "retried": 0,
            "dropped": 0,
            "recovered": 0,
        }

    @property
    def pending(self) -> int:
        """Rows waiting or on their way."""
        return sum(len(queue) for queue in self._queues.values())

    @property
    def outage(self) -> bool:
        """Sends fail at the moment (new rows wait unclaimed, see the module docstring)."""
        return self._failing > 0

    async def start(self) -> int:
        """Take over the rows left by the last run (before any new ones); how many.

        With several workers (PostgreSQL) nothing is taken here: which rows are left
        depends on which workers are alive, and :meth:`take_over` (each heartbeat of
        ``bot.application.workers.Worker``) knows that."""
        if self._store.db.shared:
            return 0
        return await self._take(None)

    async def take_over(self, live_workers: Sequence[str]) -> int:
        """Several workers: take over the rows of workers that stopped or died (whole
        chats, in order; see ``storage.replies``) and send them; how many."""
        if self._stopping:
            return 0
        return await self._take(live_workers)

    async def _take(self, live_workers: Sequence[str] | None) -> int:
        rows = await self._store.replies.recover(self._channel, live_workers=live_workers)
        for row in rows:
            self.push(row)
        resent = sum(1 for row in rows if row.resent)
        self.stats["recovered"] += len(rows)
        if rows:
            self._log.warning(
                "%s: %d stored repl%s left by %s; sending them now%s",
                self._channel,
                len(rows),
                "y" if len(rows) == 1 else "ies",
                "the last run" if live_workers is None else "a stopped worker",
                f" ({resent} were on their way at a crash and may arrive twice)" if resent else "",
            )
        return len(rows)

    def push(self, reply: StoredReply) -> None:
        """Queue a stored row behind its chat's earlier rows (a worker sends it)."""
        if self._stopping:
            return  # stored: the next start sends it
        queue = self._queues.setdefault(reply.chat_id, deque())
        queue.append(Delivery(reply, released=not reply.claimed))
        self._start_worker(reply.chat_id, queue)

    async def deliver(self, reply: StoredReply) -> None:
        """Send a row now, in the caller's task, when its chat has nothing waiting and
        sending works; otherwise (or when this try fails) it is queued for a worker.

        The common case (an update's replies, sent by the job that handled it) costs no
        task of its own; whatever happens, the row keeps its place in the chat's order.
        """
        chat = reply.chat_id
        if self._stopping:
            return
        if chat in self._queues or self._failing:
            self.push(reply)
            return
        delivery = Delivery(reply, released=not reply.claimed)
        queue: deque[Delivery] = deque([delivery])
        self._queues[chat] = queue  # later rows of the chat queue behind this one
        self._idle.clear()
        delay: float | None = 1.0
        try:
            await self._transport.wait_usable()
            delay = await self._try(delivery, queue)
        finally:
            if queue and not self._stopping and delay is not None:
                self._start_worker(chat, queue, delay=delay)
            elif not queue and self._queues.get(chat) is queue:
                del self._queues[chat]
                self._check_idle()

    def _start_worker(self, chat: str, queue: deque[Delivery], *, delay: float = 0.0) -> None:
        if chat not in self._workers:
            self._idle.clear()
            self._workers[chat] = asyncio.create_task(
                self._work(chat, queue, delay), name=f"{self._channel}-replies"
            )

    def _check_idle(self) -> None:
        if not self._workers and not self._queues:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:  # noqa: ASYNC109 - a bounded wait
        """Wait until every queued row is delivered (or dropped); False after ``timeout``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        return self._idle.is_set()

    async def stop(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded wait
        """Deliver what is queued within ``timeout`` seconds, then stop; rows never tried
        are freed for the next start (which sends them unmarked)."""
        if timeout > 0:
            await self.wait_idle(timeout)
        self._stopping = True
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        if workers:
            await asyncio.wait(workers)
        untried = [
            d.reply.id
            for queue in self._queues.values()
            for d in queue
            if not d.tried and not d.lost and d.done == 0 and not d.released
        ]
        left = self.pending
        self._queues.clear()
        try:
            await self._store.replies.release(untried, leaving=True)
        except Exception as exc:  # the rows stay claimed: the next start marks them resent
            self._log.warning("%s: could not free %d replies: %s", self._channel, len(untried), exc)
        if left:
            self._log.warning(
                "%s: %d repl%s not delivered before the stop are stored; the next start sends them",
                self._channel,
                left,
                "y" if left == 1 else "ies",
            )

    # -- one chat ---------------------------------------------------------------------

    async def _work(self, chat: str, queue: deque[Delivery], delay: float) -> None:
        try:
            while queue:
                if delay > 0:
                    await self._sleep(delay)
                await self._transport.wait_usable()
                probe = await self._turn()
                try:
                    async with self._semaphore:
                        try:
                            next_delay = await self._try(queue[0], queue)
                        except Exception as exc:
                            # The table refused a claim or a delete (another process
                            # keeps the database busy past its wait): the chat's rows
                            # stay queued and are tried again, not left until the
                            # person writes again or the next start.
                            self._log.warning(
                                "%s: a reply's record could not be written (%s); trying"
                                " again in %.1f s",
                                self._channel,
                                _one_line(exc),
                                self._probe_every,
                            )
                            next_delay = self._probe_every
                    if next_delay is not None and probe:
                        await self._sleep(next_delay)  # probes stay this far apart
                        next_delay = 0.0
                finally:
                    await self._end_turn(probe)
                delay = next_delay or 0.0
        finally:
            if self._workers.get(chat) is asyncio.current_task():
                del self._workers[chat]
            if not queue and self._queues.get(chat) is queue:
                del self._queues[chat]
            self._check_idle()

    async def _try(self, delivery: Delivery, queue: deque[Delivery]) -> float | None:
        """One try of the chat's first row: ``None`` when it is done with (delivered,
        dropped), else the seconds to wait before the next try."""
        if delivery.lost and not delivery.reply.resent:
            await self._mark_resent(delivery)
        if delivery.released:  # about to try: a crash from now on may leave it sent
            await self._store.replies.claim([delivery.reply.id])
            delivery.released = False
        try:
            delivery.tried = True
            await self._transport.send_stored(delivery)
        except ChannelRateLimited as exc:
            return max(exc.retry_after, 0.01)
        except ChannelUnauthorized:
            return 0.0  # the channel paused itself: wait_usable() waits for the fix
        except ChannelBlocked:
            # They blocked the bot (the channel marked them unreachable): the rest of their
            # replies cannot arrive.
            dropped = list(queue)
            queue.clear()
            await self._drop(dropped)
            return None
        except ChannelPermanentError as exc:
            self._log.warning("%s: a reply was refused and is dropped: %s", self._channel, exc)
            queue.popleft()
            await self._drop([delivery])
            return None
        except (ChannelTransientError, TimeoutError, OSError) as exc:
            delivery.attempts += 1
            self.stats["retried"] += 1  # delivery.lost was set by the transport
            self._failing += 1
            delay = min(self._backoff(max(delivery.attempts, self._failing)), self._probe_every)
            self._failed(exc, delay)
            if delivery.done == 0 and not delivery.lost and not delivery.released:
                # Refused outright (a 5xx, no connection): nothing of it arrived. While it
                # waits, a crash must not mark it as a possible duplicate.
                await self._release(delivery)
            return delay
        except asyncio.CancelledError:
            delivery.lost = True  # cut short mid-send: it may have gone out
            raise
        except Exception:  # a bug: do not retry it forever, and tell
            self._log.exception("%s: a reply could not be rendered", self._channel)
            queue.popleft()
            await self._drop([delivery])
            return None
        queue.popleft()
        await self._delivered(delivery)
        if self._failing:
            await self._end_turn(False, worked=True)
        return None

    async def _turn(self) -> bool:
        """Wait for a turn to send; in an outage one row at a time probes (True)."""
        if not self._failing:
            return False
        async with self._turns:
            await self._turns.wait_for(lambda: not self._failing or not self._probing)
            if self._failing:
                self._probing = True
                return True
            return False

    async def _end_turn(self, probe: bool, *, worked: bool = False) -> None:
        if not probe and not (worked and self._failing):
            return
        async with self._turns:
            if probe:
                self._probing = False
            if worked and self._failing:
                self._log.warning(
                    "%s: replies are delivered again (after %d failed tries)",
                    self._channel,
                    self._failing,
                )
                self._failing = 0
            self._turns.notify_all()

    async def _delivered(self, delivery: Delivery) -> None:
        reply = delivery.reply
        self.stats["delivered"] += 1
        if reply.resent:
            self.stats["resent"] += 1
            self._log.info(
                "%s: reply %d sent again to chat %s; it may have arrived twice",
                self._channel,
                reply.id,
                _short(reply.chat_id),
            )
        if reply.erased:
            # To a person who erased their data: the chat id goes now, and the WAL after it.
            await self._store.replies.drop([reply.id])
            self._store.db.checkpoint_soon()
        else:
            self._store.replies.delivered(reply.id)

    async def _drop(self, deliveries: list[Delivery]) -> None:
        self.stats["dropped"] += len(deliveries)
        await self._store.replies.drop([d.reply.id for d in deliveries])
        if any(d.reply.erased for d in deliveries):
            self._store.db.checkpoint_soon()  # the chat id goes from the WAL too

    async def _release(self, delivery: Delivery) -> None:
        try:
            await self._store.replies.release([delivery.reply.id])
        except Exception:  # still claimed: at worst a crash marks it needlessly
            return
        delivery.released = True

    async def _mark_resent(self, delivery: Delivery) -> None:
        delivery.reply.resent = True
        with contextlib.suppress(Exception):  # the log line still says it
            await self._store.replies.mark_resent(delivery.reply.id)

    def _failed(self, exc: BaseException, delay: float) -> None:
        self._log.log(
            logging.WARNING if self._failing == 1 else logging.INFO,
            "%s: a reply could not be delivered (%s); retrying in %.1f s",
            self._channel,
            _one_line(exc),
            delay,
        )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _short(chat_id: str) -> str:
    """A chat id for the log: enough to tell chats apart, not enough to contact anyone."""
    return chat_id[-4:].rjust(len(chat_id), "*") if len(chat_id) > 4 else "****"
