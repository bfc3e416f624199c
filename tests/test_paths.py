"""Which data directory a command (or a notebook opened by hand) uses by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.store import paths

PROJECT_DATA = paths.PACKAGE.parent / "data"


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(paths.DATA_ENV, raising=False)


def test_explicit_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert paths.data_dir(tmp_path) == tmp_path
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "x"))
    assert paths.data_dir() == tmp_path / "x"


def test_demo_unless_data_holds_snapshots_or_a_configured_cluster(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    assert paths.data_dir() == paths.DEMO_DATA
    (tmp_path / "data" / paths.COLLECT_FILE).write_text("contexts: [air]\n")
    assert paths.data_dir() == paths.DEFAULT_DATA


def test_a_notebook_opened_from_another_folder_finds_the_project_data(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no ./data here
    expected = PROJECT_DATA if paths.has_snapshots(PROJECT_DATA) else PROJECT_DATA / "demo"
    assert paths.data_dir() == expected
