"""Filling a :class:`~bot.documents.model.DigestData` from the database for one reader's scope.

Scope and privacy are decided here, before any renderer runs: a secretary's digest is
built from their unit's questions only, a department's from the questions routed to it,
and names are removed unless the reader's role may see them ("Scope and privacy").
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.clustering.normalize import fold
from bot.documents.issuers import Issuer, IssuerContext, Level, layers_for, level_of, resolve
from bot.documents.model import (
    ClusterRow,
    DeadlineRow,
    DigestData,
    QuestionRow,
    Scope,
    Totals,
    UnitRow,
    build_topic_sections,
    select_candidates,
)
from handlers.engine import topic_label
from locales import Translator, translator
from storage import Store
from storage.conclusions import Commitment, ConclusionEntry
from storage.models import Campaign, Unit, UnitKind
from storage.reports import QuestionReport, SupportReport

MAX_CANDIDATES_PER_TOPIC = 3  # the live questions should cover several topic groups


@dataclass(frozen=True)
class DigestScope:
    """Whose digest: the whole campaign, one unit (its secretary) or one department."""

    kind: Scope = "campaign"
    unit_id: int | None = None
    department: str | None = None


async def scope_from_options(
    store: Store, *, unit_code: str | None = None, department: str | None = None
) -> DigestScope:
    """The scope the CLI options name (``--unit CODE`` / ``--department NAME``).

    Raises ``LookupError`` naming the unknown unit code.
    """
    if unit_code:
        unit = await store.units.by_code(unit_code)
        if unit is None:
            raise LookupError(f"no unit with code {unit_code!r}; see `youthbot units list`")
        return DigestScope(kind="unit", unit_id=unit.id)
    if department and department.strip():
        return DigestScope(kind="department", department=department.strip())
    return DigestScope()


def host_name(campaign: Campaign, language: str) -> str:
    """ "UBND tỉnh Cao Bằng", "UBND phường Thục Phán" — whose dialogue it is."""
    name = campaign.host_unit_name
    tr = translator(language)
    if campaign.level == "province" and not name.lower().startswith("thành phố"):
        return tr("digest.host.province", name=name)
    return tr("digest.host.other", name=name[:1].lower() + name[1:] if language == "vi" else name)


async def build_digest(
    store: Store,
    campaign: Campaign,
    *,
    scope: DigestScope,
    show_names: bool,
    language: str,
    now: datetime,
    since: datetime | None = None,
    tz_today: datetime | None = None,
) -> DigestData:
    tr = translator(language)
    reports = await store.reports.questions(
        campaign.id, unit_id=scope.unit_id, department=scope.department, until=now
    )
    supports = await store.reports.supports(campaign.id)
    commitments = await store.conclusions.commitments(campaign.id)
    live = live_answers(await store.conclusions.entries(campaign.id))
    chosen = {c.id: c.representative for c in await store.clusters.of_campaign(campaign.id)}
    units_all = await _units_in_scope(store, campaign, scope, reports)
    topic_order = [t.name for t in await store.campaigns.topics(campaign.id, include_inactive=True)]
    scope_name = await _scope_name(store, campaign, scope, language)
    issuer = await issuer_for(store, campaign, scope, language=language)
    # The rest is CPU work over every question (seconds at 100,000): in a thread, so that
    # the chats go on meanwhile.
    return await asyncio.to_thread(
        _assemble,
        campaign,
        scope=scope,
        show_names=show_names,
        language=language,
        now=now,
        since=since,
        tz_today=tz_today,
        tr=tr,
        reports=reports,
        supports=supports,
        commitments=_commitment_lines(commitments, tr),
        live=live,
        chosen=chosen,
        units_all=units_all,
        topic_order=topic_order,
        scope_name=scope_name,
        issuer=issuer,
    )


def _assemble(
    campaign: Campaign,
    *,
    scope: DigestScope,
    show_names: bool,
    language: str,
    now: datetime,
    since: datetime | None,
    tz_today: datetime | None,
    tr: Translator,
    reports: list[QuestionReport],
    supports: list[SupportReport],
    commitments: dict[int, str],
    live: dict[int, str],
    chosen: dict[int, int | None],
    units_all: list[Unit],
    topic_order: list[str],
    scope_name: str,
    issuer: Issuer,
) -> DigestData:
    """The digest from what :func:`build_digest` read (no database access)."""
    in_scope = {r.id for r in reports}
    supporters_of: dict[int, list[int]] = defaultdict(list)
    new_supporters: set[int] = set()
    for support in supports:
        if support.question_id in in_scope and support.created_at <= now:
            supporters_of[support.question_id].append(support.person_id)
            if since is not None and support.created_at > since:
                new_supporters.add(support.person_id)

    labels = _Labels(tr)
    # Who answered live and when: the chair of the host, on the dialogue's day.
    chair = tr("conclusion.chair", host=host_name(campaign, language))
    rows = [
        _question_row(r, labels=labels, show_names=show_names, commitment=commitments.get(r.id))
        for r in reports
    ]
    rows = [
        replace(
            row,
            live_answer=live[row.id],
            live_answered_by=chair,
            live_answered_on=campaign.dialogue_date,
        )
        if row.id in live
        else row
        for row in rows
    ]
    clusters = _clusters(chosen, reports, supporters_of, labels)

    per_unit_questions: dict[int, int] = defaultdict(int)
    per_unit_people: dict[int, set[object]] = defaultdict(set)
    for r in reports:
        per_unit_questions[r.unit_id] += 1
        per_unit_people[r.unit_id].add(_asker_key(r))
        for person in supporters_of.get(r.id, ()):
            per_unit_people[r.unit_id].add(person)
    unit_rows = tuple(
        UnitRow(
            code=u.code,
            name=u.name,
            kind=tr(f"unit_kind.{u.kind.value}"),
            question_count=per_unit_questions.get(u.id, 0),
            people_count=len(per_unit_people.get(u.id, ())),
        )
        for u in units_all
    )
    silent = tuple(u for u in unit_rows if u.question_count == 0)

    people: set[object] = {_asker_key(r) for r in reports}
    people.update(p for ps in supporters_of.values() for p in ps)
    new_reports = [r for r in reports if since is not None and r.created_at > since]
    new_people = {_asker_key(r) for r in new_reports} | new_supporters
    totals = Totals(
        questions=len(reports),
        people=len(people),
        supporters=sum(len(v) for v in supporters_of.values()),
        units=sum(1 for u in unit_rows if u.question_count),
        units_total=len(unit_rows),
        new_questions=len(new_reports) if since is not None else len(reports),
        new_people=len(new_people) if since is not None else len(people),
    )

    sections = build_topic_sections(
        rows, clusters, topic_order=[labels.topic(name) for name in topic_order]
    )
    today = (tz_today or now).date()
    deadlines = tuple(
        DeadlineRow(tr(f"deadline.{d.kind.value}"), d.due, (d.due - today).days, d.kind.value)
        for d in campaign.deadlines
    )
    return DigestData(
        campaign_id=campaign.id,
        campaign_title=campaign.title,
        host_name=host_name(campaign, language),
        scope=scope.kind,
        scope_name=scope_name,
        period_start=None,  # the totals cover the whole campaign; "new" counts use `since`
        period_end=now,
        generated_at=now,
        totals=totals,
        topics=sections,
        top_candidates=select_candidates(
            (c for s in sections for c in s.clusters), max_per_topic=MAX_CANDIDATES_PER_TOPIC
        ),
        silent_units=silent,
        deadlines=deadlines,
        questions=tuple(rows),
        units=unit_rows,
        show_names=show_names,
        language=language,
        previous_digest_at=since,
        issuer_name=issuer.name,
        issuer_parent=issuer.parent,
        place_name=issuer.place,
        issuer=issuer,
    )


async def _issuer_context(store: Store, campaign: Campaign, *, language: str) -> IssuerContext:
    # The issuer's settings are Vietnamese administrative lines ("Chủ tịch, các Phó Chủ
    # tịch {host}", "{host} (để báo cáo)"): the host in them is Vietnamese whatever the
    # reader's language, never half of each.
    host = host_name(campaign, "vi")
    host_unit = await store.units.get(campaign.host_unit_id)
    province_name = campaign.host_unit_name
    if host_unit is not None and host_unit.kind != UnitKind.PROVINCE and host_unit.province_code:
        province = await store.units.by_code(host_unit.province_code)
        province_name = province.name if province else province_name
    return IssuerContext(
        province_name=province_name,
        host=host,
        campaign_level=campaign.level,
        host_unit=campaign.host_unit_name,
    )


async def level_issuer(
    store: Store, campaign: Campaign, level: Level, *, language: str = "vi"
) -> Issuer:
    """Who issues one of the documents after the questions (``answers``, ``programme``,
    ``conclusion``, ``report``): the campaign's stored settings over the level's defaults.
    In a commune dialogue ``{unit}`` is the host commune."""
    rows = await store.issuers.rows(campaign.id)
    context = await _issuer_context(store, campaign, language=language)
    if campaign.level == "commune":
        context = replace(context, unit=campaign.host_unit_name)
    return resolve(level, context, layers=layers_for(rows, level))


async def issuer_for(
    store: Store, campaign: Campaign, scope: DigestScope, *, language: str = "vi"
) -> Issuer:
    """Who issues the scope's document: the campaign's stored settings over the level's
    defaults (:mod:`bot.documents.issuers`) — the summary by the host's Youth Union, a
    unit's list by that unit's, a department's letter by Sở Nội vụ."""
    rows = await store.issuers.rows(campaign.id)
    context = await _issuer_context(store, campaign, language=language)
    if scope.kind == "unit" and scope.unit_id is not None:
        unit = await store.units.get(scope.unit_id)
        if unit is not None:
            level = level_of(unit.kind)
            if level == "province":
                return resolve(level, context, layers=layers_for(rows, level))
            return resolve(
                level,
                replace(context, unit=unit.name),
                layers=layers_for(rows, level, unit.code),
            )
    if scope.kind == "department":
        department = scope.department or ""
        return resolve(
            "department",
            replace(context, department=department),
            layers=layers_for(rows, "department", department),
        )
    return resolve("province", context, layers=layers_for(rows, "province"))


def _asker_key(r: QuestionReport) -> object:
    # An erased asker still counts as one person: keyed by the question.
    return r.person_id if r.person_id is not None else ("q", r.id)


class _Labels:
    """Status and category labels, translated once per digest rather than per question."""

    def __init__(self, tr: Translator) -> None:
        self._tr = tr
        self._cache: dict[str, str] = {}

    def __call__(self, key: str) -> str:
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._tr(key)
        return found

    def topic(self, name: str) -> str:
        """A topic group's name in the reader's language (a default group's name in
        English for an English reader; one an organiser added as they wrote it)."""
        found = self._cache.get("\0" + name)
        if found is None:
            found = self._cache["\0" + name] = topic_label(self._tr, name)
        return found


def live_answers(entries: Sequence[ConclusionEntry]) -> dict[int, str]:
    """The chair's answer at the dialogue to each question it covers: a question's own
    entry first, else the first entry covering it."""
    found = {entry.question_id: entry.text for entry in entries}
    for entry in entries:
        for question_id in entry.covers:
            found.setdefault(question_id, entry.text)
    return found


def _commitment_lines(commitments: list[Commitment], tr: Translator) -> dict[int, str]:
    """Each question's commitments as one line ("Sở X: … (hạn dd/mm/yyyy)")."""
    found: dict[int, list[str]] = defaultdict(list)
    for c in commitments:
        if c.question_id is not None:
            found[c.question_id].append(
                tr("digest.commitment", owner=c.owner, text=c.text, due=f"{c.due:%d/%m/%Y}")
            )
    return {question_id: "; ".join(lines) for question_id, lines in found.items()}


def _question_row(
    r: QuestionReport, *, labels: _Labels, show_names: bool, commitment: str | None = None
) -> QuestionRow:
    tr = labels
    return QuestionRow(
        id=r.id,
        code=r.code,
        created_at=r.created_at,
        asker_name=r.asker_name if (show_names and not r.anonymous) else None,
        anonymous=r.anonymous,
        unit_code=r.unit_code,
        unit_name=r.unit_name,
        category=tr(f"category.{r.category}") if r.category else None,
        topic=tr.topic(r.topic),
        cluster_label=f"N{r.cluster_id}" if r.cluster_id is not None else None,
        supporters=r.supporters,
        status=tr(f"status.{r.status}"),
        channel=r.channel,
        text=r.text,
        late=r.late,
        department=r.department,
        answer=r.answer,
        answered_at=r.answered_at,
        answered_by=r.answered_by,
        answer_published=r.answer_published_at is not None,
        commitment=commitment,
    )


def _clusters(
    chosen: dict[int, int | None],
    reports: list[QuestionReport],
    supporters_of: dict[int, list[int]],
    labels: _Labels,
) -> list[ClusterRow]:
    """Clusters restricted to the reports in scope (``chosen``: each cluster's chosen
    representative); unclustered questions stand alone."""
    groups: dict[int, list[QuestionReport]] = defaultdict(list)
    for r in reports:
        if r.cluster_id is not None:
            groups[r.cluster_id].append(r)
    found: list[ClusterRow] = []
    for cluster_id, members in groups.items():
        by_id = {m.id: m for m in members}
        rep = by_id.get(chosen.get(cluster_id) or -1) or max(
            members, key=lambda m: (m.supporters, -m.created_at.timestamp(), -m.id)
        )
        people: set[object] = {_asker_key(m) for m in members}
        for m in members:
            people.update(supporters_of.get(m.id, ()))
        unit_counts: dict[str, int] = defaultdict(int)
        for m in members:
            unit_counts[m.unit_name] += 1
        ordered_units = sorted(unit_counts, key=lambda u: (-unit_counts[u], alphabetical(u)))
        codes = [rep.code] + [m.code for m in members if m.id != rep.id]
        found.append(
            ClusterRow(
                label=f"N{cluster_id}",
                topic=labels.topic(rep.topic),
                representative_code=rep.code,
                representative_text=rep.text,
                people=len(people),
                question_count=len(members),
                unit_names=tuple(ordered_units),
                question_codes=tuple(codes),
            )
        )
    return found


async def _units_in_scope(
    store: Store, campaign: Campaign, scope: DigestScope, reports: list[QuestionReport]
) -> list[Unit]:
    if scope.kind == "unit" and scope.unit_id is not None:
        unit = await store.units.get(scope.unit_id)
        return [unit] if unit else []
    if scope.kind == "department":
        ids = sorted({r.unit_id for r in reports})
        found = [u for u in [await store.units.get(i) for i in ids] if u is not None]
        return sorted(found, key=vietnamese_order)
    asked = {r.unit_id for r in reports}
    # A hidden unit (a duplicate, a mistaken import) counts only for the questions it has.
    units = [
        u
        for u in await store.units.all()
        if u.kind != UnitKind.PROVINCE and (not u.hidden or u.id in asked)
    ]
    if campaign.level == "commune":
        units = [
            u
            for u in units
            if u.id == campaign.host_unit_id or u.parent_code == campaign.host_unit_code
        ]
    return sorted(units, key=vietnamese_order)


def vietnamese_order(unit: Unit) -> tuple[str, str]:
    """Units in :func:`alphabetical` order of their names."""
    return alphabetical(unit.name)


def alphabetical(name: str) -> tuple[str, str]:
    """Alphabetical as a Vietnamese reader expects ("Bảo Lạc" before "Bế Văn Đàn", "Tân
    Giang" before "Thục Phán", "Đàm Thuỷ" among the D's): the letters first, the tone marks
    only to break ties. A plain sort compares code points: "Đ" came after "X", "â" after "h"."""
    return (fold(name), name)


async def _scope_name(store: Store, campaign: Campaign, scope: DigestScope, language: str) -> str:
    if scope.kind == "unit" and scope.unit_id is not None:
        unit = await store.units.get(scope.unit_id)
        return unit.name if unit else ""
    if scope.kind == "department":
        return scope.department or ""
    return host_name(campaign, language)
