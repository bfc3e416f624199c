"""No credential planted in a served cluster or a Git repository reaches any file `collect` and `report` write.

A marker sits in every class of place the issue lists (markers.py); after live collection through the
test API server, repository collection and a report, no file under the data or the report directory
holds one: every string column of every Parquet file is decoded, every other file is read as bytes.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml
from collect_helpers import FAST, parsed
from kubeapi import KubeAPI, write_kubeconfig
from markers import BASE, Places, cluster_objects, repo_files

from readiness import store
from readiness.collect import collect_clusters, collect_repo, load_catalogue, resolve
from readiness.collect.policy import URL_REDACTED
from readiness.store.schema import REDACTED

EXTRA_KINDS = """
resources:
  - {group: example.com, version: v1, kind: Widget, resource: widgets}
  - {group: bitnami.com, version: v1alpha1, kind: SealedSecret, resource: sealedsecrets}
  - {group: monitoring.coreos.com, version: v1, kind: Probe, resource: probes}
"""


def leaks(root: Path) -> dict[str, set[str]]:
    """Markers found per file under ``root``: Parquet string columns decoded, other files as bytes."""
    found: dict[str, set[str]] = {}
    pattern = re.compile(rf"{BASE}\d+")
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        if f.suffix == ".parquet":
            table = pq.read_table(f)
            text = json.dumps(table.to_pylist(), default=str) + str(table.schema.metadata)
        else:
            text = f.read_bytes().decode("utf-8", errors="replace")
        hits = set(pattern.findall(text))
        if hits:
            found[str(f.relative_to(root))] = hits
    return found


Collected = tuple[Path, Path, Places, list[str], Path]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Collected:
    tmp = tmp_path_factory.mktemp("markers")
    m = Places()
    served = cluster_objects(m)
    files = repo_files(m)
    extra = tmp / "catalogue.yaml"
    extra.write_text(EXTRA_KINDS, encoding="utf-8")
    catalogue = load_catalogue([extra])
    plurals = {(r.group, r.kind): r.resource for r in catalogue}
    api = KubeAPI()
    api.start()
    try:
        api.add(copy.deepcopy(served), plurals=plurals)
        kc = write_kubeconfig(tmp / "kc", {"homelab": api.url})
        data = tmp / "data"
        [result] = collect_clusters(resolve(str(kc), ("homelab",), False, False, ()), catalogue, data, FAST)
        requests = list(api.paths())
    finally:
        api.stop()
    assert result.status == "ok", result.error
    repo = tmp / "repo"
    (repo / "apps").mkdir(parents=True)
    (repo / "apps" / "cluster.yaml").write_text(yaml.safe_dump_all(copy.deepcopy(served)), encoding="utf-8")
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    repo_result = collect_repo(repo, "homelab", data, catalogue=catalogue)
    assert not repo_result.skipped
    out = tmp / "reports"
    from readiness.report import build

    build(data=data, out=out, renderer="pandoc")
    return data, out, m, requests, repo


def test_markers_cover_every_class_of_place(collected: Collected) -> None:
    _, _, m, _, repo = collected
    assert len(set(m.issued)) >= 120
    planted = set().union(*leaks(repo).values())  # the detector finds what the repository holds
    assert planted == set(m.issued)


def test_no_marker_in_any_file_of_the_data_or_report_directory(
        collected: Collected) -> None:
    data, out, _, _, _ = collected
    assert any(out.rglob("*.md")) and any(data.rglob("objects/*/*/*.parquet"))
    assert leaks(data) == {}
    assert leaks(out) == {}


def test_no_secret_was_requested(collected: Collected) -> None:
    _, _, _, requests, _ = collected
    assert requests and not [p for p in requests if p.rstrip("/").endswith("/secrets") or "/secrets/" in p]


def test_what_checks_read_and_references_are_kept(collected: Collected) -> None:
    data, _, _, _, _ = collected
    df = store.objects(data)
    live = df.filter(pl.col("source") == "live")
    deploy = parsed(live, "Deployment", "api")
    assert deploy["spec"]["replicas"] == 2 and deploy["status"]["readyReplicas"] == 1
    template = deploy["spec"]["template"]
    assert template["metadata"]["annotations"]["linkerd.io/inject"] == "enabled"
    container = template["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/x/api:2" and container["securityContext"] == {"runAsNonRoot": True}
    assert container["env"][1] == {"name": "FROM_SECRET",
                                   "valueFrom": {"secretKeyRef": {"name": "api-db", "key": "password"}}}
    assert container["env"][0] == {"name": "PLAIN", "value": REDACTED}
    assert container["args"] == [REDACTED] * 6  # the key and the type stay
    git = parsed(live, "GitRepository", "apps")
    assert git["spec"]["url"] == f"https://{URL_REDACTED}@git.example.com/org/apps.git"
    assert git["status"]["conditions"][0]["type"] == "Ready"
    rule = parsed(live, "PrometheusRule", "api")["spec"]["groups"][0]["rules"][0]
    assert (rule["alert"], rule["expr"]) == ("ApiDown", "up == 0")
    assert rule["annotations"]["runbook_url"] == f"https://{URL_REDACTED}@wiki.example.com/runbooks/api-down.md?{URL_REDACTED}"
    receivers = parsed(live, "AlertmanagerConfig", "global")["spec"]["receivers"]
    assert receivers[0]["name"] == "pager" and receivers[0]["pagerdutyConfigs"][0]["routingKey"] == REDACTED
    release = parsed(live, "HelmRelease", "grafana")["spec"]
    assert release["valuesFrom"] == [{"kind": "Secret", "name": "grafana-values", "valuesKey": "values.yaml"}]
    assert parsed(live, "Pod", "api-0")["annotations"] == {"team/notes": REDACTED, "example.com/webhook": REDACTED}
    repo = df.filter(pl.col("source") == "repo")
    workflow = parsed(repo, "Workflow", ".github/workflows/deploy.yaml")["spec"]
    assert workflow["jobs"][0]["environment"] == "production" and "deploy" in workflow["jobs"][0]["does"]
    kustomization = parsed(repo, "Kustomization", "apps/kustomization.yaml")["status"]
    assert kustomization["resources"] == ["cluster.yaml", f"https://{URL_REDACTED}@github.com/org/base//k8s?{URL_REDACTED}"]
    assert kustomization["patches"][0]["target"] == {"kind": "ConfigMap"}
    doc = parsed(repo, "Document", "docs/runbooks/api-down.md")["spec"]
    assert doc["title"] == f"Api down (password={REDACTED})" and doc["answers_alerts"] == ["ApiDown"]
