"""The official-document frame: the head and foot Nghị định 30/2020/NĐ-CP prescribes, around
any body.

Every document the dialogue produces (the summary, a unit's own list, Sở Nội vụ's letter
to a department; next the answers compilation, the live programme, the conclusion notice and
the report) is an :class:`OfficialDocument` written with :func:`write_official_document`::

    from bot.documents.frame import Body, OfficialDocument, Text, write_official_document
    from bot.documents.issuers import Issuer, Signer

    document = OfficialDocument(
        issuer=Issuer(
            name="Sở Nội vụ",
            parent="UBND tỉnh Cao Bằng",
            letterhead="state",  # or "youth_union": "ĐOÀN TNCS HỒ CHÍ MINH" on the right
            symbol="SNV-CTTN",  # "Số:      /SNV-CTTN"; Issuer.number fills the blank
            place="Cao Bằng",
            signer=Signer("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn A"),
            recipients=("Như trên", "UBND tỉnh (để báo cáo)"),
            archive="CTTN",  # "- Lưu: VT, CTTN."
        ),
        kind="",  # "" = a letter (công văn): the title becomes the "V/v …" line
        title="V/v chuyển câu hỏi, kiến nghị của thanh niên",
        date=date(2025, 8, 6),
        addressees=("Sở Y tế",),  # "Kính gửi: Sở Y tế."
    )

    def body(out: Body) -> None:  # or a list of blocks: [Text("…"), Heading("…"), Table(…)]
        out.paragraph("Thực hiện Kế hoạch …, Sở Nội vụ chuyển …")
        out.table(["STT", "Nội dung"], [["1", "…"]], widths_cm=(1.3, 14.7))
        out.paragraph("Đề nghị Sở Y tế … trước ngày 20/8/2025./.")

    write_official_document(document, "cong-van.docx", body=body, tr=Translator("vi"))

Top to bottom the frame writes: on the left the parent body in capitals, the issuer in bold
capitals and a short rule under it, then "Số: …/SYMBOL" (and the "V/v" line of a letter); on
the right "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" / "Độc lập - Tự do - Hạnh phúc" (or "ĐOÀN
TNCS HỒ CHÍ MINH" for a Youth Union body) with its rule, and the place and date in italics
level with "Số:"; the kind ("BÁO CÁO") and title in bold, centred, with a short rule; "Kính
gửi:"; the body; then, side by side, "Nơi nhận:" (the recipients, never the issuer itself,
ending "- Lưu: VT, …") and the signer block (authority, title, space for the signature and
seal, full name). A4, margins 2/2/3/2 cm, Times New Roman 13 pt, page numbers from page 2.

The body is either a callback given a :class:`Body` (paragraphs, headings, tables, or bulk
WordprocessingML through :meth:`Body.stream_xml` for tens of thousands of paragraphs) or a sequence
of blocks (:class:`Text`, :class:`Heading`, :class:`Table`). Separator lines are paragraph
borders, never typed dashes.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
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
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from bot.clustering.normalize import fold
from bot.documents.issuers import Issuer
from locales import Translator

FONT_NAME = "Times New Roman"
BODY_SIZE = Pt(13)
TITLE_SIZE = Pt(14)
NATION_SIZE = Pt(12)  # Quốc hiệu 12-13 pt: at 12 it fits its column on one line
HEAD_SIZE = Pt(13)  # "Số:", the motto, the date line
ISSUER_SIZE = Pt(12)  # the issuer block, 12-13 pt: at 12 "ĐOÀN PHƯỜNG THỤC PHÁN" fits a line
TABLE_SIZE = Pt(12)
RECIPIENTS_SIZE = Pt(12)  # "Nơi nhận:" 12 pt, the list under it 11 pt (Nghị định 30)
RECIPIENT_SIZE = Pt(11)
PAGE_WIDTH_CM = 21.0
PAGE_HEIGHT_CM = 29.7
MARGINS_CM = {"top": 2.0, "bottom": 2.0, "left": 3.0, "right": 2.0}
TEXT_WIDTH_CM = PAGE_WIDTH_CM - MARGINS_CM["left"] - MARGINS_CM["right"]  # 16 cm
#: Issuer block and national motto: 6.5 + 9.5 cm.
HEAD_WIDTHS_CM = (6.5, 9.5)
#: "Nơi nhận" and the signer block.
FOOT_WIDTHS_CM = (7.5, 8.5)
CELL_MARGIN_CM = 0.19  # Word's default left and right cell margin
#: Rules: under the issuer (about a third of its line), under the motto (as long as the
#: motto in bold 13 pt), under the title.
ISSUER_RULE_CM = 2.4
MOTTO_RULE_CM = 6.0
TITLE_RULE_CM = 3.0
SIGNATURE_SPACE_LINES = 4  # room for the signature and the seal

STYLE_TOPIC = "YB Topic"  #: a section heading ("I. Nhóm vấn đề: …"), bold, kept with next
STYLE_QUESTION = "YB Question"  #: a numbered item, first line indented
STYLE_DETAIL = "YB Detail"  #: details under an item, indented
STYLE_MEMBER = "YB Member"  #: a sub-item under an item, indented further
STYLE_BODY = "YB Body"  #: an ordinary paragraph, first line indented 1 cm
STYLE_NOTE = "YB Note"  #: an italic note, 12 pt
STYLES = (STYLE_TOPIC, STYLE_QUESTION, STYLE_DETAIL, STYLE_MEMBER, STYLE_BODY, STYLE_NOTE)

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class OfficialDocument:
    """The head and foot of one document.

    ``kind`` is the document kind in capitals ("BÁO CÁO", "THÔNG BÁO", "KẾ HOẠCH",
    "KỊCH BẢN"); an empty kind makes a letter (công văn), whose ``title`` is the "V/v …"
    summary under "Số:" instead of a centred title. ``title`` may hold line breaks.
    ``addressees`` are printed after "Kính gửi:" (letters and anything addressed);
    ``Issuer.recipients`` are the "Nơi nhận" lines.
    """

    issuer: Issuer
    kind: str
    title: str
    date: date
    addressees: tuple[str, ...] = ()

    @property
    def is_letter(self) -> bool:
        return not self.kind


# --- body blocks ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """A paragraph of the body (first line indented 1 cm unless ``indent`` is False)."""

    text: str
    bold: bool = False
    italic: bool = False
    indent: bool = True
    center: bool = False

    def render(self, out: Body) -> None:
        out.paragraph(
            self.text,
            bold=self.bold,
            italic=self.italic,
            indent=self.indent,
            align=WD_ALIGN_PARAGRAPH.CENTER if self.center else None,
        )


@dataclass(frozen=True, slots=True)
class Heading:
    """A bold section heading kept with what follows ("I. …")."""

    text: str

    def render(self, out: Body) -> None:
        out.heading(self.text)


@dataclass(frozen=True, slots=True)
class Table:
    """A bordered table with a bold header row repeated on every page."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths_cm: tuple[float, ...]
    centered_columns: tuple[int, ...] = ()

    def render(self, out: Body) -> None:
        out.table(self.headers, self.rows, widths_cm=self.widths_cm, centered=self.centered_columns)


Block = Text | Heading | Table
BodyContent = Callable[["Body"], None] | Sequence[Block]


#: The text of a paragraph holding the place of streamed paragraphs (:meth:`Body.stream_xml`).
STREAM_MARKER = "YB-STREAM-"


class Body:
    """What a body callback writes with; ``document`` is the python-docx document for
    anything the helpers do not cover."""

    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self._style_ids = {name: document.styles[name].style_id for name in STYLES}
        #: Marker text → the XML chunks that replace its paragraph when the file is saved.
        self.streams: dict[str, Iterable[str]] = {}

    def style_id(self, name: str) -> str:
        """The id of one of :data:`STYLES`, for :meth:`append_xml` paragraphs."""
        return str(self._style_ids[name])

    def paragraph(
        self,
        text: str = "",
        *,
        bold: bool = False,
        italic: bool = False,
        indent: bool = True,
        align: WD_ALIGN_PARAGRAPH | None = None,
        keep_with_next: bool = False,
        space_before: Pt | None = None,
    ) -> Paragraph:
        paragraph = self.document.add_paragraph(style=STYLE_BODY if indent else None)
        if text:
            run = paragraph.add_run(clean(text))
            run.bold = bold or None
            run.italic = italic or None
        if align is None and has_long_word(text):
            align = WD_ALIGN_PARAGRAPH.LEFT
        if align is not None:
            paragraph.alignment = align
        if keep_with_next:
            paragraph.paragraph_format.keep_with_next = True
        if space_before is not None:
            paragraph.paragraph_format.space_before = space_before
        return paragraph

    def heading(self, text: str, *, center: bool = False) -> Paragraph:
        paragraph = self.document.add_paragraph(clean(text), style=STYLE_TOPIC)
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.first_line_indent = Cm(0)
        return paragraph

    def heading_above_next(self, text: str) -> Paragraph:
        """A centred heading that cannot be left alone at the foot of a page.

        ``keep_with_next`` on a heading, then on a sentence, then a table is not enough for
        LibreOffice: when the sentence and the table go to the next page, the heading often
        stays behind, alone. Here the heading is a full-width frame anchored to the paragraph
        that follows it (``w:framePr``, Word's "frame above the text"): the frame goes
        wherever that paragraph goes and the text flows under it (``notBeside``), so the
        page looks as with a plain heading. Checked with LibreOffice 7.4 over ~330 page
        positions (0 headings left alone, against 61 with keep_with_next alone); Word
        anchors a frame to the next paragraph by definition, but was not tried.
        """
        paragraph = self.heading(text, center=True)
        paragraph.paragraph_format.keep_with_next = True
        frame = OxmlElement("w:framePr")
        for name, value in (
            ("w", str(Cm(TEXT_WIDTH_CM).twips)),
            ("wrap", "notBeside"),
            ("vAnchor", "text"),
            ("hAnchor", "margin"),
            ("xAlign", "center"),
            ("y", "1"),
        ):
            frame.set(qn(f"w:{name}"), value)
        paragraph._p.get_or_add_pPr().insert_element_before(frame, *_AFTER_FRAME_PR)
        return paragraph

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        widths_cm: Sequence[float],
        centered: Sequence[int] = (),
    ) -> DocxTable:
        """A grid table, 12 pt, header repeated on each page, rows never split."""
        table: DocxTable = self.document.add_table(rows=1 + len(rows), cols=len(headers))
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        header_row = table.rows[0]
        header_row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        for row in table.rows:
            row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))
        for cell, text in zip(header_row.cells, headers, strict=True):
            cell_text(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        for index, values in enumerate(rows, start=1):
            for column, (cell, text) in enumerate(
                zip(table.rows[index].cells, values, strict=True)
            ):
                align = WD_ALIGN_PARAGRAPH.CENTER if column in centered else None
                cell_text(cell, text, align=align)
        set_widths(table, widths_cm)
        return table

    def stream_xml(self, chunks: Iterable[str]) -> None:
        """Place WordprocessingML paragraphs here, written straight into the saved file.

        For bulk content (100,000 questions): the chunks are neither parsed nor held in
        memory as a tree; a marker paragraph holds their place until the package is saved
        and is then replaced by them. Build paragraphs with :func:`paragraph_xml` and
        :meth:`style_id`.
        """
        marker = f"{STREAM_MARKER}{uuid.uuid4().hex}"
        self.document.add_paragraph(marker)
        self.streams[marker] = chunks

    def append_xml(self, xml: str) -> None:
        """Append WordprocessingML paragraphs/tables (``<w:p>…</w:p>…``) to the body.

        For bulk content: parsing one string is ~10x faster than python-docx calls. Use
        :func:`paragraph_xml` and :meth:`style_id` to build it.
        """
        body = self.document.element.body
        fragment = parse_xml(f"<w:body {nsdecls('w')}>{xml}</w:body>")
        sect_pr = body.sectPr
        body.extend(list(fragment))
        if sect_pr is not None:
            body.append(sect_pr)  # Word requires the section properties last


def write_official_document(
    document: OfficialDocument,
    path: Path | str,
    *,
    body: BodyContent,
    tr: Translator,
) -> Path:
    """Write ``document`` with ``body`` to ``path`` (DOCX) and return the path."""
    docx_document = Document()
    setup_page(docx_document)
    setup_styles(docx_document, language=tr.language)
    head(docx_document, document, tr=tr)
    out = Body(docx_document)
    if callable(body):
        body(out)
    else:
        for block in body:
            block.render(out)
    foot(docx_document, document, tr=tr)
    set_properties(docx_document, document, tr=tr)
    target = Path(path)
    if not out.streams:
        docx_document.save(str(target))
        return target
    buffer = io.BytesIO()
    docx_document.save(buffer)
    _splice_streams(buffer.getvalue(), target, out.streams)
    return target


def set_properties(doc: DocxDocument, document: OfficialDocument, *, tr: Translator) -> None:
    """The file's properties (Word: File > Info) as the issuer's: python-docx's template
    otherwise names "python-docx" as author, "generated by python-docx" as comment and
    23/12/2013 as the date it was created, seen by whoever receives the file."""
    issuer = document.issuer
    author = ", ".join(part for part in (issuer.name, issuer.parent) if part)
    title = " ".join(document.title.split())
    properties = doc.core_properties
    properties.author = author
    properties.last_modified_by = author
    properties.title = f"{document.kind.capitalize()}: {title}" if document.kind else title
    properties.comments = ""
    properties.keywords = ""
    properties.language = "vi-VN" if tr.language == "vi" else tr.language
    properties.revision = 1
    properties.created = properties.modified = datetime.now(UTC).replace(microsecond=0)


def _splice_streams(package: bytes, target: Path, streams: dict[str, Iterable[str]]) -> None:
    """Copy the saved package to ``target``, each marker paragraph of the main document
    replaced by its stream of paragraphs."""
    with (
        zipfile.ZipFile(io.BytesIO(package)) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename != "word/document.xml":
                out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            xml = data.decode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry._compresslevel = 1  # type: ignore[attr-defined]
            with out.open(entry, "w", force_zip64=True) as stream:
                position = 0
                for marker, chunks in streams.items():
                    at = xml.index(marker)
                    start = max(xml.rfind("<w:p>", 0, at), xml.rfind("<w:p ", 0, at))
                    end = xml.index("</w:p>", at) + len("</w:p>")
                    stream.write(xml[position:start].encode("utf-8"))
                    for chunk in chunks:
                        stream.write(chunk.encode("utf-8"))
                    position = end
                stream.write(xml[position:].encode("utf-8"))


# --- page and styles ------------------------------------------------------------------------


#: What follows ``w:framePr`` in ``w:pPr`` (ECMA-376 CT_PPrBase order, then CT_PPr).
_AFTER_FRAME_PR = (
    "w:widowControl",
    "w:numPr",
    "w:suppressLineNumbers",
    "w:pBdr",
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def setup_page(doc: DocxDocument) -> None:
    """A4, Nghị định 30 margins, page numbers centred in the header from page 2."""
    section = doc.sections[0]
    section.page_width = Cm(PAGE_WIDTH_CM)
    section.page_height = Cm(PAGE_HEIGHT_CM)
    section.top_margin = Cm(MARGINS_CM["top"])
    section.bottom_margin = Cm(MARGINS_CM["bottom"])
    section.left_margin = Cm(MARGINS_CM["left"])
    section.right_margin = Cm(MARGINS_CM["right"])
    section.header_distance = Cm(1)
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


def _add_style(
    doc: DocxDocument, name: str, base: ParagraphStyle, *, after: float, keep: bool = False
) -> ParagraphStyle:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = base
    style.font.size = BODY_SIZE
    style.paragraph_format.space_after = Pt(after)
    if keep:
        style.paragraph_format.keep_with_next = True
    return style


def setup_styles(doc: DocxDocument, *, language: str) -> None:
    """Times New Roman 13 everywhere (document defaults and styles) and the body styles."""
    styles = doc.styles
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
    # Widow and orphan control: no single line of a paragraph alone on a page.
    fmt.widow_control = True

    for name in ("Header", "Footer"):
        style = styles[name]
        style.font.name = FONT_NAME
        style.font.size = BODY_SIZE
        _set_fonts(style.element)

    topic = _add_style(doc, STYLE_TOPIC, normal, after=6, keep=True)
    topic.font.bold = True
    topic.paragraph_format.space_before = Pt(12)
    topic.paragraph_format.first_line_indent = Cm(1)
    # Outline level 1: the sections show in Word's navigation pane.
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), "0")
    topic.element.get_or_add_pPr().append(outline)

    question = _add_style(doc, STYLE_QUESTION, normal, after=2, keep=True)
    question.paragraph_format.first_line_indent = Cm(1)

    detail = _add_style(doc, STYLE_DETAIL, normal, after=4)
    detail.paragraph_format.left_indent = Cm(1)

    member = _add_style(doc, STYLE_MEMBER, normal, after=3)
    member.paragraph_format.left_indent = Cm(1.5)

    body = _add_style(doc, STYLE_BODY, normal, after=6)
    body.paragraph_format.first_line_indent = Cm(1)

    note = _add_style(doc, STYLE_NOTE, normal, after=6)
    note.font.italic = True
    note.font.size = Pt(12)
    note.paragraph_format.first_line_indent = Cm(1)


# --- head -----------------------------------------------------------------------------------


def head(doc: DocxDocument, document: OfficialDocument, *, tr: Translator) -> None:
    """Issuer block and motto, "Số:" and the date line, then the title and "Kính gửi"."""
    issuer = document.issuer
    table = borderless_table(doc, HEAD_WIDTHS_CM, rows=2)
    left, right = table.rows[0].cells
    number_cell, date_cell = table.rows[1].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    none = Pt(0)
    if issuer.parent:
        cell_paragraph(left, issuer.parent.upper(), size=ISSUER_SIZE, align=center, after=none)
    for line in issuer_lines(issuer.name):
        cell_paragraph(left, line.upper(), bold=True, size=ISSUER_SIZE, align=center, after=none)
    rule(left, width_cm=ISSUER_RULE_CM, column_cm=HEAD_WIDTHS_CM[0])

    if issuer.letterhead == "youth_union":
        cell_paragraph(
            right, tr.t("document.youth_union"), bold=True, size=HEAD_SIZE, align=center, after=none
        )
        rule(right, width_cm=MOTTO_RULE_CM, column_cm=HEAD_WIDTHS_CM[1])
    else:
        cell_paragraph(
            right, tr.t("digest.docx.nation"), bold=True, size=NATION_SIZE, align=center, after=none
        )
        cell_paragraph(
            right, tr.t("digest.docx.motto"), bold=True, size=HEAD_SIZE, align=center, after=none
        )
        rule(right, width_cm=MOTTO_RULE_CM, column_cm=HEAD_WIDTHS_CM[1])

    cell_paragraph(
        number_cell, number_line(issuer, tr=tr), size=HEAD_SIZE, align=center, after=none
    )
    if document.is_letter and document.title:
        for line in document.title.splitlines():
            cell_paragraph(number_cell, line, size=Pt(12), align=center, after=none)
    cell_paragraph(
        date_cell,
        date_line(issuer.place, document.date, tr=tr),
        italic=True,
        size=HEAD_SIZE,
        align=center,
        after=none,
    )

    if not document.is_letter:
        spacer = doc.add_paragraph()
        spacer.paragraph_format.space_after = Pt(6)
        kind = doc.add_paragraph()
        kind.alignment = center
        kind.paragraph_format.space_after = none
        kind.paragraph_format.keep_with_next = True
        run = kind.add_run(clean(document.kind.upper()))
        run.bold = True
        run.font.size = TITLE_SIZE
        for line in (part for title in document.title.splitlines() for part in title_lines(title)):
            paragraph = doc.add_paragraph()
            paragraph.alignment = center
            paragraph.paragraph_format.space_after = none
            paragraph.paragraph_format.keep_with_next = True
            title_run = paragraph.add_run(clean(line))
            title_run.bold = True
            title_run.font.size = TITLE_SIZE
        rule(doc, width_cm=TITLE_RULE_CM, column_cm=TEXT_WIDTH_CM, after=Pt(12))
    else:
        doc.add_paragraph().paragraph_format.space_after = Pt(0)
    _addressees(doc, document.addressees, tr=tr)


#: Characters of a title line (Times New Roman 14 bold) that fit the 16 cm text width, with
#: a margin: "gửi Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Cao Bằng với thanh niên" (70).
TITLE_LINE_CHARS = 66
#: Words a title line is best broken before (a new phrase starts there).
_TITLE_BREAKS = frozenset(("gửi", "tại", "giữa", "với", "của", "về", "trong"))


def title_lines(
    line: str, *, width: float = TITLE_LINE_CHARS, measure: Callable[[str], float] = len
) -> list[str]:
    """A title line too long for one printed line, broken at word boundaries into lines that
    fit (``measure``: characters, or a font's width in pixels): before a new phrase where one
    makes lines that fit ("… giữa Chủ tịch UBND tỉnh Cao Bằng / với thanh niên năm 2027"),
    else not after a capitalised word (never "Cao / Bằng", "Chủ / tịch"), the lines as even
    as can be. Left to the word processor, the last line held one or two words ("năm
    2027") or a word was cut ("Hội nghị đối / thoại")."""
    words = line.split()
    if measure(line) <= width or len(words) < 2:
        return [line]
    lines: list[str] = []
    count = len(_greedy(words, width, measure))  # lines needed
    while count > 1 and len(words) > 1:
        target = measure(" ".join(words)) / count
        fitting: list[tuple[int, int, float]] = []  # (preference, word index, first's width)
        for index in range(1, len(words)):
            first = " ".join(words[:index])
            rest = words[index:]
            if measure(first) > width or len(_greedy(rest, width, measure)) > count - 1:
                continue
            if words[index].casefold() in _TITLE_BREAKS:
                preference = 0
            elif not words[index - 1][:1].isupper():
                preference = 1
            else:
                preference = 2  # in a name: "Chủ / tịch", "Cao / Bằng"
            fitting.append((preference, index, measure(first)))
        if not fitting:
            break
        preferred = min(f[0] for f in fitting)
        _, best, _ = min(
            (f for f in fitting if f[0] == preferred), key=lambda f: abs(f[2] - target)
        )
        lines.append(" ".join(words[:best]))
        words = words[best:]
        count -= 1
    lines.append(" ".join(words))
    return lines


def _greedy(words: Sequence[str], width: float, measure: Callable[[str], float]) -> list[str]:
    """Words filled line by line (a word wider than ``width`` alone on its line)."""
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line} {word}" if line else word
        if line and measure(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


#: Short forms Nghị định 30 allows in the parent body's name only ("UBND TỈNH CAO BẰNG"
#: above "SỞ NỘI VỤ"): the issuing body's own name is written in full.
FULL_NAMES = (("UBND ", "Ủy ban nhân dân"), ("HĐND ", "Hội đồng nhân dân"))


def issuer_lines(name: str) -> list[str]:
    """The issuing body's name as its head prints it: "UBND phường Thục Phán" in full, the
    kind of body on a line of its own ("Ủy ban nhân dân", "phường Thục Phán")."""
    for short, full in FULL_NAMES:
        if name.casefold().startswith(short.casefold()) and name[len(short) :].strip():
            return [full, name[len(short) :].strip()]
    return [name]


def number_line(issuer: Issuer, *, tr: Translator) -> str:
    """ "Số: 15/BC-TĐTN"; without a number, room for the clerk: "Số:      /BC-TĐTN"."""
    number = issuer.number.strip() or "\u00a0" * 6
    symbol = issuer.symbol.strip()
    return (
        tr.t("document.number", number=number, symbol=symbol)
        if symbol
        else (tr.t("document.number_only", number=number))
    )


def date_line(place: str, day: date, *, tr: Translator) -> str:
    """ "Cao Bằng, ngày 05 tháng 8 năm 2025" (Nghị định 30: zero-pad days < 10, months 1-2)."""
    return tr.t(
        "digest.docx.date",
        place=place,
        day=f"{day.day:02d}",
        month=f"{day.month:02d}" if day.month < 3 else str(day.month),
        year=day.year,
        long_date=format_date(day, "d MMMM y", locale=tr.language),
    )


def _addressees(doc: DocxDocument, addressees: Sequence[str], *, tr: Translator) -> None:
    names = [a.strip().rstrip(";.") for a in addressees if a.strip()]
    if not names:
        return
    label = tr.t("document.to")
    if len(names) == 1:
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(clean(f"{label} {names[0]}."))
        paragraph.paragraph_format.space_after = Pt(12)
        return
    first = doc.add_paragraph()
    first.paragraph_format.left_indent = Cm(3)
    first.add_run(clean(label))
    first.paragraph_format.space_after = Pt(0)
    for i, name in enumerate(names):
        item = doc.add_paragraph()
        item.paragraph_format.left_indent = Cm(5)
        item.paragraph_format.space_after = Pt(12 if i == len(names) - 1 else 0)
        item.add_run(clean(f"- {name}{'.' if i == len(names) - 1 else ';'}"))


# --- foot -----------------------------------------------------------------------------------


def foot(doc: DocxDocument, document: OfficialDocument, *, tr: Translator) -> None:
    """ "Nơi nhận" on the left, the signer block on the right."""
    body = doc.element.body
    children = [child for child in body if child.tag != qn("w:sectPr")]
    last = children[-1] if children else None
    if last is not None and last.tag == qn("w:tbl"):
        # Word joins two tables with nothing between them: a body ending on a table gets
        # an empty paragraph before the foot's table, and its last row stays with the foot.
        for p in last.findall(f"{qn('w:tr')}[last()]//{qn('w:p')}"):
            Paragraph(p, doc).paragraph_format.keep_with_next = True
        _spacer(doc)
    elif last is not None and STREAM_MARKER in "".join(t.text or "" for t in last.iter(qn("w:t"))):
        # Streamed paragraphs replace their marker when the file is saved: the space before
        # the foot goes on a paragraph of its own.
        _spacer(doc)
    else:
        # The paragraph before the block stays with it (no signature alone on a page).
        paragraphs = body.findall(qn("w:p"))[-1:]  # not doc.paragraphs: no proxies
        if paragraphs:
            paragraph = Paragraph(paragraphs[0], doc)
            paragraph.paragraph_format.keep_with_next = True
            paragraph.paragraph_format.space_after = Pt(12)
    issuer = document.issuer
    table = borderless_table(doc, FOOT_WIDTHS_CM)
    table.rows[0]._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))
    left, right = table.rows[0].cells
    none = Pt(0)
    leftmost = WD_ALIGN_PARAGRAPH.LEFT
    cell_paragraph(
        left,
        tr.t("digest.docx.recipients"),
        bold=True,
        italic=True,
        size=RECIPIENTS_SIZE,
        after=none,
        align=leftmost,
    )
    lines = recipient_lines(issuer, addressed=bool(document.addressees), tr=tr)
    for line in lines:
        cell_paragraph(left, line, size=RECIPIENT_SIZE, after=none, align=leftmost)

    center = WD_ALIGN_PARAGRAPH.CENTER
    signer = issuer.signer
    for text in (signer.authority, signer.title):
        if text.strip():
            cell_paragraph(right, text.upper(), bold=True, align=center, after=none)
    for _ in range(SIGNATURE_SPACE_LINES):
        cell_paragraph(right, "", after=none)
    cell_paragraph(right, signer.name, bold=True, align=center, after=none)


def _spacer(doc: DocxDocument) -> None:
    """An empty line before the foot, kept with it."""
    spacer = doc.add_paragraph().paragraph_format
    spacer.space_after = Pt(0)
    spacer.keep_with_next = True


def recipient_lines(issuer: Issuer, *, addressed: bool, tr: Translator) -> list[str]:
    """ "- Sở Nội vụ;" … "- Lưu: VT, VP." — never the issuer itself, "Lưu" always last.

    A recipient written as "Lưu: …" becomes the archive line; "Như trên" (the addressees)
    is kept only when the document has addressees.
    """
    archive = issuer.archive.strip().strip(".,;")
    names: list[str] = []
    seen: set[str] = set()
    for raw in issuer.recipients:
        text = raw.strip().lstrip("-–+ ").rstrip(";.,").strip()
        if not text:
            continue
        key = _core(text)
        if key.startswith(("luu:", "luu ")):
            extra = text.split(":", 1)[1] if ":" in text else text[3:]
            parts = [*archive.split(","), *extra.split(",")]
            kept = [p.strip() for p in parts if p.strip() and fold(p.strip()) != "vt"]
            archive = ", ".join(dict.fromkeys(kept))
            continue
        if key == "nhu tren" and not addressed:
            continue
        if is_self(text, issuer) or key in seen:
            continue
        seen.add(key)
        names.append(text)
    lines = [tr.t("digest.docx.recipient", name=name) for name in names]
    lines.append(
        tr.t("document.archive", extra=archive) if archive else tr.t("digest.docx.archive")
    )
    return lines


_PARENTHESES = re.compile(r"\([^)]*\)")


def _core(text: str) -> str:
    """Folded text without parentheses ("(để báo cáo)") and punctuation, for comparing."""
    plain = _PARENTHESES.sub(" ", text)
    return " ".join(re.sub(r"[^\w:]+", " ", fold(plain)).split())


def is_self(recipient: str, issuer: Issuer) -> bool:
    """Whether a recipient names the issuing body itself ("UBND tỉnh Cao Bằng" sending to
    "UBND tỉnh Cao Bằng", "Ban Thường vụ" of "BCH Đoàn tỉnh" sending to "BCH Đoàn tỉnh")."""
    target = _core(recipient)
    name = _core(issuer.name)
    parent = _core(issuer.parent)
    candidates = {name, f"{name} {parent}".strip(), f"{parent} {name}".strip()}
    return bool(target) and target in candidates


# --- shared helpers -------------------------------------------------------------------------


def clean(text: str) -> str:
    """Text without the control characters XML forbids."""
    return _ILLEGAL_XML.sub("", text)


def escape(text: str) -> str:
    """Text for a WordprocessingML ``<w:t>``: forbidden characters dropped, markup escaped.

    (``str.replace`` runs in C; a ``str.translate`` table is several times slower on
    Vietnamese text.)"""
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("", text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def paragraph_xml(
    style_id: str, runs: Sequence[tuple[str, str]], *, keep_with_next: bool | None = None
) -> str:
    """A paragraph as WordprocessingML; each run is ``(text, "" | "b" | "i" | "bi")``.

    ``keep_with_next``: None as its style says; True for a line that introduces what follows
    ("Các câu hỏi khác cùng vấn đề:"), so it never ends a page alone; False for a paragraph
    too long to keep (see :func:`keeps_with_next`). A paragraph holding a long word (a link)
    is aligned left (:func:`has_long_word`)."""
    keep = {None: "", True: "<w:keepNext/>", False: '<w:keepNext w:val="0"/>'}[keep_with_next]
    align = '<w:jc w:val="left"/>' if has_long_word(" ".join(t for t, _ in runs)) else ""
    parts = [f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/>{keep}{align}</w:pPr>']
    for text, kind in runs:
        if not text:
            continue
        props = "".join(("<w:b/>" if "b" in kind else "", "<w:i/>" if "i" in kind else ""))
        rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
        parts.append(f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>')
    parts.append("</w:p>")
    return "".join(parts)


#: A word longer than this (a link or an e-mail address pasted into a question) cannot
#: share a justified line: the few words before it were spread across the whole line
#: ("2.        “Xem        bài", then the link). Vietnamese words are short: no word of the
#: language comes near it.
LONG_WORD_CHARS = 25


def has_long_word(text: str) -> bool:
    """Whether ``text`` holds a word too long to justify the line before it: its paragraph is
    aligned left instead (Nghị định 30 justifies the body; one stretched line reads worse)."""
    return any(len(word) > LONG_WORD_CHARS for word in text.split())


#: A paragraph longer than this is not kept with the next one: LibreOffice never splits a
#: "keep with next" paragraph, it moves it whole to the next page, so a question of twenty
#: lines left half a page blank above it (Word splits it and keeps its last line).
KEEP_WITH_NEXT_MAX_CHARS = 500


def keeps_with_next(text: str) -> bool | None:
    """``keep_with_next`` for :func:`paragraph_xml` of an item whose style keeps it with its
    details: the style's (None) for a short item, False for a long one."""
    return None if len(text) <= KEEP_WITH_NEXT_MAX_CHARS else False


def set_widths(table: DocxTable, widths_cm: Sequence[float]) -> None:
    """Column widths in the grid (LibreOffice reads these) and in each cell (Word does)."""
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths_cm, strict=True):
        column.w = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def borderless_table(doc: DocxDocument, widths_cm: Sequence[float], *, rows: int = 1) -> DocxTable:
    """A layout table without borders; its cells start empty."""
    table: DocxTable = doc.add_table(rows=rows, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    set_widths(table, widths_cm)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    # Word rejects tblPr children out of schema order: borders go before these.
    table._tbl.tblPr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"
    )
    for row in table.rows:
        for cell in row.cells:
            # A fresh cell holds one empty paragraph; drop it so our text starts at the top.
            for p in list(cell.paragraphs):
                p._p.getparent().remove(p._p)
    return table


def cell_paragraph(
    container: _Cell | DocxDocument,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: Pt = BODY_SIZE,
    align: WD_ALIGN_PARAGRAPH | None = None,
    after: Pt | None = None,
) -> Paragraph:
    paragraph = container.add_paragraph()
    if text:
        run = paragraph.add_run(clean(text))
        run.bold = bold or None
        run.italic = italic or None
        run.font.size = size
    if align is not None:
        paragraph.alignment = align
    if after is not None:
        paragraph.paragraph_format.space_after = after
    paragraph.paragraph_format.first_line_indent = Cm(0)
    return paragraph


def cell_text(
    cell: _Cell, text: str, *, bold: bool = False, align: WD_ALIGN_PARAGRAPH | None = None
) -> None:
    """Text of a table cell, 12 pt, single-spaced; line breaks start new paragraphs."""
    first = True
    for line in text.split("\n") or [""]:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        run = paragraph.add_run(clean(line))
        run.bold = bold or None
        run.font.size = TABLE_SIZE
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.paragraph_format.line_spacing = 1.0
        paragraph.paragraph_format.first_line_indent = Cm(0)
        paragraph.alignment = align if align is not None else WD_ALIGN_PARAGRAPH.LEFT


def rule(
    container: _Cell | DocxDocument,
    *,
    width_cm: float,
    column_cm: float,
    after: Pt | None = None,
) -> Paragraph:
    """A short centred horizontal line: an empty paragraph with a bottom border, narrowed
    by its indents to ``width_cm`` (inside a cell, less the cell margins)."""
    inner = column_cm - (2 * CELL_MARGIN_CM if isinstance(container, _Cell) else 0)
    side = max(0.0, (inner - width_cm) / 2)
    paragraph = container.add_paragraph()
    p_pr = paragraph._p.get_or_add_pPr()
    twips = round(side * 567)
    after_twips = round((after.pt if after is not None else 3) * 20)
    p_pr.append(
        parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="1"'
            ' w:color="auto"/></w:pBdr>'
        )
    )
    p_pr.append(
        parse_xml(
            f'<w:spacing {nsdecls("w")} w:before="0" w:after="{after_twips}" w:line="100"'
            ' w:lineRule="exact"/>'
        )
    )
    p_pr.append(parse_xml(f'<w:ind {nsdecls("w")} w:left="{twips}" w:right="{twips}"/>'))
    p_pr.append(parse_xml(f'<w:jc {nsdecls("w")} w:val="center"/>'))
    p_pr.append(parse_xml(f'<w:rPr {nsdecls("w")}><w:sz w:val="4"/><w:szCs w:val="4"/></w:rPr>'))
    return paragraph
