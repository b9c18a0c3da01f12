"""``youthbot broadcast``: queue an announcement to an audience; the running bot
(``youthbot run``) delivers it through the outbox and reports the outcome."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.application.app import App
from bot.campaign.lookup import find_unit
from bot.campaign.setup import resolve_campaign
from bot.commands import (
    CommandError,
    add_campaign_option,
    cli_tr,
    help_text,
    whole_number,
    with_app,
)
from handlers.broadcast import AUDIENCES, MAX_BROADCAST_CHARS, plan_broadcast, start_broadcast
from handlers.intake import clean_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("broadcast", help=help_text("cli.help.broadcast"))
    actions = parser.add_subparsers(
        dest="broadcast_action", required=True, metavar=help_text("cli.help.metavar.action")
    )
    send = actions.add_parser("send", help=help_text("cli.help.broadcast.send"))
    send.add_argument(
        "--audience",
        choices=AUDIENCES,
        required=True,
        help=help_text("cli.help.broadcast.audience"),
    )
    send.add_argument(
        "--unit",
        metavar=help_text("cli.help.metavar.code"),
        help=help_text("cli.help.broadcast.unit"),
    )
    add_campaign_option(send)
    send.add_argument(
        "--message",
        required=True,
        metavar=help_text("cli.help.metavar.text"),
        help=help_text("cli.help.broadcast.message"),
    )
    send.add_argument("--yes", action="store_true", help=help_text("cli.help.broadcast.yes"))
    send.set_defaults(func=with_app(_send))
    status = actions.add_parser("status", help=help_text("cli.help.broadcast.status"))
    status.add_argument(
        "broadcast_id",
        type=whole_number,
        metavar=help_text("cli.help.metavar.number"),
        help=help_text("cli.help.broadcast.id"),
    )
    status.set_defaults(func=with_app(_status))


async def _send(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    text = clean_text(args.message)
    if not text or len(text) > MAX_BROADCAST_CHARS:
        raise CommandError(tr("cli.broadcast.message_length", max=MAX_BROADCAST_CHARS), 2)
    campaign = await resolve_campaign(app, args.campaign)
    unit_id = None
    if args.audience == "unit":
        if not args.unit:
            raise CommandError(tr("cli.broadcast.unit_needed"), status=2)
        unit_id = (await find_unit(app.store, args.unit)).id
    plan = await plan_broadcast(
        app.store, campaign, args.audience, unit_id=unit_id, home=app.home_province
    )
    print(
        tr.n(
            "cli.broadcast.preview",
            len(plan.recipients),
            audience=tr(f"broadcast.audience.{args.audience}"),
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
    print(tr.n("cli.broadcast.queued", queued, id=broadcast_id))
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
        print(tr.n("broadcast.report_resent", p.resent))
    return 0
