"""``youthbot conclusion``: the chair's conclusion notice after the dialogue
("thông báo kết luận"): the chair's answers per question, the general conclusion,
commitments (owner department, due date) and their follow-up, and publication to every
asker it covers and to the officials, once. See :mod:`bot.campaign.conclusion`."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign import conclusion
from bot.campaign.setup import resolve_campaign
from bot.commands import CommandError, cli_tr, parse_date, with_app
from handlers.answers import short
from storage.conclusions import COMMITMENT_STATUSES
from storage.models import Campaign


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("conclusion", help="the chair's conclusion notice and commitments")
    parser.add_argument("--campaign", type=int)
    actions = parser.add_subparsers(dest="conclusion_action", required=True, metavar="ACTION")

    actions.add_parser("show", help="answers, commitments, the legal deadline")

    answer = actions.add_parser("answer", help="the chair's answer to a question")
    answer.add_argument("code")
    answer.add_argument("text")
    answer.add_argument(
        "--also", nargs="+", default=[], metavar="CODE", help="other questions it answers too"
    )

    remove = actions.add_parser("remove", help="take a question's answer out of the notice")
    remove.add_argument("code")

    summary = actions.add_parser("summary", help="the chair's general conclusion")
    summary.add_argument("text")

    commit = actions.add_parser("commit", help="a commitment: owner department and due date")
    target = commit.add_mutually_exclusive_group(required=True)
    target.add_argument("--question", metavar="CODE")
    target.add_argument("--general", action="store_true", help="for the notice as a whole")
    commit.add_argument("--owner", required=True, help="the department given the task")
    commit.add_argument("--due", required=True, type=parse_date, metavar="DATE")
    commit.add_argument("--text", required=True)

    status = actions.add_parser("status", help="follow-up: a commitment done, dropped, open")
    status.add_argument("id", type=int)
    status.add_argument("status", choices=COMMITMENT_STATUSES)
    status.add_argument("--note", default="")

    actions.add_parser("publish", help="publish: tell every asker it covers and the officials")
    parser.set_defaults(func=with_app(_conclusion))


async def _conclusion(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    campaign = await resolve_campaign(app, args.campaign)
    now = app.clock.now()
    store = app.store
    action = args.conclusion_action
    if action == "answer":
        entry = await conclusion.record_answer(
            store, campaign, args.code, args.text, also=args.also, now=now
        )
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
        result = await conclusion.publish(store, campaign, today=app.local_now().date(), now=now)
        if not result.published_now:
            raise CommandError(
                tr("conclusion.already_published", date=f"{result.published_at:%d/%m/%Y}"),
                status=1,
            )
        print(tr("conclusion.published", people=result.people, officials=result.officials))
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
