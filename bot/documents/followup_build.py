"""Filling the after-the-questions documents (:mod:`bot.documents.followup`) from the
database. The operator's command line sees names; the figures agree with the digests'
(the same :func:`~bot.documents.build.build_digest` counts questions, people, units)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from bot.campaign import programme
from bot.campaign.conclusion import chair_title, conclusion_due, written_answer_expected
from bot.documents.build import (
    DigestScope,
    alphabetical,
    build_digest,
    host_name,
    level_issuer,
    live_answers,
)
from bot.documents.followup import (
    AnsweredQuestion,
    AnswersDocument,
    CommitmentRow,
    ConclusionDocument,
    ConclusionItem,
    CoveredQuestion,
    DepartmentAnswers,
    DocumentHead,
    DocumentKind,
    ProgrammeDocument,
    ProgrammeRow,
    RelatedQuestion,
    ReportDocument,
    ReportFigures,
    TopicFigure,
)
from bot.documents.issuers import Level
from bot.documents.model import to_vietnam_time
from handlers.answers import recipients_of
from handlers.contacts import masked
from handlers.engine import topic_label
from locales import Translator, translator
from storage import Store
from storage.conclusions import Commitment
from storage.models import Campaign, DeadlineKind, Question
from storage.reports import QuestionReport

FollowupDocument = AnswersDocument | ProgrammeDocument | ConclusionDocument | ReportDocument


async def document_head(
    store: Store, campaign: Campaign, level: Level, *, language: str, now: datetime
) -> DocumentHead:
    return DocumentHead(
        campaign_id=campaign.id,
        campaign_title=campaign.title,
        host_name=host_name(campaign, language),
        dialogue_date=campaign.dialogue_date,
        generated_at=now,
        language=language,
        issuer=await level_issuer(store, campaign, level, language=language),
        campaign_level=campaign.level,
    )


def _asker(r: QuestionReport, tr: Translator, show_names: bool) -> str:
    if r.anonymous:
        return tr.t("digest.anonymous")
    return (r.asker_name or "") if show_names else ""


def _in_time(answered_at: datetime | None, due: date) -> bool | None:
    if answered_at is None:
        return None
    return to_vietnam_time(answered_at).date() <= due


async def build_answers(
    store: Store, campaign: Campaign, *, language: str, now: datetime, show_names: bool = True
) -> AnswersDocument:
    """Every question by the department it was routed to, with its answer."""
    tr = translator(language)
    due = campaign.deadline(DeadlineKind.ANSWERS_DUE)
    by_department: dict[str, list[AnsweredQuestion]] = defaultdict(list)
    reports = await store.reports.questions(campaign.id)
    said_back = await store.questions.feedback_of([r.id for r in reports if r.answer])
    chair = live_answers(await store.conclusions.entries(campaign.id))
    chair_name = chair_title(campaign, tr)
    for r in reports:
        feedback = tuple(
            (to_vietnam_time(f.created_at).date(), f.supporter, f.text)
            for f in said_back.get(r.id, ())
        )
        by_department[r.department or ""].append(
            AnsweredQuestion(
                code=r.code,
                topic=topic_label(tr, r.topic),
                unit_name=r.unit_name,
                asker=_asker(r, tr, show_names),
                text=r.text,
                people=1 + r.supporters,
                answer=r.answer,
                answered_at=r.answered_at,
                answered_by=r.answered_by,
                published=r.answer_published_at is not None,
                in_time=_in_time(r.answered_at, due) if r.answer else None,
                feedback=feedback,
                chair_answer=chair.get(r.id),
                chair_answered_by=chair_name if r.id in chair else None,
            )
        )
    names = sorted((n for n in by_department if n), key=alphabetical)
    if "" in by_department:
        names.append("")
    return AnswersDocument(
        head=await document_head(store, campaign, "answers", language=language, now=now),
        answers_due=due,
        sections=tuple(DepartmentAnswers(n, tuple(by_department[n])) for n in names),
    )


async def build_programme(
    store: Store, campaign: Campaign, *, language: str, now: datetime, show_names: bool = True
) -> ProgrammeDocument:
    """The live programme; the automatic proposal when organisers have not started one."""
    tr = translator(language)
    entries = await programme.propose(store, campaign, now=now)
    reports = {r.id: r for r in await store.reports.questions(campaign.id)}
    rows = []
    for number, entry in enumerate(entries, start=1):
        q = entry.question
        report = reports.get(q.id)
        if report is None:
            continue
        supporters = report.supporters
        askers = [
            f"{_asker(report, tr, show_names) or tr.t('followup.asker_hidden')}"
            f" ({report.unit_name})"
        ]
        if supporters:
            askers.append(tr.n("followup.supporters", supporters))
        related = tuple(
            RelatedQuestion(
                code=other.code,
                unit=reports[other.id].unit_name,
                asker=_asker(reports[other.id], tr, show_names),
                text=reports[other.id].text,
                people=1 + reports[other.id].supporters,
            )
            for other in await store.questions.in_cluster(q)
            if other.id != q.id and other.id in reports
        )
        rows.append(
            ProgrammeRow(
                number=number,
                code=q.code,
                topic=topic_label(tr, report.topic),
                wording=entry.wording,
                original=q.text if entry.reworded else None,
                askers=tuple(askers),
                people=1 + supporters,
                answerer=programme.answerer_label(entry.item, campaign, tr),
                pinned=entry.item.state == "pinned",
                related=related,
            )
        )
    return ProgrammeDocument(
        head=await document_head(store, campaign, "programme", language=language, now=now),
        rows=tuple(rows),
        minutes=programme.minutes(len(rows)),
    )


def _commitment_rows(
    commitments: Sequence[Commitment], codes: dict[int, str], *, today: date, tr: Translator
) -> tuple[CommitmentRow, ...]:
    return tuple(
        CommitmentRow(
            number=number,
            text=c.text,
            owner=c.owner,
            due=c.due,
            state=c.status,
            status=tr.t(f"commitment.status.{c.status}"),
            overdue=c.status == "open" and c.due < today,
            question_code=codes.get(c.question_id) if c.question_id is not None else None,
            note=c.note,
        )
        for number, c in enumerate(commitments, start=1)
    )


async def _conclusion_items(
    store: Store, campaign: Campaign, *, today: date, tr: Translator
) -> tuple[tuple[ConclusionItem, ...], tuple[CommitmentRow, ...]]:
    entries = await store.conclusions.entries(campaign.id)
    commitments = await store.conclusions.commitments(campaign.id)
    wording = {e.question.id: e.wording for e in await programme.entries(store, campaign)}
    topics = {  # a default group in the reader's language
        t.id: topic_label(tr, t.name)
        for t in await store.campaigns.topics(campaign.id, include_inactive=True)
    }
    questions: dict[int, Question] = {}
    for entry in entries:
        for question_id in entry.covers:
            found = await store.questions.get(question_id)
            if found is not None:
                questions[question_id] = found
    for c in commitments:
        if c.question_id is not None and c.question_id not in questions:
            found = await store.questions.get(c.question_id)
            if found is not None:
                questions[c.question_id] = found
    codes = {i: q.code for i, q in questions.items()}
    rows = _commitment_rows(commitments, codes, today=today, tr=tr)
    items = []
    for number, entry in enumerate(entries, start=1):
        own = questions.get(entry.question_id)
        if own is None:
            continue
        covered = [questions[i] for i in entry.covers if i in questions]
        live = [q for q in covered if q.status != "withdrawn"]
        also_asked = []
        # A published notice (web page, notice board): the young people's words without
        # the phone numbers and e-mail addresses some put in them.
        for q in live:
            if q.id != own.id:
                unit = await store.units.get(q.unit_id)
                also_asked.append(
                    CoveredQuestion(q.code, unit.name if unit else "", masked(q.text, q.asker_name))
                )
        asked = masked(wording.get(own.id, own.text), own.asker_name)
        own_words = masked(own.text, own.asker_name)
        items.append(
            ConclusionItem(
                number=number,
                code=own.code,
                topic=topics.get(own.topic_id, ""),
                question=asked,
                original=own_words if asked != own_words else None,
                also_asked=tuple(also_asked),
                covers=tuple(q.code for q in covered),
                people=len({r.person_id for r in await recipients_of(store, live)}),
                answer=entry.text,
                commitments=tuple(
                    row
                    for row, c in zip(rows, commitments, strict=True)
                    if c.question_id == entry.question_id
                ),
            )
        )
    return tuple(items), rows


async def build_conclusion(
    store: Store, campaign: Campaign, *, language: str, today: date, now: datetime
) -> ConclusionDocument:
    tr = translator(language)
    items, rows = await _conclusion_items(store, campaign, today=today, tr=tr)
    current = await store.conclusions.get(campaign.id)
    # What is left to answer in writing: as the young people are told when it is published.
    covered = {i for entry in await store.conclusions.entries(campaign.id) for i in entry.covers}
    left: dict[str, int] = defaultdict(int)
    for r in await store.reports.questions(campaign.id):
        if r.id not in covered and r.answer_published_at is None:
            left[r.department or ""] += 1
    written = sorted(left.items(), key=lambda pair: (pair[0] == "", alphabetical(pair[0])))
    issued = (
        to_vietnam_time(current.published_at).date() if current and current.published_at else today
    )
    return ConclusionDocument(
        head=await document_head(store, campaign, "conclusion", language=language, now=now),
        chair=chair_title(campaign, tr),
        summary=current.summary if current else "",
        items=items,
        commitments=rows,
        due=conclusion_due(campaign),
        published_at=current.published_at if current else None,
        written=tuple(written),
        written_due=written_answer_expected(campaign, issued) if written else None,
    )


async def build_report(
    store: Store, campaign: Campaign, *, language: str, today: date, now: datetime
) -> ReportDocument:
    tr = translator(language)
    digest = await build_digest(
        store, campaign, scope=DigestScope(), show_names=False, language=language, now=now
    )
    reports = await store.reports.questions(campaign.id)
    due = campaign.deadline(DeadlineKind.ANSWERS_DUE)
    per_topic: dict[str, list[QuestionReport]] = defaultdict(list)
    for r in reports:  # by the name the digest gives it (a default group's in English)
        per_topic[topic_label(tr, r.topic)].append(r)
    # Answered at the dialogue: every question an entry of the chair's covers.
    live_answered = {
        question_id
        for entry in await store.conclusions.entries(campaign.id)
        for question_id in entry.covers
    }

    def figure(name: str, rs: Sequence[QuestionReport], total: int | None = None) -> TopicFigure:
        answered = sum(1 for r in rs if r.answer or r.id in live_answered)
        count = len(rs) if total is None else total
        return TopicFigure(
            name,
            count,
            answered,
            pending=count - answered,
            in_time=sum(1 for r in rs if r.answer and _in_time(r.answered_at, due)),
        )

    topics = tuple(
        figure(s.topic, per_topic[s.topic], s.question_count)
        for s in digest.topics
        if s.question_count
    )
    per_department: dict[str, list[QuestionReport]] = defaultdict(list)
    per_unit: dict[str, list[QuestionReport]] = defaultdict(list)
    for r in reports:
        per_department[r.department or ""].append(r)
        per_unit[r.unit_name].append(r)
    named = sorted((n for n in per_department if n), key=alphabetical)
    departments = tuple(
        figure(n or tr.t("followup.report.not_routed"), per_department[n])
        for n in named + ([""] if "" in per_department else [])
    )
    units = tuple(
        figure(n, per_unit[n])
        for n in sorted(per_unit, key=lambda n: (-len(per_unit[n]), alphabetical(n)))
    )
    items, rows = await _conclusion_items(store, campaign, today=today, tr=tr)
    current = await store.conclusions.get(campaign.id)
    published_at = current.published_at if current else None
    conclusion_deadline = conclusion_due(campaign)
    live = await programme.entries(store, campaign)  # as the programme: withdrawn ones out
    said_back = await store.questions.feedback_of([r.id for r in reports if r.answer])
    figures = ReportFigures(
        questions=digest.totals.questions,
        people=digest.totals.people,
        units=digest.totals.units,
        units_total=digest.totals.units_total,
        topics=len(topics),
        routed=sum(1 for r in reports if r.department),
        answered=sum(1 for r in reports if r.answer),
        answered_in_time=sum(1 for r in reports if r.answer and _in_time(r.answered_at, due)),
        published=sum(1 for r in reports if r.answer_published_at is not None),
        feedback=sum(len(items) for items in said_back.values()),
        live_questions=len(live),
        conclusion_entries=len(items),
        commitments=len(rows),
        commitments_done=sum(1 for c in rows if c.done),
        commitments_open=sum(1 for c in rows if c.state == "open"),
        commitments_overdue=sum(1 for c in rows if c.overdue),
        anonymous=sum(1 for r in reports if r.anonymous),
        late=sum(1 for r in reports if r.late),
        grouped=len({("c", r.cluster_id) if r.cluster_id else ("q", r.id) for r in reports}),
        answered_live=sum(1 for r in reports if r.id in live_answered),
        pending=sum(1 for r in reports if not r.answer and r.id not in live_answered),
    )
    return ReportDocument(
        head=await document_head(store, campaign, "report", language=language, now=now),
        figures=figures,
        topics=topics,
        conclusion_due=conclusion_deadline,
        conclusion_published_at=published_at,
        conclusion_in_time=(
            to_vietnam_time(published_at).date() <= conclusion_deadline if published_at else None
        ),
        conclusions=items,
        commitments=rows,
        departments=departments,
        units=units,
        draft=today < campaign.dialogue_date,
    )


async def build_document(
    kind: DocumentKind,
    store: Store,
    campaign: Campaign,
    *,
    language: str,
    today: date,
    now: datetime,
) -> FollowupDocument:
    if kind == "answers":
        return await build_answers(store, campaign, language=language, now=now)
    if kind == "programme":
        return await build_programme(store, campaign, language=language, now=now)
    if kind == "conclusion":
        return await build_conclusion(store, campaign, language=language, today=today, now=now)
    return await build_report(store, campaign, language=language, today=today, now=now)
