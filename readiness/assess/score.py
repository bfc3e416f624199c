"""Scores from findings: per cluster and for the fleet, per category and overall.

For a finding, ``s`` is its score in [0, 1] (column ``score``; a waived finding counts 1 in the
score *with* waivers, its own score, column ``score_without_waivers``, without). Findings that are
``not_applicable`` are left out; ``unknown`` ones count 0 (never a pass) and lower the coverage instead.

Per cluster, category ``c``::

    score(c)    = 100 * sum(w_i * s_i) / sum(w_i)          over c's applicable checks i
    coverage(c) = sum(w_i * evaluated_i) / sum(w_i)        evaluated = not unknown

For the fleet, a check holds only as far as it holds on every cluster it applies to: its fleet
score is the mean of its cluster scores, and its status is ``pass`` only when it passes (or is
waived) on all of them. Fleet category scores apply the same formula to fleet check scores.

Overall (cluster or fleet) = sum(W_c * score(c)) / sum(W_c) over categories with applicable
checks, W_c being the rubric's category weights (column ``category_weight``); overall coverage likewise.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from readiness.assess.rubric import Rubric
from readiness.store import schema

APPLICABLE = pl.col("status") != "not_applicable"
PASSING = pl.col("status").is_in(["pass", "waived"])


def _with_values(findings: pl.DataFrame, on: date | None = None) -> pl.LazyFrame:
    # The day a finding counts for: ``on``; else the ``date`` column of findings laid out per day
    # (``evaluate.on_days``); else the day its snapshot was taken.
    if on:
        day = pl.lit(on, dtype=pl.Date)
    elif "date" in findings.columns:
        day = pl.col("date")
    else:
        day = pl.col("collected_at").dt.date()
    return findings.lazy().filter(APPLICABLE).with_columns(
        day.alias("date"),
        # Both read the finding's own score: the expressions of one with_columns see the input frame.
        pl.when(pl.col("waived")).then(1.0).otherwise(pl.col("score")).alias("score"),
        pl.col("score").alias("score_without_waivers"),
        (pl.col("status") != "unknown").cast(pl.Float64).alias("evaluated"),
    )


def fleet_checks(findings: pl.DataFrame, on: date | None = None) -> pl.DataFrame:
    """One row per (date, check): the check's fleet score, status and the clusters it fails on.

    Columns: date, check_id, category, weight (the check's rubric weight), score and
    score_without_waivers (means over the clusters it applies to, in [0, 1]; a waived finding counts 1
    in ``score``), evaluated (share of those clusters not ``unknown``), holds, failing_clusters
    (not passing: failed, partial or unknown), unknown_clusters (those of them ``unknown``),
    waived_clusters, clusters (how many it applies to), status (pass/partial/fail/unknown).
    ``on`` dates every finding on that day (each cluster's newest snapshot, as of ``on``).
    """
    return (
        _with_values(findings, on)
        .group_by("date", "check_id", "category", "weight")
        .agg(
            pl.col("score").mean(),
            pl.col("score_without_waivers").mean(),
            pl.col("evaluated").mean(),
            PASSING.all().alias("holds"),
            pl.col("cluster").filter(~PASSING).sort().alias("failing_clusters"),
            pl.col("cluster").filter(pl.col("status") == "unknown").sort().alias("unknown_clusters"),
            pl.col("cluster").filter(pl.col("waived")).sort().alias("waived_clusters"),
            pl.len().alias("clusters"),
        )
        .with_columns(
            pl.when(pl.col("holds")).then(pl.lit("pass"))
            .when(pl.col("evaluated") == 0).then(pl.lit("unknown"))
            .when(pl.col("score") > 0).then(pl.lit("partial"))
            .otherwise(pl.lit("fail")).alias("status")
        )
        .sort("date", "check_id")
        .collect()
    )


def _categories(values: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    return values.group_by(*keys, "category").agg(
        (100 * (pl.col("weight") * pl.col("score")).sum() / pl.col("weight").sum()).alias("score"),
        (100 * (pl.col("weight") * pl.col("score_without_waivers")).sum() / pl.col("weight").sum())
        .alias("score_without_waivers"),
        ((pl.col("weight") * pl.col("evaluated")).sum() / pl.col("weight").sum()).alias("coverage"),
    )


def _overall(cats: pl.LazyFrame, keys: list[str], weights: pl.DataFrame) -> pl.LazyFrame:
    return (
        cats.join(weights.lazy(), on="category")
        .group_by(*keys)
        .agg(
            *[((pl.col("category_weight") * pl.col(c)).sum() / pl.col("category_weight").sum()).alias(c)
              for c in ("score", "score_without_waivers", "coverage")],
            pl.col("category_weight").sum().alias("weight"),
        )
        .with_columns(pl.lit(schema.OVERALL).alias("category"))
    )


def scores(findings: pl.DataFrame, rubric: Rubric, on: date | None = None) -> pl.DataFrame:
    """``schema.SCORES`` rows: every (date, cluster or 'fleet', category or 'overall')."""
    weights = pl.DataFrame({"category": list(rubric.categories),
                            "category_weight": [c.weight for c in rubric.categories.values()]})
    per_cluster = _categories(_with_values(findings, on), ["date", "cluster"])
    fleet_values = fleet_checks(findings, on).lazy().with_columns(pl.lit(schema.FLEET).alias("cluster"))
    per_fleet = _categories(fleet_values, ["date", "cluster"])
    parts = []
    for cats in (per_cluster, per_fleet):
        parts += [cats.join(weights.lazy(), on="category").rename({"category_weight": "weight"}),
                  _overall(cats, ["date", "cluster"], weights)]
    version = findings["rubric_version"][0] if findings.height else rubric.version
    return (
        pl.concat([p.select("date", "cluster", "category", "score", "score_without_waivers", "coverage", "weight")
                   for p in parts])
        .with_columns(pl.lit(version).alias("rubric_version"))
        .select(list(schema.SCORES))
        .cast(schema.SCORES)
        .sort("date", "cluster", "category")
        .collect()
    )


def blockers(findings: pl.DataFrame, rubric: Rubric, on: date | None = None) -> pl.DataFrame:
    """One row per (date, blocker, criterion): met when all its checks hold (pass or waived) on every
    cluster; never met by checks that are ``not_applicable`` everywhere or ``unknown``."""
    fc = fleet_checks(findings, on)
    rows = [
        {"blocker": b.id, "title": b.title, "impact": b.impact, "resolution": b.resolution,
         "criterion": i, "text": crit.text, "check_id": cid}
        for b in rubric.blockers.values() for i, crit in enumerate(b.criteria) for cid in crit.checks
    ]
    spec = pl.DataFrame(rows)
    dates = fc.select("date").unique()
    crit = (
        spec.join(dates, how="cross")
        .join(fc.select("date", "check_id", "holds", "failing_clusters"), on=["date", "check_id"], how="left")
        # Applies to no cluster (not_applicable everywhere): a blocker is resolved only by passing checks.
        .with_columns(pl.col("holds").fill_null(False))
        .group_by("date", "blocker", "title", "impact", "resolution", "criterion", "text")
        .agg(pl.col("holds").all().alias("met"),
             pl.col("check_id").filter(~pl.col("holds")).alias("open_checks"))
        .with_columns(pl.col("met").all().over("date", "blocker").alias("resolved"))
        .sort("date", "blocker", "criterion")
    )
    return crit


def verdict(overall: float, open_blockers: int, rubric: Rubric) -> str:
    """READY when the overall is above the rubric's threshold and (if required) no blocker is open."""
    ok = overall > rubric.ready_above and (open_blockers == 0 or not rubric.require_blockers_resolved)
    return rubric.labels["ready"] if ok else rubric.labels["not_ready"]
