"""Facts derived from an object's configuration at collection time: the seam between what an object
configures (which may hold credentials) and what the checks may read (which never does).

An *extractor* reads one raw object, before it is sanitized, and returns a small dict of derived,
non-secret facts: booleans, counts, names, receiver types, schedule strings, host names. Never a value
copied from the configuration that could be a credential (no URLs, keys, tokens, free text).

The merged facts of all extractors registered for the object's (API group, kind) are stored in the
object row's ``status`` JSON under ``FACTS_KEY``; checks read them through ``KubeObject.facts``. The
sanitizer keeps that key and nothing else of the configuration it came from.

Register with::

    @extractor("helm.toolkit.fluxcd.io", "HelmRelease")
    def alertmanager(obj: dict) -> dict:
        return {"alertmanager_enabled": True}
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

FACTS_KEY = "readiness.dev/facts"

Extractor = Callable[[dict[str, Any]], dict[str, Any]]
EXTRACTORS: dict[tuple[str, str], list[Extractor]] = {}
# Modules whose import registers the built-in extractors (imported on first use, not at import time).
BUILTIN_MODULES = ("readiness.collect.helmfacts", "readiness.collect.logfacts")
_loaded = False


def extractor(group: str, kind: str) -> Callable[[Extractor], Extractor]:
    """Register ``fn`` as a fact extractor for objects of ``kind`` in API ``group`` (``""`` is core)."""

    def add(fn: Extractor) -> Extractor:
        EXTRACTORS.setdefault((group, kind), []).append(fn)
        return fn

    return add


def _group(api_version: Any) -> str:
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def extract(obj: dict[str, Any]) -> dict[str, Any]:
    """The merged facts of every extractor registered for ``obj``'s group and kind; ``{}`` when none.

    ``obj`` is read, never modified. An extractor that raises on an unexpected shape contributes
    ``{"<name>_error": "<exception type>"}`` instead (never the message, which could quote a value),
    so a check can answer ``unknown`` rather than the collection failing.
    """
    global _loaded
    if not _loaded:
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        _loaded = True
    out: dict[str, Any] = {}
    for fn in EXTRACTORS.get((_group(obj.get("apiVersion")), str(obj.get("kind"))), ()):
        try:
            out.update(fn(obj))
        except Exception as err:  # a malformed object is evidence, not a crash
            out[f"{fn.__name__}_error"] = type(err).__name__
    return out
