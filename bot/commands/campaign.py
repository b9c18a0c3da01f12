"""``youthbot campaign``: create, list, show and edit campaigns ("đợt đối thoại")."""

from __future__ import annotations

import argparse

from bot.application.app import App, is_collecting
from bot.campaign.departments import find_topic
from bot.campaign.lookup import find_unit
from bot.campaign.reminders import upcoming
from bot.campaign.setup import (
    DEFAULT_TOPICS,
    check_host,
    create_campaign,
    reschedule,
    resolve_campaign,
)
from bot.commands import (
    CommandError,
    campaign_ref,
    cli_tr,
    help_text,
    parse_date,
    with_app,
)
from bot.commands.document_options import (
    add_document_options,
    describe_issuer,
    edit_documents,
    format_documents,
    wants_documents,
)
from bot.documents.build import issuer_for
from handlers.engine import topic_label
from locales import Translator, translator
from storage.models import Campaign, DeadlineKind

_DATE_OPTIONS = {
    DeadlineKind.PLAN_PUBLISHED: "--plan-published",
    DeadlineKind.QUESTIONS_CLOSE: "--questions-close",
    DeadlineKind.UNITS_SUBMIT: "--units-submit",
    DeadlineKind.FORWARD: "--forward",
    DeadlineKind.ANSWERS_DUE: "--answers-due",
    DeadlineKind.CONCLUSION: "--conclusion",
    DeadlineKind.REPORT: "--report",
}


# An example date for each option's help, in the usual order of a 28/08 dialogue.
_EXAMPLE_DATES = {
    DeadlineKind.PLAN_PUBLISHED: "25/07/2027",
    DeadlineKind.QUESTIONS_CLOSE: "04/08/2027",
    DeadlineKind.UNITS_SUBMIT: "05/08/2027",
    DeadlineKind.FORWARD: "08/08/2027",
    DeadlineKind.ANSWERS_DUE: "20/08/2027",
    DeadlineKind.CONCLUSION: "07/09/2027",
    DeadlineKind.REPORT: "17/09/2027",
}


def _add_date_options(parser: argparse.ArgumentParser) -> None:
    for kind, option in _DATE_OPTIONS.items():
        parser.add_argument(
            option,
            type=parse_date,
            metavar=help_text("cli.help.metavar.date"),
            dest=f"date_{kind.value}",
            help=help_text(
                "cli.help.campaign.date",
                deadline=help_text(f"deadline.{kind.value}"),
                option=option,
                example=_EXAMPLE_DATES[kind],
            ),
        )


def _reminder_days(text: str) -> str:
    try:
        days = sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(help_text("cli.arg.bad_days", text=text)) from exc
    if not days or any(d < 0 or d > 60 for d in days):
        raise argparse.ArgumentTypeError(help_text("cli.arg.days_range"))
    return ",".join(str(d) for d in days)


def _hour(text: str) -> int:
    if not text.isdecimal() or not 0 <= int(text) <= 23:
        raise argparse.ArgumentTypeError(help_text("cli.arg.bad_hour", text=text))
    return int(text)


def _add_reminder_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reminder-days",
        type=_reminder_days,
        metavar="7,3,1,0",
        help=help_text("cli.help.campaign.reminder_days"),
    )
    parser.add_argument(
        "--reminder-hour",
        type=_hour,
        metavar=help_text("cli.help.metavar.hour"),
        help=help_text("cli.help.campaign.reminder_hour"),
    )


def _add_poster_options(parser: argparse.ArgumentParser) -> None:
    """What posters print besides the dates: who organises, whom to contact."""
    parser.add_argument(
        "--organiser",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.campaign.organiser"),
    )
    parser.add_argument(
        "--contact",
        metavar=help_text("cli.help.metavar.text"),
        help=help_text("cli.help.campaign.contact"),
    )


def _reminder_fields(args: argparse.Namespace) -> dict[str, object]:
    fields: dict[str, object] = {}
    if args.reminder_days is not None:
        fields["reminder_days"] = args.reminder_days
    if args.reminder_hour is not None:
        fields["reminder_hour"] = args.reminder_hour
    return fields


def _overrides(args: argparse.Namespace) -> dict[DeadlineKind, object]:
    return {
        kind: getattr(args, f"date_{kind.value}")
        for kind in _DATE_OPTIONS
        if getattr(args, f"date_{kind.value}", None) is not None
    }


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("campaign", help=help_text("cli.help.campaign"))
    actions = parser.add_subparsers(
        dest="campaign_action", required=True, metavar=help_text("cli.help.metavar.action")
    )
    name = help_text("cli.help.metavar.name")
    date_metavar = help_text("cli.help.metavar.date")

    create = actions.add_parser("create", help=help_text("cli.help.campaign.create"))
    create.add_argument(
        "--title", required=True, metavar=name, help=help_text("cli.help.campaign.title")
    )
    create.add_argument(
        "--theme", default="", metavar=name, help=help_text("cli.help.campaign.theme")
    )
    create.add_argument(
        "--level",
        choices=["province", "commune"],
        default=None,
        help=help_text("cli.help.campaign.level"),
    )
    create.add_argument(
        "--host",
        metavar=help_text("cli.help.metavar.code"),
        help=help_text("cli.help.campaign.host"),
    )
    create.add_argument(
        "--dialogue-date",
        type=parse_date,
        required=True,
        metavar=date_metavar,
        help=help_text("cli.help.campaign.dialogue_date"),
    )
    create.add_argument(
        "--complex", action="store_true", help=help_text("cli.help.campaign.complex")
    )
    create.add_argument(
        "--no-anonymous", action="store_true", help=help_text("cli.help.campaign.no_anonymous")
    )
    create.add_argument(
        "--accept-late", action="store_true", help=help_text("cli.help.campaign.accept_late")
    )
    create.add_argument(
        "--topics",
        metavar=help_text("cli.help.metavar.text"),
        help=help_text("cli.help.campaign.topics"),
    )
    create.add_argument(
        "--allow-past", action="store_true", help=help_text("cli.help.campaign.allow_past")
    )
    _add_poster_options(create)
    _add_date_options(create)
    _add_reminder_options(create)
    create.set_defaults(func=with_app(_create))

    lst = actions.add_parser("list", help=help_text("cli.help.campaign.list"))
    lst.set_defaults(func=with_app(_list))

    show = actions.add_parser("show", help=help_text("cli.help.campaign.show"))
    show.add_argument(
        "campaign",
        type=campaign_ref,
        nargs="?",
        metavar=help_text("cli.help.metavar.campaign"),
        help=help_text("cli.help.campaign.ref_optional"),
    )
    show.set_defaults(func=with_app(_show))

    edit = actions.add_parser("edit", help=help_text("cli.help.campaign.edit"))
    edit.add_argument(
        "campaign",
        type=campaign_ref,
        metavar=help_text("cli.help.metavar.campaign"),
        help=help_text("cli.help.campaign.ref"),
    )
    edit.add_argument("--title", metavar=name, help=help_text("cli.help.campaign.title"))
    edit.add_argument("--theme", metavar=name, help=help_text("cli.help.campaign.theme"))
    edit.add_argument(
        "--host",
        metavar=help_text("cli.help.metavar.code"),
        help=help_text("cli.help.campaign.edit_host"),
    )
    edit.add_argument(
        "--dialogue-date",
        type=parse_date,
        metavar=date_metavar,
        help=help_text("cli.help.campaign.dialogue_date"),
    )
    edit.add_argument(
        "--complex",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=help_text("cli.help.campaign.complex"),
    )
    edit.add_argument(
        "--anonymous",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=help_text("cli.help.campaign.anonymous"),
    )
    edit.add_argument(
        "--accept-late",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=help_text("cli.help.campaign.accept_late"),
    )
    edit.add_argument(
        "--similar-other-units",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=help_text("cli.help.campaign.similar_other_units"),
    )
    edit.add_argument("--archive", action="store_true", help=help_text("cli.help.campaign.archive"))
    edit.add_argument(
        "--add-topic",
        action="append",
        default=[],
        metavar=name,
        help=help_text("cli.help.campaign.add_topic"),
    )
    edit.add_argument(
        "--remove-topic",
        action="append",
        default=[],
        metavar=name,
        help=help_text("cli.help.campaign.remove_topic"),
    )
    edit.add_argument(
        "--allow-past", action="store_true", help=help_text("cli.help.campaign.allow_past")
    )
    _add_poster_options(edit)
    _add_date_options(edit)
    _add_reminder_options(edit)
    add_document_options(edit)
    edit.set_defaults(func=with_app(_edit))


async def _create(args: argparse.Namespace, app: App) -> int:
    topics = args.topics.split(";") if args.topics else list(DEFAULT_TOPICS)
    campaign = await create_campaign(
        app,
        title=args.title,
        theme=args.theme,
        level=args.level,
        host_code=args.host,
        dialogue=args.dialogue_date,
        complex_content=args.complex,
        allow_anonymous=not args.no_anonymous,
        accept_late=args.accept_late,
        overrides=_overrides(args),  # type: ignore[arg-type]
        topics=topics,
        allow_past=args.allow_past,
        organiser=args.organiser or "",
        contact=args.contact or "",
    )
    if _reminder_fields(args):
        await app.store.campaigns.update(campaign.id, now=app.clock.now(), **_reminder_fields(args))
    await app.store.audit.record(
        "campaign.create", at=app.clock.now(), target=f"campaign:{campaign.id}"
    )
    tr = cli_tr(app)
    print(tr("cli.campaign.created", id=campaign.id, title=campaign.title))
    print(format_campaign(campaign, app))
    return 0


def campaign_state(campaign: Campaign, app: App, tr: Translator) -> str:
    """ "đang nhận câu hỏi", "đã hết hạn nhận câu hỏi", "đã lưu trữ" (never an id)."""
    if campaign.status == "archived":
        return tr("cli.campaign.state.archived")
    if is_collecting(campaign, app.local_now()):
        return tr("cli.campaign.state.collecting")
    return tr("cli.campaign.state.closed")


async def _list(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    campaigns = await app.store.campaigns.all()
    states = [campaign_state(c, app, tr) for c in campaigns]
    width = max((len(state) for state in states), default=0)
    for c, state in zip(campaigns, states, strict=True):
        questions = await app.store.questions.count(c.id)
        count = tr.n("cli.campaign.questions", questions, count=f"{tr.number(questions):>6}")
        print(f"{c.id:>4}  {c.dialogue_date:%d/%m/%Y}  {state:<{width}}  {count}  {c.title}")
    if not campaigns:
        print(tr("cli.campaign.none"))
    return 0


def format_campaign(campaign: Campaign, app: App) -> str:
    tr = translator(app.settings.core.language)
    today = app.local_now().date()
    lines = [
        f"{tr('campaign.title')}: {campaign.title}",
        f"{tr('campaign.host')}: {campaign.host_unit_name} ({campaign.host_unit_code})",
    ]
    if campaign.theme:
        lines.append(f"{tr('campaign.theme')}: {campaign.theme}")
    if campaign.organiser:
        lines.append(tr("cli.campaign.organiser", organiser=campaign.organiser))
    if campaign.contact:
        lines.append(tr("cli.campaign.contact", contact=campaign.contact))
    for d in campaign.deadlines:
        days = (d.due - today).days
        mark = " *" if d.overridden else ""
        left = tr.n("deadline.days_left", days) if days >= 0 else tr.n("deadline.days_ago", -days)
        lines.append(f"  {tr('deadline.' + d.kind.value):<42} {d.due:%d/%m/%Y}{mark}  ({left})")
    return "\n".join(lines)


async def _show(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    campaign = await resolve_campaign(app, args.campaign)
    print(format_campaign(campaign, app))
    topics = await app.store.campaigns.topics(campaign.id)
    print(tr("cli.campaign.topics", topics="; ".join(topic_label(tr, t.name) for t in topics)))
    print(tr("cli.campaign.question_count", count=await app.store.questions.count(campaign.id)))
    print("\n".join(await format_documents(app, campaign)))
    coming = upcoming([campaign], now=app.clock.now(), tz=app.tz)[:6]
    if coming:
        print(tr("cli.campaign.next_reminders"))
        audiences = {
            "youth": tr("cli.campaign.audience_youth"),
            "secretary": tr("role.secretary"),
            "organiser": tr("role.organiser"),
            "department": tr("role.department"),
        }
        width = max(len(name) for name in audiences.values())
        for _, occurrence in coming:
            when = occurrence.send_at.astimezone(app.tz)
            audience = audiences.get(occurrence.audience, occurrence.audience)
            deadline = tr(f"deadline.{occurrence.deadline.value}")
            print(f"  {when:%d/%m/%Y %H:%M}  {audience:<{width}}  {deadline}")
    return 0


async def _edit(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    campaign = await resolve_campaign(app, args.campaign)
    fields: dict[str, object] = {}
    if args.title is not None:
        if not args.title.strip():
            raise CommandError(tr("cli.campaign.empty_title"), status=2)
        fields["title"] = args.title.strip()
    if args.theme is not None:
        fields["theme"] = args.theme
    if args.anonymous is not None:
        fields["allow_anonymous"] = args.anonymous
    if args.accept_late is not None:
        fields["accept_late"] = args.accept_late
    if args.similar_other_units is not None:
        fields["similar_other_units"] = args.similar_other_units
    if args.archive:
        fields["status"] = "archived"
    if args.organiser is not None:
        fields["organiser"] = args.organiser.strip()
    if args.contact is not None:
        fields["contact"] = args.contact.strip()
    if args.host is not None:
        host = await find_unit(app.store, args.host)
        check_host(host, campaign.level)
        fields["host_unit_id"] = host.id
    fields.update(_reminder_fields(args))
    overrides = _overrides(args)
    now = app.clock.now()
    async with app.store.transaction():
        if fields:
            await app.store.campaigns.update(campaign.id, now=now, **fields)
        if overrides or args.dialogue_date or args.complex is not None:
            campaign = await reschedule(
                app,
                campaign,
                dialogue=args.dialogue_date,
                complex_content=args.complex,
                overrides=overrides,  # type: ignore[arg-type]
                allow_past=args.allow_past,
            )
        for name in args.add_topic:
            if name.strip():
                await app.store.campaigns.add_topic(campaign.id, name.strip())
        for name in args.remove_topic:
            topic = await find_topic(app.store, campaign.id, name)
            await app.store.campaigns.deactivate_topic(topic.id)
        document_scope = (
            await edit_documents(args, app, campaign) if wants_documents(args) else None
        )
        await app.store.audit.record(
            "campaign.edit",
            at=now,
            target=f"campaign:{campaign.id}",
            detail={
                "fields": sorted(fields),
                "dates": sorted(k.value for k in overrides),
                "documents": args.documents_for or args.documents or bool(document_scope),
            },
        )
    updated = await app.store.campaigns.get(campaign.id)
    assert updated is not None
    print(tr("cli.campaign.updated", id=updated.id))
    print(format_campaign(updated, app))
    if document_scope is not None:
        print(tr("cli.documents.now"))
        print(
            "\n".join(
                describe_issuer(await issuer_for(app.store, updated, document_scope), app=app)
            )
        )
    return 0
