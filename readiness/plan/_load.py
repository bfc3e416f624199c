"""The improvement plan (``plan.yaml``): its work packages, read and validated with file and line.

How the plan is measured against the evidence is ``_burndown``; when it ends, ``_forecast``; whether
it agrees with the rubric's blockers, ``_consistency``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from readiness.assess import rubric as rubric_mod
from readiness.assess.rubric import Rubric
from readiness.errors import ConfigError
from readiness.plan._consistency import consistency_warnings
from readiness.store import paths
from readiness.store.configfile import SourceFile, known_ids

PLAN_FILE = "plan.yaml"
# The profile the project's shipped plan.yaml, risks.yaml and worklog.csv were written for (the first
# user's homelab; the demo selects it too). Another fleet gets them only by copying them.
SHIPPED_PROFILE = "homelab-phase1"
HOW_TO_ADD = ("copy data/plan.yaml and data/risks.yaml of the readiness project into the data directory and "
              "name your own work packages, hours and risks (README, 'Plan, burndown, forecast and risks')")
TOP_KEYS = {"name", "start", "weeks", "max_weeks", "total_hours", "work_packages"}
WP_KEYS = {"title", "weeks", "hours", "checks", "resolves", "contributes_to", "addresses", "deliverables"}


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
    value: Any = doc.get(key)  # a YAML scalar; checked below
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or float(value) <= 0:
        kind = "a whole number" if integer else "a number"
        raise src.error((*at, key), f"'{key}' must be {kind} above 0, got {value!r}")
    return float(value)


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


class NoPlanError(ConfigError):
    """The data directory has no ``plan.yaml`` (or ``risks.yaml``) of its own and is not of the profile
    the shipped one was written for: there is no plan, and none is invented."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(str(path), f"no {what} in this data directory", hint=HOW_TO_ADD)


def source(name: str, data: Path | str | None = None) -> Path | None:
    """Where a data directory's ``name`` (``plan.yaml``, ``risks.yaml``, ``worklog.csv``) is read from.

    Its own copy first; else the project's shipped copy (``paths.shipped``) only when the directory's
    ``fleet.yaml`` selects ``SHIPPED_PROFILE``, the fleet that copy describes (the demo does); else
    None: another fleet has no plan until it writes one. ``ConfigError`` from a broken ``fleet.yaml``.
    """
    data_dir = paths.data_dir(data)
    own = Path(data_dir) / name
    if own.is_file():
        return own
    profile = rubric_mod.data_profile(data_dir)
    if profile is not None and profile.stem == SHIPPED_PROFILE:
        shipped = paths.shipped(name)
        return shipped if shipped.is_file() else None
    return None


def missing_note(what: str, data: Path | str | None = None) -> str:
    """One Markdown paragraph for a report section that has no ``what`` (``plan.yaml``, ``risks.yaml``)
    in the data directory: what is missing, what the section leaves out, how to add it."""
    data_dir = paths.data_dir(data)
    left_out = ("no burndown, forecast or work packages: hours are neither planned nor earned"
                if what == PLAN_FILE else "no risk register: no risk's likelihood is followed")
    return (f"**No {what}** in `{data_dir}`, so this section has {left_out}. The checks, scores and "
            f"blockers above do not depend on it. To add one, {HOW_TO_ADD}.")


def find_plan(*, rubric: Rubric | None = None, data: Path | str | None = None) -> Plan | None:
    """The data directory's plan (``load_plan``), or None when it has none (``source``)."""
    try:
        return load_plan(rubric=rubric, data=data)
    except NoPlanError:
        return None


def load_plan(path: Path | str | None = None, *, rubric: Rubric | None = None, data: Path | str | None = None) -> Plan:
    """Load and validate ``plan.yaml`` (default: the data directory's, see ``source``).

    Errors (``ConfigError`` with file and line): unknown keys, a window outside 1..max_weeks, hours
    that do not add up to ``total_hours``, a check or blocker id the rubric does not know;
    ``NoPlanError`` when the data directory has no plan (``find_plan`` gives None instead).
    Inconsistencies between the plan, the rubric and the assessment become ``Plan.warnings``.
    """
    rub = rubric if rubric is not None else rubric_mod.load(data=paths.data_dir(data))
    found = Path(path) if path is not None else source(PLAN_FILE, data)
    if found is None:
        raise NoPlanError(Path(paths.data_dir(data)) / PLAN_FILE, "plan")
    where = found
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


def work_packages(plan: Plan) -> pl.DataFrame:
    """One row per work package: id, title, weeks, dates, hours, blockers, checks.

    Columns: ``work_package``, ``title``, ``weeks`` (its plan weeks, ``3`` or ``3-4``), ``start`` and ``end``
    (the days of its first and last plan week), ``hours`` (planned), ``resolves`` (the blockers it resolves, or
    contributes to as "(part)", else what it addresses) and ``checks`` (the ids that prove it).
    """
    return pl.DataFrame(
        [{"work_package": wp.id, "title": wp.title, "weeks": wp.window, "start": plan.week_start(wp.first_week),
          "end": plan.week_end(wp.last_week), "hours": wp.hours,
          "resolves": ", ".join([*wp.resolves, *(f"{b} (part)" for b in wp.contributes_to)]) or wp.addresses,
          "checks": list(wp.checks)}
         for wp in plan.work_packages.values()],
        schema={"work_package": pl.String, "title": pl.String, "weeks": pl.String, "start": pl.Date,
                "end": pl.Date, "hours": pl.Float64, "resolves": pl.String, "checks": pl.List(pl.String)},
    )
