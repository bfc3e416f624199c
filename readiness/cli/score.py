"""``readiness score``, ``readiness explain`` and ``readiness checks``."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import click

from readiness.cli.options import data_option
from readiness.cli.scrub import warn_unscrubbed

EXIT_BELOW = 3  # --fail-under: the score is below the threshold

as_of_option = click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
                            help="Assess as of this day (YYYY-MM-DD; default: the newest snapshot's day).")
rubric_option = click.option("--rubric", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                             help="Rubric file merged over the default one.")
cluster_option = click.option("--cluster", "clusters", multiple=True,
                              help="Only this cluster (repeatable; default: all).")


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.command()
@data_option
@as_of_option
@cluster_option
@rubric_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True,
              help="Output: the scorecard as a table, JSON for machines, or Markdown.")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None,
              help=f"Exit with status {EXIT_BELOW} when the overall score is below this percentage (a CI gate).")
def score(data: Path | None, as_of: datetime | None, clusters: tuple[str, ...], rubric: Path | None, fmt: str,
          fail_under: float | None) -> None:
    """Score the fleet: category and overall scores, blockers and the verdict.

    The overall is the category scores weighted by the rubric's category weights; every
    number traces back to findings ('readiness explain CHECK_ID').
    """
    from readiness import tables
    from readiness.assessment import assess

    a = assess(data, as_of=_day(as_of), rubric=rubric, clusters=list(clusters) or None)
    warn_unscrubbed(a.data_dir)
    if not a.demo and (age := a.stale_today()) is not None:
        click.echo(f"warning: the newest snapshot in {a.data_dir} is {age} days old: run 'readiness collect'",
                   err=True)
    if fmt == "json":
        click.echo(json.dumps(a.to_dict(), indent=2))
    else:
        render = tables.markdown if fmt == "markdown" else tables.text
        head = f"Production readiness as of {a.as_of} (rubric {a.rubric.version}{', DEMO DATA' if a.demo else ''})"
        click.echo(f"## {head}\n" if fmt == "markdown" else f"{head}\n")
        click.echo(render(tables.scorecard(a)))
        click.echo(render(tables.blockers(a)))
        click.echo(render(tables.clusters(a)))
    if fail_under is not None and not a.overall >= fail_under:  # NaN (nothing evaluated) fails too
        click.echo(f"overall {a.overall:.1f}% is below --fail-under {fail_under:g}%", err=True)
        sys.exit(EXIT_BELOW)


@click.command()
@click.argument("check_id")
@data_option
@as_of_option
@cluster_option
@rubric_option
def explain(check_id: str, data: Path | None, as_of: datetime | None, clusters: tuple[str, ...],
            rubric: Path | None) -> None:
    """Show one check's finding on each cluster: status, score, reason and evidence."""
    import polars as pl

    from readiness.assessment import assess
    from readiness.checks import get

    fn = get(check_id)  # an unknown id fails here, listing the known ones
    a = assess(data, as_of=_day(as_of), rubric=rubric, clusters=list(clusters) or None)
    spec = a.rubric.checks[check_id]
    click.echo(f"{check_id}: {spec.title}")
    click.echo(f"  category {a.rubric.categories[spec.category].name}, weight {spec.weight:g}, severity {spec.severity}"
               + (f", blocker {', '.join(spec.blockers)}" if spec.blockers else "")
               + (f", work package {spec.work_package}" if spec.work_package else ""))
    if spec.thresholds:
        click.echo(f"  thresholds: {json.dumps(spec.thresholds)}")
    click.echo(f"  what passes: {(fn.__doc__ or '').strip().splitlines()[0]}")
    click.echo(f"  as of {a.as_of}{' (demo data)' if a.demo else ''}:")
    from readiness.attestations import load_waivers

    waivers = load_waivers(a.data_dir)
    rows = a.findings.filter(pl.col("check_id") == check_id).sort("cluster")
    for r in rows.iter_rows(named=True):
        if r["waived"]:
            w = next((w for w in waivers if w.covers(check_id, r["cluster"], a.as_of)), None)
            why = f" by {w.owner} until {w.expires}: {w.reason}" if w else ""
            click.echo(f"  - {r['cluster']}: waived{why} (counts 1 with waivers; its own score {r['score']:.2f}): "
                       f"{r['reason']}")
        else:
            click.echo(f"  - {r['cluster']}: {r['status']}, score {r['score']:.2f}: {r['reason']}")
        for e in r["evidence"][:10]:
            click.echo(f"      evidence: {e}")
    if spec.remediation:
        click.echo(f"  remediation: {spec.remediation}")


@click.command("checks")
@rubric_option
def list_checks(rubric: Path | None) -> None:
    """List every check of the rubric: id, category, weight, severity, title."""
    from readiness import rubric as rubric_mod
    from readiness import tables

    r = rubric_mod.load(rubric)
    rows = [{"id": c.id, "category": c.category, "weight": f"{c.weight:g}", "severity": c.severity,
             "blocker": ",".join(c.blockers), "title": c.title} for c in r.checks.values()]
    click.echo(tables.text(rows))
