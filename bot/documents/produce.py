"""Producing a digest: the chat message and its files (XLSX, DOCX, PNG chart), from the
database, for one reader's scope. Used by ``youthbot digest``, ``/baocao``, the
scheduled digests and the demo."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.application.app import App
from bot.documents.build import DigestScope, build_digest
from bot.documents.chart import ChartData, write_chart
from bot.documents.docx import write_docx
from bot.documents.model import DigestData, format_number
from bot.documents.names import document_stem, reserve
from bot.documents.text import render_digest_text, render_nothing_new
from bot.documents.xlsx import write_xlsx
from handlers.delivery import queue_for_person
from handlers.events import Attachment, AttachmentKind, Reply
from locales import translator
from storage import Store
from storage.models import Campaign


@dataclass(frozen=True)
class DigestFiles:
    data: DigestData
    text: str
    xlsx: Path
    docx: Path | None  # the official document of the scope (summary, unit list, letter)
    chart: Path
    chart_data: ChartData

    @property
    def paths(self) -> list[Path]:
        return [p for p in (self.xlsx, self.docx, self.chart) if p is not None]

    def attachments(self) -> tuple[Attachment, ...]:
        """The chart as a picture first (readable on a phone), then the documents."""
        documents = tuple(Attachment(p) for p in (self.xlsx, self.docx) if p is not None)
        return (Attachment(self.chart, AttachmentKind.PHOTO), *documents)


def file_stem(data: DigestData, local_now: datetime) -> str:
    """ "tong-hop-20250805-0830", "phuong-thuc-phan-…", "so-y-te-…" (no database ids)."""
    return document_stem(data.scope, data.scope_name, local_now)


async def produce_digest(
    store: Store,
    campaign: Campaign,
    *,
    scope: DigestScope,
    show_names: bool,
    language: str,
    now: datetime,
    out_dir: Path,
    since: datetime | None = None,
    local_now: datetime | None = None,
) -> DigestFiles:
    data = await build_digest(
        store,
        campaign,
        scope=scope,
        show_names=show_names,
        language=language,
        now=now,
        since=since,
        tz_today=local_now,
    )
    tr = translator(language)
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    suffixes = (".xlsx", ".docx", ".png")
    stem = await asyncio.to_thread(reserve, out_dir, file_stem(data, local_now or now), suffixes)
    text = render_digest_text(data, tr=tr)
    xlsx = out_dir / f"{stem}.xlsx"
    chart = out_dir / f"{stem}.png"
    # Every scope has its document: the summary, the unit's own list, the department's letter.
    docx = out_dir / f"{stem}.docx"
    # The files are independent and CPU-bound; threads keep the event loop answering.
    await asyncio.to_thread(write_xlsx, data, xlsx, tr=tr)
    chart_data = await asyncio.to_thread(write_chart, data, chart, tr=tr)
    await asyncio.to_thread(write_docx, data, docx, tr=tr)
    return DigestFiles(data, text, xlsx, docx, chart, chart_data)


def nothing_new_text(data: DigestData, language: str) -> str:
    return render_nothing_new(data, tr=translator(language))


# Zalo's bot platform carries no documents (CHANNELS.md).
CHANNELS_WITHOUT_FILES = frozenset({"zalo"})
log = logging.getLogger(__name__)


#: From this many questions in a campaign, ``/baocao`` in chat builds its files after the
#: chat's transaction, in the background, and sends them through the outbox: at 100,000
#: questions the files take 10-20 s, and the transaction would hold every other chat
#: waiting that long.
BACKGROUND_FROM_QUESTIONS = 5_000


class StoreDigestMaker:
    """Implements :class:`handlers.engine.DigestMaker` for ``/baocao`` in chat."""

    def __init__(self, app: App, *, background_from: int = BACKGROUND_FROM_QUESTIONS) -> None:
        self._app = app
        self._background_from = background_from
        self._tasks: set[asyncio.Task[None]] = set()

    async def make(
        self,
        campaign: Campaign,
        *,
        scope_kind: str,
        unit_id: int | None,
        department: str | None,
        show_names: bool,
        language: str,
        person_id: int,
        channel: str,
    ) -> tuple[str, list[Attachment]]:
        scope = DigestScope(kind=scope_kind, unit_id=unit_id, department=department)  # type: ignore[arg-type]
        questions = await self._app.store.questions.count(campaign.id)
        if questions >= self._background_from:
            # A fresh context: the task must not join the chat's transaction (its
            # statements wait for it to commit instead).
            task = asyncio.get_running_loop().create_task(
                self._send_later(campaign, scope, show_names, language, person_id, channel),
                context=contextvars.Context(),
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            count = format_number(questions, language)
            return translator(language)("digest.preparing", count=count), []
        return await self._reply(
            await self._produce(campaign, scope, show_names, language), person_id, channel
        )

    async def wait_idle(self) -> None:
        """Wait for the digests being prepared in the background (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _produce(
        self, campaign: Campaign, scope: DigestScope, show_names: bool, language: str
    ) -> DigestFiles:
        return await produce_digest(
            self._app.store,
            campaign,
            scope=scope,
            show_names=show_names,
            language=language,
            now=self._app.clock.now(),
            out_dir=self._app.settings.core.out_dir,
            local_now=self._app.local_now(),
        )

    async def _reply(
        self, files: DigestFiles, person_id: int, channel: str
    ) -> tuple[str, list[Attachment]]:
        if channel not in CHANNELS_WITHOUT_FILES:
            return files.text, list(files.attachments())
        routes = await self._files_elsewhere(files, person_id)
        tr = translator(files.data.language)
        note = (
            tr("digest.files_sent", where=", ".join(routes))
            if routes
            else tr("digest.files_nowhere")
        )
        return f"{files.text}\n\n{note}", []

    async def _send_later(
        self,
        campaign: Campaign,
        scope: DigestScope,
        show_names: bool,
        language: str,
        person_id: int,
        channel: str,
    ) -> None:
        """Build the digest once the chat's transaction is over; queue it to the person
        on the channel they asked on (an apology if it cannot be made)."""
        store, now = self._app.store, self._app.clock.now
        try:
            text, attachments = await self._reply(
                await self._produce(campaign, scope, show_names, language), person_id, channel
            )
            reply = Reply(text, attachments=tuple(attachments))
        except Exception:
            log.exception("digest for person %d could not be made", person_id)
            reply = Reply(translator(language)("digest.failed"))
        try:
            await queue_for_person(
                store, person_id, reply, kind="digest", now=now(), channels=(channel,)
            )
        except Exception:  # the database refused: the official asks again
            log.exception("digest for person %d could not be queued", person_id)

    async def _files_elsewhere(self, files: DigestFiles, person_id: int) -> list[str]:
        """Send the files by Telegram and/or e-mail; returns where they went."""
        from bot.delivery.mailer import MailError
        from bot.documents.mail import email_digest  # mail imports this module

        store = self._app.store
        routes: list[str] = []
        if any(i.channel == "telegram" for i in await store.people.identities(person_id)):
            queued = await queue_for_person(
                store,
                person_id,
                Reply(files.data.campaign_title, attachments=files.attachments()),
                kind="digest",
                now=self._app.clock.now(),
                channels=("telegram",),
            )
            if queued:
                routes.append("Telegram")
        emails = {r.email for r in await store.roles.of_person(person_id) if r.email}
        if emails and self._app.settings.smtp.host:
            try:
                await email_digest(self._app, files, sorted(emails))
                routes.append("e-mail")
            except MailError as exc:
                log.warning("digest files not e-mailed: %s", exc)
        return routes
