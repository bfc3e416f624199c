"""The deployed view of a repository: which clusters it declares, and what each of them gets.

Clusters are discovered as Flux does them (``discover``), never from examples, docs or test fixtures
(``repofacts.not_deployed``): every directory ``<...>/clusters/<name>/``
holding YAML is the root a cluster's Flux is bootstrapped on, and so is every directory a sync object of the
repository names (``flux_roots``): the ``sync.path`` of a Flux Operator ``FluxInstance`` (also in the flux-instance
chart's values, ``instance.sync``, as onedr0p's cluster-template writes it) and the ``spec.path`` of the
``flux-system`` Kustomization ``flux bootstrap`` writes (``gotk-sync.yaml``). Such a root is named (``root_name``)
by the directory after ``clusters/`` in it, else by the first directory telling it apart from the other roots,
else after the repository (its checkout's directory, as the files view names it). Without any, every Argo CD
Application whose source ``path`` is a directory of this repository declares a cluster (its
destination's name, ``in-cluster`` for the local API server), and so does every Application an
ApplicationSet generates from ``list`` elements or ``git`` directories and files (``expand_appset``).
An ApplicationSet with a ``clusters`` generator (also inside ``matrix`` / ``merge``) generates for
clusters registered in Argo CD, which no repository shows: it is a root of every Argo CD cluster
discovered (unless its selector excludes the name), and what it generates there is not followed.
When its selectors require labels (``matchLabels``, ``matchExpressions`` ``In``/``Exists``...) that no
cluster of the repository shows (``shown_labels``: Argo CD cluster Secrets, the argo-cd chart's
``configs.clusterCredentials``), the ApplicationSet is declared only for clusters carrying them
(``label_condition``): annotations ``LABELS_ANNOTATION`` / ``LABELS_AT_ANNOTATION`` say which and where.

``deployed`` follows what a cluster gets from its root: the root is built
(``readiness.collect.kustomize.build``), then every Flux Kustomization among the objects is
followed (``spec.path`` in its ``sourceRef``: a GitRepository is this repository, an
ExternalArtifact is resolved through the ArtifactGenerator that copies this repository; an
OCIRepository or Bucket is outside it), with its ``spec.components`` and ``spec.patches`` added to the build
(``kustomize.Overlay``, as kustomize-controller adds them), ``postBuild.substitute`` applied after, and
``spec.targetNamespace`` set (on every namespaced object, as kustomize does); Argo CD Applications with a path in
this repository are followed the same way, their destination namespace set on the objects that name none (as Argo
CD does). An object is one object whoever applies it (group, kind, namespace, name): a root file that an
Application of the roots applies too (an app of apps whose path is its own directory) gives its objects naming no
namespace that Application's destination namespace (``_homes``), so the one applied by hand and the one the app of
apps applies are the same. One ``BuildRecord`` per followed Kustomization/Application says how it went; an
Application or ApplicationSet whose source cannot be followed (a path set from cluster annotations,
a git generator over a templated path or another repository) gets one too, with ``unfollowed``
saying why: what it applies is unknown, never "not declared".
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from readiness.collect import localchart
from readiness.collect.kustomize import CLUSTER_SCOPED, Overlay, build, repo_path
from readiness.collect.manifestfile import load_all, manifests, substitute
from readiness.collect.reader import YAML, Files, remote_names, repo_names
from readiness.collect.targets import cluster_name
from readiness.store.repofacts import (
    ANY_KIND,
    LABELS_ANNOTATION,
    LABELS_AT_ANNOTATION,
    LABELS_LINE_ANNOTATION,
    not_deployed,
)

FLUX_KUSTOMIZE = "kustomize.toolkit.fluxcd.io"
# On an object whose Kustomization does not build (it is declared, but Flux would not apply it).
BUILD_ANNOTATION = "readiness.dev/build"
CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"
ARGO = "argoproj.io"
HELM = "helm.toolkit.fluxcd.io"
FLUX_OPERATOR = "fluxcd.controlplane.io"
_CI = (".github/", ".gitlab", ".woodpecker")
# What ``discover`` looks for, as said when it finds nothing.
LOOKED_FOR = ("Flux clusters/<name>/ directories, a FluxInstance sync.path (also in flux-instance chart values), "
              "the path of a flux-system Kustomization (gotk-sync.yaml), Argo CD Applications with a path in it")
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
    origin: str | None = None      # the file declaring the Application/ApplicationSet
    unfollowed: str | None = None  # why its source was not followed ("path '{{...}}' is set per cluster ...")
    # When it does not build: the kinds the objects Flux would apply could hold beyond those read anyway
    # (kustomize.ANY_KIND: any), sorted; None when it builds.
    hides: list[str] | None = None
    # A Flux Kustomization's spec.components (repository paths) and how many patches its spec adds.
    components: list[str] = field(default_factory=list)
    patches: int = 0

    def spec(self) -> dict[str, Any]:
        """The record as the spec of its ``BuildRecord`` fact row: every field, ``ok`` when the build had
        no error, at most five notes."""
        return {"by": self.by, "path": self.path, "source": self.source, "renderer": self.renderer,
                "objects": self.objects, "ok": self.error is None, "error": self.error,
                "depends_on": self.depends_on, "substitute": self.substitute, "notes": self.notes[:5],
                "origin": self.origin, "unfollowed": self.unfollowed, "hides": self.hides,
                "components": self.components, "patches": self.patches}


@dataclass
class Deployed:
    """What one cluster gets: (object, origin file, applied by) triples, one record per build, and the
    files its objects were declared in."""

    cluster: Cluster
    objects: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)
    builds: list[BuildRecord] = field(default_factory=list)
    # Every file an object of the view was declared in, also one whose object another file declared first.
    origins: set[str] = field(default_factory=set)


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
        if not rel.endswith(YAML) or rel.startswith(_CI) or not_deployed(rel):
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
        for name, found in roots.items():
            roots[name] = [r for r in found if not any(p == r and not f.startswith(r + "/") for p, f in reached)] \
                or found
    # a sync path inside (or around) a clusters/<name> root is that cluster's, not one more
    marked = [m for m in flux_roots(files) if not any(_nests(m.root, r) for found in roots.values() for r in found)]
    for m in marked:
        name = root_name(m.root, [o.root for o in marked], files.root.name)
        roots.setdefault(name, [])
        if m.root not in roots[name]:
            roots[name].append(m.root)
    if roots:
        return [Cluster(name, "flux", tuple(sorted(found))) for name, found in sorted(roots.items())]
    apps: dict[str, list[str]] = {}
    any_cluster: list[tuple[str, dict[str, Any]]] = []  # (file, ApplicationSet) generating per registered cluster
    for rel in files.files:
        if not rel.endswith(YAML) or rel.startswith(_CI) or not_deployed(rel):
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
            if obj.get("kind") == "ApplicationSet" and _cluster_generators(obj):
                any_cluster.append((rel, obj))
    out = []
    for name, found in sorted(apps.items()):
        extra = [rel for rel, appset in any_cluster if not _excludes(appset, name)]
        out.append(Cluster(name, "argocd", tuple(dict.fromkeys(found + extra))))
    return out


@dataclass(frozen=True)
class FluxRoot:
    """A directory a cluster's Flux applies first, as a file of the repository says: ``how`` names the
    object (``FluxInstance flux-system/flux``, ``flux-instance chart values``, ``Kustomization
    flux-system/flux-system``) and ``origin`` the file."""

    root: str
    origin: str
    how: str


def flux_roots(files: Files) -> list[FluxRoot]:
    """The roots the repository's Flux sync objects name, first found first, one per directory: the
    ``spec.sync.path`` of a Flux Operator ``FluxInstance`` (``fluxcd.controlplane.io``), also as the
    ``instance.sync`` of the flux-instance chart's values (a HelmRelease's ``spec.values``, or a values file
    its ``valuesFrom`` ConfigMap is generated from), and the ``spec.path`` of the Kustomization ``flux bootstrap``
    writes (named ``flux-system`` in namespace ``flux-system``, in ``gotk-sync.yaml``). Only a sync of a Git
    repository (the kind GitRepository, or none) whose path is a directory of this repository counts, never one
    whose URL names another repository this checkout's Git remotes do not, nor one in examples, docs or tests."""
    out: dict[str, FluxRoot] = {}
    remotes = remote_names(files.root)
    for rel in files.files:
        if not rel.endswith(YAML) or rel.startswith(_CI) or not_deployed(rel):
            continue
        text = files.text(rel)
        if text is None or not ("sync:" in text or (FLUX_KUSTOMIZE in text and "flux-system" in text)):
            continue
        docs = [d for d in files.yaml(rel) or [] if isinstance(d, dict)]
        gits = {str(_meta(d).get("name")): str(_dict(d.get("spec")).get("url") or "") for d in docs
                if d.get("kind") == "GitRepository"}
        for doc in docs:
            kind, group, meta = doc.get("kind"), _group(doc.get("apiVersion")), _meta(doc)
            spec = _dict(doc.get("spec"))
            name = f"{meta.get('namespace') or 'default'}/{meta.get('name')}"
            found: list[tuple[dict[str, Any], str]] = []
            if kind == "FluxInstance" and group == FLUX_OPERATOR:
                found.append((_dict(spec.get("sync")), f"FluxInstance {name}"))
            elif kind == "HelmRelease" and group == HELM:
                found.append((_dict(_dict(_dict(spec.get("values")).get("instance")).get("sync")),
                              f"HelmRelease {name} (flux-instance chart values)"))
            elif kind is None and "apiVersion" not in doc:
                found.append((_dict(_dict(doc.get("instance")).get("sync")), "flux-instance chart values"))
            elif (kind == "Kustomization" and group == FLUX_KUSTOMIZE and meta.get("name") == "flux-system"
                  and meta.get("namespace") == "flux-system"):
                ref = _dict(spec.get("sourceRef"))
                found.append(({"kind": ref.get("kind"), "path": spec.get("path") or ".",
                               "url": gits.get(str(ref.get("name")))}, f"Kustomization {name}"))
            for sync, how in found:
                path, url = sync.get("path"), sync.get("url")
                if (not isinstance(path, str) or sync.get("kind") not in (None, "GitRepository")
                        or _TEMPLATED.search(path) or (isinstance(url, str) and _another(url, remotes))):
                    continue
                root = repo_path(path)
                if root.startswith("/..") or not_deployed(root + "/") or not (files.root / root).is_dir():
                    continue
                out.setdefault(root, FluxRoot(root, rel, how))
    return list(out.values())


def root_name(root: str, others: list[str], repository: str) -> str:
    """The name of the cluster whose Flux applies ``root`` first: the directory after ``clusters/`` in it; else,
    beside other such roots (``others``), the first directory in which it differs from them
    (``kubernetes/main/flux`` and ``kubernetes/lab/flux``: ``main`` and ``lab``); else the repository's
    (its checkout's directory, ``repository``, as the files view names it)."""
    parts = root.split("/") if root else []
    for i, part in enumerate(parts[:-1]):
        if part == "clusters":
            return parts[i + 1]
    for other in others:
        theirs = other.split("/") if other else []
        if other != root:
            at = next((i for i, (a, b) in enumerate(zip(parts, theirs, strict=False)) if a != b),
                      min(len(parts), len(theirs)))
            if at < len(parts):
                return parts[at]
    return cluster_name(repository)


def _nests(a: str, b: str) -> bool:
    """Whether repository directories ``a`` and ``b`` are one, or one holds the other (``""``: the repository)."""
    return a == b or not a or not b or a.startswith(b + "/") or b.startswith(a + "/")


def _another(url: str, remotes: frozenset[str]) -> bool:
    """Whether a sync URL names a repository other than this checkout, as far as its Git remotes tell
    (without remotes, or a URL that does not parse, it cannot tell: False)."""
    m = re.search(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$", url)
    return bool(remotes and m and f"{m.group(1)}/{m.group(2)}".lower() not in remotes)


def _generators(gens: Any) -> list[dict[str, Any]]:
    """Every generator of a list, with those nested in ``matrix`` and ``merge`` (one level deep or more)."""
    out: list[dict[str, Any]] = []
    for gen in gens if isinstance(gens, list) else []:
        gen = _dict(gen)
        out.append(gen)
        for combo in ("matrix", "merge"):
            out += _generators(_dict(gen.get(combo)).get("generators"))
    return out


def _cluster_generators(appset: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``clusters`` generators of an ApplicationSet (top level or nested)."""
    return [_dict(g.get("clusters")) for g in _generators(_dict(appset.get("spec")).get("generators"))
            if "clusters" in g]


def _fixed_destination(appset: dict[str, Any]) -> str | None:
    """The cluster an ApplicationSet's template names without parameters (None when it has them)."""
    dest = _dict(_dict(_dict(_dict(appset.get("spec")).get("template")).get("spec")).get("destination"))
    if _TEMPLATED.search(str(dest.get("name") or "") + str(dest.get("server") or "")):
        return None
    return _destination({"spec": {"destination": dest}})


def _every_cluster(appset: dict[str, Any]) -> bool:
    """Whether a top-level ``clusters`` generator has no selector: it generates for every registered cluster."""
    return any(isinstance(g, dict) and "clusters" in g and not _dict(_dict(g.get("clusters")).get("selector"))
               for g in _dict(appset.get("spec")).get("generators") or [])


def _for_cluster(appset: dict[str, Any], cluster: str) -> dict[str, Any]:
    """The Application a selector-less ``clusters`` generator makes for ``cluster`` (``{{name}}`` filled in)."""
    params = {"name": cluster, "nameNormalized": cluster}
    template = _dict(_dict(appset.get("spec")).get("template"))
    spec = _dict(_render(template.get("spec"), params))
    spec["destination"] = {**_dict(spec.get("destination")), "name": cluster}
    spec["destination"].pop("server", None)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {**_dict(_render(template.get("metadata"), params)),
                         "namespace": _meta(appset).get("namespace")},
            "spec": spec}


def _excludes(appset: dict[str, Any], cluster: str) -> bool:
    """Whether every ``clusters`` generator's selector rules out ``cluster`` by name
    (``matchExpressions`` ``NotIn`` on a key naming the cluster, such as ``akuity.io/argo-cd-cluster-name``)."""
    gens = _cluster_generators(appset)

    def out(gen: dict[str, Any]) -> bool:
        for expr in _dict(gen.get("selector")).get("matchExpressions") or []:
            expr = _dict(expr)
            if (expr.get("operator") == "NotIn" and "name" in str(expr.get("key", "")).lower()
                    and cluster in [str(v) for v in expr.get("values") or []]):
                return True
        return False
    return bool(gens) and all(out(g) for g in gens)


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
    elements, and ``git`` directories and files of this repository (see ``_git_params``); a ``clusters``
    generator depends on clusters registered in Argo CD, which no repository shows, and yields none
    (``_not_followed`` says so) unless the template names a directory per cluster (``environments/{{name}}``)."""
    spec = _dict(appset.get("spec"))
    template = _dict(spec.get("template"))
    out: list[dict[str, Any]] = []
    for gen in spec.get("generators") or []:
        gen = _dict(gen)
        params: list[dict[str, str]] = []
        for element in _dict(gen.get("list")).get("elements") or []:
            if isinstance(element, dict):
                params.append({str(k): str(v) for k, v in element.items() if not isinstance(v, dict | list)})
        params += _git_params(files, _dict(gen.get("git")))[0]
        if "clusters" in gen:
            params += _clusters_by_directory(files, template)
        for p in params:
            out.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                        "metadata": {**_dict(_render(template.get("metadata"), p)),
                                     "namespace": _meta(appset).get("namespace")},
                        "spec": _render(template.get("spec"), p)})
    return out


def _path_params(path: str, is_dir: bool) -> dict[str, str]:
    """Argo CD's path parameters: ``path`` (a file's directory), ``path.basename``, ``path.filename``,
    ``path[N]``, in both the plain (``{{path.basename}}``) and the Go template (``{{.path.path}}``) forms."""
    folder = PurePosixPath(path if is_dir else str(PurePosixPath(path).parent))
    out = {"path": str(folder), "path.path": str(folder), "path.basename": folder.name,
           "path.basenameNormalized": re.sub(r"[^a-z0-9-]", "-", folder.name.lower())}
    if not is_dir:
        out["path.filename"] = PurePosixPath(path).name
        out["path.filenameNormalized"] = re.sub(r"[^a-z0-9-.]", "-", PurePosixPath(path).name.lower())
    out.update({f"path[{i}]": part for i, part in enumerate(folder.parts)})
    return out


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A git files generator's file as parameters: nested keys joined with dots (``cluster.name``)."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {} if isinstance(value, list) or not prefix else {prefix[:-1]: str(value)}


def _git_params(files: Files, git: dict[str, Any]) -> tuple[list[dict[str, str]], list[str]]:
    """(parameter sets, paths not followed) of a ``git`` generator over this repository: one set per
    directory matching a ``directories`` path (less those ``exclude: true`` matches), one per file (or list
    element of a file) matching a ``files`` path. A generator reading another repository, or a path with
    ``{{ }}``/``${ }`` in it, is not followed: its paths come back in the second list."""
    if not git:
        return [], []
    url = git.get("repoURL")
    dirs_ = [_dict(e) for e in git.get("directories") or []]
    files_ = [_dict(e) for e in git.get("files") or []]
    wanted = [str(e.get("path")) for e in dirs_ + files_ if isinstance(e.get("path"), str)]
    if isinstance(url, str) and (_TEMPLATED.search(url) or not _names_this_repository(url, repo_names(files.root))):
        return [], [f"{p} in {url}" for p in wanted]
    params: list[dict[str, str]] = []
    skipped = [p for p in wanted if _TEMPLATED.search(p)]
    folders = sorted({str(PurePosixPath(f).parent) for f in files.files})
    excluded = {d for e in dirs_ if e.get("exclude") is True and isinstance(e.get("path"), str)
                for d in folders if _glob(d, str(e["path"]))}
    for e in dirs_:
        pattern = e.get("path")
        if isinstance(pattern, str) and e.get("exclude") is not True and not _TEMPLATED.search(pattern):
            params += [_path_params(d, True) for d in folders if _glob(d, pattern) and d not in excluded]
    for e in files_:
        pattern = e.get("path")
        if not isinstance(pattern, str) or _TEMPLATED.search(pattern):
            continue
        for rel in files.files:
            if not _glob(rel, pattern):
                continue
            docs = files.yaml(rel) if rel.endswith((*YAML, ".json")) else None
            for doc in docs or []:
                for entry in doc if isinstance(doc, list) else [doc]:
                    if isinstance(entry, dict):
                        params.append({**_flatten(entry), **_path_params(rel, False)})
    return params, skipped


def _glob(path: str, pattern: str) -> bool:
    """Whether a repository path matches an Argo CD git generator glob (``*`` within a directory, ``**`` across)."""
    pattern = repo_path(pattern).strip("/")
    if "**" in pattern:
        return bool(re.fullmatch(re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*"), path))
    return path.count("/") == pattern.count("/") and PurePosixPath(path).match(pattern)


def _not_followed(files: Files, appset: dict[str, Any], generated: list[dict[str, Any]], cluster: str,
                  flux: bool) -> str | None:
    """Why what an Application or ApplicationSet applies to ``cluster`` cannot be read from the repository
    (None when it can, or when it applies nothing there): a ``clusters`` generator that yields no
    Application for it (they come from clusters registered in Argo CD), a git generator that is not
    followed (``_git_params``), or a generated source ``path`` still holding parameters."""
    spec = _dict(appset.get("spec"))
    if appset.get("kind") == "Application":
        paths = _paths(spec)
        return (f"source path '{paths[0]}' holds parameters the repository does not give"
                if paths and all(_TEMPLATED.search(p) for p in paths) else None)
    template = _dict(_dict(spec.get("template")).get("spec"))
    paths = _paths(template)
    if not paths:
        return None  # a chart from a Helm repository: its name is what it installs
    mine = [a for a in generated if flux or _destination(a) == cluster]
    left = [p for a in mine for p in _paths(_dict(a.get("spec"))) if _TEMPLATED.search(p)]
    if left:
        return f"source path '{left[0]}' holds parameters the repository does not give"
    gens = _generators(spec.get("generators"))
    for gen in gens:
        skipped = _git_params(files, _dict(gen.get("git")))[1]
        if skipped:
            return f"its git generator reads {skipped[0]}, which is not followed"
    if not mine and _cluster_generators(appset):
        return (f"it generates one Application per cluster registered in Argo CD (not in the repository), "
                f"with source path '{paths[0]}'")
    return None


def _paths(app_spec: dict[str, Any]) -> list[str]:
    return [str(s["path"]) for s in [app_spec.get("source"), *list(app_spec.get("sources") or [])]
            if isinstance(s, dict) and isinstance(s.get("path"), str)]


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
        name = dest.get("name")
        if isinstance(name, str) and name and not _TEMPLATED.search(name):
            return name
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
        # (path, substitute variables, targetNamespace[, ("overlay", Overlay.key())]) of every build queued
        self.seen: set[tuple[Any, ...]] = set()
        self.git: dict[str, str] = {}  # GitRepository name -> url
        self.names = repo_names(files.root)
        self._labels: list[dict[str, str]] | None = None

    def labels(self) -> list[dict[str, str]]:
        """The label sets of the clusters the repository registers (``shown_labels``), read once."""
        if self._labels is None:
            self._labels = shown_labels(self.files)
        return self._labels

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


@dataclass
class _Job:
    """A directory to build for a cluster: the record saying how it went, the Flux ``postBuild.substitute``
    variables, and the namespace its namespaced objects get: every one of them (Flux ``targetNamespace``,
    ``override``) or only those naming none (an Argo CD Application's destination namespace)."""

    record: BuildRecord
    variables: dict[str, str] = field(default_factory=dict)
    namespace: str | None = None
    override: bool = True
    overlay: Overlay | None = None  # what a Flux Kustomization adds to the build: components, patches


def _homes(files: Files, cluster: Cluster) -> dict[str, str]:
    """Root file -> the namespace Argo CD gives the namespaced objects in it that name none: the destination
    namespace of an Application of the roots whose source path applies that file too (an app of apps that
    manages itself, its own file in the directory it syncs). The objects a person applied first and those the
    Application applies from the same file are then one object, not two."""
    out: dict[str, str] = {}
    for rel in cluster.roots:
        for obj in manifests(files.yaml(rel) or []):
            apps = expand_appset(files, obj) if obj.get("kind") == "ApplicationSet" else [obj]
            for app in apps:
                ns = _dict(_dict(app.get("spec")).get("destination")).get("namespace")
                if app.get("kind") != "Application" or _destination(app) != cluster.name or not isinstance(ns, str) \
                        or not ns or _TEMPLATED.search(ns):
                    continue
                for path in _app_paths(files, app):
                    under = [r for r in cluster.roots if r not in out and (not path or r.startswith(path + "/"))]
                    if under and not localchart.is_chart(files, path):
                        read = {origin for _, origin in build(files, path, "builtin").objects}
                        out.update({r: ns for r in under if r in read})
    return out


def deployed(files: Files, cluster: Cluster, renderer: str = "auto") -> Deployed:
    """Everything ``cluster`` gets from the repository (see the module docstring); never raises for bad content."""
    out = Deployed(cluster)
    follow = _Follower(files, renderer)
    seen_objects: set[tuple[str, str, str, str]] = set()
    queue: list[_Job] = []
    if cluster.tool == "flux":
        queue += [_Job(BuildRecord("cluster root", root, "this repository", "")) for root in cluster.roots]
        follow.seen |= {(root, (), "") for root in cluster.roots}
    else:
        homes = _homes(files, cluster)
        for rel in cluster.roots:
            for obj in manifests(deepcopy(files.yaml(rel) or [])):
                if rel in homes and obj.get("kind") not in CLUSTER_SCOPED and not _meta(obj).get("namespace"):
                    obj.setdefault("metadata", {})["namespace"] = homes[rel]
                follow.learn(obj)
                appset = obj.get("kind") == "ApplicationSet"
                mine = [a for a in (expand_appset(files, obj) if appset else [obj])
                        if a.get("kind") == "Application" and _destination(a) == cluster.name]
                # an ApplicationSet adds the Applications it generates for this cluster; one generating per
                # registered cluster applies here too, though what it applies is not followed
                if mine or (appset and _cluster_generators(obj) and not _excludes(obj, cluster.name)) or (
                        appset and _fixed_destination(obj) == cluster.name):
                    _add(out, seen_objects, follow, obj, rel, "cluster root", queue)
    while queue:
        job = queue.pop(0)
        record = job.record
        out.builds.append(record)
        if record.path is None or record.error:
            continue
        built = build(files, record.path, renderer, job.overlay)
        record.renderer, record.notes = built.renderer, built.notes
        record.error = built.error
        if built.error:
            record.hides = sorted(built.unread) if built.fallback else [ANY_KIND]
        if built.error and not built.fallback:
            continue
        if built.fallback:
            record.notes.append("objects read by the built-in reader, as declared; Flux would apply none of them")
        record.objects = len(built.objects)
        for obj, _ in built.objects:
            follow.learn(obj)
        for obj, origin in built.objects:
            obj = deepcopy(obj)  # the reader's cached documents are shared by every cluster followed
            if job.variables:
                obj = substitute(obj, job.variables)
            if job.namespace and obj.get("kind") not in CLUSTER_SCOPED and (
                    job.override or not _meta(obj).get("namespace")):
                obj.setdefault("metadata", {})["namespace"] = job.namespace
            if built.fallback:
                meta = obj.setdefault("metadata", {})
                if isinstance(meta, dict):
                    meta["annotations"] = {**(meta.get("annotations") or {}), BUILD_ANNOTATION: "failed"}
            _add(out, seen_objects, follow, obj, origin, record.by, queue)
    return out


def _add(out: Deployed, seen: set[tuple[str, str, str, str]], follow: _Follower, obj: dict[str, Any], origin: str,
         by: str, queue: list[_Job]) -> None:
    meta = _meta(obj)
    key = (_group(obj.get("apiVersion")), str(obj.get("kind")), str(meta.get("namespace") or ""),
           str(meta.get("name") or ""))
    out.origins.add(origin)
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
        overlay = Overlay.of(spec)
        record = BuildRecord(f"Kustomization {name}", path, source, "", depends_on=depends,
                             substitute=sorted(variables), patches=overlay.count() if overlay else 0,
                             components=[repo_path(path, c) if path is not None else c
                                         for c in (overlay.components if overlay else [])])
        if spec.get("suspend") is True:
            record.notes.append("suspended: Flux does not apply it")
            record.path = None
        elif path is None:
            record.notes.append(f"source {source}: not followed")
            # what it applies comes from elsewhere: anything could be there, as for an Argo CD source not followed
            record.unfollowed, record.origin = f"its source is {source}", origin
        marker: tuple[Any, ...] = (path or "", tuple(sorted(variables.items())), str(spec.get("targetNamespace") or ""))
        if overlay is not None:
            marker += (("overlay", overlay.key()),)
        if record.path is not None and marker in follow.seen:
            return
        if record.path is not None:
            follow.seen.add(marker)
        target = spec.get("targetNamespace")
        queue.append(_Job(record, variables, target if isinstance(target, str) and target else None,
                          overlay=overlay))
    elif group == ARGO and kind == "ApplicationSet":
        condition = label_condition(follow.files, obj, origin, follow.labels())
        if condition:
            _mark(obj, condition)
        generated = expand_appset(follow.files, obj)
        if out.cluster.tool == "argocd" and _every_cluster(obj) and not any(
                _destination(a) == out.cluster.name for a in generated):
            generated.append(_for_cluster(obj, out.cluster.name))
        for app in generated:
            if out.cluster.tool == "flux" or _destination(app) == out.cluster.name:
                if condition:
                    _mark(app, condition)
                _add(out, seen, follow, app, origin, f"ApplicationSet {name}", queue)
        _unfollowed(out, follow.files, obj, generated, f"ApplicationSet {name}", origin)
    elif group == HELM and kind == "HelmRelease":
        _local_release_chart(follow, obj, spec)
        release_ns = str(spec.get("targetNamespace") or meta.get("namespace") or "default")
        for extra, where in _release_values_objects(obj, spec, origin):
            _add_from_values(out, seen, follow, extra, where, f"HelmRelease {name}", release_ns, queue)
    elif group == ARGO and kind == "Application":
        _unfollowed(out, follow.files, obj, [], f"Application {name}", origin)
        dest_ns = _dict(spec.get("destination")).get("namespace")
        app_ns = dest_ns if isinstance(dest_ns, str) and dest_ns and "{{" not in dest_ns else "default"
        for path in _app_paths(follow.files, obj):
            if localchart.is_chart(follow.files, path):  # a chart of this repository: helm renders it, not kustomize
                out.builds.append(_local_app_chart(follow.files, obj, path, f"Application {name}", origin))
                continue
            marker = (path, (), "")
            if marker not in follow.seen:
                follow.seen.add(marker)
                dest = _dict(spec.get("destination"))
                ns = dest.get("namespace") if isinstance(dest.get("namespace"), str) else None
                queue.append(_Job(BuildRecord(f"Application {name}", path, "this repository", ""), {}, ns or None,
                                  override=False))
        for extra, where in _app_values_objects(obj, spec, origin):
            _add_from_values(out, seen, follow, extra, where, f"Application {name}", app_ns, queue)


# Values keys under which charts take whole manifests to render as they are (the external-secrets, argo-cd,
# cert-manager and velero charts' extraObjects; kube-prometheus-stack's extraManifests; Bitnami's extraDeploy).
EXTRA_OBJECT_KEYS = ("extraObjects", "extraManifests", "extraDeploy")
FROM_VALUES_ANNOTATION = "readiness.dev/from-values"


def values_objects(values: Any) -> list[dict[str, Any]]:
    """The manifests a chart's ``values`` ask it to render as they are (``EXTRA_OBJECT_KEYS``): each item a mapping
    or a YAML string with ``apiVersion``, ``kind`` and a plain ``metadata.name``. A templated one (``{{ }}``, which
    helm renders with ``tpl``) is left out: what it becomes is not known here."""
    out: list[dict[str, Any]] = []
    for key in EXTRA_OBJECT_KEYS:
        items = values.get(key) if isinstance(values, dict) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                if "{{" in item:
                    continue
                docs = [d for d in manifests(_yaml_docs(item))]
            else:
                docs = manifests([item]) if isinstance(item, dict) else []
            for doc in docs:
                name = _meta(doc).get("name")
                if doc.get("apiVersion") and doc.get("kind") and isinstance(name, str) and "{{" not in name:
                    out.append(deepcopy(doc))
    return out


def _yaml_docs(text: str) -> list[Any]:
    """The documents of a YAML string in values, read as Kubernetes tools read YAML (``manifestfile.load_all``);
    none when it does not parse."""
    try:
        return [d for d in load_all(text) if d is not None]
    except yaml.YAMLError:
        return []


def _release_values_objects(release: dict[str, Any], spec: dict[str, Any],
                            origin: str) -> list[tuple[dict[str, Any], str]]:
    """(object, file it is declared in) of what a Flux HelmRelease's values render as they are: its own
    ``spec.values``, and a chart of this repository's values (top level and each dependency's)."""
    found = [(o, origin) for o in values_objects(_dict(spec.get("values")))]
    for chart in _dict(release.get(localchart.LOCAL_CHARTS_KEY)).values():
        found += _chart_values_objects(chart)
    return found


def _app_values_objects(app: dict[str, Any], spec: dict[str, Any], origin: str) -> list[tuple[dict[str, Any], str]]:
    """(object, file) of what an Argo CD Application's Helm values render as they are: each source's
    ``helm.values`` / ``valuesObject``, and a chart of this repository's values."""
    found = []
    for source in [spec.get("source"), *list(spec.get("sources") or [])]:
        helm = _dict(_dict(source).get("helm"))
        text = helm.get("values")
        values = _yaml_docs(text)[:1] if isinstance(text, str) and "{{" not in text else [_dict(text)]
        for v in [*values, _dict(helm.get("valuesObject"))]:
            found += [(o, origin) for o in values_objects(v)]
    for chart in _dict(app.get(localchart.LOCAL_CHARTS_KEY)).values():
        found += _chart_values_objects(chart)
    return found


def _chart_values_objects(chart: Any) -> list[tuple[dict[str, Any], str]]:
    if not isinstance(chart, dict):
        return []
    values, where = _dict(chart.get("values")), f"{chart.get('path')}/values.yaml".lstrip("/")
    found = [(o, where) for o in values_objects(values)]
    for dep in chart.get("dependencies") or []:
        if localchart.enabled(dep, values):
            found += [(o, where) for o in values_objects(values.get(dep.get("alias") or dep.get("name")))]
    return found


def _add_from_values(out: Deployed, seen: set[tuple[str, str, str, str]], follow: _Follower, obj: dict[str, Any],
                     origin: str, by: str, namespace: str, queue: list[_Job]) -> None:
    """An object a release's values render as it is: applied by the release, in its namespace unless it names one."""
    meta = obj.setdefault("metadata", {})
    if obj.get("kind") not in CLUSTER_SCOPED and not meta.get("namespace"):
        meta["namespace"] = namespace
    meta["annotations"] = {**_dict(meta.get("annotations")), FROM_VALUES_ANNOTATION: "true"}
    _add(out, seen, follow, obj, origin, by, queue)


def _local_app_chart(files: Files, app: dict[str, Any], path: str, by: str, origin: str) -> BuildRecord:
    """An Argo CD Application's path source holding a Helm chart of this repository: the chart (its
    dependencies and values, ``localchart.read``) is attached to the Application for the fact extractors, and
    the record says it was not rendered (its templates stay skipped files)."""
    spec = _dict(app.get("spec"))
    helm = next((_dict(s.get("helm")) for s in [spec.get("source"), *list(spec.get("sources") or [])]
                 if isinstance(s, dict) and isinstance(s.get("path"), str) and repo_path(s["path"]) == path), {})
    chart = localchart.read(files, path, localchart.argo_value_files(path, helm))
    deps = ", ".join(d["name"] for d in (chart or {}).get("dependencies") or []) or "none"
    if chart is not None:
        app.setdefault(localchart.LOCAL_CHARTS_KEY, {})[path] = chart
    return BuildRecord(by, path, "this repository", "helm (not rendered)", origin=origin, notes=[
        f"a Helm chart of this repository (dependencies: {deps}): Argo CD renders it with helm template, which "
        "readiness does not run; its dependencies and values are read as facts, its templates are skipped files"])


def _local_release_chart(follow: _Follower, release: dict[str, Any], spec: dict[str, Any]) -> None:
    """A Flux HelmRelease whose chart is a directory of this repository (``spec.chart.spec.chart`` a path in a
    GitRepository source): the chart is attached to the release for the fact extractors."""
    chart_spec = _dict(_dict(spec.get("chart")).get("spec"))
    ref = _dict(chart_spec.get("sourceRef"))
    chart = chart_spec.get("chart")
    if ref.get("kind") != "GitRepository" or not isinstance(chart, str) or _TEMPLATED.search(chart):
        return
    path, _ = follow.resolve("GitRepository", str(ref.get("name", "")), chart)
    if path is None or not localchart.is_chart(follow.files, path):
        return
    files = [repo_path(f) for f in chart_spec.get("valuesFiles") or [] if isinstance(f, str)]
    found = localchart.read(follow.files, path, files)
    if found is not None:
        release.setdefault(localchart.LOCAL_CHARTS_KEY, {})[path] = found


def _unfollowed(out: Deployed, files: Files, obj: dict[str, Any], generated: list[dict[str, Any]], by: str,
                origin: str) -> None:
    """Record an Application / ApplicationSet whose source this cluster gets but the repository cannot show."""
    why = _not_followed(files, obj, generated, out.cluster.name, out.cluster.tool == "flux")
    if why:
        spec = _dict(obj.get("spec"))
        paths = _paths(_dict(_dict(spec.get("template")).get("spec")) if obj.get("kind") == "ApplicationSet"
                       else spec)
        out.builds.append(BuildRecord(by, None, "this repository", "none", origin=origin, unfollowed=why,
                                      notes=[f"source path {paths[0] if paths else '?'} not followed"]))


def shown_labels(files: Files) -> list[dict[str, str]]:
    """The label sets the repository gives clusters registered in Argo CD, one per cluster: the
    ``metadata.labels`` of every Argo CD cluster Secret (label ``argocd.argoproj.io/secret-type: cluster``;
    only its labels are read, never its data), and the ``labels`` of every entry of the argo-cd chart's
    ``configs.clusterCredentials`` (a list or a mapping) in a values file."""
    out: list[dict[str, str]] = []
    for rel in files.files:
        if not rel.endswith(YAML):
            continue
        text = files.text(rel)
        if text is None or (CLUSTER_SECRET_LABEL not in text and "clusterCredentials" not in text):
            continue
        for doc in files.yaml(rel) or []:
            doc = _dict(doc)
            labels = _dict(_meta(doc).get("labels"))
            if doc.get("kind") == "Secret" and labels.get(CLUSTER_SECRET_LABEL) == "cluster":
                out.append({str(k): str(v) for k, v in labels.items()})
            creds = _dict(doc.get("configs")).get("clusterCredentials")
            entries = creds.values() if isinstance(creds, dict) else creds if isinstance(creds, list) else []
            out += [{str(k): str(v) for k, v in _dict(_dict(e).get("labels")).items()} for e in entries
                    if _dict(e).get("labels")]
    return out


def _requirements(selector: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(key, operator, values) of a label selector, ``matchLabels`` as ``In``; requirements that only
    rule a cluster out by name (``NotIn`` on a key naming the cluster, see ``_excludes``) are left out."""
    out = [(str(k), "In", [str(v)]) for k, v in _dict(selector.get("matchLabels")).items()]
    for expr in selector.get("matchExpressions") or []:
        expr = _dict(expr)
        key, op = str(expr.get("key", "")), str(expr.get("operator", ""))
        if op == "NotIn" and "name" in key.lower():
            continue
        out.append((key, op, [str(v) for v in expr.get("values") or []]))
    return out


def _matches(labels: dict[str, str], reqs: list[tuple[str, str, list[str]]]) -> bool:
    """Whether a cluster's labels satisfy every requirement (Kubernetes label selector semantics)."""
    for key, op, values in reqs:
        ok = {"In": key in labels and labels[key] in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}.get(op, False)
        if not ok:
            return False
    return True


def _wording(reqs: list[tuple[str, str, list[str]]]) -> str:
    """Requirements in the Kubernetes set-based selector syntax: ``k in (a,b)``, ``k notin (a)``, ``k``, ``!k``."""
    parts = []
    for key, op, values in reqs:
        parts.append({"In": f"{key} in ({','.join(values)})", "NotIn": f"{key} notin ({','.join(values)})",
                      "Exists": key, "DoesNotExist": f"!{key}"}.get(op, f"{key} {op}"))
    return ", ".join(parts)


def _gen_condition(gen: dict[str, Any], shown: list[dict[str, str]]) -> list[tuple[str, str, list[str]]] | None:
    """The label requirements a generator's clusters must meet that no shown cluster meets (None: it
    generates without them). ``merge`` generates for the clusters of its first generator, ``matrix``
    for those all of its generators select."""
    if "clusters" in gen:
        reqs = _requirements(_dict(_dict(gen.get("clusters")).get("selector")))
        return reqs if reqs and not any(_matches(labels, reqs) for labels in shown) else None
    children = [_dict(g) for g in _dict(gen.get("merge") or gen.get("matrix")).get("generators") or []]
    if "merge" in gen:
        return _gen_condition(children[0], shown) if children else None
    if "matrix" in gen:
        found = [c for c in (_gen_condition(g, shown) for g in children) if c]
        return [r for c in found for r in c] or None
    return None


def label_condition(files: Files, appset: dict[str, Any], origin: str,
                    shown: list[dict[str, str]]) -> tuple[str, str, int] | None:
    """(labels, path, line) when every generator of ``appset`` selects clusters by labels that none of
    the ``shown`` label sets carries (``shown_labels``): it installs only on clusters labelled so, which the
    repository does not show. None when a generator needs no such label. ``line`` is the first line of
    ``origin`` naming one of the labels' keys (1 when the file does not show it)."""
    conditions = [_gen_condition(_dict(g), shown) for g in _dict(appset.get("spec")).get("generators") or []]
    if not conditions or any(c is None for c in conditions):
        return None
    reqs = list(dict.fromkeys((k, op, tuple(v)) for c in conditions for k, op, v in c or []))
    text = files.text(origin) or ""
    line = 1
    for number, row in enumerate(text.splitlines(), 1):
        if any(re.search(rf"(^|[\s'\"-]){re.escape(k)}['\"]?\s*(:|$)", row) for k, _, _ in reqs):
            line = number
            break
    return _wording([(k, op, list(v)) for k, op, v in reqs]), origin, line


def _mark(obj: dict[str, Any], condition: tuple[str, str, int]) -> None:
    meta = obj.setdefault("metadata", {})
    if isinstance(meta, dict):
        meta["annotations"] = {**_dict(meta.get("annotations")), LABELS_ANNOTATION: condition[0],
                               LABELS_AT_ANNOTATION: condition[1], LABELS_LINE_ANNOTATION: str(condition[2])}
