"""What every channel adapter (Telegram, Zalo, terminal) offers the rest of the bot.

Adapters map platform updates to :class:`handlers.events.Event` at the edge, feed them to
the engine and render :class:`handlers.events.Reply`. For messages that do not answer an
incoming event (reminders, broadcasts, digests, answers), the outbox sender calls
:meth:`Channel.deliver`, which raises the errors below so the outbox can react the same
way whatever the platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from handlers.events import Event, Reply
from locales import LocalizedError


class ChannelSetupError(LocalizedError):
    """A channel cannot run (no or refused token, API unreachable): one line naming what
    to fix, never a secret; the text is in ``locales/*/cli.po`` (``cli.channel.*``)."""

    status = 1


class DeliveryError(Exception):
    """Base class for delivery failures.

    ``parts_done``: of a reply sent as several messages (a long text), how many were
    delivered before the failure, counted from the reply's first message; the outbox's
    next try starts after them (:meth:`Channel.deliver`'s ``start``).
    """

    parts_done: int = 0

    def after(self, parts_done: int) -> DeliveryError:
        """This error, noting that the reply's first ``parts_done`` messages arrived."""
        self.parts_done = parts_done
        return self


class ChannelRateLimited(DeliveryError):
    """The platform asked us to wait ``retry_after`` seconds (HTTP 429)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:g} s")
        self.retry_after = retry_after


class ChannelBlocked(DeliveryError):
    """The person blocked the bot or cannot be reached (HTTP 403): stop messaging them."""


class ChannelTransientError(DeliveryError):
    """A network error, timeout or 5xx: retry later with backoff.

    ``maybe_delivered``: the request went out but its answer was lost (a timeout, a
    dropped connection), so the platform may have done the work: a retry may deliver the
    message twice, and is marked as a resend.
    """

    def __init__(self, message: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(message)
        self.maybe_delivered = maybe_delivered


class ChannelUnexplained(ChannelTransientError):
    """The platform answered an error this bot does not know (a code no platform fact
    explains, ``ok: false`` without one): retried with backoff as an outage is, but never
    given up, since nothing shows the message or its person at fault (the channel told
    the operator what to check)."""


class ChannelUnauthorized(DeliveryError):
    """The platform refuses the bot's token (401/404): nothing can be sent until the
    operator fixes it. Messages wait (they are not failed); the channel tells the operator
    and probes until the token works again."""


class ChannelPermanentError(DeliveryError):
    """The message itself was refused (400): retrying will not help."""


@dataclass(frozen=True)
class Capabilities:
    """What a platform can show; the engine's replies are rendered accordingly."""

    name: str
    text_limit: int
    buttons: bool
    files: bool
    edits: bool
    messages_per_second: float  # overall pacing for the outbox
    per_chat_interval: float  # seconds between two messages to one chat


class RateGate(Protocol):
    """A sending allowance shared with other workers (one token per message)."""

    async def acquire(self) -> None: ...


class Engine(Protocol):
    async def handle(self, event: Event) -> list[Reply]: ...


class Channel(Protocol):
    capabilities: Capabilities

    async def deliver(self, chat_id: str, reply: Reply, *, start: int = 0) -> bool | None:
        """Send one reply to ``chat_id`` (no engine involved); raise a DeliveryError.

        ``start``: the reply's first ``start`` messages were delivered by an earlier try
        (see :attr:`DeliveryError.parts_done`) and are not sent again. Returns True when
        part of it may have arrived twice (a retry after a lost answer).
        """
        ...


def merge_replies(replies: Sequence[Reply], *, limit: int) -> list[Reply]:
    """Join consecutive short replies into one message (fewer bubbles on a phone, fewer
    API calls): a reply without buttons or files is put in front of the next one when the
    joined text still fits in ``limit`` characters."""
    merged: list[Reply] = []
    for reply in replies:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and not previous.buttons
            and not previous.attachments
            and not reply.attachments
            and len(previous.text) + 2 + len(reply.text) <= limit
        ):
            merged[-1] = Reply(
                f"{previous.text}\n\n{reply.text}",
                buttons=reply.buttons,
                replaces_prompt=previous.replaces_prompt or reply.replaces_prompt,
                listed=reply.listed,
            )
        else:
            merged.append(reply)
    return merged
