"""``youthbot outbox``: what waits to be sent, what was not sent and why, and what may
have arrived twice: the messages of the outbox (answers, notices, broadcasts, reminders)
and the chat replies not delivered yet. Read only: safe while the bot runs."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.commands import cli_tr, help_text, with_app
from locales import Translator
from storage.outbox import HELD_ERROR, OutboxGroup


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "outbox",
        help=help_text("cli.help.outbox"),
        description=help_text("cli.help.outbox.description"),
    )
    parser.set_defaults(func=with_app(_outbox))


def _why(tr: Translator, error: str | None) -> str:
    """What an error stored with a message means for the operator, by the words the
    channels and the sender write (``bot.delivery.outbox``, ``bot.channels.*``)."""
    if not error:
        return tr("cli.outbox.why.turn")
    if error == HELD_ERROR:
        return tr("cli.outbox.why.held")
    shown = error[:200]
    if "rate limited" in error:
        return tr("cli.outbox.why.rate_limited")
    if any(words in error for words in ("token is refused", "[401]", "[404]")):
        return tr("cli.outbox.why.token", error=shown)
    if "unknown to the bot" in error:
        return tr("cli.outbox.why.unknown", error=shown)
    if any(words in error for words in ("blocked the bot", "[403]")):
        return tr("cli.outbox.why.blocked", error=shown)
    if "[400]" in error:
        return tr("cli.outbox.why.refused", error=shown)
    return tr("cli.outbox.why.other", error=shown)


def _status_line(tr: Translator, status: str, **values: object) -> str:
    if status == "pending":
        return tr("cli.outbox.pending", **values)
    if status == "sending":
        return tr("cli.outbox.sending", **values)
    if status == "blocked":
        return tr("cli.outbox.blocked", **values)
    return tr("cli.outbox.failed", **values)


async def _outbox(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    groups = await app.store.outbox.summary()
    replies = await app.store.replies.waiting_by_channel()
    total = {s: sum(g.count for g in groups if g.status == s) for s in _STATUSES}
    print(tr("cli.outbox.title", **total))
    for status in ("pending", "sending", "blocked", "failed"):
        mine = [g for g in groups if g.status == status]
        for channel in dict.fromkeys(g.channel for g in mine):
            _print_status(tr, app, status, channel, [g for g in mine if g.channel == channel])
    twice = sum(g.resent for g in groups if g.status == "sent")
    if twice:
        print(tr("cli.outbox.twice", count=twice))
    for channel, (count, resent) in replies.items():
        print(tr("cli.outbox.replies", channel=channel, count=count, resent=resent))
    if not any(total[s] for s in ("pending", "sending", "blocked", "failed")) and not replies:
        print(tr("cli.outbox.nothing_waits"))
    return 0


_STATUSES = ("pending", "sending", "blocked", "failed", "sent")


def _print_status(
    tr: Translator, app: App, status: str, channel: str, groups: list[OutboxGroup]
) -> None:
    oldest = min(g.oldest for g in groups).astimezone(app.tz)
    count = sum(g.count for g in groups)
    print(_status_line(tr, status, channel=channel, count=count, oldest=f"{oldest:%H:%M %d/%m/%Y}"))
    reasons: dict[str, int] = {}
    for g in groups:
        why = _why(tr, g.error)
        reasons[why] = reasons.get(why, 0) + g.count
    for why, count in sorted(reasons.items(), key=lambda item: -item[1])[:5]:
        print(tr("cli.outbox.reason", count=count, why=why))
