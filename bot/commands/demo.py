"""``youthbot demo``: a whole campaign on the embedded SQLite, no network, no token."""

from __future__ import annotations

import argparse
import sys

from bot.application.app import App
from bot.commands import with_app
from bot.demo.script import run_demo


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("demo", help="run a whole simulated campaign (no token needed)")
    parser.set_defaults(func=with_app(_demo))


async def _demo(args: argparse.Namespace, app: App) -> int:
    return await run_demo(app, sys.stdout)
