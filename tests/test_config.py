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


# -- issue 17: webhooks, the shipped .env.example, SMTP with or without AUTH ----------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"ZALO_WEBHOOK_URL": "http://bot.example.vn/zalo/webhook"}, "ZALO_WEBHOOK_URL"),
        (
            {"TELEGRAM_WEBHOOK_URL": "http://bot.example.vn/telegram/webhook"},
            "TELEGRAM_WEBHOOK_URL",
        ),
        ({"TELEGRAM_WEBHOOK_URL": "https://bot.example.vn/hook"}, "TELEGRAM_WEBHOOK_URL"),
        ({"ZALO_BOT_LINK": "http://zalo.me/123"}, "ZALO_BOT_LINK"),
        ({"SMTP_USERNAME": "doan"}, "SMTP_PASSWORD"),
        ({"SMTP_PASSWORD": "bí-mật-123"}, "SMTP_USERNAME"),
        ({"SMTP_SENDER": "không phải địa chỉ"}, "SMTP_SENDER"),
    ],
)
def test_refused_settings_name_the_variable_in_one_vietnamese_line(
    env: dict[str, str], variable: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "campaign", "list"],
        env={"PATH": "/usr/bin:/bin", "YOUTHBOT_DB": str(tmp_path / "x.db"), **env},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"lỗi cấu hình: {variable}: cần "), done.stderr
    assert done.stderr.count("\n") == 1
    assert "bí-mật-123" not in done.stderr


def test_http_webhooks_only_with_a_self_hosted_api_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZALO_WEBHOOK_URL", "http://10.0.0.5:8080/zalo/webhook")
    with pytest.raises(ConfigError, match="ZALO_WEBHOOK_URL: expected a public https:// URL"):
        Settings(env_file=None)
    monkeypatch.setenv("ZALO_API_BASE_URL", "http://10.0.0.2:9000")  # not Zalo's servers
    assert Settings(env_file=None).zalo.webhook_url == "http://10.0.0.5:8080/zalo/webhook"
    monkeypatch.setenv("ZALO_WEBHOOK_URL", "https://bot.example.vn/zalo/webhook")
    monkeypatch.delenv("ZALO_API_BASE_URL")
    assert Settings(env_file=None).zalo.webhook_url == "https://bot.example.vn/zalo/webhook"


def test_the_shipped_env_example_is_valid_and_means_no_smtp_login(tmp_path: Path) -> None:
    settings = Settings(env_file=ROOT / ".env.example")
    assert settings.smtp.username is None and settings.smtp.password is None
    assert settings.telegram.bot_token is None and settings.zalo.webhook_url is None
    assert settings.zalo.bot_link is None
    # Empty means unset for every variable: the default applies.
    env = tmp_path / ".env"
    env.write_text("SMTP_PORT=\nYOUTHBOT_WEB_PORT=\nSMTP_USERNAME=\nSMTP_PASSWORD=\n")
    settings = Settings(env_file=env)
    assert (settings.smtp.port, settings.web.port, settings.smtp.username) == (587, 8080, None)


def test_every_variable_has_an_expected_text_in_both_languages() -> None:
    from bot.application.config import (
        CoreSettings,
        SmtpSettingsModel,
        TelegramSettings,
        WebSettings,
        ZaloSettings,
    )
    from locales import Translator

    sections = [
        ("YOUTHBOT_", CoreSettings),
        ("TELEGRAM_", TelegramSettings),
        ("ZALO_", ZaloSettings),
        ("YOUTHBOT_WEB_", WebSettings),
        ("SMTP_", SmtpSettingsModel),
    ]
    for prefix, section in sections:
        for field in section.model_fields:
            error = ConfigError(f"{prefix}{field}".upper())
            for language in ("vi", "en"):
                assert error.render(Translator(language)), (prefix, field, language)


def test_the_database_password_is_redacted_from_error_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.cli import redact

    monkeypatch.setenv("YOUTHBOT_DB", "postgresql://bot:Very-Secret-9@db.example/youthbot")
    settings = Settings(env_file=None)
    line = redact("OSError: postgresql://bot:Very-Secret-9@db.example/youthbot refused", settings)
    assert "Very-Secret-9" not in line and "<secret>" in line
