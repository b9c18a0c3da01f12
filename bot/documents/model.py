"""The pure data model every digest renderer reads ("bản tổng hợp" of a campaign).

The code that queries the database fills a :class:`DigestData`; the renderers (chat text,
XLSX, DOCX, chart, CSV/JSONL) only read it and never touch storage, so they are pure and
testable on hand-made data. Everything user-facing that comes from the database (status
labels, unit kinds, deadline labels) arrives already localised in the digest's language.

Privacy: a question's ``asker_name`` is ``None`` whenever the name must not be shown — the
asker chose to stay anonymous ("ẩn danh") or the reader's role is not entitled to names.
Renderers additionally honour :attr:`DigestData.show_names`, so a filler bug cannot leak
names into a document meant for a role without that right.

This module also holds the few presentation helpers every renderer shares (Vietnam time,
number formatting, how a hidden asker is labelled) so the outputs agree with each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from bot.documents.issuers import Issuer
from bot.documents.numbering import roman
from locales import Translator

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

Scope = Literal["campaign", "unit", "department"]

#: How many clusters the live dialogue can take (10-15 questions are asked live).
LIVE_DIALOGUE_SIZE = 15


@dataclass(frozen=True, slots=True)
class QuestionRow:
    """One question ("câu hỏi, ý kiến, kiến nghị") as the digests show it."""

    id: int  #: database id (exports only; never shown in chat)
    code: str  #: short public code, e.g. ``"K7Q2M"``, quoted by officials and askers
    created_at: datetime  #: aware UTC; shown in Asia/Ho_Chi_Minh
    asker_name: str | None  #: full name, ``None`` when hidden (anonymous or role without names)
    anonymous: bool  #: the asker asked not to be named ("ẩn danh")
    unit_code: str  #: code of the asker's unit (đơn vị)
    unit_name: str  #: e.g. "Xã Đàm Thuỷ"
    category: str | None  #: youth category label (công nhân, học sinh/sinh viên...) or None
    topic: str  #: topic group ("nhóm vấn đề") name
    cluster_label: str | None  #: label of the cluster of similar questions, if clustered
    supporters: int  #: other young people who said "me too" ("cùng quan tâm")
    status: str  #: localised status label ("Đã tiếp nhận", "Đã chuyển Sở Y tế"...)
    channel: str  #: ``"telegram"``, ``"zalo"`` or ``"terminal"``
    text: str  #: the question as the asker wrote it
    late: bool  #: received after the unit's deadline ("gửi sau hạn")
    department: str | None = None  #: the department it was routed to ("sở, ngành")
    answer: str | None = None  #: the official answer (a draft until published)
    answered_at: datetime | None = None  #: aware; when it was first answered
    answered_by: str | None = None  #: who answered
    answer_published: bool = False  #: the askers were told (the answer is final)
    commitment: str | None = None  #: commitments given on it ("Sở X: … (hạn dd/mm/yyyy)")
    #: The chair's answer at the dialogue (the conclusion notice) covering it, who gave it
    #: ("Chủ tịch UBND tỉnh Cao Bằng") and the dialogue's date
    live_answer: str | None = None
    live_answered_by: str | None = None
    live_answered_on: date | None = None


@dataclass(frozen=True, slots=True)
class ClusterRow:
    """A group of similar questions, represented by one of them."""

    label: str  #: short label of the issue (cluster name)
    topic: str  #: topic group of the cluster
    representative_code: str  #: code of the question quoted for the cluster
    representative_text: str  #: text of that question
    people: int  #: young people who raised it: distinct askers + supporters
    question_count: int  #: questions in the cluster
    unit_names: tuple[str, ...]  #: units the questions came from, most questions first
    question_codes: tuple[str, ...]  #: codes of all its questions, representative first


@dataclass(frozen=True, slots=True)
class UnitRow:
    """A unit (đơn vị) in the digest's scope and what it sent."""

    code: str
    name: str
    kind: str  #: localised kind label ("Xã", "Phường", "Trường học"...)
    question_count: int  #: questions sent (0 for a silent unit)
    people_count: int  #: young people behind them (askers + supporters)


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    """One date of the campaign timeline, with the days left from the digest's date."""

    label: str  #: localised, e.g. "Hạn xã gửi câu hỏi"
    due: date
    days_left: int  #: 0 = today, negative = passed by that many days
    kind: str = ""  #: the timeline step (``storage.models.DeadlineKind`` value), if known


@dataclass(frozen=True, slots=True)
class TopicSection:
    """A topic group ("nhóm vấn đề") and its clusters, most people first."""

    topic: str
    question_count: int
    clusters: tuple[ClusterRow, ...]  #: ranked with :func:`rank_clusters`

    @property
    def people(self) -> int:
        return sum(c.people for c in self.clusters)


@dataclass(frozen=True, slots=True)
class Totals:
    """Headline figures of the digest."""

    questions: int  #: questions in scope
    people: int  #: distinct young people involved (askers + supporters)
    supporters: int  #: "me too" supports
    units: int  #: units that sent at least one question
    units_total: int  #: units expected to send (in scope), ``units`` of them did
    new_questions: int = 0  #: questions since the previous digest
    new_people: int = 0  #: young people since the previous digest


@dataclass(frozen=True, slots=True)
class DigestData:
    """Everything a digest shows, for one campaign and one reader's scope."""

    campaign_id: int
    campaign_title: (
        str  #: e.g. "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh với thanh niên năm 2025"
    )
    host_name: str  #: whose dialogue it is, e.g. "UBND tỉnh Cao Bằng"
    scope: Scope  #: whole campaign, one unit (commune secretary) or one department
    scope_name: str  #: name of that unit/department, or the host's name for a campaign
    period_start: datetime | None  #: aware; first question considered (None = campaign start)
    period_end: datetime  #: aware; the digest covers questions up to this time
    generated_at: datetime  #: aware; when the digest was made (date of the DOCX)
    totals: Totals
    topics: tuple[TopicSection, ...]  #: in the order the documents list them
    top_candidates: tuple[ClusterRow, ...]  #: ≤ 15 clusters proposed for the live dialogue
    silent_units: tuple[UnitRow, ...]  #: units in scope that have sent nothing yet
    deadlines: tuple[DeadlineRow, ...]  #: chronological
    questions: tuple[QuestionRow, ...]  #: every question in scope, oldest first
    units: tuple[UnitRow, ...]  #: every unit in scope, silent ones included with zeros
    show_names: bool  #: the reader may see askers' names
    language: str  #: "vi" or "en": the language the labels above are in
    previous_digest_at: datetime | None = None  #: aware; "new" counts are since then
    issuer_name: str = ""  #: who compiles the summary (DOCX header), e.g. "Tỉnh đoàn Cao Bằng"
    issuer_parent: str = ""  #: the issuer's parent body, line above it ("cơ quan chủ quản")
    place_name: str = ""  #: place of the DOCX date line ("Cao Bằng, ngày ..."); from host if ""
    #: who issues, signs and receives the DOCX (Nghị định 30); None = from the fields above
    issuer: Issuer | None = None

    def __post_init__(self) -> None:
        for name in ("period_end", "generated_at", "period_start", "previous_digest_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"DigestData.{name} must be timezone-aware")

    @property
    def clusters(self) -> tuple[ClusterRow, ...]:
        """All clusters of all topic groups, ranked across topics."""
        return rank_clusters(c for s in self.topics for c in s.clusters)

    def deadline(self, kind: str) -> date | None:
        """The due date of a timeline step ("answers_due", "dialogue"...), if the digest has it."""
        return next((d.due for d in self.deadlines if d.kind == kind), None)


# --- pure helpers ---------------------------------------------------------------------------


def cluster_rank_key(cluster: ClusterRow) -> tuple[int, int, str, str]:
    """Most people first, then most questions, then label (stable, deterministic)."""
    return (-cluster.people, -cluster.question_count, cluster.label, cluster.representative_code)


def rank_clusters(clusters: Iterable[ClusterRow]) -> tuple[ClusterRow, ...]:
    """Clusters ranked by people desc, then question count desc, then label."""
    return tuple(sorted(clusters, key=cluster_rank_key))


def select_candidates(
    clusters: Iterable[ClusterRow],
    *,
    limit: int = LIVE_DIALOGUE_SIZE,
    max_per_topic: int | None = None,
) -> tuple[ClusterRow, ...]:
    """The clusters to propose for the live dialogue, best ranked first.

    ``max_per_topic`` spreads the choice over topic groups (the plans want the live
    questions to cover several groups); the cap is relaxed when too few topics remain to
    fill ``limit``.
    """
    ranked = rank_clusters(clusters)
    if max_per_topic is None:
        return ranked[:limit]
    chosen: list[ClusterRow] = []
    per_topic: dict[str, int] = defaultdict(int)
    skipped: list[ClusterRow] = []
    for cluster in ranked:
        if len(chosen) >= limit:
            break
        if per_topic[cluster.topic] < max_per_topic:
            chosen.append(cluster)
            per_topic[cluster.topic] += 1
        else:
            skipped.append(cluster)
    chosen.extend(skipped[: max(0, limit - len(chosen))])
    return rank_clusters(chosen)


def build_topic_sections(
    questions: Iterable[QuestionRow],
    clusters: Iterable[ClusterRow],
    *,
    topic_order: Sequence[str] = (),
) -> tuple[TopicSection, ...]:
    """Group ``clusters`` into topic sections and count each topic's questions.

    A question that no cluster lists (not clustered yet) becomes a cluster of its own, so
    nothing disappears from the documents. Topics named in ``topic_order`` come first in
    that order; the others follow by question count, then name.
    """
    question_list = list(questions)
    by_topic: dict[str, list[ClusterRow]] = defaultdict(list)
    covered: set[str] = set()
    for cluster in clusters:
        by_topic[cluster.topic].append(cluster)
        covered.update(cluster.question_codes)
    counts: dict[str, int] = defaultdict(int)
    for q in question_list:
        counts[q.topic] += 1
        if q.code not in covered:
            by_topic[q.topic].append(
                ClusterRow(
                    label=q.cluster_label or q.code,
                    topic=q.topic,
                    representative_code=q.code,
                    representative_text=q.text,
                    people=1 + q.supporters,
                    question_count=1,
                    unit_names=(q.unit_name,),
                    question_codes=(q.code,),
                )
            )
    position = {name: i for i, name in enumerate(topic_order)}
    names = set(by_topic) | set(counts)
    ordered = sorted(
        names,
        key=lambda t: (position.get(t, len(position)), -counts.get(t, 0), t),
    )
    return tuple(
        TopicSection(topic=t, question_count=counts.get(t, 0), clusters=rank_clusters(by_topic[t]))
        for t in ordered
    )


# --- shared presentation helpers ------------------------------------------------------------


def to_vietnam_time(when: datetime) -> datetime:
    """An aware datetime in Vietnam time (UTC+7, no daylight saving)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    return when.astimezone(VIETNAM_TZ)


def format_datetime_vn(when: datetime) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnam time — the format Vietnamese officials use."""
    return to_vietnam_time(when).strftime("%d/%m/%Y %H:%M")


def format_date_vn(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@lru_cache(maxsize=8192)
def cell_text(text: str) -> str:
    """A table cell starts with a capital ("Đã hoàn thành", "Đã chuyển cơ quan trả lời"):
    status words are written for a sentence ("Nhiệm vụ số 1: đã hoàn thành.")."""
    return text[:1].upper() + text[1:]


def format_number(value: int, language: str) -> str:
    """Grouped digits in the reader's convention: ``1.234`` (vi), ``1,234`` (en)."""
    return format_decimal(value, locale=language)


def asker_label(question: QuestionRow, *, tr: Translator, show_names: bool) -> str:
    """The name to print for a question's asker.

    "Ẩn danh" for an anonymous asker; an empty string when the name exists but this
    reader may not see it (or the filler already removed it).
    """
    if question.anonymous:
        return tr.t("digest.anonymous")
    if show_names and question.asker_name:
        return question.asker_name
    return ""


def listed_sections(data: DigestData) -> list[TopicSection]:
    """The topic sections the documents list (those with questions), in order."""
    return [s for s in data.topics if s.clusters or s.question_count]


def group_numbers(data: DigestData) -> dict[str, str]:
    """Each listed cluster's number as the documents print it, by representative code:
    "II.1" is the first issue of the second topic group listed."""
    numbers: dict[str, str] = {}
    for index, section in enumerate(listed_sections(data), start=1):
        for number, cluster in enumerate(section.clusters, start=1):
            numbers[cluster.representative_code] = f"{roman(index)}.{number}"
    return numbers
