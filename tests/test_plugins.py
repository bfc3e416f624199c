"""Checks users can add: the example plugin installed with pip runs in the real CLI, and a broken
plugin is one clear line.

``examples/readiness-plugin-example`` is installed offline (``pip install --no-deps
--no-build-isolation --target SITE``) into a temporary directory put on ``PYTHONPATH`` of each
``python -m readiness`` subprocess, so the package is found through its entry point (group
``readiness.checks``) as any installed plugin is; the venv itself is left untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.assess.checks import REGISTRY, plugins
from readiness.errors import PluginError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "readiness-plugin-example"
SNIPPET = EXAMPLE / "src" / "readiness_plugin_example" / "rubric.yaml"
IDS = ("example_images_pinned", "example_min_replicas")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory the example plugin is pip-installed into (from a copy: the build leaves files behind)."""
    tmp = tmp_path_factory.mktemp("plugin")
    source = tmp / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return target


def _env(*path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join([*map(str, path), str(ROOT)])
    return env


def readiness(*args: str, path: tuple[Path, ...] = (), cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m readiness ARGS`` with ``path`` (then this checkout) on PYTHONPATH."""
    return subprocess.run([sys.executable, "-m", "readiness", *args], capture_output=True, text=True,
                          env=_env(*path), cwd=cwd, timeout=900)


def test_the_installed_plugin_declares_its_entry_point(site: Path) -> None:
    text = next(site.glob("readiness_plugin_example-*.dist-info")).joinpath("entry_points.txt").read_text()
    assert "[readiness.checks]" in text and "example = readiness_plugin_example.checks" in text


def test_checks_lists_the_plugin_checks_when_the_rubric_scores_them(site: Path) -> None:
    listed = readiness("checks", "--rubric", str(SNIPPET), path=(site,))
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1:4] for line in listed.stdout.splitlines() if line.startswith("example_")}
    assert rows == {"example_images_pinned": ["deployment", "0.5", "medium"],
                    "example_min_replicas": ["infrastructure", "0.5", "low"]}
    plain = readiness("checks", path=(site,))  # installed, but the default rubric does not score them
    assert plain.returncode == 0 and "example_" not in plain.stdout


def test_score_counts_the_plugin_checks(site: Path, demo_dir: Path) -> None:
    mine = readiness("score", "--data", str(demo_dir), "--rubric", str(SNIPPET), path=(site,))
    plain = readiness("score", "--data", str(demo_dir), path=(site,))
    assert mine.returncode == 0, mine.stderr
    # On the demo every Deployment runs one replica: the infrastructure line names the plugin's check.
    assert "Infrastructure: 12/13 checks hold; missing: Application Deployments run at least" in mine.stdout
    assert "Deployment: 16/16 checks hold" in mine.stdout  # the demo's images are pinned
    assert "Infrastructure: 12/12 checks hold" in plain.stdout and "Deployment: 15/15" in plain.stdout


def test_explain_shows_the_rubric_thresholds_and_each_cluster(site: Path, demo_dir: Path) -> None:
    out = readiness("explain", "example_images_pinned", "--data", str(demo_dir), "--rubric", str(SNIPPET),
                    path=(site,))
    assert out.returncode == 0, out.stderr
    assert '"floating_tags": ["latest", "main", "stable"]' in out.stdout  # the snippet's, over the default
    assert '"skip_namespaces": ["kube-system"]' in out.stdout  # the dataclass's default
    clusters = [line for line in out.stdout.splitlines() if line.startswith("  - ")]
    assert len(clusters) == 5 and all("workloads run pinned images" in line for line in clusters)


def test_the_plugins_own_tests_pass_with_the_fixture_runner(site: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           "--rootdir", str(EXAMPLE), str(EXAMPLE / "tests")],
                          capture_output=True, text=True, env=_env(site), cwd=EXAMPLE, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "11 passed" in done.stdout


@pytest.mark.slow
def test_the_report_shows_the_plugin_checks(site: Path, demo_dir: Path, tmp_path: Path) -> None:
    """The whole report (no PDF): report.json, the Markdown, and the scorecard notebook's kernel."""
    out = readiness("report", "--data", str(demo_dir), "--rubric", str(SNIPPET), "--out", str(tmp_path),
                    "--no-pdf", path=(site,))
    assert out.returncode == 0, out.stderr[-2000:]
    month = next(p for p in tmp_path.iterdir() if p.is_dir())
    numbers = json.loads((month / "report.json").read_text())
    actions = {a["check_id"]: a for a in numbers["recommend"]["actions"]}
    assert actions["example_min_replicas"]["failing_clusters"] == ["air", "forge", "pi", "pro", "studio"]
    assert "example_images_pinned" not in actions  # it holds on every cluster
    infra = next(c for c in numbers["score"]["categories"] if c["id"] == "infrastructure")
    assert infra["score"] < 97.8  # the default rubric's figure (test_calibration): the failing check counts
    text = (month / "production-readiness.md").read_text()
    assert "(`example_min_replicas`)" in text and "(`example_images_pinned`)" in text
    # Computed in a notebook kernel, which loaded the plugin itself.
    assert "example_min_replicas" in (month / "notebooks" / "scorecard.ipynb").read_text()


def _module(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / f"{name}.py").write_text(text)
    return tmp_path


def test_a_module_of_ones_own_is_a_plugin(tmp_path: Path, demo_dir: Path) -> None:
    _module(tmp_path, "my_checks", (
        "from readiness.assess.checks import check, passed\n\n"
        "@check('mine_always')\n"
        "def always(ev, cfg):\n    '''Always holds.'''\n    return passed('holds')\n"))
    rubric = tmp_path / "mine.yaml"
    rubric.write_text("plugins: [my_checks]\nchecks:\n  mine_always:\n    title: Mine\n    category: security\n"
                      "    weight: 1\n    severity: low\n")
    out = readiness("explain", "mine_always", "--data", str(demo_dir), "--rubric", str(rubric), path=(tmp_path,))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(": pass, score 1.00: holds") == 5


def test_a_plugin_that_fails_to_import_is_one_line_naming_it(tmp_path: Path) -> None:
    _module(tmp_path, "broken_checks", "import not_installed_anywhere\n")
    rubric = tmp_path / "mine.yaml"
    rubric.write_text("version: x\nplugins:\n  - broken_checks\n")
    out = readiness("checks", "--rubric", str(rubric), path=(tmp_path,))
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"error: {rubric}:2: check plugin 'broken_checks': module 'broken_checks' failed "
                               "to import (ModuleNotFoundError: No module named 'not_installed_anywhere')")
    assert "drop it from the rubric's plugins:" in lines[0]


def test_a_plugin_registering_a_taken_id_is_one_line_naming_both(tmp_path: Path) -> None:
    _module(tmp_path, "dup_checks", (
        "from readiness.assess.checks import check, passed\n\n"
        "@check('backup_velero_installed')\n"
        "def mine(ev, cfg):\n    return passed('x')\n"))
    rubric = tmp_path / "mine.yaml"
    rubric.write_text("plugins: [dup_checks]\n")
    out = readiness("checks", "--rubric", str(rubric), path=(tmp_path,))
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f"error: {rubric}:1: check plugin 'dup_checks': registers check id 'backup_velero_installed', which "
        "readiness.assess.checks.backup already registers (rename the check in dup_checks, or uninstall one of the "
        "two)")


def test_a_broken_installed_entry_point_names_the_plugin_and_what_to_do(tmp_path: Path) -> None:
    info = tmp_path / "ghost-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ghost\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[readiness.checks]\nghost = ghost_checks_gone\n")
    out = readiness("checks", path=(tmp_path,))
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "error: check plugin 'ghost': entry point 'ghost_checks_gone' failed to import (ModuleNotFoundError: No "
        "module named 'ghost_checks_gone') (fix or reinstall the package that provides 'ghost_checks_gone', or "
        "pip uninstall it)")


def test_a_failed_plugin_leaves_none_of_its_checks_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _module(tmp_path, "half_checks", (
        "from readiness.assess.checks import check, passed\n\n"
        "@check('half_first')\ndef first(ev, cfg):\n    return passed('x')\n\n"
        "@check('infra_nodes_ready')\ndef second(ev, cfg):\n    return passed('x')\n"))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match="registers check id 'infra_nodes_ready'"):
        plugins.load(["half_checks"])
    assert "half_first" not in REGISTRY
    assert REGISTRY["infra_nodes_ready"].__module__ == "readiness.assess.checks.infrastructure"
    assert "half_checks" not in sys.modules and "half_checks" not in plugins.LOADED
