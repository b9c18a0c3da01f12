"""The official summary document: "TỔNG HỢP Ý KIẾN, KIẾN NGHỊ CỦA THANH NIÊN".

Laid out like a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP): A4, margins
2/2/3/2 cm, Times New Roman 13 pt, the issuing body on the left and the national motto on
the right of a borderless header table, the place-and-date line, a bold centred title, then
the questions grouped by topic ("theo nhóm vấn đề"), each issue ranked by how many young
people raised it with its askers' names and units (the plans require "ghi rõ họ tên và địa
chỉ cơ quan, đơn vị"), the table of questions proposed for the live dialogue and a closing.

Speed: python-docx builds about 10,000 paragraphs a second, too slow for 20,000 issues. The
small parts use python-docx; the topic sections are serialised as WordprocessingML text,
parsed once by lxml and appended to the body — the same elements python-docx would make.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from babel.dates import format_date
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from bot.documents.model import (
    ClusterRow,
    DigestData,
    QuestionRow,
    asker_label,
    format_date_vn,
    format_number,
    to_vietnam_time,
)
from bot.documents.text import join_limited
from locales import Translator

FONT_NAME = "Times New Roman"
BODY_SIZE = Pt(13)
TITLE_SIZE = Pt(14)
NATION_SIZE = Pt(12)  # Quốc hiệu 12-13 pt: at 12 it fits its 9.5 cm column on one line
TABLE_SIZE = Pt(12)
RECIPIENTS_SIZE = Pt(12)  # "Nơi nhận:" 12 pt, the list under it 11 pt (Nghị định 30)
RECIPIENT_SIZE = Pt(11)
TEXT_WIDTH_CM = 16.0  # A4 21 cm - left 3 cm - right 2 cm
#: Number, topic group, question, people, units: 16 cm.
CANDIDATE_WIDTHS_CM = (1.3, 3.0, 6.1, 2.3, 3.3)

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_STYLE_TOPIC = "YB Topic"
_STYLE_QUESTION = "YB Question"
_STYLE_DETAIL = "YB Detail"


def write_docx(
    data: DigestData,
    path: Path | str,
    *,
    tr: Translator,
    max_names_per_cluster: int = 20,
    max_clusters_per_topic: int | None = None,
) -> Path:
    """Write the summary document to ``path`` and return it.

    Each issue lists at most ``max_names_per_cluster`` askers, then "và N người khác";
    ``max_clusters_per_topic`` (None = all) shortens each topic group, pointing readers to
    the workbook for the rest.
    """
    target = Path(path)
    doc = Document()
    _setup_page(doc)
    _setup_styles(doc, language=tr.language)
    _header_block(doc, data, tr=tr)
    _title_block(doc, data, tr=tr)
    _intro(doc, data, tr=tr)

    by_code = {q.code: q for q in data.questions}
    xml = "".join(
        _topic_sections_xml(
            data,
            by_code,
            tr=tr,
            max_names=max_names_per_cluster,
            max_clusters=max_clusters_per_topic,
            style_ids=_style_ids(doc),
        )
    )
    body = doc.element.body
    fragment = parse_xml(f"<w:body {nsdecls('w')}>{xml}</w:body>")
    sect_pr = body.sectPr
    body.extend(list(fragment))
    if sect_pr is not None:
        body.append(sect_pr)  # moves it back to the end, where Word requires it

    _candidates(doc, data, tr=tr)
    _closing(doc, data, tr=tr)
    doc.save(str(target))
    return target


# --- page and styles ------------------------------------------------------------------------


def _setup_page(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width = Cm(21)
    section.page_height = Cm(29.7)
    section.top_margin = Cm(2)
    section.bottom_margin = Cm(2)
    section.left_margin = Cm(3)
    section.right_margin = Cm(2)
    section.header_distance = Cm(1)
    # Page numbers centred in the header from page 2 on, as Nghị định 30 prescribes.
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>2</w:t></w:r></w:fldSimple>'
        )
    )


def _set_fonts(rpr_parent: object) -> None:
    """Times New Roman for every script, theme fonts removed (they would win in Word)."""
    rpr = rpr_parent.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT_NAME)


def _setup_styles(doc: DocxDocument, *, language: str) -> None:
    styles = doc.styles
    # Document defaults: the base every style and table inherits from.
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            fonts = rpr.find(qn("w:rFonts"))
            if fonts is not None:
                fonts.attrib.clear()
                for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                    fonts.set(qn(attr), FONT_NAME)
            for tag in ("w:sz", "w:szCs"):
                size = rpr.find(qn(tag))
                if size is not None:
                    size.set(qn("w:val"), "26")
            lang = rpr.find(qn("w:lang"))
            if lang is not None and language == "vi":
                lang.set(qn("w:val"), "vi-VN")

    normal = styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    normal.font.name = FONT_NAME
    normal.font.size = BODY_SIZE
    _set_fonts(normal.element)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(6)
    fmt.line_spacing = 1.15
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    for name in ("Header", "Footer"):
        style = styles[name]
        style.font.name = FONT_NAME
        style.font.size = BODY_SIZE
        _set_fonts(style.element)

    topic = styles.add_style(_STYLE_TOPIC, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(topic, ParagraphStyle)
    topic.base_style = normal
    topic.font.bold = True
    topic.font.size = BODY_SIZE
    topic.paragraph_format.space_before = Pt(12)
    topic.paragraph_format.keep_with_next = True
    topic.paragraph_format.first_line_indent = Cm(1)
    # Outline level 1: the topic groups show in Word's navigation pane.
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), "0")
    topic.element.get_or_add_pPr().append(outline)

    question = styles.add_style(_STYLE_QUESTION, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(question, ParagraphStyle)
    question.base_style = normal
    question.font.size = BODY_SIZE
    question.paragraph_format.first_line_indent = Cm(1)
    question.paragraph_format.space_after = Pt(2)
    question.paragraph_format.keep_with_next = True

    detail = styles.add_style(_STYLE_DETAIL, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(detail, ParagraphStyle)
    detail.base_style = normal
    detail.font.size = BODY_SIZE
    detail.paragraph_format.left_indent = Cm(1)
    detail.paragraph_format.space_after = Pt(8)


def _style_ids(doc: DocxDocument) -> dict[str, str]:
    return {
        name: doc.styles[name].style_id for name in (_STYLE_TOPIC, _STYLE_QUESTION, _STYLE_DETAIL)
    }


# --- fixed parts (python-docx) --------------------------------------------------------------


def _paragraph(
    container: DocxDocument | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: Pt = BODY_SIZE,
    align: WD_ALIGN_PARAGRAPH | None = None,
    space_after: Pt | None = None,
) -> Paragraph:
    paragraph = container.add_paragraph()
    if text:
        run = paragraph.add_run(_clean(text))
        run.bold = bold
        run.italic = italic
        run.font.size = size
    if align is not None:
        paragraph.alignment = align
    if space_after is not None:
        paragraph.paragraph_format.space_after = space_after
    return paragraph


def _set_widths(table: Table, widths_cm: Sequence[float]) -> None:
    """Column widths in the grid (LibreOffice reads these) and in each cell (Word does)."""
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths_cm, strict=True):
        column.w = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def _borderless_table(doc: DocxDocument, widths_cm: Sequence[float]) -> Table:
    table: Table = doc.add_table(rows=1, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _set_widths(table, widths_cm)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    # Word rejects tblPr children out of schema order: borders go before these.
    table._tbl.tblPr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"
    )
    for cell in table.rows[0].cells:
        # A fresh cell holds one empty paragraph; drop it so our text starts at the top.
        for p in list(cell.paragraphs):
            p._p.getparent().remove(p._p)
    return table


def _header_block(doc: DocxDocument, data: DigestData, *, tr: Translator) -> None:
    table = _borderless_table(doc, (6.5, 9.5))
    left, right = table.rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    no_space = Pt(0)
    issuer = data.issuer_name or data.host_name
    if data.issuer_parent:
        _paragraph(left, data.issuer_parent.upper(), align=center, space_after=no_space)
    _paragraph(left, issuer.upper(), bold=True, align=center, space_after=no_space)
    _paragraph(left, "———————", align=center, space_after=no_space)

    _paragraph(
        right,
        tr.t("digest.docx.nation"),
        bold=True,
        size=NATION_SIZE,
        align=center,
        space_after=no_space,
    )
    _paragraph(right, tr.t("digest.docx.motto"), bold=True, align=center, space_after=no_space)
    _paragraph(right, "———————————", align=center, space_after=Pt(6))
    _paragraph(right, date_line(data, tr=tr), italic=True, align=center, space_after=no_space)


def date_line(data: DigestData, *, tr: Translator) -> str:
    """ "Cao Bằng, ngày 05 tháng 8 năm 2025" (Nghị định 30: zero-pad days < 10, months 1-2)."""
    day = to_vietnam_time(data.generated_at).date()
    return tr.t(
        "digest.docx.date",
        place=data.place_name or place_from_host(data.host_name),
        day=f"{day.day:02d}",
        month=f"{day.month:02d}" if day.month < 3 else str(day.month),
        year=day.year,
        long_date=format_date(day, "d MMMM y", locale=tr.language),
    )


_HOST_PREFIX = re.compile(
    r"^(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)?\s*"
    r"(?:tỉnh|thành phố|xã|phường|đặc khu|thị trấn|huyện|quận|thị xã)?\s*",
    re.IGNORECASE,
)


def place_from_host(host_name: str) -> str:
    """ "UBND tỉnh Cao Bằng" → "Cao Bằng": the place name of the date line."""
    place = _HOST_PREFIX.sub("", host_name.strip(), count=1).strip()
    return place or host_name.strip()


def _title_block(doc: DocxDocument, data: DigestData, *, tr: Translator) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(doc, "", space_after=Pt(6))
    _paragraph(
        doc, tr.t("digest.docx.title"), bold=True, size=TITLE_SIZE, align=center, space_after=Pt(0)
    )
    _paragraph(
        doc, data.campaign_title, bold=True, size=TITLE_SIZE, align=center, space_after=Pt(0)
    )
    if data.scope == "unit":
        _paragraph(
            doc, tr.t("digest.scope.unit", name=data.scope_name), align=center, space_after=Pt(0)
        )
    elif data.scope == "department":
        _paragraph(
            doc,
            tr.t("digest.scope.department", name=data.scope_name),
            align=center,
            space_after=Pt(0),
        )
    _paragraph(doc, "—————", align=center, space_after=Pt(12))


def _intro(doc: DocxDocument, data: DigestData, *, tr: Translator) -> None:
    lang = tr.language
    t = data.totals
    end = format_date_vn(to_vietnam_time(data.period_end).date())
    if data.period_start is None:
        period = tr.t("digest.docx.period.until", end=end)
    else:
        start = format_date_vn(to_vietnam_time(data.period_start).date())
        period = tr.t("digest.docx.period", start=start, end=end)
    text = tr.t(
        "digest.docx.intro",
        title=data.campaign_title,
        period=period,
        issuer=data.issuer_name or data.host_name,
        questions=tr.n(
            "digest.count.questions", t.questions, count=format_number(t.questions, lang)
        ),
        people=tr.n("digest.count.people", t.people, count=format_number(t.people, lang)),
        units=tr.n(
            "digest.docx.units",
            t.units_total,
            sent=format_number(t.units, lang),
            count=format_number(t.units_total, lang),
        ),
    )
    paragraph = _paragraph(doc, text)
    paragraph.paragraph_format.first_line_indent = Cm(1)
    if not data.show_names:
        note = _paragraph(doc, tr.t("digest.docx.names_hidden"), italic=True)
        note.paragraph_format.first_line_indent = Cm(1)


def _candidates(doc: DocxDocument, data: DigestData, *, tr: Translator) -> None:
    chosen = data.top_candidates
    if not chosen:
        return
    heading = _paragraph(
        doc, tr.t("digest.docx.candidates.title"), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER
    )
    heading.paragraph_format.space_before = Pt(12)
    heading.paragraph_format.keep_with_next = True
    intro = _paragraph(doc, tr.n("digest.docx.candidates.intro", len(chosen)))
    intro.paragraph_format.first_line_indent = Cm(1)
    intro.paragraph_format.keep_with_next = True  # the heading and intro go with the table

    headers = [
        tr.t("digest.docx.col.number"),
        tr.t("digest.col.topic"),
        tr.t("digest.docx.col.question"),
        tr.t("digest.col.people"),
        tr.t("digest.col.units"),
    ]
    # 12 pt in the table; "STT" and a unit name such as "Phường Nùng Trí Cao" each need
    # their width to stay on one or two lines.
    widths = CANDIDATE_WIDTHS_CM
    table: Table = doc.add_table(rows=1 + len(chosen), cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Repeat the header row on every page the table spans.
    header_row = table.rows[0]
    header_row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for row in table.rows:
        # A row stays on one page rather than splitting a short question across two.
        row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))
    for cell, text in zip(header_row.cells, headers, strict=True):
        _cell_text(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for number, cluster in enumerate(chosen, start=1):
        cells = table.rows[number].cells
        values = (
            str(number),
            cluster.topic,
            tr.t("digest.quote", text=" ".join(cluster.representative_text.split())),
            format_number(cluster.people, tr.language),
            join_limited(cluster.unit_names, limit=3, tr=tr),
        )
        for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
            centered = i in (0, 3)
            _cell_text(cell, text, align=WD_ALIGN_PARAGRAPH.CENTER if centered else None)
    _set_widths(table, widths)


def _cell_text(
    cell: _Cell, text: str, *, bold: bool = False, align: WD_ALIGN_PARAGRAPH | None = None
) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(_clean(text))
    run.bold = bold
    run.font.size = TABLE_SIZE
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = 1.0
    paragraph.alignment = align if align is not None else WD_ALIGN_PARAGRAPH.LEFT


def _closing(doc: DocxDocument, data: DigestData, *, tr: Translator) -> None:
    closing = _paragraph(doc, tr.t("digest.docx.closing", host=data.host_name))
    closing.paragraph_format.first_line_indent = Cm(1)
    closing.paragraph_format.space_before = Pt(12)
    closing.paragraph_format.keep_with_next = True  # never alone above the signature block
    table = _borderless_table(doc, (8.0, 8.0))
    left, right = table.rows[0].cells
    no_space = Pt(0)
    _paragraph(
        left,
        tr.t("digest.docx.recipients"),
        bold=True,
        italic=True,
        size=RECIPIENTS_SIZE,
        space_after=no_space,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    _paragraph(
        left,
        tr.t("digest.docx.recipient", name=data.host_name),
        size=RECIPIENT_SIZE,
        space_after=no_space,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    _paragraph(
        left,
        tr.t("digest.docx.archive"),
        size=RECIPIENT_SIZE,
        space_after=no_space,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    issuer = data.issuer_name or data.host_name
    _paragraph(
        right, issuer.upper(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=no_space
    )


# --- topic sections (bulk XML) --------------------------------------------------------------


def _topic_sections_xml(
    data: DigestData,
    by_code: dict[str, QuestionRow],
    *,
    tr: Translator,
    max_names: int,
    max_clusters: int | None,
    style_ids: dict[str, str],
) -> Iterator[str]:
    lang = tr.language
    topic_style = style_ids[_STYLE_TOPIC]
    question_style = style_ids[_STYLE_QUESTION]
    detail_style = style_ids[_STYLE_DETAIL]
    sections = [s for s in data.topics if s.clusters or s.question_count]
    if not sections:
        yield _p(question_style, [(tr.t("digest.no_questions"), "")])
        return
    for index, section in enumerate(sections, start=1):
        heading = tr.t(
            "digest.docx.topic",
            numeral=roman(index),
            topic=section.topic,
            count=tr.n(
                "digest.docx.opinions",
                section.question_count,
                count=format_number(section.question_count, lang),
            ),
        )
        yield _p(topic_style, [(heading, "")])
        shown = section.clusters if max_clusters is None else section.clusters[:max_clusters]
        for number, cluster in enumerate(shown, start=1):
            quote = tr.t("digest.quote", text=" ".join(cluster.representative_text.split()))
            yield _p(question_style, [(f"{number}. ", "b"), (quote, "")])
            yield _p(
                detail_style,
                [
                    (
                        tr.t(
                            "digest.docx.cluster.people",
                            people=format_number(cluster.people, lang),
                            questions=tr.n(
                                "digest.count.questions",
                                cluster.question_count,
                                count=format_number(cluster.question_count, lang),
                            ),
                        ),
                        "",
                    ),
                    (" " + _askers_text(cluster, by_code, data, tr=tr, limit=max_names), "i"),
                ],
            )
        hidden = len(section.clusters) - len(shown)
        if hidden > 0:
            yield _p(
                detail_style,
                [
                    (
                        tr.n(
                            "digest.docx.more_clusters", hidden, count=format_number(hidden, lang)
                        ),
                        "i",
                    )
                ],
            )


def _askers_text(
    cluster: ClusterRow,
    by_code: dict[str, QuestionRow],
    data: DigestData,
    *,
    tr: Translator,
    limit: int,
) -> str:
    """ "Người hỏi: Nguyễn Văn An (Xã Đàm Thuỷ); Ẩn danh (Phường Thục Phán) và 3 người khác."""
    if not data.show_names:
        return tr.t(
            "digest.docx.units_only", units=join_limited(cluster.unit_names, limit=limit, tr=tr)
        )
    entries = list(_asker_entries(cluster, by_code, data, tr=tr))
    if not entries:
        return tr.t(
            "digest.docx.units_only", units=join_limited(cluster.unit_names, limit=limit, tr=tr)
        )
    shown = "; ".join(entries[:limit])
    rest = len(entries) - limit
    if rest > 0:
        shown = tr.n(
            "digest.docx.askers.more", rest, names=shown, count=format_number(rest, tr.language)
        )
    return tr.t("digest.docx.askers", names=shown)


def _asker_entries(
    cluster: ClusterRow, by_code: dict[str, QuestionRow], data: DigestData, *, tr: Translator
) -> Iterable[str]:
    """One entry per asker, in question order; a named person asking twice is listed once."""
    seen: set[str] = set()
    anonymous = tr.t("digest.anonymous")
    for code in cluster.question_codes:
        question = by_code.get(code)
        if question is None:
            continue
        name = asker_label(question, tr=tr, show_names=True) or anonymous
        entry = tr.t("digest.docx.asker_entry", name=name, unit=question.unit_name)
        if name != anonymous:
            if entry in seen:
                continue
            seen.add(entry)
        yield entry


def _p(style_id: str, runs: Sequence[tuple[str, str]]) -> str:
    """A paragraph as WordprocessingML; each run is (text, "" | "b" | "i")."""
    parts = [f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/></w:pPr>']
    for text, kind in runs:
        if not text:
            continue
        props = (
            "<w:rPr><w:b/></w:rPr>"
            if kind == "b"
            else "<w:rPr><w:i/></w:rPr>"
            if kind == "i"
            else ""
        )
        parts.append(f'<w:r>{props}<w:t xml:space="preserve">{_escape(text)}</w:t></w:r>')
    parts.append("</w:p>")
    return "".join(parts)


def _clean(text: str) -> str:
    return _ILLEGAL_XML.sub("", text)


def _escape(text: str) -> str:
    return _clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


def roman(number: int) -> str:
    """Roman numeral for section numbers: 1 → "I", 14 → "XIV"."""
    out = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)
