"""Roles with scope and single-use invite codes (stored hashed)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, Row
from storage.times import from_utc_text, to_utc_text

ROLES = ("secretary", "organiser", "department", "admin")


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Role:
    """A person's role: secretary of a unit ("Bí thư Đoàn"), organiser of a campaign
    (Tỉnh đoàn, Sở Nội vụ), department contact (sở, ngành), or administrator."""

    id: int
    person_id: int
    role: str
    unit_id: int | None
    campaign_id: int | None
    department: str | None
    email: str | None
    granted_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Invite:
    id: int
    role: str
    unit_id: int | None
    campaign_id: int | None
    department: str | None
    expires_at: datetime
    used_at: datetime | None
    used_by: int | None


def _role(r: Row) -> Role:
    return Role(
        id=r["id"],
        person_id=r["person_id"],
        role=r["role"],
        unit_id=r["unit_id"],
        campaign_id=r["campaign_id"],
        department=r["department"],
        email=r["email"],
        granted_at=from_utc_text(r["granted_at"]),
        revoked_at=from_utc_text(r["revoked_at"]) if r["revoked_at"] else None,
    )


def _invite(r: Row) -> Invite:
    return Invite(
        id=r["id"],
        role=r["role"],
        unit_id=r["unit_id"],
        campaign_id=r["campaign_id"],
        department=r["department"],
        expires_at=from_utc_text(r["expires_at"]),
        used_at=from_utc_text(r["used_at"]) if r["used_at"] else None,
        used_by=r["used_by"],
    )


class RoleRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def grant(
        self,
        person_id: int,
        role: str,
        *,
        now: datetime,
        unit_id: int | None = None,
        campaign_id: int | None = None,
        department: str | None = None,
        granted_by: int | None = None,
    ) -> int:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        return await self._db.execute(
            "INSERT INTO roles (person_id, role, unit_id, campaign_id, department, granted_by,"
            " granted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (person_id, role, unit_id, campaign_id, department, granted_by, to_utc_text(now)),
        )

    async def of_person(self, person_id: int) -> list[Role]:
        rows = await self._db.fetchall(
            "SELECT * FROM roles WHERE person_id = ? AND revoked_at IS NULL ORDER BY id",
            (person_id,),
        )
        return [_role(r) for r in rows]

    async def get(self, role_id: int) -> Role | None:
        row = await self._db.fetchone("SELECT * FROM roles WHERE id = ?", (role_id,))
        return _role(row) if row else None

    async def all(self, *, include_revoked: bool = False) -> list[Role]:
        where = "" if include_revoked else " WHERE revoked_at IS NULL"
        rows = await self._db.fetchall(f"SELECT * FROM roles{where} ORDER BY id")
        return [_role(r) for r in rows]

    async def holders(
        self, role: str, *, unit_id: int | None = None, campaign_id: int | None = None
    ) -> list[Role]:
        """Active holders of ``role``; a role without a campaign covers every campaign."""
        sql = "SELECT * FROM roles WHERE revoked_at IS NULL AND role = ?"
        params: list[object] = [role]
        if unit_id is not None:
            sql += " AND unit_id = ?"
            params.append(unit_id)
        if campaign_id is not None:
            sql += " AND (campaign_id IS NULL OR campaign_id = ?)"
            params.append(campaign_id)
        rows = await self._db.fetchall(sql + " ORDER BY id", params)
        return [_role(r) for r in rows]

    async def revoke(self, role_id: int, *, now: datetime) -> bool:
        count = await self._db.execute_rowcount(
            "UPDATE roles SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (to_utc_text(now), role_id),
        )
        return count > 0

    async def set_email(self, role_id: int, email: str | None) -> None:
        await self._db.execute("UPDATE roles SET email = ? WHERE id = ?", (email, role_id))

    # -- invites -----------------------------------------------------------------------

    async def create_invite(
        self,
        code: str,
        role: str,
        *,
        now: datetime,
        expires_at: datetime,
        unit_id: int | None = None,
        campaign_id: int | None = None,
        department: str | None = None,
        created_by: int | None = None,
    ) -> int:
        return await self._db.execute(
            "INSERT INTO invites (code_hash, role, unit_id, campaign_id, department, created_by,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                hash_code(code),
                role,
                unit_id,
                campaign_id,
                department,
                created_by,
                to_utc_text(now),
                to_utc_text(expires_at),
            ),
        )

    async def invite_by_code(self, code: str) -> Invite | None:
        row = await self._db.fetchone(
            "SELECT * FROM invites WHERE code_hash = ?", (hash_code(code),)
        )
        return _invite(row) if row else None

    async def use_invite(self, invite_id: int, person_id: int, *, now: datetime) -> bool:
        """Mark used; False if someone used it first (single use, race-safe)."""
        count = await self._db.execute_rowcount(
            "UPDATE invites SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL",
            (to_utc_text(now), person_id, invite_id),
        )
        return count > 0
