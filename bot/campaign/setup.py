"""Campaign set-up shared by the CLI, the demo and chat commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from bot.application.app import App
from bot.campaign.timeline import TimelineError, compute_timeline
from locales import LocalizedError
from storage.models import Campaign, DeadlineKind, UnitKind

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


async def create_campaign(
    app: App,
    *,
    title: str,
    dialogue: date,
    level: str = "province",
    host_code: str | None = None,
    theme: str = "",
    complex_content: bool = False,
    allow_anonymous: bool = True,
    accept_late: bool = False,
    overrides: Mapping[DeadlineKind, date] | None = None,
    topics: Sequence[str] = DEFAULT_TOPICS,
) -> Campaign:
    title = title.strip()
    if not title:
        raise CampaignSetupError("cli.campaign.empty_title")
    if level not in ("province", "commune"):
        raise CampaignSetupError("cli.campaign.bad_level")
    host = await app.store.units.by_code(host_code) if host_code else None
    if host_code and host is None:
        raise CampaignSetupError("cli.no_unit", code=host_code)
    if host is None:
        provinces = await app.store.units.all(kinds=[UnitKind.PROVINCE])
        if not provinces:
            raise CampaignSetupError("cli.campaign.no_units")
        host = provinces[0]
    if level == "province" and host.kind != UnitKind.PROVINCE:
        raise CampaignSetupError("cli.campaign.province_host")
    if level == "commune" and not host.kind.territorial:
        raise CampaignSetupError("cli.campaign.commune_host")
    try:
        deadlines = compute_timeline(dialogue, complex_content=complex_content, overrides=overrides)
    except TimelineError as exc:
        raise CampaignSetupError(exc.key, **exc.params) from exc
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
) -> Campaign:
    """Recompute the timeline: dates set by hand stay unless changed now."""
    kept = {d.kind: d.due for d in campaign.deadlines if d.overridden}
    kept.pop(DeadlineKind.DIALOGUE, None)
    kept.update(overrides or {})
    new_dialogue = dialogue or campaign.dialogue_date
    is_complex = campaign.complex if complex_content is None else complex_content
    try:
        deadlines = compute_timeline(new_dialogue, complex_content=is_complex, overrides=kept)
    except TimelineError as exc:
        raise CampaignSetupError(exc.key, **exc.params) from exc
    async with app.store.transaction():
        await app.store.campaigns.update(
            campaign.id, now=app.clock.now(), dialogue_date=new_dialogue, complex=is_complex
        )
        await app.store.campaigns.set_deadlines(campaign.id, deadlines)
    updated = await app.store.campaigns.get(campaign.id)
    assert updated is not None
    return updated


async def resolve_campaign(app: App, campaign_id: int | None) -> Campaign:
    """The campaign asked for, or the only active one."""
    if campaign_id is not None:
        campaign = await app.store.campaigns.get(campaign_id)
        if campaign is None:
            raise CampaignSetupError("cli.campaign.not_found", id=campaign_id)
        return campaign
    active = await app.store.campaigns.active()
    if not active:
        raise CampaignSetupError("cli.campaign.no_active")
    if len(active) > 1:
        ids = ", ".join(str(c.id) for c in active)
        raise CampaignSetupError("cli.campaign.several_active", ids=ids)
    return active[0]
