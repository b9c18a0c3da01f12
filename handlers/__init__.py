"""The conversations, independent of any chat platform: an event in, replies and a new
stored state out.

Each conversation module exposes a :class:`handlers.engine.Router`; :func:`routers` is the
one list of them the application (and the tests) hand to the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.engine import Router


def routers() -> list[Router]:
    """Every conversation module's router: the question flow, the person's own commands,
    officials' commands, identity linking."""
    from handlers import (
        account,
        answers,
        broadcast,
        clusters,
        conclusion,
        feedback,
        intake,
        linking,
        officials,
        programme,
        reports,
        roles,
    )

    return [
        intake.router,
        feedback.router,
        account.router,
        roles.router,
        broadcast.router,
        reports.router,
        answers.router,
        clusters.router,
        linking.router,
        programme.router,
        conclusion.router,
        officials.router,
    ]
