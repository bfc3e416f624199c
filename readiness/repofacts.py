"""Repository facts: what a GitOps repository shows that no cluster does.

The repo collector (``readiness collect --repo``) and the demo fleet both emit these as object
rows with ``api_version == REPO_API`` and one of the kinds below, so checks read them like any
other object. ``name`` is the path in the repository (or the tool's name for ``IaC``).

``spec`` shapes (JSON):

- ``Workflow``: ``{"system": "github-actions"|"gitlab-ci"|"woodpecker", "path", "triggers": [str],
  "jobs": [{"name", "does": [ACTIVITY...], "environment": str|None, "needs": [str]}]}``; jobs may
  also carry ``calls`` (GitHub: reusable workflows of this repository it calls; their activities
  are in ``does``), ``stage``, ``manual`` and ``manual_rules`` (GitLab: the ``rules: if:`` under
  which it waits for a person), ``branches`` (Woodpecker). A reusable GitHub workflow has the
  trigger ``workflow_call``. GitLab ``needs`` without an explicit list are the jobs of
  the earlier stages.
- ``DependencyBot``: ``{"tool": "renovate"|"dependabot", "path"}``
- ``IaC``: ``{"tool": "pulumi"|"terraform", "path", "files": int}``
- ``Document``: ``{"path", "title", "type": DOC_TYPE, "answers_alerts": [str],
  "last_tested": "YYYY-MM-DD"|None}``
- ``CoverageReport``: ``{"path", "line_rate": float in [0, 1]}``
- ``Chart``: ``{"path", "name", "version", "dependencies": [{"name", "version", "alias", "condition"}]}``:
  a Helm chart of the repository; its dependencies are components it declares (facts, not objects).
- ``RunbookLinks`` (one per snapshot, name ``runbook_url``): ``{"alerts": int (alerts of the
  snapshot's PrometheusRules), "links": [{"rule": "ns/name", "alert", "url", "outcome":
  LINK_OUTCOME, "target": repository file | None}]}``, one link per alert carrying a runbook_url.
- ``View`` (one per snapshot, name = the cluster): ``{"view": "deployed"|"files", "tool":
  "flux"|"argocd"|None, "roots": [path], "renderer": [str] | None, "builds": int, "failed_builds": int}``.
- ``Build`` (deployed view, one per cluster root, Flux Kustomization or Argo CD Application followed):
  ``{"by", "path", "source", "renderer", "objects": int, "ok": bool, "error": str|None,
  "depends_on": [str], "substitute": [variable name], "notes": [str]}``.

Objects of a repo snapshot carry the annotations ``readiness.dev/source-path`` (the file that
declared them) and, in the deployed view, ``readiness.dev/applied-by`` (the Kustomization or
Application that applies them).
"""

from __future__ import annotations

REPO_API = "repo.readiness.dev/v1"

KINDS = ("Workflow", "DependencyBot", "IaC", "Document", "CoverageReport", "Chart", "RunbookLinks", "View", "Build")
VIEWS = ("deployed", "files")
# Where an alert's runbook_url points (``RunbookLinks``).
LINK_OUTCOMES = ("resolves", "missing-here", "other-repository", "placeholder", "external")

# What a CI job does, as detected from its steps.
ACTIVITIES = (
    "build",
    "test",
    "unit-test",
    "integration-test",
    "e2e-test",
    "load-test",
    "smoke-test",
    "coverage",
    "image-scan",
    "sast",
    "deploy",
    "approval",
    "rollback",
    "preview",
)

DOC_TYPES = (
    "runbook",
    "architecture",
    "topology",
    "network",
    "guide",
    "oncall",
    "escalation",
    "troubleshooting",
    "other",
)
