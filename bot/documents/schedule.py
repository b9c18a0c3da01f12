"""Scheduled digests: per role, daily or weekly at a local hour.

Each tick looks at the most recent scheduled time of every subscription; the period it
starts is claimed in ``job_runs`` before anything is sent, so a digest is never sent twice
for the same period, and a restart after a missed time catches up that one run (not every
run missed while the bot was down). A period with nothing new sends one short line, or
nothing when ``YOUTHBOT_DIGEST_QUIET`` is set.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.application.app import App
from bot.delivery.mailer import MailError
from bot.documents.build import DigestScope
from bot.documents.mail import email_digest
from bot.documents.produce import nothing_new_text, produce_digest
from handlers.access import natural_scope
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
        job = f"digest:{sub.id}"
        if not await app.store.jobs.claim(job, slot.isoformat(), now=now):
            continue
        try:
            queued += await _send(app, sub, slot, now)
        except Exception:  # one broken digest must not stop the others
            log.exception("scheduled digest %s failed", sub.id)
    return queued


async def _send(app: App, sub: Subscription, slot: datetime, now: datetime) -> int:
    role = await app.store.roles.get(sub.role_id)
    if role is None or not role.active:
        return 0
    person = await app.store.people.get(role.person_id)
    if person is None:
        return 0
    queued = 0
    since = previous_slot(sub, slot)
    for campaign in await app.store.campaigns.active():
        found = await natural_scope(app.store, person.id, campaign.id)
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
