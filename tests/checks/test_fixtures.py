"""Runs every check fixture and compares status, score and reason with what the file expects."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.assess import rubric, testing
from readiness.assess.checks import REGISTRY
from tests.checks.fixtures import HERE, fixture_files

# The first user's profile: the default rubric plus the thresholds the fixtures were written against.
RUBRIC = rubric.load("homelab-phase1")


@pytest.mark.parametrize("path", fixture_files(), ids=testing.case_id)
def test_fixture(path: Path) -> None:
    # The public runner (readiness.assess.testing): run() as the evaluation does, so a malformed
    # field is the check's unknown, not a traceback; status, score and reason as the file expects.
    testing.verify(path, RUBRIC)


def test_ids_agree_between_registry_rubric_and_fixtures() -> None:
    fixture_ids = {p.name for p in HERE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert set(REGISTRY) == set(RUBRIC.checks), "registry and default rubric disagree"
    assert fixture_ids == set(REGISTRY), "fixture directories and registry disagree"


def test_every_check_has_a_passing_and_a_failing_case() -> None:
    assert testing.missing_cases(HERE, REGISTRY) == []


def test_function_names_its_id() -> None:
    for check_id, fn in REGISTRY.items():
        assert fn.check_id == check_id  # type: ignore[attr-defined]
        assert fn.__doc__, f"{check_id} has no docstring"
