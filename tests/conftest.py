"""Shared fixtures: a real SQLite file per test, settings isolated from the environment."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.application.app import App
from bot.application.config import Settings
from bot.clock import FakeClock
from handlers.engine import Engine
from storage.db import parse_target
from storage.models import Campaign
from tests.fakes.smtp import Inbox, running_smtp_server
from tests.pg import (
    SKIP_REASON,
    DatabaseFactory,
    PgServer,
    find_bindir,
    run_async,
    running_server,
)

# Settings come only from what each test sets, never from the developer's shell or .env.
_PREFIXES = ("YOUTHBOT_", "TELEGRAM_", "ZALO_", "SMTP_")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("YOUTHBOT_DB", str(tmp_path / "youthbot.db"))
    monkeypatch.setenv("YOUTHBOT_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.chdir(tmp_path)
    # PTB 22.2+ warns (PTBDeprecationWarning) whenever an int time period such as
    # RetryAfter.retry_after is read, even inside RetryAfter.__init__; with warnings as
    # errors that turns every 429 into an exception. bot.channels.telegram opts in to
    # timedelta at import (setdefault); the tests do not rely on the import order.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def english_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's lines in English (YOUTHBOT_LANGUAGE=en), for tests about behaviour that
    read them; the default language is Vietnamese."""
    monkeypatch.setenv("YOUTHBOT_LANGUAGE", "en")


@pytest.fixture
def clock() -> FakeClock:
    # 09:00 in Vietnam on 1 July 2025, a month before Cao Bằng's deadlines.
    return FakeClock(datetime(2025, 7, 1, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session (see tests/pg.py)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(SKIP_REASON)
    with running_server(bindir) as server:
        run_async(server.prepare_template())
        server.factory = DatabaseFactory(server)
        try:
            yield server
        finally:
            server.factory.close()


@pytest.fixture
def backend() -> str:
    """SQLite; a module that imports ``tests.pg.backend`` runs on both databases."""
    return "sqlite"


@pytest.fixture
def database(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """``YOUTHBOT_DB`` for the test: a SQLite file, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        yield str(tmp_path / "youthbot.db")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    assert server.factory is not None
    url = server.factory.take()
    monkeypatch.setenv("YOUTHBOT_DB", url)
    try:
        yield url
    finally:
        server.factory.give_back(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once, closed clean (nothing left in a -wal file)."""
    from storage import Store

    path = tmp_path_factory.mktemp("sqlite-template") / "youthbot.db"

    async def migrate() -> None:
        store = await Store.open(str(path))
        await store.close()

    run_async(migrate())
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template is whole in its file"
    return path


@pytest.fixture
async def app(clock: FakeClock, database: str, sqlite_template: Path) -> AsyncIterator[App]:
    settings = Settings(env_file=None)
    target = parse_target(settings.core.db)
    if target.kind == "sqlite" and target.location != ":memory:":
        file = Path(target.location)
        if not file.exists() and file.parent.is_dir():
            # The test's file starts as a copy of the migrated template (Store.open still
            # checks its version): migrating a new file costs about 0.1 s a test. Migrating
            # from nothing stays covered by the tests and commands that open new files.
            shutil.copyfile(sqlite_template, file)
    async with await App.open(settings, clock=clock) as application:
        yield application


@pytest.fixture
async def province_app(app: App) -> App:
    """An app with Cao Bằng's communes and wards loaded."""
    from bot.campaign.units import province_units

    await app.store.units.upsert_many(province_units("cao_bang"), now=app.clock.now())
    return app


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    """A campaign of Cao Bằng taking questions (a test module may define its own)."""
    from bot.campaign.setup import create_campaign

    return await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))


@pytest.fixture
def engine(province_app: App, campaign: Campaign) -> Engine:
    """The conversation engine over :func:`campaign`, every router registered."""
    from handlers import routers

    return Engine(province_app.store, province_app.clock, routers=routers())


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1: (inbox, port)."""
    with running_smtp_server() as server:
        yield server
