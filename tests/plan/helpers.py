"""Small hand-made plans, findings and rubrics for the plan, burndown and risk tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import yaml

from readiness.assess import rubric
from readiness.plan import Plan, WorkPackage
from readiness.store import schema

ROOT = Path(__file__).resolve().parents[2]
PLAN_YAML = ROOT / "data" / "plan.yaml"
RISKS_YAML = ROOT / "data" / "risks.yaml"
IDS = set(yaml.safe_load(rubric.DEFAULT.read_text())["checks"])
# The plan is the homelab's, so its rubric is the homelab-phase1 profile (known_checks: independent of
# which check families are registered).
RUBRIC = rubric.load("homelab-phase1", known_checks=IDS)
START = date(2025, 11, 10)


def friday(week: int) -> datetime:
    """The demo's snapshot time in plan week ``week`` (week 0: the Friday before the start)."""
    d = START + timedelta(weeks=week, days=-3)
    return datetime(d.year, d.month, d.day, 12, 30, tzinfo=UTC)


def finding(cluster: str, at: datetime, check_id: str, status: str = "pass", score: float | None = None,
            waived: bool = False) -> dict:
    spec = RUBRIC.checks[check_id]
    value = score if score is not None else (1.0 if status == "pass" else 0.0)
    return {"snapshot_id": f"s-{at:%Y%m%d}", "cluster": cluster, "collected_at": at, "check_id": check_id,
            "category": spec.category, "weight": spec.weight, "severity": spec.severity, "blocker": None,
            "work_package": spec.work_package, "status": "waived" if waived else status, "score": value,
            "waived": waived, "reason": "r", "evidence": [], "rubric_version": "test-1"}


def findings(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema.FINDINGS)


def small_plan(**changes: object) -> Plan:
    """Two work packages: WPA (10 h, weeks 1-2, two backup checks), WPB (30 h, weeks 3-4, one check)."""
    wps = {
        "WPA": WorkPackage("WPA", "backups", 1, 2, 10.0, ("backup_velero_installed", "backup_schedule_daily")),
        "WPB": WorkPackage("WPB", "alerting", 3, 4, 30.0, ("obs_alertmanager_running",)),
    }
    fields = {"name": "small", "start": START, "weeks": 4, "max_weeks": 8, "total_hours": 40.0, "work_packages": wps}
    fields.update(changes)
    return Plan(**fields)  # type: ignore[arg-type]


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path
