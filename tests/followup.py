"""Seeding campaigns, questions, supporters and officials directly in the database, for
the tests of what follows the questions (answers, programme, conclusion, documents)."""

from __future__ import annotations

import json
from typing import Any

from bot.application.app import App
from handlers.roles import create_invite
from storage.models import Campaign, NewQuestion, Question
from tests.talk import Talker


async def person(app: App, user: str, *, language: str = "vi") -> int:
    found, _ = await app.store.people.get_or_create(
        channel="test",
        external_id=user,
        chat_id=user,
        display_name=None,
        language=language,
        now=app.clock.now(),
    )
    return found.id


async def question(
    app: App,
    campaign: Campaign,
    user: str,
    text: str,
    *,
    topic: str = "việc làm",
    unit: str = "w01273",
    name: str | None = "Hoàng Thị Lan",
    language: str = "vi",
    anonymous: bool = False,
) -> Question:
    """A question asked by ``user`` (a person on the "test" channel)."""
    person_id = await person(app, user, language=language)
    found_unit = await app.store.units.by_code(unit)
    assert found_unit is not None
    topics = await app.store.campaigns.topics(campaign.id)
    found_topic = next(t for t in topics if topic in t.name)
    return await app.store.questions.create(
        NewQuestion(
            campaign_id=campaign.id,
            person_id=person_id,
            unit_id=found_unit.id,
            topic_id=found_topic.id,
            category=None,
            text=text,
            asker_name=None if anonymous else name,
            anonymous=anonymous,
            channel="test",
            late=False,
        ),
        now=app.clock.now(),
    )


async def support(app: App, q: Question, user: str, *, language: str = "vi") -> int:
    person_id = await person(app, user, language=language)
    assert await app.store.questions.add_support(q.id, person_id, q.unit_id, now=app.clock.now())
    return person_id


async def official(app: App, engine: object, role: str, user: str, **scope: object) -> Talker:
    """A person who redeemed an invite for ``role`` in chat."""
    code = await create_invite(app.store, role, now=app.clock.now(), **scope)  # type: ignore[arg-type]
    talker = Talker(engine, user_id=user)  # type: ignore[arg-type]
    await talker.say(f"/nhanquyen {code}")
    assert "Đã cấp vai trò" in talker.last_text, talker.last_text
    return talker


async def outbox(app: App, kind: str) -> list[tuple[int, str]]:
    """(person id, text) of every queued message of ``kind``, oldest first."""
    rows = await app.store.db.fetchall(
        "SELECT person_id, body FROM outbox WHERE kind = ? ORDER BY id", (kind,)
    )
    return [(r["person_id"], json.loads(r["body"])["text"]) for r in rows]


async def queued_to(app: App, user: str, kind: str) -> list[dict[str, Any]]:
    """The queued messages of ``kind`` to the "test" channel's ``user``, oldest first,
    as stored (text and attachments)."""
    person = await app.store.people.by_identity("test", user)
    assert person is not None
    rows = await app.store.db.fetchall(
        "SELECT body FROM outbox WHERE kind = ? AND person_id = ? ORDER BY id", (kind, person.id)
    )
    return [json.loads(r["body"]) for r in rows]
