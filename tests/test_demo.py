"""The demo fleet: five clusters, weekly snapshots, the kinds every category needs, deterministic."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from readiness.demo import write_demo
from readiness.store import schema

KINDS = {"Node", "Namespace", "Deployment", "PrometheusRule", "Schedule", "Backup", "Restore",
         "BackupStorageLocation", "ExternalSecret", "NetworkPolicy", "Certificate", "HelmRelease",
         "Alertmanager", "AlertmanagerConfig", "PrometheusServiceLevel", "ClusterSecretStore", "Kustomization",
         "Canary", "VulnerabilityReport", "PodChaos"}


def test_fleet_shape(demo_dir: Path) -> None:
    df = pl.scan_parquet(demo_dir / "objects/**/*.parquet", hive_partitioning=True).collect()
    assert sorted(df["cluster"].unique().to_list()) == ["air", "forge", "pi", "pro", "studio"]
    dates = sorted(df["date"].unique().to_list())
    assert len(dates) == 18 and str(dates[0]) == "2025-11-07" and str(dates[-1]) == "2026-03-06"
    assert set(df["kind"].unique().to_list()) >= KINDS
    assert (df["source"] == "demo").all()
    assert df.select("snapshot_id", "cluster", "api_version", "kind", "namespace", "name").is_duplicated().sum() == 0


def test_the_story_of_the_first_and_last_week(demo_dir: Path) -> None:
    df = pl.scan_parquet(demo_dir / "objects/**/*.parquet", hive_partitioning=True).collect()
    first = df.filter(pl.col("date") == pl.date(2025, 11, 7))
    last = df.filter(pl.col("date") == pl.date(2026, 3, 6))
    # The assessment's state: no Velero, no Alertmanager; Prometheus and Linkerd are there.
    assert first.filter(pl.col("api_version").str.starts_with("velero.io")).is_empty()
    assert first.filter(pl.col("kind") == "Alertmanager").is_empty()
    assert first.filter(pl.col("kind") == "Prometheus").height == 5
    # After Phase 1: every cluster backs up, with at least one failed backup somewhere in the history.
    assert last.filter(pl.col("kind") == "Schedule")["cluster"].n_unique() == 5
    phases = df.filter(pl.col("kind") == "Backup")["status"].str.json_path_match("$.phase").unique().to_list()
    assert {"Completed", "Failed", "PartiallyFailed"} <= set(phases)


def test_no_secrets_and_no_environment_values(demo_dir: Path) -> None:
    df = pl.scan_parquet(demo_dir / "objects/**/*.parquet", hive_partitioning=True).collect()
    assert df.filter((pl.col("kind") == "Secret") & (pl.col("api_version") == "v1")).is_empty()
    for spec in df.filter(pl.col("kind") == "Deployment")["spec"].to_list()[:200]:
        for c in json.loads(spec)["template"]["spec"]["containers"]:
            assert all(e.get("value") == schema.REDACTED for e in c.get("env", []))


def test_deterministic(tmp_path: Path, demo_dir: Path) -> None:
    write_demo(tmp_path / "again")
    # findings/ is derived: stored there by whichever test evaluated the session's demo first (docs/findings.md).
    ours = sorted(p.relative_to(demo_dir) for p in demo_dir.rglob("*")
                  if p.is_file() and p.relative_to(demo_dir).parts[0] != "findings")
    theirs = sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file())
    assert ours == theirs
    assert all((demo_dir / p).read_bytes() == (tmp_path / "again" / p).read_bytes() for p in ours)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_part_way_leaves_no_partial_parquet(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "demo"
    proc = subprocess.Popen([sys.executable, "-m", "readiness.cli", "demo", "--data", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list(out.glob("objects/**/*.parquet"))) < 10:
        time.sleep(0.01)
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    files = list(out.glob("**/*.parquet"))
    assert 10 <= len(files) < 270, "the run should have been stopped part-way"
    for f in files:
        pl.read_parquet(f)  # every file that has a .parquet name is whole
    if sig == signal.SIGTERM:
        assert not list(out.glob("**/.*.tmp")), "temporary files are removed on SIGTERM"
