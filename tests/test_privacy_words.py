"""A person's words are never shown to the wrong person: what other young people are
shown of a question (the similar-question prompt, notices to those who support it) is
only what may be shown, as its asker last worded it."""

from __future__ import annotations

import asyncio
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import docx

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign import conclusion
from bot.cli import main
from handlers.answers import publish, save_answer
from handlers.clusters import represent
from handlers.contacts import masked
from storage.models import Campaign
from tests.followup import official, outbox, support
from tests.followup import question as seeded
from tests.test_clustering_trust import JOBS, JOBS_AGAIN, ask, question, send

AFTER = datetime(2025, 8, 29, 3, 0, tzinfo=UTC)  # the day after the dialogue, 10:00 local
LIGHTS = "Xã mình có cần đổi đèn đường ở thôn Nà Rì không ạ?"
LIGHTS_AGAIN = "xa minh co can doi den duong o thon na ri ko a"


async def _edit(engine: object, user: str, code: str, text: str) -> None:
    from tests.talk import Talker

    t = Talker(engine, user_id=user)  # type: ignore[arg-type]
    await t.say(f"/sua {code}")
    await t.say(text)
    assert "Đã sửa" in t.last_text or code in t.last_text, t.last_text


async def test_an_edited_question_is_found_by_its_new_words_only(
    province_app: App, campaign: Campaign
) -> None:
    """After /sua the lookup forgets the old words: a question is offered to others for
    what it asks now, never because of what its asker took out."""
    engine = build_engine(province_app)
    code = await send(await ask(engine, "a", JOBS))
    await _edit(engine, "a", code, LIGHTS)
    assert (await question(province_app, code)).text == LIGHTS
    old_words = await ask(engine, "b", JOBS_AGAIN)
    assert "gần giống" not in old_words.last_text, old_words.last_text
    await old_words.say("/huy")
    new_words = await ask(engine, "c", LIGHTS_AGAIN)
    assert "gần giống" in new_words.last_text and LIGHTS in new_words.last_text


async def test_an_approved_wording_edited_afterwards_is_not_shown_to_other_units(
    province_app: App, campaign: Campaign
) -> None:
    """An organiser approved a representative's words for every unit; the asker's new
    words were not approved: only their own unit may be shown them."""
    engine = build_engine(province_app)
    code = await send(await ask(engine, "a", LIGHTS))
    await represent(province_app.store, code, by=None, now=province_app.clock.now())
    engine = build_engine(province_app)
    shown = await ask(engine, "b", LIGHTS_AGAIN, unit=("dam thuy", "Đàm Thuỷ"))
    assert "gần giống" in shown.last_text  # approved: every unit
    await shown.say("/huy")
    edited = "Xã mình có cần đổi đèn đường ở thôn Nà Rì không ạ? Nhà em số 12 bị tối."
    await _edit(engine, "a", code, edited)
    other_unit = await ask(engine, "c", LIGHTS_AGAIN, unit=("dam thuy", "Đàm Thuỷ"))
    assert "Nhà em số 12" not in other_unit.last_text, other_unit.last_text
    same_unit = await ask(engine, "d", LIGHTS_AGAIN)
    assert "Nhà em số 12" in same_unit.last_text


async def test_the_conclusion_notice_never_gives_a_supporter_the_askers_number(
    province_app: App, campaign: Campaign
) -> None:
    app = province_app
    engine = build_engine(app)
    asked = await seeded(
        app, campaign, "lan", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào? Gọi em 0912345678"
    )
    fan = await support(app, asked, "tuan")
    organiser = await official(app, engine, "organiser", "org")
    await organiser.say(f"/ketluan {asked.code} Tỉnh tổ chức hội chợ việc làm mỗi quý.")
    app.clock.set(AFTER)  # type: ignore[attr-defined]
    await organiser.say("/ketluan congbo")
    await organiser.press("Công bố")
    sent = dict(await outbox(app, "conclusion"))
    assert "0912345678" in sent[asked.person_id]  # type: ignore[index]  # their own words
    assert "0912345678" not in sent[fan] and "hội chợ việc làm" in sent[fan]


async def test_words_changed_elsewhere_are_not_shown_for_the_old_ones(
    province_app: App, campaign: Campaign
) -> None:
    """Another worker stored the edit (this one's index still holds the old words): the
    question found by its old words is not offered, and is indexed again as it is."""
    engine = build_engine(province_app)
    code = await send(await ask(engine, "a", JOBS))
    stored = await question(province_app, code)
    await province_app.store.questions.update_text(stored.id, LIGHTS, now=province_app.clock.now())
    old_words = await ask(engine, "b", JOBS_AGAIN)
    assert "gần giống" not in old_words.last_text and LIGHTS not in old_words.last_text
    await old_words.say("/huy")
    new_words = await ask(engine, "c", LIGHTS_AGAIN)
    assert "gần giống" in new_words.last_text and LIGHTS in new_words.last_text


async def test_the_published_conclusion_never_carries_a_young_persons_number(
    province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    """The conclusion notice is published (web page, notice board): the questions it
    quotes keep their words, not the phone numbers or e-mail addresses in them."""
    app = province_app
    own = await seeded(app, campaign, "a", "Bản em chưa có sóng điện thoại. Gọi em 0912345678")
    also = await seeded(
        app, campaign, "b", "Xóm em mất sóng 4G, báo em qua mai.lo@gmail.com", anonymous=True
    )
    await conclusion.record_answer(
        app.store, campaign, own.code, "Phủ sóng trong năm 2026.", also=[also.code], now=AFTER
    )
    out = tmp_path / "conclusion.docx"
    args = ["export", "--format", "docx", "--document", "conclusion", "--out", str(out)]
    assert await asyncio.to_thread(main, args) == 0
    document = docx.Document(str(out))
    notice = "\n".join(p.text for p in document.paragraphs)
    notice += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "Bản em chưa có sóng điện thoại" in notice and "Xóm em mất sóng 4G" in notice
    assert "0912345678" not in notice and "mai.lo@gmail.com" not in notice


NAMED = "Em là Nông Thị Hoa ở bản Nà Rì, tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?"


async def test_the_askers_name_written_in_the_question_is_never_shown_to_others(
    province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    """Askers write their own name in ("Em là Nông Thị Hoa…"): the similar-question
    prompt, /cauhoi, the answer and the conclusion notice of a supporter, and the
    published conclusion show their words without it; the asker still reads them whole."""
    app = province_app
    engine = build_engine(app)
    code = await send(await ask(engine, "a", NAMED, name="Nông Thị Hoa"))
    t = await ask(engine, "b", JOBS_AGAIN)
    assert "gần giống" in t.last_text and "Em là *** ở bản Nà Rì" in t.last_text
    assert "Nông Thị Hoa" not in t.last_text
    await t.press("Tôi cũng muốn hỏi câu 1")
    await t.press("Không, vậy là đủ")
    await t.say("/cauhoi")
    assert code in t.last_text and "Nông Thị Hoa" not in t.last_text

    asked = await question(app, code)
    organiser = await official(app, engine, "organiser", "org")
    text = "Tỉnh tổ chức hội chợ việc làm mỗi quý."
    await save_answer(app.store, asked, text, now=AFTER, by=None, source="test")
    await publish(app.store, [await question(app, code)], now=AFTER)
    await organiser.say(f"/ketluan {code} Tỉnh tổ chức hội chợ việc làm mỗi quý.")
    app.clock.set(AFTER)  # type: ignore[attr-defined]
    await organiser.say("/ketluan congbo")
    await organiser.press("Công bố")
    supporter = await app.store.people.by_identity("test", "b")
    assert supporter is not None
    for kind in ("answer", "conclusion"):
        sent = dict(await outbox(app, kind))
        assert "Nông Thị Hoa" in sent[asked.person_id]  # type: ignore[index]
        assert "Em là *** ở bản Nà Rì" in sent[supporter.id], (kind, sent[supporter.id])

    out = tmp_path / "conclusion.docx"
    args = ["export", "--format", "docx", "--document", "conclusion", "--out", str(out)]
    assert await asyncio.to_thread(main, args) == 0
    document = docx.Document(str(out))
    notice = "\n".join(p.text for p in document.paragraphs)
    assert "ở bản Nà Rì" in notice and "Nông Thị Hoa" not in notice


def test_a_name_is_masked_with_or_without_accents_and_only_whole() -> None:
    name = "Nông Thị Hoa"
    assert masked("nong  thi hoa hỏi ạ, sđt 0912345678", name) == "*** hỏi ạ, sđt ***"
    decomposed = unicodedata.normalize("NFD", "Em là NÔNG THỊ HOA ạ")
    assert masked(decomposed, name) == unicodedata.normalize("NFD", "Em là *** ạ")
    assert masked("Hoa quả ở xã Nông Thị", name) == "Hoa quả ở xã Nông Thị"
    assert masked("Em là Lê Văn Anh", "Lê Văn An") == "Em là Lê Văn Anh"
    assert masked("Em là Hoa", "Hoa") == "Em là Hoa"  # one word: a plain word too
