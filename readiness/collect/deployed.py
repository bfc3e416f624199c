"""The deployed view of a repository: which clusters it declares, and what each of them gets.

Clusters are discovered as Flux does them (``discover``): every directory ``<...>/clusters/<name>/``
holding YAML is the root a cluster's Flux is bootstrapped on; without any, every Argo CD
Application whose source ``path`` is a directory of this repository declares a cluster (its
destination's name, ``in-cluster`` for the local API server), and so does every Application an
ApplicationSet generates from ``list`` elements or ``git`` directories (``expand_appset``).

``deployed`` follows what a cluster gets from its root: the root is built
(``readiness.collect.kustomize.build``), then every Flux Kustomization among the objects is
followed (``spec.path`` in its ``sourceRef``: a GitRepository is this repository, an
ExternalArtifact is resolved through the ArtifactGenerator that copies this repository; an
OCIRepository or Bucket is outside it), with ``postBuild.substitute`` applied and
``spec.targetNamespace`` set; Argo CD Applications with a path in this repository are followed
the same way. One ``BuildRecord`` per followed Kustomization/Application says how it went.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from readiness.collect.kustomize import CLUSTER_SCOPED, build, repo_path
from readiness.collect.reader import YAML, Files, repo_names
from readiness.collect.yamlfile import manifests, substitute

FLUX_KUSTOMIZE = "kustomize.toolkit.fluxcd.io"
# On an object whose Kustomization does not build (it is declared, but Flux would not apply it).
BUILD_ANNOTATION = "readiness.dev/build"
ARGO = "argoproj.io"
_TEMPLATED = re.compile(r"\{\{|\$\{")
_LOCAL_SERVERS = ("https://kubernetes.default.svc", "https://kubernetes.default.svc/")


@dataclass(frozen=True)
class Cluster:
    """A cluster the repository declares: its name, the tool that syncs it, and where it starts."""

    name: str
    tool: str            # "flux" | "argocd"
    roots: tuple[str, ...]  # repository-relative directories (flux) or Application files (argocd)


@dataclass
class BuildRecord:
    """How one Flux Kustomization or Argo CD Application (or a cluster root) was followed."""

    by: str               # "Kustomization flux-system/apps", "Application argocd/x", "cluster root"
    path: str | None
    source: str           # "this repository" or "OCIRepository flux-system/x (not in this repository)"
    renderer: str
    objects: int = 0
    error: str | None = None
    depends_on: list[str] = field(default_factory=list)
    substitute: list[str] = field(default_factory=list)   # variable names only, never values
    notes: list[str] = field(default_factory=list)

    def spec(self) -> dict[str, Any]:
        return {"by": self.by, "path": self.path, "source": self.source, "renderer": self.renderer,
                "objects": self.objects, "ok": self.error is None, "error": self.error,
                "depends_on": self.depends_on, "substitute": self.substitute, "notes": self.notes[:5]}


@dataclass
class Deployed:
    """What one cluster gets: (object, origin file, applied by) triples, and one record per build."""

    cluster: Cluster
    objects: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)
    builds: list[BuildRecord] = field(default_factory=list)


def _group(api_version: Any) -> str:
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def discover(files: Files) -> list[Cluster]:
    """The clusters the repository declares (see the module docstring), sorted by name."""
    roots: dict[str, list[str]] = {}
    for rel in files.files:
        parts = PurePosixPath(rel).parts
        if not rel.endswith(YAML) or rel.startswith((".github/", ".gitlab", ".woodpecker")):
            continue
        for i in range(len(parts) - 2):
            if parts[i] == "clusters":
                root = "/".join(parts[:i + 2])
                roots.setdefault(parts[i + 1], [])
                if root not in roots[parts[i + 1]]:
                    roots[parts[i + 1]].append(root)
                break
    if roots:
        # apps/clusters/<name> overlays reached by a Kustomization of clusters/<name> are not roots of their own
        reached = _kustomization_paths(files)
        out = []
        for name, found in sorted(roots.items()):
            own = [r for r in found if not any(p == r and not f.startswith(r + "/") for p, f in reached)]
            out.append(Cluster(name, "flux", tuple(sorted(own or found))))
        return out
    apps: dict[str, list[str]] = {}
    for rel in files.files:
        if not rel.endswith(YAML) or rel.startswith((".github/", ".gitlab")):
            continue
        text = files.text(rel)
        if text is None or "argoproj.io" not in text or "kind: Application" not in text:
            continue
        for obj in manifests(files.yaml(rel) or []):
            if _group(obj.get("apiVersion")) != ARGO:
                continue
            generated = expand_appset(files, obj) if obj.get("kind") == "ApplicationSet" else [obj]
            for app in generated:
                if app.get("kind") == "Application" and _app_paths(files, app):
                    apps.setdefault(_destination(app), []).append(rel)
    return [Cluster(name, "argocd", tuple(dict.fromkeys(r))) for name, r in sorted(apps.items())]


def _kustomization_paths(files: Files) -> list[tuple[str, str]]:
    """(spec.path, file) of every Flux Kustomization written in the repository."""
    out = []
    for rel in files.files:
        if not rel.endswith(YAML):
            continue
        text = files.text(rel)
        if text is None or FLUX_KUSTOMIZE not in text:
            continue
        for obj in manifests(files.yaml(rel) or []):
            if obj.get("kind") == "Kustomization" and _group(obj.get("apiVersion")) == FLUX_KUSTOMIZE:
                path = _dict(obj.get("spec")).get("path")
                if isinstance(path, str):
                    out.append((repo_path(path), rel))
    return out


_PARAM = re.compile(r"\{\{\s*\.?([\w.]+)\s*\}\}")


def _render(value: Any, params: dict[str, str]) -> Any:
    """``value`` with ApplicationSet parameters (``{{name}}``, ``{{.path.basename}}``) filled in; unknown ones stay."""
    if isinstance(value, dict):
        return {k: _render(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, params) for v in value]
    if isinstance(value, str):
        return _PARAM.sub(lambda m: params.get(m.group(1), m.group(0)), value)
    return value


def expand_appset(files: Files, appset: dict[str, Any]) -> list[dict[str, Any]]:
    """The Applications an ApplicationSet generates from the generators that need no cluster: ``list``
    elements and ``git`` directories of this repository (``path``, ``path.basename``); a ``clusters``
    generator depends on clusters registered in Argo CD, which no repository shows, and yields none."""
    spec = _dict(appset.get("spec"))
    template = _dict(spec.get("template"))
    out: list[dict[str, Any]] = []
    for gen in spec.get("generators") or []:
        gen = _dict(gen)
        params: list[dict[str, str]] = []
        for element in _dict(gen.get("list")).get("elements") or []:
            if isinstance(element, dict):
                params.append({str(k): str(v) for k, v in element.items() if not isinstance(v, dict | list)})
        for entry in _dict(gen.get("git")).get("directories") or []:
            pattern = _dict(entry).get("path")
            if not isinstance(pattern, str) or _dict(entry).get("exclude") or _TEMPLATED.search(pattern):
                continue
            dirs = {str(PurePosixPath(f).parent) for f in files.files}
            for d in sorted(dirs):
                if PurePosixPath(d).match(pattern) and d.count("/") == pattern.count("/"):
                    params.append({"path": d, "path.path": d, "path.basename": PurePosixPath(d).name})
        if "clusters" in gen:
            params += _clusters_by_directory(files, template)
        for p in params:
            out.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                        "metadata": {**_dict(_render(template.get("metadata"), p)),
                                     "namespace": _meta(appset).get("namespace")},
                        "spec": _render(template.get("spec"), p)})
    return out


_NAME_PARAM = re.compile(r"\{\{\s*\.?name\s*\}\}")


def _clusters_by_directory(files: Files, template: dict[str, Any]) -> list[dict[str, str]]:
    """A ``clusters`` generator's clusters, where the repository names them: a template path such as
    ``environments/{{name}}`` makes every matching directory a cluster of that name."""
    source = _dict(_dict(template.get("spec")).get("source"))
    path = source.get("path")
    if not isinstance(path, str) or not _NAME_PARAM.search(path):
        return []
    pattern = _NAME_PARAM.sub("*", path).strip("/")
    if _TEMPLATED.search(pattern):
        return []
    at = pattern.split("/").index("*") if "*" in pattern.split("/") else -1
    dirs = {str(PurePosixPath(f).parent) for f in files.files}
    found = sorted({d.split("/")[at] for d in dirs if at >= 0 and d.count("/") >= pattern.count("/")
                    and PurePosixPath("/".join(d.split("/")[:pattern.count("/") + 1])).match(pattern)})
    return [{"name": name, "server": ""} for name in found]


def _destination(app: dict[str, Any]) -> str:
    dest = (app.get("spec") or {}).get("destination") or {}
    if isinstance(dest, dict):
        if isinstance(dest.get("name"), str) and dest["name"] and not _TEMPLATED.search(dest["name"]):
            return dest["name"]
        server = dest.get("server")
        if server in _LOCAL_SERVERS or not server:
            return "in-cluster"
        host = re.sub(r"^\w+://", "", str(server)).split("/")[0].split(":")[0]
        return re.sub(r"[^A-Za-z0-9._-]", "-", host) or "in-cluster"
    return "in-cluster"


def _app_paths(files: Files, app: dict[str, Any]) -> list[str]:
    spec = _dict(app.get("spec"))
    sources = [spec.get("source"), *list(spec.get("sources") or [])]
    out = []
    for src in sources:
        path = src.get("path") if isinstance(src, dict) else None
        if isinstance(path, str) and not _TEMPLATED.search(path):
            rel = repo_path(path)
            if not rel.startswith("/..") and (files.root / rel).is_dir():
                out.append(rel)
    return out


def _names_this_repository(url: str, names: frozenset[str]) -> bool:
    m = re.search(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$", url)
    if not m:
        return True
    owner, name = m.group(1).lower(), m.group(2).lower()
    return bool({name, f"{owner}/{name}", f"{owner}-{name}"} & names)


class _Follower:
    def __init__(self, files: Files, renderer: str) -> None:
        self.files, self.renderer = files, renderer
        self.generators: dict[str, list[tuple[str, str]]] = {}  # artifact name -> [(artifact prefix, repo prefix)]
        self.seen: set[tuple[str, tuple[tuple[str, str], ...], str]] = set()
        self.git: dict[str, str] = {}  # GitRepository name -> url
        self.names = repo_names(files.root)

    def resolve(self, kind: str, name: str, path: str) -> tuple[str | None, str]:
        """(repository path, source description) of ``path`` in source ``kind``/``name``."""
        if kind in ("GitRepository", ""):
            url = self.git.get(name)
            if url and not _names_this_repository(url, self.names):
                return None, f"GitRepository {name} (another repository)"
            return repo_path(path), "this repository"
        if kind == "ExternalArtifact" and name in self.generators:
            want = repo_path(path)
            for to, frm in self.generators[name]:
                if want == to or want.startswith(to + "/") or not to:
                    copied = repo_path(frm, want[len(to):].lstrip("/"))
                    return copied, f"ExternalArtifact {name} (ArtifactGenerator copy)"
        return None, f"{kind} {name} (not in this repository)"

    def learn(self, obj: dict[str, Any]) -> None:
        if obj.get("kind") == "GitRepository" and isinstance(_dict(obj.get("spec")).get("url"), str):
            self.git[str(_meta(obj).get("name"))] = _dict(obj.get("spec"))["url"]
        if obj.get("kind") != "ArtifactGenerator":
            return
        spec = _dict(obj.get("spec"))
        for art in spec.get("artifacts") or []:
            if not isinstance(art, dict):
                continue
            for copy in art.get("copy") or []:
                if not isinstance(copy, dict):
                    continue
                frm = re.sub(r"^@[\w-]+/?", "", str(copy.get("from", ""))).split("*")[0].rstrip("/")
                to = re.sub(r"^@artifact/?", "", str(copy.get("to", ""))).rstrip("/")
                self.generators.setdefault(str(art.get("name")), []).append((repo_path(to), repo_path(frm)))


def deployed(files: Files, cluster: Cluster, renderer: str = "auto") -> Deployed:
    """Everything ``cluster`` gets from the repository (see the module docstring); never raises for bad content."""
    out = Deployed(cluster)
    follow = _Follower(files, renderer)
    seen_objects: set[tuple[str, str, str, str]] = set()
    queue: list[tuple[BuildRecord, dict[str, str], str | None]] = []
    if cluster.tool == "flux":
        queue += [(BuildRecord("cluster root", root, "this repository", ""), {}, None) for root in cluster.roots]
        follow.seen |= {(root, (), "") for root in cluster.roots}
    else:
        for rel in cluster.roots:
            for obj in manifests(files.yaml(rel) or []):
                follow.learn(obj)
                mine = [a for a in (expand_appset(files, obj) if obj.get("kind") == "ApplicationSet" else [obj])
                        if a.get("kind") == "Application" and _destination(a) == cluster.name]
                if mine:  # an ApplicationSet adds the Applications it generates for this cluster
                    _add(out, seen_objects, follow, obj, rel, "cluster root", queue)
    while queue:
        record, variables, target_ns = queue.pop(0)
        out.builds.append(record)
        if record.path is None or record.error:
            continue
        built = build(files, record.path, renderer)
        record.renderer, record.notes = built.renderer, built.notes
        record.error = built.error
        if built.error and not built.fallback:
            continue
        if built.fallback:
            record.notes.append("objects read by the built-in reader, as declared; Flux would apply none of them")
        record.objects = len(built.objects)
        for obj, _ in built.objects:
            follow.learn(obj)
        for obj, origin in built.objects:
            if variables:
                obj = substitute(obj, variables)
            if target_ns and obj.get("kind") not in CLUSTER_SCOPED:
                obj.setdefault("metadata", {})["namespace"] = target_ns
            if built.fallback:
                meta = obj.setdefault("metadata", {})
                if isinstance(meta, dict):
                    meta["annotations"] = {**(meta.get("annotations") or {}), BUILD_ANNOTATION: "failed"}
            _add(out, seen_objects, follow, obj, origin, record.by, queue)
    return out


def _add(out: Deployed, seen: set[tuple[str, str, str, str]], follow: _Follower, obj: dict[str, Any], origin: str,
         by: str, queue: list[tuple[BuildRecord, dict[str, str], str | None]]) -> None:
    meta = _meta(obj)
    key = (_group(obj.get("apiVersion")), str(obj.get("kind")), str(meta.get("namespace") or ""),
           str(meta.get("name") or ""))
    if key in seen:
        return
    seen.add(key)
    out.objects.append((obj, origin, by))
    group, kind = key[0], key[1]
    spec = _dict(obj.get("spec"))
    name = f"{meta.get('namespace') or 'default'}/{meta.get('name')}"
    if group == FLUX_KUSTOMIZE and kind == "Kustomization":
        ref = _dict(spec.get("sourceRef"))
        path, source = follow.resolve(str(ref.get("kind", "")), str(ref.get("name", "")), str(spec.get("path") or "."))
        post = _dict(spec.get("postBuild"))
        variables = {str(k): str(v) for k, v in _dict(post.get("substitute")).items()}
        depends = [str(d.get("name")) for d in spec.get("dependsOn") or [] if isinstance(d, dict)]
        record = BuildRecord(f"Kustomization {name}", path, source, "", depends_on=depends,
                             substitute=sorted(variables))
        if spec.get("suspend") is True:
            record.notes.append("suspended: Flux does not apply it")
            record.path = None
        elif path is None:
            record.notes.append(f"source {source}: not followed")
        marker = (path or "", tuple(sorted(variables.items())), str(spec.get("targetNamespace") or ""))
        if record.path is not None and marker in follow.seen:
            return
        if record.path is not None:
            follow.seen.add(marker)
        queue.append((record, variables, spec.get("targetNamespace") if isinstance(spec.get("targetNamespace"), str)
                      else None))
    elif group == ARGO and kind == "ApplicationSet":
        for app in expand_appset(follow.files, obj):
            if out.cluster.tool == "flux" or _destination(app) == out.cluster.name:
                _add(out, seen, follow, app, origin, f"ApplicationSet {name}", queue)
    elif group == ARGO and kind == "Application":
        for path in _app_paths(follow.files, obj):
            marker = (path, (), "")
            if marker not in follow.seen:
                follow.seen.add(marker)
                dest = _dict(spec.get("destination"))
                ns = dest.get("namespace") if isinstance(dest.get("namespace"), str) else None
                queue.append((BuildRecord(f"Application {name}", path, "this repository", ""), {}, ns))
