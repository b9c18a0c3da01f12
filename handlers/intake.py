"""The question intake flow: welcome → consent → unit → name → category → topic →
question → similar questions → preview → receipt.

Returning people skip what they already answered (unit, name, category) and can change
it from the preview. Every step's prompt is stored, so a restart continues where the
person was, and every step can be asked again (after a language switch).

Text typed at the preview never replaces the question silently: the person is asked
whether to add it, to replace the question with it, or to ignore it. Messages of one
burst (a paste the app split, several messages sent at once) are joined. A question typed
before its step (as the first message, at consent, the unit, the name or the topic) is
kept for the question step rather than answered "not understood" (:func:`keep_early`).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from functools import lru_cache

from rapidfuzz import fuzz

from bot.campaign.former import FormerUnit
from bot.campaign.topicwords import suggest as suggest_topics
from bot.campaign.unitsearch import NAMED_SCORE, UnitMatch, UnitSearch
from bot.clustering.normalize import fold, plain
from handlers import feedback
from handlers.contacts import contact_details, masked, without_contacts
from handlers.engine import CONSENT_VERSION, Choice, Ctx, Router, short
from handlers.officials import official_idle, official_start
from handlers.states import CATEGORIES, DRAFT_STATES, State
from handlers.understanding import (
    agrees_first,
    announced_subject,
    asks_about_privacy,
    asks_if_answered,
    declines_name,
    drops_draft,
    idle_request,
    intents,
    is_answer_word,
    language_wish,
    lead_in_only,
    name_without_intro,
    names_a_question,
    other_unit,
    question_like,
    says_other_unit,
    unsure,
    wants_anonymous,
)
from storage.models import Campaign, DeadlineKind, NewQuestion

router = Router()

MAX_NAME_CHARS = 80
# A sentence, not a name: the longest Vietnamese names have five or six words.
MAX_NAME_WORDS = 6
_NAME = re.compile(r"^[^\W\d_]+(?:[ .'-]+[^\W\d_]+)*\.?$")
_PUNCT = re.compile(r"[\W_]+")


# A birth year or an age after a name ("Lò Thị Mai sinh năm 2005", "Mai, 17 tuổi",
# "Hoa 2k7": born in 2007, in teencode).
_AGE_AFTER = re.compile(
    r"[\s,;(\-–]*(?:(?:sinh\s+năm|sinh\s+nam|năm\s+sinh|nam\s+sinh|sn|born(?:\s+in)?)\s*:?\s*"
    r"(?:19|20)\d\d|\(?(?:19|20)\d\d\)?|\(?2k\d{1,2}\)?|\d{1,2}\s*(?:tuổi|tuoi|years?\s+old))"
    r"\s*\)?[.!]?$",
    re.IGNORECASE,
)
# Words of a reply at the unit step that name no unit ("xã mình", "ở trường em ạ").
_UNIT_FILLER = re.compile(
    r"\b(?:xa|phuong|thi tran|truong|thon|ban|xom|to dan pho|co quan|cong ty|don vi|lop"
    r"|cua|o|tai|em|minh|toi|to|chau|con|nha|ben|a|ad|day|nay|do|kia|nhe|e|mk|mik)\b"
)
# Two letters in a row: words, not "???" or an emoji.
_LETTERS = re.compile(r"[^\W\d_]{2}")
# Web addresses ("https://…", "www.…", "facebook.com/…"): not words of a question.
_LINKS = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|vn|net|org|me|ly|gov)(?:/\S*)?",
    re.IGNORECASE,
)


# A letter held down ("aaaaaaaa", "khônggggg"): counted once when a question's length is
# judged, so fifty "a" are not a question.
_HELD = re.compile(r"([^\W\d_])\1{2,}")


@lru_cache(maxsize=256)
def _comparable(text: str) -> str:
    # Cached: the question step asks it of the same words up to four times.
    return _HELD.sub(r"\1", _PUNCT.sub(" ", fold(text))).strip()


# "1. …", "2) …", "câu 3: …": the numbers of a list of questions in one message.
_NUMBERED = re.compile(r"(?:^|(?<=\s))(?:câu\s+|cau\s+)?(\d{1,2})\s*[.):]\s+", re.IGNORECASE)
# The words of "dạ ad ơi, em có mấy câu hỏi sau ạ:", "e muốn hỏi 3 câu": before a list,
# nothing lost when dropped (unaccented, as _comparable gives them).
_LIST_LEAD_IN = frozenset(
    {"da", "ad", "admin", "oi", "chao", "em", "e", "minh", "mk", "toi", "to", "co", "muon"}
    | {"hoi", "xin", "cho", "cau", "y", "kien", "nghi", "de", "xuat", "sau", "nhu", "ve", "a"}
    | {"nhe", "nha", "mot", "vai", "may", "so", "it", "nhieu", "cac", "nhung", "la", "gui"}
    | {"2", "3", "4", "5", "hai", "ba", "bon", "nam"}
)
# At most this many questions of one message are offered to be sent one by one.
MAX_PARTS = 5


def question_parts(text: str) -> list[str]:
    """The questions of a numbered list in one message ("em hỏi 3 câu: 1. … 2. … 3. …"),
    to be sent one by one (each to its own topic group); [] for anything else, and when
    words before the list would be dropped (more than a short "em hỏi 3 câu:")."""
    marks = list(_NUMBERED.finditer(text))
    if not 2 <= len(marks) <= MAX_PARTS:
        return []
    if [int(m.group(1)) for m in marks] != list(range(1, len(marks) + 1)):
        return []
    if set(_comparable(text[: marks[0].start()]).split()) - _LIST_LEAD_IN:
        return []  # "Về đường ở xã Hòa An: 1. …": words that would be dropped
    ends = [m.start() for m in marks[1:]] + [len(text)]
    parts = [text[m.end() : end].strip(" ;,\n") for m, end in zip(marks, ends, strict=True)]
    if any(len(_comparable(part)) < 15 for part in parts):
        return []
    return parts


def clean_text(text: str) -> str:
    """NFC, trimmed, with runs of blank lines and spaces collapsed."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").strip()
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text)


def join_parts(first: str, second: str, *, cut: bool) -> str:
    """Two messages as one text: glued where the platform cut a message at its length
    limit (maybe mid-word), else on a new line after a sentence, or with a space."""
    if cut:
        return clean_text(first + second)
    second = clean_text(second)
    if not first:
        return second
    joiner = "\n" if first.rstrip().endswith((".", "?", "!", "…", ":", ";")) else " "
    return clean_text(first + joiner + second)


def _close_text(ctx: Ctx, campaign: Campaign) -> str:
    return ctx.local_date_text(campaign.deadline(DeadlineKind.QUESTIONS_CLOSE))


def say_closed(ctx: Ctx, campaign: Campaign | None) -> None:
    """No campaign takes questions: name the one that closed, if any."""
    if campaign is None:
        ctx.say(ctx.tr("welcome.none"))
    else:
        ctx.say(ctx.tr("closed", campaign=campaign.title, close=_close_text(ctx, campaign)))


# -- start, consent, campaign ---------------------------------------------------------


@router.command("start", "batdau")
async def start(ctx: Ctx) -> None:
    """/start, or /start with a deep-link payload (an invitation, a unit's poster)."""
    payload = (ctx.event.payload or ctx.event.text or "").strip()
    deep_unit = None
    if payload:
        for prefix, handler in ctx.engine.router.payloads.items():
            if payload.startswith(prefix):
                await handler(ctx, payload[len(prefix) :])
                return
        if payload.startswith("u-"):
            unit = await ctx.store.units.by_code(payload[2:])
            deep_unit = unit.id if unit is not None else None
    elif await official_start(ctx):
        return
    # /start in the middle of a question: the words written so far are not thrown away.
    await welcome(ctx, deep_unit=deep_unit, early_text=unsent_text(ctx, with_queue=True))


def unsent_text(ctx: Ctx, *, with_queue: bool = False) -> str | None:
    """The question this person has written and not sent yet (a draft's text, or words
    kept before consent), if any; ``with_queue``: with the questions of a numbered list
    still waiting behind it, one per line (starting over keeps them all)."""
    if ctx.state == State.CONSENT:
        return ctx.data.get("early_text")
    if ctx.state in DRAFT_STATES:
        text = ctx.draft.get("text")
        queue = [str(part) for part in ctx.draft.get("queue") or []] if with_queue else []
        return "\n".join([str(text), *queue]) if text and queue else text
    return None


async def welcome(
    ctx: Ctx,
    *,
    deep_unit: int | None = None,
    early_text: str | None = None,
    anonymous: bool = False,
    subject: str | None = None,
) -> None:
    """Welcome, then consent or the first step; ``early_text``: a question the person
    typed before consent, kept for the question step; ``anonymous``: "em muốn hỏi kín"
    said first; ``subject``: what the question will be about, said first."""
    ctx.reset()
    if deep_unit is not None:
        ctx.data["deep_unit"] = deep_unit
    if early_text:
        ctx.data["early_text"] = early_text
    opens = await ctx.engine.open_campaigns(ctx.now)
    if not opens:
        say_closed(ctx, await ctx.engine.recently_closed(ctx.now))
        return
    if len(opens) == 1:
        campaign = opens[0][0]
        lines = [ctx.tr("welcome.one", campaign=campaign.title, close=_close_text(ctx, campaign))]
    else:
        lines = [ctx.tr("welcome.many", count=len(opens))]
        lines += [
            ctx.tr("welcome.campaign_line", campaign=c.title, close=_close_text(ctx, c))
            for c, _ in opens
        ]
    if ctx.first_contact:
        # Vietnamese by default whatever the app's language; English offered once.
        lines.append(ctx.tr("language.offer"))
    consented = await ctx.store.people.has_consent(ctx.person.id, version=CONSENT_VERSION)
    if early_text and not consented:
        lines.append(ctx.tr("early.kept"))
    elif early_text:
        lines.append(ctx.tr("draft.kept"))
    if subject:
        ctx.data["early_subject"] = subject  # see begin()
        lines.append(ctx.tr("subject.noted", subject=subject))
    if anonymous and any(c.allow_anonymous for c, _ in opens):
        ctx.data["early_anonymous"] = True  # see begin()
        lines.append(ctx.tr("anonymous.noted"))
    elif anonymous:
        lines.append(ctx.tr("anonymous.not_allowed"))
    ctx.say("\n".join(lines))
    if not consented:
        ask_consent(ctx)
        return
    await begin(ctx)


@router.reask(State.CONSENT)
async def reask_consent(ctx: Ctx) -> None:
    ask_consent(ctx)


def ask_consent(ctx: Ctx) -> None:
    ctx.ask(
        State.CONSENT,
        ctx.tr("consent.prompt"),
        [
            [
                Choice(ctx.tr("consent.yes"), "cy", intents=("yes",)),
                Choice(ctx.tr("consent.no"), "cn", intents=("no",)),
            ]
        ],
        # Asked again after a word not understood: the question, not the ~900-character
        # notice once more (/start shows it whole).
        again=ctx.tr("consent.again"),
    )


@router.action("cy")
async def consent_yes(ctx: Ctx, _: str = "") -> None:
    await ctx.store.people.grant_consent(ctx.person.id, version=CONSENT_VERSION, now=ctx.now)
    await ctx.audit("consent.grant", target=f"person:{ctx.person.id}", version=CONSENT_VERSION)
    ctx.say(ctx.tr("consent.thanks"))
    await begin(ctx)


@router.action("cn")
async def consent_no(ctx: Ctx, _: str = "") -> None:
    # Nothing is kept of a person who declines: not even their channel identity.
    ctx.say(ctx.tr("consent.declined"))
    ctx.reset()
    await ctx.erase_person()


@router.command("hoi", "ask")
async def ask_command(ctx: Ctx) -> None:
    """/hoi, or /hoi followed by the question itself."""
    typed = clean_text(ctx.event.text or "")
    if not await ctx.store.people.has_consent(ctx.person.id, version=CONSENT_VERSION):
        # "/hoi <question>" as the first message: the question waits for the consent.
        early = typed if len(typed) <= ctx.settings.max_question_chars else ""
        await welcome(ctx, early_text=early or None)
        if early:
            ctx.collect("early")
        return
    if typed and len(typed) <= ctx.settings.max_question_chars:
        await begin(ctx, text=typed)
        ctx.collect("draft")
        return
    unsent = unsent_text(ctx, with_queue=True)  # /hoi again mid-question: its words stay
    if unsent:
        ctx.say(ctx.tr("draft.kept"))
    await begin(ctx, text=unsent)


async def _over_limit(ctx: Ctx) -> bool:
    limit = ctx.settings.questions_per_hour
    recent = await ctx.store.questions.count_since(ctx.person.id, ctx.now - timedelta(hours=1))
    if recent >= limit:
        ctx.say(ctx.tr.n("flood.limit", recent))
        return True
    return False


async def begin(ctx: Ctx, *, text: str | None = None) -> None:
    """Start a new question draft, keeping a deep-linked unit noted by /start."""
    deep_unit = ctx.data.get("deep_unit")
    text = text or ctx.data.get("early_text")  # typed before consent: see keep_early
    subject = ctx.data.get("early_subject")  # "em muốn hỏi về …" before consent
    anonymous = ctx.data.get("early_anonymous")  # "em muốn hỏi kín" before consent
    ctx.conv.data = {}
    if deep_unit is not None:
        ctx.data["deep_unit"] = deep_unit
    if await _over_limit(ctx):
        ctx.reset()
        return
    opens = await ctx.engine.open_campaigns(ctx.now)
    if not opens:
        ctx.reset()
        say_closed(ctx, await ctx.engine.recently_closed(ctx.now))
        return
    if text:
        ctx.draft["text"] = text
    if subject:
        ctx.draft["subject"] = subject
    if anonymous:
        ctx.draft["anonymous_wish"] = True
    if len(opens) == 1:
        ctx.draft["campaign_id"] = opens[0][0].id
        await advance(ctx)
        return
    _ask_campaign(ctx, [c for c, _ in opens])


def _ask_campaign(ctx: Ctx, campaigns: list[Campaign]) -> None:
    ctx.ask(
        State.CAMPAIGN,
        ctx.tr("campaign.pick"),
        [Choice(c.title[:60], "cp", str(c.id)) for c in campaigns],
    )


@router.reask(State.CAMPAIGN)
async def reask_campaign(ctx: Ctx) -> None:
    opens = await ctx.engine.open_campaigns(ctx.now)
    if len(opens) > 1:
        _ask_campaign(ctx, [c for c, _ in opens])
        return
    await begin(ctx, text=ctx.draft.get("text"))


@router.action("cp")
async def pick_campaign(ctx: Ctx, arg: str) -> None:
    ctx.draft["campaign_id"] = int(arg)
    await advance(ctx)


async def _draft_campaign(ctx: Ctx) -> tuple[Campaign, bool] | None:
    campaign_id = ctx.draft.get("campaign_id")
    for campaign, late in await ctx.engine.open_campaigns(ctx.now):
        if campaign.id == campaign_id:
            return campaign, late
    # Begun while the campaign took questions, finished after it closed (sent at 00:00:05
    # after writing it at 23:58): kept and marked late, never dropped, until the dialogue.
    begun = await ctx.engine.campaign(int(campaign_id)) if campaign_id else None
    today = ctx.now.astimezone(ctx.settings.timezone).date()
    if begun is not None and begun.status == "active" and today <= begun.dialogue_date:
        return begun, True
    return None


# -- the next missing piece -----------------------------------------------------------


async def advance(ctx: Ctx) -> None:
    """Prompt for the first thing the draft still lacks, or show the preview."""
    found = await _draft_campaign(ctx)
    if found is None:
        campaign = await ctx.engine.campaign(int(ctx.draft.get("campaign_id") or 0))
        ctx.reset()
        say_closed(ctx, campaign)
        return
    campaign, _late = found
    draft = ctx.draft
    person = ctx.person
    if "unit_id" not in draft:
        deep = ctx.data.get("deep_unit")
        if deep is not None and not draft.get("unit_other"):
            unit = await ctx.engine.unit(int(deep))
            if unit is not None:
                ctx.ask(
                    State.UNIT_CONFIRM,
                    ctx.tr("unit.deeplink", unit=unit.name),
                    [
                        Choice(ctx.tr("unit.deeplink_yes"), "ud", intents=("yes",)),
                        Choice(ctx.tr("unit.other"), "uo", intents=("no",)),
                    ],
                )
                return
        if person.unit_id is not None and not draft.get("change_unit"):
            draft["unit_id"] = person.unit_id
        else:
            await ask_unit(ctx, campaign)
            return
    if not draft.get("name_done"):
        allowed_anonymous = campaign.allow_anonymous
        if draft.pop("anonymous_wish", None) and allowed_anonymous:
            # "em muốn hỏi kín" said before this step: as if "Ẩn danh" were chosen.
            await ctx.update_person(full_name=None, anonymous=True)
            draft["name_done"] = True
        elif not draft.get("change_name") and (
            (person.full_name and (not person.anonymous or allowed_anonymous))
            or (person.anonymous and allowed_anonymous)
        ):
            draft["name_done"] = True
        else:
            _ask_name(ctx, campaign)
            return
    if person.category is None:
        rows = [
            [Choice(ctx.tr(f"category.{c}"), "ct", c, intents=(f"category.{c}",))]
            for c in CATEGORIES
        ]
        # Optional: "ok", "tiếp", "gửi đi" (a question already kept) all mean move on.
        rows.append([Choice(ctx.tr("category.skip"), "cs", intents=("skip", "send"))])
        ctx.ask(State.CATEGORY, ctx.tr("category.ask"), rows)
        return
    if "topic_id" not in draft and not (draft.get("topic_later") and "text" not in draft):
        # The question typed already ("xã có lớp học nghề…"): the groups it points to
        # first, the whole list one tap away.
        guess = draft.get("text") or draft.get("subject")
        if (
            guess
            and not draft.get("all_topics")
            and await _suggest_topics(ctx, str(guess), prompt="topic.suggest_for_text")
        ):
            return
        topics = await ctx.engine.topics(campaign.id)
        ctx.ask(
            State.TOPIC,
            ctx.tr("topic.ask"),
            [Choice(ctx.topic_name(t), "tp", str(t.id)) for t in topics],
        )
        return
    if "text" not in draft:
        limit = ctx.tr.number(ctx.settings.max_question_chars)
        if draft.get("topic_later") and "topic_id" not in draft:
            ctx.ask(State.TEXT, ctx.tr("text.ask_topic_later", limit=limit))
        elif draft.get("subject"):
            ctx.ask(State.TEXT, ctx.tr("text.ask_subject", subject=draft["subject"], limit=limit))
        else:
            ctx.ask(State.TEXT, ctx.tr("text.ask", limit=limit))
        return
    if not draft.get("similar_done") and ctx.engine.similar is not None:
        draft["similar_done"] = True
        # The person's own questions are not "asked by someone" (the same question typed
        # again was offered to them to support), nor those they joined already ("Tôi cũng
        # muốn hỏi câu 1", then more words).
        own = await ctx.store.questions.joined_ids(ctx.person.id)
        hits = await ctx.engine.similar.find(
            campaign,
            draft["text"],
            limit=3 + min(len(own), 3),
            unit_id=int(draft["unit_id"]),
            topic_id=int(draft["topic_id"]),
        )
        hits = [h for h in hits if h.question_id not in own][:3]
        if hits:
            await _ask_similar(ctx, hits)
            return
    await show_preview(ctx)


def _ask_name(ctx: Ctx, campaign: Campaign) -> None:
    if campaign.allow_anonymous:
        ctx.ask(
            State.NAME,
            ctx.tr("name.ask_or_anonymous"),
            [Choice(ctx.tr("name.anonymous"), "na", intents=("anonymous",))],
        )
    else:
        ctx.ask(State.NAME, ctx.tr("name.ask"))


@router.reask(
    State.UNIT_CONFIRM,
    State.UNIT_QUERY,
    State.NAME,
    State.CATEGORY,
    State.TOPIC,
    State.TEXT,
    State.SIMILAR,
    State.PREVIEW,
)
async def reask_draft(ctx: Ctx) -> None:
    """The draft's current step, asked again from what the draft holds."""
    if ctx.state == State.SIMILAR:
        ctx.draft.pop("similar_done", None)  # look the similar questions up again
    if ctx.state == State.PREVIEW:
        await show_preview(ctx)
        return
    await advance(ctx)


# -- unit ------------------------------------------------------------------------------


@router.action("ud")
async def deep_unit_yes(ctx: Ctx, _: str) -> None:
    await _set_unit(ctx, int(ctx.data["deep_unit"]))


@router.action("uo")
async def deep_unit_other(ctx: Ctx, _: str) -> None:
    ctx.draft["unit_other"] = True
    found = await _draft_campaign(ctx)
    await ask_unit(ctx, found[0] if found else None)


async def ask_unit(ctx: Ctx, campaign: Campaign | None) -> None:
    """Ask for the unit, with examples from the campaign's own units (never another
    province's names)."""
    examples = await ctx.engine.unit_examples(campaign)
    if examples:
        ctx.ask(State.UNIT_QUERY, ctx.tr("unit.ask", examples=", ".join(examples)))
    else:
        ctx.ask(State.UNIT_QUERY, ctx.tr("unit.ask_no_example"))


@router.text(State.UNIT_QUERY, State.UNIT_PICK, State.UNIT_CONFIRM)
async def unit_query(ctx: Ctx, text: str) -> None:
    # A unit with its whole address is long: here only asking words make a question.
    if (
        await aside(ctx, text)
        or await note_anonymous(ctx, text)
        or keep_early(ctx, text, long_words=None)
        or note_subject(ctx, text)
    ):
        return
    if ctx.state == State.UNIT_CONFIRM and says_other_unit(text):
        # "sai r", "nhầm", "e ở xã khác": searched as a unit's name, then asked again.
        await deep_unit_other(ctx, "")
        return
    searching = ctx.state != State.UNIT_CONFIRM  # "ở đây ạ" may confirm the unit offered
    # "ok" while several units are offered: which one? (below)
    no_name = unsure(text) or (ctx.state == State.UNIT_QUERY and is_answer_word(text))
    if searching and (no_name or not _UNIT_FILLER.sub(" ", plain(text)).strip()):
        # "em không biết", "xã mình", "trường em", "ok": no name to search for (a search
        # for "xã mình" offered Xã Minh Khai and Xã Minh Tâm).
        ctx.say(ctx.tr("unit.name_please"))
        ctx.repeat_prompt()
        return
    if ctx.state == State.UNIT_PICK and intents(text):
        # "đúng rồi", "ok" with several units offered: which one?
        ctx.say(ctx.tt("unit.pick_one"))
        ctx.repeat_prompt()
        return
    await ask_unit_pick(ctx, text, state=State.UNIT_PICK, action="up")


# One unit offered: "đúng rồi", "ok", "ok gửi đi" choose it.
_ONLY_ONE = ("yes", "send")


async def ask_unit_pick(
    ctx: Ctx, text: str, *, state: State, action: str, own_unit: bool = True
) -> None:
    """Offer the units closest to what was typed (or say why none is offered).

    ``own_unit``: the person names where they themselves are (not an official picking a
    unit to write to), so a province or a former district typed instead gets a word on
    what to type."""
    query = clean_text(text)
    if len(fold(query).replace(" ", "")) < 2:
        ctx.say(ctx.tt("unit.too_short"))
        ctx.repeat_prompt()
        return
    search = await ctx.engine.unit_search()
    matches = search.search(query[:100], limit=5)
    # A province named where no unit carries that name ("Hà Giang" in Tuyên Quang is also
    # Phường Hà Giang 1 and 2: those are offered).
    named_unit = bool(matches) and matches[0].score >= NAMED_SCORE
    if own_unit and not named_unit and _province_instead(ctx, search, query):
        return
    if not matches:
        # "thôn Bó Blằng": below the units offered; the commune is what to type.
        hamlet = search.names_hamlet(query)
        ctx.say(ctx.tt("unit.hamlet" if hamlet else "unit.none_found", query=query[:60]))
        ctx.repeat_prompt()
        return
    ctx.data["unit_query"] = query[:100]
    district = own_unit and search.names_district(query)
    # An official picking where to send (not where they are) is asked formally.
    prompt = ctx.tt("unit.pick_after_district" if district else "unit.pick")
    ctx.ask(
        state,
        "\n".join([*_former_notes(ctx, matches), prompt]),
        [
            Choice(
                m.unit.name, action, str(m.unit.id), intents=_ONLY_ONE if len(matches) == 1 else ()
            )
            for m in matches
        ],
    )


def _former_notes(ctx: Ctx, matches: list[UnitMatch]) -> list[str]:
    """A word on each commune of before 1 July 2025 that was typed: which unit of today
    it is part of ("Xã Chí Viễn (huyện Trùng Khánh cũ) nay thuộc Xã Đàm Thuỷ.")."""
    now: dict[FormerUnit, list[str]] = {}
    for match in matches:
        if match.former is not None:
            now.setdefault(match.former, []).append(match.unit.name)
    return [
        ctx.tr(
            "unit.former",
            former=former.name,
            # "(huyện Trùng Khánh cũ)": in the middle of a sentence.
            district=former.district[:1].lower() + former.district[1:],
            units=", ".join(names),
        )
        for former, names in now.items()
    ]


def _province_instead(ctx: Ctx, search: UnitSearch, query: str) -> bool:
    """A province typed for a unit ("em ở Hà Nội", "tỉnh Cao Bằng"): say what to type
    instead (the commune or ward; at home, for one who studies or works elsewhere)."""
    named = search.province_named(query)
    if named is None:
        return False
    home = search.home_province
    if named.ours:  # "Hà Giang" in Tuyên Quang: the province it is part of now
        ctx.say(ctx.tr("unit.whole_province", province=home or named.name))
    elif home is not None:
        ctx.say(ctx.tr("unit.other_province", place=named.name, province=home))
    else:
        ctx.say(ctx.tr("unit.other_place", place=named.name))
    ctx.repeat_prompt()
    return True


@router.reask(State.UNIT_PICK)
async def reask_unit_pick(ctx: Ctx) -> None:
    query = str(ctx.data.get("unit_query", ""))
    await ask_unit_pick(ctx, query, state=State.UNIT_PICK, action="up")


@router.action("up")
async def pick_unit(ctx: Ctx, arg: str) -> None:
    await _set_unit(ctx, int(arg))


async def _set_unit(ctx: Ctx, unit_id: int) -> None:
    ctx.draft["unit_id"] = unit_id
    ctx.draft.pop("change_unit", None)
    await ctx.update_person(unit_id=unit_id)
    await advance(ctx)


# -- name --------------------------------------------------------------------------------

# Given names spelled, without their diacritics, as an answer word: "Khôi" ("khỏi"),
# "Hồng" ("hông", không), "Tiệp" ("tiếp"). With them, a name ("Khôi" alone was "“Khôi”
# chưa phải là họ tên").
_NAMES_LIKE_ANSWERS = frozenset({"khôi", "hồng", "tiệp"})


def normalize_name(text: str) -> str | None:
    # "em tên là Nguyễn Văn An ạ": the name, not the sentence around it; nor the birth
    # year or age after it ("Lò Thị Mai sinh năm 2005", "Mai, 17 tuổi").
    name = _AGE_AFTER.sub("", " ".join(clean_text(name_without_intro(text)).split()))
    if not (2 <= len(name) <= MAX_NAME_CHARS) or not _NAME.match(name):
        return None
    if len(name.split()) > MAX_NAME_WORDS:  # "toi la sinh vien nam nhat truong dai hoc"
        return None
    if is_answer_word(name) and name.lower() not in _NAMES_LIKE_ANSWERS:
        return None  # "không", "ok", "bỏ qua": an answer, not a name
    if {"khong", "ko"} & set(fold(name).split()):  # "không muốn nêu tên …": no name has it
        return None
    if name.islower() or name.isupper():
        name = " ".join(part[:1].upper() + part[1:].lower() for part in name.split())
    return name


@router.text(State.NAME)
async def name_text(ctx: Ctx, text: str) -> None:
    # A question, or what it will be about, is no name either; nor "nhầm, em ở xã …".
    if (
        await aside(ctx, text)
        or await note_other_unit(ctx, text)
        or keep_early(ctx, text)
        or note_subject(ctx, text)
    ):
        return
    if declines_name(text) and (found := await _draft_campaign(ctx)) and found[0].allow_anonymous:
        await name_anonymous(ctx, "")  # "em không muốn nói tên đâu": "Ẩn danh" in words
        return
    name = normalize_name(text)
    if name is None:
        # "không", "ok": an answer to something else, not a name.
        ctx.say(
            ctx.tr("name.not_a_name", text=text.strip()[:30])
            if is_answer_word(text)
            else ctx.tr("name.invalid")
        )
        ctx.repeat_prompt()
        return
    anonymous = bool(ctx.draft.get("anonymous"))
    await ctx.update_person(full_name=name, anonymous=anonymous)
    ctx.draft["name_done"] = True
    ctx.draft.pop("change_name", None)
    await advance(ctx)


@router.action("na", "ns")  # "ns": a prompt stored before contact names were dropped
async def name_anonymous(ctx: Ctx, _: str) -> None:
    # No contact name is asked for: nobody would see it, and the bot itself brings the
    # answer back to the asker.
    await ctx.update_person(full_name=None, anonymous=True)
    ctx.draft["name_done"] = True
    ctx.draft.pop("change_name", None)
    await advance(ctx)


# -- category and topic -------------------------------------------------------------------


@router.action("ct")
async def pick_category(ctx: Ctx, arg: str) -> None:
    if arg not in CATEGORIES:
        ctx.say(ctx.tr("button.invalid"))
        ctx.repeat_prompt()
        return
    await ctx.update_person(category=arg)
    await advance(ctx)


@router.action("cs")
async def skip_category(ctx: Ctx, _: str) -> None:
    # "" records that the person chose not to say, so they are not asked again.
    await ctx.update_person(category="")
    await advance(ctx)


@router.action("tp")
async def pick_topic(ctx: Ctx, arg: str) -> None:
    topic = await ctx.engine.topic(int(arg))
    if topic is None or topic.campaign_id != ctx.draft.get("campaign_id") or not topic.active:
        await ctx.audit("button.forged", target=f"topic:{arg}", reason="foreign topic")
        ctx.say(ctx.tr("button.invalid"))
        ctx.repeat_prompt()
        return
    ctx.draft["topic_id"] = topic.id
    await advance(ctx)


# -- a question typed before its step ---------------------------------------------------------


async def aside(ctx: Ctx, text: str) -> bool:
    """A word aside at a step that expects an answer: a hello or a thank-you
    (:meth:`Ctx.greeted`), "english please", or "khi nào đối thoại ạ", "còn gửi được
    không" (the dates; before, the unit step searched for a unit named "khi nào đối
    thoại"), "câu hỏi của em đâu rồi", "bao giờ có trả lời câu hỏi của em" (one's
    questions, when answers come: they were "not in the list" at the topic step);
    answered, then the step again. False for anything else."""
    if ctx.greeted(text):
        return True
    if await switch_language(ctx, text):
        return True
    request = idle_request(text)
    if request == "dates":
        await tell_dates(ctx)
    elif request in ("cauhoi", "when") and (names_a_question(text) or asks_if_answered(text)):
        await _answer_request(ctx, text)  # not "sửa"/"rút": this draft's, or a sent one's?
    elif request == "trogiup":  # "help", "hướng dẫn": were "not in the list" at the topics
        await ctx.engine.command(ctx, "trogiup")  # the help, then the step again
        return True
    else:
        return False
    ctx.repeat_prompt()
    return True


async def switch_language(ctx: Ctx, text: str, *, sentences: bool = True) -> bool:
    """ "english please", "can you speak english", "nói tiếng Việt đi": as /ngonngu with
    that language (the pending step asked again in it). Before, only the command did it:
    "english please" was "Mình chưa hiểu ý bạn", or became the question."""
    language = language_wish(text, sentences=sentences)
    if language is None:
        return False
    await ctx.engine.command(ctx, "ngonngu", language)
    return True


def keep_early(ctx: Ctx, text: str, *, long_words: int | None = 15, ask_again: bool = True) -> bool:
    """A question typed at an earlier step (consent, unit, name, group, topic) instead of
    that step's answer: kept for the question step, which is then skipped (the preview
    shows it before anything is sent), and the step asked again. Without this the
    person's words would be answered "not understood" and lost. ``ask_again=False``: the
    caller asks the step again (the topic groups the question points to)."""
    cleaned = clean_text(text)
    limit = ctx.settings.max_question_chars
    if len(cleaned) > limit and question_like(cleaned):
        # A letter too long for a question is no answer to this step either: said so
        # (it was searched as a unit's name, or answered with topic groups, and dropped).
        _say_not_kept(ctx, cleaned)
        _swallow_rest(ctx, cleaned)
        if ask_again:
            ctx.repeat_prompt()
        return True
    if not question_like(cleaned, strict=True, long_words=long_words):
        return False
    before_draft = ctx.state == State.CONSENT  # no draft exists before consent
    kept = ctx.data.get("early_text") if before_draft else ctx.draft.get("text")
    if kept and _comparable(str(kept)) != _comparable(cleaned):
        joined = join_parts(str(kept), cleaned, cut=False)
        if len(joined) > limit:
            # With the question kept already it would be too long: the kept one stays.
            _say_too_long(ctx, "text.too_long", len(joined))
            if ask_again:
                ctx.repeat_prompt()
            return True
        cleaned = joined
    if before_draft:
        ctx.data["early_text"] = cleaned
        ctx.collect("early")
    else:
        ctx.draft["text"] = cleaned
        ctx.collect("draft")
    ctx.say(ctx.tr("early.kept"))
    if ask_again:
        ctx.repeat_prompt()
    return True


def note_subject(ctx: Ctx, text: str) -> bool:
    """ "em muốn hỏi về việc làm" at a step before the question (consent, unit, name,
    group): noted, so that the topic groups it names are offered first and the question
    is asked about it, and the step asked again (it was "not understood", or searched
    as a unit's name)."""
    subject = announced_subject(text)
    if subject is None:
        return False
    if ctx.state == State.CONSENT:  # no draft exists before consent
        ctx.data["early_subject"] = subject
    else:
        ctx.draft["subject"] = subject
    ctx.say(ctx.tr("subject.noted", subject=subject))
    ctx.repeat_prompt()
    return True


async def note_anonymous(ctx: Ctx, text: str) -> bool:
    """ "em muốn hỏi kín", "cho em gửi ẩn danh" at a step other than the name's (where
    "Ẩn danh" is an option): the question goes anonymously, as if "Ẩn danh" were chosen
    at the name step (skipped, or applied at once at the preview); or, where the dialogue
    needs names, the person is told so. Before, it was "not understood" and forgotten, or
    offered as words to add to the question."""
    if not wants_anonymous(text):
        return False
    if ctx.state == State.CONSENT:  # no draft exists before consent
        campaigns = [c for c, _ in await ctx.engine.open_campaigns(ctx.now)]
    else:
        found = await _draft_campaign(ctx)
        campaigns = [found[0]] if found else []
    if campaigns and not any(c.allow_anonymous for c in campaigns):
        ctx.say(ctx.tr("anonymous.not_allowed"))
        ctx.repeat_prompt()
        return True
    if ctx.state == State.CONSENT and agrees_first(text):
        # "đồng ý, ẩn danh nha": both at once (the consent was asked again).
        ctx.data["early_anonymous"] = True
        ctx.say(ctx.tr("anonymous.noted_agreed"))
        await consent_yes(ctx, "")
        return True
    if ctx.state == State.CONSENT:
        ctx.data["early_anonymous"] = True
    else:
        ctx.draft["anonymous_wish"] = True
        ctx.draft.pop("name_done", None)  # a returning person's saved name: not this time
    if ctx.state == State.PREVIEW:
        await advance(ctx)  # the preview again, "Họ tên: Ẩn danh"
        return True
    ctx.say(ctx.tr("anonymous.noted"))
    ctx.repeat_prompt()
    return True


async def note_other_unit(ctx: Ctx, text: str) -> bool:
    """ "à nhầm, em ở xã Hòa An" after the unit step (at the name, the group, the topic,
    the preview): the units it names are offered, the rest of the draft kept, and the flow
    goes on from there. Before, it was "not in the list" (or words to add to the
    question): the unit could only be changed from the preview's button."""
    if ctx.state not in (State.NAME, State.CATEGORY, State.TOPIC, State.PREVIEW):
        return False
    unit = other_unit(text)
    if unit is None or "campaign_id" not in ctx.draft:
        return False
    if not (await ctx.engine.unit_search()).search(unit, limit=1):
        return False  # no such unit: read as anything else
    ctx.draft.pop("unit_id", None)
    ctx.draft["change_unit"] = True
    ctx.draft["unit_other"] = True
    await ask_unit_pick(ctx, unit, state=State.UNIT_PICK, action="up")
    return True


async def _before_a_choice(ctx: Ctx, text: str) -> bool:
    """What any choice step reads first in typed words: a hello, thanks or the dates, a
    question typed ahead of its step, what the question will be about. True if handled."""
    if await aside(ctx, text) or await note_other_unit(ctx, text) or keep_early(ctx, text):
        return True
    # At the group step "bí mật" may be the group the person keeps to themselves.
    if ctx.state != State.CATEGORY and await note_anonymous(ctx, text):
        return True
    return ctx.state != State.TOPIC and note_subject(ctx, text)


@router.unmatched_text(State.CONSENT, State.CAMPAIGN)
async def text_at_a_choice(ctx: Ctx, text: str) -> None:
    if ctx.state == State.CONSENT and asks_about_privacy(text):
        # "ai xem được câu hỏi của em?": the notice answers it (it was "not understood",
        # or kept as the person's question for the chair).
        ctx.say(ctx.tr("consent.asked"))
        ask_consent(ctx)
        return
    if await _before_a_choice(ctx, text):
        return
    ctx.say(ctx.tt("choice.not_understood"))
    ctx.repeat_prompt()


@router.unmatched_text(State.CATEGORY)
async def text_at_the_category(ctx: Ctx, text: str) -> None:
    if await _before_a_choice(ctx, text):
        return
    if unsure(text):
        await skip_category(ctx, "")  # optional: not knowing is skipping it
        return
    ctx.say(ctx.tt("category.not_listed"))  # a group not on the list ("sinh viên nghèo"?)
    ctx.repeat_prompt()


@router.unmatched_text(State.TOPIC)
async def text_at_the_topic(ctx: Ctx, text: str) -> None:
    if await aside(ctx, text) or await note_other_unit(ctx, text):
        return
    if keep_early(ctx, text, ask_again=False):
        await advance(ctx)  # the groups the question points to first, not the list again
        return
    if await _before_a_choice(ctx, text):
        return
    if unsure(text) and "text" not in ctx.draft:
        # "em không biết chọn nhóm nào": the question first, then the groups it points to.
        ctx.draft["topic_later"] = True
        await advance(ctx)
        return
    if (subject := announced_subject(text)) is not None:
        ctx.draft["subject"] = subject  # the groups it names follow; the question about it
    if await _suggest_topics(ctx, text):
        return
    if subject is not None and not ctx.draft.get("all_topics"):
        # A new subject naming no group where some were suggested ("à không, em muốn hỏi
        # về ma túy"): every group (it was "not understood" and the same groups again).
        ctx.draft["all_topics"] = True
        ctx.say(ctx.tr("subject.noted_topics", subject=subject))
        await advance(ctx)
        return
    if _LETTERS.search(text) and not is_answer_word(text) and (other := _catch_all(ctx)):
        # Words that name no group ("đường sá"), not "???", "👍" or "ok": say where it goes.
        ctx.say(ctx.tr("topic.not_listed", other=other))
    else:
        ctx.say(ctx.tt("choice.not_understood"))
    ctx.repeat_prompt()


async def _suggest_topics(ctx: Ctx, text: str, *, prompt: str = "topic.suggest") -> bool:
    """Words that point to groups ("mạng internet" → Chuyển đổi số), typed at the topic
    step or in the question itself: those groups offered first, the whole list one tap
    away."""
    campaign_id = ctx.draft.get("campaign_id")
    if campaign_id is None:
        return False
    topics = await ctx.engine.topics(int(campaign_id))
    named = suggest_topics(text, [t.name for t in topics])
    if not named:
        return False
    picked = [t for name in named for t in topics if t.name == name]
    # One group suggested: "ok", "đúng rồi" choose it (as where one unit is offered).
    agree = _ONLY_ONE if len(picked) == 1 else ()
    choices = [[Choice(ctx.topic_name(t), "tp", str(t.id), intents=agree)] for t in picked]
    choices.append([Choice(ctx.tr("topic.all"), "ta")])
    ctx.ask(State.TOPIC, ctx.tr(prompt, typed=short(clean_text(text), 40)), choices)
    return True


@router.action("ta")
async def all_topics(ctx: Ctx, _: str) -> None:
    ctx.draft["all_topics"] = True
    await advance(ctx)


def _catch_all(ctx: Ctx) -> str | None:
    """The topic group for everything else ("Kiến nghị khác"), if the campaign has one."""
    return next(
        (
            label
            for label, _ in ctx.engine.options(ctx)
            if {"khac", "other"} & set(plain(label).split())
        ),
        None,
    )


@router.continuation("early")
async def continue_early(ctx: Ctx, text: str, cut: bool) -> bool:
    """The rest of a question typed before consent, sent within seconds."""
    if ctx.state != State.CONSENT or "early_text" not in ctx.data:
        return False
    joined = join_parts(str(ctx.data["early_text"]), text, cut=cut)
    if len(joined) > ctx.settings.max_question_chars:
        return False
    ctx.data["early_text"] = joined
    ctx.collect("early")
    return True


# -- question text ---------------------------------------------------------------------------


def check_text(ctx: Ctx, text: str) -> str | None:
    """The cleaned question, or None after telling the person what is wrong."""
    cleaned = clean_text(text)
    limit = ctx.settings.max_question_chars
    if not cleaned:
        ctx.say(ctx.tr("text.empty"))
        return None
    if len(cleaned) > limit:
        # Kept, so the rest of a message the app split can join it (Engine._continue).
        ctx.data["overflow"] = cleaned[: limit * 3]
        ctx.collect("overflow")
        # Cut by the app at its length limit: the rest follows, so say "more than".
        key = "text.too_long_cut" if ctx.event.cut else "text.too_long"
        if not unsent_text(ctx):
            key += ".new"  # no earlier draft to say is kept (it read as this one kept)
        _say_too_long(ctx, key, len(cleaned))
        return None
    if len(_comparable(cleaned)) < ctx.settings.min_question_chars:
        ctx.say(ctx.tr("text.too_short"))
        return None
    if len(_comparable(_LINKS.sub(" ", cleaned))) < ctx.settings.min_question_chars:
        # A link alone: officials cannot answer a link (a post, a video) they must open.
        ctx.say(ctx.tr("text.link_only"))
        return None
    return cleaned


@router.text(State.TEXT)
async def question_text(ctx: Ctx, text: str) -> None:
    if await note_anonymous(ctx, text):  # "em muốn hỏi kín" is no question: the next is
        return
    # Nor is "english please" ("em hỏi bằng tiếng Anh được không" may be the question).
    if await switch_language(ctx, text, sentences=False):
        return
    if ctx.draft.get("text") and "keep" in intents(text):
        # "thôi", "ko sửa nữa" at "Sửa câu hỏi": the question as it was (it became the
        # question, or was "too short").
        ctx.say(ctx.tr("amend.kept"))
        await advance(ctx)
        return
    if lead_in_only(text):
        # "cho em hỏi ạ", then the question in the next message: wait for it, and keep
        # these words in front of it.
        ctx.draft["lead_in"] = clean_text(text)
        ctx.say(ctx.tr("text.lead_in"))
        return
    lead_in = ctx.draft.get("lead_in")
    if lead_in:
        text = join_parts(str(lead_in), text, cut=False)
    cleaned = check_text(ctx, text)
    if cleaned is None:
        ctx.repeat_prompt()
        return
    ctx.data.pop("overflow", None)
    ctx.draft.pop("lead_in", None)
    ctx.draft["text"] = cleaned
    ctx.collect("draft")
    ctx.draft.pop("similar_done", None)
    await advance(ctx)


# An edited message is the question corrected when it is at least this close to it (0-100).
EDIT_MIN_SCORE = 70.0


def _corrects(written: str, text: str) -> bool:
    """Whether ``text`` reads as ``written`` corrected (a typo fixed, words added or
    changed) rather than another message edited (a name, a unit, "đồng ý")."""
    a, b = plain(written), plain(text)
    return max(fuzz.ratio(a, b), fuzz.token_set_ratio(a, b)) >= EDIT_MIN_SCORE


@router.text("*edited")
async def edited_message(ctx: Ctx, text: str) -> None:
    """An earlier message edited (Telegram) while a question is being written. Which
    message it was is not known: close to the question, it is the question corrected
    (kept, or the preview again); anything else never replaces the question (at the
    preview it made a name the question): at the preview the person chooses (add,
    replace, keep), at another step nothing changes and the step is asked again."""
    written = unsent_text(ctx)
    editable = ctx.state in (State.TEXT, State.PREVIEW, State.SIMILAR, State.AMEND)
    if editable and (not written or _corrects(written, text)):
        ctx.say(ctx.tr("edited.applied"))
        await question_text(ctx, text)
        return
    cleaned = clean_text(text)
    if written and _corrects(written, cleaned) and len(cleaned) <= ctx.settings.max_question_chars:
        if ctx.state == State.CONSENT:
            ctx.data["early_text"] = cleaned  # kept for the question step
        else:
            ctx.draft["text"] = cleaned
            ctx.draft.pop("similar_done", None)  # looked up again for the new words
        ctx.say(ctx.tr("edited.kept_question"))
        ctx.repeat_prompt()
        return
    long_enough = len(_comparable(cleaned)) >= ctx.settings.min_question_chars
    if ctx.state in (State.PREVIEW, State.SIMILAR) and long_enough:
        ctx.data["amend"] = cleaned[: ctx.settings.max_question_chars * 3]
        ask_amend(ctx, edited=True)
        return
    ctx.say(ctx.tr("edited.unchanged"))
    ctx.repeat_prompt()


@router.text(State.PREVIEW, State.SIMILAR)
async def preview_text(ctx: Ctx, text: str) -> None:
    """Text typed at the preview, or while similar questions are shown: offer to add it,
    to replace the question, or to ignore it; never replace the question silently."""
    if await aside(ctx, text):  # "cảm ơn ad", "khi nào đối thoại": answered, the step again
        return
    if ctx.state == State.PREVIEW and (
        await note_anonymous(ctx, text) or await note_other_unit(ctx, text)
    ):
        return
    if drops_draft(text) or (ctx.state == State.PREVIEW and "no" in intents(text)):
        ask_drop(ctx)  # "thôi", "bỏ đi", "ko": never mind? Not a nudge to send.
        return
    if _comparable(text) == _comparable(ctx.draft.get("text", "")):
        await show_preview(ctx)  # the same text sent again: still one question
        return
    cleaned = clean_text(text)
    if len(_comparable(cleaned)) < ctx.settings.min_question_chars:
        # "asdf", "hmm": neither a choice nor an addition worth offering.
        key = "similar.not_understood" if ctx.state == State.SIMILAR else "preview.not_understood"
        ctx.say(ctx.tt(key))
        ctx.repeat_prompt()
        return
    ctx.data["amend"] = cleaned[: ctx.settings.max_question_chars * 3]
    ctx.collect("amend")
    ask_amend(ctx)


@router.reask(State.DRAFT_DROP)
async def reask_drop(ctx: Ctx) -> None:
    ask_drop(ctx)


def ask_drop(ctx: Ctx) -> None:
    """Drop the question being written, not sent? (Typed at the preview or under the
    similar questions: "thôi", "bỏ đi".) "No" comes back to where it was asked."""
    if ctx.state in (State.PREVIEW, State.SIMILAR):
        ctx.data["drop_from"] = str(ctx.state)
    ctx.ask(
        State.DRAFT_DROP,
        ctx.tr("drop.ask", text=short(str(ctx.draft.get("text", "")), 80)),
        [
            [Choice(ctx.tr("drop.yes"), "pd", intents=("yes", "cancel"))],
            [Choice(ctx.tr("drop.no"), "pk")],
        ],
    )


@router.unmatched_text(State.DRAFT_DROP)
async def text_at_the_drop(ctx: Ctx, text: str) -> None:
    if drops_draft(text):  # "thôi", "bỏ đi" again: yes, drop it
        await drop_draft(ctx, "")
    elif "no" in intents(text) or "keep" in intents(text):  # "không", "ko": keep it
        await keep_draft(ctx, "")
    else:
        ctx.say(ctx.tt("choice.not_understood"))
        ctx.repeat_prompt()


@router.action("pd")
async def drop_draft(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("drop.done"))


@router.action("pk")
async def keep_draft(ctx: Ctx, _: str) -> None:
    ctx.say(ctx.tr("drop.kept"))
    if ctx.data.pop("drop_from", None) == State.SIMILAR:
        ctx.draft.pop("similar_done", None)  # the similar questions shown again
        await advance(ctx)
        return
    await show_preview(ctx)


@router.reask(State.AMEND)
async def reask_amend(ctx: Ctx) -> None:
    ask_amend(ctx)


def ask_amend(ctx: Ctx, *, edited: bool = False) -> None:
    """What to do with text that came at the preview (``edited``: a message edited)."""
    key = "amend.ask_edited" if edited else "amend.ask"
    ctx.ask(
        State.AMEND,
        ctx.tr(key, text=short(str(ctx.data.get("amend", "")), 300)),
        [
            [Choice(ctx.tr("amend.add"), "aa", intents=("add",))],
            [Choice(ctx.tr("amend.replace"), "ar", intents=("replace",))],
            [Choice(ctx.tr("amend.keep"), "ak", intents=("keep",))],
        ],
    )


@router.text(State.AMEND)
async def amend_more(ctx: Ctx, text: str) -> None:
    """More text while asked what to do with the first: it all goes together; a reply
    ("ok", "👍", "cả ba") is no more words to add (it was joined to them: "… vay vốn ko
    ok")."""
    if intents(text) or len(_comparable(clean_text(text))) < ctx.settings.min_question_chars:
        ctx.say(ctx.tt("choice.not_understood"))
        ctx.repeat_prompt()
        return
    ctx.data["amend"] = join_parts(str(ctx.data.get("amend", "")), text, cut=False)
    ctx.collect("amend")
    ask_amend(ctx)


async def _amended(ctx: Ctx, text: str) -> None:
    cleaned = check_text(ctx, text)
    if cleaned is None:
        ctx.repeat_prompt()  # still asked what to do with the typed text
        return
    for key in ("amend", "overflow"):
        ctx.data.pop(key, None)
    ctx.draft["text"] = cleaned
    ctx.draft.pop("similar_done", None)
    await advance(ctx)


@router.action("aa")
async def amend_add(ctx: Ctx, _: str) -> None:
    # What the person chose to add goes on a line of its own.
    draft_text = str(ctx.draft.get("text", ""))
    await _amended(ctx, clean_text(f"{draft_text}\n{ctx.data.get('amend', '')}"))


@router.action("ar")
async def amend_replace(ctx: Ctx, _: str) -> None:
    await _amended(ctx, str(ctx.data.get("amend", "")))


@router.action("ak")
async def amend_keep(ctx: Ctx, _: str) -> None:
    ctx.data.pop("amend", None)
    ctx.say(ctx.tr("amend.kept"))
    await show_preview(ctx)


# -- the next message of a burst -------------------------------------------------------------


@router.continuation("draft")
async def continue_draft(ctx: Ctx, text: str, cut: bool) -> bool:
    """The rest of the question, sent within seconds: joined to the draft, unanswered
    (one answer per burst); the preview is shown again before anything is sent."""
    draft = ctx.draft
    if "text" not in draft:
        return False
    joined = join_parts(str(draft["text"]), text, cut=cut)
    limit = ctx.settings.max_question_chars
    if len(joined) > limit:
        check_text(ctx, joined)  # says it is too long and keeps it all
        ctx.ask(State.TEXT, ctx.tr("text.ask", limit=ctx.tr.number(limit)))
        return True
    draft["text"] = joined
    draft["unseen"] = True
    ctx.collect("draft")
    return True


@router.continuation("overflow")
async def continue_overflow(ctx: Ctx, text: str, cut: bool) -> bool:
    """The rest of a message already too long: kept with it, not taken as the question."""
    if "overflow" not in ctx.data:
        return False
    joined = join_parts(str(ctx.data["overflow"]), text, cut=cut)
    ctx.data["overflow"] = joined[: ctx.settings.max_question_chars * 3]
    ctx.collect("overflow")
    return True


@router.continuation("amend")
async def continue_amend(ctx: Ctx, text: str, cut: bool) -> bool:
    if ctx.state != State.AMEND or "amend" not in ctx.data:
        return False
    ctx.data["amend"] = join_parts(str(ctx.data["amend"]), text, cut=cut)
    ctx.collect("amend")
    return True


# -- similar questions ("Tôi cũng muốn hỏi câu này") ---------------------------------------


async def _ask_similar(ctx: Ctx, hits: list) -> None:  # type: ignore[type-arg]
    lines = [ctx.tr("similar.intro")]
    choices = []
    # "giống câu em" names the question only when one is shown; with several, its number.
    same = ("similar.same",) if len(hits) == 1 else ()
    for index, hit in enumerate(hits, start=1):
        # Another young person's words: never their phone number or e-mail address.
        text = masked(hit.text)
        short = text if len(text) <= 160 else text[:157].rsplit(" ", 1)[0] + "…"
        lines.append(ctx.tr.n("similar.line", hit.people, index=index, text=short))
        choices.append(
            Choice(ctx.tr("similar.support", index=index), "ss", str(hit.question_id), intents=same)
        )
    choices.append(Choice(ctx.tr("similar.send_mine"), "sm", intents=("similar.different",)))
    ctx.ask(State.SIMILAR, "\n".join(lines), choices)


@router.action("ss")
async def support_similar(ctx: Ctx, arg: str) -> None:
    question = await ctx.store.questions.get(int(arg))
    if question is None or question.campaign_id != ctx.draft.get("campaign_id"):
        await ctx.audit("button.forged", target=f"question:{arg}", reason="foreign question")
        ctx.say(ctx.tr("button.invalid"))
        ctx.repeat_prompt()
        return
    if question.status == "withdrawn":
        # Taken back by its asker since the list was shown: never answered, its supports
        # counted nowhere. No promise of an answer; the person's own words are sent.
        ctx.say(ctx.tr("similar.withdrawn"))
        await show_preview(ctx)
        return
    added = await ctx.store.questions.add_support(
        question.id, ctx.person.id, ctx.person.unit_id, now=ctx.now
    )
    answered = bool(question.answer) and question.answer_published_at is not None
    key = "similar.supported" if added else "similar.already_supported"
    # No "we'll tell you when it is answered" over the answer itself.
    ctx.say(ctx.tr(key + ".answered" if answered else key, code=question.code))
    if answered:
        # Answered and published already: the answer now, not never (the askers and
        # supporters were told at publication, before this person joined).
        ctx.say(
            ctx.tr(
                "answer.notice_supporter",
                code=question.code,
                question=short(masked(question.text, question.asker_name), 200),
                answer=question.answer,
                by=question.answered_by or ctx.tr("answer.by_default"),
            )
        )
    # The person's own words are not dropped with the tap: a quick tap on a question
    # that asks something else, or one more aspect, would otherwise be lost unsaid.
    ctx.draft["supported"] = question.code
    _ask_supported(ctx)


def _ask_supported(ctx: Ctx) -> None:
    ctx.ask(
        State.SUPPORTED,
        ctx.tr("similar.also_mine", code=ctx.draft.get("supported", "")),
        [
            [Choice(ctx.tr("similar.also_send"), "sa", intents=("yes", "send"))],
            [Choice(ctx.tr("similar.enough"), "se", intents=("no", "cancel", "enough"))],
        ],
    )


@router.reask(State.SUPPORTED)
async def reask_supported(ctx: Ctx) -> None:
    _ask_supported(ctx)


@router.text(State.SUPPORTED)
async def supported_text(ctx: Ctx, text: str) -> None:
    """Words typed when asked whether to send one's own question too: a hello or the
    dates answered; a question's worth of words (the other aspect, typed instead of
    tapping) offered to add to the question, as at the similar-question prompt (they were "not
    understood" and lost)."""
    if await aside(ctx, text):
        return
    cleaned = clean_text(text)
    if _comparable(cleaned) == _comparable(ctx.draft.get("text", "")):
        await send_mine_too(ctx, "")  # their question sent again: they want it sent
        return
    if not question_like(cleaned):  # "thôi không cần đâu ạ" adds nothing to a question
        ctx.say(ctx.tt("similar.also_not_understood"))
        ctx.repeat_prompt()
        return
    ctx.draft.pop("supported", None)
    ctx.data["amend"] = cleaned[: ctx.settings.max_question_chars * 3]
    ctx.collect("amend")
    ask_amend(ctx)


@router.action("sa")
async def send_mine_too(ctx: Ctx, _: str) -> None:
    ctx.draft.pop("supported", None)
    await show_preview(ctx)


@router.action("se")
async def support_only(ctx: Ctx, _: str) -> None:
    ctx.reset()
    ctx.say(ctx.tr("similar.enough_done"))


@router.action("sm")
async def send_mine(ctx: Ctx, _: str) -> None:
    await show_preview(ctx)


# -- preview and submission -------------------------------------------------------------------


async def show_preview(ctx: Ctx) -> None:
    found = await _draft_campaign(ctx)
    if found is None:
        await advance(ctx)
        return
    campaign, late = found
    draft = ctx.draft
    unit = await ctx.engine.unit(int(draft["unit_id"]))
    topic = await ctx.engine.topic(int(draft["topic_id"]))
    person = ctx.person
    draft.pop("unseen", None)
    if person.anonymous and campaign.allow_anonymous:
        name = ctx.tr("preview.anonymous")
    else:
        name = person.full_name or ""
    lines = [
        ctx.tr("preview.title"),
        ctx.tr("preview.unit", unit=unit.name if unit else "?"),
        ctx.tr("preview.name", name=name),
    ]
    if person.category:
        lines.append(ctx.tr("preview.category", category=ctx.tr(f"category.{person.category}")))
    lines += [
        ctx.tr("preview.topic", topic=ctx.topic_name(topic)),
        ctx.tr("preview.text", text=draft["text"]),
    ]
    if late:
        lines.append(ctx.tr("preview.late"))
    subject = announced_subject(str(draft["text"]))
    if subject is not None:
        # "em muốn hỏi về lớp học nghề" alone: sendable, but officials answer a concrete
        # question better; words typed now are offered as an addition.
        lines.append(ctx.tr("preview.vague", subject=subject))
    parts = [] if draft.get("part") else question_parts(str(draft["text"]))
    if parts:
        # Wifi, a road and a vocational class go to three departments: one by one.
        lines.append(ctx.tr("preview.several", n=len(parts)))
    contacts = contact_details(str(draft["text"]))
    if contacts:
        # Officials and printed summaries read the text as it is: the person decides.
        # Asked anonymously, a number names the asker all the same: said plainly.
        anonymous = person.anonymous and campaign.allow_anonymous
        key = "preview.contacts_anonymous" if anonymous else "preview.contacts"
        lines.append(ctx.tr(key, contact=", ".join(contacts)))
    ctx.ask(
        State.PREVIEW,
        "\n".join(lines),
        [
            [Choice(ctx.tr("preview.send"), "ps", intents=("send",))],
            *([[Choice(ctx.tr("preview.split", n=len(parts)), "pm")]] if parts else []),
            *(
                [[Choice(ctx.tr("preview.drop_contacts"), "px", intents=("preview.contacts",))]]
                if contacts
                else []
            ),
            [
                Choice(ctx.tr("preview.edit_text"), "pt", intents=("preview.text",)),
                Choice(ctx.tr("preview.edit_topic"), "pp", intents=("preview.topic",)),
            ],
            [
                Choice(ctx.tr("preview.edit_unit"), "pu", intents=("preview.unit",)),
                Choice(ctx.tr("preview.edit_name"), "pn", intents=("preview.name",)),
            ],
            # Typed "thôi", "không gửi nữa": asked to confirm (preview_text); the button
            # or its word "hủy" drops the question at once.
            [Choice(ctx.tr("preview.cancel"), "pc")],
        ],
    )


@router.action("pt")
async def preview_edit_text(ctx: Ctx, _: str) -> None:
    ctx.ask(
        State.TEXT,
        ctx.tr("edit.ask_text", text=ctx.draft.get("text", "")),
    )


@router.action("px")
async def preview_drop_contacts(ctx: Ctx, _: str) -> None:
    """The phone numbers and e-mail addresses taken out of the question (and the words
    that introduce them), then the preview again; or, when little else is left, the
    question asked again."""
    text = str(ctx.draft.get("text", ""))
    kept = without_contacts(text)
    if len(_comparable(kept)) < ctx.settings.min_question_chars:
        ctx.ask(State.TEXT, ctx.tr("preview.contacts_only"))
        return
    ctx.draft["text"] = kept
    ctx.say(ctx.tr("preview.contacts_dropped"))
    await show_preview(ctx)


@router.action("pp")
async def preview_edit_topic(ctx: Ctx, _: str) -> None:
    ctx.draft.pop("topic_id", None)
    ctx.draft["all_topics"] = True  # changing it: every group, not the guess again
    await advance(ctx)


@router.action("pu")
async def preview_edit_unit(ctx: Ctx, _: str) -> None:
    ctx.draft.pop("unit_id", None)
    ctx.draft["change_unit"] = True
    ctx.draft["unit_other"] = True
    await advance(ctx)


@router.action("pm")
async def preview_split(ctx: Ctx, _: str) -> None:
    """Send the questions of a numbered list one by one: the first now (its own topic
    group, its own preview), the others after it."""
    parts = question_parts(str(ctx.draft.get("text", "")))
    if len(parts) < 2:
        await show_preview(ctx)
        return
    await _next_part(ctx, parts, total=len(parts))


async def _next_part(ctx: Ctx, parts: list[str], *, total: int) -> None:
    """The draft becomes the next question of the list (``parts``, the rest queued)."""
    number = total - len(parts) + 1
    for key in ("topic_id", "similar_done", "all_topics", "subject", "topic_later"):
        ctx.draft.pop(key, None)
    ctx.draft.update(text=parts[0], queue=parts[1:], part=[number, total])
    ctx.say(ctx.tr("several.part", n=number, total=total, text=short(parts[0], 80)))
    await advance(ctx)


@router.action("pn")
async def preview_edit_name(ctx: Ctx, _: str) -> None:
    ctx.draft.pop("name_done", None)
    ctx.draft.pop("anonymous", None)
    ctx.draft["change_name"] = True
    await advance(ctx)


@router.action("pc")
async def preview_cancel(ctx: Ctx, _: str) -> None:
    if await cancel_part(ctx):
        return
    ctx.reset()
    ctx.say(ctx.tr("cancelled"))


async def cancel_part(ctx: Ctx) -> bool:
    """ "Hủy" on one question of a numbered list: that one goes, the next follows (the
    rest, never shown yet, were lost with it). False when no list is being sent."""
    queue = [str(part) for part in ctx.draft.get("queue") or []]
    part = ctx.draft.get("part")
    if ctx.state not in DRAFT_STATES or not queue or not part:
        return False
    number, total = int(part[0]), int(part[1])
    campaign_id = ctx.draft.get("campaign_id")
    ctx.reset()
    ctx.say(ctx.tr("several.dropped", n=number, total=total))
    if campaign_id is not None:
        ctx.draft["campaign_id"] = campaign_id
    await _next_part(ctx, queue, total=total)
    return True


@router.action("ps")
async def submit(ctx: Ctx, _: str) -> None:
    found = await _draft_campaign(ctx)
    if found is None:
        await advance(ctx)  # closed meanwhile: says so
        return
    campaign, late = found
    draft = ctx.draft
    if draft.get("unseen"):
        # Text joined after the preview was shown: nothing is sent unseen.
        ctx.say(ctx.tt("preview.joined"))
        await show_preview(ctx)
        return
    last = await ctx.store.questions.last_of_person(ctx.person.id)
    if (
        last is not None
        and last.campaign_id == campaign.id
        and last.status != "withdrawn"
        and _comparable(last.text) == _comparable(draft["text"])
    ):
        ctx.reset()
        ctx.say(ctx.tr("duplicate.same_text", code=last.code))
        return
    if await _over_limit(ctx):
        ctx.repeat_prompt()  # the draft stays; they can send it later
        return
    person = ctx.person
    anonymous = person.anonymous and campaign.allow_anonymous
    question = await ctx.store.questions.create(
        NewQuestion(
            campaign_id=campaign.id,
            person_id=person.id,
            unit_id=int(draft["unit_id"]),
            topic_id=int(draft["topic_id"]),
            category=person.category or None,
            text=draft["text"],
            asker_name=person.full_name,
            anonymous=anonymous,
            channel=ctx.event.channel,
            late=late,
        ),
        now=ctx.now,
    )
    if ctx.engine.similar is not None:
        await ctx.engine.similar.added(question)
    queue = [str(part) for part in draft.get("queue") or []]
    total = int((draft.get("part") or [0, 0])[1])
    ctx.reset()
    ctx.say(ctx.tr("receipt.late" if late else "receipt", code=question.code))
    if queue:
        # The next question of the list the person chose to send one by one. Past the
        # hourly limit (said here) it waits as the draft, sent once the hour has passed.
        await _over_limit(ctx)
        ctx.draft["campaign_id"] = campaign.id
        await _next_part(ctx, queue, total=total)


# -- free text when idle -------------------------------------------------------------------------


@router.text("*idle")
async def idle_text(ctx: Ctx, text: str) -> None:
    """A question typed straight away starts the flow with it as the draft; a short
    request in words ("cảm ơn", "khi nào có trả lời", "em muốn sửa câu hỏi") gets its
    answer or its command."""
    if await official_idle(ctx, text):  # an official: their tasks, not the young's flow
        return
    has_consent = await ctx.store.people.has_consent(ctx.person.id, version=CONSENT_VERSION)
    if await switch_language(ctx, text):  # "english please" (then the welcome, if new)
        return
    if "anonymous" in intents(text):  # "em muốn hỏi kín": a question, anonymous
        if not has_consent:
            await welcome(ctx, anonymous=True)
            return
        opens = await ctx.engine.open_campaigns(ctx.now)
        if opens and not any(c.allow_anonymous for c, _ in opens):
            ctx.say(ctx.tr("anonymous.not_allowed"))
            return
        if opens:
            ctx.say(ctx.tr("anonymous.noted"))
        ctx.data["early_anonymous"] = True
        await begin(ctx)
        return
    if has_consent and await _answer_request(ctx, text):
        return
    cleaned = clean_text(text)
    if has_consent and not intents(text):  # "chào ad", "ok": no feedback
        # Said back about an answer ("em chưa hài lòng…"), or anything once no dialogue
        # takes questions: recorded with the answered question, not lost.
        open_campaign = bool(await ctx.engine.open_campaigns(ctx.now))
        if await feedback.offer(ctx, cleaned, open_campaign=open_campaign):
            return
    looks_like_question = len(_comparable(cleaned)) >= 25 and " " in cleaned
    too_long = len(cleaned) > ctx.settings.max_question_chars
    if has_consent and looks_like_question and not too_long:
        await begin(ctx, text=cleaned)
        ctx.collect("draft")
        return
    if not has_consent:
        # A question as the very first message: kept while consent is asked.
        early = question_like(cleaned) and not too_long
        dropped = too_long and question_like(cleaned)
        if dropped:
            _say_not_kept(ctx, cleaned)  # before the welcome, which ends in a question
        # "cho em hỏi về việc làm ạ" first: what it is about is kept too (it was dropped).
        subject = None if early or dropped else await _idle_subject(ctx, cleaned)
        await welcome(ctx, early_text=cleaned if early else None, subject=subject)
        if early:
            ctx.collect("early")
        elif dropped:
            _swallow_rest(ctx, cleaned)
        return
    if too_long and looks_like_question:
        _say_not_kept(ctx, cleaned)
        _swallow_rest(ctx, cleaned)
        return
    if not await ctx.engine.open_campaigns(ctx.now):
        # Not "gõ /hoi": /hoi would only say that collection has closed.
        closed = await ctx.engine.recently_closed(ctx.now)
        if closed is None or not await ctx.store.questions.of_person(ctx.person.id, limit=1):
            say_closed(ctx, closed)
        else:
            close = _close_text(ctx, closed)
            ctx.say(ctx.tr("welcome.back_closed", campaign=closed.title, close=close))
        return
    subject = await _idle_subject(ctx, cleaned)
    if subject is not None or lead_in_only(cleaned):
        # "em muốn hỏi (về học bổng)", "việc làm": the next question, about that (it was
        # "Chào bạn quay lại! Gõ /hoi …", the words dropped).
        if subject:
            ctx.data["early_subject"] = subject
        await begin(ctx)
        return
    # "ok", "👍", "dạ" after the receipt, "gửi" after an edit (saved at once): an
    # acknowledgement, not "Chào bạn quay lại!". ("gửi" also answers "similar questions".)
    said = intents(text) - {"similar.different"}
    ctx.say(ctx.tr("idle.ok" if said and said <= {"yes", "send"} else "welcome.back"))


async def _idle_subject(ctx: Ctx, cleaned: str) -> str | None:
    """What a short message outside the flow says a question will be about: "em muốn hỏi
    về học bổng", or a few words naming a topic group ("việc làm", "wifi?"); None for
    words about nothing ("hihi", "test")."""
    if (subject := announced_subject(cleaned)) is not None:
        return subject
    if intents(cleaned) or len(cleaned.split()) > 4 or not _LETTERS.search(cleaned):
        return None
    for campaign, _ in await ctx.engine.open_campaigns(ctx.now):
        topics = await ctx.engine.topics(campaign.id)
        if suggest_topics(cleaned, [t.name for t in topics]):
            return cleaned.rstrip(" ?!.")
    return None


def _swallow_rest(ctx: Ctx, cleaned: str) -> None:
    """The rest of a message the app split joins this one (not taken for a question)."""
    ctx.data["overflow"] = cleaned[: ctx.settings.max_question_chars * 3]
    ctx.collect("overflow")


def _say_not_kept(ctx: Ctx, cleaned: str) -> None:
    """A question too long to keep, typed outside the question step: say so (a greeting
    would let the person believe it was received)."""
    _say_too_long(ctx, "idle.too_long_cut" if ctx.event.cut else "idle.too_long", len(cleaned))


def _say_too_long(ctx: Ctx, key: str, length: int) -> None:
    """Message ``key`` with a text's ``length`` and the question limit, as people write
    numbers ("2.400 ký tự, tối đa 2.000")."""
    limit = ctx.settings.max_question_chars
    ctx.say(ctx.tr(key, length=ctx.tr.number(length), limit=ctx.tr.number(limit)))


@router.action("fq")
async def feedback_as_question(ctx: Ctx, _: str) -> None:
    """What was offered as feedback on an answer is a new question after all."""
    text = str(ctx.data.get("feedback_text", ""))
    ctx.reset()
    await begin(ctx, text=text or None)


async def _answer_request(ctx: Ctx, text: str) -> bool:
    """Answer what :func:`idle_request` reads in ``text``; False when it reads nothing."""
    request = idle_request(text)
    if request is None:
        return False
    if request == "thanks":
        ctx.say(ctx.tr("idle.thanks"))
    elif request == "when":
        latest = await ctx.store.questions.of_person(ctx.person.id, limit=1)
        campaign = await ctx.engine.campaign(latest[0].campaign_id) if latest else None
        if campaign is None:
            ctx.say(ctx.tr("idle.when_undated"))
        else:
            ctx.say(ctx.tr("idle.when", date=f"{campaign.dialogue_date:%d/%m/%Y}"))
    elif request == "dates":
        await tell_dates(ctx)
    else:
        await ctx.engine.command(ctx, request)  # "/sua", "/rut"... without arguments
    return True


async def tell_dates(ctx: Ctx, *, official: bool = False) -> None:
    """When the dialogue is, until when questions are taken, who announces the place: of
    the campaign the person last asked in, else of those taking questions, else of every
    active one. ``official``: said to an official (formal, no "send /hoi")."""
    latest = [] if official else await ctx.store.questions.of_person(ctx.person.id, limit=1)
    asked = await ctx.engine.campaign(latest[0].campaign_id) if latest else None
    campaigns = [asked] if asked is not None and asked.status == "active" else []
    campaigns = campaigns or [c for c, _ in await ctx.engine.open_campaigns(ctx.now)]
    campaigns = campaigns or await ctx.store.campaigns.active()
    if not campaigns:
        ctx.say(ctx.tr("idle.dates_none"))
        return
    today = ctx.now.astimezone(ctx.settings.timezone).date()
    said = "official" if official else "idle"
    for campaign in campaigns[:3]:
        dialogue = f"{campaign.dialogue_date:%d/%m/%Y}"
        close = campaign.deadline(DeadlineKind.QUESTIONS_CLOSE)
        lines = [ctx.tr("idle.dates", title=campaign.title, date=dialogue)]
        if campaign.dialogue_date < today:
            lines.append(ctx.tr(f"{said}.dates_held", date=dialogue))
        elif today <= close:
            left = (close - today).days
            lines.append(ctx.tr.n(f"{said}.dates_open", left, close=f"{close:%d/%m/%Y}"))
        elif campaign.accept_late:
            lines.append(ctx.tr("idle.dates_late", close=f"{close:%d/%m/%Y}"))
        else:
            lines.append(ctx.tr("idle.dates_closed", close=f"{close:%d/%m/%Y}"))
        if campaign.dialogue_date >= today:
            organiser = campaign.organiser or ctx.tr("idle.dates_organisers")
            lines.append(ctx.tr("idle.dates_place", organiser=organiser))
        if campaign.contact:
            lines.append(ctx.tr("idle.dates_contact", contact=campaign.contact))
        ctx.say("\n".join(lines))
