"""``youthbot chat``: go through the question flow in the terminal."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.channels.terminal import chat_loop
from bot.commands import with_app
from locales import normalize_language


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("chat", help="talk to the bot in the terminal (numbered choices)")
    parser.add_argument("--user", default="terminal-1", help="who you are (default terminal-1)")
    parser.add_argument("--lang", choices=["vi", "en"], help="language (default: settings)")
    parser.set_defaults(func=with_app(_chat))


async def _chat(args: argparse.Namespace, app: App) -> int:
    language = normalize_language(args.lang or app.settings.core.language)
    await chat_loop(build_engine(app), user_id=args.user, language=language)
    return 0
