"""The similar-question index kept on disk between runs ("chỉ mục câu hỏi tương tự").

Building the index of 100,000 questions takes 25–35 s of one core; reading it back takes
a fraction of a second. ``youthbot run`` writes each campaign's index after building it
and when it stops; the next start reads it and brings it up to date with the stored
questions (new ones added, edited ones indexed again, withdrawn ones removed), so a
restart after a crash or an upgrade answers within seconds.

A snapshot is used only by the code and data that wrote it: any change to the clustering
modules or their data files (``bot/clustering``), or to Python's or numpy's version,
makes it stale and the index is built from the questions as before. A snapshot that
cannot be read is logged and ignored: it never costs anything but the build.

The files are pickles: they live in the bot's own data folder, next to its database,
and are written with owner-only permissions. They are read back with an unpickler that
only rebuilds the few kinds of object an index holds (:data:`_ALLOWED`), so a file
planted or altered there cannot run code: it is unreadable, and the index is built.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import platform
import tempfile
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.clustering.index import SimilarIndex

log = logging.getLogger(__name__)

_FORMAT = 3
_PRINT_BYTES = 8
_PACKAGE = Path(__file__).resolve().parent
#: What an index's pickle may name (module, name): containers, arrays and the two
#: classes of its own it holds. Anything else in a snapshot makes it unreadable.
_ALLOWED = frozenset(
    {
        ("builtins", name)
        for name in ("list", "dict", "set", "frozenset", "tuple", "int", "float", "str", "bytes")
    }
    | {("collections", name) for name in ("OrderedDict", "defaultdict", "Counter")}
    | {("array", "array"), ("array", "_array_reconstructor")}
    | {("numpy", "dtype"), ("numpy", "ndarray")}
    | {
        (module, name)
        for module in ("numpy._core.numeric", "numpy.core.numeric")
        for name in ("_frombuffer",)
    }
    | {(module, "_reconstruct") for module in ("numpy._core.multiarray", "numpy.core.multiarray")}
    | {("bot.clustering.model", "Marks"), ("bot.clustering.spelling", "Speller")}
)


class _IndexUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds only what :data:`_ALLOWED` names (pickle's own advice
    for files that may not be trusted: restrict ``find_class``)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of an index")
        return super().find_class(module, name)


@functools.cache
def method_print() -> str:
    """What a snapshot depends on: the clustering code and data, Python and numpy."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{_FORMAT} {platform.python_version()} {np.__version__}".encode())
    files = sorted(_PACKAGE.glob("*.py")) + sorted((_PACKAGE / "data").glob("*"))
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def question_print(text: str, topic: int, unit: int, anonymous: bool) -> bytes:
    """What a question was indexed with: a change to any of it indexes it again."""
    data = f"{topic}\x1f{unit}\x1f{int(anonymous)}\x1f{text}".encode()
    return hashlib.blake2b(data, digest_size=_PRINT_BYTES).digest()


@dataclass
class Snapshot:
    """An index and, by key, the print of what each question was indexed with."""

    index: SimilarIndex
    prints: dict[str, bytes] = field(default_factory=dict)
    # Whether the index changed since it was read from or written to disk.
    changed: bool = True


def path_for(folder: Path, campaign_id: int) -> Path:
    return folder / f"similar-index-{campaign_id}.pickle"


def save(folder: Path, campaign_id: int, snapshot: Snapshot) -> Path:
    """Write ``snapshot`` atomically (a reader sees the old file or the new one)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = path_for(folder, campaign_id)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            # The prints as two long values, and the index's large arrays written raw
            # after the pickle: a pickle keeps a copy of every array it has written
            # until it ends (its memo), ~100 MB more at 100,000 questions.
            keys = list(snapshot.prints)
            prints = ("\x1f".join(keys), b"".join(snapshot.prints[key] for key in keys))
            state = snapshot.index.__getstate__()
            raw = [(name, value) for name, value in state.items() if isinstance(value, array)]
            layout = [(name, value.typecode, len(value)) for name, value in raw]
            for name, _ in raw:
                state[name] = None
            pickle.dump(
                (_FORMAT, method_print(), prints, state, layout),
                out,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
            for _, value in raw:
                value.tofile(out)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def load(folder: Path, campaign_id: int) -> Snapshot | None:
    """The snapshot of ``campaign_id``, or None when there is none usable."""
    path = path_for(folder, campaign_id)
    try:
        with path.open("rb") as handle:
            written, method, prints, state, layout = _IndexUnpickler(handle).load()
            if written != _FORMAT or method != method_print() or not isinstance(state, dict):
                log.info("similar-question index snapshot %s is of other code: building it", path)
                return None
            for name, typecode, length in layout:
                state[name] = array(typecode)
                state[name].fromfile(handle, length)  # EOFError when torn
            index = SimilarIndex.__new__(SimilarIndex)
            index.__setstate__(state)
    except FileNotFoundError:
        return None
    except Exception as error:  # a torn or foreign file: build instead
        log.warning("similar-question index snapshot %s unreadable (%s): building it", path, error)
        return None
    keys, values = prints
    size = _PRINT_BYTES
    by_key = {
        key: values[at * size : (at + 1) * size]
        for at, key in enumerate(keys.split("\x1f") if keys else [])
    }
    return Snapshot(index, by_key, changed=False)
