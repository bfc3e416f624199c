"""The example plugin's checks, tested with readiness's fixture runner (``readiness.assess.testing``):
one YAML file per case under fixtures/<check_id>/, its name's prefix the expected status."""

from __future__ import annotations

from pathlib import Path

import pytest
import readiness_plugin_example.checks  # noqa: F401  (registers the checks)
from readiness_plugin_example import RUBRIC

from readiness.assess import rubric, testing

FIXTURES = Path(__file__).parent / "fixtures"
CHECKS = ("example_images_pinned", "example_min_replicas")


@pytest.mark.parametrize("path", testing.fixture_files(FIXTURES), ids=testing.case_id)
def test_fixture_with_the_dataclass_defaults(path: Path) -> None:
    testing.verify(path)


def test_the_rubric_snippet_loads_and_keeps_its_thresholds() -> None:
    r = rubric.load(RUBRIC)
    assert set(CHECKS) <= set(r.checks)
    assert r.checks["example_images_pinned"].thresholds["floating_tags"] == ["latest", "main", "stable"]
    assert r.checks["example_min_replicas"].category == "infrastructure"


def test_every_check_has_a_passing_and_a_failing_case() -> None:
    assert testing.missing_cases(FIXTURES, CHECKS) == []
