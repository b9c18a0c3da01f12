"""The registry of a province's departments and agencies ("sở, ban, ngành") that answer
young people's questions, and the lookup every command uses to name one (or a topic
group).

The default list (``bot/campaign/data/departments.csv``) has the departments after the
2025 reorganisation, with the pre-2025 names they absorbed as aliases ("Sở Lao động -
Thương binh và Xã hội" → "Sở Nội vụ", "Sở Kế hoạch và Đầu tư" → "Sở Tài chính") and the
usual abbreviations ("SNV", "Sở GD&ĐT"). ``{level}`` in it is "tỉnh" or "thành phố" and
``{union}`` is "Tỉnh đoàn" or "Thành đoàn". A province loads its own list with
``youthbot departments load FILE.csv`` and edits it with ``add``, ``rename``, ``alias``.

A name typed by an official is looked up, never created: an unknown name is refused with
the closest names ("did you mean"). The registry is seeded with the defaults the first
time a province needs it; at that moment the department names already stored as free
text (before the registry existed) are mapped to it, so "So Noi vu" and "Sở Nội Vụ"
typed in the past become the one "Sở Nội vụ".

Used by the command line and by the chat handlers (no platform code here).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources

from bot.campaign.names import NameEntry, NameMatcher, name_key
from handlers.engine import topic_label
from locales import SUPPORTED_LANGUAGES, LocalizedError, Message, translator
from storage import Store
from storage.departments import Department
from storage.models import Campaign, Topic, UnitKind

MAX_NAME = 150
# Words that say nothing on their own about which department.
GENERIC_WORDS = ("sở", "ban", "tỉnh", "thành phố", "các", "trường")
CSV_COLUMNS = ("name", "aliases")


class DepartmentError(LocalizedError, LookupError):
    """A department (or topic) name that cannot be used as given; the text (with the
    suggestions) is in ``locales/*/departments.po``."""


@dataclass(frozen=True)
class DepartmentSpec:
    """One line of a departments CSV: the official name and its aliases."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass
class LoadResult:
    added: list[str] = field(default_factory=list)
    aliases_added: int = 0
    mapped: dict[str, str] = field(default_factory=dict)  # free text → official name
    kept: list[str] = field(default_factory=list)  # free text with no match, registered


# -- the province -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvinceWords:
    """How a province's bodies are named: "tỉnh"/"Tỉnh đoàn" or "thành phố"/"Thành đoàn"."""

    code: str
    name: str
    level: str
    union: str

    @property
    def suffixes(self) -> tuple[str, ...]:
        plain = self.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
        return (f"{self.level} {plain}", plain, self.level)


async def province_words(store: Store, province_code: str) -> ProvinceWords:
    unit = await store.units.by_code(province_code)
    name = unit.name if unit is not None else ""
    city = name.lower().startswith("thành phố")
    return ProvinceWords(
        code=province_code,
        name=name,
        level="thành phố" if city else "tỉnh",
        union="Thành đoàn" if city else "Tỉnh đoàn",
    )


async def campaign_province(store: Store, campaign: Campaign) -> str:
    """The province whose departments answer a campaign's questions."""
    host = await store.units.get(campaign.host_unit_id)
    if host is None:
        return campaign.host_unit_code
    if host.kind == UnitKind.PROVINCE:
        return host.code
    return host.province_code or host.parent_code or host.code


async def province_for(store: Store, campaign_id: int | None) -> str | None:
    """The province of a campaign, or (no campaign named) of the only province loaded."""
    campaign = await store.campaigns.get(campaign_id) if campaign_id is not None else None
    if campaign is not None:
        return await campaign_province(store, campaign)
    provinces = await store.units.all(kinds=[UnitKind.PROVINCE])
    return provinces[0].code if provinces else None


# -- the data file ------------------------------------------------------------------------------


def parse_departments_csv(data: bytes) -> tuple[list[DepartmentSpec], list[Message]]:
    """Read a departments CSV (columns ``name``, ``aliases`` separated by ";").

    Returns the rows and the problems, each naming its line; a caller loads nothing when
    there is any problem, so a bad file is never half-loaded.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Message("departments.csv.encoding")]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "name" not in header:
        return [], [Message("departments.csv.header", columns=", ".join(CSV_COLUMNS))]
    specs: list[DepartmentSpec] = []
    problems: list[Message] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        name = " ".join(values.get("name", "").split())
        aliases = tuple(
            " ".join(a.split()) for a in values.get("aliases", "").split(";") if a.strip()
        )
        if not name and not aliases:
            continue  # a blank line
        if not name:
            problems.append(Message("departments.csv.no_name", line=line))
            continue
        if len(name) > MAX_NAME or any(len(a) > MAX_NAME for a in aliases):
            problems.append(Message("departments.csv.too_long", line=line, max=MAX_NAME))
            continue
        key = name_key(name)
        if key in seen:
            problems.append(Message("departments.csv.twice", line=line, first=seen[key]))
            continue
        seen[key] = line
        specs.append(DepartmentSpec(name, aliases))
    if not specs and not problems:
        problems.append(Message("departments.csv.empty"))
    return specs, problems


def default_specs(words: ProvinceWords) -> list[DepartmentSpec]:
    """The default departments, named for this province."""
    data = (resources.files("bot.campaign") / "data" / "departments.csv").read_bytes()
    specs, problems = parse_departments_csv(data)
    assert not problems, problems  # shipped data; a test reads it

    def fill(text: str) -> str:
        return text.replace("{level}", words.level).replace("{union}", words.union)

    return [DepartmentSpec(fill(s.name), tuple(fill(a) for a in s.aliases)) for s in specs]


# -- lookup ------------------------------------------------------------------------------------


def _matcher(departments: list[Department], words: ProvinceWords) -> NameMatcher:
    return NameMatcher(
        (NameEntry(d.id, (d.name, *d.aliases)) for d in departments),
        generic=GENERIC_WORDS,
        suffixes=words.suffixes,
    )


async def departments(store: Store, province_code: str, *, now: datetime) -> list[Department]:
    """The province's departments, seeding the defaults the first time."""
    await ensure_registry(store, province_code, now=now)
    return await store.departments.of_province(province_code)


async def find_department(
    store: Store, province_code: str, name: str, *, now: datetime
) -> Department:
    """The department ``name`` means (official name, alias, any accents or case, one
    typo). Raises :class:`DepartmentError` with suggestions; never creates one."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise DepartmentError("departments.empty_name")
    found = await departments(store, province_code, now=now)
    words = await province_words(store, province_code)
    match = _matcher(found, words).match(cleaned)
    if match.entry is None:
        raise _not_found("departments.unknown", cleaned, match.suggestions)
    return next(d for d in found if d.id == match.entry.id)


async def find_topic(store: Store, campaign_id: int, name: str) -> Topic:
    """A campaign's topic group ("nhóm vấn đề") by name, matched like departments
    ("viec lam" finds "Nghề nghiệp, việc làm"), or by a default group's name in another
    language, as the digests name it ("Careers and jobs")."""
    topics = await store.campaigns.topics(campaign_id, include_inactive=True)
    entries = (
        NameEntry(
            t.id,
            tuple(
                dict.fromkeys(
                    [
                        t.name,
                        *(topic_label(translator(lang), t.name) for lang in SUPPORTED_LANGUAGES),
                    ]
                )
            ),
        )
        for t in topics
    )
    match = NameMatcher(entries).match(name)
    if match.entry is None:
        hint = (
            Message(
                "departments.did_you_mean", names="; ".join(f"“{s}”" for s in match.suggestions)
            )
            if match.suggestions
            else Message("departments.topics_are", names="; ".join(t.name for t in topics))
        )
        raise DepartmentError("departments.unknown_topic", name=" ".join(name.split()), hint=hint)
    return next(t for t in topics if t.id == match.entry.id)


def _not_found(key: str, name: str, suggestions: tuple[str, ...]) -> DepartmentError:
    hint = (
        Message("departments.did_you_mean", names="; ".join(f"“{s}”" for s in suggestions))
        if suggestions
        else Message("departments.see_list")
    )
    return DepartmentError(key, name=name[:MAX_NAME], hint=hint)


# -- editing -----------------------------------------------------------------------------------


async def ensure_registry(store: Store, province_code: str, *, now: datetime) -> LoadResult | None:
    """Seed the defaults for a province that has no departments yet, and map the free
    text stored before; None when the registry was already there."""
    if await store.departments.count(province_code):
        return None
    words = await province_words(store, province_code)
    return await load(store, province_code, default_specs(words), now=now)


async def load(
    store: Store, province_code: str, specs: list[DepartmentSpec], *, now: datetime
) -> LoadResult:
    """Add the departments of a list (an existing one gains the list's aliases), then map
    the free-text names stored elsewhere to the registry."""
    result = LoadResult()
    async with store.transaction():
        words = await province_words(store, province_code)
        existing = await store.departments.of_province(province_code, include_inactive=True)
        for spec in specs:
            key = name_key(spec.name)
            current = next(
                (d for d in existing if d.search_key == key or key in _alias_keys(d)), None
            )
            aliases = _alias_pairs(spec.aliases, exclude=key)
            if current is None:
                _check_free(existing, spec)
                await store.departments.add(province_code, spec.name, key, aliases=aliases, now=now)
                result.added.append(spec.name)
            else:
                result.aliases_added += await store.departments.add_aliases(current.id, aliases)
            existing = await store.departments.of_province(province_code, include_inactive=True)
        await _migrate(store, province_code, existing, words, result, now=now)
        await store.audit.record(
            "departments.load",
            at=now,
            target=province_code,
            detail={"added": len(result.added), "mapped": result.mapped, "kept": result.kept},
        )
    return result


async def migrate(store: Store, province_code: str, *, now: datetime) -> LoadResult:
    """Map free-text department names stored before the registry to official names."""
    result = LoadResult()
    await ensure_registry(store, province_code, now=now)
    async with store.transaction():
        words = await province_words(store, province_code)
        existing = await store.departments.of_province(province_code, include_inactive=True)
        await _migrate(store, province_code, existing, words, result, now=now)
    return result


async def _migrate(
    store: Store,
    province_code: str,
    existing: list[Department],
    words: ProvinceWords,
    result: LoadResult,
    *,
    now: datetime,
) -> None:
    for text in await store.departments.referenced_names():
        match = _matcher(existing, words).match(text)
        if match.entry is not None:
            official = next(d.name for d in existing if d.id == match.entry.id)
            if official != text:
                await store.departments.rewrite_references(text, official)
                result.mapped[text] = official
            continue
        # In use before the registry: kept as a department of its own (reported), so the
        # roles and questions naming it keep working; `departments rename` can fix it.
        cleaned = " ".join(text.split())[:MAX_NAME]
        await store.departments.add(province_code, cleaned, name_key(cleaned), now=now)
        if cleaned != text:
            await store.departments.rewrite_references(text, cleaned)
        result.kept.append(cleaned)
        existing = await store.departments.of_province(province_code, include_inactive=True)


def _alias_keys(department: Department) -> set[str]:
    return {name_key(a) for a in department.aliases}


def _alias_pairs(aliases: tuple[str, ...], *, exclude: str) -> list[tuple[str, str]]:
    pairs: dict[str, str] = {}
    for alias in aliases:
        key = name_key(alias)
        if key and key != exclude:
            pairs.setdefault(key, alias)
    return [(alias, key) for key, alias in pairs.items()]


def _check_free(existing: list[Department], spec: DepartmentSpec) -> None:
    """A new department's name and aliases must not already name another one."""
    for text in (spec.name, *spec.aliases):
        key = name_key(text)
        for d in existing:
            if key == d.search_key or key in _alias_keys(d):
                raise DepartmentError("departments.taken", name=text, department=d.name)


async def add(
    store: Store, province_code: str, name: str, aliases: tuple[str, ...], *, now: datetime
) -> Department:
    """A new department; refused when its name or an alias already names one."""
    name = " ".join(name.split())
    if not name:
        raise DepartmentError("departments.empty_name")
    if len(name) > MAX_NAME:
        raise DepartmentError("departments.too_long", max=MAX_NAME)
    found = await departments(store, province_code, now=now)
    spec = DepartmentSpec(name, tuple(" ".join(a.split()) for a in aliases if a.strip()))
    _check_free(found, spec)
    key = name_key(name)
    department_id = await store.departments.add(
        province_code, name, key, aliases=_alias_pairs(spec.aliases, exclude=key), now=now
    )
    await store.audit.record("departments.add", at=now, target=f"department:{department_id}")
    return next(
        d for d in await store.departments.of_province(province_code) if d.id == department_id
    )


async def rename(
    store: Store, province_code: str, old: str, new: str, *, now: datetime
) -> tuple[Department, int]:
    """Rename a department (found by any of its names); the old name becomes an alias and
    every question, topic, role, invite and commitment follows. Returns the department
    as it was and how many references changed."""
    department = await find_department(store, province_code, old, now=now)
    new = " ".join(new.split())
    if not new:
        raise DepartmentError("departments.empty_name")
    if len(new) > MAX_NAME:
        raise DepartmentError("departments.too_long", max=MAX_NAME)
    key = name_key(new)
    for other in await store.departments.of_province(province_code, include_inactive=True):
        if other.id != department.id and (key == other.search_key or key in _alias_keys(other)):
            raise DepartmentError("departments.taken", name=new, department=other.name)
    changed = await store.departments.rename(
        department, new, key, old_key=department.search_key, now=now
    )
    await store.audit.record(
        "departments.rename",
        at=now,
        target=f"department:{department.id}",
        detail={"from": department.name, "to": new, "references": changed},
    )
    return department, changed


async def add_aliases(
    store: Store, province_code: str, name: str, aliases: tuple[str, ...], *, now: datetime
) -> tuple[Department, int]:
    """Give a department more names it can be found by (old names, abbreviations)."""
    department = await find_department(store, province_code, name, now=now)
    pairs = _alias_pairs(
        tuple(" ".join(a.split()) for a in aliases if a.strip()), exclude=department.search_key
    )
    if not pairs:
        raise DepartmentError("departments.empty_name")
    for alias, key in pairs:
        if len(alias) > MAX_NAME:
            raise DepartmentError("departments.too_long", max=MAX_NAME)
        for other in await store.departments.of_province(province_code, include_inactive=True):
            if other.id != department.id and (key == other.search_key or key in _alias_keys(other)):
                raise DepartmentError("departments.taken", name=alias, department=other.name)
    added = await store.departments.add_aliases(department.id, pairs)
    await store.audit.record(
        "departments.alias", at=now, target=f"department:{department.id}", detail={"added": added}
    )
    return department, added
