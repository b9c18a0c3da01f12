"""``youthbot cluster INPUT [--out OUT] [--threshold T]``: group duplicate questions of a file.

The reading, grouping and writing live in :mod:`bot.clustering.batch`; this module only
registers the subcommand.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.clustering import batch

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``cluster`` subcommand to the CLI's subparsers."""
    parser = subparsers.add_parser(
        "cluster",
        help="group duplicate questions of a .jsonl, .csv or .xlsx file",
        description=(
            "Group duplicate questions. Writes one JSON line per valid input row, "
            '{"id": ..., "cluster": ...}, where cluster is the id of the group\'s '
            "representative question. Bad rows are reported on stderr and skipped."
        ),
    )
    batch.add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit status: 0 when at least one row was grouped, 1 when none, 2 on unusable input."""
    return batch.run(args)
