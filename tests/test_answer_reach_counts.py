"""Counts of young people agree before and after sending: one person whose two questions
both get an answer is one young person, not two ("Gửi 2 trả lời đã soạn tới 1 thanh
niên?", then "Đã gửi 2 trả lời; 2 thanh niên sẽ nhận được"), in chat and on the command
line."""

from __future__ import annotations

import asyncio

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.cli import main
from storage.models import Campaign
from tests.followup import official, outbox, question, support


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


async def test_publishing_every_draft_counts_each_young_person_once(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    jobs = await question(app, campaign, "lan", "Tỉnh có hỗ trợ việc làm cho sinh viên không?")
    chinese = await question(app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    await support(app, chinese, "minh")
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say(f"/traloi {jobs.code} Tỉnh có sàn việc làm hằng tháng.")
    await organiser.press("Để sau")
    await organiser.say(f"/traloi {chinese.code} Xã mở lớp từ tháng 9.")
    await organiser.press("Để sau")

    await organiser.say("/congbo tatca")
    assert "Gửi 2 trả lời đã soạn tới 2 thanh niên?" in organiser.last_text, organiser.last_text
    await organiser.press_payload(organiser.last_prompt().buttons[0][0].payload)
    assert "2 thanh niên sẽ nhận được" in organiser.last_text, organiser.last_text
    assert len(await outbox(app, "answer")) == 3  # each answer once to each of its people


async def test_the_command_line_counts_each_young_person_once(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    app = province_app
    codes = []
    for text in ("Tỉnh có hỗ trợ việc làm không?", "Xã có lớp tiếng Trung không?"):
        asked = await question(app, campaign, "lan", text)
        assert await run(["answer", asked.code, "--text", f"Trả lời: {text}"]) == 0
        codes.append(asked.code)
    capsys.readouterr()
    assert await run(["answers", "publish", *codes]) == 0
    out = capsys.readouterr().out
    assert "1 thanh niên" in out and "2 thanh niên" not in out, out
    assert len(await outbox(app, "answer")) == 2
