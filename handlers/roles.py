"""Roles in chat: redeeming an invite ("/start i-CODE", /nhanquyen), issuing one (/moi),
and seeing one's roles (/vaitro)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bot.campaign.departments import DepartmentError, find_department, province_for
from handlers.access import Action, Scope, authorize
from handlers.engine import Ctx, Router
from handlers.officials import show_tasks
from storage import Store
from storage.questions import CODE_ALPHABET, clean_code

router = Router()

INVITE_LENGTH = 10
INVITE_DAYS = 7
MAX_FAILED_PER_HOUR = 5
# The digest each role gets by default (frequency, local hour, weekday for weekly).
DEFAULT_DIGESTS: dict[str, tuple[str, int, int | None]] = {
    "organiser": ("daily", 17, None),
    "secretary": ("daily", 17, None),
    "department": ("weekly", 8, 0),  # Monday morning
}
_ROLE_WORDS = {
    "bithu": "secretary",
    "secretary": "secretary",
    "tochuc": "organiser",
    "organiser": "organiser",
    "organizer": "organiser",
    "songanh": "department",
    "department": "department",
    "admin": "admin",
    "quantri": "admin",
}


def new_invite_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(INVITE_LENGTH))


async def create_invite(
    store: Store,
    role: str,
    *,
    now: datetime,
    unit_id: int | None = None,
    campaign_id: int | None = None,
    department: str | None = None,
    created_by: int | None = None,
    days: int = INVITE_DAYS,
) -> str:
    """A single-use code for ``role``; only its hash is stored."""
    code = new_invite_code()
    await store.roles.create_invite(
        code,
        role,
        now=now,
        expires_at=now + timedelta(days=days),
        unit_id=unit_id,
        campaign_id=campaign_id,
        department=department,
        created_by=created_by,
    )
    await store.audit.record(
        "invite.create",
        at=now,
        actor_id=created_by,
        target=role,
        detail={"unit_id": unit_id, "campaign_id": campaign_id, "department": department},
    )
    return code


async def _failed_recently(ctx: Ctx) -> int:
    entries = await ctx.store.audit.entries(action="invite.failed", limit=50)
    since = ctx.now - timedelta(hours=1)
    return sum(1 for e in entries if e.actor_id == ctx.person.id and e.at >= since)


async def role_label(ctx: Ctx, role: str, unit_id: int | None, department: str | None) -> str:
    where = ""
    if unit_id is not None:
        unit = await ctx.store.units.get(unit_id)
        where = unit.name if unit else ""
    elif department:
        where = department
    label = ctx.tr(f"role.{role}")
    return f"{label} – {where}" if where else label


@router.start_payload("i-")
async def redeem_payload(ctx: Ctx, code: str) -> None:
    await redeem(ctx, code)


@router.command("nhanquyen", "redeem")
async def redeem_command(ctx: Ctx) -> None:
    code = (ctx.event.text or "").strip()
    if not code:
        ctx.say(ctx.tr("invite.usage"))
        return
    await redeem(ctx, code)


async def redeem(ctx: Ctx, code: str) -> None:
    ctx.reset()
    # As pasted from a message or a document: "MÃ,", "“MÃ”", "#MÃ", "MÃ." are the code.
    code = clean_code(code)
    if await _failed_recently(ctx) >= MAX_FAILED_PER_HOUR:
        await ctx.audit("invite.throttled")
        ctx.say(ctx.tr("invite.throttled"))
        return
    invite = await ctx.store.roles.invite_by_code(code)
    problem = None
    if invite is None:
        problem = "invite.unknown"
    elif invite.used_at is not None:
        problem = "invite.used"
    elif invite.expires_at < ctx.now:
        problem = "invite.expired"
    if problem is not None or invite is None:
        await ctx.audit("invite.failed", target=problem or "", code_length=len(code))
        ctx.say(ctx.tr(problem or "invite.unknown"))
        return
    if not await ctx.store.roles.use_invite(invite.id, ctx.person.id, now=ctx.now):
        await ctx.audit("invite.failed", target="invite.used")
        ctx.say(ctx.tr("invite.used"))
        return
    role_id = await ctx.store.roles.grant(
        ctx.person.id,
        invite.role,
        now=ctx.now,
        unit_id=invite.unit_id,
        campaign_id=invite.campaign_id,
        department=invite.department,
    )
    await ctx.audit("role.grant", target=f"role:{role_id}", role=invite.role, invite=invite.id)
    if invite.role in DEFAULT_DIGESTS:
        frequency, hour, weekday = DEFAULT_DIGESTS[invite.role]
        await ctx.store.jobs.subscribe(
            role_id, frequency=frequency, hour=hour, weekday=weekday, now=ctx.now
        )
    label = await role_label(ctx, invite.role, invite.unit_id, invite.department)
    ctx.say(ctx.tr("invite.granted", role=label))
    # What the new role can do now, as buttons (a department's contact has no use for
    # the report hint alone: its task is the answers).
    show_tasks(ctx, await ctx.store.roles.of_person(ctx.person.id))


@router.command("vaitro", "roles")
async def my_roles(ctx: Ctx) -> None:
    roles = await ctx.store.roles.of_person(ctx.person.id)
    if not roles:
        ctx.say(ctx.tr("role.none"))
        return
    lines = [ctx.tr("role.title")]
    for role in roles:
        lines.append("• " + await role_label(ctx, role.role, role.unit_id, role.department))
    ctx.say("\n".join(lines))


@router.command("moi", "invite")
async def invite_command(ctx: Ctx) -> None:
    """/moi bithu <unit code> | /moi songanh <department name> | /moi tochuc | /moi admin"""
    words = (ctx.event.text or "").split(maxsplit=1)
    role = _ROLE_WORDS.get(words[0].lower()) if words else None
    rest = words[1].strip() if len(words) > 1 else ""
    if role is None:
        ctx.say(ctx.tr("invite.create_usage"))
        return
    unit_id = None
    department = None
    if role == "secretary":
        unit = await ctx.store.units.by_code(rest) if rest else None
        if unit is None:
            ctx.say(ctx.tr("invite.create_usage"))
            return
        unit_id = unit.id
    elif role == "department" and not rest:
        ctx.say(ctx.tr("invite.create_usage"))
        return
    # An organiser of one campaign invites for that campaign; otherwise for the only open
    # one, or for every campaign.
    opens = await ctx.engine.open_campaigns(ctx.now)
    open_ids = {c.id for c, _ in opens}
    own = {
        r.campaign_id
        for r in await ctx.store.roles.of_person(ctx.person.id)
        if r.role == "organiser" and r.campaign_id in open_ids
    }
    if len(own) == 1:
        campaign_id: int | None = own.pop()
    else:
        campaign_id = opens[0][0].id if len(opens) == 1 else None
    if role == "department":
        # Looked up in the province's registry, never created from what was typed.
        province = await province_for(ctx.store, campaign_id)
        try:
            if province is None:
                raise DepartmentError("departments.see_list")
            department = (await find_department(ctx.store, province, rest, now=ctx.now)).name
        except DepartmentError as exc:
            ctx.say(exc.render(ctx.tr))
            return
    scope = Scope(campaign_id=campaign_id, unit_id=unit_id, department=department, role=role)
    granted = await authorize(ctx.store, ctx.person.id, Action.INVITE, scope, now=ctx.now)
    if granted is None:
        await ctx.refuse()
        return
    code = await create_invite(
        ctx.store,
        role,
        now=ctx.now,
        unit_id=unit_id,
        campaign_id=granted.campaign_id if role != "admin" else None,
        department=department,
        created_by=ctx.person.id,
    )
    label = await role_label(ctx, role, unit_id, department)
    ctx.say(ctx.tr("invite.created", role=label, code=code, days=INVITE_DAYS))
