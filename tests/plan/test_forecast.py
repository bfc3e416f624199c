"""Forecasts on hand-made burndown frames: every date worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from readiness.plan import BURNDOWN, Forecast, forecast, readiness_crossing
from tests.plan.helpers import friday


def _frame(earned: list[float], planned: float = 100.0, readiness: list[float] | None = None) -> pl.DataFrame:
    rows = []
    for w, e in enumerate(earned):
        rows.append({"week": w, "start": None, "end": None, "snapshot": friday(w).date(), "ideal_remaining": 0.0,
                     "envelope_remaining": 0.0, "spent_week": 0.0, "spent": 0.0, "earned_week": 0.0, "earned": e,
                     "remaining": planned - e, "readiness": (readiness or [50.0] * len(earned))[w]})
    return pl.DataFrame(rows, schema=BURNDOWN)


def snap(week: int) -> date:
    return friday(week).date()


def test_too_little_history_says_so() -> None:
    fc = forecast(_frame([0, 10, 20]))  # two weekly changes
    assert fc.date is None and fc.to_dict() is None
    assert "too little history: 2 week(s)" in fc.reason and "needs 3" in fc.reason
    assert forecast(_frame([])).date is None


def test_a_steady_pace_gives_a_date_without_spread() -> None:
    fc = forecast(_frame([0, 10, 20, 30]))  # 10 h/week, 70 h left: 7 weeks after the newest snapshot
    assert fc.velocity == 10
    assert fc.date == fc.low == fc.high == snap(3) + timedelta(weeks=7)


def test_the_range_comes_from_the_pace_of_the_last_2_to_4_weeks() -> None:
    fc = forecast(_frame([0, 0, 10, 30, 50]))  # changes 0, 10, 20, 20
    assert fc.velocity == 12.5  # mean of the last 4 weeks; 50 h left = 4 weeks
    assert fc.date == snap(4) + timedelta(days=28)
    assert fc.velocities == {"last_2_weeks": 20.0, "last_3_weeks": pytest.approx(50 / 3), "last_4_weeks": 12.5}
    assert fc.low == snap(4) + timedelta(days=18)  # 2.5 weeks at 20 h/week, rounded up to a day
    assert fc.high == fc.date  # the slowest pace is the 4-week one here
    assert fc.to_dict() == {"date": fc.date.isoformat(), "low": fc.low.isoformat(), "high": fc.high.isoformat(),
                            "velocity": 12.5, "reason": fc.reason}


def test_only_the_last_window_counts() -> None:
    fast_then_slow = forecast(_frame([0, 40, 80, 84, 88, 92, 96]))
    assert fast_then_slow.velocity == 4  # the early 40 h weeks are outside the 4-week window
    assert fast_then_slow.date == snap(6) + timedelta(days=7)


def test_a_stall_in_the_last_two_weeks_leaves_the_latest_date_open() -> None:
    fc = forecast(_frame([0, 10, 20, 20, 20]))
    assert fc.velocity == 5 and fc.date == snap(4) + timedelta(weeks=16)
    assert fc.high is None and "no latest date" in fc.reason
    assert fc.to_dict()["high"] is None  # type: ignore[index]


def test_no_velocity_no_forecast() -> None:
    fc = forecast(_frame([0, 10, 10, 10, 10, 10]))
    assert fc.date is None and fc.velocity == 0
    assert "no hours earned over the last 4 weeks" in fc.reason


def test_when_nothing_remains_the_date_is_the_week_it_reached_zero() -> None:
    fc = forecast(_frame([0, 50, 100, 100, 100]))
    assert fc.date == fc.low == fc.high == snap(2)
    assert "week 2" in fc.reason
    dipped = forecast(_frame([0, 100, 90, 100]))  # reached 0 in week 1, lost it, regained it in week 3
    assert dipped.date == snap(3)


def test_readiness_already_above_target_gives_the_first_day_of_the_run() -> None:
    on, why = readiness_crossing(_frame([0] * 5, readiness=[80, 91, 85, 91, 92]))
    assert on == snap(3) and "above 90% since" in why


def test_readiness_trend_crossing() -> None:
    on, why = readiness_crossing(_frame([0] * 4, readiness=[70, 75, 80, 85]))  # +5 a week
    assert on == snap(4)
    assert "+5.0 points/week" in why
    window = readiness_crossing(_frame([0] * 8, readiness=[0, 0, 70, 75, 80, 85, 86, 87]), window=3)
    assert window[0] == snap(7) + timedelta(weeks=3)  # only the last 3 weeks: +1 a week


@pytest.mark.parametrize(("scores", "says"), [
    ([90, 85, 80], "not rising"),
    ([80, 85], "too little history"),
    ([88, 95, 89], "newest score is 89.0%"),
])
def test_readiness_without_a_crossing_says_why(scores: list[float], says: str) -> None:
    on, why = readiness_crossing(_frame([0] * len(scores), readiness=scores))
    assert on is None and says in why


def test_forecast_carries_the_readiness_crossing() -> None:
    fc = forecast(_frame([0, 10, 20, 30], readiness=[70, 75, 80, 85]), target=80)
    assert isinstance(fc, Forecast)
    assert fc.readiness_target == 80 and fc.readiness_date == snap(3)
