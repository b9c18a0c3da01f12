"""Document issuers of a campaign ("cơ quan ban hành", signer, "Nơi nhận"): stored settings.

One row per campaign, level and target ('' = the whole level, else one unit's code); a
``None`` field inherits. Resolving rows into what a document prints (defaults, placeholders)
is :mod:`bot.documents.issuers`' job; this module only stores and returns them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from storage import jsontext
from storage.db import Database, Row
from storage.times import to_utc_text

#: The question documents' levels, then the documents after the questions (issue 16).
LEVELS = (
    "province",
    "commune",
    "school",
    "department",
    "answers",
    "programme",
    "conclusion",
    "report",
)


@dataclass(frozen=True, slots=True)
class IssuerRow:
    """Stored settings of one level (``target == ""``) or one unit; ``None`` = inherit."""

    campaign_id: int
    level: str
    target: str = ""
    issuer: str | None = None
    issuer_parent: str | None = None
    letterhead: str | None = None
    symbol: str | None = None
    number: str | None = None
    place: str | None = None
    signer_authority: str | None = None
    signer_title: str | None = None
    signer_name: str | None = None
    recipients: tuple[str, ...] | None = None
    archive: str | None = None


#: The fields an edit may set (everything but the key).
SETTABLE = tuple(
    f.name for f in fields(IssuerRow) if f.name not in ("campaign_id", "level", "target")
)


class IssuerRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def rows(self, campaign_id: int) -> list[IssuerRow]:
        found = await self._db.fetchall(
            "SELECT * FROM document_issuers WHERE campaign_id = ? ORDER BY level, target",
            (campaign_id,),
        )
        return [_row(r) for r in found]

    async def get(self, campaign_id: int, level: str, target: str = "") -> IssuerRow | None:
        found = await self._db.fetchone(
            "SELECT * FROM document_issuers WHERE campaign_id = ? AND level = ? AND target = ?",
            (campaign_id, level, target),
        )
        return _row(found) if found else None

    async def set(
        self, campaign_id: int, level: str, target: str = "", *, now: datetime, **values: Any
    ) -> None:
        """Set the named fields (a value ``None`` clears it back to inheriting)."""
        if level not in LEVELS:
            raise ValueError(f"unknown document level {level!r}")
        unknown = set(values) - set(SETTABLE)
        if unknown:
            raise ValueError(f"not settable: {', '.join(sorted(unknown))}")
        if not values:
            return
        stored = {
            k: (jsontext.dumps(list(v)) if k == "recipients" and v is not None else v)
            for k, v in values.items()
        }
        names = ", ".join(stored)
        marks = ", ".join("?" for _ in stored)
        updates = ", ".join(f"{k} = excluded.{k}" for k in stored)
        await self._db.execute(
            f"INSERT INTO document_issuers (campaign_id, level, target, {names}, updated_at)"
            f" VALUES (?, ?, ?, {marks}, ?) ON CONFLICT(campaign_id, level, target)"
            f" DO UPDATE SET {updates}, updated_at = excluded.updated_at",
            (campaign_id, level, target, *stored.values(), to_utc_text(now)),
        )

    async def clear(self, campaign_id: int, level: str, target: str = "") -> bool:
        """Forget a level's (or a unit's) settings: the defaults apply again."""
        before = await self.get(campaign_id, level, target)
        await self._db.execute(
            "DELETE FROM document_issuers WHERE campaign_id = ? AND level = ? AND target = ?",
            (campaign_id, level, target),
        )
        return before is not None


def _row(r: Row) -> IssuerRow:
    recipients = r["recipients"]
    return IssuerRow(
        campaign_id=r["campaign_id"],
        level=r["level"],
        target=r["target"],
        issuer=r["issuer"],
        issuer_parent=r["issuer_parent"],
        letterhead=r["letterhead"],
        symbol=r["symbol"],
        number=r["number"],
        place=r["place"],
        signer_authority=r["signer_authority"],
        signer_title=r["signer_title"],
        signer_name=r["signer_name"],
        recipients=tuple(jsontext.loads(recipients)) if recipients is not None else None,
        archive=r["archive"],
    )
