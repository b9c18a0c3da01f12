"""Settings from the environment and a ``.env`` file, one class per section.

Built once in ``main()`` and passed down; nothing reads the environment at import time.
A missing or invalid setting raises :class:`ConfigError` whose message is one line naming
the variable and what is expected (``locales/*/config.po``, in the operator's language);
secrets are never part of any message. An empty value (``SMTP_USERNAME=`` as shipped in
``.env.example``) means "not set".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from locales import LocalizedError, Message

_TELEGRAM_TOKEN = re.compile(r"^\d{5,16}:[A-Za-z0-9_-]{30,64}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,256}$")
_PLACEHOLDERS = {"changeme", "change-me", "your-token-here", "xxx", "token"}


_OFFICIAL_API_HOSTS = frozenset(
    {"api.telegram.org", "bot-api.zaloplatforms.com", "bot-api.zapps.me"}
)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


class ConfigError(LocalizedError):
    """A setting is missing or invalid: one line naming the variable and what is expected
    (``render(tr)`` in the operator's language; ``str()`` in English)."""

    def __init__(self, variable: str, expected: str | None = None) -> None:
        key = f"config.expected.{(expected or variable).lower()}"
        super().__init__("config.error", name=variable, expected=Message(key))
        self.variable = variable


class _Section(BaseSettings):
    """Common reading rules: unknown variables in .env are other sections' business, and
    an empty value is no value."""

    model_config = SettingsConfigDict(
        env_file_encoding="utf-8", extra="ignore", case_sensitive=False, env_ignore_empty=True
    )


class CoreSettings(_Section):
    # A SQLite file (path or sqlite:///path) or postgresql://user@host/database.
    db: str = "./data/youthbot.db"
    demo_db: str = "./data/demo.db"  # `youthbot demo` never touches `db`; a path or URL
    province: str = "cao_bang"
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    language: Literal["vi", "en"] = "vi"
    out_dir: Path = Path("./out")
    # Where the similar-question indexes are kept between runs (bot.clustering.snapshot);
    # empty: beside a SQLite database ("youthbot.db" → "youthbot-cache/"), none on
    # PostgreSQL.
    cache_dir: Path | None = None
    questions_per_hour: int = Field(default=10, ge=1, le=1000)
    draft_ttl_hours: int = Field(default=72, ge=1, le=24 * 90)
    max_question_chars: int = Field(default=2000, ge=100, le=10000)
    digest_quiet: bool = False  # a period with nothing new sends nothing (else one line)
    # Several workers on PostgreSQL: a worker silent this long is dead (its scheduler's
    # lease and its messages in flight go to another); each beats every third of it.
    worker_lease_seconds: int = Field(default=15, ge=3, le=300)

    @field_validator("db", "demo_db")
    @classmethod
    def _db(cls, value: str) -> str:
        from storage.db import parse_target

        parse_target(value)  # ValueError names what is expected
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("an IANA time zone such as Asia/Ho_Chi_Minh") from exc
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("province")
    @classmethod
    def _province(cls, value: str) -> str:
        from bot.campaign.units import province_by_codename

        value = value.strip().lower()
        if province_by_codename(value) is None:
            raise ValueError(
                "a vietnam-provinces codename such as cao_bang (see `youthbot units provinces`)"
            )
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _webhook_secret(value: SecretStr | None) -> SecretStr | None:
    if value is None or not value.get_secret_value():
        return None
    if not _SECRET_TOKEN.match(value.get_secret_value()):
        raise ValueError("8 to 256 characters of A-Z, a-z, 0-9, _ and -")
    return value


def _http_url(value: str | None) -> str | None:
    if value and not re.match(r"^https?://", value):
        raise ValueError("an http:// or https:// URL")
    return value


def https_url(value: str | None) -> str | None:
    """Public addresses (webhooks, the Zalo bot's link) must be https:// with a host."""
    if value is None:
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("an https:// URL")
    return value


def _token(
    value: SecretStr | None, *, valid: Callable[[str], bool], expected: str
) -> SecretStr | None:
    if value is None or not value.get_secret_value().strip():
        return None
    raw = value.get_secret_value().strip()
    if raw.lower() in _PLACEHOLDERS or not valid(raw):
        raise ValueError(expected)
    return SecretStr(raw)


WebhookSecret = Annotated[SecretStr | None, AfterValidator(_webhook_secret)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
OptionalHttpUrl = Annotated[str | None, AfterValidator(_http_url)]
OptionalHttpsUrl = Annotated[str | None, AfterValidator(https_url)]


class TelegramSettings(_Section):
    bot_token: SecretStr | None = None
    api_base_url: HttpUrl = "https://api.telegram.org/bot"
    file_base_url: HttpUrl = "https://api.telegram.org/file/bot"
    # https:// for Telegram's servers; http:// only with a self-hosted Bot API server.
    webhook_url: OptionalHttpUrl = None
    webhook_secret: WebhookSecret = None
    # Requests Telegram keeps open to the webhook at once (its default 40, at most 100).
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # Overall sending limit: 30/s on Telegram's servers; more with paid broadcasts or a
    # self-hosted Bot API server (up to 1000/s).
    max_messages_per_second: int = Field(default=30, ge=1, le=1000)

    @field_validator("bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        return _token(
            value,
            valid=lambda raw: bool(_TELEGRAM_TOKEN.match(raw)),
            expected="the token @BotFather gave, like 123456789:AAE...",
        )


class ZaloSettings(_Section):
    bot_token: SecretStr | None = None
    api_base_url: HttpUrl = "https://bot-api.zaloplatforms.com"
    webhook_url: OptionalHttpUrl = None  # https:// for Zalo's servers (see _check_together)
    webhook_secret: WebhookSecret = None
    # The bot's own link, as Zalo Bot Creator shows it (getMe does not give one): printed
    # on posters and by `youthbot link` beside Telegram's.
    bot_link: OptionalHttpsUrl = None

    @field_validator("bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        return _token(
            value,
            valid=lambda raw: len(raw) >= 20 and not any(c.isspace() for c in raw),
            expected="the token Zalo Bot Creator gave",
        )


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class SmtpSettingsModel(_Section):
    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None  # empty: no AUTH (a relay on the local network)
    password: SecretStr | None = None
    sender: str = "youthbot@localhost"
    starttls: bool = True
    use_tls: bool = False

    @field_validator("username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not _EMAIL.match(value.strip()):
            raise ValueError("an e-mail address")
        return value.strip()


class Settings:
    """All sections, read from the environment and ``env_file``."""

    def __init__(self, env_file: Path | None = Path(".env")) -> None:
        if env_file is not None and not env_file.exists():
            env_file = None
        sections: list[tuple[str, type[BaseSettings]]] = [
            ("YOUTHBOT_", CoreSettings),
            ("TELEGRAM_", TelegramSettings),
            ("ZALO_", ZaloSettings),
            ("YOUTHBOT_WEB_", WebSettings),
            ("SMTP_", SmtpSettingsModel),
        ]
        built: dict[str, BaseSettings] = {}
        for prefix, cls in sections:
            try:
                built[prefix] = cls(_env_file=env_file, _env_prefix=prefix)
            except ValidationError as exc:
                raise _describe(exc, prefix) from None
        self.core: CoreSettings = built["YOUTHBOT_"]  # type: ignore[assignment]
        self.telegram: TelegramSettings = built["TELEGRAM_"]  # type: ignore[assignment]
        self.zalo: ZaloSettings = built["ZALO_"]  # type: ignore[assignment]
        self.web: WebSettings = built["YOUTHBOT_WEB_"]  # type: ignore[assignment]
        self.smtp: SmtpSettingsModel = built["SMTP_"]  # type: ignore[assignment]
        _check_together(self)

    def with_core(self, **changes: Any) -> Settings:
        """A copy whose core section differs (the demo's own file, ``chat --db``)."""
        copy = Settings.__new__(Settings)
        copy.__dict__.update(self.__dict__)
        copy.core = self.core.model_copy(update=changes)
        return copy


def _describe(exc: ValidationError, prefix: str) -> ConfigError:
    error = exc.errors(include_url=False, include_input=False)[0]
    field = str(error["loc"][0]) if error["loc"] else "?"
    return ConfigError(f"{prefix}{field}".upper())


def _check_together(settings: Settings) -> None:
    """Rules across variables, each failure naming the variable to fix."""
    smtp = settings.smtp
    if smtp.username and (smtp.password is None or not smtp.password.get_secret_value()):
        raise ConfigError("SMTP_PASSWORD", "smtp_password_needed")
    if smtp.password is not None and smtp.password.get_secret_value() and not smtp.username:
        raise ConfigError("SMTP_USERNAME", "smtp_username_needed")
    for name, url, path, api in (
        (
            "TELEGRAM_WEBHOOK_URL",
            settings.telegram.webhook_url,
            "/telegram/webhook",
            settings.telegram.api_base_url,
        ),
        (
            "ZALO_WEBHOOK_URL",
            settings.zalo.webhook_url,
            "/zalo/webhook",
            settings.zalo.api_base_url,
        ),
    ):
        if not url:
            continue
        # The platforms deliver webhooks over HTTPS only; a self-hosted (or test) API
        # server on the operator's own network may call http://.
        official = urlsplit(api).hostname in _OFFICIAL_API_HOSTS
        if urlsplit(url).scheme != "https" and official:
            raise ConfigError(name)
        if not urlsplit(url).path.rstrip("/").endswith(path):
            raise ConfigError(name, f"{name}_path")


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    return Settings(env_file)
