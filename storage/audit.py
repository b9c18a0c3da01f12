"""The audit log: privileged actions and refused attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage import jsontext
from storage.db import Database
from storage.models import AuditEntry
from storage.times import from_utc_text, to_utc_text


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        action: str,
        *,
        at: datetime,
        actor_id: int | None = None,
        target: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        await self._db.defer(
            "INSERT INTO audit_log (at, actor_id, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            (
                to_utc_text(at),
                actor_id,
                action,
                target,
                jsontext.dumps(detail or {}),
            ),
        )

    async def recorded(self, action: str, target: str) -> bool:
        """Whether ``action`` was ever recorded for ``target`` (a step that records its
        end, such as the conclusion notice's messages all queued)."""
        found = await self._db.fetchval(
            "SELECT 1 FROM audit_log WHERE action = ? AND target = ? LIMIT 1", (action, target)
        )
        return found is not None

    async def entries(self, *, action: str | None = None, limit: int = 100) -> list[AuditEntry]:
        if action:
            rows = await self._db.fetchall(
                "SELECT * FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT ?",
                (action, limit),
            )
        else:
            rows = await self._db.fetchall(
                "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
            )
        return [
            AuditEntry(
                id=r["id"],
                at=from_utc_text(r["at"]),
                actor_id=r["actor_id"],
                action=r["action"],
                target=r["target"],
                detail=jsontext.loads(r["detail"]),
            )
            for r in rows
        ]
