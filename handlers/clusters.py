"""Organisers' hand on the clusters: merge ("gộp"), split ("tách") and choose the
representative question ("câu đại diện"), in chat and from the command line. Each
decision is stored as a link that every later re-clustering honours."""

from __future__ import annotations

from datetime import datetime

from handlers.access import Action, Scope, authorize
from handlers.engine import Choice, Ctx, Router, topic_label
from handlers.states import State
from storage import Store
from storage.models import Question
from storage.questions import split_codes

router = Router()


class CrossTopicMerge(ValueError):
    """The merge would join questions of different topic groups ("nhóm vấn đề"): it is
    done only when the organiser confirms it (``cross_topic=True``)."""

    def __init__(self, topics: list[str]) -> None:
        super().__init__("; ".join(topics))
        self.topics = topics


class ClusterEditError(ValueError):
    """The codes given do not allow the change: ``code`` is unknown, or (``code`` None)
    the questions belong to different campaigns."""

    def __init__(self, code: str | None) -> None:
        super().__init__(code if code is not None else "questions of different campaigns")
        self.code = code


async def _questions(store: Store, codes: list[str]) -> list[Question]:
    found = []
    for code in codes:
        question = await store.questions.by_code(code)
        if question is None:
            raise ClusterEditError(code)
        found.append(question)
    if len({q.campaign_id for q in found}) > 1:
        raise ClusterEditError(None)
    return found


async def _topic_names(store: Store, questions: list[Question]) -> list[str]:
    """Names of the topic groups the merge would join (every member of each cluster)."""
    topic_ids: set[int] = set()
    for question in questions:
        topic_ids.add(question.topic_id)
        if question.cluster_id is not None:
            for member in await store.clusters.members(question.cluster_id):
                found = await store.questions.get(member)
                if found is not None:
                    topic_ids.add(found.topic_id)
    names = []
    for topic_id in sorted(topic_ids):
        topic = await store.campaigns.topic(topic_id)
        names.append(topic.name if topic is not None else str(topic_id))
    return names


async def merge(
    store: Store,
    codes: list[str],
    *,
    by: int | None,
    now: datetime,
    cross_topic: bool = False,
) -> int:
    """Put the clusters of the given questions together; returns the cluster id.

    Raises:
        CrossTopicMerge: the clusters hold questions of different topic groups and
            ``cross_topic`` (the organiser's explicit confirmation) is not set.
    """
    questions = await _questions(store, codes)
    topics = await _topic_names(store, questions)
    if len(topics) > 1 and not cross_topic:
        raise CrossTopicMerge(topics)
    first = questions[0]
    async with store.transaction():
        target = first.cluster_id or await store.clusters.add(first.campaign_id, first.id, now=now)
        pairs = []
        for other in questions[1:]:
            pairs.append((first.id, other.id))
            members = (
                await store.clusters.members(other.cluster_id) if other.cluster_id else [other.id]
            )
            for member in members:
                await store.clusters.assign(member, target)
        await store.clusters.add_links(first.campaign_id, pairs, "must", created_by=by, now=now)
        await store.audit.record(
            "cluster.merge",
            at=now,
            actor_id=by,
            target=",".join(codes),
            detail={"topics": topics} if len(topics) > 1 else None,
        )
    return target


async def split(store: Store, code: str, *, by: int | None, now: datetime) -> int:
    """Take a question out of its cluster into one of its own; returns the new cluster id."""
    [question] = await _questions(store, [code])
    async with store.transaction():
        others = []
        if question.cluster_id is not None:
            others = [
                m for m in await store.clusters.members(question.cluster_id) if m != question.id
            ]
        await store.clusters.add_links(
            question.campaign_id,
            [(question.id, m) for m in others],
            "cannot",
            created_by=by,
            now=now,
        )
        cluster_id = await store.clusters.add(question.campaign_id, question.id, now=now)
        if question.cluster_id is not None and others:
            info = await store.clusters.get(question.cluster_id)
            if info is not None and info.representative == question.id:
                await store.clusters.choose_representative(question.cluster_id, others[0])
        await store.audit.record("cluster.split", at=now, actor_id=by, target=code)
    return cluster_id


async def represent(store: Store, code: str, *, by: int | None, now: datetime) -> None:
    """Make a question its cluster's representative (kept across re-clustering)."""
    [question] = await _questions(store, [code])
    async with store.transaction():
        cluster_id = question.cluster_id or await store.clusters.add(
            question.campaign_id, question.id, now=now
        )
        await store.clusters.choose_representative(cluster_id, question.id)
        await store.audit.record("cluster.represent", at=now, actor_id=by, target=code)


async def _allowed(ctx: Ctx, codes: list[str]) -> bool:
    question = await ctx.store.questions.by_code(codes[0]) if codes else None
    scope = Scope(campaign_id=question.campaign_id if question else None)
    return (
        await authorize(ctx.store, ctx.person.id, Action.EDIT_CLUSTERS, scope, now=ctx.now)
        is not None
    )


async def _run(ctx: Ctx, action: str, codes: list[str], minimum: int) -> None:
    if len(codes) < minimum:
        ctx.say(ctx.tr("cluster.usage"))
        return
    if not await _allowed(ctx, codes):
        await ctx.refuse()
        return
    try:
        if action == "merge":
            try:
                await merge(ctx.store, codes, by=ctx.person.id, now=ctx.now)
            except CrossTopicMerge as exc:
                _ask_cross_topic(ctx, codes, exc.topics)
                return
        elif action == "split":
            await split(ctx.store, codes[0], by=ctx.person.id, now=ctx.now)
        else:
            await represent(ctx.store, codes[0], by=ctx.person.id, now=ctx.now)
    except ClusterEditError as exc:
        if exc.code is None:
            ctx.say(ctx.tr("cluster.mixed_campaigns"))
        else:
            ctx.say(ctx.tr("cluster.unknown", code=exc.code[:12]))
        return
    ctx.say(ctx.tr(f"cluster.{action}.done", codes=", ".join(codes)))


@router.command("gop", "merge")
async def merge_command(ctx: Ctx) -> None:
    await _run(ctx, "merge", split_codes([ctx.event.text]), 2)


@router.command("tach", "split")
async def split_command(ctx: Ctx) -> None:
    await _run(ctx, "split", split_codes([ctx.event.text])[:1], 1)


@router.command("daidien", "represent")
async def represent_command(ctx: Ctx) -> None:
    await _run(ctx, "represent", split_codes([ctx.event.text])[:1], 1)


# -- a merge across topic groups needs the organiser's confirmation ------------------------


def _ask_cross_topic(ctx: Ctx, codes: list[str], topics: list[str]) -> None:
    ctx.data["merging"] = codes
    ctx.data["merging_topics"] = topics
    ctx.ask(
        State.CLUSTER_MERGE_CONFIRM,
        ctx.tr(
            "cluster.cross_topic.confirm",
            codes=", ".join(codes),
            topics="; ".join(topic_label(ctx.tr, t) for t in topics),  # in the reader's words
        ),
        [
            [
                Choice(ctx.tr("cluster.cross_topic.yes"), "gy", intents=("yes",)),
                Choice(ctx.tr("cluster.cross_topic.no"), "gn", intents=("no", "keep", "cancel")),
            ]
        ],
    )


@router.action("gy")
async def cross_topic_yes(ctx: Ctx, _: str) -> None:
    codes = [str(c) for c in ctx.data.get("merging", [])]
    ctx.reset()
    # Checked again at the moment of merging: a role may have been revoked meanwhile.
    if len(codes) < 2 or not await _allowed(ctx, codes):
        await ctx.refuse()
        return
    try:
        await merge(ctx.store, codes, by=ctx.person.id, now=ctx.now, cross_topic=True)
    except ClusterEditError as exc:
        ctx.say(ctx.tr("cluster.unknown", code=(exc.code or "")[:12]))
        return
    ctx.say(ctx.tr("cluster.merge.done", codes=", ".join(codes)))


@router.action("gn")
async def cross_topic_no(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("cluster.cross_topic.kept"))


@router.reask(State.CLUSTER_MERGE_CONFIRM)
async def reask_cross_topic(ctx: Ctx) -> None:
    """The merge confirmation again (after a language switch); typed answers ("đồng ý",
    "ok", "không", "huỷ") are read by the engine from the choices' intents."""
    codes = [str(c) for c in ctx.data.get("merging", [])]
    _ask_cross_topic(ctx, codes, [str(t) for t in ctx.data.get("merging_topics", [])])
