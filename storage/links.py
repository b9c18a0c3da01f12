"""One-time codes that link a person's identities on two channels (Zalo and Telegram).

A code is issued on one channel and typed on the other; only its sha256 is stored, with
the person and channel that issued it. A person has at most one unused code at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, Row
from storage.times import from_utc_text, to_utc_text

#: The audit action of a refused code; failures are counted from the audit log.
LINK_FAILED_ACTION = "identity.link_failed"


@dataclass(frozen=True, slots=True)
class LinkCode:
    id: int
    person_id: int
    channel: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def _code(row: Row) -> LinkCode:
    return LinkCode(
        id=row["id"],
        person_id=row["person_id"],
        channel=row["channel"],
        created_at=from_utc_text(row["created_at"]),
        expires_at=from_utc_text(row["expires_at"]),
        used_at=from_utc_text(row["used_at"]) if row["used_at"] else None,
    )


class LinkRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def in_use(self, code_hash: str, *, now: datetime) -> bool:
        """Whether an unused, unexpired code has this hash (a new code must differ)."""
        value = await self._db.fetchval(
            "SELECT 1 FROM link_codes WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
            (code_hash, to_utc_text(now)),
        )
        return value is not None

    async def issue(
        self,
        *,
        code_hash: str,
        person_id: int,
        channel: str,
        now: datetime,
        expires_at: datetime,
    ) -> int:
        """Store a new code for ``person_id``; their earlier codes and expired ones go."""
        async with self._db.transaction():
            await self._db.execute(
                "DELETE FROM link_codes WHERE (person_id = ? AND used_at IS NULL)"
                " OR expires_at <= ?",
                (person_id, to_utc_text(now)),
            )
            return await self._db.execute(
                "INSERT INTO link_codes (code_hash, person_id, channel, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (code_hash, person_id, channel, to_utc_text(now), to_utc_text(expires_at)),
            )

    async def find(self, code_hash: str) -> LinkCode | None:
        """The most recent code with this hash, used or not, expired or not."""
        row = await self._db.fetchone(
            "SELECT * FROM link_codes WHERE code_hash = ? ORDER BY id DESC LIMIT 1", (code_hash,)
        )
        return _code(row) if row else None

    async def mark_used(self, code_id: int, *, now: datetime) -> bool:
        """Use the code once; False when it was already used."""
        count = await self._db.execute_rowcount(
            "UPDATE link_codes SET used_at = ? WHERE id = ? AND used_at IS NULL",
            (to_utc_text(now), code_id),
        )
        return count > 0

    async def failures_since(self, person_id: int, since: datetime) -> int:
        """Refused codes typed by ``person_id`` since ``since`` (from the audit log)."""
        value = await self._db.fetchval(
            "SELECT COUNT(*) FROM audit_log WHERE action = ? AND actor_id = ? AND at >= ?",
            (LINK_FAILED_ACTION, person_id, to_utc_text(since)),
        )
        return int(value or 0)
