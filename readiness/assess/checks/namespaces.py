"""The namespaces a repository's objects go to, as its kustomizations, Flux Kustomizations and installers say.

A live snapshot's objects carry their namespaces. A repository's deployed view has them set as Flux and kustomize
would (the collector renders the kustomizations and applies a Flux Kustomization's ``targetNamespace``). Its files
view reads every file as written, so an object often has no namespace of its own: the ``namespace:`` of a
kustomization that includes its file, or the ``targetNamespace`` of a Flux Kustomization whose path holds it,
gives it one, and a Namespace object such a kustomization includes is renamed (a component's placeholder
``Namespace not-used`` becomes each namespace that includes it). Installers name where they install: a Flux
HelmRelease its ``targetNamespace`` (else its own namespace), an Argo CD Application its
``destination.namespace``.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from readiness.assess.checks.base import FILE_ANNOTATIONS, ClusterSnapshot, KubeObject
from readiness.assess.checks.common import ARGO, HELM, KUSTOMIZE, WORKLOAD_KINDS, deployed_view

FLUX_KUSTOMIZE = "kustomize.toolkit.fluxcd.io"
# What a namespace's name can be (a DNS label): a template (an ApplicationSet's ``{{ .name }}``, Flux's
# ``${NS}``) or a pattern (``*``) is not a name.
NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def named(ns: str) -> bool:
    """Whether ``ns`` names a namespace (not a template or a pattern the repository leaves to its tool)."""
    return NAME.fullmatch(ns) is not None


def file_of(o: KubeObject) -> str:
    """The repository file ``o`` was read from ('' when not recorded)."""
    return next((str(o.annotations[k]) for k in FILE_ANNOTATIONS if o.annotations.get(k)), "")


def _clean(path: str) -> str:
    """A repository path as ``posixpath.normpath`` gives it, without ``./`` or a trailing slash."""
    return posixpath.normpath(path.strip()).removeprefix("./") if path.strip() else ""


def _given(ev: ClusterSnapshot) -> dict[str, set[str]]:
    """File -> the namespaces kustomize's ``namespace:`` and Flux's ``targetNamespace`` give the objects of that
    file in a repository's files view (following kustomizations' ``resources`` and ``components``, a directory
    through its kustomization.yaml, and a Flux Kustomization's ``spec.components``); a file under a Flux
    Kustomization's path that no kustomization lists is covered by the path (Flux generates a kustomization of
    every file there). Empty on a live snapshot and on a deployed view, whose namespaces are set already."""
    if not ev.declared_only or deployed_view(ev):
        return {}
    docs: dict[str, dict[str, Any]] = {}
    for o in ev.items(KUSTOMIZE, "Kustomization") + ev.items(KUSTOMIZE, "Component"):
        path = file_of(o) or o.name
        if path.endswith((".yaml", ".yml")):  # kustomization.yaml: what it lists is relative to its directory
            docs[posixpath.dirname(path)] = o.status if isinstance(o.status, dict) else {}
    out: dict[str, set[str]] = {}

    def walk(start: list[str], ns: str) -> None:
        seen: set[str] = set()
        todo = [d for d in start if d in docs]
        while todo:
            here = todo.pop()
            if here in seen:
                continue
            seen.add(here)
            listed = [*(docs[here].get("resources") or []), *(docs[here].get("components") or [])]
            for item in listed:
                if not isinstance(item, str) or "://" in item:
                    continue
                target = _clean(posixpath.join(here, item))
                if target in docs:
                    todo.append(target)
                else:
                    out.setdefault(target, set()).add(ns)

    for here, doc in docs.items():
        name = doc.get("namespace")
        if isinstance(name, str) and named(name):
            walk([here], name)
    flux: list[tuple[str, str]] = []
    for k in ev.items(FLUX_KUSTOMIZE, "Kustomization"):
        spec = k.spec if isinstance(k.spec, dict) else {}
        into, under = spec.get("targetNamespace"), spec.get("path")
        if not isinstance(into, str) or not named(into) or not isinstance(under, str):
            continue
        root = _clean(under)
        comps = [_clean(posixpath.join(root, c)) for c in spec.get("components") or [] if isinstance(c, str)]
        walk([root, *comps], into)
        flux.append((root, into))
    if flux:
        for f in {file_of(o) for o in _namespaced(ev)} - set(out):
            covering = [(len(root), ns) for root, ns in flux if f.startswith(f"{root}/")]
            if covering:  # the deepest path is the Kustomization that applies the file
                out[f] = {max(covering)[1]}
    return out


def _namespaced(ev: ClusterSnapshot) -> list[KubeObject]:
    """Objects of the kinds whose namespace the security checks ask for (read without noting them as read:
    which files a Flux path holds is bookkeeping, not what a verdict rests on)."""
    kinds = [("apps", k) for k in WORKLOAD_KINDS] + [("", "Namespace"), (HELM, "HelmRelease"), (
        "networking.k8s.io", "NetworkPolicy"), ("cilium.io", "CiliumNetworkPolicy"), ("batch", "CronJob")]
    return [o for group, kind in kinds for o in ev.by_kind.items(group, kind)]


def given(ev: ClusterSnapshot) -> dict[str, set[str]]:
    """``_given``, worked out once per snapshot."""
    found: dict[str, set[str]] = ev.shared("namespaces given", _given)
    return found


def namespaces_of(ev: ClusterSnapshot, o: KubeObject) -> list[str]:
    """Where object ``o`` goes: a Namespace object its name (or, in a files view, the names kustomizations
    that include it give it: ``given``); a HelmRelease its ``spec.targetNamespace``, else its namespace; an Argo CD
    Application its ``spec.destination.namespace``; anything else its namespace, else what ``given`` says of its
    file. Possibly not a name (``named``: a template, a pattern); ``[]`` when nothing says."""
    spec = o.spec if isinstance(o.spec, dict) else {}
    if o.kind == "Namespace":
        return sorted(given(ev).get(file_of(o)) or [o.name])
    if o.kind == "Application" and o.api_version.startswith(ARGO):
        dest = spec.get("destination")
        ns = dest.get("namespace") if isinstance(dest, dict) else None
        return [ns] if isinstance(ns, str) and ns else []
    if o.kind == "HelmRelease" and isinstance(spec.get("targetNamespace"), str) and spec["targetNamespace"]:
        return [str(spec["targetNamespace"])]
    if o.namespace:
        return [o.namespace]
    return sorted(given(ev).get(file_of(o)) or [])
