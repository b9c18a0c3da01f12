"""The digest as an Excel workbook ("bảng tổng hợp") for organisers and departments.

Sheets: an overview (figures and deadlines), every question, the issues (clusters of
similar questions) ranked by how many young people raised them, and the units, silent ones
included with zeros. Headers are bold, frozen and filterable; widths fit Vietnamese text.

Printing: every sheet is set up for A4, one page wide (the tables landscape), with the
header row repeated on each page, grid lines and page numbers. Rows with wrapped text
carry an estimated height (not marked custom, so Excel may still autofit them): without
one LibreOffice draws every row one line high and the wrapped lines overlap.

Speed: openpyxl spends about 8 µs per cell, i.e. ~12 s for 100,000 questions × 12 columns,
far over the digest's budget. So openpyxl builds the whole workbook — styles, header,
frozen pane, filter, widths and one styled prototype data row per big sheet — and the bulk
rows are then serialised directly as SpreadsheetML with the prototype row's style ids and
spliced into the saved package in place of the prototype. The result is an ordinary
openpyxl workbook with more rows; the tests read it back with openpyxl.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from bot.documents.exports import QUESTION_COLUMNS, CellValue, QuestionColumn
from bot.documents.model import (
    DigestData,
    UnitRow,
    asker_label,
    format_date_vn,
    format_datetime_vn,
    format_number,
    group_numbers,
)
from bot.documents.text import days_left_text
from locales import Translator

#: Excel's limits: sheet names and cell text.
SHEET_NAME_MAX = 31
CELL_TEXT_MAX = 32_767

DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
# Named like the workbook's body font: a font without a name falls back to the viewer's
# default (a serif face in LibreOffice), so bold headers looked unlike the rest.
FONT_NAME = "Calibri"
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True)
TITLE_FONT = Font(name=FONT_NAME, bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")

#: Row heights (points) for wrapped text: one line of 11 pt Calibri, Excel's maximum.
LINE_HEIGHT_PT = 15.0
MAX_ROW_HEIGHT_PT = 409.0
#: Characters per unit of column width when estimating wrapped lines. Word-wrapping the
#: demo's and the benchmark's questions in Calibri (Carlito) metrics at widths 24-60, 1.05
#: never under-counts a line; 1.1 under-counts some, and the last line would be cut off.
CHARS_PER_WIDTH = 1.05

#: Characters XML 1.0 forbids (control characters users sometimes paste).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = datetime(1899, 12, 30)


@dataclass(frozen=True, slots=True)
class TableColumn:
    """A sheet's column: its header, width bounds (characters), wrapping, number format."""

    header: str
    min_width: float
    max_width: float
    wrap: bool = False
    number_format: str | None = None


def write_xlsx(data: DigestData, path: Path | str, *, tr: Translator) -> Path:
    """Write the digest workbook to ``path`` and return it."""
    target = Path(path)
    wb = Workbook()
    overview = wb.active
    assert overview is not None
    overview.title = _sheet_name(tr.t("digest.sheet.overview"))
    _fill_overview(overview, data, tr=tr)

    group_names = group_name_by_code(data)
    question_columns = sheet_question_columns(live=any(q.live_answer for q in data.questions))
    question_rows = [
        (
            number,
            *(
                group_names.get(q.code, "")
                if c.key == "cluster_label"
                else c.value(q, tr, data.show_names)
                for c in question_columns
            ),
        )
        for number, q in enumerate(data.questions, start=1)
    ]
    questions_ws = wb.create_sheet(_sheet_name(tr.t("digest.sheet.questions")))
    question_wraps = _prepare_bulk_sheet(
        questions_ws,
        [
            TableColumn(tr.t("digest.docx.col.number"), 5, 8),
            *(_sheet_column(c, tr) for c in question_columns),
        ],
        question_rows,
    )

    cluster_rows = list(_cluster_rows(data, group_names, tr=tr))
    clusters_ws = wb.create_sheet(_sheet_name(tr.t("digest.sheet.clusters")))
    cluster_wraps = _prepare_bulk_sheet(
        clusters_ws,
        [
            TableColumn(tr.t("digest.docx.col.number"), 5, 8),
            TableColumn(tr.t("digest.col.topic"), 16, 24, wrap=True),
            TableColumn(tr.t("digest.col.cluster_label"), 28, 30, wrap=True),
            TableColumn(tr.t("digest.col.code"), 10, 12),
            TableColumn(tr.t("digest.col.text"), 40, 60, wrap=True),
            TableColumn(tr.t("digest.col.asker_name"), 14, 24, wrap=True),
            TableColumn(tr.t("digest.col.unit_name"), 16, 24, wrap=True),
            TableColumn(tr.t("digest.col.people"), 10, 14),
            TableColumn(tr.t("digest.col.questions"), 10, 14),
        ],
        cluster_rows,
    )

    units_ws = wb.create_sheet(_sheet_name(tr.t("digest.sheet.units")))
    _fill_units(units_ws, _all_units(data), tr=tr)

    print_setup(overview, landscape=False, table=False)
    print_setup(questions_ws, landscape=True)
    print_setup(clusters_ws, landscape=True)
    print_setup(units_ws, landscape=False)
    _set_properties(wb, data)

    buffer = io.BytesIO()
    wb.save(buffer)
    _splice_rows(
        buffer.getvalue(),
        target,
        {
            questions_ws.title: (question_rows, question_wraps),
            clusters_ws.title: (cluster_rows, cluster_wraps),
        },
    )
    return target


def _set_properties(wb: Workbook, data: DigestData) -> None:
    """The file's properties as the DOCX's: its issuer as author ("openpyxl" otherwise)."""
    from bot.documents.docx import issuer_of  # the DOCX module imports this one's users

    issuer = issuer_of(data)
    wb.properties.creator = ", ".join(part for part in (issuer.name, issuer.parent) if part)
    wb.properties.lastModifiedBy = wb.properties.creator
    wb.properties.title = data.campaign_title


def write_table(
    path: Path | str,
    sheet: str,
    columns: Sequence[TableColumn],
    rows: Sequence[Sequence[CellValue]],
) -> Path:
    """A one-sheet workbook of ``rows`` under the digest's header style (bold, frozen,
    filtered, widths fitted), A4 landscape; written to ``path`` and returned."""
    target = Path(path)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _sheet_name(sheet)
    _header(ws, columns, rows)
    for row in rows:
        ws.append([_clean(v) for v in row])
    letters = (get_column_letter(i + 1) for i in range(len(columns)))
    for column, letter in zip(columns, letters, strict=True):
        if column.wrap:
            for cell in ws[letter][1:]:
                cell.alignment = WRAP
    print_setup(ws, landscape=True)
    wb.properties.creator = ""  # not "openpyxl"
    wb.properties.title = sheet
    wb.save(target)
    return target


def print_setup(ws: Worksheet, *, landscape: bool, table: bool = True) -> None:
    """A4, all columns on one page wide, page numbers; tables repeat their header row."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, footer=0.3)
    footer = ws.oddFooter
    assert footer is not None
    footer.center.text = "&P / &N"
    if table:
        ws.print_title_rows = "1:1"
        ws.print_options.gridLines = True


# --- sheets ---------------------------------------------------------------------------------


def _fill_overview(ws: Worksheet, data: DigestData, *, tr: Translator) -> None:
    lang = tr.language
    t = data.totals
    ws.append([tr.t("digest.xlsx.title")])
    ws["A1"].font = TITLE_FONT
    ws.append([data.campaign_title])
    rows: list[tuple[str, str | int]] = [
        (tr.t("digest.field.host"), data.host_name),
        (tr.t(f"digest.field.scope.{data.scope}"), data.scope_name or data.host_name),
        (
            tr.t("digest.field.period"),
            (format_datetime_vn(data.period_start) + " – " if data.period_start else "")
            + format_datetime_vn(data.period_end),
        ),
        (tr.t("digest.field.generated"), format_datetime_vn(data.generated_at)),
        (tr.t("digest.field.questions"), t.questions),
        (tr.t("digest.field.people"), t.people),
        (tr.t("digest.field.supporters"), t.supporters),
        (
            tr.t("digest.field.units"),
            f"{format_number(t.units, lang)}/{format_number(t.units_total, lang)}",
        ),
        (tr.t("digest.field.new_questions"), t.new_questions),
        (tr.t("digest.field.silent_units"), len(data.silent_units)),
    ]
    ws.append([])
    for label, value in rows:
        ws.append([label, value])
        ws.cell(ws.max_row, 1).font = HEADER_FONT
        if isinstance(value, int):
            # A number (summable, no "stored as text" warning), shown like the text beside it.
            figure = ws.cell(ws.max_row, 2)
            figure.number_format = "#,##0"
            figure.alignment = Alignment(horizontal="left")
    if data.deadlines:
        ws.append([])
        ws.append(
            [
                tr.t("digest.col.deadline"),
                tr.t("digest.col.due"),
                tr.t("digest.col.days_left"),
            ]
        )
        for cell in ws[ws.max_row]:
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
        for d in data.deadlines:
            ws.append([d.label, format_date_vn(d.due), days_left_text(d.days_left, tr=tr)])
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 18


GROUP_TITLE_CHARS = 50  # with "II.1. ", two lines of the issue column


#: The columns of an answer given live at the dialogue: in the sheet once there is one.
LIVE_COLUMNS = frozenset({"live_answer", "live_answered_by", "live_answered_on"})


def sheet_question_columns(*, live: bool = False) -> list[QuestionColumn]:
    """The question sheet's columns (after "STT"): the shared ones shown in sheets, the
    department and the answer among them; with ``live``, the chair's answer at the
    dialogue, by whom and when (three empty columns before it, on a page already wide)."""
    return [c for c in QUESTION_COLUMNS if c.in_sheet and (live or c.key not in LIVE_COLUMNS)]


def _sheet_column(column: QuestionColumn, tr: Translator) -> TableColumn:
    # The issue column holds "II.1. " and the start of a question: two lines at 28.
    wide = column.key == "cluster_label"
    return TableColumn(
        _column_header(column, tr),
        28.0 if wide else column.width,
        30.0 if wide else column.max_width,
        wrap=column.wrap,
        number_format=DATETIME_FORMAT if column.key == "created_at" else None,
    )


def _column_header(column: QuestionColumn, tr: Translator) -> str:
    key = f"digest.col.{column.key}"
    return tr.t(key) if tr.has(key) else tr.t(f"document.col.{column.key}")


def group_name_by_code(data: DigestData) -> dict[str, str]:
    """Each question's issue as a reader can name it: the number the documents give it and
    the start of its representative question ("II.1. Sinh viên tốt nghiệp cao đẳng…")."""
    numbers = group_numbers(data)
    names: dict[str, str] = {}
    for cluster in data.clusters:
        number = numbers.get(cluster.representative_code)
        title = short_title(cluster.representative_text)
        name = f"{number}. {title}" if number else title
        for code in cluster.question_codes:
            names[code] = name
    return names


def short_title(text: str, limit: int = GROUP_TITLE_CHARS) -> str:
    """The first ``limit`` characters of a question, cut at a word, with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _cluster_rows(
    data: DigestData, group_names: dict[str, str], *, tr: Translator
) -> Iterator[tuple[CellValue, ...]]:
    """Per issue, most people first: its representative question with the issue's figures
    (STT, people, questions), then each other question of the issue in its own words, so
    the rows of an issue are as many as its questions."""
    by_code = {q.code: q for q in data.questions}
    for rank, cluster in enumerate(data.clusters, start=1):
        group = group_names.get(cluster.representative_code, "")
        first = True
        for code in cluster.question_codes:
            question = by_code.get(code)
            text = question.text if question else cluster.representative_text
            asker = asker_label(question, tr=tr, show_names=data.show_names) if question else ""
            unit = question.unit_name if question else ""
            yield (
                rank if first else None,
                cluster.topic,
                group,
                code,
                text,
                asker,
                unit,
                cluster.people if first else None,
                cluster.question_count if first else None,
            )
            first = False


def _all_units(data: DigestData) -> list[UnitRow]:
    """Every unit once: ``data.units`` plus any silent unit it does not list."""
    seen = {u.code for u in data.units}
    return [*data.units, *(u for u in data.silent_units if u.code not in seen)]


def _fill_units(ws: Worksheet, units: Sequence[UnitRow], *, tr: Translator) -> None:
    columns = [
        TableColumn(tr.t("digest.col.unit_code"), 10, 16),
        TableColumn(tr.t("digest.col.unit_name"), 20, 50),
        TableColumn(tr.t("digest.col.unit_kind"), 12, 24),
        TableColumn(tr.t("digest.col.questions"), 10, 14),
        TableColumn(tr.t("digest.col.people"), 10, 14),
    ]
    rows: list[tuple[CellValue, ...]] = [
        (u.code, u.name, u.kind, u.question_count, u.people_count) for u in units
    ]
    _header(ws, columns, rows)
    for row in rows:
        ws.append([_clean(v) for v in row])


def _header(
    ws: Worksheet, columns: Sequence[TableColumn], rows: Sequence[Sequence[CellValue]]
) -> None:
    """Bold filled header, frozen below, filter over all rows, widths fitted to the data."""
    ws.append([c.header for c in columns])
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
    ws.row_dimensions[1].height = 32  # two lines of wrapped header text
    ws.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for i, column in enumerate(columns):
        ws.column_dimensions[get_column_letter(i + 1)].width = _fit_width(column, rows, i)


def _prepare_bulk_sheet(
    ws: Worksheet, columns: Sequence[TableColumn], rows: Sequence[Sequence[CellValue]]
) -> list[float | None]:
    """Header plus one styled prototype row; :func:`_splice_rows` replaces it with ``rows``.

    Returns each column's width if it wraps its text (None if not), for the row heights.
    """
    _header(ws, columns, rows)
    prototype: list[CellValue] = []
    for value in rows[0] if rows else ():
        prototype.append(value if value not in (None, "") else "-")
    if not prototype:
        prototype = ["-" for _ in columns]
    ws.append([_clean(v) for v in prototype])
    for column, cell in zip(columns, ws[2], strict=True):
        cell.alignment = WRAP if column.wrap else TOP
        if column.number_format:
            cell.number_format = column.number_format
    return [
        ws.column_dimensions[get_column_letter(i + 1)].width if column.wrap else None
        for i, column in enumerate(columns)
    ]


def _fit_width(column: TableColumn, rows: Sequence[Sequence[CellValue]], index: int) -> float:
    """Width in characters: longest value (first line), within the column's bounds.

    Vietnamese letters with two diacritics are about as wide as Latin ones in Calibri, so a
    character count with a small margin is a good fit.
    """
    # The header wraps onto two lines: it needs half its length, or its longest word.
    longest = max([len(w) for w in column.header.split()] + [(len(column.header) + 1) // 2])
    sample = rows if len(rows) <= 5000 else rows[:5000]
    for row in sample:
        value = row[index]
        if isinstance(value, str):
            longest = max(longest, len(value))
        elif isinstance(value, datetime):
            longest = max(longest, 16)
        elif value is not None:
            longest = max(longest, len(str(value)))
        if longest >= column.max_width:
            break
    return round(min(column.max_width, max(column.min_width, longest * 1.1 + 2)), 1)


def _sheet_name(name: str) -> str:
    """Excel forbids ``[]:*?/\\`` in sheet names and allows 31 characters."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip() or "Sheet"
    return cleaned[:SHEET_NAME_MAX]


def _clean(value: CellValue) -> CellValue:
    """A value openpyxl stores as the user wrote it (text stays text)."""
    if isinstance(value, str):
        value = _ILLEGAL_XML.sub("", value)[:CELL_TEXT_MAX]
        if value.startswith("="):
            # openpyxl would store "=..." as a formula; a leading space keeps it text.
            return " " + value
    return value


# --- bulk rows ------------------------------------------------------------------------------

_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pkg": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_CELL_ATTRS = re.compile(r"<c\b([^>]*)>")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')
_ROW_CHUNK = 2000


def _sheet_paths(package: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → path of its XML part, read from the workbook and its relationships."""
    rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    targets: dict[str, str] = {}
    for rel in rels.findall("pkg:Relationship", _NS):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))
        targets[rel.get("Id", "")] = path
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    rid = f"{{{_NS['rel']}}}id"
    return {
        sheet.get("name", ""): targets[sheet.get(rid, "")]
        for sheet in workbook.iterfind("main:sheets/main:sheet", _NS)
    }


def _splice_rows(
    package_bytes: bytes,
    target: Path,
    bulk: dict[str, tuple[Sequence[Sequence[CellValue]], Sequence[float | None]]],
) -> None:
    """Copy the package to ``target``, replacing each bulk sheet's row 2 by its rows.

    ``bulk`` maps a sheet title to its rows and, per column, the width it wraps text at.
    """
    with (
        zipfile.ZipFile(io.BytesIO(package_bytes)) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
    ):
        sheet_paths = _sheet_paths(source)
        paths = {sheet_paths[title]: spec for title, spec in bulk.items()}
        for info in source.infolist():
            if info.filename not in paths:
                out.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
                continue
            rows, wrap_widths = paths[info.filename]
            head, styles, tail = _split_at_prototype(source.read(info).decode("utf-8"))
            ncols = len(styles)
            head = _DIMENSION.sub(
                f'<dimension ref="A1:{get_column_letter(ncols)}{len(rows) + 1}"/>', head, count=1
            )
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            # Level 1 halves the time of the default 6 for a ~30 % bigger file; Python 3.11
            # only reads the level of a streamed entry from this attribute.
            entry._compresslevel = 1  # type: ignore[attr-defined]
            with out.open(entry, "w", force_zip64=True) as stream:
                stream.write(head.encode("utf-8"))
                for chunk in _row_chunks(rows, styles, wrap_widths):
                    stream.write(chunk.encode("utf-8"))
                stream.write(tail.encode("utf-8"))


def _split_at_prototype(xml: str) -> tuple[str, list[str], str]:
    """The sheet XML before and after row 2, and row 2's style id per column."""
    start = xml.index('<row r="2"')
    end = xml.index("</row>", start) + len("</row>")
    styles: list[str] = []
    for match in _CELL_ATTRS.finditer(xml, start, end):
        attrs = dict(_ATTR.findall(match.group(1)))
        styles.append(attrs.get("s", "0"))
    return xml[:start], styles, xml[end:]


def row_height(values: Sequence[CellValue], wrapped: Sequence[tuple[int, int]]) -> float | None:
    """Points for a row whose wrapped cells need more than one line, else None (default).

    ``wrapped`` lists (column index, characters per line) of the columns that wrap.
    """
    lines = 1
    count = len(values)
    for index, per_line in wrapped:
        if index >= count:
            continue
        value = values[index]
        # Most cells are short one-liners: decide those without splitting.
        if value.__class__ is not str or (len(value) <= per_line and "\n" not in value):
            continue
        if "\n" in value:
            needed = sum(-(-len(part) // per_line) or 1 for part in value.split("\n"))
        else:
            needed = -(-len(value) // per_line)
        lines = max(lines, needed)
    if lines == 1:
        return None
    return min(MAX_ROW_HEIGHT_PT, lines * LINE_HEIGHT_PT)


def _row_chunks(
    rows: Iterable[Sequence[CellValue]],
    styles: Sequence[str],
    wrap_widths: Sequence[float | None] = (),
) -> Iterator[str]:
    letters = [get_column_letter(i + 1) for i in range(len(styles))]
    wrapped = [
        (i, max(1, int(width * CHARS_PER_WIDTH)))
        for i, width in enumerate(wrap_widths)
        if width is not None
    ]
    style_attrs = [f' s="{s}"' if s != "0" else "" for s in styles]
    # Most text cells repeat (unit, topic, status...): cache each cell's XML after its
    # reference, per column, for short values.
    tails: list[dict[str, str]] = [{} for _ in styles]
    columns = list(zip(letters, style_attrs, tails, strict=True))
    buffer: list[str] = []
    for r, values in enumerate(rows, start=2):
        height = row_height(values, wrapped) if wrapped else None
        buffer.append(f'<row r="{r}">' if height is None else f'<row r="{r}" ht="{height:g}">')
        for (letter, style, cache), value in zip(columns, values, strict=False):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                tail = cache.get(value)
                if tail is None:
                    tail = (
                        f'{style} t="inlineStr"><is><t xml:space="preserve">'
                        f"{_escape(value)}</t></is></c>"
                    )
                    if len(value) <= 64:
                        cache[value] = tail
                buffer.append(f'<c r="{letter}{r}"{tail}')
            elif isinstance(value, datetime):
                buffer.append(f'<c r="{letter}{r}"{style}><v>{_excel_serial(value)}</v></c>')
            elif isinstance(value, bool):
                buffer.append(f'<c r="{letter}{r}"{style} t="b"><v>{int(value)}</v></c>')
            else:
                buffer.append(f'<c r="{letter}{r}"{style}><v>{value}</v></c>')
        buffer.append("</row>")
        if r % _ROW_CHUNK == 0:
            yield "".join(buffer)
            buffer.clear()
    if buffer:
        yield "".join(buffer)


def _escape(text: str) -> str:
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("", text)
    if len(text) > CELL_TEXT_MAX:
        text = text[:CELL_TEXT_MAX]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _excel_serial(value: datetime) -> float:
    """Days since Excel's epoch for a naive (wall-clock) datetime, to the second."""
    delta = value.replace(tzinfo=None) - _EXCEL_EPOCH
    return round(delta.days + delta.seconds / 86_400, 8)
