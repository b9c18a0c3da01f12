"""``youthbot digest``: the digest message and its files, now (on demand)."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign.departments import campaign_province, find_department
from bot.campaign.lookup import find_unit
from bot.campaign.setup import resolve_campaign
from bot.commands import add_campaign_option, cli_tr, help_text, with_app
from bot.documents.build import scope_from_options
from bot.documents.produce import produce_digest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("digest", help=help_text("cli.help.digest"))
    add_campaign_option(parser)
    parser.add_argument(
        "--unit", metavar=help_text("cli.help.metavar.code"), help=help_text("cli.help.digest.unit")
    )
    parser.add_argument(
        "--department",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.digest.department"),
    )
    parser.add_argument(
        "--email",
        action="append",
        default=[],
        metavar=help_text("cli.help.metavar.address"),
        help=help_text("cli.help.digest.email"),
    )
    parser.set_defaults(func=with_app(_digest))


async def _digest(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    if args.email:
        from bot.documents.mail import smtp_settings

        smtp_settings(app)  # no mail server set: say so before any file is written
    campaign = await resolve_campaign(app, args.campaign)
    unit = await find_unit(app.store, args.unit) if args.unit else None
    department = args.department
    if department and department.strip():  # the registry's name, whatever was typed
        province = await campaign_province(app.store, campaign)
        department = (
            await find_department(app.store, province, department, now=app.clock.now())
        ).name
    scope = await scope_from_options(
        app.store, unit_code=unit.code if unit else None, department=department
    )
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
