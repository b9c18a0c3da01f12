"""`youthbot demo` runs a whole campaign on its own file, twice in a row, and never touches
the real database: it refuses YOUTHBOT_DB and any file holding other data, `youthbot run`
refuses the demo's file, and `youthbot chat --demo` joins the demo's open campaign."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import docx
import openpyxl
import pytest

from bot.application.app import App
from bot.application.config import Settings
from bot.commands.demo import demo_settings
from bot.demo.script import run_demo


def run(
    args: list[str], cwd: Path, *, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "YOUTHBOT_DB": str(cwd / "data" / "youthbot.db"),
            "YOUTHBOT_OUT_DIR": str(cwd / "out"),
            **env,
        },
    )


def test_demo_runs_twice_on_its_own_file(tmp_path: Path) -> None:
    first = run(["demo"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stdout + first.stderr
    for heading in ("Đợt đối thoại số 1", "Gộp câu hỏi trùng", "Nhắc hạn", "thông báo", "trả lời"):
        assert heading in first.stdout
    for after in (
        "phiếu Excel",
        "ghi 1 trả lời, 0 dòng lỗi",
        "Mình đã ghi lại ý kiến của bạn về trả lời câu",  # a young person writes back
        "/kichban sua",
        "Đã công bố Thông báo kết luận",
        "không gửi lại",
        "Nhắc nhiệm vụ",
        "đã hoàn thành",
        "Báo cáo: 12 câu hỏi",
        "10 câu chưa có trả lời",  # the report's numbers add up: 12 = 2 answered + 10
        "10 thanh niên khác được báo câu hỏi của mình chưa có trả lời",
    ):
        assert after in first.stdout, after
    # Sở Nội vụ's list of its own questions goes to its own offices, as the letter says.
    assert "Sở Nội vụ → Sở Nội vụ" not in first.stdout
    assert "Sở Nội vụ → Các phòng, đơn vị thuộc Sở Nội vụ: 3 câu hỏi" in first.stdout
    assert first.stdout.rstrip().splitlines()[-3:-1] == [
        "Trò chuyện với bot của bản chạy thử: youthbot chat --demo",
        "Xem đợt đối thoại này: YOUTHBOT_DB=data/demo.db youthbot campaign show 1",
    ]
    assert not (tmp_path / "data" / "youthbot.db").exists()
    second = run(["demo"], tmp_path)
    assert second.returncode == 0, second.stderr

    demo_db = {"YOUTHBOT_DB": str(tmp_path / "data" / "demo.db")}
    listing = run(["campaign", "list"], tmp_path, **demo_db).stdout.splitlines()
    assert len(listing) == 2
    assert "đã lưu trữ" in listing[0] and "đang nhận câu hỏi" in listing[1]
    export = run(["export", "--format", "jsonl"], tmp_path, **demo_db)
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    # 12 questions: the one rewording a question of another unit is sent as its own (the
    # similar-question prompt shows only the asker's own unit by default) and grouped.
    assert len(rows) == 12 and all(r["campaign_id"] == 2 for r in rows)
    out = tmp_path / "out" / "demo"
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
        document = sorted(out.glob(f"{stem}-cao-bang-2*.docx"))[-1]  # host, date
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

    # The closing line's command works: the demo's campaign takes questions in the terminal.
    chat = run(["chat", "--demo"], tmp_path, stdin="/start\n")
    assert chat.returncode == 0, chat.stderr
    assert "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Cao Bằng" in chat.stdout

    # The real bot never serves young people from the demo's file.
    refused = run(["run"], tmp_path, TELEGRAM_BOT_TOKEN="123456789:" + "A" * 35, **demo_db)
    assert refused.returncode == 2
    assert refused.stderr.startswith("youthbot run: ")
    assert "là cơ sở dữ liệu của bản chạy thử" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1


def _text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def fingerprint(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


def test_thai_nguyen_set_up_is_untouched_by_the_demo(tmp_path: Path) -> None:
    """The issue's case: a real Thái Nguyên database, then the README's demo command."""
    env = {"YOUTHBOT_PROVINCE": "thai_nguyen"}
    assert run(["units", "load"], tmp_path, **env).returncode == 0
    dialogue = f"{date.today() + timedelta(days=60):%d/%m/%Y}"
    title = "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Thái Nguyên với thanh niên"
    created = run(
        ["campaign", "create", "--title", title, "--dialogue-date", dialogue], tmp_path, **env
    )
    assert created.returncode == 0, created.stderr
    assert "Cơ quan chủ trì: Thái Nguyên (p19)" in created.stdout
    live = tmp_path / "data" / "youthbot.db"
    before = (
        run(["campaign", "list"], tmp_path, **env).stdout,
        run(["units", "list"], tmp_path, **env).stdout,
        fingerprint(live),
    )

    demo = run(["demo"], tmp_path, **env)
    assert demo.returncode == 0, demo.stderr
    assert "Cao Bằng" in demo.stdout  # the demo's own sample province

    # Pointed at the live file, by name or by another spelling of it, the demo refuses.
    for path in (str(live), str(tmp_path / "data" / ".." / "data" / "youthbot.db")):
        refused = run(["demo", "--db", path], tmp_path, **env)
        assert refused.returncode == 2
        assert refused.stdout == ""
        assert refused.stderr.startswith(
            "youthbot demo: bản chạy thử không dùng cơ sở dữ liệu thật"
        )

    after = (
        run(["campaign", "list"], tmp_path, **env).stdout,
        run(["units", "list"], tmp_path, **env).stdout,
        fingerprint(live),
    )
    assert after == before
    assert "Cao Bằng" not in after[0] + after[1]


def test_demo_refuses_a_file_holding_other_data(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    env = {"YOUTHBOT_DB": str(other)}
    assert run(["units", "load", "--province", "lang_son"], tmp_path, **env).returncode == 0
    before = fingerprint(other)
    refused = run(["demo", "--db", str(other)], tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == (
        f"youthbot demo: {other} đang chứa dữ liệu khác (0 đợt đối thoại, 66 đơn vị, 0 người); "
        "bản chạy thử chỉ chạy trên tệp riêng của nó: bỏ --db, hoặc chọn một tệp mới\n"
    )
    assert fingerprint(other) == before
    # A new file is fine, and the closing line names it.
    fresh = run(["demo", "--db", str(tmp_path / "thu.db")], tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert f"youthbot chat --db {tmp_path / 'thu.db'}" in fresh.stdout


class BrokenAfter(io.StringIO):
    """An output that breaks part-way, as `youthbot demo | head` does."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.left = lines

    def write(self, text: str) -> int:
        self.left -= text.count("\n")
        if self.left < 0:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


@pytest.mark.parametrize("lines", [25, 60])
async def test_a_demo_cut_short_leaves_no_open_campaign(tmp_path: Path, lines: int) -> None:
    settings = demo_settings(Settings(env_file=None), tmp_path / "demo.db")
    async with await App.open(settings) as app:
        with pytest.raises(BrokenPipeError):
            await run_demo(app, BrokenAfter(lines))
        campaigns = await app.store.campaigns.all()
        assert len(campaigns) == 1
        assert await app.store.campaigns.active() == []


@pytest.mark.postgresql
def test_demo_on_its_own_postgresql_database(tmp_path: Path, pg_server: object) -> None:
    """`youthbot demo --db postgresql://…` keeps the whole campaign in PostgreSQL; the
    other commands then read it there (YOUTHBOT_DB), and no file is written."""
    from tests.pg import PgServer

    assert isinstance(pg_server, PgServer) and pg_server.factory is not None
    url = pg_server.factory.take()
    try:
        first = run(["demo", "--db", url], tmp_path)
        assert first.returncode == 0, first.stderr
        assert "postgresql://postgres@/" in first.stdout and "Traceback" not in first.stderr
        assert "Báo cáo: 12 câu hỏi" in first.stdout
        assert not (tmp_path / "data").exists()
        listing = run(["campaign", "list"], tmp_path, YOUTHBOT_DB=url)
        assert listing.returncode == 0 and "Cao Bằng" in listing.stdout
        export = run(["export", "--format", "jsonl"], tmp_path, YOUTHBOT_DB=url)
        assert len(export.stdout.splitlines()) == 12
        # The live database named by YOUTHBOT_DB is never the demo's.
        refused = run(["demo", "--db", url], tmp_path, YOUTHBOT_DB=url)
        assert refused.returncode == 2 and "bản chạy thử không dùng" in refused.stderr
    finally:
        pg_server.factory.give_back(url)


async def test_the_demos_send_ready_documents_keep_the_timeline(tmp_path: Path) -> None:
    # The summary (Tỉnh đoàn → Sở Nội vụ) and Sở Nội vụ's letters to departments were made
    # two days before the answers were due, long after the units' deadline and the day Sở
    # Nội vụ forwards the questions: an official copying them would date them wrong.
    import re as _re

    from storage.models import DeadlineKind

    settings = demo_settings(Settings(env_file=None), tmp_path / "demo.db")
    settings.core.out_dir = tmp_path / "out"
    async with await App.open(settings) as app:
        await run_demo(app, io.StringIO())
        campaign = (await app.store.campaigns.active())[0]
    submit = campaign.deadline(DeadlineKind.UNITS_SUBMIT)
    forward = campaign.deadline(DeadlineKind.FORWARD)
    assert submit is not None and forward is not None
    out = tmp_path / "out"
    letters = sorted(out.rglob("so-*.docx"))
    assert letters
    for letter in letters:
        text = _text(letter)
        found = _re.search(r"ngày (\d\d) tháng (\d+) năm (\d{4})", text)
        assert found, letter
        day = date(int(found[3]), int(found[2]), int(found[1]))
        assert submit < day <= forward, (letter.name, day, submit, forward)
        assert "Kính gửi" in text
