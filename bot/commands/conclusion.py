"""``youthbot conclusion``: the chair's conclusion notice after the dialogue
("thông báo kết luận"): the chair's answers per question, the general conclusion,
commitments (owner department, due date) and their follow-up, and publication to every
asker it covers and to the officials, once. See :mod:`bot.campaign.conclusion`."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign import conclusion
from bot.campaign.setup import resolve_campaign
from bot.commands import (
    CommandError,
    add_campaign_option,
    campaign_option_after_actions,
    cli_tr,
    help_text,
    parse_date,
    whole_number,
    with_app,
)
from handlers.engine import short, topic_label
from storage.conclusions import COMMITMENT_STATUSES
from storage.models import Campaign
from storage.questions import split_codes


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("conclusion", help=help_text("cli.help.conclusion"))
    add_campaign_option(parser)
    actions = parser.add_subparsers(
        dest="conclusion_action", required=True, metavar=help_text("cli.help.metavar.action")
    )
    code = help_text("cli.help.metavar.code")
    text = help_text("cli.help.metavar.text")

    actions.add_parser("show", help=help_text("cli.help.conclusion.show"))

    answer = actions.add_parser("answer", help=help_text("cli.help.conclusion.answer"))
    answer.add_argument("code", metavar=code, help=help_text("cli.help.question_code"))
    answer.add_argument("text", metavar=text, help=help_text("cli.help.conclusion.answer.text"))
    answer.add_argument(
        "--also",
        nargs="+",
        default=[],
        metavar=code,
        help=help_text("cli.help.conclusion.answer.also"),
    )
    answer.add_argument(
        "--cross-topic",
        action="store_true",
        help=help_text("cli.help.conclusion.answer.cross_topic"),
    )

    remove = actions.add_parser("remove", help=help_text("cli.help.conclusion.remove"))
    remove.add_argument("code", metavar=code, help=help_text("cli.help.question_code"))

    summary = actions.add_parser("summary", help=help_text("cli.help.conclusion.summary"))
    summary.add_argument("text", metavar=text, help=help_text("cli.help.conclusion.summary.text"))

    commit = actions.add_parser("commit", help=help_text("cli.help.conclusion.commit"))
    target = commit.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--question", metavar=code, help=help_text("cli.help.conclusion.commit.question")
    )
    target.add_argument(
        "--general", action="store_true", help=help_text("cli.help.conclusion.commit.general")
    )
    commit.add_argument(
        "--owner",
        required=True,
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.conclusion.commit.owner"),
    )
    commit.add_argument(
        "--due",
        required=True,
        type=parse_date,
        metavar=help_text("cli.help.metavar.date"),
        help=help_text("cli.help.conclusion.commit.due"),
    )
    commit.add_argument(
        "--text", required=True, metavar=text, help=help_text("cli.help.conclusion.commit.text")
    )

    status = actions.add_parser("status", help=help_text("cli.help.conclusion.status"))
    status.add_argument(
        "id",
        type=whole_number,
        metavar=help_text("cli.help.metavar.number"),
        help=help_text("cli.help.conclusion.status.id"),
    )
    status.add_argument(
        "status",
        choices=COMMITMENT_STATUSES,
        help=help_text("cli.help.conclusion.status.status"),
    )
    status.add_argument(
        "--note", default="", metavar=text, help=help_text("cli.help.conclusion.status.note")
    )

    actions.add_parser("publish", help=help_text("cli.help.conclusion.publish"))
    parser.set_defaults(func=with_app(_conclusion))
    campaign_option_after_actions(actions)


async def _conclusion(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    campaign = await resolve_campaign(app, args.campaign)
    now = app.clock.now()
    store = app.store
    action = args.conclusion_action
    if action == "answer":
        try:
            entry = await conclusion.record_answer(
                store,
                campaign,
                args.code,
                args.text,
                also=split_codes(args.also or ()),
                now=now,
                cross_topic=args.cross_topic,
            )
        except conclusion.CrossTopicCover as exc:
            message = tr(
                "cli.conclusion.cross_topic",
                codes=" ".join(exc.codes),
                topics="; ".join(topic_label(tr, t) for t in exc.topics),
            )
            raise CommandError(message, 2) from exc
        print(tr.n("conclusion.answer_saved", len(entry.covers), code=args.code.upper()))
    elif action == "remove":
        question = await conclusion.remove_answer(store, campaign, args.code, now=now)
        print(tr("conclusion.removed", code=question.code))
    elif action == "summary":
        await conclusion.set_summary(store, campaign, args.text, now=now)
        print(tr("conclusion.summary_saved"))
    elif action == "commit":
        added = await conclusion.add_commitment(
            store,
            campaign,
            owner=args.owner,
            due=args.due,
            text=args.text,
            code=args.question,
            now=now,
        )
        print(tr("commitment.added", id=added.id, owner=added.owner, due=f"{added.due:%d/%m/%Y}"))
    elif action == "status":
        updated = await conclusion.update_commitment(
            store, campaign, args.id, args.status, note=args.note, now=now
        )
        print(
            tr(
                "commitment.updated",
                id=updated.id,
                status=tr(f"commitment.status.{updated.status}"),
            )
        )
    elif action == "publish":
        result = await conclusion.publish(
            store, campaign, today=app.local_now().date(), now=now, home=app.home_province
        )
        if not result.published_now:
            raise CommandError(
                tr("conclusion.already_published", date=f"{result.published_at:%d/%m/%Y}"),
                status=1,
            )
        print(
            tr.n(
                "conclusion.published",
                result.people,
                officials=tr.n("count.officials", result.officials),
            )
        )
        if result.waiting:
            print(tr.n("conclusion.published.waiting", result.waiting))
    else:
        await _show(app, campaign)
    return 0


async def _show(app: App, campaign: Campaign) -> None:
    tr = cli_tr(app)
    store = app.store
    lines = await conclusion.status_lines(store, campaign, tr)
    print(lines[0])
    current = await store.conclusions.get(campaign.id)
    if current is not None and current.summary:
        print(short(current.summary, 300))
    for entry in await store.conclusions.entries(campaign.id):
        question = await store.questions.get(entry.question_id)
        codes = [q.code for q in [await store.questions.get(i) for i in entry.covers] if q]
        print(f"{', '.join(codes)}: {short(question.text if question else '', 80)}")
        print(f"    → {short(entry.text, 200)}")
    for line in lines[1:]:
        print(line)
