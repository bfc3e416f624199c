"""The names a repository goes by, which decide whether a runbook_url points into it."""

from __future__ import annotations

import json
from pathlib import Path

from readiness.collect.reader import repo_names


def test_a_clone_in_any_directory_knows_its_project_name(tmp_path: Path) -> None:
    clone = tmp_path / "checkout-42"
    clone.mkdir()
    assert repo_names(clone) == {"checkout-42"}
    (clone / "pyproject.toml").write_text('[project]\nname = "Readiness"\n', encoding="utf-8")
    (clone / "package.json").write_text(json.dumps({"name": "@acme/site"}), encoding="utf-8")
    assert repo_names(clone) == {"checkout-42", "readiness", "site"}


def test_a_broken_project_file_is_no_name(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[project\nname = \xff")
    (tmp_path / "package.json").write_text("[1, 2]", encoding="utf-8")
    assert repo_names(tmp_path) == {tmp_path.name.lower()}
