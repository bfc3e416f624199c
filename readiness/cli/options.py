"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


class DataLocation(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2; >=8.1 allowed
    """A data directory: a local path (``Path``), or an object-storage URL kept as written
    (``s3://bucket/prefix``: a ``Path`` would fold its ``//``)."""

    name = "directory"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The URL as written, else a ``Path`` (click's checks of a directory path)."""
        from readiness.store.paths import is_url

        if isinstance(value, str) and is_url(value):
            return value
        return click.Path(file_okay=False, path_type=Path).convert(value, param, ctx)


data_option = click.option(
    "--data",
    "data",
    type=DataLocation(),
    default=None,
    help="Data directory, or an object-storage URL such as s3://bucket/prefix (docs/storage.md) "
         "(default: $READINESS_DATA, else ./data when it holds snapshots, else ./data/demo).",
)
rubric_option = click.option(
    "--rubric",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Rubric file merged over the default one (its weights, thresholds and stale_after_days apply).",
)
as_of_option = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="As of this day (YYYY-MM-DD): each cluster's newest snapshot on or before it counts "
         "(default: the newest snapshot's day).",
)
cluster_option = click.option(
    "--cluster", "clusters", multiple=True, help="Only this cluster (repeatable; default: the whole fleet)."
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
    help="Output: a table, or JSON for machines.",
)


def assessment_options(command: F) -> F:
    """--data, --as-of, --cluster and --rubric: what every command that assesses the fleet reads."""
    for option in (rubric_option, cluster_option, as_of_option, data_option):
        command = option(command)
    return command


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
