"""Helpers shared by the Telegram adapter tests (this module holds no tests).

Everything goes through python-telegram-bot's real HTTP stack to the fake Bot API in
``tests/fakes/telegram_api.py`` on 127.0.0.1; settings come from environment variables
like in production.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bot.application.app import App
from bot.application.config import Settings
from bot.channels.telegram import TelegramChannel, TelegramOptions
from handlers.events import Button, Event, EventKind, Reply
from tests.fakes.telegram_api import FakeTelegramAPI

# A token that passes bot.application.config's validation (the fake's default one does not).
TOKEN = "123456789:AAH-youthbot_fake_token_0123456789abcdef"
BOT_USERNAME = "youthbot_test_bot"

# Fast but otherwise production behaviour: no per-chat pause, short backoffs and polls.
FAST = TelegramOptions(
    per_chat_interval=0.0,
    poll_timeout=2,
    backoff_base=0.01,
    backoff_max=0.05,
    start_attempts=2,
    shutdown_timeout=5.0,
)


def telegram_app(
    base: App, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch, **env: str
) -> App:
    """An app on ``base``'s database and clock whose Telegram settings point at ``api``."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", api.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.bot_url)
    monkeypatch.setenv("TELEGRAM_FILE_BASE_URL", api.file_url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return App(settings=Settings(env_file=None), store=base.store, clock=base.clock)


def options(**changes: Any) -> TelegramOptions:
    return replace(FAST, **changes)


@contextlib.asynccontextmanager
async def running(channel: TelegramChannel) -> AsyncIterator[TelegramChannel]:
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


async def settle(
    api: FakeTelegramAPI,
    channel: TelegramChannel,
    timeout: float = 5.0,  # noqa: ASYNC109 - bounded polling of recorded state
) -> None:
    """Wait until every queued update was handled and confirmed (the offset moved past it)
    and every stored reply delivered."""
    await api.wait_for(
        lambda: (
            not api.pending_updates
            and channel.health()["in_flight"] == 0
            and channel.health()["replies_waiting"] == 0
        ),
        timeout,
        what="all updates handled and confirmed, all replies delivered",
    )


@dataclass
class Prompt:
    message_id: int
    buttons: list[list[tuple[str, str]]]  # rows of (label, callback data)

    def data(self, label: str) -> str:
        for row in self.buttons:
            for text, data in row:
                if label.lower() in text.lower():
                    return data
        raise AssertionError(f"no button {label!r} in {self.buttons}")


def latest_prompt(api: FakeTelegramAPI, chat_id: int) -> Prompt:
    """The bot's newest message to ``chat_id`` that shows callback buttons."""
    for call in reversed(api.calls):
        if not call.ok or call.method not in ("sendMessage", "editMessageText"):
            continue
        assert call.response is not None
        message = call.response["result"]
        if message["chat"]["id"] != chat_id:
            continue
        markup = call.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if rows and any("callback_data" in b for row in rows for b in row):
            return Prompt(
                message["message_id"],
                [[(b["text"], b["callback_data"]) for b in row] for row in rows],
            )
    raise AssertionError(f"no prompt with buttons sent to {chat_id}\n{api.summary()}")


def press(api: FakeTelegramAPI, user_id: int, label: str) -> dict[str, Any]:
    """The person taps the button labelled ``label`` on the bot's latest prompt."""
    prompt = latest_prompt(api, user_id)
    return api.push_callback(user_id, prompt.data(label), message_id=prompt.message_id)


def texts_since(api: FakeTelegramAPI, chat_id: int, start: int) -> list[str]:
    """Texts sent or edited into ``chat_id`` from call number ``start`` on."""
    found: list[str] = []
    for call in api.calls[start:]:
        if call.ok and call.method in ("sendMessage", "editMessageText"):
            assert call.response is not None
            if call.response["result"]["chat"]["id"] == chat_id:
                found.append(str(call.params.get("text")))
    return found


@dataclass
class EchoEngine:
    """A test double for the ENGINE, for adapter-rendering tests only.

    Records events and answers with ``respond(event)`` (default: echo the text back);
    ``fail`` makes ``handle`` raise; ``gate`` (when set) holds every call until opened.
    """

    respond: Callable[[Event], list[Reply]] | None = None
    fail: bool = False
    gate: asyncio.Event | None = None
    events: list[Event] = field(default_factory=list)

    async def handle(self, event: Event) -> list[Reply]:
        self.events.append(event)
        if self.gate is not None and event.text != "no-wait":
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("engine exploded: secret internals")
        if self.respond is not None:
            return self.respond(event)
        if event.kind == EventKind.BUTTON:
            return [Reply(f"pressed {event.payload}", replaces_prompt=True)]
        return [Reply(f"echo: {event.text}", buttons=((Button("Tiếp", "1.next"),),))]
