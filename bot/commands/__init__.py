"""CLI subcommands: each module exposes ``register(subparsers)``; its handler returns an
exit status (0 ok, 1 failure, 2 usage or configuration error)."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from dotenv import dotenv_values

from bot.application.app import App
from bot.application.config import Settings, load_settings
from bot.campaign.timeline import written_date
from locales import (
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    LocalizedError,
    Translator,
    translator,
)


class CommandError(Exception):
    """A one-line problem for the operator; ``status`` is the exit code."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# The language of --help, usage errors and argument checks: known before the settings are
# (argparse runs first), set by ``bot.cli.main`` around building and parsing.
HELP_LANGUAGE: ContextVar[str] = ContextVar("youthbot_help_language", default=DEFAULT_LANGUAGE)


def cli_language(settings: Settings | None) -> str:
    """The language of the command line's own lines (results, errors).

    It is the settings' language; when the settings could not be loaded, the raw
    ``YOUTHBOT_LANGUAGE`` if it names a supported language, else the default.
    """
    if settings is not None:
        return settings.core.language
    code = os.environ.get("YOUTHBOT_LANGUAGE", "").strip().lower()
    return code if code in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def startup_language(argv: Sequence[str]) -> str:
    """The operator's language before the settings are read: ``YOUTHBOT_LANGUAGE`` from the
    environment, else from the settings file (``--env-file``, default ``./.env``)."""
    code = os.environ.get("YOUTHBOT_LANGUAGE")
    if code is None:
        env_file = Path(".env")
        for index, arg in enumerate(argv):
            if arg == "--env-file" and index + 1 < len(argv):
                env_file = Path(argv[index + 1])
            elif arg.startswith("--env-file="):
                env_file = Path(arg.partition("=")[2])
        try:
            found = dotenv_values(env_file) if env_file.is_file() else {}
        except (OSError, UnicodeDecodeError):
            found = {}
        code = next((v for k, v in found.items() if k.upper() == "YOUTHBOT_LANGUAGE"), None)
    code = (code or "").strip().lower()
    return code if code in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def help_text(key: str, /, **kwargs: Any) -> str:
    """A --help sentence or metavar (``locales/*/cli_help.po``) in the operator's language."""
    return translator(HELP_LANGUAGE.get()).t(key, **kwargs)


def cli_tr(app: App) -> Translator:
    """The translator for a command's output (``tr("cli....")``)."""
    return translator(cli_language(app.settings))


Handler = Callable[[argparse.Namespace, App], Awaitable[int]]


def with_app(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """Adapt an async ``handler(args, app)`` into a CLI entry that opens the app."""

    def run(args: argparse.Namespace) -> int:
        settings: Settings = args.settings if hasattr(args, "settings") else load_settings()
        return run_async(_with_app(handler, args, settings))

    return run


async def _with_app(handler: Handler, args: argparse.Namespace, settings: Settings) -> int:
    async with await App.open(settings) as app:
        try:
            return await handler(args, app)
        except LocalizedError as exc:  # campaigns, timeline, units, links, channels...
            raise CommandError(exc.render(cli_tr(app)), exc.status) from exc


T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def parse_date(text: str) -> date:
    """Accept 2025-08-05 and the Vietnamese 05/08/2025, 05.08.2025, "ngày 5 tháng 8 năm
    2025" (:func:`bot.campaign.timeline.written_date`)."""
    found = written_date(text)
    if found is None:
        raise argparse.ArgumentTypeError(help_text("cli.arg.bad_date", text=text.strip()))
    return found


def whole_number(text: str) -> int:
    """A whole number (argparse's own message would name Python's ``int``)."""
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(help_text("cli.arg.bad_number", text=text)) from None


def threshold_value(text: str) -> float:
    """A similarity threshold: more than 0, at most 100 (``85`` or ``85,5``)."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        value = -1.0
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(help_text("cli.arg.bad_threshold", text=text))
    return value


def add_campaign_option(parser: argparse.ArgumentParser, *, help: str = "") -> None:
    """``--campaign``: a campaign by number or title (default: the only active one)."""
    parser.add_argument(
        "--campaign",
        type=campaign_ref,
        metavar=help_text("cli.help.metavar.campaign"),
        help=help or help_text("cli.help.campaign_option"),
    )


def campaign_option_after_actions(actions: argparse._SubParsersAction[Any]) -> None:
    """``--campaign`` also after the action ("programme show --campaign 7"), as after the
    command ("programme --campaign 7 show"); it was "không hiểu: --campaign 7"."""
    for action in actions.choices.values():
        action.add_argument(
            "--campaign",
            type=campaign_ref,
            default=argparse.SUPPRESS,  # absent here: the one given before the action stays
            metavar=help_text("cli.help.metavar.campaign"),
            help=help_text("cli.help.campaign_option"),
        )


def campaign_ref(text: str) -> int | str:
    """A campaign by number (``3``) or by a part of its title (``"Thái Nguyên 2026"``)."""
    text = text.strip()
    if not text:
        raise argparse.ArgumentTypeError(help_text("cli.arg.empty_campaign"))
    return int(text) if text.isdecimal() else text
