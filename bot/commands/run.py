"""``youthbot run``: the bot for real, on every configured channel."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.application.runner import CHANNELS, run_bot
from bot.commands import CommandError, cli_tr, help_text, with_app


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("run", help=help_text("cli.help.run"))
    parser.add_argument(
        "--channel", choices=CHANNELS, action="append", help=help_text("cli.help.run.channel")
    )
    parser.set_defaults(func=with_app(_run))


async def _run(args: argparse.Namespace, app: App) -> int:
    if await app.store.info.is_demo():  # young people must never meet the demo's campaign
        tr = cli_tr(app)
        raise CommandError(tr("cli.run.demo_db", db=app.settings.core.db), status=2)
    wanted = tuple(args.channel) if args.channel else CHANNELS
    await run_bot(app, wanted=wanted)  # set-up errors: one line, see with_app
    return 0
