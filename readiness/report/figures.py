"""Plotly figures: categories against targets, cluster drift, trends, gains and losses, the
burndown and the risk matrix.

Figures only draw numbers the frames already hold. ``show`` displays a figure as plotly's JSON
mime bundle, which the report's renderers read (PNG for Markdown, interactive for HTML).
"""

from __future__ import annotations

from typing import Any, cast

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from readiness.assess.assessment import Assessment
from readiness.assess.rubric import Rubric
from readiness.plan import Forecast, Plan, ideal_remaining
from readiness.plan.risks import IMPACTS, LIKELIHOODS
from readiness.store.schema import FLEET, OVERALL

COLORS = {"good": "#2e7d32", "fair": "#f9a825", "poor": "#c62828", "target": "#455a64"}


def has_data(fig: go.Figure) -> bool:
    """Whether any trace of ``fig`` draws at least one point (or cell, or bar)."""
    for trace in fig.data:
        values = [getattr(trace, k, None) for k in ("x", "y", "z", "values")]
        if any(v is not None and len(v) for v in values):
            return True
    return False


def show(fig: go.Figure, empty: str | None = None) -> None:
    """Display ``fig`` in a notebook as plotly's mime bundle (what the report embeds); a figure
    with nothing to draw is replaced by a sentence (``empty``, else the figure's title), so the
    report never shows an empty chart."""
    if (sentence := instead(fig, empty)) is not None:
        from IPython.display import Markdown, display

        display(Markdown(sentence))
        return
    pio.show(fig, renderer="plotly_mimetype")


def instead(fig: go.Figure, empty: str | None = None) -> str | None:
    """The sentence ``show`` writes instead of ``fig`` (None when it has something to draw)."""
    if has_data(fig):
        return None
    title = fig.layout.title.text if fig.layout.title and fig.layout.title.text else "Nothing to draw yet"
    return f"*{empty or title + '.'}*"


def _color(score: float, rubric: Rubric) -> str:
    if score >= rubric.bands.get("good", 90):
        return COLORS["good"]
    return COLORS["fair"] if score >= rubric.bands.get("fair", 50) else COLORS["poor"]


def categories(a: Assessment) -> go.Figure:
    """Fleet score per category against the rubric's target."""
    fleet = a.scores.filter(pl.col("cluster") == FLEET)
    names, values, targets = [], [], []
    for cid, cat in a.rubric.categories.items():
        row = fleet.filter(pl.col("category") == cid)
        if row.height:
            names.append(cat.name)
            values.append(float(row["score"][0]))
            targets.append(cat.target)
    fig = go.Figure()
    fig.add_bar(x=names, y=values, name="score", marker_color=[_color(v, a.rubric) for v in values],
                text=[f"{v:.0f}%" for v in values], textposition="outside")
    fig.add_scatter(x=names, y=targets, name="target", mode="markers",
                    marker={"symbol": "line-ew-open", "size": 28, "color": COLORS["target"], "line": {"width": 3}})
    fig.update_layout(title=f"Score by category as of {a.as_of} (target marked)", yaxis={"range": [0, 110],
                      "title": "score (%)"}, template="plotly_white", showlegend=True)
    return fig


def drift(a: Assessment, grouping: Any = None) -> go.Figure:
    """Cluster x category heatmap: where the fleet drifts apart. With ``grouping``
    (``context.Grouping``) of a large fleet, one row per group instead: the mean of its clusters'
    scores (``tables.group_scores``), labelled with the group's size, so the figure stays legible."""
    if grouping is not None and grouping.large:
        return _group_drift(a, grouping)
    s = a.scores.filter(pl.col("cluster") != FLEET)
    clusters = sorted(s["cluster"].unique().to_list())
    cats = [*a.rubric.categories, OVERALL]
    labels = [a.rubric.categories[c].name if c in a.rubric.categories else "Overall" for c in cats]
    z = [[_value(s, cl, c) for c in cats] for cl in clusters]
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=clusters, zmin=0, zmax=100, colorscale="RdYlGn",
                               text=[[("" if v is None else f"{v:.0f}") for v in row] for row in z],
                               texttemplate="%{text}", colorbar={"title": "%"}))
    fig.update_layout(title=f"Scores per cluster as of {a.as_of}", template="plotly_white")
    return fig


def _value(s: pl.DataFrame, cluster: str, category: str) -> float | None:
    row = s.filter((pl.col("cluster") == cluster) & (pl.col("category") == category))
    return float(row["score"][0]) if row.height else None


ROW_PX = 28  # height of one heatmap row: its label and cell text stay readable


def _group_drift(a: Assessment, grouping: Any) -> go.Figure:
    from readiness.report.tables import group_scores

    g = group_scores(a, grouping)
    cells = {(r["group"], r["category"]): r for r in g.iter_rows(named=True)}
    names = sorted(g["group"].unique().to_list(), reverse=True)  # plotly draws the first row at the bottom
    cats = [*a.rubric.categories, OVERALL]
    labels = [a.rubric.categories[c].name if c in a.rubric.categories else "Overall" for c in cats]
    z = [[cells[(n, c)]["score"] if (n, c) in cells else None for c in cats] for n in names]
    size = {n: cells[(n, OVERALL)]["clusters"] for n in names if (n, OVERALL) in cells}
    rows = [f"{n} ({size.get(n, 0)})" for n in names]
    spread = [[(f"{cells[(n, c)]['lowest']:.0f}..{cells[(n, c)]['highest']:.0f}"
                if (n, c) in cells and cells[(n, c)]["score"] is not None else "") for c in cats] for n in names]
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=rows, zmin=0, zmax=100, colorscale="RdYlGn", customdata=spread,
                               text=[[("" if v is None else f"{v:.0f}") for v in row] for row in z],
                               texttemplate="%{text}", colorbar={"title": "%"},
                               hovertemplate="%{y}, %{x}: mean %{z:.1f}% (clusters %{customdata})<extra></extra>"))
    fig.update_layout(title=f"Mean score per group of clusters as of {a.as_of} ({len(grouping.groups)} clusters "
                            f"in {len(names)} groups; by {', '.join(grouping.layout.group_by)} or role)",
                      template="plotly_white", height=max(450, ROW_PX * len(names) + 220),
                      yaxis={"title": "group (clusters)"})
    return fig


def _one_day(s: pl.DataFrame, title: str) -> go.Figure | None:
    """An empty figure titled with why there is no line (``show`` writes the title as a sentence)
    when ``s`` has fewer than two days; else None."""
    days = s["date"].n_unique()
    if days >= 2:
        return None
    why = "no snapshot yet" if days == 0 else f"one snapshot so far ({s['date'][0]}); a trend needs two"
    return go.Figure().update_layout(title=f"{title}: {why}")


def trend(scores: pl.DataFrame, rubric: Rubric, cluster: str = FLEET) -> go.Figure:
    """Overall and category scores over time for one cluster (or the fleet)."""
    s = scores.filter(pl.col("cluster") == cluster).sort("date")
    if (few := _one_day(s, f"Readiness over time ({cluster})")) is not None:
        return few
    fig = go.Figure()
    for cid in [OVERALL, *rubric.categories]:
        part = s.filter(pl.col("category") == cid)
        name = "Overall" if cid == OVERALL else rubric.categories[cid].name
        fig.add_scatter(x=part["date"].to_list(), y=part["score"].to_list(), name=name, mode="lines+markers",
                        line={"width": 4 if cid == OVERALL else 1.5})
    fig.add_hline(y=rubric.ready_above, line_dash="dot", annotation_text=f"ready above {rubric.ready_above:g}%",
                  annotation_position="bottom left")
    fig.update_layout(title=f"Readiness over time ({cluster})", yaxis={"range": [0, 105], "title": "score (%)"},
                      template="plotly_white")
    return fig


TREND_LINES = 8  # groups drawn as lines at most; beyond, the lowest and highest and a band over all of them
TREND_SHOWN = 3  # beyond TREND_LINES: this many lowest and this many highest groups (by their newest score)


def clusters_trend(scores: pl.DataFrame, grouping: Any = None) -> go.Figure:
    """Overall score over time per cluster; with ``grouping`` (``context.Grouping``) of a large
    fleet, per group (the unweighted mean of its clusters' overall scores each day). Beyond
    ``TREND_LINES`` groups, lines only for the fleet and the ``TREND_SHOWN`` lowest and highest
    groups on the newest day, and a band from the lowest to the highest group mean of each day
    (``range of N groups``): 18 overlapping lines and a legend longer than the plot are not legible."""
    s = scores.filter(pl.col("category") == OVERALL).sort("date")
    large = grouping is not None and grouping.large
    title = "Overall score per group of clusters over time (mean)" if large else "Overall score per cluster over time"
    if (few := _one_day(s, title)) is not None:
        return few
    fig = go.Figure()
    if large:
        per = (s.filter(pl.col("cluster") != FLEET).join(grouping.frame(), on="cluster", how="left")
               .with_columns(pl.col("group").fill_null("ungrouped"))
               .group_by("date", "group").agg(pl.col("score").mean()).rename({"group": "cluster"}).sort("date"))
        groups = sorted(per["cluster"].unique().to_list())
        if len(groups) > TREND_LINES:
            newest = per.filter(pl.col("date") == per["date"].max()).sort("score", "cluster")["cluster"].to_list()
            picked = list(dict.fromkeys(newest[:TREND_SHOWN] + newest[-TREND_SHOWN:]))
            band = per.group_by("date").agg(pl.col("score").min().alias("low"),
                                            pl.col("score").max().alias("high")).sort("date")
            days = band["date"].to_list()
            fig.add_scatter(x=days + days[::-1], y=band["high"].to_list() + band["low"].to_list()[::-1],
                            fill="toself", mode="lines", line={"width": 0}, fillcolor="rgba(99, 110, 250, 0.15)",
                            name=f"range of the {len(groups)} groups", hoverinfo="skip")
            title = (f"Overall score per group of clusters over time (mean; the {TREND_SHOWN} lowest and "
                     f"{TREND_SHOWN} highest of {len(groups)} groups)")
            per = per.filter(pl.col("cluster").is_in(picked))
        s = pl.concat([s.filter(pl.col("cluster") == FLEET).select("date", "cluster", "score"),
                       per.select("date", "cluster", "score")]).sort("date")
    names = sorted(s["cluster"].unique().to_list())
    if large:  # the fleet first in a long legend
        names = sorted(names, key=lambda n: n != FLEET)
    for cluster in names:
        part = s.filter(pl.col("cluster") == cluster)
        fig.add_scatter(x=part["date"].to_list(), y=part["score"].to_list(), name=cluster, mode="lines+markers",
                        line={"width": 4 if cluster == FLEET else 1.5, "dash": "solid" if cluster == FLEET else "dot"})
    fig.update_layout(title=title, yaxis={"range": [0, 105], "title": "score (%)"},
                      template="plotly_white")
    return fig


def changes(changes: pl.DataFrame | None, top: int = 12) -> go.Figure:
    """Points of the overall score each check gained (green) or lost (red) between two reports
    (None: there is no earlier report)."""
    if changes is None or changes.is_empty():
        fig = go.Figure()
        why = "no earlier report to compare with" if changes is None else "no check gained or lost points"
        fig.update_layout(title=f"Points gained and lost since the last report: {why}", template="plotly_white",
                          height=200, xaxis={"visible": False}, yaxis={"visible": False})
        return fig
    c = pl.concat([changes.head(top), changes.tail(top)]).unique("check_id").sort("delta")
    fig = go.Figure(go.Bar(x=c["delta"].to_list(), y=c["check_id"].to_list(), orientation="h",
                           marker_color=[COLORS["good"] if d > 0 else COLORS["poor"] for d in c["delta"].to_list()],
                           text=[f"{d:+.1f}" for d in c["delta"].to_list()], textposition="outside"))
    fig.update_layout(title="Points gained and lost since the last report", xaxis={"title": "points of the overall"},
                      template="plotly_white", height=max(300, 28 * c.height + 120))
    return fig


def burndown(weeks: pl.DataFrame, forecast: Forecast | None = None, plan: Plan | None = None) -> go.Figure:
    """The burndown chart: ideal and envelope lines, remaining hours (earned, from evidence), planned
    minus spent (from the work log) and the forecast with its range. ``plan`` extends the ideal
    lines to the plan's end."""
    fig = go.Figure()
    if weeks.is_empty():
        fig.update_layout(title="Burndown: no snapshots yet")
        return fig
    planned = float(weeks["remaining"][0] + weeks["earned"][0])
    if plan is not None:
        span = range(0, max(plan.max_weeks, cast(int, weeks["week"].max() or 0)) + 1)  # an integer column's max
        ends = [plan.week_end(w) for w in span]
        ideal = [ideal_remaining(plan, w) for w in span]
        envelope = [ideal_remaining(plan, w, plan.max_weeks) for w in span]
        names = (f"Ideal ({plan.weeks} weeks)", f"Envelope ({plan.max_weeks} weeks)")
    else:
        ends = weeks["end"].to_list()
        ideal, envelope = weeks["ideal_remaining"].to_list(), weeks["envelope_remaining"].to_list()
        names = ("Ideal", "Envelope")
    fig.add_trace(go.Scatter(x=ends, y=ideal, name=names[0], mode="lines", line={"dash": "dash", "color": "#7f7f7f"}))
    fig.add_trace(go.Scatter(x=ends, y=envelope, name=names[1], mode="lines",
                             line={"dash": "dot", "color": "#bcbcbc"}))
    ends_now = weeks["end"].to_list()
    fig.add_trace(go.Scatter(x=ends_now, y=weeks["remaining"].to_list(), name="Remaining (earned from evidence)",
                             mode="lines+markers", line={"color": "#1f77b4", "width": 3},
                             customdata=[list(r) for r in weeks.select("week", "earned", "snapshot").rows()],
                             hovertemplate="week %{customdata[0]}: %{y:.1f} h remaining, "
                                           "%{customdata[1]:.1f} h earned (snapshot %{customdata[2]})<extra></extra>"))
    fig.add_trace(go.Scatter(x=ends_now, y=[planned - s for s in weeks["spent"].to_list()],
                             name="Planned minus spent (work log)", mode="lines+markers",
                             line={"color": "#ff7f0e", "dash": "dashdot"}))
    if forecast is not None and forecast.date is not None:
        if forecast.low and forecast.high and forecast.low != forecast.high:
            fig.add_trace(go.Scatter(x=[forecast.low, forecast.high], y=[0, 0], mode="lines",
                                     name=f"Forecast range {forecast.low} .. {forecast.high}",
                                     line={"color": "#d62728", "width": 8}, opacity=0.35))
        fig.add_trace(go.Scatter(x=[forecast.date], y=[0], name=f"Forecast {forecast.date}", mode="markers",
                                 marker={"symbol": "diamond", "size": 12, "color": "#d62728"}))
    fig.update_layout(title=f"Burndown: {planned:g} planned hours", xaxis_title="End of plan week",
                      yaxis_title="Hours remaining", yaxis={"rangemode": "tozero"},
                      legend={"orientation": "h", "y": -0.2, "yanchor": "top"}, margin={"b": 140},
                      hovermode="x unified")
    return fig


def risk_matrix(matrix_frame: pl.DataFrame, title: str = "Risk matrix: impact x likelihood") -> go.Figure:
    """A heatmap of the matrix: cells coloured by rating, each labelled with the risks in it."""
    cells = {(r["impact"], r["likelihood"]): r for r in matrix_frame.iter_rows(named=True)}
    z = [[cells[(i, lk)]["rating"] if (i, lk) in cells else None for lk in LIKELIHOODS] for i in IMPACTS]
    text = [[", ".join(cells[(i, lk)]["risks"] or []) if (i, lk) in cells else "" for lk in LIKELIHOODS]
            for i in IMPACTS]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(LIKELIHOODS), y=list(IMPACTS), text=text, texttemplate="%{text}", textfont={"size": 14},
        colorscale=[[0.0, "#2ca02c"], [0.5, "#ffdd57"], [1.0, "#d62728"]], zmin=1, zmax=12, showscale=False,
        hovertemplate="impact %{y}, likelihood %{x}: %{text}<extra></extra>", xgap=2, ygap=2,
    ))
    fig.update_layout(title=title, xaxis_title="Likelihood", yaxis_title="Impact",
                      xaxis={"type": "category", "categoryorder": "array", "categoryarray": list(LIKELIHOODS)},
                      yaxis={"type": "category", "categoryorder": "array", "categoryarray": list(IMPACTS)})
    return fig
