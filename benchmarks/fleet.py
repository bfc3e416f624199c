"""Cold evaluation of a large fleet: in-process vs Dask with 2 workers, and memory per worker.

    .venv/bin/python benchmarks/fleet.py [--clusters 500] [--weeks 13] [--workers 2] [--sizes 100,250,500]

Writes a synthetic fleet of ``--clusters`` x ``--weeks`` weekly snapshots from the demo's shapes
(``benchmarks/score.py``'s ``write_fleet``: cluster i looks like demo cluster i mod 5), then:

1. **in-process**: ``evaluate(history=True)`` of every snapshot, cold (``DATA/findings/`` removed
   first), in this process: seconds and ms per cluster-snapshot;
2. **dask**: the same under ``evaluate.engine("dask")`` on a ``LocalCluster`` of ``--workers``
   single-threaded worker processes (started before the clock, its start time printed apart);
   the findings must equal the in-process ones; prints in-process / dask (wall), and the CPU
   seconds per cluster-snapshot of both (workers' and client's): on a shared machine the wall
   ratio says little, the CPU cost is what ``docs/scale.md`` multiplies;
3. **memory per worker**: for each of ``--sizes`` clusters (the first N of the fleet), a fresh
   LocalCluster evaluates their history cold; prints each worker's peak RSS (``VmHWM``) and
   the client's. A worker holds only the batches it evaluates, so its peak should stay flat
   as the fleet grows; the last line prints largest / smallest size's worst worker peak.

The S3-vs-local read time of issue 14 is not measured here: this branch has no ``s3://`` data
directory yet. Timings are wall-clock on a shared machine: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from polars.testing import assert_frame_equal
from score import write_fleet

from readiness.assess import evaluate as ev
from readiness.assess import rubric as rubric_mod
from readiness.store.findings import DIR as FINDINGS_DIR


def _peak_rss_mb() -> float:
    """This process's peak resident set size, MB: ``VmHWM`` of /proc/self/status (``ru_maxrss``
    would not do: a spawned worker inherits its parent's across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process (run on each worker by ``Client.run``)."""
    t = os.times()
    return t.user + t.system


def _load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def _cold(data: Path, rub: rubric_mod.Rubric, clusters: list[str] | None = None):  # type: ignore[no-untyped-def]
    shutil.rmtree(data / FINDINGS_DIR, ignore_errors=True)
    started = time.perf_counter()
    findings = ev.evaluate(data, rub, history=True, clusters=clusters)
    return findings, time.perf_counter() - started


def _local_cluster(workers: int):  # type: ignore[no-untyped-def]
    import logging

    from distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                        silence_logs=logging.CRITICAL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=500, help="clusters in the fleet")
    parser.add_argument("--weeks", type=int, default=13, help="weekly snapshots per cluster")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes (one thread each)")
    parser.add_argument("--sizes", default=None,
                        help="fleet sizes of the memory part (default: 20%%, 50%%, 100%% of --clusters)")
    args = parser.parse_args()
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes else
             sorted({max(1, args.clusters // 5), max(1, args.clusters // 2), args.clusters}))
    n = args.clusters * args.weeks
    from distributed import Client

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        write_fleet(data, args.clusters, args.weeks)
        print(f"{args.clusters} clusters x {args.weeks} weeks = {n} cluster-snapshots written in "
              f"{time.perf_counter() - started:.1f} s; {os.cpu_count()} cores, {_load()}", flush=True)
        rub = rubric_mod.load(data=data)

        cpu = _cpu_seconds()
        local, took_local = _cold(data, rub)
        cpu_local = _cpu_seconds() - cpu
        print(f"in-process: {took_local:7.2f} s = {1000 * took_local / n:6.2f} ms per cluster-snapshot "
              f"(CPU {1000 * cpu_local / n:.2f} ms; {local.height} findings; {_load()})", flush=True)

        started = time.perf_counter()
        with _local_cluster(args.workers) as cluster, Client(cluster, set_as_default=False) as client:
            start_up = time.perf_counter() - started
            before, cpu = client.run(_cpu_seconds), _cpu_seconds()
            with ev.engine("dask", cluster.scheduler_address):
                on_dask, took_dask = _cold(data, rub)
            cpu_client, after = _cpu_seconds() - cpu, client.run(_cpu_seconds)
        cpu_workers = sum(after[w] - before[w] for w in after if w in before)
        key = ["cluster", "collected_at", "check_id"]
        assert_frame_equal(on_dask.sort(key), local.sort(key))  # the same findings, or no timing counts
        print(f"dask, {args.workers} workers: {took_dask:7.2f} s = {1000 * took_dask / n:6.2f} ms per "
              f"cluster-snapshot (CPU {1000 * cpu_workers / n:.2f} ms on the workers + {1000 * cpu_client / n:.2f} ms "
              f"in the client; findings identical; cluster started in {start_up:.1f} s, not counted; {_load()})")
        print(f"in-process / dask = {took_local / took_dask:.2f}x wall with {args.workers} workers on "
              f"{os.cpu_count()} cores; CPU per cluster-snapshot dask / in-process = "
              f"{(cpu_workers + cpu_client) / cpu_local:.2f}", flush=True)

        names = sorted(local["cluster"].unique().to_list())
        worst = {}
        for size in sizes:
            with _local_cluster(args.workers) as cluster, Client(cluster, set_as_default=False) as client:
                with ev.engine("dask", cluster.scheduler_address):
                    found, took = _cold(data, rub, names[:size])
                peaks = client.run(_peak_rss_mb)
            per_worker = sorted(peaks.values())
            worst[size] = max(per_worker)
            print(f"memory: {size:4d} clusters x {args.weeks} weeks ({found.height} findings) in {took:6.2f} s: "
                  f"peak RSS per worker {', '.join(f'{mb:.0f}' for mb in per_worker)} MB; client so far "
                  f"{_peak_rss_mb():.0f} MB", flush=True)
        small, large = min(worst), max(worst)
        print(f"worst worker peak RSS, {large} vs {small} clusters: {worst[large]:.0f} / {worst[small]:.0f} MB = "
              f"{worst[large] / worst[small]:.2f} (~1: flat as the fleet grows)")


if __name__ == "__main__":
    main()
