"""Cold evaluation of a large fleet: in-process vs Dask with 2 workers, and memory per worker.

    .venv/bin/python benchmarks/fleet.py [--clusters 500] [--weeks 13] [--workers 2] [--sizes 50,200,500]

Writes a synthetic fleet of ``--clusters`` x ``--weeks`` weekly snapshots from the demo's shapes
(``benchmarks/score.py``'s ``write_fleet``: cluster i looks like demo cluster i mod 5), then:

1. **in-process**: ``evaluate(history=True)`` of every snapshot, cold (``DATA/findings/`` removed
   first), in this process: seconds and ms per cluster-snapshot;
2. **dask**: the same under ``evaluate.engine("dask")`` on a ``LocalCluster`` of ``--workers``
   single-threaded worker processes (started before the clock, its start time printed apart);
   the findings must equal the in-process ones; prints in-process / dask (wall), and the CPU
   seconds per cluster-snapshot of both (workers' and client's): on a shared machine the wall
   ratio says little, the CPU cost is what ``docs/scale.md`` multiplies. Each worker stores its
   own findings; the client only reads them back;
3. **S3 vs local read time of the report's inputs**: the data directory (every committed
   snapshot's objects, coverage and snapshots files, the stored findings, the input files) is
   uploaded in ``readiness``'s object-storage layout (docs/storage.md: files under unique
   names, one manifest per snapshot) to a moto S3 server on 127.0.0.1 that this script starts
   (``python -m moto.server``, another process); then reading every Parquet file of the inputs
   from the local directory is timed against a cold mirror of ``s3://`` (``paths.data_dir(url)``:
   listing, downloading) plus the same read, and against a warm mirror (nothing changed:
   listing only). ``--no-s3`` skips it;
4. **memory per worker**: for each of ``--sizes`` clusters (the first N of the fleet), a fresh
   LocalCluster evaluates their history cold; prints each worker's peak RSS (``VmHWM``) and
   the client's (the whole fleet's size is the run of 2, not run again). A worker holds only
   the batches it evaluates, so its peak should stay flat as the fleet grows; the last line
   prints largest / smallest size's worst worker peak.

Timings are wall-clock on a shared machine: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import polars as pl
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


def _inputs(data: Path) -> list[Path]:
    """Every Parquet file the report reads: the three tables and the stored findings."""
    return sorted(p for part in ("objects", "coverage", "snapshots", FINDINGS_DIR)
                  for p in (data / part).rglob("*.parquet"))


def _read_all(data: Path) -> tuple[int, float]:
    """(rows, seconds): every input Parquet file of ``data`` read into memory, one scan per table."""
    started, rows = time.perf_counter(), 0
    by_part: dict[str, list[Path]] = {}
    for f in _inputs(data):
        by_part.setdefault(f.relative_to(data).parts[0], []).append(f)
    for files in by_part.values():
        rows += pl.read_parquet(files, hive_partitioning=False).height
    return rows, time.perf_counter() - started


def _upload(data: Path, url: str) -> int:
    """``data`` in the object-storage layout of ``readiness.store._remote`` under ``url``: each
    snapshot's files under unique names, then its manifest; the findings and the input files
    as they are. Returns the objects written."""
    import s3fs

    from readiness.store import _remote

    fs = s3fs.S3FileSystem()
    root = url.removeprefix("s3://")
    snaps = pl.read_parquet(sorted((data / "snapshots").rglob("*.parquet")), hive_partitioning=False)
    snaps = snaps.select("cluster", "snapshot_id", "collected_at")
    at = {(r["cluster"], r["snapshot_id"]): r["collected_at"] for r in snaps.iter_rows(named=True)}
    blobs: dict[str, bytes] = {}
    manifests: dict[str, bytes] = {}
    for snap in sorted((data / "snapshots").glob("cluster=*/date=*/*.parquet")):
        cluster_part, date_part, sid = snap.parent.parent.name, snap.parent.name, snap.stem
        unique, files = uuid.uuid4().hex[:12], {}
        for table in ("objects", "coverage", "snapshots"):
            local = data / table / cluster_part / date_part / snap.name
            if local.is_file():
                key = f"{table}/{cluster_part}/{date_part}/{sid}.{unique}.parquet"
                blobs[f"{root}/{key}"] = local.read_bytes()
                files[table] = key
        cluster = cluster_part.removeprefix("cluster=")
        doc = {"format": _remote.FORMAT, "cluster": cluster, "snapshot_id": sid,
               "collected_at": at[(cluster, sid)].isoformat(), "files": files}
        manifests[f"{root}/{_remote.MANIFESTS}/{cluster_part}/{date_part}/{sid}.json"] = json.dumps(doc).encode()
    for f in (data / FINDINGS_DIR).rglob("*.parquet"):
        blobs[f"{root}/{f.relative_to(data).as_posix()}"] = f.read_bytes()
    for f in data.glob("*.y*ml"):
        blobs[f"{root}/{f.name}"] = f.read_bytes()
    for batch in (blobs, manifests):  # the files first, the manifests last, as a collector commits
        items = list(batch.items())
        for i in range(0, len(items), 2000):
            fs.pipe(dict(items[i:i + 2000]))
    return len(blobs) + len(manifests)


def _s3_vs_local(data: Path, tmp: Path) -> None:
    """Part 3 (module docstring)."""
    from readiness.store import _remote, paths

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                           "AWS_DEFAULT_REGION": "us-east-1", "READINESS_CACHE": str(tmp / "cache")})
        import s3fs

        s3fs.S3FileSystem().mkdir("fleet")
        url = "s3://fleet/data"
        started = time.perf_counter()
        written = _upload(data, url)
        size = sum(f.stat().st_size for f in _inputs(data)) / 1e6
        print(f"s3: {written} objects ({size:.0f} MB of Parquet) uploaded to moto in "
              f"{time.perf_counter() - started:.1f} s, not counted", flush=True)
        rows, local = _read_all(data)
        started = time.perf_counter()
        mirror = paths.data_dir(url)
        synced = time.perf_counter() - started
        rows_s3, read = _read_all(mirror)
        assert rows_s3 == rows, (rows_s3, rows)
        _remote._synced.clear()
        started = time.perf_counter()
        paths.data_dir(url)
        warm = time.perf_counter() - started
        print(f"s3 vs local, the report's inputs ({len(_inputs(data))} files, {rows} rows): local read "
              f"{local:.2f} s; s3 cold mirror {synced:.2f} s + read {read:.2f} s = "
              f"{(synced + read) / local:.1f}x local; s3 warm mirror (nothing new: listing only) {warm:.2f} s "
              f"({_load()})", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=500, help="clusters in the fleet")
    parser.add_argument("--weeks", type=int, default=13, help="weekly snapshots per cluster")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes (one thread each)")
    parser.add_argument("--sizes", default=None,
                        help="fleet sizes of the memory part (default: 10%%, 40%%, 100%% of --clusters)")
    parser.add_argument("--no-s3", dest="s3", action="store_false", help="skip the S3 vs local read time")
    args = parser.parse_args()
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes else
             sorted({max(1, args.clusters // 10), max(1, 2 * args.clusters // 5), args.clusters}))
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

        worst: dict[int, float] = {}
        started = time.perf_counter()
        with _local_cluster(args.workers) as cluster, Client(cluster, set_as_default=False) as client:
            start_up = time.perf_counter() - started
            before, cpu = client.run(_cpu_seconds), _cpu_seconds()
            with ev.engine("dask", cluster.scheduler_address):
                on_dask, took_dask = _cold(data, rub)
            cpu_client, after = _cpu_seconds() - cpu, client.run(_cpu_seconds)
            peaks = sorted(client.run(_peak_rss_mb).values())
        cpu_workers = sum(after[w] - before[w] for w in after if w in before)
        key = ["cluster", "collected_at", "check_id"]
        assert_frame_equal(on_dask.sort(key), local.sort(key))  # the same findings, or no timing counts
        print(f"dask, {args.workers} workers: {took_dask:7.2f} s = {1000 * took_dask / n:6.2f} ms per "
              f"cluster-snapshot (CPU {1000 * cpu_workers / n:.2f} ms on the workers + {1000 * cpu_client / n:.2f} ms "
              f"in the client; findings identical; cluster started in {start_up:.1f} s, not counted; {_load()})")
        print(f"in-process / dask = {took_local / took_dask:.2f}x wall with {args.workers} workers on "
              f"{os.cpu_count()} cores; CPU per cluster-snapshot dask / in-process = "
              f"{(cpu_workers + cpu_client) / cpu_local:.2f}", flush=True)
        worst[args.clusters] = max(peaks)
        print(f"memory: {args.clusters:4d} clusters x {args.weeks} weeks (the run above): peak RSS per worker "
              f"{', '.join(f'{mb:.0f}' for mb in peaks)} MB; client so far {_peak_rss_mb():.0f} MB", flush=True)

        if args.s3:
            _s3_vs_local(data, Path(tmp))

        names = sorted(local["cluster"].unique().to_list())
        for size in sizes:
            if size >= args.clusters:
                continue
            with _local_cluster(args.workers) as cluster, Client(cluster, set_as_default=False) as client:
                with ev.engine("dask", cluster.scheduler_address):
                    found, took = _cold(data, rub, names[:size])
                per_worker = sorted(client.run(_peak_rss_mb).values())
            worst[size] = max(per_worker)
            print(f"memory: {size:4d} clusters x {args.weeks} weeks ({found.height} findings) in {took:6.2f} s: "
                  f"peak RSS per worker {', '.join(f'{mb:.0f}' for mb in per_worker)} MB; client so far "
                  f"{_peak_rss_mb():.0f} MB", flush=True)
        small, large = min(worst), max(worst)
        print(f"worst worker peak RSS, {large} vs {small} clusters: {worst[large]:.0f} / {worst[small]:.0f} MB = "
              f"{worst[large] / worst[small]:.2f} (~1: flat as the fleet grows)")


if __name__ == "__main__":
    main()
