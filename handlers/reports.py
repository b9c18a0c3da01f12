"""``/baocao`` (``/report``): the digest of whoever asks, in their role's scope.

The digest itself (database queries, XLSX/DOCX/chart files) is made by the application
through the :class:`DigestMaker` it gives the engine; this module only decides who may see
what, which is the part that must never be wrong.
"""

from __future__ import annotations

import re

from handlers.access import Action, natural_scope
from handlers.engine import Ctx, Router
from handlers.events import Reply

router = Router()


@router.command("baocao", "report", "tonghop")
async def report_command(ctx: Ctx) -> None:
    maker = ctx.engine.digests
    campaigns = await ctx.store.campaigns.active()
    found = None
    for campaign in campaigns:
        found = await natural_scope(ctx.store, ctx.person.id, campaign.id)
        if found is not None:
            break
    if found is None or maker is None:
        await ctx.audit("access.denied", target=f"{Action.DIGEST.value}:chat")
        ctx.say(ctx.tr("refused"))
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
        ctx.say(ctx.tr("refused"))
        return
    if not _EMAIL.match(address):
        ctx.say(ctx.tr("email.usage"))
        return
    for role in roles:
        await ctx.store.roles.set_email(role.id, address)
    await ctx.audit("role.email", target=",".join(str(r.id) for r in roles))
    ctx.say(ctx.tr("email.saved", address=address))
