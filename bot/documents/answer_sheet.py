"""A department's answer sheet: the XLSX round trip ("phiếu trả lời của sở, ngành").

``youthbot answers sheet --department NAME`` writes one workbook per department with the
questions routed to it and an empty "Trả lời" column (drafts already given are filled
in); the department fills the column and sends the file back; ``youthbot answers import
FILE`` records the answers as drafts. The import is all or nothing: any bad row (unknown
code, a question routed to another department, a published answer changed, an answer
too long, a code twice) refuses the whole file, each error naming its row and what to
fix. Rows left unchanged or still empty are fine.

Only the answer column is unlocked (sheet protection without a password), so a code
cannot be overwritten by accident; the department's name and the campaign are in the
head of the sheet, read back on import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from bot.campaign.departments import DepartmentError, campaign_province, find_department
from bot.campaign.names import name_key
from bot.documents.model import format_date_vn
from bot.documents.names import dated_stem
from bot.documents.xlsx import CHARS_PER_WIDTH, FONT_NAME, print_setup, row_height
from handlers.access import Access, Action, Scope, allows, authorize
from handlers.answers import MAX_ANSWER_CHARS, AnswerError, check_answer_text, save_answer
from handlers.engine import short, topic_label
from locales import LocalizedError, Message, Translator, translator
from storage import Store
from storage.models import Campaign, DeadlineKind, Question
from storage.questions import clean_code

HEADER_ROW = 7
FIRST_DATA_ROW = HEADER_ROW + 1
#: Column keys in order; headers are ``answers.sheet.col.<key>``.
COLUMNS = ("number", "code", "topic", "unit", "asker", "question", "people", "answer")
WIDTHS = {
    "number": 6,
    "code": 11,
    "topic": 18,
    "unit": 18,
    "asker": 18,
    "question": 50,
    "people": 10,
    "answer": 60,
}
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
ANSWER_FILL = PatternFill("solid", start_color="FFF2CC", end_color="FFF2CC")
MAX_ROWS = 20_000


class SheetError(LocalizedError):
    """The file as a whole cannot be read as an answer sheet (texts in answers.po)."""


@dataclass(frozen=True, slots=True)
class SheetQuestion:
    """One row written to a department's sheet."""

    code: str
    topic: str
    unit: str
    asker: str
    text: str
    people: int
    answer: str


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One row read back: its row number in the sheet, the code and the answer cell."""

    row: int
    code: str
    answer: str
    question: str | None = None  #: the question's words as the sheet showed them


@dataclass
class SheetContent:
    department: str
    campaign_id: int | None
    rows: list[SheetRow] = field(default_factory=list)


def sheet_file_name(campaign: Campaign, department: str, when: datetime) -> str:
    """ "tra-loi-so-noi-vu-20250808-0830.xlsx": the department's answer sheet made at local
    time ``when`` (no database id; dated, so that one campaign's never replaces another's)."""
    return f"{dated_stem('tra-loi', department, when)}.xlsx"


def _label(key: str, tr: Translator) -> str:
    return tr.t(f"answers.sheet.{key}")


def write_campaign_sheet(
    rows: Sequence[SheetQuestion],
    path: Path | str,
    *,
    campaign: Campaign,
    department: str,
    tr: Translator,
) -> Path:
    """:func:`write_answer_sheet` for a campaign's department, with the campaign's name,
    id and deadline for answers in its head (the command line, the chat, the demo)."""
    return write_answer_sheet(
        rows,
        path,
        tr=tr,
        department=department,
        campaign_id=campaign.id,
        campaign_title=campaign.title,
        due=campaign.deadline(DeadlineKind.ANSWERS_DUE),
    )


def write_answer_sheet(
    questions: Sequence[SheetQuestion],
    path: Path | str,
    *,
    tr: Translator,
    department: str,
    campaign_id: int,
    campaign_title: str,
    due: date | None,
) -> Path:
    """Write one department's sheet to ``path``."""
    target = Path(path)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _label("title_short", tr)[:31]
    ws["A1"] = _label("title", tr)
    ws["A1"].font = Font(name=FONT_NAME, bold=True, size=14)
    head: tuple[tuple[str, str | int], ...] = (
        ("department", department),
        ("campaign", campaign_title),
        ("campaign_id", campaign_id),
        ("due", format_date_vn(due) if due else ""),
    )
    for offset, (key, value) in enumerate(head, start=2):
        ws.cell(row=offset, column=1, value=_label(key, tr)).font = Font(name=FONT_NAME, bold=True)
        ws.cell(row=offset, column=3, value=value)
    ws.cell(row=6, column=1, value=_label("instructions", tr)).font = Font(
        name=FONT_NAME, italic=True
    )
    for index, key in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index, value=tr.t(f"answers.sheet.col.{key}"))
        cell.font = Font(name=FONT_NAME, bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
        ws.column_dimensions[cell.column_letter].width = WIDTHS[key]
    for number, q in enumerate(questions, start=1):
        values: dict[str, Any] = {
            "number": number,
            "code": q.code,
            "topic": q.topic,
            "unit": q.unit,
            "asker": q.asker,
            "question": q.text,
            "people": q.people,
            "answer": q.answer,
        }
        row = HEADER_ROW + number
        for index, key in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=row, column=index, value=values[key])
            cell.alignment = WRAP
            if key == "answer":
                cell.protection = Protection(locked=False)
                cell.fill = ANSWER_FILL
    _fit_rows(ws, questions)
    ws.freeze_panes = f"C{FIRST_DATA_ROW}"
    # Printed to be read and signed off: A4 landscape, one page wide, the header repeated.
    print_setup(ws, landscape=True, table=False)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.gridLines = True
    ws.protection.sheet = True  # only the answer column can be typed in
    ws.protection.formatRows = False  # ... but rows may be resized to read long answers
    ws.protection.formatColumns = False
    wb.properties.subject = department
    wb.properties.title = _label("title", tr)
    wb.properties.creator = ""  # not "openpyxl": the sheet goes to the department
    wb.save(str(target))
    return target


def _fit_rows(ws: Worksheet, questions: Sequence[SheetQuestion]) -> None:
    """Heights for the header and question rows whose text wraps (LibreOffice draws rows
    without one a single line high, the wrapped lines over the next row)."""
    wrapped = [(i, max(1, int(WIDTHS[key] * CHARS_PER_WIDTH))) for i, key in enumerate(COLUMNS)]
    headers = [str(ws.cell(row=HEADER_ROW, column=i + 1).value) for i in range(len(COLUMNS))]
    # Bold words in a narrow column ("Số người quan tâm" in 10: a word a line) break earlier.
    narrow = [(i, max(1, int(per_line * 0.5))) for i, per_line in wrapped]
    ws.row_dimensions[HEADER_ROW].height = row_height(headers, narrow)
    for number, q in enumerate(questions, start=1):
        values: list[str | int | None] = [
            number,
            q.code,
            q.topic,
            q.unit,
            q.asker,
            q.text,
            q.people,
            q.answer,
        ]
        height = row_height(values, wrapped)
        if height is not None:
            ws.row_dimensions[HEADER_ROW + number].height = height


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code of digits only that a spreadsheet turned into a number
    return str(value).strip()


def _header_keys() -> dict[str, str]:
    """Every accepted spelling of each needed header (both languages, the bare keys)."""
    found: dict[str, str] = {}
    for language in ("vi", "en"):
        tr = translator(language)
        for key in COLUMNS:
            found[name_key(tr.t(f"answers.sheet.col.{key}"))] = key
        found[name_key(tr.t("answers.sheet.department"))] = "department_label"
        found[name_key(tr.t("answers.sheet.campaign_id"))] = "campaign_id_label"
    for key in COLUMNS:
        found[key] = key
    return found


def column_key(header: str) -> str | None:
    """The column a header names ("Mã câu hỏi", "Question code" and "code" are "code";
    "Trả lời", "answer" are "answer"), in either language, accents and case aside."""
    return _header_keys().get(name_key(header))


def read_answer_sheet(path: Path | str) -> SheetContent:
    """Read a sheet back; :class:`SheetError` when the file is not one (not an XLSX, no
    header row with the code and answer columns, no department, no rows), or no file at all.

    The answer sheet is the first worksheet with the code and answer headers (a sheet of
    notes added before it is passed over); the head's labels ("Sở, ngành", "Số đợt") are
    read in whatever column they stand after a column was inserted on the left, and a head
    deleted altogether leaves the department the workbook was written for (its subject)."""
    if not Path(path).is_file():
        raise SheetError("answers.sheet.missing", path=str(path))
    try:
        wb = load_workbook(str(path), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SheetError("answers.sheet.unreadable", path=str(path)) from exc
    try:
        content: SheetContent | None = None
        for ws in wb.worksheets:
            content = _read_worksheet(ws, path)
            if content is not None:
                break
        subject = (wb.properties.subject or "").strip() if wb.properties else ""
    finally:
        wb.close()
    if content is None:
        raise SheetError("answers.sheet.no_header", path=str(path), columns=_expected())
    if not content.department:
        content.department = subject
    if not content.department:
        raise SheetError("answers.sheet.no_department", path=str(path))
    if not content.rows:
        raise SheetError("answers.sheet.empty", path=str(path))
    return content


def _read_worksheet(ws: Any, path: Path | str) -> SheetContent | None:
    """One worksheet's head and rows; None when it has no header row with the code and
    answer columns in its first 30 rows."""
    if hasattr(ws, "reset_dimensions"):
        # Read-only sheets trust the size the saving program wrote; some write "A1".
        ws.reset_dimensions()
    headers = _header_keys()
    department = ""
    campaign_id: int | None = None
    columns: dict[str, int] | None = None
    content: SheetContent | None = None
    for row_number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = [_text(v) for v in row]
        if columns is None:
            filled = [c for c in cells if c]
            label = headers.get(name_key(filled[0])) if filled else None
            value = next((c for c in filled[1:] if c), "")
            if label == "department_label":
                department = value
            elif label == "campaign_id_label" and value.isdecimal():
                campaign_id = int(value)
            found = {headers.get(name_key(c)): i for i, c in enumerate(cells) if c}
            if "code" in found and "answer" in found:
                columns = {k: v for k, v in found.items() if k is not None}
                content = SheetContent(department, campaign_id)
            elif row_number > 30:
                return None
            continue
        assert content is not None
        code = cells[columns["code"]] if columns["code"] < len(cells) else ""
        answer = cells[columns["answer"]] if columns["answer"] < len(cells) else ""
        place = columns.get("question")
        words = cells[place] if place is not None and place < len(cells) else None
        if code or answer:
            content.rows.append(SheetRow(row_number, clean_code(code), answer, words))
        if len(content.rows) > MAX_ROWS:
            raise SheetError("answers.sheet.too_many", path=str(path), max=MAX_ROWS)
    return content


def _expected() -> Message:
    return Message("answers.sheet.expected_columns")


# -- the database side ------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What importing a sheet would do; nothing is recorded when ``errors`` is not empty."""

    department: str
    changes: list[tuple[Question, str]] = field(default_factory=list)
    unchanged: int = 0
    empty: int = 0
    withdrawn: list[str] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)


async def sheet_questions(
    store: Store, campaign: Campaign, department: str, *, tr: Translator
) -> list[SheetQuestion]:
    """The questions routed to ``department``, oldest first, with any draft answer."""
    reports = await store.reports.questions(campaign.id, department=department)
    anonymous = tr.t("digest.anonymous")
    return [
        SheetQuestion(
            code=r.code,
            topic=topic_label(tr, r.topic),  # a default group in the sheet's language
            unit=r.unit_name,
            asker=anonymous if r.anonymous else (r.asker_name or ""),
            text=r.text,
            people=1 + r.supporters,
            answer=r.answer or "",
        )
        for r in reports
    ]


async def plan_import(
    store: Store,
    content: SheetContent,
    *,
    department: str,
    now: datetime,
    campaign_id: int | None = None,
) -> ImportPlan:
    """Check every row of a sheet against the database (``department``: the registry's
    name for the one the sheet was made for; ``campaign_id``: the campaign it is for, whose
    questions alone it may answer)."""
    plan = ImportPlan(department)
    seen: dict[str, int] = {}
    for row in content.rows:
        if not row.code:
            plan.errors.append(Message("answers.import.no_code", row=row.row))
            continue
        if row.code in seen:
            plan.errors.append(
                Message("answers.import.twice", row=row.row, code=row.code, first=seen[row.code])
            )
            continue
        seen[row.code] = row.row
        question = await store.questions.by_code(row.code)
        if question is None:
            plan.errors.append(Message("answers.import.unknown", row=row.row, code=row.code))
            continue
        if campaign_id is not None and question.campaign_id != campaign_id:
            # A row copied from last year's sheet: its question is answered there or not.
            plan.errors.append(Message("answers.import.other_campaign", row=row.row, code=row.code))
            continue
        routed = await store.questions.department_of(question.id)
        if routed != department:
            plan.errors.append(
                Message(
                    "answers.import.other_department",
                    row=row.row,
                    code=row.code,
                    routed=routed or "-",
                    department=department,
                )
                if routed
                else Message(
                    "answers.import.not_routed", row=row.row, code=row.code, department=department
                )
            )
            continue
        if not row.answer:
            plan.empty += 1
            continue
        try:
            text = check_answer_text(row.answer)
        except AnswerError:
            plan.errors.append(
                Message("answers.import.too_long", row=row.row, code=row.code, max=MAX_ANSWER_CHARS)
            )
            continue
        if text == (question.answer or ""):
            plan.unchanged += 1
            continue
        if question.status == "withdrawn":
            plan.withdrawn.append(question.code)
            continue
        if question.answer_published_at is not None:
            plan.errors.append(
                Message(
                    "answers.import.published",
                    row=row.row,
                    code=row.code,
                    date=f"{question.answer_published_at:%d/%m/%Y}",
                )
            )
            continue
        if row.question and row.question.split() != question.text.split():
            # Its asker edited it after the sheet was made: the answer was written to
            # words the asker no longer asks, and would go out quoting the new ones.
            plan.errors.append(
                Message(
                    "answers.import.edited",
                    row=row.row,
                    code=row.code,
                    text=short(question.text, 200),
                )
            )
            continue
        plan.changes.append((question, text))
    return plan


async def apply_import(store: Store, plan: ImportPlan, *, now: datetime) -> int:
    """Record the plan's answers as drafts, all in one transaction; returns how many."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    async with store.transaction():
        for question, text in plan.changes:
            await save_answer(store, question, text, now=now, by=plan.department, source="xlsx")
    return len(plan.changes)


# -- a filled sheet sent in chat --------------------------------------------------------------

#: Rows with an error listed in chat; the rest are counted.
MAX_ERRORS_SHOWN = 8


async def answerable_campaign(
    store: Store, person_id: int, campaign_id: int | None = None, *, home: str | None = None
) -> Campaign | None:
    """The campaign ``campaign_id`` (a sheet's), else the first active one the person may
    answer questions in (``home``: the deployment's province, see handlers.access)."""
    if campaign_id is not None:
        found = await store.campaigns.get(campaign_id)
        if found is not None:
            return found
    access = await Access.of(store, person_id, home=home)
    for campaign in await store.campaigns.active():
        for role in await access.roles_in(campaign.id):
            if allows(
                role, Action.ANSWER, Scope(campaign_id=campaign.id, department=role.department)
            ):
                return campaign
    return None


async def import_for_person(
    store: Store,
    path: Path,
    *,
    name: str,
    person_id: int,
    tr: Translator,
    now: datetime,
    home: str | None = None,
) -> str:
    """Read a filled sheet an official sent in chat (``name``: its file name) and record
    its answers, all or none, if their role may answer that department's questions; the
    message that tells them what happened (each wrong row named)."""
    try:
        sheet = await asyncio.to_thread(read_answer_sheet, path)
    except SheetError as exc:
        return tr("sheet.not_a_sheet", name=name, problem=exc.render(tr))
    campaign = await answerable_campaign(store, person_id, sheet.campaign_id, home=home)
    if campaign is None:
        return tr("refused")
    try:
        province = await campaign_province(store, campaign)
        department = (await find_department(store, province, sheet.department, now=now)).name
    except DepartmentError as exc:
        return exc.render(tr)
    scope = Scope(campaign_id=campaign.id, department=department)
    if await authorize(store, person_id, Action.ANSWER, scope, now=now, home=home) is None:
        return tr("sheet.not_yours", department=department)
    plan = await plan_import(store, sheet, department=department, now=now, campaign_id=campaign.id)
    if plan.errors:
        lines = [tr.n("sheet.refused", len(plan.errors), name=name)]
        lines += [f"• {e.render(tr)}" for e in plan.errors[:MAX_ERRORS_SHOWN]]
        if len(plan.errors) > MAX_ERRORS_SHOWN:
            lines.append(tr.n("sheet.more_errors", len(plan.errors) - MAX_ERRORS_SHOWN))
        lines.append(tr("sheet.fix_and_resend"))
        return "\n".join(lines)
    recorded = await apply_import(store, plan, now=now)
    await store.audit.record(
        "answer.sheet_import",
        at=now,
        actor_id=person_id,
        target=department,
        detail={"recorded": recorded},
    )
    lines = [
        tr.n(
            "sheet.recorded",
            recorded,
            department=department,
            unchanged=plan.unchanged,
            empty=plan.empty,
        )
    ]
    if plan.withdrawn:
        lines.append(tr("sheet.withdrawn", codes=", ".join(plan.withdrawn)))
    if recorded:
        lines.append(tr("sheet.next"))
    return "\n".join(lines)
