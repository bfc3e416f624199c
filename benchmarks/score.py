"""Scoring time per cluster-snapshot for 1, 10 and 100 clusters x 52 weekly snapshots.

    .venv/bin/python benchmarks/score.py [--sizes 1,10,100] [--weeks 52]

Builds synthetic fleets from the demo's clusters (cluster i looks like demo cluster i mod 5;
weeks after the demo's 18 keep its last state), writes them as Parquet, then times
``assessment.history`` (every check on every snapshot, then the scores). Scoring must grow no
faster than linearly: the time per cluster-snapshot should stay flat as the fleet grows, so the
last line prints the ratio of the largest fleet's per-snapshot time to the smallest's.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import polars as pl

from readiness import store
from readiness.assess.assessment import history
from readiness.demo import timeline
from readiness.demo.fleet import cluster_objects
from readiness.demo.repo import repository
from readiness.store import schema


def write_fleet(data: Path, clusters: int, weeks: int) -> None:
    templates = timeline.CLUSTERS
    for week in range(weeks):
        state = min(week, timeline.WEEKS - 1)
        at = timeline.collected_at(0) + timedelta(weeks=week)
        sid = f"demo-{at:%Y%m%dT%H%MZ}"
        repo = repository(state)
        rows = []
        for i in range(clusters):
            name = f"c{i:03d}"
            for o in cluster_objects(templates[i % len(templates)], state) + repo:
                rows.append({"snapshot_id": sid, "cluster": name, "collected_at": at, "source": "demo",
                             "api_version": o["api_version"], "kind": o["kind"], "namespace": o["namespace"],
                             "name": o["name"], "labels": json.dumps(o["labels"]),
                             "annotations": json.dumps(o["annotations"]), "spec": json.dumps(o["spec"]),
                             "status": json.dumps(o["status"])})
        objects = pl.DataFrame(rows, schema=schema.OBJECTS)
        snaps = pl.DataFrame([{"snapshot_id": sid, "cluster": f"c{i:03d}", "collected_at": at, "source": "demo",
                               "status": "ok", "error": None} for i in range(clusters)], schema=schema.SNAPSHOTS)
        store.write_snapshot(data, objects, snaps, schema.empty("coverage"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="fleet sizes (clusters), comma-separated")
    parser.add_argument("--weeks", type=int, default=52, help="weekly snapshots per cluster")
    args = parser.parse_args()
    per_snapshot = {}
    for clusters in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            started = time.perf_counter()
            write_fleet(data, clusters, args.weeks)
            written = time.perf_counter() - started
            started = time.perf_counter()
            findings, scores = history(data)
            took = time.perf_counter() - started
        n = clusters * args.weeks
        per_snapshot[clusters] = took / n
        print(f"{clusters:4d} clusters x {args.weeks} weeks = {n:5d} cluster-snapshots: scored in {took:7.2f} s "
              f"= {1000 * took / n:6.2f} ms per cluster-snapshot ({findings.height} findings, {scores.height} "
              f"scores; data written in {written:.1f} s)", flush=True)
    small, large = min(per_snapshot), max(per_snapshot)
    print(f"per-snapshot time, {large} vs {small} clusters: ratio {per_snapshot[large] / per_snapshot[small]:.2f} "
          "(<= ~1 means scoring grows no faster than linearly)")


if __name__ == "__main__":
    main()
