"""People and their channel identities, consents. A person has one internal id and one
identity per chat platform (platform ids stored as text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.db import Database, Row, Script, count, one, update_statement
from storage.models import Identity, Person
from storage.outbox import KEPT_FOR_RETURN
from storage.times import to_utc_text

EDITABLE = frozenset({"full_name", "display_name", "unit_id", "category", "language", "anonymous"})


# Found by one identity, the person is unreachable when that identity is blocked (they
# may still be reached on another app).
_BY_IDENTITY = (
    "SELECT p.*, i.blocked AS identity_blocked FROM people p"
    " JOIN identities i ON i.person_id = p.id WHERE i.channel = ? AND i.external_id = ?"
)

# people.unreachable: every identity of the person is blocked.
_RECOUNT_REACHABLE = (
    "UPDATE people SET unreachable = CASE WHEN EXISTS (SELECT 1 FROM identities i"
    " WHERE i.person_id = people.id AND i.blocked = 0) THEN 0 ELSE 1 END WHERE id = ?"
)


def person_from_row(row: Row, *, identity_blocked: bool = False) -> Person:
    return Person(
        id=row["id"],
        full_name=row["full_name"],
        display_name=row["display_name"],
        unit_id=row["unit_id"],
        category=row["category"],
        language=row["language"],
        anonymous=bool(row["anonymous"]),
        unreachable=bool(row["unreachable"]) or identity_blocked,
    )


def _by_identity(row: Row) -> Person:
    return person_from_row(row, identity_blocked=bool(row["identity_blocked"]))


class PersonRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.erased_chats: set[tuple[str, str]] = set()
        """(channel, chat id) of people who just erased their data (/xoa): the reply
        stored with the erasure takes the chat off this set and is marked, so that once it
        is delivered the WAL is cleared again (:mod:`bot.delivery.replies`)."""

    async def by_identity(self, channel: str, external_id: str) -> Person | None:
        """The person behind a channel identity; ``unreachable`` when that identity is
        blocked (they blocked the bot on that app)."""
        row = await self._db.fetchone(_BY_IDENTITY, (channel, external_id))
        return _by_identity(row) if row else None

    async def get_or_create(
        self,
        *,
        channel: str,
        external_id: str,
        chat_id: str,
        display_name: str | None,
        language: str,
        now: datetime,
    ) -> tuple[Person, bool]:
        """The person behind a channel identity, created on first contact (one trip)."""
        at = to_utc_text(now)

        def steps() -> Script[tuple[Row, bool]]:
            row = yield one(_BY_IDENTITY, (channel, external_id))
            if row is not None:
                return row, False
            row = yield one(
                "INSERT INTO people (display_name, language, created_at, updated_at)"
                " VALUES (?, ?, ?, ?) RETURNING *",
                (display_name, language, at, at),
            )
            assert row is not None
            yield count(
                "INSERT INTO identities (person_id, channel, external_id, chat_id, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (row["id"], channel, external_id, chat_id, at),
            )
            return row, True

        row, created = await self._db.script(steps)
        return (_by_identity(row) if not created else person_from_row(row)), created

    async def get(self, person_id: int) -> Person | None:
        row = await self._db.fetchone("SELECT * FROM people WHERE id = ?", (person_id,))
        return person_from_row(row) if row else None

    async def update(self, person_id: int, *, now: datetime, **fields: Any) -> None:
        sql, params = update_statement(
            "people", person_id, fields, editable=EDITABLE, now=to_utc_text(now)
        )
        if fields:
            await self._db.defer(sql, params)

    async def set_blocked(self, channel: str, external_id: str, *, blocked: bool) -> None:
        """The person blocked the bot on this identity (``blocked``), or came back on it:
        that app is not used (is used again) to reach them; the person is unreachable
        when every identity of theirs is blocked.

        Coming back, in the same transaction, the messages kept for them while they could
        not be reached (answers to their questions and the like, see
        :data:`storage.outbox.KEPT_FOR_RETURN`) are queued to this chat. Broadcasts and
        reminders they missed stay undelivered (past)."""
        await self._set_blocked(
            "channel = ? AND external_id = ?", (channel, external_id), blocked=blocked
        )

    async def set_chat_blocked(self, person_id: int, channel: str, chat_id: str) -> None:
        """A send to the person's chat on ``channel`` was refused: they blocked the bot
        there (see :meth:`set_blocked`)."""
        await self._set_blocked(
            "person_id = ? AND channel = ? AND chat_id = ?",
            (person_id, channel, chat_id),
            blocked=True,
        )

    async def _set_blocked(self, where: str, params: tuple[object, ...], *, blocked: bool) -> None:
        async with self._db.transaction():
            person_id = await self._db.fetchval(
                f"SELECT person_id FROM identities WHERE {where}", params
            )
            if person_id is None:
                return
            await self._db.execute(
                f"UPDATE identities SET blocked = ? WHERE {where}", (int(blocked), *params)
            )
            await self._db.execute(_RECOUNT_REACHABLE, (person_id,))
            if not blocked:
                row = await self._db.fetchone(
                    f"SELECT channel, chat_id FROM identities WHERE {where}", params
                )
                assert row is not None
                await self._release_kept(person_id, row["channel"], row["chat_id"])

    async def _release_kept(self, person_id: int, channel: str, chat_id: str) -> None:
        """The person is back on (channel, chat id): what was kept for them goes there,
        whole unless it was for that same chat (a long one goes on from the part after
        those delivered)."""
        marks = ",".join("?" * len(KEPT_FOR_RETURN))
        await self._db.execute(
            "UPDATE outbox SET status = 'pending', error = NULL, attempts = 0,"
            " claimed_by = NULL, parts_done = CASE WHEN channel = ? AND chat_id = ?"
            " THEN parts_done ELSE 0 END, channel = ?, chat_id = ?"
            f" WHERE person_id = ? AND status = 'blocked' AND kind IN ({marks})",
            (channel, chat_id, channel, chat_id, person_id, *KEPT_FOR_RETURN),
        )

    async def reachable_identities(self, person_ids: Sequence[int]) -> dict[int, list[Identity]]:
        """Identities of the given people who can still be messaged (one query per 500)."""
        rows = await self._db.fetchall_in(
            "SELECT i.* FROM identities i JOIN people p ON p.id = i.person_id"
            " WHERE p.unreachable = 0 AND i.blocked = 0 AND i.person_id IN ({marks})"
            " ORDER BY i.created_at",
            person_ids,
        )
        return _identities_by_person(rows)

    async def all_identities(self, person_ids: Sequence[int]) -> dict[int, list[Identity]]:
        """Every identity of the given people, blocked ones too (one query per 500)."""
        rows = await self._db.fetchall_in(
            "SELECT * FROM identities WHERE person_id IN ({marks}) ORDER BY created_at",
            person_ids,
        )
        return _identities_by_person(rows)

    async def identities(self, person_id: int) -> list[Identity]:
        rows = await self._db.fetchall(
            "SELECT * FROM identities WHERE person_id = ? ORDER BY created_at", (person_id,)
        )
        return [
            Identity(r["person_id"], r["channel"], r["external_id"], r["chat_id"]) for r in rows
        ]

    async def merge(self, source: int, target: int) -> None:
        """Move everything of ``source`` to ``target`` (identity linking), then drop it."""
        async with self._db.transaction():
            # Opting out of reminders on either app holds for the linked person.
            await self._db.execute(
                "UPDATE people SET reminders_opt_out = 1 WHERE id = ?"
                " AND (SELECT reminders_opt_out FROM people WHERE id = ?) = 1",
                (target, source),
            )
            tables = ("identities", "questions", "consents", "roles", "outbox", "reply_outbox")
            for table in (*tables, "answer_feedback"):
                await self._db.execute(
                    f"UPDATE {table} SET person_id = ? WHERE person_id = ?", (target, source)
                )
            # A question both supported keeps one support (the target's).
            await self._db.execute(
                "INSERT INTO supports (question_id, person_id, unit_id, created_at)"
                " SELECT question_id, ?, unit_id, created_at FROM supports WHERE person_id = ?"
                " ON CONFLICT DO NOTHING",
                (target, source),
            )
            await self._db.execute("DELETE FROM supports WHERE person_id = ?", (source,))
            await self._db.execute("DELETE FROM people WHERE id = ?", (source,))
            # Reachable when either app still reaches them.
            await self._db.execute(_RECOUNT_REACHABLE, (target,))

    async def erase(self, person_id: int) -> None:
        """Delete a person's personal data (consent withdrawn): name, identities, drafts.

        Their questions stay as anonymous text so the campaign's counts stay true, with
        nothing that could point to them: no name, no category ("nhóm đối tượng": an
        ethnic-minority youth in a small commune is easy to find), the unit coarsened to
        the campaign's host and the time to the day.
        The person's chats are noted in :attr:`erased_chats`: the reply confirming the
        erasure still has to reach them.
        """
        self.erased_chats.update(await self._erase(person_id))

    async def _erase(self, person_id: int) -> list[tuple[str, str]]:
        async with self._db.transaction():
            chats = await self._db.fetchall(
                "SELECT channel, chat_id FROM identities WHERE person_id = ?", (person_id,)
            )
            await self._db.execute(
                "UPDATE questions SET asker_name = NULL, anonymous = 1, person_id = NULL,"
                " category = NULL,"
                " unit_id = (SELECT c.host_unit_id FROM campaigns c"
                "   WHERE c.id = questions.campaign_id),"
                " created_at = substr(created_at, 1, 10) || 'T00:00:00+00:00',"
                " updated_at = substr(updated_at, 1, 10) || 'T00:00:00+00:00'"
                " WHERE person_id = ?",
                (person_id,),
            )
            await self._db.execute(
                "UPDATE answer_feedback SET person_id = NULL,"
                " created_at = substr(created_at, 1, 10) || 'T00:00:00+00:00'"
                " WHERE person_id = ?",
                (person_id,),
            )
            await self._db.execute("DELETE FROM people WHERE id = ?", (person_id,))
            # The erased rows are zeroed (secure_delete); the WAL still holds the pages
            # as they were until a checkpoint, which a quiet bot may not reach for hours.
            self._db.checkpoint_after_commit()
        return [(r["channel"], r["chat_id"]) for r in chats]

    async def erase_inactive(self, *, before: datetime) -> int:
        """Erase people with no activity since ``before`` and no active role."""
        rows = await self._db.fetchall(
            "SELECT p.id FROM people p WHERE p.updated_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM roles r"
            "   WHERE r.person_id = p.id AND r.revoked_at IS NULL)"
            " AND NOT EXISTS (SELECT 1 FROM questions q"
            "   WHERE q.person_id = p.id AND q.created_at >= ?)"
            " AND NOT EXISTS (SELECT 1 FROM conversations c"
            "   WHERE c.person_id = p.id AND c.updated_at >= ?)",
            (to_utc_text(before),) * 3,
        )
        for row in rows:
            await self._erase(row["id"])  # nobody waits for a reply
        return len(rows)

    async def audience(
        self,
        audience: str,
        *,
        unit_id: int | None = None,
        host_unit_id: int | None = None,
        province_code: str | None = None,
        unplaced: bool = False,
        wants_reminders: bool = False,
    ) -> list[int]:
        """People a broadcast or reminder reaches (reachable ones only; ``wants_reminders``
        leaves out those who turned reminders off). Young people: of ``province_code``'s
        units (and, with ``unplaced``, those who chose no unit yet), or of
        ``host_unit_id``, or all."""
        if audience == "youth":
            # Young people who consented; a commune campaign reaches its own commune only.
            sql = (
                "SELECT DISTINCT p.id FROM people p JOIN consents c ON c.person_id = p.id"
                " AND c.withdrawn_at IS NULL WHERE p.unreachable = 0"
            )
            params: list[object] = []
            if province_code is not None:
                place = "p.unit_id IN (SELECT id FROM units WHERE province_code = ?)"
                if unplaced:
                    place = f"({place} OR p.unit_id IS NULL)"
                sql += " AND " + place
                params.append(province_code)
            elif host_unit_id is not None:
                sql += " AND p.unit_id = ?"
                params.append(host_unit_id)
        elif audience == "unit":
            sql = (
                "SELECT DISTINCT p.id FROM people p JOIN consents c ON c.person_id = p.id"
                " AND c.withdrawn_at IS NULL WHERE p.unreachable = 0 AND p.unit_id = ?"
            )
            params = [unit_id]
        elif audience in ("secretaries", "departments"):
            role = "secretary" if audience == "secretaries" else "department"
            sql = (
                "SELECT DISTINCT p.id FROM people p JOIN roles r ON r.person_id = p.id"
                " WHERE r.revoked_at IS NULL AND r.role = ? AND p.unreachable = 0"
            )
            params = [role]
        else:
            raise ValueError(f"unknown audience {audience!r}")
        if wants_reminders:
            sql += " AND p.reminders_opt_out = 0"
        rows = await self._db.fetchall(sql + " ORDER BY p.id", params)
        return [r["id"] for r in rows]

    async def languages(self, person_ids: Sequence[int]) -> dict[int, str]:
        """Each person's language, for many people at once (one query per 500)."""
        rows = await self._db.fetchall_in(
            "SELECT id, language FROM people WHERE id IN ({marks})", person_ids
        )
        return {r["id"]: r["language"] for r in rows}

    async def set_reminders_opt_out(self, person_id: int, opt_out: bool) -> None:
        await self._db.execute(
            "UPDATE people SET reminders_opt_out = ? WHERE id = ?", (int(opt_out), person_id)
        )

    async def reminders_opt_out(self, person_id: int) -> bool:
        value = await self._db.fetchval(
            "SELECT reminders_opt_out FROM people WHERE id = ?", (person_id,)
        )
        return bool(value)

    # -- consent ---------------------------------------------------------------------

    async def grant_consent(self, person_id: int, *, version: str, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO consents (person_id, version, granted_at) VALUES (?, ?, ?)",
            (person_id, version, to_utc_text(now)),
        )

    async def has_consent(self, person_id: int, *, version: str) -> bool:
        value = await self._db.fetchval(
            "SELECT 1 FROM consents WHERE person_id = ? AND version = ? AND withdrawn_at IS NULL",
            (person_id, version),
        )
        return value is not None

    async def has_any_consent(self, person_id: int) -> bool:
        """Whether the person has a consent in force, of any version."""
        value = await self._db.fetchval(
            "SELECT 1 FROM consents WHERE person_id = ? AND withdrawn_at IS NULL", (person_id,)
        )
        return value is not None

    async def withdraw_consent(self, person_id: int, *, now: datetime) -> None:
        await self._db.execute(
            "UPDATE consents SET withdrawn_at = ? WHERE person_id = ? AND withdrawn_at IS NULL",
            (to_utc_text(now), person_id),
        )


def _identities_by_person(rows: Sequence[Row]) -> dict[int, list[Identity]]:
    found: dict[int, list[Identity]] = {}
    for r in rows:
        found.setdefault(r["person_id"], []).append(
            Identity(r["person_id"], r["channel"], r["external_id"], r["chat_id"])
        )
    return found
