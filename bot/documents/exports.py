"""Raw question exports: CSV for spreadsheets, JSON Lines for other programs.

The CSV has the columns of the XLSX question sheet plus the ids, with localised headers, in
UTF-8 with a byte-order mark so Excel opens Vietnamese text correctly. JSON Lines has one
question per line with stable English snake_case keys and ISO 8601 times.

:data:`QUESTION_COLUMNS` is the single description of a question's columns, shared with
the XLSX writer so the exports and the workbook never disagree.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.documents.model import QuestionRow, asker_label, cell_text, to_vietnam_time
from locales import Translator

CellValue = str | int | float | datetime | None


@dataclass(frozen=True, slots=True)
class QuestionColumn:
    """One column of a question table.

    ``key`` is the JSON key and the suffix of the header message ``digest.col.<key>``;
    ``in_sheet`` says whether the XLSX question sheet shows it (ids are export-only).
    """

    key: str
    value: Callable[[QuestionRow, Translator, bool], CellValue]
    in_sheet: bool = True
    width: float = 12  #: minimum width in the XLSX sheet (characters)
    max_width: float = 40  #: the XLSX column never gets wider than this
    wrap: bool = False  #: wrap text in the XLSX sheet (long free text)


def _yes_no(flag: bool, tr: Translator) -> str:
    return tr.t("digest.yes") if flag else tr.t("digest.no")


def channel_label(channel: str, tr: Translator) -> str:
    """ "Telegram", "Zalo", "Máy tính"...; an unknown channel is shown as stored."""
    key = f"digest.channel.{channel}"
    return tr.t(key) if tr.has(key) else channel


def local_time(question: QuestionRow) -> datetime:
    """Vietnam wall-clock time without tzinfo: what spreadsheets can store and sort."""
    return to_vietnam_time(question.created_at).replace(tzinfo=None)


QUESTION_COLUMNS: tuple[QuestionColumn, ...] = (
    QuestionColumn("id", lambda q, tr, names: q.id, in_sheet=False, width=8),
    QuestionColumn("code", lambda q, tr, names: q.code, width=10),
    QuestionColumn("created_at", lambda q, tr, names: local_time(q), width=17),
    QuestionColumn(
        "asker_name",
        lambda q, tr, names: asker_label(q, tr=tr, show_names=names),
        width=14,
        max_width=24,
        wrap=True,
    ),
    QuestionColumn("unit_code", lambda q, tr, names: q.unit_code, in_sheet=False, width=10),
    QuestionColumn(
        "unit_name", lambda q, tr, names: q.unit_name, width=16, max_width=24, wrap=True
    ),
    QuestionColumn(
        "category", lambda q, tr, names: q.category or "", width=12, max_width=20, wrap=True
    ),
    QuestionColumn("topic", lambda q, tr, names: q.topic, width=16, max_width=24, wrap=True),
    QuestionColumn(
        "cluster_label",
        lambda q, tr, names: q.cluster_label or "",
        width=14,
        max_width=24,
        wrap=True,
    ),
    QuestionColumn("supporters", lambda q, tr, names: q.supporters, width=10),
    QuestionColumn("status", lambda q, tr, names: cell_text(q.status), width=12, max_width=28),
    QuestionColumn("channel", lambda q, tr, names: channel_label(q.channel, tr), width=10),
    QuestionColumn("text", lambda q, tr, names: q.text, width=40, max_width=60, wrap=True),
    QuestionColumn("late", lambda q, tr, names: _yes_no(q.late, tr), width=9),
    # After the questions: who answers and what (the workbook shows these two as well).
    QuestionColumn(
        "department", lambda q, tr, names: q.department or "", width=14, max_width=20, wrap=True
    ),
    QuestionColumn(
        "answer", lambda q, tr, names: q.answer or "", width=24, max_width=40, wrap=True
    ),
    QuestionColumn(
        "answered_at",
        lambda q, tr, names: (
            to_vietnam_time(q.answered_at).replace(tzinfo=None) if q.answered_at else None
        ),
        in_sheet=False,
    ),
    QuestionColumn("answered_by", lambda q, tr, names: q.answered_by or "", in_sheet=False),
    QuestionColumn(
        "answer_published",
        lambda q, tr, names: _yes_no(q.answer_published, tr) if q.answer else "",
        in_sheet=False,
    ),
    QuestionColumn("commitment", lambda q, tr, names: q.commitment or "", in_sheet=False),
    # Answered live at the dialogue (the conclusion notice): what, by whom, on which day.
    QuestionColumn(
        "live_answer", lambda q, tr, names: q.live_answer or "", width=24, max_width=40, wrap=True
    ),
    QuestionColumn(
        "live_answered_by",
        lambda q, tr, names: q.live_answered_by or "",
        width=14,
        max_width=24,
        wrap=True,
    ),
    QuestionColumn(
        "live_answered_on",
        lambda q, tr, names: f"{q.live_answered_on:%d/%m/%Y}" if q.live_answered_on else "",
        width=12,
    ),
)


def question_header(column: QuestionColumn, tr: Translator) -> str:
    return tr.t(f"digest.col.{column.key}")


#: Leading characters that make Excel/LibreOffice treat a CSV cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: CellValue) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, datetime):
        # ISO order (not dd/mm/yyyy): every Excel locale parses it the same way.
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        # A question starting with "=" must stay text, not run as a formula (CSV injection).
        return "'" + value
    return value


def write_questions_csv(
    rows: Iterable[QuestionRow],
    path: Path | str,
    *,
    tr: Translator,
    show_names: bool = True,
) -> Path:
    """Write the questions to ``path`` as CSV (UTF-8 with BOM, localised headers).

    Times are Vietnam time as ``yyyy-mm-dd HH:MM``. ``show_names=False`` blanks every
    name even if a row carries one. Cells starting with ``= + - @`` get a leading ``'``.
    """
    target = Path(path)
    with target.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([question_header(c, tr) for c in QUESTION_COLUMNS])
        for q in rows:
            writer.writerow([_csv_cell(c.value(q, tr, show_names)) for c in QUESTION_COLUMNS])
    return target


def question_to_json(question: QuestionRow, *, show_names: bool = True) -> dict[str, Any]:
    """A question as a JSON object: English keys, ISO 8601 UTC time, raw values."""
    return {
        "id": question.id,
        "code": question.code,
        "created_at": question.created_at.isoformat(),
        # Never a name for an anonymous asker, even if a row carries one by mistake.
        "asker_name": question.asker_name if show_names and not question.anonymous else None,
        "anonymous": question.anonymous,
        "unit_code": question.unit_code,
        "unit_name": question.unit_name,
        "category": question.category,
        "topic": question.topic,
        "cluster_label": question.cluster_label,
        "supporters": question.supporters,
        "status": question.status,
        "channel": question.channel,
        "text": question.text,
        "late": question.late,
        "department": question.department,
        "answer": question.answer,
        "answered_at": question.answered_at.isoformat() if question.answered_at else None,
        "answered_by": question.answered_by,
        "answer_published": question.answer_published,
        "commitment": question.commitment,
        "live_answer": question.live_answer,
        "live_answered_by": question.live_answered_by,
        "live_answered_on": (
            question.live_answered_on.isoformat() if question.live_answered_on else None
        ),
    }


def question_from_json(obj: dict[str, Any]) -> QuestionRow:
    """The inverse of :func:`question_to_json` (round trips, imports)."""
    return QuestionRow(
        id=int(obj["id"]),
        code=str(obj["code"]),
        created_at=datetime.fromisoformat(obj["created_at"]),
        asker_name=obj["asker_name"],
        anonymous=bool(obj["anonymous"]),
        unit_code=str(obj["unit_code"]),
        unit_name=str(obj["unit_name"]),
        category=obj["category"],
        topic=str(obj["topic"]),
        cluster_label=obj["cluster_label"],
        supporters=int(obj["supporters"]),
        status=str(obj["status"]),
        channel=str(obj["channel"]),
        text=str(obj["text"]),
        late=bool(obj["late"]),
        department=obj.get("department"),
        answer=obj.get("answer"),
        answered_at=datetime.fromisoformat(obj["answered_at"]) if obj.get("answered_at") else None,
        answered_by=obj.get("answered_by"),
        answer_published=bool(obj.get("answer_published", False)),
        commitment=obj.get("commitment"),
        live_answer=obj.get("live_answer"),
        live_answered_by=obj.get("live_answered_by"),
        live_answered_on=(
            date.fromisoformat(obj["live_answered_on"]) if obj.get("live_answered_on") else None
        ),
    )


def write_questions_jsonl(
    rows: Iterable[QuestionRow],
    path_or_stream: Path | str | TextIO,
    *,
    show_names: bool = True,
) -> int:
    """Write one JSON object per question (UTF-8, not ASCII-escaped); return the count."""
    if isinstance(path_or_stream, (str, Path)):
        with Path(path_or_stream).open("w", encoding="utf-8", newline="\n") as fh:
            return _write_jsonl(rows, fh, show_names=show_names)
    return _write_jsonl(rows, path_or_stream, show_names=show_names)


def _write_jsonl(rows: Iterable[QuestionRow], stream: TextIO, *, show_names: bool) -> int:
    count = 0
    for q in rows:
        stream.write(json.dumps(question_to_json(q, show_names=show_names), ensure_ascii=False))
        stream.write("\n")
        count += 1
    return count
