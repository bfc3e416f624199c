"""The forecast of a burndown: when the remaining hours reach 0, and when readiness crosses its target."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import polars as pl

Day = date  # the Forecast's field 'date' shadows the type inside its class body


@dataclass(frozen=True)
class Forecast:
    """When the remaining hours reach 0, and when readiness crosses its target; ``None`` dates say why not."""

    date: Day | None
    low: Day | None
    high: Day | None
    velocity: float | None
    reason: str
    readiness_date: Day | None = None
    readiness_reason: str = ""
    readiness_target: float = 90.0
    velocities: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any] | None:
        """The JSON ``forecast`` object, or None when there is no date."""
        if self.date is None:
            return None
        return {"date": self.date.isoformat(), "low": _iso(self.low), "high": _iso(self.high),
                "velocity": None if self.velocity is None else round(self.velocity, 1), "reason": self.reason}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _after(base: date, remaining: float, velocity: float) -> date:
    return base + timedelta(days=math.ceil(remaining / velocity * 7 - 1e-9))


def forecast(weeks: pl.DataFrame, *, window: int = 4, min_weeks: int = 3, target: float = 90.0) -> Forecast:
    """Forecast from a ``burndown`` frame.

    Velocity is the mean earned hours per week over the last ``window`` weeks; the date is the
    newest snapshot plus remaining / velocity weeks (rounded up to a day). The range comes from
    the pace over the last 2, 3, ... ``window`` weeks: the fastest gives ``low`` (earliest), the
    slowest ``high`` (latest; None when one of those windows earned nothing net). There is no forecast
    with fewer than ``min_weeks`` weekly changes or a velocity of 0; when nothing remains the date
    is the snapshot of the week it reached 0. The readiness date comes from ``readiness_crossing``.
    """
    ready_on, ready_why = readiness_crossing(weeks, target=target)
    return replace(_hours_forecast(weeks, window, min_weeks), readiness_date=ready_on,
                   readiness_reason=ready_why, readiness_target=target)


def _hours_forecast(weeks: pl.DataFrame, window: int, min_weeks: int) -> Forecast:
    rows = weeks.filter(pl.col("snapshot").is_not_null())
    if rows.is_empty():
        return Forecast(None, None, None, None, "no snapshot yet: nothing to forecast from")
    remaining, snaps = rows["remaining"].to_list(), rows["snapshot"].to_list()
    if remaining[-1] <= 0:
        i = len(remaining) - 1
        while i > 0 and remaining[i - 1] <= 0:
            i -= 1
        return Forecast(snaps[i], snaps[i], snaps[i], 0.0,
                        f"all planned hours earned in week {rows['week'][i]} ({snaps[i]})")
    earned = rows["earned"].to_list()
    deltas = [b - a for a, b in itertools.pairwise(earned)]
    if len(deltas) < min_weeks:
        return Forecast(None, None, None, None, f"too little history: {len(deltas)} week(s) of change since "
                        f"{snaps[0]}; a forecast needs {min_weeks}")
    recent = deltas[-window:]
    velocity = sum(recent) / len(recent)
    if velocity <= 0:
        return Forecast(None, None, None, velocity, f"no hours earned over the last {len(recent)} weeks: "
                        "at this pace the plan does not finish")
    paces = {f"last_{k}_weeks": sum(deltas[-k:]) / k for k in range(2, len(recent) + 1)}
    fast, slow = max(paces.values()), min(paces.values())
    base, left = snaps[-1], remaining[-1]
    high = _after(base, left, slow) if slow > 0 else None
    why = (f"{left:g} hours remain at {velocity:.1f} earned hours/week (mean of the last {len(recent)} weeks); "
           f"range from the pace of the last 2..{len(recent)} weeks ({slow:.1f}..{fast:.1f} hours/week)")
    if high is None:
        stalled = min(paces, key=lambda k: paces[k]).replace("_", " ")
        why += f"; nothing was earned net over the {stalled}, so there is no latest date"
    return Forecast(_after(base, left, velocity), _after(base, left, fast), high, velocity, why, velocities=paces)


def readiness_crossing(weeks: pl.DataFrame, *, target: float = 90.0, window: int = 6) -> tuple[date | None, str]:
    """The day the fleet's overall readiness crosses ``target``: the first day of the current run
    above it, or where the least-squares line through the last ``window`` weeks reaches it."""
    rows = weeks.filter(pl.col("snapshot").is_not_null() & pl.col("readiness").is_not_null())
    if rows.is_empty():
        return None, "no readiness score yet"
    days, score = rows["snapshot"].to_list(), rows["readiness"].to_list()
    if score[-1] > target:
        i = len(score) - 1
        while i > 0 and score[i - 1] > target:
            i -= 1
        return days[i], f"above {target:g}% since {days[i]} ({score[i]:.1f}%)"
    xs = [(d - days[0]).days for d in days[-window:]]
    ys = score[-window:]
    if len(xs) < 3:
        return None, f"too little history: {len(xs)} weekly score(s); a readiness trend needs 3"
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    if slope <= 0:
        return None, f"readiness is not rising ({slope * 7:+.1f} points/week over the last {len(xs)} weeks)"
    at = mx + (target - my) / slope
    when = days[0] + timedelta(days=math.ceil(at - 1e-9))  # - 1e-9: a whole day stays that day
    if when <= days[-1]:
        return None, (f"the trend line is above {target:g}% but the newest score is {score[-1]:.1f}%: "
                      "no crossing to forecast")
    return when, (f"trend {slope * 7:+.1f} points/week over the last {len(xs)} weeks reaches {target:g}% "
                  f"(now {score[-1]:.1f}%)")
