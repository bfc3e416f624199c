"""Running the rubric's checks over stored snapshots: snapshots in, findings out.

A cluster's evidence at a moment is its newest usable cluster snapshot (``live`` or ``demo``)
merged with its newest ``repo`` snapshot at or before that moment. A collection that found the
cluster unreachable is not evidence: the last good snapshot stays the evidence until it goes
stale (only a cluster that was never reached is evaluated on its unreachable snapshot). Checks
that do not apply to the cluster's role are ``not_applicable``; a snapshot older than the
rubric's ``stale_after_days`` (relative to the as-of date) or from an unreachable cluster makes
every check ``unknown``; active waivers turn a non-passing status into ``waived``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from readiness import store
from readiness.assess import attestations as att
from readiness.assess.checks.base import Config, Evidence, Result, get, run, unknown
from readiness.assess.rubric import Rubric
from readiness.errors import DataNotFoundError, ReadinessError
from readiness.store import schema


@dataclass(frozen=True)
class Point:
    """One evaluation: a cluster's snapshot (plus its repo snapshot) at a moment."""

    cluster: str
    snapshot_id: str
    collected_at: datetime
    status: str
    repo_snapshot_id: str | None
    failed_since: datetime | None = None  # the first failed (unreachable) collection after this snapshot


def end_of(day: date) -> datetime:
    """The last second of ``day`` (UTC): snapshots taken that day count as of that day."""
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)


def newest_as_of(findings: pl.DataFrame, day: date, stale_after_days: int) -> pl.DataFrame:
    """From findings of several snapshots: each cluster's newest snapshot on or before ``day``.

    A snapshot more than ``stale_after_days`` older than ``day`` says nothing any more: its
    findings become ``unknown`` (score 0, not waived), never a pass.
    """
    upto = findings.filter(pl.col("collected_at") <= end_of(day))
    newest = upto.group_by("cluster").agg(pl.col("collected_at").max())
    picked = upto.join(newest, on=["cluster", "collected_at"], how="semi")
    age = (pl.lit(day) - pl.col("collected_at").dt.date()).dt.total_days()
    stale = (age > stale_after_days) & (pl.col("status") != "not_applicable")
    return picked.with_columns(
        pl.when(stale).then(pl.lit("unknown")).otherwise(pl.col("status")).alias("status"),
        pl.when(stale).then(0.0).otherwise(pl.col("score")).alias("score"),
        pl.when(stale).then(False).otherwise(pl.col("waived")).alias("waived"),
        pl.when(stale).then(pl.format("newest snapshot is {} days old (stale after {})", age,
                                      pl.lit(stale_after_days)))
        .otherwise(pl.col("reason")).alias("reason"),
    )


def on_days(findings: pl.DataFrame, days: list[date], stale_after_days: int) -> pl.DataFrame:
    """``newest_as_of`` for each of ``days``, with a ``date`` column: the fleet as it stood each day."""
    parts = [newest_as_of(findings, d, stale_after_days).with_columns(pl.lit(d).alias("date")) for d in days]
    return pl.concat(parts) if parts else findings.with_columns(pl.lit(None, dtype=pl.Date).alias("date"))


def points(snapshots: pl.DataFrame, *, as_of: date | None = None, history: bool = False) -> list[Point]:
    """The evaluations to run: every snapshot (``history``) or each cluster's newest at ``as_of``."""
    if as_of is not None:
        first = str(snapshots["collected_at"].dt.date().min())
        snapshots = snapshots.filter(pl.col("collected_at") <= end_of(as_of))
        if snapshots.is_empty():
            raise DataNotFoundError(f"no snapshot on or before {as_of}",
                                    hint=f"the first snapshot was taken on {first}")
    out = []
    for (cluster,), snaps in snapshots.sort("collected_at").group_by("cluster", maintain_order=True):
        repo = snaps.filter(pl.col("source") == "repo")
        primary = snaps.filter(pl.col("source") != "repo")
        if primary.is_empty():
            primary = repo
        all_rows = list(primary.iter_rows(named=True))
        # A failed collection is not evidence: keep the last good snapshot (it goes stale on its own).
        rows = [r for r in all_rows if r["status"] != "unreachable"] or all_rows[:1]
        for row in rows if history else rows[-1:]:
            repo_before = repo.filter(pl.col("collected_at") <= row["collected_at"])
            repo_id = repo_before["snapshot_id"][-1] if not repo_before.is_empty() else None
            failed = [r["collected_at"] for r in all_rows
                      if r["status"] == "unreachable" and r["collected_at"] > row["collected_at"]]
            out.append(Point(str(cluster), row["snapshot_id"], row["collected_at"], row["status"],
                             repo_id if repo_id != row["snapshot_id"] else None, failed[0] if failed else None))
    return out


def freshness(snapshots: pl.DataFrame, day: date, stale_after_days: int) -> pl.DataFrame:
    """One row per cluster: its usable evidence as of ``day``.

    Columns: cluster, evidence_at (the snapshot evaluated, UTC; an unreachable one only when the
    cluster was never reached), age_days (``day`` minus its day), reached (false: never reached),
    usable (reached and at most ``stale_after_days`` old), failed_since (first failed collection
    after it, or null).
    """
    upto = snapshots.filter(pl.col("collected_at") <= end_of(day))
    rows = []
    for p in points(upto, as_of=day) if not upto.is_empty() else []:
        age = (day - p.collected_at.date()).days
        rows.append({"cluster": p.cluster, "evidence_at": p.collected_at, "age_days": age,
                     "reached": p.status != "unreachable",
                     "usable": p.status != "unreachable" and age <= stale_after_days,
                     "failed_since": p.failed_since})
    return pl.DataFrame(rows, schema={"cluster": pl.String, "evidence_at": schema.UTC_TIME, "age_days": pl.Int64,
                                      "reached": pl.Boolean, "usable": pl.Boolean, "failed_since": schema.UTC_TIME})


def _frames(data_dir: Path, pts: list[Point]) -> Iterator[tuple[Point, pl.DataFrame, pl.DataFrame]]:
    """(point, objects, coverage) for each point, reading each table once."""
    wanted = {p.snapshot_id for p in pts} | {p.repo_snapshot_id for p in pts if p.repo_snapshot_id}
    clusters = sorted({p.cluster for p in pts})
    ids = sorted(wanted)
    objects = store.collect(store.scan(data_dir, "objects", clusters).filter(pl.col("snapshot_id").is_in(ids)),
                            data_dir, "objects", clusters)
    coverage = store.collect(store.scan(data_dir, "coverage", clusters).filter(pl.col("snapshot_id").is_in(ids)),
                             data_dir, "coverage", clusters)
    obj_parts = objects.partition_by("cluster", "snapshot_id", as_dict=True)
    cov_parts = coverage.partition_by("cluster", "snapshot_id", as_dict=True)
    empty_obj, empty_cov = schema.empty("objects"), schema.empty("coverage")
    for p in pts:
        keys = [(p.cluster, p.snapshot_id)] + ([(p.cluster, p.repo_snapshot_id)] if p.repo_snapshot_id else [])
        objs = pl.concat([obj_parts.get(k, empty_obj) for k in keys])
        cov = pl.concat([cov_parts.get(k, empty_cov) for k in keys])
        yield p, objs, cov


def _finding(p: Point, spec_id: str, rubric: Rubric, result: Result, waived: bool) -> dict:
    spec = rubric.checks[spec_id]
    return {
        "snapshot_id": p.snapshot_id,
        "cluster": p.cluster,
        "collected_at": p.collected_at,
        "check_id": spec_id,
        "category": spec.category,
        "weight": spec.weight,
        "severity": spec.severity,
        "blocker": ",".join(spec.blockers) or None,
        "work_package": spec.work_package,
        "status": "waived" if waived else result.status,
        "score": result.score,
        "waived": waived,
        "reason": result.reason,
        "evidence": list(result.evidence),
        "rubric_version": rubric.version,
    }


def _checked(waivers: list[att.Waiver], rubric: Rubric, clusters: set[str]) -> list[att.Waiver]:
    """Waivers must name a check of the rubric and a known cluster: a typo would silently waive nothing."""
    for w in waivers:
        if w.check not in rubric.checks:
            raise w.error(f"waiver names unknown check '{w.check}'", hint="'readiness checks' lists the check ids")
        if w.cluster != "*" and w.cluster not in clusters:
            raise w.error(f"waiver names unknown cluster '{w.cluster}'",
                          hint=f"clusters: {', '.join(sorted(clusters))}, or '*' for all")
    return waivers


def evaluate(
    data_dir: Path | str,
    rubric: Rubric,
    *,
    as_of: date | None = None,
    clusters: list[str] | None = None,
    history: bool = False,
) -> pl.DataFrame:
    """Findings (``schema.FINDINGS``) of every rubric check on each evaluated snapshot."""
    data_dir = Path(data_dir)
    today = datetime.now(UTC).date()
    if as_of is not None and as_of > today:
        raise ReadinessError(f"--as-of {as_of} is in the future (today is {today})",
                             hint="assess today or an earlier day")
    snapshots = store.snapshots(data_dir, clusters)
    pts = points(snapshots, as_of=as_of, history=history)
    facts = att.known_facts(spec.thresholds for spec in rubric.checks.values())
    attestations = att.load_attestations(data_dir, facts)
    roles = att.load_roles(data_dir)
    known_clusters = set(store.read(data_dir, "snapshots")["cluster"]) | set(roles)
    waivers = _checked(att.load_waivers(data_dir), rubric, known_clusters)
    rows = []
    for p, objs, cov in _frames(data_dir, pts):
        role = roles.get(p.cluster)
        ev = Evidence(p.cluster, p.collected_at, objs, role=role, coverage=cov, attestations=attestations)
        age = 0 if history else ((as_of or p.collected_at.date()) - p.collected_at.date()).days
        for check_id, spec in rubric.checks.items():
            if not spec.applies(role):
                result = Result("not_applicable", 0.0, f"does not apply to role '{role}'")
            elif p.status == "unreachable":
                result = unknown("cluster was unreachable at collection")
            elif age > rubric.stale_after_days:
                failed = f"; collections since {p.failed_since:%Y-%m-%d} failed" if p.failed_since else ""
                result = unknown(f"newest snapshot is {age} days old, from {p.collected_at:%Y-%m-%d} "
                                 f"(stale after {rubric.stale_after_days}){failed}")
            else:
                result = run(get(check_id), ev, Config(check_id, spec.thresholds))
            # A waiver accepts a known failure; it never turns missing evidence (unknown) into a pass.
            waived = result.status in ("fail", "partial") and any(
                w.covers(check_id, p.cluster, ev.day if history or as_of is None else as_of) for w in waivers
            )
            rows.append(_finding(p, check_id, rubric, result, waived))
    return pl.DataFrame(rows, schema=schema.FINDINGS)
