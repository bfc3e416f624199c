"""Options shared by several commands."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import click

data_option = click.option(
    "--data",
    "data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (default: $READINESS_DATA, else ./data when it holds snapshots, else ./data/demo).",
)

ENGINES = ("local", "dask")  # readiness.assess.evaluate.ENGINES (not imported here: it loads polars)


def engine_options(command: Any) -> Any:
    """``--engine`` and ``--scheduler`` for a command that evaluates snapshots; the command runs its
    work inside ``evaluation_engine(engine, scheduler)``."""
    command = click.option(
        "--scheduler", default=None, metavar="ADDRESS",
        help="With --engine dask: the Dask scheduler (tcp://HOST:8786); default: a local cluster, "
             "one worker process per core.")(command)
    return click.option(
        "--engine", type=click.Choice(ENGINES), default="local", show_default=True,
        help="Where snapshots without stored findings are evaluated: in this process, or as Dask tasks "
             "(needs readiness[dask]).")(command)


def evaluation_engine(engine: str, scheduler: str | None) -> AbstractContextManager[None]:
    """The block in which evaluation runs on ``engine`` (``readiness.assess.evaluate.engine``)."""
    from readiness.assess.evaluate import engine as use

    return use(engine, scheduler)
