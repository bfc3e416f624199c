"""Time PNG export of N plotly figures: one kaleido session for all vs one session per figure.

    .venv/bin/python benchmarks/figures.py [N]

Needs a Chromium (see readiness.report._export.find_chromium). Prints seconds and the ratio.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
import plotly.graph_objects as go
import plotly.io as pio

from readiness.report._export import export_figures, find_chromium


def notebook(path: Path, n: int) -> Path:
    nb = nbformat.v4.new_notebook()
    for i in range(n):
        fig = go.Figure(go.Bar(x=["a", "b", "c"], y=[i, i + 1, i + 2]))
        cell = nbformat.v4.new_code_cell(f"#| label: fig-{i}\nfig.show()")
        bundle = pio.renderers["plotly_mimetype"].to_mimebundle(fig.to_dict())
        cell.outputs = [nbformat.v4.new_output("display_data", data=bundle)]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def main(n: int) -> None:
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium found: install Debian's chromium")
    with tempfile.TemporaryDirectory() as tmp:
        together = notebook(Path(tmp) / "all.ipynb", n)
        for tabs in (1, 2, 4):
            result = export_figures([together], chromium=chromium, tabs=tabs)
            starts = result.browser_launches
            print(f"one session, {tabs} tab(s): {n} figures in {result.seconds:.2f} s ({starts} browser start)")
        shared = export_figures([together], chromium=chromium).seconds
        alone = [notebook(Path(tmp) / f"one-{i}.ipynb", 1) for i in range(n)]
        per_figure = sum(export_figures([nb], chromium=chromium).seconds for nb in alone)
        print(f"one session per figure: {n} figures in {per_figure:.2f} s ({n} starts)")
        print(f"ratio per-figure / one session: {per_figure / shared:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
