"""A person's own questions and data: /cauhoi, /sua, /rut, /huy, /ngonngu, /trogiup, /xoa."""

from __future__ import annotations

from handlers.engine import Choice, Ctx, Router
from handlers.intake import check_text
from handlers.states import DRAFT_STATES, State
from locales import SUPPORTED_LANGUAGES
from storage.models import Question

router = Router()

_LANGUAGE_LABELS = {"vi": "Tiếng Việt", "en": "English"}


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


@router.command("trogiup", "help", "huongdan")
async def help_command(ctx: Ctx) -> None:
    text = ctx.tr("help")
    if await ctx.store.roles.of_person(ctx.person.id):
        text += "\n\n" + ctx.tr("help.officials")
    ctx.say(text)
    ctx.repeat_prompt()


@router.command("huy", "cancel")
async def cancel(ctx: Ctx) -> None:
    if ctx.state == State.IDLE:
        ctx.say(ctx.tr("nothing_to_cancel"))
    else:
        ctx.say(ctx.tr("cancelled"))
    ctx.reset()


@router.command("cauhoi", "myquestions")
async def my_questions(ctx: Ctx) -> None:
    questions = await ctx.store.questions.of_person(ctx.person.id, limit=20)
    supported = await ctx.store.questions.supported_by(ctx.person.id)
    if not questions and not supported:
        ctx.say(ctx.tr("mine.none"))
        ctx.repeat_prompt()
        return
    lines: list[str] = []
    if questions:
        lines.append(ctx.tr.n("mine.title", len(questions)))
        lines += [await _line(ctx, q) for q in questions]
    if supported:
        lines.append(ctx.tr("mine.supported_title"))
        lines += [await _line(ctx, q) for q in supported]
    ctx.say("\n".join(lines))
    ctx.repeat_prompt()


async def _line(ctx: Ctx, q: Question) -> str:
    topic = await ctx.engine.topic(q.topic_id)
    line = ctx.tr(
        "mine.line",
        code=q.code,
        status=ctx.tr(f"status.{q.status}"),
        topic=topic.name if topic else "",
        text=_short(q.text),
    )
    if q.answer and q.answer_published_at is not None:  # a draft is not shown to askers
        line += "\n" + ctx.tr(
            "mine.answer", by=q.answered_by or ctx.tr("answer.by_default"), answer=q.answer
        )
    return line


async def _changeable(ctx: Ctx, none_key: str = "edit.none") -> list[Question] | None:
    """The person's questions still open to change; None (after saying why) if none."""
    questions = [
        q for q in await ctx.store.questions.of_person(ctx.person.id) if q.status == "submitted"
    ]
    opens = {c.id for c, late in await ctx.engine.open_campaigns(ctx.now) if not late}
    editable = [q for q in questions if q.campaign_id in opens]
    if not editable:
        ctx.reset()
        ctx.say(ctx.tr("edit.closed" if questions else none_key))
        return None
    return editable


async def _own(ctx: Ctx, arg: str) -> Question | None:
    """The question named by a payload, only if it is the person's own."""
    question = await ctx.store.questions.get(int(arg)) if arg.isdigit() else None
    if question is None or question.person_id != ctx.person.id:
        await ctx.audit("button.forged", target=f"question:{arg}", reason="not the owner")
        ctx.say(ctx.tr("refused"))
        ctx.reset()
        return None
    return question


# -- /sua --------------------------------------------------------------------------------


@router.command("sua", "edit")
async def edit_command(ctx: Ctx) -> None:
    ctx.reset()
    editable = await _changeable(ctx)
    if editable is None:
        return
    if len(editable) == 1:
        await _ask_edit_text(ctx, editable[0])
        return
    ctx.ask(
        State.EDIT_PICK,
        ctx.tr("edit.pick"),
        [Choice(f"{q.code}: {_short(q.text, 40)}", "ep", str(q.id)) for q in editable],
    )


async def _ask_edit_text(ctx: Ctx, question: Question) -> None:
    ctx.data["editing"] = question.id
    ctx.ask(State.EDIT_TEXT, ctx.tr("edit.ask_text", text=question.text))


@router.action("ep")
async def edit_pick(ctx: Ctx, arg: str) -> None:
    question = await _own(ctx, arg)
    if question is not None:
        await _ask_edit_text(ctx, question)


@router.text(State.EDIT_TEXT)
async def edit_text(ctx: Ctx, text: str) -> None:
    question = await _own(ctx, str(ctx.data.get("editing", "")))
    if question is None:
        return
    cleaned = check_text(ctx, text)
    if cleaned is None:
        ctx.repeat_prompt()
        return
    if await _changeable(ctx) is None:
        return
    await ctx.store.questions.update_text(question.id, cleaned, now=ctx.now)
    await ctx.audit("question.edit", target=f"question:{question.id}")
    ctx.reset()
    ctx.say(ctx.tr("edit.done", code=question.code))


# -- /rut ----------------------------------------------------------------------------------


@router.command("rut", "withdraw")
async def withdraw_command(ctx: Ctx) -> None:
    ctx.reset()
    editable = await _changeable(ctx, "withdraw.none")
    if editable is None:
        return
    if len(editable) == 1:
        _ask_withdraw(ctx, editable[0])
        return
    ctx.ask(
        State.WITHDRAW_PICK,
        ctx.tr("withdraw.pick"),
        [Choice(f"{q.code}: {_short(q.text, 40)}", "wp", str(q.id)) for q in editable],
    )


def _ask_withdraw(ctx: Ctx, question: Question) -> None:
    ctx.data["withdrawing"] = question.id
    ctx.ask(
        State.WITHDRAW_CONFIRM,
        ctx.tr("withdraw.confirm", code=question.code, text=_short(question.text, 200)),
        [[Choice(ctx.tr("withdraw.yes"), "wy"), Choice(ctx.tr("withdraw.no"), "wn")]],
    )


@router.action("wp")
async def withdraw_pick(ctx: Ctx, arg: str) -> None:
    question = await _own(ctx, arg)
    if question is not None:
        _ask_withdraw(ctx, question)


@router.action("wy")
async def withdraw_yes(ctx: Ctx, _: str) -> None:
    question = await _own(ctx, str(ctx.data.get("withdrawing", "")))
    if question is None:
        return
    await ctx.store.questions.set_status(question.id, "withdrawn", now=ctx.now)
    await ctx.audit("question.withdraw", target=f"question:{question.id}")
    ctx.reset()
    ctx.say(ctx.tr("withdraw.done", code=question.code))


@router.action("wn")
async def withdraw_no(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("withdraw.kept"))


# -- /ngonngu ---------------------------------------------------------------------------------


@router.command("ngonngu", "language", "lang")
async def language_command(ctx: Ctx) -> None:
    wanted = (ctx.event.text or "").strip().lower()
    if wanted in SUPPORTED_LANGUAGES:
        await ctx.set_language(wanted)
        ctx.say(ctx.tr("language.set"))
        ctx.repeat_prompt()
        return
    ctx.data["return_state"] = ctx.state
    ctx.data["return_step_prompt"] = ctx.data.get("prompt")
    ctx.ask(
        State.LANGUAGE,
        ctx.tr("language.ask"),
        [[Choice(_LANGUAGE_LABELS[code], "lg", code) for code in SUPPORTED_LANGUAGES]],
    )


@router.action("lg")
async def language_pick(ctx: Ctx, arg: str) -> None:
    await ctx.set_language(arg)
    ctx.say(ctx.tr("language.set"))
    previous = ctx.data.pop("return_state", State.IDLE)
    ctx.data.pop("return_step_prompt", None)
    if previous not in DRAFT_STATES:
        ctx.reset()
        return
    # Continue the interrupted flow, re-asked in the new language.
    from handlers.intake import advance

    ctx.conv.state = previous
    await advance(ctx)


# -- /xoa -------------------------------------------------------------------------------------


@router.command("xoa", "deletedata", "xoadulieu")
async def delete_command(ctx: Ctx) -> None:
    ctx.reset()
    ctx.ask(
        State.DELETE_CONFIRM,
        ctx.tr("delete.confirm"),
        [[Choice(ctx.tr("delete.yes"), "dy"), Choice(ctx.tr("delete.no"), "dn")]],
    )


@router.action("dy")
async def delete_yes(ctx: Ctx, _: str) -> None:
    await ctx.store.people.withdraw_consent(ctx.person.id, now=ctx.now)
    await ctx.audit("person.erase", target=f"person:{ctx.person.id}")
    ctx.say(ctx.tr("delete.done"))
    ctx.reset()
    await ctx.erase_person()


@router.action("dn")
async def delete_no(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("delete.kept"))


# -- reminders opt-out ---------------------------------------------------------------------------


@router.command("tatnhacnho", "remindersoff")
async def reminders_off(ctx: Ctx) -> None:
    await ctx.store.people.set_reminders_opt_out(ctx.person.id, True)
    ctx.say(ctx.tr("reminder.opted_out"))
    ctx.repeat_prompt()


@router.command("batnhacnho", "reminderson")
async def reminders_on(ctx: Ctx) -> None:
    await ctx.store.people.set_reminders_opt_out(ctx.person.id, False)
    ctx.say(ctx.tr("reminder.opted_in"))
    ctx.repeat_prompt()
