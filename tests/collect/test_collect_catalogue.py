"""The resource catalogue, the RBAC shipped in deploy/, and what the demo fleet's checks read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from readiness.collect import cluster_role, load_catalogue
from readiness.collect.catalogue import is_secret
from readiness.demo import snapshot_frames
from readiness.errors import ConfigError
from readiness.store.repofacts import REPO_API

ROOT = Path(__file__).resolve().parents[2]


def docs(path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((ROOT / path).read_text()) if d]


def test_catalogue_covers_every_kind_of_the_demo_fleet() -> None:
    catalogue = {(r.group, r.kind) for r in load_catalogue()}
    objects, _, _ = snapshot_frames(14)
    demo = {(av.rpartition("/")[0], kind) for av, kind in objects.select("api_version", "kind").unique().iter_rows()
            if av != REPO_API}
    assert demo - catalogue == set()
    for kind in [("velero.io", "Schedule"), ("chaos-mesh.org", "Schedule"), ("chaos-mesh.org", "Workflow"),
                 ("multicluster.linkerd.io", "Link"), ("cert-manager.io", "ClusterIssuer"),
                 ("argoproj.io", "Rollout"), ("argoproj.io", "Application"), ("", "ConfigMap"),
                 ("apiextensions.k8s.io", "CustomResourceDefinition"), ("batch", "CronJob")]:
        assert kind in catalogue


def test_catalogue_never_holds_secrets_and_configmaps_are_metadata_only() -> None:
    catalogue = load_catalogue()
    assert not [r for r in catalogue if is_secret(r.group, r.kind, r.resource) or r.resource == "secrets"]
    assert [r.metadata_only for r in catalogue if r.kind == "ConfigMap"] == [True]
    assert len({(r.group, r.kind) for r in catalogue}) == len(catalogue)


def test_user_catalogue_adds_replaces_and_skips(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(yaml.safe_dump({"version": 1, "resources": [
        {"group": "example.com", "version": "v1", "kind": "Widget", "resource": "widgets"},
        {"group": "", "version": "v1", "kind": "Pod", "resource": "pods", "page_size": 100},
        {"group": "chaos-mesh.org", "kind": "TimeChaos", "skip": True},
    ]}))
    catalogue = {(r.group, r.kind): r for r in load_catalogue([extra])}
    assert catalogue[("example.com", "Widget")].api_version == "example.com/v1"
    assert catalogue[("", "Pod")].page_size == 100
    assert ("chaos-mesh.org", "TimeChaos") not in catalogue
    assert len(catalogue) == len(load_catalogue())  # one added, one removed


@pytest.mark.parametrize(("entry", "message"), [
    ({"group": "", "version": "v1", "kind": "Secret", "resource": "secrets"}, "Secrets are never collected"),
    ({"group": "", "version": "v1", "kind": "Vault", "resource": "secrets"}, "Secrets are never collected"),
    ({"group": "apps", "version": "v1", "kind": "Deployment", "resource": "deployments/scale"}, "plural resource"),
    ({"group": "apps", "version": "1", "kind": "Deployment", "resource": "deployments"}, "not an API version"),
    ({"group": "apps", "version": "v1", "kind": "Deployment", "resource": "deployments", "color": "red"}, "unknown"),
])
def test_invalid_catalogue_entries_are_refused(tmp_path: Path, entry: dict, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"resources": [entry]}))
    with pytest.raises(ConfigError, match=message) as err:
        load_catalogue([bad])
    assert str(bad) in str(err.value)


def test_cluster_role_is_read_only_on_exactly_the_catalogue() -> None:
    role = cluster_role(load_catalogue())
    granted = {(g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    assert granted == {(r.group, r.resource) for r in load_catalogue()}
    assert all(rule["verbs"] == ["get", "list"] for rule in role["rules"])
    assert not [g for g, r in granted if "*" in g + r or r == "secrets"]


def test_deploy_manifests_fit_together() -> None:
    rbac = {d["kind"]: d for d in docs("deploy/base/rbac.yaml")}
    assert set(rbac) == {"ServiceAccount", "ClusterRoleBinding", "ClusterRole"}
    binding, account = rbac["ClusterRoleBinding"], rbac["ServiceAccount"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": rbac["ClusterRole"]["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"],
                                    "namespace": account["metadata"]["namespace"]}]
    for variant in ("pvc", "s3"):
        kustomization = docs(f"deploy/{variant}/kustomization.yaml")[0]
        assert kustomization["resources"] == ["../base", "cronjob.yaml"]
        [cron] = [d for d in docs(f"deploy/{variant}/cronjob.yaml") if d["kind"] == "CronJob"]
        pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == account["metadata"]["name"]
        assert cron["metadata"]["namespace"] == account["metadata"]["namespace"]
        collector = (pod.get("initContainers") or pod["containers"])[0]
        command = " ".join(collector.get("args", []))
        assert "collect --in-cluster" in command
        mounts = {m["name"]: m["mountPath"] for m in collector["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        if variant == "pvc":
            assert "--data /data" in command and mounts["data"] == "/data"
            assert volumes["data"]["persistentVolumeClaim"]["claimName"] == "readiness-data"
        else:  # straight into the bucket (docs/storage.md): READINESS_DATA names it, no data volume
            env = {e["name"]: e.get("value") for e in collector["env"]}
            assert env["READINESS_DATA"].startswith("s3://") and "data" not in volumes
