"""Reading executed notebooks the way Quarto does: cell options, cell lookup, output kinds.

Shared by ``readiness.report._export`` (which adds PNGs to plotly outputs) and ``readiness.report._render``
(which embeds labelled outputs into the report).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

from readiness.errors import ConfigError, ReportError
from readiness.store import configfile, write_text_atomic

PLOTLY_MIME = "application/vnd.plotly.v1+json"
PNG_MIME = "image/png"

NotebookNode = Any  # nbformat.NotebookNode: a dict with attribute access, untyped upstream


def read_notebook(path: Path) -> NotebookNode:
    """Read an executed notebook; ``ReportError`` when it is missing or not a notebook."""
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise ReportError(f"{path}: notebook not found", hint="run the notebooks first, or fix the path") from None
    except Exception as exc:  # nbformat raises several unrelated types for broken JSON
        raise ReportError(f"{path}: not a readable notebook ({exc})", hint="re-run it with papermill") from None


def write_notebook(path: Path, nb: NotebookNode) -> None:
    """Write ``nb`` back to ``path`` atomically."""
    write_text_atomic(path, nbformat.writes(nb))


def cell_options(cell: NotebookNode) -> dict[str, Any]:
    """The Quarto cell options of a code cell: the YAML in its leading ``#|`` comment lines."""
    if cell.get("cell_type") != "code":
        return {}
    lines = []
    for line in str(cell.get("source", "")).splitlines():
        if not line.startswith("#|"):
            break
        lines.append(line[2:].removeprefix(" "))
    if not lines:
        return {}
    try:
        options = configfile.parse("\n".join(lines), "cell options")[0]
    except ConfigError as err:
        raise ReportError(f"cell options {' '.join(lines)!r}: {err.problem}") from None
    return options if isinstance(options, dict) else {}


def cell_name(cell: NotebookNode, index: int) -> str:
    """How to name a cell in an error: its label when it has one, else its position."""
    label = cell_options(cell).get("label")
    return f"cell '{label}'" if label else f"cell {index + 1}"


def find_cells(nb: NotebookNode, ident: str, path: Path) -> list[tuple[int, NotebookNode]]:
    """The cells an embed ``#ident`` means, searched like Quarto: cell id, then label, then tags."""
    cells = list(enumerate(nb.cells))
    for matches in (
        [(i, c) for i, c in cells if c.get("id") == ident],
        [(i, c) for i, c in cells if cell_options(c).get("label") == ident],
        [(i, c) for i, c in cells if ident in c.get("metadata", {}).get("tags", [])],
    ):
        if matches:
            return matches
    known = sorted(str(label) for c in nb.cells if (label := cell_options(c).get("label")))
    raise ReportError(
        f"{path}: no cell labelled '{ident}'",
        hint=f"labels in this notebook: {', '.join(known) or 'none'}; add '#| label: {ident}' or fix the embed",
    )


def check_errors(nb: NotebookNode, path: Path) -> None:
    """Raise ``ReportError`` naming the notebook, cell and exception of the first error output."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise ReportError(
                    f"{path}: {cell_name(cell, index)} failed with {output.get('ename')}: {output.get('evalue')}",
                    hint="fix the notebook or its data and run the report again",
                )


def plotly_outputs(nb: NotebookNode) -> Iterator[tuple[int, NotebookNode, NotebookNode]]:
    """Each (cell index, cell, output) whose output holds a plotly figure."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if PLOTLY_MIME in output.get("data", {}):
                yield index, cell, output


def is_plotly_loader(html: str) -> bool:
    """Whether an HTML output is plotly's one-off "load plotly.js" output rather than a figure."""
    return "window.PlotlyConfig" in html and "plotly-graph-div" not in html
