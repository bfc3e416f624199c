"""Tables of an assessment as rows, and those rows as Markdown or plain text.

Formatting only: every number here comes from the assessment's frames.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import polars as pl

from readiness.assess.assessment import Assessment
from readiness.store.schema import FLEET, OVERALL

Row = dict[str, Any]


# Status marks readable without an emoji font (DejaVu and most text fonts have these), always
# beside a word so the status reads even where the mark does not.
OK, WARN, BAD, UNKNOWN = "✓", "⚠", "✗", "?"
_BAND = {"✅": f"{OK} on target", "⚠️": f"{WARN} below target", "❌": f"{BAD} far below target"}


def band(a: Assessment, score: float, target: float | None) -> str:
    """A category's status as mark and words: on target, below target (fair band), far below."""
    return _BAND[a.rubric.band(score, target)]


def verdict(a: Assessment) -> str:
    """The verdict with its mark: '✓ READY' or '✗ NOT READY'."""
    return f"{OK if a.verdict == a.rubric.labels['ready'] else BAD} {a.verdict}"


def met(ok: bool, yes: str = "met", no: str = "not met") -> str:
    """A yes/no status as mark and word."""
    return f"{OK} {yes}" if ok else f"{BAD} {no}"


def pct(value: float | None) -> str:
    """A percentage as the JSON outputs round it (one decimal, no trailing zero): 95.5%, 100%."""
    return "n/a" if value is None or value != value else f"{round(value, 1):g}%"


def scorecard(a: Assessment, cluster: str = FLEET) -> list[Row]:
    """The assessment's scorecard: one row per category, then OVERALL."""
    s = a.scores.filter(pl.col("cluster") == cluster)
    fc = a.fleet_checks if cluster == FLEET else a.findings.filter(pl.col("cluster") == cluster).with_columns(
        pl.col("status").is_in(["pass", "waived"]).alias("holds"))
    fc = fc.filter(pl.col("status") != "not_applicable") if "status" in fc.columns else fc
    rows = []
    for cid, cat in a.rubric.categories.items():
        row = s.filter(pl.col("category") == cid)
        if not row.height:
            continue
        score = float(row["score"][0])
        checks = fc.filter(pl.col("category") == cid)
        if float(row["coverage"][0]) == 0:  # nothing evaluated: unknown, never 0%
            rows.append({"Category": cat.name, "Score": "unknown", "Target": pct(cat.target), "Status": "❓ unknown",
                         "Coverage": pct(0.0), "Notes": f"no fresh evidence: {_why_unknown(a, cid, cluster)}"})
            continue
        # what fails is "missing"; what could not be judged is counted apart, never called missing
        unknown = checks.filter(pl.col("status") == "unknown").height
        missing = (checks.filter(~pl.col("holds") & (pl.col("status") != "unknown"))
                   .sort("weight", descending=True)["check_id"].to_list())
        titles = [a.rubric.checks[c].title for c in missing[:2]]
        notes = f"{checks['holds'].sum()}/{checks.height} checks hold"
        if unknown:
            notes += f", {unknown} unknown"
        if titles:
            notes += "; missing: " + "; ".join(titles) + (f" (+{len(missing) - 2} more)" if len(missing) > 2 else "")
        rows.append({"Category": cat.name, "Score": pct(score), "Target": pct(cat.target),
                     "Status": band(a, score, cat.target), "Coverage": pct(100 * float(row["coverage"][0])),
                     "Notes": notes})
    overall = s.filter(pl.col("category") == OVERALL)
    if overall.height and float(overall["coverage"][0]) == 0:
        rows.append({"Category": "**OVERALL**", "Score": "**unknown**", "Target": "",
                     "Status": f"**❓ {a.verdict}**", "Coverage": pct(0.0), "Notes": "**no fresh evidence**"})
    elif overall.height:
        n = len(a.open_blockers)
        rows.append({"Category": "**OVERALL**", "Score": f"**{pct(float(overall['score'][0]))}**", "Target": "",
                     "Status": f"**{verdict(a)}**",
                     "Coverage": pct(100 * float(overall["coverage"][0])),
                     "Notes": f"**{n} production blocker{'s' if n != 1 else ''}**"})
    return rows


def _why_unknown(a: Assessment, category: str, cluster: str) -> str:
    """The reason of the category's first unknown finding (it names the snapshot's age)."""
    f = a.findings.filter((pl.col("category") == category) & (pl.col("status") == "unknown"))
    if cluster != FLEET:
        f = f.filter(pl.col("cluster") == cluster)
    return str(f.sort("cluster")["reason"][0]) if f.height else "no check evaluated"


def blockers(a: Assessment) -> list[Row]:
    """One row per blocker: resolved or not, criteria met."""
    out = []
    for (bid, title, impact), crit in a.blockers.group_by("blocker", "title", "impact", maintain_order=True):
        n_met = int(crit["met"].sum())
        out.append({"Blocker": bid, "Title": title, "Impact": impact,
                    "Status": met(bool(crit["resolved"][0]), "resolved", "open"),
                    "Criteria met": f"{n_met}/{crit.height}"})
    return out


def clusters(a: Assessment, only: Sequence[str] | None = None, grouping: Any = None) -> list[Row]:
    """Per-cluster overall and category scores (drift across the fleet): one row per cluster,
    sorted by name, or ``only`` those clusters in that order; with ``grouping``
    (``context.Grouping``) a Group column after the cluster's name."""
    s = a.scores.filter(pl.col("cluster") != FLEET)
    cells = {(r["cluster"], r["category"]): r for r in s.iter_rows(named=True)}
    names = list(only) if only is not None else sorted(s["cluster"].unique().to_list())
    out = []
    for name in names:
        row: Row = {"Cluster": name}
        if grouping is not None:
            row["Group"] = grouping.groups.get(name, "")
        for cid, cat in a.rubric.categories.items():
            row[cat.name] = _known(cells.get((name, cid)))
        row["Overall"] = _known(cells.get((name, OVERALL)))
        out.append(row)
    return out


def cluster_scores(a: Assessment, grouping: Any = None) -> pl.DataFrame:
    """Every cluster's scores, one row per cluster sorted by name: ``cluster``, ``group`` (with
    ``grouping``, a ``context.Grouping``), ``overall`` (percent; null when no rubric weight was
    evaluated), ``coverage`` (share 0..1 of the rubric's weight evaluated), one column per category
    id (percent, null when unknown or not applicable), ``snapshot_id`` and ``collected_at`` (UTC) of
    the snapshot scored. Source: ``a.scores`` and ``a.findings``; what ``clusters.csv`` holds."""
    s = a.scores.filter(pl.col("cluster") != FLEET).with_columns(
        pl.when(pl.col("coverage") > 0).then(pl.col("score")).alias("score"))
    cats = [c for c in a.rubric.categories if c in set(s["category"].to_list())]
    wide = s.pivot(on="category", index="cluster", values="score") if s.height else pl.DataFrame(
        {"cluster": [], OVERALL: []}, schema={"cluster": pl.String, OVERALL: pl.Float64})
    cov = s.filter(pl.col("category") == OVERALL).select("cluster", "coverage")
    used = a.findings.select("cluster", "snapshot_id", "collected_at").unique("cluster", keep="last")
    out = (wide.select("cluster", pl.col(OVERALL).alias("overall"), *cats)
           .join(cov, on="cluster", how="left").join(used, on="cluster", how="left"))
    if grouping is not None:
        out = out.join(grouping.frame(), on="cluster", how="left")
    first = ["cluster", *(["group"] if grouping is not None else []), "overall", "coverage"]
    return out.select(*first, *cats, "snapshot_id", "collected_at").sort("cluster")


def ranked(scores: pl.DataFrame, top: int) -> tuple[list[str], list[str]]:
    """(lowest, highest): the ``top`` clusters of ``cluster_scores`` with the lowest overall
    (unknown first, as the least proven) and the ``top`` with the highest, best first, never the
    same cluster twice; ties broken by name."""
    order = scores.sort(["overall", "cluster"], nulls_last=False)["cluster"].to_list()
    lowest = order[:top]
    highest = [c for c in reversed(order) if c not in set(lowest)][:top]
    return lowest, highest


def group_scores(a: Assessment, grouping: Any) -> pl.DataFrame:
    """Scores per group of clusters (``grouping``: ``context.Grouping``), one row per (group,
    category) with OVERALL last: ``group``, ``category``, ``clusters`` (clusters in the group),
    ``known`` (of them, those with the category evaluated), ``score`` (percent: the unweighted mean
    of those clusters' scores, null when none), ``lowest`` and ``highest`` (percent). Source:
    ``a.scores``."""
    s = (a.scores.filter(pl.col("cluster") != FLEET)
         .join(grouping.frame(), on="cluster", how="left")
         .with_columns(pl.col("group").fill_null("ungrouped"),
                       pl.when(pl.col("coverage") > 0).then(pl.col("score")).alias("score")))
    order = {c: i for i, c in enumerate([*a.rubric.categories, OVERALL])}
    return (s.group_by("group", "category")
            .agg(pl.col("cluster").n_unique().alias("clusters"), pl.col("score").count().alias("known"),
                 pl.col("score").mean().alias("score"), pl.col("score").min().alias("lowest"),
                 pl.col("score").max().alias("highest"))
            .with_columns(pl.col("category").replace_strict(order, default=len(order)).alias("_order"))
            .sort("group", "_order").drop("_order"))


def groups(a: Assessment, grouping: Any) -> list[Row]:
    """One row per group (``context.Grouping``): clusters, the mean overall, the lowest and
    highest cluster with their overall, and how many have no evaluated weight (unknown)."""
    scores = cluster_scores(a, grouping)
    overall = group_scores(a, grouping).filter(pl.col("category") == OVERALL)
    rows = []
    for r in overall.iter_rows(named=True):
        members = scores.filter(pl.col("group") == r["group"]).sort(["overall", "cluster"], nulls_last=True)
        known = members.filter(pl.col("overall").is_not_null())
        low = known.row(0, named=True) if known.height else None
        high = known.sort(["overall", "cluster"], descending=[True, False]).row(0, named=True) if known.height else None
        rows.append({"Group": r["group"], "Clusters": r["clusters"],
                     "Overall (mean)": pct(r["score"]) if r["score"] is not None else "unknown",
                     "Lowest": f"{low['cluster']} {pct(low['overall'])}" if low else "-",
                     "Highest": f"{high['cluster']} {pct(high['overall'])}" if high else "-",
                     "Unknown": r["clusters"] - r["known"]})
    return rows


def _known(score_row: Row | None) -> str:
    if score_row is None:
        return "n/a"
    return "unknown" if float(score_row["coverage"]) == 0 else pct(float(score_row["score"]))


def markdown(rows: Sequence[Row]) -> str:
    """GitHub-flavoured Markdown table."""
    if not rows:
        return "_(none)_\n"
    heads = list(rows[0])
    esc = [[str(r.get(h, "")).replace("|", "\\|") for h in heads] for r in rows]
    lines = ["| " + " | ".join(heads) + " |", "|" + "|".join("---" for _ in heads) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in esc]
    return "\n".join(lines) + "\n"


def text(rows: Sequence[Row]) -> str:
    """Aligned plain-text table for terminals."""
    if not rows:
        return "(none)\n"
    heads = list(rows[0])
    cells = [[str(r.get(h, "")).replace("**", "") for h in heads] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]
    line = "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out) + "\n"


def _change(points: float) -> str:
    return "stable" if round(points, 1) == 0 else f"{'↑' if points > 0 else '↓'} {points:+.1f} points"


def targets(a: Assessment, before: Assessment | None = None, recs: Any = None) -> list[Row]:
    """The target state (the assessment's table): per category Before (``before``: the first
    snapshot or the plan's baseline), Now, After (the rubric's target), Change (After - Before) and
    Action (the work packages holding its open checks, from ``recs``: ``recommend.Recommendations``),
    then OVERALL (targets weighted like the scores)."""
    base = before or a
    packages = {p["id"]: p for p in (recs.packages if recs is not None else ())}
    gaps = {g["id"]: g for g in (recs.categories if recs is not None else ())}
    rows = []
    for cid, cat in a.rubric.categories.items():
        if cat.target is None or math.isnan(now := a.score(category=cid)):
            continue
        was = base.score(category=cid)
        wps = [w for w in gaps.get(cid, {}).get("work_packages", []) if w in packages]
        if now >= float(cat.target):
            action = "Maintain"
        elif wps:
            action = "; ".join(f"{w} {packages[w]['title'].split(':')[0]}" for w in wps[:3]) + (
                f" (+{len(wps) - 3} more)" if len(wps) > 3 else "")
        else:
            action = ("no work package in the plan: see Recommendations" if getattr(recs, "planned", True)
                      else "no plan: see Recommendations")
        rows.append({"Category": cat.name, "Before": pct(was), "Now": pct(now), "After": pct(cat.target),
                     "Change": _change(float(cat.target) - was), "Status": band(a, now, cat.target),
                     "Action": action})
    if rows:
        was, after = base.overall, a.target_overall
        rows.append({"Category": "**OVERALL**", "Before": f"**{pct(was)}**", "Now": f"**{pct(a.overall)}**",
                     "After": f"**{pct(after)}**", "Change": f"**{_change(after - was)}**",
                     "Status": f"**{verdict(a)}**",
                     "Action": f"above {a.rubric.ready_above:g}% with every blocker resolved: "
                               f"{a.rubric.labels['ready']}"})
    return rows


def actions(items: Sequence[Any], short: bool = False) -> list[Row]:
    """Ranked actions (``recommend.Action``): points gained, hours left, points per hour, blocker."""
    rows = []
    for i, x in enumerate(items, start=1):
        blocker = ", ".join(f"{b} (clears)" if b in x.clears else b for b in x.blockers) or "-"
        row: Row = {"#": i, "Check": x.check_id if short else f"`{x.check_id}`", "Points": f"+{x.points:.2f}",
                    "Hours": f"{x.hours:.1f}" if x.hours else "-",
                    "Points/hour": f"{x.points_per_hour:.2f}" if x.points_per_hour else "-",
                    "Blocker": blocker}
        if not short:
            row |= {"Work package": ", ".join(x.work_packages) or "-",
                    "Action": x.remediation or x.title}
        rows.append(row)
    return rows


CHANGES_SHOWN = 10


def changes(df: pl.DataFrame, top: int = CHANGES_SHOWN) -> list[Row]:
    """The ``top`` largest gains and losses of points of the overall score between two reports."""
    gains, losses = df.filter(pl.col("delta") > 0).head(top), df.filter(pl.col("delta") < 0).tail(top)
    part = pl.concat([gains, losses])
    return [{"Check": f"`{r['check_id']}`", "Title": r["title"], "Before": r["status_before"] or "-",
             "Now": r["status_after"] or "-", "Points": f"{r['delta']:+.1f}"}
            for r in part.sort("delta", descending=True).iter_rows(named=True)]


def work_packages(plan: Any, progress: pl.DataFrame) -> list[Row]:
    """The plan's work packages with the share of their checks that the evidence proves."""
    rows = []
    for r in progress.iter_rows(named=True):
        wp = plan.work_packages[r["work_package"]]
        open_checks = ", ".join(f"`{c}`" for c in r["open"][:3]) + (" ..." if len(r["open"]) > 3 else "")
        rows.append({"WP": wp.id, "Work package": wp.title, "Weeks": wp.window, "Hours": f"{wp.hours:g}",
                     "Proven": pct(100 * r["share"]), "Earned": f"{r['earned']:.1f}",
                     "Resolves": wp.purpose or "-", "Open checks": open_checks or "-"})
    return rows


def burndown_weeks(weeks: pl.DataFrame) -> list[Row]:
    """The burndown week by week: ideal, spent (log), earned (evidence), remaining, readiness."""
    return [{"Week": r["week"], "Snapshot": str(r["snapshot"] or "-"), "Ideal remaining": f"{r['ideal_remaining']:.1f}",
             "16-week envelope": f"{r['envelope_remaining']:.1f}", "Spent": f"{r['spent']:.1f}",
             "Earned": f"{r['earned']:.1f}", "Remaining": f"{r['remaining']:.1f}",
             "Readiness": pct(r["readiness"])} for r in weeks.iter_rows(named=True)]


_FAILS_ON = re.compile(r"\(does not hold on ([^()]*)\)")  # risks.register's reason (plan/risks.py)


def _counted(reason: str, grouping: Any) -> str:
    """``reason`` with each "(does not hold on a, b, ...)" longer than ``grouping.shown`` names
    counted instead ("(does not hold on 300 of 500 clusters)"); unchanged below the large-fleet threshold."""
    if grouping is None or not grouping.large:
        return reason

    def count(m: re.Match[str]) -> str:
        names = m.group(1).split(", ")
        if len(names) <= grouping.shown:
            return m.group(0)
        return f"(does not hold on {len(names)} of {len(grouping.groups)} clusters)"

    return _FAILS_ON.sub(count, reason)


def risk_register(register: pl.DataFrame, grouping: Any = None) -> list[Row]:
    """The risk register: impact, likelihood now (and before mitigation), status and why; in a large
    fleet (``grouping``: ``context.Grouping``) the clusters a check fails on are counted, not named."""
    mark = {"mitigated": OK, "partly mitigated": WARN, "unmitigated": BAD}
    return [{"Risk": f"{r['id']}: {r['title']}", "Impact": r["impact"], "Likelihood": r["likelihood"],
             "Inherent": r["inherent_likelihood"], "Status": f"{mark.get(r['status'], '')} {r['status']}",
             "Mitigation": r["mitigation"], "Why": _counted(r["reason"], grouping)}
            for r in register.iter_rows(named=True)]
