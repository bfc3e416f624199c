"""``readiness doctor``: check a data directory, and repair what can be repaired."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from readiness.cli.options import data_option, rubric_option

EXIT_PROBLEMS = 1


@click.command(epilog="""\b
Exit status:
  0  no error left (warnings, such as a stale cluster, are listed)
  1  errors remain (run again with --repair, or fix the named input file)""")
@data_option
@click.option("--repair", is_flag=True,
              help="Move unreadable, mis-typed, orphan and stray files aside into DATA/.quarantine/ (nothing is "
                   "deleted but leftover temporaries) and set the tables' file mode.")
@rubric_option
def doctor(data: Path | None, repair: bool, rubric: Path | None) -> None:
    """Check a data directory: every Parquet file readable and of its table's schema, no orphan
    rows of an interrupted write, no leftover temporaries, valid input files (attestations,
    waivers, fleet, work log, collect.yaml), and which clusters have no fresh evidence."""
    from readiness import doctor as doc
    from readiness.store import paths

    if repair:
        paths.refuse_url(data, "readiness doctor --repair")
    data_dir = paths.data_dir(data)
    problems = doc.examine(data_dir, rubric=rubric)
    if repair:
        doc.repair(data_dir, problems)
    for p in problems:
        click.echo(p.line())
    errors = [p for p in problems if p.severity == doc.ERROR and not p.repaired]
    repaired = sum(p.repaired for p in problems)
    name = paths.shown(data_dir)  # the URL, not its local mirror, for object storage
    summary = (f"{name}: {len(errors)} error(s), {sum(p.severity == doc.WARNING for p in problems)} warning(s)"
               + (f", {repaired} repaired (moved aside into {data_dir / doc.QUARANTINE})" if repaired else ""))
    click.echo(summary if problems else f"{name}: healthy")
    if errors:
        fixable = any(p.repairable for p in errors)
        click.echo("run 'readiness doctor --data {}{}".format(name, " --repair'" if fixable else "' after fixing "
                   "the input files named above"), err=True)
        sys.exit(EXIT_PROBLEMS)
