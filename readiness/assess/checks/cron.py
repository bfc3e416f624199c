"""How often a backup schedule runs: cron as Velero, k8up, VolSync and CloudNativePG read it.

Forms understood: five fields (``0 3 * * *``), six fields with seconds first (CloudNativePG),
descriptors (``@daily``, ``@weekly``; k8up's ``@daily-random``), Go's ``@every 24h``, and a
``CRON_TZ=Europe/Berlin`` or ``TZ=...`` prefix (robfig/cron). Parsing and the calendar are
croniter's; this module only finds the longest gap between two runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

# The longest gap is looked for around each midnight of a whole (leap) year: any gap longer than a
# day contains one, so every gap that can fail a daily or weekly threshold is seen.
_YEAR_START = datetime(2028, 1, 1)
_DAYS = 367
_TZ = re.compile(r"^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$")
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns)")
_GO_UNITS = {"h": 1.0, "m": 1 / 60, "s": 1 / 3600, "ms": 1 / 3.6e6, "us": 1 / 3.6e9, "µs": 1 / 3.6e9, "ns": 1 / 3.6e12}


@dataclass(frozen=True)
class Cadence:
    """A parsed schedule: the longest gap between runs (hours, wall-clock) and its time zone."""

    hours: float
    zone: str | None = None


class CronError(ValueError):
    """A schedule string that is not cron (templated, misspelt, a zone that does not exist)."""


def go_hours(duration: str) -> float | None:
    """A Go duration (``168h0m0s``, ``1h30m``) in hours; None when it is not one."""
    text = duration.strip()
    if not text or _GO_DURATION.sub("", text) != "":
        return None
    return sum(float(n) * _GO_UNITS[u] for n, u in _GO_DURATION.findall(text))


def cadence(schedule: str) -> Cadence:
    """The longest gap between two runs of ``schedule``; raises ``CronError`` when unreadable.

    Gaps are measured in wall-clock time of the schedule's own zone, so ``CRON_TZ=Europe/Berlin
    0 3 * * *`` is daily even across a daylight-saving change.
    """
    text = " ".join(str(schedule).split())
    zone = None
    tz = _TZ.match(text)
    if tz:
        zone, text = tz.group(1), tz.group(2)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CronError(f"unknown time zone {zone!r}") from None
    if text.startswith("@every "):
        hours = go_hours(text[len("@every "):])
        if not hours:
            raise CronError(f"{text!r} is not @every <Go duration>")
        return Cadence(hours, zone)
    if text.startswith("@") and text.endswith("-random"):  # k8up: a random minute within the period
        text = text[: -len("-random")]
    return Cadence(_longest_gap(text), zone)


DESCRIPTORS = {"@hourly": 1.0, "@daily": 24.0, "@midnight": 24.0, "@weekly": 168.0, "@monthly": 744.0,
               "@yearly": 8784.0, "@annually": 8784.0}


@lru_cache(maxsize=512)
def _longest_gap(expr: str) -> float:
    """Longest gap (hours) between runs of a cron expression, by the calendar's structure:
    a schedule for every day repeats daily (one day of runs is enough), one restricted by weekday
    repeats weekly, others are sampled around each midnight of a leap year."""
    if expr.startswith("@"):
        if expr not in DESCRIPTORS:
            raise CronError(f"{expr!r} is not a cron descriptor ({', '.join(DESCRIPTORS)}, @every <duration>)")
        return DESCRIPTORS[expr]
    fields = expr.split()
    if len(fields) not in (5, 6):
        raise CronError(f"{expr!r} has {len(fields)} fields, not 5 (or 6 with seconds)")
    seconds_first = len(fields) == 6
    dom, month, dow = fields[-3:]
    try:
        if not croniter.is_valid(expr, second_at_beginning=seconds_first):
            raise CronError(f"{expr!r} is not a cron expression")
        it = croniter(expr, _YEAR_START, second_at_beginning=seconds_first)
        if {dom, month, dow} <= {"*", "?"}:
            longest = _gaps_of_one_day(it)
        else:
            days = 8 if {dom, month} <= {"*", "?"} else _DAYS
            longest = _gap_around_midnights(it, days)
    except (ValueError, KeyError, TypeError, OverflowError) as err:
        raise CronError(f"{expr!r} is not a cron expression ({err})") from None
    if longest <= 0:
        raise CronError(f"{expr!r} never runs")
    return longest


def _gaps_of_one_day(it: croniter, cap: int = 100) -> float:
    """Longest gap among a day's runs and the night's gap (a schedule with no day restriction)."""
    it.set_current(_YEAR_START - timedelta(seconds=1))
    runs = [it.get_next(datetime)]
    while runs[-1] < runs[0] + timedelta(days=1) and len(runs) < cap:
        runs.append(it.get_next(datetime))
    return max(((b - a).total_seconds() / 3600 for a, b in pairwise(runs)), default=0.0)


def _gap_around_midnights(it: croniter, days: int) -> float:
    """Longest gap straddling one of ``days`` midnights: exact for every gap longer than a day."""
    longest = 0.0
    for day in range(days):
        at = _YEAR_START + timedelta(days=day, seconds=1)  # just after midnight: not on a run
        it.set_current(at)
        nxt = it.get_next(datetime)
        it.set_current(at)
        prev = it.get_prev(datetime)
        longest = max(longest, (nxt - prev).total_seconds() / 3600)
    return longest
