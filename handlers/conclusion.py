"""The conclusion notice in chat, for organisers:

- ``/ketluan`` shows where it stands (answers entered, commitments, the legal deadline);
- ``/ketluan MÃ [+MÃ2 ...] nội dung`` records the chair's answer to a question (covering
  also the questions named with "+");
- ``/ketluan chung nội dung`` the general conclusion;
- ``/camket MÃ|chung; sở, ngành; dd/mm/yyyy; nội dung`` a commitment, and
  ``/camket xong SỐ [ghi chú]`` when it is done (its department may say so too);
- ``/ketluan congbo`` publishes it, after a confirmation naming how many young people
  and officials will be told.

English: ``/conclusion``, ``/commitment``. The rules are in :mod:`bot.campaign.conclusion`.
"""

from __future__ import annotations

import re
from datetime import date

from bot.campaign import conclusion
from bot.campaign.departments import DepartmentError
from bot.campaign.timeline import written_date
from bot.clustering.normalize import fold, plain
from handlers.access import Access, Action, Scope, allows
from handlers.answers import recipients_of
from handlers.engine import Choice, Ctx, Router, topic_label
from handlers.programme import official_campaign
from handlers.states import State
from storage.models import Campaign

router = Router()

_PUBLISH_WORDS = ("congbo", "publish")
_GENERAL_WORDS = ("chung", "general")
_DONE_WORDS = ("xong", "done")
_DROP_WORDS = ("huy", "drop")
_SEPARATOR = re.compile(r"\s*[;|]\s*")


def _local_today(ctx: Ctx) -> date:
    return ctx.now.astimezone(ctx.settings.timezone).date()


async def _status(ctx: Ctx, campaign: Campaign) -> str:
    lines = await conclusion.status_lines(ctx.store, campaign, ctx.tr)
    return "\n".join([*lines, ctx.tr("conclusion.help")])


@router.command("ketluan", "conclusion")
async def conclusion_command(ctx: Ctx) -> None:
    ctx.reset()
    text = (ctx.event.text or "").strip()
    first, _, rest = text.partition(" ")
    word = fold(first)
    code = first if first and word not in (*_PUBLISH_WORDS, *_GENERAL_WORDS) else None
    campaign = await official_campaign(ctx, Action.CONCLUSION, code=code)
    if campaign is None:
        return
    try:
        if not first:
            ctx.say(await _status(ctx, campaign))
        elif word in _PUBLISH_WORDS:
            await _ask_publish(ctx, campaign)
        elif word in _GENERAL_WORDS:
            await conclusion.set_summary(
                ctx.store, campaign, rest, now=ctx.now, actor_id=ctx.person.id
            )
            ctx.say(ctx.tr("conclusion.summary_saved"))
        else:
            also = []
            while rest.startswith("+"):
                extra, _, rest = rest[1:].partition(" ")
                also.append(extra)
                rest = rest.strip()
            try:
                entry = await conclusion.record_answer(
                    ctx.store,
                    campaign,
                    first,
                    rest,
                    also=also,
                    now=ctx.now,
                    actor_id=ctx.person.id,
                )
            except conclusion.CrossTopicCover as exc:
                ctx.data["covering"] = {
                    "campaign": campaign.id,
                    "code": first,
                    "also": also,
                    "text": rest,
                    "codes": exc.codes,
                    "topics": exc.topics,
                }
                _ask_cross_topic(ctx)
                return
            ctx.say(ctx.tr.n("conclusion.answer_saved", len(entry.covers), code=first.upper()))
    except conclusion.ConclusionError as exc:
        ctx.say(exc.render(ctx.tr))


# -- one answer for questions of different topic groups needs the organiser's "yes" ---------


def _ask_cross_topic(ctx: Ctx) -> None:
    pending = ctx.data.get("covering") or {}
    topics = [topic_label(ctx.tr, str(t)) for t in pending.get("topics", [])]
    ctx.ask(
        State.CONCLUSION_CROSS_TOPIC,
        ctx.tr(
            "conclusion.cross_topic.confirm",
            codes=", ".join(str(c) for c in pending.get("codes", [])),
            topics="; ".join(topics),
        ),
        [
            [
                Choice(ctx.tr("conclusion.cross_topic.yes"), "ty", intents=("yes",)),
                Choice(ctx.tr("conclusion.cross_topic.no"), "tn", intents=("no", "keep", "cancel")),
            ]
        ],
    )


@router.action("ty")
async def cross_topic_yes(ctx: Ctx, _: str) -> None:
    pending = dict(ctx.data.get("covering") or {})
    ctx.reset()
    campaign = await ctx.store.campaigns.get(int(pending.get("campaign", 0)))
    roles = await ctx.store.roles.of_person(ctx.person.id)
    # Checked again at the moment of recording: a role may have been revoked meanwhile.
    if campaign is None or not any(
        allows(r, Action.CONCLUSION, Scope(campaign_id=campaign.id)) for r in roles
    ):
        await ctx.refuse()
        return
    code = str(pending.get("code", ""))
    try:
        entry = await conclusion.record_answer(
            ctx.store,
            campaign,
            code,
            str(pending.get("text", "")),
            also=[str(c) for c in pending.get("also", [])],
            now=ctx.now,
            actor_id=ctx.person.id,
            cross_topic=True,
        )
    except conclusion.ConclusionError as exc:
        ctx.say(exc.render(ctx.tr))
        return
    ctx.say(ctx.tr.n("conclusion.answer_saved", len(entry.covers), code=code.upper()))


@router.action("tn")
async def cross_topic_no(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("conclusion.cross_topic.kept"))


@router.reask(State.CONCLUSION_CROSS_TOPIC)
async def reask_cross_topic(ctx: Ctx) -> None:
    """The confirmation again (after a language switch); typed answers ("đồng ý", "ok",
    "không") are read by the engine from the choices' intents."""
    _ask_cross_topic(ctx)


async def _ask_publish(ctx: Ctx, campaign: Campaign) -> None:
    current = await ctx.store.conclusions.get(campaign.id)
    if current is not None and current.published_at is not None:
        ctx.say(ctx.tr("conclusion.already_published", date=f"{current.published_at:%d/%m/%Y}"))
        return
    if _local_today(ctx) < campaign.dialogue_date:
        ctx.say(ctx.tr("conclusion.before_dialogue", dialogue=f"{campaign.dialogue_date:%d/%m/%Y}"))
        return
    entries = await ctx.store.conclusions.entries(campaign.id)
    if not entries:
        ctx.say(ctx.tr("conclusion.empty"))
        return
    questions = [
        q
        for q in [await ctx.store.questions.get(i) for e in entries for i in e.covers]
        if q is not None and q.status != "withdrawn"
    ]
    people = len({r.person_id for r in await recipients_of(ctx.store, questions)})
    # Questions asked on stage the organiser has not recorded the chair's answer of: their
    # askers would be told they were not answered at the dialogue.
    missing = await conclusion.unrecorded(ctx.store, campaign)
    text = ctx.tr.n("conclusion.confirm", people, entries=len(entries), campaign=campaign.title)
    waiting = await conclusion.waiting_people(ctx.store, campaign)
    if waiting:
        text += "\n" + ctx.tr.n("conclusion.confirm.waiting", waiting)
    if missing:
        text += "\n" + ctx.tr.n(
            "conclusion.confirm.unrecorded", len(missing), codes=", ".join(missing)
        )
    ctx.data["conclusion_campaign"] = campaign.id
    ctx.ask(
        State.CONCLUSION_CONFIRM,
        text,
        [
            [
                Choice(ctx.tr("conclusion.confirm_yes"), "ky", intents=("send",)),
                Choice(ctx.tr("conclusion.confirm_no"), "kn", intents=("no", "keep")),
            ]
        ],
    )


@router.action("ky")
async def publish_yes(ctx: Ctx, _: str) -> None:
    campaign_id = int(ctx.data.get("conclusion_campaign", 0))
    ctx.reset()
    campaign = await ctx.store.campaigns.get(campaign_id)
    roles = await ctx.store.roles.of_person(ctx.person.id)
    if campaign is None or not any(
        allows(r, Action.CONCLUSION, Scope(campaign_id=campaign.id)) for r in roles
    ):
        await ctx.refuse()
        return
    try:
        result = await conclusion.publish(
            ctx.store,
            campaign,
            today=_local_today(ctx),
            now=ctx.now,
            by=ctx.person.id,
            home=ctx.engine.settings.home_province,
        )
    except conclusion.ConclusionError as exc:
        ctx.say(exc.render(ctx.tr))
        return
    if not result.published_now:
        ctx.say(ctx.tr("conclusion.already_published", date=f"{result.published_at:%d/%m/%Y}"))
        return
    done = ctx.tr.n(
        "conclusion.published",
        result.people,
        officials=ctx.tr.n("count.officials", result.officials),
    )
    if result.waiting:
        done += "\n" + ctx.tr.n("conclusion.published.waiting", result.waiting)
    ctx.say(done)


@router.action("kn")
async def publish_no(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("conclusion.not_published"))


_DAY_MONTH = re.compile(r"^(\d{1,2})(?:[/.-]|\s+(?:tháng|thang)\s+)(\d{1,2})$", re.IGNORECASE)


def parse_date(text: str, *, after: date | None = None) -> date | None:
    """dd/mm/yyyy (also with "." or "-", yyyy-mm-dd, or "ngày 13 tháng 2 năm 2027": see
    :func:`bot.campaign.timeline.written_date`); with ``after``, also dd/mm in
    the year of ``after`` ("30/9" after a dialogue on 28/08/2025 is 30/09/2025), or in the
    next year when that is within six months ("15/1" after a dialogue in December). A
    two-digit year is not a date here: "30/9/25" could be misread."""
    text = text.strip().lower().removeprefix("ngày").removeprefix("ngay").strip()
    day_month = _DAY_MONTH.match(text)
    if day_month and after is not None:
        day, month = int(day_month.group(1)), int(day_month.group(2))
        try:
            found = date(after.year, month, day)
            if found < after:
                following = date(after.year + 1, month, day)
                if (following - after).days <= 183:
                    return following
        except ValueError:
            return None
        return found  # before ``after``: the caller says why it is refused
    return written_date(text)


@router.command("camket", "commitment")
async def commitment_command(ctx: Ctx) -> None:
    """/camket MÃ|chung; sở, ngành; dd/mm/yyyy; nội dung — or /camket xong|huy SỐ [ghi chú]."""
    ctx.reset()
    text = (ctx.event.text or "").strip()
    first, _, rest = text.partition(" ")
    if fold(first) in (*_DONE_WORDS, *_DROP_WORDS):
        await _follow_up(ctx, "done" if fold(first) in _DONE_WORDS else "dropped", rest)
        return
    parts = _SEPARATOR.split(text, maxsplit=3)
    if len(parts) != 4 or not parts[3].strip():
        ctx.say(ctx.tr("commitment.usage"))
        return
    target, owner, written_due, task = parts
    code = None if fold(target) in _GENERAL_WORDS else target
    campaign = await official_campaign(ctx, Action.CONCLUSION, code=code)
    if campaign is None:
        return
    due = parse_date(written_due, after=campaign.dialogue_date)
    if due is None:
        # Name the part that could not be read rather than the whole syntax again.
        ctx.say(ctx.tr("commitment.bad_date", value=written_due[:20]))
        return
    try:
        added = await conclusion.add_commitment(
            ctx.store,
            campaign,
            owner=owner,
            due=due,
            text=task,
            code=code,
            now=ctx.now,
            actor_id=ctx.person.id,
        )
    except (conclusion.ConclusionError, DepartmentError) as exc:
        ctx.say(exc.render(ctx.tr))
        return
    lines = [
        ctx.tr("commitment.added", id=added.id, owner=added.owner, due=f"{added.due:%d/%m/%Y}")
    ]
    if plain(owner) != plain(added.owner):
        # "Sở Lao động" is Sở Nội vụ since the 2025 mergers: say how the name was read.
        lines.append(ctx.tr("commitment.owner_read_as", typed=owner.strip(), name=added.owner))
    ctx.say("\n".join(lines))


async def _follow_up(ctx: Ctx, status: str, rest: str) -> None:
    number, _, note = rest.strip().partition(" ")
    found = await ctx.store.conclusions.commitment(int(number)) if number.isdecimal() else None
    if found is None:
        ctx.say(ctx.tr("commitment.usage"))
        return
    # The owner's contact in the campaign's province: not another province's namesake.
    access = await Access.of(ctx.store, ctx.person.id, home=ctx.settings.home_province)
    scope_all = Scope(campaign_id=found.campaign_id)
    scope_owner = Scope(campaign_id=found.campaign_id, department=found.owner)
    if (
        await access.granted(Action.CONCLUSION, scope_all) is None
        and await access.granted(Action.ANSWER, scope_owner) is None
    ):
        await ctx.audit("access.denied", target=f"commitment:{found.id}")
        await ctx.refuse()
        return
    campaign = await ctx.store.campaigns.get(found.campaign_id)
    assert campaign is not None
    await conclusion.update_commitment(
        ctx.store, campaign, found.id, status, note=note, now=ctx.now, actor_id=ctx.person.id
    )
    ctx.say(ctx.tr("commitment.updated", id=found.id, status=ctx.tr(f"commitment.status.{status}")))


@router.reask(State.CONCLUSION_CONFIRM)
async def reask_conclusion(ctx: Ctx) -> None:
    """The publishing question again (after a language switch)."""
    campaign = await ctx.store.campaigns.get(int(ctx.data.get("conclusion_campaign", 0)))
    ctx.reset()
    if campaign is not None:
        await _ask_publish(ctx, campaign)
