"""Reads of many rows by id (``Database.fetchall_in``): the id list is split into
statements of ``IN_CHUNK`` values (SQLite limits the values bound per statement), and
every row comes back, on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.application.app import App
from tests.pg import backend  # noqa: F401  (every test here on SQLite and PostgreSQL)
from tests.test_outbox import young_people


async def test_reads_by_id_cross_chunk_boundaries(province_app: App) -> None:
    store = province_app.store
    people = await young_people(province_app, 1_203)
    await store.people.update(people[-1], language="en", now=province_app.clock.now())
    assert len(people) > store.db.IN_CHUNK  # more than one statement
    languages = await store.people.languages(people)
    assert len(languages) == len(people) and languages[people[-1]] == "en"
    identities = await store.people.all_identities(people)
    assert sorted(identities) == sorted(people)
    assert all(len(found) == 1 for found in identities.values())
    reachable = await store.people.reachable_identities(people[::-1])
    assert sorted(reachable) == sorted(people)
    assert await store.people.languages([]) == {}
