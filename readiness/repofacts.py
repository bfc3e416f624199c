"""Repository facts: what a GitOps repository shows that no cluster does.

The repo collector (``readiness collect --repo``) and the demo fleet both emit these as object
rows with ``api_version == REPO_API`` and one of the kinds below, so checks read them like any
other object. ``name`` is the path in the repository (or the tool's name for ``IaC``).

``spec`` shapes (JSON):

- ``Workflow``: ``{"system": "github-actions"|"gitlab-ci"|..., "path", "triggers": [str],
  "jobs": [{"name", "does": [ACTIVITY...], "environment": str|None, "needs": [str]}]}``
- ``DependencyBot``: ``{"tool": "renovate"|"dependabot", "path"}``
- ``IaC``: ``{"tool": "pulumi"|"terraform", "path", "files": int}``
- ``Document``: ``{"path", "title", "type": DOC_TYPE, "answers_alerts": [str],
  "last_tested": "YYYY-MM-DD"|None}``
- ``CoverageReport``: ``{"path", "line_rate": float in [0, 1]}``
"""

from __future__ import annotations

REPO_API = "repo.readiness.dev/v1"

KINDS = ("Workflow", "DependencyBot", "IaC", "Document", "CoverageReport")

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
