"""What a young person says back about an answer ("ý kiến phản hồi"): "em chưa hài lòng
với câu trả lời", "trả lời chưa rõ ạ", or anything written after the answers, when no
dialogue takes questions any more. It is recorded with the question it is about (never
as a new question that nobody links to it, and never lost to a "closed" message), once
the person confirms which answer they mean; the officials read it in the compilation of
answers."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.clustering.normalize import plain
from handlers.contacts import masked
from handlers.engine import Choice, Ctx, Router, short
from handlers.states import State
from storage.models import Question

router = Router()

#: How long after an answer a message may still be about it.
FEEDBACK_DAYS = 60
_CHOICES = 3  # answered questions offered at most (the latest)

# Words that speak about an answer (unaccented): "chưa hài lòng", "trả lời chưa rõ",
# "câu trả lời", "phản hồi", "không đồng ý với …", "vẫn chưa giải quyết"; and the same in
# English, as the notice invites ("not satisfied", "unclear", "disagree", "answered").
_ABOUT_ANSWER = re.compile(
    r"\b(?:tra loi|hai long|chua ro|chua thoa dang|chua thuyet phuc|phan hoi|giai dap"
    r"|chua duoc giai quyet|van chua giai quyet|khong dong y voi|answer|reply"
    r"|answers|answered|replied|not satisfied|unsatisfied|dissatisfied|unclear|not clear"
    r"|disagree|not resolved|still not solved|feedback)\b"
)
_CODE = re.compile(r"\b[2-9A-HJKMNP-Z]{6}\b")


async def offer(ctx: Ctx, text: str, *, open_campaign: bool) -> bool:
    """Ask whether ``text`` is about an answer the person was told lately; False when it
    cannot be (no recent answer, or a new question while a dialogue takes them)."""
    typed = set(_CODE.findall(text.upper()))
    about = bool(_ABOUT_ANSWER.search(plain(text)))
    if open_campaign and not typed and not about:
        return False  # a new question: no look-up on the way to the question flow
    since = ctx.now - timedelta(days=FEEDBACK_DAYS)
    answered = await ctx.store.questions.answered_for(ctx.person.id, since=since)
    named = [q for q in answered if q.code in typed]
    if not answered or (open_campaign and not about and not named):
        return False
    candidates = named[:1] or answered[:_CHOICES]
    text = " ".join(text.split())
    limit = ctx.settings.max_question_chars
    if len(text) > limit:
        # Never cut someone's words silently: ask for a shorter one.
        ctx.say(
            ctx.tr(
                "feedback.too_long",
                length=ctx.tr.number(len(text)),
                limit=ctx.tr.number(limit),
            )
        )
        return True
    ctx.data["feedback_text"] = text
    ctx.data["feedback_offered"] = [q.id for q in candidates]
    rows = [
        [Choice(ctx.tr("feedback.about", code=q.code), "fb", str(q.id), intents=_yes(candidates))]
        for q in candidates
    ]
    if open_campaign:
        rows.append([Choice(ctx.tr("feedback.new_question"), "fq")])
    rows.append([Choice(ctx.tr("feedback.drop"), "fx", intents=("no", "cancel"))])
    if len(candidates) == 1:
        q = candidates[0]
        prompt = ctx.tr("feedback.ask_one", code=q.code, question=_shown(ctx, q))
    else:
        listed = "\n".join(f"• {q.code}: “{_shown(ctx, q)}”" for q in candidates)
        prompt = ctx.tr("feedback.ask_which", questions=listed)
    ctx.ask(State.FEEDBACK_CONFIRM, prompt, rows)
    return True


def _shown(ctx: Ctx, question: Question) -> str:
    """A question as this person is shown it: a supported one is another person's, so
    never with their phone number or e-mail address (as /cauhoi shows it)."""
    own = question.person_id == ctx.person.id
    return short(question.text if own else masked(question.text, question.asker_name), 80)


def _yes(candidates: list[Question]) -> tuple[str, ...]:
    # "đồng ý", "ok", "gửi đi" choose the answer only when there is one to choose.
    return ("yes", "send") if len(candidates) == 1 else ()


@router.action("fb")
async def record(ctx: Ctx, arg: str) -> None:
    text = str(ctx.data.get("feedback_text", ""))
    # Only an answer this person was offered (the press carries the id).
    offered = int(arg) in ctx.data.get("feedback_offered", [])
    question = await ctx.store.questions.get(int(arg)) if offered else None
    if not text or question is None:
        ctx.reset()
        ctx.say(ctx.tr("feedback.gone"))
        return
    supporter = question.person_id != ctx.person.id
    await ctx.store.questions.add_feedback(
        question.id, ctx.person.id, text, supporter=supporter, now=ctx.now
    )
    await ctx.audit("answer.feedback", target=f"question:{question.id}", chars=len(text))
    ctx.reset()
    ctx.say(ctx.tr("feedback.recorded", code=question.code))


@router.action("fx")
async def drop(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("feedback.dropped"))


@router.reask(State.FEEDBACK_CONFIRM)
async def reask(ctx: Ctx) -> None:
    ctx.repeat_prompt()
