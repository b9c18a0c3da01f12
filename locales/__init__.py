"""User-facing text catalogues (gettext ``.po`` files, read with Babel).

Every sentence a person sees lives in ``locales/<lang>/*.po``: Vietnamese (``vi``) first,
English (``en``) complete. Message ids are stable dotted keys (``intake.welcome``); the text
uses ``str.format`` placeholders (``{name}``); a count or a limit (:data:`COUNT_PLACEHOLDERS`)
given as an integer is written as the reader's language groups thousands ("3.500" in
Vietnamese, "3,500" in English). Several ``.po`` files per language are merged,
so each part of the product (intake, digests, reminders...) keeps its own catalogue.

Catalogues are compiled in memory at first use, so no build step is needed.
"""

from __future__ import annotations

import atexit
import gettext
import io
import numbers
import operator
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages import mofile, pofile
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).parent
SUPPORTED_LANGUAGES: tuple[str, ...] = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


#: Placeholders that hold a count or a length limit wherever they appear ("{n} câu hỏi",
#: "tối đa {limit} ký tự", "đã gửi {sent}/{total}"): an integer given for one is grouped by
#: the reader's language. Codes, ids, years, dates, line and row numbers are not among them.
COUNT_PLACEHOLDERS = frozenset(
    {
        "n", "count", "total", "sent", "blocked", "failed", "pending", "people", "questions",
        "limit", "max", "length", "done", "waiting", "answered", "published", "supporters",
        "notified", "unchanged", "empty", "errors", "hidden", "others", "units", "officials",
        "clusters", "largest", "commitments", "tasks", "in_time", "live", "unreviewed",
        "entries", "rows", "days", "minutes",
    }
)  # fmt: skip


class MissingMessageError(KeyError):
    """A key is absent from a catalogue: a programming error caught by the tests."""


def normalize_language(code: str | None) -> str:
    """Map a platform language code (``"en-US"``, ``"vi"``, ``None``) to a supported one."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class _Catalogue:
    translations: gettext.GNUTranslations
    keys: frozenset[str]
    plural: frozenset[str]  #: keys of plural messages (``msgid_plural``), read with ``n``


@cache
def _load(language: str) -> _Catalogue:
    folder = LOCALES_DIR / language
    files = sorted(folder.glob("*.po"))
    if not files:
        raise FileNotFoundError(f"no .po catalogues in {folder}")
    merged = None
    for path in files:
        with path.open("rb") as fh:
            # A malformed entry (an unclosed quote) fails loudly, not as a cut message.
            catalogue = pofile.read_po(fh, locale=language, abort_invalid=True)
        if merged is None:
            merged = catalogue
        else:
            for message in catalogue:
                if message.id:
                    merged[message.id] = message
    assert merged is not None
    buffer = io.BytesIO()
    mofile.write_mo(buffer, merged)
    buffer.seek(0)
    keys = frozenset(
        m.id if isinstance(m.id, str) else m.id[0] for m in merged if m.id and m.string
    )
    plural = frozenset(m.id[0] for m in merged if isinstance(m.id, tuple) and m.string)
    return _Catalogue(gettext.GNUTranslations(buffer), keys, plural)


def catalogue_keys(language: str) -> frozenset[str]:
    """All message keys with a translation in ``language`` (used by completeness tests)."""
    return _load(language).keys


class Translator:
    """Looks up messages for one language.

    Reminders and digests have no incoming message to take a language from, so the
    language is always passed explicitly rather than read from a global.
    """

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = normalize_language(language)
        self._catalogue = _load(self.language)

    def has(self, key: str) -> bool:
        return key in self._catalogue.keys

    def __call__(self, key: str, /, **kwargs: Any) -> str:
        return self.t(key, **kwargs)

    def t(self, key: str, /, **kwargs: Any) -> str:
        """Return the message ``key`` formatted with ``kwargs``. A message with a count
        the reader sees agree ("1 young person", "2 young people") is a plural one, read
        with :meth:`n`."""
        if key not in self._catalogue.keys:
            raise MissingMessageError(f"{self.language}: {key}")
        if key in self._catalogue.plural:
            raise MissingMessageError(f"{self.language}: {key} is a plural message: use n()")
        text = self._catalogue.translations.gettext(key)
        return text.format(**self._grouped(kwargs)) if kwargs else text

    def number(self, value: int) -> str:
        """``value`` written as this language writes numbers ("2.499" / "2,499")."""
        return format_decimal(value, locale=self.language)

    def _grouped(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``kwargs`` with each count or limit (:data:`COUNT_PLACEHOLDERS`) given as an
        integer written as this language writes numbers; anything else as it is."""
        return {
            name: self.number(operator.index(value))
            if name in COUNT_PLACEHOLDERS
            and isinstance(value, numbers.Integral)
            and not isinstance(value, bool)
            else value
            for name, value in kwargs.items()
        }

    def n(self, key: str, count: int, /, **kwargs: Any) -> str:
        """Return the plural form of ``key`` for ``count``; ``{n}`` is the count. English
        has two forms ("1 question", "2 questions"), Vietnamese one."""
        if key not in self._catalogue.keys:
            raise MissingMessageError(f"{self.language}: {key}")
        if key not in self._catalogue.plural:
            raise MissingMessageError(f"{self.language}: {key} is not a plural message: use t()")
        text = self._catalogue.translations.ngettext(key, key, count)
        return text.format(**self._grouped({"n": count, **kwargs}))


@cache
def translator(language: str | None = None) -> Translator:
    """A shared translator for ``language`` (normalised)."""
    return Translator(normalize_language(language))


class Message:
    """A sentence not yet translated: a catalogue key and its ``str.format`` parameters.

    Layers that do not know the reader's language (campaign set-up, CSV checks) raise or
    return these; whoever shows them renders them in the reader's language. A parameter
    that is itself a ``Message`` is rendered in the same language. A parameter ``n`` is a
    count the words agree with: the key is a plural message, read with :meth:`Translator.n`.
    ``str()`` is the English text, for logs and tracebacks.
    """

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params

    def render(self, tr: Translator) -> str:
        params = {
            name: value.render(tr) if isinstance(value, Message) else value
            for name, value in self.params.items()
            if name != "n"
        }
        if "n" in self.params:  # a count the words agree with: a plural message
            return tr.n(self.key, self.params["n"], **params)
        return tr.t(self.key, **params)

    def __str__(self) -> str:
        return self.render(translator("en"))

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.params!r})"


class LocalizedError(Exception):
    """An error whose text comes from the catalogues: ``render(tr)`` gives it in the
    reader's language (the command line uses the operator's); ``str()`` is English.
    ``status`` is the exit status of a command that stops on it."""

    status = 2  # most are set-up problems the operator fixes in the command or the data

    def __init__(self, key: str, /, **params: Any) -> None:
        self.message = Message(key, **params)
        super().__init__(str(self.message))

    @property
    def key(self) -> str:
        return self.message.key

    @property
    def params(self) -> dict[str, Any]:
        return self.message.params

    def render(self, tr: Translator) -> str:
        return self.message.render(tr)


# -- argparse's own strings ----------------------------------------------------------------

ARGPARSE_DOMAIN = "youthbot-argparse"


@cache
def _argparse_localedir() -> str:
    """Compile ``locales/argparse/<lang>.po`` into a private temporary folder laid out as
    gettext expects (``<dir>/<lang>/LC_MESSAGES/<domain>.mo``), once per process."""
    folder = Path(tempfile.mkdtemp(prefix="youthbot-locale-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for source in sorted((LOCALES_DIR / "argparse").glob("*.po")):
        with source.open("rb") as fh:
            catalogue = pofile.read_po(fh, locale=source.stem)
        target = folder / source.stem / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / f"{ARGPARSE_DOMAIN}.mo").open("wb") as out:
            mofile.write_mo(out, catalogue)
    return str(folder)


@contextmanager
def argparse_language(language: str) -> Iterator[None]:
    """Inside the block, argparse's own words ("usage:", "options", its error messages)
    come in ``language``.

    argparse looks every string up with ``gettext.gettext``; this binds our catalogue as
    the text domain and selects the language the gettext way (``LANGUAGE``), both put back
    afterwards. English is argparse's own text.
    """
    if not (LOCALES_DIR / "argparse" / f"{language}.po").is_file():
        yield
        return
    gettext.bindtextdomain(ARGPARSE_DOMAIN, _argparse_localedir())
    previous_domain = gettext.textdomain()
    previous_language = os.environ.get("LANGUAGE")
    gettext.textdomain(ARGPARSE_DOMAIN)
    os.environ["LANGUAGE"] = language
    try:
        yield
    finally:
        gettext.textdomain(previous_domain)
        if previous_language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = previous_language
