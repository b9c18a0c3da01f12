"""Human file names for the documents: ``tong-hop-…``, ``phuong-thuc-phan-…``,
``so-noi-vu-…`` — what the document is about, in ASCII, then the local date and time; never a
database id."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.clustering.normalize import fold

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_SLUG = 60


def slugify(text: str, *, fallback: str = "tai-lieu") -> str:
    """A correct ASCII slug of Vietnamese text: "Sở Nội vụ" → "so-noi-vu",
    "Phường Thục Phán" → "phuong-thuc-phan", "Xã Đàm Thuỷ" → "xa-dam-thuy"."""
    slug = _NOT_SLUG.sub("-", fold(text)).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0]
    return slug or fallback


def document_stem(scope: str, scope_name: str, when: datetime) -> str:
    """ "tong-hop-20250805-0830" (the campaign), "phuong-thuc-phan-…" (a unit's list),
    "so-y-te-…" (a department's questions). ``when`` is local time."""
    where = "tong-hop" if scope == "campaign" else slugify(scope_name)
    return f"{where}-{when:%Y%m%d-%H%M}"


def reserve(folder: Path, stem: str, suffixes: Sequence[str]) -> str:
    """A stem none of whose files exists yet in ``folder``, the files created empty so that
    two digests made in the same minute (two campaigns, two readers) never overwrite each
    other: ``stem``, then ``stem-2``, ``stem-3``…"""
    for attempt in range(1, 1000):
        candidate = stem if attempt == 1 else f"{stem}-{attempt}"
        made: list[Path] = []
        try:
            for suffix in suffixes:
                path = folder / f"{candidate}{suffix}"
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                made.append(path)
        except FileExistsError:
            for path in made:
                path.unlink(missing_ok=True)
            continue
        return candidate
    raise FileExistsError(f"no free file name for {stem} in {folder}")
