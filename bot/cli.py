"""``youthbot``: the command line. Every failure is one clear line and an exit status."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from bot.application.config import ConfigError, Settings, load_settings
from bot.commands import (
    HELP_LANGUAGE,
    CommandError,
    cli_language,
    help_text,
    startup_language,
)
from locales import Translator, argparse_language, translator
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
    "departments",
    "route",
    "answer",
    "answers",
    "programme",
    "conclusion",
    "digest",
    "link",
    "invite",
    "roles",
    "broadcast",
    "backup",
    "db",
    "outbox",
)


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line that points to --help, exit status 2, in the operator's
    language (argparse's own words come from ``locales/argparse/``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, help_text("cli.usage_error", prog=self.prog, message=message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; its texts are in the language of ``HELP_LANGUAGE``."""
    parser = OneLineParser(
        prog="youthbot",
        description=help_text("cli.help.description"),
        epilog=help_text("cli.help.epilog"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.env_file"),
    )
    sub = parser.add_subparsers(
        title=help_text("cli.help.commands_title"),
        dest="command",
        required=True,
        metavar=help_text("cli.help.metavar.command"),
        parser_class=OneLineParser,
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


def parse(argv: Sequence[str], language: str) -> argparse.Namespace:
    """Build the parser and read ``argv``, every word in ``language``; ``SystemExit`` after
    --help (0) or a usage error (2), already printed as one line."""
    token = HELP_LANGUAGE.set(language)
    try:
        with argparse_language(language):
            parser = build_parser()
            args, extras = parser.parse_known_args(argv)
            if extras:
                hint = quoting_hint(argv, extras)
                if hint is None:
                    parser.error(help_text("cli.unrecognized", words=" ".join(extras)))
                parser.exit(2, f"youthbot: {hint}\n")
            return args
    finally:
        HELP_LANGUAGE.reset(token)


def quoting_hint(argv: Sequence[str], extras: Sequence[str]) -> str | None:
    """``--department Sở Nội vụ`` without quotes leaves "Nội vụ" over: say to quote it.

    The hint is given when the first word left over follows an option's value directly.
    """
    argv = list(argv)
    first = extras[0]
    if first.startswith("-") or first not in argv:
        return None
    index = argv.index(first)
    option = index - 2
    if option < 0 or not argv[option].startswith("--") or "=" in argv[option]:
        return None
    if argv[index - 1].startswith("-"):
        return None
    end = index
    while end < len(argv) and argv[end] in extras and not argv[end].startswith("-"):
        end += 1
    value = " ".join(argv[index - 1 : end])
    return help_text("cli.quote_hint", option=argv[option], value=value)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    language = startup_language(argv)
    try:
        args = parse(argv, language)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    args.startup_language = language  # not `language`: `link --language` is the poster's
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
        print(exc.render(_translator(args)), file=sys.stderr)
        return exc.status
    except BrokenPipeError:  # `youthbot units list | head`: the reader has what it wanted
        _drop_stdout()
        return 0
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
    """The CLI's language: from the settings, or as at start-up when they failed."""
    settings = getattr(args, "settings", None)
    if settings is None:
        return translator(getattr(args, "startup_language", None) or cli_language(None))
    return translator(cli_language(settings))


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so that flushing at exit does not fail again on
    the closed pipe (as the Python documentation advises for SIGPIPE)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test's capture
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


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
    status = main()
    try:
        sys.stdout.flush()  # output still buffered may meet a closed pipe only now
    except BrokenPipeError:
        _drop_stdout()
        status = 0
    sys.exit(status)


if __name__ == "__main__":
    entry()
