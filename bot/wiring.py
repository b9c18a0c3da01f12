"""The app factory's second half: the engine and its collaborators, built from settings."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from handlers.engine import Engine, EngineSettings


def engine_settings(app: App) -> EngineSettings:
    core = app.settings.core
    return EngineSettings(
        timezone=core.tz,
        questions_per_hour=core.questions_per_hour,
        draft_ttl=timedelta(hours=core.draft_ttl_hours),
        max_question_chars=core.max_question_chars,
    )


def build_engine(app: App) -> Engine:
    """The conversation engine wired to the app's storage, clock and similarity index."""
    from bot.digests.produce import StoreDigestMaker
    from bot.similar import CampaignSimilarity
    from handlers import linking

    return Engine(
        app.store,
        app.clock,
        settings=engine_settings(app),
        similar=CampaignSimilarity(app.store, app.clock),
        digests=StoreDigestMaker(app),
        routers=[linking.router],
    )


async def digest_tick(app: App, now: datetime) -> int:
    """Scheduled digests due now (see :mod:`bot.digests.schedule`)."""
    from bot.digests.schedule import tick

    return await tick(app, now)
