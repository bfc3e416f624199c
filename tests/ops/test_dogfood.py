"""``readiness collect --repo .`` on this repository: its own deploy/ passes the checks that read it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from readiness.assess.assessment import assess
from readiness.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    data = tmp_path_factory.mktemp("self") / "data"
    result = CliRunner().invoke(main, ["collect", "--repo", str(ROOT), "--cluster", "self", "--data", str(data)])
    assert result.exit_code == 0, result.output
    rows = assess(data).findings.filter(pl.col("cluster") == "self")
    return {r["check_id"]: r for r in rows.iter_rows(named=True)}


def test_the_collector_namespace_has_a_network_policy(findings: dict[str, dict]) -> None:
    f = findings["sec_network_policies"]
    assert f["status"] == "pass", f["reason"]
    assert "NetworkPolicy/readiness/readiness-collector" in f["evidence"]


def test_every_alert_has_a_runbook_in_the_repository(findings: dict[str, dict]) -> None:
    f = findings["obs_alert_runbooks"]
    assert f["status"] == "pass", f["reason"]
    assert f["reason"].startswith("4/4 alerts")
    assert sorted(f["evidence"]) == sorted(f"docs/runbooks/{p.name}" for p in (ROOT / "docs" / "runbooks").glob("*.md"))


def test_the_collector_cronjobs_run_restricted(findings: dict[str, dict]) -> None:
    f = findings["sec_pod_security"]
    assert f["status"] == "pass", f["reason"]
    assert any(ref.startswith("CronJob/") for ref in f["evidence"]), f["evidence"]
