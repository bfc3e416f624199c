"""Trends over stored snapshots: scores over time and which checks gained or lost points."""

from __future__ import annotations

from datetime import date

import polars as pl

from readiness.assess import score as sc
from readiness.assess.evaluate import on_days
from readiness.assess.rubric import Rubric


def contributions(findings: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """One row per (date, check): the points (of 100) the check adds to the fleet overall score.

    Columns: date, check_id, category, status, score (the check's fleet score in [0, 1], from
    ``score.fleet_checks``), points. With w a check's rubric weight and W a category's::

        points = 100 * score * (w / sum of w in its category) * (W / sum of W over categories)

    the sums taken over what applies on that date, so a date's points add up to the overall.
    """
    if "date" not in findings.columns:  # one evaluation per snapshot: lay the fleet out per snapshot day
        days = sorted(set(findings["collected_at"].dt.date().to_list()))
        findings = on_days(findings, days, rubric.stale_after_days)
    cats = pl.DataFrame({"category": list(rubric.categories),
                         "category_weight": [c.weight for c in rubric.categories.values()]})
    fc = sc.fleet_checks(findings).join(cats, on="category")
    totals = (fc.select("date", "category", "category_weight").unique().group_by("date")
              .agg(pl.col("category_weight").sum().alias("category_weight_total")))
    return (
        fc.join(totals, on="date")
        .with_columns(pl.col("weight").sum().over("date", "category").alias("category_check_weight_total"))
        .with_columns((100 * pl.col("score") * pl.col("weight") / pl.col("category_check_weight_total")
                       * pl.col("category_weight") / pl.col("category_weight_total")).alias("points"))
        .select("date", "check_id", "category", "status", "score", "points")
        .sort("date", "check_id")
    )


def previous_month_end(dates: list[date], month: str) -> date | None:
    """The newest snapshot day before ``month`` starts."""
    start = date.fromisoformat(f"{month}-01")
    days = [d for d in dates if d < start]
    return max(days) if days else None


def changes(findings: pl.DataFrame, rubric: Rubric, before: date, after: date) -> pl.DataFrame:
    """Checks whose contribution changed between two days, largest gains first, then losses.

    One row per check whose points moved by at least 0.05: ``check_id``, ``category``, ``after``
    and ``before`` (its points of the overall score on each day, from ``contributions``; 0 when
    the check was not scored that day), ``status_after``, ``status_before``, ``delta`` (after -
    before, points) and ``title`` (the rubric's).
    """
    c = contributions(findings, rubric)
    old = c.filter(pl.col("date") == before).select("check_id", pl.col("points").alias("before"),
                                                    pl.col("status").alias("status_before"))
    new = c.filter(pl.col("date") == after).select("check_id", "category", pl.col("points").alias("after"),
                                                   pl.col("status").alias("status_after"))
    return (
        new.join(old, on="check_id", how="full", coalesce=True)
        .with_columns(pl.col("before").fill_null(0.0), pl.col("after").fill_null(0.0))
        .with_columns((pl.col("after") - pl.col("before")).alias("delta"))
        .filter(pl.col("delta").abs() >= 0.05)  # what rounds to +0.0 did not move
        .with_columns(pl.col("check_id").replace_strict({k: v.title for k, v in rubric.checks.items()},
                                                         default=pl.col("check_id")).alias("title"))
        .sort("delta", descending=True)
    )


def summary(changed: pl.DataFrame, before: date, after: date, shown: int = 10) -> str:
    """One paragraph: net change and the biggest gain and loss between two reports (and, when a
    table lists only the ``shown`` largest gains and losses, that it does)."""
    gained = changed.filter(pl.col("delta") > 0)
    lost = changed.filter(pl.col("delta") < 0)
    net = float(changed["delta"].sum())
    text = (f"Between {before} and {after} the overall moved {net:+.1f} points: {gained.height} checks gained "
            f"{float(gained['delta'].sum()):.1f} points and {lost.height} lost {abs(float(lost['delta'].sum())):.1f}.")
    if gained.height:
        top = gained.row(0, named=True)
        text += f" The largest gain: {top['title']} (`{top['check_id']}`, {top['delta']:+.1f})."
    if lost.height:
        worst = lost.sort("delta").row(0, named=True)
        text += f" The largest loss: {worst['title']} (`{worst['check_id']}`, {worst['delta']:+.1f})."
    if gained.height > shown or lost.height > shown:
        text += f" The table lists the {shown} largest gains and losses."
    return text
