"""Recommendations: points add up to what the overall lacks, hours to what the burndown has left."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from readiness import plan
from readiness.assess.assessment import assess
from readiness.cli import main
from readiness.plan.recommend import recommend


@pytest.mark.parametrize("day", [date(2025, 11, 7), date(2026, 1, 2)])
def test_points_and_hours_add_up_to_the_gap_and_the_remaining_hours(demo_dir: Path, day: date) -> None:
    a = assess(demo_dir, as_of=day)
    r = recommend(a)
    assert sum(x.points for x in r.actions) == pytest.approx(100 - a.overall)
    remaining = plan.burndown_json(demo_dir, as_of=day)["remaining"]
    assert sum(x.hours or 0 for x in r.actions) == pytest.approx(remaining, abs=0.06)  # the burndown rounds to 0.1
    # at stake: what reaching each target would add to the overall (categories over target add nothing)
    cats = a.to_dict()["categories"]
    total = sum(c["weight"] for c in cats)
    for g, c in zip(r.categories, cats, strict=True):
        assert g["at_stake"] == pytest.approx(c["weight"] / total * max(0, c["target"] - c["score"]), abs=0.06)
    if day == date(2025, 11, 7):  # every category below its target: the gaps add up to target - overall
        assert sum(g["at_stake"] for g in r.categories) == pytest.approx(a.target_overall - a.overall, abs=0.3)


def test_actions_are_ranked_by_points_per_hour_and_unplanned_ones_come_last(demo_dir: Path) -> None:
    r = recommend(assess(demo_dir, as_of=date(2025, 11, 7)))
    ratios = [x.points_per_hour for x in r.ranked]
    assert ratios and ratios == sorted(ratios, reverse=True)  # type: ignore[type-var]
    assert r.unplanned and all(x.hours is None and not x.work_packages for x in r.unplanned)
    assert list(r.actions) == [*r.ranked, *r.unplanned]
    # Velero missing on every cluster is worth the most per hour on the assessment's day
    assert r.ranked[0].check_id == "backup_velero_installed" and r.ranked[0].blockers == ("B2",)


def test_an_action_clears_a_blocker_only_when_it_is_the_last_open_check(demo_dir: Path, tmp_path: Path) -> None:
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text("blockers:\n  B6:\n    criteria:\n      - {text: 15+ runbooks, checks: [docs_runbooks_count]}\n")
    r = recommend(assess(demo_dir, as_of=date(2025, 11, 7), rubric=rubric))
    by_id = {x.check_id: x for x in r.actions}
    assert by_id["docs_runbooks_count"].clears == ("B6",)
    assert by_id["backup_velero_installed"].clears == ()  # B2 has nine more open checks
    wp2 = next(p for p in r.packages if p["id"] == "WP2")
    assert wp2["clears"] == ["B2"] and wp2["hours"] == 16  # nothing of WP2 is proven on 2025-11-07


def test_recommend_command_prints_the_same_numbers(demo_dir: Path) -> None:
    out = CliRunner().invoke(main, ["recommend", "--data", str(demo_dir), "--as-of", "2025-11-07", "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    first = doc["actions"][0]
    assert (first["rank"], first["check_id"]) == (1, "backup_velero_installed")
    table = CliRunner().invoke(main, ["recommend", "--data", str(demo_dir), "--as-of", "2025-11-07"],
                               env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    assert f"+{first['points']:.2f}" in table.output and max(len(line) for line in table.output.splitlines()) <= 80


def test_without_a_plan_recommendations_say_so_and_order_by_points(tmp_path: Path) -> None:
    from readiness.report import sections, tables

    repo = tmp_path / "shop"
    (repo / "deploy").mkdir(parents=True)
    (repo / "deploy" / "app.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    data = tmp_path / "data"
    collected = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--view", "files", "--data", str(data)])
    assert collected.exit_code == 0, collected.output
    a = assess(data)
    r = recommend(a)
    assert not r.planned and r.actions and not r.ranked
    text = sections.recommendations(r)
    assert text.startswith("No improvement plan (`plan.yaml`) in the data directory")
    assert "per planned hour" not in text and "Not in the plan" not in text
    # what fails comes first, then what is unknown wherever it does not hold; each part ordered by points
    fix, decide = text.split("**To decide first**")
    assert "**To fix** (failing or partial on some cluster): " in fix
    for part, undecided in ((fix, False), (decide, True)):
        points = [float(p) for p in re.findall(r"` \+(\d+\.\d+) points", part)]
        assert len(points) == len([x for x in r.actions if x.undecided is undecided])
        assert points == sorted(points, reverse=True)
    # a repository without any running state: node readiness is unknown (to decide), never to fix
    assert "`infra_nodes_ready`" in decide and "`infra_nodes_ready`" not in fix
    assert next(x for x in r.actions if x.check_id == "infra_nodes_ready").undecided
    assert "no plan.yaml, so no planned hours." in sections.ready_and_missing(a, r)
    assert "no work package in the plan" not in sections.ready_and_missing(a, r)
    actions = {row["Action"] for row in tables.targets(a, recs=r)[:-1]}  # the last row is the OVERALL
    assert "no plan: see Recommendations" in actions and actions <= {"Maintain", "no plan: see Recommendations"}
    out = CliRunner().invoke(main, ["recommend", "--data", str(data)])
    assert out.exit_code == 0 and "No plan.yaml in the data directory" in out.output
    assert "Not in the plan" not in out.output
