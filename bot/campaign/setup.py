"""Campaign set-up shared by the CLI, the demo and chat commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from bot.application.app import App
from bot.campaign.lookup import find_campaign, find_unit
from bot.campaign.timeline import TimelineError, compute_timeline, label
from bot.campaign.units import province_by_codename, province_unit_code
from locales import LocalizedError
from storage.models import Campaign, Deadline, DeadlineKind, Unit, UnitKind

# Default topic groups ("nhóm vấn đề") from the plans; editable per campaign.
DEFAULT_TOPICS: tuple[str, ...] = (
    "Chuyển đổi số",
    "Quy hoạch tỉnh",
    "Nghề nghiệp, việc làm",
    "Khởi nghiệp, lập nghiệp, vay vốn",
    "Nâng cao chất lượng nguồn nhân lực trẻ",
    "Xây dựng nông thôn mới, đô thị văn minh",
    "Xây dựng tổ chức Đoàn, Hội",
    "Chính sách thu hút tài năng trẻ",
    "Thanh niên xuất ngũ",
    "Khen thưởng thanh niên tình nguyện",
    "An toàn thực phẩm trường học",
    "Cán bộ Đoàn quá tuổi",
    "Kiến nghị khác",
)


class CampaignSetupError(LocalizedError, ValueError):
    """A campaign cannot be created or edited as asked (one line for the operator, from
    ``locales/*/cli.po``: the command line renders it in the operator's language)."""


async def default_host(app: App) -> Unit:
    """The configured province (``YOUTHBOT_PROVINCE``), once its units are loaded."""
    codename = app.settings.core.province
    province = province_by_codename(codename)
    assert province is not None  # the settings checked the codename
    host = await app.store.units.by_code(province_unit_code(province))
    if host is None:
        if not await app.store.units.all(kinds=[UnitKind.PROVINCE]):
            raise CampaignSetupError("cli.campaign.no_units")
        raise CampaignSetupError(
            "cli.campaign.province_not_loaded", province=province.name, codename=codename
        )
    return host


def check_host(host: Unit, level: str) -> None:
    if level == "province" and host.kind != UnitKind.PROVINCE:
        raise CampaignSetupError("cli.campaign.province_host")
    if level == "commune" and not host.kind.territorial:
        raise CampaignSetupError("cli.campaign.commune_host")


def check_not_past(
    deadlines: Sequence[Deadline], *, today: date, kinds: Sequence[DeadlineKind]
) -> None:
    """Refuse dates already gone (a mistyped year, a copied plan): the dialogue first, then
    any other date among ``kinds``. Publishing the plan may lie in the past."""
    due = {d.kind: d.due for d in deadlines}
    if DeadlineKind.DIALOGUE in kinds and due[DeadlineKind.DIALOGUE] < today:
        raise CampaignSetupError(
            "cli.campaign.past_dialogue", date=due[DeadlineKind.DIALOGUE], today=today
        )
    for kind in DeadlineKind:
        if kind in kinds and kind != DeadlineKind.PLAN_PUBLISHED and due[kind] < today:
            raise CampaignSetupError(
                "cli.campaign.past_date", kind=label(kind), date=due[kind], today=today
            )


async def create_campaign(
    app: App,
    *,
    title: str,
    dialogue: date,
    level: str | None = None,
    host_code: str | None = None,
    theme: str = "",
    complex_content: bool = False,
    allow_anonymous: bool = True,
    accept_late: bool = False,
    overrides: Mapping[DeadlineKind, date] | None = None,
    topics: Sequence[str] = DEFAULT_TOPICS,
    allow_past: bool = False,
    organiser: str = "",
    contact: str = "",
) -> Campaign:
    """A new campaign hosted by ``host_code`` or the configured province.

    ``level`` ("province" or "commune") follows the host when not given: a commune,
    ward or special zone hosts its own dialogue ("cấp xã"), the province the provincial
    one. Dates already past are refused unless ``allow_past`` (recording a past dialogue).
    """
    title = title.strip()
    if not title:
        raise CampaignSetupError("cli.campaign.empty_title")
    if level not in (None, "province", "commune"):
        raise CampaignSetupError("cli.campaign.bad_level")
    host = await find_unit(app.store, host_code) if host_code else await default_host(app)
    if level is None:
        level = "province" if host.kind == UnitKind.PROVINCE else "commune"
    check_host(host, level)
    try:
        deadlines = compute_timeline(dialogue, complex_content=complex_content, overrides=overrides)
    except TimelineError as exc:
        raise CampaignSetupError(exc.key, **exc.params) from exc
    if not allow_past:
        check_not_past(deadlines, today=app.local_now().date(), kinds=list(DeadlineKind))
    clean_topics = [t.strip() for t in topics if t.strip()]
    if not clean_topics:
        raise CampaignSetupError("cli.campaign.no_topics")
    campaign_id = await app.store.campaigns.create(
        title=title,
        theme=theme.strip(),
        level=level,
        host_unit_id=host.id,
        dialogue_date=dialogue,
        complex_content=complex_content,
        allow_anonymous=allow_anonymous,
        accept_late=accept_late,
        deadlines=deadlines,
        topics=list(dict.fromkeys(clean_topics)),
        now=app.clock.now(),
    )
    extra = {"organiser": organiser.strip(), "contact": contact.strip()}
    if any(extra.values()):
        await app.store.campaigns.update(campaign_id, now=app.clock.now(), **extra)
    campaign = await app.store.campaigns.get(campaign_id)
    assert campaign is not None
    return campaign


async def reschedule(
    app: App,
    campaign: Campaign,
    *,
    dialogue: date | None = None,
    complex_content: bool | None = None,
    overrides: Mapping[DeadlineKind, date] | None = None,
    allow_past: bool = True,
) -> Campaign:
    """Recompute the timeline: dates set by hand stay unless changed now. With
    ``allow_past=False`` a date this change moves into the past is refused."""
    kept = {d.kind: d.due for d in campaign.deadlines if d.overridden}
    kept.pop(DeadlineKind.DIALOGUE, None)
    kept.update(overrides or {})
    new_dialogue = dialogue or campaign.dialogue_date
    is_complex = campaign.complex if complex_content is None else complex_content
    try:
        deadlines = compute_timeline(new_dialogue, complex_content=is_complex, overrides=kept)
    except TimelineError as exc:
        raise CampaignSetupError(exc.key, **exc.params) from exc
    if not allow_past:
        before = {d.kind: d.due for d in campaign.deadlines}
        moved = [d.kind for d in deadlines if before.get(d.kind) != d.due]
        check_not_past(deadlines, today=app.local_now().date(), kinds=moved)
    old_dates = {d.kind: d.due for d in campaign.deadlines}
    async with app.store.transaction():
        await app.store.campaigns.update(
            campaign.id, now=app.clock.now(), dialogue_date=new_dialogue, complex=is_complex
        )
        await app.store.campaigns.set_deadlines(campaign.id, deadlines)
        # Reminders of a moved date still waiting in the outbox (an outage) would name the
        # old date: they go; the new date's are computed by the next tick.
        await app.store.outbox.drop_pending(
            [
                pattern
                for d in deadlines
                if d.kind in old_dates and old_dates[d.kind] != d.due
                for pattern in _reminder_keys(campaign.id, d.kind, old_dates[d.kind])
            ]
        )
    updated = await app.store.campaigns.get(campaign.id)
    assert updated is not None
    return updated


def _reminder_keys(campaign_id: int, kind: DeadlineKind, due: date) -> list[str]:
    """The outbox keys (LIKE patterns) of a deadline's reminders for one date
    (:meth:`bot.campaign.reminders.Occurrence.key`; young people's have no date)."""
    found = [f"rem:{campaign_id}:%:{kind.value}:{due}:%"]
    if kind == DeadlineKind.QUESTIONS_CLOSE:
        found.append(f"rem:{campaign_id}:youth:%")
    return found


async def resolve_campaign(app: App, campaign: int | str | None) -> Campaign:
    """The campaign asked for (by number or title), or the only active one."""
    if campaign is not None:
        return await find_campaign(app.store, campaign)
    active = await app.store.campaigns.active()
    if not active:
        raise CampaignSetupError("cli.campaign.no_active")
    if len(active) > 1:
        ids = ", ".join(str(c.id) for c in active)
        raise CampaignSetupError("cli.campaign.several_active", ids=ids)
    return active[0]
