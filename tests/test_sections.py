"""Report sections written from the assessment: the numbers they state are the assessment's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from readiness.assess.assessment import assess
from readiness.report import sections


def test_freshness_counts_ages_on_the_as_of_day_and_today(demo_dir: Path) -> None:
    a = assess(demo_dir, as_of=date(2025, 12, 30))  # the newest snapshot then: 2025-12-26
    text = sections.freshness(a, today=date(2026, 3, 16))
    assert text.count("| 4 d |") == 5  # five clusters, each 4 days old on 2025-12-30
    assert "Today (2026-03-16) the newest snapshot in the data is 10 days old" in text  # data ends 2026-03-06


def test_status_and_conclusion_agree_with_the_verdict(demo_dir: Path) -> None:
    a = assess(demo_dir, as_of=date(2025, 11, 7))
    assert f"## Current Status: {a.overall:.1f}%" in sections.status(a)
    assert "NOT READY FOR PRODUCTION" in sections.status(a) and "simulated data" in sections.status(a)
    assert "6 blockers open" in sections.conclusion(a)
