"""Shared fixtures: the demo fleet written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.demo import write_demo


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the whole demo fleet (read-only for tests)."""
    path = tmp_path_factory.mktemp("demo") / "data"
    write_demo(path)
    return path
