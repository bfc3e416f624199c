"""``readiness doctor``: finds unreadable, orphan and leftover files and stale clusters; --repair moves them aside."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import cli, day, leftovers, tree, write_snapshot


def test_a_healthy_directory(collected: Path) -> None:
    result = cli("doctor", "--data", collected)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout and "stale: cluster alpha" in result.stdout  # 2026-03-08 is long ago


def test_doctor_finds_and_repairs_what_the_errors_point_to(collected: Path) -> None:
    bad = sorted((collected / "objects" / "cluster=beta").glob("date=*/*.parquet"))[-1]
    bad.write_bytes(bad.read_bytes()[:100])
    orphan = collected / "coverage" / "cluster=alpha" / "date=2026-03-08" / "live-20260308T130000.000000Z.parquet"
    orphan.write_bytes(sorted(orphan.parent.glob("*.parquet"))[0].read_bytes())
    (bad.parent / ".live-x.parquet.q1.tmp").write_bytes(b"")
    failed = cli("score", "--data", collected)
    assert failed.returncode == 1 and f"readiness doctor --data {collected} --repair" in failed.stderr

    found = cli("doctor", "--data", collected)
    assert found.returncode == 1
    out = found.stdout
    assert f"error: unreadable: {bad.relative_to(collected)}: not a readable Parquet file" in out
    assert f"error: orphan: {orphan.relative_to(collected)}" in out
    assert "warning: temporary: " in out and "error: incomplete: snapshots/cluster=beta" in out
    assert "--repair" in found.stderr

    fixed = cli("doctor", "--data", collected, "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert (collected / ".quarantine" / bad.relative_to(collected)).is_file()  # moved aside, not deleted
    assert leftovers(collected) == [] and not orphan.exists()
    again = cli("doctor", "--data", collected)
    assert again.returncode == 0 and "error:" not in again.stdout
    score = cli("score", "--data", collected, "--format", "json")
    assert score.returncode == 0, score.stderr
    doc = json.loads(score.stdout)
    assert [c["name"] for c in doc["clusters"]] == ["alpha", "beta"]  # beta is back on its earlier snapshot


def test_doctor_names_invalid_inputs_and_clusters_never_reached(collected: Path) -> None:
    (collected / "waivers.yaml").write_text("waivers: x\n")
    write_snapshot(collected, "gamma", day("2026-03-08"), status="unreachable")
    before = tree(collected)
    result = cli("doctor", "--data", collected, "--repair")
    assert result.returncode == 1
    assert "error: input: waivers.yaml:1: expected a mapping with a 'waivers:' list" in result.stdout
    assert "warning: unreachable: cluster gamma: never reached" in result.stdout
    assert tree(collected) == before  # nothing to move aside: inputs are the user's to fix
