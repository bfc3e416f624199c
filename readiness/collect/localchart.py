"""Helm charts kept in the repository itself, as an Argo CD Application's ``path`` source or a Flux
HelmRelease's chart from a GitRepository installs them: read as helm would be given them, never rendered.

A chart is a directory holding ``Chart.yaml``. What it installs is read from its ``dependencies``
(name, alias, condition: an umbrella chart wrapping ``kube-prometheus-stack`` or ``velero``) and its
values: the chart's ``values.yaml``, then the value files the installer names (Argo CD
``helm.valueFiles`` relative to the chart, Flux ``spec.chart.spec.valuesFiles`` relative to the source),
then the installer's own values (merged by the fact extractors, ``readiness.collect.helmfacts``).

The chart's ``templates/`` are Go templates: readiness does not run helm, so they stay skipped files
(``readiness.collect.reader``) and the build record says the chart was not rendered. What this module
reads reaches the fact extractors only, under ``LOCAL_CHARTS_KEY`` on the installing object, which the
sanitizer drops before anything is stored (``readiness.collect.sanitize.row_fields``): values may hold
secrets, and facts are all that is kept of them.
"""

from __future__ import annotations

import posixpath
from typing import Any

from readiness.collect.reader import Files

# Top-level key of an installing object (Application, HelmRelease) while it is being collected:
# repository path of the chart -> ``read``'s result. Never stored.
LOCAL_CHARTS_KEY = "readiness.dev/local-charts"
CHART_FILE = "Chart.yaml"


def _dict(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base`` key by key (mappings recursively, anything else replaced), as helm
    merges values files and Flux a HelmRelease's ``valuesFrom`` (``readiness.collect.valuesfrom``)."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _first(files: Files, rel: str) -> dict[str, Any] | None:
    if rel not in files.files:
        return None
    docs = files.yaml(rel) or []
    return next((d for d in docs if isinstance(d, dict)), {})


def is_chart(files: Files, path: str) -> bool:
    """Whether repository directory ``path`` holds a Helm chart (its ``Chart.yaml``)."""
    return posixpath.normpath(posixpath.join(path, CHART_FILE)) in files.files


def read(files: Files, path: str, value_files: list[str] | None = None) -> dict[str, Any] | None:
    """The chart at repository directory ``path``, None when it holds no ``Chart.yaml``:
    ``{"path", "name", "dependencies": [{"name", "alias", "condition"}], "values", "value_files_unread"}``.

    ``value_files`` are repository paths merged over ``values.yaml`` in order; one that is not a file
    here (another source's ``$values/...``, a URL) is counted in ``value_files_unread``."""
    doc = _first(files, posixpath.normpath(posixpath.join(path, CHART_FILE)))
    if doc is None:
        return None
    deps = [{"name": str(d["name"]), "alias": d.get("alias") if isinstance(d.get("alias"), str) else None,
             "condition": d.get("condition") if isinstance(d.get("condition"), str) else None}
            for d in doc.get("dependencies") or [] if isinstance(d, dict) and d.get("name")]
    values: dict[str, Any] = {}
    unread = 0
    for rel in [posixpath.normpath(posixpath.join(path, "values.yaml")), *(value_files or [])]:
        found = _first(files, rel)
        if found is None:
            unread += rel != posixpath.normpath(posixpath.join(path, "values.yaml"))
            continue
        values = merge(values, found)
    return {"path": path, "name": str(doc.get("name") or ""), "dependencies": deps, "values": values,
            "value_files_unread": unread}


def argo_value_files(path: str, helm: dict[str, Any]) -> list[str]:
    """An Argo CD source's ``helm.valueFiles`` as repository paths (relative to the chart directory);
    a ``$ref/...`` of another source or a URL stays as given, so ``read`` counts it unread."""
    out = []
    for f in _dict(helm).get("valueFiles") or []:
        f = str(f)
        out.append(f if f.startswith(("$", "http://", "https://")) else posixpath.normpath(posixpath.join(path, f)))
    return out


def enabled(dep: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether a dependency is installed: its ``condition`` (the first of a comma-separated list that the
    values set) unless it is false; installed when nothing sets it."""
    for cond in str(dep.get("condition") or "").split(","):
        node: Any = values
        for part in cond.strip().split("."):
            node = node.get(part) if isinstance(node, dict) and part else None
        if isinstance(node, bool):
            return node
    return True
