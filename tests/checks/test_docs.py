"""docs/checks.md describes every registered check."""

from __future__ import annotations

from pathlib import Path

from readiness.assess.checks import REGISTRY

DOC = Path(__file__).parents[2] / "docs" / "checks.md"


def test_every_check_is_described() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [check_id for check_id in sorted(REGISTRY) if f"`{check_id}`" not in text]
    assert not missing, f"docs/checks.md does not describe: {', '.join(missing)}"
