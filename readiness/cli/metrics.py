"""``readiness metrics``: the assessment as Prometheus metrics."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from readiness.cli.options import assessment_options
from readiness.cli.score import _day


@click.command()
@assessment_options
@click.option("--textfile", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (atomically) for node_exporter's textfile collector, e.g. "
                   "/var/lib/node_exporter/textfile/readiness.prom, instead of printing.")
@click.option("--push", "push_url", metavar="URL", default=None,
              help="Push to the Pushgateway at URL (e.g. http://pushgateway:9091), replacing the job's metrics.")
@click.option("--job", default="readiness", show_default=True, help="With --push: the Pushgateway job name.")
def metrics(data: Path | None, as_of: datetime | None, clusters: tuple[str, ...], rubric: Path | None,
            textfile: Path | None, push_url: str | None, job: str) -> None:
    """Export the scores, blockers, check statuses and evidence age as Prometheus metrics.

    Prints the text exposition format unless --textfile or --push is given (both may be).
    The values are those of 'readiness score --format json', as ratios in [0, 1]; metric names
    and labels are listed in readiness.report.metrics.
    """
    from readiness.assess.assessment import assess
    from readiness.report import metrics as lib

    a = assess(data, as_of=_day(as_of), rubric=rubric, clusters=list(clusters) or None)
    reg = lib.registry(a)
    if textfile is None and push_url is None:
        click.echo(lib.exposition(reg), nl=False)
        return
    if textfile is not None:
        click.echo(f"metrics -> {lib.write_textfile(reg, textfile)}", err=True)
    if push_url is not None:
        lib.push(reg, push_url, job=job)
        click.echo(f"metrics -> {push_url} (job {job})", err=True)
