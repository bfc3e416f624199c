"""Turning one Kubernetes object into the JSON columns of an object row, minus what must not be stored.

What is kept is an allowlist (``readiness.collect.policy``, ``policy.yaml``): per kind, the fields
the checks, ``explain`` and the report read; every other string value becomes ``REDACTED``, its
key and the row's shape staying. On top of the policy, whatever it or a catalogue says:

- annotations that are a full copy of the object (``FULL_COPY_ANNOTATIONS``: kubectl's
  last-applied-configuration, kapp's original, Rancher's applied) and ``managedFields`` are dropped;
- a Secret manifest (from a repository; live Secrets are never requested) keeps its key names only;
- ConfigMaps and ``metadata_only`` kinds keep names, labels and (policy-filtered) annotations only;
- facts derived from the raw object (``readiness.collect.configfacts``) are stored under
  ``status[FACTS_KEY]``, replacing any such key the object brought itself.

Bulky fields a catalogue entry lists under ``omit`` are deleted too.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson

from readiness.collect import policy as policy_mod
from readiness.collect.configfacts import FACTS_KEY, extract
from readiness.collect.localchart import LOCAL_CHARTS_KEY
from readiness.store.schema import REDACTED

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Annotations holding a full copy of the object as applied (env values, Helm values and all).
FULL_COPY_ANNOTATIONS = frozenset({LAST_APPLIED, "kapp.k14s.io/original", "objectset.rio.cattle.io/applied"})
_STRUCTURE = ("apiVersion", "kind", "metadata", "spec", "status")

Row = tuple[str | None, str, str, str, str, str]


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


def _group(api_version: Any) -> str:
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def _key_names(values: Any) -> Any:
    return {k: REDACTED for k in values} if isinstance(values, dict) else REDACTED


def is_core_secret(obj: dict[str, Any]) -> bool:
    """Whether ``obj`` is a core ``v1`` Secret (its ``data``/``stringData`` are then stored as key names only)."""
    return obj.get("apiVersion") == "v1" and obj.get("kind") == "Secret"


# orjson's form: keys sorted, no spaces, UTF-8 (not \u escapes); several times faster than json's encoder.
_SORTED = orjson.OPT_SORT_KEYS
_FALLBACK = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)


def dumps(value: Any) -> str:
    """``value`` as compact JSON text with sorted keys (``json.dumps(value, sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)`` up to the spelling of floats).

    Integers beyond 64 bits, which orjson refuses, go through json's encoder in the same form.
    """
    try:
        return orjson.dumps(value, option=_SORTED).decode()
    except orjson.JSONEncodeError:
        return _FALLBACK.encode(value)


def stored(api_version: str, kind: str, annotations: Any, spec: Any, status: Any, *,
           keep: tuple[str, ...] = (), text: tuple[str, ...] = (), stats: policy_mod.Stats | None = None,
           policy: policy_mod.Policy | None = None, in_place: bool = False) -> tuple[Any, Any, Any]:
    """(annotations, spec, status) of one row as the policy stores them (new values; the inputs are not changed,
    unless ``in_place``: then their dicts and lists are reused and changed, which saves copying a consumed object).

    ``keep``/``text`` are a catalogue entry's additions; ``status[FACTS_KEY]`` (derived facts) is kept as is.
    Applying it to what it returned changes nothing (``readiness scrub`` relies on that).
    """
    pol = policy or policy_mod.packaged()
    facts = status.get(FACTS_KEY) if isinstance(status, dict) else None
    if facts is not None:
        status = {k: v for k, v in status.items() if k != FACTS_KEY}
    out = pol.apply(_group(api_version), kind, {"annotations": annotations or {}, "spec": spec, "status": status},
                    keep=keep, text=text, stats=stats, in_place=in_place)
    if facts is not None and isinstance(out["status"], dict):
        out["status"][FACTS_KEY] = facts
    return out["annotations"], out["spec"], out["status"]


def row_fields(obj: dict[str, Any], *, metadata_only: bool = False, omit_paths: tuple[str, ...] = (),
               keep: tuple[str, ...] = (), text: tuple[str, ...] = (), in_place: bool = False) -> Row:
    """(namespace, name, labels, annotations, spec, status) of ``obj``, the last four as JSON text.

    ``obj`` is consumed (modified in place). Top-level fields other than apiVersion, kind,
    metadata and spec (a VulnerabilityReport's ``report``, a Secret's ``type``) go into
    ``status`` under their own keys; keys of a real ``status`` win. ``keep``/``text`` add
    paths to the policy's for this object (a catalogue entry's). With ``in_place`` the policy also
    changes the dicts and lists below (``stored``): only for an object nothing else shares, such as
    the collector's freshly parsed pages (a repository's objects may share parts: rendered twice).
    """
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    if not FULL_COPY_ANNOTATIONS.isdisjoint(annotations):
        annotations = {k: v for k, v in annotations.items() if k not in FULL_COPY_ANNOTATIONS}
    name = meta.get("name") or ""
    namespace = meta.get("namespace") or None
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    facts = extract(obj)  # from the raw object, before anything is redacted
    obj.pop(LOCAL_CHARTS_KEY, None)  # a repository chart's values reach the extractors only, never a row
    if facts and in_place:  # an extractor may hand back a part of obj, which the policy changes in place
        facts = copy.deepcopy(facts)
    if metadata_only or (kind == "ConfigMap" and api_version == "v1"):
        annotations, _, _ = stored(api_version, kind, annotations, None, None, in_place=in_place)
        return namespace, name, dumps(labels), dumps(annotations), "{}", dumps({FACTS_KEY: facts} if facts else {})
    if is_core_secret(obj):
        for field in ("data", "stringData"):
            if field in obj:
                obj[field] = _key_names(obj[field])
        if "sops" in obj:
            obj["sops"] = True
    for path in omit_paths:
        omit(obj, path)
    spec, status = obj.get("spec"), obj.get("status")
    extras = {k: v for k, v in obj.items() if k not in _STRUCTURE}
    if extras and (isinstance(status, dict) or status is None):
        status = {**extras, **(status or {})}
    if isinstance(status, dict):
        status.pop(FACTS_KEY, None)  # only the extractors write this key
    annotations, spec, status = stored(api_version, kind, annotations, spec, status, keep=keep, text=text,
                                       in_place=in_place)
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


def fact_fields(api_version: str, kind: str, name: str, spec: dict[str, Any]) -> Row:
    """The row fields of a repository fact (``readiness.store.repofacts``): its spec through the policy too,
    so no value read from a repository file reaches the row unless the policy keeps that field."""
    _, kept, _ = stored(api_version, kind, {}, spec, None)
    return None, name, "{}", "{}", dumps(kept), "{}"
