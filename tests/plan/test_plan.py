"""Loading and validating plan.yaml: the user's real plan, and broken copies of it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from readiness.errors import ConfigError
from readiness.plan import NoPlanError, consistency_warnings, find_plan, load_plan, missing_note, work_packages
from tests.plan.helpers import PLAN_YAML, RUBRIC, write

PLAN_TEXT = PLAN_YAML.read_text(encoding="utf-8")


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in PLAN_TEXT, old
    return write(tmp_path, "plan.yaml", PLAN_TEXT.replace(old, new, 1))


def _error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        load_plan(path, rubric=RUBRIC)
    return err.value


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_users_plan_is_204_hours_in_nine_work_packages() -> None:
    plan = load_plan(PLAN_YAML, rubric=RUBRIC)
    assert plan.total_hours == 204
    assert list(plan.work_packages) == [f"WP{i}" for i in range(1, 10)]
    assert {wp: p.hours for wp, p in plan.work_packages.items()} == {
        "WP1": 8, "WP2": 16, "WP3": 16, "WP4": 24, "WP5": 16, "WP6": 24, "WP7": 40, "WP8": 32, "WP9": 28}
    assert (plan.start, plan.weeks, plan.max_weeks) == (date(2025, 11, 10), 12, 16)
    wp2 = plan.work_packages["WP2"]
    assert (wp2.first_week, wp2.last_week, wp2.resolves) == (2, 3, ("B2",))
    assert plan.work_packages["WP6"].contributes_to == ("B4",)
    assert plan.work_packages["WP1"].checks == ("sec_eso_installed", "sec_externalsecrets_synced", "sec_audit_logging")


def test_the_source_documents_inconsistencies_are_warnings_with_both_numbers() -> None:
    warnings = load_plan(PLAN_YAML, rubric=RUBRIC).warnings
    assert len(warnings) == 2, warnings
    b4 = next(w for w in warnings if w.startswith("blocker B4"))
    assert "48 hours" in b4 and "72" in b4 and "WP7 40 + WP8 32" in b4
    b6 = next(w for w in warnings if w.startswith("blocker B6"))
    assert "no work package" in b6 and "32 hours" in b6 and "204 hours" in b6


def test_plan_and_rubric_agree_on_which_checks_prove_which_work_package() -> None:
    plan = load_plan(PLAN_YAML, rubric=RUBRIC)
    for cid, spec in RUBRIC.checks.items():
        owners = [wp.id for wp in plan.work_packages.values() if cid in wp.checks]
        assert owners == ([spec.work_package] if spec.work_package else []), cid


def test_a_disagreement_with_the_rubric_is_a_warning(tmp_path: Path) -> None:
    # obs_slos moves from WP3 to WP4 in the plan; the rubric still says WP3
    path = _broken(tmp_path, "      - obs_slos\n", "")
    path = write(tmp_path, "plan.yaml", path.read_text().replace(
        "checks: [deploy_ci_pipeline,", "checks: [obs_slos, deploy_ci_pipeline,"))
    warnings = load_plan(path, rubric=RUBRIC).warnings
    assert any("obs_slos has work_package WP3 in the rubric, but plan.yaml lists it under WP4" in w for w in warnings)
    assert any("lists check obs_slos under WP4, but the rubric gives it work_package WP3" in w for w in warnings)


def test_week_arithmetic() -> None:
    plan = load_plan(PLAN_YAML, rubric=RUBRIC)
    assert plan.week_start(1) == date(2025, 11, 10) and plan.week_end(1) == date(2025, 11, 16)
    assert plan.week_start(0) == date(2025, 11, 3)
    assert plan.week_of(date(2025, 11, 7)) == 0
    assert plan.week_of(date(2025, 11, 16)) == 1 and plan.week_of(date(2025, 11, 17)) == 2
    assert plan.week_of(date(2025, 10, 31)) == -1


def test_work_packages_frame_and_json() -> None:
    plan = load_plan(PLAN_YAML, rubric=RUBRIC)
    df = work_packages(plan)
    assert df.height == 9 and df["hours"].sum() == 204
    row = df.row(6, named=True)
    assert (row["work_package"], row["weeks"], row["start"], row["end"]) == ("WP7", "9-10", date(2026, 1, 5),
                                                                           date(2026, 1, 18))
    doc = plan.to_dict()
    assert doc["planned_hours"] == 204 and len(doc["work_packages"]) == 9 and len(doc["warnings"]) == 2


def test_hours_that_do_not_add_up_are_an_error_at_total_hours(tmp_path: Path) -> None:
    path = _broken(tmp_path, "total_hours: 204", "total_hours: 200")
    err = _error(path)
    assert err.line == _line(path.read_text(), "total_hours:")
    assert "add up to 204" in err.problem and "200" in err.problem


@pytest.mark.parametrize(("old", "new", "needle"), [
    ('weeks: "2-3"', 'weeks: "3-2"', 'weeks: "3-2"'),
    ('weeks: "11-12"', 'weeks: "15-17"', 'weeks: "15-17"'),
    ('weeks: "1"', 'weeks: "0"', 'weeks: "0"'),
    ('weeks: "1"', 'weeks: "first"', 'weeks: "first"'),
])
def test_an_insane_window_is_an_error_at_its_line(tmp_path: Path, old: str, new: str, needle: str) -> None:
    path = _broken(tmp_path, old, new)
    err = _error(path)
    assert err.line == _line(path.read_text(), needle)
    assert "weeks" in err.problem


def test_an_unknown_check_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = _broken(tmp_path, "      - backup_restore_tested\n", "      - backup_restore_testd\n")
    err = _error(path)
    assert err.line == _line(path.read_text(), "backup_restore_testd")
    assert "unknown check id 'backup_restore_testd'" in err.problem and err.hint


@pytest.mark.parametrize(("old", "new", "needle", "problem"), [
    ("resolves: [B5]", "resolves: [B7]", "resolves: [B7]", "unknown blocker id 'B7'"),
    ("    hours: 8\n", "    hours: 8\n    owner: me\n", "owner: me", "unknown key 'owner'"),
    ("    hours: 8\n", "    hours: -8\n", "hours: -8", "'hours' must be a number above 0"),
    ("start: 2025-11-10", "start: next monday", "start:", "'start' must be a date"),
    ("max_weeks: 16 ", "max_weeks: 10 ", "max_weeks:", "shorter than weeks"),
    ("  WP2:\n", "  WP1:\n", "  WP1:", "'WP1' appears twice"),
    ("    checks: [infra_chaos_experiments]\n", "", "  WP9:", "lists no checks"),
    ("name: ", "colour: blue\nname: ", "colour: blue", "unknown plan key 'colour'"),
])
def test_other_bad_plans(tmp_path: Path, old: str, new: str, needle: str, problem: str) -> None:
    path = _broken(tmp_path, old, new)
    err = _error(path)
    assert problem in err.problem
    lines = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert err.line in lines, (err.line, lines)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "plan.yaml", "name: x\nstart: 2025-11-10\nwork_packages: [unclosed\n")
    err = _error(path)
    assert "not valid YAML" in err.problem and err.line is not None
    assert str(path) in str(err)


def test_the_data_directorys_copy_wins(tmp_path: Path) -> None:
    write(tmp_path, "plan.yaml", PLAN_TEXT.replace('name: "Phase 1: operational maturity"', "name: mine"))
    assert load_plan(rubric=RUBRIC, data=tmp_path).name == "mine"
    homelab = tmp_path / "homelab"
    homelab.mkdir()
    write(homelab, "fleet.yaml", "rubric: homelab-phase1\n")  # the fleet the shipped plan was written for
    assert load_plan(rubric=RUBRIC, data=homelab).name == "Phase 1: operational maturity"


def test_another_fleet_without_a_plan_gets_none_not_the_shipped_one(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    write(other, "fleet.yaml", "clusters:\n  production: {role: production}\n")
    with pytest.raises(NoPlanError) as err:
        load_plan(rubric=RUBRIC, data=other)
    assert str(err.value).startswith(f"{other / 'plan.yaml'}: no plan in this data directory (copy data/plan.yaml")
    assert find_plan(rubric=RUBRIC, data=other) is None
    note = missing_note("plan.yaml", other)
    assert note.startswith(f"**No plan.yaml** in `{other}`") and "no burndown" in note and "copy data/plan.yaml" in note


def test_consistency_warnings_on_a_window_outside_the_blockers_weeks() -> None:
    plan = load_plan(PLAN_YAML, rubric=RUBRIC)
    wp4 = plan.work_packages["WP4"]
    moved = {**plan.work_packages, "WP4": type(wp4)(**{**wp4.__dict__, "first_week": 5, "last_week": 8})}
    warnings = consistency_warnings(type(plan)(**{**plan.__dict__, "work_packages": moved}), RUBRIC)
    assert any(w.startswith("blocker B1") and "weeks 5-6" in w and "weeks 5-8" in w for w in warnings)


def test_a_missing_plan_file_is_a_config_error(tmp_path: Path) -> None:
    err = _error(tmp_path / "nope.yaml")
    assert "cannot read the plan" in err.problem and err.path.endswith("nope.yaml")
