"""``youthbot roles list|revoke``."""

from __future__ import annotations

import argparse
import re

from bot.application.app import App
from bot.commands import CommandError, cli_tr, help_text, whole_number, with_app


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("roles", help=help_text("cli.help.roles"))
    actions = parser.add_subparsers(
        dest="roles_action", required=True, metavar=help_text("cli.help.metavar.action")
    )
    number = help_text("cli.help.metavar.number")
    lst = actions.add_parser("list", help=help_text("cli.help.roles.list"))
    lst.add_argument("--all", action="store_true", help=help_text("cli.help.roles.all"))
    lst.set_defaults(func=with_app(_list))
    revoke = actions.add_parser("revoke", help=help_text("cli.help.roles.revoke"))
    revoke.add_argument(
        "role_id", type=whole_number, metavar=number, help=help_text("cli.help.roles.role_id")
    )
    revoke.set_defaults(func=with_app(_revoke))
    digest = actions.add_parser("digest", help=help_text("cli.help.roles.digest"))
    digest.add_argument(
        "role_id", type=whole_number, metavar=number, help=help_text("cli.help.roles.role_id")
    )
    digest.add_argument(
        "--frequency",
        choices=["daily", "weekly"],
        required=True,
        help=help_text("cli.help.roles.frequency"),
    )
    digest.add_argument(
        "--hour",
        type=whole_number,
        default=17,
        metavar=help_text("cli.help.metavar.hour"),
        help=help_text("cli.help.roles.hour"),
    )
    digest.add_argument(
        "--weekday",
        type=whole_number,
        default=0,
        metavar=number,
        help=help_text("cli.help.roles.weekday"),
    )
    digest.add_argument(
        "--email",
        metavar=help_text("cli.help.metavar.address"),
        help=help_text("cli.help.roles.email"),
    )
    digest.set_defaults(func=with_app(_digest))


async def _list(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    roles = await app.store.roles.all(include_revoked=args.all)
    width = max(len(tr("cli.roles.active")), len(tr("cli.roles.revoked")))
    role_names = {
        "secretary": tr("role.secretary"),
        "organiser": tr("role.organiser"),
        "department": tr("role.department"),
        "admin": tr("role.admin"),
    }
    name_width = max(len(name) for name in role_names.values())
    for role in roles:
        person = await app.store.people.get(role.person_id)
        identities = await app.store.people.identities(role.person_id)
        where = ""
        if role.unit_id is not None:
            unit = await app.store.units.get(role.unit_id)
            where = unit.name if unit else str(role.unit_id)
        elif role.department:
            where = role.department
        who = (person.full_name if person else None) or ", ".join(
            f"{i.channel}:{i.external_id}" for i in identities
        )
        state = tr("cli.roles.revoked") if role.revoked_at else tr("cli.roles.active")
        campaign = (
            tr("cli.roles.campaign", id=role.campaign_id)
            if role.campaign_id
            else tr("cli.roles.all_campaigns")
        )
        name = role_names.get(role.role, role.role)
        print(f"{role.id:>4}  {name:<{name_width}} {state:<{width}} {who}  {where}  ({campaign})")
    if not roles:
        print(tr("cli.roles.none"))
    return 0


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def _digest(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    role = await app.store.roles.get(args.role_id)
    if role is None or not role.active:
        raise CommandError(tr("cli.roles.no_active", id=args.role_id), 2)
    if not 0 <= args.hour <= 23 or not 0 <= args.weekday <= 6:
        raise CommandError(tr("cli.roles.bad_time"), status=2)
    if args.email and not EMAIL.match(args.email):
        raise CommandError(tr("cli.roles.bad_email", email=args.email), status=2)
    await app.store.jobs.subscribe(
        role.id,
        frequency=args.frequency,
        hour=args.hour,
        weekday=args.weekday if args.frequency == "weekly" else None,
        email=args.email,
        now=app.clock.now(),
    )
    hour = f"{args.hour:02d}"
    if args.frequency == "daily":
        line = tr("cli.roles.digest_daily", id=role.id, hour=hour)
    else:
        line = tr("cli.roles.digest_weekly", id=role.id, hour=hour)
    if args.email:
        line += ", " + tr("cli.roles.digest_email", email=args.email)
    print(line)
    return 0


async def _revoke(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    if not await app.store.roles.revoke(args.role_id, now=app.clock.now()):
        raise CommandError(tr("cli.roles.no_active", id=args.role_id))
    await app.store.audit.record("role.revoke", at=app.clock.now(), target=f"role:{args.role_id}")
    print(tr("cli.roles.revoked_done", id=args.role_id))
    return 0
