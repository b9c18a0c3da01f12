"""A restart in the middle of each step continues where the person was, and no sequence
of events leaves a person stuck (property test)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.application.app import App
from bot.application.config import Settings
from bot.campaign.setup import create_campaign
from bot.campaign.units import province_units
from bot.clock import FakeClock
from handlers import routers
from handlers.engine import Engine
from handlers.events import EventKind
from handlers.states import State
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.talk import Talker

STEPS: list[tuple[str, str]] = [
    ("say", "/start"),
    ("press", "đồng ý"),
    ("say", "dam thuy"),
    ("press", "Đàm Thuỷ"),
    ("say", "Lò Văn Tùng"),
    ("press", "Lực lượng vũ trang"),
    ("press", "xuất ngũ"),
    ("say", "Thanh niên xuất ngũ về địa phương được hỗ trợ học nghề và vay vốn như thế nào?"),
    ("press", "Gửi"),
]


async def _open(path: Path, clock: FakeClock) -> App:
    return await App.open(Settings(env_file=None), clock=clock)


@pytest.mark.parametrize("cut", range(1, len(STEPS)))
async def test_restart_after_each_step(tmp_path: Path, clock: FakeClock, cut: int) -> None:
    app = await _open(tmp_path, clock)
    await app.store.units.upsert_many(province_units("cao_bang"), now=clock.now())
    await create_campaign(app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    t = Talker(Engine(app.store, clock, routers=routers()))
    for kind, value in STEPS[:cut]:
        await (t.say(value) if kind == "say" else t.press(value))
    await app.close()  # the process stops here

    app = await _open(tmp_path, clock)
    t2 = Talker(Engine(app.store, clock, routers=routers()), transcript=t.transcript)
    for kind, value in STEPS[cut:]:
        await (t2.say(value) if kind == "say" else t2.press(value))
    assert "Mã câu hỏi" in t2.last_text
    questions = await app.store.questions.of_campaign(1)
    assert len(questions) == 1 and questions[0].asker_name == "Lò Văn Tùng"
    await app.close()


ACTIONS = st.one_of(
    st.sampled_from(
        [
            "/start",
            "/hoi",
            "/huy",
            "/sua",
            "/rut",
            "/cauhoi",
            "/ngonngu",
            "/xoa",
            "/trogiup",
            "/start u-w01273",
            "/khong",
            "1",
            "2",
            "3",
            "9",
            "thuc phan",
            "Nông Thị Hoa",
            "",
            "Tỉnh có hỗ trợ thanh niên khởi nghiệp vay vốn ưu đãi không ạ?",
        ]
    ).map(lambda s: ("say", s)),
    st.integers(min_value=0, max_value=12).map(lambda i: ("press", str(i))),
    st.sampled_from(["sticker", "photo"]).map(lambda m: ("media", m)),
    st.just(("unsupported", "")),
    st.text(max_size=30).map(lambda s: ("say", s)),
    st.text(alphabet="0123456789.abcdz", max_size=12).map(lambda s: ("payload", s)),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=st.lists(ACTIONS, max_size=25), rescue=st.sampled_from(["/start", "/huy"]))
async def test_no_sequence_leaves_a_person_stuck(
    province_app: App, actions: list[tuple[str, str]], rescue: str
) -> None:
    if not await province_app.store.campaigns.active():
        await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    engine = Engine(province_app.store, province_app.clock, routers=routers())
    t = Talker(engine, user_id=str(abs(hash(tuple(actions))) % 10**9))
    for kind, value in actions:
        if kind == "say":
            replies = await t.say(value)
        elif kind == "press":
            try:
                prompt = t.last_prompt()
            except AssertionError:
                replies = await t.say("/start")
            else:
                choices = prompt.choices
                replies = await t.press_payload(choices[int(value) % len(choices)].payload)
        elif kind == "media":
            replies = await t.event(EventKind.MEDIA, media_type=value)
        elif kind == "unsupported":
            replies = await t.event(EventKind.UNSUPPORTED)
        else:
            replies = await t.press_payload(value)
        assert replies, f"no answer to {kind} {value!r}"
        assert all(r.text.strip() for r in replies)
    replies = await t.say(rescue)
    assert replies and all(r.text.strip() for r in replies)
    person = await province_app.store.people.by_identity("test", t.user_id)
    if person is not None:
        conv = await province_app.store.conversations.get(person.id)
        assert conv is not None
        if rescue == "/huy":
            assert conv.state == State.IDLE
        else:
            assert conv.state in (
                State.CONSENT,
                State.UNIT_QUERY,
                State.TOPIC,
                State.IDLE,
                State.CATEGORY,
                State.NAME,
                State.UNIT_CONFIRM,
            )
