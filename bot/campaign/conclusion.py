"""The conclusion notice ("thông báo kết luận") of the chair after the dialogue: the
chair's answer per question, the commitments given (an owner department, a due date),
and its publication, due within 10 days of the dialogue (15 when the content is complex;
``DeadlineKind.CONCLUSION``).

An entry covers its own question; an official may extend it to other questions by
naming their codes (never automatically to a whole group). Publishing sends every asker
and supporter of the covered questions one message, in their language, on their channel,
with each of their questions quoted by its own code and wording, and tells the officials
concerned (organisers, the departments given a task). It happens once: every message has
a key the outbox refuses twice, so a crash or a second ``publish`` never tells anyone
twice, and a publication a crash cut short is finished by the next ``publish`` or the
scheduler (:func:`resume_unfinished`).

Used by ``youthbot conclusion`` and the organisers' ``/ketluan`` and ``/camket``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.campaign import programme
from bot.campaign.departments import campaign_province, find_department
from bot.documents.build import host_name
from handlers.answers import recipients_of
from handlers.audience import Membership
from handlers.contacts import masked
from handlers.delivery import queue_each, queue_for_person
from handlers.engine import short
from handlers.events import Reply
from locales import LocalizedError, Translator, translator
from storage import Store
from storage.conclusions import Commitment, ConclusionEntry
from storage.models import Campaign, DeadlineKind, Question

MAX_TEXT = 3000

log = logging.getLogger(__name__)


class ConclusionError(LocalizedError):
    """A change the conclusion refuses (texts in ``locales/*/conclusion.po``)."""


class CrossTopicCover(ConclusionError):
    """The chair's answer would cover questions of other topic groups ("nhóm vấn đề"):
    recorded only when the organiser confirms it (``cross_topic=True``), as a merge of
    clusters across topic groups is. ``codes`` are the questions named, ``topics`` the
    groups they belong to."""

    def __init__(self, codes: list[str], topics: list[str]) -> None:
        super().__init__(
            "conclusion.cross_topic.confirm", codes=", ".join(codes), topics="; ".join(topics)
        )
        self.codes = codes
        self.topics = topics


@dataclass(frozen=True)
class PublishResult:
    published_now: bool  # False: it had been published before, nothing was sent again
    published_at: datetime
    people: int  # young people told now
    officials: int  # officials told now
    #: young people told now that a question of theirs has no answer yet (neither the
    #: chair's nor a department's published one), with who answers it in writing and when
    waiting: int = 0


async def _published_guard(store: Store, campaign: Campaign) -> None:
    conclusion = await store.conclusions.get(campaign.id)
    if conclusion is not None and conclusion.published_at is not None:
        raise ConclusionError(
            "conclusion.already_published", date=f"{conclusion.published_at:%d/%m/%Y}"
        )


async def _question(store: Store, campaign: Campaign, code: str) -> Question:
    question = await store.questions.by_code(code)
    if question is None or question.campaign_id != campaign.id:
        raise ConclusionError("conclusion.unknown", code=code.strip().upper()[:12])
    if question.status == "withdrawn":
        raise ConclusionError("conclusion.withdrawn", code=question.code)
    return question


def _clean(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > MAX_TEXT:
        raise ConclusionError("conclusion.length", max=MAX_TEXT)
    return cleaned


async def record_answer(
    store: Store,
    campaign: Campaign,
    code: str,
    text: str,
    *,
    also: Sequence[str] = (),
    now: datetime,
    actor_id: int | None = None,
    cross_topic: bool = False,
) -> ConclusionEntry:
    """The chair's answer to question ``code`` (replacing an earlier one), covering also
    the questions ``also`` names, and only those: a question named with an earlier
    answer and not now is no longer covered.

    Raises:
        CrossTopicCover: a question ``also`` names belongs to another topic group than
            ``code`` and ``cross_topic`` (the organiser's explicit confirmation) is not set.
    """
    await _published_guard(store, campaign)
    question = await _question(store, campaign, code)
    others = [await _question(store, campaign, c) for c in also]
    answer = _clean(text)
    topic_ids = list(dict.fromkeys(q.topic_id for q in (question, *others)))
    if len(topic_ids) > 1 and not cross_topic:
        names = []
        for topic_id in topic_ids:
            topic = await store.campaigns.topic(topic_id)
            names.append(topic.name if topic is not None else str(topic_id))
        codes = list(dict.fromkeys(q.code for q in (question, *others)))
        raise CrossTopicCover(codes, names)
    async with store.transaction():
        await store.conclusions.save_entry(campaign.id, question.id, answer, now=now)
        await store.conclusions.cover(question.id, [q.id for q in others])
        await store.audit.record(
            "conclusion.answer",
            at=now,
            actor_id=actor_id,
            target=f"question:{question.id}",
            detail={"also": [q.code for q in others]}
            | ({"cross_topic": True} if len(topic_ids) > 1 else {}),
        )
    return next(
        e for e in await store.conclusions.entries(campaign.id) if e.question_id == question.id
    )


async def remove_answer(
    store: Store, campaign: Campaign, code: str, *, now: datetime, actor_id: int | None = None
) -> Question:
    await _published_guard(store, campaign)
    question = await _question(store, campaign, code)
    if not await store.conclusions.delete_entry(question.id):
        raise ConclusionError("conclusion.no_entry", code=question.code)
    await store.audit.record(
        "conclusion.remove", at=now, actor_id=actor_id, target=f"question:{question.id}"
    )
    return question


async def set_summary(
    store: Store, campaign: Campaign, text: str, *, now: datetime, actor_id: int | None = None
) -> None:
    """The chair's general conclusion (the notice's opening paragraphs)."""
    await _published_guard(store, campaign)
    await store.conclusions.set_summary(campaign.id, _clean(text), now=now)
    await store.audit.record(
        "conclusion.summary", at=now, actor_id=actor_id, target=f"campaign:{campaign.id}"
    )


async def add_commitment(
    store: Store,
    campaign: Campaign,
    *,
    owner: str,
    due: date,
    text: str,
    code: str | None = None,
    now: datetime,
    actor_id: int | None = None,
) -> Commitment:
    """A task the chair gave ("giao {owner} ... trước ngày {due}"), for a question or
    for the whole notice. The owner is a department of the registry."""
    await _published_guard(store, campaign)
    question = await _question(store, campaign, code) if code else None
    province = await campaign_province(store, campaign)
    department = await find_department(store, province, owner, now=now)
    if due < campaign.dialogue_date:
        raise ConclusionError(
            "conclusion.due_before_dialogue",
            due=f"{due:%d/%m/%Y}",
            dialogue=f"{campaign.dialogue_date:%d/%m/%Y}",
        )
    commitment_id = await store.conclusions.add_commitment(
        campaign.id,
        question_id=question.id if question else None,
        text=_clean(text),
        owner=department.name,
        due=due,
        now=now,
    )
    await store.audit.record(
        "commitment.add", at=now, actor_id=actor_id, target=f"commitment:{commitment_id}"
    )
    found = await store.conclusions.commitment(commitment_id)
    assert found is not None
    return found


async def update_commitment(
    store: Store,
    campaign: Campaign,
    commitment_id: int,
    status: str,
    *,
    note: str = "",
    now: datetime,
    actor_id: int | None = None,
) -> Commitment:
    """Follow-up: a commitment done, dropped or open again (allowed after publication)."""
    commitment = await store.conclusions.commitment(commitment_id)
    if commitment is None or commitment.campaign_id != campaign.id:
        raise ConclusionError("conclusion.no_commitment", id=commitment_id)
    await store.conclusions.set_commitment_status(
        commitment_id, status, note=" ".join(note.split())[:MAX_TEXT], now=now
    )
    await store.audit.record(
        "commitment.status",
        at=now,
        actor_id=actor_id,
        target=f"commitment:{commitment_id}",
        detail={"status": status},
    )
    found = await store.conclusions.commitment(commitment_id)
    assert found is not None
    return found


def chair_title(campaign: Campaign, tr: Translator) -> str:
    """ "Chủ tịch UBND tỉnh Cao Bằng": who concludes."""
    return tr.t("conclusion.chair", host=host_name(campaign, tr.language))


#: Messages queued per transaction when the notice is published: a campaign of 20,000
#: questions wrote them all in one transaction of seconds, while every chat waited on the
#: database (SQLite has one writer).
QUEUE_BATCH = 500
#: Seconds between two batches: another process's chat waiting on SQLite's busy handler
#: (which sleeps up to 100 ms between tries) otherwise kept losing the lock to the next
#: batch, up to a second at a time. 40 pauses for 20,000 messages.
QUEUE_PAUSE = 0.05


def _publish_target(campaign: Campaign) -> str:
    return f"campaign:{campaign.id}"


async def publish(
    store: Store,
    campaign: Campaign,
    *,
    today: date,
    now: datetime,
    by: int | None = None,
    home: str | None = None,
) -> PublishResult:
    """Publish the conclusion and tell every asker it covers, and the officials, once.

    The publication is committed first (the notice is final from then: its entries can
    no longer change), then the messages are queued in transactions of
    :data:`QUEUE_BATCH`, then the audit record ``conclusion.publish`` says all were
    queued. A crash between two batches loses nobody: running ``publish`` again (or the
    scheduler's :func:`resume_unfinished`) queues the rest, and every message's key keeps
    the outbox from queueing one twice. ``home``: the deployment's province unit code
    (whose campaigns a department's role given without a campaign belongs to)."""
    conclusion = await store.conclusions.get(campaign.id)
    if conclusion is not None and conclusion.published_at is not None:
        if await store.audit.recorded("conclusion.publish", _publish_target(campaign)):
            return PublishResult(False, conclusion.published_at, 0, 0)
    elif today < campaign.dialogue_date:
        raise ConclusionError(
            "conclusion.before_dialogue", dialogue=f"{campaign.dialogue_date:%d/%m/%Y}"
        )
    entries = await store.conclusions.entries(campaign.id)
    if not entries:
        raise ConclusionError("conclusion.empty")
    commitments = await store.conclusions.commitments(campaign.id)
    published_at = now
    if not await store.conclusions.mark_published(campaign.id, by=by, now=now):
        current = await store.conclusions.get(campaign.id)
        assert current is not None
        assert current.published_at is not None
        published_at = current.published_at
        if await store.audit.recorded("conclusion.publish", _publish_target(campaign)):
            return PublishResult(False, published_at, 0, 0)
        # Published by a run that stopped before every message was queued: go on with it.
    people, waiting = await _tell_askers(
        store, campaign, entries, commitments, today=today, now=now
    )
    async with store.transaction():
        officials = await _tell_officials(
            store, campaign, entries, commitments, people=people, today=today, now=now, home=home
        )
        await store.audit.record(
            "conclusion.publish",
            at=now,
            actor_id=by,
            target=_publish_target(campaign),
            detail={
                "people": people,
                "officials": officials,
                "entries": len(entries),
                "waiting": waiting,
            },
        )
    return PublishResult(True, published_at, people, officials, waiting)


async def resume_unfinished(
    store: Store, *, now: datetime, tz: ZoneInfo, home: str | None = None
) -> int:
    """Queue the rest of a conclusion notice whose publication stopped half-way (a crash
    between two batches of its messages); returns how many messages were queued. Run by
    the scheduler's tick, so nobody waits for an organiser to notice."""
    queued = 0
    for campaign in await store.campaigns.active():
        current = await store.conclusions.get(campaign.id)
        if current is None or current.published_at is None:
            continue
        if await store.audit.recorded("conclusion.publish", _publish_target(campaign)):
            continue
        log.warning(
            "conclusion notice of campaign %s: its publication stopped before every message"
            " was queued; queueing the rest now",
            campaign.id,
        )
        result = await publish(
            store,
            campaign,
            today=current.published_at.astimezone(tz).date(),
            now=now,
            by=current.published_by,
            home=home,
        )
        queued += result.people + result.waiting + result.officials
    return queued


#: A written answer not given by the results report's deadline is expected at least
#: this long after the notice.
WRITTEN_ANSWER_DAYS = 10


def written_answer_expected(campaign: Campaign, today: date) -> date:
    """When a question the notice does not answer should have its written answer: by the
    results report's deadline (20 days after the dialogue), or 10 days on when later (never
    before the departments' own deadline)."""
    return max(
        campaign.deadline(DeadlineKind.REPORT),
        campaign.deadline(DeadlineKind.ANSWERS_DUE),
        today + timedelta(days=WRITTEN_ANSWER_DAYS),
    )


async def _tell_askers(
    store: Store,
    campaign: Campaign,
    entries: Sequence[ConclusionEntry],
    commitments: Sequence[Commitment],
    *,
    today: date,
    now: datetime,
) -> tuple[int, int]:
    """One message per young person: the chair's answers to their covered questions,
    then, for each question of theirs still without an answer (not covered, no published
    answer), that it will be answered in writing, by whom and by when: nobody whose
    question was asked is left without a word. Returns (told an answer, told only that
    they wait)."""
    answer_of: dict[int, ConclusionEntry] = {}
    questions: list[Question] = []
    # A question with an answer of its own is told that one, never another entry's that
    # also named it ("/ketluan A +B …" recorded before "/ketluan B …").
    own = {entry.question_id: entry for entry in entries}
    for entry in entries:
        for question_id in entry.covers:
            question = await store.questions.get(question_id)
            if question is None or question.status == "withdrawn" or question_id in answer_of:
                continue
            answer_of[question_id] = own.get(question_id, entry)
            questions.append(question)
    tasks: dict[int, list[Commitment]] = defaultdict(list)
    for c in commitments:
        if c.question_id is not None:
            tasks[c.question_id].append(c)
    # Each person once, with every covered question of theirs (asked, then supported).
    per_person: dict[int, list[tuple[Question, bool]]] = defaultdict(list)
    for recipient in await recipients_of(store, questions):
        mine = per_person[recipient.person_id]
        if all(q.id != recipient.question.id for q, _ in mine):
            mine.append((recipient.question, recipient.supporter))
    # The questions nobody has answered to their askers yet.
    open_questions = [
        q
        for q in await store.questions.of_campaign(campaign.id)
        if q.status != "withdrawn" and q.id not in answer_of and not q.answer_published
    ]
    waiting: dict[int, list[tuple[Question, bool]]] = defaultdict(list)
    listed: set[tuple[int, int]] = set()  # (person, question): a set, for 100,000 questions
    for recipient in await recipients_of(store, open_questions):
        if (recipient.person_id, recipient.question.id) not in listed:
            listed.add((recipient.person_id, recipient.question.id))
            waiting[recipient.person_id].append((recipient.question, recipient.supporter))
    departments = await store.questions.departments_of([q.id for q in open_questions])
    expected = f"{written_answer_expected(campaign, today):%d/%m/%Y}"
    languages = await store.people.languages(list(per_person) + list(waiting))
    messages: list[tuple[int, Reply, str]] = []
    only_waiting: list[tuple[int, Reply, str]] = []
    for person_id in list(per_person) + [p for p in waiting if p not in per_person]:
        items = per_person.get(person_id, [])
        tr = translator(languages.get(person_id))
        head = "conclusion.notice.head" if items else "conclusion.notice.head_waiting"
        blocks = [tr(head, campaign=campaign.title, chair=chair_title(campaign, tr))]
        for question, supporter in items:
            entry = answer_of[question.id]
            lines = [
                _quoted(tr, question, supporter),
                tr("conclusion.notice.answer", answer=entry.text),
            ]
            for c in tasks.get(entry.question_id, []):
                lines.append(
                    tr(
                        "conclusion.notice.task",
                        owner=c.owner,
                        text=c.text,
                        due=f"{c.due:%d/%m/%Y}",
                    )
                )
            blocks.append("\n".join(lines))
        for question, supporter in waiting.get(person_id, []):
            department = departments.get(question.id)
            blocks.append(
                "\n".join(
                    (
                        _quoted(tr, question, supporter),
                        tr(
                            "conclusion.notice.waiting"
                            if department
                            else "conclusion.notice.waiting_unrouted",
                            department=department or "",
                            due=expected,
                        ),
                    )
                )
            )
        blocks.append(tr("conclusion.notice.thanks"))
        (messages if items else only_waiting).append(
            (person_id, Reply("\n\n".join(blocks)), f"conclusion:{campaign.id}:{person_id}")
        )
    return (
        await _queue_in_batches(store, messages, now=now),
        await _queue_in_batches(store, only_waiting, now=now),
    )


async def _queue_in_batches(
    store: Store, messages: Sequence[tuple[int, Reply, str]], *, now: datetime
) -> int:
    """Queue the notices :data:`QUEUE_BATCH` per transaction, so that chats are answered
    between two (each message's key makes a repeated batch queue nothing)."""
    told = 0
    for start in range(0, len(messages), QUEUE_BATCH):
        if start and not store.db.in_transaction:  # inside one (a chat event's): no pause
            await asyncio.sleep(QUEUE_PAUSE)
        batch = messages[start : start + QUEUE_BATCH]
        async with store.transaction():
            told += await queue_each(store, batch, kind="conclusion", now=now)
    return told


def _quoted(tr: Translator, question: Question, supporter: bool) -> str:
    """The line naming a person's question: theirs, or one they support (whose asker's
    name and phone number another young person never reads)."""
    return tr(
        "conclusion.notice.supported" if supporter else "conclusion.notice.asked",
        code=question.code,
        question=short(masked(question.text, question.asker_name) if supporter else question.text),
    )


async def _tell_officials(
    store: Store,
    campaign: Campaign,
    entries: Sequence[ConclusionEntry],
    commitments: Sequence[Commitment],
    *,
    people: int,
    today: date,
    now: datetime,
    home: str | None,
) -> int:
    owners = {c.owner for c in commitments}
    concerned = set(owners)
    for entry in entries:
        department = await store.questions.department_of(entry.question_id)
        if department:
            concerned.add(department)
    # Only the campaign's own officials: another province's "Sở Nội vụ" given no
    # campaign shares the name, not the notice (handlers.audience).
    members = await Membership.open(store, home)
    roles = await members.holders("organiser", campaign)
    roles += [r for r in await members.holders("department", campaign) if r.department in concerned]
    told = 0
    seen: set[int] = set()
    for role in roles:
        if role.person_id in seen:
            continue
        seen.add(role.person_id)
        person = await store.people.get(role.person_id)
        tr = translator(person.language if person else None)
        lines = [
            tr.n(
                "conclusion.officials",
                len(entries),
                chair=chair_title(campaign, tr),
                campaign=campaign.title,
                date=f"{today:%d/%m/%Y}",
                tasks=tr.n("count.commitments", len(commitments)),
                people=tr.n("count.young_people", people),
            )
        ]
        mine = [c for c in commitments if role.role == "department" and c.owner == role.department]
        if mine:
            lines.append(tr("conclusion.officials.tasks", department=role.department))
            lines += [
                tr("conclusion.officials.task", text=short(c.text, 300), due=f"{c.due:%d/%m/%Y}")
                for c in mine
            ]
        told += await queue_for_person(
            store,
            role.person_id,
            Reply("\n".join(lines)),
            kind="conclusion",
            now=now,
            dedup_key=f"conclusion:{campaign.id}:official:{role.person_id}",
        )
    return told


async def status_lines(store: Store, campaign: Campaign, tr: Translator) -> list[str]:
    """Where the notice stands (chat and command line): counts, the deadline, whether it
    is published, every commitment and its state."""
    entries = await store.conclusions.entries(campaign.id)
    commitments = await store.conclusions.commitments(campaign.id)
    current = await store.conclusions.get(campaign.id)
    lines = [
        tr.n(
            "conclusion.status",
            len(entries),
            campaign=campaign.title,
            tasks=tr.n("count.commitments", len(commitments)),
            due=f"{conclusion_due(campaign):%d/%m/%Y}",
        )
    ]
    if current is not None and current.published_at is not None:
        lines.append(tr.t("conclusion.published_on", date=f"{current.published_at:%d/%m/%Y}"))
    elif missing := await unrecorded(store, campaign):
        lines.append(tr.n("conclusion.confirm.unrecorded", len(missing), codes=", ".join(missing)))
    if current is not None and current.summary.strip():
        lines.append(tr.t("conclusion.summary_line", text=short(current.summary, 200)))
    else:
        lines.append(tr.t("conclusion.summary_missing"))
    lines += [
        tr.t(
            "conclusion.task_line",
            id=c.id,
            owner=c.owner,
            text=short(c.text, 120),
            due=f"{c.due:%d/%m/%Y}",
            status=tr.t(f"commitment.status.{c.status}"),
        )
        for c in commitments
    ]
    return lines


async def waiting_people(store: Store, campaign: Campaign) -> int:
    """Young people publishing would tell only that a question of theirs waits for a
    written answer (none of theirs is covered), as :func:`publish` finds them."""
    covered: set[int] = set()
    for entry in await store.conclusions.entries(campaign.id):
        covered.update(entry.covers)
    questions = await store.questions.of_campaign(campaign.id)
    live = [q for q in questions if q.id in covered and q.status != "withdrawn"]
    told = {r.person_id for r in await recipients_of(store, live)}
    open_questions = [
        q
        for q in questions
        if q.status != "withdrawn" and q.id not in covered and not q.answer_published
    ]
    return len({r.person_id for r in await recipients_of(store, open_questions)} - told)


async def unrecorded(store: Store, campaign: Campaign) -> list[str]:
    """Codes of the programme's questions no entry of the chair's covers: publishing would
    tell their askers they were not answered at the dialogue."""
    covered = {i for entry in await store.conclusions.entries(campaign.id) for i in entry.covers}
    return [
        e.question.code
        for e in await programme.entries(store, campaign)
        if e.question.id not in covered
    ]


def conclusion_due(campaign: Campaign) -> date:
    """The legal deadline: 10 days after the dialogue (15 when complex)."""
    return campaign.deadline(DeadlineKind.CONCLUSION)
