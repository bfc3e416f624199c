"""The notebooks are thin and committed clean: a parameters cell, library calls, no outputs."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
PARAMETERS = {"data_dir", "month", "as_of", "rubric", "clusters", "output_dir", "findings_digest"}


def test_the_report_notebooks_exist() -> None:
    assert {p.stem for p in NOTEBOOKS} == {"scorecard", "burndown", "risks", "trends"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin_and_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any(c.get("outputs") or c.get("execution_count") for c in code), "commit notebooks without outputs"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    assigned = {t.id for node in ast.parse(params[0].source).body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    assert assigned == PARAMETERS
    for cell in code:
        tree = ast.parse(cell.source)
        helpers = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)]
        assert not helpers, f"define helpers in the library, not in {path.name}"
        modules = {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert modules <= {"readiness", "IPython"}, f"{path.name} imports {modules - {'readiness', 'IPython'}}"
    labels = [line.split(":", 1)[1].strip() for c in code for line in c.source.splitlines()
              if line.startswith("#| label:")]
    assert len(labels) == len(set(labels)) >= 2
