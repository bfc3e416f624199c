"""The resource catalogue: which resource types the collector lists, as data (``catalogue.yaml``).

Users extend it with their own file in the same format. Secrets can never be part of it: the
loader refuses them, so neither the collector nor the RBAC rendered from the catalogue asks for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.errors import ConfigError

PACKAGED = Path(__file__).with_name("catalogue.yaml")
FIELDS = {"group", "version", "kind", "resource", "metadata_only", "omit", "page_size", "skip", "keep", "text"}
_KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_RESOURCE = re.compile(r"^[a-z][a-z0-9]*$")
_VERSION = re.compile(r"^v[0-9]+((alpha|beta)[0-9]+)?$")
_GROUP = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class Resource:
    """One resource type to list: ``group`` ("" for core), preferred ``version``, ``kind``, plural ``resource``."""

    group: str
    version: str
    kind: str
    resource: str
    metadata_only: bool = False
    omit: tuple[str, ...] = ()
    page_size: int | None = None
    keep: tuple[str, ...] = ()  # paths the sanitizer keeps on top of policy.yaml's for this kind
    text: tuple[str, ...] = ()  # paths it keeps after scrubbing the text

    @property
    def api_version(self) -> str:
        """``apps/v1``, or ``v1`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def label(self) -> str:
        """How progress and summaries name it: ``apps/Deployment``, ``core/Pod``."""
        return f"{self.group or 'core'}/{self.kind}"


def is_secret(group: str, kind: str, resource: str = "") -> bool:
    """True for the core group's Secrets, which readiness never requests."""
    return group == "" and (kind == "Secret" or resource == "secrets")


def _entry(raw: Any, path: str, index: int) -> tuple[tuple[str, str], Resource | None]:
    where = f"resources[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(path, f"{where} is not a mapping",
                          hint="write {group: ..., version: ..., kind: ..., resource: ...}")
    unknown = set(raw) - FIELDS
    if unknown:
        raise ConfigError(path, f"{where} has unknown field(s) {sorted(unknown)}", hint=f"known: {sorted(FIELDS)}")
    group, kind = raw.get("group", ""), raw.get("kind")
    if group is None:
        group = ""
    if not isinstance(group, str) or (group and not _GROUP.match(group)):
        raise ConfigError(path, f"{where}: group {group!r} is not an API group name", hint='use "" for the core group')
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise ConfigError(path, f"{where}: kind {kind!r} is not a Kubernetes kind", hint="e.g. kind: Deployment")
    if raw.get("skip") is True:
        return (group, kind), None
    version, resource = raw.get("version"), raw.get("resource")
    if not isinstance(version, str) or not _VERSION.match(version):
        raise ConfigError(path, f"{where} ({kind}): version {version!r} is not an API version", hint="e.g. v1, v1beta1")
    if not isinstance(resource, str) or not _RESOURCE.match(resource):
        raise ConfigError(path, f"{where} ({kind}): resource {resource!r} is not a plural resource name",
                          hint="e.g. resource: deployments (subresources are not listed)")
    if is_secret(group, kind, resource):
        raise ConfigError(path, f"{where}: Secrets are never collected", hint="remove the entry")
    omit = raw.get("omit") or []
    if not isinstance(omit, list) or not all(isinstance(o, str) and o for o in omit):
        raise ConfigError(path, f"{where} ({kind}): omit must be a list of dotted paths", hint="e.g. omit: [spec.data]")
    extra = {}
    for name in ("keep", "text"):
        paths = raw.get(name) or []
        if not isinstance(paths, list) or not all(isinstance(o, str) and o.startswith(("spec.", "status."))
                                                  for o in paths):
            raise ConfigError(path, f"{where} ({kind}): {name} must be a list of dotted paths under spec or status",
                              hint=f"e.g. {name}: [spec.replicas]")
        extra[name] = tuple(paths)
    page_size = raw.get("page_size")
    if page_size is not None and (not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1):
        raise ConfigError(path, f"{where} ({kind}): page_size must be a positive integer")
    metadata_only = raw.get("metadata_only", False)
    if not isinstance(metadata_only, bool):
        raise ConfigError(path, f"{where} ({kind}): metadata_only must be true or false")
    return (group, kind), Resource(group, version, kind, resource, metadata_only, tuple(omit), page_size, **extra)


def _read(path: Path) -> list[Any]:
    from readiness.store import configfile

    doc, _ = configfile.load(path, "catalogue file")  # strict: UTF-8, no duplicated key
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        raise ConfigError(str(path), "expected a mapping with a 'resources' list", hint=f"see {PACKAGED}")
    return list(doc["resources"])


def load(extra: Iterable[Path | str] = (), *, packaged: bool = True) -> tuple[Resource, ...]:
    """The packaged catalogue, then each ``extra`` file in order (same group and kind replaces)."""
    files = ([PACKAGED] if packaged else []) + [Path(p) for p in extra]
    merged: dict[tuple[str, str], Resource | None] = {}
    for path in files:
        for i, raw in enumerate(_read(path)):
            key, res = _entry(raw, str(path), i)
            merged[key] = res
    return tuple(r for r in merged.values() if r is not None)


def cluster_role(resources: Iterable[Resource], name: str = "readiness-collector") -> dict[str, Any]:
    """The read-only ClusterRole that lets the collector list exactly ``resources`` (get and list only)."""
    by_group: dict[str, set[str]] = {}
    for r in resources:
        if is_secret(r.group, r.kind, r.resource):
            raise ConfigError("<catalogue>", "Secrets are never collected")
        by_group.setdefault(r.group, set()).add(r.resource)
    rules = [{"apiGroups": [g], "resources": sorted(rs), "verbs": ["get", "list"]}
             for g, rs in sorted(by_group.items())]
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "readiness"}},
        "rules": rules,
    }
