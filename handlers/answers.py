"""Official answers ("trả lời") going back to the young people who asked.

An answer is recorded on one question: in chat (``/traloi MÃ nội dung``), on the command
line (``youthbot answer``) or from a department's own XLSX sheet. Until it is
**published** it is a draft: the department or the organisers may replace it, and no
young person sees it. Publishing (the "Gửi" button after ``/traloi`` or ``/congbo``,
``youthbot answers publish``, or ``--publish``) tells the question's asker and everyone
who said "Tôi cũng muốn hỏi câu này" (supporters, "cùng quan tâm"), once each, in their
language, on their channel; from then on the text is final and ``/cauhoi`` shows it.

Questions grouped with it (a cluster) are not told automatically: grouping is a reading
aid and can be wrong. Sending the answer to them too is the official's explicit choice,
made after seeing every question it would reach ("Gửi trả lời này tới 4 người hỏi: …",
with codes and wording); each person's message then quotes their own code and wording.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.campaign.topicwords import suggest as suggest_topics
from bot.clustering.normalize import fold, plain
from handlers.access import Access, Action, Scope, allows, authorize, role_may
from handlers.contacts import masked
from handlers.delivery import queue_each
from handlers.engine import Choice, Ctx, Router, short
from handlers.events import Reply
from handlers.intake import clean_text
from handlers.officials import official_request
from handlers.states import State
from locales import LocalizedError, translator
from storage import Store
from storage.models import Campaign, DeadlineKind, Question, Topic
from storage.questions import CODE_LENGTH, clean_code

router = Router()
MAX_ANSWER_CHARS = 3500
MAX_GROUP_LINES = 15  # the recipients listed before "và N câu khác"


class AnswerError(LocalizedError):
    """An answer that cannot be recorded as asked (texts in ``locales/*/answers.po``)."""


@dataclass(frozen=True)
class Recipient:
    """A young person to tell, with the question of theirs the message quotes."""

    person_id: int
    question: Question
    supporter: bool  # said "me too" rather than asked it


@dataclass(frozen=True)
class Published:
    questions: list[Question]  # published now
    notified: int  # messages queued
    people: int  # young people told: one person asking two answered questions counts once


def answer_refusal(question: Question) -> AnswerError | None:
    """Why ``question`` takes no new answer: its answer was published (final), or its
    asker withdrew it; None when it may be answered."""
    if question.answer_published_at is not None:
        return AnswerError(
            "answer.already_published",
            code=question.code,
            date=f"{question.answer_published_at:%d/%m/%Y}",
        )
    if question.status == "withdrawn":
        return AnswerError("answer.withdrawn", code=question.code)
    return None


def check_answer_text(text: str) -> str:
    """The cleaned answer, or :class:`AnswerError` when empty or too long."""
    cleaned = clean_text(text)
    if not cleaned or len(cleaned) > MAX_ANSWER_CHARS:
        raise AnswerError("answer.length", max=MAX_ANSWER_CHARS)
    return cleaned


async def save_answer(
    store: Store,
    question: Question,
    text: str,
    *,
    now: datetime,
    by: str | None,
    source: str,
    actor_id: int | None = None,
) -> bool:
    """Record (or replace) the draft answer of one question; False when the text is the
    one already there. Refused once the answer is published."""
    refusal = answer_refusal(question)
    if refusal is not None:
        raise refusal
    if question.answer == text and question.answered_by == by:
        return False
    if not await store.questions.save_answer(question.id, text, now=now, by=by):
        raise AnswerError("answer.already_published", code=question.code, date="")
    await store.audit.record(
        "question.answer.draft",
        at=now,
        actor_id=actor_id,
        target=f"question:{question.id}",
        detail={"by": by, "source": source, "replaced": question.answer is not None},
    )
    return True


async def recipients_of(store: Store, questions: Sequence[Question]) -> list[Recipient]:
    """The askers and supporters of exactly these questions (askers first)."""
    found: list[Recipient] = []
    for q in questions:
        if q.person_id is not None:
            found.append(Recipient(q.person_id, q, supporter=False))
    supporters = await store.questions.supporters_of([q.id for q in questions])
    for q in questions:
        for person_id in supporters.get(q.id, ()):
            found.append(Recipient(person_id, q, supporter=True))
    return found


def _quoted(recipient: Recipient) -> str:
    """The question's words as this recipient reads them: a supporter reads another
    person's words, never their phone number or name."""
    q = recipient.question
    return short(masked(q.text, q.asker_name) if recipient.supporter else q.text)


async def answer_messages(
    store: Store, questions: Sequence[Question]
) -> list[tuple[int, Reply, str]]:
    """The messages publishing the drafted answers of ``questions`` sends, as (person,
    message in their language, outbox key): what :func:`publish` queues, and what an
    official is shown before confirming."""
    recipients = await recipients_of(store, questions)
    languages = await store.people.languages([r.person_id for r in recipients])
    # One message per person and answer, with all of that person's questions it answers.
    told: dict[tuple[int, str], list[Recipient]] = {}
    for recipient in recipients:
        told.setdefault((recipient.person_id, recipient.question.answer or ""), []).append(
            recipient
        )
    messages: list[tuple[int, Reply, str]] = []
    for (person_id, answer), theirs in told.items():
        tr = translator(languages.get(person_id))
        first = theirs[0].question
        by = first.answered_by or tr("answer.by_default")
        if len(theirs) == 1:
            text = tr(
                "answer.notice_supporter" if theirs[0].supporter else "answer.notice",
                code=first.code,
                # A supporter reads another person's words: never their phone number.
                question=_quoted(theirs[0]),
                answer=answer,
                by=by,
            )
        else:
            lines = [
                tr(
                    "answer.notice_many_supported" if r.supporter else "answer.notice_many_asked",
                    code=r.question.code,
                    question=_quoted(r),
                )
                for r in theirs
            ]
            text = tr(
                "answer.notice_many",
                codes=", ".join(r.question.code for r in theirs),
                questions="\n".join(lines),
                answer=answer,
                by=by,
            )
        messages.append((person_id, Reply(text), f"answer:{first.id}:{person_id}"))
    return messages


#: Questions published per transaction (with their messages): ``answers publish --all``
#: of a large campaign wrote every one in a single transaction of seconds while every
#: chat waited on the database (SQLite has one writer).
PUBLISH_BATCH = 200
#: Seconds between two batches, outside a transaction: another process's chat waiting on
#: SQLite's busy handler (which sleeps up to 100 ms between tries) otherwise kept losing
#: the lock to the next batch, for seconds (bench/conclusion_publish.py --what answers).
PUBLISH_PAUSE = 0.05


async def publish(
    store: Store, questions: Sequence[Question], *, now: datetime, actor_id: int | None = None
) -> Published:
    """Publish the drafted answers of ``questions`` and tell their askers and supporters.

    Each person gets each distinct answer once, quoting every question of theirs it
    answers, each by its code and words (those they asked first, then those they
    support). A question without a draft, or published before, is left out, so running
    this twice tells nobody twice.

    Questions go :data:`PUBLISH_BATCH` at a time (those sharing an answer in the same
    batch), each batch marked published and its messages queued in one transaction: a
    crash between two leaves the rest unpublished, for the next run to send.
    """
    by_answer: dict[str, list[Question]] = {}
    for q in questions:
        by_answer.setdefault(q.answer or "", []).append(q)
    batches: list[list[Question]] = [[]]
    for same in by_answer.values():
        if batches[-1] and len(batches[-1]) + len(same) > PUBLISH_BATCH:
            batches.append([])
        batches[-1] += same
    done: list[Question] = []
    notified = 0
    people: set[int] = set()
    for n, batch in enumerate(batches):
        if n and not store.db.in_transaction:  # inside one (a chat event's): no pause
            await asyncio.sleep(PUBLISH_PAUSE)
        async with store.transaction():
            published = await _publish_batch(store, batch, now=now, actor_id=actor_id)
        done += published.questions
        notified += published.notified
        people |= published.people
    order = {q.id: n for n, q in enumerate(questions)}
    done.sort(key=lambda q: order.get(q.id, len(order)))
    return Published(done, notified, len(people))


@dataclass(frozen=True)
class _Batch:
    questions: list[Question]
    notified: int
    people: set[int]


async def _publish_batch(
    store: Store, questions: Sequence[Question], *, now: datetime, actor_id: int | None
) -> _Batch:
    done = await store.questions.publish_answers([q.id for q in questions], now=now)
    messages = await answer_messages(store, done)
    notified = await queue_each(store, messages, kind="answer", now=now)
    for q in done:
        await store.audit.record(
            "question.answer.publish",
            at=now,
            actor_id=actor_id,
            target=f"question:{q.id}",
            detail={"by": q.answered_by},
        )
    return _Batch(done, notified, {person for person, _, _ in messages})


async def extend_to(
    store: Store,
    source: Question,
    targets: Sequence[Question],
    *,
    now: datetime,
    actor_id: int | None,
) -> list[Question]:
    """Give ``source``'s answer to other questions an official chose (the same issue
    worded differently). Questions with an answer of their own are left alone. Returns
    the questions that now carry the answer (``source`` first)."""
    assert source.answer is not None
    chosen = [source]
    for target in targets:
        if target.id == source.id or target.status == "withdrawn":
            continue
        if target.answer is not None and target.answer != source.answer:
            continue  # its own answer: never overwritten by a group send
        if target.answer_published_at is None:
            await save_answer(
                store,
                target,
                source.answer,
                now=now,
                by=source.answered_by,
                source=f"group:{source.code}",
                actor_id=actor_id,
            )
        chosen.append(target)
    return chosen


async def group_candidates(
    store: Store, question: Question
) -> tuple[list[Question], list[Question]]:
    """The other questions of ``question``'s group: (those the answer could go to,
    those that have an answer of their own)."""
    free: list[Question] = []
    own: list[Question] = []
    for other in await store.questions.in_cluster(question):
        if other.id == question.id:
            continue
        if other.answer is not None and other.answer != question.answer:
            own.append(other)
        elif other.answer_published_at is None:
            free.append(other)
    return free, own


# -- chat ------------------------------------------------------------------------------------


async def _answer_role_by(ctx: Ctx, question: Question) -> tuple[bool, str | None]:
    """May this person answer ``question``, and in whose name."""
    department = await ctx.store.questions.department_of(question.id)
    scope = Scope(campaign_id=question.campaign_id, department=department)
    role = await authorize(
        ctx.store, ctx.person.id, Action.ANSWER, scope, now=ctx.now, home=ctx.settings.home_province
    )
    if role is None:
        return False, None
    return True, role.department or department or ctx.tr(f"role.{role.role}")


async def _people_count(ctx: Ctx, questions: Sequence[Question]) -> int:
    return len({r.person_id for r in await recipients_of(ctx.store, questions)})


@router.command("traloi", "answer")
async def answer_command(ctx: Ctx) -> None:
    """/traloi MÃ nội dung trả lời — record (or correct) the answer to one question."""
    ctx.reset()
    code, _, text = (ctx.event.text or "").strip().partition(" ")
    if not code:
        await _show_waiting(ctx, 0)
        return
    if clean_code(code) != code.upper() and _looks_like_code(clean_code(code)):
        code = clean_code(code)  # "7atygc," or "7ATYGC:" before the answer
    question = await ctx.store.questions.by_code(code) if _looks_like_code(code) else None
    if question is None:
        # "/traloi việc làm", "/traloi chuyen doi so": the waiting questions of the topic
        # groups named ("chuyen" could be a code: a code that exists wins). A code-like
        # word before other words is a mistyped code with its answer, unless the whole
        # text is a group's name.
        whole = (ctx.event.text or "").strip()
        answer_like = _looks_like_code(code) and bool(text.strip())
        if not await _show_topic(ctx, whole, by_words=not answer_like):
            key = "answer.unknown" if _looks_like_code(code) else "answer.no_topic"
            ctx.say(ctx.tr(key, code=code[:12], words=short(whole, 40)))
        return
    allowed, _ = await _answer_role_by(ctx, question)
    if not allowed:
        await ctx.refuse()
        return
    if not text.strip():
        await _ask_answer_text(ctx, question)
        return
    await _save_and_review(ctx, question, text)


async def _save_and_review(ctx: Ctx, question: Question, text: str) -> None:
    """Record ``text`` as the question's answer (a draft) and show who would get it."""
    allowed, by = await _answer_role_by(ctx, question)
    if not allowed:
        ctx.reset()
        await ctx.refuse()
        return
    try:
        answer = check_answer_text(text)
        await save_answer(
            ctx.store, question, answer, now=ctx.now, by=by, source="chat", actor_id=ctx.person.id
        )
    except AnswerError as exc:
        ctx.say(exc.render(ctx.tr))
        if ctx.state == State.ANSWER_TEXT and answer_refusal(question) is None:
            ctx.repeat_prompt()  # too long or empty: type it again
        else:  # published or withdrawn meanwhile: nothing more to type for it
            ctx.reset()
        return
    fresh = await ctx.store.questions.get(question.id)
    assert fresh is not None
    await _review(ctx, fresh, saved=True)


@router.command("phieu", "sheet")
async def sheet_command(ctx: Ctx) -> None:
    """/phieu [tên sở, ngành] — the department's answer sheet (XLSX) to fill in and send
    back in this chat."""
    ctx.reset()
    if ctx.engine.documents is None:
        ctx.say(ctx.tr("sheet.unavailable"))
        return
    await ctx.engine.documents.send_sheet(ctx, (ctx.event.text or "").strip())


# -- the questions waiting for an answer, one at a time ---------------------------------

#: Questions one page of ``/traloi`` lists.
WAITING_PAGE = 6


def _looks_like_code(word: str) -> bool:
    """A question's code ("BDH7UC"): six ASCII letters or digits, any case."""
    return len(word) == CODE_LENGTH and word.isascii() and word.isalnum()


async def _show_topic(ctx: Ctx, words: str, *, by_words: bool = True) -> bool:
    """The waiting list of the topic groups ``words`` names ("việc làm", "chuyen doi so",
    "vay vốn": a group's name, or with ``by_words`` its words); False when it names
    none."""
    topics = [
        t
        for c in await ctx.store.campaigns.active()
        for t in await ctx.store.campaigns.topics(c.id)
    ]
    wanted = plain(words)
    named = [t for t in topics if wanted and (wanted in plain(t.name) or plain(t.name) in wanted)]
    if not named and by_words:
        suggested = set(suggest_topics(words, [t.name for t in topics]))
        named = [t for t in topics if t.name in suggested]
    if not named:
        return False
    ctx.data["answer_topics"] = [t.id for t in named]
    await _show_waiting(ctx, 0)
    return True


async def _show_waiting(ctx: Ctx, offset: int) -> None:
    """/traloi with nothing after it: the questions this official may answer that have no
    answer yet, the biggest groups first, each a button that opens it for an answer."""
    access = await Access.of(ctx.store, ctx.person.id, home=ctx.settings.home_province)
    if not any(role_may(role, Action.ANSWER) for role in access.roles):
        ctx.reset()
        await ctx.refuse()
        return
    total, drafts, live = 0, 0, 0
    shown: list[tuple[Question, int, int]] = []
    topic_ids = ctx.data.get("answer_topics")
    topics = [int(t) for t in topic_ids] if isinstance(topic_ids, list) else None
    campaign_ids: list[int] = []  # those whose topic groups a filter may name
    owing: list[Campaign] = []  # campaigns with questions waiting: their deadline is named
    for campaign in await ctx.store.campaigns.active():
        if topics is not None:
            campaign_ids.append(campaign.id)
        departments: list[str] | None = None
        # Roles that belong to the campaign: not another province's "Sở Nội vụ".
        roles = await access.roles_in(campaign.id)
        if not any(allows(r, Action.ANSWER, Scope(campaign_id=campaign.id)) for r in roles):
            departments = sorted(
                {
                    r.department
                    for r in roles
                    if r.department
                    and allows(
                        r, Action.ANSWER, Scope(campaign_id=campaign.id, department=r.department)
                    )
                }
            )
            if not departments:
                continue
        count, page = await ctx.store.questions.awaiting_answer(
            campaign.id,
            departments=departments,
            topics=topics,
            limit=WAITING_PAGE - len(shown),
            offset=max(0, offset - total),
        )
        total += count
        shown += page
        if count:
            owing.append(campaign)
        drafts += await ctx.store.questions.unpublished_count(campaign.id, departments=departments)
        live += await ctx.store.questions.answered_live_count(campaign.id, departments=departments)
    draft_line = ctx.tr.n("answer.waiting_drafts", drafts) if drafts else ""
    # The chair's answers at the dialogue are not asked for again: said, not listed.
    live_line = ctx.tr.n("answer.waiting_live", live) if live else ""
    # Each topic group read once, for the lines and the filter's names.
    topic_of: dict[int, Topic] = {}
    for campaign_id in {q.campaign_id for q, _, _ in shown} | set(campaign_ids):
        topic_of |= {
            t.id: t for t in await ctx.store.campaigns.topics(campaign_id, include_inactive=True)
        }
    names = ", ".join(ctx.topic_name(topic_of.get(t)) for t in topics or ())
    if not shown:
        ctx.reset()
        key = "answer.waiting_none" if total == 0 else "answer.waiting_end"
        if total == 0 and topics is not None:
            lines = [ctx.tr("answer.waiting_none_topics", topics=names), draft_line]
        else:
            lines = [ctx.tr(key), live_line, draft_line]
        ctx.say("\n".join(line for line in lines if line))
        return
    lines = [ctx.tr.n("answer.waiting_title", total)]
    lines += [_deadline_line(ctx, campaign, len(owing) > 1) for campaign in owing]
    if topics is not None:
        lines.append(ctx.tr("answer.waiting_topics", topics=names))
    buttons: list[list[Choice]] = []
    # Numbered from 1 on every page: a typed "2" (or Zalo's numbered options) is the
    # second button here.
    for number, (question, people, group) in enumerate(shown, start=1):
        unit = await ctx.engine.unit(question.unit_id)
        topic = topic_of.get(question.topic_id)
        lines.append(
            ctx.tr(
                "answer.waiting_line",
                number=number,
                code=question.code,
                topic=ctx.topic_name(topic),
                unit=unit.name if unit else "",
                people=ctx.tr.n("answer.people", people),
                text=short(question.text, 160),
            )
        )
        if group > 1:
            lines.append(ctx.tr.n("answer.waiting_group", group))
        buttons.append([Choice(question.code, "aq", str(question.id))])
    if offset + len(shown) < total:
        rest = total - offset - len(shown)
        buttons.append(
            [Choice(ctx.tr.n("answer.waiting_more", rest), "aw", str(offset + len(shown)))]
        )
    lines += [line for line in (live_line, draft_line) if line]
    lines.append(ctx.tr("answer.waiting_hint"))
    ctx.data["answer_offset"] = offset
    ctx.ask(State.ANSWER_PICK, "\n".join(lines), buttons, listed=len(shown))


def _deadline_line(ctx: Ctx, campaign: Campaign, named: bool) -> str:
    """By when the departments' answers are due ("còn 3 ngày", "hôm nay"), or how late
    they are once the date has passed; the campaign named when several owe answers."""
    due = campaign.deadline(DeadlineKind.ANSWERS_DUE)
    today = ctx.now.astimezone(ctx.settings.timezone).date()
    left = (due - today).days
    if left < 0:
        line = ctx.tr.n("answer.waiting_overdue", -left, due=f"{due:%d/%m/%Y}")
    else:
        when = ctx.tr.n("reminder.in_days", left) if left else ctx.tr("reminder.today")
        line = ctx.tr("answer.waiting_due", due=f"{due:%d/%m/%Y}", when=when)
    return f"{campaign.title}: {line}" if named else line


@router.action("aw")
async def waiting_page(ctx: Ctx, arg: str) -> None:
    await _show_waiting(ctx, int(arg) if arg.isdigit() else 0)


@router.action("aq")
async def waiting_pick(ctx: Ctx, arg: str) -> None:
    question = await ctx.store.questions.get(int(arg)) if arg.isdigit() else None
    if question is None:
        ctx.reset()
        await ctx.refuse()
        return
    allowed, _ = await _answer_role_by(ctx, question)
    if not allowed:
        ctx.reset()
        await ctx.refuse()
        return
    await _ask_answer_text(ctx, question)


async def _ask_answer_text(ctx: Ctx, question: Question) -> None:
    """The whole question (and any draft), then: type the answer."""
    refusal = answer_refusal(question)
    if refusal is not None:
        ctx.reset()
        ctx.say(refusal.render(ctx.tr))
        return
    unit = await ctx.engine.unit(question.unit_id)
    topic = await ctx.store.campaigns.topic(question.topic_id)
    people = await _people_count(ctx, [question])
    lines = [
        ctx.tr(
            "answer.question_head",
            code=question.code,
            topic=ctx.topic_name(topic),
            unit=unit.name if unit else "",
            people=ctx.tr.n("answer.people", people),
        ),
        ctx.tr("answer.question_text", text=short(question.text, 1500)),
    ]
    live = await ctx.store.conclusions.answer_for(question.id)
    if live is not None:  # a written answer is still possible, but not owed
        lines.append(ctx.tr("answer.answered_live", answer=short(live, 300)))
    free, _ = await group_candidates(ctx.store, question)
    if free:
        lines.append(ctx.tr.n("answer.group_hint", len(free)))
    if question.answer:
        lines.append(ctx.tr("answer.current_draft", answer=short(question.answer, 600)))
    lines.append(ctx.tr("answer.type_text", limit=MAX_ANSWER_CHARS))
    ctx.data["answer_question"] = question.id
    ctx.ask(State.ANSWER_TEXT, "\n".join(lines))


@router.text(State.ANSWER_TEXT)
async def answer_text(ctx: Ctx, text: str) -> None:
    question = await _current(ctx)
    if question is None:
        return
    await _save_and_review(ctx, question, text)


@router.text(State.ANSWER_PICK)
async def waiting_typed(ctx: Ctx, text: str) -> None:
    """A code typed at the list opens that question; a request in words ("báo cáo") is
    run; anything else shows the list again."""
    request = official_request(text, await ctx.store.roles.of_person(ctx.person.id))
    if request is not None and request != "traloi":
        ctx.reset()
        await ctx.engine.command(ctx, request)
        return
    code = text.strip().split()[0] if text.strip() else ""
    question = await ctx.store.questions.by_code(code) if 4 <= len(code) <= 12 else None
    if question is None:
        looks_like_code = code.isascii() and code.isalnum() and len(code) == len(text.strip())
        if looks_like_code and 4 <= len(code) <= 12:
            ctx.say(ctx.tr("answer.unknown", code=code))
        else:
            ctx.say(ctx.tt("choice.not_understood"))
        ctx.repeat_prompt()
        return
    await waiting_pick(ctx, str(question.id))


@router.command("congbo", "publish")
async def publish_command(ctx: Ctx) -> None:
    """/congbo MÃ — send a drafted answer; /congbo tatca — every draft in one's scope."""
    ctx.reset()
    arg = (ctx.event.text or "").strip().split()
    if not arg:
        ctx.say(ctx.tr("answer.publish_usage"))
        return
    if fold(arg[0]) in ("tatca", "all"):
        await _ask_publish_all(ctx)
        return
    question = await ctx.store.questions.by_code(arg[0])
    if question is None:
        ctx.say(ctx.tr("answer.unknown", code=arg[0][:12]))
        return
    allowed, _ = await _answer_role_by(ctx, question)
    if not allowed:
        await ctx.refuse()
        return
    if question.answer_published_at is not None:
        ctx.say(
            ctx.tr(
                "answer.already_published",
                code=question.code,
                date=f"{question.answer_published_at:%d/%m/%Y}",
            )
        )
        return
    if question.answer is None:
        ctx.say(ctx.tr("answer.no_draft", code=question.code))
        return
    if question.status == "withdrawn":  # its asker took it back: nobody is told
        ctx.say(ctx.tr("answer.withdrawn", code=question.code))
        return
    await _review(ctx, question, saved=False)


def _seen(question: Question) -> dict[str, str | None]:
    """What the official saw of a question before choosing to send: its words, its answer."""
    return {"text": question.text, "answer": question.answer}


async def _review(ctx: Ctx, question: Question, *, saved: bool) -> None:
    """The drafted answer and who would get it; the official chooses."""
    people = await _people_count(ctx, [question])
    free, _ = await group_candidates(ctx.store, question)
    ctx.data["answer_question"] = question.id
    ctx.data["answer_seen"] = _seen(question)
    lines = [ctx.tr("answer.saved" if saved else "answer.draft", code=question.code)]
    # The words its people will see quoted above the answer, as they read now: the asker
    # may have edited them since the official opened the question or made the sheet.
    lines.append(ctx.tr("answer.review_question", text=short(question.text, 300)))
    lines.append(ctx.tr("answer.preview", answer=short(question.answer or "", 600)))
    lines.append(ctx.tr.n("answer.recipients", people))
    choices = [Choice(ctx.tr.n("answer.send_askers", people), "as", intents=("send",))]
    if free:
        lines.append(ctx.tr.n("answer.group_hint", len(free)))
        choices.append(Choice(ctx.tr.n("answer.send_group", len(free)), "ag"))
    choices.append(Choice(ctx.tr("answer.later"), "al", intents=("no", "keep")))
    ctx.ask(State.ANSWER_REVIEW, "\n".join(lines), [[c] for c in choices])


async def _current(ctx: Ctx) -> Question | None:
    """The question under review, if the person may still answer it."""
    question_id = ctx.data.get("answer_question")
    question = await ctx.store.questions.get(int(question_id)) if question_id else None
    if question is None:
        ctx.reset()
        await ctx.refuse()
        return None
    allowed, _ = await _answer_role_by(ctx, question)
    if not allowed:
        ctx.reset()
        await ctx.refuse()
        return None
    return question


async def _changed(ctx: Ctx, question: Question) -> bool:
    """True (and the review shown again, nothing sent) when the question's words or its
    answer are no longer what the official saw: another official replaced the draft, or
    the asker edited the question, meanwhile. The official confirms what they read."""
    seen = ctx.data.get("answer_seen")
    if seen is None or seen == _seen(question):
        return False
    ctx.say(ctx.tr("answer.changed", code=question.code))
    await _review(ctx, question, saved=False)
    return True


@router.action("as")
async def send_to_askers(ctx: Ctx, _: str) -> None:
    question = await _current(ctx)
    if question is None or await _changed(ctx, question):
        return
    result = await publish(ctx.store, [question], now=ctx.now, actor_id=ctx.person.id)
    ctx.reset()
    if not result.questions:
        ctx.say(ctx.tr("answer.nothing_to_send", code=question.code))
        return
    ctx.say(ctx.tr.n("answer.sent", result.people, code=question.code))
    ctx.say(ctx.tr("answer.next"))


async def _in_scope(ctx: Ctx, questions: Sequence[Question]) -> list[Question]:
    """The questions this person may answer (one check per department, no audit noise)."""
    access = await Access.of(ctx.store, ctx.person.id, home=ctx.settings.home_province)
    allowed = []
    for q in questions:
        scope = Scope(
            campaign_id=q.campaign_id, department=await ctx.store.questions.department_of(q.id)
        )
        if await access.granted(Action.ANSWER, scope) is not None:
            allowed.append(q)
    return allowed


#: Comments listed by /phanhoi at most (the newest).
FEEDBACK_SHOWN = 20


@router.command("phanhoi", "comments")
async def feedback_command(ctx: Ctx) -> None:
    """/phanhoi — what young people said back about the answers this official may give
    (the newest first), each under its question's code and words."""
    ctx.reset()
    roles = await ctx.store.roles.of_person(ctx.person.id)
    if not any(role_may(role, Action.ANSWER) for role in roles):
        await ctx.refuse()
        return
    recent = await ctx.store.questions.recent_feedback()
    allowed = {q.id for q in await _in_scope(ctx, list({q.id: q for _, q in recent}.values()))}
    shown = [(f, q) for f, q in recent if q.id in allowed][:FEEDBACK_SHOWN]
    if not shown:
        ctx.say(ctx.tr("feedback.list_empty"))
        return
    lines = [ctx.tr.n("feedback.list_title", len(shown))]
    for said, q in shown:
        lines.append(
            ctx.tr(
                "feedback.list_item_supporter" if said.supporter else "feedback.list_item",
                code=q.code,
                date=f"{said.created_at.astimezone(ctx.settings.timezone):%d/%m}",
                text=short(said.text, 300),
                question=short(q.text, 100),
            )
        )
    ctx.say("\n".join(lines))


@router.action("ag")
async def show_group(ctx: Ctx, _: str) -> None:
    question = await _current(ctx)
    if question is None or await _changed(ctx, question):
        return
    free, own = await group_candidates(ctx.store, question)
    targets = await _in_scope(ctx, free)
    others = [q for q in free if q not in targets]
    chosen = [question, *targets]
    people = await _people_count(ctx, chosen)
    lines = [ctx.tr.n("answer.group_title", people, questions=len(chosen))]
    for q in chosen[:MAX_GROUP_LINES]:
        unit = await ctx.engine.unit(q.unit_id)
        lines.append(
            ctx.tr(
                "answer.group_line",
                code=q.code,
                text=short(q.text, 120),
                unit=unit.name if unit else "",
                people=await _people_count(ctx, [q]),
            )
        )
    if len(chosen) > MAX_GROUP_LINES:
        lines.append(ctx.tr.n("answer.group_more", len(chosen) - MAX_GROUP_LINES))
    if own:
        lines.append(ctx.tr("answer.group_own", codes=", ".join(q.code for q in own)))
    if others:
        lines.append(
            ctx.tr("answer.group_other_department", codes=", ".join(q.code for q in others))
        )
    lines.append(ctx.tr("answer.group_own_words"))
    ctx.data["answer_group"] = [q.id for q in targets]
    ctx.data["answer_group_seen"] = {str(q.id): q.text for q in targets}
    ctx.ask(
        State.ANSWER_GROUP,
        "\n".join(lines),
        [
            [Choice(ctx.tr.n("answer.group_send", people), "ay", intents=("send",))],
            [Choice(ctx.tr.n("answer.send_askers", await _people_count(ctx, [question])), "as")],
            [Choice(ctx.tr("answer.later"), "al", intents=("no", "keep"))],
        ],
    )


@router.action("ay")
async def send_to_group(ctx: Ctx, _: str) -> None:
    question = await _current(ctx)
    if question is None or await _changed(ctx, question):
        return
    ids = [int(i) for i in ctx.data.get("answer_group", [])]
    targets = [q for q in [await ctx.store.questions.get(i) for i in ids] if q is not None]
    seen = ctx.data.get("answer_group_seen")
    if seen is not None and any(
        seen.get(str(q.id)) != q.text or q.cluster_id != question.cluster_id for q in targets
    ):
        # Edited by its asker, or split from the group by an organiser, since the list was
        # shown: the official confirms the list as it is now.
        ctx.say(ctx.tr("answer.group_changed"))
        await show_group(ctx, "")
        return
    targets = await _in_scope(ctx, targets)  # exactly what was shown, still allowed
    async with ctx.store.transaction():
        try:
            chosen = await extend_to(
                ctx.store, question, targets, now=ctx.now, actor_id=ctx.person.id
            )
        except AnswerError as exc:
            ctx.reset()
            ctx.say(exc.render(ctx.tr))
            return
        fresh = [q for q in [await ctx.store.questions.get(q.id) for q in chosen] if q]
        result = await publish(ctx.store, fresh, now=ctx.now, actor_id=ctx.person.id)
    ctx.reset()
    if not result.questions:  # another official sent them all meanwhile: nobody told twice
        ctx.say(ctx.tr("answer.nothing_to_send", code=question.code))
        return
    ctx.say(
        ctx.tr.n(
            "answer.group_sent",
            result.people,
            codes=", ".join(q.code for q in result.questions),
        )
    )
    ctx.say(ctx.tr("answer.next"))


@router.action("al")
async def later(ctx: Ctx, _: str) -> None:
    question_id = ctx.data.get("answer_question")
    question = await ctx.store.questions.get(int(question_id)) if question_id else None
    ctx.reset()
    ctx.say(ctx.tr("answer.kept_draft", code=question.code if question else ""))


async def _ask_publish_all(ctx: Ctx) -> None:
    drafts: list[Question] = []
    for campaign in await ctx.store.campaigns.active():
        drafts += await ctx.store.questions.unpublished_answers(campaign.id)
    drafts = await _in_scope(ctx, drafts)
    if not drafts:
        await ctx.audit("answer.publish_all", target="none")
        ctx.say(ctx.tr("answer.no_drafts"))
        return
    people = await _people_count(ctx, drafts)
    ctx.data["answer_all"] = [q.id for q in drafts]
    ctx.data["answer_all_seen"] = {str(q.id): _seen(q) for q in drafts}
    lines = await _publish_all_preview(ctx, drafts)
    lines.append(ctx.tr.n("answer.all_confirm", len(drafts), people=people))
    ctx.ask(
        State.ANSWER_ALL,
        "\n".join(lines),
        [
            [
                Choice(ctx.tr("answer.all_yes"), "ap", intents=("send",)),
                Choice(ctx.tr("answer.all_no"), "an", intents=("no", "keep")),
            ]
        ],
    )


#: Answers /congbo tatca lists one by one before asking, and messages it quotes in full.
ALL_LISTED = 5
ALL_QUOTED = 2


async def _publish_all_preview(ctx: Ctx, drafts: Sequence[Question]) -> list[str]:
    """What /congbo tatca would send, before the official confirms: each answer's code,
    who answered and how many people get it (the first few), then the first messages
    exactly as their people will read them. Only each question's asker and supporters
    are counted: a group's other questions get nothing they were not given."""
    lines = [ctx.tr.n("answer.all_title", len(drafts))]
    for q in drafts[:ALL_LISTED]:
        lines.append(
            ctx.tr.n(
                "answer.all_line",
                await _people_count(ctx, [q]),
                code=q.code,
                by=q.answered_by or ctx.tr("answer.by_default"),
                answer=short(q.answer or "", 80),
            )
        )
    if len(drafts) > ALL_LISTED:
        rest = drafts[ALL_LISTED:]
        lines.append(ctx.tr.n("answer.all_more", len(rest), people=await _people_count(ctx, rest)))
    quoted: set[int] = set()
    for q in drafts:
        if len(quoted) >= ALL_QUOTED:
            break
        messages = await answer_messages(ctx.store, [q])
        if not messages:
            continue
        _, reply, _ = messages[0]
        quoted.add(q.id)
        lines.append(ctx.tr("answer.all_sample", code=q.code, people=len(messages)))
        # As it will read, lines kept; a long answer cut at a word.
        text = reply.text if len(reply.text) <= 700 else reply.text[:700].rsplit(" ", 1)[0] + "…"
        lines.append(text)
    return lines


@router.action("an")
async def publish_all_no(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("answer.all_kept"))


@router.action("ap")
async def publish_all(ctx: Ctx, _: str) -> None:
    ids = [int(i) for i in ctx.data.get("answer_all", [])]
    drafts = [q for q in [await ctx.store.questions.get(i) for i in ids] if q is not None]
    drafts = await _in_scope(ctx, drafts)
    seen = ctx.data.get("answer_all_seen")
    if isinstance(seen, dict) and any(seen.get(str(q.id)) != _seen(q) for q in drafts):
        # Another official replaced a draft, or an asker edited a question, since the list
        # was shown: nothing is sent unseen; the list again, as it is now.
        ctx.say(ctx.tr("answer.all_changed"))
        await _ask_publish_all(ctx)
        return
    result = await publish(ctx.store, drafts, now=ctx.now, actor_id=ctx.person.id)
    ctx.reset()
    ctx.say(ctx.tr.n("answer.all_sent", len(result.questions), people=result.people))


@router.reask(
    State.ANSWER_PICK, State.ANSWER_TEXT, State.ANSWER_REVIEW, State.ANSWER_GROUP, State.ANSWER_ALL
)
async def reask_answer(ctx: Ctx) -> None:
    """The pending answer step again (after a language switch)."""
    if ctx.state == State.ANSWER_ALL:
        await _ask_publish_all(ctx)
        return
    if ctx.state == State.ANSWER_PICK:
        await _show_waiting(ctx, int(ctx.data.get("answer_offset") or 0))
        return
    question = await _current(ctx)
    if question is None:
        return
    if ctx.state == State.ANSWER_TEXT:
        await _ask_answer_text(ctx, question)
    elif ctx.state == State.ANSWER_GROUP:
        await show_group(ctx, "")
    else:
        await _review(ctx, question, saved=False)
