"""Keeping personal data no longer than promised ("Lưu đến khi kết thúc đợt đối thoại và báo
cáo kết quả, không quá 12 tháng"; Nghị định 13/2023/NĐ-CP): a daily sweep from the
scheduler removes askers' names once a campaign's results report is a month past, and
erases people inactive for twelve months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import Store
from storage.models import DeadlineKind

RETENTION = timedelta(days=365)
AFTER_REPORT = timedelta(days=30)  # time to answer late questions and close the files


@dataclass(frozen=True)
class SweepResult:
    names_removed: int
    people_erased: int


async def sweep(store: Store, *, now: datetime) -> SweepResult:
    today = now.date()
    finished = [
        c.id
        for c in await store.campaigns.all()
        if c.deadline(DeadlineKind.REPORT) + AFTER_REPORT < today
    ]
    async with store.transaction():
        names = await store.questions.forget_names(campaign_ids=finished, before=now - RETENTION)
        people = await store.people.erase_inactive(before=now - RETENTION)
        if names or people:
            await store.audit.record(
                "privacy.sweep", at=now, detail={"names_removed": names, "people_erased": people}
            )
    return SweepResult(names, people)
