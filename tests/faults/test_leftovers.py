"""Nothing left behind: temporaries of a killed run, report staging directories, notebook workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from readiness import report, store

from .conftest import cli, day, leftovers, write_snapshot


def test_the_next_writer_of_a_cluster_removes_a_killed_runs_temporaries(collected: Path) -> None:
    part = collected / "objects" / "cluster=alpha" / "date=2026-03-08"
    stale = part / ".live-x.parquet.abc123.tmp"
    stale.write_bytes(b"half a file")
    (collected / "coverage" / "cluster=alpha" / ".y.parquet.zz.tmp").write_bytes(b"")
    store.lock_path(collected, "alpha").write_bytes(b"")  # a killed writer's lock file stays behind
    write_snapshot(collected, "alpha", day("2026-03-09"))
    assert leftovers(collected) == []


def test_log_and_collect_remove_temporaries_of_clusters_nobody_writes(collected: Path) -> None:
    stale = collected / "objects" / "cluster=beta" / "date=2026-03-08" / ".live-y.parquet.k9.tmp"
    stale.write_bytes(b"half")
    busy = collected / "objects" / "cluster=alpha" / "date=2026-03-08" / ".live-z.parquet.k9.tmp"
    busy.write_bytes(b"being written")
    with store.cluster_lock(collected, "alpha"):  # a writer of alpha is running in another process
        busy.write_bytes(b"being written")
        result = cli("log", "WP1", "1", "--data", collected, "--date", "2025-11-20")
        assert result.returncode == 0, result.stderr
        assert not stale.exists() and busy.exists()
    assert not store.lock_path(collected, "alpha").exists()


def test_a_killed_demo_leaves_nothing_the_next_run_keeps(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    proc = subprocess.Popen([sys.executable, "-m", "readiness", "demo", "--data", str(data)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list((data / "objects").glob("cluster=*/date=*/*.parquet"))[4:]:
        time.sleep(0.05)
    proc.kill()  # SIGKILL: no handler runs
    proc.wait()
    result = cli("demo", "--data", data)
    assert result.returncode == 0, result.stderr
    assert leftovers(data) == []
    assert len(store.snapshots(data)) == 5 * 18


def test_staging_directories_are_never_listed_and_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    dead = out / ".2026-03.staging-999999-abcd"  # a staging directory of a process that is gone
    alive = out / f".2026-04.staging-{os.getppid()}-efgh"  # one of a process still running
    for d in (dead, alive):
        d.mkdir(parents=True)
        (d / "report.json").write_text('{"score": {"overall": 50, "verdict": "NOT READY", "blockers": [], '
                                       '"as_of": "2026-03-01"}}')
    (out / ".x.tmp").write_text("")
    index = report.write_index(out).read_text()
    assert "staging" not in index and "2026-03" not in index
    removed = report.remove_leftovers(out)
    assert dead in removed and not dead.exists() and alive.exists() and not (out / ".x.tmp").exists()


WORKERS = textwrap.dedent("""
    import os, subprocess, sys, time
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing
    from readiness.report import _build as report

    def work(path):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])  # like a kernel
        with open(path, "a") as f:
            f.write(f"{os.getpid()} {child.pid}\\n")
        time.sleep(600)

    if __name__ == "__main__":
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=report._worker_start, initargs=(os.getpid(),))
        for _ in range(2):
            pool.submit(work, sys.argv[1])
        time.sleep(600)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")  # a zombie is gone


def test_notebook_workers_and_their_kernels_end_when_the_parent_is_killed(tmp_path: Path) -> None:
    script, pids = tmp_path / "parent.py", tmp_path / "pids"
    script.write_text(WORKERS)
    parent = subprocess.Popen([sys.executable, str(script), str(pids)], cwd=tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not pids.exists() or len(pids.read_text().split()) < 4):
        time.sleep(0.1)
    started = [int(p) for p in pids.read_text().split()]
    assert len(started) == 4 and all(_alive(p) for p in started)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in started):
        time.sleep(0.1)
    assert not [p for p in started if _alive(p)]
