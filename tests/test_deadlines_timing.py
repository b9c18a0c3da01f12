"""Deadlines on Vietnam time (UTC+7) with a fake clock and a real SQLite file: the
questions' closing minute, reminders after date edits, restarts and missed ticks."""

from __future__ import annotations

from datetime import datetime

from bot.application.app import App
from bot.clock import FakeClock
from handlers import routers
from handlers.engine import Engine, EngineSettings
from storage.models import Campaign
from tests.talk import Talker


def at(local: str) -> datetime:
    """A Vietnam local time ("2025-08-21T23:59:30")."""
    return datetime.fromisoformat(local + "+07:00")


async def write_question(t: Talker) -> None:
    """Up to the preview, not sent."""
    await t.say("/start")
    await t.press("đồng ý")
    await t.say("thuc phan")
    await t.press("Thục Phán")
    await t.say("nông thị hoa")
    await t.press("Học sinh, sinh viên")
    await t.press("việc làm")
    await t.say(
        "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?"
    )
    assert "kiểm tra lại" in t.last_text


async def test_question_sent_seconds_after_midnight_is_kept_as_late(
    province_app: App, clock: FakeClock, campaign: Campaign
) -> None:
    # Questions close at the end of 21/08/2025 (7 days before the dialogue of 28/08).
    engine = Engine(
        province_app.store, clock, settings=EngineSettings(cache_seconds=0), routers=routers()
    )
    on_time = Talker(engine, user_id="on-time")
    clock.set(at("2025-08-21T23:58:00"))
    await write_question(on_time)
    clock.set(at("2025-08-21T23:59:30"))  # 16:59:30 UTC: still the closing day in Vietnam
    await on_time.press("Gửi")
    assert "Mã câu hỏi" in on_time.last_text and "muộn" not in on_time.last_text

    late = Talker(engine, user_id="late")
    clock.set(at("2025-08-21T23:58:00"))
    await write_question(late)
    clock.set(at("2025-08-22T00:00:05"))
    await late.press("Gửi")
    # Written before midnight, sent five seconds after: recorded as late, not dropped.
    assert "gửi muộn" in late.last_text and "Mã câu hỏi" in late.last_text
    questions = await province_app.store.questions.of_campaign(campaign.id)
    assert [q.late for q in questions] == [False, True]
