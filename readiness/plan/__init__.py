"""Planning: the plan of work packages, the work log, burndown and forecast, the risk register.

Public modules: ``worklog`` (hours spent, one CSV row each), ``risks`` (the risk register and its
matrix), ``recommend`` (what to do next). The plan's own names (``load_plan``, ``compute``,
``burndown``, ``forecast``, ``Plan``...) are this package's:

    >>> from readiness import plan
    >>> plan.compute("data/demo")      # the burndown and forecast of the plan
"""

from __future__ import annotations

from readiness.plan._load import (
    BURNDOWN,
    HOURS_IN,
    NEVER_STALE,
    NO_EVIDENCE,
    PLAN_FILE,
    TOP_KEYS,
    WEEKS_IN,
    WP_KEYS,
    Burndown,
    CheckState,
    Day,
    Forecast,
    Plan,
    WorkPackage,
    burndown,
    burndown_json,
    check_states,
    compute,
    consistency_warnings,
    evidence,
    forecast,
    ideal_remaining,
    load_plan,
    progress,
    readiness_crossing,
    work_packages,
)

MODULES = ("recommend", "risks", "worklog")  # the public modules (not imported here)

__all__ = [
    "BURNDOWN",
    "HOURS_IN",
    "NEVER_STALE",
    "NO_EVIDENCE",
    "PLAN_FILE",
    "TOP_KEYS",
    "WEEKS_IN",
    "WP_KEYS",
    "Burndown",
    "CheckState",
    "Day",
    "Forecast",
    "Plan",
    "WorkPackage",
    "burndown",
    "burndown_json",
    "check_states",
    "compute",
    "consistency_warnings",
    "evidence",
    "forecast",
    "ideal_remaining",
    "load_plan",
    "progress",
    "readiness_crossing",
    "work_packages",
]
