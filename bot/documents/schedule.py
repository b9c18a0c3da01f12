"""Scheduled digests: per role, daily or weekly at a local hour.

Each tick looks at the most recent scheduled time of every subscription. The period it
starts is recorded in ``job_runs`` as pending before anything is made and as done once every
digest of it is queued, so a digest is sent once for the period, and a restart after a
missed time catches up that one run (not every run missed while the bot was down), whose
"new" questions are those since the last digest sent, the missed periods' included. A run
cut short (a crash, a stop, a failure while the files were made) is taken up again by a
tick :data:`~bot.documents.produce.RESUME_AFTER` later: a crash never costs an official
the digest (at least once; what was queued before is not queued again, its dedup key
stands). A period with nothing new sends one short line, or nothing when
``YOUTHBOT_DIGEST_QUIET`` is set.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.application.app import App
from bot.delivery.mailer import MailError
from bot.documents.build import DigestScope
from bot.documents.mail import email_digest
from bot.documents.produce import RESUME_AFTER, nothing_new_text, produce_digest
from handlers.access import natural_scope
from handlers.audience import Membership
from handlers.delivery import queue_for_person
from handlers.events import Reply
from storage.jobs import Subscription

log = logging.getLogger(__name__)


def last_slot(sub: Subscription, now: datetime, tz: ZoneInfo) -> datetime:
    """The latest scheduled time at or before ``now`` (aware, local)."""
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), time(sub.hour), tzinfo=tz)
    if sub.frequency == "weekly":
        weekday = sub.weekday or 0
        slot -= timedelta(days=(slot.weekday() - weekday) % 7)
        if slot > local:
            slot -= timedelta(days=7)
    elif slot > local:
        slot -= timedelta(days=1)
    return slot


def previous_slot(sub: Subscription, slot: datetime) -> datetime:
    return slot - timedelta(days=7 if sub.frequency == "weekly" else 1)


async def tick(app: App, now: datetime) -> int:
    """Queue every digest whose period has started and was not sent yet."""
    queued = 0
    for sub in await app.store.jobs.subscriptions():
        slot = last_slot(sub, now, app.tz)
        if slot < sub.created_at:
            continue  # nothing is owed for times before the subscription existed
        job, period = f"digest:{sub.id}", slot.isoformat()
        if not await app.store.jobs.take(job, period, now=now, stale_before=now - RESUME_AFTER):
            continue
        try:
            queued += await _send(app, sub, slot, now)
        except Exception:  # one broken digest must not stop the others
            log.exception(
                "scheduled digest %s failed; it is tried again in %d minutes",
                sub.id,
                RESUME_AFTER.total_seconds() // 60,
            )
            continue
        await app.store.jobs.finish(job, period)
    return queued


async def _since(app: App, sub: Subscription, slot: datetime) -> datetime:
    """Where this period's "new" begins: the last digest sent, so a catch-up after a stop
    of several periods also counts the questions of the periods missed; the previous
    slot for the first one."""
    done = [
        datetime.fromisoformat(period)
        for period in await app.store.jobs.done_periods(f"digest:{sub.id}")
    ]
    earlier = [when for when in done if when < slot]
    return max(earlier) if earlier else previous_slot(sub, slot)


async def _send(app: App, sub: Subscription, slot: datetime, now: datetime) -> int:
    role = await app.store.roles.get(sub.role_id)
    if role is None or not role.active:
        return 0
    person = await app.store.people.get(role.person_id)
    if person is None:
        return 0
    queued = 0
    since = await _since(app, sub, slot)
    members = await Membership.open(app.store, app.home_province)
    roles = await app.store.roles.of_person(person.id)
    for campaign in await app.store.campaigns.active():
        # Only the campaigns the person belongs to: a secretary's or a department's role
        # given without a campaign is not every campaign of every province.
        own = [r for r in roles if await members.belongs(r, campaign)]
        found = await natural_scope(app.store, person.id, campaign.id, roles=own)
        if found is None:
            continue
        _, scope = found
        kind = "unit" if scope.unit_id else "department" if scope.department else "campaign"
        files = await produce_digest(
            app.store,
            campaign,
            scope=DigestScope(kind=kind, unit_id=scope.unit_id, department=scope.department),  # type: ignore[arg-type]
            show_names=True,
            language=person.language,
            now=now,
            out_dir=app.settings.core.out_dir,
            since=since,
            local_now=now.astimezone(app.tz),
        )
        key = f"digest:{sub.id}:{slot.isoformat()}:{campaign.id}"
        if files.data.totals.new_questions == 0:
            if app.settings.core.digest_quiet:
                continue
            reply = Reply(nothing_new_text(files.data, person.language))
        else:
            reply = Reply(files.text, attachments=files.attachments())
            email = sub.email or role.email
            if email:
                try:
                    await email_digest(app, files, [email])
                except MailError as exc:
                    log.warning("digest %s not e-mailed: %s", sub.id, exc)
        queued += await queue_for_person(
            app.store, person.id, reply, kind="digest", now=now, dedup_key=key
        )
    return queued
