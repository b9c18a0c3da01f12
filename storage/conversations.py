"""Conversation state: where each person is in the flow, and their draft."""

from __future__ import annotations

from datetime import datetime

from storage import jsontext
from storage.db import Database, Row, Script, count, hold, one
from storage.models import Conversation, Person
from storage.people import person_from_row
from storage.times import from_utc_text, to_utc_text

_WITH_PERSON = (
    "SELECT p.*, c.state AS c_state, c.step AS c_step, c.data AS c_data,"
    " c.updated_at AS c_updated_at FROM identities i JOIN people p ON p.id = i.person_id"
    " LEFT JOIN conversations c ON c.person_id = p.id"
    " WHERE i.channel = ? AND i.external_id = ?"
)


def _found(row: Row | None) -> tuple[Person, Conversation | None] | None:
    if row is None:
        return None
    person = person_from_row(row)
    if row["c_state"] is None:
        return person, None
    return person, Conversation(
        person.id,
        row["c_state"],
        row["c_step"],
        jsontext.loads(row["c_data"]),
        from_utc_text(row["c_updated_at"]),
    )


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, person_id: int) -> Conversation | None:
        row = await self._db.fetchone(
            "SELECT * FROM conversations WHERE person_id = ?", (person_id,)
        )
        if row is None:
            return None
        return Conversation(
            person_id=row["person_id"],
            state=row["state"],
            step=row["step"],
            data=jsontext.loads(row["data"]),
            updated_at=from_utc_text(row["updated_at"]),
        )

    async def save(self, conversation: Conversation, *, now: datetime) -> None:
        # A person erased or merged away while handling the event has no state to keep.
        # Deferred: it travels with the commit, the last step of handling an event.
        await self._db.defer(
            "INSERT INTO conversations (person_id, state, step, data, updated_at)"
            " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM people WHERE id = ?)"
            " ON CONFLICT(person_id) DO UPDATE SET"
            " state = excluded.state, step = excluded.step, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (
                conversation.person_id,
                conversation.state,
                conversation.step,
                jsontext.dumps(conversation.data),
                to_utc_text(now),
                conversation.person_id,
            ),
        )

    async def with_person(
        self, channel: str, external_id: str
    ) -> tuple[Person, Conversation | None] | None:
        """The person behind a channel identity and their conversation, in one query."""
        row = await self._db.fetchone(_WITH_PERSON, (channel, external_id))
        return _found(row)

    async def open_event(
        self, channel: str, external_id: str, *, update_id: str | None, now: datetime
    ) -> tuple[bool, tuple[Person, Conversation | None] | None]:
        """Record a platform update as processed and read who sent it, in one trip.

        Returns (new, found): ``new`` is False when ``update_id`` was processed before
        (a redelivery); ``found`` is the person and conversation, if known.
        """

        def steps() -> Script[tuple[bool, Row | None]]:
            # Another worker handling this person's earlier event finishes it first.
            yield hold(f"{channel}:{external_id}")
            if update_id is not None:
                new = yield count(
                    "INSERT INTO processed_updates (channel, update_id, at)"
                    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (channel, update_id, to_utc_text(now)),
                )
                if not new:
                    return False, None
            row = yield one(_WITH_PERSON, (channel, external_id))
            return True, row

        new, row = await self._db.script(steps)
        return new, _found(row) if new else None

    async def clear_stale(self, *, states: tuple[str, ...], before: datetime) -> int:
        """Drop drafts abandoned since before ``before`` (kept no longer than needed).
        Only a mark stays, so the person's next message is told the draft was dropped
        unsent (a press on its old "Gửi" read as a step already done)."""
        marks = ",".join("?" * len(states))
        dropped = 0
        if "supported" in states:
            # Left after joining a similar question: the code joined stays with the mark
            # (the person is told the support stands, not only "not sent").
            rows = await self._db.fetchall(
                "SELECT person_id, data FROM conversations"
                " WHERE state = 'supported' AND updated_at < ?",
                (to_utc_text(before),),
            )
            for r in rows:
                draft = jsontext.loads(r["data"]).get("draft") or {}
                mark: dict[str, object] = {"draft_expired": True}
                if draft.get("supported"):
                    mark["supported"] = str(draft["supported"])
                dropped += await self._db.execute_rowcount(
                    "UPDATE conversations SET state = 'idle', data = ?, step = step + 1"
                    " WHERE person_id = ? AND state = 'supported' AND updated_at < ?",
                    (jsontext.dumps(mark), r["person_id"], to_utc_text(before)),
                )
        return dropped + await self._db.execute_rowcount(
            "UPDATE conversations SET state = 'idle', data = ?, step = step + 1"
            f" WHERE state IN ({marks}) AND updated_at < ?",
            [jsontext.dumps({"draft_expired": True}), *states, to_utc_text(before)],
        )

    async def stale_drafts(
        self, *, states: tuple[str, ...], before: datetime
    ) -> list[Conversation]:
        """Conversations left in one of ``states`` since before ``before``."""
        marks = ",".join("?" * len(states))
        rows = await self._db.fetchall(
            f"SELECT * FROM conversations WHERE state IN ({marks}) AND updated_at < ?",
            [*states, to_utc_text(before)],
        )
        return [
            Conversation(
                r["person_id"],
                r["state"],
                r["step"],
                jsontext.loads(r["data"]),
                from_utc_text(r["updated_at"]),
            )
            for r in rows
        ]
