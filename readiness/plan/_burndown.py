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

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from readiness.assess import rubric as rubric_mod
from readiness.assess import score as sc
from readiness.assess.evaluate import end_of, newest_as_of
from readiness.assess.rubric import Rubric
from readiness.plan import worklog as wl
from readiness.plan._forecast import Forecast, _iso, forecast
from readiness.plan._load import Plan, load_plan
from readiness.store import paths, schema

NEVER_STALE = 10**6  # days: for callers that want each cluster's newest snapshot however old


# ---------------------------------------------------------------------- findings as of a day


def findings_as_of(findings: pl.DataFrame, day: date, stale_after_days: int | None = None) -> pl.DataFrame:
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
    """Each check's fleet state in ``findings`` (one evaluation per cluster, e.g. ``findings_as_of()``).

    A check that applies to no cluster holds (nothing to prove); a check without findings is absent
    (callers treat it as ``NO_EVIDENCE``).
    """
    fc = sc.fleet_checks(findings, on)
    states = {cid: CheckState(1.0, True) for cid in findings["check_id"].unique().to_list()}
    for r in fc.iter_rows(named=True):
        states[r["check_id"]] = CheckState(float(r["score"]), bool(r["holds"]), tuple(r["failing_clusters"] or ()),
                                           int(r["clusters"]))
    return states


def progress(plan: Plan, findings: pl.DataFrame, on: date, stale_after_days: int | None = None) -> pl.DataFrame:
    """One row per work package on ``on``: proven share, earned hours, the checks that hold and the open ones.

    Columns: ``work_package``, ``hours`` (planned), ``share`` (proven share, 0-1: the mean fleet score of its
    checks), ``earned`` (hours times share), ``holding`` and ``open`` (check ids). ``findings`` is a history;
    each cluster's newest snapshot on or before ``on`` is used (unknown when older than ``stale_after_days``).
    """
    states = check_states(findings_as_of(findings, on, stale_after_days), on)
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
        current = findings_as_of(findings, day, rubric.stale_after_days)
        snap = current["collected_at"].max()
        states = check_states(current, day)
        earned = _r(float(_progress(plan, states)["earned"].sum()))
        spent = _r(float(log.filter(pl.col("date") <= day)["hours"].sum()))
        overall = sc.scores(current, rubric, on=day).filter(
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
    cells) is given. ``NoPlanError`` when the data directory has no plan (``find_plan``)."""
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
