"""Queueing messages to people through the outbox (reminders, broadcasts, digests,
answers). Platform-independent: the sender in :mod:`bot.delivery.outbox` delivers them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from handlers.events import Attachment, AttachmentKind, Button, Reply
from storage import Store, jsontext
from storage.models import Identity
from storage.outbox import KEPT_FOR_RETURN, NewMessage


def _reply_data(reply: Reply, *, compact: bool = False) -> dict[str, Any]:
    """A reply as JSON data; ``compact`` leaves out what is empty (the reply outbox, where
    every byte is written once per event)."""
    data: dict[str, Any] = {"text": reply.text}
    if reply.buttons or not compact:
        data["buttons"] = [[[b.label, b.payload] for b in row] for row in reply.buttons]
    if reply.attachments or not compact:
        data["attachments"] = [
            {"path": str(a.path), "kind": a.kind.value, "caption": a.caption}
            for a in reply.attachments
        ]
    if reply.replaces_prompt:
        data["replaces_prompt"] = True
    if reply.listed:
        data["listed"] = reply.listed
    if reply.formal:
        data["formal"] = True
    return data


def _reply(data: dict[str, Any]) -> Reply:
    return Reply(
        text=data["text"],
        buttons=tuple(
            tuple(Button(label, p) for label, p in row) for row in data.get("buttons", [])
        ),
        attachments=tuple(
            Attachment(Path(a["path"]), AttachmentKind(a["kind"]), a.get("caption", ""))
            for a in data.get("attachments", [])
        ),
        replaces_prompt=bool(data.get("replaces_prompt", False)),
        listed=int(data.get("listed", 0)),
        formal=bool(data.get("formal", False)),
    )


def encode_reply(reply: Reply) -> str:
    return jsontext.dumps(_reply_data(reply))


def decode_reply(body: str) -> Reply:
    return _reply(jsontext.loads(body))


def encode_replies(replies: Sequence[Reply], *, prompt: str | None) -> str:
    """The replies to one event as stored in the reply outbox; ``prompt`` is the id of the
    message whose button was pressed (the adapter may edit it in place)."""
    return jsontext.dumps(
        {"replies": [_reply_data(r, compact=True) for r in replies], "prompt": prompt}
    )


def decode_replies(body: str) -> tuple[list[Reply], str | None]:
    data = jsontext.loads(body)
    prompt = data.get("prompt")
    return [_reply(r) for r in data.get("replies", [])], str(prompt) if prompt else None


CHANNEL_PREFERENCE = ("telegram", "zalo", "terminal", "demo")


async def queue_for_person(
    store: Store,
    person_id: int,
    reply: Reply,
    *,
    kind: str,
    now: datetime,
    dedup_key: str | None = None,
    batch_id: int | None = None,
    channels: tuple[str, ...] = CHANNEL_PREFERENCE,
) -> bool:
    """Queue ``reply`` to a person on their preferred reachable channel.

    Returns False when the person cannot be reached (blocked the bot, no identity) or the
    ``dedup_key`` was queued before. Channels not in ``channels`` come last. (An answer
    to a person who blocked the bot is kept for their return: see :func:`_queue`.)
    """
    queued = await queue_for_people(
        store,
        [person_id],
        reply,
        kind=kind,
        now=now,
        dedup_key=(lambda _: dedup_key) if dedup_key is not None else None,
        batch_id=batch_id,
        channels=channels,
    )
    return queued == 1


async def queue_for_people(
    store: Store,
    person_ids: Sequence[int],
    reply: Reply,
    *,
    kind: str,
    now: datetime,
    dedup_key: Callable[[int], str] | None = None,
    batch_id: int | None = None,
    channels: tuple[str, ...] = CHANNEL_PREFERENCE,
) -> int:
    """Queue the same ``reply`` to many people (a broadcast) with one identity query and
    one insert; returns how many were queued."""
    body = encode_reply(reply)
    return await _queue(
        store,
        [(p, body, dedup_key(p) if dedup_key is not None else None) for p in person_ids],
        kind=kind,
        now=now,
        batch_id=batch_id,
        channels=channels,
    )


async def queue_each(
    store: Store,
    messages: Sequence[tuple[int, Reply, str]],
    *,
    kind: str,
    now: datetime,
    channels: tuple[str, ...] = CHANNEL_PREFERENCE,
) -> int:
    """Queue a different reply to each of many people — (person id, reply, dedup key) —
    with one identity query and one insert (answers and the conclusion notice, which quote
    each person's own question); returns how many were queued."""
    return await _queue(
        store,
        [(p, encode_reply(reply), key) for p, reply, key in messages],
        kind=kind,
        now=now,
        channels=channels,
    )


async def _queue(
    store: Store,
    messages: Sequence[tuple[int, str, str | None]],
    *,
    kind: str,
    now: datetime,
    batch_id: int | None = None,
    channels: tuple[str, ...],
) -> int:
    """Queue (person id, encoded reply, dedup key) on each person's preferred reachable
    channel; returns how many were queued to go now.

    A person who blocked the bot on every app is skipped, except for the kinds kept for
    their return (:data:`storage.outbox.KEPT_FOR_RETURN`: an answer to their question, the
    conclusion notice, a notice about their own question): those are stored ``blocked`` on
    their preferred app and go out when they come back on any app. A broadcast they miss
    is not kept: it announces what is past by then."""
    wanted = list(dict.fromkeys(p for p, _, _ in messages))
    identities = await store.people.reachable_identities(wanted)
    held: dict[int, list[Identity]] = {}
    if kind in KEPT_FOR_RETURN:
        absent = [p for p in wanted if p not in identities]
        if absent:
            held = await store.people.all_identities(absent)
    rank = {name: i for i, name in enumerate(channels)}
    now_rows: list[NewMessage] = []
    kept_rows: list[NewMessage] = []
    for person_id, body, key in messages:
        found = identities.get(person_id) or held.get(person_id)
        if not found:
            continue
        identity = min(found, key=lambda i: rank.get(i.channel, len(rank)))
        rows = now_rows if person_id in identities else kept_rows
        rows.append(
            NewMessage(
                person_id=person_id,
                channel=identity.channel,
                chat_id=identity.chat_id,
                kind=kind,
                body=body,
                dedup_key=key,
                batch_id=batch_id,
                held=person_id not in identities,
            )
        )
    if kept_rows:
        await store.outbox.enqueue(kept_rows, now=now)
    return await store.outbox.enqueue(now_rows, now=now) if now_rows else 0
