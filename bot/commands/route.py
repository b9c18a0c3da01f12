"""``youthbot route``: send a topic group's questions (or one question) to the competent
department ("chuyển sở, ngành"), as Sở Nội vụ does after the units send theirs up."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign.setup import resolve_campaign
from bot.commands import CommandError, cli_tr, with_app


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("route", help="route a topic group or a question to a department")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--topic", help="topic group name (as in `campaign show`)")
    target.add_argument("--question", metavar="CODE")
    parser.add_argument("--department", required=True, help="e.g. 'Sở Giáo dục và Đào tạo'")
    parser.add_argument("--campaign", type=int)
    parser.set_defaults(func=with_app(_route))


async def _route(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    department = args.department.strip()
    if not department:
        raise CommandError(tr("cli.route.no_department"), status=2)
    now = app.clock.now()
    if args.question:
        question = await app.store.questions.by_code(args.question)
        if question is None:
            raise CommandError(tr("cli.no_question", code=args.question), status=2)
        await app.store.questions.route_question(question.id, department, now=now)
        print(tr("cli.route.question", code=question.code, department=department))
        return 0
    campaign = await resolve_campaign(app, args.campaign)
    topics = {t.name.lower(): t for t in await app.store.campaigns.topics(campaign.id)}
    topic = topics.get(args.topic.strip().lower())
    if topic is None:
        names = "; ".join(t.name for t in topics.values())
        raise CommandError(tr("cli.route.no_topic", topic=args.topic, names=names), status=2)
    count = await app.store.questions.route_topic(topic.id, department, now=now)
    await app.store.audit.record(
        "route.topic", at=now, target=f"topic:{topic.id}", detail={"department": department}
    )
    print(tr("cli.route.topic", topic=topic.name, department=department, count=count))
    return 0
