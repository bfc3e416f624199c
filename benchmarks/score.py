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

    .venv/bin/python benchmarks/score.py --floor [--floor-clusters 1000] [--floor-weeks 2] [--runs 3]

``--floor`` compares scoring with what no scoring can go below: reading the snapshots'
objects and coverage Parquet files (the columns checks read) and json-parsing every object's
labels, annotations, spec and status, nothing else (``read_and_parse``). Paired runs (floor, then
ours) on the same data; the last line prints ours / floor from the best of each (target <= 3 at
1000 clusters), and beside it ours / the first floor (the objects' JSON columns only).

    .venv/bin/python benchmarks/score.py --assess [--runs 3]

``--assess`` (``assess_flat()``): ``assess()`` of the newest day with 52 and with 156 weeks of
history (5 clusters), cold and warm; the ratio 156 / 52 weeks must stay <= 1.2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import polars as pl

from readiness import store
from readiness.assess.assessment import history
from readiness.assess.checks.base import COVERAGE_COLUMNS, OBJECT_COLUMNS
from readiness.demo import timeline
from readiness.demo.fleet import cluster_objects
from readiness.demo.repo import repository
from readiness.store import schema
from readiness.store.findings import DIR as FINDINGS_DIR


def write_fleet(data: Path, clusters: int, weeks: int, first_week: int = 0, end_with_demo: bool = False) -> None:
    """``clusters`` x weekly snapshots ``first_week`` .. ``weeks - 1`` into ``data``; week 0 on the
    demo's first day, or (``end_with_demo``) the last week on the demo's last day (never in the future)."""
    templates = timeline.CLUSTERS
    shift = weeks - timeline.WEEKS if end_with_demo else 0
    for week in range(first_week, weeks):
        state = min(week, timeline.WEEKS - 1)
        at = timeline.collected_at(0) + timedelta(weeks=week - shift)
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


def read_and_parse(data: Path) -> int:
    """The floor: what any scoring must do before its first check. Read every objects Parquet file
    under ``data`` (one scan, the columns a check reads: ``OBJECT_COLUMNS``) and every coverage file
    (one scan, ``COVERAGE_COLUMNS``: checks ask what could be read), and ``json.loads`` every
    non-empty labels, annotations, spec and status value. Returns the number of objects read."""
    files = sorted((data / "objects").glob("cluster=*/date=*/*.parquet"))
    frame = pl.scan_parquet(files).select(*OBJECT_COLUMNS).collect()
    coverage = sorted((data / "coverage").glob("cluster=*/date=*/*.parquet"))
    pl.scan_parquet(coverage).select(*COVERAGE_COLUMNS).collect()
    loads = json.loads
    for column in frame.select("labels", "annotations", "spec", "status").iter_columns():
        for text in column.to_list():
            if text:
                loads(text)
    return frame.height


def parse_json_only(data: Path) -> None:
    """The floor as first defined (before coverage and the objects' other columns counted): the
    objects' JSON columns read and parsed, nothing else; printed beside the floor for comparison."""
    files = sorted((data / "objects").glob("cluster=*/date=*/*.parquet"))
    frame = pl.scan_parquet(files).select("labels", "annotations", "spec", "status").collect()
    loads = json.loads
    for column in frame.iter_columns():
        for text in column.to_list():
            if text:
                loads(text)


def floor(clusters: int, weeks: int, runs: int) -> float:
    """Best-of-``runs`` seconds of cold scoring (``assessment.history`` with no stored findings:
    each run removes DATA/findings/ first) and of the read-and-parse floor on a synthetic fleet of
    ``clusters`` x ``weeks``; prints each pair and returns ours / floor."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        write_fleet(data, clusters, weeks)
        print(f"{clusters} clusters x {weeks} weeks written in {time.perf_counter() - started:.1f} s", flush=True)
        floors, ours, cpu, json_only = [], [], [], []  # wall seconds; cpu: (floor, ours) CPU seconds of this process
        for run in range(1, runs + 1):
            started = time.perf_counter()
            parse_json_only(data)
            json_only.append(time.perf_counter() - started)
            started, cpu_started = time.perf_counter(), time.process_time()
            objects = read_and_parse(data)
            floors.append(time.perf_counter() - started)
            floor_cpu = time.process_time() - cpu_started
            shutil.rmtree(data / FINDINGS_DIR, ignore_errors=True)  # cold: evaluate every snapshot again
            started, cpu_started = time.perf_counter(), time.process_time()
            findings, _ = history(data)
            ours.append(time.perf_counter() - started)
            cpu.append((floor_cpu, time.process_time() - cpu_started))
            print(f"run {run}: floor {floors[-1]:6.2f} s ({objects} objects read and parsed), ours {ours[-1]:6.2f} s "
                  f"({findings.height} findings): ratio {ours[-1] / floors[-1]:.2f} (CPU time: floor "
                  f"{cpu[-1][0]:.2f} s, ours {cpu[-1][1]:.2f} s, ratio {cpu[-1][1] / cpu[-1][0]:.2f}; objects' JSON "
                  f"only {json_only[-1]:.2f} s, ratio {ours[-1] / json_only[-1]:.2f})"
                  + (" [run 1 also builds the snapshots index]" if run == 1 else ""), flush=True)
    n = clusters * weeks
    ratio = min(ours) / min(floors)
    print(f"best of {runs}: floor {1000 * min(floors) / n:.2f} ms, ours {1000 * min(ours) / n:.2f} ms per "
          f"cluster-snapshot; ours / read-and-parse floor at {clusters} clusters: {ratio:.2f} (target <= 3; "
          f"CPU time {min(c[1] for c in cpu) / min(c[0] for c in cpu):.2f}; over the objects' JSON only "
          f"{min(ours) / min(json_only):.2f}; load average {os.getloadavg()[0]:.1f})")
    return ratio


def assess_flat(clusters: int = 5, short: int = 52, long: int = 156, runs: int = 3) -> float:
    """``assess()`` of the newest day with ``short`` and with ``long`` weeks of history (two data
    directories of ``clusters`` clusters): best-of-``runs`` seconds of each, cold (DATA/findings/
    removed first: the newest day is evaluated) and warm (its findings stored), paired run by run.
    Returns long / short of the cold best (target <= 1.2: one day's assessment reads what that day
    needs, not the whole history)."""
    from readiness.assess.assessment import assess

    with tempfile.TemporaryDirectory() as tmp:
        dirs = {weeks: Path(tmp) / f"data-{weeks}" for weeks in (short, long)}
        for weeks, data in dirs.items():
            started = time.perf_counter()
            write_fleet(data, clusters, weeks, end_with_demo=True)
            print(f"assess: {clusters} clusters x {weeks} weeks written in {time.perf_counter() - started:.1f} s",
                  flush=True)
        best: dict[tuple[int, str], float] = {}
        for run in range(1, runs + 1):
            line = []
            for weeks, data in dirs.items():
                shutil.rmtree(data / FINDINGS_DIR, ignore_errors=True)
                for state in ("cold", "warm"):
                    started, cpu_started = time.perf_counter(), time.process_time()
                    result = assess(data)
                    took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
                    best[(weeks, state)] = min(best.get((weeks, state), took), took)
                    best[(weeks, state + " cpu")] = min(best.get((weeks, state + " cpu"), cpu), cpu)
                    line.append(f"{weeks} weeks {state} {took:5.2f} s (CPU {cpu:5.2f} s, {result.findings.height} "
                                f"findings)")
            print(f"assess run {run}: " + "; ".join(line), flush=True)
        for state in ("cold", "warm"):
            print(f"assess() of the newest day, best of {runs}, {state}: {short} weeks {best[(short, state)]:.2f} s, "
                  f"{long} weeks {best[(long, state)]:.2f} s: ratio {best[(long, state)] / best[(short, state)]:.2f} "
                  f"(CPU time ratio {best[(long, state + ' cpu')] / best[(short, state + ' cpu')]:.2f}; "
                  f"target <= 1.2; load average {os.getloadavg()[0]:.1f})")
        return best[(long, "cold")] / best[(short, "cold")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="fleet sizes (clusters), comma-separated")
    parser.add_argument("--weeks", type=int, default=52, help="weekly snapshots per cluster")
    parser.add_argument("--rescore", action="store_true",
                        help="measure only the monthly rescore: the largest size x --weeks cold, then one week added")
    parser.add_argument("--floor", action="store_true", help="compare cold scoring with the read-and-parse floor")
    parser.add_argument("--floor-clusters", type=int, default=1000, help="with --floor: clusters")
    parser.add_argument("--floor-weeks", type=int, default=2, help="with --floor: weekly snapshots per cluster")
    parser.add_argument("--runs", type=int, default=3, help="with --floor: paired runs (the best of each counts)")
    parser.add_argument("--assess", action="store_true",
                        help="assess() of the newest day with 52 and 156 weeks of history (5 clusters)")
    args = parser.parse_args()
    if args.assess:
        assess_flat(runs=args.runs)
        return
    if args.rescore:
        rescore(max(int(s) for s in args.sizes.split(",")), args.weeks)
        return
    if args.floor:
        floor(args.floor_clusters, args.floor_weeks, args.runs)
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
