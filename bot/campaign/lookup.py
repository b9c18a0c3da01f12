"""Finding what an operator names on the command line (a unit code, a campaign) and, when
nothing matches, the closest names: "có phải ...?". Topic groups and departments are found
by :mod:`bot.campaign.departments` (the registry's accent-free matching)."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process

from bot.campaign.former import FormerUnit
from bot.campaign.unitsearch import UnitSearch
from bot.clustering.normalize import fold
from locales import LocalizedError, Message
from storage import Store
from storage.models import Campaign, Unit

MAX_SUGGESTIONS = 3
CODE_CUTOFF = 60.0  # "w01237" for "w01273"; "x99999" suggests nothing
NAME_CUTOFF = 70.0


class NotFoundError(LocalizedError, LookupError):
    """Nothing of that name or code; the message offers the closest ones (exit status 2)."""

    status = 2


def closest(query: str, choices: Sequence[str], *, cutoff: float = NAME_CUTOFF) -> list[int]:
    """Indexes of the choices closest to ``query`` (accents, case and order ignored)."""
    folded = [fold(choice) for choice in choices]
    found = process.extract(
        fold(query), folded, scorer=fuzz.WRatio, limit=MAX_SUGGESTIONS, score_cutoff=cutoff
    )
    return [index for _, _, index in found]


def _or_list(names: Sequence[str]) -> Message:
    """ "“A”", "“A” hoặc “B”", "“A”, “B” hoặc “C”"."""
    quoted = [f"“{name}”" for name in names]
    if len(quoted) == 1:
        return Message("cli.suggest.one", name=quoted[0])
    return Message("cli.suggest.many", names=", ".join(quoted[:-1]), last=quoted[-1])


async def find_unit(store: Store, code: str) -> Unit:
    """The unit with this code, or :class:`NotFoundError` naming the closest codes and
    names (an operator may type "Thục Phán" where the code ``w01273`` is expected)."""
    code = code.strip()
    unit = await store.units.by_code(code) if code else None
    if unit is not None:
        return unit
    units = await store.units.all()
    scores: dict[int, float] = {}
    codes = [u.code.lower() for u in units]
    for _, score, index in process.extract(
        code.lower(), codes, scorer=fuzz.ratio, limit=MAX_SUGGESTIONS, score_cutoff=CODE_CUTOFF
    ):
        scores[index] = float(score)
    by_name = {u.id: i for i, u in enumerate(units)}
    formerly: dict[FormerUnit, list[str]] = {}
    for match in UnitSearch(units).search(code, limit=MAX_SUGGESTIONS):
        index = by_name[match.unit.id]
        scores[index] = max(scores.get(index, 0.0), match.score)
        if match.former is not None:
            formerly.setdefault(match.former, []).append(match.unit.name)
    ranked = sorted(scores, key=lambda i: -scores[i])[:MAX_SUGGESTIONS]
    if not ranked:
        raise NotFoundError("cli.no_unit", code=code)
    names = [f"{units[i].code} ({units[i].name})" for i in ranked]
    if formerly:
        # A commune of before July 2025 was typed: say why another name is offered, as
        # the chat does ("Xã Chí Viễn (huyện Trùng Khánh cũ) nay thuộc Xã Đàm Thuỷ.").
        former, now = next(iter(formerly.items()))
        note = Message(
            "unit.former",
            former=former.name,
            district=former.district[:1].lower() + former.district[1:],
            units=", ".join(now),
        )
        raise NotFoundError("cli.no_unit_former", code=code, note=note, suggestions=_or_list(names))
    raise NotFoundError("cli.no_unit_suggest", code=code, suggestions=_or_list(names))


def campaign_label(campaign: Campaign) -> str:
    return f"{campaign.id} ({campaign.title})"


async def find_campaign(store: Store, ref: int | str) -> Campaign:
    """A campaign by its number or by (a unique part of) its title."""
    text = str(ref).strip()
    if text.isdecimal():
        campaign = await store.campaigns.get(int(text))
        if campaign is not None:
            return campaign
        campaigns = await store.campaigns.all()
        if not campaigns:
            raise NotFoundError("cli.campaign.not_found", id=text)
        latest = [campaign_label(c) for c in campaigns[-MAX_SUGGESTIONS:]]
        raise NotFoundError("cli.campaign.not_found_suggest", id=text, suggestions=_or_list(latest))
    campaigns = await store.campaigns.all()
    wanted = fold(text)
    exact = [c for c in campaigns if fold(c.title) == wanted]
    inside = exact or [c for c in campaigns if wanted and wanted in fold(c.title)]
    if not inside and wanted:
        # "Cao Bằng 2027" for "Hội nghị đối thoại … tỉnh Cao Bằng với thanh niên năm 2027":
        # every word typed is a word of the title.
        words = wanted.split()
        inside = [c for c in campaigns if all(f" {w} " in f" {fold(c.title)} " for w in words)]
    active = [c for c in inside if c.status == "active"]
    if len(inside) == 1 or len(active) == 1:
        return inside[0] if len(inside) == 1 else active[0]
    if inside:
        labels = [campaign_label(c) for c in inside[:MAX_SUGGESTIONS]]
        raise NotFoundError("cli.campaign.ambiguous", name=text, suggestions=_or_list(labels))
    near = closest(text, [c.title for c in campaigns])
    if not near:
        raise NotFoundError("cli.campaign.no_title", name=text)
    labels = [campaign_label(campaigns[i]) for i in near]
    raise NotFoundError("cli.campaign.no_title_suggest", name=text, suggestions=_or_list(labels))
