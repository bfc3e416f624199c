"""`readiness scrub` brings data written under an older sanitizer policy to the current one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from readiness import store
from readiness.assess.assessment import assess
from readiness.cli import main
from readiness.collect import policy
from readiness.collect.scrub import recorded_label, stale_warning
from readiness.demo import snapshot_frames
from readiness.store.repofacts import REPO_API

MARK = "SCRUBMARK"
WEEK = 14


def _plant(row: dict[str, Any], n: int) -> dict[str, Any]:
    """A row as an older collector stored it: credentials where the current policy keeps none."""
    spec, status = json.loads(row["spec"]), json.loads(row["status"])
    annotations = {**json.loads(row["annotations"]), "example.com/owner-token": f"{MARK}{n}a"}
    if isinstance(spec, dict):
        spec["values"] = {"adminPassword": f"{MARK}{n}b", "replicas": 3}
        for c in ((spec.get("template") or {}).get("spec") or {}).get("containers") or []:
            c["args"] = [f"--password={MARK}{n}c"]
            c["env"] = [{"name": "TOKEN", "value": f"{MARK}{n}d"}]
    if isinstance(status, dict):
        status["message"] = f"{MARK}{n}e"
        for cond in status.get("conditions") or []:
            cond["message"] = f"login with password={MARK}{n}f failed"
    return {**row, "annotations": json.dumps(annotations), "spec": json.dumps(spec), "status": json.dumps(status)}


@pytest.fixture
def old_data(tmp_path: Path) -> Path:
    objects, snaps, coverage = snapshot_frames(WEEK)
    objects = objects.filter(pl.col("cluster").is_in(["pro", "studio"]))
    planted = pl.DataFrame([_plant(r, n) for n, r in enumerate(objects.iter_rows(named=True))], schema=objects.schema)
    live = pl.lit("live")
    data = tmp_path / "data"
    store.write_snapshot(data, planted.with_columns(live.alias("source")),
                         snaps.filter(pl.col("cluster").is_in(["pro", "studio"])).with_columns(live.alias("source")),
                         coverage.filter(pl.col("cluster").is_in(["pro", "studio"])))
    assert MARK in str(store.objects(data).rows())
    return data


def _scores(data: Path) -> list[tuple[str, str, str, float]]:
    f = assess(data).findings.sort("cluster", "check_id")
    return [(r["cluster"], r["check_id"], r["status"], round(r["score"], 9)) for r in f.iter_rows(named=True)]


def test_scrub_removes_every_marker_and_keeps_rows_and_scores(old_data: Path) -> None:
    before_rows = store.objects(old_data).select("snapshot_id", "cluster", "api_version", "kind", "namespace", "name")
    before = _scores(old_data)
    assert stale_warning(old_data) is not None and "readiness scrub --data" in str(stale_warning(old_data))

    first = CliRunner().invoke(main, ["scrub", "--data", str(old_data)])

    assert first.exit_code == 0, first.output
    after = store.objects(old_data)
    assert MARK not in str(after.rows())
    for f in old_data.rglob("*"):
        assert not f.is_file() or MARK.encode() not in f.read_bytes(), f
    assert after.select(before_rows.columns).equals(before_rows)  # same rows, same order
    assert _scores(old_data) == before
    planted = before_rows.filter(pl.col("api_version") != REPO_API).height  # one annotation each, at least
    replaced = int(first.output.split(" values replaced")[0].rsplit(" ", 1)[1])
    assert replaced >= planted, first.output
    assert {recorded_label(p) for p in (old_data / "objects").rglob("*.parquet")} == {str(policy.VERSION)}
    assert stale_warning(old_data) is None
    # the values it kept are the values the checks read
    helm = after.filter(pl.col("kind") == "Deployment").row(0, named=True)
    assert json.loads(helm["spec"])["values"] == {"adminPassword": "[redacted by readiness]", "replicas": 3}

    second = CliRunner().invoke(main, ["scrub", "--data", str(old_data)])
    assert second.exit_code == 0 and "scrubbed 0 of" in second.output and " 0 values replaced" in second.output
    assert store.objects(old_data).equals(after)


def test_score_warns_once_naming_the_command(old_data: Path) -> None:
    result = CliRunner().invoke(main, ["score", "--data", str(old_data)])
    assert result.exit_code == 0
    assert result.output.count("readiness scrub --data") == 1


def test_scrub_a_directory_without_objects_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scrub", "--data", str(tmp_path)])
    assert result.exit_code == 1 and "no objects files to scrub" in result.output
