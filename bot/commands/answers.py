"""``youthbot answers``: the answers of a campaign.

- ``list``: every routed question with its department and the state of its answer;
- ``sheet``: a department's XLSX answer sheet (or one per department with ``--all``);
- ``import FILE.xlsx``: a filled sheet back, all or nothing, drafts until published;
- ``publish``: tell the askers and supporters (``CODE ...``, or ``--all``); with
  ``--with-group`` the answer also goes to the other questions of its group, after the
  list of every recipient was shown. Before sending, both print what goes out: each
  answer, how many people get it and the first messages as they will read them; at a
  terminal they ask (``--yes`` confirms without asking). Without a terminal ``--all``
  sends after the list (scripts) and ``--with-group`` sends nothing without ``--yes``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.application.app import App
from bot.campaign.departments import campaign_province, departments, find_department
from bot.campaign.setup import resolve_campaign
from bot.commands import (
    CommandError,
    add_campaign_option,
    cli_tr,
    help_text,
    with_app,
)
from bot.documents.answer_sheet import (
    SheetError,
    apply_import,
    plan_import,
    read_answer_sheet,
    sheet_file_name,
    sheet_questions,
    write_campaign_sheet,
)
from bot.documents.build import live_answers
from bot.documents.names import reserve
from handlers.answers import (
    answer_messages,
    extend_to,
    group_candidates,
    publish,
    recipients_of,
)
from handlers.engine import short
from locales import Translator, translator
from storage.models import Campaign, Question
from storage.questions import split_codes


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("answers", help=help_text("cli.help.answers"))
    actions = parser.add_subparsers(
        dest="answers_action", required=True, metavar=help_text("cli.help.metavar.action")
    )

    lst = actions.add_parser("list", help=help_text("cli.help.answers.list"))
    _campaign_option(lst)
    lst.add_argument(
        "--department",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.answers.list.department"),
    )
    lst.set_defaults(func=with_app(_list))

    sheet = actions.add_parser("sheet", help=help_text("cli.help.answers.sheet"))
    _campaign_option(sheet)
    which = sheet.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--department",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.answers.sheet.department"),
    )
    which.add_argument("--all", action="store_true", help=help_text("cli.help.answers.sheet.all"))
    sheet.add_argument(
        "--out",
        type=Path,
        metavar=help_text("cli.help.metavar.file_or_folder"),
        help=help_text("cli.help.answers.sheet.out"),
    )
    sheet.set_defaults(func=with_app(_sheet))

    imp = actions.add_parser("import", help=help_text("cli.help.answers.import"))
    imp.add_argument(
        "file",
        type=Path,
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.answers.import.file"),
    )
    imp.add_argument(
        "--department",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.answers.import.department"),
    )
    imp.add_argument(
        "--publish", action="store_true", help=help_text("cli.help.answers.import.publish")
    )
    imp.set_defaults(func=with_app(_import))

    pub = actions.add_parser("publish", help=help_text("cli.help.answers.publish"))
    pub.add_argument(
        "codes",
        nargs="*",
        metavar=help_text("cli.help.metavar.code"),
        help=help_text("cli.help.answers.publish.codes"),
    )
    pub.add_argument("--all", action="store_true", help=help_text("cli.help.answers.publish.all"))
    _campaign_option(pub)
    pub.add_argument(
        "--department",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.answers.publish.department"),
    )
    pub.add_argument(
        "--with-group",
        action="store_true",
        help=help_text("cli.help.answers.publish.with_group"),
    )
    pub.add_argument("--yes", action="store_true", help=help_text("cli.help.answers.publish.yes"))
    pub.set_defaults(func=with_app(_publish))


def _campaign_option(parser: argparse.ArgumentParser) -> None:
    add_campaign_option(parser)


async def _department(app: App, campaign: Campaign, name: str) -> str:
    province = await campaign_province(app.store, campaign)
    return (await find_department(app.store, province, name, now=app.clock.now())).name


async def _list(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    campaign = await resolve_campaign(app, args.campaign)
    department = await _department(app, campaign, args.department) if args.department else None
    reports = await app.store.reports.questions(campaign.id, department=department)
    live = live_answers(await app.store.conclusions.entries(campaign.id))
    shown = 0
    for r in reports:
        if r.department is None:
            continue
        state = (
            tr("answers.state.published")
            if r.answer_published_at
            else tr("answers.state.draft")
            if r.answer
            # The chair answered it at the dialogue: not owed by the department.
            else tr("answers.state.live")
            if r.id in live
            else tr("answers.state.missing")
        )
        print(f"{r.code}  {state:<14} {r.department}  {short(r.text, 70)}")
        shown += 1
    print(tr.n("answers.cli.listed", shown))
    return 0


async def _sheet(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    language = app.settings.core.language
    campaign = await resolve_campaign(app, args.campaign)
    if args.all:
        province = await campaign_province(app.store, campaign)
        names = [d.name for d in await departments(app.store, province, now=app.clock.now())]
    else:
        names = [await _department(app, campaign, args.department)]
    folder = app.settings.core.out_dir
    single: Path | None = None
    if args.out is not None and not args.all and not args.out.is_dir():
        single = args.out
    elif args.out is not None:
        folder = args.out
    written = 0
    for name in names:
        rows = await sheet_questions(app.store, campaign, name, tr=translator(language))
        if not rows:
            if not args.all:
                print(tr("answers.cli.no_routed", department=name))
            continue
        path = single or folder / sheet_file_name(campaign, name, app.local_now())
        if not path.parent.exists():
            if single is not None:
                raise CommandError(tr("cli.folder_missing", folder=path.parent), status=2)
            path.parent.mkdir(parents=True, exist_ok=True)
        if single is None:  # another campaign's sheet made this minute is kept
            path = folder / f"{reserve(folder, path.stem, ('.xlsx',))}.xlsx"
        await asyncio.to_thread(
            write_campaign_sheet,
            rows,
            path,
            campaign=campaign,
            department=name,
            tr=translator(language),
        )
        print(tr.n("answers.cli.sheet", len(rows), department=name, path=path))
        written += 1
    if args.all and not written:
        print(tr("answers.cli.nothing_routed"))
    return 0


async def import_sheet(app: App, path: Path, *, department: str | None, publish_now: bool) -> int:
    """Check a filled sheet and record its answers, all or none (also `answer --file`)."""
    tr = cli_tr(app)
    try:
        content = await asyncio.to_thread(read_answer_sheet, path)
    except SheetError as exc:
        raise CommandError(exc.render(tr), status=2) from exc
    campaign = await _sheet_campaign(app, content.campaign_id)
    sheet_department = await _department(app, campaign, content.department)
    if department is not None:
        wanted = await _department(app, campaign, department)
        if wanted != sheet_department:
            raise CommandError(
                tr("answers.import.wrong_file", path=path, found=sheet_department, wanted=wanted),
                status=2,
            )
    now = app.clock.now()
    plan = await plan_import(
        app.store, content, department=sheet_department, now=now, campaign_id=campaign.id
    )
    if plan.errors:
        for error in plan.errors:
            print(f"{path}: {error.render(tr)}")
        raise CommandError(tr.n("answers.import.refused", len(plan.errors), path=path), status=1)
    recorded = await apply_import(app.store, plan, now=now)
    print(
        tr.n(
            "answers.import.done",
            recorded,
            department=sheet_department,
            unchanged=tr.n("count.rows", plan.unchanged),
            empty=tr.n("count.rows", plan.empty),
        )
    )
    if plan.withdrawn:
        print(tr("answers.import.withdrawn", codes=", ".join(plan.withdrawn)))
    if publish_now and plan.changes:
        fresh = [q for q in [await app.store.questions.get(q.id) for q, _ in plan.changes] if q]
        result = await publish(app.store, fresh, now=now)
        print(
            tr.n(
                "answers.cli.published",
                len(result.questions),
                people=tr.n("count.young_people", result.people),
            )
        )
    return 0


async def _sheet_campaign(app: App, campaign_id: int | None) -> Campaign:
    if campaign_id is not None:
        campaign = await app.store.campaigns.get(campaign_id)
        if campaign is not None:
            return campaign
    return await resolve_campaign(app, None)


async def _import(args: argparse.Namespace, app: App) -> int:
    return await import_sheet(app, args.file, department=args.department, publish_now=args.publish)


async def _publish(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    now = app.clock.now()
    codes = split_codes(args.codes)  # "6C548B, 7ATYGC" copied from a list
    if args.all == bool(codes):
        raise CommandError(tr("answers.cli.publish_usage"), status=2)
    if args.all:
        campaign = await resolve_campaign(app, args.campaign)
        department = await _department(app, campaign, args.department) if args.department else None
        drafts = await app.store.questions.unpublished_answers(campaign.id, department=department)
        if not drafts:
            print(tr("answer.no_drafts"))
            return 0
        await _print_preview(app, drafts, tr)
        # Told once and for good: at a terminal, the official confirms what was listed
        # (a script, with no one to ask, sends as it always did; the list is its record).
        if not args.yes and sys.stdin.isatty():
            people = len({r.person_id for r in await recipients_of(app.store, drafts)})
            print(tr.n("answer.all_confirm", len(drafts), people=people))
            if not await _confirmed(tr):
                print(tr("cli.broadcast.cancelled"))
                return 1
        result = await publish(app.store, drafts, now=now)
        print(
            tr.n(
                "answers.cli.published",
                len(result.questions),
                people=tr.n("count.young_people", result.people),
            )
        )
        return 0
    questions: list[Question] = []
    for code in codes:
        question = await app.store.questions.by_code(code)
        if question is None:
            raise CommandError(tr("cli.no_question", code=code), status=2)
        if question.answer is None:
            raise CommandError(tr("answers.cli.no_draft", code=question.code), status=2)
        if question.status == "withdrawn":  # its asker took it back: nobody is told
            raise CommandError(tr("answer.withdrawn", code=question.code), status=2)
        questions.append(question)
    if args.with_group:
        if len(questions) != 1:
            raise CommandError(tr("answers.cli.group_one"), status=2)
        return await _publish_group(app, questions[0], confirmed=args.yes)
    result = await publish(app.store, questions, now=now)
    print(
        tr.n(
            "answers.cli.published",
            len(result.questions),
            people=tr.n("count.young_people", result.people),
        )
    )
    for q in questions:
        if q.answer_published_at is not None:
            print(
                tr(
                    "answer.already_published",
                    code=q.code,
                    date=f"{q.answer_published_at:%d/%m/%Y}",
                )
            )
    return 0


async def _publish_group(app: App, question: Question, *, confirmed: bool) -> int:
    """Show every question and how many people the answer would reach; send with --yes."""
    tr = cli_tr(app)
    free, own = await group_candidates(app.store, question)
    chosen = [question, *free]
    people = len({r.person_id for r in await recipients_of(app.store, chosen)})
    print(tr.n("answer.group_title", people, questions=len(chosen)))
    for q in chosen:
        unit = await app.store.units.get(q.unit_id)
        count = len({r.person_id for r in await recipients_of(app.store, [q])})
        print(
            tr(
                "answer.group_line",
                code=q.code,
                text=short(q.text, 120),
                unit=unit.name if unit else "",
                people=count,
            )
        )
    if own:
        print(tr("answer.group_own", codes=", ".join(q.code for q in own)))
    print(tr("answer.preview", answer=question.answer or ""))
    # The messages as the group's people will read them (the answer given to each question).
    given = [replace(q, answer=question.answer, answered_by=question.answered_by) for q in chosen]
    await _print_samples(app, given, tr)
    if not confirmed and (not sys.stdin.isatty() or not await _confirmed(tr)):
        print(tr("answers.cli.confirm_group", code=question.code))
        return 0
    now = app.clock.now()
    async with app.store.transaction():
        targets = await extend_to(app.store, question, free, now=now, actor_id=None)
        fresh = [q for q in [await app.store.questions.get(q.id) for q in targets] if q]
        result = await publish(app.store, fresh, now=now)
    print(
        tr.n(
            "answers.cli.published",
            len(result.questions),
            people=tr.n("count.young_people", result.people),
        )
    )
    return 0


#: Answers listed one by one before sending all, and messages quoted in full.
PREVIEW_LISTED = 30
PREVIEW_QUOTED = 2


async def _print_preview(app: App, drafts: Sequence[Question], tr: Translator) -> None:
    """Each drafted answer, who gave it and how many people it reaches, then the first
    messages as their people will read them."""
    print(tr.n("answer.all_title", len(drafts)))
    for q in drafts[:PREVIEW_LISTED]:
        people = len({r.person_id for r in await recipients_of(app.store, [q])})
        print(
            tr.n(
                "answer.all_line",
                people,
                code=q.code,
                by=q.answered_by or tr("answer.by_default"),
                answer=short(q.answer or "", 80),
            )
        )
    if len(drafts) > PREVIEW_LISTED:
        rest = drafts[PREVIEW_LISTED:]
        people = len({r.person_id for r in await recipients_of(app.store, rest)})
        print(tr.n("answer.all_more", len(rest), people=people))
    await _print_samples(app, drafts, tr)


async def _print_samples(app: App, questions: Sequence[Question], tr: Translator) -> None:
    quoted = 0
    for q in questions:
        if quoted >= PREVIEW_QUOTED:
            return
        messages = await answer_messages(app.store, [q])
        if messages:
            quoted += 1
            print(tr("answer.all_sample", code=q.code, people=len(messages)))
            print(messages[0][1].text)


async def _confirmed(tr: Translator) -> bool:
    answer = (await asyncio.to_thread(input, tr("cli.broadcast.confirm"))).strip().lower()
    return answer in ("y", "yes", "c", "co", "có")
