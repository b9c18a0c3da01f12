"""The live programme ("kịch bản"): the 10-15 questions asked at the dialogue itself
(a question at most 2 minutes, its answer at most 7), in the order they are asked, each
with the wording read out and who answers it on stage.

The automatic selection (the issues most young people raised, at most 3 per topic group,
up to 15) is the proposal organisers start from. They then:

- **add** (pick) a question: it is pinned;
- **pin** a proposed one (kept when the proposal is refreshed), or **unpin** it;
- **drop** one: it leaves the programme and is never proposed again (until added back);
- **reword** one: the wording read out changes, the asker's own text stays as it is;
- **move** one to another place; **assign** who answers it (the chair, a department
  head, or a named person).

Refreshing the proposal replaces only the proposed items that were not pinned.
Used by ``youthbot programme`` and the organisers' ``/kichban`` in chat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.campaign.departments import campaign_province, find_department
from bot.clock import VIETNAM_TZ
from bot.clustering.normalize import fold
from bot.documents.build import DigestScope, build_digest, host_name
from handlers.engine import short
from locales import LocalizedError, Translator
from storage import Store
from storage.models import Campaign, Question
from storage.programme import ProgrammeItem

PROGRAMME_MAX = 15
PROGRAMME_MIN = 10
QUESTION_MINUTES = 2
ANSWER_MINUTES = 7
MAX_WORDING = 1000


class ProgrammeError(LocalizedError):
    """An edit the programme refuses (texts in ``locales/*/programme.po``)."""


@dataclass(frozen=True)
class ProgrammeEntry:
    """A programme item with its question."""

    item: ProgrammeItem
    question: Question

    @property
    def wording(self) -> str:
        return self.item.wording or self.question.text

    @property
    def reworded(self) -> bool:
        return self.item.wording is not None


@dataclass(frozen=True)
class RelatedQuestion:
    """Another question of a programme question's group: its code, unit and own words."""

    code: str
    unit: str
    text: str


async def related(
    store: Store, entries: Sequence[ProgrammeEntry]
) -> dict[int, list[RelatedQuestion]]:
    """For each programme question (by id), the other questions of its group: a group may
    be wrong, and whoever answers on stage answers them too, so each is listed in its
    asker's own words (withdrawn ones left out)."""
    units: dict[int, str] = {}
    found: dict[int, list[RelatedQuestion]] = {}
    for entry in entries:
        others = []
        for other in await store.questions.in_cluster(entry.question):
            if other.id == entry.question.id:
                continue
            if other.unit_id not in units:
                unit = await store.units.get(other.unit_id)
                units[other.unit_id] = unit.name if unit is not None else ""
            others.append(RelatedQuestion(other.code, units[other.unit_id], other.text))
        if others:
            found[entry.question.id] = others
    return found


async def entries(store: Store, campaign: Campaign) -> list[ProgrammeEntry]:
    """The programme in order (dropped items left out)."""
    found = []
    for item in await store.programme.items(campaign.id):
        question = await store.questions.get(item.question_id)
        if question is not None and question.status != "withdrawn":
            found.append(ProgrammeEntry(item, question))
    return found


async def _default_answerer(store: Store, question: Question) -> tuple[str, str | None]:
    department = await store.questions.department_of(question.id)
    return ("department", department) if department else ("chair", None)


async def propose(
    store: Store, campaign: Campaign, *, now: datetime, refresh: bool = False
) -> list[ProgrammeEntry]:
    """Start from the automatic selection. Without ``refresh`` an existing programme is
    kept as it is; with it, proposed items that were not pinned are replaced."""
    items = await store.programme.items(campaign.id, include_dropped=True)
    if items and not refresh:
        return await entries(store, campaign)
    if items and now.astimezone(VIETNAM_TZ).date() > campaign.dialogue_date:
        # The programme is the record of what was asked: a new ranking must not replace it.
        raise ProgrammeError("programme.after_dialogue", date=f"{campaign.dialogue_date:%d/%m/%Y}")
    async with store.transaction():
        await store.programme.remove_proposed(campaign.id)
        kept = await store.programme.items(campaign.id, include_dropped=True)
        taken = {i.question_id for i in kept}
        active = [i for i in kept if i.state != "dropped"]
        data = await build_digest(
            store, campaign, scope=DigestScope(), show_names=False, language="vi", now=now
        )
        position = len(active)
        for cluster in data.top_candidates:
            if position >= PROGRAMME_MAX:
                break
            question = await store.questions.by_code(cluster.representative_code)
            if question is None or question.id in taken:
                continue
            # A cluster whose member is already in the programme (or dropped) is covered.
            if question.cluster_id is not None and any(
                q.cluster_id == question.cluster_id
                for q in [await store.questions.get(i) for i in taken]
                if q is not None
            ):
                continue
            position += 1
            kind, name = await _default_answerer(store, question)
            await store.programme.add(
                campaign.id,
                question.id,
                state="proposed",
                position=position,
                answerer_kind=kind,
                answerer=name,
                now=now,
            )
            taken.add(question.id)
        await _renumber(store, campaign)
        await store.audit.record(
            "programme.propose", at=now, target=f"campaign:{campaign.id}", detail={}
        )
    return await entries(store, campaign)


async def _renumber(store: Store, campaign: Campaign) -> None:
    items = await store.programme.items(campaign.id)
    await store.programme.set_positions([(item.id, n) for n, item in enumerate(items, start=1)])


async def _question(store: Store, campaign: Campaign, code: str) -> Question:
    question = await store.questions.by_code(code)
    if question is None or question.campaign_id != campaign.id:
        raise ProgrammeError("programme.unknown", code=code.strip().upper()[:12])
    if question.status == "withdrawn":
        raise ProgrammeError("programme.withdrawn", code=question.code)
    return question


async def _item(store: Store, campaign: Campaign, code: str) -> tuple[ProgrammeItem, Question]:
    question = await _question(store, campaign, code)
    for item in await store.programme.items(campaign.id):
        if item.question_id == question.id:
            return item, question
    raise ProgrammeError("programme.not_in", code=question.code)


async def add(store: Store, campaign: Campaign, code: str, *, now: datetime) -> ProgrammeEntry:
    """Pick a question for the programme (pinned, last place)."""
    question = await _question(store, campaign, code)
    async with store.transaction():
        active = await store.programme.items(campaign.id)
        current = next((i for i in active if i.question_id == question.id), None)
        if current is not None:
            await store.programme.update(current.id, now=now, state="pinned")
        else:
            if len(active) >= PROGRAMME_MAX:
                raise ProgrammeError("programme.full", max=PROGRAMME_MAX)
            kind, name = await _default_answerer(store, question)
            await store.programme.add(
                campaign.id,
                question.id,
                state="pinned",
                position=len(active) + 1,
                answerer_kind=kind,
                answerer=name,
                now=now,
            )
        await _renumber(store, campaign)
        await store.audit.record("programme.add", at=now, target=f"question:{question.id}")
    return await _entry(store, campaign, question)


async def _entry(store: Store, campaign: Campaign, question: Question) -> ProgrammeEntry:
    return next(e for e in await entries(store, campaign) if e.question.id == question.id)


async def set_pinned(
    store: Store, campaign: Campaign, code: str, pinned: bool, *, now: datetime
) -> ProgrammeEntry:
    if pinned:
        return await add(store, campaign, code, now=now)
    item, question = await _item(store, campaign, code)
    await store.programme.update(item.id, now=now, state="proposed")
    await store.audit.record("programme.unpin", at=now, target=f"question:{question.id}")
    return await _entry(store, campaign, question)


async def drop(store: Store, campaign: Campaign, code: str, *, now: datetime) -> Question:
    item, question = await _item(store, campaign, code)
    async with store.transaction():
        await store.programme.update(item.id, now=now, state="dropped", position=0)
        await _renumber(store, campaign)
        await store.audit.record("programme.drop", at=now, target=f"question:{question.id}")
    return question


async def reword(
    store: Store, campaign: Campaign, code: str, wording: str | None, *, now: datetime
) -> ProgrammeEntry:
    """The wording read out at the dialogue (``None`` or blank: the asker's own again)."""
    item, question = await _item(store, campaign, code)
    text = " ".join((wording or "").split()) or None
    if text is not None and len(text) > MAX_WORDING:
        raise ProgrammeError("programme.too_long", max=MAX_WORDING)
    if text == " ".join(question.text.split()):
        text = None
    await store.programme.update(item.id, now=now, wording=text)
    await store.audit.record(
        "programme.reword", at=now, target=f"question:{question.id}", detail={"reset": text is None}
    )
    return await _entry(store, campaign, question)


async def move(
    store: Store, campaign: Campaign, code: str, position: int, *, now: datetime
) -> list[ProgrammeEntry]:
    item, question = await _item(store, campaign, code)
    async with store.transaction():
        items = [i for i in await store.programme.items(campaign.id) if i.id != item.id]
        place = max(1, min(position, len(items) + 1))
        items.insert(place - 1, item)
        await store.programme.set_positions([(i.id, n) for n, i in enumerate(items, start=1)])
        await store.audit.record(
            "programme.move", at=now, target=f"question:{question.id}", detail={"to": place}
        )
    return await entries(store, campaign)


CHAIR_WORDS = ("chair", "chu tich", "chutich", "chủ tịch")


async def assign(
    store: Store, campaign: Campaign, code: str, who: str, *, person: bool = False, now: datetime
) -> ProgrammeEntry:
    """Who answers on stage: ``"chair"`` (or "chủ tịch"), a department of the registry
    (its head answers), or with ``person=True`` a named person ("Phó Chủ tịch ...")."""
    item, question = await _item(store, campaign, code)
    text = " ".join(who.split())
    if not text:
        raise ProgrammeError("programme.assign_usage")
    if person:
        kind, name = "person", text[:200]
    elif fold(text) in {fold(w) for w in CHAIR_WORDS}:
        kind, name = "chair", None
    else:
        province = await campaign_province(store, campaign)
        kind, name = "department", (await find_department(store, province, text, now=now)).name
    await store.programme.update(item.id, now=now, answerer_kind=kind, answerer=name)
    await store.audit.record(
        "programme.assign", at=now, target=f"question:{question.id}", detail={"kind": kind}
    )
    return await _entry(store, campaign, question)


async def edit(
    store: Store,
    campaign: Campaign,
    action: str,
    code: str,
    *,
    text: str | None = None,
    position: int | None = None,
    who: str | None = None,
    person: bool = False,
    now: datetime,
) -> list[ProgrammeEntry]:
    """One organiser's edit, named by ``action`` (add, pin, unpin, drop, reword, move,
    assign), as the chat and the command line both do it; returns the new programme."""
    if action == "add":
        await add(store, campaign, code, now=now)
    elif action in ("pin", "unpin"):
        await set_pinned(store, campaign, code, action == "pin", now=now)
    elif action == "drop":
        await drop(store, campaign, code, now=now)
    elif action == "reword":
        await reword(store, campaign, code, text, now=now)
    elif action == "move":
        if position is None:
            raise ProgrammeError("programme.move_usage")
        await move(store, campaign, code, position, now=now)
    elif action == "assign":
        await assign(store, campaign, code, who or "", person=person, now=now)
    else:
        raise ValueError(f"unknown programme edit {action!r}")
    return await entries(store, campaign)


def answerer_label(item: ProgrammeItem, campaign: Campaign, tr: Translator) -> str:
    """Who answers on stage, as the programme prints it."""
    if item.answerer_kind == "department" and item.answerer:
        return tr.t("programme.answerer.department", department=item.answerer)
    if item.answerer_kind == "person" and item.answerer:
        return item.answerer
    return chair_label(campaign, tr)


def chair_label(campaign: Campaign, tr: Translator) -> str:
    return tr.t("programme.answerer.chair", host=host_name(campaign, tr.language))


def minutes(count: int) -> int:
    """The time the live questions take at most (2 minutes to ask, 7 to answer)."""
    return count * (QUESTION_MINUTES + ANSWER_MINUTES)


def format_programme(
    campaign: Campaign,
    entries: list[ProgrammeEntry],
    tr: Translator,
    topics: dict[int, str],
    related: Mapping[int, Sequence[RelatedQuestion]] | None = None,
    *,
    shown: int | None = None,
) -> str:
    """The programme as text (chat and command line): number, pin, code, topic group,
    who answers, the wording read out and, when reworded, the asker's own words; under
    it the other questions of its group (``related``), each with its code, unit and own
    words (the first ``shown`` of them, then how many more)."""
    count = len(entries)
    lines = [tr.n("programme.title", count, campaign=campaign.title, minutes=minutes(count))]
    for number, entry in enumerate(entries, start=1):
        lines.append(
            tr(
                "programme.line",
                number=number,
                pin="📌 " if entry.item.state == "pinned" else "",
                code=entry.question.code,
                topic=topics.get(entry.question.topic_id, ""),
                answerer=answerer_label(entry.item, campaign, tr),
                text=short(entry.wording, 160),
            )
        )
        if entry.reworded:
            lines.append(tr("programme.original", text=short(entry.question.text, 160)))
        others = (related or {}).get(entry.question.id, ())
        if others:
            lines.append(tr("programme.related"))
            listed = others if shown is None else others[:shown]
            for other in listed:
                lines.append(
                    tr(
                        "programme.related_line",
                        code=other.code,
                        unit=other.unit,
                        text=short(other.text, 160),
                    )
                )
            if len(others) > len(listed):
                lines.append(tr.n("programme.related_more", len(others) - len(listed)))
    if count < PROGRAMME_MIN:
        lines.append(tr("programme.few", min=PROGRAMME_MIN))
    return "\n".join(lines)
