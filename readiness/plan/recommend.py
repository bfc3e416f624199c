"""What to do next: the open checks ranked by readiness points gained per planned hour.

Two numbers per check that does not hold on every cluster, both from data already computed:

``points`` is what the fleet's overall score gains when the check holds everywhere. The overall is
linear in a check's fleet score ``s`` (column ``score`` of ``readiness.assess.score.fleet_checks``),
so, for check ``i`` of category ``c``::

    points(i) = 100 * W_c / sum(W) * w_i * (1 - s_i) / sum(w_j for j in c)

with ``W`` the rubric's category weights (over categories with applicable checks) and ``w`` the
check weights (over the category's applicable checks). The points of every open check add up to
``100 - overall``.

``hours`` is what the plan has left for the check. The burndown (``readiness.plan``) lets a work
package earn ``hours * mean(s)`` over its checks, so each check carries ``hours / len(checks)`` of
every work package that lists it, of which ``(1 - s_i)`` is left. The hours of every check in the
plan add up to the burndown's ``remaining``. A check in no work package has no hours: it is listed,
unranked, after the ranked ones.

Actions are ranked by ``points / hours`` (then by points). Each names the blockers it belongs to and
whether it *clears* one (it is the blocker's last open check). ``categories`` is the gap analysis:
per category the distance to its target, the points of the overall at stake
(``W_c / sum(W) * (target - score)``; they add up to ``target - overall``), the open blockers whose
checks are in the category and the plan's hours left for its checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from readiness.assess.assessment import Assessment
from readiness.plan import NO_EVIDENCE, Plan, check_states, find_plan


@dataclass(frozen=True)
class Action:
    """One open check: what it gains, what it costs in planned hours, and what it clears."""

    check_id: str
    title: str
    category: str
    points: float
    hours: float | None
    work_packages: tuple[str, ...]
    blockers: tuple[str, ...]
    clears: tuple[str, ...]
    remediation: str
    failing_clusters: tuple[str, ...]
    # no cluster fails it: it is unknown where it does not hold (evidence missing: a live collection,
    # an attestation), so there is nothing to fix until it is decided
    undecided: bool = False

    @property
    def points_per_hour(self) -> float | None:
        """Overall-score points (percent) gained per planned hour, the ranking key; None without hours."""
        return self.points / self.hours if self.hours else None

    def to_dict(self, rank: int | None) -> dict[str, Any]:
        """The action as one entry of ``readiness recommend --format json`` (``rank``: its place among the
        ranked actions, None when unranked); points rounded to 0.01, hours to 0.1."""
        pph = self.points_per_hour
        return {"rank": rank, "check_id": self.check_id, "title": self.title, "category": self.category,
                "points": round(self.points, 2), "hours": None if self.hours is None else round(self.hours, 1),
                "points_per_hour": None if pph is None else round(pph, 2),
                "work_packages": list(self.work_packages), "blockers": list(self.blockers),
                "clears": list(self.clears), "remediation": self.remediation,
                "failing_clusters": list(self.failing_clusters), "undecided": self.undecided}


@dataclass(frozen=True)
class Recommendations:
    """The ranked actions and the gap analysis per category, as of one day."""

    as_of: date
    overall: float
    target: float
    actions: tuple[Action, ...]
    categories: tuple[dict[str, Any], ...]
    packages: tuple[dict[str, Any], ...] = ()
    planned: bool = True  # the data directory has a plan (plan.yaml): hours exist to rank by

    @property
    def ranked(self) -> list[Action]:
        """The actions with planned hours, in rank order (points per hour, then points)."""
        return [a for a in self.actions if a.hours]

    @property
    def unplanned(self) -> list[Action]:
        """The open checks in no work package (no hours left in the plan), unranked."""
        return [a for a in self.actions if not a.hours]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``readiness recommend --format json``."""
        ranked = self.ranked
        return {"as_of": self.as_of.isoformat(), "overall": round(self.overall, 1), "target": round(self.target, 1),
                "actions": [a.to_dict(i) for i, a in enumerate(ranked, start=1)]
                + [a.to_dict(None) for a in self.unplanned],
                "categories": list(self.categories), "work_packages": list(self.packages)}


def _check_hours(plan: Plan | None) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Per check: the planned hours it carries (its share of each work package) and those packages
    (none without a plan)."""
    out: dict[str, tuple[float, tuple[str, ...]]] = {}
    for wp in plan.work_packages.values() if plan is not None else ():
        for cid in wp.checks:
            hours, wps = out.get(cid, (0.0, ()))
            out[cid] = (hours + wp.hours / len(wp.checks), (*wps, wp.id))
    return out


def recommend(a: Assessment, plan: Plan | None = None) -> Recommendations:
    """Rank the checks that do not hold as of ``a.as_of`` (see the module docstring for the formulas).

    ``plan`` defaults to the data directory's (``find_plan``); without one, no check has hours and
    every action is ranked by points alone."""
    the_plan = plan if plan is not None else find_plan(rubric=a.rubric, data=a.data_dir)
    fc = a.fleet_checks
    cat_weight = fc.group_by("category").agg(pl.col("weight").sum().alias("total"))
    totals = dict(zip(cat_weight["category"].to_list(), cat_weight["total"].to_list(), strict=True))
    big_w = {c: a.rubric.categories[c].weight for c in totals}
    sum_w = sum(big_w.values())
    states = check_states(a.findings, a.as_of)
    carries = _check_hours(the_plan)
    open_by_blocker = {str(b): set(rows["open_checks"].explode().drop_nulls().to_list())
                       for (b,), rows in a.blockers.group_by("blocker", maintain_order=True)}
    judged = a.findings.filter(~pl.col("waived").fill_null(False)
                               & pl.col("status").is_in(["fail", "partial"]))["check_id"].unique().to_list()
    decided = set(judged)
    actions = []
    for r in fc.filter(~pl.col("holds")).iter_rows(named=True):
        cid, cat = r["check_id"], r["category"]
        spec = a.rubric.checks[cid]
        points = 100 * big_w[cat] / sum_w * r["weight"] * (1 - r["score"]) / totals[cat]
        carried, wps = carries.get(cid, (0.0, ()))
        left = carried * (1 - states.get(cid, NO_EVIDENCE).score) if wps else None
        clears = tuple(b for b in spec.blockers if open_by_blocker.get(b) == {cid})
        actions.append(Action(cid, spec.title, cat, points, left, wps, spec.blockers, clears, spec.remediation,
                              tuple(r["failing_clusters"] or ()), undecided=cid not in decided))
    actions.sort(key=lambda x: (x.points_per_hour is None, -(x.points_per_hour or 0), -x.points, x.check_id))
    return Recommendations(a.as_of, a.overall, a.target_overall, tuple(actions), _gaps(a, actions, big_w, sum_w),
                           _packages(the_plan, actions, open_by_blocker), the_plan is not None)


def _packages(plan: Plan | None, actions: list[Action],
              open_by_blocker: dict[str, set[str]]) -> tuple[dict[str, Any], ...]:
    """Per work package with open checks, ranked like the actions: points if all its checks held,
    its hours left, and the blockers it clears (every open check of the blocker is one of its checks)."""
    rows: list[dict[str, Any]] = []
    if plan is None:
        return ()
    for wp in plan.work_packages.values():
        mine = [x for x in actions if wp.id in x.work_packages]
        if not mine:
            continue
        share = wp.hours / len(wp.checks)
        hours = sum(share * (x.hours or 0) / _carried(plan, x.check_id) for x in mine)
        points = sum(x.points for x in mine)
        clears = sorted(b for b, left in open_by_blocker.items() if left and left <= set(wp.checks))
        rows.append({"id": wp.id, "title": wp.title, "weeks": wp.window, "points": round(points, 2),
                     "hours": round(hours, 1), "points_per_hour": round(points / hours, 2) if hours else None,
                     "open_checks": [x.check_id for x in mine], "clears": clears})
    rows.sort(key=lambda r: (r["points_per_hour"] is None, -float(r["points_per_hour"] or 0), str(r["id"])))
    return tuple(rows)


def _carried(plan: Plan, cid: str) -> float:
    return _check_hours(plan)[cid][0]


def _gaps(a: Assessment, actions: list[Action], big_w: dict[str, float], sum_w: float) -> tuple[dict[str, Any], ...]:
    """Per category (rubric order): score, target, gap, points of the overall at stake, blockers, hours."""
    fc = a.fleet_checks
    rows = []
    for cid, cat in a.rubric.categories.items():
        if cid not in big_w:
            continue
        score = a.score(category=cid)
        checks = fc.filter(pl.col("category") == cid)
        mine = [x for x in actions if x.category == cid]
        gap = max(0.0, float(cat.target) - score) if cat.target is not None else 0.0
        blockers = sorted({b for x in mine for b in x.blockers if b in a.open_blockers})
        hours = [x.hours for x in mine if x.hours]
        rows.append({"id": cid, "name": cat.name, "score": round(score, 1), "target": cat.target,
                     "gap": round(gap, 1), "at_stake": round(big_w[cid] / sum_w * gap, 1),
                     "checks": checks.height, "holding": int(checks["holds"].sum()),
                     "open_checks": [x.check_id for x in sorted(mine, key=lambda x: -x.points)],
                     "open_blockers": blockers, "hours_left": round(sum(hours), 1),
                     "work_packages": sorted({w for x in mine for w in x.work_packages})})
    return tuple(rows)


def recommend_json(data: Path | str | None = None, *, as_of: date | None = None,
                   rubric: str | Path | None = None) -> dict[str, Any]:
    """Exactly what ``readiness recommend --format json`` prints."""
    from readiness.assess.assessment import assess

    return recommend(assess(data, as_of=as_of, rubric=rubric)).to_dict()
