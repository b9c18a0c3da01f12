"""``youthbot demo``: a whole campaign on its own SQLite file, no network, no token.

The demo never touches the real database: it runs on ``YOUTHBOT_DEMO_DB`` (default
``./data/demo.db``) or ``--db FILE``, refuses the configured ``YOUTHBOT_DB`` and any file
holding something other than its own runs, marks its file as a demo database (``youthbot
run`` refuses such a file), and writes its documents to ``<YOUTHBOT_OUT_DIR>/demo``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.application.app import App
from bot.application.config import Settings
from bot.commands import CommandError, cli_language, help_text, run_async
from bot.demo.script import DEMO_PROVINCE, run_demo
from locales import translator
from storage.info import PURPOSE, PURPOSE_DEMO, inspect_file


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("demo", help=help_text("cli.help.demo"))
    parser.add_argument(
        "--db",
        type=Path,
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.demo.db"),
    )
    parser.set_defaults(func=_demo)


def demo_settings(settings: Settings, db: Path) -> Settings:
    """The settings with the demo's own file, folder and province (its script is Cao Bằng's)."""
    return settings.with_core(db=db, out_dir=settings.core.out_dir / "demo", province=DEMO_PROVINCE)


def _same_file(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()


def _demo(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    tr = translator(cli_language(settings))
    db: Path = args.db or settings.core.demo_db
    if _same_file(db, settings.core.db):
        raise CommandError(tr("cli.demo.live_db", db=db), status=2)
    found = run_async(inspect_file(db))
    if found.exists and not found.demo and not found.contents.empty:
        held = found.contents
        raise CommandError(
            tr(
                "cli.demo.foreign_db",
                db=db,
                campaigns=held.campaigns,
                units=held.units,
                people=held.people,
            ),
            status=2,
        )
    return run_async(_run(demo_settings(settings, db), db, default=args.db is None))


async def _run(settings: Settings, db: Path, *, default: bool) -> int:
    async with await App.open(settings) as app:
        await app.store.info.set(PURPOSE, PURPOSE_DEMO)
        return await run_demo(app, sys.stdout, chat_hint=None if default else db)
