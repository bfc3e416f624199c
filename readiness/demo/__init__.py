"""The demo fleet: a deterministic simulator of the homelab's five clusters, Nov 2025 - Mar 2026.

``write_demo(DIR)`` writes weekly snapshots (``source = demo``) plus the demo's fleet, attestation
and waiver files, so every command and notebook can run without a cluster.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl

from readiness import store
from readiness.collect.sanitize import row_fields
from readiness.demo import timeline
from readiness.demo.fleet import Obj, cluster_objects
from readiness.demo.repo import repository
from readiness.store import schema

FILES = ("fleet.yaml", "attestations.yaml", "waivers.yaml", "worklog.csv")


def _stored(r: Obj) -> tuple[str | None, str, str, str, str, str]:
    """The row fields of a demo object as the collector would store it (through the same sanitizer)."""
    meta = {"name": r["name"], "namespace": r["namespace"], "labels": r["labels"], "annotations": r["annotations"]}
    obj = {"apiVersion": r["api_version"], "kind": r["kind"], "metadata": meta,
           "spec": copy.deepcopy(r["spec"]), "status": copy.deepcopy(r["status"])}
    return row_fields(obj)


def _frame(rows: list[Obj], cluster: str, week: int) -> pl.DataFrame:
    at = timeline.collected_at(week)
    sid = timeline.snapshot_id(week)
    records = []
    for r in rows:
        namespace, name, labels, annotations, spec, status = _stored(r)
        records.append({
            "snapshot_id": sid,
            "cluster": cluster,
            "collected_at": at,
            "source": "demo",
            "api_version": r["api_version"],
            "kind": r["kind"],
            "namespace": namespace,
            "name": name,
            "labels": labels,
            "annotations": annotations,
            "spec": spec,
            "status": status,
        })
    df = pl.DataFrame(records, schema=schema.OBJECTS)
    return df.sort("api_version", "kind", "namespace", "name", nulls_last=False)


def snapshot_frames(week: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(objects, snapshots, coverage) of the demo fleet's snapshot ``week``."""
    at = timeline.collected_at(week)
    sid = timeline.snapshot_id(week)
    repo_rows = repository(week)
    objects = pl.concat([_frame(cluster_objects(c, week) + repo_rows, c, week) for c in timeline.CLUSTERS])
    snaps = pl.DataFrame(
        [{"snapshot_id": sid, "cluster": c, "collected_at": at, "source": "demo", "status": "ok", "error": None}
         for c in timeline.CLUSTERS],
        schema=schema.SNAPSHOTS,
    )
    coverage = (
        objects.group_by("cluster", "api_version", "kind")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .with_columns(
            pl.lit(sid).alias("snapshot_id"),
            pl.lit(at).cast(schema.UTC_TIME).alias("collected_at"),
            pl.lit("ok").alias("outcome"),
            pl.lit(None, dtype=pl.String).alias("detail"),
        )
        .select(list(schema.COVERAGE))
        .sort("cluster", "api_version", "kind")
    )
    return objects, snaps, coverage


def write_demo(data_dir: Path | str, progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Write the whole demo fleet into ``data_dir``; return the Parquet files written."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    store.remove_stale_temporaries(data_dir)
    written: list[Path] = []
    for week in range(timeline.WEEKS):
        written += store.write_snapshot(data_dir, *snapshot_frames(week))
        if progress:
            progress(week + 1, timeline.WEEKS)
    here = Path(__file__).parent
    for name in FILES:
        with store.atomic_path(data_dir / name) as tmp:
            shutil.copyfile(here / name, tmp)
    return written
