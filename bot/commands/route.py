"""``youthbot route``: send a topic group's questions (or one question) to the competent
department ("chuyển sở, ngành"), as Sở Nội vụ does after the units send theirs up.

Both names are looked up, never created: ``--department "so noi vu"`` and ``"SNV"``
find "Sở Nội vụ", ``--topic "viec lam"`` finds "Nghề nghiệp, việc làm"; an unknown name
is refused with the closest ones."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign.departments import campaign_province, find_department, find_topic
from bot.campaign.setup import resolve_campaign
from bot.commands import (
    CommandError,
    add_campaign_option,
    cli_tr,
    help_text,
    with_app,
)
from handlers.engine import topic_label


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("route", help=help_text("cli.help.route"))
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--topic",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.route.topic"),
    )
    target.add_argument(
        "--question",
        metavar=help_text("cli.help.metavar.code"),
        help=help_text("cli.help.route.question"),
    )
    parser.add_argument(
        "--department",
        required=True,
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.route.department"),
    )
    add_campaign_option(parser)
    parser.set_defaults(func=with_app(_route))


async def _route(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    if not args.department.strip():
        raise CommandError(tr("cli.route.no_department"), status=2)
    now = app.clock.now()
    if args.question:
        question = await app.store.questions.by_code(args.question)
        if question is None:
            raise CommandError(tr("cli.no_question", code=args.question), status=2)
        campaign = await resolve_campaign(app, question.campaign_id)
        province = await campaign_province(app.store, campaign)
        department = await find_department(app.store, province, args.department, now=now)
        await app.store.questions.route_question(question.id, department.name, now=now)
        await app.store.audit.record(
            "route.question",
            at=now,
            target=f"question:{question.id}",
            detail={"department": department.name},
        )
        print(tr("cli.route.question", code=question.code, department=department.name))
        return 0
    campaign = await resolve_campaign(app, args.campaign)
    topic = await find_topic(app.store, campaign.id, args.topic)
    province = await campaign_province(app.store, campaign)
    department = await find_department(app.store, province, args.department, now=now)
    count = await app.store.questions.route_topic(topic.id, department.name, now=now)
    await app.store.audit.record(
        "route.topic", at=now, target=f"topic:{topic.id}", detail={"department": department.name}
    )
    name = topic_label(tr, topic.name)  # a default group in the operator's language
    print(tr.n("cli.route.topic", count, topic=name, department=department.name))
    return 0
