"""Batch grouping of a file of questions: ``youthbot cluster INPUT [--out OUT]``.

Reads ``.jsonl`` (objects with "id" and "text"), ``.csv`` (UTF-8, with or without BOM,
header with "id" and "text") or ``.xlsx`` (same columns, the first sheet that has them) and
writes JSON Lines ``{"id": <input id>, "cluster": <label>}`` in input order, one per valid row. The
label is the id of the group's representative question, as given in the input.

Bad rows are reported on stderr with their line (row) number and skipped. Exit status:
0 when at least one row was grouped, 1 when none was, 2 when the input cannot be used
at all (unknown extension, missing file, no question column).

Spreadsheets are read as officials have them: the header may follow a few title rows,
and Vietnamese headers are understood ("Mã câu hỏi", "Nội dung câu hỏi, ý kiến, kiến
nghị", "Nhóm vấn đề", "Đơn vị": the bot's own XLSX and CSV exports). Without an id
column, rows are known by their line (row) number.

An optional "topic" field or column (the asker's topic group) is used as a constraint:
questions of different topic groups are never grouped together. An optional "unit" field or
column (the asker's commune, school, enterprise…) is a signal of the pair model: questions
from the same unit are likelier to ask the same thing about the same place.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.clustering.cluster import (
    DEFAULT_THRESHOLD,
    THRESHOLD_WITHOUT_UNITS,
    cluster_with_progress,
)
from bot.clustering.normalize import fold
from locales import SUPPORTED_LANGUAGES, LocalizedError, Message, Translator, translator

__all__ = [
    "PROGRESS_MIN_ROWS",
    "InputError",
    "Question",
    "ReadResult",
    "add_arguments",
    "cluster_file",
    "main",
    "read_questions",
    "write_labels",
]

#: Inputs with more rows than this show a progress bar when stderr is a terminal.
PROGRESS_MIN_ROWS = 2000

Id = int | str


class InputError(LocalizedError):
    """The input cannot be used at all (exit status 2)."""


@dataclass(frozen=True, slots=True)
class Question:
    line: int
    id: Id
    text: str
    topic: str | None = None
    unit: str | None = None


@dataclass(slots=True)
class ReadResult:
    questions: list[Question] = field(default_factory=list)
    problems: list[Message] = field(default_factory=list)
    """Rows skipped, and notes on how the file was read, in the reader's language later."""


class _Collector:
    """Checks rows one by one: id and text present, id not seen before."""

    def __init__(self, unit: str) -> None:
        self.result = ReadResult()
        self._unit = unit
        self._seen: set[str] = set()

    def problem(self, line: int, problem: Message) -> None:
        self.result.problems.append(
            Message(f"cluster.file.{self._unit}", line=line, problem=problem)
        )

    def add(
        self,
        line: int,
        raw_id: object,
        raw_text: object,
        raw_topic: object = None,
        raw_unit: object = None,
    ) -> None:
        item_id = _clean_id(raw_id)
        if item_id is None:
            if _blank(raw_id):
                self.problem(line, Message("cluster.file.missing_id"))
            else:
                self.problem(line, Message("cluster.file.invalid_id", id=repr(raw_id)))
            return
        if isinstance(raw_text, int | float) and not isinstance(raw_text, bool):
            raw_text = str(raw_text)
        if not isinstance(raw_text, str) or not raw_text.strip():
            self.problem(line, Message("cluster.file.no_text"))
            return
        key = str(item_id)
        if key in self._seen:
            self.problem(line, Message("cluster.file.duplicate_id", id=repr(key)))
            return
        self._seen.add(key)
        topic = str(raw_topic).strip() if raw_topic not in (None, "") else None
        unit = str(raw_unit).strip() if raw_unit not in (None, "") else None
        self.result.questions.append(Question(line, item_id, raw_text, topic or None, unit or None))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_id(value: object) -> Id | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


# Column names, folded (no diacritics, lower case, punctuation as spaces), best first: the
# contract's English names, our own exports' Vietnamese headers, and what an official's
# spreadsheet usually calls them ("STT" is not an id: merged or blank cells are common).
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "ma cau hoi", "ma so", "ma", "code"),
    "text": (
        "text",
        "noi dung cau hoi y kien kien nghi",
        "noi dung cau hoi",
        "cau hoi",
        "noi dung y kien kien nghi",
        "cau hoi y kien kien nghi",
        "y kien kien nghi",
        "noi dung",
        "question",
    ),
    "topic": ("topic", "nhom van de", "linh vuc", "chu de", "nhom chu de"),
    "unit": ("unit", "don vi", "xa phuong", "don vi xa phuong", "ma don vi"),
}
# Rows looked at for the header: a sheet may open with a title, a scope and a date.
_HEADER_ROWS = 20
_NOT_WORD = re.compile(r"[\W_]+")


def _folded(name: object) -> str:
    return " ".join(_NOT_WORD.sub(" ", fold(str(name))).split()) if name is not None else ""


def _own_headers() -> None:
    """Our own exports' headers in every language ("Question or recommendation", "Topic
    group" of an English export) are understood too, after the names above."""
    for role, key in (
        ("id", "digest.col.code"),
        ("text", "digest.col.text"),
        ("topic", "digest.col.topic"),
        ("unit", "digest.col.unit_name"),
    ):
        own = (_folded(translator(language)(key)) for language in SUPPORTED_LANGUAGES)
        _ALIASES[role] += tuple(dict.fromkeys(a for a in own if a not in _ALIASES[role]))


_own_headers()


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where a file's columns are; ``id`` None: rows are known by their line number."""

    text: int
    id: int | None = None
    topic: int | None = None
    unit: int | None = None

    def add(self, collector: _Collector, line: int, cells: Sequence[object]) -> None:
        def cell(column: int | None) -> object:
            return cells[column] if column is not None and column < len(cells) else None

        raw_id = line if self.id is None else cell(self.id)
        collector.add(line, raw_id, cell(self.text), cell(self.topic), cell(self.unit))


def _layout(header: Sequence[object]) -> _Layout | None:
    """The columns of a header row, or None when it names no question text."""
    names = [_folded(n) for n in header]

    def column(role: str) -> int | None:
        for alias in _ALIASES[role]:
            if alias in names:
                return names.index(alias)
        return None

    text = column("text")
    if text is None:
        return None
    return _Layout(text, column("id"), column("topic"), column("unit"))


def _header(rows: Iterator[tuple[int, Sequence[object]]]) -> tuple[_Layout, int] | None:
    """The layout of the first header row among the first rows, and its line."""
    for line, row in rows:
        layout = _layout(row)
        if layout is not None:
            return layout, line
        if line >= _HEADER_ROWS:
            break
    return None


def _no_header(source: str) -> InputError:
    return InputError("cluster.file.no_header", source=source, rows=_HEADER_ROWS)


def read_questions(path: Path) -> ReadResult:
    """Read the questions of ``path``; bad rows are listed in ``problems``.

    The header is the first row (among the first 20) naming a question text column:
    "text", or a Vietnamese header such as "Nội dung câu hỏi" (our own XLSX and CSV
    exports are read as they are). Without an id column, rows are known by their line.

    Raises:
        InputError: unknown extension, missing or unreadable file, no header.
    """
    readers: dict[str, Callable[[Path], ReadResult]] = {
        ".jsonl": _read_jsonl,
        ".csv": _read_csv,
        ".xlsx": _read_xlsx,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise InputError("cluster.file.format", extension=repr(path.suffix or path.name))
    if not path.is_file():
        raise InputError("cluster.file.not_found", path=str(path))
    try:
        return reader(path)
    except OSError as error:
        raise InputError(
            "cluster.file.unreadable", path=str(path), error=error.strerror or str(error)
        ) from None


def _read_jsonl(path: Path) -> ReadResult:
    collector = _Collector("line")
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            collector.problem(number, Message("cluster.file.not_utf8"))
            continue
        try:
            row = json.loads(line)
        except ValueError:
            collector.problem(number, Message("cluster.file.invalid_json"))
            continue
        if not isinstance(row, dict):
            collector.problem(number, Message("cluster.file.not_object"))
            continue
        collector.add(number, row.get("id"), row.get("text"), row.get("topic"), row.get("unit"))
    return collector.result


def _read_csv(path: Path) -> ReadResult:
    collector = _Collector("line")
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        text = data.decode("utf-16", errors="replace")
    else:
        # Undecodable bytes become lone surrogates so that one bad row does not lose the file.
        text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))

    def rows() -> Iterator[tuple[int, Sequence[object]]]:
        line = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                collector.problem(line, Message("cluster.file.malformed_csv", error=str(error)))
            else:
                yield line, row
            line = reader.line_num + 1

    # (line, row) pairs; a row the CSV reader cannot parse is reported and skipped.
    lines = rows()
    found = _header(lines)
    if found is None:
        raise _no_header(str(path))
    layout, header_line = found
    if header_line > 1:
        collector.result.problems.append(Message("cluster.file.header_at", line=header_line))
    if layout.id is None:
        collector.result.problems.append(Message("cluster.file.numbered.line"))
    for line, row in lines:
        if not any(row):
            continue
        if any(_has_surrogates(str(value)) for value in row):
            collector.problem(line, Message("cluster.file.not_utf8"))
        else:
            layout.add(collector, line, row)
    return collector.result


def _delimiter(text: str) -> str:
    """The CSV's separator: a comma, or the semicolon Excel writes where the decimal mark
    is a comma (as in Vietnam), or a tab: the first that gives a header row."""
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for _, row in zip(range(_HEADER_ROWS), reader, strict=False):
                if _layout(row) is not None:
                    return delimiter
        except csv.Error:
            continue
    return ","


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _read_xlsx(path: Path) -> ReadResult:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    collector = _Collector("row")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise InputError("cluster.file.not_xlsx", path=str(path), error=str(error)) from None
    try:
        # The first sheet with a question column: our export opens with an overview.
        for sheet in workbook.worksheets:
            lines = enumerate(sheet.iter_rows(values_only=True), start=1)
            found = _header(lines)
            if found is not None:
                break
        else:
            raise _no_header(str(path))
        layout, header_line = found
        if sheet is not workbook.worksheets[0] or header_line > 1:
            collector.result.problems.append(
                Message("cluster.file.sheet", sheet=sheet.title, line=header_line)
            )
        if layout.id is None:
            collector.result.problems.append(Message("cluster.file.numbered.row"))
        for number, row in lines:
            if all(_blank(cell) for cell in row):
                continue
            layout.add(collector, number, row)
    finally:
        workbook.close()
    return collector.result


def write_labels(questions: Sequence[Question], labels: dict[str, Id], out: TextIO) -> None:
    """JSON Lines ``{"id", "cluster"}`` in input order."""
    for question in questions:
        record = {"id": question.id, "cluster": labels[str(question.id)]}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


#: Output files written as a table (one row per question, grouped) rather than JSON Lines.
TABLE_SUFFIXES = (".xlsx", ".csv")


def write_table(
    questions: Sequence[Question], labels: dict[str, Id], path: Path, *, tr: Translator
) -> None:
    """The questions as a table for officials, largest groups first, each group's
    representative on its first row: group number and size, the representative's id,
    then the question's id, text, topic group, unit and line in the input file."""
    members: dict[str, list[Question]] = {}
    for question in questions:
        members.setdefault(str(labels[str(question.id)]), []).append(question)
    order = sorted(members.values(), key=lambda group: -len(group))  # stable: file order
    rows: list[tuple[int | str | None, ...]] = []
    for number, group in enumerate(order, start=1):
        representative = labels[str(group[0].id)]
        group.sort(key=lambda q: q.id != representative)
        rows.extend(
            (number, len(group), representative, q.id, q.text, q.topic, q.unit, q.line)
            for q in group
        )
    keys = ("group", "size", "representative", "id", "text", "topic", "unit", "line")
    headers = [tr.t(f"cluster.table.{key}") for key in keys]
    if path.suffix.lower() == ".csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        # With a BOM, Excel opens the Vietnamese text as UTF-8.
        path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8", newline="")
        return
    from bot.documents.xlsx import TableColumn
    from bot.documents.xlsx import write_table as write_xlsx_table

    widths = ((8, 8), (10, 12), (12, 16), (12, 16), (40, 70), (16, 28), (16, 28), (8, 10))
    columns = [
        TableColumn(header, low, high, wrap=key in ("text", "topic", "unit"))
        for header, key, (low, high) in zip(headers, keys, widths, strict=True)
    ]
    write_xlsx_table(path, tr.t("cluster.table.sheet"), columns, rows)


def cluster_file(
    input_path: Path,
    *,
    out: TextIO,
    err: TextIO,
    threshold: float | None = None,
    progress: bool | None = None,
    tr: Translator | None = None,
    table: Path | None = None,
) -> int:
    """Group the questions of ``input_path`` and write labels to ``out`` (or, with
    ``table``, a table of the groups to that .xlsx or .csv file).

    Problems go to ``err``, one line each, in ``tr``'s language (English by default).
    ``progress=None`` shows a bar on ``err`` for inputs over :data:`PROGRESS_MIN_ROWS`
    rows when ``err`` is a terminal.

    Returns:
        The exit status: 0 when at least one row was grouped, 1 when none was, 2 when
        the input cannot be used.
    """
    tr = tr or translator("en")
    try:
        result = read_questions(input_path)
    except InputError as error:
        err.write(tr.t("cluster.file.error", error=error.render(tr)) + "\n")
        return 2
    for problem in result.problems:
        err.write(problem.render(tr) + "\n")
    questions = result.questions
    if not questions:
        no_question = tr.t("cluster.file.no_question", path=str(input_path))
        err.write(tr.t("cluster.file.error", error=no_question) + "\n")
        return 1
    if progress is None:
        progress = len(questions) > PROGRESS_MIN_ROWS and err.isatty()
    by_key = {str(q.id): q.id for q in questions}
    items = [(str(q.id), q.text) for q in questions]
    from tqdm import tqdm

    with tqdm(
        total=2 * len(items), file=err, disable=not progress, unit="q", desc="clustering"
    ) as bar:

        def advance(count: int) -> None:
            bar.update(count)

        # The asker's topic group, where the file has one, is never crossed.
        groups = (
            {str(q.id): q.topic for q in questions} if any(q.topic for q in questions) else None
        )
        units = {str(q.id): q.unit for q in questions} if any(q.unit for q in questions) else None
        labels = cluster_with_progress(
            items,
            threshold=threshold,
            groups=groups,
            units=units,
            progress=advance,
            workers=min(4, len(os.sched_getaffinity(0))),
        )
    found = {key: by_key[label] for key, label in labels.items()}
    if table is not None:
        write_table(questions, found, table, tr=tr)
    else:
        write_labels(questions, found, out)
    return 0


def threshold_value(text: str) -> float:
    """argparse type for ``--threshold``: a number from 0 to 100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of the cluster command (shared by ``youthbot cluster`` and ``main``)."""
    parser.add_argument("input", type=Path, metavar="INPUT", help=".jsonl, .csv or .xlsx file")
    parser.add_argument(
        "--out", type=Path, metavar="OUT", help="JSON Lines output file (default: stdout)"
    )
    parser.add_argument(
        "--threshold",
        type=threshold_value,
        default=None,
        metavar="T",
        help=(
            "average probability 0-100 that questions ask the same thing, needed to join"
            f" a group (default: {DEFAULT_THRESHOLD:g} when the file has a unit column,"
            f" {THRESHOLD_WITHOUT_UNITS:g} otherwise)"
        ),
    )


def run(
    args: argparse.Namespace,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    tr: Translator | None = None,
) -> int:
    """Run the command for parsed ``args``; never raises. Lines on stderr are in ``tr``'s
    language (English by default; ``youthbot cluster`` passes the operator's)."""
    tr = tr or translator("en")
    out_stream = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        if args.out is None:
            return cluster_file(
                args.input, out=out_stream, err=err, threshold=args.threshold, tr=tr
            )
        if args.out.suffix.lower() in TABLE_SUFFIXES:
            return cluster_file(
                args.input, out=out_stream, err=err, threshold=args.threshold, tr=tr, table=args.out
            )
        buffer = io.StringIO()
        status = cluster_file(args.input, out=buffer, err=err, threshold=args.threshold, tr=tr)
        if status == 0:
            args.out.write_text(buffer.getvalue(), encoding="utf-8")
        return status
    except OSError as error:
        cannot = tr.t("cluster.file.cannot_write", error=error.strerror or str(error))
        err.write(tr.t("cluster.file.error", error=cannot) + "\n")
        return 1
    except KeyboardInterrupt:
        err.write(tr.t("cluster.file.interrupted") + "\n")
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m bot.clustering INPUT [--out OUT] [--threshold T]``."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.clustering", description="Group duplicate questions of a file."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
