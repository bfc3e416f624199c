"""A small, real report source: executed notebooks (built with nbformat) and a .qmd that embeds them.

    project/
      _quarto.yml                 project metadata (author)
      production-readiness.qmd    front matter, an include, three embeds, two cross-references
      _intro.qmd                  a partial (includes partials/_scope.qmd, path relative to the .qmd)
      partials/_scope.qmd
      notebooks/scorecard.ipynb   tbl-scorecard (Markdown table), txt-summary (Markdown)
      notebooks/trends.ipynb      fig-burndown, fig-categories (plotly figures)

Notebooks are built with the outputs plotly's ``plotly_mimetype`` renderer and
``IPython.display.Markdown`` really produce (same mime bundles as a papermill run).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from readiness.report._export import NO_CHROMIUM_ENV, export_figures, find_chromium

SCORECARD = """| cluster | score | blockers |
|---|---:|---:|
| prod-eu | 0.82 | 1 |
| prod-us | 0.67 | 3 |"""

BURNDOWN_Y = [41, 33, 27, 18]
CATEGORY_X = [0.9, 0.55, 0.71]

QMD = """---
title: Production readiness
subtitle: Demo fleet
date: March 2025
---

{{< include _intro.qmd >}}

## Scorecard

{{< embed notebooks/scorecard.ipynb#tbl-scorecard >}}

As @fig-burndown shows, open findings fall; @tbl-scorecard lists each cluster.

{{< embed notebooks/scorecard.ipynb#txt-summary >}}

## Trends

{{< embed notebooks/trends.ipynb#fig-burndown >}}

{{< embed notebooks/trends.ipynb#fig-categories >}}
"""


def code_cell(source: str, outputs: list[dict[str, Any]]) -> Any:
    cell = nbformat.v4.new_code_cell(source)
    cell.execution_count = 1
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def markdown_output(text: str) -> dict[str, Any]:
    """What ``display(Markdown(text))`` records."""
    data = {"text/markdown": text, "text/plain": "<IPython.core.display.Markdown object>"}
    return {"output_type": "display_data", "data": data, "metadata": {}}


def plotly_output(fig: go.Figure) -> dict[str, Any]:
    """What ``fig.show()`` records under plotly's ``plotly_mimetype`` renderer."""
    bundle = pio.renderers["plotly_mimetype"].to_mimebundle(fig.to_dict())
    return {"output_type": "display_data", "data": bundle, "metadata": {}}


def error_output(ename: str, evalue: str) -> dict[str, Any]:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


def write_notebook(path: Path, cells: list[Any]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def burndown() -> go.Figure:
    return go.Figure(go.Scatter(x=["W1", "W2", "W3", "W4"], y=BURNDOWN_Y, name="open findings"))


def categories() -> go.Figure:
    return go.Figure(go.Bar(x=CATEGORY_X, y=["backup", "observability", "security"], orientation="h"))


def build_project(root: Path) -> Path:
    """Write the example project under ``root``; return the .qmd."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "_quarto.yml").write_text("project:\n  type: default\nauthor: Platform team\n")
    (root / "_intro.qmd").write_text("This report covers the demo fleet.\n\n{{< include partials/_scope.qmd >}}\n")
    (root / "partials").mkdir(exist_ok=True)
    (root / "partials" / "_scope.qmd").write_text("Scope: every production cluster.\n")
    write_notebook(
        root / "notebooks" / "scorecard.ipynb",
        [
            code_cell("#| parameters\nmonth = '2025-03'", []),
            code_cell(
                "#| label: tbl-scorecard\n#| tbl-cap: Readiness by cluster\ndisplay(Markdown(scorecard))",
                [markdown_output(SCORECARD)],
            ),
            code_cell("#| label: txt-summary\ndisplay(Markdown(text))", [markdown_output("**2 of 2** clusters lag.")]),
        ],
    )
    write_notebook(
        root / "notebooks" / "trends.ipynb",
        [
            code_cell(
                "#| label: fig-burndown\n#| fig-cap: Open findings per week\nburndown().show()",
                [plotly_output(burndown())],
            ),
            code_cell("#| label: fig-categories\n#| fig-cap: Score by category\nf()", [plotly_output(categories())]),
        ],
    )
    qmd = root / "production-readiness.qmd"
    qmd.write_text(QMD)
    return qmd


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The example project with notebooks as papermill leaves them (no PNGs); returns the .qmd."""
    return build_project(tmp_path / "project")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium found on this machine; the static-figure tests need one (`make chromium`)."""
    found = find_chromium()
    assert found, "no Chromium found: install Debian's chromium (make chromium) to run the static-figure tests"
    return found


@pytest.fixture(scope="session")
def exported_template(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Path:
    """The example project after ``export_figures`` (built once: one browser start per test run)."""
    qmd = build_project(tmp_path_factory.mktemp("exported") / "project")
    result = export_figures(sorted((qmd.parent / "notebooks").glob("*.ipynb")), chromium=chromium)
    assert result.exported == 2
    return qmd


@pytest.fixture
def exported(exported_template: Path, tmp_path: Path) -> Path:
    """A private copy of the exported project; returns its .qmd."""
    root = shutil.copytree(exported_template.parent, tmp_path / "project")
    return Path(root) / exported_template.name


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(NO_CHROMIUM_ENV, "1")
    yield


@pytest.fixture
def no_quarto(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PATH without a quarto command (pandoc is found by absolute path; Chromium via BROWSER_PATH)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    if (found := find_chromium()) and "BROWSER_PATH" not in os.environ:
        monkeypatch.setenv("BROWSER_PATH", found)
    monkeypatch.setenv("PATH", str(empty))
