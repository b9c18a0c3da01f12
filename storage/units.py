"""Units ("đơn vị"): communes, wards, schools, agencies... All SQL for units."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.db import Database, Row
from storage.models import NewUnit, Unit, UnitKind
from storage.times import to_utc_text

_COLUMNS = "id, code, name, kind, province_code, parent_code, address, search_key, active"


def _unit(row: Row) -> Unit:
    return Unit(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        kind=UnitKind(row["kind"]),
        province_code=row["province_code"],
        parent_code=row["parent_code"],
        address=row["address"],
        search_key=row["search_key"],
        active=bool(row["active"]),
    )


class UnitRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert_many(self, units: Sequence[NewUnit], *, now: datetime) -> int:
        """Insert or update units by code, all in one transaction; returns how many."""
        at = to_utc_text(now)
        await self._db.executemany(
            "INSERT INTO units (code, name, kind, province_code, parent_code, address,"
            " search_key, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(code) DO UPDATE SET name = excluded.name, kind = excluded.kind,"
            " province_code = excluded.province_code, parent_code = excluded.parent_code,"
            " address = excluded.address, search_key = excluded.search_key,"
            " source = excluded.source, active = 1",
            [
                (
                    u.code,
                    u.name,
                    u.kind.value,
                    u.province_code,
                    u.parent_code,
                    u.address,
                    u.search_key,
                    u.source,
                    at,
                )
                for u in units
            ],
        )
        return len(units)

    async def get(self, unit_id: int) -> Unit | None:
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM units WHERE id = ?", (unit_id,))
        return _unit(row) if row else None

    async def by_code(self, code: str) -> Unit | None:
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM units WHERE lower(code) = lower(?)", (code,)
        )
        return _unit(row) if row else None

    async def all(self, *, kinds: Sequence[UnitKind] | None = None) -> list[Unit]:
        if kinds:
            marks = ",".join("?" * len(kinds))
            rows = await self._db.fetchall(
                f"SELECT {_COLUMNS} FROM units WHERE active = 1 AND kind IN ({marks})"
                " ORDER BY kind, name",
                [k.value for k in kinds],
            )
        else:
            rows = await self._db.fetchall(
                f"SELECT {_COLUMNS} FROM units WHERE active = 1 ORDER BY kind, name"
            )
        return [_unit(r) for r in rows]

    async def count(self) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM units WHERE active = 1"))
