"""One person, two channels: link a Zalo and a Telegram identity ("liên kết") with /lienket.

``/lienket`` (alias ``/link``) without a code issues a one-time code, valid for
:data:`CODE_TTL`; the person sends ``/lienket CODE`` on the other app (or opens the Telegram
deep link ``/start l-CODE``). The person typing the code is then merged into the one who
issued it: identities, questions, consents, roles and supports follow, so a question asked
on Zalo can be edited on Telegram and an organiser's role works on both.

Linking joins two identities' personal data, so it needs its own consent, asked at both
ends before anything happens: no code is issued, and no code is used, until the person has
read what is joined (questions, name, unit, supports, an official's role), that whoever
holds the other account sees, edits and withdraws them and receives their answers, and
until when the link is kept, and said yes (audited ``consent.link``). At the end that types
the code the prompt also warns never to type a code someone else gave: a stranger's code
would hand the person's questions (and role) to the stranger.

Codes are stored hashed (sha256), used once, and only accepted on a channel other than the
one that issued them. Wrong, expired and reused codes are refused and audited
(``identity.link_failed``); after :data:`MAX_FAILURES` refusals within
:data:`FAILURE_WINDOW` a person's attempts are refused unread, so codes cannot be guessed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from handlers.delivery import queue_for_person
from handlers.engine import Choice, Ctx, Router
from handlers.events import Reply
from handlers.intake import clean_text
from handlers.states import State
from handlers.understanding import question_like
from locales import translator
from storage.links import LINK_FAILED_ACTION, LinkCode
from storage.models import Person

router = Router()

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=15)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)
START_PREFIX = "l-"

#: Separators people type inside a code ("123 456", "123-456") are ignored.
_SEPARATORS = re.compile(r"[\s.-]+")
_CODE = re.compile(rf"^\d{{{CODE_DIGITS}}}$")
_APP_NAMES = {"zalo": "Zalo", "telegram": "Telegram"}
#: Profile fields the merged person takes from the other identity when it has none.
_FILLED_FIELDS = ("full_name", "unit_id", "category")


def hash_code(code: str) -> str:
    """The stored form of a code (sha256 hex of its digits)."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def normalize_code(text: str) -> str | None:
    """The code's digits, or ``None`` when ``text`` cannot be a code."""
    cleaned = _SEPARATORS.sub("", text.strip())
    return cleaned if _CODE.match(cleaned) else None


def _other_app(ctx: Ctx) -> str:
    channel = ctx.event.channel
    others = [name for key, name in _APP_NAMES.items() if key != channel]
    if channel in _APP_NAMES and len(others) == 1:
        return others[0]
    return ctx.tr("link.other_app")


@router.command("lienket", "link")
async def link_command(ctx: Ctx) -> None:
    argument = (ctx.event.text or "").strip()
    if argument:
        await redeem(ctx, argument)
    else:
        await _ask_consent(ctx, "issue")


@router.start_payload(START_PREFIX)
async def link_deep_link(ctx: Ctx, argument: str) -> None:
    await redeem(ctx, argument)


async def _ask_consent(ctx: Ctx, purpose: str, code_hash: str | None = None) -> None:
    """What linking joins and who will see it, then yes or no; the step the person was
    at (a question half written) comes back afterwards. An official is asked formally,
    and told that their role goes with the account too."""
    if ctx.state != State.LINK_CONFIRM:
        ctx.data["link_back"] = {"state": ctx.state, "prompt": ctx.data.get("prompt")}
    ctx.data["link"] = {"purpose": purpose, "code": code_hash}
    key = "link.consent" if purpose == "issue" else "link.consent_redeem"
    official = await ctx.official()
    ctx.ask(
        State.LINK_CONFIRM,
        await ctx.addressed(key, app=_other_app(ctx)),
        [
            [
                Choice(ctx.tr("link.consent_yes"), "ly", intents=("yes",)),
                Choice(ctx.tr("link.consent_no"), "ln", intents=("no",)),
            ]
        ],
        again=await ctx.addressed("link.consent_again"),
        formal=official,
    )


@router.reask(State.LINK_CONFIRM)
async def reask_link(ctx: Ctx) -> None:
    pending = ctx.data.get("link") or {}
    await _ask_consent(ctx, pending.get("purpose", "issue"), pending.get("code"))


@router.unmatched_text(State.LINK_CONFIRM)
async def text_at_the_link_prompt(ctx: Ctx, text: str) -> None:
    """A question typed instead of yes or no: nothing is linked, and the words go where
    they would have gone without /lienket (the step the person was at, or a new
    question), never lost as "not understood"."""
    if not question_like(clean_text(text), strict=True):
        ctx.say(ctx.tt("choice.not_understood"))
        ctx.repeat_prompt()
        return
    ctx.say(await ctx.addressed("link.declined"))
    state = await _back(ctx, show=False)
    router = ctx.engine.router
    handler = router.texts.get(state) or router.unmatched.get(state)
    if state != State.IDLE and handler is not None:
        await handler(ctx, text)
    else:
        await ctx.engine.command(ctx, "hoi", text)


async def _back(ctx: Ctx, *, show: bool = True) -> str:
    """Leave the linking step: the step the person was at is shown again (its short
    wording, as after any interruption), with buttons that work; its state."""
    ctx.data.pop("link", None)
    back = ctx.data.pop("link_back", None) or {}
    prompt = back.get("prompt")
    if back.get("state") in (None, State.IDLE) or not prompt:
        ctx.reset()
        return State.IDLE
    ctx.conv.state = back["state"]
    ctx.conv.step += 1

    def renumbered(payload: str) -> str:
        return f"{ctx.conv.step}.{payload.split('.', 1)[1]}"

    prompt["buttons"] = [[[label, renumbered(p)] for label, p in row] for row in prompt["buttons"]]
    prompt["intents"] = {renumbered(p): i for p, i in prompt.get("intents", {}).items()}
    ctx.data["prompt"] = prompt
    if show:
        ctx.repeat_prompt()
    return str(ctx.conv.state)


@router.action("ly")
async def link_yes(ctx: Ctx, _: str = "") -> None:
    pending = ctx.data.get("link") or {}
    purpose = pending.get("purpose", "issue")
    await ctx.audit("consent.link", target=f"person:{ctx.person.id}", purpose=purpose)
    if purpose == "issue":
        await issue(ctx)
        await _back(ctx)
        return
    code = await ctx.store.links.find(pending["code"]) if pending.get("code") else None
    ctx.reset()
    if code is None:  # replaced by a newer code meanwhile
        await _refuse(ctx, "wrong", "link.wrong")
        return
    target = await _usable(ctx, code)  # used, expired or clashing since it was typed?
    if target is not None:
        await _merge(ctx, target, code)


@router.action("ln")
async def link_no(ctx: Ctx, _: str = "") -> None:
    await ctx.audit("consent.link_declined", target=f"person:{ctx.person.id}")
    ctx.say(await ctx.addressed("link.declined"))
    await _back(ctx)


async def issue(ctx: Ctx) -> None:
    """Give the person a fresh code to type on their other app (after their consent)."""
    links = ctx.store.links
    for _ in range(20):
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if not await links.in_use(hash_code(code), now=ctx.now):
            break
    else:  # pragma: no cover - a million codes cannot all be taken
        raise RuntimeError("no free link code")
    await links.issue(
        code_hash=hash_code(code),
        person_id=ctx.person.id,
        channel=ctx.event.channel,
        now=ctx.now,
        expires_at=ctx.now + CODE_TTL,
    )
    await ctx.audit(
        "identity.link_code", target=f"person:{ctx.person.id}", channel=ctx.event.channel
    )
    minutes = int(CODE_TTL.total_seconds() // 60)
    ctx.say(await ctx.addressed("link.code", code=code, minutes=minutes, app=_other_app(ctx)))


async def redeem(ctx: Ctx, typed: str) -> None:
    """Link the current identity to the person who issued ``typed``, if the code is good."""
    since = ctx.now - FAILURE_WINDOW
    if await ctx.store.links.failures_since(ctx.person.id, since) >= MAX_FAILURES:
        await ctx.audit("identity.link_limited", target=f"person:{ctx.person.id}")
        ctx.say(await ctx.addressed("link.too_many"))
        ctx.repeat_prompt()
        return
    code = normalize_code(typed)
    code_hash = hash_code(code) if code is not None else None
    found = await ctx.store.links.find(code_hash) if code_hash is not None else None
    if found is None:
        await _refuse(ctx, "wrong", "link.wrong")
        return
    if await _usable(ctx, found) is not None:
        # A good code: nothing is joined before the person has read what and said yes.
        await _ask_consent(ctx, "redeem", code_hash)


async def _usable(ctx: Ctx, found: LinkCode) -> Person | None:
    """The person who issued ``found`` when this identity may be linked to them now;
    otherwise the refusal is said and ``None`` returned."""
    if found.used_at is not None:
        await _refuse(ctx, "used", "link.used")
        return None
    if found.expired(ctx.now):
        await _refuse(ctx, "expired", "link.expired")
        return None
    if found.person_id == ctx.person.id:
        # Their own code typed back where it was issued: a slip, not a guess.
        key = "link.same_channel" if found.channel == ctx.event.channel else "link.already"
        ctx.say(await ctx.addressed(key, app=_other_app(ctx)))
        ctx.repeat_prompt()
        return None
    if found.channel == ctx.event.channel:
        await _refuse(ctx, "same channel", "link.wrong")
        return None
    target = await ctx.store.people.get(found.person_id)
    if target is None:  # pragma: no cover - the code goes with its person (cascade)
        await _refuse(ctx, "wrong", "link.wrong")
        return None
    if not await _compatible(ctx, target, found):
        return None
    return target


async def _refuse(ctx: Ctx, reason: str, key: str) -> None:
    await ctx.audit(
        LINK_FAILED_ACTION,
        target=f"person:{ctx.person.id}",
        reason=reason,
        channel=ctx.event.channel,
    )
    ctx.say(await ctx.addressed(key))
    ctx.repeat_prompt()


async def _compatible(ctx: Ctx, target: Person, code: LinkCode) -> bool:
    """One identity per channel and person: refuse when both have one on the same app."""
    mine = {identity.channel for identity in await ctx.store.people.identities(ctx.person.id)}
    theirs = {identity.channel for identity in await ctx.store.people.identities(target.id)}
    clash = mine & theirs
    if not clash:
        return True
    await ctx.store.links.mark_used(code.id, now=ctx.now)
    await ctx.audit(
        LINK_FAILED_ACTION,
        target=f"person:{target.id}",
        reason="already linked",
        channel=ctx.event.channel,
    )
    app = _APP_NAMES.get(sorted(clash)[0], sorted(clash)[0])
    ctx.say(await ctx.addressed("link.conflict", app=app))
    ctx.repeat_prompt()
    return False


async def _merge(ctx: Ctx, target: Person, code: LinkCode) -> None:
    source = ctx.person
    people = ctx.store.people
    if not await ctx.store.links.mark_used(code.id, now=ctx.now):  # pragma: no cover
        await _refuse(ctx, "used", "link.used")
        return
    filled = {
        name: getattr(source, name)
        for name in _FILLED_FIELDS
        if getattr(target, name) is None and getattr(source, name) is not None
    }
    if "full_name" in filled:
        filled["anonymous"] = source.anonymous
    if filled:
        await people.update(target.id, now=ctx.now, **filled)
    await people.merge(source.id, target.id)
    # The person this event came from no longer exists: answer as the merged person, in
    # their language. The engine does not save the (deleted) source's conversation.
    merged = await people.get(target.id)
    assert merged is not None
    ctx.person = merged
    ctx.tr = translator(merged.language)
    await ctx.audit(
        "identity.link",
        target=f"person:{target.id}",
        merged=source.id,
        channel=ctx.event.channel,
        issued_on=code.channel,
    )
    ctx.say(await ctx.addressed("link.done", app=_APP_NAMES.get(code.channel, code.channel)))
    # Tell the issuing app too, so a code that leaked cannot link a stranger unnoticed.
    await queue_for_person(
        ctx.store,
        target.id,
        Reply(
            await ctx.addressed(
                "link.notice", app=_APP_NAMES.get(ctx.event.channel, ctx.event.channel)
            )
        ),
        kind="notice",
        now=ctx.now,
        dedup_key=f"link:{code.id}",
        channels=(code.channel,),
    )
