"""Drift: what a repository declares against what the cluster runs (readiness.assess.drift)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from readiness import store
from readiness.assess.drift import DECLARED_NOT_RUNNING, RUNNING_NOT_DECLARED, SCHEMA, drift
from readiness.store import schema

AT = datetime(2026, 1, 10, 12, 30, tzinfo=UTC)


def _write(data: Path, cluster: str, source: str, objects: list[dict], at: datetime = AT) -> None:
    sid = f"{source}-{at:%Y%m%dT%H%MZ}"
    rows = [{"snapshot_id": sid, "cluster": cluster, "collected_at": at, "source": source,
             "api_version": o["api_version"], "kind": o["kind"], "namespace": o.get("namespace"), "name": o["name"],
             "labels": json.dumps(o.get("labels", {})), "annotations": json.dumps(o.get("annotations", {})),
             "spec": json.dumps(o.get("spec", {})), "status": json.dumps(o.get("status", {}))} for o in objects]
    snaps = pl.DataFrame([{"snapshot_id": sid, "cluster": cluster, "collected_at": at, "source": source,
                           "status": "ok", "error": None}], schema=schema.SNAPSHOTS)
    store.write_snapshot(data, pl.DataFrame(rows, schema=schema.OBJECTS), snaps, schema.empty("coverage"))


def hr(name: str, ns: str, chart: str, ready: bool | None = None, file: str | None = None) -> dict:
    return {"api_version": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "namespace": ns, "name": name,
            "annotations": {"readiness.dev/file": file} if file else {},
            "spec": {"chart": {"spec": {"chart": chart}}},
            "status": {} if ready is None else {"conditions": [{"type": "Ready", "status": str(ready)}]}}


def deploy(name: str, ns: str, ready: int | None = None, labels: dict | None = None) -> dict:
    return {"api_version": "apps/v1", "kind": "Deployment", "namespace": ns, "name": name, "labels": labels or {},
            "spec": {"replicas": 1}, "status": {} if ready is None else {"readyReplicas": ready}}


def test_declared_but_not_running_and_running_but_not_declared(tmp_path: Path) -> None:
    _write(tmp_path, "studio", "repo", [
        hr("loki", "loki", "loki", file="flux/infrastructure/loki/helmrelease.yaml"),
        hr("tempo", "tempo", "tempo"),
        hr("grafana", "monitoring", "grafana"),
        deploy("api", "apps"),
        deploy("worker", "apps"),
    ], at=AT - timedelta(hours=1))
    _write(tmp_path, "studio", "live", [
        hr("loki", "loki", "loki", ready=True),
        hr("tempo", "tempo", "tempo", ready=False),
        hr("redis", "cache", "redis", ready=True),
        deploy("api", "apps", ready=1),
        deploy("worker", "apps", ready=0),
        deploy("grafana", "monitoring", ready=1, labels={"helm.toolkit.fluxcd.io/name": "grafana"}),
        deploy("loki-gateway", "loki", ready=1, labels={"app.kubernetes.io/instance": "loki"}),
        deploy("debug", "default", ready=1),
        deploy("coredns", "kube-system", ready=2),
    ])
    d = drift(tmp_path)
    assert d.schema == SCHEMA
    got = {(r["state"], r["kind"], r["name"]): (r["declared_in"], r["observed"]) for r in d.iter_rows(named=True)}
    assert got == {
        (DECLARED_NOT_RUNNING, "HelmRelease", "grafana"): ("HelmRelease monitoring/grafana", "absent"),
        (DECLARED_NOT_RUNNING, "HelmRelease", "tempo"): ("HelmRelease tempo/tempo", "not Ready"),
        (DECLARED_NOT_RUNNING, "Deployment", "worker"): ("Deployment apps/worker", "0/1 ready"),
        (RUNNING_NOT_DECLARED, "HelmRelease", "redis"): (None, "HelmRelease/cache/redis"),
        (RUNNING_NOT_DECLARED, "Deployment", "debug"): (None, "1/1 ready"),
    }


def test_the_declaring_file_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "pi", "repo", [hr("loki", "loki", "loki", file="flux/loki/release.yaml")])
    _write(tmp_path, "pi", "live", [deploy("web", "apps", ready=1)])
    d = drift(tmp_path)
    row = d.filter(pl.col("name") == "loki").row(0, named=True)
    assert (row["state"], row["declared_in"]) == (DECLARED_NOT_RUNNING, "flux/loki/release.yaml")


def test_a_cluster_without_both_snapshots_has_no_drift(tmp_path: Path) -> None:
    _write(tmp_path, "air", "live", [deploy("debug", "default", ready=1)])
    _write(tmp_path, "pro", "repo", [hr("loki", "loki", "loki")])
    assert drift(tmp_path).is_empty()


def test_the_drift_command_prints_one_line_per_component(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from readiness.cli import main

    _write(tmp_path, "pi", "repo", [hr("loki", "loki", "loki", file="flux/loki/release.yaml")])
    _write(tmp_path, "pi", "live", [deploy("web", "apps", ready=1)])
    out = CliRunner().invoke(main, ["drift", "--data", str(tmp_path)])
    assert out.exit_code == 0, out.output
    lines = [line for line in out.output.splitlines() if line.startswith("pi ")]
    assert len(lines) == 2
    assert any("declared_not_running" in line and "flux/loki/release.yaml" in line for line in lines)
    assert any("running_not_declared" in line and "web" in line for line in lines)


def test_the_drift_command_says_what_it_compared_and_what_is_missing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from readiness.cli import main

    _write(tmp_path, "pi", "repo", [hr("loki", "loki", "loki", file="flux/loki/release.yaml")])
    _write(tmp_path, "air", "live", [deploy("web", "apps", ready=1)])
    nothing = CliRunner().invoke(main, ["drift", "--data", str(tmp_path)])
    assert nothing.exit_code == 1  # nothing compared is no "no drift"
    assert "nothing to compare: no cluster has both a live and a repo snapshot" in nothing.stderr
    assert "air has a live snapshot only: collect its repository with 'readiness collect --repo PATH --cluster air'" \
        in nothing.stderr
    assert "pi has a repo snapshot only: collect the cluster with 'readiness collect --context CONTEXT " \
           "--cluster-name CONTEXT=pi'" in nothing.stderr
    # pi gets its live side, running what the repository declares: no drift, said with both sides' times
    _write(tmp_path, "pi", "live", [hr("loki", "loki", "loki", ready=True)], at=AT + timedelta(hours=1))
    agree = CliRunner().invoke(main, ["drift", "--data", str(tmp_path)])
    assert agree.exit_code == 0, agree.output
    assert agree.stdout == ("no drift: what the repository declares runs, and nothing runs undeclared, in pi "
                            "(live 2026-01-10 13:30, repo 2026-01-10 12:30)\n")
    assert "not compared: air has a live snapshot only" in agree.stderr
    # drift, as a CI gate
    _write(tmp_path, "pi", "live", [], at=AT + timedelta(hours=2))
    gate = CliRunner().invoke(main, ["drift", "--data", str(tmp_path), "--cluster", "pi", "--fail-on-drift"])
    assert gate.exit_code == 3 and "declared_not_running" in gate.stdout and "1 component(s)" in gate.stderr
    assert CliRunner().invoke(main, ["drift", "--data", str(tmp_path), "--cluster", "pi"]).exit_code == 0
