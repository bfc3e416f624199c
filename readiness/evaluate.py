"""Running the rubric's checks over stored snapshots: snapshots in, findings out.

A cluster's evidence at a moment is its newest cluster snapshot (``live`` or ``demo``) merged
with its newest ``repo`` snapshot at or before that moment. Checks that do not apply to the
cluster's role are ``not_applicable``; a snapshot older than the rubric's ``stale_after_days``
(relative to the as-of date) or from an unreachable cluster makes every check ``unknown``;
active waivers turn a non-passing status into ``waived``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from readiness import attestations as att
from readiness import schema, store
from readiness.checks.base import Config, Evidence, Result, get, unknown
from readiness.rubric import Rubric


@dataclass(frozen=True)
class Point:
    """One evaluation: a cluster's snapshot (plus its repo snapshot) at a moment."""

    cluster: str
    snapshot_id: str
    collected_at: datetime
    status: str
    repo_snapshot_id: str | None


def _end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)


def points(snapshots: pl.DataFrame, *, as_of: date | None = None, history: bool = False) -> list[Point]:
    """The evaluations to run: every snapshot (``history``) or each cluster's newest at ``as_of``."""
    if as_of is not None:
        snapshots = snapshots.filter(pl.col("collected_at") <= _end_of(as_of))
    out = []
    for (cluster,), snaps in snapshots.sort("collected_at").group_by("cluster", maintain_order=True):
        repo = snaps.filter(pl.col("source") == "repo")
        primary = snaps.filter(pl.col("source") != "repo")
        if primary.is_empty():
            primary = repo
        rows = list(primary.iter_rows(named=True))
        for row in rows if history else rows[-1:]:
            repo_before = repo.filter(pl.col("collected_at") <= row["collected_at"])
            repo_id = repo_before["snapshot_id"][-1] if not repo_before.is_empty() else None
            out.append(Point(str(cluster), row["snapshot_id"], row["collected_at"], row["status"],
                             repo_id if repo_id != row["snapshot_id"] else None))
    return out


def _frames(data_dir: Path, pts: list[Point]) -> Iterator[tuple[Point, pl.DataFrame, pl.DataFrame]]:
    """(point, objects, coverage) for each point, reading each table once."""
    wanted = {p.snapshot_id for p in pts} | {p.repo_snapshot_id for p in pts if p.repo_snapshot_id}
    clusters = sorted({p.cluster for p in pts})
    ids = sorted(wanted)
    objects = store.scan(data_dir, "objects", clusters).filter(pl.col("snapshot_id").is_in(ids)).collect()
    coverage = store.scan(data_dir, "coverage", clusters).filter(pl.col("snapshot_id").is_in(ids)).collect()
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
    pts = points(store.snapshots(data_dir, clusters), as_of=as_of, history=history)
    attestations = att.load_attestations(data_dir)
    waivers = att.load_waivers(data_dir)
    roles = att.load_roles(data_dir)
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
                result = unknown(f"newest snapshot is {age} days old (stale after {rubric.stale_after_days})")
            else:
                result = get(check_id)(ev, Config(check_id, spec.thresholds))
            waived = result.status not in ("pass", "not_applicable") and any(
                w.covers(check_id, p.cluster, ev.day) for w in waivers
            )
            rows.append(_finding(p, check_id, rubric, result, waived))
    return pl.DataFrame(rows, schema=schema.FINDINGS)
