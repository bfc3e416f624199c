"""Collecting the demo fleet through the test API server gives the same objects as writing it directly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from collect_helpers import FAST, coverage
from kubeapi import KubeAPI, write_kubeconfig

from readiness import store
from readiness.collect import collect_clusters, load_catalogue, resolve
from readiness.demo import snapshot_frames
from readiness.store.repofacts import REPO_API
from readiness.store.schema import REDACTED

WEEK = 14  # late in the timeline: every kind the demo emits is there
COLUMNS = ["api_version", "kind", "namespace", "name", "labels", "annotations", "spec", "status"]
# Kinds whose payload sits at the top level of the object rather than in spec/status.
TOP_LEVEL_PAYLOAD = {("aquasecurity.github.io", "VulnerabilityReport")}


def as_served(row: dict[str, Any], n: int) -> dict[str, Any]:
    """The Kubernetes JSON of a demo row, plus what a real server adds and the collector must strip."""
    group = row["api_version"].rpartition("/")[0]
    labels, annotations = json.loads(row["labels"]), json.loads(row["annotations"])
    spec, status = json.loads(row["spec"]), json.loads(row["status"])
    meta: dict[str, Any] = {"name": row["name"], "uid": f"uid-{n}", "resourceVersion": str(1000 + n),
                            "creationTimestamp": "2025-11-01T00:00:00Z",
                            "managedFields": [{"manager": "flux", "operation": "Apply"}],
                            "annotations": {**annotations,
                                            "kubectl.kubernetes.io/last-applied-configuration": json.dumps(spec)}}
    if labels:
        meta["labels"] = labels
    if row["namespace"]:
        meta["namespace"] = row["namespace"]
    obj: dict[str, Any] = {"apiVersion": row["api_version"], "kind": row["kind"], "metadata": meta}
    if (group, row["kind"]) in TOP_LEVEL_PAYLOAD:
        obj.update(status)
        return obj
    obj["spec"] = _unredact(spec)
    if status:
        obj["status"] = status
    return obj


def _unredact(node: Any) -> Any:
    """Real values where the demo shows the marker: the collector has to put the marker back."""
    if isinstance(node, dict):
        return {k: (f"value-of-{node.get('name')}" if k == "value" and v == REDACTED else _unredact(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_unredact(v) for v in node]
    return node


@pytest.mark.parametrize("cluster", ["studio", "pro"])
def test_demo_fleet_roundtrips_through_the_api(kubeapi: KubeAPI, tmp_path: Path, cluster: str) -> None:
    demo, _, _ = snapshot_frames(WEEK)
    expected = demo.filter((pl.col("cluster") == cluster) & (pl.col("api_version") != REPO_API)).select(COLUMNS)
    plurals = {(r.group, r.kind): r.resource for r in load_catalogue()}
    served = [as_served(row, n) for n, row in enumerate(expected.iter_rows(named=True))]
    assert any("value-of-" in json.dumps(o) for o in served)  # the server really serves env values
    kubeapi.add(served, plurals=plurals)
    kc = write_kubeconfig(tmp_path / "kc", {cluster: kubeapi.url})

    [result] = collect_clusters(resolve(str(kc), (cluster,), False, False, ()), load_catalogue(), tmp_path / "data",
                                FAST)

    assert result.status == "ok"
    got = store.objects(tmp_path / "data").select(COLUMNS)
    order = ["api_version", "kind", "namespace", "name"]
    assert got.height == expected.height
    assert got.sort(order, nulls_last=False).to_dicts() == expected.sort(order, nulls_last=False).to_dicts()
    # coverage counts every kind the demo has, as ok
    cov = coverage(tmp_path / "data")
    counts = expected.group_by("api_version", "kind").len()
    for av, kind, n in counts.iter_rows():
        assert cov[(av, kind)] == ("ok", n, None)
