"""What a repository declares that no cluster of its deployed view applies (``Unapplied`` facts).
Fixtures are our own, in the shape of a homelab whose PrometheusRules sit beside the tree no cluster reaches."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import polars as pl
import pytest

from readiness import store
from readiness.collect import collect_deployed
from readiness.store.repofacts import REPO_API

FLUX = "kustomize.toolkit.fluxcd.io/v1"
RULE = """
    apiVersion: monitoring.coreos.com/v1
    kind: PrometheusRule
    metadata: {{name: {name}, namespace: monitoring}}
    spec:
      groups:
        - name: g
          rules:
            - alert: {name}Down
              expr: up == 0
            - alert: {name}Slow
              expr: latency > 1
            - record: job:up:sum
              expr: sum(up)
    """
REPO = {
    # the cluster root: Flux applies every manifest below it, and what its Kustomization names
    "clusters/home/apps.yaml": f"""
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: apps, namespace: flux-system}}
        spec: {{path: ./apps, sourceRef: {{kind: GitRepository, name: flux-system}}}}
        """,
    "apps/kustomization.yaml": "resources: [web.yaml]\n",
    "apps/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: web}\n",
    # declared beside the tree, reached by nothing
    "observability/rules/kustomization.yaml": "resources: [api.yaml, db.yaml]\n",
    "observability/rules/api.yaml": RULE.format(name="Api"),
    "observability/rules/db.yaml": dedent(RULE.format(name="Db")) + "---\napiVersion: v1\nkind: Namespace\n"
                                                                  "metadata: {name: monitoring}\n",
    "backup/velero.yaml": """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: backups, namespace: velero}
        spec:
          chart: {spec: {chart: velero, sourceRef: {kind: HelmRepository, name: vmware}}}
          values: {credentials: {secretContents: hunter2}}
        """,
    # plumbing only: an orphan Flux Kustomization, examples and a chart template are no declaration
    "clusters-old/apps.yaml": f"""
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: old, namespace: flux-system}}
        spec: {{path: ./old, sourceRef: {{kind: GitRepository, name: flux-system}}}}
        """,
    "examples/rule.yaml": RULE.format(name="Example"),
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "charts/web/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
    "values.yaml": "replicas: 3\n",
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("homelab")
    for rel, text in REPO.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    out = tmp_path_factory.mktemp("data")
    collect_deployed(root, out, renderer="builtin")
    return out


def test_files_no_cluster_applies_are_facts_with_kinds_counts_and_alerts(data: Path) -> None:
    df = store.objects(data).filter((pl.col("api_version") == REPO_API) & (pl.col("kind") == "Unapplied"))
    specs = {name: json.loads(spec) for name, spec in zip(df["name"], df["spec"], strict=True)}
    assert sorted(specs) == ["backup/velero.yaml", "observability/rules/api.yaml", "observability/rules/db.yaml"]
    assert specs["observability/rules/db.yaml"] == {
        "path": "observability/rules/db.yaml", "alerts": 2, "names": [],
        "kinds": [{"api_version": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "count": 1},
                  {"api_version": "v1", "kind": "Namespace", "count": 1}]}
    velero = specs["backup/velero.yaml"]
    assert velero["names"] == ["backups", "velero"] and velero["alerts"] == 0
    assert "hunter2" not in "".join(df["spec"].to_list())  # kinds and names only, never a value


def test_what_a_cluster_applies_is_not_unapplied(data: Path) -> None:
    names = store.objects(data).filter(pl.col("kind") == "Unapplied")["name"].to_list()
    assert "apps/web.yaml" not in names and "clusters/home/apps.yaml" not in names


def test_the_alert_check_names_the_rules_no_cluster_applies(data: Path) -> None:
    from readiness.assess.assessment import assess

    findings = assess(data).findings
    alerts = findings.filter(pl.col("check_id") == "obs_alert_rules_count").row(0, named=True)
    assert alerts["status"] == "fail"
    assert alerts["reason"] == ("0 alert rules of 15 wanted; the repository holds 2 PrometheusRules (4 alerts) that "
                                "no cluster applies (observability/rules/api.yaml, observability/rules/db.yaml)")
    velero = findings.filter(pl.col("check_id") == "backup_velero_installed").row(0, named=True)
    assert velero["status"] == "fail"
    assert "the repository declares it in backup/velero.yaml, which no cluster applies" in velero["reason"]


def test_with_one_cluster_asked_for_every_cluster_still_counts(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    files = {"clusters/home/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
             # the lab cluster applies the rules of its own root: they are not unapplied for home's snapshot
             "clusters/lab/rules.yaml": dedent(RULE.format(name="Lab")),
             "spare/rules.yaml": dedent(RULE.format(name="Spare"))}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    collect_deployed(root, tmp_path / "d", ["home"], renderer="builtin")
    df = store.objects(tmp_path / "d")
    assert sorted(set(df["cluster"])) == ["home"]
    assert df.filter(pl.col("kind") == "Unapplied")["name"].to_list() == ["spare/rules.yaml"]


@pytest.mark.parametrize(("path", "left"), [
    ("addons/{{name}}", ["other/rule.yaml"]),  # addons/ could be applied: only other/ is known unapplied
    ("{{.path}}", []),                          # templated from its start: any file could be applied
])
def test_files_an_unfollowed_argo_source_could_apply_are_not_called_unapplied(
        tmp_path: Path, path: str, left: list[str]) -> None:
    from readiness.collect.deployed import BuildRecord, Cluster, Deployed
    from readiness.collect.reader import Files
    from readiness.collect.unapplied import unapplied

    for rel in ("addons/x/rule.yaml", "other/rule.yaml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(dedent(RULE.format(name="X")), encoding="utf-8")
    view = Deployed(Cluster("east", "argocd", ("apps.yaml",)))
    view.builds.append(BuildRecord("ApplicationSet argocd/addons", None, "this repository", "none",
                                   unfollowed="path set per cluster", notes=[f"source path {path} not followed"]))
    assert [p for p, _ in unapplied(Files(tmp_path), [view])] == left
