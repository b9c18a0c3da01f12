"""Deadline reminders, computed from each campaign's timeline on every scheduler tick.

A reminder is queued in the outbox under a key naming the campaign, the deadline, its
date, the offset and the recipient: the outbox refuses a key twice, so a restart neither
loses nor repeats one, and changing a date makes new keys for the new date (the old
date's reminders are simply never computed again). A tick only sends occurrences due in
the last :attr:`ReminderPolicy.grace` hours, so a bot started after a long stop catches up
the recent ones once instead of flooding people with stale reminders; the last reminder
before a deadline (the one of the day itself, the young people's only one) is caught up
until that day ends, so a stop never leaves anyone unreminded. "còn N ngày" is counted
from the local day the reminder goes out, not from when it was planned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from handlers.audience import Membership
from handlers.delivery import queue_for_person
from handlers.events import Reply
from handlers.states import DRAFT_STATES, State
from locales import translator
from storage import Store
from storage.conclusions import Commitment
from storage.models import Campaign, DeadlineKind


@dataclass(frozen=True)
class ReminderPolicy:
    """When reminders go out (configurable per campaign; these are the defaults)."""

    days_before: tuple[int, ...] = (7, 3, 1, 0)  # 0 = on the morning of the day
    hour: int = 8  # local time: the start of an office day
    youth_days_before: int = 3  # young people are reminded once
    draft_after: timedelta = timedelta(hours=24)  # an unfinished question gets one nudge
    grace: timedelta = timedelta(hours=12)
    # After the departments' answer deadline, while questions still have no answer: the
    # day after, then every few days; from the reminders' hour until evening, not at night.
    overdue_first: int = 1
    overdue_every: int = 3
    night_from: int = 21


# Who is reminded of which deadline.
AUDIENCE_DEADLINES: tuple[tuple[str, DeadlineKind], ...] = (
    ("secretary", DeadlineKind.UNITS_SUBMIT),
    ("department", DeadlineKind.ANSWERS_DUE),
    ("organiser", DeadlineKind.PLAN_PUBLISHED),
    ("organiser", DeadlineKind.FORWARD),  # Sở Nội vụ forwards the groups to departments
    ("organiser", DeadlineKind.ANSWERS_DUE),
    ("organiser", DeadlineKind.CONCLUSION),
    ("organiser", DeadlineKind.REPORT),
)


@dataclass(frozen=True)
class Occurrence:
    audience: str
    deadline: DeadlineKind
    due: date
    days_before: int
    send_at: datetime  # aware
    last: bool = False  # the last of its audience and deadline: caught up until the day ends

    def key(self, campaign_id: int) -> str:
        return (
            f"rem:{campaign_id}:{self.audience}:{self.deadline.value}:{self.due}:{self.days_before}"
        )


def occurrences(campaign: Campaign, policy: ReminderPolicy, tz: ZoneInfo) -> list[Occurrence]:
    """Every reminder of a campaign, in time order (pure)."""
    found: list[Occurrence] = []

    def at(day: date) -> datetime:
        return datetime.combine(day, time(policy.hour), tzinfo=tz)

    for audience, kind in AUDIENCE_DEADLINES:
        due = campaign.deadline(kind)
        final = min(policy.days_before)
        for days in policy.days_before:
            send_at = at(due - timedelta(days=days))
            found.append(Occurrence(audience, kind, due, days, send_at, last=days == final))
    close = campaign.deadline(DeadlineKind.QUESTIONS_CLOSE)
    days = policy.youth_days_before
    found.append(
        Occurrence(
            "youth",
            DeadlineKind.QUESTIONS_CLOSE,
            close,
            days,
            at(close - timedelta(days=days)),
            last=True,
        )
    )
    return sorted(found, key=lambda o: (o.send_at, o.audience, o.deadline.value))


async def tick(
    store: Store,
    *,
    now: datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy | None = None,
    home: str | None = None,
) -> int:
    """Queue every reminder due now (and not yet queued); returns how many were queued.

    Each campaign's reminders go to the people who belong to it
    (:mod:`handlers.audience`); ``home`` is the deployment's province unit code."""
    base = policy or ReminderPolicy()
    queued = 0
    members = await Membership.open(store, home)
    for campaign in await store.campaigns.active():
        policy = campaign_policy(campaign, base)
        published = await _conclusion_published(store, campaign)
        for occurrence in occurrences(campaign, policy, tz):
            if not _due_now(occurrence, policy, now=now, tz=tz):
                continue
            if published and occurrence.deadline == DeadlineKind.CONCLUSION:
                continue  # the notice is out: nothing left to remind of
            queued += await _send(store, members, campaign, occurrence, now=now, tz=tz)
        queued += await _commitments(store, members, campaign, policy, now=now, tz=tz)
        queued += await _overdue(store, members, campaign, policy, now=now, tz=tz)
    queued += await _drafts(store, now=now, policy=base)
    return queued


def _due_now(
    occurrence: Occurrence, policy: ReminderPolicy, *, now: datetime, tz: ZoneInfo
) -> bool:
    """Planned at or before ``now``, and recent; the last one before its deadline, until
    the deadline's day ends (local time, in the day)."""
    if occurrence.send_at > now:
        return False
    if now - policy.grace < occurrence.send_at:
        return True
    # Caught up in the day, from the reminders' hour on: not at 02:00 after a night restart.
    local = now.astimezone(tz)
    return occurrence.last and local.date() <= occurrence.due and local.hour >= policy.hour


async def _conclusion_published(store: Store, campaign: Campaign) -> bool:
    conclusion = await store.conclusions.get(campaign.id)
    return conclusion is not None and conclusion.published_at is not None


def commitment_occurrences(
    commitment: Commitment, policy: ReminderPolicy, tz: ZoneInfo
) -> list[tuple[str, int, datetime]]:
    """When a commitment's reminders go out (pure): ``("due", days before, at)`` for its
    department, and ``("overdue", 1, at)`` the morning after its due date, to the
    department and the organisers, while it is still open."""
    found = [
        (
            "due",
            days,
            datetime.combine(commitment.due - timedelta(days=days), time(policy.hour), tzinfo=tz),
        )
        for days in policy.days_before
    ]
    found.append(
        (
            "overdue",
            1,
            datetime.combine(commitment.due + timedelta(days=1), time(policy.hour), tzinfo=tz),
        )
    )
    return found


async def _commitments(
    store: Store,
    members: Membership,
    campaign: Campaign,
    policy: ReminderPolicy,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> int:
    """Reminders of the chair's commitments ("nhiệm vụ giao"), by their due dates, once
    the conclusion is published; a key per commitment, date, offset and person."""
    if not await _conclusion_published(store, campaign):
        return 0
    queued = 0
    local_today = now.astimezone(tz).date()
    for commitment in await store.conclusions.commitments(campaign.id, status="open"):
        for kind, days, send_at in commitment_occurrences(commitment, policy, tz):
            if not (now - policy.grace < send_at <= now):
                continue
            roles = [
                r
                for r in await members.holders("department", campaign)
                if r.department == commitment.owner
            ]
            if kind == "overdue":
                roles += await members.holders("organiser", campaign)
            for role in roles:
                person = await store.people.get(role.person_id)
                if person is None:
                    continue
                tr = translator(person.language)
                text = tr(
                    f"reminder.commitment.{kind}",
                    owner=commitment.owner,
                    text=commitment.text,
                    due=day_text(person.language, commitment.due),
                    when=(
                        tr.n("reminder.overdue_days", (local_today - commitment.due).days)
                        if kind == "overdue"
                        else _days_text(person.language, commitment.due, local_today)
                    ),
                    campaign=campaign.title,
                    id=commitment.id,
                )
                queued += await queue_for_person(
                    store,
                    role.person_id,
                    Reply(text),
                    kind="reminder",
                    now=now,
                    dedup_key=(
                        f"rem:{campaign.id}:commitment:{commitment.id}:{commitment.due}:"
                        f"{kind}:{days}:{role.person_id}"
                    ),
                )
    return queued


def overdue_day(due: date, policy: ReminderPolicy, *, now: datetime, tz: ZoneInfo) -> int:
    """How many days late the answers are if an overdue reminder goes out now, else 0 (pure):
    on the cadence's days (1, 4, 7, … days late), from the reminders' hour until the
    evening (``night_from``; later only when the reminders' hour itself is later)."""
    local = now.astimezone(tz)
    late = (local.date() - due).days
    if late < policy.overdue_first or (late - policy.overdue_first) % policy.overdue_every:
        return 0
    if not policy.hour <= local.hour < max(policy.night_from, policy.hour + 1):
        return 0
    return late


async def _overdue(
    store: Store,
    members: Membership,
    campaign: Campaign,
    policy: ReminderPolicy,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> int:
    """After the departments' answer deadline: each department that still owes answers is
    told how many and how late, the organisers which departments are late with their
    counts; nothing once every question has an answer. A key per deadline date, day of
    lateness and person: a restart never sends a day's reminder twice."""
    due = campaign.deadline(DeadlineKind.ANSWERS_DUE)
    late = overdue_day(due, policy, now=now, tz=tz)
    if not late:
        return 0
    owed = await store.questions.owed_by_department(campaign.id)
    if not sum(n for _, n in owed):
        return 0
    owed_of = {department: n for department, n in owed if department is not None}
    base = f"rem:{campaign.id}:overdue:{DeadlineKind.ANSWERS_DUE.value}:{due}:{late}"
    queued = 0
    for audience in ("department", "organiser"):
        for role in await members.holders(audience, campaign):
            if audience == "department" and not owed_of.get(role.department or ""):
                continue  # this department has answered everything it was sent
            person = await store.people.get(role.person_id)
            if person is None:
                continue
            tr = translator(person.language)
            head = tr(
                "reminder.overdue",
                deadline=tr(f"deadline.{DeadlineKind.ANSWERS_DUE.value}"),
                due=day_text(person.language, due),
                late=tr.n("reminder.overdue_days", late),
            )
            if audience == "department":
                body = tr.n(
                    "reminder.overdue.department",
                    owed_of[role.department or ""],
                    department=role.department,
                    campaign=campaign.title,
                )
            else:
                body = (
                    campaign.title
                    + "\n"
                    + _owed_text(person.language, DeadlineKind.ANSWERS_DUE, owed)
                )
            queued += await queue_for_person(
                store,
                role.person_id,
                Reply(head + "\n" + body),
                kind="reminder",
                now=now,
                dedup_key=f"{base}:{audience}:{role.person_id}",
            )
    return queued


def campaign_policy(campaign: Campaign, base: ReminderPolicy) -> ReminderPolicy:
    """The campaign's own timing (``campaign edit --reminder-days/--reminder-hour``)."""
    return dataclasses.replace(
        base, days_before=campaign.reminder_days or base.days_before, hour=campaign.reminder_hour
    )


def day_text(language: str, day: date) -> str:
    """A date as people read it: "thứ Ba, 05/08/2025", "Tuesday 5 August 2025" (a day
    first date such as 05/08 reads as 8 May in English)."""
    tr = translator(language)
    return tr(
        "reminder.date",
        weekday=tr(f"reminder.weekday.{day.weekday()}"),
        date=format_date(day, tr("reminder.date_pattern"), locale=tr.language),
    )


def _days_text(language: str, due: date, today: date) -> str:
    """ "còn 3 ngày", "hôm nay": from the local day the reminder goes out (a reminder of
    20:00 caught up the next morning says one day less)."""
    tr = translator(language)
    left = (due - today).days
    if left <= 0:
        return tr("reminder.today")
    return tr.n("reminder.in_days", left)


async def _send(
    store: Store,
    members: Membership,
    campaign: Campaign,
    occurrence: Occurrence,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> int:
    base = occurrence.key(campaign.id)
    today = now.astimezone(tz).date()
    queued = 0
    owed_by_department = (
        await store.questions.owed_by_department(campaign.id)
        if occurrence.audience == "organiser" and occurrence.deadline in _OWED_DEADLINES
        else []
    )
    if occurrence.audience == "youth":
        for person_id in await members.youth(campaign, wants_reminders=True):
            person = await store.people.get(person_id)
            language = person.language if person else "vi"
            text = translator(language)(
                "reminder.youth",
                campaign=campaign.title,
                when=_days_text(language, occurrence.due, today),
                due=day_text(language, occurrence.due),
            )
            # Once per campaign, whatever later date changes: young people are asked once.
            queued += await queue_for_person(
                store,
                person_id,
                Reply(text),
                kind="reminder",
                now=now,
                dedup_key=f"rem:{campaign.id}:youth:{person_id}",
            )
        return queued
    for role in await members.holders(occurrence.audience, campaign):
        person = await store.people.get(role.person_id)
        if person is None:
            continue
        tr = translator(person.language)
        when = _days_text(person.language, occurrence.due, today)
        label = tr(f"deadline.{occurrence.deadline.value}")
        due = day_text(person.language, occurrence.due)
        if occurrence.audience == "secretary" and role.unit_id is not None:
            total, unreviewed = await store.questions.unit_counts(campaign.id, role.unit_id)
            unit = await store.units.get(role.unit_id)
            text = tr.n(
                "reminder.secretary",
                total,
                deadline=label,
                when=when,
                due=due,
                unit=unit.name if unit else "",
                unreviewed=unreviewed,
                campaign=campaign.title,
            )
        elif occurrence.audience == "department" and role.department:
            owed = await store.questions.department_owed(campaign.id, role.department)
            if owed == 0:
                continue  # nothing to answer: no "còn 0 câu hỏi … Gõ /traloi"
            text = tr.n(
                "reminder.department",
                owed,
                deadline=label,
                when=when,
                due=due,
                department=role.department,
                campaign=campaign.title,
            )
        else:
            text = tr(
                "reminder.organiser",
                deadline=label,
                when=when,
                due=due,
                campaign=campaign.title,
            )
            if occurrence.deadline in _OWED_DEADLINES:
                text += "\n" + _owed_text(person.language, occurrence.deadline, owed_by_department)
        queued += await queue_for_person(
            store,
            role.person_id,
            Reply(text),
            kind="reminder",
            now=now,
            dedup_key=f"{base}:{role.person_id}",
        )
    return queued


# Organisers' reminders that say what is still owed, by department.
_OWED_DEADLINES = (DeadlineKind.FORWARD, DeadlineKind.ANSWERS_DUE, DeadlineKind.CONCLUSION)
_OWED_LISTED = 8  # departments named one by one; the rest summed (a phone screen)


def _owed_text(language: str, deadline: DeadlineKind, owed: list[tuple[str | None, int]]) -> str:
    """Before forwarding: how many questions no department has yet; after: how many still
    have no answer, per department (the most owed first)."""
    tr = translator(language)
    if deadline == DeadlineKind.FORWARD:
        unrouted = sum(n for department, n in owed if department is None)
        return tr.n("reminder.organiser.unrouted", unrouted)
    total = sum(n for _, n in owed)
    if total == 0:
        return tr("reminder.organiser.owed_none")
    lines = [tr.n("reminder.organiser.owed", total)]
    named = [(d, n) for d, n in owed if d is not None]
    for department, n in named[:_OWED_LISTED]:
        lines.append(f"- {department}: {n}")
    rest = sum(n for _, n in named[_OWED_LISTED:])
    if rest:
        lines.append(f"- {tr('reminder.organiser.owed_others')}: {rest}")
    unrouted = sum(n for d, n in owed if d is None)
    if unrouted:
        lines.append(f"- {tr('reminder.organiser.owed_unrouted')}: {unrouted}")
    return "\n".join(lines)


async def _drafts(store: Store, *, now: datetime, policy: ReminderPolicy) -> int:
    """One nudge to people who began a question and did not finish it."""
    stale = await store.conversations.stale_drafts(
        states=tuple(sorted(DRAFT_STATES)), before=now - policy.draft_after
    )
    queued = 0
    for conv in stale:
        if conv.updated_at is None or now - conv.updated_at > policy.draft_after + policy.grace:
            continue
        person = await store.people.get(conv.person_id)
        if person is None:
            continue
        tr = translator(person.language)
        supported = conv.data.get("draft", {}).get("supported")
        if conv.state == State.SUPPORTED and supported:
            # Joined a similar question and left: the support stands, only their own
            # words wait (not "a question you started but did not send").
            text = tr("reminder.draft_supported", code=supported)
        else:
            text = tr("reminder.draft")
        queued += await queue_for_person(
            store,
            person.id,
            Reply(text),
            kind="reminder",
            now=now,
            dedup_key=f"rem:draft:{person.id}:{conv.updated_at.isoformat()}",
        )
    return queued


def upcoming(
    campaigns: Iterable[Campaign],
    *,
    now: datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy | None = None,
) -> list[tuple[Campaign, Occurrence]]:
    """What is still to come (for `campaign show` and the demo)."""
    policy = policy or ReminderPolicy()
    return sorted(
        (
            (c, o)
            for c in campaigns
            for o in occurrences(c, campaign_policy(c, policy), tz)
            if o.send_at > now
        ),
        key=lambda pair: pair[1].send_at,
    )
