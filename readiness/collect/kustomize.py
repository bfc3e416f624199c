"""Building a directory of a repository the way Flux's kustomize-controller does, into objects.

A directory with a ``kustomization.yaml`` is rendered with ``kubectl kustomize`` when ``kubectl`` is
on PATH (renderer ``kubectl``), else by a built-in reader of its ``resources:``/``bases:``/
``components:`` and ``namespace:`` (renderer ``builtin``: patches, generators and name prefixes are
not applied). A directory without one is read as Flux generates it: every YAML manifest below it,
a subdirectory with its own kustomization.yaml built as such (renderer ``directory``).

Every object carries the repository file it was declared in (``origin``): read directly with the
built-in reader, matched by kind and name for kubectl's output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from readiness.collect.manifestfile import load_all, manifests, problem
from readiness.collect.reader import YAML, Files
from readiness.store.repofacts import ANY_KIND

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Fields of a kustomization.yaml whose output the built-in reader does not produce, and the kinds they make.
UNREAD_FIELDS = {"configMapGenerator": "ConfigMap", "secretGenerator": "Secret", "helmCharts": ANY_KIND,
                 "helmChartInflationGenerator": ANY_KIND, "generators": ANY_KIND, "transformers": ANY_KIND}
RENDERERS = ("auto", "kubectl", "builtin")
TIMEOUT = 120
# Kinds kustomize never gives a namespace.
CLUSTER_SCOPED = frozenset({"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
                            "ClusterIssuer", "StorageClass", "PriorityClass", "PersistentVolume",
                            "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService",
                            "IngressClass", "RuntimeClass", "ClusterPolicy", "ClusterSecretStore",
                            "CSIDriver", "GatewayClass", "ClusterServingRuntime", "ClusterTask"})


@dataclass
class Built:
    """The objects a directory yields, each with the file that declared it, or why it does not build."""

    path: str
    renderer: str
    objects: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    fallback: bool = False   # objects read by the built-in reader although the build failed
    # Kinds the built-in reader could not produce from what it read: "ConfigMap"/"Secret" for generators,
    # ANY_KIND for chart inflation, remote or missing resources, plugins, or a directory it could not read.
    unread: set[str] = field(default_factory=set)


def kustomization_file(files: Files, rel_dir: str) -> str | None:
    """The repository-relative path of the kustomization file in ``rel_dir`` (``kustomization.yaml``,
    ``.yml`` or ``Kustomization``, first found), None when there is none."""
    for name in KUSTOMIZATION_FILES:
        rel = repo_path(rel_dir, name)
        if (files.root / rel).is_file():
            return rel
    return None


def repo_path(*parts: str) -> str:
    """POSIX join with ``..`` resolved; ``""`` for the repository root, ``"/.."`` when it leaves it."""
    out: list[str] = []
    for part in "/".join(p for p in parts if p).split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not out:
                return "/.."  # outside the repository
            out.pop()
        else:
            out.append(part)
    return "/".join(out)


def _remote(ref: str) -> bool:
    return "://" in ref or ref.startswith(("github.com/", "git@", "gitlab.com/"))


def _kubectl(renderer: str) -> str | None:
    if renderer == "builtin" or os.environ.get("READINESS_KUSTOMIZE") == "builtin":
        return None
    return shutil.which("kubectl")


def build(files: Files, rel_dir: str, renderer: str = "auto") -> Built:
    """Build directory ``rel_dir`` (repository-relative) as Flux would; never raises for bad content."""
    rel_dir = repo_path(rel_dir)
    if rel_dir.startswith("/..") or not (files.root / rel_dir).is_dir():
        return Built(rel_dir or ".", "none", error=f"path {rel_dir or '.'} is not a directory of the repository")
    own = _builtin(files, rel_dir, set(), renderer)
    own.fallback = own.error is not None
    if own.error:
        own.unread.add(ANY_KIND)  # what the built-in reader could not follow may hold anything
    kubectl = _kubectl(renderer)
    if own.renderer != "kustomize-builtin" or kubectl is None or any("remote" in n for n in own.notes):
        return own
    try:
        # Flux builds without kustomize's load restrictor: files outside the kustomization's folder are allowed.
        run = subprocess.run([kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                              str(files.root / rel_dir)], capture_output=True, text=True,
                             timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        own.notes.append(f"kubectl kustomize could not run ({type(err).__name__}); read by the built-in reader")
        return own
    if run.returncode != 0:
        message = _kubectl_error(run.stderr, str(files.root)) or f"exit status {run.returncode}"
        # Flux would apply nothing of it; its objects are still what the repository declares, so they are
        # kept, marked, beside the error (a check decides what a declared-but-unbuildable object is worth).
        own.error, own.renderer, own.fallback = f"kubectl kustomize failed: {message}", "kubectl", True
        return own
    try:
        docs = load_all(run.stdout)
    except yaml.YAMLError as err:
        return Built(rel_dir or ".", "kubectl", error=f"kubectl kustomize output {problem(err)}")
    origins: dict[tuple[str, str], str] = {}
    for obj, origin in own.objects:
        origins.setdefault(_key(obj), origin)
    fallback = kustomization_file(files, rel_dir) or rel_dir
    return Built(rel_dir or ".", "kubectl", [(o, origins.get(_key(o), fallback)) for o in manifests(docs)],
                 notes=own.notes)


def _kubectl_error(stderr: str, root: str) -> str:
    """kubectl's error, without its log prefix and with repository paths made relative."""
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    text = re.sub(r'^[EW]\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=', "", lines[-1]).removeprefix("error: ")
    text = text.replace(root + "/", "").replace(root, ".").strip('"')
    if len(text) <= 300:
        return text
    first = re.search(r"accumulating resources from '([^']+)'", text)
    return (f"in {first.group(1)}: " if first else "") + "..." + text[-220:]


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return str(obj.get("kind")), str((meta or {}).get("name"))


def _file_objects(files: Files, rel: str) -> list[tuple[dict[str, Any], str]]:
    return [(o, rel) for o in manifests(files.yaml(rel) or [])]


def _builtin(files: Files, rel_dir: str, seen: set[str], renderer: str = "builtin") -> Built:
    """The built-in reader (see the module docstring); ``seen`` guards against cycles."""
    out = Built(rel_dir or ".", "directory")
    if rel_dir in seen:
        out.error = f"{rel_dir} includes itself"
        return out
    seen = seen | {rel_dir}
    kfile = kustomization_file(files, rel_dir)
    if kfile is None:
        prefix = rel_dir + "/" if rel_dir else ""
        nested = {str(PurePosixPath(f).parent) for f in files.files if f.startswith(prefix)
                  and PurePosixPath(f).name in KUSTOMIZATION_FILES and str(PurePosixPath(f).parent) != (rel_dir or ".")}
        for rel in files.files:
            if not rel.startswith(prefix) or not rel.endswith(YAML):
                continue
            inside = [d for d in nested if rel.startswith(d + "/")]
            if inside:
                continue
            out.objects += _file_objects(files, rel)
        for sub in sorted(d for d in nested if not any(d.startswith(o + "/") for o in nested)):
            _merge(out, build(files, sub, renderer))  # a folder with its own kustomization.yaml is built as such
        return out
    out.renderer = "kustomize-builtin"
    docs = files.yaml(kfile)
    if docs is None:
        out.error = f"{kfile}: {files.skipped.get(kfile, ('unreadable', ''))[0]}"
        return out
    spec = docs[0] if docs and isinstance(docs[0], dict) else {}
    out.unread |= {kind for key, kind in UNREAD_FIELDS.items() if spec.get(key)}
    for key in ("resources", "bases", "components"):
        refs = spec.get(key) or []
        for ref in refs if isinstance(refs, list) else []:
            if not isinstance(ref, str):
                continue
            if _remote(ref):
                out.notes.append(f"{kfile}: remote {key} {ref} not read")
                out.unread.add(ANY_KIND)
                continue
            target = repo_path(rel_dir, ref)
            if target.startswith("/.."):
                out.error = f"{kfile}: {ref} is outside the repository"
            elif (files.root / target).is_dir():
                if kustomization_file(files, target) is None:
                    out.error = out.error or f"{kfile}: {key} {ref} is a directory without a kustomization.yaml"
                _merge(out, _builtin(files, target, seen))
            elif (files.root / target).is_file():
                out.objects += _file_objects(files, target)
            else:
                out.error = f"{kfile}: {key} {ref} does not exist"
    namespace = spec.get("namespace")
    if isinstance(namespace, str) and namespace:
        for obj, _ in out.objects:
            if obj.get("kind") not in CLUSTER_SCOPED:
                meta = obj.setdefault("metadata", {})
                if isinstance(meta, dict):
                    meta["namespace"] = namespace
    return out


def _merge(into: Built, part: Built) -> None:
    into.objects += part.objects
    into.notes += part.notes
    into.unread |= part.unread
    if part.error and not into.error:
        into.error = part.error
