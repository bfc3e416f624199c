"""``readiness report``: the monthly report."""

from __future__ import annotations

import re
from pathlib import Path

import click

from readiness.cli.options import data_option


def _month(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise click.BadParameter(f"'{value}' is not a month like 2026-03")
    return value


@click.command()
@click.option("--month", callback=_month, default=None,
              help="Month to report on, YYYY-MM (default: the newest month that has snapshots).")
@data_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True,
              help="Reports directory; the report goes to OUT/YYYY-MM/ and OUT/index.md lists every month.")
@click.option("--rubric", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Rubric file merged over the default one.")
@click.option("--renderer", type=click.Choice(["auto", "quarto", "pandoc"]), default="auto", show_default=True,
              help="auto: Quarto when the quarto command is installed, else the built-in pandoc renderer.")
@click.option("--workers", type=click.IntRange(1, 16), default=None,
              help="Notebooks executed at once (default: one per core, at most one per notebook).")
def report(month: str | None, data: Path | None, out: Path, rubric: str | None, renderer: str,
           workers: int | None) -> None:
    """Build the monthly production-readiness report (Markdown + HTML).

    Collects nothing: it scores the snapshots in --data (the demo fleet when no cluster data
    is configured), runs the notebooks with Papermill, exports the figures and renders the
    report into OUT/YYYY-MM/ (production-readiness.md with PNG figures, production-readiness.html,
    the executed notebooks, report.json). The previous report is replaced only on success.
    """
    from readiness.report import build

    result = build(month, data=data, out=out, rubric=rubric, renderer=renderer, workers=workers,
                   say=lambda line: click.echo(line, err=True))
    total = sum(v for k, v in result.timings.items() if ":" not in k)
    click.echo(f"report for {result.month} (as of {result.as_of}{', demo fleet' if result.demo else ''}) "
               f"in {total:.1f} s, rendered with {result.renderer}:")
    for name in ("production-readiness.md", "production-readiness.html"):
        click.echo(f"  {result.out_dir / name}")
    for note in result.notes:
        click.echo(f"note: {note}")
