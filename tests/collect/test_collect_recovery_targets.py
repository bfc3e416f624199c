"""Recovery targets (RTO, RPO) a document declares, in the shapes DR plans write them: a table with RTO/RPO
columns, "- RTO: 4 hours" items, "- RTO <4h, RPO <1h"; planned work and code blocks declare nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from readiness.assess.assessment import assess
from readiness.cli import main
from readiness.collect.facts import document
from readiness.collect.recovery import hours, recovery_targets
from tests.collect.test_collect_repo import build

PLAN = """# Shop reliability plan

## 4. Disaster Recovery

### 4.2 Backups

| Service | Method | Retention | RTO | RPO |
|---------|--------|-----------|-----|-----|
| Orders DB | pg_dump to S3 | 7 days | 30 min | 1 hour |
| Orders WAL | archive | 24 hours | 15m | 5 minutes |
| Session cache | none | - | N/A | N/A |

```yaml
RTO (Recovery Time Objective): <48 hours   # in a code block: an example, not read
```
"""

RUNBOOK = """# Restore runbook

## Targets

- **Search index**:
  - RTO: <4 hours
  - RPO: 24h

| Metric | Target |
|--------|--------|
| RTO | 2 hrs |
| RPO | 0.5 h |
"""

ROADMAP = """# Roadmap

## Week 2-3: Backup & DR

- Set RTO <4h, RPO <1h
- RTO: 4 hours

## Blocker: no backups

**Success Criteria**:
- Velero operational
- RTO <4h, RPO <1h

## Risks

- Unknown RTO/RPO
- Measure RTO/RPO after the drill
"""


@pytest.mark.parametrize(("text", "want"), [
    ("30 min", 0.5), ("1 hour", 1.0), ("4 hours", 4.0), ("24h", 24.0), ("15m", 0.25), ("<4h", 4.0),
    ("≤ 2 days", 48.0), ("90 seconds", 0.025), ("1h30m", 1.5), ("N/A", None), ("TBD", None), ("continuous", None),
])
def test_durations_as_written_are_hours(text: str, want: float | None) -> None:
    assert hours(text) == (pytest.approx(want) if want is not None else None)


def test_a_table_with_rto_and_rpo_columns_gives_one_target_per_row() -> None:
    got = recovery_targets(PLAN)
    assert got == [
        {"line": 9, "section": "4.2 Backups", "subject": "Orders DB", "rto_hours": 0.5, "rpo_hours": 1.0,
         "planned": False},
        {"line": 10, "section": "4.2 Backups", "subject": "Orders WAL", "rto_hours": 0.25,
         "rpo_hours": pytest.approx(5 / 60, abs=1e-6), "planned": False},
    ]  # the N/A row declares nothing, the code block is not read


def test_list_items_and_a_metrics_table_give_a_target_for_their_subject() -> None:
    got = recovery_targets(RUNBOOK)
    assert got == [
        {"line": 6, "section": "Targets", "subject": "Search index", "rto_hours": 4.0, "rpo_hours": 24.0,
         "planned": False},
        {"line": 11, "section": "Targets", "subject": None, "rto_hours": 2.0, "rpo_hours": 0.5, "planned": False},
    ]


def test_targets_under_planned_work_are_planned_and_mentions_are_no_targets() -> None:
    got = recovery_targets(ROADMAP)
    # "Set RTO <4h" sets a target (a task), "RTO: 4 hours" under a week's heading is planned, a success
    # criterion is planned; "Unknown RTO/RPO" and "Measure RTO/RPO" name no value
    assert [(t["line"], t["rto_hours"], t["rpo_hours"], t["planned"]) for t in got] == [
        (6, 4.0, None, True), (12, 4.0, 1.0, True)]
    # the same item led by "Current targets:" rather than a criterion is declared
    declared = recovery_targets(ROADMAP.replace("**Success Criteria**:", "Current targets:"))
    assert [(t["line"], t["planned"]) for t in declared] == [(6, True), (12, False)]


def test_the_document_fact_carries_its_targets() -> None:
    _, _, spec = document("docs/sre/shop-plan.md", PLAN)
    assert [t["subject"] for t in spec["recovery_targets"]] == ["Orders DB", "Orders WAL"]
    assert document("README.md", "# Shop\n\nNo targets here.\n")[2]["recovery_targets"] == []


def test_a_repository_whose_plan_declares_targets_passes_and_explain_names_the_rows(tmp_path: Path) -> None:
    repo = build(tmp_path / "shop", {"docs/sre/shop-plan.md": PLAN, "docs/roadmap.md": ROADMAP})
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--view", "files", "--data", str(data)])
    assert result.exit_code == 0, result.output
    finding = assess(data).findings.filter(check_id="backup_rto_rpo_declared").row(0, named=True)
    assert finding["status"] == "pass"
    assert finding["reason"] == ("declared in docs/sre/shop-plan.md §4.2 Backups (line 9): Orders DB RTO 0.5 h / "
                                 "RPO 1 h, Orders WAL RTO 0.25 h / RPO 0.083 h; every target within RTO 4 h / RPO 1 h")
    assert list(finding["evidence"]) == ["docs/sre/shop-plan.md"]
    explained = CliRunner().invoke(main, ["explain", "backup_rto_rpo_declared", "--data", str(data)])
    assert "Orders DB RTO 0.5 h / RPO 1 h" in explained.output


def test_without_a_declaring_document_the_check_stays_failed(tmp_path: Path) -> None:
    repo = build(tmp_path / "shop", {"docs/roadmap.md": ROADMAP})
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--view", "files", "--data", str(data)])
    assert result.exit_code == 0, result.output
    finding = assess(data).findings.filter(check_id="backup_rto_rpo_declared").row(0, named=True)
    assert finding["status"] == "fail"
    assert ('the documents only plan targets: docs/roadmap.md section "Week 2-3: Backup & DR" (line 6)'
            in finding["reason"])
