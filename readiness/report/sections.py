"""The report's prose sections as Markdown, written from an assessment's frames.

Sentences are templates filled with computed numbers; nothing here is typed in by hand.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import polars as pl

from readiness import store
from readiness.assess import attestations as att
from readiness.assess.assessment import Assessment
from readiness.report import tables
from readiness.store.repofacts import ANY_KIND, REPO_API, UNFOLLOWED
from readiness.store.schema import FLEET, OVERALL

REVIEW_EVERY = timedelta(days=28)
NOTHING_UNREAD = ("Nothing was left unread: every Kustomization built, every Flux and Argo CD source was followed and "
                  "every file was read (resource types a cluster did not let us read are under Unreadable above).\n")


def _ready(a: Assessment) -> bool:
    return a.verdict == a.rubric.labels["ready"]


def status(a: Assessment, grouping: Any = None) -> str:
    """Headline: current vs target, and the verdict; in a large fleet (``grouping``:
    ``context.Grouping``) only the first ``shown`` clusters without fresh evidence are named."""
    mark = tables.OK if _ready(a) else tables.BAD
    text = "READY FOR PRODUCTION" if _ready(a) else "NOT READY FOR PRODUCTION"
    if a.demo:
        demo = (f"\n\n> Built from the **demo fleet** (simulated data, weekly snapshots up to "
                f"{a.newest_snapshot}), not from a real cluster.")
    elif (age := a.stale_today()) is not None:
        demo = (f"\n\n> {tables.WARN} **Stale data**: the newest snapshot in `{a.data_dir}` is {age} days old today. "
                "Collect again (`readiness collect`) before relying on this verdict.")
    else:
        demo = ""
    demo += _evidence_view(a, grouping)
    if missing := a.no_fresh_evidence():  # said first: these clusters' checks are unknown, not failed
        listed = missing if grouping is None or not grouping.large else missing[:grouping.shown]
        more = (f">\n> - and {len(missing) - len(listed)} more (Data Freshness and Coverage lists them)\n"
                if len(listed) < len(missing) else "")
        demo += (f"\n\n> ⚠️ **No fresh evidence** for {len(missing)} of {a.snapshots['cluster'].n_unique()} "
                 "clusters; their checks count as unknown:\n" + "".join(f">\n> - {m}\n" for m in listed) + more)
    rule = (f"production needs more than {a.rubric.ready_above:g}%"
            + (" and no open blocker" if a.rubric.require_blockers_resolved else ""))
    return (f"## Current Status: {tables.pct(a.overall)} → Target: {tables.pct(a.target_overall)}\n\n"
            f"**Verdict**: {mark} **{text}** (as of {a.as_of}, rubric {a.rubric.version}; {rule}; the target "
            f"is what the category targets add up to){demo}\n")


_VIEW_WORDS = {
    "repository, deployed view": "the repository's **deployed view** (what each cluster gets from its Flux "
                                 "Kustomizations and Argo CD Applications)",
    "repository, files view": "the repository's **files view** (every manifest as written)",
}


def _evidence_view(a: Assessment, grouping: Any = None) -> str:
    """A note saying which evidence the findings read when some come from a repository: declared state,
    not what runs (``Assessment.views``); '' when every cluster was read live or simulated."""
    views = a.views
    by_view: dict[str, list[str]] = {}
    for cluster, view in views.items():
        by_view.setdefault(view, []).append(cluster)
    if not any(v in _VIEW_WORDS for v in by_view):
        return ""
    parts = [f"{_where(names, grouping)}: {_VIEW_WORDS.get(view, 'a live collection')}"
             for view, names in sorted(by_view.items())]
    return ("\n\n> **Evidence**: " + "; ".join(parts) + ". A repository shows what is *declared*, not what runs: "
            "a check of running state passes on a declaration, and is unknown where only a cluster can show it "
            "(collect from the clusters with `readiness collect` to see what runs).")


def _category_scores(a: Assessment) -> list[tuple[str, str, float]]:
    fleet = a.scores.filter((pl.col("cluster") == FLEET) & (pl.col("category") != OVERALL))
    return sorted(((r["category"], a.rubric.categories[r["category"]].name, r["score"])
                   for r in fleet.iter_rows(named=True)), key=lambda t: -t[2])


def _gap_phrase(g: dict[str, Any], a: Assessment) -> str:
    """'**Backup & DR** (9.1% against 90%: 9.5 points of the overall at stake; blocker B2 ...; 16 planned
    hours left)'."""
    blockers = "; ".join(f"blocker {b} {a.rubric.blockers[b].title}" for b in g["open_blockers"])
    hours = f"{g['hours_left']:g} planned hours left" if g["hours_left"] else "no planned hours"
    return (f"**{g['name']}** ({tables.pct(g['score'])} against {tables.pct(g['target'])}: "
            f"{g['at_stake']:g} points of the overall at stake; {blockers + '; ' if blockers else ''}{hours})")


def executive_summary(a: Assessment, previous: Assessment | None = None, recs: Any = None) -> str:
    """The score against the target, the strongest category, the largest gaps with their blockers
    and planned hours (``recs``: ``recommend.Recommendations``), the open blockers, the change since
    the last report."""
    cats = _category_scores(a)
    top = [name for _, name, score in cats if score == cats[0][2]]
    n = len(a.open_blockers)
    strongest = (f"Strongest: {', '.join(top)} ({tables.pct(cats[0][2])})." if cats[0][2] > cats[-1][2]
                 else f"Every category scores {tables.pct(cats[0][2])}.")
    lines = [
        f"The fleet of {a.findings['cluster'].n_unique()} clusters scores **{tables.pct(a.overall)}** overall "
        f"against a target of {tables.pct(a.target_overall)}, with {tables.pct(100 * a.coverage)} of the "
        f"rubric's weight evaluated. {strongest}",
    ]
    if recs is not None:
        gaps = sorted((g for g in recs.categories if g["at_stake"] > 0), key=lambda g: -g["at_stake"])[:3]
        if gaps:
            lines.append("The largest gaps: " + "; ".join(_gap_phrase(g, a) for g in gaps) + ".")
        hours = round(sum(x.hours or 0 for x in recs.actions), 1)
        if hours:
            lines.append(f"The plan has {round(hours, 1):g} hours left for the open checks.")
    lines.append(f"**{n} production blocker{'s' if n != 1 else ''}** remain{'s' if n == 1 else ''} open "
                 f"({', '.join(a.open_blockers)})." if n else "All production blockers are resolved.")
    if previous is not None:
        delta = round(a.overall, 1) - round(previous.overall, 1)
        moved = f"moved {delta:+.1f} points (from {tables.pct(previous.overall)})" if delta else "did not move"
        lines.append(f"Since the last report ({previous.as_of}) the overall {moved}.")
    if a.overall > a.rubric.ready_above and n:
        lines.append(f"The score is above {a.rubric.ready_above:g}%, but open blockers keep the verdict at "
                     f"{a.verdict}.")
    return " ".join(lines) + "\n"


def thresholds(a: Assessment, context: Any = None) -> str:
    """One explanation of the numbers a reader meets: the production bar, the target, and the
    reference assessment's own target when ``context`` (``render_context.ReportContext``) has one."""
    text = (f"*Three thresholds, one story*: the **production bar** is the rubric's verdict rule, an overall above "
            f"{a.rubric.ready_above:g}%"
            + (" with every blocker resolved" if a.rubric.require_blockers_resolved else "")
            + f"; the **target** of {tables.pct(a.target_overall)} is where the category targets (After in "
            "the table) lead, weighted like the scores, so meeting every target clears the bar with room to "
            "spare.")
    ref = getattr(context, "reference", None)
    if ref is not None and ref.target is not None:
        gap = round(ref.target - round(a.target_overall, 1), 1)
        when = f" of {ref.day}" if ref.day else ""
        text += (f" {ref.title}{when} set {tables.pct(ref.target)}: the same category targets, "
                 + ("rounded" if abs(gap) < 1 else "added up differently")
                 + f" ({gap:+g} points).")
        if ref.overall is not None and ref.day is not None:
            text += f" It scored the fleet {tables.pct(ref.overall)} then."
    return text + "\n"


_STATUS_MARK = {"unknown": tables.UNKNOWN, "partial": tables.WARN, "fail": tables.BAD}


def _assessment_line(a: Assessment, g: dict[str, Any], score: float, target: float | None) -> str:
    """What holds, and a judgement from the rubric's bands (the same as the Status column)."""
    if target is not None and score >= target:
        judgement = "it meets its target; keep it there"
    elif score >= a.rubric.bands.get("good", 90):
        judgement = "a strong foundation, close to its target"
    elif score >= a.rubric.bands.get("fair", 50):
        judgement = "a foundation with gaps"
    elif g["holding"]:
        judgement = "mostly missing: a critical gap"
    else:
        judgement = "nothing of it is in place: a critical gap"
    return f"**Assessment**: {g['holding']} of {g['checks']} checks hold on every cluster; {judgement}."


def _gap_line(g: dict[str, Any], a: Assessment, planned: bool = True) -> str:
    if not g["open_checks"]:
        return "**Gap analysis**: no gap: every check holds."
    head = (f"**Gap analysis**: {g['gap']:g} points below the target, {g['at_stake']:g} points of the overall at "
            "stake" if g["gap"] else "**Gap analysis**: on target; the open checks below would still add points")
    blockers = ", ".join(f"{b} ({a.rubric.blockers[b].title})" for b in g["open_blockers"])
    wps = ", ".join(g["work_packages"])
    return (head + (f"; open blockers: {blockers}" if blockers else "")
            + (f"; {g['hours_left']:g} planned hours left in {wps}." if wps
               else "; no work package in the plan." if planned else "; no plan.yaml, so no planned hours."))


def _where(names: list[str], grouping: Any) -> str:
    """The clusters ``names``, all of them; in a large fleet (``grouping``) counted per group instead
    (the ``shown`` groups with most of them, then how many more), or "any of the N clusters"."""
    if grouping is None or not grouping.large:
        return ", ".join(names)
    per: dict[str, int] = {}
    for n in names:
        per[grouping.groups.get(n, "ungrouped")] = per.get(grouping.groups.get(n, "ungrouped"), 0) + 1
    if len(names) == len(grouping.groups):
        return f"any of the {len(names)} clusters"
    top = sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{g} ({k})" for g, k in top[:grouping.shown])
    more = f" and {len(top) - grouping.shown} more groups" if len(top) > grouping.shown else ""
    return f"{len(names)} of {len(grouping.groups)} clusters: {text}{more}"


def _not_on(r: dict[str, Any], grouping: Any) -> str:
    """``not on air; unknown on pro, studio``: the clusters a fleet check row does not hold on, those
    where it is unknown (evidence missing) counted apart from those where it fails."""
    unsure = set(r.get("unknown_clusters") or ())
    failing = [c for c in r["failing_clusters"] if c not in unsure]
    parts = [f"not on {_where(failing, grouping)}"] if failing else []
    if unsure:
        parts.append(f"unknown on {_where(sorted(unsure), grouping)}")
    return "; ".join(parts)


def ready_and_missing(a: Assessment, recs: Any = None, grouping: Any = None) -> str:
    """Per category: what's working and what's missing, each line naming its check; with ``recs``
    (``recommend.Recommendations``) an assessment line and a gap analysis with the points at stake.
    In a large fleet (``grouping``: ``context.Grouping``) the clusters a check fails on are counted
    per group (``readiness explain CHECK_ID`` names them)."""
    out = []
    fc = a.fleet_checks
    gaps = {g["id"]: g for g in (recs.categories if recs is not None else ())}
    for cid, name, score in sorted(_category_scores(a), key=lambda t: list(a.rubric.categories).index(t[0])):
        checks = fc.filter(pl.col("category") == cid).sort("weight", descending=True)
        target = a.rubric.categories[cid].target
        out.append(f"### {name} ({tables.pct(score)}, {tables.band(a, score, target)})\n")
        working = [r for r in checks.iter_rows(named=True) if r["holds"]]
        missing = [r for r in checks.iter_rows(named=True) if not r["holds"]]
        if working:
            out.append("**What's working**:\n")
            for r in working:
                waived = r["waived_clusters"]
                note = f": holds with a waiver on {_where(waived, grouping)} (see Waivers)" if waived else ""
                out.append(f"- {tables.OK} **{a.rubric.checks[r['check_id']].title}** "
                           f"(`{r['check_id']}`){note}")
            out.append("")
        if missing:
            out.append("**What's missing**:\n")
            for r in missing:
                out.append(f"- {_STATUS_MARK.get(r['status'], tables.BAD)} **{a.rubric.checks[r['check_id']].title}** "
                           f"(`{r['check_id']}`): {r['status']}, {r['score']:.0%} across the fleet; "
                           f"{_not_on(r, grouping)}")
            out.append("")
        if cid in gaps:
            out += [_assessment_line(a, gaps[cid], score, target), "",
                    _gap_line(gaps[cid], a, getattr(recs, "planned", True)), ""]
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
        out.append(f"### Blocker #{i}: {b.title} ({tables.met(resolved, 'resolved', 'open')})\n")
        risk = f"**Risk**: {b.risk}  \n" if b.risk else ""
        out.append(f"**Impact**: {b.impact}  \n{risk}**Resolution**: {b.resolution}  \n"
                   f"**Status**: {'resolved' if resolved else 'open'}\n")
        out.append("**Success Criteria**:\n")
        for r in crit.iter_rows(named=True):
            extra = f" (open: {', '.join(f'`{c}`' for c in r['open_checks'])})" if r["open_checks"] else ""
            out.append(f"- {tables.met(bool(r['met']))}: {r['text']}{extra}")
        out.append("")
    return "\n".join(out) + "\n"


def criteria(a: Assessment) -> str:
    """The production criteria checklist, each unmet one naming the checks that keep it open (as blockers do)."""
    kinds = {str(c.get("id")): c for c in a.rubric.criteria}
    lines = []
    for r in a.criteria.iter_rows(named=True):
        extra = f" (open: {', '.join(f'`{c}`' for c in r['open_checks'])})" if r.get("open_checks") else ""
        if not r["met"] and "overall_above" in kinds.get(r["id"], {}):
            extra = f" (now {a.overall:.1f}%)"
        elif not r["met"] and kinds.get(r["id"], {}).get("blockers_resolved"):
            extra = f" (open: {', '.join(a.open_blockers)})"
        lines.append(f"- {tables.met(bool(r['met']))}: {r['text']}{extra}")
    return "\n".join(lines) + "\n"


def freshness(a: Assessment, today: date | None = None, grouping: Any = None) -> str:
    """Per cluster: the snapshot used, its age on the as-of day, its status, and how much of the
    catalogue was readable; then how old the newest snapshot is ``today`` (default: now). In a large
    fleet (``grouping``: ``context.Grouping``) per group, then the first ``shown`` clusters with a
    status other than ok or a resource type unreadable."""
    used = a.findings.select("cluster", "snapshot_id", "collected_at").unique().sort("cluster")
    snaps = a.snapshots.select("cluster", "snapshot_id", "source", "status", "error")
    cov = store.scan(a.data_dir, "coverage", sorted(set(used["cluster"].to_list()))).filter(
        pl.col("snapshot_id").is_in(used["snapshot_id"].unique().to_list())).collect()
    # a Kustomization that does not build is no resource type left unread ("What Was Not Read" names it)
    build = (pl.col("outcome") == "error") & pl.col("detail").fill_null("").str.contains(": does not build: ",
                                                                                          literal=True)
    cov = cov.group_by("cluster", "snapshot_id").agg(
        (pl.col("outcome").is_in(["ok", "absent"])).filter(~build).mean().alias("readable"),
        pl.col("kind").filter(pl.col("outcome").is_in(["forbidden", "error", "partial"]) & ~build)
        .unique(maintain_order=True).alias("unreadable"),
        build.sum().alias("unbuilt"))
    rows = []
    for r in used.join(snaps, on=["cluster", "snapshot_id"], how="left").join(
            cov, on=["cluster", "snapshot_id"], how="left").iter_rows(named=True):
        at: datetime = r["collected_at"]
        coverage = a.scores.filter((pl.col("cluster") == r["cluster"]) & (pl.col("category") == OVERALL))
        rows.append({"Cluster": r["cluster"], "Snapshot": f"{at:%Y-%m-%d %H:%M} UTC", "Source": r["source"],
                     "Age": f"{(a.as_of - at.date()).days} d", "Status": r["status"],
                     "Resource types readable": tables.pct(100 * (r["readable"] if r["readable"] is not None else 1)),
                     "Rubric weight evaluated": tables.pct(100 * float(coverage["coverage"][0])),
                     "Unreadable": ", ".join((r["unreadable"] or []) + (
                         [f"{r['unbuilt']} Kustomization build{'s' if r['unbuilt'] != 1 else ''} failed"]
                         if r["unbuilt"] else [])) or "-"})
    stale = a.rubric.stale_after_days
    today = today or datetime.now(UTC).date()
    newest = cast(datetime, a.snapshots["collected_at"].max()).date()  # a Datetime column's max
    table = tables.markdown(rows) if grouping is None or not grouping.large else _freshness_groups(rows, grouping)
    return (table + f"\nAges are counted on the as-of day ({a.as_of}); a snapshot older than "
            f"{stale} days counts as unknown on every check. Today ({today}) the newest snapshot in the data is "
            f"{(today - newest).days} days old" + (" (demo data: a simulated history)." if a.demo else ".") + "\n")


def not_read(a: Assessment, most: int = 20, unapplied_most: int = 8) -> str:
    """What the repository collector could not read (``unread``), then the files the repository declares but
    no cluster applies (``unapplied``, at most ``unapplied_most`` of them) when there are any."""
    tail = unapplied(a, unapplied_most)
    return unread(a, most) + (f"\n{tail}" if tail else "")


def unapplied(a: Assessment, most: int = 8) -> str:
    """The manifest files the repository declares but no cluster of its deployed view applies: how many, the
    kinds they hold (the most common first, with the alerting rules of their PrometheusRules), then the first
    ``most`` files (PrometheusRule files first, then by path) with their kinds; '' when there are none.

    Source: the ``Unapplied`` facts (``readiness.collect.unapplied``) of the snapshots the assessment uses."""
    used = a.findings.select("cluster", "snapshot_id").unique()
    clusters = sorted(set(used["cluster"].to_list()))
    if not clusters:
        return ""
    ids = used["snapshot_id"].unique().to_list()
    rows = (store.scan(a.data_dir, "objects", clusters).filter(pl.col("snapshot_id").is_in(ids))
            .filter((pl.col("api_version") == REPO_API) & (pl.col("kind") == "Unapplied")).select("spec").collect())
    files: dict[str, dict[str, Any]] = {}
    for spec in rows["spec"].to_list():
        u = json.loads(spec or "{}")
        files.setdefault(str(u.get("path")), u)
    if not files:
        return ""
    kinds: Counter[str] = Counter()
    for u in files.values():
        for k in u.get("kinds") or []:
            kinds[str(k.get("kind"))] += int(k.get("count") or 0)
    alerts = sum(int(u.get("alerts") or 0) for u in files.values())
    order = sorted(kinds.items(), key=lambda kn: (kn[0] != "PrometheusRule", -kn[1], kn[0]))  # rules first
    held = ", ".join(f"{n} {k}" + (f" ({_rules(alerts)})" if k == "PrometheusRule" and alerts else "")
                     for k, n in order[:6]) + (f" and {len(kinds) - 6} more kinds" if len(kinds) > 6 else "")
    n = len(files)
    lines = [f"The repository declares {n} manifest file{'s' if n != 1 else ''} that no cluster applies (no "
             f"Kustomization or Application of any cluster reaches {'them' if n != 1 else 'it'}, so no check counts "
             f"{'them' if n != 1 else 'it'}): {held}.\n"]
    rules = {p for p, u in files.items() if any(k.get("kind") == "PrometheusRule" for k in u.get("kinds") or [])}
    first = sorted(files, key=lambda p: (p not in rules, p))
    for path in first[:most]:
        u = files[path]
        what = ", ".join(f"{k.get('count')} {k.get('kind')}" for k in u.get("kinds") or [])
        lines.append(f"- `{path}`: {what}" + (f" ({_rules(int(u['alerts']))})" if u.get("alerts") else ""))
    if n > most:
        lines.append(f"- and {n - most} more file{'s' if n - most != 1 else ''} (the snapshot's `Unapplied` facts "
                     "name each)")
    return "\n".join(lines) + "\n"


def _rules(n: int) -> str:
    return f"{n} alerting rule{'s' if n != 1 else ''}"


def unread(a: Assessment, most: int = 20) -> str:
    """What the repository collector could not read in the snapshots the assessment uses: each Flux
    Kustomization that does not build (its path, the error, the clusters, and the kinds it could hold
    beyond the objects read anyway: its ``Build`` fact's ``hides``), each Argo CD source not followed and each
    chart of the repository an Application installs unrendered (``Build`` renderer ``helm (not rendered)``),
    then each skipped file with its reason (at most ``most`` files, then how many more). One bullet per
    item, its clusters beside it; ``NOTHING_UNREAD`` when nothing was missed (a live snapshot's unreadable
    resource types are in ``freshness``).

    Source: the ``coverage`` rows with outcome ``error`` (kind Kustomization), ``partial`` (Argo CD,
    ``repofacts.UNFOLLOWED``) and ``skipped``, and the ``Build`` facts of those snapshots."""
    used = a.findings.select("cluster", "snapshot_id").unique()
    clusters = sorted(set(used["cluster"].to_list()))
    if not clusters:
        return NOTHING_UNREAD
    ids = used["snapshot_id"].unique().to_list()
    cov = (store.scan(a.data_dir, "coverage", clusters).filter(pl.col("snapshot_id").is_in(ids))
           .filter(pl.col("outcome").is_in(["error", "partial", "skipped"]) & pl.col("detail").is_not_null())
           .select("cluster", "kind", "outcome", "detail").collect())
    builds = (store.scan(a.data_dir, "objects", clusters).filter(pl.col("snapshot_id").is_in(ids))
              .filter((pl.col("api_version") == REPO_API) & (pl.col("kind") == "Build"))
              .select("cluster", "spec").collect())
    failed: dict[str, dict[str, Any]] = {}
    items: dict[tuple[int, str], list[str]] = {}
    for cluster, spec in builds.sort("cluster").iter_rows():
        b = json.loads(spec or "{}")
        if not b.get("ok"):
            failed[str(b.get("by"))] = b
        elif str(b.get("renderer") or "").startswith("helm (not rendered)"):
            # a chart of the repository: what it installs is read from its values, what it templates is not
            text = (f"**{b.get('by')}** (path {b.get('path')}): a Helm chart of this repository, not rendered "
                    "(readiness does not run helm): its dependencies and values are read as facts, its templates "
                    "are not read")
            on = items.setdefault((1, text), [])
            if cluster not in on:
                on.append(cluster)
    if cov.is_empty() and not items:
        return _nothing_unread(a)
    for r in cov.sort("cluster").iter_rows(named=True):
        detail = str(r["detail"])
        if r["outcome"] == "error" and r["kind"] == "Kustomization" and " (path " in detail:
            by = detail.split(" (path ", 1)[0]
            b = failed.get(by, {})
            h, n = b.get("hides"), int(b.get("objects") or 0)
            more = ("nothing" if h == [] else "any kind" if not isinstance(h, list) or ANY_KIND in h
                    else ", ".join(map(str, h)))
            beyond = ("it holds nothing more" if more == "nothing" else
                      f"beyond them it could hold objects of {more}")
            read = (f"its {n} object{'s' if n != 1 else ''} were read as declared by the built-in reader (a "
                    f"finding resting only on them is unknown); {beyond}" if n else
                    f"nothing of it could be read; it could hold objects of {more}")
            text = f"**{by}** (path {detail.split(' (path ', 1)[1]}; Flux applies none of it; {read}"
            key = (0, text)
        elif r["outcome"] == "partial" and UNFOLLOWED in detail:
            what, why = detail.split(UNFOLLOWED, 1)
            key = (1, f"**{what}**: not followed: {why}")
        elif r["outcome"] == "skipped":
            path, _, why = detail.partition(": ")
            key = (2, f"`{path}`: {why or 'skipped'}")
        else:
            continue
        if r["cluster"] not in items.setdefault(key, []):
            items[key].append(r["cluster"])
    if not items:
        return _nothing_unread(a)
    every = len(clusters)
    lines = ["What the repository collector could not read; a check whose kinds could hide there is unknown, "
             "or its reason names what was not read:\n"]
    files = 0
    for (order, text), on in sorted(items.items()):
        if order == 2:
            files += 1
            if files > most:
                continue
        where = "every cluster" if len(on) == every and every > 1 else ", ".join(on)
        lines.append(f"- {text} (on {where})")
    if files > most:
        lines.append(f"- and {files - most} more file{'s' if files - most != 1 else ''} "
                     "(`readiness collect` prints each)")
    return "\n".join(lines) + "\n"


def _nothing_unread(a: Assessment) -> str:
    """``NOTHING_UNREAD``, or for repository snapshots read in the files view what that view did not do."""
    if any(v.endswith("files view") for v in a.views.values()):
        return ("Nothing was left unread: every file was read. In the files view, Kustomizations and Argo CD "
                "Applications are not followed: the numbers are the repository's, not what a cluster gets.\n")
    return NOTHING_UNREAD


def _freshness_groups(rows: list[dict[str, Any]], grouping: Any) -> str:
    """The freshness ``rows`` (one per cluster) summed up per group, then the clusters to look at."""
    per: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        per.setdefault(grouping.groups.get(r["Cluster"], "ungrouped"), []).append(r)
    summary = [{"Group": g, "Clusters": len(rs),
                "Oldest snapshot": max(rs, key=lambda r: int(r["Age"].split()[0]))["Age"],
                "Status not ok": sum(r["Status"] != "ok" for r in rs),
                "With unreadable types": sum(r["Unreadable"] != "-" for r in rs)} for g, rs in sorted(per.items())]
    odd = [r for r in rows if r["Status"] != "ok" or r["Unreadable"] != "-"]
    out = tables.markdown(summary)
    if odd:
        shown = odd[:grouping.shown]
        more = f" (the first {len(shown)} by name)" if len(odd) > len(shown) else ""
        out += f"\n{len(odd)} clusters have a status other than ok or unreadable resource types{more}:\n\n"
        out += tables.markdown(shown)
    return out


def clusters(a: Assessment, grouping: Any = None) -> str:
    """Cluster by cluster: every cluster's scores; in a large fleet (``grouping``: ``context.Grouping``
    with more clusters than ``aggregate_above``) a summary per group, then the ``shown`` lowest and
    highest overall scores (``tables.ranked``); every cluster is in the appendix and in clusters.csv."""
    if grouping is None or not grouping.large:
        return tables.markdown(tables.clusters(a))
    scores = tables.cluster_scores(a, grouping)
    lowest, highest = tables.ranked(scores, grouping.shown)
    n_groups = len(set(grouping.groups.values()))
    return (f"{len(grouping.groups)} clusters in {n_groups} groups (by {', '.join(grouping.layout.group_by)}, "
            f"else role, in fleet.yaml). Below: each group, then the {len(lowest)} lowest and {len(highest)} "
            "highest overall scores; every cluster is in the appendix and in "
            "[`clusters.csv`](clusters.csv) beside this report.\n\n"
            "### By Group\n\n" + tables.markdown(tables.groups(a, grouping))
            + f"\n### The {len(lowest)} Lowest\n\n" + tables.markdown(tables.clusters(a, lowest, grouping))
            + f"\n### The {len(highest)} Highest\n\n" + tables.markdown(tables.clusters(a, highest, grouping)))


def appendix(a: Assessment, grouping: Any = None) -> str:
    """'Appendix: Every Cluster' in a large fleet (``grouping``): every cluster's scores by group
    and name ("" otherwise: the cluster table already lists them all)."""
    if grouping is None or not grouping.large:
        return ""
    order = sorted(grouping.groups, key=lambda c: (grouping.groups[c], c))
    return ("## Appendix: Every Cluster\n\nEvery cluster's scores, by group and name (also in "
            "[`clusters.csv`](clusters.csv)).\n\n" + tables.markdown(tables.clusters(a, order, grouping)))


def waivers(a: Assessment) -> str:
    """Waivers in force on the as-of day, and what they change."""
    active = [w for w in att.load_waivers(a.data_dir) if w.expires >= a.as_of]
    if not active:
        return "No waivers are in force.\n"
    rows = [{"Check": f"`{w.check}`", "Cluster": w.cluster, "Reason": w.reason, "Owner": w.owner,
             "Expires": str(w.expires), "Days left": (w.expires - a.as_of).days} for w in active]
    return (tables.markdown(rows) + f"\nWith waivers the overall is {a.overall:.1f}%; without them "
            f"{a.score(waivers=False):.1f}%.\n")


def _milestone(b: Any, recs: Any) -> str:
    """The next milestone: the open work package (hours left) due first, with the blockers it clears."""
    packages = {p["id"]: p for p in (recs.packages if recs is not None else ()) if p["hours"]}
    due = sorted((wp for wp in b.plan.work_packages.values() if wp.id in packages),
                 key=lambda wp: (wp.last_week, wp.id))
    if not due:
        return ""
    wp = due[0]
    p = packages[wp.id]
    clears = f", clearing {', '.join(p['clears'])}" if p["clears"] else ""
    weeks = f"week{'s' if wp.first_week != wp.last_week else ''} {wp.window}"
    due = b.plan.week_end(wp.last_week)
    late = ", overdue" if b.as_of is not None and due < b.as_of else ""
    return (f"**Next milestone**: {wp.id} {wp.title} (plan {weeks}, due {due}{late}): "
            f"{p['hours']:g} hours left for +{p['points']:g} points{clears}.")


def conclusion(a: Assessment, b: Any = None, recs: Any = None) -> str:
    """The verdict and why; with ``b`` (``plan.Burndown``) the forecast and readiness dates and,
    with ``recs`` too, the next milestone."""
    n = len(a.open_blockers)
    if _ready(a):
        text = (f"The fleet is **READY FOR PRODUCTION** ({tables.OK}): {tables.pct(a.overall)} overall (above "
                f"{a.rubric.ready_above:g}%) and all blockers resolved.")
    else:
        why = []
        if a.overall <= a.rubric.ready_above:
            why.append(f"the overall is {tables.pct(a.overall)} (must be above {a.rubric.ready_above:g}%)")
        if n:
            titles = "; ".join(a.rubric.blockers[x].title for x in a.open_blockers)
            why.append(f"{n} blocker{'s' if n != 1 else ''} open ({titles})")
        text = f"The fleet is **NOT READY FOR PRODUCTION** ({tables.BAD}): {' and '.join(why)}."
    lines = [text]
    if b is not None:
        fc = b.forecast
        if fc.readiness_date is not None and fc.readiness_date <= a.as_of:
            lines.append(f"Readiness has been above {fc.readiness_target:g}% since **{fc.readiness_date}**.")
        elif fc.readiness_date is not None:
            lines.append(f"Readiness is forecast above {fc.readiness_target:g}% from **{fc.readiness_date}**: "
                         f"{fc.readiness_reason}.")
        else:
            lines.append(f"No date for readiness above {fc.readiness_target:g}% yet: {fc.readiness_reason}.")
        p, left = b.plan, (b.weeks["remaining"][-1] if b.weeks.height else b.plan.total_hours)
        lines.append(f"{p.name} ({p.weeks}-{p.max_weeks} weeks, {p.total_hours:g} hours) has {left:g} hours left.")
        if fc.date is not None and fc.velocity:
            lines.append(f"At the current pace the plan's remaining hours are done on **{fc.date}**.")
        elif fc.date is not None:
            lines.append(f"Every planned hour was earned by **{fc.date}**.")
        if recs is not None and (m := _milestone(b, recs)):
            lines.append(m)
    return "\n\n".join(lines) + "\n"


def next_review(a: Assessment) -> str:
    """The report's "Next Review" line (Markdown): ``REVIEW_EVERY`` (28 days) after ``as_of``."""
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
        text += ("\nThe source documents do not reconcile:\n\n"
                 + "\n".join(f"- {tables.WARN} {w}" for w in p.warnings) + "\n")
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
    when = f"**{fc.readiness_date}**; " if fc.readiness_date else ""
    crossing = f"Readiness {fc.readiness_target:g}%: {when}{fc.readiness_reason}."
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


def recommendations(recs: Any, top: int = 10) -> str:
    """What to do next: work packages, then single checks, ranked by points gained per planned hour; without
    a plan (``recs.planned`` false) the open checks by points alone, saying there is no plan."""
    if not recs.actions:
        return "Nothing to recommend: every check holds on every cluster.\n"
    if not getattr(recs, "planned", True):
        def named(actions: list[Any]) -> str:
            return "; ".join(f"`{x.check_id}` +{x.points:.2f} points" + (f" ({', '.join(x.blockers)})" if x.blockers
                                                                          else "")
                             for x in sorted(actions, key=lambda x: (-x.points, x.check_id))) + "."
        to_fix = [x for x in recs.actions if not getattr(x, "undecided", False)]
        undecided = [x for x in recs.actions if getattr(x, "undecided", False)]
        text = ("No improvement plan (`plan.yaml`) in the data directory, so no hours rank the open checks: "
                "they are ordered by the readiness points the overall gains when each holds on every cluster "
                f"(all open checks together: {round(100 - recs.overall, 1):g} points, up to 100%). Write a plan with "
                "work packages to rank them by points per hour (`readiness recommend` prints the same).\n\n")
        if to_fix:
            text += f"**To fix** (failing or partial on some cluster): {named(to_fix)}\n\n"
        if undecided:
            text += ("**To decide first** (unknown wherever they do not hold: the evidence is missing, e.g. "
                     f"what only a cluster shows, or an attestation; What Could Not Be Judged says what): "
                     f"{named(undecided)}\n")
        return text
    out = [f"Ranked by readiness points gained per planned hour: points are what the overall gains when the "
           f"check holds on every cluster (all open checks together: {round(100 - recs.overall, 1):g} points, "
           "up to 100%), hours are what the plan has left for it (`readiness recommend` prints the same).\n"]
    if recs.packages:
        rows = [{"Work package": f"{p['id']} {p['title']}", "Weeks": p["weeks"], "Hours left": f"{p['hours']:g}",
                 "Points": f"+{p['points']:g}",
                 "Points/hour": f"{p['points_per_hour']:g}" if p["points_per_hour"] is not None else "-",
                 "Clears": ", ".join(p["clears"]) or "-"} for p in recs.packages]
        out += ["**Work packages**:\n", tables.markdown(rows)]
    ranked = recs.ranked[:top]
    if ranked:
        out += [f"**Next actions** (the {len(ranked)} best single checks):\n", tables.markdown(tables.actions(ranked))]
    if recs.unplanned:
        out.append("**Not in the plan** (no hours to rank by; add them to a work package): "
                   + "; ".join(f"`{x.check_id}` +{x.points:.2f} points"
                               + (f" ({', '.join(x.blockers)})" if x.blockers else "") for x in recs.unplanned)
                   + ".\n")
    return "\n".join(out) + "\n"


def phase2(context: Any) -> str:
    """The 'Nice to have (Phase 2)' list from the data directory's report.yaml ("" when absent)."""
    items = getattr(context, "phase2", ())
    if not items:
        return ""
    return "### Nice to Have (Phase 2)\n\n" + "\n".join(
        f"- {title}" + (f" ({why})" if why else "") for title, why in items) + "\n"


def related(context: Any) -> str:
    """'Related documentation' and 'Assessed by' from report.yaml ("" when neither is there)."""
    out = []
    if getattr(context, "related", ()):
        out.append("## Related Documentation\n")
        out += [f"- [{title}]({url})" if url else f"- {title}" for title, url in context.related]
        out.append("")
    if getattr(context, "assessed_by", ""):
        out.append(f"**Assessed by**: {context.assessed_by}\n")
    return "\n".join(out) + ("\n" if out else "")


def baseline_day(a: Assessment, plan: Any) -> date:
    """The day the target-state table's Before column is measured on: the plan's baseline (the
    newest snapshot before the plan starts), else (or without a plan) the first snapshot, never
    after ``a.as_of``."""
    days = sorted({d for d in a.snapshots["collected_at"].dt.date().to_list() if d <= a.as_of})
    before = [d for d in days if plan is not None and d < plan.start]
    return before[-1] if before else (days[0] if days else a.as_of)


def unknown_checks(a: Assessment, most: int = 5) -> str:
    """What could not be judged: one bullet per check that is ``unknown`` on some cluster (fleet
    order: category, then check id), with the clusters, each distinct reason, and the files, objects
    or sources it names (its evidence, at most ``most`` of them, then how many more).

    Source: ``a.findings`` (one row per cluster and check, as of ``a.as_of``); a waived finding is
    not listed. An unknown check scores 0 and lowers coverage (``scoring_note``).
    """
    unknown = a.findings.filter((pl.col("status") == "unknown") & ~pl.col("waived").fill_null(False))
    if unknown.is_empty():
        return "Every check could be judged on every cluster: none is unknown.\n"
    order = {c: i for i, c in enumerate(a.rubric.categories)}
    checks = sorted(set(unknown["check_id"].to_list()),
                    key=lambda c: (order.get(a.rubric.checks[c].category if c in a.rubric.checks else "", 99), c))
    clusters = a.findings["cluster"].n_unique()
    lines = [f"{len(checks)} check{'s' if len(checks) != 1 else ''} could not be judged on at least one cluster; "
             "each scores 0 and lowers the coverage, and its reason says what would decide it:\n"]
    for cid in checks:
        rows = unknown.filter(pl.col("check_id") == cid).sort("cluster")
        title = a.rubric.checks[cid].title if cid in a.rubric.checks else cid
        where = (f"all {clusters} clusters" if rows.height == clusters and clusters > 1
                 else ", ".join(rows["cluster"].to_list()))
        lines.append(f"- {tables.UNKNOWN} **{title}** (`{cid}`), unknown on {where}:")
        by_reason: dict[str, tuple[list[str], list[str]]] = {}
        for r in rows.iter_rows(named=True):
            names, sources = by_reason.setdefault(str(r["reason"] or "no reason recorded"), ([], []))
            names.append(r["cluster"])
            sources.extend(e for e in dict.fromkeys(r["evidence"] or []) if e not in sources)
        for reason, (names, sources) in by_reason.items():
            on = "" if len(by_reason) == 1 else f"{', '.join(names)}: "
            named = ", ".join(f"`{s}`" for s in sources[:most])
            more = f" and {len(sources) - most} more" if len(sources) > most else ""
            lines.append(f"    - {on}{reason.rstrip('.')}" + (f" (named: {named}{more})" if sources else ""))
    return "\n".join(lines) + "\n"
