"""Collecting a GitOps repository: the desired state as declared in Git, and the repository's facts.

Every YAML document with ``apiVersion`` and ``kind`` becomes an object row with ``source = repo``
(Kustomize bases and HelmReleases included), stripped like live objects (HelmRelease values
redacted). A file that does not parse, or a Helm (Go) template, is recorded in coverage as
``skipped`` with its path, never fatal. Repository facts (CI workflows, dependency bots, IaC,
documents, coverage reports) become rows of ``readiness.repofacts.REPO_API``.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from readiness.collect import ci, facts
from readiness.collect.catalogue import Resource
from readiness.collect.catalogue import load as load_catalogue
from readiness.collect.live import snapshot_id
from readiness.collect.policy import version_of as policy_version
from readiness.collect.sanitize import fact_fields, row_fields
from readiness.collect.targets import check_name
from readiness.collect.writer import SnapshotWriter, check_target
from readiness.collect.yamlfile import is_helm_template, load_all, problem
from readiness.errors import CollectError
from readiness.repofacts import KINDS, REPO_API

SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", "vendor", ".tox",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache"})
SHOWN_HIDDEN = frozenset({".github", ".gitlab"})
MAX_BYTES = 10 * 1024 * 1024
YAML = (".yaml", ".yml")
_TOP_API = re.compile(r"^apiVersion:\s*[\"']?([A-Za-z0-9.\-]+(?:/[A-Za-z0-9.\-]+)?)[\"']?\s*$", re.MULTILINE)
_TOP_KIND = re.compile(r"^kind:\s*[\"']?([A-Za-z][A-Za-z0-9]*)[\"']?\s*$", re.MULTILINE)
_NOT_ALERTS = frozenset({"Secret", "ServiceAccount", "ReplicaSet", "PersistentVolume", "StorageClass",
                         "ClusterRole", "ClusterRoleBinding", "RoleBinding", "ConfigMap", "GitHub", "GitLab",
                         "PagerDuty", "OpenTelemetry", "JavaScript", "TypeScript", "PostgreSQL", "MySQL"})


@dataclass
class RepoResult:
    """How collecting a repository went."""

    cluster: str
    snapshot_id: str
    objects: int = 0
    facts: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        line = f"{self.cluster}: repo, {self.objects} manifests and {self.facts} repository facts " \
               f"in {self.seconds:.1f}s"
        if self.skipped:
            shown = ", ".join(p for p, _ in self.skipped[:3]) + (" ..." if len(self.skipped) > 3 else "")
            line += f"; {len(self.skipped)} files skipped ({shown})"
        return line


def walk(root: Path) -> list[str]:
    """Repository-relative POSIX paths of its files, without VCS, dependency and cache directories."""
    out = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and (not d.startswith(".") or d in SHOWN_HIDDEN))
        rel = Path(here).relative_to(root)
        # Symbolic links are not followed: they could point outside the repository.
        out += [(rel / f).as_posix() for f in files if (Path(here) / f).is_file() and not (Path(here) / f).is_symlink()]
    return sorted(out)


def _in_chart_templates(root: Path, rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    return any(parts[i] == "templates" and (root.joinpath(*parts[:i]) / "Chart.yaml").is_file()
               for i in range(len(parts) - 1))


class _Files:
    """Reads repository files once, recording the ones that cannot be used."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.skipped: list[tuple[str, str, str]] = []  # (path, reason, raw text for kind detection)
        self._yaml: dict[str, list[Any] | None] = {}

    def text(self, rel: str) -> str | None:
        path = self.root / rel
        try:
            if path.stat().st_size > MAX_BYTES:
                self.skipped.append((rel, f"larger than {MAX_BYTES // 2**20} MiB", ""))
                return None
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.skipped.append((rel, "not UTF-8 text", ""))
        except OSError as err:
            self.skipped.append((rel, f"unreadable: {err.strerror}", ""))
        return None

    def yaml(self, rel: str) -> list[Any] | None:
        if rel not in self._yaml:
            self._yaml[rel] = self._load(rel)
        return self._yaml[rel]

    def _load(self, rel: str) -> list[Any] | None:
        text = self.text(rel)
        if text is None:
            return None
        if is_helm_template(text) or ("{{" in text and _in_chart_templates(self.root, rel)):
            self.skipped.append((rel, "Go template (render it with helm template to collect it)", text))
            return None
        try:
            return load_all(text)
        except yaml.YAMLError as err:
            reason = problem(err) + (" (a Go template?)" if "{{" in text else "")
            self.skipped.append((rel, reason, text))
            return None


def _manifests(docs: list[Any]) -> list[dict[str, Any]]:
    out = []
    for doc in docs:
        if not isinstance(doc, dict) or not isinstance(doc.get("apiVersion"), str) or not isinstance(
                doc.get("kind"), str):
            continue
        items = doc.get("items")
        if doc["kind"].endswith("List") and isinstance(items, list):
            out += _manifests(items)
        else:
            out.append(doc)
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


def _skipped_coverage(rel: str, reason: str, text: str) -> list[dict[str, Any]]:
    pairs = list(dict.fromkeys(zip(_TOP_API.findall(text), _TOP_KIND.findall(text), strict=False))) or [
        (REPO_API, "File")]
    return [{"api_version": av, "kind": kind, "outcome": "skipped", "count": 0, "detail": f"{rel}: {reason}"}
            for av, kind in pairs]


def collect_repo(repo: Path | str, cluster: str, data_dir: Path | str, subdirs: Sequence[str] = (), *,
                 catalogue: Sequence[Resource] | None = None, now: datetime | None = None) -> RepoResult:
    """Collect the GitOps repository at ``repo`` as snapshot ``repo-...`` of ``cluster`` into ``data_dir``.

    Manifests are read under ``subdirs`` (default: the whole repository); facts from the whole repository.
    """
    start = time.monotonic()
    root, data_dir = Path(repo).resolve(), Path(data_dir)
    check_name(cluster)
    if not root.is_dir():
        raise CollectError(cluster, f"repository {repo} is not a directory", hint="pass --repo PATH of a checkout")
    prefixes = tuple(_relative(root, sub, cluster) for sub in subdirs)
    prefixes = tuple("" if p == "." else p + "/" for p in prefixes) or ("",)
    check_target(data_dir)
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    result = RepoResult(cluster, snapshot_id("repo", at))
    by_kind = {(r.group, r.kind): r for r in (load_catalogue() if catalogue is None else catalogue)}
    files = walk(root)
    reader = _Files(root)
    writer = SnapshotWriter(data_dir, cluster, result.snapshot_id, at, "repo",
                            policy_version=policy_version(by_kind.values()))
    counts: Counter[tuple[str, str]] = Counter()
    try:
        for rel in files:
            if not rel.endswith(YAML) or not rel.startswith(prefixes) or rel.startswith((".github/", ".gitlab")):
                continue
            for i, obj in enumerate(_manifests(reader.yaml(rel) or [])):
                api_version, kind = obj["apiVersion"], obj["kind"]
                res = by_kind.get((_group(api_version), kind))
                meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
                if not meta.get("name"):  # a kustomization.yaml, or an object named by a generator
                    obj["metadata"] = {**meta, "name": rel if i == 0 else f"{rel}#{i}"}
                fields = row_fields(obj, metadata_only=bool(res and res.metadata_only),
                                    omit_paths=res.omit if res else (), keep=res.keep if res else (),
                                    text=res.text if res else ())
                writer.add(api_version, kind, fields)
                counts[(api_version, kind)] += 1
        result.objects = writer.count
        not_alerts = _NOT_ALERTS | {k for _, k in by_kind} | {k for _, k in counts}
        found: list[facts.Fact] = [("Workflow", w["path"], w) for w in ci.workflows(root, files, reader.yaml)]
        found += facts.dependency_bots(set(files))
        found += facts.infrastructure(files)
        for rel in files:
            if rel.lower().endswith(facts.MARKDOWN) and (text := reader.text(rel)) is not None:
                found.append(facts.document(rel, text, frozenset(not_alerts)))
            elif PurePosixPath(rel).name in facts.COVERAGE_FILES:
                report = facts.coverage_report(root, rel)
                if isinstance(report, str):
                    reader.skipped.append((rel, report, ""))
                else:
                    found.append(report)
        for kind, name, spec in found:
            writer.add(REPO_API, kind, fact_fields(REPO_API, kind, name, spec))
        result.facts = len(found)
        fact_counts = Counter(kind for kind, _, _ in found)
        coverage = [{"api_version": av, "kind": k, "outcome": "ok", "count": n, "detail": None}
                    for (av, k), n in sorted(counts.items())]
        coverage += [{"api_version": REPO_API, "kind": k, "outcome": "ok", "count": fact_counts[k], "detail": None}
                     for k in KINDS]
        for rel, reason, text in reader.skipped:
            coverage += _skipped_coverage(rel, reason, text)
        result.skipped = [(rel, reason) for rel, reason, _ in reader.skipped]
        result.files = writer.finish(coverage, "ok", None)
    except BaseException:
        writer.abort()
        raise
    result.seconds = time.monotonic() - start
    return result
