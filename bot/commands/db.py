"""``youthbot db copy FROM TO``: a whole database into another, empty one.

FROM and TO are what ``YOUTHBOT_DB`` takes: a SQLite file (path or ``sqlite:///…``) or a
PostgreSQL database (``postgresql://…``), so a province moving to PostgreSQL copies its
SQLite file in, and a PostgreSQL database can be copied back into a file. Both are opened
(and migrated to this version's schema) first; the target must be empty; every table's
rows are counted on both sides afterwards. Stop the bot first: rows written during the
copy would not be in it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bot.commands import CommandError, cli_language, help_text, run_async
from locales import Translator, translator
from storage import StorageError
from storage.copy import copy_database
from storage.db import Database, parse_target


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("db", help=help_text("cli.help.db"))
    actions = parser.add_subparsers(
        dest="db_command", required=True, metavar=help_text("cli.help.metavar.action")
    )
    copy = actions.add_parser("copy", help=help_text("cli.help.db.copy"))
    copy.add_argument(
        "source",
        metavar=help_text("cli.help.metavar.from"),
        help=help_text("cli.help.db.source"),
    )
    copy.add_argument(
        "target",
        metavar=help_text("cli.help.metavar.to"),
        help=help_text("cli.help.db.target"),
    )
    copy.set_defaults(func=_copy)


def _copy(args: argparse.Namespace) -> int:
    tr = translator(cli_language(getattr(args, "settings", None)))
    for text in (args.source, args.target):
        try:
            parse_target(text)
        except ValueError:
            raise CommandError(tr("cli.db.bad_target", given=text), 2) from None
    source = parse_target(args.source)
    if source.kind == "sqlite" and not Path(source.location).is_file():
        raise CommandError(tr("cli.db.no_source", path=source.location), 2)
    return run_async(_run(args.source, args.target, tr))


async def _run(source_text: str, target_text: str, tr: Translator) -> int:
    try:
        source = await Database.open(source_text)
    except StorageError as exc:
        raise CommandError(str(exc), 1) from None
    try:
        try:
            target = await Database.open(target_text)
        except StorageError as exc:
            raise CommandError(str(exc), 1) from None
        try:
            if source.location == target.location:
                raise CommandError(tr("cli.db.same", db=source.location), 2)
            progress = _Progress(tr)
            try:
                result = await copy_database(source, target, progress=progress)
            except StorageError as exc:
                progress.end()
                raise CommandError(str(exc), 1) from None
            progress.end()
        finally:
            await target.close()
    finally:
        await source.close()
    print(
        tr.n(
            "cli.db.copied",
            result.rows,
            tables=tr.n("count.tables", len(result.tables)),
            source=source.location,
            target=target.location,
        )
    )
    return 0


class _Progress:
    """One line, rewritten in place on a terminal (at most every 0.2 s), else one line
    per table."""

    def __init__(self, tr: Translator) -> None:
        self.tr = tr
        self._tty = sys.stderr.isatty()
        self._shown = 0.0
        self._open = False

    def __call__(self, table: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if self._tty:
            if finished or now - self._shown >= 0.2:
                self._shown = now
                line = self.tr.n("cli.db.progress", total, table=table, done=done)
                print(f"\r{line}\033[K", end="", file=sys.stderr, flush=True)
                self._open = True
        elif finished:
            print(self.tr.n("cli.db.progress", total, table=table, done=done), file=sys.stderr)

    def end(self) -> None:
        if self._open:
            print(file=sys.stderr)
            self._open = False
