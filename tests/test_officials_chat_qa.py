"""Officials working in the chat (a commune secretary, an organiser, a department's focal
point): bad input gets one clear line, in the formal register, and loses nothing."""

from __future__ import annotations

import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from handlers.engine import Engine
from handlers.roles import create_invite
from storage.models import Campaign
from tests.followup import official, question
from tests.talk import Talker


@pytest.fixture
def engine(province_app: App, campaign: Campaign) -> Engine:
    return build_engine(province_app)


@pytest.mark.parametrize("typed", ["{code},", "“{code}”", "{code}.", "#{code}"])
async def test_an_invite_code_pasted_with_a_comma_or_quotes_is_accepted(
    province_app: App, engine: Engine, typed: str
) -> None:
    code = await create_invite(province_app.store, "organiser", now=province_app.clock.now())
    organiser = Talker(engine, user_id="org")
    await organiser.say("/nhanquyen " + typed.format(code=code))
    assert "Đã cấp vai trò: Ban tổ chức" in organiser.last_text, organiser.last_text


async def test_an_answer_typed_for_a_question_withdrawn_meanwhile_ends_the_step(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    asked = await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    organiser = await official(province_app, engine, "organiser", "org")
    await organiser.say(f"/traloi {asked.code}")
    assert "Mời đồng chí gõ nội dung trả lời" in organiser.last_text
    # The asker takes it back while the official is typing.
    await province_app.store.questions.set_status(
        asked.id, "withdrawn", now=province_app.clock.now()
    )

    await organiser.say("Có, xã mở lớp từ tháng 9.")
    assert "rút lại" in organiser.last_text
    assert "Mời đồng chí gõ" not in organiser.last_text  # one line, not the same step again
    await organiser.say("Có, xã mở lớp từ tháng 10.")
    assert "rút lại" not in organiser.last_text  # the step is over
    fresh = await province_app.store.questions.get(asked.id)
    assert fresh is not None and fresh.answer is None


async def test_officials_are_addressed_formally_outside_their_steps(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    unit = await province_app.store.units.by_code("w01273")
    assert unit is not None
    secretary = await official(province_app, engine, "secretary", "sec", unit_id=unit.id)
    department = await official(province_app, engine, "department", "dep", department="Sở Y tế")

    # Another role's command: one formal line.
    for person, command in ((secretary, "/thongbao"), (department, "/kichban")):
        await person.say(command)
        assert "đồng chí" in person.last_text.lower(), person.last_text
        assert "Bạn" not in person.last_text and "/hoi" not in person.last_text

    # At a confirmation, words it cannot read, a hello: formal, and the step stays.
    organiser = await official(province_app, engine, "organiser", "org")
    asked = (await province_app.store.questions.of_campaign(campaign.id))[0]
    await organiser.say(f"/traloi {asked.code} Có, xã mở lớp từ tháng 9.")
    await organiser.say("/congbo tatca")
    confirmation = organiser.last_text
    for typed in ("abc xyz", "chào ad"):
        await organiser.say(typed)
        said = organiser.last_text.split("\n")[0]
        assert "đồng chí" in said.lower() and "bạn" not in said.lower(), said
        assert confirmation in organiser.last_text
    await organiser.press("Gửi")
    old = organiser.transcript[-1]
    assert "Đã gửi" in organiser.last_text, old
    # The same button pressed later, nothing waiting: formal, no "/hoi".
    await organiser.say("/vaitro")
    await organiser.press("Gửi")
    assert "đồng chí" in organiser.last_text.lower(), organiser.last_text
    assert "/hoi" not in organiser.last_text and "bạn" not in organiser.last_text.lower()

    # In English, the same lines in English.
    await secretary.say("/ngonngu en")
    await secretary.say("/thongbao")
    assert secretary.last_text.isascii() and "/help" in secretary.last_text, secretary.last_text

    # A young person is still told plainly, as "bạn".
    young = Talker(engine, user_id="lan")
    await young.say("/thongbao")
    assert "Bạn không có quyền" in young.last_text


async def test_the_programme_in_english_names_the_topic_groups_in_english(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    organiser = await official(province_app, engine, "organiser", "org")
    await organiser.say("/kichban")
    assert "Nghề nghiệp, việc làm" in organiser.last_text
    await organiser.say("/ngonngu en")
    await organiser.say("/kichban")
    assert "Careers and jobs" in organiser.last_text, organiser.last_text
    assert "Nghề nghiệp" not in organiser.last_text
