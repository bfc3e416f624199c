"""Scoring formulas on small hand-made findings: every expected number is worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
import yaml

from readiness.assess import rubric
from readiness.assess import score as sc
from readiness.store import schema

IDS = set(yaml.safe_load(rubric.DEFAULT.read_text())["checks"])
R = rubric.load(known_checks=IDS)
AT = datetime(2026, 1, 9, 12, 30, tzinfo=UTC)


def _findings(rows: list[tuple[str, str, str, float, bool]]) -> pl.DataFrame:
    """(cluster, check_id, status, score, waived) -> findings with the rubric's metadata."""
    out = []
    for cluster, check_id, status, score, waived in rows:
        spec = R.checks[check_id]
        out.append({"snapshot_id": "s1", "cluster": cluster, "collected_at": AT, "check_id": check_id,
                    "category": spec.category, "weight": spec.weight, "severity": spec.severity,
                    "blocker": ",".join(spec.blockers) or None, "work_package": spec.work_package,
                    "status": "waived" if waived else status, "score": score, "waived": waived, "reason": "r",
                    "evidence": [], "rubric_version": "test-1"})
    return pl.DataFrame(out, schema=schema.FINDINGS)


def _score(scores: pl.DataFrame, cluster: str, category: str, column: str = "score") -> float:
    return float(scores.filter((pl.col("cluster") == cluster) & (pl.col("category") == category))[column][0])


def test_category_is_the_weighted_mean_and_unknown_lowers_coverage() -> None:
    # velero_installed w2 pass, offsite w1 fail, restore_tested w1 unknown, storage w1 partial 0.5
    f = _findings([("air", "backup_velero_installed", "pass", 1.0, False),
                   ("air", "backup_offsite", "fail", 0.0, False),
                   ("air", "backup_restore_tested", "unknown", 0.0, False),
                   ("air", "backup_storage_available", "partial", 0.5, False)])
    s = sc.scores(f, R)
    assert _score(s, "air", "backup") == pytest.approx(100 * (2 + 0.5) / 5)
    assert _score(s, "air", "backup", "coverage") == pytest.approx(4 / 5)
    assert (s["rubric_version"] == "test-1").all()


def test_not_applicable_is_left_out() -> None:
    f = _findings([("studio", "deploy_canary", "pass", 1.0, False),
                   ("pi", "deploy_canary", "not_applicable", 0, False),
                   ("pi", "deploy_ci_pipeline", "fail", 0.0, False),
                   ("studio", "deploy_ci_pipeline", "fail", 0.0, False)])
    s = sc.scores(f, R)
    assert _score(s, "pi", "deployment") == 0.0  # only the pipeline check counts on pi
    assert _score(s, "studio", "deployment") == pytest.approx(100 * 1 / 3)  # canary w1 of 1+2
    fc = sc.fleet_checks(f).filter(pl.col("check_id") == "deploy_canary")
    assert fc["clusters"][0] == 1 and fc["status"][0] == "pass"


def test_waivers_count_as_passed_only_with_waivers() -> None:
    f = _findings([("pi", "sec_network_policies", "partial", 0.5, True), ("pi", "sec_mtls", "pass", 1.0, False)])
    s = sc.scores(f, R)
    assert _score(s, "pi", "security") == 100.0
    assert _score(s, "pi", "security", "score_without_waivers") == pytest.approx(100 * (2 * 0.5 + 3) / 5)


def test_a_check_holds_for_the_fleet_only_as_far_as_on_every_cluster() -> None:
    f = _findings([("air", "backup_velero_installed", "pass", 1.0, False),
                   ("pi", "backup_velero_installed", "fail", 0.0, False),
                   ("studio", "backup_velero_installed", "pass", 1.0, False)])
    fc = sc.fleet_checks(f)
    assert fc["score"][0] == pytest.approx(2 / 3)
    assert fc["status"][0] == "partial" and not fc["holds"][0]
    assert fc["failing_clusters"][0].to_list() == ["pi"]
    assert _score(sc.scores(f, R), "fleet", "backup") == pytest.approx(100 * 2 / 3)


def test_clusters_where_a_check_is_unknown_are_counted_apart_from_failing_ones() -> None:
    from readiness.report import sections

    f = _findings([("air", "backup_velero_installed", "fail", 0.0, False),
                   ("pro", "backup_velero_installed", "unknown", 0.0, False),
                   ("studio", "backup_velero_installed", "unknown", 0.0, False),
                   ("pi", "backup_velero_installed", "pass", 1.0, False)])
    row = sc.fleet_checks(f).row(0, named=True)
    assert row["failing_clusters"] == ["air", "pro", "studio"] and row["unknown_clusters"] == ["pro", "studio"]
    assert sections._not_on(row, None) == "not on air; unknown on pro, studio"
    assert sections._not_on({**row, "failing_clusters": ["pro"], "unknown_clusters": ["pro"]}, None) == "unknown on pro"


def test_overall_uses_category_weights() -> None:
    f = _findings([("air", "backup_velero_installed", "pass", 1.0, False),  # backup 100
                   ("air", "infra_nodes_ready", "fail", 0.0, False)])  # infrastructure 0
    s = sc.scores(f, R)
    wb, wi = R.categories["backup"].weight, R.categories["infrastructure"].weight
    assert _score(s, "air", "overall") == pytest.approx(100 * wb / (wb + wi))
    assert _score(s, "fleet", "overall") == pytest.approx(100 * wb / (wb + wi))


def test_blocker_resolved_only_when_every_criterion_holds_everywhere() -> None:
    ok = [(c, cid, "pass", 1.0, False) for c in ("air", "pi") for cid in R.blockers["B5"].checks]
    b = sc.blockers(_findings(ok), R).filter(pl.col("blocker") == "B5")
    assert b["resolved"].all() and b["met"].all()
    one_fails = [*ok[:-1], ("pi", ok[-1][1], "fail", 0.0, False)]
    b = sc.blockers(_findings(one_fails), R).filter(pl.col("blocker") == "B5")
    assert not b["resolved"].any()
    assert b.filter(~pl.col("met"))["open_checks"].to_list() == [[ok[-1][1]]]


def test_verdict_needs_score_above_threshold_and_no_open_blockers() -> None:
    assert sc.verdict(90.5, 0, R) == "READY"
    assert sc.verdict(90.0, 0, R) == "NOT READY"  # "> 90%", not ">="
    assert sc.verdict(99.0, 1, R) == "NOT READY"


def test_on_dates_every_finding_on_the_as_of_day() -> None:
    f = _findings([("air", "backup_velero_installed", "pass", 1.0, False)])
    f = pl.concat([f, f.with_columns(pl.lit("pi").alias("cluster"),
                                     pl.lit(datetime(2026, 1, 5, tzinfo=UTC)).alias("collected_at"))])
    assert sc.scores(f, R)["date"].n_unique() == 2
    assert sc.scores(f, R, on=date(2026, 1, 9))["date"].unique().to_list() == [date(2026, 1, 9)]


def test_not_applicable_or_unknown_never_meets_a_blocker_criterion() -> None:
    # B3's SLO criterion has one check (obs_slos): not_applicable everywhere, then unknown.
    others = [("air", cid, "pass", 1.0, False) for cid in R.blockers["B3"].checks if cid != "obs_slos"]
    for status in ("not_applicable", "unknown"):
        b = sc.blockers(_findings([*others, ("air", "obs_slos", status, 0.0, False)]), R)
        b3 = b.filter(pl.col("blocker") == "B3")
        slo = b3.filter(pl.col("text") == "SLO tracking for critical services")
        assert not slo["met"][0], status
        assert not b3["resolved"].any()
        assert b3.filter(pl.col("text") != "SLO tracking for critical services")["met"].all()


def test_production_criteria_are_met_only_by_passing_checks() -> None:
    from readiness.assess.assessment import _criteria

    def met(rows: list[tuple[str, str, str, float, bool]]) -> dict[str, bool]:
        c = _criteria(R, sc.fleet_checks(_findings(rows)), 95.0, 0)
        return dict(zip(c["id"].to_list(), c["met"].to_list(), strict=True))

    passing = [("air", cid, "pass", 1.0, False) for cid in ("obs_alertmanager_running", "obs_paging_receiver",
                                                             "obs_alert_rules_count")]
    assert met(passing)["alerting"] is True
    # an Alertmanager routed to a pager, without the alert rules that would page: not operational
    assert met([*passing[:2], ("air", "obs_alert_rules_count", "fail", 0.0, False)])["alerting"] is False
    assert met([*passing[:1], ("air", "obs_paging_receiver", "not_applicable", 0.0, False), passing[2]])[
        "alerting"] is False
    assert met([*passing[:1], ("air", "obs_paging_receiver", "unknown", 0.0, False), passing[2]])["alerting"] is False
    assert met([passing[0], passing[2]])["alerting"] is False  # no finding at all for a named check
    assert met(passing)["overall"] is True and met(passing)["blockers"] is True
