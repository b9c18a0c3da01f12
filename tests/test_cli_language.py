"""The command line speaks the operators' language: Vietnamese by default, English with
YOUTHBOT_LANGUAGE=en, including --help and usage errors. Machine-readable parts (codes,
paths, option values) stay as they are."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from bot.application.app import App
from bot.application.config import Settings
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.commands import cli_language


def test_vietnamese_success_and_error_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["units", "load"]) == 0
    loaded, default = capsys.readouterr().out.splitlines()
    assert loaded.startswith("đã nạp ") and loaded.endswith(" xã, phường của Cao Bằng (cao_bang)")
    assert default.startswith("lưu ý: chưa đặt YOUTHBOT_PROVINCE nên dùng tỉnh mặc định (cao_bang)")

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
        "đã chuyển nhóm vấn đề 'Nghề nghiệp, việc làm' tới Sở Nội vụ (0 câu hỏi)\n"
    )
    assert await run(["route", "--topic", "Không có", "--department", "Sở Y tế"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "youthbot route: Không có nhóm vấn đề “Không có”. Các nhóm: Chuyển đổi số;"
    )
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


def test_usage_errors_in_the_operators_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["units", "show", "NOPE"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("youthbot units: tham số VIỆC: lựa chọn 'show' không có (chọn một")
    assert err.endswith("(xem youthbot units --help)\n")
    assert len(err.splitlines()) == 1

    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
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


# Messages raised below the command line (campaign set-up, the timeline, CSV checks, deep
# links, the runner) carry a catalogue key: the operator reads them in their language.


def test_campaign_errors_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["campaign", "show", "99"]) == 2
    assert capsys.readouterr().err == (
        "youthbot campaign: không có đợt đối thoại số 99; xem `youthbot campaign list`\n"
    )
    assert main(["campaign", "show"]) == 2
    assert capsys.readouterr().err == (
        "youthbot campaign: không có đợt đối thoại nào đang diễn ra; "
        "tạo bằng `youthbot campaign create`\n"
    )
    argv = ["campaign", "create", "--title", "Đối thoại 2025", "--dialogue-date", "28/08/2025"]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "youthbot campaign: chưa nạp đơn vị nào; chạy `youthbot units load` trước\n"
    )
    assert main(["units", "load"]) == 0
    capsys.readouterr()
    assert main([*argv, "--report", "01/08/2025"]) == 2
    assert capsys.readouterr().err == (
        "youthbot campaign: mốc “Hạn báo cáo kết quả” (01/08/2025) không được trước ngày "
        "đối thoại (28/08/2025)\n"
    )


def test_campaign_errors_in_english(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
    assert main(["campaign", "show", "99"]) == 2
    assert capsys.readouterr().err == (
        "youthbot campaign: no campaign 99; see `youthbot campaign list`\n"
    )
    assert main(["units", "load"]) == 0
    capsys.readouterr()
    argv = ["campaign", "create", "--title", "Dialogue", "--dialogue-date", "2025-08-28"]
    assert main([*argv, "--report", "2025-08-01"]) == 2
    assert capsys.readouterr().err == (
        "youthbot campaign: “Results report due” (2025-08-01) is before the dialogue (2025-08-28)\n"
    )


def test_bad_units_csv_rows_in_vietnamese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["units", "load"]) == 0
    capsys.readouterr()
    bad = tmp_path / "truong.csv"
    bad.write_text(
        "code,name,kind\n"
        "thpt-cb,Trường THPT Chuyên Cao Bằng,school\n"
        "w01273,Trùng mã phường,school\n"
        "thpt-2,,tàu vũ trụ\n"
    )
    assert main(["units", "import", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{bad}: dòng 3: mã 'w01273' đã được dùng cho một đơn vị khác",
        f"{bad}: dòng 4: tên đơn vị (name) đang để trống; loại 'tàu vũ trụ' phải là một trong: "
        "school, agency, enterprise, armed_forces, youth_base",
    ]
    assert captured.err == f"youthbot units: {bad}: 2 dòng lỗi; chưa nhập đơn vị nào\n"

    empty = tmp_path / "rong.csv"
    empty.write_text("code,ten\n")
    assert main(["units", "import", str(empty)]) == 1
    assert capsys.readouterr().out == (
        f"{empty}: dòng 1: thiếu cột name, kind; cần có các cột code, name, kind\n"
    )


async def test_digest_link_and_clusters_errors_in_vietnamese(
    province_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    run = lambda argv: asyncio.to_thread(main, argv)  # noqa: E731

    assert await run(["digest", "--unit", "x404"]) == 2
    assert capsys.readouterr().err == (
        "youthbot digest: không có đơn vị mã 'x404'; xem `youthbot units list`\n"
    )
    assert await run(["link", "--unit", "w01273", "--bot-username", "không phải tên"]) == 2
    assert capsys.readouterr().err == (
        "youthbot link: 'không phải tên' không phải tên người dùng của bot Telegram\n"
    )
    assert await run(["clusters", "merge", "AB12", "CD34"]) == 2
    assert capsys.readouterr().err == "youthbot clusters: không có câu hỏi mã 'AB12'\n"

    await create_campaign(province_app, title="Đối thoại lần hai", dialogue=date(2025, 9, 18))
    assert await run(["route", "--topic", "Kiến nghị khác", "--department", "Sở Nội vụ"]) == 2
    assert capsys.readouterr().err == (
        "youthbot route: đang có nhiều đợt đối thoại (1, 2); chọn một đợt bằng --campaign\n"
    )


def test_run_without_a_channel(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) == 2
    assert capsys.readouterr().err == (
        "youthbot run: chưa cấu hình kênh chat nào: đặt TELEGRAM_BOT_TOKEN hoặc ZALO_BOT_TOKEN"
        " trong .env (hoặc thử bot trong cửa sổ dòng lệnh bằng `youthbot chat`)\n"
    )
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
    assert main(["run", "--channel", "zalo"]) == 2
    assert capsys.readouterr().err == (
        "youthbot run: no chat channel configured: set ZALO_BOT_TOKEN in .env"
        " (or try the bot in the terminal with `youthbot chat`)\n"
    )


def test_localized_errors_are_english_in_logs() -> None:
    # str() of the exception (logs, tracebacks) stays English whatever the CLI language.
    from bot.campaign.setup import CampaignSetupError
    from locales import translator

    error = CampaignSetupError("cli.campaign.not_found", id=7)
    assert str(error) == "no campaign 7; see `youthbot campaign list`"
    assert error.render(translator("vi")) == (
        "không có đợt đối thoại số 7; xem `youthbot campaign list`"
    )


async def test_campaign_show_names_the_topic_groups_in_the_operators_language(
    province_app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`campaign show` in English listed the default topic groups under their Vietnamese
    names ("topics: Chuyển đổi số; …") and its lines started in lower case."""
    await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    run = lambda argv: asyncio.to_thread(main, argv)  # noqa: E731
    assert await run(["campaign", "show", "1"]) == 0
    out = capsys.readouterr().out
    assert "\nNhóm vấn đề: Chuyển đổi số; Quy hoạch tỉnh; Nghề nghiệp, việc làm;" in out
    assert "\nSố câu hỏi: 0\n" in out
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")
    assert await run(["campaign", "show", "1"]) == 0
    out = capsys.readouterr().out
    topics = next(line for line in out.splitlines() if line.startswith("Topic groups: "))
    assert "Careers and jobs" in topics
    assert "Nghề nghiệp" not in topics and "Chuyển đổi số" not in topics
    assert "\nQuestions: 0\n" in out
