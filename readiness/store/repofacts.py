"""Repository facts: what a GitOps repository shows that no cluster does.

The repo collector (``readiness collect --repo``) and the demo fleet both emit these as object
rows with ``api_version == REPO_API`` and one of the kinds below, so checks read them like any
other object. ``name`` is the path in the repository (or the tool's name for ``IaC``).

``spec`` shapes (JSON):

- ``Workflow``: ``{"system": "github-actions"|"gitlab-ci"|"woodpecker", "path", "triggers": [str],
  "jobs": [{"name", "does": [ACTIVITY...], "environment": str|None, "needs": [str]}]}``; jobs may
  also carry ``sast`` (GitHub: [{"tool", "analyser", "config", "blocking"}], linters whose configuration in
  the repository enables a security analyser, ``readiness.collect.lintconfig``), ``calls`` (GitHub:
  reusable workflows of this repository it calls; their activities are in ``does``), ``stage``,
  ``manual``, ``manual_rules`` and ``auto_rules`` (GitLab: the ``rules: if:`` under which it waits for
  a person, and those under which it runs by itself),
  ``branches`` (Woodpecker). A reusable GitHub workflow has the trigger ``workflow_call``. GitLab
  ``needs`` without an explicit list are the jobs of the earlier stages.
- ``DependencyBot``: ``{"tool": "renovate"|"dependabot", "path"}``
- ``IaC``: ``{"tool": "pulumi"|"terraform", "path", "files": int}``
- ``Document``: ``{"path", "title", "type": DOC_TYPE, "covers": [topic], "answers_alerts": [str],
  "last_tested": "YYYY-MM-DD"|None, "recovery_targets": [{"line", "section", "subject", "rto_hours",
  "rpo_hours", "planned": bool}]}``: the RTO/RPO targets it declares, in hours, one per table row or
  list (``readiness.collect.recovery``); ``planned`` when they sit under planned work ("Week 2", "Deliverables").
  ``runbooks``: ``[{"heading", "line", "answers_alerts": [str]}]``, the procedures under a "Runbooks" heading,
  each a runbook of its own (``readiness.collect.runbooks``); their alerts are in the document's ``answers_alerts``.
- ``CoverageReport``: ``{"path", "line_rate": float in [0, 1]}``
- ``Chart``: ``{"path", "name", "version", "dependencies": [{"name", "version", "alias", "condition"}]}``:
  a Helm chart of the repository; its dependencies are components it declares (facts, not objects).
- ``RunbookLinks`` (one per snapshot, name ``runbook_url``): ``{"alerts": int (alerts of the
  snapshot's PrometheusRules and of the chart values of its HelmReleases and Argo CD Applications), "links":
  [{"rule": "ns/name" (a PrometheusRule) | "Kind/ns/name" (the HelmRelease or Application whose values declare
  the alert, ``readiness.collect.helmfacts.release_alerts``), "alert", "url", "outcome": LINK_OUTCOME, "target":
  repository file | None}]}``, one link per alert carrying a runbook_url.
- ``View`` (one per snapshot, name = the cluster): ``{"view": "deployed"|"files", "tool":
  "flux"|"argocd"|None, "roots": [path], "renderer": [str] | None, "builds": int, "failed_builds": int,
  "unfollowed": int, "clusters": [str]}`` (deployed view: Argo CD sources not followed, see ``UNFOLLOWED``;
  every cluster the repository declares, this one among them).
- ``Build`` (deployed view, one per cluster root, Flux Kustomization or Argo CD Application followed):
  ``{"by", "path", "source", "renderer", "objects": int, "ok": bool, "error": str|None,
  "depends_on": [str], "substitute": [variable name], "notes": [str], "origin": file | None,
  "unfollowed": str | None, "hides": [kind] | None, "components": [path], "patches": int}``; ``unfollowed``
  says why an Argo CD source was not followed; ``hides``, for a Kustomization that does not build, the kinds it
  could hold beyond the objects read of it anyway (``ANY_KIND`` for any); ``components``, the components a Flux
  Kustomization adds to its build (repository paths), ``patches`` how many patches its spec adds.
- ``BuildInputs`` (one per snapshot, name ``build-inputs``): ``{"files": [path] (the first 20), "count": int,
  "looked_for": [str]}``: the files something is built from (Dockerfiles, build configurations such as go.mod
  or package.json, a Makefile with a build target, compiled source code; ``readiness.collect.facts``); a
  repository of manifests only has none, and nothing for CI to build.
- ``Unapplied`` (deployed view, one per manifest file that no cluster of the repository applies, name = its
  path; ``readiness.collect.unapplied``): ``{"path", "kinds": [{"api_version", "kind", "count"}], "alerts": int
  (alerting rules of its PrometheusRules), "names": [component names of its HelmReleases, Applications,
  workloads...]}``. Kinds and counts only, never a value.

Objects of a repo snapshot carry the annotations ``readiness.dev/source-path`` (the file that
declared them) and, in the deployed view, ``readiness.dev/applied-by`` (the Kustomization or
Application that applies them).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

REPO_API = "repo.readiness.dev/v1"

# Coverage detail of an Argo CD Application / ApplicationSet whose source the deployed view could not follow
# (outcome ``partial``): ``"<Kind ns/name> in <file>" + UNFOLLOWED + "<why>"``.
UNFOLLOWED = ": not followed: "

# In a ``Build`` fact's ``hides`` (the kinds a Kustomization that does not build could hold beyond what was
# read of it anyway): any kind.
ANY_KIND = "*"

# Repository directories that show how to use the project or test it, not what it deploys: examples,
# documentation, test fixtures, development scripts (hack/). Their manifests are read in the files view
# (every YAML document as written) but declare no cluster for the deployed view and are no GitOps evidence.
NOT_DEPLOYED = re.compile(r"(^|/)(examples?|docs?|tests?|testdata|fixtures|e2e|hack)/")


# Paging services an Alertmanager webhook receiver may post to, recognised by the URL's host and path:
# (service, host pattern, path prefix). A webhook to one of them pages as its own receiver type would.
PAGING_WEBHOOKS = (
    ("grafana_oncall", re.compile(r"(^|\.)grafana\.net$|oncall"), "/integrations/v1/"),
    ("pagerduty", re.compile(r"(^|\.)pagerduty\.com$"), ""),
    ("opsgenie", re.compile(r"(^|\.)opsgenie\.(com|eu)$"), ""),
    ("victorops", re.compile(r"(^|\.)victorops\.com$"), ""),
    ("squadcast", re.compile(r"(^|\.)squadcast\.com$"), ""),
    ("ilert", re.compile(r"(^|\.)ilert\.(com|eu)$"), ""),
    ("incident_io", re.compile(r"(^|\.)incident\.io$"), ""),
)


def paging_webhook(url: object) -> str | None:
    """The paging service (``PAGING_WEBHOOKS``) a webhook ``url`` posts to, or None: only the service's
    name is ever kept, never the URL (its path often holds the integration's token)."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host, path = (parts.hostname or "").lower(), parts.path or ""
    for service, hosts, prefix in PAGING_WEBHOOKS:
        if host and hosts.search(host) and path.startswith(prefix):
            return service
    return None


def not_deployed(path: str) -> bool:
    """Whether a repository path lies under an examples, docs or test-fixture directory (``NOT_DEPLOYED``)."""
    return bool(NOT_DEPLOYED.search(path))


# Annotations of a deployed-view object declared only for clusters carrying labels no cluster of the
# repository shows (an ApplicationSet whose cluster generators select by labels, and what it generates):
# the labels as a set-based selector ("enable_velero in (true), aws_cluster_name": no "key=value", which the
# sanitizer scrubs when the key looks secret) and where the selector says so (the file, and the line apart).
LABELS_ANNOTATION = "readiness.dev/only-clusters-labelled"
LABELS_AT_ANNOTATION = "readiness.dev/only-clusters-labelled-file"
LABELS_LINE_ANNOTATION = "readiness.dev/only-clusters-labelled-line"

KINDS = ("Workflow", "DependencyBot", "IaC", "Document", "CoverageReport", "Chart", "RunbookLinks", "View", "Build",
         "BuildInputs", "Unapplied")
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
    "validate",  # manifests checked against schemas or policies (kubeconform, flux-local, conftest, checkov, ...)
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


_PLACEHOLDER = re.compile(r"example\.(?:com|org|net)|your[-_]?(?:org|company|domain|repo)|\.local(?:[:/]|$)|"
                          r"localhost|\btodo\b|changeme|\{\{|\$\{|<[a-z_-]+>", re.I)
_FORGE = re.compile(r"^https?://(?:www\.)?(github\.com|gitlab\.com|codeberg\.org|bitbucket\.org)/([^/]+)/([^/#?]+)"
                    r"(?:/-)?(?:/(?:blob|tree|src|raw)/[^/]+)?(/[^#?]*)?")


class RepoPaths:
    """The files of a repository, found as a link would find them: any case, with or without ``.md``, a
    directory's ``README.md``/``_index.md``/``index.md``, or under Hugo's ``content/``."""

    def __init__(self, files: list[str] | tuple[str, ...]) -> None:
        self.lower = {f.lower(): f for f in files}

    def find(self, path: str) -> str | None:
        """The repository file a link's ``path`` names (as the class docstring says; ``.html`` dropped), in
        its own case; a unique file ending in ``/path`` otherwise; None when none or several."""
        want = path.strip("/").lower()
        want = re.sub(r"\.html?$", "", want)
        if not want:
            return None
        for base in (want, f"content/{want}"):
            for cand in (base, f"{base}.md", f"{base}/readme.md", f"{base}/_index.md", f"{base}/index.md"):
                if cand in self.lower:
                    return self.lower[cand]
        tails = [f for lf, f in self.lower.items() if lf.endswith("/" + want) or lf.endswith("/" + want + ".md")]
        return tails[0] if len(tails) == 1 else None


def _names_this_repository(owner: str, name: str, repo_names: frozenset[str]) -> bool:
    name = name.lower().removesuffix(".git")
    return name in repo_names or f"{owner.lower()}-{name}" in repo_names or f"{owner.lower()}/{name}" in repo_names


def link_outcome(url: str, paths: RepoPaths, repo_names: frozenset[str] | None) -> tuple[str, str | None]:
    """(outcome in ``LINK_OUTCOMES``, the repository file it resolves to) of one runbook URL.

    ``repo_names`` are the names this repository goes by (its directory name, its remote's
    ``owner/name``): a forge URL naming it resolves against the files, and is ``missing-here`` when
    the file is not there; a forge URL naming another repository is ``other-repository``. With
    ``repo_names`` None (not known), every forge URL is tried against the files.
    """
    url = url.strip()
    if not url or _PLACEHOLDER.search(url):
        return "placeholder", None
    m = _FORGE.match(url)
    if m:
        owner, name, rest = m.group(2), m.group(3), m.group(4) or ""
        if repo_names is not None and not _names_this_repository(owner, name, repo_names):
            return "other-repository", None
        found = paths.find(rest)
        return ("resolves", found) if found else ("missing-here", None)
    if "://" not in url:
        found = paths.find(url.split("#")[0])
        return ("resolves", found) if found else ("missing-here", None)
    path = re.sub(r"^\w+://[^/]+", "", url).split("#")[0].split("?")[0]
    found = paths.find(path) if path.strip("/") else None
    return ("resolves", found) if found else ("external", None)
