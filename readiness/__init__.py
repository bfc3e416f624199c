"""readiness: production-readiness assessments of Kubernetes fleets, computed from evidence.

    >>> import readiness
    >>> a = readiness.assess("data/demo")          # scores, blockers, verdict as of the newest snapshot
    >>> readiness.scores("data/demo", all_snapshots=True)   # the trend, a polars DataFrame
    >>> readiness.burndown("data/demo"), readiness.risk_register("data/demo")
    >>> from readiness.report import figures; figures.trend(readiness.scores("data/demo", all_snapshots=True), a.rubric)

The public names are imported on first use (PEP 562 ``__getattr__``): ``import readiness`` and
the ``readiness`` command's ``--help`` do not pay for polars and the checks.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from readiness import assess  # the package, callable as the function (readiness/assess/__init__.py)
    from readiness.api import burndown, findings, objects, risk_register, scores, snapshots
    from readiness.assess.assessment import Assessment, history
    from readiness.assess.rubric import load as load_rubric
    from readiness.errors import ReadinessError

# public name -> (module, attribute); no attribute: the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    "Assessment": ("readiness.assess.assessment", "Assessment"),
    "ReadinessError": ("readiness.errors", "ReadinessError"),
    "assess": ("readiness.assess", None),  # the package, callable as the function
    "burndown": ("readiness.api", "burndown"),
    "findings": ("readiness.api", "findings"),
    "history": ("readiness.assess.assessment", "history"),
    "load_rubric": ("readiness.assess.rubric", "load"),
    "objects": ("readiness.api", "objects"),
    "risk_register": ("readiness.api", "risk_register"),
    "scores": ("readiness.api", "scores"),
    "snapshots": ("readiness.api", "snapshots"),
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        imported = importlib.import_module(module)
        value = imported if attribute is None else getattr(imported, attribute)
        globals()[name] = value  # once imported, a plain module attribute
        return value
    # ``import readiness`` used to import api, assessment and what they use: ``readiness.api.x`` still works.
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{name}":
            raise
    raise AttributeError(f"module 'readiness' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
