"""Files in chat.

- The documents after the questions (``/vanban``): the compilation of answers, the live
  programme, the conclusion notice and the report, as the DOCX files ``youthbot export
  --document`` writes, to send as they are.
- Answer sheets ("phiếu trả lời"): a department contact asks for its sheet (``/phieu``)
  and gets the XLSX of the questions routed to it; filled in, the same file sent back in
  the chat is read and its answers recorded as drafts, all or nothing, with every wrong
  row named (the rules of :mod:`bot.documents.answer_sheet`, as ``youthbot answers
  import``). Nothing reaches a young person until the official publishes (``/congbo``).

Files travel by Telegram only: Zalo bots can neither send nor receive documents.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path

from bot.application.app import App
from bot.campaign.departments import DepartmentError, campaign_province, find_department
from bot.documents.answer_sheet import answerable_campaign, import_for_person
from bot.documents.followup import DOCUMENT_KINDS
from bot.documents.produce import (
    CHANNELS_WITHOUT_FILES,
    CHAT_DIGEST_JOB,
    StoreDigestMaker,
    produce_followup,
    produce_sheet,
)
from handlers.access import Action, Scope, authorize, role_may
from handlers.engine import Ctx
from storage.models import Campaign

__all__ = ["StoreDocumentDesk"]


class StoreDocumentDesk:
    """Implements :class:`handlers.engine.DocumentDesk` over the app's store and files."""

    def __init__(self, app: App, *, maker: StoreDigestMaker | None = None) -> None:
        self._app = app
        # Large documents are made in the background like large digests (same job kind,
        # same resumption after a crash).
        self._maker = maker or StoreDigestMaker(app)

    async def send_sheet(self, ctx: Ctx, department: str) -> None:
        roles = await ctx.store.roles.of_person(ctx.person.id)
        if not any(role_may(r, Action.ANSWER) for r in roles):
            await ctx.refuse()
            return
        wanted = department.strip() or next((r.department for r in roles if r.department), "")
        if not wanted:
            ctx.say(ctx.tr("sheet.usage"))
            return
        home = ctx.settings.home_province
        campaign = await answerable_campaign(ctx.store, ctx.person.id, home=home)
        if campaign is None:
            await ctx.refuse()
            return
        try:
            name = await self._department(ctx, campaign, wanted)
        except DepartmentError as exc:
            ctx.say(exc.render(ctx.tr))
            return
        scope = Scope(campaign_id=campaign.id, department=name)
        if (
            await authorize(ctx.store, ctx.person.id, Action.ANSWER, scope, now=ctx.now, home=home)
            is None
        ):
            await ctx.refuse()
            return
        if ctx.event.channel in CHANNELS_WITHOUT_FILES:
            ctx.say(ctx.tr("sheet.no_files_here"))
            return
        await ctx.audit("answer.sheet", target=name)
        if await ctx.store.questions.count(campaign.id) >= self._maker.background_from:
            # Thousands of routed questions take seconds to write: after the chat.
            await self._later(ctx, "sheet", campaign, department=name)
            ctx.say(ctx.tr("sheet.preparing", department=name))
            return
        ctx.replies.append(
            await produce_sheet(self._app, campaign, name, language=ctx.person.language)
        )

    async def send_document(self, ctx: Ctx, kind: str, campaign: Campaign) -> None:
        if kind not in DOCUMENT_KINDS:
            ctx.say(ctx.tr("documents.usage"))
            return
        if ctx.event.channel in CHANNELS_WITHOUT_FILES:
            ctx.say(ctx.tr("documents.no_files_here"))
            return
        await ctx.audit("document.chat", target=kind, campaign=campaign.id)
        language = ctx.person.language
        questions = await ctx.store.questions.count(campaign.id)
        if questions >= self._maker.background_from:
            # At 100,000 questions a document takes seconds to build: not in the chat's
            # transaction, which would hold every other chat waiting.
            await self._later(ctx, kind, campaign)
            ctx.say(ctx.tr("documents.preparing", document=ctx.tr(f"documents.kind.{kind}")))
            return
        ctx.replies.append(
            await produce_followup(self._app, kind, campaign, language=language, now=ctx.now)
        )

    async def receive(self, ctx: Ctx, name: str, content: bytes | None) -> bool:
        if not name.lower().endswith(".xlsx"):
            return False
        roles = await ctx.store.roles.of_person(ctx.person.id)
        if not any(role_may(r, Action.ANSWER) for r in roles):
            return False  # a young person's spreadsheet: the usual "I read text only"
        ctx.reset()  # whatever step was open, the file is the official's next move
        if content is None:
            ctx.say(ctx.tr("sheet.not_fetched", name=name))
            return True
        home = ctx.settings.home_province
        campaign = await answerable_campaign(ctx.store, ctx.person.id, home=home)
        if campaign is not None and (
            await ctx.store.questions.count(campaign.id) >= self._maker.background_from
        ):
            # Thousands of rows take seconds to check and record (7,603: ~6 s): after the
            # chat's transaction, from a kept copy of the file, made again after a crash
            # (recording the same answers twice changes nothing).
            folder = self._app.settings.core.out_dir / "answer-sheets" / "received"
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
            stamp = ctx.now.astimezone(ctx.settings.timezone)
            path = folder / f"{ctx.person.id}-{stamp:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.xlsx"
            await asyncio.to_thread(path.write_bytes, content)
            await self._later(ctx, "import", campaign, path=str(path), name=name)
            ctx.say(ctx.tr("sheet.reading", name=name))
            return True
        with tempfile.TemporaryDirectory() as folder_name:
            path = Path(folder_name) / "sheet.xlsx"
            await asyncio.to_thread(path.write_bytes, content)
            ctx.say(
                await import_for_person(
                    ctx.store,
                    path,
                    name=name,
                    person_id=ctx.person.id,
                    tr=ctx.tr,
                    now=ctx.now,
                    home=home,
                )
            )
        return True

    async def _later(self, ctx: Ctx, kind: str, campaign: Campaign, **extra: str) -> None:
        """Record a request in the chat's transaction and make it after, in the
        background (:meth:`StoreDigestMaker.document_later`)."""
        request = self._maker.document_later(
            kind,
            campaign,
            language=ctx.person.language,
            person_id=ctx.person.id,
            channel=ctx.event.channel,
            **extra,
        )
        await ctx.store.jobs.start(CHAT_DIGEST_JOB, request, now=ctx.now)
        self._maker.start(request)

    async def _department(self, ctx: Ctx, campaign: Campaign, name: str) -> str:
        province = await campaign_province(ctx.store, campaign)
        return (await find_department(ctx.store, province, name, now=ctx.now)).name
