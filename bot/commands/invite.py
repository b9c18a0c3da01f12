"""``youthbot invite``: single-use, expiring invite codes for roles (the first
administrator is set up this way: ``youthbot invite --role admin``)."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign.departments import campaign_province, find_department
from bot.campaign.lookup import find_campaign, find_unit
from bot.commands import (
    CommandError,
    add_campaign_option,
    cli_tr,
    help_text,
    whole_number,
    with_app,
)
from bot.commands.departments import cli_province
from handlers.roles import INVITE_DAYS, create_invite

ROLES = ("secretary", "organiser", "department", "admin")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("invite", help=help_text("cli.help.invite"))
    parser.add_argument(
        "--role", choices=ROLES, required=True, help=help_text("cli.help.invite.role")
    )
    parser.add_argument(
        "--unit", metavar=help_text("cli.help.metavar.code"), help=help_text("cli.help.invite.unit")
    )
    parser.add_argument(
        "--department",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.invite.department"),
    )
    add_campaign_option(parser, help=help_text("cli.help.invite.campaign"))
    parser.add_argument(
        "--days",
        type=whole_number,
        default=INVITE_DAYS,
        metavar=help_text("cli.help.metavar.number"),
        help=help_text("cli.help.invite.days"),
    )
    parser.add_argument(
        "--bot-username",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.invite.bot_username"),
    )
    parser.set_defaults(func=with_app(_invite))


async def _invite(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    unit_id = None
    if args.role == "secretary":
        if not args.unit:
            raise CommandError(tr("cli.invite.unit_needed"), status=2)
        unit_id = (await find_unit(app.store, args.unit)).id
    if args.role == "department" and not (args.department or "").strip():
        raise CommandError(tr("cli.invite.department_needed"), status=2)
    campaign = await find_campaign(app.store, args.campaign) if args.campaign is not None else None
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
        campaign_id=campaign.id if campaign else None,
        department=department,
        days=args.days,
    )
    print(tr.n("cli.invite.code", args.days, code=code, role=tr(f"role.{args.role}")))
    print(tr("cli.invite.in_chat", code=code))
    if args.bot_username:
        link = f"https://t.me/{args.bot_username.lstrip('@')}?start=i-{code}"
        print(tr("cli.invite.deep_link", link=link))
    return 0
