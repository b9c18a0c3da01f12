"""JSON as stored in text columns (conversation drafts, reply bodies, audit details,
issuers' recipients): orjson, because every chat event writes and reads the first three
(the standard module cost several times more)."""

from __future__ import annotations

from typing import Any

import orjson

# Non-string keys become strings, as the standard module does (a draft keyed by an id).
_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """Compact JSON text; non-ASCII characters kept as they are (UTF-8)."""
    return orjson.dumps(value, option=_OPTIONS).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
