"""readiness: production-readiness assessments of Kubernetes fleets, computed from evidence."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["ReadinessError", "__version__"]

from readiness.errors import ReadinessError
