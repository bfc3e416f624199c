"""Runs every check fixture and compares status, score and reason with what the file expects."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.assess import rubric
from readiness.assess.checks import REGISTRY
from readiness.assess.checks.base import Config, run
from tests.checks.fixtures import HERE, expected_status, fixture_files, load

# The first user's profile: the default rubric plus the thresholds the fixtures were written against.
RUBRIC = rubric.load("homelab-phase1")


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture(path: Path) -> None:
    check_id = path.parent.name
    ev, doc = load(path)
    spec = RUBRIC.checks[check_id]
    # run(): what the evaluation does, so a malformed field is the check's unknown, not a traceback.
    result = run(REGISTRY[check_id], ev, Config(check_id, {**spec.thresholds, **(doc.get("thresholds") or {})}))
    assert result.status == expected_status(path), result.reason
    assert 0.0 <= result.score <= 1.0
    assert result.reason and "\n" not in result.reason
    expect = doc.get("expect") or {}
    if "score" in expect:
        assert result.score == pytest.approx(expect["score"], abs=1e-6)
    elif result.status == "pass":
        assert result.score == 1.0
    elif result.status in ("fail", "unknown"):
        assert result.score == 0.0
    if "reason" in expect:
        assert expect["reason"] in result.reason


def test_ids_agree_between_registry_rubric_and_fixtures() -> None:
    fixture_ids = {p.name for p in HERE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert set(REGISTRY) == set(RUBRIC.checks), "registry and default rubric disagree"
    assert fixture_ids == set(REGISTRY), "fixture directories and registry disagree"


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_every_check_has_a_passing_and_a_failing_case(check_id: str) -> None:
    statuses = {expected_status(p) for p in (HERE / check_id).glob("*.yaml")}
    assert "pass" in statuses, f"{check_id} has no pass_*.yaml fixture"
    assert statuses & {"fail", "partial"}, f"{check_id} has no fail_*.yaml or partial_*.yaml fixture"


def test_function_names_its_id() -> None:
    for check_id, fn in REGISTRY.items():
        assert fn.check_id == check_id  # type: ignore[attr-defined]
        assert fn.__doc__, f"{check_id} has no docstring"
