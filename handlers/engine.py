"""The conversation engine: one :class:`Event` in, replies out, state stored.

Platform-independent: Telegram, Zalo and the terminal feed it the same events. Each event
is handled in one database transaction, so a crash leaves either the whole effect or none,
and a restart continues from the stored state.

Button payloads have the form ``<step>.<action>[.<arg>]``: ``step`` is the conversation's
prompt counter, so a press on an older prompt is recognised as stale; only payloads the
current prompt offered are accepted (anything else is forged and audited).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz

from bot.campaign.unitsearch import UnitSearch, example_names
from bot.clock import Clock
from bot.clustering.normalize import fold, plain
from handlers.events import Attachment, Button, Event, EventKind, Reply
from handlers.states import DRAFT_STATES, OFFICIAL_STATES, State
from handlers.understanding import (
    ambiguous,
    drops_draft,
    intents,
    never_mind,
    only_thanks,
    typed_number,
)
from locales import DEFAULT_LANGUAGE, Translator, normalize_language, translator
from storage import Store
from storage.models import (
    Campaign,
    Conversation,
    DeadlineKind,
    Person,
    Question,
    Topic,
    Unit,
    UnitKind,
)

log = logging.getLogger(__name__)

_LOOSE_COMMAND = re.compile(r"^\s*/[^\W\d_][\w]{0,31}(\s|$)")
_PAYLOAD = re.compile(r"^(\d{1,9})\.([a-z]{1,3})(?:\.([A-Za-z0-9_-]{1,40}))?$")
CONSENT_VERSION = "2025-1"
# Media kinds by what the person is told about them (``media.<group>``).
_MEDIA_GROUPS = {
    "sticker": "sticker",
    "animation": "sticker",
    "photo": "photo",
    "video": "video",
    "video_note": "video",
    "voice": "voice",
    "audio": "voice",
    "document": "document",
}
# The yes/no questions of a young person's flow a thumbs-up sticker answers "yes".
_STICKER_YES_STATES = frozenset({State.CONSENT, State.UNIT_CONFIRM, State.SUPPORTED, State.PREVIEW})
# Steps before the question is written where "thôi" means never mind (not at the group
# step: there it skips the optional group).
_NEVER_MIND_STEPS = frozenset({State.UNIT_QUERY, State.UNIT_PICK, State.NAME, State.TOPIC})
CHOICE_MIN_SCORE = 85.0  # a typed option must match its label this well (0-100)
CHOICE_MARGIN = 5.0  # ... and better than any other option


def short(text: str, limit: int = 200) -> str:
    """``text`` on one line, cut at a word to at most ``limit`` characters ("…")."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


@lru_cache(maxsize=1024)
def _topic_key(name: str) -> str:
    """The catalogue key of a default topic group ("Chuyển đổi số" →
    ``topic.default.chuyen_doi_so``), asked for every topic prompt."""
    return "topic.default." + plain(name).replace(" ", "_")


def topic_label(tr: Translator, name: str) -> str:
    """A topic group's name as a reader of ``tr``'s language reads it: a default group in
    their language (``locales/*/topics.po``), any other as the organiser wrote it."""
    key = _topic_key(name)
    return tr(key) if tr.has(key) else name


@dataclass(frozen=True)
class EngineSettings:
    """Limits the intake applies; built from :mod:`bot.application.config` by the application."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    questions_per_hour: int = 10
    draft_ttl: timedelta = timedelta(hours=72)
    max_question_chars: int = 2000
    min_question_chars: int = 10
    cache_seconds: float = 5.0
    # Messages sent this close together, before any answer, are one burst: a paste the
    # app split, a flood (see Engine._in_burst).
    burst_gap: timedelta = timedelta(seconds=2)
    # Channels that show buttons; elsewhere options are numbered and typed.
    button_channels: frozenset[str] = frozenset({"telegram"})
    # The deployment's province unit code (YOUTHBOT_PROVINCE): whose campaigns the roles
    # given without a campaign belong to (handlers.audience).
    home_province: str | None = None


@dataclass(frozen=True)
class SimilarHit:
    """An earlier question close to the one being written."""

    question_id: int
    code: str
    text: str
    people: int


class SimilarFinder(Protocol):
    """Finds already-asked questions of a campaign close to a text (clustering issue)."""

    async def find(
        self, campaign: Campaign, text: str, *, limit: int, unit_id: int, topic_id: int
    ) -> list[SimilarHit]:
        """Questions close to ``text`` that a young person of ``unit_id`` may be shown."""
        ...

    async def added(self, question: Question) -> None: ...

    async def edited(self, question: Question) -> None:
        """The asker changed ``question``'s words: only the new ones find it now."""
        ...

    async def warm_up(self) -> None:
        """Prepare every open campaign's lookup before traffic arrives."""
        ...


class DigestMaker(Protocol):
    """Makes a digest message and its files for one scope (the digests issue)."""

    async def make(
        self,
        campaign: Campaign,
        *,
        scope_kind: str,
        unit_id: int | None,
        department: str | None,
        show_names: bool,
        language: str,
        person_id: int,
        channel: str,
    ) -> tuple[str, list[Attachment]]:
        """The digest text and files. On a channel that cannot carry files (Zalo) the
        files go by Telegram or e-mail where the person has one, and the text says so."""
        ...


class DocumentDesk(Protocol):
    """Files in chat (implemented in :mod:`bot.documents.desk`): departments' answer
    sheets ("phiếu trả lời") and a filled one read back; the documents after the
    questions (the compilation of answers, the live programme, the conclusion notice, the
    report) as Word files an official can send as they are."""

    async def send_document(self, ctx: Ctx, kind: str, campaign: Campaign) -> None:
        """Reply with ``campaign``'s document ``kind`` ("answers", "programme",
        "conclusion", "report") as a DOCX file."""
        ...

    async def send_sheet(self, ctx: Ctx, department: str) -> None:
        """Reply with ``department``'s sheet of questions waiting for its answers."""
        ...

    async def receive(self, ctx: Ctx, name: str, content: bytes | None) -> bool:
        """Read a file an official sent as a filled sheet and record its answers (all or
        none); False when it is not one for this person (a young person's file)."""
        ...


@dataclass(frozen=True)
class Choice:
    """A button before it gets its payload: ``action`` and ``arg`` are short ASCII.

    ``intents`` name what a typed reply may say to choose it without its label or number
    (``"yes"`` for "đồng ý", "ok", "có"; see :mod:`handlers.understanding`).
    """

    label: str
    action: str
    arg: str = ""
    intents: tuple[str, ...] = ()


class Ctx:
    """What one handler invocation works with; collects the replies."""

    def __init__(
        self,
        engine: Engine,
        event: Event,
        person: Person,
        conv: Conversation,
        now: datetime,
    ) -> None:
        self.engine = engine
        self.event = event
        self.person = person
        self.conv = conv
        self.now = now
        self.replies: list[Reply] = []
        self.tr: Translator = translator(person.language)
        self.erased = False
        # Sent before the person saw a list that has changed since: a number typed now
        # belongs to the list on their screen, not to the new one.
        self.earlier_list = False
        # Zalo and the terminal show no buttons: options are numbered and typed.
        self.typed = event.channel not in engine.settings.button_channels
        # Never answered before: this person's very first message.
        self.first_contact = conv.updated_at is None and conv.step == 0
        # Where this message's text went ("draft", "overflow"...): the next message of
        # the same burst continues it (see Engine._continue).
        self.collected: str | None = None

    def collect(self, target: str) -> None:
        """Note that this message's text was kept in ``target`` (a continuation key)."""
        self.collected = target

    def tt(self, key: str, /, **kwargs: Any) -> str:
        """``key``, or its ``<key>.typed`` wording on a channel without buttons; at an
        official's step, its ``<key>.formal`` wording ("đồng chí") where there is one."""
        names = [f"{key}.formal", key] if self.formal_step else [key]
        if self.typed:
            names = [name + suffix for name in names for suffix in (".typed", "")]
        return self.tr(next((n for n in names if self.tr.has(n)), key), **kwargs)

    @property
    def formal_step(self) -> bool:
        """The step asked now is an official's: a task, or a shared step (/lienket, /xoa)
        asked of a person holding a role."""
        prompt = self.conv.data.get("prompt") or {}
        return self.conv.state in OFFICIAL_STATES or bool(prompt.get("formal"))

    async def official(self) -> bool:
        """This person holds a role (secretary, organiser, department, admin)."""
        return bool(await self.store.roles.of_person(self.person.id))

    async def addressed(self, key: str, /, **kwargs: Any) -> str:
        """``key`` as said to this person: its ``<key>.official`` wording ("đồng chí",
        what their role changes) when they hold a role and there is one. For the steps
        young people and officials share (/lienket, /xoa); a plural key is read with ``n``."""
        if self.tr.has(f"{key}.official") and await self.official():
            key = f"{key}.official"
        if "n" in kwargs:
            count = kwargs.pop("n")
            return self.tr.n(key, count, **kwargs)
        return self.tr(key, **kwargs)

    async def refuse(self) -> None:
        """Not this person's to do: said to an official formally, with where to look."""
        self.say(self.tr("refused.official" if await self.official() else "refused"))

    @property
    def store(self) -> Store:
        return self.engine.store

    @property
    def settings(self) -> EngineSettings:
        return self.engine.settings

    @property
    def state(self) -> str:
        return self.conv.state

    @property
    def data(self) -> dict[str, Any]:
        return self.conv.data

    @property
    def draft(self) -> dict[str, Any]:
        draft: dict[str, Any] = self.conv.data.setdefault("draft", {})
        return draft

    def local_date_text(self, when: Any) -> str:
        return f"{when:%d/%m/%Y}"

    def say(self, text: str) -> None:
        self.replies.append(Reply(text))

    def ask(
        self,
        state: State | str,
        text: str,
        choices: Sequence[Choice] | Sequence[Sequence[Choice]] = (),
        *,
        listed: int = 0,
        again: str | None = None,
        formal: bool = False,
    ) -> None:
        """Move to ``state`` and prompt; older buttons become stale. ``listed``: the first
        choices are numbered in ``text`` already (:attr:`Reply.listed`). ``again``: a
        shorter text for the same choices when the step is shown again in the same
        conversation (a long notice is not repeated whole on a phone screen). ``formal``:
        a shared step asked of an official (an official's task's state is formal anyway)."""
        self.conv.state = str(state)
        self.conv.step += 1
        rows: list[list[Choice]] = []
        for item in choices:
            rows.append([item] if isinstance(item, Choice) else list(item))
        buttons = tuple(tuple(Button(c.label, self.payload(c)) for c in row) for row in rows if row)
        self.conv.data["prompt"] = {
            "text": text,
            "buttons": [[[b.label, b.payload] for b in row] for row in buttons],
            "intents": {self.payload(c): list(c.intents) for row in rows for c in row if c.intents},
        }
        if listed:
            self.conv.data["prompt"]["listed"] = listed
        if again:
            self.conv.data["prompt"]["again"] = again
        formal = formal or state in OFFICIAL_STATES
        if formal:
            self.conv.data["prompt"]["formal"] = True
        self.replies.append(
            Reply(
                text,
                buttons=buttons,
                replaces_prompt=self.event.kind == EventKind.BUTTON,
                listed=listed,
                formal=formal,
            )
        )

    def payload(self, choice: Choice) -> str:
        base = f"{self.conv.step}.{choice.action}"
        return f"{base}.{choice.arg}" if choice.arg else base

    def topic_name(self, topic: Topic | None) -> str:
        """A topic group's name as this person reads it: a default group in their language
        (``locales/*/topics.po``), any other as the organiser wrote it."""
        if topic is None:
            return "?"
        return topic_label(self.tr, topic.name)

    def greeted(self, text: str) -> bool:
        """A hello or a thank-you typed at a step that expects an answer ("chào ad", "alo",
        "cảm ơn ad"): answered and the step shown again. Steps where any text is content
        (a question, a broadcast) do not ask this."""
        if self.state == State.IDLE:
            return False
        if "greeting" in intents(text):
            self.say(self.tt("greeting.midway"))
        elif only_thanks(text):
            self.say(self.tt("greeting.thanks_midway"))
        else:
            return False
        self.repeat_prompt()
        return True

    def repeat_prompt(self) -> None:
        prompt = self.conv.data.get("prompt")
        if not prompt or self.conv.state == State.IDLE:
            return
        text = prompt.get("again") or prompt["text"]
        if self.replies and self.replies[-1].text in (text, prompt["text"]):
            return  # already shown in this answer
        buttons = tuple(
            tuple(Button(label, payload) for label, payload in row) for row in prompt["buttons"]
        )
        listed = 0 if "again" in prompt else int(prompt.get("listed", 0))
        self.replies.append(Reply(text, buttons=buttons, listed=listed, formal=self.formal_step))

    def reset(self) -> None:
        """Back to idle, dropping any draft."""
        self.conv.state = State.IDLE
        self.conv.step += 1
        self.conv.data = {}

    async def update_person(self, **fields: Any) -> None:
        """Change the person's stored details and the copy this handler works with."""
        await self.store.people.update(self.person.id, now=self.now, **fields)
        self.person = dataclasses.replace(self.person, **fields)

    async def set_language(self, language: str) -> None:
        language = normalize_language(language)
        await self.update_person(language=language)
        self.tr = translator(language)

    async def reask(self) -> None:
        """Ask the pending step again from what is stored, in the current language and
        with new buttons (the old ones become stale); a step nobody registered a way to
        re-ask is shown again as it was."""
        again = self.engine.router.reasks.get(self.state)
        if again is not None and self.state != State.IDLE:
            await again(self)
        else:
            self.repeat_prompt()

    async def erase_person(self) -> None:
        """Delete the person's data; nothing of the conversation is saved afterwards."""
        await self.store.people.erase(self.person.id)
        self.erased = True

    async def audit(self, action: str, *, target: str = "", **detail: Any) -> None:
        await self.store.audit.record(
            action, at=self.now, actor_id=self.person.id, target=target, detail=detail
        )


CommandFn = Callable[[Ctx], Awaitable[None]]
TextFn = Callable[[Ctx, str], Awaitable[None]]
ActionFn = Callable[[Ctx, str], Awaitable[None]]
ReaskFn = Callable[[Ctx], Awaitable[None]]
ContinueFn = Callable[[Ctx, str, bool], Awaitable[bool]]


@dataclass
class Router:
    """What handler modules register: commands, free-text handlers per state, actions."""

    commands: dict[str, CommandFn] = field(default_factory=dict)
    texts: dict[str, TextFn] = field(default_factory=dict)
    actions: dict[str, ActionFn] = field(default_factory=dict)
    payloads: dict[str, ActionFn] = field(default_factory=dict)  # /start payload prefixes
    reasks: dict[str, ReaskFn] = field(default_factory=dict)  # re-ask a state's prompt
    # Joining the next message of a burst to text kept by the previous one, by where
    # it was kept; the flag says the platform cut the previous text at its length limit.
    continuations: dict[str, ContinueFn] = field(default_factory=dict)
    # Text typed at a choice step that matches none of its options (instead of the
    # engine's "I didn't understand" and the prompt again).
    unmatched: dict[str, TextFn] = field(default_factory=dict)

    def command(self, *names: str) -> Callable[[CommandFn], CommandFn]:
        def register(fn: CommandFn) -> CommandFn:
            for name in names:
                self.commands[name] = fn
            return fn

        return register

    def text(self, *states: State | str) -> Callable[[TextFn], TextFn]:
        def register(fn: TextFn) -> TextFn:
            for state in states:
                self.texts[str(state)] = fn
            return fn

        return register

    def unmatched_text(self, *states: State | str) -> Callable[[TextFn], TextFn]:
        """Register what to do with text typed at a choice step of ``states`` that is no
        option (it is still free to say it did not understand)."""

        def register(fn: TextFn) -> TextFn:
            for state in states:
                self.unmatched[str(state)] = fn
            return fn

        return register

    def action(self, *codes: str) -> Callable[[ActionFn], ActionFn]:
        def register(fn: ActionFn) -> ActionFn:
            for code in codes:
                self.actions[code] = fn
            return fn

        return register

    def start_payload(self, *prefixes: str) -> Callable[[ActionFn], ActionFn]:
        def register(fn: ActionFn) -> ActionFn:
            for prefix in prefixes:
                self.payloads[prefix] = fn
            return fn

        return register

    def reask(self, *states: State | str) -> Callable[[ReaskFn], ReaskFn]:
        """Register how to ask a state's prompt again (after a language switch)."""

        def register(fn: ReaskFn) -> ReaskFn:
            for state in states:
                self.reasks[str(state)] = fn
            return fn

        return register

    def continuation(self, *targets: str) -> Callable[[ContinueFn], ContinueFn]:
        """Register how the next message of a burst continues text kept in ``targets``."""

        def register(fn: ContinueFn) -> ContinueFn:
            for target in targets:
                self.continuations[target] = fn
            return fn

        return register

    def include(self, other: Router) -> None:
        tables: list[tuple[dict[str, Any], dict[str, Any]]] = [
            (self.commands, other.commands),
            (self.texts, other.texts),
            (self.actions, other.actions),
            (self.payloads, other.payloads),
            (self.reasks, other.reasks),
            (self.continuations, other.continuations),
            (self.unmatched, other.unmatched),
        ]
        for mine, theirs in tables:
            clash = set(mine) & set(theirs)
            if clash:
                raise ValueError(f"registered twice: {sorted(clash)}")
            mine.update(theirs)


def _say_expired(ctx: Ctx, supported: object) -> None:
    """The draft was dropped unsent; left after joining a similar question (``supported``:
    its code), the support stands and is said to (not "the question was not sent")."""
    if supported:
        ctx.say(ctx.tr("draft.expired_supported", code=str(supported)))
    else:
        ctx.say(ctx.tr("draft.expired"))


#: Steps with free text where a number word alone ("hai", "số hai", "two") is no content
#: (it is not a question nor words to add to one): it picks the option, as "2" does.
#: Elsewhere ("Hai" is a name) number words count only where nothing else can be typed.
_NUMBER_WORD_STATES: frozenset[str] = frozenset({State.SIMILAR, State.SUPPORTED, State.PREVIEW})


class Engine:
    """Handles events from any channel; see the module docstring."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        settings: EngineSettings | None = None,
        similar: SimilarFinder | None = None,
        digests: DigestMaker | None = None,
        documents: DocumentDesk | None = None,
        routers: Sequence[Router],
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings or EngineSettings()
        self.similar = similar
        self.digests = digests
        self.documents = documents
        self.router = Router()
        for router in routers:  # handlers.routers(): one list, built by the caller
            self.router.include(router)
        self._cache_at = -1.0
        self._campaigns: list[Campaign] = []
        self._unit_search: UnitSearch | None = None
        self._units: dict[int, Unit] = {}
        self._topics: dict[int, Topic] = {}
        self._examples: dict[tuple[int | None, int], list[str]] = {}

    # -- cached reference data ------------------------------------------------------

    def invalidate(self) -> None:
        """Forget cached campaigns and units (after an edit from the same process)."""
        self._cache_at = -1.0

    async def _refresh(self) -> None:
        if time.monotonic() - self._cache_at < self.settings.cache_seconds:
            return
        self._campaigns = await self.store.campaigns.active()
        units = await self.store.units.all()
        self._units = {u.id: u for u in units}
        # Hidden units (duplicates, mistaken imports) keep their questions but are not offered.
        self._unit_search = UnitSearch(
            [u for u in units if u.kind != UnitKind.PROVINCE and not u.hidden]
        )
        self._examples = {}
        self._topics = {}
        for campaign in self._campaigns:
            for topic in await self.store.campaigns.topics(campaign.id, include_inactive=True):
                self._topics[topic.id] = topic
        self._cache_at = time.monotonic()

    async def open_campaigns(self, now: datetime) -> list[tuple[Campaign, bool]]:
        """Campaigns taking questions now, each with whether a question would be late."""
        await self._refresh()
        today = now.astimezone(self.settings.timezone).date()
        found: list[tuple[Campaign, bool]] = []
        for campaign in self._campaigns:
            close = campaign.deadline(DeadlineKind.QUESTIONS_CLOSE)
            if today <= close:
                found.append((campaign, False))
            elif campaign.accept_late and today <= campaign.dialogue_date:
                found.append((campaign, True))
        return found

    async def recently_closed(self, now: datetime) -> Campaign | None:
        await self._refresh()
        today = now.astimezone(self.settings.timezone).date()
        closed = [c for c in self._campaigns if c.deadline(DeadlineKind.QUESTIONS_CLOSE) < today]
        return max(closed, key=lambda c: c.dialogue_date) if closed else None

    async def campaign(self, campaign_id: int) -> Campaign | None:
        await self._refresh()
        for campaign in self._campaigns:
            if campaign.id == campaign_id:
                return campaign
        return await self.store.campaigns.get(campaign_id)

    async def topics(self, campaign_id: int) -> list[Topic]:
        """A campaign's active topic groups, in order (cached briefly)."""
        await self._refresh()
        found = [t for t in self._topics.values() if t.campaign_id == campaign_id and t.active]
        if not found:
            return await self.store.campaigns.topics(campaign_id)
        return sorted(found, key=lambda t: (t.position, t.id))

    async def topic(self, topic_id: int) -> Topic | None:
        await self._refresh()
        return self._topics.get(topic_id) or await self.store.campaigns.topic(topic_id)

    async def unit(self, unit_id: int) -> Unit | None:
        await self._refresh()
        return self._units.get(unit_id) or await self.store.units.get(unit_id)

    async def unit_examples(self, campaign: Campaign | None, *, limit: int = 2) -> list[str]:
        """Names to show as examples in the unit prompt, from the campaign's own units: its
        province's for a province campaign, the host and the units under it otherwise."""
        await self._refresh()
        key = (campaign.host_unit_id if campaign is not None else None, limit)
        cached = self._examples.get(key)
        if cached is not None:  # the same until the units are read again
            return cached
        units = list(self._units.values())
        if campaign is not None:
            host = self._units.get(campaign.host_unit_id)
            if host is not None and host.kind == UnitKind.PROVINCE:
                units = [u for u in units if u.province_code == host.code]
            elif host is not None:
                units = [u for u in units if host.code in (u.code, u.parent_code)]
        found = self._examples[key] = example_names(units, limit=limit)
        return found

    async def unit_search(self) -> UnitSearch:
        await self._refresh()
        assert self._unit_search is not None
        return self._unit_search

    # -- handling -------------------------------------------------------------------

    async def handle(self, event: Event) -> list[Reply]:
        """Handle one event; its effects and the new state are committed together."""
        now = self.clock.now()
        async with self.store.transaction(quick=True):  # a few small statements
            new, found = await self.store.conversations.open_event(
                event.channel, event.user_id, update_id=event.update_id, now=now
            )
            if not new:
                return []  # a redelivered update: handled once already
            if found is None:
                person, _ = await self.store.people.get_or_create(
                    channel=event.channel,
                    external_id=event.user_id,
                    chat_id=event.reply_chat,
                    display_name=None,  # nothing personal is kept before consent
                    # Vietnamese whatever the app's language: most young Vietnamese use
                    # Telegram in English. English is one /ngonngu away.
                    language=DEFAULT_LANGUAGE,
                    now=now,
                )
                conv = None
            else:
                person, conv = found
                if person.unreachable:
                    # Marked as having blocked the bot on every app, yet they write: this
                    # app reaches them again, and what was kept for them (answers) goes.
                    # (Telegram also says so with my_chat_member, which can be lost.)
                    await self.store.people.set_blocked(event.channel, event.user_id, blocked=False)
            ctx = Ctx(self, event, person, conv or Conversation(person.id, State.IDLE, 0, {}), now)
            self._expire_draft(ctx)
            await self._dispatch(ctx)
            if not ctx.erased:
                await self.store.conversations.save(ctx.conv, now=now)
        return ctx.replies

    def _expire_draft(self, ctx: Ctx) -> None:
        if ctx.conv.data.pop("draft_expired", None):  # dropped by the scheduler's tick
            _say_expired(ctx, ctx.conv.data.pop("supported", None))
            return
        updated = ctx.conv.updated_at
        if (
            ctx.conv.state in DRAFT_STATES
            and updated is not None
            and ctx.now - updated > self.settings.draft_ttl
        ):
            supported = ctx.draft.get("supported") if ctx.state == State.SUPPORTED else None
            ctx.reset()
            _say_expired(ctx, supported)

    async def _dispatch(self, ctx: Ctx) -> None:
        event = ctx.event
        if event.kind == EventKind.TEXT and _LOOSE_COMMAND.match(event.text):
            # Platforms only mark ASCII commands; "/hỏi" arrives as plain text.
            name, _, rest = event.text.strip()[1:].partition(" ")
            event = dataclasses.replace(
                event,
                kind=EventKind.COMMAND,
                command=name,
                text=rest.strip(),
                payload=rest.strip() or None,
            )
            ctx.event = event
        in_burst = self._in_burst(ctx)
        state, step = ctx.conv.state, ctx.conv.step
        seen = self._seen_list(ctx, in_burst=in_burst)
        ctx.earlier_list = seen != self._list_print(ctx)
        after_cut = self._after_cut(ctx)
        # An option's number sent along ("1" right after the question) is no part of the
        # text left open: it is read as a choice (of a list the person had not seen).
        number = not after_cut and typed_number(event.text) is not None
        continues = (in_burst and not number) or after_cut
        if continues and self._textual(event) and await self._continue(ctx):
            pass  # the rest of a message the app split, or of a flood: joined, no answer
        elif event.kind == EventKind.COMMAND:
            await self._command(ctx)
        elif event.kind == EventKind.BUTTON:
            await self._button(ctx, event.payload or "")
        elif (
            event.kind == EventKind.MEDIA
            and event.file_name
            and self.documents is not None
            and await self.documents.receive(ctx, event.file_name, event.file_content)
        ):
            pass  # an official's filled answer sheet, read
        elif event.kind == EventKind.UNSUPPORTED:
            ctx.say(ctx.tr("media.hidden"))
            if not await self._welcome_first(ctx):
                ctx.repeat_prompt()
        elif event.kind == EventKind.MEDIA and event.text.strip():
            # A photo's or a file's caption is what the person wrote: read it as text.
            ctx.say(await ctx.addressed("media.caption"))
            await self._text(ctx, event.text)
        elif event.kind == EventKind.MEDIA and (
            self._sticker_yes(ctx) or await self._sticker_ack(ctx)
        ):
            await self._text(ctx, event.emoji or "")  # a thumbs-up sticker: "👍" typed
        elif event.kind == EventKind.MEDIA:
            group = _MEDIA_GROUPS.get(event.media_type or "", "other")
            if await ctx.official():
                # A Word or PDF answer, a scan: said formally, with what can be read.
                ctx.say(ctx.tr(f"media.{'document' if group == 'document' else 'other'}.official"))
            else:
                ctx.say(ctx.tr(f"media.{group}"))
            if await self._welcome_first(ctx):
                pass  # a sticker, a photo as the very first message: the welcome too
            elif ctx.state == State.IDLE:
                ctx.say(await ctx.addressed("media.idle"))
            else:
                ctx.repeat_prompt()
        elif event.kind == EventKind.EDITED:
            await self._edited(ctx)
        else:
            await self._text(ctx, event.text)
        quiet = event.kind in (EventKind.TEXT, EventKind.MEDIA, EventKind.UNSUPPORTED)
        if in_burst and quiet and (ctx.conv.state, ctx.conv.step) == (state, step):
            # One answer per burst: a flood, or the parts of one long paste, are not each
            # answered with the same prompt again.
            ctx.replies.clear()
        self._remember_burst(ctx, answered=in_burst, seen=seen)

    async def _welcome_first(self, ctx: Ctx) -> bool:
        """A sticker, a photo, a hidden message from someone who has not consented yet (the
        very first message, say): the welcome follows the note, as after a first "chào"."""
        if ctx.state != State.IDLE or "start" not in self.router.commands:
            return False
        if await self.store.people.has_consent(ctx.person.id, version=CONSENT_VERSION):
            return False
        await self.command(ctx, "start")
        return True

    def _sticker_yes(self, ctx: Ctx) -> bool:
        """A sticker standing for 👍/👌/✅ where a young person is asked yes or no (the
        consent, "send?"): a yes. Anywhere else it is a sticker (never a silent choice)."""
        emoji = ctx.event.emoji
        if not emoji or ctx.state not in _STICKER_YES_STATES or ctx.earlier_list:
            return False
        said = intents(emoji)
        return bool(said) and said <= {"yes", "send"} and self._typed_choice(ctx, emoji) is not None

    async def _sticker_ack(self, ctx: Ctx) -> bool:
        """A thumbs-up sticker between questions (after "Đã nhận câu hỏi"): an "ok", as
        "👍" typed is, not "Bạn gõ câu hỏi bằng chữ giúp mình nhé"."""
        emoji = ctx.event.emoji
        if not emoji or ctx.state != State.IDLE:
            return False
        said = intents(emoji)
        if not said or not said <= {"yes", "send"}:
            return False
        return await self.store.people.has_consent(ctx.person.id, version=CONSENT_VERSION)

    # -- bursts: several messages within seconds ------------------------------------

    @staticmethod
    def _textual(event: Event) -> bool:
        return event.kind == EventKind.TEXT or (
            event.kind == EventKind.MEDIA and bool(event.text.strip())
        )

    def _in_burst(self, ctx: Ctx) -> bool:
        """This message was sent before the person could see the answer to the previous
        one, which was answered: a flood, the parts of a paste the app split.

        Where the messages of a chat are numbered, the person's and the bot's alike
        (Telegram's message ids), the next number means no answer came in between; where
        they are not (Zalo) the adapter says whether it was sent before the bot's last
        message went out; otherwise it must have been sent before the previous one was
        handled. Either way it came within ``burst_gap`` of the previous one.
        """
        burst = ctx.data.get("burst")
        event = ctx.event
        if event.at is None or not isinstance(burst, dict) or not burst.get("answered"):
            return False
        try:
            previous = datetime.fromisoformat(str(burst["at"]))
            handled = datetime.fromisoformat(str(burst["handled"]))
            seq = None if burst.get("seq") is None else int(burst["seq"])
        except (KeyError, TypeError, ValueError):
            return False  # not what this code stores: no burst
        if abs(event.at - previous) > self.settings.burst_gap:
            return False
        if event.seq is not None and seq is not None:
            return event.seq == seq + 1
        if event.before_answer is not None:
            return event.before_answer
        return event.at <= handled

    def _after_cut(self, ctx: Ctx) -> bool:
        """The previous message was cut by the app at its length limit and this one came
        within ``burst_gap`` of it: the rest of it, even if an answer came in between."""
        burst, collect, at = ctx.data.get("burst"), ctx.data.get("collect"), ctx.event.at
        if at is None or not isinstance(burst, dict) or not isinstance(collect, dict):
            return False
        if not collect.get("cut"):
            return False
        try:
            previous = datetime.fromisoformat(str(burst["at"]))
        except (KeyError, TypeError, ValueError):
            return False
        return abs(at - previous) <= self.settings.burst_gap

    def _list_print(self, ctx: Ctx) -> str:
        """The options of the prompt now asked, as one string (a list told apart)."""
        return "\n".join(label for label, _ in self.options(ctx))

    def _seen_list(self, ctx: Ctx, *, in_burst: bool) -> str:
        """The options on the person's screen when they sent this message: those of the
        burst's first message when sent before the answer to the previous one came."""
        burst = ctx.data.get("burst")
        if in_burst and isinstance(burst, dict) and isinstance(burst.get("seen"), str):
            return str(burst["seen"])
        return self._list_print(ctx)

    def _remember_burst(self, ctx: Ctx, *, answered: bool, seen: str) -> None:
        """Note when this message came and what text it left open for the next one."""
        event = ctx.event
        if ctx.erased:
            return
        if event.at is None:  # a press or an undated event ends any burst
            ctx.conv.data.pop("burst", None)
            ctx.conv.data.pop("collect", None)
            return
        ctx.conv.data["burst"] = {
            "at": event.at.isoformat(),
            "seq": event.seq,
            "handled": ctx.now.isoformat(),
            "answered": answered or bool(ctx.replies),
            "seen": seen,
        }
        if ctx.collected is not None:
            ctx.conv.data["collect"] = {"to": ctx.collected, "cut": event.cut}
        else:
            ctx.conv.data.pop("collect", None)

    async def _continue(self, ctx: Ctx) -> bool:
        """Join a message to the text the previous message of the burst left open."""
        collect = ctx.data.get("collect")
        if not isinstance(collect, dict):
            return False
        joiner = self.router.continuations.get(str(collect.get("to")))
        if joiner is None:
            return False
        return await joiner(ctx, ctx.event.text, bool(collect.get("cut")))

    async def command(self, ctx: Ctx, name: str, argument: str = "") -> None:
        """Run command ``name`` as if typed, with ``argument`` or none: a request said in
        words ("em muốn sửa câu hỏi" is /sua; "báo cáo xã Đàm Thuỷ" is /baocao w…)."""
        ctx.event = dataclasses.replace(
            ctx.event, kind=EventKind.COMMAND, command=name, text=argument
        )
        await self._command(ctx)

    async def _command(self, ctx: Ctx) -> None:
        name = (ctx.event.command or "").lower()
        # "/hỏi", "/Câu hỏi" typed with accents or capitals mean /hoi and /cauhoi.
        handler = self.router.commands.get(name) or self.router.commands.get(
            fold(name).replace(" ", "")
        )
        if handler is None:
            ctx.say(await ctx.addressed("command.unknown", command=name[:32]))
            ctx.repeat_prompt()
            return
        await handler(ctx)

    async def _button(self, ctx: Ctx, payload: str) -> None:
        match = _PAYLOAD.match(payload)
        if match is None:
            await self._forged(ctx, payload, "malformed")
            return
        step, action, arg = int(match.group(1)), match.group(2), match.group(3) or ""
        offered = {p for row in ctx.data.get("prompt", {}).get("buttons", []) for _, p in row}
        if step != ctx.conv.step or ctx.state == State.IDLE:
            if step > ctx.conv.step:
                await self._forged(ctx, payload, "future step")
                return
            official = ".official" if await ctx.official() else ""
            if payload == ctx.data.get("pressed"):  # a double tap: the first one counted
                ctx.say(ctx.tr("button.repeat" + official))
                return
            if ctx.state == State.IDLE:  # nothing is pending: say so, completely
                ctx.say(ctx.tr("button.stale_idle" + official))
                return
            ctx.say(ctx.tt("button.stale"))
            ctx.repeat_prompt()
            return
        if payload not in offered or action not in self.router.actions:
            await self._forged(ctx, payload, "not offered")
            return
        await self.router.actions[action](ctx, arg)
        if ctx.event.kind == EventKind.BUTTON:
            ctx.conv.data["pressed"] = payload  # a second press of it is a double tap

    async def _forged(self, ctx: Ctx, payload: str, reason: str) -> None:
        await ctx.audit("button.forged", target=payload[:80], reason=reason, state=ctx.state)
        ctx.say(ctx.tr("button.invalid"))
        ctx.repeat_prompt()

    @staticmethod
    def options(ctx: Ctx) -> list[tuple[str, str]]:
        """The (label, payload) options of the prompt the person was last asked."""
        prompt = ctx.data.get("prompt") or {}
        return [(label, payload) for row in prompt.get("buttons", []) for label, payload in row]

    def _typed_choice(self, ctx: Ctx, text: str) -> str | None:
        """A typed option label or a reply that clearly means one option (Zalo, terminal,
        or typing instead of tapping): "đồng ý", "ok", "gửi luôn", "bỏ qua"..."""
        options = self.options(ctx)
        if not options:
            return None
        typed = plain(text)
        exact = {payload for label, payload in options if typed and plain(label) == typed}
        if len(exact) == 1:
            return exact.pop()
        said = intents(text)  # also "👍", which has no letters
        if said:
            meant = {
                str(payload)
                for payload, names in (ctx.data.get("prompt") or {}).get("intents", {}).items()
                if said & set(names)
            }
            if len(meant) == 1:
                return meant.pop()
            if meant:
                return None  # "không" where two options could mean it: ask
        if len(typed) < 2:
            return None
        # The whole label with a typo ("dong yy"), or its telling words ("dong y" for
        # "Mình đồng ý"); two options matching alike ("dong y" against "Không đồng ý"
        # too) is no answer.
        # Words of a label count only when the text is not longer than the label: a
        # sentence that merely contains "sửa câu hỏi" is a message, not a choice.
        scored = sorted(
            (
                max(
                    fuzz.ratio(typed, folded),
                    fuzz.token_set_ratio(typed, folded) if len(typed) <= len(folded) else 0.0,
                ),
                payload,
            )
            for label, payload in options
            for folded in (plain(label),)
        )
        best_score, best = float(scored[-1][0]), str(scored[-1][1])
        runner_up = scored[-2][0] if len(scored) > 1 else 0.0
        if best_score >= CHOICE_MIN_SCORE and best_score - runner_up >= CHOICE_MARGIN:
            return best
        return None

    def _cancels(self, ctx: Ctx, text: str) -> bool:
        """ "hủy", "thôi em không hỏi nữa" at a step with no cancel option, before any
        question is written: /huy, not a name, a unit or a question that reads "hủy".
        Once the person's question is written, only the preview's "Hủy" (or /huy) drops
        it: there "hủy" may mean the words just added."""
        if ctx.state == State.IDLE or "huy" not in self.router.commands:
            return False
        written = ctx.data.get("early_text") or (ctx.data.get("draft") or {}).get("text")
        if written:
            return False
        # Asked for the question, "thôi khỏi", "bỏ đi": never mind (no question is that);
        # asked for the unit, the name or the topic, "thôi", "thôi khỏi".
        if ctx.state == State.TEXT and drops_draft(text):
            return True
        return "cancel" in intents(text) or (ctx.state in _NEVER_MIND_STEPS and never_mind(text))

    def _numbered_choice(self, ctx: Ctx, text: str, *, free_text: bool) -> str | bool | None:
        """The option a typed number picks ("2", "số 2", "câu 2 ạ", "hai"); ``False``
        when it is a number but no option has it; ``None`` when it is no number. Number
        words ("hai", "ba") are also words and names, so they count only where nothing
        else can be typed."""
        options = self.options(ctx)
        number = typed_number(text) if options else None
        words_count = not free_text or ctx.state in _NUMBER_WORD_STATES
        if number is None or (not words_count and not any(c.isdecimal() for c in text)):
            return None
        return options[number - 1][1] if 1 <= number <= len(options) else False

    async def _text(self, ctx: Ctx, text: str) -> None:
        handler = self.router.texts.get(ctx.state)
        numbered = self._numbered_choice(ctx, text, free_text=handler is not None)
        if numbered is not None and ctx.earlier_list:
            # Typed before the person saw this list ("4" sent twice): not an option of it.
            ctx.say(ctx.tt("choice.earlier_list"))
            ctx.repeat_prompt()
            return
        if numbered is False:  # meant as an option's number, but there is no such option
            ctx.say(ctx.tt("choice.not_understood"))
            ctx.repeat_prompt()
            return
        if isinstance(numbered, str):
            await self._button(ctx, numbered)
            return
        if ctx.data.get("prompt", {}).get("intents") and ambiguous(text):
            # "dung" at a yes/no question: "đúng" (yes) or "đừng" (don't)? Ask again.
            ctx.say(ctx.tt("choice.not_understood"))
            ctx.repeat_prompt()
            return
        choice = self._typed_choice(ctx, text)
        if choice is not None and (handler is None or len(text.strip()) <= 40):
            await self._button(ctx, choice)
            return
        if self._cancels(ctx, text):
            await self.command(ctx, "huy")
            return
        if handler is None:
            if ctx.state == State.IDLE:
                idle = self.router.texts.get("*idle")
                if idle is not None:
                    await idle(ctx, text)
                    return
            if ctx.greeted(text):
                return
            unmatched = self.router.unmatched.get(ctx.state)
            if unmatched is not None:
                await unmatched(ctx, text)
                return
            ctx.say(ctx.tt("choice.not_understood"))
            ctx.repeat_prompt()
            return
        await handler(ctx, text)

    async def _edited(self, ctx: Ctx) -> None:
        text = ctx.event.text
        in_draft = ctx.state in DRAFT_STATES or ctx.state == State.CONSENT
        handler = self.router.texts.get("*edited")
        if in_draft and text.strip() and handler is not None:
            await handler(ctx, text)  # which message was edited: the question, or another?
            return
        editable = (State.TEXT, State.PREVIEW, State.SIMILAR, State.AMEND)
        if ctx.state in editable and text.strip():
            handler = self.router.texts.get(State.TEXT)
            if handler is not None:
                ctx.say(ctx.tr("edited.applied"))
                await handler(ctx, ctx.event.text)
                return
        ctx.say(ctx.tr("edited.ignored"))
        ctx.repeat_prompt()
