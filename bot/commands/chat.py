"""``youthbot chat``: go through the question flow in the terminal (on the real database,
the demo's with ``--demo``, or any file with ``--db``)."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.terminal import chat_loop
from bot.commands import help_text, with_app
from locales import normalize_language


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("chat", help=help_text("cli.help.chat"))
    parser.add_argument(
        "--user",
        default="terminal-1",
        metavar=help_text("cli.help.metavar.user"),
        help=help_text("cli.help.chat.user"),
    )
    parser.add_argument("--lang", choices=["vi", "en"], help=help_text("cli.help.chat.lang"))
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--demo", action="store_true", help=help_text("cli.help.chat.demo"))
    where.add_argument(
        "--db",
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.chat.db"),
    )
    parser.set_defaults(func=_entry)


def _entry(args: argparse.Namespace) -> int:
    db = args.settings.core.demo_db if args.demo else args.db
    if db is not None:
        args.settings = args.settings.with_core(db=db)
    return with_app(_chat)(args)


async def _chat(args: argparse.Namespace, app: App) -> int:
    language = normalize_language(args.lang or app.settings.core.language)
    await chat_loop(build_engine(app), user_id=args.user, language=language, store=app.store)
    return 0
