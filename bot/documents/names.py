"""Human file names for the documents: ``tong-hop-cao-bang-…``, ``phuong-thuc-phan-…``,
``so-noi-vu-…``, ``tra-loi-so-noi-vu-…`` — what the document is about and whose it is, in
ASCII (safe on Windows, Zalo, Telegram and in e-mail), then the local date and time; never a
database id."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.clustering.normalize import fold

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_SLUG = 60
#: The Icelandic eth ("Ð", "ð") looks like "Đ" and comes in with names converted from old
#: Vietnamese encodings (TCVN3, VNI); it is a "d" too, not a letter to drop.
_ETH = str.maketrans({"Ð": "Đ", "ð": "đ"})


def slugify(text: str, *, fallback: str = "tai-lieu") -> str:
    """A correct ASCII slug of Vietnamese text: "Sở Nội vụ" → "so-noi-vu",
    "Phường Thục Phán" → "phuong-thuc-phan", "Xã Đàm Thuỷ" → "xa-dam-thuy"; full-width
    letters ("Ｓở") and a "Ð" typed for "Đ" keep their letter."""
    text = unicodedata.normalize("NFKC", text).translate(_ETH)
    slug = _NOT_SLUG.sub("-", fold(text)).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0]
    return slug or fallback


def dated_stem(kind: str, name: str, when: datetime) -> str:
    """``kind`` (an ASCII stem: "tong-hop", "tra-loi", "kich-ban"), then whose document it is
    (``name`` slugged: the host, a unit, a department; left out when empty), then the local
    date and time: "tong-hop-cao-bang-20250805-0830", "tra-loi-so-noi-vu-20250805-0830"."""
    where = slugify(name, fallback="" if kind else "tai-lieu")
    return "-".join(part for part in (kind, where, f"{when:%Y%m%d-%H%M}") if part)


def document_stem(scope: str, scope_name: str, when: datetime, *, host: str = "") -> str:
    """ "tong-hop-cao-bang-20250805-0830" (the campaign of ``host``, its host unit's name),
    "phuong-thuc-phan-…" (a unit's list), "so-y-te-…" (a department's questions). ``when``
    is local time."""
    if scope == "campaign":
        return dated_stem("tong-hop", host, when)
    return dated_stem("", scope_name, when)


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
