"""`youthbot demo` runs a whole campaign on the configured database, twice in a row, and
leaves the files and data the other commands then show."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pytest


def run_with(args: list[str], cwd: Path, db: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "YOUTHBOT_DB": db or str(cwd / "data" / "youthbot.db"),
            "YOUTHBOT_OUT_DIR": str(cwd / "out"),
        },
    )


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def test_demo_runs_twice_and_the_commands_see_it(
    tmp_path: Path, backend: str, database: str
) -> None:
    db = database if backend == "postgresql" else None

    def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        return run_with(args, cwd, db)

    first = run(["demo"], tmp_path)
    assert first.returncode == 0, first.stderr
    if db is not None:  # the data is in PostgreSQL, not in a file
        assert "postgresql://postgres@/" in first.stdout
        assert not (tmp_path / "data").exists()
    assert "Traceback" not in first.stdout + first.stderr
    for heading in ("Đợt đối thoại số 1", "Gộp câu hỏi trùng", "Nhắc hạn", "thông báo", "trả lời"):
        assert heading in first.stdout
    second = run(["demo"], tmp_path)
    assert second.returncode == 0, second.stderr
    listing = run(["campaign", "list"], tmp_path)
    assert "archived" in listing.stdout and "collecting" in listing.stdout
    export = run(["export", "--format", "jsonl"], tmp_path)
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    assert len(rows) == 11 and all(r["campaign_id"] == 2 for r in rows)
    out = tmp_path / "out"
    xlsx = sorted(out.glob("*.xlsx"))
    assert xlsx and openpyxl.load_workbook(xlsx[-1]).sheetnames
    text = "\n".join(p.text for p in docx.Document(str(sorted(out.glob("*.docx"))[-1])).paragraphs)
    assert "Nông Thị Hoa" in text
    assert sorted(out.glob("*.png")) and sorted(out.glob("*.txt"))
