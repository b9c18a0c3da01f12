"""What differs between SQLite and PostgreSQL, kept small and in one place.

The repositories write one SQL text for both databases, in a portable subset:

* parameters are ``?`` (PostgreSQL gets ``$1, $2…``: :func:`postgres_sql`);
* ``INSERT … ON CONFLICT DO NOTHING`` / ``ON CONFLICT(col) DO UPDATE`` instead of
  ``INSERT OR IGNORE`` / ``OR REPLACE`` (both databases have the upsert clause);
* no SQLite-only functions (``total_changes()``, two-argument ``max``/``min``,
  ``COLLATE NOCASE``, ``sum(a = b)`` over a comparison): :func:`postgres_sql` refuses the
  known ones with a line that says what to write instead, and the PostgreSQL test run
  catches the rest;
* flags are ``INTEGER`` 0/1 and times ISO-8601 UTC text on both, so comparisons and
  sorting agree;
* the id of a new row: ``Database.execute`` returns it on both (SQLite's ``lastrowid``,
  PostgreSQL's ``RETURNING id`` added for tables that have an ``id`` column).

Migrations are written once, in SQLite's dialect, and :func:`postgres_ddl` turns them into
PostgreSQL's (integer keys become ``BIGINT`` identities); where the two must really
differ, ``storage/migrations/postgresql/NNNN_name.sql`` replaces the translated file.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "POSTGRESQL",
    "SQLITE",
    "Dialect",
    "PortabilityError",
    "lock_key",
    "postgres_ddl",
    "postgres_sql",
]


class PortabilityError(ValueError):
    """SQL that only SQLite understands reached PostgreSQL (a repository to port)."""


@dataclass(frozen=True)
class Dialect:
    """The few clauses a repository may need to spell per database."""

    name: str
    skip_locked: str
    """Appended to a ``SELECT`` that claims rows other workers must skip (PostgreSQL's
    ``FOR UPDATE SKIP LOCKED``; nothing on SQLite, where one writer holds the database)."""

    def joined(self, expr: str, separator: str = ",") -> str:
        """An aggregate joining ``expr``'s values with ``separator`` (SQLite's
        ``group_concat``, PostgreSQL's ``string_agg``)."""
        literal = "'" + separator.replace("'", "''") + "'"
        if self.name == "postgresql":
            return f"string_agg(CAST({expr} AS TEXT), {literal})"
        return f"group_concat({expr}, {literal})"


SQLITE = Dialect(name="sqlite", skip_locked="")
POSTGRESQL = Dialect(name="postgresql", skip_locked=" FOR UPDATE SKIP LOCKED")

# Quoted strings, quoted identifiers and comments are copied as they are; ``?`` elsewhere
# is a parameter.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\?", re.DOTALL)

_SQLITE_ONLY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bINSERT\s+OR\s+IGNORE\b", re.I), "INSERT … ON CONFLICT DO NOTHING"),
    (re.compile(r"\bINSERT\s+OR\s+REPLACE\b", re.I), "INSERT … ON CONFLICT(…) DO UPDATE"),
    (
        re.compile(r"\bUPDATE\s+OR\s+\w+\b", re.I),
        "a plain UPDATE (move rows with INSERT … ON CONFLICT DO NOTHING, then DELETE)",
    ),
    (re.compile(r"\bCOLLATE\s+NOCASE\b", re.I), "lower(column) = lower(?)"),
    (
        re.compile(r"\b(?:max|min)\s*\(\s*[^(),]+,", re.I),
        "CASE WHEN … THEN … ELSE … END (PostgreSQL's max and min take one argument)",
    ),
    (re.compile(r"\bgroup_concat\s*\(", re.I), "Dialect.joined (string_agg on PostgreSQL)"),
    (re.compile(r"\btotal_changes\s*\(", re.I), "the count Database.executemany returns"),
    (re.compile(r"\bchanges\s*\(\s*\)", re.I), "the count Database.execute_rowcount returns"),
    (re.compile(r"\bPRAGMA\b", re.I), "a Database method"),
    (re.compile(r"\b(?:datetime|julianday|strftime)\s*\(", re.I), "times computed in Python"),
)


@lru_cache(maxsize=4096)
def postgres_sql(sql: str) -> str:
    """``sql`` with ``?`` parameters numbered for PostgreSQL (``$1``…); SQLite-only
    constructs raise :class:`PortabilityError` naming the portable form."""
    for pattern, instead in _SQLITE_ONLY:
        if pattern.search(_code_only(sql)):
            raise PortabilityError(
                f"SQLite-only SQL ({pattern.pattern!r}) reached PostgreSQL; write {instead}"
                " (see storage/dialect.py): " + " ".join(sql.split())[:200]
            )
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f"${count}"

    return _TOKENS.sub(number, sql)


def _code_only(sql: str) -> str:
    """``sql`` without its string literals and comments (for the checks above)."""
    return _TOKENS.sub(lambda m: "?" if m.group(0) == "?" else " ", sql)


_INSERT_TABLE = re.compile(r"^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)


def insert_table(sql: str) -> str | None:
    """The table an ``INSERT`` without ``RETURNING`` writes to (else ``None``)."""
    match = _INSERT_TABLE.match(sql)
    if match is None or _RETURNING.search(_code_only(sql)):
        return None
    return match.group(1).lower()


def returns_rows(sql: str) -> bool:
    return bool(_RETURNING.search(_code_only(sql)))


_INTEGER_KEY = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b", re.I)
_INTEGER = re.compile(r"\bINTEGER\b", re.I)
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*;", re.I)
_REFERENCES = re.compile(
    r"\bREFERENCES\s+\w+\s*\(\s*\w+\s*\)"
    r"(?:\s+ON\s+(?:DELETE|UPDATE)\s+(?:CASCADE|SET\s+NULL|SET\s+DEFAULT|RESTRICT|NO\s+ACTION))*",
    re.I,
)


def postgres_ddl(sql: str) -> str:
    """A migration written for SQLite, in PostgreSQL's dialect.

    ``INTEGER PRIMARY KEY`` (SQLite's 64-bit rowid) becomes a ``BIGINT`` identity that
    accepts explicit ids (``youthbot db copy`` keeps them), every other ``INTEGER`` a
    ``BIGINT`` (ids and flags alike, as SQLite stores them), ``WITHOUT ROWID`` goes, and
    foreign keys become ``DEFERRABLE`` (checked at once, unless a copy defers them: the
    questions and their clusters refer to each other).
    """
    sql = _INTEGER_KEY.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", sql)
    sql = _INTEGER.sub("BIGINT", sql)
    sql = _REFERENCES.sub(lambda m: m.group(0) + " DEFERRABLE", sql)
    return _WITHOUT_ROWID.sub(");", sql)


def lock_key(key: str) -> int:
    """A stable signed 32-bit number for ``key`` (advisory locks take integers)."""
    return zlib.crc32(key.encode()) - 2**31
