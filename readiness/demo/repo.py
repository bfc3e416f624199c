"""The demo fleet's GitOps repository, as the repo collector would describe it each week."""

from __future__ import annotations

from typing import Any

from readiness.demo import timeline as t
from readiness.demo.fleet import Obj, obj
from readiness.store.repofacts import REPO_API


def _workflow(path: str, triggers: list[str], jobs: list[dict[str, Any]]) -> Obj:
    return obj(REPO_API, "Workflow", path,
               spec={"system": "github-actions", "path": path, "triggers": triggers, "jobs": jobs})


def _job(name: str, does: list[str], environment: str | None = None, needs: list[str] | None = None) -> dict[str, Any]:
    return {"name": name, "does": does, "environment": environment, "needs": needs or []}


def workflows(week: int) -> list[Obj]:
    """The repository's GitHub Actions ``Workflow`` facts in ``week``: build and test from
    ``timeline.CI_BUILD_TEST``, their jobs growing (integration tests, coverage, Trivy, deploys) as ``timeline``
    lands them."""
    out = []
    if week >= t.CI_BUILD_TEST:
        test_does = ["build", "test", "unit-test"]
        if week >= t.INTEGRATION_TESTS:
            test_does.append("integration-test")
        if week >= min(t.COVERAGE):
            test_does.append("coverage")
        jobs = [_job("build", ["build"]), _job("test", test_does, needs=["build"])]
        if week >= t.TRIVY_IN_CI:
            jobs.append(_job("scan-image", ["image-scan"], needs=["build"]))
        out.append(_workflow(".github/workflows/build-and-test.yml", ["push", "pull_request"], jobs))
        scans = [_job("trivy-fs", ["image-scan"])] if week >= t.TRIVY_IN_CI else [_job("audit", ["build"])]
        if week >= t.SAST:  # SAST is Phase 2 work: never lands in the demo
            scans.append(_job("codeql", ["sast"]))
        out.append(_workflow(".github/workflows/security-scan.yml", ["push", "schedule"], scans))
    if week >= t.CI_DEPLOY:
        smoke = ["smoke-test"] if week >= t.SMOKE_TESTS else []
        # Deploys run after the build-and-test workflow succeeded (workflow_run); studio waits for approval.
        for cluster in ("air", "pro", "studio"):
            jobs = [_job("deploy", ["deploy", *smoke], environment=cluster)]
            if cluster == "studio":
                jobs.insert(0, _job("approve", ["approval"], environment="production"))
                jobs[1]["needs"] = ["approve"]
            out.append(_workflow(f".github/workflows/deploy-{cluster}.yml", ["workflow_run"], jobs))
        out.append(_workflow(".github/workflows/rollback.yml", ["workflow_dispatch"],
                             [_job("rollback", ["rollback", "deploy"], environment="production")]))
    if week >= t.PREVIEW_ENVS:
        out.append(_workflow(".github/workflows/preview.yml", ["pull_request"],
                             [_job("preview", ["preview", "deploy", "smoke-test"], environment="air")]))
    if week >= t.E2E_TESTS:
        e2e = [_job("playwright", ["e2e-test"]), _job("api-e2e", ["e2e-test"])]
        if week >= t.LOAD_TESTS:
            e2e.append(_job("k6", ["load-test"]))
        out.append(_workflow(".github/workflows/e2e.yml", ["workflow_run", "schedule"], e2e))
    return out


def _doc(path: str, title: str, kind: str, alerts: tuple[str, ...] = (), tested: str | None = None) -> Obj:
    return obj(REPO_API, "Document", path,
               spec={"path": path, "title": title, "type": kind, "covers": [], "answers_alerts": list(alerts),
                     "last_tested": tested, "recovery_targets": [], "runbooks": []})


def documents(week: int) -> list[Obj]:
    """The repository's ``Document`` facts in ``week``: architecture and topology from the start, guides,
    on-call and escalation documents and runbooks as they land (``timeline.RUNBOOKS``; tested from
    ``timeline.RUNBOOKS_TESTED``)."""
    out = [
        _doc("docs/architecture/overview.md", "Homelab architecture", "architecture"),
        _doc("docs/architecture/cluster-topology.md", "Cluster topology", "topology"),
        _doc("docs/architecture/network-design.md", "Network design: CIDRs and connectivity", "network"),
        _doc("docs/architecture/ai-agents.md", "AI agent architecture", "architecture"),
    ]
    if week >= 1:
        out.append(_doc("docs/guides/secret-management.md", "Secret Management Guide", "guide"))
    if week >= t.CI_DEPLOY:
        out.append(_doc("docs/guides/cicd-pipeline.md", "CI/CD Pipeline Guide", "guide"))
    if week >= t.PAGERDUTY_RECEIVER:
        out.append(_doc("docs/operations/on-call.md", "On-call procedures", "oncall"))
        out.append(_doc("docs/operations/escalation-matrix.md", "Escalation matrix", "escalation"))
    if week >= t.TROUBLESHOOTING:  # Phase 2 work: never lands in the demo
        out.append(_doc("docs/operations/troubleshooting.md", "Troubleshooting guide", "troubleshooting"))
    tested = t.collected_at(t.RUNBOOKS_TESTED).date().isoformat() if week >= t.RUNBOOKS_TESTED else None
    for landed, stem, title, alerts in t.RUNBOOKS:
        if week >= landed:
            out.append(_doc(f"docs/runbooks/{stem}.md", title, "runbook", alerts,
                            tested if landed <= t.RUNBOOKS_TESTED else None))
    return out


def repository(week: int) -> list[Obj]:
    """Every repository fact of week ``week``."""
    out = workflows(week) + documents(week)
    out.append(obj(REPO_API, "IaC", "pulumi", spec={"tool": "pulumi", "path": "infrastructure/pulumi", "files": 23}))
    if week >= t.RENOVATE:
        out.append(obj(REPO_API, "DependencyBot", "renovate.json", spec={"tool": "renovate", "path": "renovate.json"}))
    cov = [rate for w, rate in sorted(t.COVERAGE.items()) if week >= w]
    if cov:
        out.append(obj(REPO_API, "CoverageReport", "coverage.xml", spec={"path": "coverage.xml", "line_rate": cov[-1]}))
    return out
