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
from bot.campaign.departments import campaign_province, find_department
from bot.campaign.lookup import find_unit
from bot.campaign.setup import resolve_campaign
from bot.commands import (
    CommandError,
    add_campaign_option,
    cli_tr,
    help_text,
    with_app,
)
from bot.documents.build import build_digest, scope_from_options
from bot.documents.docx import write_docx
from bot.documents.exports import question_to_json, write_questions_csv
from bot.documents.followup import DOCUMENT_KINDS, FILE_STEMS, ReportDocument
from bot.documents.followup_build import build_document
from bot.documents.followup_docx import write_followup_docx
from bot.documents.model import QuestionRow, format_date_vn
from bot.documents.names import dated_stem, reserve
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
    parser = sub.add_parser(
        "export",
        help=help_text("cli.help.export"),
        description=help_text("cli.help.export.description"),
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="jsonl", help=help_text("cli.help.export.format")
    )
    add_campaign_option(parser)
    parser.add_argument(
        "--unit", metavar=help_text("cli.help.metavar.code"), help=help_text("cli.help.unit_filter")
    )
    parser.add_argument(
        "--department",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.export.department"),
    )
    parser.add_argument(
        "--document",
        choices=("summary", *DOCUMENT_KINDS),
        default="summary",
        help=help_text("cli.help.export.document"),
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
    if args.document != "summary":
        return await _followup(args, app, campaign)
    _one_scope(args, app)
    unit = await find_unit(app.store, args.unit) if args.unit else None
    department = args.department
    if department is not None:  # the registry's name, as route and digest find it ("" refused)
        province = await campaign_province(app.store, campaign)
        department = (
            await find_department(app.store, province, department, now=app.clock.now())
        ).name
    scope = await scope_from_options(
        app.store, unit_code=unit.code if unit else None, department=department
    )
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
    if scope.kind == "department" and not data.questions:
        # A misspelt department would give an empty letter: name the ones that have questions.
        routed = await app.store.reports.questions(campaign.id)
        known = sorted({r.department for r in routed if r.department})
        raise CommandError(
            tr("cli.export.no_department", name=scope.department, known=", ".join(known) or "-"),
            status=2,
        )
    out: Path | None = args.out
    if out is None and args.format != "jsonl":
        app.settings.core.out_dir.mkdir(parents=True, exist_ok=True)
        folder = app.settings.core.out_dir
        stem = file_stem(data, app.local_now(), host=campaign.host_unit_name)
        stem = reserve(folder, stem, (f".{args.format}",))
        out = folder / f"{stem}.{args.format}"
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
        print(tr.n("cli.export.done", len(data.questions), path=out), file=sys.stderr)
    due = data.deadline("answers_due")
    if (
        args.format == "docx"
        and scope.kind == "department"
        and due
        and due < app.local_now().date()
    ):
        # The letter asks for answers by that date: written as asked, the operator warned.
        print(
            tr.t("cli.export.due_passed", due=format_date_vn(due), campaign=campaign.id),
            file=sys.stderr,
        )
    return 0


def _one_scope(args: argparse.Namespace, app: App) -> None:
    """A unit's list or a department's letter, not both (one would be silently dropped)."""
    if args.unit and args.department:
        tr = cli_tr(app)
        raise CommandError(tr("cli.export.unit_or_department"), status=2)


async def _followup(args: argparse.Namespace, app: App, campaign: Campaign) -> int:
    """One of the documents after the questions (DOCX only; the whole campaign)."""
    tr = cli_tr(app)
    if args.format != "docx" or args.unit or args.department:
        raise CommandError(tr("followup.cli.docx_only", document=args.document), status=2)
    language = app.settings.core.language
    document = await build_document(
        args.document,
        app.store,
        campaign,
        language=language,
        today=app.local_now().date(),
        now=app.clock.now(),
    )
    out: Path | None = args.out
    if out is None:
        app.settings.core.out_dir.mkdir(parents=True, exist_ok=True)
        folder = app.settings.core.out_dir
        stem = dated_stem(FILE_STEMS[args.document], campaign.host_unit_name, app.local_now())
        out = folder / f"{reserve(folder, stem, ('.docx',))}.docx"
    if not out.parent.exists():
        raise CommandError(tr("cli.folder_missing", folder=out.parent), status=2)
    await asyncio.to_thread(write_followup_docx, document, out, tr=translator(language))
    print(tr("cli.wrote", path=out), file=sys.stderr)
    if isinstance(document, ReportDocument) and document.draft:
        date = format_date_vn(campaign.dialogue_date)
        print(tr("followup.cli.report_draft", date=date), file=sys.stderr)
    return 0
