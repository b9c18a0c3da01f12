"""``youthbot demo``: a whole campaign on its own SQLite file, no network, no token.

The demo never touches the real database: it runs on ``YOUTHBOT_DEMO_DB`` (default
``./data/demo.db``) or ``--db FILE`` (a SQLite file, or a ``postgresql://`` database of its
own), refuses the configured ``YOUTHBOT_DB`` and any database holding something other than
its own runs, marks its file as a demo database (``youthbot
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
from storage.db import parse_target
from storage.info import PURPOSE, PURPOSE_DEMO, inspect_target


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("demo", help=help_text("cli.help.demo"))
    parser.add_argument(
        "--db",
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.demo.db"),
    )
    parser.set_defaults(func=_demo)


def demo_settings(settings: Settings, db: str | Path) -> Settings:
    """The settings with the demo's own file, folder and province (its script is Cao Bằng's)."""
    return settings.with_core(
        db=str(db), out_dir=settings.core.out_dir / "demo", province=DEMO_PROVINCE
    )


def _same_database(a: str, b: str) -> bool:
    first, second = parse_target(a), parse_target(b)
    if first.kind != second.kind:
        return False
    if first.kind == "postgresql":
        return first.location.strip() == second.location.strip()
    return Path(first.location).expanduser().resolve() == (
        Path(second.location).expanduser().resolve()
    )


def _demo(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    tr = translator(cli_language(settings))
    db: str = args.db or settings.core.demo_db
    try:
        if parse_target(db).kind == "sqlite":
            db = str(Path(parse_target(db).location))  # "./data/demo.db" shown as data/demo.db
        same = _same_database(db, settings.core.db)
    except ValueError as exc:  # --db is neither a path nor a database URL
        raise CommandError(tr("cli.demo.bad_db", db=db, expected=str(exc)), status=2) from exc
    shown = parse_target(db).display
    if same:
        raise CommandError(tr("cli.demo.live_db", db=shown), status=2)
    found = run_async(inspect_target(db))
    if found.exists and not found.demo and not found.contents.empty:
        held = found.contents
        raise CommandError(
            tr.n(
                "cli.demo.foreign_db",
                held.campaigns,
                db=shown,
                units=tr.n("count.units", held.units),
                people=tr.n("count.people", held.people),
            ),
            status=2,
        )
    return run_async(_run(demo_settings(settings, db), db, default=args.db is None))


async def _run(settings: Settings, db: str, *, default: bool) -> int:
    async with await App.open(settings) as app:
        await app.store.info.set(PURPOSE, PURPOSE_DEMO)
        return await run_demo(app, sys.stdout, chat_hint=None if default else db)
