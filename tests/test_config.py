"""Configuration errors: one line naming the variable, exit status 2, no secret shown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.application.config import ConfigError, Settings
from bot.cli import main


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("YOUTHBOT_TIMEZONE", "Mars/Olympus", "YOUTHBOT_TIMEZONE: expected an IANA time zone"),
        (
            "YOUTHBOT_PROVINCE",
            "atlantis",
            "YOUTHBOT_PROVINCE: expected a vietnam-provinces codename",
        ),
        ("YOUTHBOT_LOG_LEVEL", "LOUD", "YOUTHBOT_LOG_LEVEL"),
        ("YOUTHBOT_QUESTIONS_PER_HOUR", "many", "YOUTHBOT_QUESTIONS_PER_HOUR"),
        (
            "TELEGRAM_BOT_TOKEN",
            "changeme",
            "TELEGRAM_BOT_TOKEN: expected the token @BotFather gave",
        ),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL: expected an http"),
        ("ZALO_BOT_TOKEN", "short", "ZALO_BOT_TOKEN"),
    ],
)
def test_invalid_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        Settings(env_file=None)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert value not in message or name != "TELEGRAM_BOT_TOKEN"


def test_env_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("YOUTHBOT_PROVINCE=lang_son\nYOUTHBOT_LOG_LEVEL=debug\n")
    settings = Settings(env_file=env)
    assert settings.core.province == "lang_son"
    assert settings.core.log_level == "DEBUG"


def test_token_is_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "123456789:AAEabcdefghijklmnopqrstuvwxyz0123456"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    settings = Settings(env_file=None)
    assert settings.telegram.bot_token is not None
    assert token not in repr(settings.telegram) and token not in str(settings.telegram)


def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "YOUTHBOT_TIMEZONE": "Nowhere/Land",
        "YOUTHBOT_DB": str(tmp_path / "x.db"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "campaign", "list"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "YOUTHBOT_TIMEZONE" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["campaign", "create", "--title", "x"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--dialogue-date" in err


def test_telegram_rate_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(env_file=None).telegram.max_messages_per_second == 30
    monkeypatch.setenv("TELEGRAM_MAX_MESSAGES_PER_SECOND", "300")
    assert Settings(env_file=None).telegram.max_messages_per_second == 300
    monkeypatch.setenv("TELEGRAM_MAX_MESSAGES_PER_SECOND", "5000")
    with pytest.raises(ConfigError, match="TELEGRAM_MAX_MESSAGES_PER_SECOND"):
        Settings(env_file=None)


def test_secrets_are_redacted_from_error_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import redact

    token = "123456789:AAEabcdefghijklmnopqrstuvwxyz0123456"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    settings = Settings(env_file=None)
    line = redact(f"ConnectError: https://api.telegram.org/bot{token}/getMe failed", settings)
    assert token not in line and "<secret>" in line


def test_the_database_password_is_redacted_from_error_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.cli import redact

    monkeypatch.setenv("YOUTHBOT_DB", "postgresql://bot:Very-Secret-9@db.example/youthbot")
    settings = Settings(env_file=None)
    line = redact("OSError: postgresql://bot:Very-Secret-9@db.example/youthbot refused", settings)
    assert "Very-Secret-9" not in line and "<secret>" in line
