"""Repository collection holds every fact counted by hand in tests/fidelity/*.yaml (benchmarks/fidelity.py)
on the real repositories of ../shared/corpus."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# ../shared/corpus beside the checkout (CI); from a worktree in ../wt/NAME, the one beside the main checkout
CORPUS = next((p for p in (Path(os.environ.get("READINESS_CORPUS", "/nonexistent")), ROOT.parent / "shared" / "corpus",
                           ROOT.parent.parent / "shared" / "corpus") if p.is_dir()), ROOT.parent / "shared" / "corpus")
EXPECTED = sorted((ROOT / "tests" / "fidelity").glob("*.yaml"))


def _fidelity():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fidelity", ROOT / "benchmarks" / "fidelity.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: p.stem)
def test_collection_holds_every_fact_counted_by_hand(expected: Path, tmp_path: Path) -> None:
    import yaml

    repository = yaml.safe_load(expected.read_text(encoding="utf-8"))["repository"]
    if not (CORPUS / repository).is_dir():
        pytest.skip(f"the corpus repository {CORPUS / repository} is not checked out next to this repository")
    results = _fidelity().measure(expected, CORPUS, tmp_path)
    wrong = [f"{fact}: expected {want!r}, got {got!r}" for fact, want, got, ok in results if not ok]
    assert len(results) >= 10 and not wrong, "\n".join(wrong)
