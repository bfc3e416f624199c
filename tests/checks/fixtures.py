"""Fixture-per-case check tests: ``tests/checks/<check_id>/<status>_<case>.yaml``.

The file name's prefix is the expected status: ``pass``, ``fail``, ``partial``, ``unknown`` or
``na`` (not applicable). A fixture holds Kubernetes-style objects and optionally::

    collected_at: 2026-01-10T12:30:00Z   # when the snapshot was taken (default shown)
    role: production                      # the cluster's role
    thresholds: {min_rules: 3}            # merged over the rubric's thresholds
    attestations: [...]                   # entries as in attestations.yaml
    coverage: [{api_version: velero.io/v1, kind: Backup, outcome: forbidden}]   # count, detail optional
    source: repo                          # where the objects were read (default live); an object's
                                          # own ``source:`` key overrides it (a live + repo snapshot)
    expect: {score: 0.5, reason: "substring of the reason"}

Facts derived from an object's configuration (``readiness.collect.configfacts``, e.g. a
HelmRelease's ``spec.values``) are computed from the fixture's objects as the collector does.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from readiness.assess.checks.base import Attestation, Evidence
from readiness.collect.configfacts import FACTS_KEY, extract
from readiness.store import schema

HERE = Path(__file__).parent
PREFIXES = {"pass": "pass", "fail": "fail", "partial": "partial", "unknown": "unknown", "na": "not_applicable"}
DEFAULT_TIME = datetime(2026, 1, 10, 12, 30, tzinfo=UTC)


def fixture_files() -> list[Path]:
    return sorted(HERE.glob("*/*.yaml"))


def expected_status(path: Path) -> str:
    return PREFIXES[path.stem.split("_", 1)[0]]


def _when(value: Any) -> datetime:
    if value is None:
        return DEFAULT_TIME
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def rows(objects: list[dict[str, Any]], cluster: str, at: datetime, source: str = "live") -> pl.DataFrame:
    """Kubernetes-style objects -> rows of the objects table."""
    records = []
    for o in objects:
        meta = o.get("metadata") or {}
        # Facts derived from the configuration, as the collector stores them (spec.values and all).
        facts = extract(o)
        status = {**(o.get("status") or {}), FACTS_KEY: facts} if facts else o.get("status")
        records.append({
            "snapshot_id": "fixture", "cluster": cluster, "collected_at": at, "source": o.get("source", source),
            "api_version": o["apiVersion"], "kind": o["kind"], "namespace": meta.get("namespace"),
            "name": meta["name"], "labels": json.dumps(meta.get("labels") or {}),
            "annotations": json.dumps(meta.get("annotations") or {}),
            "spec": json.dumps(o.get("spec") or {}, default=str),
            "status": json.dumps(status or {}, default=str),
        })
    return pl.DataFrame(records, schema=schema.OBJECTS)


def load(path: Path) -> tuple[Evidence, dict[str, Any]]:
    """The evidence a fixture describes, and the fixture document itself."""
    doc = yaml.safe_load(path.read_text()) or {}
    at = _when(doc.get("collected_at"))
    cov = doc.get("coverage") or []
    coverage = pl.DataFrame(
        [{"api_version": c["api_version"], "kind": c["kind"], "outcome": c["outcome"],
          "count": c.get("count", 0), "detail": c.get("detail")} for c in cov],
        schema={"api_version": pl.String, "kind": pl.String, "outcome": pl.String, "count": pl.Int64,
                "detail": pl.String},
    )
    attestations = [
        Attestation(fact=a["fact"], statement=a.get("statement", ""), by=a.get("by", "someone"),
                    made=a["date"] if isinstance(a["date"], date) else date.fromisoformat(a["date"]),
                    expires=a.get("expires"), evidence=a.get("evidence", ""), values=a.get("values") or {})
        for a in doc.get("attestations") or []
    ]
    objects = rows(doc.get("objects") or [], "fixture", at, doc.get("source", "live"))
    ev = Evidence("fixture", at, objects, role=doc.get("role"), coverage=coverage, attestations=attestations)
    return ev, doc
