"""``youthbot broadcast``: queue an announcement to an audience; the running bot
(``youthbot run``) delivers it through the outbox and reports the outcome."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.app import App
from bot.campaigns import CampaignSetupError, resolve_campaign
from bot.commands import CommandError, with_app
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
    text = clean_text(args.message)
    if not text or len(text) > MAX_BROADCAST_CHARS:
        raise CommandError(f"--message must have 1 to {MAX_BROADCAST_CHARS} characters", 2)
    try:
        campaign = await resolve_campaign(app, args.campaign)
    except CampaignSetupError as exc:
        raise CommandError(str(exc), status=2) from exc
    unit_id = None
    if args.audience == "unit":
        unit = await app.store.units.by_code(args.unit or "")
        if unit is None:
            raise CommandError("--audience unit needs --unit CODE of a known unit", status=2)
        unit_id = unit.id
    plan = await plan_broadcast(app.store, campaign, args.audience, unit_id=unit_id)
    print(f"to {len(plan.recipients)} people ({args.audience}), campaign {campaign.id}:")
    print(text)
    if not plan.recipients:
        print("nobody to send to; nothing queued")
        return 1
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("add --yes to confirm when not running interactively", 2)
        answer = (await asyncio.to_thread(input, "send? [y/N] ")).strip().lower()
        if answer not in ("y", "yes", "c", "co", "có"):
            print("cancelled")
            return 1
    broadcast_id, queued = await start_broadcast(
        app.store, plan, text, author_id=None, now=app.clock.now()
    )
    print(f"queued announcement {broadcast_id} for {queued} people; the running bot sends it")
    return 0


async def _status(args: argparse.Namespace, app: App) -> int:
    broadcast = await app.store.broadcasts.get(args.broadcast_id)
    if broadcast is None:
        raise CommandError(f"no announcement {args.broadcast_id}")
    p = await app.store.outbox.progress(broadcast.id)
    pending = p.total - p.sent - p.blocked - p.failed
    print(
        f"announcement {broadcast.id}: {p.sent}/{p.total} delivered, {p.blocked} blocked the "
        f"bot, {p.failed} failed, {pending} pending"
    )
    return 0
