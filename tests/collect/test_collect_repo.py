"""Collecting a GitOps repository: manifests as declared in Git, and repository facts from real files."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from collect_helpers import SECRET, parsed, snapshot

from readiness import store
from readiness.cli import main
from readiness.collect import collect_repo
from readiness.collect.ci import activities
from readiness.collect.facts import doc_type
from readiness.demo.repo import repository
from readiness.errors import CollectError
from readiness.store.repofacts import ACTIVITIES, DOC_TYPES, REPO_API
from readiness.store.schema import REDACTED

MANIFESTS = {
    "clusters/studio/apps.yaml": f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          namespace: apps
          annotations:
            kubectl.kubernetes.io/last-applied-configuration: '{{"env": "{SECRET}"}}'
            team: platform
        spec:
          replicas: 2
          template:
            spec:
              containers:
              - name: api
                image: ghcr.io/x/api:1.2.3
                env:
                - {{name: API_KEY, value: {SECRET}}}
                - {{name: PORT, value: "8080"}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {{name: api, namespace: apps, creationTimestamp: 2024-01-01T00:00:00Z}}
        spec: {{ports: [{{port: 80}}]}}
        ---
        # an empty document and a document without kind are not objects
        ---
        replicaCount: 3
        """,
    "clusters/studio/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [apps.yaml, ../../infrastructure/base]
        """,
    "clusters/studio/secret.yaml": f"""
        apiVersion: v1
        kind: Secret
        metadata: {{name: db, namespace: apps}}
        type: Opaque
        stringData: {{password: {SECRET}}}
        """,
    "clusters/studio/settings.yaml": f"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {{name: settings, namespace: apps}}
        data: {{DATABASE_URL: "postgres://app:{SECRET}@db"}}
        """,
    "infrastructure/base/velero.yaml": """
        apiVersion: velero.io/v1
        kind: Schedule
        metadata: {name: daily, namespace: velero}
        spec: {schedule: "0 2 * * *", template: {ttl: 168h0m0s}}
        ---
        apiVersion: chaos-mesh.org/v1alpha1
        kind: Schedule
        metadata: {name: daily-pod-kill, namespace: chaos-mesh}
        spec: {schedule: "@daily", type: PodChaos}
        """,
    "infrastructure/base/helmrelease.yaml": """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: loki, namespace: flux-system}
        spec:
          chart: {spec: {chart: loki}}
          values:
            replicas: 2
            extraEnv: [{name: S3_SECRET, value: hunter2}]
        """,
    "infrastructure/base/rules.yaml": """
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata: {name: homelab, namespace: monitoring}
        spec:
          groups:
          - name: homelab
            rules:
            - alert: NodeNotReady
              expr: kube_node_status_condition{condition="Ready",status="true"} == 0
              annotations: {summary: "{{ $labels.node }} is not ready"}
        """,
    "infrastructure/base/list.yaml": """
        apiVersion: v1
        kind: List
        items:
        - {apiVersion: v1, kind: Namespace, metadata: {name: velero}}
        - {apiVersion: v1, kind: Namespace, metadata: {name: monitoring}}
        """,
    "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    "charts/app/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "app.fullname" . }}
        spec:
          replicas: {{ .Values.replicas }}
        """,
    "broken/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n",
}

CI = {
    ".github/workflows/ci.yml": """
        name: CI
        on: [push, pull_request]
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
            - uses: actions/checkout@v4
            - uses: docker/build-push-action@v6
          test:
            needs: build
            steps:
            - run: pytest tests/unit --cov=app --cov-report=xml
            - run: pytest tests/integration
            - uses: codecov/codecov-action@v4
          scan:
            needs: [build]
            steps:
            - uses: aquasecurity/trivy-action@0.28.0
              with: {image-ref: "ghcr.io/x/api:${{ github.sha }}"}
            - uses: github/codeql-action/analyze@v3
        """,
    ".github/workflows/deploy.yml": """
        on:
          workflow_dispatch: {}
          push: {branches: [main]}
        jobs:
          approve:
            environment: production
            steps: [{run: echo approved}]
          deploy:
            needs: [approve]
            environment: {name: studio, url: https://studio.example}
            steps:
            - run: kubectl apply -k clusters/studio
            - run: ./scripts/smoke.sh https://studio.example
          rollback:
            if: failure()
            steps: [{run: helm rollback api}]
        """,
    ".github/workflows/e2e.yml": """
        on: {schedule: [{cron: "0 3 * * *"}]}
        jobs:
          browser:
            steps: [{run: npx playwright test}]
          load:
            steps: [{uses: grafana/k6-action@v0.3.1, with: {filename: load/api.js}}]
          preview:
            steps:
            - run: helm upgrade --install preview-${{ github.event.number }} charts/app
        """,
    ".github/workflows/broken.yml": "on: [push\njobs: {}\n",
    ".gitlab-ci.yml": """
        include:
        - local: ci/deploy.yml
        stages: [test, deploy]
        variables: {IMAGE: registry/x}
        workflow:
          rules:
          - if: $CI_PIPELINE_SOURCE == "merge_request_event"
          - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
        .tests:
          image: golang:1.23
          script: [go test ./...]
        unit:
          extends: .tests
          stage: test
        semgrep:
          script: [semgrep ci]
        """,
    "ci/deploy.yml": """
        deploy-prod:
          stage: deploy
          script: [flux reconcile kustomization apps]
          environment: {name: production}
          when: manual
          needs: [unit, {job: semgrep}]
        """,
}

FACTS = {
    "renovate.json": '{"extends": ["config:recommended"]}',
    ".github/dependabot.yml": "version: 2\nupdates: []\n",
    "infrastructure/pulumi/Pulumi.yaml": "name: homelab\nruntime: go\n",
    "infrastructure/pulumi/main.go": "package main\n",
    "infrastructure/pulumi/Pulumi.studio.yaml": "config: {}\n",
    "terraform/main.tf": 'resource "null_resource" "x" {}\n',
    "terraform/modules/net/vars.tf": 'variable "cidr" {}\n',
    "coverage.xml": '<?xml version="1.0" ?>\n<coverage line-rate="0.8123" branch-rate="0.5" version="7.4">'
                    "<packages/></coverage>\n",
    "README.md": "# Homelab\n\nWe have runbooks for every alert and 100% test coverage, trust us: `HighCPUUsage`.\n",
    "docs/runbooks/node-not-ready.md": """
        ---
        alerts: [NodeNotReady, KubeNodeUnreachable]
        last_tested: 2026-02-20
        ---
        # Node not ready

        When `NodeNotReady` fires, cordon the node.
        """,
    "docs/runbooks/backup-failed.md": """
        Written after the incident.

        ```sh
        # not a title
        ```
        # Backup failed

        Answers `BackupFailed` and `VeleroBackupPartialFailure`; check the `BackupStorageLocation` and
        the `ConfigMap` of the plugin.
        """,
    "docs/architecture/overview.md": "# Homelab architecture\n",
    "docs/architecture/cluster-topology.md": "# Cluster topology\n",
    "docs/architecture/network-design.md": "# Network design\n",
    "docs/operations/on-call.md": "# On-call procedures\n",
    "docs/operations/escalation-matrix.md": "# Escalation matrix\n\n| L1 | on-call |\n| L2 | platform lead |\n",
    "docs/operations/troubleshooting.md": "# Troubleshooting guide\n",
    "docs/guides/secret-management.md": "Intro first.\n\n# How to manage secrets\n",
    "node_modules/pkg/README.md": "# vendored, not ours\n",
}


def build(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return build(tmp_path / "homelab", {**MANIFESTS, **CI, **FACTS})


@pytest.fixture
def collected(repo: Path, tmp_path: Path) -> tuple[Path, pl.DataFrame]:
    data = tmp_path / "data"
    result = collect_repo(repo, "studio", data)
    assert result.snapshot_id.startswith("repo-")
    return data, store.objects(data)


def facts(df: pl.DataFrame, kind: str) -> dict[str, dict[str, Any]]:
    rows = df.filter((pl.col("api_version") == REPO_API) & (pl.col("kind") == kind))
    return {name: json.loads(spec) for name, spec in rows.select("name", "spec").iter_rows()}


def test_every_manifest_becomes_a_row_stripped_like_live_objects(collected: tuple[Path, pl.DataFrame]) -> None:
    data, df = collected
    manifests = df.filter(pl.col("api_version") != REPO_API)
    assert sorted(zip(manifests["kind"], manifests["name"], strict=True)) == sorted([
        ("Deployment", "api"), ("Service", "api"), ("Kustomization", "clusters/studio/kustomization.yaml"),
        ("Secret", "db"), ("ConfigMap", "settings"), ("Schedule", "daily"), ("Schedule", "daily-pod-kill"),
        ("HelmRelease", "loki"), ("PrometheusRule", "homelab"), ("Namespace", "velero"), ("Namespace", "monitoring"),
    ])
    assert set(manifests["source"].unique()) == {"repo"}
    assert SECRET not in str(df.rows()) and "hunter2" not in str(df.rows())
    api = parsed(df, "Deployment", "api")
    assert api["annotations"] == {"team": REDACTED, "readiness.dev/source-path": "clusters/studio/apps.yaml"}
    assert api["namespace"] == "apps"  # "team" is a key the policy does not keep; readiness.dev/* it keeps
    assert api["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "API_KEY", "value": REDACTED}, {"name": "PORT", "value": REDACTED}]
    assert parsed(df, "Service", "api")["spec"] == {"ports": [{"port": 80}]}
    assert parsed(df, "Secret", "db")["status"] == {"type": "Opaque", "stringData": {"password": REDACTED}}
    assert (parsed(df, "ConfigMap", "settings")["spec"], parsed(df, "ConfigMap", "settings")["status"]) == ({}, {})
    loki = parsed(df, "HelmRelease", "loki")
    assert loki["spec"]["values"] == {"replicas": 2, "extraEnv": [{"name": REDACTED, "value": REDACTED}]}
    assert loki["spec"]["chart"] == {"spec": {"chart": "loki"}}
    # Prometheus' own templates are not Helm templates: the rule file is collected
    rule = parsed(df, "PrometheusRule", "homelab")["spec"]["groups"][0]["rules"][0]
    assert rule["annotations"]["summary"] == "{{ $labels.node }} is not ready"
    # same kind, different API groups: two different objects
    schedules = df.filter(pl.col("kind") == "Schedule").select("api_version", "name").sort("name").rows()
    assert schedules == [("velero.io/v1", "daily"), ("chaos-mesh.org/v1alpha1", "daily-pod-kill")]
    snap = snapshot(data, "studio")
    assert (snap["source"], snap["status"]) == ("repo", "ok")


def test_templates_and_broken_files_are_skipped_with_their_path(collected: tuple[Path, pl.DataFrame]) -> None:
    data, _ = collected
    table = store.read(data, "coverage")
    ok = table.filter(pl.col("outcome") == "ok")
    assert ok.filter(pl.col("kind") == "Deployment").select("api_version", "count").rows() == [("apps/v1", 1)]
    assert ok.filter(pl.col("kind") == "Namespace").select("api_version", "count").rows() == [("v1", 2)]
    assert ok.filter(pl.col("api_version") == REPO_API).select("kind", "count").sort("kind").rows() == [
        ("Build", 0), ("BuildInputs", 1), ("Chart", 1), ("CoverageReport", 1), ("DependencyBot", 2), ("Document", 10),
        ("IaC", 2),
        ("RunbookLinks", 1), ("View", 1), ("Workflow", 4)]
    skipped = table.filter(pl.col("outcome") == "skipped")
    details = dict(zip(skipped["detail"], zip(skipped["api_version"], skipped["kind"], strict=True), strict=True))
    template = [d for d in details if d.startswith("charts/app/templates/deployment.yaml: Helm chart template")]
    assert template and details[template[0]] == ("apps/v1", "Deployment")
    bad = [d for d in details if d.startswith("broken/bad.yaml: does not parse")]
    assert bad and "line" in bad[0] and details[bad[0]] == ("v1", "ConfigMap")
    assert [d for d in details if d.startswith(".github/workflows/broken.yml: does not parse")]
    assert len(details) == 3


def test_github_and_gitlab_workflows(collected: tuple[Path, pl.DataFrame]) -> None:
    _, df = collected
    wf = facts(df, "Workflow")
    assert set(wf) == {".github/workflows/ci.yml", ".github/workflows/deploy.yml", ".github/workflows/e2e.yml",
                       ".gitlab-ci.yml"}
    ci = wf[".github/workflows/ci.yml"]
    assert (ci["system"], ci["path"], ci["triggers"]) == ("github-actions", ".github/workflows/ci.yml",
                                                          ["push", "pull_request"])
    jobs = {j["name"]: j for j in ci["jobs"]}
    assert jobs["build"] == {"name": "build", "does": ["build"], "environment": None, "needs": []}
    assert jobs["test"]["does"] == ["test", "unit-test", "integration-test", "coverage"]
    assert jobs["test"]["needs"] == ["build"] and jobs["scan"]["needs"] == ["build"]
    assert jobs["scan"]["does"] == ["image-scan", "sast"]
    deploy = {j["name"]: j for j in wf[".github/workflows/deploy.yml"]["jobs"]}
    assert wf[".github/workflows/deploy.yml"]["triggers"] == ["workflow_dispatch", "push"]
    assert deploy["approve"] == {"name": "approve", "does": ["approval"], "environment": "production", "needs": []}
    assert deploy["deploy"] == {"name": "deploy", "does": ["smoke-test", "deploy"], "environment": "studio",
                                "needs": ["approve"]}
    assert deploy["rollback"]["does"] == ["deploy", "rollback"]
    e2e = {j["name"]: j["does"] for j in wf[".github/workflows/e2e.yml"]["jobs"]}
    assert e2e == {"browser": ["e2e-test"], "load": ["load-test"], "preview": ["deploy", "preview"]}
    gitlab = wf[".gitlab-ci.yml"]
    assert (gitlab["system"], gitlab["triggers"]) == ("gitlab-ci", ["merge_request"])
    jobs = {j["name"]: j for j in gitlab["jobs"]}
    assert set(jobs) == {"unit", "semgrep", "deploy-prod"}  # hidden templates are not jobs
    assert jobs["unit"]["does"] == ["test", "unit-test"]  # from the template it extends
    assert jobs["semgrep"]["does"] == ["sast"]
    assert jobs["deploy-prod"] == {"name": "deploy-prod", "does": ["deploy", "approval"],
                                   "environment": "production", "needs": ["unit", "semgrep"], "stage": "deploy",
                                   "manual": True, "manual_rules": [], "auto_rules": []}
    assert jobs["semgrep"]["needs"] == []  # stage test (the default) comes first


def test_bots_iac_coverage_and_documents(collected: tuple[Path, pl.DataFrame]) -> None:
    _, df = collected
    assert facts(df, "DependencyBot") == {"renovate.json": {"tool": "renovate", "path": "renovate.json"},
                                          ".github/dependabot.yml": {"tool": "dependabot",
                                                                     "path": ".github/dependabot.yml"}}
    assert facts(df, "IaC") == {"pulumi": {"tool": "pulumi", "path": "infrastructure/pulumi", "files": 3},
                                "terraform": {"tool": "terraform", "path": "terraform", "files": 2}}
    assert facts(df, "CoverageReport") == {"coverage.xml": {"path": "coverage.xml", "line_rate": 0.8123}}
    docs = facts(df, "Document")
    assert "node_modules/pkg/README.md" not in docs
    assert docs["docs/runbooks/node-not-ready.md"] == {
        "path": "docs/runbooks/node-not-ready.md", "title": "Node not ready", "type": "runbook", "covers": [],
        "answers_alerts": ["NodeNotReady", "KubeNodeUnreachable"], "last_tested": "2026-02-20",
        "recovery_targets": [], "runbooks": []}
    backup = docs["docs/runbooks/backup-failed.md"]
    assert (backup["title"], backup["last_tested"]) == ("Backup failed", None)
    # backticked CamelCase names are alerts; Kubernetes kinds are not
    assert backup["answers_alerts"] == ["BackupFailed", "VeleroBackupPartialFailure"]
    # a README's claims are not evidence: it is a document of type other, answering nothing
    assert docs["README.md"] == {"path": "README.md", "title": "Homelab", "type": "other", "covers": [],
                                 "answers_alerts": [],
                                 "last_tested": None, "recovery_targets": [], "runbooks": []}
    types = {p: d["type"] for p, d in docs.items()}
    assert types["docs/architecture/overview.md"] == "architecture"
    assert types["docs/architecture/cluster-topology.md"] == "topology"
    assert types["docs/architecture/network-design.md"] == "network"
    assert types["docs/operations/on-call.md"] == "oncall"
    assert types["docs/operations/escalation-matrix.md"] == "escalation"
    assert types["docs/operations/troubleshooting.md"] == "troubleshooting"
    assert docs["docs/guides/secret-management.md"]["type"] == "guide"
    assert docs["docs/guides/secret-management.md"]["title"] == "How to manage secrets"


def test_facts_have_the_demo_shapes(collected: tuple[Path, pl.DataFrame]) -> None:
    _, df = collected
    demo = {}
    for r in repository(14):
        demo.setdefault(r["kind"], r["spec"])
    for kind, spec in demo.items():
        ours = next(iter(facts(df, kind).values()))
        assert set(ours) == set(spec), kind
        if kind == "Workflow":
            assert set(ours["jobs"][0]) == set(spec["jobs"][0])
            assert {a for j in ours["jobs"] for a in j["does"]} <= set(ACTIVITIES)
        if kind == "Document":
            assert ours["type"] in DOC_TYPES


def test_path_restricts_manifests_not_facts(repo: Path, tmp_path: Path) -> None:
    result = collect_repo(repo, "studio", tmp_path / "data", ["infrastructure/base"])
    df = store.objects(tmp_path / "data")
    manifests = df.filter(pl.col("api_version") != REPO_API)
    assert sorted(set(manifests["kind"])) == ["HelmRelease", "Namespace", "PrometheusRule", "Schedule"]
    assert facts(df, "Workflow") and result.objects == manifests.height == 6
    assert not [p for p, _ in result.skipped if p.startswith(("charts/", "broken/"))]


def test_repo_cli_and_errors(repo: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--view", "files", "--cluster", "studio",
                                       "--data", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("studio: repo (files view), 11 manifests and 20 repository facts in ")
    assert "; 3 files skipped (.github/workflows/broken.yml, broken/bad.yaml, " in result.stdout
    with pytest.raises(CollectError, match="--path nope is not a directory"):
        collect_repo(repo, "studio", tmp_path / "d", ["nope"])
    with pytest.raises(CollectError, match="is outside the repository"):
        collect_repo(repo, "studio", tmp_path / "d", [".."])
    assert collect_repo(repo, "studio", tmp_path / "e", [str(repo / "clusters")]).objects == 5  # absolute is fine
    assert collect_repo(repo, "studio", tmp_path / "f", ["."]).objects == 11
    with pytest.raises(CollectError, match="not a usable cluster name"):
        collect_repo(repo, "a/b", tmp_path / "d")


@pytest.mark.parametrize(("text", "environment", "does"), [
    ("go test ./...", None, ["test", "unit-test"]),
    ("npx cypress run --spec e2e/", None, ["e2e-test"]),
    ("npm run test:e2e", None, ["test", "e2e-test"]),
    ("make integration-test", None, ["integration-test"]),
    ("grype ghcr.io/x/api:1", None, ["image-scan"]),
    ("argocd app sync api", "prod", ["deploy", "approval"]),
    ("kubectl rollout undo deploy/api", "staging", ["deploy", "rollback"]),
    ("echo hello", None, []),
])
def test_activity_detection(text: str, environment: str | None, does: list[str]) -> None:
    assert activities(text, environment) == does


def test_doc_types_by_folder_and_headings_never_by_file_name() -> None:
    assert doc_type("ops/runbooks/disk/full.md") == "runbook"
    assert doc_type("docs/adr/0001-use-flux.md") == "architecture"
    assert doc_type("docs/howto/rotate-keys.md", "# Rotating keys\n") == "other"  # the name says nothing
    assert doc_type("docs/x.md", "# How to rotate keys\n") == "guide"
    assert doc_type("CHANGELOG.md") == "other"
    # a file named after privilege escalation is not an escalation matrix, whatever its name
    assert doc_type("docs/grant-rbac-escalation-matrix.md", "# RBAC privilege escalation paths\n") == "other"
    assert doc_type("docs/notes.md", "# Who to call\n\n## Escalation levels\n\n| L1 | L2 |\n") == "escalation"
    # runbook sections make a runbook, wherever it is filed
    assert doc_type("docs/disk.md", "# Disk full\n## Symptoms\nx\n## Mitigation\ny\n") == "runbook"
    assert doc_type("docs/d.md", "# Use Flux\n## Context\nx\n## Decision\ny\n") == "architecture"
    # headings inside code fences are not headings
    assert doc_type("docs/e.md", "# Notes\n```\n# Troubleshooting\n```\n") == "other"


def test_a_document_that_says_it_is_a_draft() -> None:
    from readiness.collect.facts import document

    def draft(text: str) -> bool:
        return document("docs/plan.md", text)[2].get("draft") is True

    assert draft("# Reliability plan\n\n**Author:** SRE  \n**Status:** Draft  \n\n## Targets\n")
    assert draft("---\nstatus: proposed\n---\n# Plan\n")
    assert draft("# Plan\n\n| Field | Value |\n|---|---|\n| Status | WIP |\n")
    assert not draft("# Plan\n\n**Status:** Approved\n")
    assert not draft("# Status of the migration\n\nThe draft was merged.\n")  # words, not a status line
    assert not draft("# Plan\n" + "text\n" * 20 + "Status: draft\n")  # far below the top: not its status



def test_a_directory_without_manifests_is_an_error_naming_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CollectError, match=r"empty holds no Kubernetes manifest .* nothing to assess"):
        collect_repo(empty, "empty", tmp_path / "d")
    assert not list((tmp_path / "d").rglob("*.parquet"))  # no snapshot of nothing
    run = CliRunner().invoke(main, ["collect", "--repo", str(empty), "--data", str(tmp_path / "e")])
    assert run.exit_code != 0 and f"{empty} holds no Kubernetes manifest" in run.output
    assert "point --repo at a GitOps repository checkout" in run.output
    # only broken files: the error names the first with its reason, and says to fix them
    (empty / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
                                  encoding="utf-8")
    with pytest.raises(CollectError, match=r"1 file could not be read, first a.yaml: duplicated key"):
        collect_repo(empty, "empty", tmp_path / "f")


def test_a_repository_of_documents_only_leaves_cluster_checks_unknown(tmp_path: Path) -> None:
    from readiness.assess.assessment import assess

    docs = build(tmp_path / "docs",
                 {"docs/runbooks/restore.md": "# Restore the database\n\n## Steps\n\n1. Stop writes.\n"})
    result = collect_repo(docs, "docs", tmp_path / "d")
    assert result.objects == 0
    assert "; no Kubernetes manifest: checks of cluster objects will be unknown" in result.summary()
    found = assess(tmp_path / "d").findings
    velero = found.filter(check_id="backup_velero_installed").row(0, named=True)
    assert velero["status"] == "unknown" and "the repository declares no Kubernetes object" in velero["reason"]
    rules = found.filter(check_id="obs_alert_rules_count").row(0, named=True)
    assert (rules["status"], rules["reason"].split(";")[0]) == ("unknown", "0 alert rules of 15 wanted")
    # a check of the repository's own documents is judged: the runbook is there, and read
    assert found.filter(check_id="backup_dr_runbook")["status"].to_list() == ["pass"]


def test_skipped_files_and_broken_links_are_printed_with_their_reason(tmp_path: Path) -> None:
    root = build(tmp_path / "r", {
        "apps/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: web}\n",
        "apps/dup.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
    })
    (root / "apps" / "gone.yaml").symlink_to("../nowhere.yaml")
    (root / "apps" / "same.yaml").symlink_to("web.yaml")  # a link inside the repository: read as web.yaml
    result = collect_repo(root, "r", tmp_path / "d")
    assert result.objects == 1
    assert dict(result.skipped) == {
        "apps/dup.yaml": "duplicated key: key 'name' appears twice (first on line 4) (line 5); "
                         "kubectl and Flux reject this file",
        "apps/gone.yaml": "a symbolic link to ../nowhere.yaml, which does not exist"}
    assert result.skipped_lines() == [
        "  r: skipped apps/dup.yaml:5: duplicated key: key 'name' appears twice (first on line 4); "
        "kubectl and Flux reject this file",
        "  r: skipped apps/gone.yaml: a symbolic link to ../nowhere.yaml, which does not exist"]
    run = CliRunner().invoke(main, ["collect", "--repo", str(root), "--data", str(tmp_path / "e")])
    assert run.exit_code == 0 and "; 2 files skipped (apps/dup.yaml, apps/gone.yaml)" in run.stdout
    assert "  r: skipped apps/dup.yaml:5: duplicated key" in run.stderr


def test_the_summary_counts_in_the_singular_and_plural() -> None:
    from readiness.collect.repo import RepoResult

    one = RepoResult("pro", "s", "deployed", objects=3, failed_builds=[("Kustomization flux-system/apps", "boom")],
                     skipped=[("a.yaml", "does not parse (line 2)")])
    assert "; 1 Kustomization does not build (Kustomization flux-system/apps); 1 file skipped (a.yaml)" in one.summary()
    two = RepoResult("pro", "s", "deployed", objects=3,
                     failed_builds=[("Kustomization a", "x"), ("Kustomization b", "y")])
    assert "; 2 Kustomizations do not build (Kustomization a ...)" in two.summary()


def test_a_skipped_file_named_like_a_secret_stays_readable_in_coverage(tmp_path: Path) -> None:
    repo = build(tmp_path / "lab", {
        "apps/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n",
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "charts/app/templates/external-secret-db.yaml": """
            apiVersion: external-secrets.io/v1beta1
            kind: ExternalSecret
            metadata: {name: {{ .Release.Name }}-db}
            """,
    })
    collect_repo(repo, "lab", tmp_path / "data")
    skipped = store.read(tmp_path / "data", "coverage").filter(pl.col("outcome") == "skipped")
    assert skipped["detail"].to_list() == ["charts/app/templates/external-secret-db.yaml: Helm chart template "
                                           "(render it with helm template to collect it)"]
