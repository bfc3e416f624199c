"""Checks: pure functions over a snapshot's evidence, one module per family, one id each.

Importing this package registers every check (the family modules are listed, not discovered).
"""

from readiness.assess.checks import (  # noqa: F401  (imported to register their checks)
    backup,
    deployment,
    documentation,
    infrastructure,
    observability,
    security,
)
from readiness.assess.checks.base import REGISTRY, Config, Evidence, Result, check, get

__all__ = ["REGISTRY", "Config", "Evidence", "Result", "check", "get"]
