"""Every user-facing sentence: both languages complete, same placeholders, NFC text, and
every key the code asks for exists."""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path

import pytest
from babel.messages import pofile

from locales import LOCALES_DIR, Message, Translator, catalogue_keys, translator

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
    """ "sent to 1 young people" read as a mistake in every English message with a count:
    such messages are plural ones (``tr.n``); Vietnamese, which has no plural, reads the
    same for every count."""
    en, vi = translator("en"), translator("vi")
    assert en.n("answer.recorded", 1, code="AB12CD").endswith("sent to 1 young person.")
    assert en.n("answer.recorded", 21, code="AB12CD").endswith("sent to 21 young people.")
    people = en.n("count.people", 1)
    assert en.n("cli.clusters.counts", 1, questions=en.n("count.questions", 3)) == (
        "1 person, 3 questions"
    )
    assert en.n("cli.clusters.counts", 11, questions=en.n("count.questions", 1)) == (
        "11 people, 1 question"
    )
    assert people == "1 person"
    assert vi.n("cli.clusters.counts", 1, questions=vi.n("count.questions", 1)) == (
        "1 người, 1 câu hỏi"
    )
    assert vi.n("cli.clusters.counts", 7, questions=vi.n("count.questions", 9)) == (
        "7 người, 9 câu hỏi"
    )


def test_a_plural_message_is_read_with_n_and_no_other_way() -> None:
    """``tr("key")`` on a plural message gave its key back as the text; ``tr.n`` on a
    plain one did the same. Both are programming errors now, caught by the tests."""
    en = translator("en")
    with pytest.raises(KeyError):
        en("count.people", n=2)
    with pytest.raises(KeyError):
        en.n("campaign.title", 2)
    assert Message("count.people", n=1).render(en) == "1 person"
    assert Message("count.people", n=2).render(translator("vi")) == "2 người"


# English nouns that are counted in the catalogues ("{count} questions").
COUNTED = (
    r"(?:young |other |bad |more |new )?(?:people|persons?|questions|answers|messages|units|"
    r"groups|days|commitments|campaigns|officials|rows|departments|recipients|supporters|"
    r"supports|tasks|names|communes|wards|tables|references|reminders|minutes|hours|fields|"
    r"characters|dialogues|documents|times|codes|files|sheets|items|entries|words|lines|"
    r"comments|invites|secretaries|broadcasts|topics|deadlines|weeks|months|years|columns|"
    r"clusters|numbers|links|parts|letters|seconds|recommendations)\b"
)
COUNT = re.compile(
    r"\{(\w+)(?:[:!][^}]*)?\}(?:/\{\w+\})? (?:of (?:the )?young people's )?" + COUNTED
)
# A count that is never 1 where the message is shown: (key, placeholder) and why.
NEVER_ONE = {
    ("answers.sheet.too_many", "max"): "MAX_ROWS, 20,000",
    ("cluster.file.no_header", "rows"): "_HEADER_ROWS, 20",
    ("programme.full", "max"): "PROGRAMME_MAX, 15",
    ("invite.created", "days"): "INVITE_DAYS, 7",
    ("link.code", "minutes"): "CODE_TTL, 15 minutes",
    ("link.code.official", "minutes"): "CODE_TTL, 15 minutes",
    ("welcome.many", "count"): "several campaigns open (one has its own welcome)",
    ("cli.units.csv.fields", "fields"): "more fields than the header's columns, so 2 or more",
    ("cli.documents.wrong_level", "actual"): "a level's name, not a count",
    ("preview.several", "n"): "question_parts: a list of 2 to MAX_PARTS questions",
}
# Length limits and the length of a text over one ("{max} characters"): never 1.
LIMITS = {"max", "limit", "length"}


def test_no_english_message_dodges_a_count_with_s_in_brackets() -> None:
    """ "2 bad row(s)", "missing column(s)": a plural message says it properly."""
    dodged = [
        key
        for key in sorted(catalogue_keys("en"))
        for text in _texts("en", key)
        if re.search(r"\w\((?:s|es)\)", text)
    ]
    assert not dodged, dodged


def _texts(language: str, key: str) -> list[str]:
    from locales import _load

    catalogue = _load(language).translations
    return [
        catalogue.gettext(key),
        catalogue.ngettext(key, key, 1),
        catalogue.ngettext(key, key, 2),
    ]


def test_every_english_count_is_plural_aware_or_never_one() -> None:
    """Every English message that puts a noun after a count placeholder is a plural message
    (``tr.n``: "1 young person", "2 young people"), or the count is never 1 there."""
    wrong = []
    for path in sorted((LOCALES_DIR / "en").glob("*.po")):
        with path.open("rb") as fh:
            singles = [(m.id, str(m.string)) for m in pofile.read_po(fh) if isinstance(m.id, str)]
        for key, text in singles:
            for match in COUNT.finditer(text):
                name = match.group(1)
                if name in LIMITS and "character" in match.group(0):
                    continue
                if (key, name) not in NEVER_ONE:
                    wrong.append(f"{key}: {match.group(0)}")
    assert not wrong, wrong
    stale = [(k, n) for k, n in NEVER_ONE if not any("{" + n + "}" in t for t in _texts("en", k))]
    assert not stale, stale  # a message reworded: its entry above goes with it
