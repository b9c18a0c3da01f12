"""Periodic work, on APScheduler: reminders, scheduled digests, housekeeping.

The scheduler only says *when* to look; what is due is computed from the database on each
tick (:func:`run_tick`), so jobs survive restarts without a job store of their own: a tick
after a restart sends what was missed (once, thanks to the outbox's dedup keys and the
``job_runs`` table) and nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.application.app import App
from bot.campaign import conclusion, privacy, reminders
from handlers.states import DRAFT_STATES

log = logging.getLogger(__name__)

TICK_SECONDS = 60
# Platforms do not redeliver updates older than a day; keep two to be safe.
UPDATE_IDS_KEPT = timedelta(days=2)

DigestTick = Callable[[App, datetime], Awaitable[int]]


async def run_tick(app: App, *, digests: DigestTick | None = None) -> dict[str, int]:
    """One pass over everything time-driven; returns what was queued."""
    now = app.clock.now()
    done = {
        "reminders": await reminders.tick(app.store, now=now, tz=app.tz, home=app.home_province)
    }
    # A conclusion notice whose publication a crash cut short: its remaining messages.
    done["conclusion_resumed"] = await conclusion.resume_unfinished(
        app.store, now=now, tz=app.tz, home=app.home_province
    )
    if digests is not None:
        done["digests"] = await digests(app, now)
    await app.store.updates.forget_before(now - UPDATE_IDS_KEPT)
    ttl = timedelta(hours=app.settings.core.draft_ttl_hours)
    done["expired_drafts"] = await app.store.conversations.clear_stale(
        states=tuple(sorted(DRAFT_STATES)), before=now - ttl
    )
    swept = await privacy.sweep(app.store, now=now)
    done["names_removed"] = swept.names_removed
    done["people_erased"] = swept.people_erased
    return done


class TickScheduler(AsyncIOScheduler):  # type: ignore[misc]  # APScheduler has no types
    """APScheduler's asyncio scheduler that can stop without cutting a tick short.

    ``shutdown()`` cancels a running coroutine job and returns at once; a tick cancelled
    mid-transaction then touched the database after the application had closed it
    ("Cannot operate on a closed database"). :meth:`stop` lets it finish first.
    """

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self.running_ticks: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        """No new tick starts; the running one finishes; then the scheduler shuts down."""
        if not self.running:
            return
        self.pause()
        if self.running_ticks:
            await asyncio.gather(*self.running_ticks, return_exceptions=True)
        self.shutdown(wait=False)


def build_scheduler(
    app: App,
    *,
    on_queued: Callable[[], None] | None = None,
    digests: DigestTick | None = None,
    is_leader: Callable[[], bool] | None = None,
) -> TickScheduler:
    """A scheduler ticking every minute (start it inside the running loop).

    ``is_leader``: several workers share the database; only the holder of the
    scheduler's lease ticks (:mod:`bot.application.workers`)."""
    scheduler = TickScheduler(timezone=app.tz)

    async def tick() -> None:
        task = asyncio.current_task()
        assert task is not None
        scheduler.running_ticks.add(task)
        try:
            await _tick()
        finally:
            scheduler.running_ticks.discard(task)

    async def _tick() -> None:
        if is_leader is not None and not is_leader():
            return
        try:
            done = await run_tick(app, digests=digests)
        except Exception:  # a failed tick must not stop the next one
            log.exception("scheduled tick failed")
            return
        if done.get("reminders") or done.get("digests"):
            log.info("scheduled tick queued %s", done)
            if on_queued is not None:
                on_queued()

    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=TICK_SECONDS, timezone=app.tz),
        id="tick",
        next_run_time=datetime.now(app.tz),  # once at start-up: catch up after a stop
        coalesce=True,
        max_instances=1,
        misfire_grace_time=TICK_SECONDS,
    )
    return scheduler
