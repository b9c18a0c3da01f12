"""The four documents after the questions as plain DOCX: a head (issuer and date), the
title, then sections and tables, in Times New Roman 13 on A4 with the summary's page
set-up and styles (:mod:`bot.documents.docx`).

Deliberately simple and kept in this one module: the official Decree 30 frame (number
line, national motto, signer block, "Nơi nhận") is being built as a reusable frame for
every document; when it lands, the ``_start``/``_finish`` pair below is what it replaces,
and the bodies stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from babel.dates import format_date
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt
from docx.table import Table

from bot.documents.docx import (
    _STYLE_DETAIL,
    _STYLE_QUESTION,
    _STYLE_TOPIC,
    TITLE_SIZE,
    _borderless_table,
    _cell_text,
    _p,
    _paragraph,
    _set_widths,
    _setup_page,
    _setup_styles,
    _style_ids,
    place_from_host,
    roman,
)
from bot.documents.followup import (
    AnswersDocument,
    CommitmentRow,
    ConclusionDocument,
    DocumentHead,
    ProgrammeDocument,
    ReportDocument,
)
from bot.documents.followup_build import FollowupDocument
from bot.documents.model import format_date_vn, format_number, to_vietnam_time
from locales import Translator

#: Number, question (wording, code), askers and units, who answers: 16 cm.
PROGRAMME_WIDTHS_CM = (1.2, 7.6, 4.2, 3.0)
#: Number, task, owner, due, status: 16 cm.
TASK_WIDTHS_CM = (1.2, 7.2, 3.6, 2.0, 2.0)
#: Figure, count: 16 cm.
FIGURE_WIDTHS_CM = (12.0, 4.0)
#: Topic group, questions, answered: 16 cm.
TOPIC_WIDTHS_CM = (10.0, 3.0, 3.0)


def write_followup_docx(document: FollowupDocument, path: Path | str, *, tr: Translator) -> Path:
    """Write one of the four documents to ``path`` and return it."""
    if isinstance(document, AnswersDocument):
        doc = _answers(document, tr)
    elif isinstance(document, ProgrammeDocument):
        doc = _programme(document, tr)
    elif isinstance(document, ConclusionDocument):
        doc = _conclusion(document, tr)
    else:
        doc = _report(document, tr)
    target = Path(path)
    doc.save(str(target))
    return target


# --- frame (to be replaced by the official document frame) ----------------------------------


def _date_line(head: DocumentHead, tr: Translator) -> str:
    day = to_vietnam_time(head.generated_at).date()
    return tr.t(
        "digest.docx.date",
        place=place_from_host(head.host_name),
        day=f"{day.day:02d}",
        month=f"{day.month:02d}" if day.month < 3 else str(day.month),
        year=day.year,
        long_date=format_date(day, "d MMMM y", locale=tr.language),
    )


def _start(head: DocumentHead, title: str, subtitle: str, tr: Translator) -> DocxDocument:
    doc = Document()
    _setup_page(doc)
    _setup_styles(doc, language=tr.language)
    table = _borderless_table(doc, (7.0, 9.0))
    left, right = table.rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(left, head.host_name.upper(), bold=True, align=center, space_after=Pt(0))
    _paragraph(right, _date_line(head, tr), italic=True, align=center, space_after=Pt(0))
    _paragraph(doc, "", space_after=Pt(6))
    _paragraph(doc, title, bold=True, size=TITLE_SIZE, align=center, space_after=Pt(0))
    _paragraph(doc, subtitle, bold=True, align=center, space_after=Pt(12))
    return doc


def _heading(doc: DocxDocument, text: str) -> None:
    paragraph = _paragraph(doc, text, bold=True)
    paragraph.paragraph_format.space_before = Pt(12)
    paragraph.paragraph_format.keep_with_next = True


def _body(doc: DocxDocument, text: str, *, italic: bool = False, bold: bool = False) -> None:
    paragraph = _paragraph(doc, text, italic=italic, bold=bold)
    paragraph.paragraph_format.first_line_indent = Cm(1)


def _table(
    doc: DocxDocument,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
) -> Table:
    table: Table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeat on each page
    for cell, text in zip(header.cells, headers, strict=True):
        _cell_text(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for row, values in zip(table.rows[1:], rows, strict=True):
        for index, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            _cell_text(cell, text, align=WD_ALIGN_PARAGRAPH.CENTER if index == 0 else None)
    _set_widths(table, widths)
    return table


def _n(value: int, tr: Translator) -> str:
    return format_number(value, tr.language)


def _quote(text: str, tr: Translator) -> str:
    return tr.t("digest.quote", text=" ".join(text.split()))


# --- the compilation of answers ------------------------------------------------------------


def _answers(document: AnswersDocument, tr: Translator) -> DocxDocument:
    head = document.head
    doc = _start(head, tr.t("followup.answers.title"), head.campaign_title, tr)
    _body(
        doc,
        tr.t(
            "followup.answers.intro",
            questions=_n(document.questions, tr),
            answered=_n(document.answered, tr),
            published=_n(document.published, tr),
            due=format_date_vn(document.answers_due),
        ),
    )
    if not document.sections:
        _body(doc, tr.t("digest.no_questions"), italic=True)
    # Thousands of questions: serialised as WordprocessingML in one go (as the summary's
    # topic sections are), since python-docx slows down with every paragraph it adds.
    _append_xml(doc, "".join(_answers_xml(document, tr, _style_ids(doc))))
    return doc


def _answers_xml(
    document: AnswersDocument, tr: Translator, styles: dict[str, str]
) -> Iterator[str]:
    heading, question, detail = styles[_STYLE_TOPIC], styles[_STYLE_QUESTION], styles[_STYLE_DETAIL]
    for index, section in enumerate(document.sections, start=1):
        name = section.department or tr.t("followup.answers.unrouted")
        title = tr.t(
            "followup.answers.section",
            numeral=roman(index),
            department=name,
            answered=_n(section.answered, tr),
            count=_n(len(section.questions), tr),
        )
        yield _p(heading, [(title, "")])
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
            yield _p(question, [(line, "")])
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
                yield _p(detail, [(answer, "")])
            else:
                yield _p(detail, [(tr.t("followup.answers.none"), "i")])


def _append_xml(doc: DocxDocument, xml: str) -> None:
    """Append paragraphs given as WordprocessingML, keeping the section properties last."""
    if not xml:
        return
    body = doc.element.body
    fragment = parse_xml(f"<w:body {nsdecls('w')}>{xml}</w:body>")
    sect_pr = body.sectPr
    body.extend(list(fragment))
    if sect_pr is not None:
        body.append(sect_pr)  # Word wants it at the end


# --- the live programme ----------------------------------------------------------------------


def _programme(document: ProgrammeDocument, tr: Translator) -> DocxDocument:
    head = document.head
    doc = _start(head, tr.t("followup.programme.title"), head.campaign_title, tr)
    _body(
        doc,
        tr.n(
            "followup.programme.intro",
            len(document.rows),
            date=format_date_vn(head.dialogue_date),
            minutes=_n(document.minutes, tr),
        ),
    )
    rows = []
    for row in document.rows:
        question = f"{_quote(row.wording, tr)} ({row.code}; {row.topic})"
        if row.original is not None:
            question += "\n" + tr.t("followup.programme.original", text=_quote(row.original, tr))
        askers = "; ".join(row.askers)
        if row.related:
            askers += "\n" + tr.t("followup.programme.related", codes=", ".join(row.related))
        rows.append((str(row.number), question, askers, row.answerer))
    headers = (
        tr.t("digest.docx.col.number"),
        tr.t("followup.programme.col.question"),
        tr.t("followup.programme.col.askers"),
        tr.t("followup.programme.col.answerer"),
    )
    if rows:
        _table(doc, headers, rows, PROGRAMME_WIDTHS_CM)
    else:
        _body(doc, tr.t("followup.programme.empty"), italic=True)
    return doc


# --- the conclusion notice -------------------------------------------------------------------


def _task_rows(commitments: Sequence[CommitmentRow], tr: Translator) -> list[tuple[str, ...]]:
    return [
        (
            str(c.number),
            c.text + (f" ({c.question_code})" if c.question_code else ""),
            c.owner,
            format_date_vn(c.due),
            c.status + (" – " + tr.t("followup.overdue") if c.overdue else ""),
        )
        for c in commitments
    ]


def _task_headers(tr: Translator) -> tuple[str, ...]:
    return (
        tr.t("digest.docx.col.number"),
        tr.t("followup.col.task"),
        tr.t("followup.col.owner"),
        tr.t("followup.col.due"),
        tr.t("followup.col.status"),
    )


def _conclusion(document: ConclusionDocument, tr: Translator) -> DocxDocument:
    head = document.head
    subtitle = tr.t(
        "followup.conclusion.subtitle", chair=document.chair, campaign=head.campaign_title
    )
    doc = _start(head, tr.t("followup.conclusion.title"), subtitle, tr)
    if document.published_at is None:
        note = _paragraph(
            doc,
            tr.t("followup.conclusion.draft", due=format_date_vn(document.due)),
            italic=True,
            align=WD_ALIGN_PARAGRAPH.CENTER,
        )
        note.paragraph_format.space_after = Pt(12)
    _body(
        doc,
        tr.t(
            "followup.conclusion.intro",
            date=format_date_vn(head.dialogue_date),
            host=head.host_name,
            campaign=head.campaign_title,
            count=_n(len(document.items), tr),
        ),
    )
    if document.summary:
        _body(doc, document.summary)
    _heading(doc, tr.t("followup.conclusion.answers_heading"))
    if not document.items:
        _body(doc, tr.t("followup.conclusion.no_items"), italic=True)
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
        _body(doc, about, bold=True)
        _body(doc, item.answer)
        for c in item.commitments:
            _body(
                doc,
                tr.t(
                    "followup.conclusion.task",
                    owner=c.owner,
                    text=c.text,
                    due=format_date_vn(c.due),
                ),
                italic=True,
            )
    _heading(doc, tr.t("followup.conclusion.tasks_heading"))
    if document.commitments:
        _table(doc, _task_headers(tr), _task_rows(document.commitments, tr), TASK_WIDTHS_CM)
    else:
        _body(doc, tr.t("followup.conclusion.no_tasks"), italic=True)
    _body(doc, tr.t("followup.conclusion.closing", chair=document.chair))
    return doc


# --- the report --------------------------------------------------------------------------------


def _report(document: ReportDocument, tr: Translator) -> DocxDocument:
    head = document.head
    f = document.figures
    doc = _start(head, tr.t("followup.report.title"), head.campaign_title, tr)
    _body(
        doc,
        tr.t("followup.report.intro", date=format_date_vn(head.dialogue_date), host=head.host_name),
    )
    _heading(doc, tr.t("followup.report.figures_heading"))
    figures = (
        ("questions", f.questions),
        ("people", f.people),
        ("units", f.units),
        ("units_total", f.units_total),
        ("topics", f.topics),
        ("routed", f.routed),
        ("answered", f.answered),
        ("answered_in_time", f.answered_in_time),
        ("published", f.published),
        ("live_questions", f.live_questions),
        ("conclusion_entries", f.conclusion_entries),
        ("commitments", f.commitments),
        ("commitments_done", f.commitments_done),
        ("commitments_open", f.commitments_open),
        ("commitments_overdue", f.commitments_overdue),
    )
    _table(
        doc,
        (tr.t("followup.report.col.figure"), tr.t("followup.report.col.count")),
        [(tr.t(f"followup.report.figure.{key}"), _n(value, tr)) for key, value in figures],
        FIGURE_WIDTHS_CM,
    )
    _heading(doc, tr.t("followup.report.topics_heading"))
    if document.topics:
        _table(
            doc,
            (
                tr.t("digest.col.topic"),
                tr.t("followup.report.col.questions"),
                tr.t("followup.report.col.answered"),
            ),
            [(t.topic, _n(t.questions, tr), _n(t.answered, tr)) for t in document.topics],
            TOPIC_WIDTHS_CM,
        )
    else:
        _body(doc, tr.t("digest.no_questions"), italic=True)
    _heading(doc, tr.t("followup.report.conclusion_heading"))
    if document.conclusion_published_at is None:
        _body(
            doc,
            tr.t("followup.report.conclusion_pending", due=format_date_vn(document.conclusion_due)),
        )
    else:
        published = format_date_vn(to_vietnam_time(document.conclusion_published_at).date())
        key = (
            "followup.report.conclusion_in_time"
            if document.conclusion_in_time
            else "followup.report.conclusion_late"
        )
        _body(doc, tr.t(key, date=published, due=format_date_vn(document.conclusion_due)))
    for item in document.conclusions:
        _body(
            doc,
            tr.t(
                "followup.report.conclusion_item",
                number=item.number,
                code=item.code,
                question=_quote(item.question, tr),
                answer=" ".join(item.answer.split()),
            ),
        )
    _heading(doc, tr.t("followup.report.tasks_heading"))
    if document.commitments:
        _table(doc, _task_headers(tr), _task_rows(document.commitments, tr), TASK_WIDTHS_CM)
    else:
        _body(doc, tr.t("followup.conclusion.no_tasks"), italic=True)
    return doc
