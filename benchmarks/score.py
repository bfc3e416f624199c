"""Scoring time per cluster-snapshot for 1, 10 and 100 clusters x 52 weekly snapshots.

    .venv/bin/python benchmarks/score.py [--sizes 1,10,100] [--weeks 52]
    .venv/bin/python benchmarks/score.py --rescore [--sizes 100] [--weeks 52]

Builds synthetic fleets from the demo's clusters (cluster i looks like demo cluster i mod 5;
weeks after the demo's 18 keep its last state), writes them as Parquet, then times
``assessment.history`` (every check on every snapshot, then the scores). Scoring must grow no
faster than linearly: the time per cluster-snapshot should stay flat as the fleet grows, so the
last line prints the ratio of the largest fleet's per-snapshot time to the smallest's.

``--rescore`` (``rescore()``): the monthly rescore of stored findings: the largest fleet scored
cold, one week added, the whole history scored again; prints cold / rescore (target >= 20x).
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


def write_fleet(data: Path, clusters: int, weeks: int, first_week: int = 0) -> None:
    templates = timeline.CLUSTERS
    for week in range(first_week, weeks):
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


def rescore(clusters: int = 100, weeks: int = 52) -> float:
    """The monthly rescore (issue 13): score ``clusters`` x ``weeks`` cold (nothing stored in
    DATA/findings/), add one week, score the whole history again; print both times and return
    cold / rescore (target >= 20: the rescore evaluates only the new week and reads the rest)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        write_fleet(data, clusters, weeks)
        written = time.perf_counter() - started
        started = time.perf_counter()
        findings, _ = history(data)
        cold = time.perf_counter() - started
        write_fleet(data, clusters, weeks + 1, first_week=weeks)
        started = time.perf_counter()
        again, scores = history(data)
        warm = time.perf_counter() - started
    print(f"rescore: {clusters} clusters x {weeks} weeks scored cold in {cold:7.2f} s ({findings.height} findings; "
          f"data written in {written:.1f} s)", flush=True)
    print(f"rescore: one week added ({clusters} new cluster-snapshots), whole history rescored in {warm:7.2f} s "
          f"({again.height} findings, {scores.height} scores)")
    print(f"rescore: cold / rescore = {cold / warm:.1f}x (target >= 20x)")
    return cold / warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="fleet sizes (clusters), comma-separated")
    parser.add_argument("--weeks", type=int, default=52, help="weekly snapshots per cluster")
    parser.add_argument("--rescore", action="store_true",
                        help="measure only the monthly rescore: the largest size x --weeks cold, then one week added")
    args = parser.parse_args()
    if args.rescore:
        rescore(max(int(s) for s in args.sizes.split(",")), args.weeks)
        return
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
