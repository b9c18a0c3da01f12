"""`youthbot demo` runs a whole campaign on the configured database, twice in a row, and
leaves the files and data the other commands then show."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "YOUTHBOT_DB": str(cwd / "data" / "youthbot.db"),
            "YOUTHBOT_OUT_DIR": str(cwd / "out"),
        },
    )


def test_demo_runs_twice_and_the_commands_see_it(tmp_path: Path) -> None:
    first = run(["demo"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stdout + first.stderr
    for heading in ("Đợt đối thoại số 1", "Gộp câu hỏi trùng", "Nhắc hạn", "thông báo", "trả lời"):
        assert heading in first.stdout
    for after in (
        "phiếu Excel",
        "ghi 1 trả lời, 0 dòng lỗi",
        "/kichban sua",
        "Đã công bố Thông báo kết luận",
        "không gửi lại",
        "Nhắc nhiệm vụ",
        "đã hoàn thành",
        "Báo cáo: 12 câu hỏi",
    ):
        assert after in first.stdout, after
    second = run(["demo"], tmp_path)
    assert second.returncode == 0, second.stderr
    listing = run(["campaign", "list"], tmp_path)
    assert "archived" in listing.stdout and "collecting" in listing.stdout
    export = run(["export", "--format", "jsonl"], tmp_path)
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    # 12 questions: the one rewording a question of another unit is sent as its own (the
    # similar-question prompt shows only the asker's own unit by default) and grouped.
    assert len(rows) == 12 and all(r["campaign_id"] == 2 for r in rows)
    out = tmp_path / "out"
    xlsx = sorted(out.glob("*.xlsx"))
    assert xlsx and openpyxl.load_workbook(xlsx[-1]).sheetnames
    summary = sorted(out.glob("tong-hop-*.docx"))[-1]
    text = "\n".join(p.text for p in docx.Document(str(summary)).paragraphs)
    assert "Nông Thị Hoa" in text
    for stem, title in (
        ("tra-loi", "Tổng hợp nội dung trả lời"),
        ("kich-ban", "Câu hỏi đối thoại trực tiếp"),
        ("thong-bao-ket-luan", "Kết luận của"),
        ("bao-cao-ket-qua", "Kết quả tổ chức"),
    ):
        document = sorted(out.glob(f"{stem}-2*.docx"))[-1]
        assert title in "\n".join(p.text for p in docx.Document(str(document)).paragraphs)
    assert sorted(out.glob("*.png")) and sorted(out.glob("*.txt"))
    # The three documents: each with "Số:", "Nơi nhận" and a signer block, the unit's list
    # headed by the unit; the summary quotes every one of the 11 questions.
    summary = _text(sorted(out.glob("tong-hop-*.docx"))[-1])
    assert "Nông Thị Hoa" in summary
    for row in rows:
        assert " ".join(row["text"].split()) in summary, row["code"]
    unit = _text(sorted(out.glob("phuong-thuc-phan-*.docx"))[-1])
    letter = _text(sorted(out.glob("so-noi-vu-*.docx"))[-1])
    for document in (summary, unit, letter):
        assert "Số:" in document and "Nơi nhận:" in document and "- Lưu: VT" in document
    assert "ĐOÀN PHƯỜNG THỤC PHÁN" in unit and "UBND TỈNH" not in unit
    assert "TM. BAN CHẤP HÀNH" in unit and "Lương Văn Đức" in unit
    assert "TM. BAN THƯỜNG VỤ" in summary and "KT. GIÁM ĐỐC" in letter
    assert not list(out.glob("dot-*")) and not list(out.glob("*don-vi*"))


def _text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)
