"""The Parquet tables' schemas, declared once and checked on every read and write.

Tables live under a data directory, hive-partitioned by cluster and UTC day:

- ``objects/cluster=C/date=D/<snapshot_id>.parquet``: one row per collected object.
- ``snapshots/cluster=C/date=D/<snapshot_id>.parquet``: one row per (snapshot, cluster).
- ``coverage/cluster=C/date=D/<snapshot_id>.parquet``: one row per (snapshot, cluster, resource type).

``labels``, ``annotations``, ``spec`` and ``status`` are JSON text.
"""

from __future__ import annotations

import polars as pl

from readiness.errors import SchemaError

UTC_TIME = pl.Datetime("us", "UTC")

SOURCES = ("live", "repo", "demo")
SNAPSHOT_STATUSES = ("ok", "partial", "unreachable")
COVERAGE_OUTCOMES = ("ok", "absent", "partial", "forbidden", "error", "skipped")

OBJECTS = pl.Schema(
    {
        "snapshot_id": pl.String(),
        "cluster": pl.String(),
        "collected_at": UTC_TIME,
        "source": pl.String(),
        "api_version": pl.String(),
        "kind": pl.String(),
        "namespace": pl.String(),
        "name": pl.String(),
        "labels": pl.String(),
        "annotations": pl.String(),
        "spec": pl.String(),
        "status": pl.String(),
    }
)

SNAPSHOTS = pl.Schema(
    {
        "snapshot_id": pl.String(),
        "cluster": pl.String(),
        "collected_at": UTC_TIME,
        "source": pl.String(),
        "status": pl.String(),
        "error": pl.String(),
    }
)

COVERAGE = pl.Schema(
    {
        "snapshot_id": pl.String(),
        "cluster": pl.String(),
        "collected_at": UTC_TIME,
        "api_version": pl.String(),
        "kind": pl.String(),
        "outcome": pl.String(),
        "count": pl.Int64(),
        "detail": pl.String(),
    }
)

TABLES: dict[str, pl.Schema] = {"objects": OBJECTS, "snapshots": SNAPSHOTS, "coverage": COVERAGE}

# Columns that must never be null, per table.
REQUIRED = {
    "objects": ("snapshot_id", "cluster", "collected_at", "source", "api_version", "kind", "name"),
    "snapshots": ("snapshot_id", "cluster", "collected_at", "source", "status"),
    "coverage": ("snapshot_id", "cluster", "collected_at", "api_version", "kind", "outcome", "count"),
}

ALLOWED = {
    ("objects", "source"): SOURCES,
    ("snapshots", "source"): SOURCES,
    ("snapshots", "status"): SNAPSHOT_STATUSES,
    ("coverage", "outcome"): COVERAGE_OUTCOMES,
}


def validate(table: str, df: pl.DataFrame, path: str) -> pl.DataFrame:
    """Check ``df`` against the declared schema of ``table``; return it in declared column order.

    Extra columns (such as the hive ``date`` partition) are dropped. Raises ``SchemaError``
    naming the file and the first offending column.
    """
    schema = TABLES[table]
    for column, dtype in schema.items():
        if column not in df.columns:
            raise SchemaError(table, path, column, "is missing")
        actual = df.schema[column]
        if actual != dtype and not (actual == pl.Null() and df.height == 0):
            raise SchemaError(table, path, column, f"has type {actual}, expected {dtype}")
    out = df.select(list(schema))
    for column in REQUIRED[table]:
        if out.height and out[column].null_count():
            raise SchemaError(table, path, column, "has null values")
    for (tab, column), allowed in ALLOWED.items():
        if tab == table and out.height:
            bad = out.filter(~pl.col(column).is_in(allowed))[column].unique().to_list()
            if bad:
                raise SchemaError(table, path, column, f"has values {bad}, allowed {list(allowed)}")
    return out


def empty(table: str) -> pl.DataFrame:
    """An empty frame with the declared schema of ``table``."""
    return pl.DataFrame(schema=TABLES[table])


# What the collector puts in place of an environment variable's value, and what the demo emits.
REDACTED = "[redacted by readiness]"

# Check outcomes. 'waived' replaces a non-passing status when an active waiver covers it.
STATUSES = ("pass", "fail", "partial", "unknown", "waived", "not_applicable")

# One row per (snapshot, cluster, check): the output of the rubric's checks.
FINDINGS = pl.Schema(
    {
        "snapshot_id": pl.String(),
        "cluster": pl.String(),
        "collected_at": UTC_TIME,
        "check_id": pl.String(),
        "category": pl.String(),
        "weight": pl.Float64(),
        "severity": pl.String(),
        "blocker": pl.String(),
        "work_package": pl.String(),
        "status": pl.String(),
        "score": pl.Float64(),
        "waived": pl.Boolean(),
        "reason": pl.String(),
        "evidence": pl.List(pl.String()),
        "rubric_version": pl.String(),
    }
)

# One row per (date, scope, cluster, category); category 'overall' is the weighted whole and
# cluster 'fleet' the fleet. Scores are percentages; coverage is the evaluated share of weight.
SCORES = pl.Schema(
    {
        "date": pl.Date(),
        "cluster": pl.String(),
        "category": pl.String(),
        "score": pl.Float64(),
        "score_without_waivers": pl.Float64(),
        "coverage": pl.Float64(),
        "weight": pl.Float64(),
        "rubric_version": pl.String(),
    }
)
FLEET = "fleet"
OVERALL = "overall"
