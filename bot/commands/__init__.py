"""CLI subcommands: each module exposes ``register(subparsers)``; its handler returns an
exit status (0 ok, 1 failure, 2 usage or configuration error)."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date, datetime
from typing import Any

from bot.application.app import App
from bot.application.config import Settings, load_settings
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


def cli_language(settings: Settings | None) -> str:
    """The language of the command line's own lines (results, errors).

    It is the settings' language; when the settings could not be loaded, the raw
    ``YOUTHBOT_LANGUAGE`` if it names a supported language, else the default.
    """
    if settings is not None:
        return settings.core.language
    code = os.environ.get("YOUTHBOT_LANGUAGE", "").strip().lower()
    return code if code in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


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


def run_async(coro: Coroutine[Any, Any, int]) -> int:
    return asyncio.run(coro)


def parse_date(text: str) -> date:
    """Accept 2025-08-05 and the Vietnamese 05/08/2025."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-08-05 or 05/08/2025")
