"""Assessing: the rubric, the checks, evaluating a snapshot's evidence, scoring, waivers and attestations.

Public modules: ``rubric`` (the policy: categories, weights, blockers, thresholds, from YAML),
``checks`` (pure functions, one id each, one module per family; ``checks.base`` is the registry),
``evaluate`` (findings of the snapshots as of a day), ``score`` (scores from findings),
``assessment`` (``Assessment``: scores, blockers and verdict of a fleet as of a day),
``attestations`` (attestations and waivers), ``drift`` (declared versus observed), ``testing``
(the fixture runner for checks, built-in and plugins), ``trends``
(score changes between days). Nothing here is imported until asked for.

``readiness.assess`` is also the function ``readiness.assess(data_dir, ...)`` of the public API:
calling this package calls ``readiness.assess.assessment.assess``, so both spellings hold:

    >>> import readiness
    >>> readiness.assess("data/demo")          # an Assessment
    >>> from readiness.assess import evaluate  # a module of this package
"""

from __future__ import annotations

import sys
import types
from typing import Any

MODULES = ("assessment", "attestations", "checks", "drift", "evaluate", "rubric", "score", "testing", "trends")

__all__ = list(MODULES)


class _CallablePackage(types.ModuleType):
    """This package, callable as the public function ``readiness.assess``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from readiness.assess.assessment import assess

        return assess(*args, **kwargs)

    @property
    def __signature__(self) -> Any:
        import inspect

        from readiness.assess.assessment import assess

        return inspect.signature(assess)


sys.modules[__name__].__class__ = _CallablePackage
