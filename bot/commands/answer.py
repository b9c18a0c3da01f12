"""``youthbot answer``: record official answers (one, or many from a CSV of written
answers or a department's XLSX sheet) as drafts; ``--publish`` also tells the askers and
supporters at once. See ``youthbot answers`` for the sheets, the list and publishing."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
from pathlib import Path

from bot.application.app import App
from bot.campaign.departments import DepartmentError, campaign_province, find_department
from bot.campaign.setup import resolve_campaign
from bot.commands import CommandError, cli_tr, help_text, with_app
from bot.documents.answer_sheet import column_key
from handlers.answers import (
    MAX_ANSWER_CHARS,
    AnswerError,
    check_answer_text,
    publish,
    save_answer,
)
from storage.models import Question


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
    parser.add_argument("--publish", action="store_true", help=help_text("cli.help.answer.publish"))
    parser.set_defaults(func=with_app(_answer))


async def answered_by(app: App, question: Question, by: str | None) -> str | None:
    """The registry's name of ``by``, else the department the question is routed to."""
    if by and by.strip():
        campaign = await resolve_campaign(app, question.campaign_id)
        province = await campaign_province(app.store, campaign)
        return (await find_department(app.store, province, by, now=app.clock.now())).name
    return await app.store.questions.department_of(question.id)


async def _answer(args: argparse.Namespace, app: App) -> int:
    if args.file:
        if args.file.suffix.lower() in (".xlsx", ".xlsm"):
            from bot.commands.answers import import_sheet

            return await import_sheet(app, args.file, department=None, publish_now=args.publish)
        return await _from_file(app, args.file, publish_now=args.publish)
    tr = cli_tr(app)
    if not args.code or not args.text:
        raise CommandError(tr("cli.answer.usage"), status=2)
    question = await app.store.questions.by_code(args.code)
    if question is None:
        raise CommandError(tr("cli.no_question", code=args.code), status=2)
    try:
        text = check_answer_text(args.text)
    except AnswerError as exc:
        raise CommandError(exc.render(tr), status=2) from exc
    by = await answered_by(app, question, args.by)
    now = app.clock.now()
    changed = await save_answer(app.store, question, text, now=now, by=by, source="cli")
    if not args.publish:
        key = "answers.cli.saved" if changed else "answers.cli.unchanged"
        print(tr(key, code=question.code))
        return 0
    fresh = await app.store.questions.get(question.id)
    assert fresh is not None
    result = await publish(app.store, [fresh], now=now)
    print(tr.n("cli.answer.done", result.people, code=question.code))
    return 0


async def _from_file(app: App, path: Path, *, publish_now: bool) -> int:
    tr = cli_tr(app)
    try:
        raw = await asyncio.to_thread(path.read_bytes)
        content = raw.decode("utf-8-sig")
    except OSError as exc:
        raise CommandError(tr("cli.cannot_read", path=path, reason=exc.strerror), 2) from exc
    except UnicodeDecodeError as exc:
        raise CommandError(tr("cli.bad_encoding", path=path), 2) from exc
    first_line = content.partition("\n")[0]
    # Excel set to Vietnamese (a decimal comma) separates a CSV's columns with ";".
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.DictReader(io.StringIO(content), delimiter=delimiter)
    # The columns by name in either language ("Mã câu hỏi", "Trả lời"), as the sheet's.
    columns = {
        key: field
        for field in reversed(reader.fieldnames or [])
        if (key := "by" if field.strip().lower() == "by" else column_key(field))
    }
    if not {"code", "answer"} <= columns.keys():
        raise CommandError(tr("cli.answer.bad_header", path=path), 2)
    rows: list[tuple[Question, str, str | None]] = []
    errors = []
    withdrawn: list[str] = []
    seen: dict[str, int] = {}  # code -> the line it is on: two answers to one question
    for row in reader:
        line = reader.line_num
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank row (",," as Excel writes it)
        code = (row.get(columns["code"]) or "").strip()
        question = await app.store.questions.by_code(code) if code else None
        if question is None:
            errors.append(tr("cli.answer.row_no_question", path=path, line=line, code=code))
            continue
        if question.code in seen:  # which of the two was meant? (the sheet refuses it too)
            first = seen[question.code]
            errors.append(
                tr("cli.answer.row_twice", path=path, line=line, code=question.code, first=first)
            )
            continue
        seen[question.code] = line
        if question.status == "withdrawn":
            withdrawn.append(question.code)
            continue
        try:
            text = check_answer_text(row.get(columns["answer"]) or "")
            by = await answered_by(app, question, row.get(columns.get("by", "by")))
        except AnswerError:
            errors.append(tr("cli.answer.row_length", path=path, line=line, max=MAX_ANSWER_CHARS))
            continue
        except DepartmentError as exc:  # an unknown department in the "by" column
            errors.append(f"{path}:{line}: {exc.render(tr)}")
            continue
        if question.answer_published_at is not None and text != question.answer:
            errors.append(
                f"{path}:{line}: "
                + tr(
                    "answer.already_published",
                    code=question.code,
                    date=f"{question.answer_published_at:%d/%m/%Y}",
                )
            )
            continue
        rows.append((question, text, by))
    if errors:
        for error in errors:
            print(error)
        raise CommandError(tr.n("cli.answer.bad_rows", len(errors), path=path))
    now = app.clock.now()
    async with app.store.transaction():
        recorded = 0
        for question, text, by in rows:
            if question.answer_published_at is None:
                recorded += await save_answer(
                    app.store, question, text, now=now, by=by, source="csv"
                )
        notified = 0
        if publish_now:
            fresh = [q for q in [await app.store.questions.get(q.id) for q, _, _ in rows] if q]
            notified = (await publish(app.store, fresh, now=now)).people
    print(tr.n("cli.answer.recorded", recorded, notified=tr.n("count.young_people", notified)))
    if withdrawn:
        print(tr("answers.import.withdrawn", codes=", ".join(withdrawn)))
    return 0
