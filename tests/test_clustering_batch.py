"""The batch command: youthbot cluster INPUT [--out OUT] [--threshold T]."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.clustering import batch
from bot.commands import cluster as cluster_command

ROOT = Path(__file__).resolve().parent.parent
LOAN_RATE = "Lãi suất vay vốn khởi nghiệp là bao nhiêu?"
LOAN_RATE_2 = "cho e hoi lai suat vay von khoi nghiep bn vay a"
LOAN_FILE = "Hồ sơ vay vốn khởi nghiệp gồm những gì?"


def _run(path: Path, *extra: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="youthbot")
    subparsers = parser.add_subparsers(dest="command", required=True)
    cluster_command.register(subparsers)
    args = parser.parse_args(["cluster", str(path), *extra])
    out, err = io.StringIO(), io.StringIO()
    status = batch.run(args, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def _records(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def test_jsonl_with_bad_rows(tmp_path: Path) -> None:
    source = tmp_path / "questions.jsonl"
    lines = [
        json.dumps({"id": 1, "text": LOAN_RATE, "unit": "xã Quang Trung"}, ensure_ascii=False),
        json.dumps({"id": "b", "text": LOAN_RATE_2}),
        json.dumps({"id": 1, "text": "trùng id"}, ensure_ascii=False),
        '{"id": "c", "text": ',
        json.dumps({"id": "d", "text": "   "}),
        "",
        json.dumps({"text": "không có id"}, ensure_ascii=False),
        json.dumps([1, 2]),
        json.dumps({"id": "e", "text": LOAN_FILE}, ensure_ascii=False),
    ]
    data = "\n".join(lines).encode("utf-8") + b'\n{"id": "f", "text": "\xff\xfe"}\n'
    source.write_bytes(data)
    status, out, err = _run(source)
    assert status == 0
    records = _records(out)
    assert [r["id"] for r in records] == [1, "b", "e"]
    labels = {r["id"]: r["cluster"] for r in records}
    assert labels[1] == labels["b"] == 1
    assert labels["e"] == "e"
    assert err.splitlines() == [
        "line 3: duplicate id '1' — skipped",
        "line 4: invalid JSON — skipped",
        "line 5: no text — skipped",
        "line 7: missing id — skipped",
        "line 8: not a JSON object — skipped",
        "line 10: not valid UTF-8 — skipped",
    ]
    assert "Traceback" not in err


def test_output_keeps_non_ascii_ids_and_writes_the_out_file(tmp_path: Path) -> None:
    source = tmp_path / "q.jsonl"
    rows = [{"id": "câu-1", "text": LOAN_RATE}, {"id": "câu-2", "text": LOAN_FILE}]
    source.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    target = tmp_path / "out.jsonl"
    status, out, err = _run(source, "--out", str(target))
    assert (status, out, err) == (0, "", "")
    written = target.read_text("utf-8")
    assert '"câu-1"' in written
    assert [r["id"] for r in _records(written)] == ["câu-1", "câu-2"]


def test_csv_with_bom_and_bad_rows(tmp_path: Path) -> None:
    source = tmp_path / "questions.csv"
    text = (
        "Text,ID,unit\n"
        f'"{LOAN_RATE}",r1,a\n'
        f"{LOAN_RATE_2},r2,b\n"
        ",r3,c\n"
        f"{LOAN_FILE},r1,d\n"
        f'"{LOAN_FILE}\nvà thời hạn",,e\n'
    )
    source.write_bytes(
        b"\xef\xbb\xbf" + text.encode("utf-8") + b"bad \xff text,r9,f\n" + b"ok,r10\n"
    )
    status, out, err = _run(source)
    assert status == 0
    assert [(r["id"], r["cluster"]) for r in _records(out)] == [
        ("r1", "r1"),
        ("r2", "r1"),
        ("r10", "r10"),
    ]
    assert err.splitlines() == [
        "line 4: no text — skipped",
        "line 5: duplicate id 'r1' — skipped",
        "line 6: missing id — skipped",
        "line 8: not valid UTF-8 — skipped",
    ]


def test_xlsx_first_sheet(tmp_path: Path) -> None:
    source = tmp_path / "questions.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "họ tên", "text"])
    sheet.append([101, "Nông Văn A", LOAN_RATE])
    sheet.append([102, "Lý Thị B", LOAN_RATE_2])
    sheet.append([103, "Bế Văn C", None])
    sheet.append([None, None, None])
    sheet.append([101, "Trùng", LOAN_FILE])
    sheet.append(["x-104", "Hoàng D", LOAN_FILE])
    workbook.create_sheet("other").append(["nothing", "here"])
    workbook.save(source)
    status, out, err = _run(source)
    assert status == 0
    assert _records(out) == [
        {"id": 101, "cluster": 101},
        {"id": 102, "cluster": 101},
        {"id": "x-104", "cluster": "x-104"},
    ]
    assert err.splitlines() == ["row 4: no text — skipped", "row 6: duplicate id '101' — skipped"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("questions.txt", b"hello", "unsupported input format '.txt'"),
        ("questions.csv", b"id,answer\n1,hello\n", "no header with a question column"),
        ("questions.csv", b"", "no header with a question column"),
        ("questions.xlsx", b"not a zip", "not a readable .xlsx workbook"),
    ],
)
def test_unusable_input_exits_2(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    status, out, err = _run(source)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert message in err


def test_missing_file_exits_2(tmp_path: Path) -> None:
    status, _, err = _run(tmp_path / "nope.jsonl")
    assert status == 2
    assert err == f"error: input file not found: {tmp_path / 'nope.jsonl'}\n"


def test_no_valid_row_exits_1(tmp_path: Path) -> None:
    source = tmp_path / "q.jsonl"
    source.write_text('{"id": 1}\n{"id": 2, "text": ""}\n', encoding="utf-8")
    target = tmp_path / "out.jsonl"
    status, _, err = _run(source, "--out", str(target))
    assert status == 1
    assert not target.exists()
    assert err.splitlines()[-1] == f"error: no valid question in {source}"


def test_threshold_option(tmp_path: Path) -> None:
    source = tmp_path / "q.jsonl"
    texts = [LOAN_RATE, "Lãi suất vay vốn khởi nghiệp cho sinh viên là bao nhiêu?"]
    source.write_text(
        "\n".join(
            json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(texts)
        ),
        encoding="utf-8",
    )
    together = [r["cluster"] for r in _records(_run(source)[1])]
    assert together[0] == together[1] and together[0] in (0, 1)
    assert [r["cluster"] for r in _records(_run(source, "--threshold", "100")[1])] == [0, 1]
    for bad in ("150", "-1", "abc"):
        with pytest.raises(SystemExit) as raised:
            _run(source, "--threshold", bad)
        assert raised.value.code == 2


def test_a_unit_column_is_a_signal_and_picks_the_threshold_for_known_units(
    tmp_path: Path,
) -> None:
    """Two differently worded questions about one commune's road, without naming it: from
    the same unit they are likelier the same concern than from two units."""
    texts = [
        "Đường liên thôn xuống cấp nặng, mưa là lầy lội, bao giờ được sửa?",
        "Đề nghị sửa con đường vào thôn, đi lại rất khó khăn mỗi khi trời mưa.",
    ]

    def grouped(units: list[str] | None, extension: str) -> list[object]:
        source = tmp_path / f"u{units is not None}{extension}"
        if extension == ".jsonl":
            rows = [
                {"id": i, "text": t} | ({"unit": units[i]} if units else {})
                for i, t in enumerate(texts)
            ]
            source.write_text(
                "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8"
            )
        else:
            header = "id,text,unit" if units else "id,text"
            lines = [f'{i},"{t}"' + (f",{units[i]}" if units else "") for i, t in enumerate(texts)]
            source.write_text("\n".join([header, *lines]), encoding="utf-8")
        status, out, _ = _run(source)
        assert status == 0
        return [r["cluster"] for r in _records(out)]

    same_unit = ["Xã Đàm Thuỷ", "Xã Đàm Thuỷ"]
    for extension in (".jsonl", ".csv"):
        assert grouped(same_unit, extension)[0] == grouped(same_unit, extension)[1]
        assert len(set(grouped(["Xã Đàm Thuỷ", "Xã Quang Trung"], extension))) == 2
    assert batch.THRESHOLD_WITHOUT_UNITS >= batch.DEFAULT_THRESHOLD


def test_register_sets_run_as_the_handler(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="youthbot")
    subparsers = parser.add_subparsers(dest="command")
    cluster_command.register(subparsers)
    args = parser.parse_args(["cluster", str(tmp_path / "x.jsonl")])
    assert args.func is cluster_command.run
    # No threshold given: the grouping picks the model's, with or without units.
    assert args.threshold is None
    assert args.out is None
    assert "cluster" in parser.format_help()


def test_progress_bar_only_when_asked(tmp_path: Path) -> None:
    source = tmp_path / "q.jsonl"
    source.write_text(json.dumps({"id": 1, "text": LOAN_RATE}, ensure_ascii=False), "utf-8")
    quiet = io.StringIO()
    assert batch.cluster_file(source, out=io.StringIO(), err=quiet) == 0
    assert quiet.getvalue() == ""
    loud = io.StringIO()
    assert batch.cluster_file(source, out=io.StringIO(), err=loud, progress=True) == 0
    assert "clustering" in loud.getvalue()


def test_module_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    source = tmp_path / "folder.jsonl"
    source.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "bot.clustering", str(source)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: input file not found")
    assert "Traceback" not in result.stderr


def test_topic_field_keeps_topic_groups_apart(tmp_path: Path) -> None:
    source = tmp_path / "q.jsonl"
    rows = [
        {"id": 1, "text": LOAN_RATE, "topic": "Khởi nghiệp"},
        {"id": 2, "text": LOAN_RATE_2, "topic": "khoi nghiep"},  # the same group, typed loosely
        {"id": 3, "text": LOAN_RATE_2, "topic": "Việc làm"},
    ]
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    labels = [r["cluster"] for r in _records(_run(source)[1])]
    assert labels[0] == labels[1] != labels[2]


@pytest.mark.parametrize("with_topics", [True, False], ids=["topic groups", "one group"])
def test_grouping_in_two_processes_gives_the_same_groups(
    monkeypatch: pytest.MonkeyPatch, with_topics: bool
) -> None:
    """The batch's pool (normalisation with typo repair, the blocks of the topic groups
    larger than a block, or of a file's one group by a neighbour search in the workers,
    then grouping the blocks) changes nothing in the result, and the progress still adds
    up."""
    from collections import Counter

    from bot.clustering import cluster

    # Blocks of 60 documents: most topic groups of dev2 are cut by the neighbour search,
    # in the workers (one group per task) as in the parent; without topics, the one
    # group's neighbours are searched 100 documents per task.
    monkeypatch.setattr(cluster, "BLOCK_SIZE", 60)
    monkeypatch.setattr(cluster, "_ROW_CHUNK", 100)

    rows = [
        json.loads(line)
        for line in (Path(__file__).parent / "data" / "cluster_dev2.jsonl").read_text().splitlines()
    ]
    items = [(str(row["id"]), str(row["text"])) for row in rows]
    items += [(f"{key}-again", text) for key, text in items[:50]]  # repeated texts too
    groups = {str(row["id"]): row["topic"] for row in rows} if with_topics else None
    units = {str(row["id"]): row["unit"] for row in rows}
    done: list[int] = []
    serial = cluster.cluster_with_progress(items, groups=groups, units=units, workers=1)
    monkeypatch.setattr(cluster, "PARALLEL_FROM", 10)  # the pool at this small size
    parallel = cluster.cluster_with_progress(
        items, groups=groups, units=units, workers=2, progress=done.append
    )
    assert parallel == serial
    assert len(set(serial.values())) > 100, "many groups, from several blocks"
    if groups is not None:
        assert sum(size > 60 for size in Counter(groups.values()).values()) > 1
    assert sum(done) == 2 * len(items), "progress still counts every question twice"


def test_spreadsheets_as_officials_have_them(tmp_path: Path) -> None:
    """Vietnamese headers under a title, on a second sheet; a CSV that Excel saved with
    semicolons (the decimal mark is a comma in Vietnam); a list without codes."""
    source = tmp_path / "tong-hop.xlsx"
    workbook = Workbook()
    cover = workbook.active
    assert cover is not None
    cover.append(["TỔNG HỢP CÂU HỎI CỦA THANH NIÊN"])
    sheet = workbook.create_sheet("Câu hỏi")
    sheet.append(["DANH SÁCH CÂU HỎI"])
    sheet.append([])
    sheet.append(
        [
            "STT",
            "Mã câu hỏi",
            "Mã đơn vị",
            "Đơn vị",
            "Nhóm vấn đề",
            "Vấn đề",
            "Nội dung câu hỏi, ý kiến, kiến nghị",
            "Nội dung trả lời",
        ]
    )
    sheet.append(
        [
            1,
            "AB12CD",
            "w01273",
            "Phường Thục Phán",
            "Khởi nghiệp",
            "III.1",
            LOAN_RATE,
            "Lãi suất 0,66%/tháng.",
        ]
    )
    sheet.append(
        [2, "EF34GH", "w01279", "Phường Tân Giang", "Khởi nghiệp", "III.1", LOAN_RATE_2, None]
    )
    sheet.append(
        [None, "JK56LM", "w01279", "Phường Tân Giang", "Việc làm", "II.1", LOAN_RATE_2, None]
    )
    workbook.save(source)
    status, out, err = _run(source)
    assert status == 0
    records = _records(out)
    assert [r["id"] for r in records] == ["AB12CD", "EF34GH", "JK56LM"]
    assert records[0]["cluster"] == records[1]["cluster"] != records[2]["cluster"], (
        "the same ask under another topic group is never grouped: the topic column was read"
    )
    assert err.splitlines() == ["questions read from sheet “Câu hỏi”, header on row 3"]

    semicolons = tmp_path / "excel.csv"
    semicolons.write_text(
        "Danh sách câu hỏi;;\n"
        "STT;Đơn vị;Nội dung câu hỏi, ý kiến, kiến nghị\n"
        f"1;Xã Quang Trung;{LOAN_RATE}\n"
        f"2;Xã Quang Trung;{LOAN_RATE_2}\n"
        "3;Xã Quang Trung;Đường vào thôn Nà Lẹng bị sạt lở, khi nào sửa?\n",
        encoding="utf-8-sig",
    )
    status, out, err = _run(semicolons)
    assert status == 0
    records = _records(out)
    assert [r["id"] for r in records] == [3, 4, 5], "known by their line, as the note says"
    assert records[0]["cluster"] == records[1]["cluster"] == 3 != records[2]["cluster"]
    assert err.splitlines() == [
        "the header is line 2; the lines above it were not read as questions",
        "no id column: each question is known by its line number",
    ]


def test_youthbot_cluster_speaks_the_operators_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env here
    source = tmp_path / "cau-hoi.jsonl"
    source.write_text('{"id": 1, "text": "   "}\n{"id": 2, "text": "vay vốn"}\n', "utf-8")
    monkeypatch.delenv("YOUTHBOT_LANGUAGE", raising=False)
    assert main(["cluster", str(source)]) == 0
    assert capsys.readouterr().err == "dòng 1: không có nội dung câu hỏi — bỏ qua\n"
    assert main(["cluster", str(tmp_path / "khong-co.csv")]) == 2
    assert capsys.readouterr().err == f"lỗi: không tìm thấy tệp: {tmp_path / 'khong-co.csv'}\n"
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
    assert main(["cluster", str(source)]) == 0
    assert capsys.readouterr().err == "line 1: no text — skipped\n"


def test_a_table_for_officials(tmp_path: Path) -> None:
    """--out x.xlsx / x.csv: every question once with its own words, each group together
    (largest first, its representative first), and the table reads back as input."""
    source = tmp_path / "questions.jsonl"
    texts = [LOAN_RATE, "Đường vào thôn Nà Lẹng bị sạt lở, khi nào sửa?", LOAN_RATE_2, LOAN_FILE]
    source.write_text(
        "".join(
            json.dumps({"id": f"q{i}", "text": t, "unit": "Xã Quang Trung"}, ensure_ascii=False)
            + "\n"
            for i, t in enumerate(texts, start=1)
        ),
        encoding="utf-8",
    )
    labels = {r["id"]: r["cluster"] for r in _records(_run(source)[1])}
    table = tmp_path / "nhom.xlsx"
    status, out, err = _run(source, "--out", str(table))
    assert (status, out, err) == (0, "", "")
    rows = list(load_workbook(table).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == (
        "Group",
        "Questions in the group",
        "Representative (id)",
        "Id",
        "Question",
        "Topic group",
        "Unit",
        "Line in the file",
    )
    body = rows[1:]
    assert sorted(r[3] for r in body) == ["q1", "q2", "q3", "q4"]
    assert {r[3]: r[4] for r in body} == {f"q{i}": t for i, t in enumerate(texts, start=1)}
    assert all(r[2] == labels[r[3]] for r in body), "the same groups as the JSON Lines"
    sizes = [r[1] for r in body]
    assert sizes == sorted(sizes, reverse=True) and body[0][2] == body[0][3]
    for number in {r[0] for r in body}:
        members = [r for r in body if r[0] == number]
        assert len(members) == members[0][1]
    back = _records(_run(table)[1])
    assert {r["id"]: r["cluster"] for r in back} == labels, "the table is valid input"

    csv_table = tmp_path / "nhom.csv"
    assert _run(source, "--out", str(csv_table))[0] == 0
    raw = csv_table.read_bytes()
    assert raw.startswith("\ufeff".encode()) and "Đường vào thôn".encode() in raw
    assert {r["id"]: r["cluster"] for r in _records(_run(csv_table)[1])} == labels
