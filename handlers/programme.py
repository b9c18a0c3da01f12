"""Organisers edit the live programme ("kịch bản") in chat: ``/kichban`` shows it (the
automatic proposal the first time), then ``/kichban them|ghim|boghim|bo|sua|chuyen|giao
MÃ ...`` (English: ``/programme add|pin|unpin|drop|reword|move|assign CODE ...``) and
``/kichban dexuat`` to refresh the proposal. The rules are in
:mod:`bot.campaign.programme`."""

from __future__ import annotations

import dataclasses

from bot.campaign import programme
from bot.campaign.departments import DepartmentError
from bot.clustering.normalize import fold
from handlers.access import Action, Scope, allows, authorize
from handlers.engine import Choice, Ctx, Router
from handlers.events import EventKind
from handlers.states import State
from storage.models import Campaign

router = Router()

# Accent-free words (Vietnamese and English) for each edit.
_ACTIONS = {
    "them": "add",
    "add": "add",
    "chon": "add",
    "pick": "add",
    "ghim": "pin",
    "pin": "pin",
    "boghim": "unpin",
    "unpin": "unpin",
    "bo": "drop",
    "drop": "drop",
    "loai": "drop",
    "sua": "reword",
    "reword": "reword",
    "chuyen": "move",
    "move": "move",
    "giao": "assign",
    "assign": "assign",
    "dexuat": "propose",
    "propose": "propose",
}
_PERSON_PREFIXES = ("nguoi:", "person:")


async def official_campaign(
    ctx: Ctx, action: Action, *, code: str | None = None
) -> Campaign | None:
    """The campaign an official acts on: the named question's, else the first active one
    their roles allow (by dialogue date). Says why and returns None when there is none."""
    campaign: Campaign | None = None
    if code:
        question = await ctx.store.questions.by_code(code)
        campaign = await ctx.engine.campaign(question.campaign_id) if question else None
    if campaign is None:
        roles = await ctx.store.roles.of_person(ctx.person.id)
        for candidate in await ctx.store.campaigns.active():
            if any(allows(r, action, Scope(campaign_id=candidate.id)) for r in roles):
                campaign = candidate
                break
    scope = Scope(campaign_id=campaign.id if campaign else None)
    if (
        campaign is None
        or await authorize(ctx.store, ctx.person.id, action, scope, now=ctx.now) is None
    ):
        await ctx.refuse()
        return None
    return campaign


#: Other questions of a group listed under a programme question on a phone; all of them
#: are in the Word programme (/vanban kichban) and on the command line.
RELATED_SHOWN = 3


async def render(ctx: Ctx, campaign: Campaign, entries: list[programme.ProgrammeEntry]) -> str:
    topics = {  # a default group in the reader's language, as /traloi names it
        t.id: ctx.topic_name(t)
        for t in await ctx.store.campaigns.topics(campaign.id, include_inactive=True)
    }
    related = await programme.related(ctx.store, entries)
    text = programme.format_programme(
        campaign, entries, ctx.tr, topics, related, shown=RELATED_SHOWN
    )
    return text + "\n" + ctx.tr("programme.help")


@router.command("kichban", "programme", "program")
async def programme_command(ctx: Ctx) -> None:
    ctx.reset()
    words = (ctx.event.text or "").split(maxsplit=2)
    action = _ACTIONS.get(fold(words[0])) if words else None
    if words and action is None:
        ctx.say(ctx.tr("programme.usage"))
        return
    code = words[1] if len(words) > 1 and action not in (None, "propose") else None
    campaign = await official_campaign(ctx, Action.PROGRAMME, code=code)
    if campaign is None:
        return
    rest = words[2] if len(words) > 2 else ""
    try:
        if action is None:
            entries = await programme.propose(ctx.store, campaign, now=ctx.now)
        elif action == "propose":
            entries = await programme.propose(ctx.store, campaign, now=ctx.now, refresh=True)
        else:
            if code is None:
                ctx.say(ctx.tr("programme.usage"))
                return
            entries = await _edit(ctx, campaign, action, code, rest)
    except (programme.ProgrammeError, DepartmentError) as exc:
        ctx.say(exc.render(ctx.tr))
        return
    # Buttons for what a phone makes tedious to type; edits stay typed commands.
    ctx.ask(
        State.PROGRAMME_VIEW,
        await render(ctx, campaign, entries),
        [
            [Choice(ctx.tr("programme.button.refresh"), "kp")],
            [Choice(ctx.tr("programme.button.word"), "kw")],
        ],
    )


@router.action("kp")
async def refresh_pressed(ctx: Ctx, _: str) -> None:
    """ "Đề xuất lại": /kichban dexuat."""
    ctx.event = dataclasses.replace(ctx.event, kind=EventKind.COMMAND, text="dexuat")
    await programme_command(ctx)


@router.action("kw")
async def word_pressed(ctx: Ctx, _: str) -> None:
    """ "Tải kịch bản (Word)": /vanban kichban."""
    from handlers.reports import documents_command  # reports imports this module

    ctx.event = dataclasses.replace(ctx.event, kind=EventKind.COMMAND, text="kichban")
    await documents_command(ctx)


@router.text(State.PROGRAMME_VIEW)
async def programme_text(ctx: Ctx, text: str) -> None:
    """Words typed under the programme: as anywhere else outside a step."""
    from handlers.officials import official_idle

    ctx.reset()
    await official_idle(ctx, text)


@router.reask(State.PROGRAMME_VIEW)
async def reask_programme(ctx: Ctx) -> None:
    ctx.event = dataclasses.replace(ctx.event, kind=EventKind.COMMAND, text="")
    await programme_command(ctx)


async def _edit(
    ctx: Ctx, campaign: Campaign, action: str, code: str, rest: str
) -> list[programme.ProgrammeEntry]:
    person = fold(rest).startswith(_PERSON_PREFIXES)
    position = int(rest.strip()) if action == "move" and rest.strip().isdecimal() else None
    return await programme.edit(
        ctx.store,
        campaign,
        action,
        code,
        text=rest or None,
        position=position,
        who=rest.split(":", 1)[1] if person else rest,
        person=person,
        now=ctx.now,
    )
