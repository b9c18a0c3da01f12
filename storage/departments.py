"""A province's departments and agencies ("sở, ban, ngành") with their aliases.

Other tables name a department by its official name (``topics.department``,
``questions.department``, ``roles.department``, ``invites.department``,
``commitments.owner``, ``programme_items.answerer``): a rename rewrites them all in one
transaction and keeps the old name as an alias, so nothing points at a name that no
longer exists. Search keys (folded names) are computed by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.times import to_utc_text

# (table, column, extra condition) of every text reference to a department's name.
_REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("topics", "department", ""),
    ("questions", "department", ""),
    ("questions", "answered_by", ""),
    ("roles", "department", ""),
    ("invites", "department", ""),
    ("commitments", "owner", ""),
    ("programme_items", "answerer", " AND answerer_kind = 'department'"),
)


@dataclass(frozen=True, slots=True)
class Department:
    """One department or agency of a province, e.g. "Sở Nội vụ" (aliases: "SNV",
    "Sở Lao động - Thương binh và Xã hội"...)."""

    id: int
    province_code: str
    name: str
    search_key: str
    aliases: tuple[str, ...]
    active: bool


class DepartmentRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def of_province(
        self, province_code: str, *, include_inactive: bool = False
    ) -> list[Department]:
        where = "" if include_inactive else " AND d.active = 1"
        rows = await self._db.fetchall(
            "SELECT d.id, d.province_code, d.name, d.search_key, d.active,"
            f" {self._db.dialect.joined('a.alias', chr(31))} AS aliases"
            " FROM departments d LEFT JOIN department_aliases a ON a.department_id = d.id"
            f" WHERE d.province_code = ?{where} GROUP BY d.id ORDER BY d.id",
            (province_code,),
        )
        return [
            Department(
                id=r["id"],
                province_code=r["province_code"],
                name=r["name"],
                search_key=r["search_key"],
                aliases=tuple(sorted(r["aliases"].split("\x1f"))) if r["aliases"] else (),
                active=bool(r["active"]),
            )
            for r in rows
        ]

    async def count(self, province_code: str) -> int:
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM departments WHERE province_code = ?", (province_code,)
            )
        )

    async def add(
        self,
        province_code: str,
        name: str,
        search_key: str,
        *,
        aliases: Sequence[tuple[str, str]] = (),
        now: datetime,
    ) -> int:
        """A new department with its aliases ((alias, search key) pairs)."""
        at = to_utc_text(now)
        async with self._db.transaction():
            department_id = await self._db.execute(
                "INSERT INTO departments (province_code, name, search_key, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?)",
                (province_code, name, search_key, at, at),
            )
            await self.add_aliases(department_id, aliases)
        return department_id

    async def add_aliases(self, department_id: int, aliases: Sequence[tuple[str, str]]) -> int:
        """Add aliases; one already there is skipped. Returns how many were added."""
        if not aliases:
            return 0
        before = await self._db.fetchval(
            "SELECT count(*) FROM department_aliases WHERE department_id = ?", (department_id,)
        )
        await self._db.executemany(
            "INSERT INTO department_aliases (department_id, alias, search_key)"
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [(department_id, alias, key) for alias, key in aliases],
        )
        after = await self._db.fetchval(
            "SELECT count(*) FROM department_aliases WHERE department_id = ?", (department_id,)
        )
        return int(after) - int(before)

    async def rename(
        self, department: Department, new_name: str, new_key: str, *, old_key: str, now: datetime
    ) -> int:
        """Give a department a new official name; the old one becomes an alias and every
        reference follows. Returns how many references were rewritten."""
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE departments SET name = ?, search_key = ?, updated_at = ? WHERE id = ?",
                (new_name, new_key, to_utc_text(now), department.id),
            )
            await self._db.execute(
                "DELETE FROM department_aliases WHERE department_id = ? AND search_key = ?",
                (department.id, new_key),
            )
            await self.add_aliases(department.id, [(department.name, old_key)])
            return await self.rewrite_references(department.name, new_name)

    async def rewrite_references(self, old_name: str, new_name: str) -> int:
        """Point every text reference to ``old_name`` at ``new_name``."""
        if old_name == new_name:
            return 0
        changed = 0
        async with self._db.transaction():
            for table, column, condition in _REFERENCES:
                changed += await self._db.execute_rowcount(
                    f"UPDATE {table} SET {column} = ? WHERE {column} = ?{condition}",
                    (new_name, old_name),
                )
        return changed

    async def referenced_names(self) -> list[str]:
        """Every distinct department name other tables use (to migrate free text)."""
        parts = " UNION ".join(
            f"SELECT {column} AS name FROM {table} WHERE {column} IS NOT NULL{condition}"
            for table, column, condition in _REFERENCES
            if column != "answered_by"  # answered_by may hold a role label
        )
        rows = await self._db.fetchall(f"SELECT DISTINCT name FROM ({parts}) AS used ORDER BY name")
        return [r["name"] for r in rows if r["name"] and r["name"].strip()]
