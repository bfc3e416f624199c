"""The command line: help, version, score/explain/checks on the demo fleet, errors as one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import readiness
from readiness.assess import rubric
from readiness.cli import main


@pytest.fixture
def run() -> CliRunner:
    return CliRunner()


def test_version_and_help(run: CliRunner) -> None:
    out = run.invoke(main, ["--version"])
    assert out.exit_code == 0 and readiness.__version__ in out.output
    out = run.invoke(main, ["--help"])
    for command in ("demo", "score", "explain", "checks"):
        assert command in out.output


def test_score_json_has_the_documented_shape(run: CliRunner, demo_dir: Path) -> None:
    out = run.invoke(main, ["score", "--data", str(demo_dir), "--as-of", "2025-11-07", "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    keys = {"as_of", "rubric_version", "overall", "verdict", "coverage", "categories", "blockers", "clusters"}
    assert keys <= set(doc)
    assert doc["as_of"] == "2025-11-07" and doc["demo"] is True
    assert {c["name"] for c in doc["categories"]} >= {"Infrastructure", "Backup & DR"}
    assert {"id", "title", "resolved"} <= set(doc["blockers"][0])
    assert sorted(c["name"] for c in doc["clusters"]) == ["air", "forge", "pi", "pro", "studio"]
    assert doc["overall"] == readiness.assess(demo_dir, as_of=readiness.snapshots(demo_dir)["collected_at"]
                                              .min().date()).to_dict()["overall"]


def test_score_table_mirrors_the_scorecard(run: CliRunner, demo_dir: Path) -> None:
    out = run.invoke(main, ["score", "--data", str(demo_dir), "--as-of", "2025-11-07"])
    assert out.exit_code == 0
    assert "DEMO DATA" in out.output
    assert "Backup & DR" in out.output and "NOT READY" in out.output and "6 production blockers" in out.output


def test_fail_under_is_a_ci_gate(run: CliRunner, demo_dir: Path) -> None:
    args = ["score", "--data", str(demo_dir), "--format", "json", "--as-of", "2025-11-07"]
    assert run.invoke(main, [*args, "--fail-under", "90"]).exit_code == 3
    assert run.invoke(main, [*args, "--fail-under", "50"]).exit_code == 0


def test_cluster_filter(run: CliRunner, demo_dir: Path) -> None:
    out = run.invoke(main, ["score", "--data", str(demo_dir), "--cluster", "pi", "--format", "json"])
    assert [c["name"] for c in json.loads(out.output)["clusters"]] == ["pi"]


def test_explain_shows_finding_and_evidence(run: CliRunner, demo_dir: Path) -> None:
    out = run.invoke(main, ["explain", "backup_restore_tested", "--data", str(demo_dir), "--cluster", "studio"])
    assert out.exit_code == 0, out.output
    assert "studio: pass" in out.output and "evidence: Restore/velero/restore-test-" in out.output
    assert "blocker B2" in out.output


def test_explain_several_checks_a_category_or_all_in_one_assessment(run: CliRunner, demo_dir: Path) -> None:
    base = ["--data", str(demo_dir), "--cluster", "studio"]
    one = run.invoke(main, ["explain", "backup_restore_tested", *base])
    two = run.invoke(main, ["explain", "backup_restore_tested", "obs_grafana", *base])
    assert two.exit_code == 0, two.output
    # each check exactly as alone, one after another, a blank line between
    alone = run.invoke(main, ["explain", "obs_grafana", *base]).output
    assert two.output == one.output + "\n" + alone
    backup = run.invoke(main, ["explain", "--category", "Backup & DR", "backup_restore_tested", *base])
    heads = [line.split(":")[0] for line in backup.output.splitlines() if line and not line.startswith(" ")]
    assert heads[0] == "backup_restore_tested" and len(heads) == len(set(heads)) > 5  # named first, once
    assert all(h.startswith("backup_") for h in heads)
    every = run.invoke(main, ["explain", "--all", *base])
    assert sum(line.startswith("  category ") for line in every.output.splitlines()) == len(rubric.load(None).checks)
    assert run.invoke(main, ["explain", *base]).exit_code == 2  # nothing named
    wrong = run.invoke(main, ["explain", "--category", "backups", *base])
    assert wrong.exit_code == 2 and "known: infrastructure (Infrastructure)" in wrong.output


def test_unknown_check_is_one_line_listing_known_ids(run: CliRunner, demo_dir: Path) -> None:
    out = run.invoke(main, ["explain", "backup_teleport", "--data", str(demo_dir)])
    assert out.exit_code == 1
    assert out.output.count("\n") == 1
    assert "unknown check id 'backup_teleport'" in out.output and "backup_dr_runbook" in out.output


def test_missing_data_is_one_line(run: CliRunner, tmp_path: Path) -> None:
    out = run.invoke(main, ["score", "--data", str(tmp_path)])
    assert out.exit_code == 1 and out.output.startswith("error: ") and "readiness demo" in out.output


def test_checks_lists_every_check(run: CliRunner) -> None:
    out = run.invoke(main, ["checks"])
    assert out.exit_code == 0
    assert len([line for line in out.output.splitlines() if line.startswith(("infra_", "obs_", "backup_"))]) >= 20


def test_public_surface_is_small_and_sorted() -> None:
    assert readiness.__all__ == sorted(readiness.__all__)
    assert set(readiness.__all__) == {
        "Assessment", "ReadinessError", "__version__", "assess", "burndown", "findings", "history", "load_rubric",
        "objects", "risk_register", "scores", "snapshots"}


def test_risks_and_burndown_of_one_cluster(run: CliRunner, demo_dir: Path) -> None:
    def r4(cluster: str) -> str:
        out = run.invoke(main, ["risks", "--data", str(demo_dir), "--as-of", "2025-11-07", "--cluster", cluster,
                                "--format", "json"])
        assert out.exit_code == 0, out.output
        return next(r["status"] for r in json.loads(out.output) if r["id"] == "R4")

    # Secret leakage on 2025-11-07: ESO ran on studio but not yet on forge (WP1 lands in week 1).
    assert (r4("studio"), r4("forge")) == ("partly mitigated", "unmitigated")

    def earned(cluster: str) -> list[float]:
        out = run.invoke(main, ["burndown", "--data", str(demo_dir), "--cluster", cluster, "--format", "json"])
        return [w["earned"] for w in json.loads(out.output)["weeks"][:2]]

    # Week 0: studio proves WP1's ESO checks, forge does not (WP9's chaos checks apply to neither:
    # nothing to prove there); in week 1 ESO reaches forge and both stand level.
    (studio0, studio1), (forge0, forge1) = earned("studio"), earned("forge")
    assert studio0 > forge0 and studio1 == forge1


def test_log_writes_to_the_own_data_directory_never_the_demo(run: CliRunner, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from readiness.store import paths

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(paths.DATA_ENV)
    (tmp_path / "data" / "demo").mkdir(parents=True)
    (tmp_path / "data" / "demo" / "worklog.csv").write_text("date,work_package,hours,note\n")
    shutil.copyfile(paths.PACKAGE.parent / "data" / "plan.yaml", tmp_path / "data" / "plan.yaml")  # WP2 is its own
    out = run.invoke(main, ["log", "WP2", "3.5", "--date", "2025-11-20", "--note", "Velero on pi"])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "data" / "worklog.csv").read_text().splitlines()[-1] == "2025-11-20,WP2,3.5,Velero on pi"
    assert (tmp_path / "data" / "demo" / "worklog.csv").read_text() == "date,work_package,hours,note\n"


def test_frames_convert_to_pandas_for_analysts(demo_dir: Path) -> None:
    scores = readiness.scores(demo_dir)
    frame = scores.to_pandas()
    assert len(frame) == scores.height and list(frame.columns) == scores.columns


def test_explain_names_the_waiver_of_a_repository_finding(run: CliRunner, tmp_path: Path) -> None:
    from readiness.collect import collect_repo

    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n")
    collect_repo(tmp_path / "lab", "lab", tmp_path / "data")
    (tmp_path / "data" / "waivers.yaml").write_text(
        "waivers:\n  - {check: obs_alert_rules_count, cluster: lab, reason: rules elsewhere, owner: ops, "
        "expires: 2099-01-31}\n")
    out = run.invoke(main, ["explain", "obs_alert_rules_count", "--data", str(tmp_path / "data")])
    assert out.exit_code == 0, out.output
    # the cluster is shown with its view, and its waiver is still found under the cluster's own name
    assert "  - lab [repository, files view]: waived by ops until 2099-01-31: rules elsewhere" in out.output
