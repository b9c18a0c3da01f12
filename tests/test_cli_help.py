"""The operator's command line in their language from the first keystroke: --help, every
option's help with an example, argparse's own words, usage errors, a hint to quote names
with spaces, no internal ids in results, and a closed pipe that ends quietly."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.commands import HELP_LANGUAGE
from locales import argparse_language


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "YOUTHBOT_DB": str(cwd / "y.db"), **env},
    )


def test_youthbot_help_is_vietnamese_by_default(tmp_path: Path) -> None:
    done = run(["--help"], tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("cách dùng: youthbot [-h] [--env-file TỆP] LỆNH ...\n")
    for words in ("các lệnh:", "tùy chọn:", "xem hướng dẫn này rồi thoát", "chạy thử cả một đợt"):
        assert words in done.stdout
    assert "usage:" not in done.stdout and "show this help" not in done.stdout

    english = run(["--help"], tmp_path, YOUTHBOT_LANGUAGE="en")
    assert english.stdout.startswith("usage: youthbot [-h] [--env-file FILE] COMMAND ...\n")
    assert "run a whole simulated campaign" in english.stdout

    # The language set in .env counts too, before the settings are even read.
    (tmp_path / ".env").write_text("YOUTHBOT_LANGUAGE=en\n")
    assert run(["units", "--help"], tmp_path).stdout.startswith("usage: youthbot units")


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from parsers(child)


@pytest.mark.parametrize(("language", "example"), [("vi", "ví dụ"), ("en", "e.g.")])
def test_every_option_has_help_with_an_example(language: str, example: str) -> None:
    token = HELP_LANGUAGE.set(language)
    try:
        with argparse_language(language):
            missing = []
            for parser in parsers(build_parser()):
                parser.format_help()  # every help text renders (no stray % for argparse)
                for action in parser._actions:
                    if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                        continue
                    name = f"{parser.prog} {'/'.join(action.option_strings) or action.dest}"
                    if not action.help:
                        missing.append(f"{name}: no help")
                    takes_value = action.nargs != 0 and not action.choices
                    if takes_value and example not in action.help:
                        missing.append(f"{name}: no example")
    finally:
        HELP_LANGUAGE.reset(token)
    assert not missing, missing


def test_argparse_words_come_back_after_the_command_line() -> None:
    before = os.environ.get("LANGUAGE")
    assert main(["--help"]) == 0
    assert os.environ.get("LANGUAGE") == before
    plain = argparse.ArgumentParser(prog="x")
    assert "show this help message and exit" in plain.format_help()


def test_unquoted_name_with_spaces_gets_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["route", "--topic", "Việc làm", "--department", "Sở", "Nội", "vụ"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        "youthbot: “Sở Nội vụ” có dấu cách: đặt cả cụm trong dấu ngoặc kép, ví dụ "
        '--department "Sở Nội vụ"\n'
    )
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
    assert main(["campaign", "create", "--title", "Đối", "thoại", "--dialogue-date", "x"]) == 2
    err = capsys.readouterr().err
    # The date is checked first; once it is right, the title's spaces are pointed out.
    assert "'x' is not a date like 28/08/2027" in err
    assert (
        main(["campaign", "create", "--title", "Đối", "thoại", "--dialogue-date", "28/08/2030"])
        == 2
    )
    assert capsys.readouterr().err == (
        'youthbot: “Đối thoại” has spaces: put it in quotes, e.g. --title "Đối thoại"\n'
    )


def test_argument_errors_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invite", "--role", "admin", "--days", "mười"]) == 2
    assert capsys.readouterr().err == (
        "youthbot invite: tham số --days: 'mười' không phải số nguyên "
        "(xem youthbot invite --help)\n"
    )
    assert main(["campaign", "create", "--title", "x"]) == 2
    assert capsys.readouterr().err == (
        "youthbot campaign create: còn thiếu tham số bắt buộc: --dialogue-date "
        "(xem youthbot campaign create --help)\n"
    )
    assert main(["clusters", "recluster", "--threshold", "0"]) == 2
    assert "không phải ngưỡng từ trên 0 đến 100" in capsys.readouterr().err


def test_no_internal_ids_in_vietnamese_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["units", "load"]) == 0
    dialogue = f"{date.today() + timedelta(days=40):%d/%m/%Y}"
    assert main(["campaign", "create", "--title", "Đối thoại", "--dialogue-date", dialogue]) == 0
    assert main(["invite", "--role", "secretary"]) == 2
    assert main(["invite", "--role", "secretary", "--unit", "w01273"]) == 0
    assert main(["invite", "--role", "organiser"]) == 0
    assert main(["campaign", "list"]) == 0
    assert main(["campaign", "show"]) == 0
    assert main(["units", "list"]) == 0
    assert (
        main(
            [
                "campaign",
                "create",
                "--title",
                "x",
                "--dialogue-date",
                dialogue,
                "--forward",
                dialogue,
            ]
        )
        == 2
    )
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Bí thư Đoàn cần có đơn vị: thêm --unit MÃ" in text
    assert "(vai trò: Bí thư Đoàn; dùng một lần" in text
    assert "đang nhận câu hỏi" in text
    assert "Ban tổ chức" in text and "Công khai kế hoạch (chậm nhất)" in text
    assert "w01273         Phường" in text
    assert (
        "mốc “Sở Nội vụ chuyển các sở, ngành” không được sau mốc “Hạn các sở, ngành gửi trả lời”"
        in text
    )
    for internal in (
        "secretary",
        "organiser",
        "collecting",
        "archived",
        "plan_published",
        "units_submit",
        "forward",
        " ward ",
        " commune ",
    ):
        assert internal not in text.replace("--role", ""), internal


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "YOUTHBOT_DB": str(tmp_path / "y.db")}
    load = [sys.executable, "-m", "bot", "units", "load", "--province", "ha_noi"]
    subprocess.run(load, cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120)
    # The reader goes away before the command writes a line (as `| head` does mid-way).
    listing = subprocess.Popen(
        [sys.executable, "-m", "bot", "units", "list"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.close()
    err = listing.stderr.read()
    listing.stderr.close()
    assert listing.wait(timeout=120) == 0
    assert err == b""


async def test_a_closed_pipe_in_process_is_status_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    assert await asyncio.to_thread(main, ["units", "load"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert await asyncio.to_thread(main, ["units", "list"]) == 0
    assert capsys.readouterr().err == ""


def test_campaign_option_takes_a_title_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["units", "load"]) == 0
    dialogue = f"{date.today() + timedelta(days=40):%d/%m/%Y}"
    for title in ("Đối thoại Thái Nguyên", "Đối thoại Cao Bằng"):
        assert main(["campaign", "create", "--title", title, "--dialogue-date", dialogue]) == 0
    capsys.readouterr()
    # Two active campaigns: without --campaign each command asks which; a title picks one.
    assert main(["programme", "show"]) == 2
    capsys.readouterr()
    assert main(["programme", "--campaign", "thai nguyen", "show"]) == 0
    assert "Đối thoại Thái Nguyên" in capsys.readouterr().out
    assert main(["conclusion", "--campaign", "Cao Bằng", "show"]) == 0
    assert "Đối thoại Cao Bằng" in capsys.readouterr().out
    assert main(["answers", "list", "--campaign", "Cao Bằng"]) == 0
    assert main(["answers", "publish", "--all", "--campaign", "2"]) == 0
    capsys.readouterr()
    assert main(["answers", "list", "--campaign", "Hà Giang"]) == 2
    assert "Hà Giang" in capsys.readouterr().err


def test_campaign_named_by_its_words_and_after_the_action(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ "Cao Bằng 2027" names "Hội nghị đối thoại … tỉnh Cao Bằng với thanh niên năm 2027"
    (it was not found), and ``--campaign`` may follow the action ("programme show
    --campaign 2" was "không hiểu: --campaign 2")."""
    assert main(["units", "load"]) == 0
    dialogue = f"{date.today() + timedelta(days=40):%d/%m/%Y}"
    for title in (
        "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Thái Nguyên với thanh niên năm 2027",
        "Hội nghị đối thoại giữa Chủ tịch UBND tỉnh Cao Bằng với thanh niên năm 2027",
    ):
        assert main(["campaign", "create", "--title", title, "--dialogue-date", dialogue]) == 0
    capsys.readouterr()
    assert main(["programme", "--campaign", "Cao Bằng 2027", "show"]) == 0
    assert "tỉnh Cao Bằng" in capsys.readouterr().out
    for argv in (
        ["programme", "show", "--campaign", "thai nguyen 2027"],
        ["conclusion", "show", "--campaign", "Thái Nguyên 2027"],
        ["clusters", "list", "--campaign", "1"],
    ):
        assert main(argv) == 0, argv
        out = capsys.readouterr().out
        assert "Cao Bằng" not in out, argv
    # Given before the action and not after it: the one before stays.
    assert main(["programme", "--campaign", "2", "show"]) == 0
    assert "tỉnh Cao Bằng" in capsys.readouterr().out
    # Words that are in both titles still ask which one.
    assert main(["programme", "show", "--campaign", "đối thoại 2027"]) == 2
    assert "Cao Bằng" in capsys.readouterr().err
