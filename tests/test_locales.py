"""Every user-facing sentence: both languages complete, same placeholders, NFC text, and
every key the code asks for exists."""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path

import pytest

from locales import LOCALES_DIR, Translator, catalogue_keys, translator

ROOT = Path(__file__).resolve().parents[1]
# tr("key"), ctx.tr("key"), tr.n("key", ...), tr.t("key"), _text(lang, "key"), ...
# and the untranslated forms: Message("key", ...), SomeError("key", ...) (a LocalizedError)
KEY_USE = re.compile(
    r"""(?:\btr|\.tr|\.t|\.n|_text|catalogue_text|\bMessage|Error)\("""
    r"""\s*(?:[\w.]+,\s*)?["']([a-z_]+(?:\.[a-z_]+)+)["']"""
)


# Dates are written differently: "ngày 05 tháng 8 năm 2025" from parts, "5 August 2025" whole.
DIFFERENT_ON_PURPOSE = {"digest.docx.date"}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys() -> None:
    assert catalogue_keys("vi") == catalogue_keys("en")


@pytest.mark.parametrize("key", sorted(catalogue_keys("vi") - DIFFERENT_ON_PURPOSE))
def test_placeholders_match(key: str) -> None:
    vi, en = Translator("vi"), Translator("en")
    from locales import _load

    texts = []
    for tr in (vi, en):
        catalogue = _load(tr.language).translations
        texts.append(catalogue.gettext(key) + catalogue.ngettext(key, key, 2))
    assert placeholders(texts[0]) == placeholders(texts[1]), key


def test_catalogues_are_nfc() -> None:
    for path in LOCALES_DIR.glob("*/*.po"):
        assert unicodedata.is_normalized("NFC", path.read_text("utf-8")), path


def test_every_quoted_line_is_closed() -> None:
    """A line break typed inside a message (instead of \\n) leaves its quote open: the
    parser then keeps only the first line, silently."""
    for path in LOCALES_DIR.glob("*/*.po"):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if line.startswith(("msgid", "msgstr", '"')):
                assert line.rstrip().endswith('"'), f"{path.name}:{number}: {line[:60]}"


def test_every_key_used_in_the_code_exists() -> None:
    keys = catalogue_keys("vi")
    missing = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            for key in KEY_USE.findall(path.read_text("utf-8")):
                if key not in keys and not key.endswith("."):
                    missing.add(f"{path.relative_to(ROOT)}: {key}")
    assert not missing, sorted(missing)


def test_every_cli_key_is_used() -> None:
    """The command line's catalogue (cli.po) holds no forgotten sentence."""
    used = {
        key
        for path in (ROOT / "bot").rglob("*.py")
        for key in KEY_USE.findall(path.read_text("utf-8"))
    }
    cli_keys = {key for key in catalogue_keys("vi") if key.startswith("cli.")}
    assert cli_keys, "locales/*/cli.po"
    assert not cli_keys - used, sorted(cli_keys - used)


def test_english_agrees_the_noun_after_a_count_of_one() -> None:
    """ "sent to 1 young people" read as a mistake in every English message with a count;
    Vietnamese, which has no plural, is left as it is."""
    en, vi = translator("en"), translator("vi")
    assert en("answer.recorded", code="AB12CD", count=1).endswith("sent to 1 young person.")
    assert en("answer.recorded", code="AB12CD", count=21).endswith("sent to 21 young people.")
    assert en("cli.clusters.counts", people=1, questions=3) == "1 person, 3 questions"
    assert en("cli.clusters.counts", people=11, questions=1) == "11 people, 1 question"
    assert vi("cli.clusters.counts", people=1, questions=1) == "1 người, 1 câu hỏi"
