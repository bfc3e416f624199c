"""A Flux HelmRelease's ``valuesFrom``, resolved from the ConfigMaps and Secrets the same cluster's
deployed view declares, so that what the values configure becomes facts (``collect.helmfacts``).

Flux merges each ``valuesFrom`` entry in order, then ``spec.values`` over them. A repository often
keeps a chart's values in a ConfigMap next to the HelmRelease (``valuesKey`` of its ``data``); a
Secret's ``stringData`` (or base64 ``data``) is read the same way. The merged values only ever reach
the fact extractors: the sanitizer stores the HelmRelease with its values replaced as usual.
An entry that names an object this view does not declare, or a ``targetPath``, stays unresolved and
the release's ``values_from`` fact counts it (values readiness cannot see).
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

import yaml

from readiness.collect.localchart import merge

RESOLVED_ANNOTATION = "readiness.dev/values-from-resolved"
DEFAULT_KEY = "values.yaml"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(obj: dict[str, Any], key: str) -> str | None:
    """The text under ``key`` of a ConfigMap's ``data`` or a Secret's ``stringData``/``data``."""
    for field in ("data", "stringData"):
        table = obj.get(field)
        if isinstance(table, dict) and isinstance(table.get(key), str):
            if obj.get("kind") == "Secret" and field == "data":
                try:
                    return base64.b64decode(table[key], validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError):
                    return None
            return str(table[key])
    return None


def resolve(objects: list[dict[str, Any]]) -> None:
    """Give each Flux HelmRelease among ``objects`` the values its ``valuesFrom`` names, in place.

    ``spec.values`` becomes the merge Flux would make (each resolvable entry in order, then the
    release's own values); annotation ``readiness.dev/values-from-resolved`` counts the entries read.
    """
    sources: dict[tuple[str, str, str], dict[str, Any]] = {}
    for obj in objects:
        if obj.get("apiVersion") == "v1" and obj.get("kind") in ("ConfigMap", "Secret"):
            meta = _dict(obj.get("metadata"))
            sources[(str(obj["kind"]), str(meta.get("namespace") or ""), str(meta.get("name") or ""))] = obj
    for obj in objects:
        if obj.get("kind") != "HelmRelease" or not str(obj.get("apiVersion", "")).startswith("helm.toolkit.fluxcd.io/"):
            continue
        spec = _dict(obj.get("spec"))
        entries = spec.get("valuesFrom")
        if not isinstance(entries, list) or not entries:
            continue
        meta = _dict(obj.get("metadata"))
        namespace = str(meta.get("namespace") or "")
        merged: dict[str, Any] = {}
        resolved = 0
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("targetPath"):
                continue
            source = sources.get((str(entry.get("kind")), namespace, str(entry.get("name"))))
            text = _text(source, str(entry.get("valuesKey") or DEFAULT_KEY)) if source else None
            try:
                values = yaml.safe_load(text) if text else None
            except yaml.YAMLError:
                values = None
            if isinstance(values, dict):
                merged = merge(merged, values)
                resolved += 1
        if resolved:
            own = _dict(spec.get("values"))
            obj["spec"] = {**spec, "values": merge(merged, copy.deepcopy(own))}
            annotations = dict(_dict(meta.get("annotations")))
            annotations[RESOLVED_ANNOTATION] = str(resolved)
            obj["metadata"] = {**meta, "annotations": annotations}
