"""Storage: every line of SQL, the schema and its migrations.

:class:`Store` bundles the repositories over one :class:`~storage.db.Database`. The
interface is deliberately narrow (repositories taking and returning dataclasses); the
database behind it is SQLite or PostgreSQL (:mod:`storage.db`, :mod:`storage.postgres`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path

from storage.audit import AuditRepository
from storage.broadcasts import BroadcastRepository
from storage.campaigns import CampaignRepository
from storage.clusters import ClusterRepository
from storage.conclusions import ConclusionRepository
from storage.conversations import ConversationRepository
from storage.coordination import CoordinationRepository
from storage.db import Database, StorageError, latest_version
from storage.departments import DepartmentRepository
from storage.info import InfoRepository
from storage.issuers import IssuerRepository
from storage.jobs import JobRepository
from storage.links import LinkRepository
from storage.outbox import OutboxRepository
from storage.people import PersonRepository
from storage.programme import ProgrammeRepository
from storage.questions import QuestionRepository
from storage.replies import ReplyRepository
from storage.reports import ReportRepository
from storage.roles import RoleRepository
from storage.units import UnitRepository
from storage.updates import UpdateRepository

__all__ = ["Database", "StorageError", "Store", "latest_version"]


class Store:
    """All repositories over one open database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.units = UnitRepository(db)
        self.campaigns = CampaignRepository(db)
        self.people = PersonRepository(db)
        self.questions = QuestionRepository(db)
        self.conversations = ConversationRepository(db)
        self.audit = AuditRepository(db)
        self.updates = UpdateRepository(db)
        self.roles = RoleRepository(db)
        self.outbox = OutboxRepository(db)
        self.replies = ReplyRepository(db)
        self.broadcasts = BroadcastRepository(db)
        self.reports = ReportRepository(db)
        self.clusters = ClusterRepository(db)
        self.jobs = JobRepository(db)
        self.links = LinkRepository(db)
        self.departments = DepartmentRepository(db)
        self.programme = ProgrammeRepository(db)
        self.conclusions = ConclusionRepository(db)
        self.issuers = IssuerRepository(db)
        self.info = InfoRepository(db)
        self.coordination = CoordinationRepository(db)

    @classmethod
    async def open(cls, target: str | Path) -> Store:
        """The store over ``target``: a SQLite file path or ``sqlite:///…`` URL, or a
        ``postgresql://…`` URL (see :meth:`storage.db.Database.open`)."""
        return cls(await Database.open(target))

    def transaction(self, *, quick: bool = False) -> AbstractAsyncContextManager[None]:
        """See :meth:`storage.db.Database.transaction` (``quick``: a chat event's)."""
        return self.db.transaction(quick=quick)

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
