"""Collecting a GitOps repository: the desired state as declared in Git, and the repository's facts.

Two views (``VIEWS``), recorded in every snapshot as a ``View`` fact (``readiness.store.repofacts``):

- ``deployed`` (``collect_deployed``): one snapshot per cluster the repository declares, holding
  what that cluster gets (``readiness.collect.deployed``): objects reached from its root through
  Flux Kustomizations and Argo CD Applications, each with the file it was declared in
  (annotation ``readiness.dev/source-path``) and what applied it (``readiness.dev/applied-by``);
  one ``Build`` fact per Kustomization/Application followed, with its error when it does not build;
  one ``Unapplied`` fact per manifest file that no cluster applies (``readiness.collect.unapplied``).
- ``files`` (``collect_repo``): every YAML document of the repository (or of ``--path`` dirs) as one
  snapshot of a named cluster, as the files are written.

Objects are stripped like live objects (``readiness.collect.sanitize``). A file that cannot be used
(broken YAML, a duplicated key, a Helm template, not UTF-8...) is a ``skipped`` coverage row with
its path and reason, never fatal; a Kustomization that fails to build is an ``error`` coverage row.
Repository facts (CI workflows, dependency bots, IaC, documents, Helm charts, coverage reports) come
from the whole repository in both views.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from readiness.collect import ci, facts, helmfacts, valuesfrom
from readiness.collect.catalogue import Resource
from readiness.collect.catalogue import load as load_catalogue
from readiness.collect.deployed import LOOKED_FOR, Cluster, Deployed, deployed, discover, root_name
from readiness.collect.kustomize import repo_path
from readiness.collect.live import snapshot_id
from readiness.collect.manifestfile import manifests
from readiness.collect.policy import version_of as policy_version
from readiness.collect.reader import YAML, Files, repo_names, walk
from readiness.collect.runbooks import rule_alerts
from readiness.collect.sanitize import fact_fields, row_fields
from readiness.collect.targets import check_name
from readiness.collect.unapplied import unapplied
from readiness.collect.writer import SnapshotWriter, check_target
from readiness.errors import CollectError
from readiness.store.repofacts import KINDS, REPO_API, UNFOLLOWED, VIEWS, RepoPaths

SOURCE_ANNOTATION = "readiness.dev/source-path"
APPLIED_BY_ANNOTATION = "readiness.dev/applied-by"
_TOP_API = re.compile(r"^apiVersion:\s*[\"']?([A-Za-z0-9.\-]+(?:/[A-Za-z0-9.\-]+)?)[\"']?\s*$", re.MULTILINE)
_LINE_AT_END = re.compile(r" \(line (\d+)\)(?=;|$)")
_TOP_KIND = re.compile(r"^kind:\s*[\"']?([A-Za-z][A-Za-z0-9]*)[\"']?\s*$", re.MULTILINE)
_NOT_ALERTS = frozenset({"Secret", "ServiceAccount", "ReplicaSet", "PersistentVolume", "StorageClass",
                         "ClusterRole", "ClusterRoleBinding", "RoleBinding", "ConfigMap", "GitHub", "GitLab",
                         "PagerDuty", "OpenTelemetry", "JavaScript", "TypeScript", "PostgreSQL", "MySQL"})
__all__ = ["VIEWS", "RepoResult", "collect_deployed", "collect_repo", "walk"]


@dataclass
class RepoResult:
    """How collecting one cluster's snapshot of a repository went."""

    cluster: str
    snapshot_id: str
    view: str = "files"
    objects: int = 0
    facts: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed_builds: list[tuple[str, str]] = field(default_factory=list)  # (Kustomization, error)
    unfollowed: list[str] = field(default_factory=list)  # "ApplicationSet ns/x in file (why)", see repofacts
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for the terminal: the view, the counts and the seconds, then what did not build,
        was not followed or was skipped."""
        line = f"{self.cluster}: repo ({self.view} view), {self.objects} manifests and {self.facts} repository " \
               f"facts in {self.seconds:.1f}s"
        if self.failed_builds:
            n = len(self.failed_builds)
            line += (f"; {n} Kustomization{'s do' if n > 1 else ' does'} not build ({self.failed_builds[0][0]}"
                     f"{' ...' if n > 1 else ''})")
        if self.unfollowed:
            n = len(self.unfollowed)
            line += (f"; {n} source{'s' if n > 1 else ''} not followed ({self.unfollowed[0].split(' (')[0]}"
                     f"{' ...' if n > 1 else ''})")
        if not self.objects:
            line += "; no Kubernetes manifest: checks of cluster objects will be unknown"
        if self.skipped:
            shown = ", ".join(p for p, _ in self.skipped[:3]) + (" ..." if len(self.skipped) > 3 else "")
            line += f"; {len(self.skipped)} file{'s' if len(self.skipped) > 1 else ''} skipped ({shown})"
        return line

    def skipped_lines(self, limit: int = 20) -> list[str]:
        """One line per skipped file, ``  air: skipped flux/a.yaml:8: duplicated key: ...`` (the line
        the reason names, when it names one), at most ``limit`` and then how many more."""
        out = []
        for rel, reason in self.skipped[:limit]:
            at = _LINE_AT_END.search(reason)
            place = f"{rel}:{at.group(1)}" if at else rel
            out.append(f"  {self.cluster}: skipped {place}: {_LINE_AT_END.sub('', reason) if at else reason}")
        if len(self.skipped) > limit:
            out.append(f"  {self.cluster}: and {len(self.skipped) - limit} more skipped files "
                       "(the snapshot's coverage rows name each with its reason)")
        return out


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def _relative(root: Path, sub: str, cluster: str) -> str:
    """``--path`` as a directory relative to the repository root (it may be given absolute)."""
    path = (root / sub).resolve()
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        raise CollectError(cluster, f"--path {sub} is outside the repository {root}") from None
    if not path.is_dir():
        raise CollectError(cluster, f"--path {sub} is not a directory of {root}", hint="give it relative to --repo")
    return rel


def _no_manifests(root: Path, prefixes: tuple[str, ...], skipped: list[str], reader: Files) -> str:
    """Why a files view found nothing to assess: where it looked, and the first skipped file with its reason."""
    where = f"{root}" + (f" (under {', '.join(p.rstrip('/') for p in prefixes)})" if prefixes != ("",) else "")
    text = (f"{where} holds no Kubernetes manifest (no YAML document with apiVersion and kind), no CI workflow "
            "and no document")
    if skipped:
        first = skipped[0]
        text += (f"; {len(skipped)} file{'s' if len(skipped) > 1 else ''} could not be read, first {first}: "
                 f"{reader.skipped[first][0]}")
    return text + ", so there is nothing to assess"


def _skipped_coverage(rel: str, reason: str, text: str) -> list[dict[str, Any]]:
    pairs = list(dict.fromkeys(zip(_TOP_API.findall(text), _TOP_KIND.findall(text), strict=False))) or [
        (REPO_API, "File")]
    return [{"api_version": av, "kind": kind, "outcome": "skipped", "count": 0, "detail": f"{rel}: {reason}"}
            for av, kind in pairs]


_RUNBOOKS_WORD = re.compile(r"^#{1,6}.*\b(?:runbooks?|playbooks?)\b", re.IGNORECASE | re.MULTILINE)


def _declared_alerts(reader: Files) -> frozenset[str]:
    """The alerts the repository's rules declare (PrometheusRules, Prometheus rule files, the chart values of
    HelmReleases and Applications: ``helmfacts.release_alerts``), in any YAML file outside CI directories: what
    a runbook inside a larger document may name (``readiness.collect.runbooks``)."""
    names: set[str] = set()
    for rel in reader.files:
        if rel.endswith(YAML) and not rel.startswith((".github/", ".gitlab", ".woodpecker")):
            for doc in reader.yaml(rel) or []:
                names.update(rule_alerts(doc))
                names.update(a["alert"] for a in helmfacts.release_alerts(doc))
    return frozenset(names)


def _repo_facts(root: Path, reader: Files, not_alerts: frozenset[str]) -> tuple[list[facts.Fact], list[str]]:
    """Facts of the whole repository, and the files they were read from (for coverage)."""
    files = reader.files
    found: list[facts.Fact] = [("Workflow", w["path"], w) for w in ci.workflows(root, files, reader.yaml)]
    found += facts.dependency_bots(set(files))
    found += facts.infrastructure(files)
    found += facts.charts(files, reader.yaml)
    markdown: dict[str, str] = {}
    for rel in files:
        if rel.lower().endswith(facts.MARKDOWN) and (text := reader.text(rel)) is not None:
            markdown[rel] = text
    declared = _declared_alerts(reader) if any(_RUNBOOKS_WORD.search(t) for t in markdown.values()) else frozenset()
    for rel in files:
        if rel in markdown:
            found.append(facts.document(rel, markdown[rel], not_alerts, declared))
        elif PurePosixPath(rel).name in facts.COVERAGE_FILES:
            report = facts.coverage_report(root, rel)
            if isinstance(report, str):
                reader.skipped[rel] = (report, "")
            else:
                found.append(report)
    return found, [f for f in files if f.startswith((".github/", ".gitlab", ".woodpecker"))]


class _Snapshot:
    """One cluster's snapshot being written: object rows, fact rows, coverage."""

    def __init__(self, data_dir: Path, cluster: str, sid: str, at: datetime,
                 by_kind: dict[tuple[str, str], Resource]) -> None:
        self.writer = SnapshotWriter(data_dir, cluster, sid, at, "repo",
                                     policy_version=policy_version(by_kind.values()))
        self.by_kind = by_kind
        self.counts: Counter[tuple[str, str]] = Counter()
        self.fact_counts: Counter[str] = Counter()
        self.coverage: list[dict[str, Any]] = []
        self.rules: list[tuple[str, dict[str, Any]]] = []
        # ("Kind ns/name", ref, alerts) of installers whose chart values declare alerts (``helmfacts.release_alerts``)
        self.values_rules: list[tuple[str, str, list[dict[str, Any]]]] = []
        self.applied_by: set[str] = set()
        self.values_seen: set[tuple[str, str, str]] = set()
        self.deployed = False  # the deployed view: what no cluster applies was looked for

    def add(self, obj: dict[str, Any], origin: str, index: int, applied_by: str | None = None) -> None:
        api_version, kind = obj["apiVersion"], obj["kind"]
        res = self.by_kind.get((_group(api_version), kind))
        meta: dict[str, Any] = dict(obj["metadata"]) if isinstance(obj.get("metadata"), dict) else {}
        if not meta.get("name"):  # a kustomization.yaml, or an object named by a generator
            meta["name"] = origin if index == 0 else f"{origin}#{index}"
        annotations = dict(meta["annotations"]) if isinstance(meta.get("annotations"), dict) else {}
        annotations[SOURCE_ANNOTATION] = origin
        if applied_by:
            annotations[APPLIED_BY_ANNOTATION] = applied_by
        meta["annotations"] = annotations
        obj = {**obj, "metadata": meta}
        if kind == "PrometheusRule" and isinstance(obj.get("spec"), dict):
            self.rules.append((f"{meta.get('namespace') or 'default'}/{meta['name']}", obj["spec"]))
        elif (origin, kind, meta["name"]) not in self.values_seen and (alerts := helmfacts.release_alerts(obj)):
            # alerts its chart's values declare; once per file and name (an ApplicationSet reached twice)
            self.values_seen.add((origin, kind, meta["name"]))
            ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
            self.values_rules.append((f"{kind} {meta.get('namespace') or 'default'}/{meta['name']}",
                                      f"{kind}/{ns}{meta['name']}", alerts))
        if applied_by:
            self.applied_by.add(applied_by)
        self.writer.add(api_version, kind, row_fields(obj, metadata_only=bool(res and res.metadata_only),
                                                      omit_paths=res.omit if res else (), keep=res.keep if res else (),
                                                      text=res.text if res else ()))
        self.counts[(api_version, kind)] += 1

    def _values_rules(self) -> list[tuple[str, dict[str, Any]]]:
        """The alerts of installers' chart values as rule specs for ``facts.runbook_links``, named by the
        installer's ref; an ApplicationSet's only when none of the Applications it generates is here (they
        carry its values)."""
        return [(ref, {"groups": [{"name": a["group"], "rules": [
                    {"alert": a["alert"], "annotations": {"runbook_url": a["runbook_url"]}}]} for a in alerts]})
                for by, ref, alerts in self.values_rules
                if not (by.startswith("ApplicationSet ") and by in self.applied_by)]

    def fact(self, kind: str, name: str, spec: dict[str, Any]) -> None:
        self.writer.add(REPO_API, kind, fact_fields(REPO_API, kind, name, spec))
        self.fact_counts[kind] += 1

    def finish(self, reader: Files, skipped: Sequence[str]) -> tuple[list[Path], list[tuple[str, str]]]:
        self.fact(*facts.runbook_links(self.rules + self._values_rules(), RepoPaths(reader.files),
                                       repo_names(reader.root)))
        self.fact(*facts.build_inputs(reader.root, reader.files))
        cov = [{"api_version": av, "kind": k, "outcome": "ok", "count": n, "detail": None}
               for (av, k), n in sorted(self.counts.items())]
        cov += [{"api_version": REPO_API, "kind": k, "outcome": "ok", "count": self.fact_counts[k], "detail": None}
                for k in KINDS if k != "Unapplied" or self.deployed]  # the files view reads every file
        shown = []
        for rel in sorted(skipped):
            reason, text = reader.skipped[rel]
            cov += _skipped_coverage(rel, reason, text)
            shown.append((rel, reason))
        return self.writer.finish(cov + self.coverage, "ok", None), shown


def _start(repo: Path | str, data_dir: Path | str, name_for_errors: str) -> tuple[Path, Path]:
    root, data = Path(repo).resolve(), Path(data_dir)
    if not root.is_dir():
        raise CollectError(name_for_errors, f"repository {repo} is not a directory",
                           hint="pass --repo PATH of a checkout")
    check_target(data)
    return root, data


def _not_alerts(by_kind: dict[tuple[str, str], Resource], counts: Counter[tuple[str, str]]) -> frozenset[str]:
    return frozenset(_NOT_ALERTS | {k for _, k in by_kind} | {k for _, k in counts})


def collect_repo(repo: Path | str, cluster: str, data_dir: Path | str, subdirs: Sequence[str] = (), *,
                 catalogue: Sequence[Resource] | None = None, now: datetime | None = None) -> RepoResult:
    """The files view: every YAML manifest under ``subdirs`` (default: the whole repository) as snapshot
    ``repo-...`` of ``cluster`` in ``data_dir``; facts from the whole repository.

    Raises ``CollectError`` for a bad cluster name, repository or ``--path``.
    """
    start = time.monotonic()
    check_name(cluster)
    root, data = _start(repo, data_dir, cluster)
    prefixes = tuple(_relative(root, sub, cluster) for sub in subdirs)
    prefixes = tuple("" if p == "." else p + "/" for p in prefixes) or ("",)
    at = now or datetime.now(UTC)  # to the microsecond: snapshot ids are unique even within a second
    result = RepoResult(cluster, snapshot_id("repo", at), "files")
    by_kind = {(r.group, r.kind): r for r in (load_catalogue() if catalogue is None else catalogue)}
    reader = Files(root)
    snap = _Snapshot(data, cluster, result.snapshot_id, at, by_kind)
    try:
        for rel in reader.files:
            if not rel.endswith(YAML) or not rel.startswith(prefixes) or rel.startswith(
                    (".github/", ".gitlab", ".woodpecker")):
                continue
            for i, obj in enumerate(manifests(reader.yaml(rel) or [])):
                snap.add(obj, rel, i)
        result.objects = snap.writer.count
        found, _ = _repo_facts(root, reader, _not_alerts(by_kind, snap.counts))
        skipped = [p for p in reader.skipped if p not in reader.links or p.startswith(prefixes)]
        if not result.objects and not found:
            raise CollectError(cluster, _no_manifests(root, prefixes, skipped, reader),
                               hint="point --repo at a GitOps repository checkout (Flux clusters/<name>/, Argo CD "
                                    "Applications or Kubernetes manifests)" + (", or fix the files named" if skipped
                                                                              else ""))
        for kind, name, spec in found:
            snap.fact(kind, name, spec)
        snap.fact("View", cluster, {"view": "files", "tool": None, "roots": [p.rstrip("/") or "." for p in prefixes],
                                    "renderer": None, "builds": 0, "failed_builds": 0})
        result.facts = len(found)
        result.files, result.skipped = snap.finish(reader, skipped)
    except BaseException:
        snap.writer.abort()
        raise
    result.seconds = time.monotonic() - start
    return result


def clusters(repo: Path | str) -> list[Cluster]:
    """The clusters repository ``repo`` declares (``readiness.collect.deployed.discover``)."""
    return discover(Files(Path(repo).resolve()))


def collect_deployed(repo: Path | str, data_dir: Path | str, only: Sequence[str] = (), *,
                     catalogue: Sequence[Resource] | None = None, now: datetime | None = None,
                     renderer: str = "auto", roots: Sequence[str] = ()) -> list[RepoResult]:
    """The deployed view: one snapshot per cluster the repository declares (``only``: just these). Every
    cluster is followed even with ``only``, so that each snapshot's ``Unapplied`` facts name the manifest
    files no cluster applies (``readiness.collect.unapplied``). ``roots`` (repository directories) declares
    the one cluster instead, whose Flux applies them first: named ``only[0]``, else as ``root_name`` says.

    Raises ``CollectError`` when the repository declares no cluster (use the files view), ``only``
    names one it does not declare, or a root is not a directory of the repository.
    """
    root, data = _start(repo, data_dir, only[0] if only else Path(repo).name)
    reader = Files(root)
    if roots:
        given = [_root_dir(root, r, only[0] if only else root.name) for r in roots]
        found = [Cluster(only[0] if only else root_name(given[0], [], root.name), "flux", tuple(given))]
    else:
        found = discover(reader)
    known = {c.name: c for c in found}
    if not found:
        raise CollectError(only[0] if only else root.name, f"{repo} declares no cluster (looked for {LOOKED_FOR})",
                           hint="name the directory its Flux applies first (--root DIR), "
                                "or collect the files view (--view files --cluster NAME)")
    for name in only:
        if name not in known:
            raise CollectError(name, f"{repo} declares no cluster {name}",
                               hint=f"it declares: {', '.join(known)}; or use --view files")
    at = now or datetime.now(UTC)  # to the microsecond: snapshot ids are unique even within a second
    sid = snapshot_id("repo", at)
    by_kind = {(r.group, r.kind): r for r in (load_catalogue() if catalogue is None else catalogue)}
    results = []
    repo_facts: list[facts.Fact] | None = None
    fact_files: list[str] = []
    views: dict[str, tuple[Deployed, set[str], float]] = {}
    for cluster in found:  # every cluster is followed: what none of them applies is a fact of each snapshot
        check_name(cluster.name)
        start = time.monotonic()
        reader.touched = set()
        got = deployed(reader, cluster, renderer)
        views[cluster.name] = (got, set(reader.touched), time.monotonic() - start)
    orphans = unapplied(reader, [v for v, _, _ in views.values()])
    for cluster in [known[n] for n in only] if only else found:
        got, touched, took = views[cluster.name]
        start = time.monotonic() - took
        result = RepoResult(cluster.name, sid, "deployed")
        snap = _Snapshot(data, cluster.name, sid, at, by_kind)
        try:
            _write_deployed(snap, got, result, [c.name for c in found])
            if repo_facts is None:
                repo_facts, fact_files = _repo_facts(root, reader, _not_alerts(by_kind, snap.counts))
            for kind, name, spec in repo_facts:
                snap.fact(kind, name, spec)
            snap.deployed = True
            for path, spec in orphans:
                snap.fact("Unapplied", path, spec)
            result.facts = len(repo_facts) + len(orphans)
            skipped = [p for p in reader.skipped if p in touched or p in fact_files]
            result.files, result.skipped = snap.finish(reader, skipped)
        except BaseException:
            snap.writer.abort()
            raise
        result.seconds = time.monotonic() - start
        results.append(result)
    return results


def _root_dir(repo: Path, given: str, cluster: str) -> str:
    """A ``--root`` as a repository path; ``CollectError`` unless it is a directory of the repository."""
    path = Path(given)
    if path.is_absolute():  # a directory of the checkout given by its full path
        path = path.resolve()
        rel = repo_path(path.relative_to(repo).as_posix()) if path.is_relative_to(repo) else "/.."
    else:
        rel = repo_path(given)
    if rel.startswith("/..") or not (repo / rel).is_dir():
        raise CollectError(cluster, f"root {given} is not a directory of {repo}",
                           hint="give a directory relative to the repository, such as kubernetes/flux/cluster")
    return rel


def _write_deployed(snap: _Snapshot, got: Deployed, result: RepoResult, fleet: list[str]) -> None:
    index: Counter[str] = Counter()
    valuesfrom.resolve([obj for obj, _, _ in got.objects])  # chart values kept in ConfigMaps become facts too
    for obj, origin, by in got.objects:
        snap.add(obj, origin, index[origin], by)
        index[origin] += 1
    result.objects = snap.writer.count
    renderers = sorted({b.renderer for b in got.builds if b.renderer and b.renderer != "none"})
    for i, b in enumerate(got.builds):
        snap.fact("Build", f"{i:03d} {b.by}", b.spec())
        if b.error:
            result.failed_builds.append((b.by, b.error))
            snap.coverage.append({"api_version": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                                  "outcome": "error", "count": 0,
                                  "detail": f"{b.by} (path {b.path}): does not build: {b.error}"})
        if b.unfollowed:
            result.unfollowed.append(f"{b.by} in {b.origin} ({b.unfollowed})")
            flux = b.by.startswith("Kustomization ")
            snap.coverage.append({"api_version": "kustomize.toolkit.fluxcd.io/v1" if flux else "argoproj.io/v1alpha1",
                                  "kind": b.by.split(" ")[0],
                                  "outcome": "partial", "count": 0,
                                  "detail": f"{b.by} in {b.origin}{UNFOLLOWED}{b.unfollowed}"})
    c = got.cluster
    snap.fact("View", c.name, {"view": "deployed", "tool": c.tool, "roots": list(c.roots), "renderer": renderers,
                               "builds": len(got.builds), "failed_builds": len(result.failed_builds),
                               "unfollowed": len(result.unfollowed), "clusters": fleet})
