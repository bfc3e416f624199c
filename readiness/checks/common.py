"""Small readers shared by the check families."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from readiness.checks.base import Evidence, Item, Result, failed, mapping, passed, unknown, whole
from readiness.repofacts import REPO_API

REPO_GROUP = REPO_API.split("/")[0]
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def workloads(ev: Evidence) -> list[Item]:
    """Every Deployment, StatefulSet and DaemonSet of the cluster."""
    return [w for kind in WORKLOAD_KINDS for w in ev.items("apps", kind)]


def ready_count(w: Item) -> tuple[int, int]:
    """(ready, desired) replicas of a workload."""
    st = mapping(w, "status", w.status)
    if w.kind == "DaemonSet":
        return (whole(w, "status.numberReady", st.get("numberReady"), 0),
                whole(w, "status.desiredNumberScheduled", st.get("desiredNumberScheduled"), 0))
    return (whole(w, "status.readyReplicas", st.get("readyReplicas"), 0),
            whole(w, "spec.replicas", mapping(w, "spec", w.spec).get("replicas"), 1))


def app_name(w: Item) -> str:
    return str(w.labels.get("app.kubernetes.io/name") or w.labels.get("app") or w.name)


def running(ev: Evidence, apps: Iterable[str]) -> list[Item]:
    """Workloads whose app name (label, else object name) is one of ``apps`` with >= 1 ready replica."""
    wanted = set(apps)
    return [w for w in workloads(ev) if (app_name(w) in wanted or w.name in wanted) and ready_count(w)[0] > 0]


def workload_present(ev: Evidence, role: str, apps: Iterable[str]) -> Result:
    """Pass when a workload filling ``role`` (any of ``apps``) runs."""
    apps = list(apps)
    found = running(ev, apps)
    if found:
        return passed(f"{role} running: {', '.join(sorted({w.ref for w in found}))}", [w.ref for w in found])
    if ev.unreadable(("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet")):
        return unknown("workloads could not be read")
    return failed(f"no {role} running (looked for {', '.join(apps)})")


def repo(ev: Evidence, kind: str) -> list[Item]:
    """Repository facts of ``kind`` (Workflow, Document, DependencyBot, IaC, CoverageReport)."""
    return ev.items(REPO_GROUP, kind)


def jobs(ev: Evidence) -> list[tuple[Item, dict[str, Any]]]:
    """(workflow, job) pairs of every CI workflow in the repository."""
    return [(wf, job) for wf in repo(ev, "Workflow") for job in (wf.spec or {}).get("jobs", [])]


def jobs_doing(ev: Evidence, activity: str) -> list[str]:
    """``path#job`` of every CI job that does ``activity``."""
    return [f"{wf.name}#{job['name']}" for wf, job in jobs(ev) if activity in job.get("does", [])]


def documents(ev: Evidence, *types: str) -> list[Item]:
    """Documents in the repository of the given types."""
    return [d for d in repo(ev, "Document") if (d.spec or {}).get("type") in types]


def attested(ev: Evidence, fact: str, what: str) -> Result:
    """Pass on a valid attestation of ``fact``; unknown when it expired; fail when none was made."""
    a = ev.attestation(fact)
    if a is None:
        return failed(f"no attestation that {what}")
    if not a.valid_on(ev.day):
        return unknown(f"attestation that {what} expired on {a.expires}", [f"attestation/{fact}"])
    return passed(f"{what}: attested by {a.by} on {a.made}", [f"attestation/{fact}", a.evidence])


def listing(names: Iterable[str], limit: int = 3) -> str:
    """``a, b, c and 2 more``: names for a one-line reason."""
    names = list(names)
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def job_present(ev: Evidence, activity: str, what: str) -> Result:
    """Pass when a CI job does ``activity``; unknown when the workflows could not be read."""
    found = jobs_doing(ev, activity)
    if found:
        return passed(f"{what}: {listing(found)}", found)
    if ev.unreadable((REPO_GROUP, "Workflow")):
        return unknown("CI workflows could not be read")
    return failed(f"no CI job does {activity} ({len(repo(ev, 'Workflow'))} workflow(s) in the repository)")
