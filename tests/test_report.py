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
from readiness.report import build
from readiness.report._export import find_chromium, no_chromium_note

NUMBER = re.compile(r"(?<![\w.\-/:#])[-+]?\d+(?:\.\d+)?(?![\w\-/:])")
DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")

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
        assert no_chromium_note().split(";")[0] in text and "figures/fig-burndown.html" in text
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
        status = "✓ resolved" if blocker["resolved"] else "✗ open"
        # pandoc's GFM writes '#' after a word as '\#' (GitHub shows '#')
        assert re.search(rf"### Blocker \\?#{i}: {re.escape(blocker['title'])} \({status}\)", md), blocker["id"]
    for cluster in score["clusters"]:
        row = _rows(md, cluster["name"])[0]
        assert row[-1] == f"{cluster['overall']:g}%"


def test_hours_in_the_markdown_equal_readiness_burndown(built: tuple[Path, object], demo_dir: Path) -> None:
    out, result = built
    md = (out / MONTH / "production-readiness.md").read_text()
    burndown = _json(demo_dir, "burndown", "--as-of", str(result.as_of))  # type: ignore[attr-defined]
    assert burndown["planned_hours"] == 204
    weekly = md.split("### Week by Week", 1)[1].split("\n## ", 1)[0]
    rows = {int(r[0]): r for r in _rows(weekly, r"\d+")}
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
    assert doc["recommend"] == _json(demo_dir, "recommend", "--as-of", as_of)


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


def _leaves(doc: object) -> tuple[set[float], set[str]]:
    """Every number (and list length) and every ISO day in a JSON document."""
    numbers: set[float] = set()
    days: set[str] = set()
    stack = [doc]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack += list(x.values())
        elif isinstance(x, list):
            numbers.add(float(len(x)))
            stack += x
        elif isinstance(x, bool):
            continue
        elif isinstance(x, int | float):
            numbers.add(round(float(x), 2))
        elif isinstance(x, str):
            days |= set(DAY.findall(x))
            numbers |= {round(float(n), 2) for n in NUMBER.findall(DAY.sub("", x))}
    return numbers, days


def _section(md: str, heading: str) -> str:
    return md.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _narrative(md: str) -> list[str]:
    """The summary, assessment, gap-analysis, recommendation and conclusion lines (text columns of
    the recommendation tables left out: titles and remediation commands are not numbers we state)."""
    lines = [line for line in _section(md, "Executive Summary").splitlines() if line.strip()]
    lines += [line for line in md.splitlines() if line.startswith(("**Assessment**", "**Gap analysis**"))]
    words = ("Work package", "Action")  # free text from the plan and the rubric
    heads: list[str] = []
    for line in _section(md, "Recommendations").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|"):
            heads = []
            if line.strip():
                lines.append(line)
        elif not heads:
            heads = cells
        elif not line.startswith("|---"):
            lines.append(" | ".join(c for h, c in zip(heads, cells, strict=True) if h not in words or c[:2] == "WP"))
    lines += [line for line in _section(md, "Conclusion").splitlines() if line.strip() and "Next Review" not in line]
    return lines


def test_every_number_in_the_narrative_is_one_the_json_commands_print(built: tuple[Path, object],
                                                                     demo_dir: Path) -> None:
    out, result = built
    md = (out / MONTH / "production-readiness.md").read_text()
    as_of = str(result.as_of)  # type: ignore[attr-defined]
    docs = [_json(demo_dir, cmd, "--as-of", as_of) for cmd in ("score", "burndown", "risks", "recommend")]
    docs.append(_json(demo_dir, "plan"))
    previous = re.search(r"Since the last report \((\d{4}-\d{2}-\d{2})\)", md)
    assert previous, "the summary compares with the last report"
    before = _json(demo_dir, "score", "--as-of", previous[1])
    numbers, days = _leaves([*docs, before])
    score, recommend = docs[0], docs[3]
    numbers |= {round(100 * score["coverage"], 1), round(100 - score["overall"], 1),  # type: ignore[index]
                round(score["overall"] - before["overall"], 1),  # type: ignore[index]
                float(sum(not b["resolved"] for b in score["blockers"]))}  # type: ignore[index]
    days |= {as_of, previous[1]}
    lines = _narrative(md)
    assert len(lines) > 20
    for line in lines:
        text = re.sub(r"`[^`]*`", "", line)  # check ids
        for day in DAY.findall(text):
            assert day in days, (day, line)
        for n in NUMBER.findall(DAY.sub("", text)):
            assert round(abs(float(n)), 2) in numbers, (n, line)
    # and the ones the reader acts on, by name
    gaps = sorted((g for g in recommend["categories"] if g["at_stake"] > 0), key=lambda g: -g["at_stake"])[:3]
    summary = _section(md, "Executive Summary")
    for g in gaps:
        assert f"**{g['name']}** ({g['score']:g}% against {g['target']:g}%: {g['at_stake']:g} points" in summary
    first = recommend["actions"][0]
    row = _rows(_section(md, "Recommendations"), "1")[0]
    assert (row[1], row[2], row[3], row[4]) == (f"`{first['check_id']}`", f"+{first['points']:.2f}",
                                                f"{first['hours']:.1f}", f"{first['points_per_hour']:.2f}")
    crossing = docs[1]["readiness_crossing"]["date"]  # type: ignore[index]
    assert crossing and f"above 90% since **{crossing}**" in _section(md, "Conclusion")


def test_the_pdf_reads_back_with_the_scores(built: tuple[Path, object], demo_dir: Path) -> None:
    out, result = built
    pdf = out / MONTH / "production-readiness.pdf"
    if not find_chromium():
        assert not pdf.exists() and any("no PDF" in n for n in result.notes)  # type: ignore[attr-defined]
        return
    from pypdf import PdfReader

    pages = [p.extract_text() for p in PdfReader(pdf).pages]
    text = "\n".join(pages)
    score = _json(demo_dir, "score", "--as-of", str(result.as_of))  # type: ignore[attr-defined]
    assert f"Current Status: {score['overall']:g}%" in pages[0]  # type: ignore[index]
    for cat in score["categories"]:  # type: ignore[index]
        shown = f"{cat['score']:g}%"
        assert re.search(rf"{re.escape(cat['name'])}\s+{re.escape(shown)}", text), cat["name"]
    starts = [i for i, p in enumerate(pages) if p.lstrip().startswith(("Production Blockers", "Recommendations",
                                                                       "Conclusion"))]
    assert len(starts) == 3, "each section starts a page"


@pytest.fixture(scope="module")
def november(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The moment of the hand-written assessment, with the user's report.yaml beside the data."""
    data = tmp_path_factory.mktemp("data") / "data"
    shutil.copytree(demo_dir, data)
    (data / "report.yaml").write_text(
        "assessed_by: SRE Team (Ada Example)\n"
        "reference: {title: The hand-written assessment, date: 2025-11-07, overall: 62, target: 94}\n"
        "phase2: [{title: Rancher, why: multi-cluster management}, {title: Thanos, why: metrics federation}]\n")
    out = tmp_path_factory.mktemp("reports")
    result = CliRunner().invoke(main, ["report", "--as-of", "2025-11-07", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "2025-11", result


def test_as_of_renders_the_hand_written_assessments_moment(november: tuple[Path, object]) -> None:
    target, _ = november
    md = (target / "production-readiness.md").read_text()
    assert "as of 2025-11-07" in md and "**NOT READY FOR PRODUCTION**" in md
    assert "6 of 6 production blockers are open." in md
    hand_written = {"Infrastructure": 98, "Observability": 50, "Deployment": 20, "Security": 75,
                    "Backup & DR": 10, "Documentation": 60}
    for name, then in hand_written.items():
        assert abs(float(_rows(md, re.escape(name))[0][1].rstrip("%")) - then) <= 3, name
    overall = float(_rows(md, r"\*\*OVERALL\*\*")[0][1].strip("*%"))
    assert abs(overall - 62) <= 3
    assert "**Risk**: Data loss, compliance violations, unrecoverable failures" in md
    assert "- Rancher (multi-cluster management)" in md and "**Assessed by**: SRE Team (Ada Example)" in md
    assert "The hand-written assessment of 2025-11-07 set 94%" in md
    assert "Related Documentation" not in md  # report.yaml names none: left out, not invented
    assert "Figure" not in _section(md, "Trends").split("###")[0]  # one snapshot: a sentence, no empty chart


def test_quarto_missing_fails_before_any_notebook_runs(demo_dir: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("quarto"):
        pytest.skip("quarto is installed here")
    said: list[str] = []
    with pytest.raises(ReportError, match="no quarto command on PATH"):
        build(MONTH, data=demo_dir, out=tmp_path, renderer="quarto", say=said.append)
    assert said == [] and not list(tmp_path.iterdir())


def test_as_of_before_the_first_snapshot_or_outside_the_month_is_refused(demo_dir: Path, tmp_path: Path) -> None:
    early = CliRunner().invoke(main, ["report", "--as-of", "2025-10-01", "--data", str(demo_dir),
                                      "--out", str(tmp_path)])
    assert early.exit_code == 1 and "no snapshot on or before 2025-10-01" in early.output
    assert "the first snapshot is of 2025-11-07" in early.output
    both = CliRunner().invoke(main, ["report", "--as-of", "2025-11-07", "--month", "2025-12", "--data", str(demo_dir),
                                     "--out", str(tmp_path)])
    assert both.exit_code == 1 and "--as-of 2025-11-07 is not in --month 2025-12" in both.output
    assert not list(tmp_path.iterdir())
