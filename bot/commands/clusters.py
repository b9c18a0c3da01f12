"""``youthbot clusters``: the campaign's groups of duplicate questions — list, re-cluster
with another threshold, merge, split, choose the representative."""

from __future__ import annotations

import argparse

from bot.application.app import App
from bot.campaign.setup import resolve_campaign
from bot.clustering import DEFAULT_THRESHOLD
from bot.clustering.store import recluster
from bot.commands import (
    CommandError,
    add_campaign_option,
    campaign_option_after_actions,
    cli_tr,
    help_text,
    threshold_value,
    whole_number,
    with_app,
)
from bot.documents.build import DigestScope, build_digest
from bot.documents.model import DigestData
from handlers.clusters import ClusterEditError, CrossTopicMerge, merge, represent, split
from handlers.engine import short, topic_label
from storage.questions import clean_code, split_codes

#: Codes of a group printed by ``clusters list``; ``clusters show`` prints them all.
SHOWN_CODES = 12


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("clusters", help=help_text("cli.help.clusters"))
    add_campaign_option(parser)
    code = help_text("cli.help.metavar.code")
    actions = parser.add_subparsers(
        dest="clusters_action", required=True, metavar=help_text("cli.help.metavar.action")
    )
    lst = actions.add_parser("list", help=help_text("cli.help.clusters.list"))
    lst.add_argument(
        "--top",
        type=whole_number,
        default=20,
        metavar=help_text("cli.help.metavar.number"),
        help=help_text("cli.help.clusters.top"),
    )
    lst.set_defaults(func=with_app(_list))
    show = actions.add_parser("show", help=help_text("cli.help.clusters.show"))
    show.add_argument("code", metavar=code, help=help_text("cli.help.question_code"))
    show.set_defaults(func=with_app(_show))
    again = actions.add_parser("recluster", help=help_text("cli.help.clusters.recluster"))
    again.add_argument(
        "--threshold",
        type=threshold_value,
        default=DEFAULT_THRESHOLD,
        metavar=help_text("cli.help.metavar.number"),
        help=help_text("cli.help.clusters.threshold", default=f"{DEFAULT_THRESHOLD:g}"),
    )
    again.set_defaults(func=with_app(_recluster))
    mrg = actions.add_parser("merge", help=help_text("cli.help.clusters.merge"))
    mrg.add_argument("codes", nargs="+", metavar=code, help=help_text("cli.help.clusters.codes"))
    mrg.add_argument(
        "--cross-topic", action="store_true", help=help_text("cli.help.clusters.cross_topic")
    )
    mrg.set_defaults(func=with_app(_merge))
    spl = actions.add_parser("split", help=help_text("cli.help.clusters.split"))
    spl.add_argument("code", metavar=code, help=help_text("cli.help.question_code"))
    spl.set_defaults(func=with_app(_split))
    rep = actions.add_parser("represent", help=help_text("cli.help.clusters.represent"))
    rep.add_argument("code", metavar=code, help=help_text("cli.help.question_code"))
    rep.set_defaults(func=with_app(_represent))
    campaign_option_after_actions(actions)


async def _campaign_id(args: argparse.Namespace, app: App) -> int:
    return (await resolve_campaign(app, args.campaign)).id


async def _groups(app: App, campaign_id: int) -> DigestData:
    """The campaign's groups as the digest counts them (people once per group)."""
    return await build_digest(
        app.store,
        await resolve_campaign(app, campaign_id),
        scope=DigestScope(),
        show_names=False,
        language=app.settings.core.language,
        now=app.clock.now(),
    )


async def _list(args: argparse.Namespace, app: App) -> int:
    data = await _groups(app, await _campaign_id(args, app))
    tr = cli_tr(app)
    for rank, cluster in enumerate(data.clusters[: args.top], start=1):
        counts = tr.n(
            "cli.clusters.counts",
            cluster.people,
            questions=tr.n("count.questions", cluster.question_count),
        )
        print(
            f"{rank:>3}. [{counts}] "
            f"{cluster.representative_code}: {short(cluster.representative_text, 100)}"
        )
        if cluster.question_count > 1:
            codes = ", ".join(cluster.question_codes[:SHOWN_CODES])
            hidden = len(cluster.question_codes) - SHOWN_CODES
            if hidden > 0:  # every code and its words: clusters show
                codes += " " + tr(
                    "cli.clusters.more", count=hidden, code=cluster.representative_code
                )
            print(f"     {codes}")
    return 0


async def _show(args: argparse.Namespace, app: App) -> int:
    """One group in full: every question's code, unit, topic, people and words, so that
    the one wrongly grouped can be split off."""
    tr = cli_tr(app)
    question = await app.store.questions.by_code(args.code)
    if question is None:
        raise CommandError(tr("cli.no_question", code=args.code), status=2)
    members = await app.store.questions.in_cluster(question)
    reports = {r.id: r for r in await app.store.reports.questions(question.campaign_id)}
    info = await app.store.clusters.get(question.cluster_id) if question.cluster_id else None
    shown = [reports[q.id] for q in members if q.id in reports]
    data = await _groups(app, question.campaign_id)
    # Young people counted once however many of the group's questions they asked or
    # support, as `clusters list` counts them.
    people = next((c.people for c in data.clusters if question.code in c.question_codes), 1)
    representative = next((r.code for r in shown if info and r.id == info.representative), "")
    print(
        tr.n(
            "cli.clusters.show.title",
            len(shown),
            code=question.code,
            people=tr.n("count.people", people),
        )
    )
    for r in shown:
        mark = "*" if r.code == representative else " "
        print(
            tr.n(
                "cli.clusters.show.line",
                1 + r.supporters,
                mark=mark,
                code=r.code,
                topic=topic_label(tr, r.topic),
                unit=r.unit_name,
                text=short(r.text, 160),
            )
        )
    if len(shown) > 1:
        print(tr("cli.clusters.show.hint"))
    return 0


async def _recluster(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    if not 0 < args.threshold <= 100:
        raise CommandError(tr("cli.clusters.threshold"), status=2)
    campaign_id = await _campaign_id(args, app)
    result = await recluster(app.store, campaign_id, threshold=args.threshold, now=app.clock.now())
    print(
        tr.n(
            "cli.clusters.reclustered",
            result.questions,
            clusters=tr.n("count.groups", result.clusters),
            largest=result.largest,
        )
    )
    return 0


async def _edit(app: App, action: str, codes: list[str], *, cross_topic: bool = False) -> int:
    tr = cli_tr(app)
    now = app.clock.now()
    try:
        if action == "merge":
            if len(codes) < 2:
                raise CommandError(tr("cli.clusters.two_codes"), status=2)
            await merge(app.store, codes, by=None, now=now, cross_topic=cross_topic)
        elif action == "split":
            await split(app.store, codes[0], by=None, now=now)
        else:
            await represent(app.store, codes[0], by=None, now=now)
    except CrossTopicMerge as exc:
        message = tr(
            "cli.clusters.cross_topic",
            codes=" ".join(codes),
            topics="; ".join(topic_label(tr, t) for t in exc.topics),
        )
        raise CommandError(message, 2) from exc
    except ClusterEditError as exc:
        if exc.code is None:
            message = tr("cli.clusters.mixed_campaigns", codes=" ".join(codes))
        else:
            message = tr("cli.no_question", code=exc.code)
        raise CommandError(message, 2) from exc
    done = {
        "merge": tr("cli.clusters.merged", codes=" ".join(codes)),
        "split": tr("cli.clusters.split", codes=" ".join(codes)),
        "represent": tr("cli.clusters.represented", codes=" ".join(codes)),
    }
    print(done[action])
    return 0


async def _merge(args: argparse.Namespace, app: App) -> int:
    return await _edit(app, "merge", split_codes(args.codes), cross_topic=args.cross_topic)


async def _split(args: argparse.Namespace, app: App) -> int:
    return await _edit(app, "split", [clean_code(args.code)])


async def _represent(args: argparse.Namespace, app: App) -> int:
    return await _edit(app, "represent", [clean_code(args.code)])
