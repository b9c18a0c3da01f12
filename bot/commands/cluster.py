"""``youthbot cluster INPUT [--out OUT] [--threshold T]``: group duplicate questions of a file.

The reading, grouping and writing live in :mod:`bot.clustering.batch`; this module only
registers the subcommand.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.clustering import DEFAULT_THRESHOLD, batch
from bot.clustering.cluster import THRESHOLD_WITHOUT_UNITS
from bot.commands import cli_language, help_text, threshold_value
from locales import translator

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``cluster`` subcommand to the CLI's subparsers."""
    parser = subparsers.add_parser(
        "cluster",
        help=help_text("cli.help.cluster"),
        description=help_text("cli.help.cluster.description"),
    )
    # The same arguments as batch.add_arguments, with the operator's language in --help.
    parser.add_argument(
        "input",
        type=Path,
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.cluster.input"),
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.cluster.out"),
    )
    parser.add_argument(
        "--threshold",
        type=threshold_value,
        default=None,
        metavar=help_text("cli.help.metavar.number"),
        help=help_text(
            "cli.help.cluster.threshold",
            default=f"{DEFAULT_THRESHOLD:g}",
            without_units=f"{THRESHOLD_WITHOUT_UNITS:g}",
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit status: 0 when at least one row was grouped, 1 when none, 2 on unusable input.
    Problems are reported in the operator's language."""
    language = getattr(args, "startup_language", None) or cli_language(None)
    return batch.run(args, tr=translator(language))
