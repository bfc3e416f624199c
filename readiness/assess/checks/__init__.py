"""Checks: pure functions over a cluster snapshot, one module per family, one id each.

Importing this package registers every built-in check (the family modules are listed, not
discovered). Checks of installed plugins (entry-point group ``readiness.assess.checks``) and of a
rubric's ``plugins:`` are registered when a rubric is loaded (``readiness.assess.checks.plugins``).

What a plugin author needs is exported here: ``check`` (register a function under an id, with its
thresholds dataclass), ``ClusterSnapshot`` and its ``KubeObject``s (what a check reads),
``CheckThresholds`` (the thresholds in force for it), ``Result`` and the verdict helpers ``passed``,
``failed``, ``unknown``, ``not_applicable``, ``fraction`` and ``share``, the field readers ``whole``
and ``mapping``, and ``Regex`` (a threshold holding a regular expression).
``readiness.assess.testing`` runs fixture files; docs/plugins.md shows a whole plugin.
"""

from readiness.assess.checks import (  # noqa: F401  (imported to register their checks)
    backup,
    deployment,
    documentation,
    infrastructure,
    observability,
    security,
)
from readiness.assess.checks.base import (
    REGISTRY,
    CheckThresholds,
    ClusterSnapshot,
    KubeObject,
    Result,
    check,
    failed,
    fraction,
    get,
    mapping,
    not_applicable,
    passed,
    share,
    unknown,
    whole,
)
from readiness.assess.checks.thresholds import Regex

__all__ = [
    "REGISTRY",
    "CheckThresholds",
    "ClusterSnapshot",
    "KubeObject",
    "Regex",
    "Result",
    "check",
    "failed",
    "fraction",
    "get",
    "mapping",
    "not_applicable",
    "passed",
    "share",
    "unknown",
    "whole",
]
