"""Start-up stays light: the command line and ``import readiness`` load no heavy library until a command needs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("polars", "pyarrow", "pandas", "numpy", "plotly", "papermill", "kubernetes", "nbformat", "jinja2",
         "kaleido", "yaml")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}


def _imported(code: str) -> set[str]:
    """Top-level packages a fresh interpreter has imported after running ``code``."""
    script = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", script], env=_env(), cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return set(out.stdout.split())


def _imported_by_command(*args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Top-level packages ``python -m readiness ARGS`` imports (read from ``-X importtime``), and the run."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "readiness", *args], env=_env(), cwd=ROOT,
                         capture_output=True, text=True, check=False)
    names = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in run.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    return names, run


def test_import_readiness_cli_loads_no_heavy_library() -> None:
    loaded = _imported("import readiness.cli")
    assert "click" in loaded and "readiness" in loaded  # the probe sees imports at all
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_import_readiness_is_light_and_its_public_names_still_resolve() -> None:
    assert _imported("import readiness").isdisjoint(HEAVY)
    loaded = _imported("import readiness\nassert callable(readiness.assess) and callable(readiness.scores)")
    assert "polars" in loaded  # using a public name imports what it needs


@pytest.mark.parametrize("args", [("--help",), ("score", "--no-such-option"), ("collect", "--help")])
def test_help_and_argument_errors_load_no_heavy_library(args: tuple[str, ...]) -> None:
    loaded, run = _imported_by_command(*args)
    assert "click" in loaded and "readiness" in loaded, run.stderr[-500:]
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    if args == ("--help",):
        assert run.returncode == 0 and "collect" in run.stdout and "report" in run.stdout
    elif "--no-such-option" in args:
        assert run.returncode == 2 and "No such option" in run.stderr


def test_public_names_resolve_lazily_to_their_modules() -> None:
    import readiness

    for name in readiness.__all__:
        assert getattr(readiness, name) is not None
    from readiness.assess import assessment

    assert callable(readiness.assess) and readiness.assess is sys.modules["readiness.assess"]  # the package, callable
    assert readiness.Assessment is assessment.Assessment and readiness.history is assessment.history
    assert readiness.api.scores is readiness.scores  # submodules as attributes, as when they were imported eagerly
    with pytest.raises(AttributeError, match="no_such_name"):
        readiness.no_such_name  # noqa: B018


def test_scoring_in_process_never_imports_dask(demo_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"  # a copy: scoring stores findings
    shutil.copytree(demo_dir, data)
    loaded, run = _imported_by_command("score", "--data", str(data), "--format", "json")
    assert run.returncode == 0 and '"overall"' in run.stdout, run.stderr[-500:]
    assert "polars" in loaded  # the probe sees the imports scoring needs
    assert loaded.isdisjoint({"dask", "distributed"}), sorted(loaded & {"dask", "distributed"})
