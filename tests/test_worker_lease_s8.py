"""YOUTHBOT_WORKER_LEASE_SECONDS: how long a silent PostgreSQL worker keeps the scheduler's
lease and its messages in flight before another takes them over (15 s unless set).

That ``youthbot run`` uses it is pinned by the kill -9 tests of tests/test_workers.py,
whose workers run with a 5 s lease and log it."""

from __future__ import annotations

import pytest

from bot.application.config import ConfigError, Settings
from locales import Translator


def test_the_lease_is_15_seconds_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YOUTHBOT_WORKER_LEASE_SECONDS", raising=False)
    assert Settings(env_file=None).core.worker_lease_seconds == 15
    monkeypatch.setenv("YOUTHBOT_WORKER_LEASE_SECONDS", "4")
    assert Settings(env_file=None).core.worker_lease_seconds == 4


@pytest.mark.parametrize("value", ["2", "301", "soon", "-15"])
def test_a_lease_out_of_bounds_names_the_variable_and_the_range(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    # Under 3 s the heartbeat (a third) would come under a second apart; a live worker
    # merely slowed down would be taken for dead.
    monkeypatch.setenv("YOUTHBOT_WORKER_LEASE_SECONDS", value)
    with pytest.raises(ConfigError) as info:
        Settings(env_file=None)
    english = info.value.render(Translator("en"))
    vietnamese = info.value.render(Translator("vi"))
    assert "YOUTHBOT_WORKER_LEASE_SECONDS" in english and "from 3 to 300" in english
    assert "YOUTHBOT_WORKER_LEASE_SECONDS" in vietnamese and "từ 3 đến 300" in vietnamese
    assert "\n" not in english
