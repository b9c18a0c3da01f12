"""Batch grouping of a file of questions: ``youthbot cluster INPUT [--out OUT]``.

Reads ``.jsonl`` (objects with "id" and "text"), ``.csv`` (UTF-8, with or without BOM,
header with "id" and "text") or ``.xlsx`` (same columns, first sheet) and writes JSON
Lines ``{"id": <input id>, "cluster": <label>}`` in input order, one per valid row. The
label is the id of the group's representative question, as given in the input.

Bad rows are reported on stderr with their line (row) number and skipped. Exit status:
0 when at least one row was grouped, 1 when none was, 2 when the input cannot be used
at all (unknown extension, missing file, missing columns).

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


class InputError(Exception):
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
    problems: list[str] = field(default_factory=list)


class _Collector:
    """Checks rows one by one: id and text present, id not seen before."""

    def __init__(self, unit: str) -> None:
        self.result = ReadResult()
        self._unit = unit
        self._seen: set[str] = set()

    def problem(self, line: int, message: str) -> None:
        self.result.problems.append(f"{self._unit} {line}: {message} — skipped")

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
            self.problem(line, "missing id" if _blank(raw_id) else f"invalid id {raw_id!r}")
            return
        if isinstance(raw_text, int | float) and not isinstance(raw_text, bool):
            raw_text = str(raw_text)
        if not isinstance(raw_text, str) or not raw_text.strip():
            self.problem(line, "no text")
            return
        key = str(item_id)
        if key in self._seen:
            self.problem(line, f"duplicate id {key!r}")
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


def read_questions(path: Path) -> ReadResult:
    """Read the questions of ``path``; bad rows are listed in ``problems``.

    Raises:
        InputError: unknown extension, missing or unreadable file, missing columns.
    """
    readers: dict[str, Callable[[Path], ReadResult]] = {
        ".jsonl": _read_jsonl,
        ".csv": _read_csv,
        ".xlsx": _read_xlsx,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise InputError(
            f"unsupported input format {path.suffix or path.name!r}: use .jsonl, .csv or .xlsx"
        )
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    try:
        return reader(path)
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None


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
            collector.problem(number, "not valid UTF-8")
            continue
        try:
            row = json.loads(line)
        except ValueError:
            collector.problem(number, "invalid JSON")
            continue
        if not isinstance(row, dict):
            collector.problem(number, "not a JSON object")
            continue
        collector.add(number, row.get("id"), row.get("text"), row.get("topic"), row.get("unit"))
    return collector.result


def _columns(header: Sequence[object], *, source: str) -> tuple[int, int, int | None, int | None]:
    """Positions of the id, text and the optional topic and unit columns."""
    names = [str(name).strip().casefold() if name is not None else "" for name in header]
    missing = [name for name in ("id", "text") if name not in names]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)} in the header")
    topic = names.index("topic") if "topic" in names else None
    unit = names.index("unit") if "unit" in names else None
    return names.index("id"), names.index("text"), topic, unit


def _read_csv(path: Path) -> ReadResult:
    collector = _Collector("line")
    # Undecodable bytes become lone surrogates so that one bad row does not lose the file.
    text = path.read_bytes().decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path}: empty file, expected a header with id and text") from None
    except csv.Error as error:
        raise InputError(f"{path}: unreadable CSV header ({error})") from None
    id_column, text_column, topic_column, unit_column = _columns(header, source=str(path))
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            collector.problem(line, f"malformed CSV ({error})")
            line = reader.line_num + 1
            continue
        if any(field_ for field_ in row):
            if any(_has_surrogates(value) for value in row):
                collector.problem(line, "not valid UTF-8")
            else:
                width = max(id_column, text_column, topic_column or 0, unit_column or 0) + 1
                cells = row + [""] * (width - len(row))
                topic = cells[topic_column] if topic_column is not None else None
                unit = cells[unit_column] if unit_column is not None else None
                collector.add(line, cells[id_column], cells[text_column], topic, unit)
        line = reader.line_num + 1
    return collector.result


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _read_xlsx(path: Path) -> ReadResult:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    collector = _Collector("row")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise InputError(f"{path}: not a readable .xlsx workbook ({error})") from None
    try:
        sheet = workbook.worksheets[0]
        rows: Iterator[tuple[object, ...]] = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputError(f"{path}: empty sheet, expected a header with id and text")
        id_column, text_column, topic_column, unit_column = _columns(header, source=str(path))
        width = max(id_column, text_column, topic_column or 0, unit_column or 0) + 1
        for number, row in enumerate(rows, start=2):
            cells = list(row) + [None] * (width - len(row))
            if all(_blank(cell) for cell in cells):
                continue
            topic = cells[topic_column] if topic_column is not None else None
            unit = cells[unit_column] if unit_column is not None else None
            collector.add(number, cells[id_column], cells[text_column], topic, unit)
    finally:
        workbook.close()
    return collector.result


def write_labels(questions: Sequence[Question], labels: dict[str, Id], out: TextIO) -> None:
    """JSON Lines ``{"id", "cluster"}`` in input order."""
    for question in questions:
        record = {"id": question.id, "cluster": labels[str(question.id)]}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def cluster_file(
    input_path: Path,
    *,
    out: TextIO,
    err: TextIO,
    threshold: float | None = None,
    progress: bool | None = None,
) -> int:
    """Group the questions of ``input_path`` and write labels to ``out``.

    Problems go to ``err``, one line each. ``progress=None`` shows a bar on ``err`` for
    inputs over :data:`PROGRESS_MIN_ROWS` rows when ``err`` is a terminal.

    Returns:
        The exit status: 0 when at least one row was grouped, 1 when none was, 2 when
        the input cannot be used.
    """
    try:
        result = read_questions(input_path)
    except InputError as error:
        err.write(f"error: {error}\n")
        return 2
    for problem in result.problems:
        err.write(problem + "\n")
    questions = result.questions
    if not questions:
        err.write(f"error: no valid question in {input_path}\n")
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
    write_labels(questions, {key: by_key[label] for key, label in labels.items()}, out)
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
    args: argparse.Namespace, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command for parsed ``args``; never raises."""
    out_stream = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        if args.out is None:
            return cluster_file(args.input, out=out_stream, err=err, threshold=args.threshold)
        buffer = io.StringIO()
        status = cluster_file(args.input, out=buffer, err=err, threshold=args.threshold)
        if status == 0:
            args.out.write_text(buffer.getvalue(), encoding="utf-8")
        return status
    except OSError as error:
        err.write(f"error: cannot write output: {error.strerror or error}\n")
        return 1
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m bot.clustering INPUT [--out OUT] [--threshold T]``."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.clustering", description="Group duplicate questions of a file."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
