"""A recording channel for engine tests: send events, read replies, press buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from handlers.engine import Engine
from handlers.events import Button, Event, EventKind, Reply

_ids = count(1)


@dataclass
class Talker:
    """One person talking to the engine on one channel; keeps the transcript."""

    engine: Engine
    user_id: str = "1001"
    channel: str = "test"
    language: str | None = "vi"
    transcript: list[tuple[str, list[Reply]]] = field(default_factory=list)

    async def event(self, kind: EventKind, **fields: object) -> list[Reply]:
        event = Event(
            channel=self.channel,
            user_id=self.user_id,
            kind=kind,
            language_code=self.language,
            update_id=str(next(_ids)),
            **fields,  # type: ignore[arg-type]
        )
        replies = await self.engine.handle(event)
        self.transcript.append((f"{kind}:{fields}", replies))
        return replies

    async def say(self, text: str) -> list[Reply]:
        if text.startswith("/"):
            name, _, rest = text[1:].partition(" ")
            return await self.event(
                EventKind.COMMAND, command=name, text=rest, payload=rest or None
            )
        return await self.event(EventKind.TEXT, text=text)

    async def press(self, label: str) -> list[Reply]:
        """Press the button whose label contains ``label`` on the latest prompt."""
        button = self.button(label)
        return await self.event(EventKind.BUTTON, payload=button.payload)

    async def press_payload(self, payload: str) -> list[Reply]:
        return await self.event(EventKind.BUTTON, payload=payload)

    def last_prompt(self) -> Reply:
        for _, replies in reversed(self.transcript):
            for reply in reversed(replies):
                if reply.buttons:
                    return reply
        raise AssertionError("no prompt with buttons yet")

    def button(self, label: str) -> Button:
        for b in self.last_prompt().choices:
            if label.lower() in b.label.lower():
                return b
        labels = [b.label for b in self.last_prompt().choices]
        raise AssertionError(f"no button {label!r} in {labels}")

    @property
    def last_text(self) -> str:
        replies = self.transcript[-1][1]
        return "\n".join(r.text for r in replies)
