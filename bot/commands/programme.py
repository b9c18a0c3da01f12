"""``youthbot programme``: the live programme ("kịch bản") of the dialogue: show (the
automatic proposal the first time), propose (refresh), add, pin, unpin, drop, reword,
move, assign. See :mod:`bot.campaign.programme` for the rules."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign import programme
from bot.campaign.setup import resolve_campaign
from bot.commands import (
    add_campaign_option,
    campaign_option_after_actions,
    cli_tr,
    help_text,
    whole_number,
    with_app,
)
from handlers.engine import topic_label


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("programme", help=help_text("cli.help.programme"))
    add_campaign_option(parser)
    actions = parser.add_subparsers(
        dest="programme_action", required=True, metavar=help_text("cli.help.metavar.action")
    )
    code = help_text("cli.help.metavar.code")

    def code_argument(action: argparse.ArgumentParser) -> None:
        action.add_argument("code", metavar=code, help=help_text("cli.help.question_code"))

    actions.add_parser("show", help=help_text("cli.help.programme.show"))
    propose = actions.add_parser("propose", help=help_text("cli.help.programme.propose"))
    propose.set_defaults(refresh=True)
    for name, text in (
        ("add", help_text("cli.help.programme.add")),
        ("pin", help_text("cli.help.programme.pin")),
        ("unpin", help_text("cli.help.programme.unpin")),
        ("drop", help_text("cli.help.programme.drop")),
    ):
        code_argument(actions.add_parser(name, help=text))
    reword = actions.add_parser("reword", help=help_text("cli.help.programme.reword"))
    code_argument(reword)
    reword.add_argument(
        "text",
        nargs="?",
        metavar=help_text("cli.help.metavar.text"),
        help=help_text("cli.help.programme.reword.text"),
    )
    move = actions.add_parser("move", help=help_text("cli.help.programme.move"))
    code_argument(move)
    move.add_argument(
        "position",
        type=whole_number,
        metavar=help_text("cli.help.metavar.position"),
        help=help_text("cli.help.programme.move.position"),
    )
    assign = actions.add_parser("assign", help=help_text("cli.help.programme.assign"))
    code_argument(assign)
    who = assign.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--chair", action="store_true", help=help_text("cli.help.programme.assign.chair")
    )
    who.add_argument(
        "--department",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.programme.assign.department"),
    )
    who.add_argument(
        "--person",
        metavar=help_text("cli.help.metavar.text"),
        help=help_text("cli.help.programme.assign.person"),
    )
    parser.set_defaults(func=with_app(_programme))
    campaign_option_after_actions(actions)


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
    topics = {  # a default group in the operator's language, as /kichban names it
        t.id: topic_label(tr, t.name)
        for t in await store.campaigns.topics(campaign.id, include_inactive=True)
    }
    related = await programme.related(store, entries)
    print(programme.format_programme(campaign, entries, tr, topics, related))
    return 0
