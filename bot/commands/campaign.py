"""``youthbot campaign``: create, list, show and edit campaigns ("đợt đối thoại")."""

from __future__ import annotations

import argparse

from bot.application.app import App, is_collecting
from bot.campaign.reminders import upcoming
from bot.campaign.setup import (
    DEFAULT_TOPICS,
    create_campaign,
    reschedule,
    resolve_campaign,
)
from bot.commands import CommandError, cli_tr, parse_date, with_app
from bot.commands.document_options import (
    add_document_options,
    describe_issuer,
    edit_documents,
    format_documents,
    wants_documents,
)
from bot.documents.build import issuer_for
from locales import translator
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


def _add_date_options(parser: argparse.ArgumentParser) -> None:
    for kind, option in _DATE_OPTIONS.items():
        parser.add_argument(
            option,
            type=parse_date,
            metavar="DATE",
            dest=f"date_{kind.value}",
            help=f"override the {kind.value.replace('_', ' ')} date",
        )


def _reminder_days(text: str) -> str:
    try:
        days = sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not like 7,3,1,0") from exc
    if not days or any(d < 0 or d > 60 for d in days):
        raise argparse.ArgumentTypeError("reminder days are whole numbers from 0 to 60")
    return ",".join(str(d) for d in days)


def _hour(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 23:
        raise argparse.ArgumentTypeError(f"{text!r} is not an hour from 0 to 23")
    return int(text)


def _add_reminder_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reminder-days",
        type=_reminder_days,
        metavar="7,3,1,0",
        help="days before each deadline to remind (0 = on the day)",
    )
    parser.add_argument(
        "--reminder-hour",
        type=_hour,
        metavar="HOUR",
        help="local hour reminders go out (default 8)",
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
    parser = sub.add_parser("campaign", help="dialogue campaigns (đợt đối thoại)")
    actions = parser.add_subparsers(dest="campaign_action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create a campaign; the timeline is computed")
    create.add_argument("--title", required=True)
    create.add_argument("--theme", default="")
    create.add_argument("--level", choices=["province", "commune"], default="province")
    create.add_argument("--host", metavar="UNIT_CODE", help="host unit (default: the province)")
    create.add_argument("--dialogue-date", type=parse_date, required=True, metavar="DATE")
    create.add_argument(
        "--complex", action="store_true", help="conclusion within 15 days instead of 10"
    )
    create.add_argument(
        "--no-anonymous", action="store_true", help="every question must carry the asker's name"
    )
    create.add_argument(
        "--accept-late", action="store_true", help="accept questions after closing, flagged late"
    )
    create.add_argument("--topics", help="topic groups separated by ';' (default: the plans')")
    _add_date_options(create)
    _add_reminder_options(create)
    create.set_defaults(func=with_app(_create))

    lst = actions.add_parser("list", help="list campaigns")
    lst.set_defaults(func=with_app(_list))

    show = actions.add_parser("show", help="show a campaign and its timeline")
    show.add_argument("campaign", type=int, nargs="?")
    show.set_defaults(func=with_app(_show))

    edit = actions.add_parser("edit", help="change a campaign; reminders follow the new dates")
    edit.add_argument("campaign", type=int)
    edit.add_argument("--title")
    edit.add_argument("--theme")
    edit.add_argument("--dialogue-date", type=parse_date, metavar="DATE")
    edit.add_argument("--complex", action=argparse.BooleanOptionalAction, default=None)
    edit.add_argument("--anonymous", action=argparse.BooleanOptionalAction, default=None)
    edit.add_argument("--accept-late", action=argparse.BooleanOptionalAction, default=None)
    edit.add_argument(
        "--similar-other-units",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the similar-question prompt may show questions of other units (default: no)",
    )
    edit.add_argument("--archive", action="store_true")
    edit.add_argument("--add-topic", action="append", default=[], metavar="NAME")
    edit.add_argument("--remove-topic", action="append", default=[], metavar="NAME")
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


async def _list(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    campaigns = await app.store.campaigns.all()
    now = app.local_now()
    for c in campaigns:
        state = "collecting" if is_collecting(c, now) else c.status  # a code, not translated
        count = tr("cli.campaign.questions", count=f"{await app.store.questions.count(c.id):>6}")
        print(f"{c.id:>4}  {c.dialogue_date:%d/%m/%Y}  {state:<10} {count}  {c.title}")
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
    print(tr("cli.campaign.topics", topics="; ".join(t.name for t in topics)))
    print(tr("cli.campaign.question_count", count=await app.store.questions.count(campaign.id)))
    print("\n".join(await format_documents(app, campaign)))
    coming = upcoming([campaign], now=app.clock.now(), tz=app.tz)[:6]
    if coming:
        print(tr("cli.campaign.next_reminders"))
        for _, occurrence in coming:
            when = occurrence.send_at.astimezone(app.tz)
            print(f"  {when:%d/%m/%Y %H:%M}  {occurrence.audience:<10} {occurrence.deadline.value}")
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
            )
        for name in args.add_topic:
            if name.strip():
                await app.store.campaigns.add_topic(campaign.id, name.strip())
        topics = {t.name.lower(): t for t in await app.store.campaigns.topics(campaign.id)}
        for name in args.remove_topic:
            topic = topics.get(name.strip().lower())
            if topic is None:
                raise CommandError(tr("cli.campaign.no_topic", name=name, id=campaign.id), status=2)
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
