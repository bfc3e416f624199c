"""The improvement plan: work packages, the burndown against it, and the forecast.

A work package is proven by evidence, not by hours logged: its **proven share** on a day is the
mean, over its checks, of the check's fleet score (``score.fleet_checks``: the mean over the
clusters the check applies to; a waived finding counts 1). A check that applies to no cluster
counts as proven; one with no finding at all counts 0. Then::

    earned(day)    = sum over work packages of hours(wp) * proven_share(wp, day)
    remaining(day) = planned_hours - earned(day)
    ideal(week)    = planned_hours * max(0, 1 - week / weeks)       (and / max_weeks: the envelope)
    spent(day)     = the work log's hours dated on or before day

Week 1 starts on the plan's ``start``; week 0 is the week before (the baseline), and each week is
measured on the newest snapshot of each cluster at its end.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from readiness.assess import rubric as rubric_mod
from readiness.assess import score as sc
from readiness.assess.evaluate import end_of, newest_as_of
from readiness.assess.rubric import Rubric
from readiness.errors import ConfigError
from readiness.plan import worklog as wl
from readiness.store import paths, schema
from readiness.store.configfile import SourceFile, known_ids

NEVER_STALE = 10**6  # days: for callers that want each cluster's newest snapshot however old

Day = date  # the Forecast's field 'date' shadows the type inside its class body
PLAN_FILE = "plan.yaml"
TOP_KEYS = {"name", "start", "weeks", "max_weeks", "total_hours", "work_packages"}
WP_KEYS = {"title", "weeks", "hours", "checks", "resolves", "contributes_to", "addresses", "deliverables"}
HOURS_IN = re.compile(r"(\d+(?:\.\d+)?)\s*hours?")
WEEKS_IN = re.compile(r"[Ww]eeks?\s+(\d+)(?:\s*-\s*(\d+))?")


@dataclass(frozen=True)
class WorkPackage:
    id: str
    title: str
    first_week: int
    last_week: int
    hours: float
    checks: tuple[str, ...]
    resolves: tuple[str, ...] = ()
    contributes_to: tuple[str, ...] = ()
    addresses: str = ""
    deliverables: tuple[str, ...] = ()

    @property
    def purpose(self) -> str:
        """The blockers it resolves (or resolves in part), else what it addresses."""
        return ", ".join([*self.resolves, *(f"{b} (part)" for b in self.contributes_to)]) or self.addresses

    @property
    def window(self) -> str:
        return str(self.first_week) if self.first_week == self.last_week else f"{self.first_week}-{self.last_week}"


@dataclass(frozen=True)
class Plan:
    """The plan as loaded; ``warnings`` are inconsistencies of the source documents, kept visible."""

    name: str
    start: date
    weeks: int
    max_weeks: int
    total_hours: float
    work_packages: dict[str, WorkPackage]
    warnings: tuple[str, ...] = ()
    path: str = ""

    def week_start(self, week: int) -> date:
        """The Monday (if ``start`` is one) that begins plan week ``week``; week 0 is the baseline week."""
        return self.start + timedelta(weeks=week - 1)

    def week_end(self, week: int) -> date:
        return self.week_start(week) + timedelta(days=6)

    def week_of(self, day: date) -> int:
        """The plan week ``day`` falls in (0 for the week before the start, negative before that)."""
        return (day - self.start).days // 7 + 1

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``readiness plan --format json``."""
        return {
            "name": self.name,
            "start": self.start.isoformat(),
            "weeks": self.weeks,
            "max_weeks": self.max_weeks,
            "planned_hours": self.total_hours,
            "work_packages": [
                {"id": wp.id, "title": wp.title, "weeks": wp.window, "first_week": wp.first_week,
                 "last_week": wp.last_week, "start": self.week_start(wp.first_week).isoformat(),
                 "end": self.week_end(wp.last_week).isoformat(), "hours": wp.hours, "resolves": list(wp.resolves),
                 "contributes_to": list(wp.contributes_to), "addresses": wp.addresses, "checks": list(wp.checks),
                 "deliverables": list(wp.deliverables)}
                for wp in self.work_packages.values()
            ],
            "warnings": list(self.warnings),
        }


def _positive(src: SourceFile, doc: dict[str, Any], key: str, at: tuple[str | int, ...], integer: bool) -> float:
    value = doc.get(key)
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or float(value) <= 0:  # type: ignore[arg-type]
        kind = "a whole number" if integer else "a number"
        raise src.error((*at, key), f"'{key}' must be {kind} above 0, got {value!r}")
    return float(value)  # type: ignore[arg-type]


def _weeks(src: SourceFile, raw: Any, at: tuple[str | int, ...], max_weeks: int) -> tuple[int, int]:
    text = "-".join(str(x) for x in raw) if isinstance(raw, list) else str(raw)
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not m:
        raise src.error(at, f"weeks must be 'N' or 'N-M', got {raw!r}")
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if not 1 <= first <= last <= max_weeks:
        raise src.error(at, f"weeks {text} are not a window within weeks 1-{max_weeks}",
                        hint="the first week must be at least 1 and not after the last; the last within max_weeks")
    return first, last


def _work_package(src: SourceFile, wid: str, raw: Any, rubric: Rubric, max_weeks: int) -> WorkPackage:
    at: tuple[str | int, ...] = ("work_packages", wid)
    if not isinstance(raw, dict):
        raise src.error(at, f"work package {wid} must be a mapping")
    for key in raw:
        if key not in WP_KEYS:
            raise src.error((*at, key), f"work package {wid}: unknown key '{key}'",
                            hint=f"known keys: {', '.join(sorted(WP_KEYS))}")
    if "weeks" not in raw:
        raise src.error(at, f"work package {wid} has no 'weeks'")
    first, last = _weeks(src, raw["weeks"], (*at, "weeks"), max_weeks)
    checks = known_ids(src, raw.get("checks"), (*at, "checks"), rubric.checks, "check")
    if not checks:
        raise src.error(at, f"work package {wid} lists no checks",
                        hint="name the checks that prove it done (they must pass on every cluster)")
    deliverables = raw.get("deliverables") or []
    return WorkPackage(
        id=wid, title=str(raw.get("title") or wid), first_week=first, last_week=last,
        hours=_positive(src, raw, "hours", at, integer=False), checks=checks,
        resolves=known_ids(src, raw.get("resolves"), (*at, "resolves"), rubric.blockers, "blocker"),
        contributes_to=known_ids(src, raw.get("contributes_to"), (*at, "contributes_to"), rubric.blockers, "blocker"),
        addresses=str(raw.get("addresses") or ""),
        deliverables=tuple(str(d) for d in deliverables) if isinstance(deliverables, list) else (str(deliverables),),
    )


def load_plan(path: Path | str | None = None, *, rubric: Rubric | None = None, data: Path | str | None = None) -> Plan:
    """Load and validate ``plan.yaml`` (default: the data directory's, else the project's).

    Errors (``ConfigError`` with file and line): unknown keys, a window outside 1..max_weeks, hours
    that do not add up to ``total_hours``, a check or blocker id the rubric does not know.
    Inconsistencies between the plan, the rubric and the assessment become ``Plan.warnings``.
    """
    rub = rubric if rubric is not None else rubric_mod.load(data=paths.data_dir(data))
    where = Path(path) if path is not None else paths.shipped(PLAN_FILE, paths.data_dir(data))
    src = SourceFile(where, "plan")
    doc = src.doc
    if not isinstance(doc, dict):
        raise ConfigError(src.path, "a plan must be a YAML mapping", line=1)
    for key in doc:
        if key not in TOP_KEYS:
            raise src.error((key,), f"unknown plan key '{key}'", hint=f"known keys: {', '.join(sorted(TOP_KEYS))}")
    start = doc.get("start")
    if isinstance(start, str):
        try:
            start = date.fromisoformat(start)
        except ValueError:
            start = None
    if not isinstance(start, date) or isinstance(start, datetime):
        raise src.error(("start",), f"'start' must be a date (YYYY-MM-DD), got {doc.get('start')!r}")
    weeks = int(_positive(src, doc, "weeks", (), integer=True))
    max_weeks = int(_positive(src, doc, "max_weeks", (), integer=True)) if "max_weeks" in doc else weeks
    if max_weeks < weeks:
        raise src.error(("max_weeks",), f"max_weeks ({max_weeks}) is shorter than weeks ({weeks})")
    total = _positive(src, doc, "total_hours", (), integer=False)
    raw_wps = doc.get("work_packages")
    if not isinstance(raw_wps, dict) or not raw_wps:
        raise src.error(("work_packages",), "the plan needs a 'work_packages' mapping (WP1: ..., WP2: ...)")
    wps = {str(wid): _work_package(src, str(wid), raw, rub, max_weeks) for wid, raw in raw_wps.items()}
    summed = sum(wp.hours for wp in wps.values())
    if not math.isclose(summed, total, abs_tol=1e-6):
        detail = " + ".join(f"{wp.id} {wp.hours:g}" for wp in wps.values())
        raise src.error(("total_hours",), f"work package hours add up to {summed:g} ({detail}), "
                        f"total_hours says {total:g}", hint="fix a work package's hours or total_hours")
    plan = Plan(str(doc.get("name") or "plan"), start, weeks, max_weeks, total, wps, path=src.path)
    return replace(plan, warnings=tuple(consistency_warnings(plan, rub)))


def _blocker_budget(resolution: str) -> tuple[float | None, tuple[int, int] | None]:
    hours = HOURS_IN.search(resolution)
    weeks = WEEKS_IN.search(resolution)
    window = (int(weeks.group(1)), int(weeks.group(2) or weeks.group(1))) if weeks else None
    return (float(hours.group(1)) if hours else None), window


def consistency_warnings(plan: Plan, rubric: Rubric) -> list[str]:
    """Where the plan, the rubric and the assessment disagree, each with both numbers.

    A blocker with no work package; a blocker whose hours or weeks (from its ``resolution``, as
    the assessment states them) differ from the work packages that resolve it; a check whose
    rubric ``work_package`` differs from the work package that lists it.
    """
    out = []
    wps = list(plan.work_packages.values())
    for b in rubric.blockers.values():
        full = [wp for wp in wps if b.id in wp.resolves]
        part = [wp for wp in wps if b.id in wp.contributes_to]
        hours, window = _blocker_budget(b.resolution)
        said = f"'{b.resolution}'" if b.resolution else "no budget"
        if not full and not part:
            budget = f"{hours:g} hours" if hours is not None else "no hours"
            out.append(f"blocker {b.id} ({b.title}) has no work package: the assessment budgets {budget} for it "
                       f"({said}), outside the plan's {plan.total_hours:g} hours")
            continue
        if not full:
            continue
        held = sum(wp.hours for wp in full)
        if hours is not None and not math.isclose(held, hours):
            parts = " + ".join(f"{wp.id} {wp.hours:g}" for wp in full)
            extra = "".join(f"; {wp.id} contributes {wp.hours:g} more" for wp in part)
            out.append(f"blocker {b.id} ({b.title}): the assessment gives {hours:g} hours ({said}), the plan's "
                       f"work packages resolving it hold {held:g} ({parts}{extra})")
        first, last = min(wp.first_week for wp in full), max(wp.last_week for wp in full)
        if window and not (window[0] <= first and last <= window[1]):
            out.append(f"blocker {b.id} ({b.title}): the assessment resolves it in weeks {window[0]}-{window[1]} "
                       f"({said}), the plan's work packages span weeks {first}-{last}")
    listed: dict[str, list[str]] = {}
    for wp in wps:
        for cid in wp.checks:
            listed.setdefault(cid, []).append(wp.id)
    for cid, owners in listed.items():
        if len(owners) > 1:
            out.append(f"check {cid} proves more than one work package ({', '.join(owners)})")
    for cid, spec in rubric.checks.items():
        owners = listed.get(cid, [])
        if spec.work_package and spec.work_package not in owners:
            where = f"plan.yaml lists it under {', '.join(owners)}" if owners else "no work package lists it"
            out.append(f"check {cid} has work_package {spec.work_package} in the rubric, but {where}")
        for wid in owners:
            if spec.work_package != wid:
                out.append(f"plan.yaml lists check {cid} under {wid}, but the rubric gives it work_package "
                           f"{spec.work_package or '(none)'}")
    return sorted(set(out), key=out.index)


def work_packages(plan: Plan) -> pl.DataFrame:
    """One row per work package: id, title, weeks, dates, hours, blockers, checks."""
    return pl.DataFrame(
        [{"work_package": wp.id, "title": wp.title, "weeks": wp.window, "start": plan.week_start(wp.first_week),
          "end": plan.week_end(wp.last_week), "hours": wp.hours,
          "resolves": ", ".join([*wp.resolves, *(f"{b} (part)" for b in wp.contributes_to)]) or wp.addresses,
          "checks": list(wp.checks)}
         for wp in plan.work_packages.values()],
        schema={"work_package": pl.String, "title": pl.String, "weeks": pl.String, "start": pl.Date,
                "end": pl.Date, "hours": pl.Float64, "resolves": pl.String, "checks": pl.List(pl.String)},
    )


# ---------------------------------------------------------------------------- evidence


def evidence(findings: pl.DataFrame, day: date, stale_after_days: int | None = None) -> pl.DataFrame:
    """The findings of each cluster's newest snapshot on or before ``day`` (from a history); with
    ``stale_after_days``, a snapshot older than that counts as unknown (``evaluate.newest_as_of``)."""
    return newest_as_of(findings, day, NEVER_STALE if stale_after_days is None else stale_after_days)


@dataclass(frozen=True)
class CheckState:
    """A check across the fleet: its fleet score, whether it holds everywhere, where it fails."""

    score: float
    holds: bool
    failing_clusters: tuple[str, ...] = ()
    clusters: int = 0
    evaluated: bool = True


NO_EVIDENCE = CheckState(0.0, False, evaluated=False)


def check_states(findings: pl.DataFrame, on: date | None = None) -> dict[str, CheckState]:
    """Each check's fleet state in ``findings`` (one evaluation per cluster, e.g. ``evidence()``).

    A check that applies to no cluster holds (nothing to prove); a check without findings is absent
    (callers treat it as ``NO_EVIDENCE``).
    """
    fc = sc.fleet_checks(findings, on)
    states = {cid: CheckState(1.0, True) for cid in findings["check_id"].unique().to_list()}
    for r in fc.iter_rows(named=True):
        states[r["check_id"]] = CheckState(float(r["s"]), bool(r["holds"]), tuple(r["failing_clusters"] or ()),
                                           int(r["clusters"]))
    return states


def progress(plan: Plan, findings: pl.DataFrame, on: date, stale_after_days: int | None = None) -> pl.DataFrame:
    """One row per work package on ``on``: proven share, earned hours, the checks that hold and the open ones."""
    states = check_states(evidence(findings, on, stale_after_days), on)
    return _progress(plan, states)


def _progress(plan: Plan, states: dict[str, CheckState]) -> pl.DataFrame:
    rows = []
    for wp in plan.work_packages.values():
        got = [states.get(c, NO_EVIDENCE) for c in wp.checks]
        share = sum(s.score for s in got) / len(got)
        rows.append({"work_package": wp.id, "hours": wp.hours, "share": share, "earned": wp.hours * share,
                     "holding": [c for c, s in zip(wp.checks, got, strict=True) if s.holds],
                     "open": [c for c, s in zip(wp.checks, got, strict=True) if not s.holds]})
    return pl.DataFrame(rows, schema={"work_package": pl.String, "hours": pl.Float64, "share": pl.Float64,
                                      "earned": pl.Float64, "holding": pl.List(pl.String),
                                      "open": pl.List(pl.String)})


# ---------------------------------------------------------------------------- burndown

BURNDOWN = pl.Schema({
    "week": pl.Int64(), "start": pl.Date(), "end": pl.Date(), "snapshot": pl.Date(),
    "ideal_remaining": pl.Float64(), "envelope_remaining": pl.Float64(),
    "spent_week": pl.Float64(), "spent": pl.Float64(), "earned_week": pl.Float64(), "earned": pl.Float64(),
    "remaining": pl.Float64(), "readiness": pl.Float64(),
})


def _r(x: float) -> float:
    return round(x + 0.0, 1) + 0.0  # one decimal; + 0.0 turns -0.0 into 0.0


def ideal_remaining(plan: Plan, week: int, weeks: int | None = None) -> float:
    """The ideal line: planned hours falling linearly to 0 over ``weeks`` (default: the plan's)."""
    return _r(plan.total_hours * max(0.0, 1 - week / (weeks or plan.weeks)))


def burndown(
    plan: Plan,
    findings: pl.DataFrame,
    rubric: Rubric,
    worklog: pl.DataFrame | None = None,
    *,
    as_of: date | None = None,
) -> pl.DataFrame:
    """One row per plan week (``BURNDOWN``), from the first week with a snapshot to the last, up to ``as_of``.

    ``findings`` is a history (every snapshot: ``assessment.history``); each week is measured on
    each cluster's newest snapshot at the week's end. ``spent``/``earned`` are cumulative;
    ``*_week`` the week's part. Hours are rounded to 0.1 and ``remaining = planned - earned``.
    """
    log = worklog if worklog is not None else pl.DataFrame(schema=wl.SCHEMA)
    if as_of is not None:
        findings = findings.filter(pl.col("collected_at") <= end_of(as_of))
    if findings.is_empty():
        return pl.DataFrame(schema=BURNDOWN)
    days = findings["collected_at"].dt.date()
    first_day, last_day = days.min(), days.max()
    assert isinstance(first_day, date) and isinstance(last_day, date)
    rows: list[dict[str, Any]] = []
    earned_before = spent_before = 0.0
    for week in range(max(0, plan.week_of(first_day)), max(0, plan.week_of(last_day)) + 1):
        day = min(plan.week_end(week), as_of) if as_of else plan.week_end(week)
        ev = evidence(findings, day, rubric.stale_after_days)
        snap = ev["collected_at"].max()
        states = check_states(ev, day)
        earned = _r(float(_progress(plan, states)["earned"].sum()))
        spent = _r(float(log.filter(pl.col("date") <= day)["hours"].sum()))
        overall = sc.scores(ev, rubric, on=day).filter(
            (pl.col("cluster") == schema.FLEET) & (pl.col("category") == schema.OVERALL))["score"]
        rows.append({
            "week": week, "start": plan.week_start(week), "end": plan.week_end(week),
            "snapshot": snap.date() if isinstance(snap, datetime) else None,
            "ideal_remaining": ideal_remaining(plan, week), "envelope_remaining": ideal_remaining(plan, week,
                                                                                                  plan.max_weeks),
            "spent_week": _r(spent - spent_before) if rows else spent, "spent": spent,
            "earned_week": _r(earned - earned_before) if rows else earned, "earned": earned,
            "remaining": _r(plan.total_hours - earned),
            "readiness": float(overall[0]) if overall.len() else None,
        })
        earned_before, spent_before = earned, spent
    return pl.DataFrame(rows, schema=BURNDOWN)


# ---------------------------------------------------------------------------- forecast


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


# ---------------------------------------------------------------------------- bundle, JSON, figure


@dataclass(frozen=True)
class Burndown:
    plan: Plan
    weeks: pl.DataFrame
    forecast: Forecast
    as_of: date | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``readiness burndown --format json``."""
        fc = self.forecast
        last = self.weeks.tail(1).to_dicts()
        return {
            "planned_hours": self.plan.total_hours,
            "start": self.plan.start.isoformat(),
            "as_of": _iso(self.as_of),
            "weeks": [{**{k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()},
                       "readiness": None if r["readiness"] is None else round(r["readiness"], 1)}
                      for r in self.weeks.iter_rows(named=True)],
            "spent": last[0]["spent"] if last else 0.0,
            "earned": last[0]["earned"] if last else 0.0,
            "remaining": last[0]["remaining"] if last else self.plan.total_hours,
            "forecast": fc.to_dict(),
            "forecast_reason": fc.reason,
            "readiness_target": fc.readiness_target,
            "readiness_crossing": {"date": _iso(fc.readiness_date), "reason": fc.readiness_reason},
        }


def compute(
    data: Path | str | None = None,
    *,
    as_of: date | None = None,
    rubric: Rubric | Path | str | None = None,
    plan: Plan | None = None,
    findings: pl.DataFrame | None = None,
    clusters: list[str] | None = None,
) -> Burndown:
    """The burndown of the fleet in ``data`` (or of ``clusters``): one evaluation of every snapshot
    (``assessment.history``), unless ``findings`` (such a history, e.g. shared with other notebook
    cells) is given."""
    from readiness.assess.assessment import history

    data_dir = paths.data_dir(data)
    rub = rubric if isinstance(rubric, Rubric) else rubric_mod.load(rubric, data=data_dir)
    the_plan = plan or load_plan(rubric=rub, data=data_dir)
    if findings is None:
        findings, _ = history(data_dir, rubric=rub, until=as_of, clusters=clusters)
    log = wl.read(wl.path_for(data_dir), the_plan.work_packages)
    weeks = burndown(the_plan, findings, rub, log, as_of=as_of)
    return Burndown(the_plan, weeks, forecast(weeks, target=rub.ready_above), as_of)


def burndown_json(
    data: Path | str | None = None, *, as_of: date | None = None, rubric: Rubric | Path | str | None = None
) -> dict[str, Any]:
    """Exactly what ``readiness burndown --format json`` prints."""
    return compute(data, as_of=as_of, rubric=rubric).to_dict()
