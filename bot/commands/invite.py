"""``youthbot invite``: single-use, expiring invite codes for roles (the first
administrator is set up this way: ``youthbot invite --role admin``)."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign.departments import campaign_province, find_department
from bot.commands import CommandError, cli_tr, with_app
from bot.commands.departments import cli_province
from handlers.roles import INVITE_DAYS, create_invite

ROLES = ("secretary", "organiser", "department", "admin")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("invite", help="issue a single-use invite code for a role")
    parser.add_argument("--role", choices=ROLES, required=True)
    parser.add_argument("--unit", metavar="CODE", help="the secretary's unit")
    parser.add_argument(
        "--department", help="the department, e.g. 'Sở Y tế' (see `departments list`)"
    )
    parser.add_argument("--campaign", type=int, help="limit the role to one campaign")
    parser.add_argument("--days", type=int, default=INVITE_DAYS, help="validity (default 7)")
    parser.add_argument("--bot-username", help="Telegram bot username for the deep link")
    parser.set_defaults(func=with_app(_invite))


async def _invite(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    unit_id = None
    if args.role == "secretary":
        if not args.unit:
            raise CommandError(tr("cli.invite.unit_needed"), status=2)
        unit = await app.store.units.by_code(args.unit)
        if unit is None:
            raise CommandError(tr("cli.no_unit", code=args.unit), 2)
        unit_id = unit.id
    if args.role == "department" and not (args.department or "").strip():
        raise CommandError(tr("cli.invite.department_needed"), status=2)
    campaign = await app.store.campaigns.get(args.campaign) if args.campaign is not None else None
    if args.campaign is not None and campaign is None:
        raise CommandError(tr("cli.invite.no_campaign", id=args.campaign), status=2)
    department = None
    if args.role == "department":
        # The registry's official name: "so noi vu" and "SNV" give the one "Sở Nội vụ".
        province = await campaign_province(app.store, campaign) if campaign else cli_province(app)
        found = await find_department(app.store, province, args.department, now=app.clock.now())
        department = found.name
    if not 1 <= args.days <= 90:
        raise CommandError(tr("cli.invite.days"), status=2)
    code = await create_invite(
        app.store,
        args.role,
        now=app.clock.now(),
        unit_id=unit_id,
        campaign_id=args.campaign,
        department=department,
        days=args.days,
    )
    print(tr("cli.invite.code", code=code, role=args.role, days=args.days))
    print(tr("cli.invite.in_chat", code=code))
    if args.bot_username:
        link = f"https://t.me/{args.bot_username.lstrip('@')}?start=i-{code}"
        print(tr("cli.invite.deep_link", link=link))
    return 0
