"""``youthbot``: the command line. Every failure is one clear line and an exit status."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from bot.application.config import ConfigError, Settings, load_settings
from bot.commands import CommandError, cli_language
from locales import Translator, translator
from storage import StorageError

# Explicit registration, in the order --help lists them.
COMMANDS = (
    "demo",
    "run",
    "chat",
    "units",
    "campaign",
    "export",
    "cluster",
    "clusters",
    "route",
    "answer",
    "digest",
    "link",
    "invite",
    "roles",
    "broadcast",
    "backup",
    "db",
)


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line that points to --help, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="youthbot",
        description="Collects young people's questions for the youth dialogues "
        "(đối thoại với thanh niên) on Telegram, Zalo and the terminal.",
    )
    parser.add_argument(
        "--env-file", type=Path, default=Path(".env"), help="settings file (default: ./.env)"
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=OneLineParser
    )
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"bot.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bot.commands.{name}":
                continue  # not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        settings = load_settings(args.env_file)
        args.settings = settings
        logging.basicConfig(
            level=settings.core.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        # httpx logs every URL, and Telegram URLs carry the token.
        httpx_log = logging.getLogger("httpx")
        previous = httpx_log.level
        httpx_log.setLevel(logging.WARNING)
        try:
            status: int = args.func(args)
        finally:
            httpx_log.setLevel(previous)  # main() may run inside a longer process (tests)
        return status
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"youthbot {args.command}: {exc}", file=sys.stderr)
        return exc.status
    except StorageError as exc:
        tr = _translator(args)
        print(f"youthbot: {tr('cli.database_error', error=exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        tr = _translator(args)
        print(f"youthbot: {tr('cli.interrupted')}", file=sys.stderr)
        return 130
    except Exception as exc:  # an operator sees one line; the traceback goes to the log
        logging.getLogger("youthbot").debug("unexpected error", exc_info=True)
        detail = redact(f"{type(exc).__name__}: {exc}", getattr(args, "settings", None))
        tr = _translator(args)
        print(
            f"youthbot {args.command}: {tr('cli.unexpected_error', detail=detail)}",
            file=sys.stderr,
        )
        return 1


def _translator(args: argparse.Namespace) -> Translator:
    """The CLI's language: from the settings, or from the environment when they failed."""
    return translator(cli_language(getattr(args, "settings", None)))


def redact(text: str, settings: Settings | None) -> str:
    """Remove every configured secret from ``text`` (error text may quote a URL)."""
    if settings is None:
        return text
    for secret in (
        settings.telegram.bot_token,
        settings.telegram.webhook_secret,
        settings.zalo.bot_token,
        settings.zalo.webhook_secret,
        settings.smtp.password,
    ):
        if secret is not None and secret.get_secret_value():
            text = text.replace(secret.get_secret_value(), "<secret>")
    password = urlsplit(settings.core.db).password if "://" in settings.core.db else None
    if password:  # YOUTHBOT_DB=postgresql://user:password@host/db
        text = text.replace(password, "<secret>")
    return text


def entry() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    entry()
