"""``youthbot export``: the questions of a campaign as XLSX, DOCX, CSV or JSON Lines."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.application.app import App
from bot.campaign.lookup import find_unit
from bot.campaign.setup import resolve_campaign
from bot.commands import CommandError, campaign_ref, help_text, with_app
from bot.documents.build import build_digest, scope_from_options
from bot.documents.docx import write_docx
from bot.documents.exports import question_to_json, write_questions_csv
from bot.documents.model import QuestionRow
from bot.documents.produce import file_stem
from bot.documents.xlsx import write_xlsx
from locales import translator
from storage.models import Campaign

FORMATS = ("xlsx", "docx", "csv", "jsonl")


def _write_jsonl(rows: Iterable[QuestionRow], campaign: Campaign, stream: TextIO) -> None:
    """One question per line, written as it goes (a campaign may hold 100,000)."""
    for row in rows:
        obj = {"campaign_id": campaign.id, "campaign": campaign.title, **question_to_json(row)}
        if obj.get("asker_name") is None:
            obj.pop("asker_name", None)  # anonymous: the key is left out
        stream.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _jsonl_file(rows: Iterable[QuestionRow], campaign: Campaign, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        _write_jsonl(rows, campaign, fh)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("export", help=help_text("cli.help.export"))
    parser.add_argument(
        "--format", choices=FORMATS, default="jsonl", help=help_text("cli.help.export.format")
    )
    parser.add_argument(
        "--campaign",
        type=campaign_ref,
        metavar=help_text("cli.help.metavar.campaign"),
        help=help_text("cli.help.campaign_option"),
    )
    parser.add_argument(
        "--unit", metavar=help_text("cli.help.metavar.code"), help=help_text("cli.help.unit_filter")
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.export.out"),
    )
    parser.set_defaults(func=with_app(_export))


async def _export(args: argparse.Namespace, app: App) -> int:
    campaign = await resolve_campaign(app, args.campaign)
    unit = await find_unit(app.store, args.unit) if args.unit else None
    scope = await scope_from_options(app.store, unit_code=unit.code if unit else None)
    language = app.settings.core.language
    now = app.clock.now()
    # The operator running the command has the server's data: names are included.
    data = await build_digest(
        app.store,
        campaign,
        scope=scope,
        show_names=True,
        language=language,
        now=now,
        tz_today=app.local_now(),
    )
    tr = translator(language)  # the files' language, and the CLI's (same setting)
    out: Path | None = args.out
    if out is None and args.format != "jsonl":
        app.settings.core.out_dir.mkdir(parents=True, exist_ok=True)
        out = (
            app.settings.core.out_dir
            / f"{file_stem(campaign, scope, app.local_now())}.{args.format}"
        )
    if out is not None and out.parent and not out.parent.exists():
        raise CommandError(tr("cli.folder_missing", folder=out.parent), status=2)
    if args.format == "jsonl":
        if out is None:
            _write_jsonl(data.questions, campaign, sys.stdout)
        else:
            await asyncio.to_thread(_jsonl_file, data.questions, campaign, out)
    elif args.format == "csv":
        assert out is not None
        await asyncio.to_thread(write_questions_csv, data.questions, out, tr=tr)
    elif args.format == "xlsx":
        assert out is not None
        await asyncio.to_thread(write_xlsx, data, out, tr=tr)
    else:
        assert out is not None
        await asyncio.to_thread(write_docx, data, out, tr=tr)
    if out is not None:
        print(tr("cli.export.done", count=len(data.questions), path=out), file=sys.stderr)
    return 0
