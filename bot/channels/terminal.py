"""The terminal channel (``youthbot chat``): the same engine, buttons as numbered choices.

Useful for trying the flow without a chat token, for training Youth Union staff, and for
the demo. Typing a number picks a choice (the engine understands typed choices).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from bot.channels.base import Capabilities, Engine
from handlers.events import Event, EventKind, Reply
from locales import DEFAULT_LANGUAGE, translator
from storage import Store

CAPABILITIES = Capabilities(
    name="terminal",
    text_limit=100_000,
    buttons=False,
    files=True,
    edits=False,
    messages_per_second=1000.0,
    per_chat_interval=0.0,
)


def parse_line(line: str, *, user_id: str, language: str | None) -> Event:
    """Map one typed line to an engine event ("/start u-w01273", "2", free text)."""
    text = line.rstrip("\n")
    stripped = text.strip()
    now = datetime.now(UTC)
    if stripped.startswith("/") and len(stripped) > 1:
        name, _, rest = stripped[1:].partition(" ")
        return Event(
            channel="terminal",
            user_id=user_id,
            kind=EventKind.COMMAND,
            command=name.lower(),
            text=rest.strip(),
            payload=rest.strip() or None,
            language_code=language,
            at=now,
        )
    return Event(
        channel="terminal",
        user_id=user_id,
        kind=EventKind.TEXT,
        text=text,
        language_code=language,
        at=now,
    )


def render(reply: Reply, *, language: str) -> str:
    """Plain text with numbered choices, as on Zalo."""
    lines = [reply.text]
    choices = reply.choices
    if choices:
        lines += [f"  {i}. {b.label}" for i, b in reply.numbered_choices()]
        tr = translator(language)
        # One option: "(1 đến 1)" reads oddly. An official is addressed formally.
        suffix = ".formal" if reply.formal else ""
        lines.append(
            tr("choices.hint_one" + suffix)
            if len(choices) == 1
            else tr.n("choices.hint" + suffix, len(choices))
        )
    for attachment in reply.attachments:
        lines.append(f"  [{attachment.filename}] {attachment.path}")
    return "\n".join(lines)


class TerminalChannel:
    """Implements the Channel protocol for one person at a terminal."""

    capabilities = CAPABILITIES

    def __init__(self, out: TextIO = sys.stdout, *, language: str = "vi") -> None:
        self._out = out
        self.language = language

    async def deliver(self, chat_id: str, reply: Reply, *, start: int = 0) -> None:
        self._out.write(render(reply, language=self.language) + "\n\n")
        self._out.flush()


async def chat_loop(
    engine: Engine,
    *,
    user_id: str,
    language: str,
    read_line: Callable[[], str] = sys.stdin.readline,
    out: TextIO = sys.stdout,
    prompt: str = "> ",
    store: Store | None = None,
) -> None:
    """Read lines until end of input (Ctrl-D) or /thoat, answering each through the engine.

    ``store``: where the person's language is read after each line, so that the hints
    under the options follow a ``/ngonngu`` typed in the chat."""
    channel = TerminalChannel(out, language=language)
    # The engine speaks Vietnamese until asked otherwise: ``--lang en`` asks, as a person
    # would with /ngonngu, before the conversation starts.
    opening = ["/start"] if language == DEFAULT_LANGUAGE else [f"/ngonngu {language}", "/start"]
    for line in opening:
        for reply in await engine.handle(parse_line(line, user_id=user_id, language=language)):
            await channel.deliver(user_id, reply)
    while True:
        out.write(prompt)
        out.flush()
        line = await asyncio.to_thread(read_line)
        if not line or line.strip() in ("/thoat", "/exit", "/quit"):
            out.write("\n")
            return
        event = parse_line(line, user_id=user_id, language=language)
        replies = await engine.handle(event)
        # "/ngonngu en" typed here: the hints under the options follow the person's
        # language (they stayed in the one the chat was started with).
        person = await store.people.by_identity("terminal", user_id) if store else None
        if person is not None:
            channel.language = person.language
        for reply in replies:
            await channel.deliver(user_id, reply)
