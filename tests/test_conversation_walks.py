"""The whole flow walked end to end on Telegram and on Zalo (``tests/walks.py``, which also
writes ``docs/conversations/``): no error answer from either fake platform, one answer per
burst, nobody on Zalo told to tap, and what was stored is what the people meant."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.application.app import App
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloApi
from tests.test_telegram_support import TOKEN, telegram_app
from tests.walks import (
    ADDITION,
    CAMPAIGN_TITLE,
    LONG_QUESTION,
    PHOTO_QUESTION,
    QUESTION,
    SHORT_AGAIN,
    TAP_WORDS,
    walk_telegram,
    walk_zalo,
)


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    from datetime import date

    from bot.campaign.setup import create_campaign

    return await create_campaign(province_app, title=CAMPAIGN_TITLE, dialogue=date(2025, 8, 28))


@pytest.fixture
async def tg_api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


def _between(markdown: str, start: str, end: str) -> str:
    return markdown.split(start, 1)[1].split(end, 1)[0]


async def _questions_of(app: App, channel: str, user: str) -> list[str]:
    person = await app.store.people.by_identity(channel, user)
    assert person is not None
    return [q.text for q in await app.store.questions.of_person(person.id)]


async def test_telegram_walk(
    province_app: App, campaign: Campaign, tg_api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = telegram_app(province_app, tg_api, monkeypatch)
    log = await walk_telegram(app, tg_api)
    markdown = log.markdown()

    assert tg_api.error_answers == [], [c.describe() for c in tg_api.error_answers]
    assert tg_api.errors == []
    # Telegram in English, yet Vietnamese, with English offered once.
    assert markdown.count("Prefer English? Send /ngonngu en") == 3  # Lan, John, Minh
    # One answer to thirty messages; one to the two parts of a long paste.
    assert _between(markdown, "(gửi “alo” 30 lần liền)", "👤").count("🤖") == 1
    paste = _between(markdown, "ứng dụng gửi thành 2 tin", "👤")
    assert paste.count("🤖") == 1 and "dài hơn 4.096 ký tự" in paste
    # A double tap: the first counts, the second gets one short complete answer.
    tap = _between(markdown, "[bấm hai lần liền: Rút câu này]", "👤")
    assert "Đã rút câu hỏi" in tap and "Bạn bấm rồi, mình đã nhận nhé." in tap
    # Switching language re-asks the pending step in English; the old button is stale.
    assert "Switched to English.\n\n  Pick your unit" in markdown
    assert "That button belongs to an earlier step" in markdown
    # The secretary's help lists only what she may use.
    help_text = _between(markdown, "👤 Hoa: /trogiup", "👤")
    assert "/baocao" in help_text and "/email" in help_text
    assert not re.search(r"/(thongbao|moi|gop|tach|daidien|traloi)\b", help_text)
    assert "không có quyền xem báo cáo của Xã Đàm Thuỷ" in markdown

    # John's question was the photo's caption, anonymous, without a name kept.
    john = await province_app.store.people.by_identity("telegram", "1002")
    assert john is not None and john.language == "en" and john.full_name is None
    [johns] = await province_app.store.questions.of_person(john.id)
    assert johns.text == PHOTO_QUESTION and johns.anonymous and johns.asker_name is None
    # Lan erased her data: her questions keep nothing that identifies her.
    assert await province_app.store.people.by_identity("telegram", "1001") is None
    lan_questions = [
        q for q in await province_app.store.questions.of_campaign(campaign.id) if q.id != johns.id
    ]
    assert {q.text.split("\n")[0] for q in lan_questions} >= {SHORT_AGAIN}
    assert all(q.person_id is None and q.category is None for q in lan_questions)
    assert all(q.unit_id == campaign.host_unit_id and q.anonymous for q in lan_questions)
    # The tail of the long paste never became a question.
    assert not any(LONG_QUESTION[4096:][:40] in q.text for q in lan_questions)
    # Minh never consented: /xoa left nothing of him.
    assert await province_app.store.people.by_identity("telegram", "1003") is None


async def test_zalo_walk(province_app: App, campaign: Campaign) -> None:
    async with FakeZaloApi(max_poll_seconds=1) as api:
        log = await walk_zalo(province_app, api)
    markdown = log.markdown()

    refused = [(r.method, r.status) for r in api.requests if r.status >= 400]
    assert [m for m, status in refused if m != "getUpdates" or status != 408] == []
    sent = [text for _, text in api.sent]
    assert not [text for text in sent if any(word in text.lower() for word in TAP_WORDS)]
    assert all("Bạn gõ" in text or "Type" in text for text in sent if "\n1. " in text)
    assert _between(markdown, "(gửi “alo” 30 lần liền)", "👤").count("🤖") == 1
    burst = _between(markdown, "(gửi 3 tin liền nhau)", "👤")
    assert burst.count("🤖") == 1
    assert "ghép tin nhắn" not in burst  # said only when the person goes to send

    tuan = await _questions_of(province_app, "zalo", "0f1e2d3c4b5a69788796")
    assert tuan[0] == (
        "Em muốn hỏi về mạng internet ở các thôn vùng cao.\n"
        "Nhiều thôn chưa có sóng 4G nên học trực tuyến rất khó.\n"
        "Bao giờ tỉnh phủ sóng hết ạ?"
    )
    assert tuan[1] == PHOTO_QUESTION
    questions = await province_app.store.questions.of_campaign(campaign.id)
    mai = [q for q in questions if q.text.startswith("Em muốn hỏi tỉnh có hỗ trợ")]
    assert len(mai) == 1 and mai[0].person_id is None and mai[0].category is None
    assert not any(q.text == f"{QUESTION}\n{ADDITION}" for q in questions)  # edited by code
    assert await province_app.store.people.by_identity("zalo", "9a8b7c6d5e4f30211203") is None
