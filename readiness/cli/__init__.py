"""The ``readiness`` command: parses options and delegates to the library."""

from __future__ import annotations

import sys
from typing import Any

import click

from readiness import __version__
from readiness.errors import ReadinessError


class Group(click.Group):
    """Turns a ``ReadinessError`` into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReadinessError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="readiness")
def main() -> None:
    """Production-readiness assessments of Kubernetes fleets, computed from evidence.

    Typical flow: collect (or demo) -> score -> report. Every command takes --data DIR
    (default: $READINESS_DATA, else ./data when it holds snapshots, else ./data/demo).
    """


def _register() -> None:
    from readiness.cli import collect, demo, report, score, scrub

    main.add_command(collect.collect)
    main.add_command(demo.demo)
    main.add_command(score.score)
    main.add_command(score.explain)
    main.add_command(score.list_checks)
    main.add_command(report.report)
    main.add_command(scrub.scrub)
    from readiness.cli.plan import COMMANDS as plan_commands  # plan, burndown, risks, log

    for command in plan_commands:
        main.add_command(command)


_register()
