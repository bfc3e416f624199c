"""readiness: production-readiness assessments of Kubernetes fleets, computed from evidence.

    >>> import readiness
    >>> a = readiness.assess("data/demo")          # scores, blockers, verdict as of the newest snapshot
    >>> readiness.scores("data/demo", all_snapshots=True)   # the trend, a polars DataFrame
    >>> readiness.burndown("data/demo"), readiness.risk_register("data/demo")
    >>> from readiness.report import figures; figures.trend(readiness.scores("data/demo", all_snapshots=True), a.rubric)
"""

from __future__ import annotations

__version__ = "0.1.0"

from readiness.api import burndown, findings, objects, risk_register, scores, snapshots
from readiness.assess.assessment import Assessment, history
from readiness.assess.rubric import load as load_rubric
from readiness.errors import ReadinessError

from readiness import assess  # isort: skip  (the package, callable as the function: readiness/assess/__init__.py)

__all__ = [
    "Assessment",
    "ReadinessError",
    "__version__",
    "assess",
    "burndown",
    "findings",
    "history",
    "load_rubric",
    "objects",
    "risk_register",
    "scores",
    "snapshots",
]
