"""``youthbot broadcast``: queue an announcement to an audience; the running bot
(``youthbot run``) delivers it through the outbox and reports the outcome."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.application.app import App
from bot.campaign.setup import resolve_campaign
from bot.commands import CommandError, cli_tr, with_app
from handlers.broadcast import AUDIENCES, MAX_BROADCAST_CHARS, plan_broadcast, start_broadcast
from handlers.intake import clean_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("broadcast", help="send an announcement (thông báo) to many people")
    actions = parser.add_subparsers(dest="broadcast_action", required=True, metavar="ACTION")
    send = actions.add_parser("send", help="preview, confirm and queue an announcement")
    send.add_argument("--audience", choices=AUDIENCES, required=True)
    send.add_argument("--unit", metavar="CODE", help="the unit, with --audience unit")
    send.add_argument("--campaign", type=int)
    send.add_argument("--message", required=True, help="the text (use quotes)")
    send.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    send.set_defaults(func=with_app(_send))
    status = actions.add_parser("status", help="delivery progress of an announcement")
    status.add_argument("broadcast_id", type=int)
    status.set_defaults(func=with_app(_status))


async def _send(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    text = clean_text(args.message)
    if not text or len(text) > MAX_BROADCAST_CHARS:
        raise CommandError(tr("cli.broadcast.message_length", max=MAX_BROADCAST_CHARS), 2)
    campaign = await resolve_campaign(app, args.campaign)
    unit_id = None
    if args.audience == "unit":
        unit = await app.store.units.by_code(args.unit or "")
        if unit is None:
            raise CommandError(tr("cli.broadcast.unit_needed"), status=2)
        unit_id = unit.id
    plan = await plan_broadcast(app.store, campaign, args.audience, unit_id=unit_id)
    print(
        tr(
            "cli.broadcast.preview",
            count=len(plan.recipients),
            audience=args.audience,
            campaign=campaign.id,
        )
    )
    print(text)
    if not plan.recipients:
        print(tr("cli.broadcast.nobody"))
        return 1
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError(tr("cli.broadcast.need_yes"), 2)
        answer = (await asyncio.to_thread(input, tr("cli.broadcast.confirm"))).strip().lower()
        if answer not in ("y", "yes", "c", "co", "có"):
            print(tr("cli.broadcast.cancelled"))
            return 1
    broadcast_id, queued = await start_broadcast(
        app.store, plan, text, author_id=None, now=app.clock.now()
    )
    print(tr("cli.broadcast.queued", id=broadcast_id, count=queued))
    return 0


async def _status(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    broadcast = await app.store.broadcasts.get(args.broadcast_id)
    if broadcast is None:
        raise CommandError(tr("cli.broadcast.not_found", id=args.broadcast_id))
    p = await app.store.outbox.progress(broadcast.id)
    pending = p.total - p.sent - p.blocked - p.failed
    print(
        tr(
            "cli.broadcast.status",
            id=broadcast.id,
            sent=p.sent,
            total=p.total,
            blocked=p.blocked,
            failed=p.failed,
            pending=pending,
        )
    )
    if p.resent:
        print(tr("broadcast.report_resent", count=p.resent))
    return 0
