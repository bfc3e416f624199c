"""The risk register: the assessment's risks, their likelihood following the evidence, and the matrix.

Each risk names the checks whose passing mitigates it. Its mitigation **share** on a day is the
mean, over those checks, of the check's fleet score (as for a work package's proven share: 1 when
it passes on every cluster, 0.4 when on 2 of 5). Then, on the scale Low=0, Medium=1, High=2::

    likelihood = round_half_up(inherent - (inherent - mitigated) * share)

so a risk drops to its ``mitigated_likelihood`` only when every check holds, and rounding half
up keeps it at the higher level until most of the mitigation is in place. Status: ``mitigated``
when every check holds on every cluster, ``unmitigated`` when none passes on any cluster, else
``partly mitigated``; the reason names the open checks and where they do not hold (fail, partial or
unknown).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import polars as pl

from readiness import plan as plan_mod
from readiness.assess import rubric as rubric_mod
from readiness.assess.rubric import Rubric
from readiness.errors import ConfigError
from readiness.plan import NO_EVIDENCE, CheckState, NoPlanError, Plan
from readiness.store import paths
from readiness.store.configfile import SourceFile, known_ids

RISKS_FILE = "risks.yaml"
IMPACTS = ("Low", "Medium", "High", "Critical")
LIKELIHOODS = ("Low", "Medium", "High")
MITIGATED, PARTLY, UNMITIGATED = "mitigated", "partly mitigated", "unmitigated"
RISK_KEYS = {"id", "title", "impact", "likelihood", "mitigated_likelihood", "mitigation", "work_packages", "checks"}

REGISTER = pl.Schema({
    "id": pl.String(), "title": pl.String(), "impact": pl.String(), "likelihood": pl.String(),
    "inherent_likelihood": pl.String(), "mitigated_likelihood": pl.String(), "status": pl.String(),
    "share": pl.Float64(), "reason": pl.String(), "checks_holding": pl.List(pl.String()),
    "checks_open": pl.List(pl.String()), "work_packages": pl.List(pl.String()), "mitigation": pl.String(),
})
MATRIX = pl.Schema({"impact": pl.String(), "likelihood": pl.String(), "rating": pl.Int64(), "count": pl.Int64(),
                    "risks": pl.List(pl.String())})


@dataclass(frozen=True)
class Risk:
    """One entry of ``risks.yaml``: ``impact`` (``IMPACTS``), inherent and mitigated likelihood
    (``LIKELIHOODS``), the checks whose passing mitigates it and the work packages that do that."""

    id: str
    title: str
    impact: str
    likelihood: str
    mitigated_likelihood: str
    checks: tuple[str, ...]
    work_packages: tuple[str, ...] = ()
    mitigation: str = ""


def _level(src: SourceFile, raw: dict[str, Any], key: str, at: tuple[str | int, ...], scale: tuple[str, ...]) -> str:
    value = raw.get(key)
    for level in scale:
        if isinstance(value, str) and value.strip().lower() == level.lower():
            return level
    raise src.error((*at, key), f"{key} must be one of {', '.join(scale)}, got {value!r}")


def load_risks(
    path: Path | str | None = None,
    *,
    rubric: Rubric | None = None,
    plan: Plan | None = None,
    data: Path | str | None = None,
) -> tuple[Risk, ...]:
    """Load and validate ``risks.yaml`` (default: the data directory's, see ``plan.source``).

    Errors (``ConfigError`` with file and line): an unknown key, impact or likelihood; a mitigated
    likelihood above the inherent one; a duplicate id; a check the rubric or a work package the
    plan does not know (any, when the data directory has no plan); a risk without checks.
    ``NoPlanError`` when the data directory has no risk register (``find_risks`` gives () instead).
    """
    rub = rubric if rubric is not None else rubric_mod.load(data=paths.data_dir(data))
    found = Path(path) if path is not None else plan_mod.source(RISKS_FILE, data)
    if found is None:
        raise NoPlanError(Path(paths.data_dir(data)) / RISKS_FILE, "risk register (risks.yaml)")
    the_plan = plan if plan is not None else plan_mod.find_plan(rubric=rub, data=data)
    known_wps = the_plan.work_packages if the_plan is not None else {}
    where = found
    src = SourceFile(where, "risk register")
    doc = src.doc
    if not isinstance(doc, dict) or not isinstance(doc.get("risks"), list):
        raise ConfigError(src.path, "expected a mapping with a 'risks:' list", line=1)
    out: list[Risk] = []
    for i, raw in enumerate(doc["risks"]):
        at: tuple[str | int, ...] = ("risks", i)
        if not isinstance(raw, dict):
            raise src.error(at, f"risk {i + 1} must be a mapping")
        for key in raw:
            if key not in RISK_KEYS:
                raise src.error((*at, key), f"risk {i + 1}: unknown key '{key}'",
                                hint=f"known keys: {', '.join(sorted(RISK_KEYS))}")
        rid, title = raw.get("id"), raw.get("title")
        if not isinstance(rid, str) or not rid.strip():
            raise src.error(at, f"risk {i + 1} has no 'id'")
        if any(r.id == rid for r in out):
            raise src.error((*at, "id"), f"risk id '{rid}' appears twice")
        if not isinstance(title, str) or not title.strip():
            raise src.error(at, f"risk {rid} has no 'title'")
        likelihood = _level(src, raw, "likelihood", at, LIKELIHOODS)
        mitigated = _level(src, raw, "mitigated_likelihood", at, LIKELIHOODS) \
            if "mitigated_likelihood" in raw else likelihood
        if LIKELIHOODS.index(mitigated) > LIKELIHOODS.index(likelihood):
            raise src.error((*at, "mitigated_likelihood"), f"risk {rid}: mitigated_likelihood {mitigated} is "
                            f"above its likelihood {likelihood}", hint="mitigation can only lower a likelihood")
        checks = known_ids(src, raw.get("checks"), (*at, "checks"), rub.checks, "check")
        if not checks:
            raise src.error(at, f"risk {rid} lists no checks", hint="name the checks whose passing mitigates it")
        out.append(Risk(
            id=rid, title=title, impact=_level(src, raw, "impact", at, IMPACTS), likelihood=likelihood,
            mitigated_likelihood=mitigated, checks=checks,
            work_packages=known_ids(src, raw.get("work_packages"), (*at, "work_packages"), known_wps,
                                    "work package"),
            mitigation=str(raw.get("mitigation") or ""),
        ))
    return tuple(out)


def find_risks(*, rubric: Rubric | None = None, plan: Plan | None = None,
               data: Path | str | None = None) -> tuple[Risk, ...]:
    """The data directory's risks (``load_risks``), or () when it has no ``risks.yaml``."""
    try:
        return load_risks(rubric=rubric, plan=plan, data=data)
    except NoPlanError:
        return ()


def current_likelihood(risk: Risk, share: float) -> str:
    """The likelihood between inherent (share 0) and mitigated (share 1), rounded half up."""
    hi, lo = LIKELIHOODS.index(risk.likelihood), LIKELIHOODS.index(risk.mitigated_likelihood)
    return LIKELIHOODS[math.floor(hi - (hi - lo) * share + 0.5 + 1e-9)]


def _where(cid: str, state: CheckState) -> str:
    if not state.evaluated:
        return f"{cid} (no evidence)"
    failing = state.failing_clusters  # failed, partial or unknown there: "does not hold", never "fails"
    if len(failing) > 1 and len(failing) == state.clusters:
        return f"{cid} (does not hold on all {len(failing)} clusters)"
    return f"{cid} (does not hold on {', '.join(failing)})" if failing else cid


def assess_risk(risk: Risk, states: dict[str, CheckState]) -> dict[str, Any]:
    """One register row for ``risk`` given each check's fleet state."""
    got = {c: states.get(c, NO_EVIDENCE) for c in risk.checks}
    share = sum(s.score for s in got.values()) / len(got)
    holding = [c for c, s in got.items() if s.holds]
    open_ = [c for c, s in got.items() if not s.holds]
    n = len(got)
    if not open_:
        status, reason = MITIGATED, f"all {n} mitigating checks hold: {', '.join(holding)}"
    elif share == 0:
        status, reason = UNMITIGATED, f"none of its {n} mitigating checks passes on any cluster: {', '.join(open_)}"
    else:
        status = PARTLY
        reason = (f"{len(holding)} of {n} mitigating checks hold on every cluster ({share:.0%} of the mitigating "
                  "evidence across the fleet); open: " + "; ".join(_where(c, got[c]) for c in open_))
    return {"id": risk.id, "title": risk.title, "impact": risk.impact, "likelihood": current_likelihood(risk, share),
            "inherent_likelihood": risk.likelihood, "mitigated_likelihood": risk.mitigated_likelihood,
            "status": status, "share": share, "reason": reason, "checks_holding": holding, "checks_open": open_,
            "work_packages": list(risk.work_packages), "mitigation": risk.mitigation}


def register(risks: tuple[Risk, ...] | list[Risk], findings: pl.DataFrame, on: date | None = None,
             stale_after_days: int | None = None) -> pl.DataFrame:
    """The register (``REGISTER``, one row per risk) on ``on`` (default: the newest findings).

    ``findings`` may be one assessment's or a whole history: each cluster's newest snapshot on or
    before ``on`` is used (unknown when older than ``stale_after_days``).
    """
    if on is None and findings.height:
        on = cast(date, findings["collected_at"].dt.date().max())  # a Date column's max
    states = plan_mod.check_states(plan_mod.findings_as_of(findings, on, stale_after_days), on) if on else {}
    return pl.DataFrame([assess_risk(r, states) for r in risks], schema=REGISTER)


def compute(
    data: Path | str | None = None,
    *,
    as_of: date | None = None,
    rubric: Rubric | Path | str | None = None,
    risks: tuple[Risk, ...] | None = None,
    findings: pl.DataFrame | None = None,
    clusters: list[str] | None = None,
) -> pl.DataFrame:
    """The register of the fleet in ``data`` as of ``as_of``: one assessment, unless ``findings``
    (an assessment's or a history, e.g. shared with other notebook cells) is given. Empty (no row)
    when the data directory has no ``risks.yaml`` (``find_risks``)."""
    from readiness.assess.assessment import assess

    data_dir = paths.data_dir(data)
    rub = rubric if isinstance(rubric, Rubric) else rubric_mod.load(rubric, data=data_dir)
    the_risks = risks if risks is not None else find_risks(rubric=rub, data=data_dir)
    if findings is not None:
        return register(the_risks, findings, as_of, rub.stale_after_days)
    a = assess(data_dir, as_of=as_of, rubric=rub, clusters=clusters)
    return register(the_risks, a.findings, a.as_of)


def to_json(register_frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The JSON shape of ``readiness risks --format json``."""
    return [{**r, "share": round(r["share"], 3)} for r in register_frame.iter_rows(named=True)]


def risks_json(
    data: Path | str | None = None, *, as_of: date | None = None, rubric: Rubric | Path | str | None = None
) -> list[dict[str, Any]]:
    """Exactly what ``readiness risks --format json`` prints."""
    return to_json(compute(data, as_of=as_of, rubric=rubric))


def matrix(register_frame: pl.DataFrame, column: str = "likelihood") -> pl.DataFrame:
    """Impact x likelihood (``MATRIX``): every cell, its rating (impact level x likelihood level,
    1..12) and the risks placed in it by ``column`` (``likelihood`` now, or ``inherent_likelihood``)."""
    rows = []
    for impact in reversed(IMPACTS):
        for likelihood in LIKELIHOODS:
            ids = register_frame.filter((pl.col("impact") == impact) & (pl.col(column) == likelihood))["id"]
            rows.append({"impact": impact, "likelihood": likelihood,
                         "rating": (IMPACTS.index(impact) + 1) * (LIKELIHOODS.index(likelihood) + 1),
                         "count": ids.len(), "risks": ids.to_list()})
    return pl.DataFrame(rows, schema=MATRIX)
