"""Official answers going back to the young people who asked ("trả lời") — to the asker
of every question in the cluster and to everyone who said "me too"."""

from __future__ import annotations

from datetime import datetime

from handlers.access import Action, Scope, authorize
from handlers.delivery import queue_for_person
from handlers.engine import Ctx, Router
from handlers.events import Reply
from locales import translator
from storage import Store
from storage.models import Question

router = Router()
MAX_ANSWER_CHARS = 3500


async def record_answer(
    store: Store, question: Question, answer: str, *, now: datetime, by: str | None
) -> int:
    """Store the answer on the question and its cluster, and queue a message to each asker
    and supporter (once per person). Returns how many people were notified."""
    notified = 0
    async with store.transaction():
        told: set[int] = set()
        for q in await store.questions.in_cluster(question):
            await store.questions.set_answer(q.id, answer, now=now, by=by)
            people = [q.person_id] if q.person_id is not None else []
            people += await store.questions.supporters(q.id)
            for person_id in people:
                if person_id in told:
                    continue
                told.add(person_id)
                person = await store.people.get(person_id)
                tr = translator(person.language if person else None)
                text = tr(
                    "answer.notice",
                    code=question.code,
                    question=_short(q.text),
                    answer=answer,
                    by=by or tr("answer.by_default"),
                )
                notified += await queue_for_person(
                    store,
                    person_id,
                    Reply(text),
                    kind="answer",
                    now=now,
                    dedup_key=f"answer:{question.id}:{person_id}:{now.isoformat()}",
                )
        await store.audit.record(
            "question.answer",
            at=now,
            target=f"question:{question.id}",
            detail={"by": by, "notified": notified},
        )
    return notified


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


@router.command("traloi", "answer")
async def answer_command(ctx: Ctx) -> None:
    """/traloi MÃ nội dung trả lời — a department answers a question routed to it."""
    code, _, answer = (ctx.event.text or "").strip().partition(" ")
    answer = answer.strip()
    if not code or not answer or len(answer) > MAX_ANSWER_CHARS:
        ctx.say(ctx.tr("answer.usage", limit=MAX_ANSWER_CHARS))
        return
    question = await ctx.store.questions.by_code(code)
    department = await ctx.store.questions.department_of(question.id) if question else None
    scope = Scope(campaign_id=question.campaign_id if question else None, department=department)
    role = await authorize(ctx.store, ctx.person.id, Action.ANSWER, scope, now=ctx.now)
    if role is None or question is None:
        ctx.say(ctx.tr("refused") if question else ctx.tr("answer.unknown", code=code[:12]))
        return
    by = role.department or ctx.tr(f"role.{role.role}")
    notified = await record_answer(ctx.store, question, answer, now=ctx.now, by=by)
    ctx.say(ctx.tr("answer.recorded", code=question.code, count=notified))
