"""The app factory's second half: the engine and its collaborators, built from settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.application.app import App
from handlers.engine import Engine, EngineSettings


def engine_settings(app: App) -> EngineSettings:
    core = app.settings.core
    return EngineSettings(
        timezone=core.tz,
        questions_per_hour=core.questions_per_hour,
        draft_ttl=timedelta(hours=core.draft_ttl_hours),
        max_question_chars=core.max_question_chars,
        home_province=app.home_province,
    )


def snapshot_folder(app: App) -> Path | None:
    """Where the similar-question indexes are kept between runs: ``YOUTHBOT_CACHE_DIR``,
    else beside a SQLite database ("data/youthbot.db" → "data/youthbot-cache"), else
    none (built at each start)."""
    if app.settings.core.cache_dir is not None:
        return app.settings.core.cache_dir
    path = getattr(app.store.db, "path", None)
    if not isinstance(path, str) or path == ":memory:":
        return None
    database = Path(path)
    return database.with_name(f"{database.stem}-cache")


def build_engine(app: App) -> Engine:
    """The conversation engine wired to the app's storage, clock and similarity index."""
    from bot.clustering.similar import CampaignSimilarity
    from bot.documents.desk import StoreDocumentDesk
    from bot.documents.produce import StoreDigestMaker
    from handlers import routers

    digests = StoreDigestMaker(app)
    return Engine(
        app.store,
        app.clock,
        settings=engine_settings(app),
        similar=CampaignSimilarity(app.store, app.clock, snapshots=snapshot_folder(app)),
        digests=digests,
        documents=StoreDocumentDesk(app, maker=digests),
        routers=routers(),
    )


async def digest_tick(app: App, now: datetime) -> int:
    """Scheduled digests due now (see :mod:`bot.documents.schedule`), and chat reports
    left unfinished."""
    from bot.documents.produce import resume_chat_digests
    from bot.documents.schedule import tick

    # Also the chat reports (/baocao) asked for but cut short by a crash or a stop.
    return await tick(app, now) + await resume_chat_digests(app, now)
