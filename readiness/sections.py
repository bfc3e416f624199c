"""The report's prose sections as Markdown, written from an assessment's frames.

Sentences are templates filled with computed numbers; nothing here is typed in by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from readiness import attestations as att
from readiness import store, tables
from readiness.assessment import Assessment
from readiness.schema import FLEET, OVERALL

REVIEW_EVERY = timedelta(days=28)


def _ready(a: Assessment) -> bool:
    return a.verdict == a.rubric.labels["ready"]


def status(a: Assessment) -> str:
    """Headline: current vs target, and the verdict."""
    mark = "✅" if _ready(a) else "❌"
    text = "READY FOR PRODUCTION" if _ready(a) else "NOT READY FOR PRODUCTION"
    if a.demo:
        demo = (f"\n\n> Built from the **demo fleet** (simulated data, weekly snapshots up to "
                f"{a.newest_snapshot}), not from a real cluster.")
    elif (age := a.stale_today()) is not None:
        demo = (f"\n\n> ⚠️ **Stale data**: the newest snapshot in `{a.data_dir}` is {age} days old today. "
                "Collect again (`readiness collect`) before relying on this verdict.")
    else:
        demo = ""
    if missing := a.no_fresh_evidence():  # said first: these clusters' checks are unknown, not failed
        demo += (f"\n\n> ⚠️ **No fresh evidence** for {len(missing)} of {a.snapshots['cluster'].n_unique()} "
                 "clusters; their checks count as unknown:\n" + "".join(f">\n> - {m}\n" for m in missing))
    rule = (f"production needs more than {a.rubric.ready_above:g}%"
            + (" and no open blocker" if a.rubric.require_blockers_resolved else ""))
    return (f"## Current Status: {tables.pct(a.overall)} → Target: {tables.pct(a.target_overall)}\n\n"
            f"**Verdict**: {mark} **{text}** (as of {a.as_of}, rubric {a.rubric.version}; {rule}; the target "
            f"is what the category targets add up to){demo}\n")


def _category_scores(a: Assessment) -> list[tuple[str, str, float]]:
    fleet = a.scores.filter((pl.col("cluster") == FLEET) & (pl.col("category") != OVERALL))
    return sorted(((r["category"], a.rubric.categories[r["category"]].name, r["score"])
                   for r in fleet.iter_rows(named=True)), key=lambda t: -t[2])


def executive_summary(a: Assessment, previous: Assessment | None = None) -> str:
    cats = _category_scores(a)
    top = [name for _, name, score in cats if score == cats[0][2]]
    low = [name for _, name, score in cats if score == cats[-1][2]]
    n = len(a.open_blockers)
    lines = [
        f"The fleet of {a.findings['cluster'].n_unique()} clusters scores **{tables.pct(a.overall)}** overall "
        f"against a target of {tables.pct(a.target_overall)}, with {tables.pct(100 * a.coverage)} of the "
        "rubric's weight evaluated.",
        f"Strongest: {', '.join(top)} ({tables.pct(cats[0][2])}); weakest: {', '.join(low)} "
        f"({tables.pct(cats[-1][2])}).",
        (f"**{n} production blocker{'s' if n != 1 else ''}** remain{'s' if n == 1 else ''} open "
         f"({', '.join(a.open_blockers)})." if n else "All production blockers are resolved."),
    ]
    if previous is not None:
        delta = round(a.overall, 1) - round(previous.overall, 1)
        moved = f"moved {delta:+.1f} points (from {tables.pct(previous.overall)})" if delta else "did not move"
        lines.append(f"Since the last report ({previous.as_of}) the overall {moved}.")
    if a.overall > a.rubric.ready_above and n:
        lines.append(f"The score is above {a.rubric.ready_above:g}%, but open blockers keep the verdict at "
                     f"{a.verdict}.")
    return " ".join(lines) + "\n"


def ready_and_missing(a: Assessment) -> str:
    """Per category: what's working and what's missing, each line naming its check."""
    out = []
    fc = a.fleet_checks
    for cid, name, score in sorted(_category_scores(a), key=lambda t: list(a.rubric.categories).index(t[0])):
        checks = fc.filter(pl.col("category") == cid).sort("weight", descending=True)
        out.append(f"### {name} ({tables.pct(score)}) {a.rubric.band(score, a.rubric.categories[cid].target)}\n")
        working = [r for r in checks.iter_rows(named=True) if r["holds"]]
        missing = [r for r in checks.iter_rows(named=True) if not r["holds"]]
        if working:
            out.append("**What's working**:\n")
            for r in working:
                waived = r["waived_clusters"]
                note = f": holds with a waiver on {', '.join(waived)} (see Waivers)" if waived else ""
                out.append(f"- {'☑️' if waived else '✅'} **{a.rubric.checks[r['check_id']].title}** "
                           f"(`{r['check_id']}`){note}")
            out.append("")
        if missing:
            out.append("**What's missing**:\n")
            for r in missing:
                where = ", ".join(r["failing_clusters"])
                mark = "❓" if r["status"] == "unknown" else "⚠️" if r["status"] == "partial" else "❌"
                out.append(f"- {mark} **{a.rubric.checks[r['check_id']].title}** (`{r['check_id']}`): "
                           f"{r['status']}, {r['s']:.0%} across the fleet; not on {where}")
            out.append("")
    return "\n".join(out) + "\n"


def blockers(a: Assessment) -> str:
    """Each blocker with its success criteria, met or not."""
    out = []
    n = len(a.rubric.blockers)
    open_n = len(a.open_blockers)
    out.append(f"{open_n} of {n} production blockers are open.\n")
    for i, (bid, crit) in enumerate(a.blockers.group_by("blocker", maintain_order=True), start=1):
        b = a.rubric.blockers[str(bid[0])]
        resolved = bool(crit["resolved"][0])
        out.append(f"### Blocker #{i}: {b.title} {'✅' if resolved else '❌'}\n")
        out.append(f"**Impact**: {b.impact}  \n**Resolution**: {b.resolution}  \n"
                   f"**Status**: {'resolved' if resolved else 'open'}\n")
        out.append("**Success Criteria**:\n")
        for r in crit.iter_rows(named=True):
            extra = f" (open: {', '.join(f'`{c}`' for c in r['open_checks'])})" if r["open_checks"] else ""
            out.append(f"- {'✅' if r['met'] else '❌'} {r['text']}{extra}")
        out.append("")
    return "\n".join(out) + "\n"


def criteria(a: Assessment) -> str:
    """The production criteria checklist."""
    return "\n".join(f"- {'✅' if r['met'] else '❌'} {r['text']}" for r in a.criteria.iter_rows(named=True)) + "\n"


def freshness(a: Assessment, today: date | None = None) -> str:
    """Per cluster: the snapshot used, its age on the as-of day, its status, and how much of the
    catalogue was readable; then how old the newest snapshot is ``today`` (default: now)."""
    used = a.findings.select("cluster", "snapshot_id", "collected_at").unique().sort("cluster")
    snaps = a.snapshots.select("cluster", "snapshot_id", "source", "status", "error")
    cov = store.scan(a.data_dir, "coverage", sorted(set(used["cluster"].to_list()))).filter(
        pl.col("snapshot_id").is_in(used["snapshot_id"].unique().to_list())).collect()
    cov = cov.group_by("cluster", "snapshot_id").agg(
        (pl.col("outcome").is_in(["ok", "absent"])).mean().alias("readable"),
        pl.col("kind").filter(pl.col("outcome").is_in(["forbidden", "error"])).alias("unreadable"))
    rows = []
    for r in used.join(snaps, on=["cluster", "snapshot_id"], how="left").join(
            cov, on=["cluster", "snapshot_id"], how="left").iter_rows(named=True):
        at: datetime = r["collected_at"]
        coverage = a.scores.filter((pl.col("cluster") == r["cluster"]) & (pl.col("category") == OVERALL))
        rows.append({"Cluster": r["cluster"], "Snapshot": f"{at:%Y-%m-%d %H:%M} UTC", "Source": r["source"],
                     "Age": f"{(a.as_of - at.date()).days} d", "Status": r["status"],
                     "Resource types readable": tables.pct(100 * (r["readable"] if r["readable"] is not None else 1)),
                     "Rubric weight evaluated": tables.pct(100 * float(coverage["coverage"][0])),
                     "Unreadable": ", ".join(r["unreadable"] or []) or "-"})
    stale = a.rubric.stale_after_days
    today = today or datetime.now(UTC).date()
    newest = a.snapshots["collected_at"].max().date()  # type: ignore[union-attr]
    return (tables.markdown(rows) + f"\nAges are counted on the as-of day ({a.as_of}); a snapshot older than "
            f"{stale} days counts as unknown on every check. Today ({today}) the newest snapshot in the data is "
            f"{(today - newest).days} days old" + (" (demo data: a simulated history)." if a.demo else ".") + "\n")


def waivers(a: Assessment) -> str:
    """Waivers in force on the as-of day, and what they change."""
    active = [w for w in att.load_waivers(a.data_dir) if w.expires >= a.as_of]
    if not active:
        return "No waivers are in force.\n"
    rows = [{"Check": f"`{w.check}`", "Cluster": w.cluster, "Reason": w.reason, "Owner": w.owner,
             "Expires": str(w.expires), "Days left": (w.expires - a.as_of).days} for w in active]
    return (tables.markdown(rows) + f"\nWith waivers the overall is {a.overall:.1f}%; without them "
            f"{a.score(waivers=False):.1f}%.\n")


def conclusion(a: Assessment) -> str:
    n = len(a.open_blockers)
    if _ready(a):
        return (f"The fleet is **READY FOR PRODUCTION**: {tables.pct(a.overall)} overall (above "
                f"{a.rubric.ready_above:g}%) and all blockers resolved.\n")
    why = []
    if a.overall <= a.rubric.ready_above:
        why.append(f"the overall is {tables.pct(a.overall)} (must be above {a.rubric.ready_above:g}%)")
    if n:
        titles = "; ".join(a.rubric.blockers[b].title for b in a.open_blockers)
        why.append(f"{n} blocker{'s' if n != 1 else ''} open ({titles})")
    return f"The fleet is **NOT READY FOR PRODUCTION**: {' and '.join(why)}.\n"


def next_review(a: Assessment) -> str:
    return f"**Next Review**: {a.as_of + REVIEW_EVERY} (four weeks after this assessment)\n"


def plan_summary(b: Any, progress: pl.DataFrame) -> str:
    """The plan's size, what was spent and earned, and the source documents' inconsistencies."""
    p = b.plan
    last = b.weeks.tail(1).row(0, named=True) if b.weeks.height else None
    done = progress.filter(pl.col("share") >= 1.0).height
    started = progress.filter((pl.col("share") > 0) & (pl.col("share") < 1.0)).height
    lines = [f"**Phase 1: {p.weeks}-{p.max_weeks} weeks, {p.total_hours:g} hours**, from {p.start} "
             f"({len(p.work_packages)} work packages)."]
    if last:
        lines.append(f"As of week {last['week']} ({last['snapshot']}), **{last['earned']:.1f} hours are earned** "
                     f"(each work package earns the share of its hours its checks prove: {done} of "
                     f"{len(p.work_packages)} complete, {started} partly proven), "
                     f"{last['spent']:.1f} hours were spent according to the work log, and "
                     f"**{last['remaining']:.1f} hours remain**; the ideal line is at {last['ideal_remaining']:.1f}.")
    text = " ".join(lines) + "\n"
    if p.warnings:
        text += "\nThe source documents do not reconcile:\n\n" + "\n".join(f"- ⚠️ {w}" for w in p.warnings) + "\n"
    return text


def forecast(b: Any) -> str:
    """The forecast sentence(s): hours to zero, and the readiness crossing."""
    fc = b.forecast
    if fc.date is None:
        hours = f"**No forecast of the remaining hours**: {fc.reason}."
    elif fc.low == fc.high == fc.date and not fc.velocity:
        hours = f"**Done**: every planned hour was earned by **{fc.date}** ({fc.reason})."
    else:
        hours = (f"**Forecast**: the remaining hours reach 0 on **{fc.date}** (range {fc.low} to "
                 f"{fc.high or 'open'}); {fc.reason}.")
    crossing = f"Readiness {fc.readiness_target:g}%: {fc.readiness_reason}."
    return f"{hours}\n\n{crossing}\n"


def scoring_note(a: Assessment) -> str:
    """How to read the scores: the formula and the rubric's category weights."""
    weights = ", ".join(f"{c.name} {c.weight:g}" for c in a.rubric.categories.values())
    return (f"*How the scores are computed*: a category's score is the weighted mean of its checks' scores "
            "(a check scores 0..1; unknown counts 0 and lowers coverage; waived counts 1 with waivers). For the "
            "fleet, a check scores the mean over the clusters it applies to and holds only if it holds on every "
            "one of them, so a check that applies to one cluster weighs as much in the fleet as a fleet-wide one. "
            f"The overall weighs the categories: {weights}. `readiness explain CHECK_ID` shows any check's "
            "evidence.\n")
