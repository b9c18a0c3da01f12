"""``youthbot answer``: record official answers (one, or many from a CSV of written
answers) and send them back to the askers and supporters through the outbox."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
from pathlib import Path

from bot.application.app import App
from bot.commands import CommandError, cli_tr, help_text, with_app
from handlers.answers import MAX_ANSWER_CHARS, record_answer
from handlers.intake import clean_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("answer", help=help_text("cli.help.answer"))
    parser.add_argument(
        "code",
        nargs="?",
        metavar=help_text("cli.help.metavar.code"),
        help=help_text("cli.help.answer.code"),
    )
    parser.add_argument(
        "--text", metavar=help_text("cli.help.metavar.text"), help=help_text("cli.help.answer.text")
    )
    parser.add_argument(
        "--by", metavar=help_text("cli.help.metavar.name"), help=help_text("cli.help.answer.by")
    )
    parser.add_argument(
        "--file",
        type=Path,
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.answer.file"),
    )
    parser.set_defaults(func=with_app(_answer))


async def _answer(args: argparse.Namespace, app: App) -> int:
    if args.file:
        return await _from_file(app, args.file)
    tr = cli_tr(app)
    if not args.code or not args.text:
        raise CommandError(tr("cli.answer.usage"), status=2)
    question = await app.store.questions.by_code(args.code)
    if question is None:
        raise CommandError(tr("cli.no_question", code=args.code), status=2)
    text = clean_text(args.text)
    if not text or len(text) > MAX_ANSWER_CHARS:
        raise CommandError(tr("cli.answer.text_length", max=MAX_ANSWER_CHARS), status=2)
    notified = await record_answer(app.store, question, text, now=app.clock.now(), by=args.by)
    print(tr("cli.answer.done", code=question.code, count=notified))
    return 0


async def _from_file(app: App, path: Path) -> int:
    tr = cli_tr(app)
    try:
        raw = await asyncio.to_thread(path.read_bytes)
        content = raw.decode("utf-8-sig")
    except OSError as exc:
        raise CommandError(tr("cli.cannot_read", path=path, reason=exc.strerror), 2) from exc
    except UnicodeDecodeError as exc:
        raise CommandError(tr("cli.bad_encoding", path=path), 2) from exc
    reader = csv.DictReader(io.StringIO(content))
    if not reader.fieldnames or not {"code", "answer"} <= {f.strip() for f in reader.fieldnames}:
        raise CommandError(tr("cli.answer.bad_header", path=path), 2)
    rows = []
    errors = []
    for row in reader:
        line = reader.line_num
        code = (row.get("code") or "").strip()
        text = clean_text(row.get("answer") or "")
        question = await app.store.questions.by_code(code) if code else None
        if question is None:
            errors.append(tr("cli.answer.row_no_question", path=path, line=line, code=code))
        elif not text or len(text) > MAX_ANSWER_CHARS:
            errors.append(tr("cli.answer.row_length", path=path, line=line, max=MAX_ANSWER_CHARS))
        else:
            rows.append((question, text, (row.get("by") or "").strip() or None))
    if errors:
        for error in errors:
            print(error)
        raise CommandError(tr("cli.answer.bad_rows", path=path, count=len(errors)))
    notified = 0
    for question, text, by in rows:
        notified += await record_answer(app.store, question, text, now=app.clock.now(), by=by)
    print(tr("cli.answer.recorded", count=len(rows), notified=notified))
    return 0
