"""The documents after the questions, as pure data: the compilation of answers ("tổng
hợp nội dung trả lời"), the live programme ("kịch bản"), the chair's conclusion notice
("thông báo kết luận") and the report on the dialogue ("báo cáo kết quả").

:mod:`bot.documents.followup_build` fills these from the database; renderers (today the
plain DOCX of :mod:`bot.documents.followup_docx`) only read them. Labels that come from
the database (statuses) arrive localised in the document's language. A name is ``""``
whenever it must not be shown (an anonymous asker, or a reader without the right).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.documents.issuers import Issuer

DocumentKind = Literal["answers", "programme", "conclusion", "report"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("answers", "programme", "conclusion", "report")
#: File names (Vietnamese, accent-free) of the four documents.
FILE_STEMS: dict[str, str] = {
    "answers": "tra-loi",
    "programme": "kich-ban",
    "conclusion": "thong-bao-ket-luan",
    "report": "bao-cao-ket-qua",
}


@dataclass(frozen=True, slots=True)
class DocumentHead:
    """What every one of the four documents says about its campaign."""

    campaign_id: int
    campaign_title: str
    host_name: str  #: "UBND tỉnh Cao Bằng"
    dialogue_date: date
    generated_at: datetime  #: aware
    language: str
    issuer: Issuer  #: who issues and signs it (Nghị định 30 head and foot)
    #: The dialogue's level ("province" or "commune"): who answers is named after it
    #: ("sở, ngành" of a province, "ban, ngành" of a commune).
    campaign_level: str = "province"

    def __post_init__(self) -> None:
        if self.generated_at.tzinfo is None:
            raise ValueError("DocumentHead.generated_at must be timezone-aware")

    @property
    def answerers_key(self) -> str:
        """The catalogue key naming those who answer at this level."""
        level = "commune" if self.campaign_level == "commune" else "province"
        return f"followup.answerers.{level}"


@dataclass(frozen=True, slots=True)
class AnsweredQuestion:
    """A question and its answer as the compilation of answers lists it."""

    code: str
    topic: str
    unit_name: str
    asker: str  #: name, "Ẩn danh", or "" when hidden
    text: str  #: the asker's own words
    people: int  #: the asker and the supporters
    answer: str | None
    answered_at: datetime | None  #: aware
    answered_by: str | None
    published: bool  #: the askers were told
    in_time: bool | None  #: answered by the departments' deadline (None: no answer)
    #: What askers and supporters said back about the answer: (date, by a supporter, text)
    feedback: tuple[tuple[date, bool, str], ...] = ()
    #: The chair's answer at the dialogue (the conclusion notice) that covers it, if any
    chair_answer: str | None = None
    #: Who gave it ("Chủ tịch UBND tỉnh Cao Bằng"), on the dialogue's day
    chair_answered_by: str | None = None


@dataclass(frozen=True, slots=True)
class DepartmentAnswers:
    """The questions routed to one department ("" : not routed yet)."""

    department: str
    questions: tuple[AnsweredQuestion, ...]

    @property
    def answered(self) -> int:
        """Answered in writing or by the chair at the dialogue, as the report counts."""
        return sum(1 for q in self.questions if q.answer or q.chair_answer)


@dataclass(frozen=True, slots=True)
class AnswersDocument:
    head: DocumentHead
    answers_due: date
    sections: tuple[DepartmentAnswers, ...]  #: departments by name, the unrouted last

    @property
    def questions(self) -> int:
        return sum(len(s.questions) for s in self.sections)

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.sections)

    @property
    def published(self) -> int:
        return sum(1 for s in self.sections for q in s.questions if q.published)

    @property
    def live(self) -> int:
        """Answered by the chair at the dialogue (some in writing too)."""
        return sum(1 for s in self.sections for q in s.questions if q.chair_answer)


@dataclass(frozen=True, slots=True)
class RelatedQuestion:
    """Another question of a programme question's group, in its asker's own words."""

    code: str
    unit: str
    asker: str  #: the asker's name, "Ẩn danh", or "" when names are not shown
    text: str
    people: int  #: its asker and supporters


@dataclass(frozen=True, slots=True)
class ProgrammeRow:
    """One question of the live programme, in the order it is asked."""

    number: int
    code: str
    topic: str
    wording: str  #: read out at the dialogue
    original: str | None  #: the asker's own words when the wording differs
    askers: tuple[str, ...]  #: "Nguyễn Văn An (Xã Đàm Thuỷ)", "Ẩn danh (…)"
    people: int  #: the asker and the supporters
    answerer: str  #: who answers on stage
    pinned: bool
    #: other questions of its group, each with its code, unit and own words, for the record
    related: tuple[RelatedQuestion, ...] = ()


@dataclass(frozen=True, slots=True)
class ProgrammeDocument:
    head: DocumentHead
    rows: tuple[ProgrammeRow, ...]
    minutes: int  #: at most (2 minutes to ask, 7 to answer each)


@dataclass(frozen=True, slots=True)
class CommitmentRow:
    number: int
    text: str
    owner: str
    due: date
    state: str  #: "open", "done" or "dropped"
    status: str  #: the state, localised
    overdue: bool  #: still open after its due date
    question_code: str | None
    note: str

    @property
    def done(self) -> bool:
        return self.state == "done"


@dataclass(frozen=True, slots=True)
class CoveredQuestion:
    """Another question a conclusion entry answers, in its asker's words."""

    code: str
    unit: str
    text: str


@dataclass(frozen=True, slots=True)
class ConclusionItem:
    """The chair's answer to one question and the questions it covers."""

    number: int
    code: str
    topic: str
    question: str  #: the wording asked (the programme's, else the asker's)
    covers: tuple[str, ...]  #: codes of every question it answers, its own first
    people: int  #: young people it is sent to
    answer: str
    commitments: tuple[CommitmentRow, ...]
    original: str | None = None  #: the asker's own words when the wording asked differs
    also_asked: tuple[CoveredQuestion, ...] = ()  #: the other questions it answers (not withdrawn)


@dataclass(frozen=True, slots=True)
class ConclusionDocument:
    head: DocumentHead
    chair: str  #: "Chủ tịch UBND tỉnh Cao Bằng"
    summary: str
    items: tuple[ConclusionItem, ...]
    commitments: tuple[CommitmentRow, ...]  #: every commitment, by due date
    due: date  #: the legal deadline of the notice
    published_at: datetime | None
    #: The questions it does not answer (and no published written answer does), given to
    #: departments to answer in writing by ``written_due``: (department, questions), the
    #: department "" for those not routed yet (the organisers forward them), last.
    written: tuple[tuple[str, int], ...] = ()
    written_due: date | None = None


@dataclass(frozen=True, slots=True)
class TopicFigure:
    """One row of the report's tables (a topic group, a department, a unit): answered
    counts a written answer or the chair's at the dialogue; answered + pending = questions."""

    topic: str  #: the row's name (a topic group, a department, a unit)
    questions: int
    answered: int
    pending: int = 0  #: neither a written answer nor the chair's
    in_time: int = 0  #: written answers given by the departments' deadline


@dataclass(frozen=True, slots=True)
class ReportFigures:
    """The numbers of the report ("kết quả")."""

    questions: int
    people: int
    units: int  #: units that sent questions
    units_total: int
    topics: int  #: topic groups with questions
    routed: int  #: questions forwarded to a department
    answered: int
    answered_in_time: int  #: by the departments' deadline
    published: int  #: answers the askers were told
    feedback: int  #: what askers and supporters said back about answers ("ý kiến phản hồi")
    live_questions: int  #: asked at the dialogue (the programme)
    conclusion_entries: int
    commitments: int
    commitments_done: int
    commitments_open: int
    commitments_overdue: int
    anonymous: int = 0  #: asked without a name (counted, never named)
    late: int = 0  #: sent after the questions closed
    grouped: int = 0  #: distinct issues once alike questions are grouped
    answered_live: int = 0  #: answered by the chair at the dialogue (the conclusion notice)
    pending: int = 0  #: neither a written answer nor the chair's: questions - answered either way


@dataclass(frozen=True, slots=True)
class ReportDocument:
    head: DocumentHead
    figures: ReportFigures
    topics: tuple[TopicFigure, ...]
    conclusion_due: date
    conclusion_published_at: datetime | None
    conclusion_in_time: bool | None  #: None while not published
    conclusions: tuple[ConclusionItem, ...]
    commitments: tuple[CommitmentRow, ...]
    #: by department ("" : not routed yet, last) and by unit, each adding up to the total
    departments: tuple[TopicFigure, ...] = ()
    units: tuple[TopicFigure, ...] = ()
    #: Made before the dialogue's date: a draft ("(Dự thảo …)" under the title), not yet a
    #: report of what happened.
    draft: bool = False
