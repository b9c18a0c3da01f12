"""``youthbot digest``: the digest message and its files, now (on demand)."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign.departments import campaign_province, find_department
from bot.campaign.setup import resolve_campaign
from bot.commands import CommandError, cli_tr, with_app
from bot.documents.build import scope_from_options
from bot.documents.produce import produce_digest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("digest", help="write the digest message, XLSX, DOCX and chart")
    parser.add_argument("--campaign", type=int, help="default: the only active campaign")
    parser.add_argument("--unit", metavar="CODE", help="a unit's digest (for its secretary)")
    parser.add_argument("--department", help="the questions routed to one department")
    parser.add_argument(
        "--email",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="also e-mail it (SMTP_* settings)",
    )
    parser.set_defaults(func=with_app(_digest))


async def _digest(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    campaign = await resolve_campaign(app, args.campaign)
    department = args.department
    if department and department.strip():  # the registry's name, whatever was typed
        province = await campaign_province(app.store, campaign)
        department = (
            await find_department(app.store, province, department, now=app.clock.now())
        ).name
    try:
        scope = await scope_from_options(app.store, unit_code=args.unit, department=department)
    except LookupError as exc:  # the unit code is unknown
        raise CommandError(tr("cli.no_unit", code=args.unit), status=2) from exc
    files = await produce_digest(
        app.store,
        campaign,
        scope=scope,
        show_names=True,
        language=app.settings.core.language,
        now=app.clock.now(),
        out_dir=app.settings.core.out_dir,
        local_now=app.local_now(),
    )
    print(files.text)
    print()
    for path in files.paths:
        print(tr("cli.wrote", path=path))
    if args.email:
        from bot.documents.mail import email_digest

        await email_digest(app, files, args.email)
        print(tr("cli.digest.emailed", addresses=", ".join(args.email)))
    return 0
