"""``youthbot backup FILE``: a consistent copy of the database, safe while the bot runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.application.app import App
from bot.commands import CommandError, cli_tr, help_text, with_app
from storage import StorageError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("backup", help=help_text("cli.help.backup"))
    parser.add_argument(
        "file",
        type=Path,
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.backup.file"),
    )
    parser.set_defaults(func=with_app(_backup))


async def _backup(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    target: Path = args.file
    if not target.parent.exists():
        raise CommandError(tr("cli.folder_missing", folder=target.parent), status=2)
    try:
        await app.store.db.backup(target)
    except StorageError as exc:
        raise CommandError(str(exc), status=2) from exc
    print(tr("cli.backup.done", db=app.store.db.location, target=target))
    return 0
