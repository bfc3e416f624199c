"""Helpers of the fault tests: small collected data directories, and the CLI run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from readiness import store
from readiness.store import schema

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "collect"))  # kubeapi.py, the Kubernetes API test server


def node(name: str, ready: bool = True) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def write_snapshot(data: Path, cluster: str, at: datetime, status: str = "ok", nodes: int = 2) -> str:
    """One live snapshot of ``cluster`` at ``at``: ``nodes`` Ready nodes (none when unreachable)."""
    sid = f"live-{at:%Y%m%dT%H%M%S}.{at.microsecond:06d}Z"
    objs = [] if status == "unreachable" else [node(f"{cluster}-{i}") for i in range(nodes)]
    common = {"snapshot_id": sid, "cluster": cluster, "collected_at": at}
    objects = pl.DataFrame([{**common, "source": "live", "api_version": o["apiVersion"], "kind": o["kind"],
                             "namespace": None, "name": o["metadata"]["name"], "labels": "{}", "annotations": "{}",
                             "spec": "{}", "status": json.dumps(o["status"])} for o in objs], schema=schema.OBJECTS)
    outcome = "error" if status == "unreachable" else "ok"
    coverage = pl.DataFrame([{**common, "api_version": "v1", "kind": "Node", "outcome": outcome, "count": len(objs),
                              "detail": "cluster unreachable" if outcome == "error" else None}],
                            schema=schema.COVERAGE)
    snaps = pl.DataFrame([{**common, "source": "live", "status": status,
                           "error": "API discovery failed" if status == "unreachable" else None}],
                         schema=schema.SNAPSHOTS)
    store.write_snapshot(data, objects, snaps, coverage)
    return sid


def day(d: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(d).replace(hour=hour, tzinfo=UTC)


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes: to assert that nothing changed."""
    return {str(f.relative_to(directory)): f.read_bytes() for f in sorted(directory.rglob("*")) if f.is_file()}


def leftovers(directory: Path) -> list[str]:
    """Temporaries and staging directories anywhere under ``directory``."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*")
                  if p.name.endswith(store.TMP_SUFFIX) or ".staging-" in p.name or ".old-" in p.name)


def cli(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m readiness ARGS`` in a fresh process, as a user runs it."""
    full_env = {**os.environ, "READINESS_NO_CHROMIUM": "1", **(env or {})}
    full_env.pop("READINESS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "readiness", *map(str, args)], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=timeout)


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Assert a failed run said one ``error:`` line (no traceback) containing every needle; return it."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


PLAN = Path(__file__).resolve().parents[2] / "data" / "plan.yaml"  # the project's plan: work packages WP1-WP..


def with_plan(data: Path) -> Path:
    """``data`` with a plan.yaml of its own (the project's): ``log`` and ``burndown`` borrow none."""
    data.mkdir(parents=True, exist_ok=True)
    (data / "plan.yaml").write_bytes(PLAN.read_bytes())
    return data


@pytest.fixture
def collected(tmp_path: Path) -> Path:
    """A data directory with two good snapshots of clusters alpha and beta, and a plan."""
    data = tmp_path / "data"
    for cluster in ("alpha", "beta"):
        write_snapshot(data, cluster, day("2026-03-01"))
        write_snapshot(data, cluster, day("2026-03-08"))
    return with_plan(data)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A tiny (256 KiB) tmpfs of our own, when this process may mount one (root); else the test is skipped."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root): the injected faults still run")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
