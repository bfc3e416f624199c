"""Kustomize patches, applied by the built-in reader as kustomize applies them (``kubectl kustomize`` does it
itself when it is on PATH).

A patch is a strategic-merge patch (an object, or several documents) or a JSON 6902 patch (a list of operations;
one opening with ``[`` is read as JSON, strictly), given inline or in a file, with or without a ``target``. A
target selects objects by ``group``, ``version`` and ``kind`` (equal), ``name`` and ``namespace`` (anchored
regular expressions), ``labelSelector`` and ``annotationSelector`` (``a=b,c!=d,e in (x,y),!f``). A strategic-merge
patch without a target patches the object it names (kind, name, namespace: exactly one, else an error, as
kustomize says); with one, every object selected, whatever name the patch gives (``name: _``). Merging follows
kustomize: maps merge, ``null`` removes a key, ``$patch: delete`` / ``replace``; lists are replaced, except the
lists of built-in kinds Kubernetes merges by a key (containers and env by ``name``, volumeMounts by ``mountPath``,
ports ...). A JSON 6902 operation that does not apply (``remove`` of a missing path, ``add`` or ``replace`` under
a missing one, a failed ``test``) is an error, as in kustomize (``replace`` of a key its map lacks sets it, as
kustomize's does).

``apply`` returns the objects patched (copies; the inputs are left alone) and raises ``PatchError`` with the
reason kustomize would fail the build for.
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import yaml

from readiness.collect.manifestfile import load_all, problem

# Groups of the built-in kinds, whose lists Kubernetes merges by a key (``_MERGE_KEYS``); a custom resource's
# lists are replaced whole.
_BUILTIN_GROUPS = frozenset({"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "storage.k8s.io",
                             "rbac.authorization.k8s.io", "scheduling.k8s.io", "node.k8s.io", "discovery.k8s.io",
                             "coordination.k8s.io", "admissionregistration.k8s.io", "certificates.k8s.io"})
_MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
               "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
               "imagePullSecrets": "name", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
               "conditions": "type", "ownerReferences": "uid"}
_SELECTOR_KEYS = ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")


class PatchError(ValueError):
    """A patch kustomize would refuse (the build fails), with its reason."""


@dataclass
class Patch:
    """One patch: its documents (strategic merge) or operations (JSON 6902), and its target (None: the objects
    a strategic-merge patch names). ``label`` says where it was given (``kustomization.yaml patches[1]``)."""

    label: str
    docs: list[dict[str, Any]]
    ops: list[dict[str, Any]] | None
    target: dict[str, Any] | None


def parse(label: str, text: Any, target: Any = None) -> Patch:
    """A patch from its text (YAML or JSON: a list is JSON 6902, mappings strategic merge) or already-parsed
    value; ``PatchError`` when it is neither."""
    value: Any = text
    if isinstance(text, str) and text.strip().startswith("["):
        try:  # kustomize reads a patch opening with "[" as JSON, strictly
            value = json.loads(text)
        except ValueError as err:
            raise PatchError(f"{label}: unable to parse it as JSON 6902 ({err})") from err
    elif isinstance(text, str):
        try:
            docs = load_all(text)
        except yaml.YAMLError as err:
            raise PatchError(f"{label}: {problem(err)}") from err
        docs = [d for d in docs if d is not None]
        value = docs[0] if len(docs) == 1 and isinstance(docs[0], list) else docs
    selector = {k: str(v) for k, v in target.items() if k in _SELECTOR_KEYS and v not in (None, "")} \
        if isinstance(target, dict) else None
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list) and value and all(isinstance(op, dict) and "op" in op for op in value):
        return Patch(label, [], value, selector)
    if isinstance(value, list) and value and all(isinstance(d, dict) for d in value):
        return Patch(label, value, None, selector)
    raise PatchError(f"{label}: not a strategic-merge or JSON 6902 patch")


def _gvk(obj: dict[str, Any]) -> tuple[str, str, str]:
    api = str(obj.get("apiVersion") or "")
    group, _, version = api.rpartition("/")
    return group, version, str(obj.get("kind") or "")


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _labels_match(selector: str, labels: dict[str, Any]) -> bool:
    """Whether ``labels`` satisfy a Kubernetes label selector string (equality and set-based)."""
    for term in re.split(r",(?![^(]*\))", selector):
        term = term.strip()
        if not term:
            continue
        if m := re.fullmatch(r"([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)", term):
            values = {v.strip() for v in m.group(3).split(",")}
            present = m.group(1) in labels and str(labels[m.group(1)]) in values
            if present != (m.group(2) == "in"):
                return False
        elif m := re.fullmatch(r"([^\s!=]+)\s*(==|=|!=)\s*(\S*)", term):
            equal = m.group(1) in labels and str(labels[m.group(1)]) == m.group(3)
            if equal != (m.group(2) != "!="):
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def selects(target: dict[str, Any], obj: dict[str, Any]) -> bool:
    """Whether a patch target selects ``obj`` (kustomize: group, version, kind equal; name and namespace
    anchored regular expressions; label and annotation selectors)."""
    group, version, kind = _gvk(obj)
    meta = _meta(obj)
    for key, have in (("group", group), ("version", version), ("kind", kind)):
        if key in target and target[key] != have:
            return False
    for key in ("name", "namespace"):
        if key in target:
            try:
                if not re.fullmatch(target[key], str(meta.get(key) or "")):
                    return False
            except re.error:
                if target[key] != str(meta.get(key) or ""):
                    return False
    for key, field in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        found = meta.get(field)
        if key in target and not _labels_match(target[key], found if isinstance(found, dict) else {}):
            return False
    return True


def _named(doc: dict[str, Any], obj: dict[str, Any]) -> bool:
    """Whether ``obj`` is the object a target-less strategic-merge patch names (kind and name; group and
    namespace when the patch gives them)."""
    group, _, kind = _gvk(doc)
    meta, theirs = _meta(doc), _meta(obj)
    return (kind == _gvk(obj)[2] and str(meta.get("name")) == str(theirs.get("name"))
            and (not doc.get("apiVersion") or group == _gvk(obj)[0])
            and (not meta.get("namespace") or meta.get("namespace") == theirs.get("namespace")))


class _Delete(Exception):
    """``$patch: delete`` on the whole object."""


def _merge_list(base: list[Any], patch: list[Any], key: str | None) -> list[Any]:
    """A list merged by ``key`` as kustomize orders it: the patch's items first (merged with the object's of the
    same key), then the object's other items; replaced whole without a key."""
    if key is None or not all(isinstance(x, dict) and key in x for x in base + patch):
        return [_strip(x) for x in patch]
    out = []
    for item in patch:
        mine = next((x for x in base if x.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            continue
        out.append(_strip(item) if mine is None else _merge(mine, item, True))
    named = {item.get(key) for item in patch}
    return out + [deepcopy(x) for x in base if x.get(key) not in named]


def _merge(base: Any, patch: Any, builtin: bool) -> Any:
    """``patch`` merged into ``base`` (strategic merge; see the module docstring)."""
    if not isinstance(patch, dict) or not isinstance(base, dict):
        return deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        raise _Delete
    if directive == "replace":
        return {k: deepcopy(v) for k, v in patch.items() if k != "$patch"}
    out = dict(base)
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # $setElementOrder, $retainKeys ...: order and retention hints kustomize also applies
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            try:
                out[key] = _merge(out[key], value, builtin)
            except _Delete:
                out.pop(key, None)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            merge_key = _MERGE_KEYS.get(key) if builtin else None
            if builtin and key == "ports":
                merge_key = "containerPort" if all(isinstance(x, dict) and "containerPort" in x
                                                   for x in out[key] + value) else "port"
            out[key] = _merge_list(out[key], value, merge_key)
        else:
            out[key] = _strip(value)
    return out


def _strip(value: Any) -> Any:
    """A patch value set where the object has none: its directives and nulls dropped."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"path {path!r} is not a JSON pointer")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: Any, parts: list[str], path: str) -> Any:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise PatchError(f"path {path} does not exist")
    return doc


def _op(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    kind, path = op.get("op"), str(op.get("path", ""))
    parts = _pointer(path)
    if kind in ("move", "copy"):
        source = str(op.get("from", ""))
        value = deepcopy(_resolve(doc, _pointer(source), source))
        if kind == "move":
            doc = _op(doc, {"op": "remove", "path": source})
        return _op(doc, {"op": "add", "path": path, "value": value})
    if kind == "test":
        if _resolve(doc, parts, path) != op.get("value"):
            raise PatchError(f"test of {path} failed")
        return doc
    if not parts:
        if kind in ("add", "replace") and isinstance(op.get("value"), dict):
            return deepcopy(op["value"])
        raise PatchError(f"{kind} of the whole object is not possible")
    parent, last = _resolve(doc, parts[:-1], path), parts[-1]
    if kind == "add":
        value = deepcopy(op.get("value"))
        if isinstance(parent, dict):
            parent[last] = value
        elif isinstance(parent, list) and (last == "-" or (last.isdigit() and int(last) <= len(parent))):
            parent.insert(len(parent) if last == "-" else int(last), value)
        else:
            raise PatchError(f"path {path} does not exist")
    elif kind == "replace" and isinstance(parent, dict):
        parent[last] = deepcopy(op.get("value"))  # kustomize sets a key its parent lacks, as add does
    elif kind in ("remove", "replace"):
        _resolve(parent, [last], path)  # raises when missing
        if kind == "remove":
            parent.pop(last if isinstance(parent, dict) else int(last))
        else:
            parent[int(last)] = deepcopy(op.get("value"))
    else:
        raise PatchError(f"unknown operation {kind!r}")
    return doc


def apply(patch: Patch, objects: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """``objects`` with ``patch`` applied (patched ones copied, deleted ones left out), and how many it patched.
    ``PatchError`` as kustomize would fail: an operation that does not apply, a target-less patch naming no
    object (or several)."""
    out = list(objects)
    touched = 0
    for doc in [None] if patch.ops is not None else patch.docs:
        if patch.target is not None:
            chosen = [i for i, o in enumerate(out) if selects(patch.target, o)]
        elif doc is None:
            raise PatchError(f"{patch.label}: a JSON 6902 patch needs a target")
        else:
            chosen = [i for i, o in enumerate(out) if _named(doc, o)]
            if len(chosen) != 1:
                raise PatchError(f"{patch.label}: {'several objects' if chosen else 'no object'} to patch as "
                                 f"{doc.get('kind')}/{_meta(doc).get('name')}")
        deleted = set()
        for i in chosen:
            try:
                out[i] = _patched(out[i], patch, doc)
            except _Delete:
                deleted.add(i)
            except PatchError as err:
                raise PatchError(f"{patch.label} on {out[i].get('kind')}/{_meta(out[i]).get('name')}: {err}") \
                    from err
            touched += 1
        out = [o for i, o in enumerate(out) if i not in deleted]
    return out, touched


def _patched(obj: dict[str, Any], patch: Patch, doc: dict[str, Any] | None) -> dict[str, Any]:
    if patch.ops is not None:
        out = deepcopy(obj)
        for op in patch.ops:
            out = _op(out, op)
        return out
    assert doc is not None
    # the object keeps its kind, name and namespace (a targeted patch may name any: "name: _")
    body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind")}
    body["metadata"] = {k: v for k, v in _meta(doc).items() if k not in ("name", "namespace")}
    return dict(_merge(obj, body, _gvk(obj)[0] in _BUILTIN_GROUPS))


def describe(target: dict[str, Any] | None) -> str:
    """A target in one line (``kind=HelmRelease, group=helm.toolkit.fluxcd.io``) for notes."""
    return ", ".join(f"{k}={v}" for k, v in (target or {}).items()) or "the objects it names"
