"""The analyst's entry points: polars DataFrames from a data directory (``import readiness``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from readiness import store
from readiness.assess.assessment import assess, history
from readiness.assess.rubric import Rubric
from readiness.store import paths


def snapshots(data: Path | str | None = None) -> pl.DataFrame:
    """One row per (snapshot, cluster): when, from where, and whether collection succeeded."""
    return store.snapshots(paths.data_dir(data))


def objects(data: Path | str | None = None, clusters: list[str] | None = None) -> pl.DataFrame:
    """Every collected object (JSON text in labels/annotations/spec/status)."""
    return store.objects(paths.data_dir(data), clusters)


def findings(
    data: Path | str | None = None,
    *,
    as_of: date | None = None,
    rubric: Rubric | Path | str | None = None,
    clusters: list[str] | None = None,
    all_snapshots: bool = False,
) -> pl.DataFrame:
    """Findings of every check on each cluster's newest snapshot as of ``as_of`` (or on every
    stored snapshot with ``all_snapshots=True``)."""
    if all_snapshots:
        return history(data, rubric=rubric, clusters=clusters, until=as_of)[0]
    return assess(data, as_of=as_of, rubric=rubric, clusters=clusters).findings


def scores(
    data: Path | str | None = None,
    *,
    as_of: date | None = None,
    rubric: Rubric | Path | str | None = None,
    clusters: list[str] | None = None,
    all_snapshots: bool = False,
) -> pl.DataFrame:
    """Scores per (date, cluster or 'fleet', category or 'overall'), as of ``as_of`` or over time."""
    if all_snapshots:
        return history(data, rubric=rubric, clusters=clusters, until=as_of)[1]
    return assess(data, as_of=as_of, rubric=rubric, clusters=clusters).scores


def as_of_day(data: Path | str | None = None, month: str | None = None, as_of: str | date | None = None) -> date:
    """The day a report looks at: ``as_of`` if given, else the newest snapshot in ``month``
    ('YYYY-MM'), else the newest snapshot of all."""
    if as_of:
        return as_of if isinstance(as_of, date) else date.fromisoformat(as_of)
    days: list[date] = sorted(set(snapshots(data)["collected_at"].dt.date().to_list()))
    if month:
        inside = [d for d in days if d.strftime("%Y-%m") == month]
        if not inside:
            from readiness.errors import DataNotFoundError

            months = sorted({d.strftime("%Y-%m") for d in days})
            raise DataNotFoundError(f"no snapshots in {month}", hint=f"months with snapshots: {', '.join(months)}")
        return inside[-1]
    return days[-1]


def burndown(
    data: Path | str | None = None, *, as_of: date | None = None, rubric: Rubric | Path | str | None = None
) -> pl.DataFrame:
    """The plan's burndown week by week: ideal, spent (work log), earned (evidence), remaining."""
    from readiness import plan

    return plan.compute(data, as_of=as_of, rubric=rubric).weeks


def risk_register(
    data: Path | str | None = None, *, as_of: date | None = None, rubric: Rubric | Path | str | None = None
) -> pl.DataFrame:
    """The risk register as of ``as_of``: likelihood from the evidence of the mitigating checks."""
    from readiness.plan import risks

    return risks.compute(data, as_of=as_of, rubric=rubric)
