"""``readiness score``, ``readiness explain`` and ``readiness checks``."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from readiness.cli.options import (
    as_of_option,
    assessment_options,
    cluster_option,
    data_option,
    engine_options,
    evaluation_engine,
    format_option,
    rubric_option,
)
from readiness.cli.scrub import warn_unscrubbed
from readiness.errors import ReadinessError

EXIT_BELOW = 3  # --fail-under: the score is below the threshold
EXIT_DRIFT = 3  # drift --fail-on-drift: drift was found


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.command()
@assessment_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True,
              help="Output: the scorecard as a table, JSON for machines, or Markdown.")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None,
              help=f"Exit with status {EXIT_BELOW} when the overall score is below this percentage (a CI gate).")
@engine_options
def score(data: Path | None, as_of: datetime | None, clusters: tuple[str, ...], rubric: Path | None, fmt: str,
          fail_under: float | None, engine: str, scheduler: str | None) -> None:
    """Score the fleet: category and overall scores, blockers and the verdict.

    The overall is the category scores weighted by the rubric's category weights; every
    number traces back to findings ('readiness explain CHECK_ID').
    """
    from readiness.assess.assessment import assess
    from readiness.report import tables

    with evaluation_engine(engine, scheduler):
        a = assess(data, as_of=_day(as_of), rubric=rubric, clusters=list(clusters) or None)
    warn_unscrubbed(a.data_dir)
    if not a.demo and (age := a.stale_today()) is not None:
        click.echo(f"warning: the newest snapshot in {a.data_dir} is {age} days old: run 'readiness collect'",
                   err=True)
    for line in a.no_fresh_evidence():  # its checks are unknown, not failed
        click.echo(f"warning: {line}: its checks are unknown", err=True)
    if fmt == "json":
        click.echo(json.dumps(a.to_dict(), indent=2))
    elif fmt == "markdown":
        head = f"Production readiness as of {a.as_of} (rubric {a.rubric.version}{', DEMO DATA' if a.demo else ''})"
        click.echo(f"## {head}\n")
        click.echo(tables.markdown(tables.scorecard(a)))
        click.echo(tables.markdown(tables.blockers(a)))
        click.echo(tables.markdown(tables.clusters(a)))
    else:
        click.echo(terminal_scorecard(a, shutil.get_terminal_size((80, 24)).columns))
    if fail_under is not None and not a.overall >= fail_under:  # NaN (nothing evaluated) fails too
        click.echo(f"overall {a.overall:.1f}% is below --fail-under {fail_under:g}%", err=True)
        sys.exit(EXIT_BELOW)


def terminal_scorecard(a: Any, width: int = 80) -> str:
    """The scorecard for a terminal ``width`` columns wide (at least 60): the table without its
    notes, the missing checks as wrapped lines under it, the blockers, and the clusters with one
    column per cluster when they fit (else one line per cluster)."""
    from readiness.report import tables

    width = max(60, width)
    out = [f"Production readiness as of {a.as_of} (rubric {a.rubric.version}{', DEMO DATA' if a.demo else ''})", ""]
    rows = tables.scorecard(a)
    notes = [(r["Category"].replace("**", ""), r.pop("Notes").replace("**", "")) for r in rows]
    out.append(tables.text(rows))
    for name, note in notes:
        out += textwrap.wrap(f"{name}: {note}", width, subsequent_indent="    ")
    out.append("")
    blockers = tables.blockers(a)
    for r in blockers:
        r["Title"] = textwrap.shorten(r["Title"], max(20, width - 40), placeholder="...")
    out.append(tables.text(blockers))
    per_cluster = tables.clusters(a)
    heads = [k for k in (per_cluster[0] if per_cluster else {}) if k != "Cluster"]
    transposed = [{"Category": k, **{r["Cluster"]: r[k] for r in per_cluster}} for k in heads]
    if transposed and len(tables.text(transposed).splitlines()[0]) <= width:
        out.append(tables.text(transposed))
    else:
        for r in per_cluster:
            out += textwrap.wrap(", ".join(f"{k} {v}" for k, v in r.items() if k != "Cluster"), width,
                                 initial_indent=f"{r['Cluster']}: ", subsequent_indent="    ")
    return "\n".join(line.rstrip() for line in "\n".join(out).splitlines()) + "\n"


@click.command(epilog="""\b
Examples:
  readiness explain obs_alert_rules_count
  readiness explain obs_alert_rules_count obs_alert_runbooks obs_plan_alerts
  readiness explain --category observability      (every check of a category, by id or name)
  readiness explain --all > findings.txt          (every check the rubric scores, one assessment)""")
@click.argument("check_ids", nargs=-1, metavar="[CHECK_ID]...")
@click.option("--all", "every", is_flag=True, help="Every check the rubric scores, in the rubric's order.")
@click.option("--category", "categories", multiple=True, metavar="CATEGORY",
              help="Every check of this category, by id or name (repeatable).")
@assessment_options
@engine_options
def explain(check_ids: tuple[str, ...], every: bool, categories: tuple[str, ...], data: Path | None,
            as_of: datetime | None, clusters: tuple[str, ...], rubric: Path | None, engine: str,
            scheduler: str | None) -> None:
    """Show checks' findings on each cluster: status, score, reason and evidence.

    Name one or more check ids, a --category or --all: the assessment is computed once for all of them,
    and each check is shown as 'readiness explain CHECK_ID' shows it, one after another.
    """
    from readiness.assess import rubric as rubric_mod
    from readiness.assess.assessment import assess
    from readiness.assess.checks import get
    from readiness.store import paths

    if not (check_ids or every or categories):
        raise click.UsageError("name a CHECK_ID (or several), --category CATEGORY or --all")
    data_dir = paths.data_dir(data)
    rub = rubric_mod.load(rubric, data=data_dir)  # registers the checks of installed and named plugins
    for check_id in check_ids:
        get(check_id)  # an unknown id fails here, listing the known ones
        if check_id not in rub.checks:
            raise ReadinessError(f"check '{check_id}' is registered but the rubric does not score it",
                                 hint="add it under checks: (title, category, weight, severity) in a --rubric file")
    wanted = list(check_ids)
    for name in categories:
        found = [cid for cid, cat in rub.categories.items() if name.lower() in (cid.lower(), cat.name.lower())]
        if not found:
            known = ", ".join(f"{cid} ({cat.name})" for cid, cat in rub.categories.items())
            raise click.BadParameter(f"no category '{name}' in the rubric (known: {known})", param_hint="--category")
        wanted += [cid for cid, spec in rub.checks.items() if spec.category in found]
    if every:
        wanted += list(rub.checks)
    with evaluation_engine(engine, scheduler):
        a = assess(data_dir, as_of=_day(as_of), rubric=rub, clusters=list(clusters) or None)
    from readiness.assess.attestations import load_waivers

    waivers = load_waivers(a.data_dir)
    for n, check_id in enumerate(dict.fromkeys(wanted)):
        if n:
            click.echo("")
        _explain_one(a, check_id, get(check_id), waivers)


def _explain_one(a: Any, check_id: str, fn: Any, waivers: list[Any]) -> None:
    """One check of assessment ``a`` as ``readiness explain`` shows it: its rubric entry, then each cluster's
    finding with up to 10 pieces of evidence, then the remediation."""
    import polars as pl

    spec = a.rubric.checks[check_id]
    click.echo(f"{check_id}: {spec.title}")
    click.echo(f"  category {a.rubric.categories[spec.category].name}, weight {spec.weight:g}, severity {spec.severity}"
               + (f", blocker {', '.join(spec.blockers)}" if spec.blockers else "")
               + (f", work package {spec.work_package}" if spec.work_package else ""))
    if spec.thresholds:
        click.echo(f"  thresholds: {json.dumps(spec.thresholds)}")
    click.echo(f"  what passes: {(fn.__doc__ or '').strip().splitlines()[0]}")
    click.echo(f"  as of {a.as_of}{' (demo data)' if a.demo else ''}:")
    rows = a.findings.filter(pl.col("check_id") == check_id).sort("cluster")
    views = a.views
    shown = {c: f" [{v}]" for c, v in views.items()} if any(v.startswith("repository") for v in views.values()) else {}
    for r in rows.iter_rows(named=True):
        cluster = r["cluster"] + shown.get(r["cluster"], "")  # which evidence it read, unless every cluster is live
        if r["waived"]:
            w = next((w for w in waivers if w.covers(check_id, r["cluster"], a.as_of)), None)
            why = f" by {w.owner} until {w.expires}: {w.reason}" if w else ""
            click.echo(f"  - {cluster}: waived{why} (counts 1 with waivers; its own score {r['score']:.2f}): "
                       f"{r['reason']}")
        else:
            click.echo(f"  - {cluster}: {r['status']}, score {r['score']:.2f}: {r['reason']}")
        for e in r["evidence"][:10]:
            click.echo(f"      evidence: {e}")
    if spec.remediation:
        click.echo(f"  remediation: {spec.remediation}")


@click.command("checks")
@rubric_option
@data_option
def list_checks(rubric: Path | None, data: Path | None) -> None:
    """List every check of the rubric: id, category, weight, severity, title (with --data, of the
    rubric profile that data directory's fleet.yaml selects: rubric: NAME)."""
    from readiness.assess import rubric as rubric_mod
    from readiness.report import tables
    from readiness.store import paths

    r = rubric_mod.load(rubric, data=paths.data_dir(data) if data else None)
    rows = [{"id": c.id, "category": c.category, "weight": f"{c.weight:g}", "severity": c.severity,
             "blocker": ",".join(c.blockers), "title": c.title} for c in r.checks.values()]
    click.echo(tables.text(rows))


@click.command("drift", epilog=f"""\b
Exit status:
  0  at least one cluster was compared (its drift listed, or 'no drift'); clusters that could not be
     compared are named on stderr with what to collect
  {EXIT_DRIFT}  --fail-on-drift: drift was found
  1  no cluster has both a live and a repo snapshot (each is named with what to collect), or no data
  2  usage error""")
@data_option
@as_of_option
@cluster_option
@click.option("--fail-on-drift", is_flag=True, help=f"Exit with status {EXIT_DRIFT} when drift is found (a CI gate).")
def drift(data: Path | None, as_of: datetime | None, clusters: tuple[str, ...], fail_on_drift: bool) -> None:
    """List what a cluster's repository declares but it does not run, and what it runs undeclared.

    Needs both a live and a repo snapshot of a cluster (readiness collect, then collect --repo).
    """
    from readiness.assess.drift import drift as compute
    from readiness.assess.drift import pairs
    from readiness.report import tables

    found = pairs(data, clusters=list(clusters) or None, as_of=_day(as_of))
    compared = [p for p in found if p["live"] and p["repo"]]
    missing = [_to_collect(p) for p in found if not (p["live"] and p["repo"])]
    if not compared:
        raise ReadinessError("nothing to compare: no cluster has both a live and a repo snapshot ("
                             + "; ".join(missing) + ")")
    for line in missing:
        click.echo(f"not compared: {line}", err=True)
    rows = compute(data, clusters=[p["cluster"] for p in compared], as_of=_day(as_of))
    if rows.is_empty():
        sides = ", ".join(f"{p['cluster']} (live {p['live']['collected_at']:%Y-%m-%d %H:%M}, repo "
                          f"{p['repo']['collected_at']:%Y-%m-%d %H:%M})" for p in compared)
        click.echo(f"no drift: what the repository declares runs, and nothing runs undeclared, in {sides}")
        return
    shown = [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows.iter_rows(named=True)]
    click.echo(tables.text(shown))
    if fail_on_drift:
        click.echo(f"drift: {len(rows)} component(s) out of step", err=True)
        sys.exit(EXIT_DRIFT)


def _to_collect(pair: dict[str, Any]) -> str:
    """Which snapshot a cluster lacks for ``drift`` and the command that collects it."""
    name = pair["cluster"]
    if pair["live"]:
        return (f"{name} has a live snapshot only: collect its repository with "
                f"'readiness collect --repo PATH --cluster {name}'")
    return (f"{name} has a repo snapshot only: collect the cluster with "
            f"'readiness collect --context CONTEXT --cluster-name CONTEXT={name}'")


@click.command()
@data_option
@as_of_option
@rubric_option
@format_option
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Actions shown in the table (JSON has all).")
@engine_options
def recommend(data: Path | None, as_of: datetime | None, rubric: Path | None, fmt: str, top: int, engine: str,
              scheduler: str | None) -> None:
    """What to do next: open checks ranked by readiness points gained per planned hour.

    Points: what the overall score gains when the check holds on every cluster (they add up to
    100 - overall). Hours: what the plan has left for the check (they add up to the burndown's
    remaining hours). Each action names the blockers it belongs to and those it clears.
    """
    from readiness.assess.assessment import assess
    from readiness.plan.recommend import recommend as rank
    from readiness.report import tables

    with evaluation_engine(engine, scheduler):
        r = rank(assess(data, as_of=_day(as_of), rubric=rubric))
    if fmt == "json":
        click.echo(json.dumps(r.to_dict(), indent=2))
        return
    click.echo(f"Next actions as of {r.as_of}: overall {tables.pct(r.overall)}, target {tables.pct(r.target)}\n")
    if r.packages:
        click.echo(tables.text([{"WP": p["id"], "Weeks": p["weeks"], "Hours left": f"{p['hours']:g}",
                                 "Points": f"+{p['points']:g}", "Points/hour": f"{p['points_per_hour']:g}",
                                 "Clears": ", ".join(p["clears"]) or "-"} for p in r.packages]))
    if not r.planned:
        click.echo("\n".join(textwrap.wrap("No plan.yaml in the data directory, so no hours to rank by; open checks "
                                            "by points: " + ", ".join(
            f"{a.check_id} (+{a.points:.2f})" for a in sorted(r.actions, key=lambda a: (-a.points, a.check_id))),
            80, subsequent_indent="    ")))
        return
    click.echo(tables.text(tables.actions(r.ranked[:top], short=True)))
    if r.unplanned:
        click.echo("\n".join(textwrap.wrap("Not in the plan (no hours to rank by): " + ", ".join(
            f"{a.check_id} (+{a.points:.2f})" for a in r.unplanned), 80, subsequent_indent="    ")))
