"""Turning one Kubernetes object into the JSON columns of an object row, minus what must not be stored.

Removed before anything is written: the ``kubectl.kubernetes.io/last-applied-configuration``
annotation (a full copy of the object, env values included), ``managedFields``, every ``value`` of
an ``env`` list (pod specs and templates of every kind, Helm values' ``extraEnv``...), ConfigMap
data, Secret values (a repository's Secret manifest keeps its key names only), and the bulky
fields a catalogue entry lists under ``omit``.
"""

from __future__ import annotations

import json
from typing import Any

from readiness.schema import REDACTED

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_STRUCTURE = ("apiVersion", "kind", "metadata", "spec", "status")

Row = tuple[str | None, str, str, str, str, str]


def redact_env(node: Any) -> None:
    """Replace, in place, the ``value`` of every item of every ``env``/``*Env`` list under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, list):
                if key == "env" or key.endswith("Env"):
                    for item in value:
                        if isinstance(item, dict) and "value" in item:
                            item["value"] = REDACTED
                for item in value:
                    if isinstance(item, dict | list):
                        redact_env(item)
            elif isinstance(value, dict):
                redact_env(value)
    elif isinstance(node, list):
        for item in node:
            redact_env(item)


def omit(node: Any, path: str) -> None:
    """Delete the field at dotted ``path`` (``*`` walks every item of a list) from ``node``, in place."""
    head, _, rest = path.partition(".")
    if head == "*":
        if isinstance(node, list) and rest:
            for item in node:
                omit(item, rest)
        return
    if not isinstance(node, dict) or head not in node:
        return
    if rest:
        omit(node[head], rest)
    else:
        del node[head]


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
    if LAST_APPLIED in annotations:
        annotations = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    name = meta.get("name") or ""
    namespace = meta.get("namespace") or None
    if metadata_only or (obj.get("kind") == "ConfigMap" and obj.get("apiVersion") == "v1"):
        return namespace, name, dumps(labels), dumps(annotations), "{}", "{}"
    if is_core_secret(obj):
        for field in ("data", "stringData"):
            if field in obj:
                obj[field] = _key_names(obj[field])
        if "sops" in obj:
            obj["sops"] = True
    for path in omit_paths:
        omit(obj, path)
    spec = obj.get("spec")
    redact_env(spec)
    status = obj.get("status")
    extras = {k: v for k, v in obj.items() if k not in _STRUCTURE}
    if extras:
        redact_env(extras)
        if isinstance(status, dict) or status is None:
            status = {**extras, **(status or {})}
    return (
        namespace,
        name,
        dumps(labels),
        dumps(annotations),
        dumps({} if spec is None else spec),
        dumps({} if status is None else status),
    )
