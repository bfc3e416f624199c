"""No secret reaches the written snapshot, live or from a repository: Helm values, args, full-copy annotations."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from collect_helpers import FAST, parsed
from kubeapi import KubeAPI

from readiness import store
from readiness.collect import collect_clusters, collect_repo, load_catalogue, resolve
from readiness.store.schema import REDACTED

LEAK = "hunter2"  # every value below that must not be stored contains it


def _template(name: str) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": name}}, "spec": {
        "initContainers": [{"name": "migrate", "command": ["sh", "-c", f"PGPASSWORD={LEAK} migrate up"]}],
        "containers": [{"name": name, "image": "ghcr.io/x/app:1",
                        "args": ["--port=8080", f"--db-password={LEAK}", "--api-key", LEAK,
                                 f"--dsn=postgres://app:{LEAK}@db/app", "--password-file=/etc/pw"],
                        "envFrom": [{"secretRef": {"name": "app-env"}}],
                        "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "app", "key": "token"}}}]}]}}


def _source(chart: str) -> dict[str, Any]:
    return {"repoURL": "https://charts.x.io", "chart": chart, "targetRevision": "1.0.0",
            "helm": {"values": f"auth:\n  password: {LEAK}\n", "valuesObject": {"auth": {"password": LEAK}},
                     "parameters": [{"name": "auth.password", "value": LEAK}], "valueFiles": ["values-pro.yaml"]}}


def _objects() -> list[dict[str, Any]]:
    copy_of = json.dumps({"spec": {"args": [f"--password={LEAK}"]}})
    return [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": "web", "namespace": "apps",
            "annotations": {"kapp.k14s.io/original": copy_of, "objectset.rio.cattle.io/applied": copy_of,
                            "kubectl.kubernetes.io/last-applied-configuration": copy_of, "team": "web"}},
         "spec": {**_template("web")["spec"],
                  "ephemeralContainers": [{"name": "debug", "args": ["--token", LEAK]}]}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "apps"},
         "spec": {"replicas": 2, "template": _template("api")}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "seed", "namespace": "apps"},
         "spec": {"template": _template("seed")}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "apps"},
         "spec": {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": _template("nightly")}}}},
        {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
         "metadata": {"name": "grafana", "namespace": "monitoring"},
         "spec": {"chart": {"spec": {"chart": "grafana"}}, "values": {"adminPassword": LEAK},
                  "valuesFrom": [{"kind": "Secret", "name": "grafana-values"}]},
         "status": {"conditions": [{"type": "Ready", "status": "True"}], "lastAttemptedValuesChecksum": "abc"}},
        {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
         "metadata": {"name": "apps", "namespace": "flux-system"},
         "spec": {"path": "./apps", "postBuild": {"substitute": {"db_password": LEAK}}}},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "db", "namespace": "argocd"},
         "spec": {"source": _source("db"), "sources": [_source("cache")]},
         "status": {"sync": {"status": "Synced", "comparedTo": {"source": _source("db")}},
                    "health": {"status": "Healthy"}, "history": [{"id": 1, "source": _source("db")}]}},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
         "metadata": {"name": "dbs", "namespace": "argocd"},
         "spec": {"generators": [{"list": {"elements": [{"cluster": "pro"}]}}],
                  "template": {"metadata": {"name": "{{cluster}}-db"},
                               "spec": {"source": _source("db"), "sources": [_source("cache")]}}}},
    ]


# Only a repository holds these: kustomize generators, k3s HelmCharts and Secret manifests.
REPO_ONLY = [
    {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": ["apps.yaml"],
     "secretGenerator": [{"name": "db", "literals": [f"password={LEAK}"]}]},
    {"apiVersion": "helm.cattle.io/v1", "kind": "HelmChart", "metadata": {"name": "minio", "namespace": "kube-system"},
     "spec": {"chart": "minio", "valuesContent": f"rootPassword: {LEAK}\n", "set": {"rootPassword": LEAK}}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "apps"},
     "stringData": {"password": LEAK}},
]


def assert_nothing_leaked(data: Path) -> None:
    files = list(data.rglob("*.parquet"))
    assert {f.relative_to(data).parts[0] for f in files} >= {"objects", "coverage", "snapshots"}
    for f in files:
        assert LEAK not in str(pl.read_parquet(f).rows()), f


def assert_markers_and_references_kept(df: pl.DataFrame) -> None:
    web = parsed(df, "Pod", "web")
    # Repo mode adds readiness.dev/* bookkeeping (the file an object came from); every other value is replaced.
    assert {k: v for k, v in web["annotations"].items() if not k.startswith("readiness.dev/")} == {"team": REDACTED}
    assert web["spec"]["ephemeralContainers"][0]["args"] == [REDACTED, REDACTED]
    for kind, name, path in (("Deployment", "api", ("template", "spec")), ("Job", "seed", ("template", "spec")),
                             ("CronJob", "nightly", ("jobTemplate", "spec", "template", "spec"))):
        spec = parsed(df, kind, name)["spec"]
        for key in path:
            spec = spec[key]
        container = spec["containers"][0]
        assert container["args"] == [REDACTED] * 6, kind  # every item replaced, the list keeps its length
        assert container["envFrom"] == [{"secretRef": {"name": "app-env"}}]
        assert container["env"] == [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "app", "key": "token"}}}]
        assert spec["initContainers"][0]["command"] == [REDACTED] * 3
        assert container["image"] == "ghcr.io/x/app:1"
    release = parsed(df, "HelmRelease", "grafana")
    assert release["spec"]["values"] == {"adminPassword": REDACTED}
    assert release["spec"]["valuesFrom"] == [{"kind": "Secret", "name": "grafana-values"}]
    assert release["status"]["conditions"] == [{"type": "Ready", "status": "True"}]  # what the check reads
    redacted = {"values": REDACTED, "valuesObject": {"auth": {"password": REDACTED}},
                "parameters": [{"name": REDACTED, "value": REDACTED}], "valueFiles": ["values-pro.yaml"]}
    app = parsed(df, "Application", "db")
    assert app["spec"]["source"]["helm"] == redacted and app["spec"]["sources"][0]["helm"] == redacted
    assert app["spec"]["source"]["repoURL"] == "https://charts.x.io"
    assert app["status"]["sync"]["status"] == "Synced" and app["status"]["health"] == {"status": "Healthy"}
    appset = parsed(df, "ApplicationSet", "dbs")
    assert appset["spec"]["template"]["spec"]["source"]["helm"] == redacted
    assert parsed(df, "Kustomization", "apps")["spec"]["postBuild"] == {"substitute": {"db_password": REDACTED}}


def test_live_collection_stores_no_helm_values_secret_args_or_object_copies(
        kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    kubeapi.add(_objects())
    data = tmp_path / "data"
    [result] = collect_clusters(resolve(str(kubeconfig), ("alpha",), False, False, ()), load_catalogue(), data, FAST)
    assert result.status == "ok" and result.objects == len(_objects())
    assert_nothing_leaked(data)
    assert_markers_and_references_kept(store.objects(data))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "homelab"
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "apps.yaml").write_text(yaml.safe_dump_all(copy.deepcopy(_objects())), encoding="utf-8")
    for i, obj in enumerate(REPO_ONLY):
        (root / "apps" / f"extra-{i}.yaml").write_text(yaml.safe_dump(obj), encoding="utf-8")
    return root


def test_repo_collection_stores_no_helm_values_secret_args_generator_literals_or_secret_values(
        repo: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = collect_repo(repo, "studio", data)
    assert result.objects == len(_objects()) + len(REPO_ONLY) and not result.skipped
    assert_nothing_leaked(data)
    df = store.objects(data)
    assert_markers_and_references_kept(df)
    assert parsed(df, "Kustomization", "apps/extra-0.yaml")["status"]["secretGenerator"] == [
        {"name": "db", "literals": [REDACTED]}]
    assert parsed(df, "HelmChart", "minio")["spec"] == {"chart": "minio", "valuesContent": REDACTED,
                                                        "set": {"rootPassword": REDACTED}}
    assert parsed(df, "Secret", "db")["status"] == {"stringData": {"password": REDACTED}}
