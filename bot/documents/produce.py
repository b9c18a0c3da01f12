"""Producing a digest: the chat message and its files (XLSX, DOCX, PNG chart), from the
database, for one reader's scope. Used by ``youthbot digest``, ``/baocao``, the
scheduled digests and the demo."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

from bot.application.app import App
from bot.documents.build import DigestScope, build_digest
from bot.documents.chart import ChartData, write_chart
from bot.documents.docx import write_docx
from bot.documents.model import DigestData, format_number
from bot.documents.names import dated_stem, document_stem, reserve
from bot.documents.text import render_digest_text, render_nothing_new
from bot.documents.xlsx import write_xlsx
from handlers.delivery import queue_for_person
from handlers.events import Attachment, AttachmentKind, Reply
from locales import translator
from storage import Store
from storage.models import Campaign
from storage.times import to_utc_text


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


def file_stem(data: DigestData, local_now: datetime, *, host: str) -> str:
    """ "tong-hop-cao-bang-20250805-0830" (``host``: the campaign's host unit),
    "phuong-thuc-phan-…", "so-y-te-…" (no database ids)."""
    return document_stem(data.scope, data.scope_name, local_now, host=host)


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
    stem = file_stem(data, local_now or now, host=campaign.host_unit_name)
    stem = await asyncio.to_thread(reserve, out_dir, stem, suffixes)
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


async def produce_followup(
    app: App, kind: str, campaign: Campaign, *, language: str, now: datetime
) -> Reply:
    """One document after the questions (``/vanban``) as a reply with its DOCX file."""
    from bot.documents.followup import FILE_STEMS
    from bot.documents.followup_build import build_document
    from bot.documents.followup_docx import write_followup_docx

    local = app.local_now()
    document = await build_document(
        kind,  # type: ignore[arg-type]
        app.store,
        campaign,
        language=language,
        today=local.date(),
        now=now,
    )
    folder = app.settings.core.out_dir
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    stem = dated_stem(FILE_STEMS[kind], campaign.host_unit_name, local)
    stem = await asyncio.to_thread(reserve, folder, stem, (".docx",))
    path = folder / f"{stem}.docx"
    tr = translator(language)
    await asyncio.to_thread(write_followup_docx, document, path, tr=tr)
    text = tr("documents.sent", document=tr(f"documents.kind.{kind}"))
    return Reply(text, attachments=(Attachment(path),))


async def produce_sheet(app: App, campaign: Campaign, department: str, *, language: str) -> Reply:
    """A department's answer sheet (``/phieu``) as a reply with its XLSX file."""
    from bot.documents.answer_sheet import sheet_file_name, sheet_questions, write_campaign_sheet

    tr = translator(language)
    rows = await sheet_questions(app.store, campaign, department, tr=tr)
    if not rows:
        return Reply(tr("sheet.nothing_routed", department=department))
    folder = app.settings.core.out_dir / "answer-sheets"
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    # Dated and reserved: a sheet still waiting in the outbox (another campaign's, an
    # earlier request's) is never overwritten before it is sent.
    name = sheet_file_name(campaign, department, app.local_now())
    stem = await asyncio.to_thread(reserve, folder, name.removesuffix(".xlsx"), (".xlsx",))
    path = folder / f"{stem}.xlsx"
    await asyncio.to_thread(
        write_campaign_sheet,
        rows,
        path,
        campaign=campaign,
        department=department,
        tr=tr,
    )
    waiting = sum(1 for r in rows if not r.answer)
    text = tr.n("sheet.sent", len(rows), department=department, waiting=waiting)
    return Reply(text, attachments=(Attachment(path),))


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
#: Such a request is recorded in ``job_runs`` with the chat's transaction and marked done
#: with the files' outbox row; one still unfinished this long after it was asked for was
#: cut short (a crash, a stop), and the scheduler's next tick makes it again.
CHAT_DIGEST_JOB = "chat-digest"
RESUME_AFTER = timedelta(minutes=10)


class StoreDigestMaker:
    """Implements :class:`handlers.engine.DigestMaker` for ``/baocao`` in chat."""

    def __init__(self, app: App, *, background_from: int = BACKGROUND_FROM_QUESTIONS) -> None:
        self._app = app
        self._background_from = background_from
        self._tasks: set[asyncio.Task[None]] = set()

    #: Requests being made in this process (by any maker): a slow one is not made twice.
    running: ClassVar[set[str]] = set()

    @property
    def background_from(self) -> int:
        """From this many questions a campaign's chat files are made in the background."""
        return self._background_from

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
        store = self._app.store
        questions = await store.questions.count(campaign.id)
        if questions >= self._background_from:
            request = self._request(
                campaign=campaign.id,
                scope=scope_kind,
                unit=unit_id,
                department=department,
                names=show_names,
                language=language,
                person=person_id,
                channel=channel,
            )
            await store.jobs.start(CHAT_DIGEST_JOB, request, now=self._app.clock.now())
            self.start(request)
            count = format_number(questions, language)
            return translator(language).n("digest.preparing", questions, count=count), []
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

    async def send_later(self, request: str) -> None:
        """Make a recorded request's digest (once the chat's transaction is over) and
        queue it to the person on the channel they asked on, or an apology if it cannot
        be made; the request is marked done with that outbox row."""
        self.running.add(request)
        try:
            await self._send_later(request)
        finally:
            self.running.discard(request)

    def document_later(
        self,
        kind: str,
        campaign: Campaign,
        *,
        language: str,
        person_id: int,
        channel: str,
        **extra: str,
    ) -> str:
        """The request for a document after the questions (``/vanban``; ``"sheet"``: a
        department's answer sheet, ``/phieu``, with ``department``; ``"import"``: a filled
        sheet sent back, with ``path`` and ``name``) on a large campaign, made like a large
        digest: after the chat's transaction, in the background, sent through the outbox,
        made again after a crash. The caller records it (``jobs.start``) in the chat's
        transaction and then calls :meth:`start`."""
        return self._request(
            **extra,
            document=kind,
            campaign=campaign.id,
            language=language,
            person=person_id,
            channel=channel,
        )

    def _request(self, **fields: object) -> str:
        """A chat request as recorded in ``job_runs`` (the same request, the same text)."""
        fields["asked"] = to_utc_text(self._app.clock.now())
        return json.dumps(fields, ensure_ascii=False, sort_keys=True)

    def start(self, request: str) -> None:
        """Make a recorded request in the background, outside the caller's transaction."""
        # A fresh context: the task must not join the chat's transaction (its statements
        # wait for it to commit instead).
        task = asyncio.get_running_loop().create_task(
            self.send_later(request), context=contextvars.Context()
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_later(self, request: str) -> None:
        store, now = self._app.store, self._app.clock.now
        asked = json.loads(request)
        person_id, channel, language = asked["person"], asked["channel"], asked["language"]
        try:
            campaign = await store.campaigns.get(asked["campaign"])
            if campaign is None:
                raise LookupError(f"campaign {asked['campaign']} is gone")
            if asked.get("document") == "import":
                from bot.documents.answer_sheet import import_for_person

                text = await import_for_person(
                    store,
                    Path(asked["path"]),
                    name=asked["name"],
                    person_id=person_id,
                    tr=translator(language),
                    now=now(),
                    home=self._app.home_province,
                )
                reply = Reply(text)
            elif asked.get("document") == "sheet":
                reply = await produce_sheet(
                    self._app, campaign, asked["department"], language=language
                )
            elif asked.get("document"):
                reply = await produce_followup(
                    self._app, asked["document"], campaign, language=language, now=now()
                )
            else:
                scope = DigestScope(
                    kind=asked["scope"], unit_id=asked["unit"], department=asked["department"]
                )
                text, attachments = await self._reply(
                    await self._produce(campaign, scope, asked["names"], language),
                    person_id,
                    channel,
                )
                reply = Reply(text, attachments=tuple(attachments))
        except Exception:
            log.exception("digest for person %d could not be made", person_id)
            reply = Reply(translator(language)("digest.failed"))
        try:
            async with store.transaction():
                await queue_for_person(
                    store, person_id, reply, kind="digest", now=now(), channels=(channel,)
                )
                await store.jobs.finish(CHAT_DIGEST_JOB, request)
        except Exception:  # the database refused: the next tick tries again
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


async def resume_chat_digests(app: App, now: datetime) -> int:
    """Make the chat digests asked for but cut short (see :data:`RESUME_AFTER`); how many."""
    maker = StoreDigestMaker(app)
    stale = now - RESUME_AFTER
    made = 0
    for request in await app.store.jobs.unfinished(CHAT_DIGEST_JOB, before=stale):
        # Not one still being made here, nor one another worker has just taken up.
        if request in StoreDigestMaker.running or not await app.store.jobs.take(
            CHAT_DIGEST_JOB, request, now=now, stale_before=stale
        ):
            continue
        await maker.send_later(request)
        made += 1
    return made
