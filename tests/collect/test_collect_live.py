"""Collecting live clusters: the real kubernetes client against the test API server, through a kubeconfig."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from collect_helpers import FAST, SECRET, coverage, parsed, pod, snapshot
from kubeapi import KubeAPI, _token, write_kubeconfig

from readiness import store
from readiness.collect import collect_clusters, load_catalogue, resolve
from readiness.errors import CollectError, DataMixError
from readiness.store.schema import REDACTED


def run(kubeconfig: Path, data: Path, contexts: tuple[str, ...] = ("alpha",), **settings: object):
    targets = resolve(str(kubeconfig), contexts, False, False, ())
    return collect_clusters(targets, load_catalogue(), data, replace(FAST, **settings))  # type: ignore[arg-type]


def list_requests(api: KubeAPI, path: str) -> list[str]:
    return [r for r in api.requests if r.split("?")[0] == path]


def test_pagination_follows_continue_tokens(kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    kubeapi.add([pod(f"p{i:02d}") for i in range(23)])
    [result] = run(kubeconfig, tmp_path / "data", page_size=5)
    pages = list_requests(kubeapi, "/api/v1/pods")
    assert len(pages) == 5  # 5 + 5 + 5 + 5 + 3
    assert pages[0] == "/api/v1/pods?limit=5"
    # the continue token is sent back URL-encoded and decodes to the server's offsets
    offsets = [json.loads(base64.b64decode(p.split("continue=")[1].replace("%3D", "=")))["start"] for p in pages[1:]]
    assert offsets == [5, 10, 15, 20]
    df = store.objects(tmp_path / "data")
    assert sorted(df.filter(pl.col("kind") == "Pod")["name"].to_list()) == [f"p{i:02d}" for i in range(23)]
    assert coverage(tmp_path / "data")[("v1", "Pod")] == ("ok", 23, None)
    assert result.status == "ok" and result.objects == 23


def test_never_requests_secrets(kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    kubeapi.add([pod("web")])
    kubeapi.add([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "apps"},
                  "data": {"password": base64.b64encode(b"hunter2").decode()}}])
    [result] = run(kubeconfig, tmp_path / "data")
    assert "/api/v1/secrets" in kubeapi.objects  # the server offers them in discovery...
    assert kubeapi.requests and not [r for r in kubeapi.requests if "secret" in r.lower()]  # ...never asked for
    assert "Secret" not in store.objects(tmp_path / "data")["kind"].to_list()
    assert result.status == "ok"


def test_strips_env_values_last_applied_managed_fields_and_configmap_data(
        kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    last = json.dumps(pod("web"))  # kubectl's copy of the object, env values included
    kubeapi.add([pod("web", annotations={"kubectl.kubernetes.io/last-applied-configuration": last, "team": "a"},
                     managedFields=[{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}])])
    template = {"metadata": {"labels": {"app": "api"}},
                "spec": {"initContainers": [{"name": "init", "env": [{"name": "TOKEN", "value": SECRET}]}],
                         "containers": [{"name": "api", "env": [
                             {"name": "PASSWORD", "value": SECRET},
                             {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}]}]}}
    kubeapi.add([
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "apps"},
         "spec": {"replicas": 2, "template": template}, "status": {"readyReplicas": 2}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "apps"},
         "spec": {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": template}}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "apps",
                                                            "labels": {"app": "api"}},
         "data": {"DATABASE_URL": f"postgres://app:{SECRET}@db/app"}},
        {"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "VulnerabilityReport",
         "metadata": {"name": "replicaset-api", "namespace": "apps"},
         "report": {"summary": {"criticalCount": 1, "highCount": 4},
                    "vulnerabilities": [{"vulnerabilityID": "CVE-2024-0001"}]}},
    ], plurals={("", "ConfigMap"): "configmaps"})
    data = tmp_path / "data"
    run(kubeconfig, data)
    df = store.objects(data)

    web = parsed(df, "Pod", "web")
    assert web["annotations"] == {"team": REDACTED}  # not a key the policy keeps
    assert web["spec"]["containers"][0]["env"] == [{"name": "LOG_LEVEL", "value": REDACTED},
                                                   {"name": "API_KEY", "value": REDACTED}]
    api = parsed(df, "Deployment", "api")
    spec = api["spec"]["template"]["spec"]
    assert spec["initContainers"][0]["env"][0]["value"] == REDACTED
    assert spec["containers"][0]["env"][0] == {"name": "PASSWORD", "value": REDACTED}
    assert spec["containers"][0]["env"][1] == {"name": "FROM_SECRET",
                                               "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}
    assert api["status"] == {"readyReplicas": 2} and api["spec"]["replicas"] == 2
    cron = parsed(df, "CronJob", "nightly")
    assert cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == REDACTED
    cm = parsed(df, "ConfigMap", "settings")
    assert (cm["labels"], cm["spec"], cm["status"]) == ({"app": "api"}, {}, {})
    assert "PartialObjectMetadataList" in kubeapi.accepts["/api/v1/configmaps"]  # its data was never sent
    vr = parsed(df, "VulnerabilityReport", "replicaset-api")
    assert vr["status"] == {"report": {"summary": {"criticalCount": 1, "highCount": 4}}} and vr["spec"] == {}
    # nothing secret anywhere in the written files, compressed or not
    for f in (data / "objects").rglob("*.parquet"):
        text = str(pl.read_parquet(f).rows())
        assert SECRET not in text and "managedFields" not in text and "last-applied" not in text


def test_forbidden_type_is_recorded_and_collection_goes_on(kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    kubeapi.add([pod("web")])
    kubeapi.add([{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "apps"}},
                 {"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "b1", "namespace": "velero"}}])
    kubeapi.fail("/apis/apps/v1/deployments", 403)
    [result] = run(kubeconfig, tmp_path / "data")
    cov = coverage(tmp_path / "data")
    outcome, count, detail = cov[("apps/v1", "Deployment")]
    assert (outcome, count) == ("forbidden", 0) and "403" in str(detail)
    assert cov[("v1", "Pod")] == ("ok", 1, None)
    assert cov[("velero.io/v1", "Backup")] == ("ok", 1, None)  # listed after the 403
    assert cov[("monitoring.coreos.com/v1", "PrometheusRule")][0] == "absent"
    assert len(list_requests(kubeapi, "/apis/apps/v1/deployments")) == 1  # a 403 is not retried
    assert result.status == "partial" and "apps/Deployment (forbidden)" in str(result.error)
    assert snapshot(tmp_path / "data", "alpha")["status"] == "partial"


def test_absent_apis_and_vanished_lists(kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    kubeapi.add([pod("web"),
                 {"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "b1", "namespace": "velero"}}])
    kubeapi.serve_kind("chaos-mesh.org", "v1alpha1", "PodChaos")
    kubeapi.fail("/apis/velero.io/v1/backups", 404)  # the CRD went away between discovery and listing
    kubeapi.fail("/apis/chaos-mesh.org/v1alpha1", 404)  # a group listed but its version not served
    [result] = run(kubeconfig, tmp_path / "data")
    cov = coverage(tmp_path / "data")
    assert cov[("velero.io/v1", "Backup")][0] == "absent"
    assert cov[("chaos-mesh.org/v1alpha1", "PodChaos")][0] == "absent"
    assert cov[("sloth.slok.dev/v1", "PrometheusServiceLevel")] == (
        "absent", 0, "API group sloth.slok.dev is not served")
    assert result.status == "ok"  # absent is not a failure


def test_retries_5xx_and_429_with_backoff(kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    kubeapi.add([pod("web")])
    kubeapi.add([{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "apps"}}])
    kubeapi.fail("/api/v1/pods", 503, times=2)
    kubeapi.fail("/apis/apps/v1/deployments", 429, times=1, retry_after="0")
    [result] = run(kubeconfig, tmp_path / "data", retries=2)
    assert len(list_requests(kubeapi, "/api/v1/pods")) == 3
    assert len(list_requests(kubeapi, "/apis/apps/v1/deployments")) == 2
    assert result.status == "ok" and result.objects == 2


def test_persistent_500_is_an_error_of_that_type_only(kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    kubeapi.add([pod("web"), {"apiVersion": "apps/v1", "kind": "Deployment",
                              "metadata": {"name": "api", "namespace": "apps"}}])
    kubeapi.fail("/api/v1/pods", 500)
    [result] = run(kubeconfig, tmp_path / "data", retries=1)
    cov = coverage(tmp_path / "data")
    assert cov[("v1", "Pod")][0] == "error" and "HTTP 500" in str(cov[("v1", "Pod")][2])
    assert cov[("apps/v1", "Deployment")] == ("ok", 1, None)
    assert len(list_requests(kubeapi, "/api/v1/pods")) == 2
    assert result.status == "partial"


def test_request_timeout_fails_that_type_and_goes_on(kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    kubeapi.add([pod("web"), {"apiVersion": "apps/v1", "kind": "Deployment",
                              "metadata": {"name": "api", "namespace": "apps"}}])
    kubeapi.fail("/api/v1/pods", 0, delay=5)  # answers after 5 s; the client waits 0.3 s
    [result] = run(kubeconfig, tmp_path / "data", timeout=0.3, retries=1)
    cov = coverage(tmp_path / "data")
    assert cov[("v1", "Pod")][0] == "error" and "timed out" in str(cov[("v1", "Pod")][2]).lower()
    assert cov[("apps/v1", "Deployment")] == ("ok", 1, None)
    assert result.status == "partial" and result.seconds < 4


def test_expired_continue_token_goes_on_with_the_offered_one(kubeapi: KubeAPI, kubeconfig: Path,
                                                            tmp_path: Path) -> None:
    kubeapi.add([pod(f"p{i:02d}") for i in range(12)])
    offered = {"metadata": {"continue": _token(5, rv="4800")}}
    kubeapi.fail("/api/v1/pods", 410, times=1, only_continue=True, body=offered)
    [result] = run(kubeconfig, tmp_path / "data", page_size=5)
    names = store.objects(tmp_path / "data").filter(pl.col("kind") == "Pod")["name"].to_list()
    assert sorted(names) == [f"p{i:02d}" for i in range(12)]
    assert result.status == "ok"


def test_unauthorized_cluster_is_unreachable(kubeapi: KubeAPI, tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kc", {"alpha": kubeapi.url}, token="wrong")
    [result] = run(kc, tmp_path / "data")
    assert result.status == "unreachable" and "401" in str(result.error)
    snap = snapshot(tmp_path / "data", "alpha")
    assert snap["status"] == "unreachable" and "401" in snap["error"]
    assert {o for o, _, _ in coverage(tmp_path / "data").values()} == {"error"}


def test_targets_names_and_unknown_contexts(tmp_path: Path) -> None:
    arn = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"
    kc = write_kubeconfig(tmp_path / "kc", {arn: "http://127.0.0.1:1", "dev": "http://127.0.0.1:2"}, current="dev")
    assert [t.cluster for t in resolve(str(kc), (), True, False, ())] == [
        "arn-aws-eks-eu-west-1-123456789012-cluster-prod", "dev"]
    assert [t.cluster for t in resolve(str(kc), (), True, False, (f"{arn}=prod",))] == ["prod", "dev"]
    assert [(t.cluster, t.context) for t in resolve(str(kc), (), False, False, ())] == [("dev", "dev")]
    assert [t.cluster for t in resolve(str(kc), ("dev",), False, False, ("edge",))] == ["edge"]
    with pytest.raises(CollectError, match="no such context"):
        resolve(str(kc), ("nope",), False, False, ())
    with pytest.raises(CollectError, match="share this name"):
        resolve(str(kc), (), True, False, (f"{arn}=dev",))
    with pytest.raises(CollectError, match="not a usable cluster name"):
        resolve(str(kc), ("dev",), False, False, ("dev=a/b",))


def test_refuses_to_write_into_demo_data(kubeconfig: Path, tmp_path: Path) -> None:
    from readiness.demo import snapshot_frames

    store.write_snapshot(tmp_path / "demo", *snapshot_frames(0))
    with pytest.raises(DataMixError):
        run(kubeconfig, tmp_path / "demo")


def test_interrupted_collection_leaves_nothing_behind(kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    import threading
    from datetime import UTC, datetime

    from readiness.collect.kube import Cancelled
    from readiness.collect.live import collect_cluster

    kubeapi.add([pod("web")])
    [target] = resolve(str(kubeconfig), ("alpha",), False, False, ())
    cancel = threading.Event()
    cancel.set()
    data = tmp_path / "data"
    with pytest.raises(Cancelled):
        collect_cluster(target, load_catalogue(), data, "live-x", datetime.now(UTC), FAST, cancel=cancel)
    assert [p for p in data.rglob("*") if p.is_file()] == []
    assert kubeapi.requests == []


def test_in_cluster_outside_a_pod_is_unreachable_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    targets = resolve(None, (), False, True, ("prod",))
    assert [(t.cluster, t.in_cluster) for t in targets] == [("prod", True)]
    [result] = collect_clusters(targets, load_catalogue(), tmp_path / "data", FAST)
    assert result.status == "unreachable" and "cannot load in-cluster config" in str(result.error)
    assert snapshot(tmp_path / "data", "prod")["status"] == "unreachable"
