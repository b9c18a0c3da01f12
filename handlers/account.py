"""A person's own questions and data: /cauhoi, /sua, /rut, /huy, /ngonngu, /trogiup, /xoa.

A command's argument is never ignored: ``/sua CODE`` and ``/rut CODE`` act on that
question or say clearly why not, ``/ngonngu en`` switches at once, and switching language
asks the pending step again in the new language.
"""

from __future__ import annotations

import re
from datetime import tzinfo

from bot.campaign.conclusion import written_answer_expected
from handlers.access import Action, role_may
from handlers.contacts import contact_details, masked
from handlers.delivery import queue_each
from handlers.engine import CONSENT_VERSION, Choice, Ctx, Router, short
from handlers.events import Reply
from handlers.intake import cancel_part, check_text, switch_language, unsent_text, welcome
from handlers.states import State
from handlers.understanding import drops_draft, idle_request, intents
from locales import SUPPORTED_LANGUAGES, translator
from storage.models import Question
from storage.questions import CODE_ALPHABET, CODE_LENGTH

router = Router()

_LANGUAGE_LABELS = {"vi": "Tiếng Việt", "en": "English"}
_CODE = re.compile(rf"^#?([{CODE_ALPHABET}]{{{CODE_LENGTH}}})$")


# Officials' commands in help, each with the action that allows it (None: any role).
_OFFICIAL_COMMANDS: tuple[tuple[str, Action | None], ...] = (
    ("help.cmd.report", Action.DIGEST),
    ("help.cmd.broadcast", Action.BROADCAST),
    ("help.cmd.invite", Action.INVITE),
    ("help.cmd.answer", Action.ANSWER),
    ("help.cmd.sheet", Action.ANSWER),
    ("help.cmd.publish", Action.ANSWER),
    ("help.cmd.feedback", Action.ANSWER),
    ("help.cmd.programme", Action.PROGRAMME),
    ("help.cmd.conclusion", Action.CONCLUSION),
    ("help.cmd.documents", Action.CONCLUSION),
    ("help.cmd.clusters", Action.EDIT_CLUSTERS),
    ("help.cmd.email", None),
    ("help.cmd.roles", None),
)


@router.command("trogiup", "help", "huongdan")
async def help_command(ctx: Ctx) -> None:
    """The commands this person may use: an official sees only what a role allows."""
    text = ctx.tr("help")
    roles = await ctx.store.roles.of_person(ctx.person.id)
    if roles:
        lines = [ctx.tr("help.officials")]
        wide = any(role.role in ("admin", "organiser") for role in roles)
        for key, action in _OFFICIAL_COMMANDS:
            if action is None or any(role_may(role, action) for role in roles):
                # Organisers may name any unit for a digest; a secretary has only hers.
                lines.append(ctx.tr(f"{key}_units" if key.endswith("report") and wide else key))
        if any(role.role == "admin" for role in roles):
            lines.append(ctx.tr("help.cmd.invite_admin"))
        text += "\n\n" + "\n".join(lines)
    ctx.say(text)
    ctx.repeat_prompt()


@router.command("huy", "cancel")
async def cancel(ctx: Ctx) -> None:
    if ctx.state == State.IDLE:
        ctx.say(await ctx.addressed("nothing_to_cancel"))  # an official: /start, not /hoi
    elif await cancel_part(ctx):  # one question of a numbered list: the next follows
        return
    elif ctx.state == State.SUPPORTED and ctx.draft.get("supported"):
        # Only the person's own words go: the question they joined is still theirs too.
        ctx.say(ctx.tr("similar.cancelled", code=ctx.draft["supported"]))
    elif await ctx.store.roles.of_person(ctx.person.id):
        ctx.say(ctx.tr("official.cancelled"))  # no "type /hoi to ask" for an official
    else:
        ctx.say(ctx.tr("cancelled"))
    ctx.reset()


@router.command("cauhoi", "myquestions")
async def my_questions(ctx: Ctx) -> None:
    """/cauhoi lists the person's questions; /cauhoi CODE shows that one, if theirs."""
    if (ctx.event.text or "").strip():
        question = await _own_by_code(ctx, purpose="show")
        if question is not None:
            ctx.say(await _line(ctx, question, limit=1000))
        ctx.repeat_prompt()
        return
    questions = await ctx.store.questions.of_person(ctx.person.id, limit=20)
    supported = await ctx.store.questions.supported_by(ctx.person.id)
    if not questions and not supported:
        # Writing the first one: not "type /hoi to send your first".
        ctx.say(ctx.tr("mine.none_writing" if unsent_text(ctx) else "mine.none"))
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


async def _line(ctx: Ctx, q: Question, *, limit: int = 80) -> str:
    topic = await ctx.engine.topic(q.topic_id)
    line = ctx.tr(
        "mine.line",
        code=q.code,
        status=ctx.tr(f"status.{q.status}"),
        topic=ctx.topic_name(topic) if topic else "",
        # A supported question is another person's: never their phone number.
        text=short(q.text if q.person_id == ctx.person.id else masked(q.text, q.asker_name), limit),
    )
    if q.answer and q.answer_published_at is not None:  # a draft is not shown to askers
        line += "\n" + ctx.tr(
            "mine.answer", by=q.answered_by or ctx.tr("answer.by_default"), answer=q.answer
        )
    if q.status != "withdrawn":
        line += await _after_the_notice(ctx, q)
    return line


async def _after_the_notice(ctx: Ctx, q: Question) -> str:
    """Once the conclusion notice is published: the chair's answer to the question (its
    own entry's, else the first that covers it), or, with no answer at all, when it will
    be answered in writing (as the notice told the asker); before it, nothing."""
    current = await ctx.store.conclusions.get(q.campaign_id)
    if current is None or current.published_at is None:
        return ""
    entries = await ctx.store.conclusions.entries(q.campaign_id)
    chair = next((e for e in entries if e.question_id == q.id), None) or next(
        (e for e in entries if q.id in e.covers), None
    )
    if chair is not None:
        return "\n" + ctx.tr("mine.conclusion", answer=chair.text)
    if q.answer_published_at is not None:
        return ""
    campaign = await ctx.store.campaigns.get(q.campaign_id)
    if campaign is None:
        return ""
    published = current.published_at.astimezone(ctx.settings.timezone).date()
    due = written_answer_expected(campaign, published)
    return "\n" + ctx.tr("mine.waiting", due=f"{due:%d/%m/%Y}")


async def _own_by_code(ctx: Ctx, *, purpose: str) -> Question | None:
    """The question a command's argument names, if it is the person's own; otherwise
    ``None`` after saying why (the same words for another's code and an unknown one, so
    codes cannot be probed)."""
    typed = (ctx.event.text or "").strip()
    match = _CODE.match(typed.upper())
    if match is None:
        ctx.say(ctx.tr(f"code.usage.{purpose}", code=typed[:20]))
        return None
    question = await ctx.store.questions.by_code(match.group(1))
    if question is None or question.person_id != ctx.person.id:
        if question is not None:
            await ctx.audit("question.not_owner", target=f"question:{question.id}", purpose=purpose)
        ctx.say(ctx.tr("code.not_yours", code=match.group(1)))
        return None
    return question


async def _changeable_by_code(ctx: Ctx, *, purpose: str) -> Question | None:
    """The named question, if it is the person's own and may still be changed."""
    question = await _own_by_code(ctx, purpose=purpose)
    if question is None or not await _still_changeable(ctx, question, purpose=purpose):
        return None
    return question


async def _still_changeable(ctx: Ctx, question: Question, *, purpose: str) -> bool:
    """Whether ``question`` may still be edited or withdrawn (``purpose``): not forwarded,
    answered or withdrawn, its campaign still taking questions in time; if not, says why.
    Asked again when the new text or the press comes: the question may have moved on
    while the step waited."""
    if question.status != "submitted":
        ctx.say(ctx.tr(f"code.{purpose}.{question.status}", code=question.code))
        return False
    opens = {c.id for c, late in await ctx.engine.open_campaigns(ctx.now) if not late}
    if question.campaign_id not in opens:
        ctx.say(ctx.tr(f"{purpose}.closed"))
        return False
    return True


async def _changeable(ctx: Ctx, purpose: str = "edit") -> list[Question] | None:
    """The person's questions still open to change; None (after saying why) if none."""
    questions = [
        q for q in await ctx.store.questions.of_person(ctx.person.id) if q.status == "submitted"
    ]
    opens = {c.id for c, late in await ctx.engine.open_campaigns(ctx.now) if not late}
    editable = [q for q in questions if q.campaign_id in opens]
    if not editable:
        ctx.reset()
        ctx.say(ctx.tr(f"{purpose}.closed" if questions else f"{purpose}.none"))
        return None
    return editable


def _writing(ctx: Ctx, purpose: str) -> bool:
    """A question being written and not sent yet: kept, and the person told to send or
    cancel it before /sua or /rut (which dropped it without a word)."""
    text = unsent_text(ctx)
    if not text:
        return False
    ctx.say(ctx.tr(f"draft.finish_first.{purpose}", text=short(text, 100)))
    ctx.repeat_prompt()
    return True


async def _own(ctx: Ctx, arg: str) -> Question | None:
    """The question named by a payload, only if it is the person's own."""
    question = await ctx.store.questions.get(int(arg)) if arg.isdecimal() else None
    if question is None or question.person_id != ctx.person.id:
        await ctx.audit("button.forged", target=f"question:{arg}", reason="not the owner")
        ctx.say(ctx.tr("refused"))
        ctx.reset()
        return None
    return question


# -- /sua, /rut: which question? ---------------------------------------------------------

#: A question in the /sua, /rut lists: cut at a word near this many characters.
PICK_CHARS = 70


def pick_texts(questions: list[Question], timezone: tzinfo) -> list[str]:
    """How each question is shown in a list to pick from: its start, cut at a word near
    :data:`PICK_CHARS`; where it starts as another does (half of that or more), the
    start shortened and then where they differ ("Em muốn hỏi tỉnh có chính sách gì… ở
    vùng cao, nhất là…"); where they still look the same, the day and time each was
    sent (codes alone are hard to tell apart)."""
    texts = [short(q.text, PICK_CHARS) for q in questions]
    words = [q.text.split() for q in questions]
    for i, question in enumerate(questions):
        # The most words it starts with in common with another question of the list.
        common = max(
            (_common_words([words[i], other]) for j, other in enumerate(words) if j != i),
            default=0,
        )
        if len(" ".join(words[i][:common])) >= PICK_CHARS // 2:
            texts[i] = _where_it_differs(question.text, common)
    same = {t for t in texts if texts.count(t) > 1}
    for i, q in enumerate(questions):
        if texts[i] in same:
            texts[i] = f"({q.created_at.astimezone(timezone):%d/%m %H:%M}) {texts[i]}"
    return texts


def _common_words(texts: list[list[str]]) -> int:
    """How many words all of ``texts`` start with."""
    count = 0
    for words in zip(*texts, strict=False):
        if len(set(words)) > 1:
            break
        count += 1
    return count


def _where_it_differs(text: str, common: int) -> str:
    """``text`` with its first ``common`` words (the same in another question) shortened,
    then the words from where it differs, all near :data:`PICK_CHARS`."""
    words = text.split()
    head = short(" ".join(words[:common]), PICK_CHARS // 2)
    rest = " ".join(words[max(common - 1, 0) :])
    if not head.endswith("…"):  # a short common start: nothing to leave out
        return short(text, len(head) + PICK_CHARS // 2)
    return f"{head} {short(rest, PICK_CHARS - len(head))}"


def _ask_pick(ctx: Ctx, state: State, title: str, questions: list[Question], action: str) -> None:
    """The person's questions, numbered in the text (enough of each to tell them apart on
    a phone), with their codes as the buttons."""
    texts = pick_texts(questions, ctx.settings.timezone)
    numbered = enumerate(zip(questions, texts, strict=True), start=1)
    lines = [title] + [f"{n}. {q.code}: {text}" for n, (q, text) in numbered]
    choices = [Choice(q.code, action, str(q.id)) for q in questions]
    ctx.ask(state, "\n".join(lines), choices, listed=len(questions))


@router.unmatched_text(State.EDIT_PICK, State.WITHDRAW_PICK)
async def text_at_a_pick(ctx: Ctx, text: str) -> None:
    """Words under the /sua or /rut list: "thôi", "thôi khỏi", "ko" end it (they were
    "Mình chưa hiểu ý bạn" and the list again); anything else is asked again."""
    if drops_draft(text) or intents(text) & {"no", "keep"}:
        ctx.reset()
        ctx.say(ctx.tr("pick.kept"))
        return
    ctx.say(ctx.tt("choice.not_understood"))
    ctx.repeat_prompt()


# -- /sua --------------------------------------------------------------------------------


@router.command("sua", "edit")
async def edit_command(ctx: Ctx) -> None:
    """/sua lets the person pick among their questions; /sua CODE edits that one."""
    if _writing(ctx, "edit"):
        return
    ctx.reset()
    if (ctx.event.text or "").strip():
        question = await _changeable_by_code(ctx, purpose="edit")
        if question is not None:
            await _ask_edit_text(ctx, question)
        return
    editable = await _changeable(ctx)
    if editable is None:
        return
    if len(editable) == 1:
        await _ask_edit_text(ctx, editable[0])
        return
    _ask_pick(ctx, State.EDIT_PICK, ctx.tr("edit.pick"), editable, "ep")


async def _ask_edit_text(ctx: Ctx, question: Question) -> None:
    ctx.data["editing"] = question.id
    ctx.ask(State.EDIT_TEXT, ctx.tr("edit.ask_text", text=question.text))


@router.reask(State.EDIT_PICK, State.EDIT_TEXT)
async def reask_edit(ctx: Ctx) -> None:
    question = await ctx.store.questions.get(int(ctx.data.get("editing") or 0))
    if ctx.state == State.EDIT_TEXT and question and question.person_id == ctx.person.id:
        await _ask_edit_text(ctx, question)
        return
    await edit_command(ctx)


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
    if ctx.greeted(text) or await switch_language(ctx, text, sentences=False):
        return  # "cảm ơn ad", "english please": not the new text (they replaced it)
    if "keep" in intents(text):
        # "thôi", "ko sửa nữa": not changed after all (it replaced the question's text).
        ctx.reset()
        ctx.say(ctx.tr("edit.kept", code=question.code))
        return
    cleaned = check_text(ctx, text)
    if cleaned is None:
        ctx.repeat_prompt()
        return
    if not await _still_changeable(ctx, question, purpose="edit"):
        ctx.reset()
        return
    await ctx.store.questions.update_text(question.id, cleaned, now=ctx.now)
    await ctx.audit("question.edit", target=f"question:{question.id}")
    if await ctx.store.clusters.drop_approval(question.id):
        # An organiser approved the old words for every unit, not these.
        await ctx.audit("cluster.represent_lapsed", target=question.code)
    if ctx.engine.similar is not None:
        edited = await ctx.store.questions.get(question.id)
        if edited is not None:
            await ctx.engine.similar.edited(edited)
    ctx.reset()
    ctx.say(ctx.tr("edit.done", code=question.code))
    if contacts := contact_details(cleaned):
        # No preview after an edit: a number added now is pointed out here.
        ctx.say(ctx.tr("edit.contacts", contact=", ".join(contacts), code=question.code))


# -- /rut ----------------------------------------------------------------------------------


@router.command("rut", "withdraw")
async def withdraw_command(ctx: Ctx) -> None:
    """/rut lets the person pick among their questions; /rut CODE withdraws that one."""
    if _writing(ctx, "withdraw"):
        return
    ctx.reset()
    if (ctx.event.text or "").strip():
        question = await _changeable_by_code(ctx, purpose="withdraw")
        if question is not None:
            _ask_withdraw(ctx, question)
        return
    editable = await _changeable(ctx, "withdraw")
    if editable is None:
        return
    if len(editable) == 1:
        _ask_withdraw(ctx, editable[0])
        return
    _ask_pick(ctx, State.WITHDRAW_PICK, ctx.tr("withdraw.pick"), editable, "wp")


def _ask_withdraw(ctx: Ctx, question: Question) -> None:
    ctx.data["withdrawing"] = question.id
    ctx.ask(
        State.WITHDRAW_CONFIRM,
        ctx.tr("withdraw.confirm", code=question.code, text=short(question.text, 200)),
        [
            [
                Choice(ctx.tr("withdraw.yes"), "wy", intents=("yes", "withdraw.yes")),
                Choice(ctx.tr("withdraw.no"), "wn", intents=("no", "keep", "withdraw.no")),
            ]
        ],
    )


@router.reask(State.WITHDRAW_PICK, State.WITHDRAW_CONFIRM)
async def reask_withdraw(ctx: Ctx) -> None:
    question = await ctx.store.questions.get(int(ctx.data.get("withdrawing") or 0))
    if ctx.state == State.WITHDRAW_CONFIRM and question and question.person_id == ctx.person.id:
        _ask_withdraw(ctx, question)
        return
    await withdraw_command(ctx)


@router.unmatched_text(State.WITHDRAW_CONFIRM)
async def text_at_the_withdrawal(ctx: Ctx, text: str) -> None:
    """ "à thôi em muốn sửa câu hỏi" at "Rút câu hỏi …?": kept, and its edit asked (it was
    "Mình chưa hiểu ý bạn" and the same question); anything else is asked again."""
    question = await _own(ctx, str(ctx.data.get("withdrawing", "")))
    if question is None:
        return
    if idle_request(text) == "sua":
        ctx.say(ctx.tr("withdraw.kept"))
        await _ask_edit_text(ctx, question)
        return
    ctx.say(ctx.tt("choice.not_understood"))
    ctx.repeat_prompt()


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
    if not await _still_changeable(ctx, question, purpose="withdraw"):
        ctx.reset()
        return
    await ctx.store.questions.set_status(question.id, "withdrawn", now=ctx.now)
    await ctx.audit("question.withdraw", target=f"question:{question.id}")
    await _tell_supporters(ctx, question)
    ctx.reset()
    ctx.say(ctx.tr("withdraw.done", code=question.code))


async def _tell_supporters(ctx: Ctx, question: Question) -> None:
    """Those who joined the question withdrawn ("Tôi cũng muốn hỏi câu này"), each in their
    language: their concern lived in it, and a withdrawn question is never answered nor
    counted anywhere; they can send it themselves. The asker's words, masked."""
    supporters = await ctx.store.questions.supporters(question.id)
    if not supporters:
        return
    languages = await ctx.store.people.languages(supporters)
    messages = []
    for person_id in supporters:
        text = translator(languages.get(person_id))(
            "withdraw.supporter_notice",
            code=question.code,
            question=short(masked(question.text, question.asker_name), 200),
        )
        messages.append((person_id, Reply(text), f"withdrawn:{question.id}:{person_id}"))
    await queue_each(ctx.store, messages, kind="notice", now=ctx.now)


@router.action("wn")
async def withdraw_no(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("withdraw.kept"))


# -- /ngonngu ---------------------------------------------------------------------------------


@router.command("ngonngu", "language", "lang")
async def language_command(ctx: Ctx) -> None:
    """/ngonngu en switches at once; /ngonngu alone offers the languages."""
    # "en", "english", "tiếng Anh", "vi", "tiếng việt": the languages' intents.
    wanted = [code for code in SUPPORTED_LANGUAGES if code in intents(ctx.event.text or "")]
    if len(wanted) == 1:
        await _switch_language(ctx, wanted[0], ctx.state)
        return
    if ctx.state != State.LANGUAGE:
        ctx.data["return_state"] = ctx.state
    official = await ctx.official()
    ctx.ask(
        State.LANGUAGE,
        await ctx.addressed("language.ask"),
        [
            [
                Choice(_LANGUAGE_LABELS[code], "lg", code, intents=(code,))
                for code in SUPPORTED_LANGUAGES
            ]
        ],
        formal=official,
    )


@router.action("lg")
async def language_pick(ctx: Ctx, arg: str) -> None:
    if arg not in SUPPORTED_LANGUAGES:
        ctx.say(ctx.tr("button.invalid"))
        ctx.repeat_prompt()
        return
    await _switch_language(ctx, arg, str(ctx.data.pop("return_state", State.IDLE)))


async def _switch_language(ctx: Ctx, language: str, state: str) -> None:
    """Switch, then ask the pending step again in the new language, with new buttons
    (the old prompt's buttons are stale from here on)."""
    await ctx.set_language(language)
    ctx.say(ctx.tr("language.set"))
    ctx.data.pop("return_state", None)
    if state in (State.IDLE, State.LANGUAGE):
        ctx.reset()
        consented = await ctx.store.people.has_consent(ctx.person.id, version=CONSENT_VERSION)
        if not consented and not await ctx.store.roles.of_person(ctx.person.id):
            await welcome(ctx)  # the welcome and the consent in that language: what next
        return
    ctx.conv.state = state
    await ctx.reask()


@router.reask(State.LANGUAGE)
async def reask_language(ctx: Ctx) -> None:
    await language_command(ctx)


# -- /xoa -------------------------------------------------------------------------------------


async def _holds_data(ctx: Ctx) -> bool:
    """Whether anything personal is kept: a consent, details, questions, supports, roles."""
    person = ctx.person
    store = ctx.store
    return bool(
        person.full_name
        or person.unit_id is not None
        or person.category is not None
        or await store.people.has_any_consent(person.id)
        or await store.questions.of_person(person.id, limit=1)
        or await store.questions.supported_by(person.id)
        or await store.roles.of_person(person.id)
    )


@router.command("xoa", "deletedata", "xoadulieu")
async def delete_command(ctx: Ctx) -> None:
    ctx.reset()
    if not await _holds_data(ctx):
        # Never consented: nothing but the chat itself is kept, and that goes now.
        ctx.say(ctx.tr("delete.nothing"))
        await ctx.erase_person()
        return
    # A withdrawn question is not one that "stays so the dialogue can answer it".
    asked = sum(
        1
        for q in await ctx.store.questions.of_person(ctx.person.id, limit=1000)
        if q.status != "withdrawn"
    )
    # An official is told first that the role goes with the data.
    official = await ctx.official()
    ctx.ask(
        State.DELETE_CONFIRM,
        await ctx.addressed("delete.confirm", n=asked)
        if asked
        else await ctx.addressed("delete.confirm_none"),
        [
            [
                Choice(ctx.tr("delete.yes"), "dy", intents=("yes", "delete.yes")),
                Choice(ctx.tr("delete.no"), "dn", intents=("no", "keep", "delete.no")),
            ]
        ],
        formal=official,
    )


@router.reask(State.DELETE_CONFIRM)
async def reask_delete(ctx: Ctx) -> None:
    await delete_command(ctx)


@router.action("dy")
async def delete_yes(ctx: Ctx, _: str) -> None:
    await ctx.store.people.withdraw_consent(ctx.person.id, now=ctx.now)
    await ctx.audit("person.erase", target=f"person:{ctx.person.id}")
    ctx.say(await ctx.addressed("delete.done"))  # before the erasure takes the role
    ctx.reset()
    await ctx.erase_person()


@router.action("dn")
async def delete_no(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(await ctx.addressed("delete.kept"))


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
