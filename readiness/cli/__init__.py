"""The ``readiness`` command: parses options and delegates to the library."""

from __future__ import annotations

import sys
from typing import Any

import click

from readiness import __version__
from readiness.cli import errors


class Group(click.Group):
    """Turns any failure into one line on stderr and exit status 1 (``--debug``: the traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; any failure becomes one line on stderr and exit status 1 (Ctrl-C: 130), or the
        traceback with ``--debug``/``READINESS_DEBUG=1``; click's own exits and ``SystemExit`` pass through."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            if errors.debug_wanted(ctx.params.get("debug", False)):
                raise
            click.echo("error: interrupted (temporary files were removed; run the command again)", err=True)
            sys.exit(errors.EXIT_INTERRUPTED)
        except Exception as err:
            if errors.debug_wanted(ctx.params.get("debug", False)):
                raise
            click.echo(f"error: {errors.one_line(err)}", err=True)
            sys.exit(errors.EXIT_ERROR)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="readiness")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error (also: READINESS_DEBUG=1).")
def main(debug: bool) -> None:
    """Production-readiness assessments of Kubernetes fleets, computed from evidence.

    Typical flow: collect (or demo) -> score -> report. Every command takes --data DIR
    (default: $READINESS_DATA, else ./data when it holds snapshots, else ./data/demo).
    """


def _register() -> None:
    from readiness.cli import collect, demo, doctor, metrics, report, score, scrub, site

    main.add_command(collect.collect)
    main.add_command(demo.demo)
    main.add_command(score.score)
    main.add_command(score.explain)
    main.add_command(score.list_checks)
    main.add_command(score.drift)
    main.add_command(score.recommend)
    main.add_command(report.report)
    main.add_command(metrics.metrics)
    main.add_command(site.site)
    main.add_command(doctor.doctor)
    main.add_command(scrub.scrub)
    from readiness.cli.plan import COMMANDS as plan_commands  # plan, burndown, risks, log

    for command in plan_commands:
        main.add_command(command)


_register()
