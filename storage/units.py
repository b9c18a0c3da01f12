"""Units ("đơn vị"): communes, wards, schools, agencies... All SQL for units."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.db import Database, Row
from storage.models import NewUnit, Unit, UnitKind, UnitUsage
from storage.times import to_utc_text

_COLUMNS = (
    "id, code, name, kind, province_code, parent_code, address, search_key, active, hidden, source"
)
# Tables whose unit_id column names a unit (a merge moves them all to the kept unit).
_UNIT_REFERENCES = ("questions", "supports", "people", "roles", "invites", "broadcasts")


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
        hidden=bool(row["hidden"]),
        source=row["source"],
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
            " ON CONFLICT(code) DO UPDATE SET"
            # A name set by hand (`units rename`) outlives reloading the official list.
            " name = CASE WHEN units.renamed = 1 AND excluded.source = 'vietnam-provinces'"
            " THEN units.name ELSE excluded.name END,"
            " search_key = CASE WHEN units.renamed = 1 AND excluded.source = 'vietnam-provinces'"
            " THEN units.search_key ELSE excluded.search_key END,"
            " renamed = CASE WHEN excluded.source = 'vietnam-provinces' THEN units.renamed"
            " ELSE 0 END,"
            " kind = excluded.kind, province_code = excluded.province_code,"
            " parent_code = excluded.parent_code, address = excluded.address,"
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

    async def all(
        self, *, kinds: Sequence[UnitKind] | None = None, include_hidden: bool = True
    ) -> list[Unit]:
        """Units by kind and name; ``include_hidden=False`` leaves out hidden ones."""
        where = "active = 1" + ("" if include_hidden else " AND hidden = 0")
        params: list[str] = []
        if kinds:
            where += f" AND kind IN ({','.join('?' * len(kinds))})"
            params = [k.value for k in kinds]
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM units WHERE {where} ORDER BY kind, name", params
        )
        return [_unit(r) for r in rows]

    async def count(self) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM units WHERE active = 1"))

    async def set_hidden(self, unit_id: int, hidden: bool) -> None:
        await self._db.execute("UPDATE units SET hidden = ? WHERE id = ?", (int(hidden), unit_id))

    async def rename(self, unit_id: int, *, name: str, search_key: str) -> None:
        await self._db.execute(
            "UPDATE units SET name = ?, search_key = ?, renamed = 1 WHERE id = ?",
            (name, search_key, unit_id),
        )

    async def usage(self, unit_id: int) -> UnitUsage:
        """How many rows of each kind refer to the unit."""
        row = await self._db.fetchone(
            "SELECT"
            " (SELECT count(*) FROM questions WHERE unit_id = :u) AS questions,"
            " (SELECT count(*) FROM supports WHERE unit_id = :u) AS supports,"
            " (SELECT count(*) FROM people WHERE unit_id = :u) AS people,"
            " (SELECT count(*) FROM roles WHERE unit_id = :u) AS secretaries,"
            " (SELECT count(*) FROM invites WHERE unit_id = :u) AS invites,"
            " (SELECT count(*) FROM broadcasts WHERE unit_id = :u) AS broadcasts,"
            " (SELECT count(*) FROM campaigns WHERE host_unit_id = :u) AS campaigns",
            {"u": unit_id},
        )
        assert row is not None
        fields = ("questions", "supports", "people", "secretaries", "invites", "broadcasts")
        return UnitUsage(**{key: int(row[key]) for key in (*fields, "campaigns")})

    async def remove(self, unit: Unit) -> None:
        """Delete a unit nothing important refers to (check :meth:`usage` first).

        People who had picked it are asked for their unit again; its unused invites go;
        units filed under it move up to its parent.
        """
        async with self._db.transaction():
            await self._db.execute("UPDATE people SET unit_id = NULL WHERE unit_id = ?", (unit.id,))
            await self._db.execute("DELETE FROM invites WHERE unit_id = ?", (unit.id,))
            await self._db.execute(
                "UPDATE units SET parent_code = ? WHERE parent_code = ? COLLATE NOCASE",
                (unit.parent_code, unit.code),
            )
            await self._db.execute("DELETE FROM units WHERE id = ?", (unit.id,))

    async def merge(
        self, duplicate: Unit, into: Unit, *, now: datetime, keep_hidden: bool = False
    ) -> UnitUsage:
        """Move everything that names ``duplicate`` to ``into``, then delete ``duplicate``
        (or, with ``keep_hidden``, keep it hidden: an official commune that reloading the
        province's list would bring back).

        Returns what was moved. A secretary who now holds the same role twice keeps the
        older grant; the newer one is revoked.
        """
        moved: dict[str, int] = {}
        async with self._db.transaction():
            for table in _UNIT_REFERENCES:
                moved[table] = await self._db.execute_rowcount(
                    f"UPDATE {table} SET unit_id = ? WHERE unit_id = ?",
                    (into.id, duplicate.id),
                )
            moved["campaigns"] = await self._db.execute_rowcount(
                "UPDATE campaigns SET host_unit_id = ? WHERE host_unit_id = ?",
                (into.id, duplicate.id),
            )
            await self._db.execute(
                "UPDATE roles SET revoked_at = ? WHERE id IN (SELECT r.id FROM roles r"
                " JOIN roles k ON k.person_id = r.person_id AND k.role = r.role"
                " AND k.unit_id = r.unit_id AND k.id < r.id"
                " AND coalesce(k.campaign_id, 0) = coalesce(r.campaign_id, 0)"
                " AND k.revoked_at IS NULL"
                " WHERE r.unit_id = ? AND r.revoked_at IS NULL)",
                (to_utc_text(now), into.id),
            )
            await self._db.execute(
                "UPDATE units SET parent_code = ? WHERE parent_code = ? COLLATE NOCASE",
                (into.code, duplicate.code),
            )
            if keep_hidden:
                await self._db.execute("UPDATE units SET hidden = 1 WHERE id = ?", (duplicate.id,))
            else:
                await self._db.execute("DELETE FROM units WHERE id = ?", (duplicate.id,))
        return UnitUsage(
            questions=moved["questions"],
            supports=moved["supports"],
            people=moved["people"],
            secretaries=moved["roles"],
            invites=moved["invites"],
            broadcasts=moved["broadcasts"],
            campaigns=moved["campaigns"],
        )
