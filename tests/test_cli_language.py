"""The command line speaks the operators' language: Vietnamese by default, English with
YOUTHBOT_LANGUAGE=en. Machine-readable parts (codes, paths) stay as they are; argparse's
--help and usage errors stay in English."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from bot.app import App
from bot.campaigns import create_campaign
from bot.cli import main
from bot.commands import cli_language
from bot.config import Settings


def test_vietnamese_success_and_error_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["units", "load"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("đã nạp ") and out.endswith(" xã, phường của Cao Bằng (cao_bang)\n")

    assert main(["units", "load", "--province", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "youthbot units: không có tỉnh 'nope'; xem `youthbot units provinces`\n"

    assert main(["units", "list", "--kind", "school"]) == 0
    assert capsys.readouterr().out == "0 đơn vị\n"

    assert main(["answer"]) == 2
    assert capsys.readouterr().err == (
        "youthbot answer: cần mã câu hỏi CODE và --text, hoặc --file answers.csv\n"
    )

    assert main(["campaign", "list"]) == 0
    assert capsys.readouterr().out == (
        "chưa có đợt đối thoại nào; tạo bằng `youthbot campaign create`\n"
    )


def test_english_with_youthbot_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
    assert main(["units", "load", "--province", "nope"]) == 2
    assert capsys.readouterr().err == (
        "youthbot units: unknown province 'nope'; see `youthbot units provinces`\n"
    )
    assert main(["units", "list"]) == 0
    assert capsys.readouterr().out == "0 units\n"


async def test_vietnamese_route_and_topic_error(
    province_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    run = lambda argv: asyncio.to_thread(main, argv)  # noqa: E731

    assert (
        await run(["route", "--topic", "nghề nghiệp, việc làm", "--department", "Sở Nội vụ"]) == 0
    )
    assert capsys.readouterr().out == (
        "đã chuyển nhóm chủ đề 'Nghề nghiệp, việc làm' tới Sở Nội vụ (0 câu hỏi)\n"
    )
    assert await run(["route", "--topic", "Không có", "--department", "Sở Y tế"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("youthbot route: không có nhóm chủ đề 'Không có'; các nhóm: ")
    assert len(err.splitlines()) == 1


def test_the_database_wrapper_is_localised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"not a database at all" * 100)
    monkeypatch.setenv("YOUTHBOT_DB", str(damaged))
    assert main(["units", "list"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("youthbot: cơ sở dữ liệu: ")
    assert str(damaged) in line

    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
    assert main(["units", "list"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("youthbot: database: ")


def test_usage_errors_stay_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["units", "show", "NOPE"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("youthbot units: argument ACTION: invalid choice: 'show'")
    assert err.endswith("(see youthbot units --help)\n")


def test_the_language_without_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings that could not be loaded: the environment if it names a supported language.
    assert cli_language(None) == "vi"
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "EN")
    assert cli_language(None) == "en"
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "fr")
    assert cli_language(None) == "vi"
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
    assert cli_language(Settings(env_file=None)) == "en"
