"""Test-session setup shared by tests/ and the notebooks run under nbval.

The demo fleet is written once into a temporary directory and announced through
$READINESS_DATA, so the notebooks (executed by nbval with their default parameters) and the
tests read the same data without touching the working tree.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_DEMO: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _DEMO
    from readiness.demo import write_demo

    _DEMO = Path(tempfile.mkdtemp(prefix="readiness-test-demo-"))
    write_demo(_DEMO / "data")
    os.environ["READINESS_DATA"] = str(_DEMO / "data")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _DEMO is not None:
        shutil.rmtree(_DEMO, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    """A data directory holding the whole demo fleet (read-only for tests)."""
    return Path(os.environ["READINESS_DATA"])
