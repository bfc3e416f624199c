"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


class DataLocation(click.ParamType):
    """A data directory: a local path (``Path``), or an object-storage URL kept as written
    (``s3://bucket/prefix``: a ``Path`` would fold its ``//``)."""

    name = "directory"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
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
