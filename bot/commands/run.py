"""``youthbot run``: the bot for real, on every configured channel."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.application.runner import CHANNELS, run_bot
from bot.commands import with_app


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("run", help="run the bot on Telegram and/or Zalo (Ctrl-C stops)")
    parser.add_argument(
        "--channel",
        choices=CHANNELS,
        action="append",
        help="run only this channel (repeatable; default: every configured one)",
    )
    parser.set_defaults(func=with_app(_run))


async def _run(args: argparse.Namespace, app: App) -> int:
    wanted = tuple(args.channel) if args.channel else CHANNELS
    await run_bot(app, wanted=wanted)  # set-up errors: one line, see with_app
    return 0
