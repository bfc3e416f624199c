"""Burndown on hand-made findings: earned hours from evidence, spent hours from the log, the ideal lines."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from readiness.plan import (
    BURNDOWN,
    NO_EVIDENCE,
    CheckState,
    Forecast,
    burndown,
    check_states,
    progress,
)
from readiness.plan import worklog as wl
from readiness.report.figures import burndown as burndown_figure
from tests.plan.helpers import RUBRIC, finding, findings, friday, small_plan

V, D, A = "backup_velero_installed", "backup_schedule_daily", "obs_alertmanager_running"


def _week(w: int, statuses: dict[str, tuple[str, str]], **kw: object) -> list[dict]:
    """statuses: check -> (air status, pro status); 'waived' waives a failure."""
    rows = []
    for check, pair in statuses.items():
        for cluster, status in zip(("air", "pro"), pair, strict=True):
            waived = status == "waived"
            rows.append(finding(cluster, friday(w), check, "fail" if waived else status, waived=waived))
    return rows


HISTORY = findings(
    _week(0, {V: ("fail", "fail"), D: ("fail", "fail"), A: ("fail", "fail")})
    + _week(1, {V: ("pass", "fail"), D: ("fail", "fail"), A: ("fail", "fail")})
    + _week(2, {V: ("pass", "pass"), D: ("waived", "pass"), A: ("fail", "fail")})
    + _week(3, {V: ("pass", "pass"), D: ("waived", "pass"), A: ("pass", "unknown")})
    + _week(4, {V: ("pass", "pass"), D: ("waived", "pass"), A: ("pass", "pass")})
)
LOG = pl.DataFrame(
    {"date": [date(2025, 11, 5), date(2025, 11, 12), date(2025, 11, 30), date(2025, 12, 8)],
     "work_package": ["WPA", "WPA", "WPB", "WPB"], "hours": [2.0, 3.0, 4.0, 1.0], "note": [""] * 4},
    schema=wl.SCHEMA,
)


def test_earned_is_hours_times_the_proven_share() -> None:
    bd = burndown(small_plan(), HISTORY, RUBRIC, LOG)
    assert bd.schema == BURNDOWN
    assert bd["week"].to_list() == [0, 1, 2, 3, 4]
    # week 1: velero on 1 of 2 clusters (0.5), daily on none: WPA 10 h * (0.5 + 0) / 2
    # week 2: WPA proven (the waived daily schedule counts); week 3: alertmanager 1 of 2 (unknown is 0)
    assert bd["earned"].to_list() == [0.0, 2.5, 10.0, 25.0, 40.0]
    assert bd["earned_week"].to_list() == [0.0, 2.5, 7.5, 15.0, 15.0]
    assert bd["remaining"].to_list() == [40.0, 37.5, 30.0, 15.0, 0.0]
    assert bd["snapshot"].to_list() == [friday(w).date() for w in range(5)]


def test_spent_comes_from_the_log_cumulatively() -> None:
    bd = burndown(small_plan(), HISTORY, RUBRIC, LOG)
    # 2 h before the start count in week 0; the Sunday entry is in week 3; December 8 is after week 4
    assert bd["spent"].to_list() == [2.0, 5.0, 5.0, 9.0, 9.0]
    assert bd["spent_week"].to_list() == [2.0, 3.0, 0.0, 4.0, 0.0]


def test_ideal_line_and_envelope() -> None:
    bd = burndown(small_plan(), HISTORY, RUBRIC)
    assert bd["ideal_remaining"].to_list() == [40.0, 30.0, 20.0, 10.0, 0.0]  # 40 h over 4 weeks
    assert bd["envelope_remaining"].to_list() == [40.0, 35.0, 30.0, 25.0, 20.0]  # over max_weeks 8
    assert bd["spent"].to_list() == [0.0] * 5


def test_readiness_is_the_fleet_overall_score_of_the_week() -> None:
    bd = burndown(small_plan(), HISTORY, RUBRIC)
    assert bd["readiness"][0] == 0.0
    assert bd["readiness"][4] == pytest.approx(100.0)
    # week 1: backup = (2 * 0.5 + 1 * 0) / 3; observability 0; weights 1.0 and 1.5
    assert bd["readiness"][1] == pytest.approx(100 * (1.0 * (1 / 3)) / 2.5)


def test_as_of_cuts_snapshots_and_log() -> None:
    bd = burndown(small_plan(), HISTORY, RUBRIC, LOG, as_of=date(2025, 11, 29))  # Saturday of week 3
    assert bd["week"].to_list() == [0, 1, 2, 3]
    assert bd["earned"][-1] == 25.0
    assert bd["spent"][-1] == 5.0  # the 4 h of Sunday 30 November are after as_of
    mid = burndown(small_plan(), HISTORY, RUBRIC, as_of=date(2025, 11, 26))  # Wednesday of week 3
    assert mid["week"].to_list() == [0, 1, 2]


def test_a_week_without_a_snapshot_carries_the_newest_evidence_forward() -> None:
    gap = HISTORY.filter(~((pl.col("cluster") == "pro") & (pl.col("collected_at") == friday(2))))
    bd = burndown(small_plan(), gap, RUBRIC)
    # week 2: pro still shows week 1 (velero and daily failing), air passes both: each check 0.5
    assert bd["earned"][2] == 5.0
    assert bd["snapshot"][2] == friday(2).date()  # the newest snapshot used (air's)
    only_air = HISTORY.filter(pl.col("collected_at") != friday(2))
    assert burndown(small_plan(), only_air, RUBRIC)["snapshot"][2] == friday(1).date()


def test_weeks_start_at_the_first_snapshot() -> None:
    late = HISTORY.filter(pl.col("collected_at") >= friday(2))
    assert burndown(small_plan(), late, RUBRIC)["week"].to_list() == [2, 3, 4]
    assert burndown(small_plan(), HISTORY.clear(), RUBRIC).is_empty()


def test_check_states_not_applicable_holds_and_absent_has_no_evidence() -> None:
    f = findings([finding("air", friday(1), "deploy_canary", "not_applicable"),
                  finding("air", friday(1), V, "pass"), finding("pro", friday(1), V, "partial", 0.5)])
    states = check_states(f)
    assert states["deploy_canary"] == CheckState(1.0, True)
    assert states[V] == CheckState(0.75, False, ("pro",), 2)
    assert D not in states and not NO_EVIDENCE.evaluated


def test_progress_names_open_checks_and_absent_checks_earn_nothing() -> None:
    f = findings([finding("air", friday(1), V, "pass"), finding("pro", friday(1), V, "pass")])
    p = progress(small_plan(), f, friday(1).date())
    row = p.row(0, named=True)
    assert (row["share"], row["earned"], row["holding"], row["open"]) == (0.5, 5.0, [V], [D])
    assert p.row(1, named=True)["earned"] == 0.0  # no alertmanager finding at all: unproven


def test_burndown_figure_has_the_lines() -> None:
    bd = burndown(small_plan(), HISTORY, RUBRIC, LOG)
    fig = burndown_figure(bd, plan=small_plan())
    names = [t.name for t in fig.data]
    assert names[:2] == ["Ideal (4 weeks)", "Envelope (8 weeks)"]
    assert list(fig.data[2].y) == bd["remaining"].to_list()
    assert list(fig.data[3].y) == [38.0, 35.0, 35.0, 31.0, 31.0]  # planned minus spent
    assert len(fig.data[0].x) == 9  # the ideal lines run to the envelope's end (weeks 0..8)
    assert burndown_figure(bd.clear()).layout.title.text.startswith("Burndown: no snapshots")


def test_burndown_figure_shows_the_forecast_and_its_range() -> None:
    bd = burndown(small_plan(), HISTORY, RUBRIC, LOG)
    fc = Forecast(date(2026, 1, 9), date(2026, 1, 2), date(2026, 1, 30), 5.0, "r")
    names = [t.name for t in burndown_figure(bd, fc).data]
    assert names[-2:] == ["Forecast range 2026-01-02 .. 2026-01-30", "Forecast 2026-01-09"]
    point = Forecast(date(2026, 1, 9), date(2026, 1, 9), date(2026, 1, 9), 0.0, "r")
    assert [t.name for t in burndown_figure(bd, point).data][-1] == "Forecast 2026-01-09"
    assert not any(t.name.startswith("Forecast range") for t in burndown_figure(bd, point).data)
