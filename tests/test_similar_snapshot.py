"""The similar-question index kept on disk between runs (``bot/clustering/snapshot.py``):
a restart reads it instead of building it again, brings it up to date with the stored
questions (new, edited, withdrawn), and finds exactly what a fresh build finds; a stale
or torn snapshot is never used."""

from __future__ import annotations

import logging
import pickle
import stat
from pathlib import Path

import pytest

from bot.application.app import App
from bot.clustering import SimilarIndex, snapshot
from bot.clustering.similar import CampaignSimilarity
from storage.models import Campaign, NewQuestion

QUESTIONS = [
    "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?",
    "tinh co chinh sach gi ho tro thanh nien tim viec lam sau khi tot nghiep ko a",
    "Thanh niên vay vốn khởi nghiệp ở ngân hàng chính sách được tối đa bao nhiêu?",
    "Đường vào thôn Nà Rụa xuống cấp, bao giờ được sửa?",
    "Xã có mở lớp dạy tiếng Trung miễn phí cho thanh niên không ạ?",
    "Em muốn hỏi về học bổng cho sinh viên dân tộc thiểu số nghèo",
    "Sóng điện thoại ở bản em rất yếu, khi nào nhà mạng lắp trạm?",
    "Thanh niên xuất ngũ được hỗ trợ học nghề như thế nào?",
]
LOOKUPS = [
    "có chính sách hỗ trợ tìm việc làm cho thanh niên mới tốt nghiệp không",
    "vay vốn khởi nghiệp được bao nhiêu tiền",
    "lớp tiếng Trung miễn phí ở xã",
    "bộ đội xuất ngũ học nghề",
    "đường giao thông thôn Nà Rụa hỏng",
    "trạm phát sóng điện thoại",
]


async def _store_questions(app: App, campaign: Campaign, texts: list[str], **extra: object) -> None:
    person, _ = await app.store.people.get_or_create(
        channel="test",
        external_id="seed",
        chat_id="seed",
        display_name=None,
        language="vi",
        now=app.clock.now(),
    )
    unit = next(u for u in await app.store.units.all() if u.name == "Phường Thục Phán")
    topic = (await app.store.campaigns.topics(campaign.id))[0]
    for text in texts:
        await app.store.questions.create(
            NewQuestion(
                campaign_id=campaign.id,
                person_id=person.id,
                unit_id=unit.id,
                topic_id=topic.id,
                category=None,
                text=text,
                asker_name=None,
                anonymous=bool(extra.get("anonymous", False)),
                channel="test",
                late=False,
            ),
            now=app.clock.now(),
        )


async def _answers(similar: CampaignSimilarity, app: App, campaign: Campaign) -> list[object]:
    """What each lookup finds (the shown hits and the score-ordered nearest)."""
    unit = next(u for u in await app.store.units.all() if u.name == "Phường Thục Phán")
    topic = (await app.store.campaigns.topics(campaign.id))[0]
    found: list[object] = []
    for text in LOOKUPS:
        hits = await similar.find(campaign, text, limit=3, unit_id=unit.id, topic_id=topic.id)
        index = await similar._index(campaign.id)
        query = index.query(text, unit=unit.id, topic=topic.id)
        found.append(([hit.code for hit in hits], index.top(query, limit=5, min_score=0)))
    return found


async def test_a_restart_reads_the_snapshot_and_brings_it_up_to_date(
    province_app: App, campaign: Campaign, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = province_app
    folder = tmp_path / "cache"
    await _store_questions(app, campaign, QUESTIONS)
    first = CampaignSimilarity(app.store, app.clock, snapshots=folder)
    await first.warm_up()
    written = snapshot.path_for(folder, campaign.id)
    assert written.exists()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600  # the bot's own file only

    # While the bot was down: a question edited, one withdrawn, two new (one anonymous).
    stored = await app.store.questions.texts(campaign.id)
    await app.store.questions.update_text(
        stored[3].id, "Đường vào thôn Nà Rụa bị sạt lở, bao giờ được sửa?", now=app.clock.now()
    )
    await app.store.questions.set_status(stored[6].id, "withdrawn", now=app.clock.now())
    await _store_questions(app, campaign, ["Bộ đội xuất ngũ có được học nghề miễn phí không?"])
    await _store_questions(
        app, campaign, ["Em muốn hỏi kín: vay vốn khởi nghiệp tối đa bao nhiêu?"], anonymous=True
    )

    caplog.set_level(logging.INFO, logger="bot.clustering.similar")
    restarted = CampaignSimilarity(app.store, app.clock, snapshots=folder)
    await restarted.warm_up()
    assert "read from its snapshot, 4 questions indexed again or removed" in caplog.text
    fresh = CampaignSimilarity(app.store, app.clock)  # built from the questions, no snapshot
    await fresh.warm_up()
    assert await _answers(restarted, app, campaign) == await _answers(fresh, app, campaign)
    index = await restarted._index(campaign.id)
    assert len(index) == len(QUESTIONS) + 1  # +2 new, -1 withdrawn
    assert str(stored[6].id) not in index
    # The anonymous newcomer is indexed but never shown to another young person.
    shown = [codes for codes, _ in await _answers(restarted, app, campaign)]
    secret = (await app.store.questions.texts(campaign.id))[-1]
    assert all(secret.code not in codes for codes in shown)

    # What is added while the bot runs is in the snapshot written when it stops.
    await _store_questions(app, campaign, ["Khi nào xã có sân bóng cho thanh niên?"])
    newest = (await app.store.questions.texts(campaign.id))[-1]
    question = await app.store.questions.get(newest.id)
    assert question is not None
    await restarted.added(question)
    await restarted.save()
    caplog.clear()
    written_at = written.stat().st_mtime_ns
    again = CampaignSimilarity(app.store, app.clock, snapshots=folder)
    await again.warm_up()
    assert "read from its snapshot, 0 questions indexed again or removed" in caplog.text
    assert str(newest.id) in await again._index(campaign.id)
    assert written.stat().st_mtime_ns == written_at  # nothing changed: not written again


@pytest.mark.parametrize("kind", ["torn", "other code", "not an index"])
async def test_a_snapshot_that_cannot_be_used_is_built_again(
    province_app: App,
    campaign: Campaign,
    tmp_path: Path,
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = province_app
    await _store_questions(app, campaign, QUESTIONS)
    written = snapshot.path_for(tmp_path, campaign.id)
    content = {
        "torn": b"\x80\x05 not a whole pickle",
        "other code": pickle.dumps(
            (snapshot._FORMAT, "another version", ("", b""), SimilarIndex())
        ),
        "not an index": pickle.dumps((snapshot._FORMAT, snapshot.method_print(), ("", b""), [])),
    }[kind]
    written.write_bytes(content)
    caplog.set_level(logging.INFO)
    similar = CampaignSimilarity(app.store, app.clock, snapshots=tmp_path)
    await similar.warm_up()
    assert "read from its snapshot" not in caplog.text
    assert len(await similar._index(campaign.id)) == len(QUESTIONS)
    fresh = CampaignSimilarity(app.store, app.clock)
    await fresh.warm_up()
    assert await _answers(similar, app, campaign) == await _answers(fresh, app, campaign)
    # And the file is a good snapshot again for the next start.
    assert snapshot.load(tmp_path, campaign.id) is not None


async def test_the_bot_keeps_its_snapshots_beside_a_sqlite_database(
    province_app: App, tmp_path: Path
) -> None:
    from bot.application.wiring import snapshot_folder

    folder = snapshot_folder(province_app)
    assert folder is not None
    database = Path(province_app.store.db.path)  # type: ignore[attr-defined]
    assert folder == database.with_name(f"{database.stem}-cache")


def test_an_index_read_back_is_the_index_written() -> None:
    """Slot for slot: keys, terms, marks (most questions have none: the one NO_MARKS,
    which lookups test by identity), and the same lookups' scores."""
    from bot.clustering.model import NO_MARKS

    index = SimilarIndex()
    for number, text in enumerate(QUESTIONS):
        index.add(str(number), text, topic=1 + number % 2, unit=7, shown=number != 2)
    index.remove("5")
    back = pickle.loads(pickle.dumps(index))
    assert back._keys == index._keys and back._slot_of == index._slot_of
    assert back._terms == index._terms and back._marks == index._marks
    assert any(marks is not NO_MARKS for marks in back._marks)  # "thôn Nà Rụa"
    assert all(
        (theirs is NO_MARKS) == (ours is NO_MARKS)
        for theirs, ours in zip(back._marks, index._marks, strict=True)
    )
    for text in LOOKUPS:
        assert back.top(back.query(text, unit=7, topic=1), limit=5, min_score=0) == index.top(
            index.query(text, unit=7, topic=1), limit=5, min_score=0
        )
    back.add("99", "Khi nào xã có sân bóng cho thanh niên?", topic=1, unit=7)
    assert "99" in back and len(back) == len(index) + 1


async def test_a_snapshot_cut_short_is_built_again(
    province_app: App, campaign: Campaign, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A disk that filled up while the arrays after the pickle were written."""
    app = province_app
    await _store_questions(app, campaign, QUESTIONS)
    await CampaignSimilarity(app.store, app.clock, snapshots=tmp_path).warm_up()
    written = snapshot.path_for(tmp_path, campaign.id)
    data = written.read_bytes()
    written.write_bytes(data[: len(data) - 64])
    assert snapshot.load(tmp_path, campaign.id) is None
    assert "unreadable" in caplog.text
    similar = CampaignSimilarity(app.store, app.clock, snapshots=tmp_path)
    await similar.warm_up()
    assert len(await similar._index(campaign.id)) == len(QUESTIONS)


class _Planted:
    """A pickle that, if loaded with plain ``pickle.load``, writes a file (a stand-in for
    any code an attacker would run)."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.write_text, (self.target, "ran"))


async def test_a_planted_snapshot_never_runs_code(
    province_app: App, campaign: Campaign, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Someone who can write to the data folder replaces a snapshot with a pickle that
    calls a function: reading it refuses the function (nothing runs) and the index is
    built from the stored questions instead."""
    app = province_app
    await _store_questions(app, campaign, QUESTIONS)
    folder = tmp_path / "cache"
    folder.mkdir()
    proof = tmp_path / "proof.txt"
    planted = (snapshot._FORMAT, snapshot.method_print(), ("", b""), _Planted(proof), [])
    snapshot.path_for(folder, campaign.id).write_bytes(pickle.dumps(planted))
    assert snapshot.load(folder, campaign.id) is None
    assert not proof.exists()
    assert "is not part of an index" in caplog.text
    similar = CampaignSimilarity(app.store, app.clock, snapshots=folder)
    await similar.warm_up()
    assert not proof.exists()
    assert len(await similar._index(campaign.id)) == len(QUESTIONS)
    # A real snapshot of a larger index (numpy arrays, spelling data, marks) still reads.
    assert snapshot.load(folder, campaign.id) is not None
