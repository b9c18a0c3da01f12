"""The four documents after the questions as DOCX, each on the official-document frame
(:mod:`bot.documents.frame`, Nghị định 30 head and foot) and issued by the body that issues
it in practice (:mod:`bot.documents.issuers`, levels ``answers``, ``programme``,
``conclusion``, ``report``): the compilation of answers, the live programme ("kịch bản"),
the chair's conclusion notice ("thông báo kết luận") and the report on the dialogue.
Pure: a :class:`~bot.documents.followup_build.FollowupDocument` and a translator in, a file
out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from docx.shared import Pt

from bot.documents.docx import issuer_phrase
from bot.documents.followup import (
    AnsweredQuestion,
    AnswersDocument,
    CommitmentRow,
    ConclusionDocument,
    ConclusionItem,
    DocumentHead,
    ProgrammeDocument,
    ReportDocument,
)
from bot.documents.followup_build import FollowupDocument
from bot.documents.frame import (
    STYLE_DETAIL,
    STYLE_NOTE,
    STYLE_QUESTION,
    STYLE_TOPIC,
    Body,
    OfficialDocument,
    keeps_with_next,
    paragraph_xml,
    write_official_document,
)
from bot.documents.model import cell_text, format_date_vn, format_number, to_vietnam_time
from bot.documents.numbering import roman
from bot.documents.verbatim import is_verbatim_case
from locales import Translator

#: Number, question (wording, code), askers and units, who answers: 16 cm.
PROGRAMME_WIDTHS_CM = (1.2, 7.6, 4.2, 3.0)
#: Number, task, owner, due, status (the report's): 16 cm.
TASK_WIDTHS_CM = (1.2, 6.4, 3.4, 2.5, 2.5)
#: Number, task, owner, due (the conclusion notice gives tasks; their progress is the
#: report's): 16 cm.
NOTICE_TASK_WIDTHS_CM = (1.2, 8.3, 4.0, 2.5)
#: Figure, count: 16 cm.
FIGURE_WIDTHS_CM = (12.0, 4.0)
#: Topic group, questions, answered, not answered: 16 cm.
TOPIC_WIDTHS_CM = (8.8, 2.4, 2.4, 2.4)
#: Department, questions, answered, in time, not answered: 16 cm.
DEPARTMENT_WIDTHS_CM = (6.4, 2.4, 2.4, 2.4, 2.4)


def write_followup_docx(document: FollowupDocument, path: Path | str, *, tr: Translator) -> Path:
    """Write one of the four documents to ``path`` and return it."""
    if isinstance(document, AnswersDocument):
        return _write(document.head, "answers", path, tr, lambda out: _answers(out, document, tr))
    if isinstance(document, ProgrammeDocument):
        return _write(
            document.head, "programme", path, tr, lambda out: _programme(out, document, tr)
        )
    if isinstance(document, ConclusionDocument):
        conclusion = document
        return _write(
            document.head,
            "conclusion",
            path,
            tr,
            lambda out: _conclusion(out, conclusion, tr),
            # A published notice keeps the date it was issued, whenever it is printed.
            issued_at=conclusion.published_at,
            chair=conclusion.chair,
        )
    report = document
    return _write(document.head, "report", path, tr, lambda out: _report(out, report, tr))


def _write(
    head: DocumentHead,
    name: str,
    path: Path | str,
    tr: Translator,
    body: Callable[[Body], None],
    *,
    issued_at: datetime | None = None,
    **title_values: str,
) -> Path:
    """The document on the frame: kind ("BÁO CÁO", "THÔNG BÁO", "KỊCH BẢN") and title from
    the catalogue, the issuer of its level, dated the day it was issued (``issued_at``) or
    else the day it is made."""
    document = OfficialDocument(
        issuer=head.issuer,
        kind=tr.t(f"followup.{name}.kind"),
        title=tr.t(f"followup.{name}.title", campaign=head.campaign_title, **title_values),
        date=to_vietnam_time(issued_at or head.generated_at).date(),
    )
    return write_official_document(document, path, body=body, tr=tr)


def _heading(out: Body, text: str) -> None:
    out.heading(text)


def _body(
    out: Body, text: str, *, italic: bool = False, bold: bool = False, lead: bool = False
) -> None:
    """A paragraph; a ``lead`` one (an item's question, "Các câu hỏi khác …") is kept on the
    page of what follows it, unless too long to keep (:func:`keeps_with_next`)."""
    keep = lead and keeps_with_next(text) is None
    out.paragraph(text, italic=italic, bold=bold, keep_with_next=keep)


def _closing(out: Body, text: str) -> None:
    """ "Trên đây là …./.", set apart from the table or item above it."""
    out.paragraph(text, space_before=Pt(6))


def _table(
    out: Body,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    centered: Sequence[int] = (0,),
) -> None:
    """A grid table; by default its first column (the number) centred."""
    out.table(headers, rows, widths_cm=widths, centered=centered)


def _n(value: int, tr: Translator) -> str:
    return format_number(value, tr.language)


def _quote(text: str, tr: Translator) -> str:
    """A young person's words in quotes, marked "(nguyên văn)" when written without
    diacritics, in teencode or in English, as the summary marks them."""
    quoted = tr.t("digest.quote", text=" ".join(text.split()))
    if _is_verbatim(text):
        quoted += " " + tr.t("document.verbatim.mark")
    return quoted


@lru_cache(maxsize=1 << 14)
def _is_verbatim(text: str) -> bool:
    """:func:`is_verbatim_case`, once per text (the note and the quote both ask)."""
    return is_verbatim_case(text)


def _verbatim_note(out: Body, texts: Iterable[str], tr: Translator) -> None:
    """The note explaining "(nguyên văn)" under the introduction, when a quote carries it."""
    if any(map(_is_verbatim, texts)):
        out.document.add_paragraph(tr.t("document.verbatim.note"), style=STYLE_NOTE)


# --- the compilation of answers ------------------------------------------------------------


def _answers(out: Body, document: AnswersDocument, tr: Translator) -> None:
    intro = tr.n(
        "followup.answers.intro",
        document.questions,
        questions=_n(document.questions, tr),
        answered=_n(document.answered, tr),
        published=_n(document.published, tr),
        due=format_date_vn(document.answers_due),
        answerers=tr.t(document.head.answerers_key),
    )
    if document.live:  # counted among the answered, as the report counts them
        intro += " " + tr.n("followup.answers.intro_live", document.live)
    _body(out, intro)
    _verbatim_note(
        out,
        (t for s in document.sections for q in s.questions for t in (q.text, *_said(q))),
        tr,
    )
    if not document.sections:
        _body(out, tr.t("digest.no_questions"), italic=True)
    # Thousands of questions: streamed as WordprocessingML into the saved file (as the
    # summary's questions are), since python-docx slows down with every paragraph it adds.
    out.stream_xml(_answers_xml(document, tr, out))
    _closing(out, tr.t("followup.answers.closing"))


def _said(q: AnsweredQuestion) -> Iterator[str]:
    return (said for _, _, said in q.feedback)


def _answers_xml(document: AnswersDocument, tr: Translator, out: Body) -> Iterator[str]:
    heading, question = out.style_id(STYLE_TOPIC), out.style_id(STYLE_QUESTION)
    detail = out.style_id(STYLE_DETAIL)
    for index, section in enumerate(document.sections, start=1):
        name = section.department or tr.t(
            "followup.answers.unrouted", answerers=tr.t(document.head.answerers_key)
        )
        title = tr.t(
            "followup.answers.section",
            numeral=roman(index),
            department=name,
            answered=_n(section.answered, tr),
            count=_n(len(section.questions), tr),
        )
        yield paragraph_xml(heading, [(title, "")])
        for number, q in enumerate(section.questions, start=1):
            who = ", ".join(part for part in (q.asker, q.unit_name) if part)
            line = tr.t(
                "followup.answers.question",
                number=number,
                code=q.code,
                topic=q.topic,
                who=who,
                text=_quote(q.text, tr),
            )
            yield paragraph_xml(question, [(line, "")], keep_with_next=keeps_with_next(line))
            if q.answer:
                when = (
                    format_date_vn(to_vietnam_time(q.answered_at).date()) if q.answered_at else ""
                )
                state = tr.t(
                    "followup.answers.published" if q.published else "followup.answers.draft"
                )
                answer = tr.t(
                    "followup.answers.answer",
                    by=q.answered_by or name,
                    date=when,
                    state=state,
                    answer=" ".join(q.answer.split()),
                )
                yield paragraph_xml(detail, [(answer, "")])
                for said_on, supporter, said in q.feedback:
                    line = tr.t(
                        "followup.answers.feedback_supporter"
                        if supporter
                        else "followup.answers.feedback",
                        date=format_date_vn(said_on),
                        text=_quote(said, tr),
                    )
                    yield paragraph_xml(detail, [(line, "")])
            if q.chair_answer:
                live = tr.t(
                    "followup.answers.chair",
                    by=q.chair_answered_by or "",
                    date=format_date_vn(document.head.dialogue_date),
                    answer=" ".join(q.chair_answer.split()),
                )
                yield paragraph_xml(detail, [(live, "")])
            elif not q.answer:
                yield paragraph_xml(detail, [(tr.t("followup.answers.none"), "i")])


# --- the live programme ----------------------------------------------------------------------


def _programme(out: Body, document: ProgrammeDocument, tr: Translator) -> None:
    head = document.head
    _body(
        out,
        tr.n(
            "followup.programme.intro",
            len(document.rows),
            date=format_date_vn(head.dialogue_date),
            minutes=_n(document.minutes, tr),
        ),
    )
    _verbatim_note(
        out,
        (
            t
            for row in document.rows
            for t in (row.wording, row.original or "", *(r.text for r in row.related))
        ),
        tr,
    )
    rows = []
    for row in document.rows:
        question = f"{_quote(row.wording, tr)} ({row.code}; {row.topic})"
        if row.original is not None:
            question += "\n" + tr.t("followup.programme.original", text=_quote(row.original, tr))
        if row.related:
            # Every other question of its group in its own words: the group may be wrong,
            # and whoever answers on stage answers them too.
            question += "\n" + tr.t("followup.programme.related")
            for other in row.related:
                who = f"{other.asker} ({other.unit})" if other.asker else other.unit
                if other.people > 1:
                    who += " " + tr.n("followup.supporters", other.people - 1)
                question += "\n" + tr.t(
                    "followup.programme.related_item",
                    code=other.code,
                    who=who,
                    text=_quote(other.text, tr),
                )
        askers = "; ".join(row.askers)
        rows.append((str(row.number), question, askers, row.answerer))
    headers = (
        tr.t("digest.docx.col.number"),
        tr.t("followup.programme.col.question"),
        tr.t("followup.programme.col.askers"),
        tr.t("followup.programme.col.answerer"),
    )
    if rows:
        _table(out, headers, rows, PROGRAMME_WIDTHS_CM)
    else:
        _body(out, tr.t("followup.programme.empty"), italic=True)
    _closing(out, tr.t("followup.programme.closing"))


# --- the conclusion notice -------------------------------------------------------------------


def _task_rows(
    commitments: Sequence[CommitmentRow], tr: Translator, *, status: bool = True
) -> list[tuple[str, ...]]:
    return [
        (
            str(c.number),
            c.text + (f" ({c.question_code})" if c.question_code else ""),
            c.owner,
            format_date_vn(c.due),
        )
        + (
            (cell_text(c.status + (" – " + tr.t("followup.overdue") if c.overdue else "")),)
            if status
            else ()
        )
        for c in commitments
    ]


def _task_headers(tr: Translator, *, status: bool = True) -> tuple[str, ...]:
    return (
        tr.t("digest.docx.col.number"),
        tr.t("followup.col.task"),
        tr.t("followup.col.owner"),
        tr.t("followup.col.due"),
    ) + ((tr.t("followup.col.status"),) if status else ())


def _conclusion_texts(items: Iterable[ConclusionItem]) -> Iterator[str]:
    for item in items:
        yield item.question
        yield item.original or ""
        yield from (other.text for other in item.also_asked)


def _draft_note(out: Body, text: str) -> None:
    """ "(Dự thảo – …)" in italics right under the title: a document not final yet."""
    out.append_xml(paragraph_xml(out.style_id(STYLE_NOTE), [(text, "i")]))


def _conclusion(out: Body, document: ConclusionDocument, tr: Translator) -> None:
    head = document.head
    if document.published_at is None:
        _draft_note(out, tr.t("followup.conclusion.draft", due=format_date_vn(document.due)))
    _body(
        out,
        tr.n(
            "followup.conclusion.intro",
            len(document.items),
            date=format_date_vn(head.dialogue_date),
            host=head.host_name,
            campaign=head.campaign_title,
            count=_n(len(document.items), tr),
        ),
    )
    _verbatim_note(out, _conclusion_texts(document.items), tr)
    if document.summary:
        _body(out, document.summary)
    _heading(out, tr.t("followup.conclusion.answers_heading"))
    if not document.items:
        _body(out, tr.t("followup.conclusion.no_items"), italic=True)
    for item in document.items:
        others = [c for c in item.covers if c != item.code]
        about = tr.t(
            "followup.conclusion.item",
            number=item.number,
            code=item.code,
            also=tr.t("followup.conclusion.also", codes=", ".join(others)) if others else "",
            topic=item.topic,
            question=_quote(item.question, tr),
        )
        _body(out, about, bold=True, lead=True)
        # Every question the answer covers, in its asker's own words.
        if item.original is not None:
            _body(
                out,
                tr.t("followup.programme.original", text=_quote(item.original, tr)),
                italic=True,
                lead=True,
            )
        if item.also_asked:
            _body(out, tr.t("followup.conclusion.also_asked"), italic=True, lead=True)
            for other in item.also_asked:
                line = tr.t(
                    "followup.conclusion.also_asked_line",
                    code=other.code,
                    unit=other.unit,
                    text=_quote(other.text, tr),
                )
                _body(out, line, italic=True)
        _body(out, item.answer)
        for c in item.commitments:
            _body(
                out,
                tr.t(
                    "followup.conclusion.task",
                    owner=c.owner,
                    text=c.text,
                    due=format_date_vn(c.due),
                ),
                italic=True,
            )
    _heading(out, tr.t("followup.conclusion.tasks_heading"))
    if document.commitments:
        _table(
            out,
            _task_headers(tr, status=False),
            _task_rows(document.commitments, tr, status=False),
            NOTICE_TASK_WIDTHS_CM,
        )
    else:
        _body(out, tr.t("followup.conclusion.no_tasks"), italic=True)
    if document.written and document.written_due is not None:
        # The rest is answered in writing: who, how many, by when (the askers are told so).
        _body(
            out,
            tr.n(
                "followup.conclusion.written",
                sum(n for _, n in document.written),
                count=_n(sum(n for _, n in document.written), tr),
                due=format_date_vn(document.written_due),
            ),
        )
        for number, (department, count) in enumerate(document.written, start=1):
            end = "." if number == len(document.written) else ";"
            _body(
                out,
                tr.n(
                    "followup.conclusion.written_line"
                    if department
                    else "followup.conclusion.written_forward",
                    count,
                    department=department,
                    count=_n(count, tr),
                )
                + end,
            )
    _closing(out, tr.t("followup.conclusion.closing", chair=document.chair))


# --- the report --------------------------------------------------------------------------------


def _report(out: Body, document: ReportDocument, tr: Translator) -> None:
    head = document.head
    f = document.figures
    if document.draft:
        _draft_note(out, tr.t("followup.report.draft", date=format_date_vn(head.dialogue_date)))
    _body(
        out,
        tr.t(
            "followup.report.intro",
            issuer=issuer_phrase(head.issuer),
            date=format_date_vn(head.dialogue_date),
            host=head.host_name,
        ),
    )
    _verbatim_note(out, (item.question for item in document.conclusions), tr)
    _heading(out, tr.t("followup.report.figures_heading"))
    figures = (
        ("questions", f.questions),
        ("anonymous", f.anonymous),
        ("late", f.late),
        ("people", f.people),
        ("units", f.units),
        ("units_total", f.units_total),
        ("topics", f.topics),
        ("grouped", f.grouped),
        ("routed", f.routed),
        ("answered", f.answered),
        ("answered_in_time", f.answered_in_time),
        ("published", f.published),
        ("feedback", f.feedback),
        ("live_questions", f.live_questions),
        ("answered_live", f.answered_live),
        ("pending", f.pending),
        ("conclusion_entries", f.conclusion_entries),
        ("commitments", f.commitments),
        ("commitments_done", f.commitments_done),
        ("commitments_open", f.commitments_open),
        ("commitments_overdue", f.commitments_overdue),
    )
    _table(
        out,
        (tr.t("followup.report.col.figure"), tr.t("followup.report.col.count")),
        [
            (
                tr.t(f"followup.report.figure.{key}", answerers=tr.t(head.answerers_key))
                if key == "routed"
                else tr.t(f"followup.report.figure.{key}"),
                _n(value, tr),
            )
            for key, value in figures
        ],
        FIGURE_WIDTHS_CM,
        centered=(1,),  # labels read from the left, counts centred
    )
    counts = (
        tr.t("followup.report.col.questions"),
        tr.t("followup.report.col.answered"),
        tr.t("followup.report.col.pending"),
    )
    for heading, first, rows in (
        ("followup.report.topics_heading", tr.t("digest.col.topic"), document.topics),
        ("followup.report.units_heading", tr.t("followup.report.col.unit"), document.units),
    ):
        _heading(out, tr.t(heading))
        if rows:
            _table(
                out,
                (first, *counts),
                [
                    (t.topic, _n(t.questions, tr), _n(t.answered, tr), _n(t.pending, tr))
                    for t in rows
                ],
                TOPIC_WIDTHS_CM,
                centered=(1, 2, 3),
            )
        else:
            _body(out, tr.t("digest.no_questions"), italic=True)
        if heading == "followup.report.topics_heading":  # then by department, then by unit
            _heading(
                out,
                tr.t(
                    "followup.report.departments_heading",
                    answerers=tr.t(head.answerers_key).upper(),
                ),
            )
            if document.departments:
                _table(
                    out,
                    (
                        tr.t("followup.report.col.department"),
                        tr.t("followup.report.col.routed"),
                        tr.t("followup.report.col.answered"),
                        tr.t("followup.report.col.in_time"),
                        tr.t("followup.report.col.pending"),
                    ),
                    [
                        (
                            d.topic,
                            _n(d.questions, tr),
                            _n(d.answered, tr),
                            _n(d.in_time, tr),
                            _n(d.pending, tr),
                        )
                        for d in document.departments
                    ],
                    DEPARTMENT_WIDTHS_CM,
                    centered=(1, 2, 3, 4),
                )
            else:
                _body(out, tr.t("digest.no_questions"), italic=True)
    _heading(out, tr.t("followup.report.conclusion_heading"))
    if document.conclusion_published_at is None:
        _body(
            out,
            tr.t("followup.report.conclusion_pending", due=format_date_vn(document.conclusion_due)),
        )
    else:
        published = format_date_vn(to_vietnam_time(document.conclusion_published_at).date())
        key = (
            "followup.report.conclusion_in_time"
            if document.conclusion_in_time
            else "followup.report.conclusion_late"
        )
        _body(out, tr.t(key, date=published, due=format_date_vn(document.conclusion_due)))
    for item in document.conclusions:
        _body(
            out,
            tr.t(
                "followup.report.conclusion_item",
                number=item.number,
                code=item.code,
                question=_quote(item.question, tr),
                answer=" ".join(item.answer.split()),
            ),
        )
    _heading(out, tr.t("followup.report.tasks_heading"))
    if document.commitments:
        _table(out, _task_headers(tr), _task_rows(document.commitments, tr), TASK_WIDTHS_CM)
    else:
        _body(out, tr.t("followup.conclusion.no_tasks"), italic=True)
    _closing(out, tr.t("followup.report.closing", host=head.host_name))
