"""What a repository declares that no cluster of its deployed view applies.

After every cluster the repository declares has been followed (``readiness.collect.deployed``), the
manifest files none of them read are *unapplied*: one ``Unapplied`` fact per file (``readiness.store.repofacts``).
A file counts when it holds a YAML document with ``apiVersion`` and ``kind`` and is none of:

- under an examples, docs or test-fixture directory (``repofacts.not_deployed``) or a CI directory;
- a Helm chart template, or a file that could not be read (those are ``skipped`` coverage rows already);
- a ``kustomization.yaml`` (it builds others, it declares nothing itself), or a file some kustomization file
  of the repository reads as a patch, generator input or configuration (``used_as_input``);
- a hidden file or one in a hidden directory (a tool's configuration, such as ``.fluxschema.yml``);
- only objects that define the sync: Flux Kustomizations and Flux sources (GitRepository, OCIRepository,
  Bucket, HelmRepository), which are plumbing, not what a cluster runs. An Argo CD Application stays: it
  installs a component.

A file is *applied* when any cluster's deployed view holds an object declared in it (even one whose
Kustomization does not build: the view shows it). An Argo CD source that was not followed could apply
any file under the fixed part of its path (before the first ``{{``): those files are never called unapplied,
and when that fixed part is empty nothing is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from readiness.collect.deployed import Deployed
from readiness.collect.kustomize import KUSTOMIZATION_FILES, repo_path
from readiness.collect.manifestfile import manifests
from readiness.collect.reader import YAML, Files
from readiness.store.repofacts import not_deployed

# Objects that only define how a cluster syncs: (API group, kind).
SYNC_ONLY = frozenset({("kustomize.toolkit.fluxcd.io", "Kustomization"), ("kustomize.config.k8s.io", "Kustomization"),
                       ("source.toolkit.fluxcd.io", "GitRepository"), ("source.toolkit.fluxcd.io", "OCIRepository"),
                       ("source.toolkit.fluxcd.io", "Bucket"), ("source.toolkit.fluxcd.io", "HelmRepository")})
# Kinds whose names say which component they install (what ``names`` records).
INSTALLERS = frozenset({"HelmRelease", "HelmChart", "Application", "ApplicationSet", "Deployment", "StatefulSet",
                        "DaemonSet", "Job"})
_MANIFEST = re.compile(r"^\s*(?:-\s+)?apiVersion:", re.MULTILINE)
_NOT_FOLLOWED = re.compile(r"^source path (.*) not followed$")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(obj: dict[str, Any]) -> set[str]:
    """The component names an installing object goes by: its name, app labels, chart, release name, and an
    Argo CD source path's last directory (lower case)."""
    meta, spec = _dict(obj.get("metadata")), _dict(obj.get("spec"))
    labels = _dict(meta.get("labels"))
    out = {meta.get("name"), labels.get("app.kubernetes.io/name"), labels.get("app"), spec.get("releaseName"),
           _dict(_dict(spec.get("chart")).get("spec")).get("chart"), _dict(spec.get("chartRef")).get("name")}
    if obj.get("kind") == "HelmChart":
        out.add(spec.get("chart"))
    app = _dict(_dict(spec.get("template")).get("spec")) if obj.get("kind") == "ApplicationSet" else spec
    sources = app.get("sources")
    for source in [app.get("source"), *(sources if isinstance(sources, list) else [])]:
        source = _dict(source)
        out.add(source.get("chart"))
        if isinstance(source.get("path"), str):
            out.add(source["path"].rstrip("/").rsplit("/", 1)[-1])
    return {n.lower() for n in out if isinstance(n, str) and n and "{{" not in n}


def _alerts(obj: dict[str, Any]) -> int:
    groups = _dict(obj.get("spec")).get("groups")
    return sum(1 for g in groups if isinstance(g, dict) and isinstance(g.get("rules"), list)
               for r in g["rules"] if isinstance(r, dict) and r.get("alert")) if isinstance(groups, list) else 0


def _open_prefixes(views: Iterable[Deployed]) -> list[str] | None:
    """The fixed parts of the paths of Argo CD sources that were not followed; None when one is fully templated."""
    out = []
    for view in views:
        for b in view.builds:
            if not b.unfollowed or b.by.startswith("Kustomization "):  # a Flux source of another repository
                continue
            m = next((m for n in b.notes if (m := _NOT_FOLLOWED.match(n))), None)
            raw = repo_path(m.group(1)) if m and m.group(1) != "?" else ""
            fixed = re.split(r"\{\{|\$\{", raw)[0]
            prefix = fixed + "/" if fixed == raw else fixed[:fixed.rfind("/") + 1]
            if not raw or prefix in ("", "/"):
                return None
            out.append(prefix)
    return out


# Fields of a kustomization.yaml naming files it reads as other than resources (patches, generator inputs,
# transformer configs, CRD schemas): such a file is used, though no object is declared in it.
_USED_AS_INPUT = ("patchesStrategicMerge", "patches", "patchesJson6902", "replacements", "configurations", "crds",
                  "transformers", "generators", "validators", "helmCharts", "openapi", "configMapGenerator",
                  "secretGenerator")


def _inputs(value: Any) -> list[str]:
    """The file names a kustomization field's value holds: strings, ``path``/``valuesFile`` entries, and a
    generator's ``files``/``envs`` (``key=file`` as ``file``); inline patches (several lines) are no file."""
    if isinstance(value, str):
        name = value.split("=", 1)[-1].strip()
        return [name] if name and "\n" not in name and not name.startswith(("{", "[")) else []
    if isinstance(value, list):
        return [n for v in value for n in _inputs(v)]
    if isinstance(value, dict):
        return [n for key in ("path", "valuesFile", "files", "envs", "env") if key in value
                for n in _inputs(value[key])]
    return []


def used_as_input(files: Files) -> set[str]:
    """Repository files some kustomization file of the repository reads as a patch, generator input or
    configuration (``_USED_AS_INPUT``), applied or not: they are not declarations of their own."""
    out = set()
    for rel in files.files:
        if PurePosixPath(rel).name not in KUSTOMIZATION_FILES:
            continue
        for doc in files.yaml(rel) or []:
            for key in _USED_AS_INPUT:
                for name in _inputs(_dict(doc).get(key)):
                    out.add(repo_path(str(PurePosixPath(rel).parent), name))
    return out


def unapplied(files: Files, views: list[Deployed]) -> list[tuple[str, dict[str, Any]]]:
    """(path, spec) of every manifest file no cluster of ``views`` applies (see the module docstring), sorted by
    path; spec ``{"path", "kinds": [{"api_version", "kind", "count"}], "alerts": int (alerting rules of its
    PrometheusRules), "names": [component names of its installing objects]}``. Reads each candidate file once
    (through ``files``, which caches what it parsed); an unreadable one is recorded in ``files.skipped``."""
    prefixes = _open_prefixes(views)
    if prefixes is None:
        return []
    applied = {origin for view in views for origin in view.origins | {o for _, o, _ in view.objects}}
    applied |= used_as_input(files)
    out = []
    for rel in files.files:
        parts = PurePosixPath(rel).parts
        if (not rel.endswith(YAML) or rel in applied or any(p.startswith(".") for p in parts) or not_deployed(rel)
                or rel in files.skipped or parts[-1] in KUSTOMIZATION_FILES
                or files.in_chart_templates(rel) or any(rel.startswith(p) for p in prefixes)):
            continue
        text = files.text(rel)
        if text is None or not _MANIFEST.search(text) or "kind:" not in text:
            continue
        kinds: Counter[tuple[str, str]] = Counter()
        alerts, names = 0, set()
        for obj in manifests(files.yaml(rel) or []):
            api, kind = str(obj["apiVersion"]), str(obj["kind"])
            if (api.rpartition("/")[0], kind) in SYNC_ONLY:
                continue
            kinds[(api, kind)] += 1
            alerts += _alerts(obj) if kind == "PrometheusRule" else 0
            names |= _names(obj) if kind in INSTALLERS else set()
        if kinds:
            out.append((rel, {"path": rel, "kinds": [{"api_version": a, "kind": k, "count": n}
                                                     for (a, k), n in sorted(kinds.items())],
                              "alerts": alerts, "names": sorted(names)}))
    return out
