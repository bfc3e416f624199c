"""The public API: what ``readiness`` and its subpackages export, and who may import a private module.

A module whose name starts with ``_`` is private to its subpackage: nothing outside that subpackage
(and no notebook) imports it. ``import readiness`` and the subpackages stay cheap: no plotting,
notebook or export library is loaded until a function needs it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import readiness

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "readiness"

EXPORTED = {
    "readiness": [
        "Assessment", "ReadinessError", "__version__", "assess", "burndown", "findings", "history", "load_rubric",
        "objects", "risk_register", "scores", "snapshots",
    ],
    "readiness.assess": [
        "assessment", "attestations", "checks", "drift", "evaluate", "rubric", "score", "testing", "trends",
    ],
    "readiness.assess.checks": [
        "REGISTRY", "CheckThresholds", "ClusterSnapshot", "KubeObject", "Regex", "Result", "check", "failed",
        "fraction", "get", "mapping", "not_applicable", "passed", "share", "unknown", "whole",
    ],
    "readiness.store": [
        "FILE_MODE", "LOCK_SUFFIX", "TABLES", "TMP_SUFFIX", "atomic_path", "check_files", "cluster_lock", "collect",
        "commit", "end_of", "lock_path", "objects", "partition_path", "read", "refuse_mixing", "remove_leftovers",
        "remove_stale_temporaries", "scan", "set_mode", "snapshots", "snapshots_as_of", "temporaries", "unreadable",
        "write_snapshot", "write_text_atomic",
    ],
    "readiness.plan": [
        "BURNDOWN", "HOURS_IN", "NEVER_STALE", "NO_EVIDENCE", "PLAN_FILE", "TOP_KEYS", "WEEKS_IN", "WP_KEYS",
        "Burndown", "CheckState", "Forecast", "NoPlanError", "Plan", "WorkPackage", "burndown", "burndown_json",
        "check_states", "compute", "consistency_warnings", "find_plan", "findings_as_of", "forecast", "ideal_remaining",
        "load_plan", "missing_note", "progress", "readiness_crossing", "source", "work_packages",
    ],
    "readiness.report": [
        "NOTEBOOKS", "NOTEBOOKS_DIRS", "PR_SET_PDEATHSIG", "STAGING", "STEM", "TEMPLATE", "Progress", "ReportResult",
        "build", "notebook_dir", "refuse_without_evidence", "remove_leftovers", "run_notebooks", "write_index",
    ],
}
# The public modules of each subpackage (imported only when asked for).
MODULES = {
    "readiness.store": ["configfile", "findings", "paths", "repofacts", "schema"],
    "readiness.assess": [
        "assessment", "attestations", "checks", "drift", "evaluate", "rubric", "score", "testing", "trends",
    ],
    "readiness.plan": ["recommend", "risks", "worklog"],
    "readiness.report": ["claims", "context", "figures", "metrics", "sections", "site", "tables"],
}
SUBPACKAGES = ("assess", "plan", "report", "store")  # collect/ loads the Kubernetes client (as it did before)
HEAVY = ("plotly", "papermill", "nbformat", "nbclient", "kaleido", "jupytext", "kubernetes", "dask", "distributed")


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_exported_names(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(module.__all__) == sorted(EXPORTED[name]) and len(set(module.__all__)) == len(module.__all__)
    for attr in module.__all__:  # a name, or a public module imported on demand (readiness.assess)
        assert getattr(module, attr, None) is not None or importlib.import_module(f"{name}.{attr}")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_public_modules(name: str) -> None:
    package = importlib.import_module(name)
    assert list(package.MODULES) == MODULES[name]
    for leaf in MODULES[name]:
        module = importlib.import_module(f"{name}.{leaf}")
        assert module.__doc__, f"{name}.{leaf} has no docstring"
    on_disk = {p.stem for p in (PACKAGE / name.split(".")[1]).glob("*.py")} | {
        p.name for p in (PACKAGE / name.split(".")[1]).iterdir() if (p / "__init__.py").is_file()}
    public = {m for m in on_disk if not m.startswith("_")}
    assert public == set(MODULES[name]), "a module is neither listed as public nor named _private"


def test_assess_is_the_package_and_the_function() -> None:
    from readiness.assess import assessment, evaluate

    assert readiness.assess is sys.modules["readiness.assess"]
    assert readiness.assess.evaluate is evaluate
    assert inspect.signature(readiness.assess) == inspect.signature(assessment.assess)


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _readiness_imports(tree: ast.AST) -> list[tuple[str, int]]:
    """The readiness modules imported (``from m import name``: ``m.name`` when that is a module)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(f"{node.module}.{a.name}" if _is_module(f"{node.module}.{a.name}") else node.module,
                       node.lineno) for a in node.names]
    return [(n, line) for n, line in found if n.startswith("readiness.")]


def _sources() -> list[tuple[str, str, str | None]]:
    """(label, source, the subpackage it belongs to) of every library module and notebook."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        out.append((str(path.relative_to(ROOT)), path.read_text(), parts[0] if len(parts) > 1 else None))
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        out.append((str(nb.relative_to(ROOT)), code, None))
    return out


def test_no_private_module_is_imported_from_outside_its_subpackage() -> None:
    wrong = []
    for label, source, owner in _sources():
        for name, line in _readiness_imports(ast.parse(source)):
            parts = name.split(".")
            for i, part in enumerate(parts[2:], start=2):
                if part.startswith("_") and not part.startswith("__") and parts[1] != owner:
                    wrong.append(f"{label}:{line} imports {'.'.join(parts[:i + 1])}")
                    break
    assert wrong == []


def test_the_guard_sees_a_private_import() -> None:
    tree = ast.parse("from readiness.report._export import find_chromium\nimport readiness.plan._load\n")
    assert [n for n, _ in _readiness_imports(tree)] == ["readiness.report._export", "readiness.plan._load"]
    tree = ast.parse("from readiness.report import _export\nfrom readiness.collect.targets import _NAME\n")
    assert [n for n, _ in _readiness_imports(tree)] == ["readiness.report._export", "readiness.collect.targets"]


def test_importing_readiness_and_its_subpackages_stays_cheap() -> None:
    code = ("import sys, readiness, " + ", ".join(f"readiness.{p}" for p in SUBPACKAGES)
            + f"; print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
