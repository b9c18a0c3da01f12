"""Plain dataclasses the repositories return (never database rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class UnitKind(StrEnum):
    """Kinds of unit ("đơn vị"): territorial ones come from vietnam-provinces."""

    PROVINCE = "province"
    COMMUNE = "commune"  # xã
    WARD = "ward"  # phường
    SPECIAL_ZONE = "special_zone"  # đặc khu
    SCHOOL = "school"  # trường học, đại học
    AGENCY = "agency"  # cơ quan
    ENTERPRISE = "enterprise"  # doanh nghiệp
    ARMED_FORCES = "armed_forces"  # lực lượng vũ trang
    YOUTH_BASE = "youth_base"  # cơ sở Đoàn trực thuộc

    @property
    def territorial(self) -> bool:
        return self in (UnitKind.COMMUNE, UnitKind.WARD, UnitKind.SPECIAL_ZONE)


@dataclass(frozen=True, slots=True)
class Unit:
    id: int
    code: str
    name: str
    kind: UnitKind
    province_code: str | None
    parent_code: str | None
    address: str
    search_key: str
    active: bool
    hidden: bool = False  # kept for the questions that name it, left out of the picker
    source: str = ""  # vietnam-provinces or csv


@dataclass(frozen=True, slots=True)
class UnitUsage:
    """What refers to a unit: a unit can be removed only when nothing important does."""

    questions: int = 0
    supports: int = 0
    people: int = 0
    secretaries: int = 0  # roles (active or not) scoped to the unit
    invites: int = 0
    broadcasts: int = 0
    campaigns: int = 0  # campaigns it hosts

    @property
    def blocks_removal(self) -> bool:
        """Anything but people's remembered choice and unused invites keeps a unit."""
        return bool(
            self.questions or self.supports or self.secretaries or self.broadcasts or self.campaigns
        )


@dataclass(frozen=True, slots=True)
class NewUnit:
    code: str
    name: str
    kind: UnitKind
    search_key: str
    source: str
    province_code: str | None = None
    parent_code: str | None = None
    address: str = ""


class DeadlineKind(StrEnum):
    """Steps of a campaign's timeline, in chronological order by default."""

    PLAN_PUBLISHED = "plan_published"  # kế hoạch công khai ≥ 30 ngày trước
    QUESTIONS_CLOSE = "questions_close"  # hạn nhận câu hỏi
    UNITS_SUBMIT = "units_submit"  # hạn đơn vị gửi tổng hợp lên cấp trên
    FORWARD = "forward"  # Sở Nội vụ chuyển các sở, ngành
    ANSWERS_DUE = "answers_due"  # hạn các sở, ngành gửi trả lời
    DIALOGUE = "dialogue"  # ngày đối thoại
    CONCLUSION = "conclusion"  # thông báo kết luận (10/15 ngày)
    REPORT = "report"  # báo cáo kết quả (20 ngày)


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: DeadlineKind
    due: date
    overridden: bool


@dataclass(frozen=True, slots=True)
class Topic:
    id: int
    campaign_id: int
    name: str
    position: int
    active: bool


@dataclass(frozen=True, slots=True)
class Campaign:
    """A campaign — "đợt đối thoại": one dialogue and the collection before it."""

    id: int
    title: str
    theme: str
    level: str
    host_unit_id: int
    host_unit_name: str
    host_unit_code: str
    dialogue_date: date
    complex: bool
    allow_anonymous: bool
    accept_late: bool
    status: str
    deadlines: tuple[Deadline, ...] = ()
    reminder_days: tuple[int, ...] = (7, 3, 1, 0)
    reminder_hour: int = 8
    #: The similar-question prompt may show questions of other units.
    similar_other_units: bool = False
    organiser: str = ""  # who runs the collection, on posters (default: the host)
    contact: str = ""  # whom young people can call or write to, on posters

    def deadline(self, kind: DeadlineKind) -> date:
        for d in self.deadlines:
            if d.kind == kind:
                return d.due
        raise KeyError(kind)


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    full_name: str | None
    display_name: str | None
    unit_id: int | None
    category: str | None
    language: str
    anonymous: bool
    unreachable: bool


@dataclass(frozen=True, slots=True)
class Identity:
    person_id: int
    channel: str
    external_id: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    code: str
    campaign_id: int
    person_id: int | None
    unit_id: int
    topic_id: int
    category: str | None
    text: str
    asker_name: str | None
    anonymous: bool
    channel: str
    status: str
    late: bool
    created_at: datetime
    updated_at: datetime
    cluster_id: int | None = None
    answer: str | None = None
    answered_at: datetime | None = None  #: when the answer was first recorded
    answered_by: str | None = None  #: the department (or role) that answered
    answer_published_at: datetime | None = None  #: when the askers were told

    @property
    def answer_published(self) -> bool:
        """The answer was published: the askers were told and the text is final."""
        return self.answer_published_at is not None


@dataclass(frozen=True, slots=True)
class NewQuestion:
    campaign_id: int
    person_id: int
    unit_id: int
    topic_id: int
    category: str | None
    text: str
    asker_name: str | None
    anonymous: bool
    channel: str
    late: bool


@dataclass(frozen=True, slots=True)
class AnswerFeedback:
    """What a young person said back about an answer ("ý kiến phản hồi")."""

    id: int
    question_id: int
    person_id: int | None  #: None once the person erased their data
    supporter: bool  #: said by a supporter of the question, not its asker
    text: str
    created_at: datetime


@dataclass(slots=True)
class Conversation:
    """A person's place in the conversation; ``data`` is the JSON draft."""

    person_id: int
    state: str
    step: int
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    target: str
    detail: dict[str, Any]
