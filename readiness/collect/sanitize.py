"""Turning one Kubernetes object into the JSON columns of an object row, minus what must not be stored.

Removed or redacted before anything is written, whatever the catalogue says:

- annotations that are a full copy of the object (``FULL_COPY_ANNOTATIONS``: kubectl's
  last-applied-configuration, kapp's original, Rancher's applied), and ``managedFields``;
- every ``value`` of an ``env``/``*Env`` list (pod specs and templates of every kind, Argo CD
  plugin env...), replaced by ``REDACTED``;
- in ``args``/``command``/``*Args`` lists, the value of anything that looks like a secret
  (``redact_args``): ``--db-password=x``, ``PASSWORD=x``, ``"token": "x"``, the item after a flag
  such as ``--password``, the password of a ``scheme://user:password@host`` URL;
- configuration values that charts and generators turn into Secrets (``VALUE_FIELDS``: a Flux
  HelmRelease's ``spec.values``, Argo CD Helm values and parameters, Kustomize generator
  literals...), each replaced as a whole by ``REDACTED``;
- ConfigMap data and Secret values (a repository's Secret manifest keeps its key names only).

Bulky fields a catalogue entry lists under ``omit`` are deleted too. Secret-stripping is kept here
rather than in the catalogue so that a user's catalogue entry can never switch it off.
"""

from __future__ import annotations

import json
import re
from typing import Any

from readiness.collect.configfacts import FACTS_KEY, extract
from readiness.schema import REDACTED

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Annotations holding a full copy of the object as applied (env values, Helm values and all).
FULL_COPY_ANNOTATIONS = frozenset({LAST_APPLIED, "kapp.k14s.io/original", "objectset.rio.cattle.io/applied"})

# Fields that hold configuration values, per (API group, kind), replaced as a whole by REDACTED.
# A dotted path ("*" walks every list item) matches at any depth, so an Argo CD Application's
# copies of its source under status (sync.comparedTo, history, operationState) are covered too.
_ARGO_SOURCE = ("helm.values", "helm.valuesObject", "helm.parameters", "plugin.parameters",
                "jsonnet.extVars", "jsonnet.tlas")
_GENERATORS = ("secretGenerator.*.literals", "configMapGenerator.*.literals")
VALUE_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("helm.toolkit.fluxcd.io", "HelmRelease"): ("spec.values",),
    ("kustomize.toolkit.fluxcd.io", "Kustomization"): ("postBuild.substitute",),
    ("argoproj.io", "Application"): _ARGO_SOURCE,
    ("argoproj.io", "ApplicationSet"): _ARGO_SOURCE,
    ("helm.cattle.io", "HelmChart"): ("spec.valuesContent", "spec.set"),
    ("helm.cattle.io", "HelmChartConfig"): ("spec.valuesContent",),
    ("kustomize.config.k8s.io", "Kustomization"): _GENERATORS,
    ("kustomize.config.k8s.io", "Component"): _GENERATORS,
}

# A name that says its value is a secret; in args it must end the flag or variable name.
SECRET_NAME = r"(?:pass(?:word)?|passwd|token|secret|credentials?|(?:api|access|secret|private)[-_]?key)"
# NAME=value, NAME: value, "name": "value" anywhere in an item (so in `sh -c "..."` scripts too).
_ASSIGNED = re.compile(rf"(?i)({SECRET_NAME}[\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s\"',;&|)]+)")
# A flag whose value is the next item: --password hunter2.
_SECRET_FLAG = re.compile(rf"(?i)^--?[\w.-]*{SECRET_NAME}$")
# The password of scheme://user:password@host.
_URL_PASSWORD = re.compile(r"(://[^/\s:@]*:)([^/\s@]+)(@)")
_STRUCTURE = ("apiVersion", "kind", "metadata", "spec", "status")

Row = tuple[str | None, str, str, str, str, str]


def redact_args(items: list[Any]) -> None:
    """Replace, in place, the secret-looking values in one ``args``/``command`` list (see ``SECRET_NAME``)."""
    after_flag = False
    for i, item in enumerate(items):
        if not isinstance(item, str):
            after_flag = False
            continue
        if after_flag and not item.startswith("-"):
            items[i] = REDACTED
            after_flag = False
            continue
        after_flag = bool(_SECRET_FLAG.match(item))
        text = _ASSIGNED.sub(lambda m: m.group(1) + REDACTED, item)
        items[i] = _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + m.group(3), text)


def redact(node: Any) -> None:
    """Redact, in place, under ``node``: the ``value`` of every item of every ``env``/``*Env`` list, and the
    secret-looking values of every ``args``/``command``/``*Args`` list (``redact_args``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, list):
                if key == "env" or key.endswith("Env"):
                    for item in value:
                        if isinstance(item, dict) and "value" in item:
                            item["value"] = REDACTED
                elif key in ("args", "command") or key.endswith("Args"):
                    redact_args(value)
                for item in value:
                    if isinstance(item, dict | list):
                        redact(item)
            elif isinstance(value, dict):
                redact(value)
    elif isinstance(node, list):
        for item in node:
            redact(item)


def omit(node: Any, path: str, *, replace: bool = False) -> None:
    """Delete the field at dotted ``path`` (``*`` walks every item of a list) from ``node``, in place;
    with ``replace``, put ``REDACTED`` in its place instead."""
    head, _, rest = path.partition(".")
    if head == "*":
        if isinstance(node, list) and rest:
            for item in node:
                omit(item, rest, replace=replace)
        return
    if not isinstance(node, dict) or head not in node:
        return
    if rest:
        omit(node[head], rest, replace=replace)
    elif replace:
        node[head] = REDACTED
    else:
        del node[head]


def redact_values(node: Any, paths: tuple[str, ...]) -> None:
    """Replace by ``REDACTED``, in place, the field at each dotted path wherever it occurs under ``node``."""
    if isinstance(node, dict):
        for path in paths:
            omit(node, path, replace=True)
        children: Any = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return
    for child in children:
        if isinstance(child, dict | list):
            redact_values(child, paths)


def _group(api_version: Any) -> str:
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def _key_names(values: Any) -> Any:
    return {k: REDACTED for k in values} if isinstance(values, dict) else REDACTED


def is_core_secret(obj: dict[str, Any]) -> bool:
    return obj.get("apiVersion") == "v1" and obj.get("kind") == "Secret"


_ENCODER = json.JSONEncoder(sort_keys=True, check_circular=False)


def dumps(value: Any) -> str:
    """``json.dumps(value, sort_keys=True)``, without building an encoder per call."""
    return _ENCODER.encode(value)


def row_fields(obj: dict[str, Any], *, metadata_only: bool = False, omit_paths: tuple[str, ...] = ()) -> Row:
    """(namespace, name, labels, annotations, spec, status) of ``obj``, the last four as JSON text.

    ``obj`` is consumed (modified in place). Top-level fields other than apiVersion, kind,
    metadata and spec (a VulnerabilityReport's ``report``, a Secret's ``type``) go into
    ``status`` under their own keys; keys of a real ``status`` win.
    """
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    if not FULL_COPY_ANNOTATIONS.isdisjoint(annotations):
        annotations = {k: v for k, v in annotations.items() if k not in FULL_COPY_ANNOTATIONS}
    name = meta.get("name") or ""
    namespace = meta.get("namespace") or None
    facts = extract(obj)  # from the raw object, before anything is redacted
    if metadata_only or (obj.get("kind") == "ConfigMap" and obj.get("apiVersion") == "v1"):
        return namespace, name, dumps(labels), dumps(annotations), "{}", dumps({FACTS_KEY: facts} if facts else {})
    if is_core_secret(obj):
        for field in ("data", "stringData"):
            if field in obj:
                obj[field] = _key_names(obj[field])
        if "sops" in obj:
            obj["sops"] = True
    for path in omit_paths:
        omit(obj, path)
    value_fields = VALUE_FIELDS.get((_group(obj.get("apiVersion")), str(obj.get("kind"))))
    if value_fields:
        redact_values(obj, value_fields)
    spec, status = obj.get("spec"), obj.get("status")
    extras = {k: v for k, v in obj.items() if k not in _STRUCTURE}
    for part in (spec, status, extras):
        redact(part)
    if extras and (isinstance(status, dict) or status is None):
        status = {**extras, **(status or {})}
    if facts and (isinstance(status, dict) or status is None):
        status = {**(status or {}), FACTS_KEY: facts}
    return (
        namespace,
        name,
        dumps(labels),
        dumps(annotations),
        dumps({} if spec is None else spec),
        dumps({} if status is None else status),
    )
