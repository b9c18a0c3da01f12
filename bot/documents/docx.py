"""The three question documents, on the official-document frame (:mod:`bot.documents.frame`):

- the **summary** of the whole campaign ("Báo cáo tổng hợp ý kiến, kiến nghị của thanh
  niên"), issued by the host's Youth Union (the Tỉnh đoàn) to Sở Nội vụ;
- a **unit's own list** ("Danh sách câu hỏi…"), issued by that unit's Youth Union ("Đoàn
  Phường Thục Phán") to the Tỉnh đoàn, counting only its questions;
- a **department's letter** (công văn), by which Sở Nội vụ forwards the questions routed to a
  department and asks for written answers by the campaign's deadline.

:func:`write_docx` picks the document from the digest's scope. Each lists the questions by
topic group ("theo nhóm vấn đề"), each issue ranked by how many young people raised it: the
representative question quoted, its askers' names and units (the plans require "ghi rõ họ
tên và địa chỉ cơ quan, đơn vị"), then every differently worded question of the same issue
with its own code, unit and words — a cluster never hides a question. Exact duplicates are
folded into one line with their askers. Questions are quoted as received; those typed without
diacritics, in teencode or in English are marked "(nguyên văn)" (:mod:`bot.documents.verbatim`).

Speed: python-docx builds about 10,000 paragraphs a second, too slow for 20,000 issues. The
topic sections are serialised as WordprocessingML text and appended in one parse
(:meth:`bot.documents.frame.Body.append_xml`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from docx.shared import Pt

from bot.documents.frame import (
    STYLE_DETAIL,
    STYLE_MEMBER,
    STYLE_NOTE,
    STYLE_QUESTION,
    STYLE_TOPIC,
    Body,
    OfficialDocument,
    is_self,
    keeps_with_next,
    paragraph_xml,
    write_official_document,
)
from bot.documents.frame import date_line as frame_date_line
from bot.documents.issuers import (
    Issuer,
    IssuerContext,
    IssuerSettings,
    in_sentence,
    place_name,
    resolve,
)
from bot.documents.model import (
    ClusterRow,
    DigestData,
    QuestionRow,
    asker_label,
    format_date_vn,
    format_number,
    listed_sections,
    to_vietnam_time,
)
from bot.documents.numbering import roman
from bot.documents.text import join_limited
from bot.documents.verbatim import is_verbatim_case
from locales import Translator

#: Number, topic group, question, people, units: 16 cm.
CANDIDATE_WIDTHS_CM = (1.3, 3.0, 6.1, 2.3, 3.3)
TEXT_WIDTH_CM = 16.0

__all__ = [
    "CANDIDATE_WIDTHS_CM",
    "date_line",
    "document_for",
    "issuer_of",
    "place_from_host",
    "roman",
    "write_docx",
]


def write_docx(
    data: DigestData,
    path: Path | str,
    *,
    tr: Translator,
    max_names_per_cluster: int = 20,
    max_clusters_per_topic: int | None = None,
) -> Path:
    """Write the digest's document (summary, unit list or department letter) to ``path``.

    Each wording lists at most ``max_names_per_cluster`` askers, then "và N người khác";
    ``max_clusters_per_topic`` (None = all) shortens each topic group, pointing readers to
    the workbook for the rest.
    """
    document = document_for(data, tr=tr)
    listing = _Listing(
        data, tr=tr, max_names=max_names_per_cluster, max_clusters=max_clusters_per_topic
    )

    def body(out: Body) -> None:
        if data.scope == "department":
            _department_body(out, data, document, listing, tr=tr)
        elif data.scope == "unit":
            _unit_body(out, data, document, listing, tr=tr)
        else:
            _summary_body(out, data, document, listing, tr=tr)

    return write_official_document(document, path, body=body, tr=tr)


# --- head and foot --------------------------------------------------------------------------


def issuer_of(data: DigestData) -> Issuer:
    """The digest's issuer, or the defaults of its level when the filler set none."""
    if data.issuer is not None:
        return data.issuer
    place = data.place_name or place_from_host(data.host_name)
    if data.scope == "department":
        level = "department"
    elif data.scope == "unit":
        commune = data.scope_name.split(" ", 1)[0].casefold() in ("xã", "phường", "đặc")
        level = "commune" if commune else "school"
    else:
        level = "province"
    context = IssuerContext(
        province_name=place,
        host=data.host_name,
        host_unit=place,
        unit=data.scope_name if data.scope == "unit" else "",
        department=data.scope_name if data.scope == "department" else "",
    )
    layers = []
    if data.issuer_name or data.issuer_parent:
        layers.append(
            IssuerSettings(
                issuer=data.issuer_name or None, issuer_parent=data.issuer_parent or None
            )
        )
    if data.place_name:
        layers.append(IssuerSettings(place=data.place_name))
    return resolve(level, context, layers=layers)  # type: ignore[arg-type]


def document_for(data: DigestData, *, tr: Translator) -> OfficialDocument:
    """The head and foot of the digest's document."""
    issuer = issuer_of(data)
    day = to_vietnam_time(data.generated_at).date()
    if data.scope == "department":
        department = data.scope_name
        addressee = (
            tr.t("document.department.internal", issuer=issuer.name)
            if is_self(department, issuer)
            else department
        )
        return OfficialDocument(
            issuer=issuer,
            kind="",
            title=tr.t("document.department.subject"),
            date=day,
            addressees=(addressee,),
        )
    if data.scope == "unit":
        return OfficialDocument(
            issuer=issuer,
            kind=tr.t("document.kind.report"),
            title=tr.t(
                "document.unit.title", unit=in_sentence(data.scope_name), title=data.campaign_title
            ),
            date=day,
        )
    return OfficialDocument(
        issuer=issuer,
        kind=tr.t("document.kind.report"),
        title=tr.t("document.summary.title", title=data.campaign_title),
        date=day,
    )


def date_line(data: DigestData, *, tr: Translator) -> str:
    """ "Cao Bằng, ngày 05 tháng 8 năm 2025" for the digest's date and issuer's place."""
    day = to_vietnam_time(data.generated_at).date()
    return frame_date_line(issuer_of(data).place, day, tr=tr)


def place_from_host(host_name: str) -> str:
    """ "UBND tỉnh Cao Bằng" → "Cao Bằng": the place name of the date line."""
    return place_name(host_name)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def issuer_phrase(issuer: Issuer) -> str:
    """How the body names its issuer: "Đoàn phường Thục Phán", "Sở Nội vụ"; an organ of a
    body with its parent: "Ban Thường vụ BCH Đoàn tỉnh Cao Bằng"."""
    organ = issuer.name.casefold().startswith(("ban ", "thường trực", "văn phòng"))
    if organ and issuer.parent:
        return f"{issuer.name} {issuer.parent}"
    return issuer.name


# --- bodies ---------------------------------------------------------------------------------


def _period(data: DigestData, *, tr: Translator) -> str:
    end = format_date_vn(to_vietnam_time(data.period_end).date())
    if data.period_start is None:
        return tr.t("digest.docx.period.until", end=end)
    start = format_date_vn(to_vietnam_time(data.period_start).date())
    return tr.t("digest.docx.period", start=start, end=end)


def _counts(data: DigestData, *, tr: Translator) -> dict[str, str]:
    lang = tr.language
    t = data.totals
    return {
        "questions": tr.n(
            "digest.count.questions", t.questions, count=format_number(t.questions, lang)
        ),
        "people": tr.n("digest.count.people", t.people, count=format_number(t.people, lang)),
        "units": tr.n(
            "digest.docx.units",
            t.units_total,
            sent=format_number(t.units, lang),
            count=format_number(t.units_total, lang),
        ),
    }


def _notes(out: Body, data: DigestData, listing: _Listing, *, tr: Translator) -> None:
    """Notes under the introduction: hidden names, counts, quoted-as-received marks."""
    if not data.show_names:
        out.paragraph(tr.t("digest.docx.names_hidden"), italic=True)
    rows_people = sum(c.people for c in data.clusters)
    if rows_people > data.totals.people:
        out.paragraph(
            tr.t(
                "document.people_overlap",
                rows=format_number(rows_people, tr.language),
                people=format_number(data.totals.people, tr.language),
            ),
            italic=True,
        )
    if listing.any_verbatim:
        out.document.add_paragraph(tr.t("document.verbatim.note"), style=STYLE_NOTE)


def _summary_body(
    out: Body, data: DigestData, document: OfficialDocument, listing: _Listing, *, tr: Translator
) -> None:
    out.paragraph(
        tr.t(
            "digest.docx.intro",
            title=data.campaign_title,
            period=_period(data, tr=tr),
            issuer=issuer_phrase(document.issuer),
            **_counts(data, tr=tr),
        )
    )
    _notes(out, data, listing, tr=tr)
    out.stream_xml(_batched(listing.sections_xml(out)))
    _candidates(out, data, tr=tr)
    out.paragraph(tr.t("digest.docx.closing", host=data.host_name), space_before=Pt(12))


def _unit_body(
    out: Body, data: DigestData, document: OfficialDocument, listing: _Listing, *, tr: Translator
) -> None:
    counts = _counts(data, tr=tr)
    out.paragraph(
        tr.t(
            "document.unit.intro",
            title=data.campaign_title,
            period=_period(data, tr=tr),
            issuer=issuer_phrase(document.issuer),
            unit=in_sentence(data.scope_name),
            questions=counts["questions"],
            people=counts["people"],
        )
    )
    _notes(out, data, listing, tr=tr)
    out.stream_xml(_batched(listing.sections_xml(out)))
    recipients = [r for r in document.issuer.recipients if not is_self(r, document.issuer)]
    to = recipients[0].split(" (")[0] if recipients else data.host_name
    out.paragraph(
        tr.t(
            "document.unit.closing",
            issuer=issuer_phrase(document.issuer),
            unit=in_sentence(data.scope_name),
            to=to,
        )
    )


def _department_body(
    out: Body, data: DigestData, document: OfficialDocument, listing: _Listing, *, tr: Translator
) -> None:
    counts = _counts(data, tr=tr)
    issuer = issuer_phrase(document.issuer)
    department = data.scope_name
    if is_self(department, document.issuer):  # the issuer's own questions: its divisions
        department = _lower_first(tr.t("document.department.internal", issuer=issuer))
    out.paragraph(
        tr.t(
            "document.department.intro",
            title=data.campaign_title,
            issuer=issuer,
            department=data.scope_name,
            questions=counts["questions"],
            people=counts["people"],
        )
    )
    due = data.deadline("answers_due")
    dialogue = data.deadline("dialogue")
    request = tr.t(
        "document.department.request" if due else "document.department.request_no_date",
        department=department,
        issuer=issuer,
        due=_date_text(due),
        host=data.host_name,
    )
    if dialogue:
        request += " " + tr.t("document.department.dialogue", dialogue=_date_text(dialogue))
    out.paragraph(request)
    _notes(out, data, listing, tr=tr)
    out.stream_xml(_batched(listing.sections_xml(out)))
    out.paragraph(tr.t("document.department.closing", issuer=issuer, department=department))


def _batched(parts: Iterator[str], size: int = 2000) -> Iterator[str]:
    """Paragraphs joined into chunks (fewer, larger writes)."""
    batch: list[str] = []
    for part in parts:
        batch.append(part)
        if len(batch) >= size:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


def _date_text(day: date | None) -> str:
    return format_date_vn(day) if day else ""


def _candidates(out: Body, data: DigestData, *, tr: Translator) -> None:
    chosen = data.top_candidates
    if not chosen:
        return
    out.heading_above_next(tr.t("digest.docx.candidates.title"))
    # Every issue proposed: no rest is left to answer in writing.
    issues = sum(len(section.clusters) for section in data.topics)
    key = "digest.docx.candidates.intro" + ("_all" if len(chosen) >= issues else "")
    intro = out.paragraph(tr.n(key, len(chosen)), keep_with_next=True)
    assert intro is not None
    headers = (
        tr.t("digest.docx.col.number"),
        tr.t("digest.col.topic"),
        tr.t("digest.docx.col.question"),
        tr.t("digest.col.people"),
        tr.t("digest.col.units"),
    )
    rows = tuple(
        (
            str(number),
            cluster.topic,
            tr.t("digest.quote", text=" ".join(cluster.representative_text.split())),
            format_number(cluster.people, tr.language),
            join_limited(cluster.unit_names, limit=3, tr=tr),
        )
        for number, cluster in enumerate(chosen, start=1)
    )
    out.table(headers, rows, widths_cm=CANDIDATE_WIDTHS_CM, centered=(0, 3))


# --- the question listing (bulk XML) --------------------------------------------------------


@dataclass(slots=True)
class Wording:
    """Questions of one issue written with the same words (exact duplicates folded)."""

    text: str
    questions: list[QuestionRow] = field(default_factory=list)


def wording_key(text: str) -> str:
    """Text compared for exact duplicates: case, spacing and end punctuation ignored."""
    folded = unicodedata.normalize("NFC", text).casefold()
    return " ".join(folded.split()).rstrip(" .?!…")


def wordings(
    cluster: ClusterRow, by_code: dict[str, QuestionRow], keys: dict[str, str] | None = None
) -> list[Wording]:
    """The cluster's questions grouped by wording, the representative's wording first.

    ``keys`` may hold each question's :func:`wording_key` by code, computed beforehand.
    """
    groups: dict[str, Wording] = {}
    for code in cluster.question_codes:
        question = by_code.get(code)
        if question is None:
            continue
        key = keys[code] if keys is not None else wording_key(question.text)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Wording(question.text)
        group.questions.append(question)
    return list(groups.values())


class _Listing:
    """The topic sections of a document, as WordprocessingML."""

    def __init__(
        self, data: DigestData, *, tr: Translator, max_names: int, max_clusters: int | None
    ) -> None:
        self.data = data
        self.tr = tr
        self.max_names = max_names
        self.max_clusters = max_clusters
        self.by_code = {q.code: q for q in data.questions}
        # Each distinct text is examined once (duplicates are common in a big campaign).
        self.keys: dict[str, str] = {}
        marked: dict[str, bool] = {}
        self.verbatim: set[str] = set()
        for q in data.questions:
            key = self.keys[q.code] = wording_key(q.text)
            flag = marked.get(key)
            if flag is None:
                flag = marked[key] = is_verbatim_case(q.text)
            if flag:
                self.verbatim.add(q.code)
        self.any_verbatim = bool(self.verbatim)
        # Templates fetched once: a listing formats several per question.
        self._quote = tr.t("digest.quote")
        self._asker = tr.t("document.asker")
        self._asker_unit = tr.t("document.asker_unit")
        self._other_topic = tr.t("document.other_topic")

    def sections_xml(self, out: Body) -> Iterator[str]:
        tr = self.tr
        lang = tr.language
        topic_style = out.style_id(STYLE_TOPIC)
        question_style = out.style_id(STYLE_QUESTION)
        detail_style = out.style_id(STYLE_DETAIL)
        member_style = out.style_id(STYLE_MEMBER)
        sections = listed_sections(self.data)
        if not sections:
            yield paragraph_xml(question_style, [(tr.t("digest.no_questions"), "")])
            return
        verbatim = tr.t("document.verbatim.mark")
        for index, section in enumerate(sections, start=1):
            # The heading counts what is listed under it, so the counts add up even when
            # an issue gathers questions filed under another topic group.
            count = sum(c.question_count for c in section.clusters)
            heading = tr.t(
                "digest.docx.topic",
                numeral=roman(index),
                topic=section.topic,
                count=tr.n("digest.docx.opinions", count, count=format_number(count, lang)),
            )
            yield paragraph_xml(topic_style, [(heading, "")])
            shown = (
                section.clusters
                if self.max_clusters is None
                else section.clusters[: self.max_clusters]
            )
            for number, cluster in enumerate(shown, start=1):
                groups = wordings(cluster, self.by_code, self.keys)
                first = groups[0] if groups else Wording(cluster.representative_text)
                quote = self._quote.format(text=" ".join(first.text.split()))
                runs = [(f"{number}. ", "b"), (quote, "")]
                if first.questions and first.questions[0].code in self.verbatim:
                    runs.append((f" {verbatim}", "i"))
                yield paragraph_xml(question_style, runs, keep_with_next=keeps_with_next(quote))
                people = tr.t(
                    "digest.docx.cluster.people",
                    people=format_number(cluster.people, lang),
                    questions=tr.n(
                        "digest.count.questions",
                        cluster.question_count,
                        count=format_number(cluster.question_count, lang),
                    ),
                )
                askers = self._askers(first.questions, cluster)
                label = "digest.docx.askers" if self.data.show_names else "digest.docx.units_only"
                yield paragraph_xml(
                    detail_style,
                    [(people, ""), (" " + tr.t(label, names=askers, units=askers), "i")]
                    if askers
                    else [(people, "")],
                )
                others = groups[1:]
                if others:
                    yield paragraph_xml(
                        detail_style, [(tr.t("document.members"), "")], keep_with_next=True
                    )
                for group in others:
                    member_runs = [
                        ("- ", ""),
                        (self._askers(group.questions, cluster), "i"),
                        (": ", ""),
                        (self._quote.format(text=" ".join(group.text.split())), ""),
                    ]
                    if group.questions[0].code in self.verbatim:
                        member_runs.append((f" {verbatim}", "i"))
                    yield paragraph_xml(member_style, member_runs)
            hidden = len(section.clusters) - len(shown)
            if hidden > 0:
                yield paragraph_xml(
                    detail_style,
                    [
                        (
                            tr.n(
                                "digest.docx.more_clusters",
                                hidden,
                                count=format_number(hidden, lang),
                            ),
                            "i",
                        )
                    ],
                )

    def _askers(self, questions: Iterable[QuestionRow], cluster: ClusterRow) -> str:
        """ "Nông Thị Hoa (Phường Thục Phán), mã K7Q2M; Ẩn danh (Xã Đàm Thuỷ), mã P3X8A"."""
        tr = self.tr
        entries = [self._entry(q, cluster) for q in questions]
        shown = "; ".join(entries[: self.max_names])
        rest = len(entries) - self.max_names
        if rest > 0:
            shown = tr.n(
                "digest.docx.askers.more",
                rest,
                names=shown,
                count=format_number(rest, tr.language),
            )
        return shown

    def _entry(self, question: QuestionRow, cluster: ClusterRow) -> str:
        # A reader without the right to names sees units only, anonymous askers included.
        name = asker_label(question, tr=self.tr, show_names=True) if self.data.show_names else ""
        topic = (
            self._other_topic.format(topic=question.topic)
            if question.topic != cluster.topic
            else ""
        )
        if name:
            entry = self._asker.format(name=name, unit=question.unit_name, code=question.code)
        else:
            entry = self._asker_unit.format(unit=question.unit_name, code=question.code)
        return entry + topic
