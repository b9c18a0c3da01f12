"""``youthbot run``: every configured channel, the outbox sender and the scheduler in one
process, stopped cleanly by SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.application.app import App
from bot.application.scheduler import build_scheduler
from bot.application.wiring import build_engine, digest_tick
from bot.application.workers import SharedRate, Worker, new_worker_id
from bot.channels.base import Channel, RateGate
from bot.channels.lifecycle import stopped_by_signals
from bot.channels.webserver import WebServer
from bot.delivery.outbox import SAFETY, OutboxSender
from handlers.broadcast import report_if_done
from handlers.engine import Engine
from locales import LocalizedError, Message

log = logging.getLogger(__name__)
CHANNELS = ("telegram", "zalo")


class NoChannelError(LocalizedError):
    """Nothing to run: no token configured for the requested channels."""


class Adapter(Channel, Protocol):
    def serve(self, stop: asyncio.Event) -> Awaitable[None]: ...

    def take_over_replies(self, live_workers: Sequence[str]) -> Awaitable[int]: ...


def build_adapters(
    app: App,
    wanted: tuple[str, ...],
    web: WebServer | None,
    engine: Engine | None = None,
    *,
    telegram_rate: RateGate | None = None,
) -> dict[str, Adapter]:
    engine = engine if engine is not None else build_engine(app)
    adapters: dict[str, Adapter] = {}
    if "telegram" in wanted and app.settings.telegram.bot_token is not None:
        from bot.channels.telegram import TelegramChannel, TelegramOptions

        options = TelegramOptions(shared_rate=telegram_rate)
        adapters["telegram"] = TelegramChannel(app, engine, web=web, options=options)
    if "zalo" in wanted and app.settings.zalo.bot_token is not None:
        from bot.channels.zalo import ZaloChannel

        adapters["zalo"] = ZaloChannel(app, engine, web=web)
    if not adapters:
        tokens = [f"{c.upper()}_BOT_TOKEN" for c in wanted]
        names: str | Message = tokens[0] if tokens else ""
        for other in tokens[1:]:  # "TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN"
            names = Message("cli.run.either", first=names, second=other)
        raise NoChannelError("cli.run.no_channel", names=names)
    return adapters


async def run_bot(
    app: App, *, wanted: tuple[str, ...] = CHANNELS, stop: asyncio.Event | None = None
) -> None:
    needs_web = bool(app.settings.telegram.webhook_url or app.settings.zalo.webhook_url)
    web = WebServer(host=app.settings.web.host, port=app.settings.web.port) if needs_web else None
    # Several workers share a PostgreSQL database: presence, the scheduler's lease and
    # the bot's sending limits go through it (bot.application.workers).
    shared = app.store.db.shared
    worker_id = new_worker_id() if shared else None
    telegram_rate = zalo_rate = None
    if shared:
        from bot.channels.zalo import CAPABILITIES as ZALO_CAPABILITIES

        telegram_rate = SharedRate(
            app.store, "telegram", app.settings.telegram.max_messages_per_second * SAFETY
        )
        zalo_rate = SharedRate(app.store, "zalo", ZALO_CAPABILITIES.messages_per_second)
    engine = build_engine(app)
    adapters = build_adapters(app, wanted, web, engine, telegram_rate=telegram_rate)
    if engine.similar is not None:
        # Built now, off the event loop, so that no chat waits for it later.
        await engine.similar.warm_up()

    async def batch_progress(batch_id: int) -> None:
        if await report_if_done(app.store, batch_id, now=app.clock.now()):
            sender.wake()

    sender = OutboxSender(
        app.store,
        adapters,
        app.clock,
        on_batch_progress=batch_progress,
        worker=worker_id,
        gates={"zalo": zalo_rate} if zalo_rate is not None else None,
    )
    scheduler = build_scheduler(
        app,
        on_queued=sender.wake,
        digests=digest_tick,
        is_leader=(lambda: worker is not None and worker.leader) if shared else None,
    )
    if worker_id is not None:
        app.store.replies.worker = worker_id  # its claims on replies name this worker

    async def take_over_replies(live: Sequence[str]) -> None:
        for adapter in adapters.values():
            await adapter.take_over_replies(live)

    lease = float(app.settings.core.worker_lease_seconds)
    worker = (
        Worker(
            app.store,
            worker_id=worker_id,
            on_leader=lambda: _tick_now(scheduler),
            on_recovered=lambda _count: sender.wake(),
            on_live=take_over_replies,
            heartbeat=lease / 3,
            dead_after=lease,
            lease_ttl=lease,
        )
        if shared
        else None
    )
    if web is not None:
        await web.start()
    scheduler.start()
    polling = [
        name for name, adapter in adapters.items() if getattr(adapter, "mode", "") == "polling"
    ]
    if shared and polling:
        log.warning(
            "%s: long polling on a shared database; run one such worker only "
            "(several workers need webhooks: docs/operations.md)",
            ", ".join(sorted(polling)),
        )
    log.info(
        "youthbot running: %s%s",
        ", ".join(sorted(adapters)),
        f" (worker {worker.id}, lease {lease:g} s)" if worker is not None else "",
    )
    with stopped_by_signals(stop) as stop_event:
        tasks = [asyncio.ensure_future(adapter.serve(stop_event)) for adapter in adapters.values()]
        tasks.append(asyncio.ensure_future(sender.run(stop_event)))
        if worker is not None:
            tasks.append(asyncio.ensure_future(worker.run(stop_event)))
        try:
            # One part failing (a refused token) stops the others: wait for the first.
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            # In order: the channels, the sender and the worker wind down, the scheduler's
            # running tick finishes, the web server stops; only then may the database close.
            stop_event.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await scheduler.stop()
            if web is not None:
                await web.stop()
            from bot.clustering.similar import CampaignSimilarity

            if isinstance(engine.similar, CampaignSimilarity):
                # No chat runs any more: the next start reads the indexes as they are now.
                await engine.similar.save()
        for task in tasks:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error


def _tick_now(scheduler: AsyncIOScheduler) -> None:
    """This worker just took the scheduler's lease: tick now (catch up), not in a minute."""
    with contextlib.suppress(Exception):  # the scheduler may be shutting down
        scheduler.modify_job("tick", next_run_time=datetime.now(UTC))
