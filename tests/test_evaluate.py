"""Evaluation rules: roles, staleness, unreachable clusters, waivers, and repo snapshots merged in."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
import yaml

from readiness import store
from readiness.assess import rubric
from readiness.assess.evaluate import evaluate
from readiness.assess.rubric import CheckSpec
from readiness.errors import ConfigError, DataNotFoundError, ReadinessError
from readiness.store import schema

IDS = set(yaml.safe_load(rubric.DEFAULT.read_text())["checks"])
AT = datetime(2026, 1, 10, 12, 30, tzinfo=UTC)


def _rubric(**applies: tuple[str, ...]) -> rubric.Rubric:
    r = rubric.load(known_checks=IDS)
    checks: dict[str, CheckSpec] = {}
    for cid in ("backup_velero_installed", "backup_dr_runbook", "backup_offsite"):
        spec = r.checks[cid]
        checks[cid] = dataclasses.replace(spec, applies_to=applies.get(cid))
    return dataclasses.replace(r, checks=checks)


def _write(data: Path, cluster: str, source: str, objects: list[dict], status: str = "ok", at: datetime = AT) -> None:
    sid = f"{source}-{at:%Y%m%dT%H%MZ}"
    rows = [{"snapshot_id": sid, "cluster": cluster, "collected_at": at, "source": source,
             "api_version": o["api_version"], "kind": o["kind"], "namespace": o.get("namespace"), "name": o["name"],
             "labels": json.dumps(o.get("labels", {})), "annotations": "{}", "spec": json.dumps(o.get("spec", {})),
             "status": json.dumps(o.get("status", {}))} for o in objects]
    snaps = pl.DataFrame([{"snapshot_id": sid, "cluster": cluster, "collected_at": at, "source": source,
                           "status": status, "error": None}], schema=schema.SNAPSHOTS)
    store.write_snapshot(data, pl.DataFrame(rows, schema=schema.OBJECTS), snaps, schema.empty("coverage"))


VELERO = {"api_version": "apps/v1", "kind": "Deployment", "namespace": "velero", "name": "velero",
          "spec": {"replicas": 1}, "status": {"readyReplicas": 1}}
RUNBOOK = {"api_version": "repo.readiness.dev/v1", "kind": "Document", "name": "docs/runbooks/disaster-recovery.md",
           "spec": {"path": "docs/runbooks/disaster-recovery.md", "title": "DR", "type": "runbook"}}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    _write(tmp_path, "air", "live", [VELERO])
    _write(tmp_path, "pi", "live", [])
    (tmp_path / "fleet.yaml").write_text("clusters:\n  air: {role: production}\n  pi: {role: edge}\n")
    return tmp_path


def _status(f: pl.DataFrame, cluster: str, check: str) -> tuple[str, float, bool, str]:
    row = f.filter((pl.col("cluster") == cluster) & (pl.col("check_id") == check)).row(0, named=True)
    return row["status"], row["score"], row["waived"], row["reason"]


def test_checks_run_per_cluster(data: Path) -> None:
    f = evaluate(data, _rubric())
    assert _status(f, "air", "backup_velero_installed")[0] == "pass"
    assert _status(f, "pi", "backup_velero_installed")[0] == "fail"
    assert (f["rubric_version"] == _rubric().version).all()
    assert f.schema == schema.FINDINGS


def test_role_applicability(data: Path) -> None:
    f = evaluate(data, _rubric(backup_offsite=("production",)))
    assert _status(f, "pi", "backup_offsite")[:1] == ("not_applicable",)
    assert _status(f, "air", "backup_offsite")[0] == "fail"


def test_role_scoped_check_is_unknown_where_the_role_is_not_declared(data: Path) -> None:
    _write(data, "lab", "live", [])  # absent from fleet.yaml
    f = evaluate(data, _rubric(backup_offsite=("production", "staging")))
    status, score, _, reason = _status(f, "lab", "backup_offsite")
    assert (status, score) == ("unknown", 0.0)
    assert reason.startswith("roles of cluster lab are not declared in fleet.yaml; "
                             "declare 'clusters: {lab: {role: ...}}'")
    assert "applies to role production or staging only" in reason
    assert _status(f, "lab", "backup_velero_installed")[0] == "fail"  # a check for every role still runs
    assert _status(f, "air", "backup_offsite")[0] == "fail"
    assert _status(f, "pi", "backup_offsite")[0] == "not_applicable"
    (data / "fleet.yaml").unlink()  # no fleet.yaml at all: no cluster has a declared role
    f = evaluate(data, _rubric(backup_offsite=("production",), backup_velero_installed=("production",)))
    assert _status(f, "air", "backup_offsite")[0] == "unknown"
    assert _status(f, "air", "backup_velero_installed")[0] == "pass"  # met whatever the role: a pass stands


def test_waiver_until_expiry(data: Path) -> None:
    (data / "waivers.yaml").write_text(
        "waivers:\n  - {check: backup_velero_installed, cluster: pi, reason: edge, owner: me, expires: 2026-01-31}\n")
    status, score, waived, _ = _status(evaluate(data, _rubric()), "pi", "backup_velero_installed")
    assert (status, score, waived) == ("waived", 0.0, True)
    (data / "waivers.yaml").write_text(
        "waivers:\n  - {check: backup_velero_installed, cluster: pi, reason: edge, owner: me, expires: 2026-01-09}\n")
    assert _status(evaluate(data, _rubric()), "pi", "backup_velero_installed")[0] == "fail"


def test_stale_snapshot_is_unknown(data: Path) -> None:
    f = evaluate(data, _rubric(), as_of=date(2026, 1, 25))
    status, score, _, reason = _status(f, "air", "backup_velero_installed")
    assert (status, score) == ("unknown", 0.0)
    assert "15 days old" in reason
    assert _status(evaluate(data, _rubric(), as_of=date(2026, 1, 18)), "air", "backup_velero_installed")[0] == "pass"


def test_unreachable_cluster_is_unknown(tmp_path: Path) -> None:
    _write(tmp_path, "forge", "live", [], status="unreachable")
    assert _status(evaluate(tmp_path, _rubric()), "forge", "backup_velero_installed")[0] == "unknown"


def test_repo_snapshot_is_merged_into_the_cluster_snapshot(data: Path) -> None:
    assert _status(evaluate(data, _rubric()), "air", "backup_dr_runbook")[0] == "fail"
    _write(data, "air", "repo", [RUNBOOK], at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    f = evaluate(data, _rubric())
    assert _status(f, "air", "backup_dr_runbook")[0] == "pass"
    assert _status(f, "air", "backup_velero_installed")[0] == "pass"  # still the live snapshot's evidence


def test_history_evaluates_every_snapshot(data: Path) -> None:
    _write(data, "air", "live", [], at=datetime(2026, 1, 17, 12, 30, tzinfo=UTC))
    f = evaluate(data, _rubric(), history=True)
    air = f.filter((pl.col("cluster") == "air") & (pl.col("check_id") == "backup_velero_installed"))
    air = air.sort("collected_at")
    assert air["status"].to_list() == ["pass", "fail"]


def test_a_waiver_never_hides_missing_evidence(data: Path) -> None:
    (data / "waivers.yaml").write_text(
        "waivers:\n  - {check: backup_velero_installed, cluster: pi, reason: edge, owner: me, expires: 2027-01-31}\n")
    f = evaluate(data, _rubric(), as_of=date(2026, 2, 20))  # the snapshot of 2026-01-10 is stale by then
    assert _status(f, "pi", "backup_velero_installed")[:3] == ("unknown", 0.0, False)


def test_a_waiver_counts_on_the_as_of_day(data: Path) -> None:
    (data / "waivers.yaml").write_text(
        "waivers:\n  - {check: backup_velero_installed, cluster: pi, reason: edge, owner: me, expires: 2026-01-12}\n")
    assert _status(evaluate(data, _rubric(), as_of=date(2026, 1, 11)), "pi", "backup_velero_installed")[0] == "waived"
    assert _status(evaluate(data, _rubric(), as_of=date(2026, 1, 13)), "pi", "backup_velero_installed")[0] == "fail"


def test_waiver_typos_are_errors_with_file_and_line(data: Path) -> None:
    (data / "waivers.yaml").write_text(
        "waivers:\n  - {check: backup_velero_installed, cluster: pie, reason: r, owner: me, expires: 2027-01-31}\n")
    with pytest.raises(ConfigError, match=r"waivers.yaml:2: waiver names unknown cluster 'pie'.*air, pi"):
        evaluate(data, _rubric())
    (data / "waivers.yaml").write_text(
        "waivers:\n  - {check: backup_velero_instaled, cluster: pi, reason: r, owner: me, expires: 2027-01-31}\n")
    with pytest.raises(ConfigError, match=r"waivers.yaml:2: waiver names unknown check 'backup_velero_instaled'"):
        evaluate(data, _rubric())


def test_as_of_before_the_first_snapshot_is_an_error(data: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"no snapshot on or before 2025-01-01.*first snapshot .* 2026-01-10"):
        evaluate(data, _rubric(), as_of=date(2025, 1, 1))


def test_unknown_cluster_names_the_known_ones(data: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"no snapshots of cluster nope.*clusters with snapshots: air, pi"):
        evaluate(data, _rubric(), clusters=["nope"])


def test_bad_dates_and_fleet_entries_are_one_line_errors(data: Path) -> None:
    (data / "attestations.yaml").write_text("attestations:\n  - {fact: x, statement: s, by: me, date: 2026-02-30}\n")
    with pytest.raises(ConfigError, match=r"attestations.yaml: invalid value: day is out of range"):
        evaluate(data, _rubric())
    (data / "attestations.yaml").unlink()
    (data / "fleet.yaml").write_text("clusters:\n  air: production\n")
    with pytest.raises(ConfigError, match=r"fleet.yaml:2: cluster 'air' must be a mapping"):
        evaluate(data, _rubric())


def test_history_scores_the_fleet_per_day_across_collection_days(tmp_path: Path) -> None:
    # air is collected on Saturdays, pi on Sundays: each day's fleet still has both clusters.
    for week in range(3):
        _write(tmp_path, "air", "live", [VELERO], at=datetime(2026, 1, 3 + 7 * week, 23, 0, tzinfo=UTC))
        _write(tmp_path, "pi", "live", [], at=datetime(2026, 1, 4 + 7 * week, 1, 0, tzinfo=UTC))
    from readiness.assess.assessment import history

    _, scores = history(tmp_path, rubric=_rubric())
    fleet = scores.filter((pl.col("cluster") == "fleet") & (pl.col("category") == "backup")).sort("date")
    # Checks: velero (weight 2, holds on air only), DR runbook (0.5) and offsite (1) hold nowhere.
    assert fleet["score"][0] == pytest.approx(100 * 2 / 3.5)  # the first day: air alone
    assert fleet["score"].to_list()[1:] == pytest.approx([100 * 1 / 3.5] * 5)  # then both: velero on 1 of 2


def test_the_future_cannot_be_assessed(data: Path) -> None:
    with pytest.raises(ReadinessError, match=r"--as-of 2999-01-01 is in the future"):
        evaluate(data, _rubric(), as_of=date(2999, 1, 1))


def test_stale_collection_warns_in_score_and_report(data: Path) -> None:
    from click.testing import CliRunner

    from readiness.assess.assessment import assess
    from readiness.cli import main
    from readiness.report import sections

    out = CliRunner().invoke(main, ["score", "--data", str(data), "--format", "json"])
    assert out.exit_code == 0
    assert "warning: the newest snapshot in" in out.stderr and "days old" in out.stderr
    a = assess(data, rubric=_rubric())
    assert (a.stale_today() or 0) > 300  # collected 2026-01-10
    assert "**Stale data**" in sections.status(a)
    assert a.stale_today(today=date(2026, 1, 12)) is None


def test_rows_frame_is_the_frame_polars_builds_from_the_rows() -> None:
    """Findings rows go into a frame column by column (datetimes as microseconds, evidence as
    JSON): the same frame as polars' own row-by-row construction, awkward values included."""
    from readiness.assess.evaluate import _rows_frame
    from readiness.store.findings import STORED

    base = {name: None for name in STORED}
    rows = [
        {**base, "snapshot_id": "s1", "cluster": "a", "collected_at": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
         "check_id": "x", "weight": 2.5, "score": 0.25, "waived": False, "applicable": True,
         "evidence": ["plain", 'quote " and \\ backslash', "ünïcode ✓", "line\nbreak", "tab\there"]},
        {**base, "snapshot_id": "s2", "cluster": "b", "collected_at": datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
         "check_id": "y", "evidence": [], "waived": True, "blocker": "B1,B2"},
        {**base, "snapshot_id": "s3", "cluster": "a", "collected_at": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
         "evidence": None, "reason": ""},
    ]
    built = _rows_frame(rows, STORED)
    assert built.schema == STORED
    assert built.equals(pl.DataFrame(rows, schema=STORED))
    assert built["evidence"][0].to_list()[1:] == ['quote " and \\ backslash', "ünïcode ✓", "line\nbreak", "tab\there"]
    assert _rows_frame([], schema.FINDINGS).schema == schema.FINDINGS
