"""End to end: a report rendered from the demo fleet says exactly what the JSON commands say."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from readiness.cli import main
from readiness.errors import ReportError
from readiness.figures import find_chromium
from readiness.report import build

MONTH = "2026-01"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("reports")
    return out, build(MONTH, data=demo_dir, out=out)


def _json(demo_dir: Path, *args: str) -> object:
    out = CliRunner().invoke(main, [*args, "--data", str(demo_dir), "--format", "json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _rows(md: str, first_cell: str) -> list[list[str]]:
    """Cells of the Markdown table rows whose first cell matches ``first_cell`` (a regex)."""
    rows = []
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(first_cell, cells[0]):
            rows.append(cells)
    return rows


def test_files_and_index(built: tuple[Path, object]) -> None:
    out, result = built
    target = out / MONTH
    assert result.renderer == ("quarto" if shutil.which("quarto") else "pandoc")  # type: ignore[attr-defined]
    assert result.static_figures == bool(find_chromium())  # type: ignore[attr-defined]
    md, html = target / "production-readiness.md", target / "production-readiness.html"
    assert md.stat().st_size > 5000 and html.stat().st_size > 100_000
    assert {p.name for p in (target / "notebooks").glob("*.ipynb")} == {
        "scorecard.ipynb", "burndown.ipynb", "risks.ipynb", "trends.ipynb"}
    text = md.read_text()
    if find_chromium():
        pngs = re.findall(r"\]\((figures/[\w-]+\.png)\)", text)
        assert len(pngs) >= 6 and all((target / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    else:
        assert "no Chromium found" in text and "figures/fig-burndown.html" in text
    page = html.read_text()
    assert not re.search(r"<script[^>]+src=\"https?://", page), "the HTML must be self-contained"
    assert page.count("Plotly.newPlot(") >= 6, "every figure is interactive in the HTML"
    index = (out / "index.md").read_text()
    assert f"[{MONTH}]({MONTH}/production-readiness.html)" in index
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "no staging directory left behind"


def test_scores_in_the_markdown_equal_readiness_score(built: tuple[Path, object], demo_dir: Path) -> None:
    out, result = built
    md = (out / MONTH / "production-readiness.md").read_text()
    as_of = str(result.as_of)  # type: ignore[attr-defined]
    score = _json(demo_dir, "score", "--as-of", as_of)
    assert as_of == "2026-01-30"
    assert f"## Current Status: {score['overall']:g}%" in md
    for cat in score["categories"]:
        row = _rows(md, re.escape(cat["name"]))[0]
        assert row[1] == f"{cat['score']:g}%", cat["name"]
        assert row[4] == f"{round(100 * cat['coverage'], 1):g}%", cat["name"]
    overall = _rows(md, r"\*\*OVERALL\*\*")[0]
    assert overall[1] == f"**{score['overall']:g}%**" and score["verdict"] in overall[3]
    for i, blocker in enumerate(score["blockers"], start=1):
        mark = "✅" if blocker["resolved"] else "❌"
        # pandoc's GFM writes '#' after a word as '\#' (GitHub shows '#')
        assert re.search(rf"### Blocker \\?#{i}: {re.escape(blocker['title'])} {mark}", md), blocker["id"]
    for cluster in score["clusters"]:
        row = _rows(md, cluster["name"])[0]
        assert row[-1] == f"{cluster['overall']:g}%"


def test_hours_in_the_markdown_equal_readiness_burndown(built: tuple[Path, object], demo_dir: Path) -> None:
    out, result = built
    md = (out / MONTH / "production-readiness.md").read_text()
    burndown = _json(demo_dir, "burndown", "--as-of", str(result.as_of))  # type: ignore[attr-defined]
    assert burndown["planned_hours"] == 204
    rows = {int(r[0]): r for r in _rows(md, r"\d+")}
    for week in burndown["weeks"]:
        row = rows[week["week"]]
        assert row[2] == f"{week['ideal_remaining']:.1f}"
        assert (row[4], row[5], row[6]) == (f"{week['spent']:.1f}", f"{week['earned']:.1f}", f"{week['remaining']:.1f}")
    if burndown["forecast"]:  # "the remaining hours reach 0 on **D**", or "every planned hour was earned by **D**"
        assert re.search(rf"(reach 0 on|was earned by) \*\*{burndown['forecast']['date']}\*\*", md)
    assert f"**{burndown['earned']:.1f} hours are earned**" in md


def test_risks_in_the_markdown_equal_readiness_risks(built: tuple[Path, object], demo_dir: Path) -> None:
    out, result = built
    md = (out / MONTH / "production-readiness.md").read_text()
    risks = _json(demo_dir, "risks", "--as-of", str(result.as_of))  # type: ignore[attr-defined]
    assert len(risks) == 9
    for risk in risks:
        row = _rows(md, re.escape(f"{risk['id']}: {risk['title']}"))[0]
        assert (row[1], row[2]) == (risk["impact"], risk["likelihood"])
        assert row[4].endswith(risk["status"])


def test_report_json_is_what_the_commands_print(built: tuple[Path, object], demo_dir: Path) -> None:
    out, result = built
    doc = json.loads((out / MONTH / "report.json").read_text())
    as_of = str(result.as_of)  # type: ignore[attr-defined]
    assert doc["score"] == _json(demo_dir, "score", "--as-of", as_of)
    assert doc["burndown"] == _json(demo_dir, "burndown", "--as-of", as_of)
    assert doc["risks"] == _json(demo_dir, "risks", "--as-of", as_of)


def test_a_failing_notebook_stops_the_report_and_keeps_the_last_one(
        built: tuple[Path, object], demo_dir: Path, tmp_path: Path) -> None:
    out, _ = built
    before = (out / MONTH / "production-readiness.md").read_bytes()
    bad = tmp_path / "rubric.yaml"
    bad.write_text("checks:\n  backup_offsite:\n    weight: heavy\n")
    with pytest.raises(ReportError) as err:
        build(MONTH, data=demo_dir, out=out, rubric=str(bad))
    message = str(err.value)
    assert re.search(r"notebook \w+\.ipynb failed in cell \d+ \(.+\): ConfigError: .*rubric.yaml:3", message)
    assert "\n" not in message
    assert (out / MONTH / "production-readiness.md").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.name != ".failed"]


def test_unknown_month_lists_the_months(demo_dir: Path, tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["report", "--month", "2024-01", "--data", str(demo_dir), "--out", str(tmp_path)])
    assert out.exit_code == 1
    assert "no snapshots in 2024-01" in out.output and "2025-11, 2025-12, 2026-01, 2026-02, 2026-03" in out.output
    bad = CliRunner().invoke(main, ["report", "--month", "2026-13"])
    assert bad.exit_code == 2 and "not a month" in bad.output
