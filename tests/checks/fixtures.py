"""Fixture-per-case check tests: ``tests/checks/<check_id>/<status>_<case>.yaml``.

The fixture format and runner are the public ``readiness.assess.testing`` (what plugin authors
use too); this module points them at the built-in checks' fixtures.
"""

from __future__ import annotations

from pathlib import Path

from readiness.assess import testing
from readiness.assess.testing import DEFAULT_TIME, PREFIXES, expected_status, load, rows

HERE = Path(__file__).parent
_when = testing.collected_at

__all__ = ["DEFAULT_TIME", "HERE", "PREFIXES", "_when", "expected_status", "fixture_files", "load", "rows"]


def fixture_files() -> list[Path]:
    return testing.fixture_files(HERE)
