"""Planning: the plan of work packages, the work log, burndown and forecast, the risk register.

Public modules: ``worklog`` (hours spent, one CSV row each), ``risks`` (the risk register and its
matrix), ``recommend`` (what to do next). The plan's own names (``load_plan``, ``compute``,
``burndown``, ``forecast``, ``Plan``...) are this package's, from private modules: ``_load`` (reading
and validating ``plan.yaml``), ``_consistency`` (warnings where plan and blockers disagree),
``_burndown`` (check states, progress, the weekly burndown, ``compute``), ``_forecast`` (finish and
readiness-crossing dates):

    >>> from readiness import plan
    >>> plan.compute("data/demo")      # the burndown and forecast of the plan
"""

from __future__ import annotations

from readiness.plan._burndown import (
    BURNDOWN,
    NEVER_STALE,
    NO_EVIDENCE,
    Burndown,
    CheckState,
    burndown,
    burndown_json,
    check_states,
    compute,
    findings_as_of,
    ideal_remaining,
    progress,
)
from readiness.plan._consistency import HOURS_IN, WEEKS_IN, consistency_warnings
from readiness.plan._forecast import Forecast, forecast, readiness_crossing
from readiness.plan._load import (
    PLAN_FILE,
    TOP_KEYS,
    WP_KEYS,
    NoPlanError,
    Plan,
    WorkPackage,
    find_plan,
    load_plan,
    missing_note,
    source,
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
    "Forecast",
    "NoPlanError",
    "Plan",
    "WorkPackage",
    "burndown",
    "burndown_json",
    "check_states",
    "compute",
    "consistency_warnings",
    "find_plan",
    "findings_as_of",
    "forecast",
    "ideal_remaining",
    "load_plan",
    "missing_note",
    "progress",
    "readiness_crossing",
    "source",
    "work_packages",
]
