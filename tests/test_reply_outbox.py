"""The reply outbox and the update inbox in storage, and the reply sender's order and
retries, on real SQLite files (the channels' end-to-end tests are in
``test_durable_replies.py``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.channels.base import (
    ChannelBlocked,
    ChannelPermanentError,
    ChannelRateLimited,
    ChannelTransientError,
)
from bot.delivery.replies import Delivery, ReplySender, stored_content
from handlers.delivery import decode_replies, encode_replies
from handlers.events import Button, Reply
from storage import Store
from storage.db import Database
from storage.replies import ReplyRepository, StoredReply

NOW = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    opened = await Store.open(tmp_path / "replies.db")
    yield opened  # type: ignore[misc]
    await opened.close()


async def add(store: Store, chat: str, text: str, **kw: object) -> StoredReply:
    async with store.transaction():
        return await store.replies.add(
            "telegram", chat, chat, encode_replies([Reply(text)], prompt=None), now=NOW, **kw
        )


# ---- storage ------------------------------------------------------------------------------


def test_replies_round_trip_with_their_prompt() -> None:
    replies = [
        Reply("Cảm ơn bạn!", replaces_prompt=True),
        Reply("Chọn một:", buttons=((Button("A", "3.a"), Button("B", "3.b")),)),
        Reply("Đồng chí cần làm việc gì?", buttons=((Button("A", "4.a"),),), formal=True),
    ]
    assert decode_replies(encode_replies(replies, prompt="42")) == (replies, "42")
    assert decode_replies(encode_replies(replies, prompt=None))[1] is None


async def test_a_rollback_takes_the_reply_back_with_the_event(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction():
            await store.replies.add("telegram", "1", "1", "{}", now=NOW)
            raise RuntimeError("the handler failed")
    assert await store.replies.waiting() == 0
    kept = await add(store, "1", "sau đó")
    assert await store.replies.waiting() == 1
    assert kept.id >= 1


async def test_delivered_rows_go_with_the_next_transaction_or_soon(store: Store) -> None:
    first = await add(store, "1", "một")
    second = await add(store, "2", "hai")
    store.replies.delivered(first.id)
    assert await store.replies.waiting() == 2  # not written yet: it waits for a ride
    await add(store, "3", "ba")  # ...this transaction carries it
    assert await store.replies.waiting() == 2
    store.replies.delivered(second.id)
    await asyncio.sleep(0.2)  # nobody writes: it goes alone, a moment later
    assert await store.replies.waiting() == 1


async def test_a_rolled_back_ride_keeps_the_delete_for_the_next(store: Store) -> None:
    row = await add(store, "1", "một")
    store.replies.delivered(row.id)
    with pytest.raises(RuntimeError):
        async with store.transaction():
            await store.replies.add("telegram", "9", "9", "{}", now=NOW)
            raise RuntimeError("boom")
    await store.db.flush()
    assert await store.replies.waiting() == 0


async def test_a_crash_marks_what_a_dead_worker_held_and_a_clean_stop_frees(
    tmp_path: Path,
) -> None:
    path = tmp_path / "replies.db"
    async with await Store.open(path) as first:
        on_its_way = await add(first, "1", "đang gửi")
        refused = await add(first, "2", "bị từ chối")
        await first.replies.release([refused.id])  # an outage refused it outright
        untried = await add(first, "3", "chưa gửi", claimed=False)
    # The process died here: a new one (a new worker) takes over.
    async with await Store.open(path) as second:
        rows = await second.replies.recover("telegram")
        assert [(r.id, r.resent) for r in rows] == [
            (on_its_way.id, True),
            (refused.id, False),
            (untried.id, False),
        ]
        await second.replies.release([refused.id, untried.id])  # a clean stop
    async with await Store.open(path) as third:
        rows = await third.replies.recover("telegram")
        assert [r.resent for r in rows] == [True, False, False]  # marks are kept


async def test_ids_keep_growing_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "replies.db"
    async with await Store.open(path) as first:
        a = await add(first, "1", "một")
    async with await Store.open(path) as second:
        b = await add(second, "1", "hai")
    assert b.id > a.id


async def test_the_inbox_migration_keeps_unhandled_updates(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with await Database.open(path, migrate_to=8) as db:
        await db.execute(
            "INSERT INTO update_inbox (channel, update_id, payload, received_at)"
            " VALUES ('telegram', 41, '{\"update_id\": 41}', '2025-07-01T02:00:00+00:00')"
        )
    async with await Store.open(path) as store:
        stored = await store.updates.inbox("telegram")
        assert [(u.update_id, u.payload) for u in stored] == [("41", '{"update_id": 41}')]
        assert await store.updates.last_seq("telegram") == 41


async def test_handled_updates_leave_the_inbox_with_their_transaction(store: Store) -> None:
    await store.updates.receive("zalo", [("ab12", 1, "{}"), ("cd34", 2, "{}")], now=NOW)
    with pytest.raises(RuntimeError):
        async with store.transaction():
            await store.updates.handled("zalo", "ab12")
            raise RuntimeError("rolled back: still to handle")
    async with store.transaction():
        await store.updates.handled("zalo", "cd34")
    assert [u.update_id for u in await store.updates.inbox("zalo")] == ["ab12"]


# ---- the reply sender -----------------------------------------------------------------------


class ScriptedTransport:
    """A transport double that fails as scripted and records what it delivered (it stands
    for the platform; the sender under test is the real one)."""

    def __init__(self, failures: dict[str, list[Exception]]) -> None:
        self.failures = failures
        self.delivered: list[tuple[str, str]] = []
        self.tries = 0

    async def send_stored(self, delivery: Delivery) -> None:
        self.tries += 1
        chat = delivery.reply.chat_id
        script = self.failures.get(chat)
        if script:
            raise script.pop(0)
        replies, _ = stored_content(delivery.reply)
        self.delivered.append((chat, replies[0].text))
        delivery.done = 1

    async def wait_usable(self) -> None:
        return None


def sender(store: Store, transport: ScriptedTransport) -> ReplySender:
    return ReplySender(
        store,
        "telegram",
        transport,
        logger=logging.getLogger("test.replies"),
        backoff=lambda attempt: 0.01,
        probe_every=0.01,
    )


async def test_a_chat_keeps_its_order_through_failures_and_others_go_on(store: Store) -> None:
    transport = ScriptedTransport(
        {
            "1": [ChannelTransientError("500"), ChannelRateLimited(0.01)],
            "2": [ChannelPermanentError("400 message too long")],
        }
    )
    replies = sender(store, transport)
    for chat, text in [("1", "1a"), ("2", "2a"), ("1", "1b"), ("2", "2b"), ("3", "3a")]:
        row = await add(store, chat, text)
        await replies.deliver(row)
    assert await replies.wait_idle(5)
    per_chat = {c: [t for chat, t in transport.delivered if chat == c] for c in "123"}
    assert per_chat == {"1": ["1a", "1b"], "2": ["2b"], "3": ["3a"]}
    await store.db.flush()
    assert await store.replies.waiting() == 0  # delivered or dropped: none kept
    assert replies.stats["dropped"] == 1


async def test_a_person_who_blocked_the_bot_gets_nothing_more(store: Store) -> None:
    transport = ScriptedTransport({"1": [ChannelBlocked("403")]})
    replies = sender(store, transport)
    first = await add(store, "1", "một")
    second = await add(store, "1", "hai")
    replies.push(first)
    replies.push(second)
    assert await replies.wait_idle(5)
    assert transport.delivered == [] and transport.tries == 1
    assert await store.replies.waiting() == 0


async def test_an_outage_is_probed_one_row_at_a_time(store: Store) -> None:
    class Outage(ScriptedTransport):
        """Every send fails until ``until`` (time.monotonic())."""

        until = 0.0

        async def send_stored(self, delivery: Delivery) -> None:
            if asyncio.get_running_loop().time() < self.until:
                self.tries += 1
                raise ChannelTransientError("500 Internal Server Error")
            await super().send_stored(delivery)

    transport = Outage({})
    transport.until = asyncio.get_running_loop().time() + 0.5
    replies = ReplySender(
        store,
        "telegram",
        transport,
        logger=logging.getLogger("test.replies"),
        backoff=lambda attempt: 0.05,
        probe_every=0.05,
    )
    for n in range(20):
        replies.push(await add(store, str(n), f"r{n}"))
    assert await replies.wait_idle(10)
    assert len(transport.delivered) == 20
    # Each chat trying on its own every 0.05 s would make about 20 x 10 tries in 0.5 s;
    # in an outage one row probes at a time (the first tries of all 20 came before the
    # outage was known).
    assert transport.tries < 20 + 20, transport.tries


async def test_a_stop_frees_the_rows_it_never_tried(store: Store, tmp_path: Path) -> None:
    gate = asyncio.Event()

    class Slow(ScriptedTransport):
        async def send_stored(self, delivery: Delivery) -> None:
            await gate.wait()
            await super().send_stored(delivery)

    transport = Slow({})
    replies = sender(store, transport)
    first = await add(store, "1", "một")
    second = await add(store, "1", "hai")
    replies.push(first)
    replies.push(second)
    await asyncio.sleep(0.05)
    await replies.stop(0.05)  # the first was on its way (cut short), the second never tried
    rows = await ReplyRepository(store.db).recover("telegram")
    assert [(r.id, r.resent) for r in rows] == [(first.id, True), (second.id, False)]
