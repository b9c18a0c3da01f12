"""The timeline computed for the real plans in DOMAIN.md."""

from __future__ import annotations

from datetime import date

import pytest

from bot.campaign.timeline import TimelineError, compute_timeline
from storage.models import DeadlineKind as K


def as_dict(deadlines: list) -> dict[K, date]:  # type: ignore[type-arg]
    return {d.kind: d.due for d in deadlines}


def test_cao_bang_2025() -> None:
    # Dialogue at the end of August 2025; communes send before 05/08, Sở Nội vụ forwards
    # before 08/08, departments answer before 20/08.
    tl = as_dict(
        compute_timeline(
            date(2025, 8, 28),
            overrides={K.UNITS_SUBMIT: date(2025, 8, 5), K.ANSWERS_DUE: date(2025, 8, 20)},
        )
    )
    assert tl[K.UNITS_SUBMIT] == date(2025, 8, 5)
    assert tl[K.FORWARD] == date(2025, 8, 8)  # derived: 3 days after the units' deadline
    assert tl[K.ANSWERS_DUE] == date(2025, 8, 20)
    assert tl[K.QUESTIONS_CLOSE] == date(2025, 8, 5)  # cannot close after units send up
    assert tl[K.PLAN_PUBLISHED] == date(2025, 7, 29)
    assert tl[K.CONCLUSION] == date(2025, 9, 7)
    assert tl[K.REPORT] == date(2025, 9, 17)


def test_hong_bang_2022() -> None:
    tl = as_dict(compute_timeline(date(2022, 5, 26)))
    assert tl[K.UNITS_SUBMIT] == date(2022, 5, 19)  # grassroots units e-mail by 19/05
    assert tl[K.ANSWERS_DUE] == date(2022, 5, 24)  # departments prepare answers by 24/05
    assert tl[K.PLAN_PUBLISHED] == date(2022, 4, 26)
    assert tl[K.DIALOGUE] == date(2022, 5, 26)


def test_phu_son_2023_questions_close_seven_days_before() -> None:
    tl = as_dict(compute_timeline(date(2023, 6, 15)))
    assert tl[K.QUESTIONS_CLOSE] == date(2023, 6, 8)


def test_complex_conclusion_takes_fifteen_days() -> None:
    simple = as_dict(compute_timeline(date(2024, 5, 20)))
    hard = as_dict(compute_timeline(date(2024, 5, 20), complex_content=True))
    assert simple[K.CONCLUSION] == date(2024, 5, 30)
    assert hard[K.CONCLUSION] == date(2024, 6, 4)


def test_overridden_flag_and_order() -> None:
    deadlines = compute_timeline(date(2024, 5, 20), overrides={K.REPORT: date(2024, 6, 30)})
    assert [d.kind for d in deadlines] == list(K)
    assert [d.kind for d in deadlines if d.overridden] == [K.REPORT]


@pytest.mark.parametrize(
    "overrides",
    [
        {K.QUESTIONS_CLOSE: date(2024, 5, 21)},  # after the dialogue
        {K.CONCLUSION: date(2024, 5, 1)},  # before the dialogue
        {K.FORWARD: date(2024, 5, 1), K.UNITS_SUBMIT: date(2024, 5, 10)},
    ],
)
def test_inconsistent_dates_are_refused(overrides: dict[K, date]) -> None:
    with pytest.raises(TimelineError):
        compute_timeline(date(2024, 5, 20), overrides=overrides)
