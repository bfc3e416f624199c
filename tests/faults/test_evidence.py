"""Evidence that failed is not evidence: unreachable keeps the last good snapshot, stale is unknown, never 0%."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from readiness import assess
from readiness.cli import main
from readiness.report import sections

from .conftest import cli, day, one_line_error, tree, write_snapshot


def score_json(data: Path, *extra: str) -> tuple[dict, str]:
    out = CliRunner().invoke(main, ["score", "--data", str(data), "--format", "json", *extra])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout), out.stderr


def category(doc: dict, name: str) -> dict:
    return next(c for c in doc["categories"] if c["name"] == name)


def test_an_unreachable_collection_keeps_the_last_good_snapshot(collected: Path) -> None:
    before, _ = score_json(collected)
    write_snapshot(collected, "alpha", day("2026-03-09"), status="unreachable")
    after, _ = score_json(collected)
    infra_before, infra_after = category(before, "Infrastructure"), category(after, "Infrastructure")
    assert infra_before["score"] and infra_before["score"] > 0
    assert infra_after["score"] == infra_before["score"]  # not the 0% of an empty snapshot
    assert after["as_of"] == "2026-03-09" and after["no_fresh_evidence"] == []
    a = assess(collected)
    used = a.findings.filter(a.findings["cluster"] == "alpha")["snapshot_id"].unique().to_list()
    assert used == ["live-20260308T120000.000000Z"]
    assert (a.freshness().filter(a.freshness()["cluster"] == "alpha")["failed_since"][0].date().isoformat()
            == "2026-03-09")


def test_stale_evidence_is_unknown_with_its_age_not_zero(collected: Path) -> None:
    doc, err = score_json(collected, "--as-of", "2026-06-01")
    assert all(c["score"] is None and c["coverage"] == 0 for c in doc["categories"])
    assert doc["overall"] is None and doc["verdict"] == "NOT READY"
    assert doc["no_fresh_evidence"] == [
        "alpha: no fresh evidence since 2026-03-08 (85 days old, stale after 8)",
        "beta: no fresh evidence since 2026-03-08 (85 days old, stale after 8)",
    ]
    assert "warning: alpha: no fresh evidence since 2026-03-08" in err
    table = CliRunner().invoke(main, ["score", "--data", str(collected), "--as-of", "2026-06-01"])
    infra = next(line for line in table.stdout.splitlines() if line.startswith("Infrastructure"))
    assert infra.split()[1] == "unknown"  # the score column: not 0%
    # The narrow layout prints each category's notes below the table, wrapped: "Infrastructure: ...".
    below = table.stdout.split("\nInfrastructure: ", 1)[1]
    notes = " ".join(below.split("\n\n")[0].split("\nObservability:")[0].split())
    assert "no fresh evidence" in notes and "85 days old" in notes


def test_a_cluster_never_reached_is_named_first_in_the_report(collected: Path) -> None:
    write_snapshot(collected, "gamma", day("2026-03-08", 13), status="unreachable")
    write_snapshot(collected, "alpha", day("2026-03-08", 14), status="unreachable")
    head = sections.status(assess(collected))
    assert "**No fresh evidence** for 1 of 3 clusters" in head
    assert "gamma: no evidence: never reached (unreachable since 2026-03-08)" in head
    assert "alpha" not in head  # its last good snapshot is from the same day: fresh


def test_report_refuses_when_no_cluster_has_usable_evidence(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "reports"
    write_snapshot(data, "alpha", day("2026-03-01"), status="unreachable")
    write_snapshot(data, "beta", day("2026-03-01"), status="unreachable")
    out.mkdir()
    (out / "index.md").write_text("# the previous index\n")
    before = tree(out)
    result = cli("report", "--data", data, "--out", out, "--no-collect")
    one_line_error(result, f"{data}: no cluster has usable evidence as of 2026-03-01",
                   "no cluster was ever reached", "readiness collect")
    assert tree(out) == before
