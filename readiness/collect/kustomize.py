"""Building a directory of a repository the way Flux's kustomize-controller does, into objects.

A directory with a ``kustomization.yaml`` is rendered with ``kubectl kustomize`` when ``kubectl`` is
on PATH (renderer ``kubectl``), else by a built-in reader (renderer ``builtin``) of its ``resources:``/
``bases:``/``components:`` (a component's resources and patches apply to everything its kustomization
gathered), its patches (``patches``, ``patchesStrategicMerge``, ``patchesJson6902``:
``readiness.collect.patches``) and ``namespace:`` (Namespace objects renamed to it, as kustomize does);
generators, name prefixes, labels and images are not applied. A directory without one is read as Flux
generates it: every YAML manifest below it, a subdirectory with its own kustomization.yaml built as such
(renderer ``directory``).

A Flux Kustomization's own ``spec.components`` (paths relative to its ``spec.path``) and ``spec.patches``
(also ``patchesStrategicMerge``/``patchesJson6902`` of older APIs) are added to the kustomization it builds
(``Overlay``), as kustomize-controller adds them to the directory's kustomization.yaml, or to the one it
generates listing the directory's manifests: kubectl renders a copy of the repository's tree in which only that
kustomization.yaml is written (every other entry a symbolic link to the repository's), the built-in reader the
same kustomization. A component that is missing (unless ``ignoreMissingComponents``) or not a local relative
path, and a patch that does not apply, fail the build as they fail Flux's; a patch selecting no object is a note.

Every object carries the repository file it was declared in (``origin``): read directly with the
built-in reader, matched by kind and name for kubectl's output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from readiness.collect import patches
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
    # The kustomization built, a Flux Kustomization's overlay added (what kubectl renders then).
    kustomization: dict[str, Any] | None = None


@dataclass
class Overlay:
    """What a Flux Kustomization adds to the kustomization it builds (see the module docstring): its
    ``components`` (as written, relative to its path), ``patches`` (``{patch, target}``), and the
    ``patchesStrategicMerge`` (objects) and ``patchesJson6902`` (``{target, patch: [operations]}``) of older APIs."""

    components: list[str] = field(default_factory=list)
    patches: list[dict[str, Any]] = field(default_factory=list)
    strategic: list[dict[str, Any]] = field(default_factory=list)
    json6902: list[dict[str, Any]] = field(default_factory=list)
    ignore_missing: bool = False

    @classmethod
    def of(cls, spec: dict[str, Any]) -> Overlay | None:
        """The overlay of a Flux Kustomization's spec; None when it adds nothing."""
        def entries(key: str, kind: type) -> list[Any]:
            value = spec.get(key)
            return [v for v in value if isinstance(v, kind)] if isinstance(value, list) else []
        found = cls(entries("components", str), entries("patches", dict), entries("patchesStrategicMerge", dict),
                    entries("patchesJson6902", dict), spec.get("ignoreMissingComponents") is True)
        return found if found.components or found.count() else None

    def count(self) -> int:
        """How many patches it adds."""
        return len(self.patches) + len(self.strategic) + len(self.json6902)

    def key(self) -> str:
        """The overlay as a string, to tell two builds of one path apart."""
        return json.dumps([self.components, self.patches, self.strategic, self.json6902, self.ignore_missing],
                          sort_keys=True, default=str)

    def into(self, files: Files, rel_dir: str, spec: dict[str, Any], out: Built) -> dict[str, Any]:
        """The kustomization ``spec`` of ``rel_dir`` with the overlay added, as kustomize-controller writes it;
        a component path that is not local and relative, or is missing (unless ignored), sets ``out.error``."""
        spec = dict(spec)
        components = [c for c in spec.get("components") or [] if isinstance(c, str)]
        for ref in self.components:
            target = repo_path(rel_dir, ref)
            if ref.startswith("/") or _remote(ref) or target.startswith("/.."):
                out.error = out.error or f"component path '{ref}' must be local and relative"
            elif not (files.root / target).exists() and self.ignore_missing:
                out.notes.append(f"component {target} does not exist: left out (ignoreMissingComponents)")
            else:
                components.append(ref)
        if components:
            spec["components"] = components
        if self.patches:
            spec["patches"] = [*(spec.get("patches") or []), *[
                {k: v for k, v in p.items() if k in ("patch", "target")} for p in self.patches]]
        if self.strategic:
            spec["patchesStrategicMerge"] = [*(spec.get("patchesStrategicMerge") or []),
                                             *[json.dumps(p) for p in self.strategic]]
        if self.json6902:
            spec["patchesJson6902"] = [*(spec.get("patchesJson6902") or []), *[
                {"target": p.get("target"), "patch": json.dumps(p.get("patch"))} for p in self.json6902]]
        return spec


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


def build(files: Files, rel_dir: str, renderer: str = "auto", overlay: Overlay | None = None) -> Built:
    """Build directory ``rel_dir`` (repository-relative) as Flux would, with what a Flux Kustomization adds to
    it (``overlay``); never raises for bad content."""
    rel_dir = repo_path(rel_dir)
    if rel_dir.startswith("/..") or not (files.root / rel_dir).is_dir():
        return Built(rel_dir or ".", "none", error=f"path {rel_dir or '.'} is not a directory of the repository")
    own = _builtin(files, rel_dir, set(), renderer, overlay)
    own.fallback = own.error is not None
    if own.error:
        own.unread.add(ANY_KIND)  # what the built-in reader could not follow may hold anything
    kubectl = _kubectl(renderer)
    if own.renderer != "kustomize-builtin" or kubectl is None or any("remote" in n for n in own.notes) or (
            overlay is not None and own.kustomization is None):
        return own
    try:
        run, shown = _run_kubectl(kubectl, files, rel_dir, own.kustomization)
    except (OSError, subprocess.TimeoutExpired) as err:
        own.notes.append(f"kubectl kustomize could not run ({type(err).__name__}); read by the built-in reader")
        return own
    if run.returncode != 0:
        message = _kubectl_error(run.stderr, shown) or f"exit status {run.returncode}"
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
    # the built-in reader's errors were its own (kubectl built it); its notes (patches selecting nothing,
    # components left out) hold for kubectl's build too
    return Built(rel_dir or ".", "kubectl", [(o, origins.get(_key(o), fallback)) for o in manifests(docs)],
                 notes=own.notes)


def _run_kubectl(kubectl: str, files: Files, rel_dir: str,
                 kustomization: dict[str, Any] | None) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """``kubectl kustomize`` of ``rel_dir``; with ``kustomization`` (a Flux Kustomization's overlay added), of a
    copy of the repository's tree where only that directory's kustomization file is written, every other entry
    a symbolic link to the repository's (kustomize-controller writes it in its own copy of the source).
    Returns the run and the paths to show relative in its errors (path -> shown as)."""
    # Flux builds without kustomize's load restrictor: files outside the kustomization's folder are allowed.
    command = [kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone"]
    if kustomization is None:
        run = subprocess.run([*command, str(files.root / rel_dir)], capture_output=True, text=True,
                             timeout=TIMEOUT, check=False)
        return run, {str(files.root): "."}
    with tempfile.TemporaryDirectory(prefix="readiness-flux-") as tmp:
        top = Path(tmp) / files.root.name
        top.mkdir()
        parts = rel_dir.split("/") if rel_dir else []
        source, copy = files.root, top
        for depth in range(len(parts) + 1):
            for entry in sorted(source.iterdir()):
                if (depth < len(parts) and entry.name == parts[depth]) or (
                        depth == len(parts) and entry.name in KUSTOMIZATION_FILES):
                    continue
                (copy / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
            if depth < len(parts):
                source, copy = source / parts[depth], copy / parts[depth]
                copy.mkdir()
        name = PurePosixPath(kustomization_file(files, rel_dir) or "kustomization.yaml").name
        (copy / name).write_text(yaml.safe_dump(kustomization, sort_keys=False), encoding="utf-8")
        run = subprocess.run([*command, str(copy)], capture_output=True, text=True, timeout=TIMEOUT, check=False)
        return run, {str(top): ".", str(files.root): "."}


def _kubectl_error(stderr: str, shown: dict[str, str]) -> str:
    """kubectl's error, without its log prefix and with repository paths made relative (``shown``)."""
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    last = lines[-1]
    if last.strip() == ">" and any('err=<' in ln for ln in lines):  # klog's multi-line form: err=<\n\t...\n >
        start = max(i for i, ln in enumerate(lines) if 'err=<' in ln)
        last = " ".join(ln.strip() for ln in lines[start + 1:-1])
    text = re.sub(r'^[EW]\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=', "", last).removeprefix("error: ")
    for path, as_ in shown.items():
        text = text.replace(path + "/", "").replace(path, as_)
    text = text.replace('\\"', '"').strip('"\\ ')
    if len(text) <= 300:
        return text
    first = re.search(r"(?:accumulating resources from|accumulation of path) '([^']+)'", text)
    tail = text[-220:]
    # start the tail at a link of kustomize's "a: b: c" chain, never mid-word; its nested quotes lose their
    # openers in the cut, so none is kept
    cut = tail.find(": ")
    tail = tail[cut + 2:] if 0 <= cut < 120 else tail[tail.find(" ") + 1:]
    tail = tail.replace("'", "")
    return (f"in {first.group(1)}: " if first else "") + "... " + tail


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return str(obj.get("kind")), str((meta or {}).get("name"))


def _file_objects(files: Files, rel: str) -> list[tuple[dict[str, Any], str]]:
    # copies: a kustomization's namespace and patches change them, never the reader's cached documents
    return [(deepcopy(o), rel) for o in manifests(files.yaml(rel) or [])]


def _nested(files: Files, rel_dir: str) -> list[str]:
    """The topmost subdirectories of ``rel_dir`` holding a kustomization file of their own."""
    prefix = rel_dir + "/" if rel_dir else ""
    found = {str(PurePosixPath(f).parent) for f in files.files if f.startswith(prefix)
             and PurePosixPath(f).name in KUSTOMIZATION_FILES and str(PurePosixPath(f).parent) != (rel_dir or ".")}
    return sorted(d for d in found if not any(d.startswith(o + "/") for o in found))


def _generated(files: Files, rel_dir: str) -> dict[str, Any]:
    """The kustomization.yaml kustomize-controller generates for a directory without one: every YAML file
    holding a manifest below it, and each topmost subdirectory with a kustomization file of its own."""
    prefix = rel_dir + "/" if rel_dir else ""
    nested = _nested(files, rel_dir)
    found = [rel for rel in files.files if rel.startswith(prefix) and rel.endswith(YAML)
             and not any(rel.startswith(d + "/") for d in nested) and manifests(files.yaml(rel) or [])]
    return {"resources": [f"./{r[len(prefix):]}" for r in sorted(found + nested)]}


def _builtin(files: Files, rel_dir: str, seen: set[str], renderer: str = "builtin",
             overlay: Overlay | None = None) -> Built:
    """The built-in reader (see the module docstring); ``seen`` guards against cycles."""
    out = Built(rel_dir or ".", "directory")
    if rel_dir in seen:
        out.error = f"{rel_dir} includes itself"
        return out
    seen = seen | {rel_dir}
    kfile = kustomization_file(files, rel_dir)
    if kfile is None and overlay is None:
        prefix = rel_dir + "/" if rel_dir else ""
        nested = _nested(files, rel_dir)
        for rel in files.files:
            if rel.startswith(prefix) and rel.endswith(YAML) and not any(rel.startswith(d + "/") for d in nested):
                out.objects += _file_objects(files, rel)
        for sub in nested:
            _merge(out, build(files, sub, renderer))  # a folder with its own kustomization.yaml is built as such
        return out
    out.renderer = "kustomize-builtin"
    if kfile is None:
        spec: dict[str, Any] = _generated(files, rel_dir)
        kfile = repo_path(rel_dir, "kustomization.yaml")
    else:
        docs = files.yaml(kfile)
        if docs is None:
            out.error = f"{kfile}: {files.skipped.get(kfile, ('unreadable', ''))[0]}"
            return out
        spec = docs[0] if docs and isinstance(docs[0], dict) else {}
    if overlay is not None:
        spec = overlay.into(files, rel_dir, spec, out)
        out.kustomization = spec
    _kustomize(files, rel_dir, kfile, spec, seen, out)
    return out


def _kustomize(files: Files, rel_dir: str, kfile: str, spec: dict[str, Any], seen: set[str], out: Built) -> None:
    """Add what kustomization (or component) ``spec`` of ``rel_dir`` makes to ``out``: its resources, then its
    components (each applying its own resources and patches to everything gathered so far), then its patches
    and namespace, over everything ``out`` holds (for a component, what its parent gathered)."""
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
                out.error = out.error or f"{kfile}: {ref} is outside the repository"
            elif key == "components":
                _component(files, target, kfile, ref, seen, out)
            elif (files.root / target).is_dir():
                if kustomization_file(files, target) is None:
                    out.error = out.error or f"{kfile}: {key} {ref} is a directory without a kustomization.yaml"
                elif _kind(files, target) == "Component":
                    out.error = out.error or f"{kfile}: {key} {ref} is a Component (kustomize wants it in components)"
                _merge(out, _builtin(files, target, seen))
            elif (files.root / target).is_file():
                out.objects += _file_objects(files, target)
            else:
                out.error = out.error or f"{kfile}: {key} {ref} does not exist"
    for patch in _patches(files, rel_dir, kfile, spec, out):
        try:
            objects, touched = patches.apply(patch, [o for o, _ in out.objects])
        except patches.PatchError as err:
            out.error = out.error or str(err)
            continue
        if not touched:
            out.notes.append(f"{patch.label}: selects no object ({patches.describe(patch.target)})")
        origins = {id(o): origin for o, origin in out.objects}
        by_key = {_key(o): origin for o, origin in out.objects}
        out.objects = [(o, origins.get(id(o)) or by_key.get(_key(o), kfile)) for o in objects]
    namespace = spec.get("namespace")
    if isinstance(namespace, str) and namespace:
        for obj, _ in out.objects:
            meta = obj.setdefault("metadata", {})
            if not isinstance(meta, dict):
                continue
            if obj.get("kind") == "Namespace":
                meta["name"] = namespace  # kustomize renames a Namespace object to the kustomization's namespace
            elif obj.get("kind") not in CLUSTER_SCOPED:
                meta["namespace"] = namespace


def _component(files: Files, target: str, kfile: str, ref: str, seen: set[str], out: Built) -> None:
    """Apply component ``target`` (a directory with a kustomization file of kind Component) to ``out``."""
    cfile = kustomization_file(files, target) if (files.root / target).is_dir() else None
    if cfile is None:
        out.error = out.error or f"{kfile}: component {ref} is not a directory with a kustomization.yaml"
        return
    if target in seen:
        out.error = out.error or f"{target} includes itself"
        return
    docs = files.yaml(cfile)
    if docs is None:
        out.error = out.error or f"{cfile}: {files.skipped.get(cfile, ('unreadable', ''))[0]}"
        return
    if _kind(files, target) != "Component":
        kind = _kind(files, target) or "Kustomization"
        out.error = out.error or f"{kfile}: component {ref} is a {kind}, not a Component"
    _kustomize(files, target, cfile, docs[0] if docs and isinstance(docs[0], dict) else {}, seen | {target}, out)


def _kind(files: Files, rel_dir: str) -> str | None:
    """The ``kind`` of the kustomization file of ``rel_dir`` (``Kustomization``, ``Component``; None when unsaid)."""
    kfile = kustomization_file(files, rel_dir)
    docs = files.yaml(kfile) if kfile else None
    kind = docs[0].get("kind") if docs and isinstance(docs[0], dict) else None
    return kind if isinstance(kind, str) else None


def _patches(files: Files, rel_dir: str, kfile: str, spec: dict[str, Any], out: Built) -> list[patches.Patch]:
    """The patches of a kustomization, in kustomize's order (``patchesStrategicMerge``, ``patches``,
    ``patchesJson6902``): inline or read from a file relative to ``rel_dir``. One that cannot be read or
    parsed sets ``out.error`` (kustomize fails on it)."""
    found: list[patches.Patch] = []
    fields = (("patchesStrategicMerge", spec.get("patchesStrategicMerge")), ("patches", spec.get("patches")),
              ("patchesJson6902", spec.get("patchesJson6902")))
    for key, entries in fields:
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            label = f"{kfile} {key}[{i}]"
            given = entry if isinstance(entry, dict) else {"patch": entry}
            text, target = given.get("patch"), given.get("target")
            if key == "patchesStrategicMerge" and isinstance(text, str) and "\n" not in text.strip() \
                    and (files.root / repo_path(rel_dir, text)).is_file():
                given = {"path": text}
            if isinstance(given.get("path"), str):
                text = files.text(repo_path(rel_dir, given["path"]))
                if text is None:
                    out.error = out.error or f"{label}: {given['path']} cannot be read"
                    continue
            try:
                found.append(patches.parse(label, text, target))
            except patches.PatchError as err:
                out.error = out.error or str(err)
    return found


def _merge(into: Built, part: Built) -> None:
    into.objects += part.objects
    into.notes += part.notes
    into.unread |= part.unread
    if part.error and not into.error:
        into.error = part.error
