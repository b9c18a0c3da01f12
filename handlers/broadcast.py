"""Organiser broadcasts ("thông báo"): choose the audience, write, preview with the number
of recipients, confirm; the outbox delivers in the background and the author gets a final
report (delivered, blocked the bot, failed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.access import Action, Scope, allows, authorize
from handlers.audience import Membership
from handlers.delivery import queue_for_people, queue_for_person
from handlers.engine import Choice, Ctx, Router
from handlers.events import Reply
from handlers.intake import ask_unit_pick, clean_text
from handlers.states import State
from locales import translator
from storage import Store
from storage.models import Campaign

router = Router()

AUDIENCES = ("youth", "unit", "secretaries", "departments")
MAX_BROADCAST_CHARS = 2000


@dataclass(frozen=True)
class BroadcastPlan:
    campaign_id: int | None
    audience: str
    unit_id: int | None
    recipients: list[int]


async def plan_broadcast(
    store: Store,
    campaign: Campaign | None,
    audience: str,
    *,
    unit_id: int | None = None,
    home: str | None = None,
) -> BroadcastPlan:
    """Who a broadcast reaches; ``home``: the deployment's province unit code."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    if campaign is None or audience == "unit":
        people = await store.people.audience(audience, unit_id=unit_id)
    else:
        # Only the campaign's own people: not another province's, nor secretaries and
        # departments of a campaign they are no part of (:mod:`handlers.audience`).
        members = await Membership.open(store, home)
        if audience == "youth":
            people = await members.youth(campaign)
        else:
            role = "secretary" if audience == "secretaries" else "department"
            belong = {r.person_id for r in await members.holders(role, campaign)}
            people = [p for p in await store.people.audience(audience) if p in belong]
    return BroadcastPlan(campaign.id if campaign else None, audience, unit_id, people)


async def start_broadcast(
    store: Store, plan: BroadcastPlan, text: str, *, author_id: int | None, now: datetime
) -> tuple[int, int]:
    """Record the broadcast and queue one message per recipient; returns (id, queued)."""
    async with store.transaction():
        broadcast_id = await store.broadcasts.create(
            campaign_id=plan.campaign_id,
            author_id=author_id,
            audience=plan.audience,
            unit_id=plan.unit_id,
            text=text,
            recipients=len(plan.recipients),
            now=now,
        )
        queued = await queue_for_people(
            store,
            plan.recipients,
            Reply(text),
            kind="broadcast",
            now=now,
            dedup_key=lambda person_id: f"broadcast:{broadcast_id}:{person_id}",
            batch_id=broadcast_id,
        )
        await store.audit.record(
            "broadcast.send",
            at=now,
            actor_id=author_id,
            target=f"broadcast:{broadcast_id}",
            detail={"audience": plan.audience, "unit_id": plan.unit_id, "queued": queued},
        )
    return broadcast_id, queued


async def report_if_done(store: Store, broadcast_id: int, *, now: datetime) -> bool:
    """Queue the final report to the author once every message has an outcome.

    The mark and the queued report commit together: a crash between them cannot leave a
    broadcast marked reported whose report never went (the restarted sender asks again
    for every broadcast not reported, :meth:`bot.delivery.outbox.OutboxSender.recover`).
    """
    if await store.outbox.unfinished(broadcast_id):
        return False  # called after every delivery: keep the common case to one probe
    progress = await store.outbox.progress(broadcast_id)
    if not progress.done:
        return False
    broadcast = await store.broadcasts.get(broadcast_id)
    if broadcast is None or broadcast.reported or broadcast.author_id is None:
        return False
    author = await store.people.get(broadcast.author_id)
    tr = translator(author.language if author else None)
    text = tr.n(
        "broadcast.report",
        progress.blocked,
        id=broadcast_id,
        sent=progress.sent,
        failed=progress.failed,
        total=progress.total,
    )
    if progress.resent:
        text += "\n" + tr.n("broadcast.report_resent", progress.resent)
    async with store.transaction():
        if not await store.broadcasts.mark_reported(broadcast_id, now=now):
            return False
        await queue_for_person(
            store,
            broadcast.author_id,
            Reply(text),
            kind="report",
            now=now,
            dedup_key=f"broadcast-report:{broadcast_id}",
        )
    return True


# -- chat flow ---------------------------------------------------------------------------


@router.command("thongbao", "broadcast")
async def broadcast_command(ctx: Ctx) -> None:
    ctx.reset()
    active = await ctx.store.campaigns.active()
    # Only the campaigns this person may broadcast for are offered.
    allowed = [
        c
        for c in active
        if any(
            allows(r, Action.BROADCAST, Scope(campaign_id=c.id))
            for r in await ctx.store.roles.of_person(ctx.person.id)
        )
    ]
    if len(allowed) > 1:
        ctx.ask(
            State.BROADCAST_CAMPAIGN,
            ctx.tr("broadcast.campaign"),
            [Choice(c.title[:60], "bk", str(c.id)) for c in allowed],
        )
        return
    await _start(ctx, allowed[0] if allowed else (active[0] if len(active) == 1 else None))


@router.action("bk")
async def pick_campaign(ctx: Ctx, arg: str) -> None:
    await _start(ctx, await ctx.store.campaigns.get(int(arg)))


async def _start(ctx: Ctx, campaign: Campaign | None) -> None:
    scope = Scope(campaign_id=campaign.id if campaign else None)
    if await authorize(ctx.store, ctx.person.id, Action.BROADCAST, scope, now=ctx.now) is None:
        ctx.reset()
        await ctx.refuse()
        return
    ctx.data["campaign_id"] = campaign.id if campaign else None
    ctx.ask(
        State.BROADCAST_AUDIENCE,
        ctx.tr("broadcast.audience"),
        [Choice(ctx.tr(f"broadcast.audience.{a}"), "ba", a) for a in AUDIENCES],
    )


@router.action("ba")
async def pick_audience(ctx: Ctx, audience: str) -> None:
    ctx.data["audience"] = audience
    if audience == "unit":
        ctx.ask(State.BROADCAST_UNIT, ctx.tr("broadcast.unit"))
        return
    ctx.ask(State.BROADCAST_TEXT, ctx.tr("broadcast.text", limit=MAX_BROADCAST_CHARS))


@router.text(State.BROADCAST_UNIT)
async def broadcast_unit(ctx: Ctx, text: str) -> None:
    await ask_unit_pick(ctx, text, state=State.BROADCAST_UNIT, action="bu", own_unit=False)


@router.action("bu")
async def pick_broadcast_unit(ctx: Ctx, arg: str) -> None:
    ctx.data["unit_id"] = int(arg)
    ctx.ask(State.BROADCAST_TEXT, ctx.tr("broadcast.text", limit=MAX_BROADCAST_CHARS))


@router.text(State.BROADCAST_TEXT, State.BROADCAST_CONFIRM)
async def broadcast_text(ctx: Ctx, text: str) -> None:
    cleaned = clean_text(text)
    if not cleaned or len(cleaned) > MAX_BROADCAST_CHARS:
        ctx.say(ctx.tr("broadcast.invalid", limit=MAX_BROADCAST_CHARS))
        ctx.repeat_prompt()
        return
    campaign_id = ctx.data.get("campaign_id")
    campaign = await ctx.store.campaigns.get(int(campaign_id)) if campaign_id else None
    plan = await plan_broadcast(
        ctx.store,
        campaign,
        ctx.data["audience"],
        unit_id=ctx.data.get("unit_id"),
        home=ctx.engine.settings.home_province,
    )
    ctx.data["text"] = cleaned
    ctx.ask(
        State.BROADCAST_CONFIRM,
        ctx.tr.n("broadcast.preview", len(plan.recipients), text=cleaned),
        [
            [
                Choice(ctx.tr("broadcast.send"), "bs", intents=("send",)),
                Choice(ctx.tr("preview.cancel"), "bc", intents=("cancel",)),
            ]
        ],
    )


@router.reask(
    State.BROADCAST_CAMPAIGN,
    State.BROADCAST_AUDIENCE,
    State.BROADCAST_UNIT,
    State.BROADCAST_TEXT,
    State.BROADCAST_CONFIRM,
)
async def reask_broadcast(ctx: Ctx) -> None:
    """The broadcast's pending step again (after a language switch)."""
    state = ctx.state
    if state == State.BROADCAST_AUDIENCE:
        await _start(ctx, await _campaign_of(ctx))
    elif state == State.BROADCAST_CAMPAIGN or "audience" not in ctx.data:
        await broadcast_command(ctx)
    elif state == State.BROADCAST_UNIT and ctx.data.get("unit_query"):
        await broadcast_unit(ctx, str(ctx.data["unit_query"]))
    elif state == State.BROADCAST_UNIT:
        ctx.ask(State.BROADCAST_UNIT, ctx.tr("broadcast.unit"))
    elif state == State.BROADCAST_CONFIRM and ctx.data.get("text"):
        await broadcast_text(ctx, str(ctx.data["text"]))
    else:
        ctx.ask(State.BROADCAST_TEXT, ctx.tr("broadcast.text", limit=MAX_BROADCAST_CHARS))


async def _campaign_of(ctx: Ctx) -> Campaign | None:
    campaign_id = ctx.data.get("campaign_id")
    return await ctx.store.campaigns.get(int(campaign_id)) if campaign_id else None


@router.action("bs")
async def broadcast_send(ctx: Ctx, _: str) -> None:
    campaign_id = ctx.data.get("campaign_id")
    campaign = await ctx.store.campaigns.get(int(campaign_id)) if campaign_id else None
    scope = Scope(campaign_id=campaign.id if campaign else None)
    # Checked again at the moment of sending: a role may have been revoked meanwhile.
    if await authorize(ctx.store, ctx.person.id, Action.BROADCAST, scope, now=ctx.now) is None:
        ctx.reset()
        await ctx.refuse()
        return
    plan = await plan_broadcast(
        ctx.store,
        campaign,
        ctx.data["audience"],
        unit_id=ctx.data.get("unit_id"),
        home=ctx.engine.settings.home_province,
    )
    broadcast_id, queued = await start_broadcast(
        ctx.store, plan, ctx.data["text"], author_id=ctx.person.id, now=ctx.now
    )
    ctx.reset()
    ctx.say(ctx.tr.n("broadcast.started", queued, id=broadcast_id))
    await report_if_done(ctx.store, broadcast_id, now=ctx.now)


@router.action("bc")
async def broadcast_cancel(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("cancelled"))
