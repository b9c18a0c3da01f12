"""``youthbot roles list|revoke``."""

from __future__ import annotations

import argparse

from bot.app import App
from bot.commands import CommandError, with_app


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("roles", help="list or revoke roles")
    actions = parser.add_subparsers(dest="roles_action", required=True, metavar="ACTION")
    lst = actions.add_parser("list", help="list active roles")
    lst.add_argument("--all", action="store_true", help="include revoked roles")
    lst.set_defaults(func=with_app(_list))
    revoke = actions.add_parser("revoke", help="revoke a role by its id")
    revoke.add_argument("role_id", type=int)
    revoke.set_defaults(func=with_app(_revoke))


async def _list(args: argparse.Namespace, app: App) -> int:
    roles = await app.store.roles.all(include_revoked=args.all)
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
        state = "revoked" if role.revoked_at else "active"
        campaign = f"campaign {role.campaign_id}" if role.campaign_id else "all campaigns"
        print(f"{role.id:>4}  {role.role:<10} {state:<7} {who}  {where}  ({campaign})")
    if not roles:
        print("no roles yet; create the first administrator with `youthbot invite --role admin`")
    return 0


async def _revoke(args: argparse.Namespace, app: App) -> int:
    if not await app.store.roles.revoke(args.role_id, now=app.clock.now()):
        raise CommandError(f"no active role {args.role_id}; see `youthbot roles list`")
    await app.store.audit.record("role.revoke", at=app.clock.now(), target=f"role:{args.role_id}")
    print(f"revoked role {args.role_id}")
    return 0
