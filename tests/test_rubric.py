"""The rubric: merged over the default, validated with file and line, versioned."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from readiness.assess import rubric
from readiness.errors import ConfigError

IDS = set(yaml.safe_load(rubric.DEFAULT.read_text())["checks"])


def _load(tmp_path: Path, text: str) -> rubric.Rubric:
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return rubric.load(path, known_checks=IDS)


def test_default_rubric_mirrors_the_assessment() -> None:
    r = rubric.load(known_checks=IDS)
    assert [c.name for c in r.categories.values()] == [
        "Infrastructure", "Observability", "Deployment", "Security", "Backup & DR", "Documentation"]
    assert sorted(r.blockers) == ["B1", "B2", "B3", "B4", "B5", "B6"]
    assert r.ready_above == 90 and r.require_blockers_resolved
    assert len(r.checks) >= 40
    assert r.checks["backup_restore_tested"].blockers == ("B2",)
    assert set(r.checks["docs_escalation"].blockers) == {"B3", "B6"}


def test_category_weights_make_the_overall_follow() -> None:
    r = rubric.load(known_checks=IDS)
    before = {"infrastructure": 98, "observability": 50, "deployment": 20, "security": 75, "backup": 10,
              "documentation": 60}
    weighted = sum(r.categories[c].weight * s for c, s in before.items()) / sum(c.weight for c in r.categories.values())
    assert abs(weighted - 62) <= 1
    assert abs(sum(before.values()) / 6 - 52.2) < 0.1  # the plain mean the assessment's 62% does not follow from


def test_override_merges_over_default(tmp_path: Path) -> None:
    r = _load(tmp_path, "version: mine-2\nchecks:\n  backup_offsite:\n    weight: 0\n")
    assert r.version == "mine-2"
    assert r.checks["backup_offsite"].weight == 0
    assert r.checks["backup_offsite"].title.startswith("Backups are also stored offsite")
    assert r.sources[-1].endswith("mine.yaml")


def test_unknown_check_id_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "checks:\n  backup_offsite:\n    weight: 1\n  backup_teleport:\n    weight: 1\n")
    assert "mine.yaml:4" in str(err.value)
    assert "unknown check id 'backup_teleport'" in str(err.value)


def test_bad_weight_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mine.yaml:3: 'weight' must be a number >= 0, got 'heavy'"):
        _load(tmp_path, "checks:\n  backup_offsite:\n    weight: heavy\n")


def test_unknown_category_and_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mine.yaml:3: check 'backup_offsite': unknown category 'storage'"):
        _load(tmp_path, "checks:\n  backup_offsite:\n    category: storage\n")
    with pytest.raises(ConfigError, match=r"mine.yaml:3: check 'backup_offsite': unknown key 'wieght'"):
        _load(tmp_path, "checks:\n  backup_offsite:\n    wieght: 2\n")


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mine.yaml:3: not valid YAML"):
        _load(tmp_path, "checks:\n  x: 1\n y: 2\n")


def test_blocker_naming_unknown_check(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mine.yaml:3: blocker B7 criterion 1 names unknown check 'nope'"):
        _load(tmp_path, "blockers:\n  B7:\n    criteria: [{text: x, checks: [nope]}]\n")


def test_the_default_rubric_names_no_fleet_of_its_own() -> None:
    r = rubric.load(known_checks=IDS)
    text = rubric.DEFAULT.read_text()
    for name in ("agent-bruno", "studio", "forge", "HighCPUUsage", "WP3", "homelab-api"):
        assert name not in text
    assert r.checks["obs_plan_alerts"].thresholds["alerts"] == []
    assert r.checks["deploy_canary"].thresholds["services"] == []
    assert r.checks["obs_alertmanager_running"].work_package is None


def test_a_data_directory_selects_its_profile(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text("rubric: homelab-phase1\nclusters: {studio: {role: production}}\n")
    r = rubric.load(data=tmp_path, known_checks=IDS)
    assert r.sources[-1].endswith("homelab-phase1.yaml")
    assert r.checks["infra_ai_agents"].thresholds["agents"] == ["agent-bruno", "agent-auditor"]
    assert r.checks["deploy_prod_approval"].thresholds["environments"] == ["studio"]
    assert r.checks["obs_alertmanager_running"].work_package == "WP3"
    assert r.blockers["B1"].resolution == "Week 5-6 (24 hours)"
    # weights and categories stay the default's: the profile only names the fleet's specifics
    base = rubric.load(known_checks=IDS)
    assert {c: s.weight for c, s in r.checks.items()} == {c: s.weight for c, s in base.checks.items()}


def test_a_user_file_merges_over_the_profile(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text("rubric: homelab-phase1\n")
    mine = tmp_path / "mine.yaml"
    mine.write_text("checks:\n  infra_ai_agents:\n    thresholds: {agents: [one]}\n")
    r = rubric.load(mine, data=tmp_path, known_checks=IDS)
    assert r.checks["infra_ai_agents"].thresholds["agents"] == ["one"]
    assert r.checks["deploy_canary"].thresholds["services"] == ["agent-bruno", "agent-auditor", "homelab-api"]


def test_without_a_profile_key_the_default_applies(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text("clusters: {a: {role: production}}\n")
    assert rubric.load(data=tmp_path, known_checks=IDS).sources == (str(rubric.DEFAULT),)


def test_an_unknown_profile_names_the_fleet_file_and_the_profiles(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text("rubric: homelab-phase9\n")
    with pytest.raises(ConfigError) as err:
        rubric.load(data=tmp_path, known_checks=IDS)
    assert "fleet.yaml" in str(err.value) and "homelab-phase9" in str(err.value)
    assert "homelab-phase1" in str(err.value.hint)


def test_the_demo_and_the_project_data_select_the_homelab_profile() -> None:
    root = Path(__file__).parent.parent
    for fleet in (root / "readiness" / "demo" / "fleet.yaml", root / "data" / "fleet.yaml"):
        assert yaml.safe_load(fleet.read_text())["rubric"] == "homelab-phase1"


# ---------------------------------------------------------------- thresholds (each check's dataclass)

def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        rubric.load(path)  # the registry: every built-in check with its thresholds dataclass
    return str(err.value)


def test_a_threshold_name_with_a_typo_names_file_line_check_and_accepted_names(tmp_path: Path) -> None:
    text = _error(tmp_path, "version: x\nchecks:\n  obs_alert_rules_count:\n    thresholds:\n      min_rule: 10\n")
    assert text == (f"{tmp_path / 'mine.yaml'}:5: check 'obs_alert_rules_count': unknown threshold 'min_rule' "
                    "(did you mean 'min_rules'?) (accepted names: min_rules)")


def test_a_threshold_of_the_wrong_type_is_an_error(tmp_path: Path) -> None:
    text = _error(tmp_path, "checks:\n  backup_success_rate:\n    thresholds: {window_days: seven}\n")
    assert text.startswith(f"{tmp_path / 'mine.yaml'}:3: check 'backup_success_rate': threshold 'window_days' "
                           "must be a number, got 'seven'")
    assert text.endswith("(accepted names: min_rate, stuck_after_hours, window_days)")
    assert ":2: check 'obs_grafana': threshold 'tools' must be a list of text, got 'grafana'" in _error(
        tmp_path, "checks:\n  obs_grafana: {thresholds: {tools: grafana}}\n")
    assert "threshold 'min_rules' must be a whole number, got 2.5" in _error(
        tmp_path, "checks:\n  obs_alert_rules_count: {thresholds: {min_rules: 2.5}}\n")
    assert "threshold 'required' must be true or false, got 'yes'" in _error(
        tmp_path, "checks:\n  infra_multicluster_links: {thresholds: {required: 'yes'}}\n")
    assert "threshold 'pattern' must be a regular expression, got 'dr('" in _error(
        tmp_path, "checks:\n  backup_dr_runbook: {thresholds: {pattern: 'dr('}}\n")


def test_a_check_without_thresholds_accepts_none(tmp_path: Path) -> None:
    text = _error(tmp_path, "checks:\n  infra_nodes_ready:\n    thresholds: {min_share: 1}\n")
    assert text.endswith("check 'infra_nodes_ready': unknown threshold 'min_share' (this check takes no thresholds)")


def test_thresholds_left_out_take_the_dataclass_defaults_and_written_ones_are_kept(tmp_path: Path) -> None:
    r = _load(tmp_path, "checks:\n  backup_success_rate: {thresholds: {min_rate: 1}}\n")
    # 1 stays the integer written (no conversion: reasons print what the rubric says).
    assert r.checks["backup_success_rate"].thresholds == {"window_days": 7, "min_rate": 1, "stuck_after_hours": 24}
    assert r.checks["backup_dr_runbook"].thresholds == {"pattern": r"disaster|recovery|restore|\bdr\b"}


def test_the_default_rubric_and_profiles_fit_every_checks_dataclass() -> None:
    for name in [None, *rubric.profiles()]:
        assert rubric.load(name).checks  # validated at load


def test_config_fills_the_defaults_and_gives_the_typed_values() -> None:
    from readiness.assess.checks.base import CheckThresholds

    cfg = CheckThresholds("obs_alert_rules_count", {})
    assert cfg["min_rules"] == 15 and cfg.values.min_rules == 15
    assert CheckThresholds("obs_alert_rules_count", {"min_rules": 3}).values.min_rules == 3


def test_plugins_must_be_a_list_of_names(tmp_path: Path) -> None:
    text = _error(tmp_path, "version: x\nplugins: my.checks\n")
    assert text.startswith(f"{tmp_path / 'mine.yaml'}:2: 'plugins' must be a list of module or entry-point names")
