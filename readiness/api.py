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
    """One row per (snapshot, cluster): when, from where, and whether collection succeeded.

    Columns (``store.schema.SNAPSHOTS``): ``snapshot_id``, ``cluster``, ``collected_at`` (UTC), ``source``
    (live, repo or demo), ``status`` (ok, partial or unreachable) and ``error`` (why, else null); sorted by time,
    then cluster. ``data``: the data directory (default: ``paths.data_dir``). Raises ``DataNotFoundError``
    when it holds no snapshot, ``DataFileError``/``SchemaError`` naming a file that cannot be read.
    """
    return store.snapshots(paths.data_dir(data))


def objects(data: Path | str | None = None, clusters: list[str] | None = None) -> pl.DataFrame:
    """Every collected object of ``clusters`` (default: all), one row per (snapshot, object).

    Columns (``store.schema.OBJECTS``): ``snapshot_id``, ``cluster``, ``collected_at`` (UTC), ``source``,
    ``api_version``, ``kind``, ``namespace`` (null when cluster-scoped), ``name``, and ``labels``,
    ``annotations``, ``spec``, ``status`` as JSON text holding only what the sanitizer's allowlist keeps.
    Raises ``DataFileError``/``SchemaError`` naming a file that cannot be read.
    """
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
    stored snapshot with ``all_snapshots=True``).

    One row per (snapshot, cluster, check), ``store.schema.FINDINGS`` columns: the check's ``category``,
    ``weight``, ``severity``, ``blocker`` and ``work_package`` from the rubric (``rubric``, default: the data
    directory's), its ``status`` (pass, fail, partial, unknown, waived, not_applicable), ``score`` in [0, 1],
    ``waived``, the one-line ``reason`` and the ``evidence`` (the objects or files it read). A snapshot older
    than the rubric's ``stale_after_days`` on ``as_of`` is unknown on every check. Raises
    ``DataNotFoundError`` without snapshots (of ``clusters``), ``ConfigError`` for a bad rubric file.
    """
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
    """Scores per (date, cluster or 'fleet', category or 'overall'), as of ``as_of`` or over time.

    Columns (``store.schema.SCORES``): ``date``, ``cluster``, ``category``, ``score`` and
    ``score_without_waivers`` (percent, 0-100), ``coverage`` (the share, 0-1, of check weight whose status is
    known), the category's ``weight`` and ``rubric_version``; the formula is in ``readiness.assess.score``.
    With ``all_snapshots=True`` one row set per snapshot day, each the fleet as it stood that day. Raises as
    ``findings`` does.
    """
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
    """The plan's burndown week by week: ideal, spent (work log), earned (evidence), remaining.

    One row per plan week from the first with a snapshot (``plan.BURNDOWN``): ``week`` (0: the baseline),
    its ``start`` and ``end`` days, the ``snapshot`` day it was measured on, then hours:
    ``ideal_remaining`` and ``envelope_remaining`` (the plan's weeks and max weeks), ``spent`` (the work log)
    and ``earned`` (work packages' hours times their proven share) with their ``*_week`` parts, and
    ``remaining`` (planned minus earned); ``readiness`` is the fleet's overall score (percent) that week.
    The formulas are in ``readiness.plan``. Raises ``ConfigError`` naming the plan or work log file and line.
    """
    from readiness import plan

    return plan.compute(data, as_of=as_of, rubric=rubric).weeks


def risk_register(
    data: Path | str | None = None, *, as_of: date | None = None, rubric: Rubric | Path | str | None = None
) -> pl.DataFrame:
    """The risk register as of ``as_of``: likelihood from the evidence of the mitigating checks.

    One row per risk of ``risks.yaml`` (``plan.risks.REGISTER``): ``id``, ``title``, ``impact``, the
    ``likelihood`` now, ``inherent_likelihood`` and ``mitigated_likelihood``, ``status`` (mitigated, partly
    mitigated, unmitigated), ``share`` (0-1: mean fleet score of its checks), ``reason``, ``checks_holding``,
    ``checks_open``, ``work_packages`` and ``mitigation``; the rule is in ``readiness.plan.risks``. Raises
    ``ConfigError`` naming the risks file and line.
    """
    from readiness.plan import risks

    return risks.compute(data, as_of=as_of, rubric=rubric)
