"""Consistency warnings: where the plan and the rubric's blockers disagree (hours, weeks, checks).

The blockers' resolutions are prose; the hours and weeks they name are read with ``HOURS_IN`` and
``WEEKS_IN``.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from readiness.assess.rubric import Rubric

if TYPE_CHECKING:  # the plan's loader calls consistency_warnings: no import cycle at run time
    from readiness.plan._load import Plan

HOURS_IN = re.compile(r"(\d+(?:\.\d+)?)\s*hours?")
WEEKS_IN = re.compile(r"[Ww]eeks?\s+(\d+)(?:\s*-\s*(\d+))?")


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
