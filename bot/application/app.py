"""The application context: settings, storage and clock, wired once in ``main()``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.application.config import Settings
from bot.clock import Clock, SystemClock
from storage import Store
from storage.models import Campaign, DeadlineKind

log = logging.getLogger("youthbot")


@dataclass
class App:
    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock | None = None) -> App:
        store = await Store.open(settings.core.db)
        return cls(settings=settings, store=store, clock=clock or SystemClock())

    async def close(self) -> None:
        await self.store.close()

    async def __aenter__(self) -> App:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.core.tz

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.tz)

    @property
    def home_province(self) -> str | None:
        """``YOUTHBOT_PROVINCE``'s unit code ("p04"): whose campaigns the roles given
        without a campaign belong to (:mod:`handlers.audience`)."""
        from bot.campaign.units import province_by_codename, province_unit_code

        province = province_by_codename(self.settings.core.province)
        return province_unit_code(province) if province is not None else None


def is_collecting(campaign: Campaign, now_local: datetime) -> bool:
    """Questions are accepted until the end of the closing day (local time)."""
    if campaign.status != "active":
        return False
    return now_local.date() <= campaign.deadline(DeadlineKind.QUESTIONS_CLOSE)
