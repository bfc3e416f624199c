"""The report's words around the numbers: report.yaml, thresholds, empty figures, the terminal scorecard."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import plotly.graph_objects as go
import pytest
from click.testing import CliRunner

from readiness.assess.assessment import assess
from readiness.cli import main
from readiness.errors import ConfigError
from readiness.report import context as render_context
from readiness.report import figures as charts
from readiness.report import sections

CONTEXT = """\
assessed_by: SRE Team (Ada Example)
reference: {title: The hand-written assessment, date: 2025-11-07, overall: 62, target: 94}
phase2:
  - {title: Thanos, why: metrics federation}
  - OpenCost
related:
  - {title: Roadmap, url: ../roadmap.md}
"""


def test_report_yaml_is_read_from_the_data_directory_and_absent_means_left_out(tmp_path: Path) -> None:
    empty = render_context.load(tmp_path)
    assert sections.phase2(empty) == "" and sections.related(empty) == ""
    (tmp_path / "report.yaml").write_text(CONTEXT)
    ctx = render_context.load(tmp_path)
    assert ctx.reference is not None and ctx.reference.day == date(2025, 11, 7) and ctx.reference.target == 94
    assert sections.phase2(ctx) == "### Nice to Have (Phase 2)\n\n- Thanos (metrics federation)\n- OpenCost\n"
    assert "- [Roadmap](../roadmap.md)" in sections.related(ctx)
    assert "**Assessed by**: SRE Team (Ada Example)" in sections.related(ctx)


@pytest.mark.parametrize(("text", "line", "words"), [
    ("assessor: me\n", 1, "unknown key 'assessor'"),
    ("phase2:\n  - {title: Thanos}\n  - {why: no title}\n", 3, "phase2 item 2 has no 'title'"),
    ("reference:\n  overall: high\n", 2, "reference.overall must be a percentage"),
])
def test_a_bad_report_yaml_names_file_line_and_key(tmp_path: Path, text: str, line: int, words: str) -> None:
    (tmp_path / "report.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        render_context.load(tmp_path)
    assert f"report.yaml:{line}" in str(err.value) and words in str(err.value)


def test_the_threshold_story_names_bar_target_and_the_reference(demo_dir: Path, tmp_path: Path) -> None:
    a = assess(demo_dir, as_of=date(2025, 11, 7))
    plain = sections.thresholds(a)
    assert "above 90% with every blocker resolved" in plain and "target** of 93.5%" in plain
    assert "94" not in plain  # no reference given: its target is not invented
    (tmp_path / "report.yaml").write_text(CONTEXT)
    told = sections.thresholds(a, render_context.load(tmp_path))
    assert "The hand-written assessment of 2025-11-07 set 94%" in told and "rounded (+0.5 points)" in told
    assert "It scored the fleet 62% then." in told


def test_a_figure_with_nothing_to_draw_becomes_a_sentence(demo_dir: Path) -> None:
    assert charts.instead(charts.changes(None)) == (
        "*Points gained and lost since the last report: no earlier report to compare with.*")
    assert charts.instead(go.Figure(go.Bar(x=[1], y=["a"]))) is None
    from readiness.assess.assessment import history

    _, one_day = history(demo_dir, until=date(2025, 11, 7))
    assert charts.instead(charts.trend(one_day, assess(demo_dir, as_of=date(2025, 11, 7)).rubric)) == (
        "*Readiness over time (fleet): one snapshot so far (2025-11-07); a trend needs two.*")
    _, two_days = history(demo_dir, until=date(2025, 11, 14))
    assert charts.instead(charts.clusters_trend(two_days)) is None


def test_score_fits_an_80_column_terminal(demo_dir: Path) -> None:
    out = CliRunner().invoke(main, ["score", "--data", str(demo_dir), "--as-of", "2025-11-07"], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.startswith("OVERALL") and "61.1%" in line and "✗ NOT READY" in line for line in lines)
    assert "Backup & DR: 1/11 checks hold" in out.output  # the notes moved under the table, wrapped
