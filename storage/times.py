"""Times as stored: aware datetimes kept as UTC ISO 8601 text."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


@lru_cache(maxsize=256)  # one event writes its moment several times (rows, audit, outbox)
def to_utc_text(when: datetime) -> str:
    """Serialise an aware datetime as UTC ISO 8601 text, the storage format."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    return when.astimezone(UTC).isoformat(timespec="seconds")


def from_utc_text(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
