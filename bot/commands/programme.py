"""``youthbot programme``: the live programme ("kịch bản") of the dialogue: show (the
automatic proposal the first time), propose (refresh), add, pin, unpin, drop, reword,
move, assign. See :mod:`bot.campaign.programme` for the rules."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign import programme
from bot.campaign.setup import resolve_campaign
from bot.commands import cli_tr, with_app


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("programme", help="the live programme of the dialogue (kịch bản)")
    parser.add_argument("--campaign", type=int)
    actions = parser.add_subparsers(dest="programme_action", required=True, metavar="ACTION")

    actions.add_parser("show", help="the programme (the automatic proposal the first time)")
    propose = actions.add_parser(
        "propose", help="refresh the proposal (pinned and dropped questions stay as they are)"
    )
    propose.set_defaults(refresh=True)
    for name, text in (
        ("add", "pick a question for the programme (pinned)"),
        ("pin", "keep a question when the proposal is refreshed"),
        ("unpin", "let a refresh replace it again"),
        ("drop", "take a question out (never proposed again)"),
    ):
        p = actions.add_parser(name, help=text)
        p.add_argument("code")
    reword = actions.add_parser(
        "reword", help="the wording read out (the asker's own text is kept); no text: reset"
    )
    reword.add_argument("code")
    reword.add_argument("text", nargs="?")
    move = actions.add_parser("move", help="put a question at another place")
    move.add_argument("code")
    move.add_argument("position", type=int)
    assign = actions.add_parser("assign", help="who answers on stage")
    assign.add_argument("code")
    who = assign.add_mutually_exclusive_group(required=True)
    who.add_argument("--chair", action="store_true", help="the People's Committee chair")
    who.add_argument("--department", help="a department (its head answers)")
    who.add_argument("--person", help="a named person, e.g. 'Phó Chủ tịch UBND tỉnh ...'")
    parser.set_defaults(func=with_app(_programme))


async def _programme(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    campaign = await resolve_campaign(app, args.campaign)
    now = app.clock.now()
    store = app.store
    action = args.programme_action
    if action in ("show", "propose"):
        entries = await programme.propose(store, campaign, now=now, refresh=action == "propose")
    else:
        who = "chair" if getattr(args, "chair", False) else None
        entries = await programme.edit(
            store,
            campaign,
            action,
            args.code,
            text=getattr(args, "text", None),
            position=getattr(args, "position", None),
            who=who or getattr(args, "department", None) or getattr(args, "person", None),
            person=bool(getattr(args, "person", None)),
            now=now,
        )
    topics = {
        t.id: t.name for t in await store.campaigns.topics(campaign.id, include_inactive=True)
    }
    print(programme.format_programme(campaign, entries, tr, topics))
    return 0
