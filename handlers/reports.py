"""``/baocao`` (``/report``): the digest of whoever asks, in their role's scope; and
``/vanban`` (``/documents``): the documents after the questions as Word files, for
organisers.

The digest itself (database queries, XLSX/DOCX/chart files) is made by the application
through the :class:`DigestMaker` it gives the engine; this module only decides who may see
what, which is the part that must never be wrong.
"""

from __future__ import annotations

import dataclasses
import re

from bot.clustering.normalize import fold
from handlers.access import Access, Action, Scope, authorize, natural_scope, role_may
from handlers.audience import Membership
from handlers.engine import Choice, Ctx, Router
from handlers.events import Reply
from handlers.programme import official_campaign
from handlers.states import State
from storage.models import Unit
from storage.roles import Role

router = Router()


async def _named_unit(ctx: Ctx, typed: str) -> Unit | None:
    """The unit ``/baocao`` names, by code ("w01273") or by a name that leaves no doubt;
    otherwise ``None`` after saying what was found."""
    unit = await ctx.store.units.by_code(typed.strip())
    if unit is not None:
        return unit
    matches = (await ctx.engine.unit_search()).search(typed[:100], limit=5)
    exact = [m for m in matches if m.score >= 100.0]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0].unit
    if not matches:
        ctx.say(ctx.tr("report.unit_unknown", query=typed[:60]))
        return None
    lines = [ctx.tr("report.unit_which", query=typed[:60])]
    lines += [ctx.tr("report.unit_line", unit=m.unit.name, code=m.unit.code) for m in matches]
    ctx.say("\n".join(lines))
    return None


async def _unit_report(ctx: Ctx, typed: str) -> None:
    """``/baocao UNIT``: that unit's digest when a role covers it, else a clear refusal."""
    unit = await _named_unit(ctx, typed)
    if unit is None:
        return
    home = ctx.settings.home_province
    access = await Access.of(ctx.store, ctx.person.id, home=home)
    campaigns = await ctx.store.campaigns.active()
    # The first campaign a role that belongs to it covers the unit in (a Cao Bằng ward's
    # secretary: Cao Bằng's campaign, not Thái Nguyên's that comes first).
    campaign = campaigns[0] if campaigns else None
    for c in campaigns:
        if await access.granted(Action.DIGEST, Scope(campaign_id=c.id, unit_id=unit.id)):
            campaign = c
            break
    scope = Scope(campaign_id=campaign.id if campaign else None, unit_id=unit.id)
    role = await authorize(ctx.store, ctx.person.id, Action.DIGEST, scope, now=ctx.now, home=home)
    maker = ctx.engine.digests
    if role is None or campaign is None or maker is None:
        ctx.say(ctx.tr("report.unit_refused", unit=unit.name))
        return
    text, files = await maker.make(
        campaign,
        scope_kind="unit",
        unit_id=unit.id,
        department=None,
        show_names=True,
        language=ctx.person.language,
        person_id=ctx.person.id,
        channel=ctx.event.channel,
    )
    ctx.replies.append(Reply(text, attachments=tuple(files)))


@router.command("baocao", "report", "tonghop")
async def report_command(ctx: Ctx) -> None:
    """/baocao: the digest of the person's role; /baocao UNIT: that unit's, if allowed."""
    if (ctx.event.text or "").strip():
        await _unit_report(ctx, ctx.event.text)
        return
    maker = ctx.engine.digests
    campaigns = await ctx.store.campaigns.active()
    found = None
    # The first campaign the person belongs to: a role given without a campaign is not
    # every campaign (a Thái Nguyên secretary got Thục Phán's empty digest).
    members = await Membership.open(ctx.store, ctx.engine.settings.home_province)
    roles = await ctx.store.roles.of_person(ctx.person.id)
    for campaign in campaigns:
        own = [r for r in roles if await members.belongs(r, campaign)]
        found = await natural_scope(ctx.store, ctx.person.id, campaign.id, roles=own)
        if found is not None:
            break
    if found is None or maker is None:
        await ctx.audit("access.denied", target=f"{Action.DIGEST.value}:chat")
        await ctx.refuse()
        return
    role, scope = found
    await ctx.audit(
        "access.granted", target=f"{Action.DIGEST.value}:{scope.describe()}", role=role.role
    )
    kind = "unit" if scope.unit_id is not None else "department" if scope.department else "campaign"
    text, files = await maker.make(
        campaign,
        scope_kind=kind,
        unit_id=scope.unit_id,
        department=scope.department,
        show_names=True,  # every role with a digest may see the names in its scope
        language=ctx.person.language,
        person_id=ctx.person.id,
        channel=ctx.event.channel,
    )
    ctx.replies.append(Reply(text, attachments=tuple(files)))


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@router.command("email", "thudientu")
async def email_command(ctx: Ctx) -> None:
    """/email ADDRESS — officials get their digests with the files by e-mail too."""
    address = (ctx.event.text or "").strip()
    roles = await ctx.store.roles.of_person(ctx.person.id)
    if not roles:
        await ctx.refuse()
        return
    if not _EMAIL.match(address):
        ctx.say(ctx.tr("email.usage"))
        return
    for role in roles:
        await ctx.store.roles.set_email(role.id, address)
    await ctx.audit("role.email", target=",".join(str(r.id) for r in roles))
    ctx.say(ctx.tr("email.saved", address=address))


# -- /vanban: the documents after the questions, as Word files ------------------------------

# Each document, the words that name it (unaccented, no spaces) and the action it needs
# over the whole campaign (organisers).
_DOCUMENTS: tuple[tuple[str, tuple[str, ...], Action], ...] = (
    ("answers", ("traloi", "tonghoptraloi", "answers"), Action.DIGEST),
    ("programme", ("kichban", "chuongtrinh", "programme", "program"), Action.PROGRAMME),
    ("conclusion", ("ketluan", "thongbaoketluan", "conclusion"), Action.CONCLUSION),
    ("report", ("baocao", "baocaoketqua", "ketqua", "report"), Action.CONCLUSION),
)


@router.command("vanban", "documents")
async def documents_command(ctx: Ctx) -> None:
    """/vanban [traloi|kichban|ketluan|baocao] — a document after the questions as a Word
    file; alone, the documents this official may have, as buttons."""
    ctx.reset()
    typed = fold(ctx.event.text or "").replace(" ", "")
    if not typed:
        roles = await ctx.store.roles.of_person(ctx.person.id)
        allowed = [(kind, action) for kind, _, action in _DOCUMENTS if _may(roles, action)]
        if not allowed:
            await ctx.refuse()
            return
        ctx.ask(
            State.DOCUMENT_PICK,
            ctx.tr("documents.pick"),
            [[Choice(ctx.tr(f"documents.kind.{kind}"), "vd", kind)] for kind, _ in allowed],
        )
        return
    found = next(((k, a) for k, words, a in _DOCUMENTS if typed in words), None)
    if found is None:
        ctx.say(ctx.tr("documents.usage"))
        return
    await _send_document(ctx, *found)


def _may(roles: list[Role], action: Action) -> bool:
    return any(r.role in ("organiser", "admin") and role_may(r, action) for r in roles)


@router.action("vd")
async def document_pick(ctx: Ctx, kind: str) -> None:
    ctx.reset()
    found = next(((k, a) for k, _, a in _DOCUMENTS if k == kind), None)
    if found is None:
        ctx.say(ctx.tr("documents.usage"))
        return
    await _send_document(ctx, *found)


@router.reask(State.DOCUMENT_PICK)
async def reask_documents(ctx: Ctx) -> None:
    ctx.event = dataclasses.replace(ctx.event, text="")
    await documents_command(ctx)


async def _send_document(ctx: Ctx, kind: str, action: Action) -> None:
    if ctx.engine.documents is None:
        ctx.say(ctx.tr("documents.unavailable"))
        return
    campaign = await official_campaign(ctx, action)
    if campaign is None:
        return
    await ctx.engine.documents.send_document(ctx, kind, campaign)
