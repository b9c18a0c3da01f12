"""``youthbot run`` that kills itself (SIGKILL, as ``kill -9``) at a chosen point.

Used by ``tests/test_durable_replies.py`` and ``bench/reply_faults.py``: the production
process (``bot.cli.main(["run", ...])``) with one function wrapped so that its N-th call
ends the process without any clean-up, exactly between two steps of handling an event:

* ``KILL_AT=engine``: the engine handled the event, its transaction is not committed
  (nothing of it is stored; the update itself is, in the inbox);
* ``KILL_AT=commit``: the event's effects and replies are committed, no reply was sent;
* ``KILL_AT=sent``: a stored reply was delivered, the process did not forget it yet;
* ``KILL_AT=outbox-sent``: an outbox message (a broadcast's) was delivered and recorded,
  nothing after it was done (the broadcast's report, when it was the last);
* ``KILL_AT=reported``: a broadcast was marked reported (the end of that call);
* ``KILL_AT=outbox-delivered``: an outbox message (an answer's) was delivered, its
  delivery not recorded yet (it is still "in flight").

``KILL_NTH`` (default 1) says which call; ``KILL_CHANNEL`` (default ``telegram``) which
channel runs. Without ``KILL_AT`` it is plain ``youthbot run``.

    PYTHONPATH=. python -m tests.kill_points
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def _dies_at(nth: int, original: Callable[..., Any], *, after: bool) -> Callable[..., Any]:
    calls = 0

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth and not after:
            os.kill(os.getpid(), signal.SIGKILL)
        result = await original(*args, **kwargs)
        if calls == nth and after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    return wrapper


def install(point: str, nth: int, channel: str) -> None:
    from bot.delivery.replies import ReplySender
    from handlers.engine import Engine

    if point == "engine":  # inside the transaction: after handle(), before the commit
        Engine.handle = _dies_at(nth, Engine.handle, after=True)  # type: ignore[method-assign]
    elif point == "commit":  # committed, before the first send
        if channel == "zalo":
            from bot.channels.zalo import ZaloChannel as Adapter
        else:
            from bot.channels.telegram import TelegramChannel as Adapter  # type: ignore[assignment]
        Adapter.send_stored = _dies_at(nth, Adapter.send_stored, after=False)  # type: ignore[method-assign]
    elif point == "sent":  # delivered, before the row is forgotten
        ReplySender._delivered = _dies_at(nth, ReplySender._delivered, after=False)  # type: ignore[method-assign]
    elif point == "outbox-sent":
        from storage.outbox import OutboxRepository

        OutboxRepository.mark_sent = _dies_at(nth, OutboxRepository.mark_sent, after=True)  # type: ignore[method-assign]
    elif point == "outbox-delivered":
        from storage.outbox import OutboxRepository

        OutboxRepository.mark_sent = _dies_at(nth, OutboxRepository.mark_sent, after=False)  # type: ignore[method-assign]
    elif point == "reported":
        from storage.broadcasts import BroadcastRepository

        BroadcastRepository.mark_reported = _dies_at(  # type: ignore[method-assign]
            nth, BroadcastRepository.mark_reported, after=True
        )
    else:
        raise SystemExit(f"unknown KILL_AT {point!r}")


def main() -> int:
    channel = os.environ.get("KILL_CHANNEL", "telegram")
    point = os.environ.get("KILL_AT")
    if point:
        install(point, int(os.environ.get("KILL_NTH", "1")), channel)
    from bot.cli import main as cli

    return cli(["run", "--channel", channel])


if __name__ == "__main__":
    sys.exit(main())
