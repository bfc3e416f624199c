"""Where things are: the data directory, the project's shipped data files, the reports."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "READINESS_DATA"
DEFAULT_DATA = Path("data")
DEMO_DATA = DEFAULT_DATA / "demo"
COLLECT_FILE = "collect.yaml"  # in a data directory: what `readiness report` collects first
PACKAGE = Path(__file__).resolve().parent.parent  # the readiness package (a checkout's data/ is beside it)


def has_snapshots(data_dir: Path) -> bool:
    """True when ``data_dir`` holds at least one snapshot file."""
    return any((Path(data_dir) / "snapshots").glob("cluster=*/date=*/*.parquet"))


def is_url(value: str | Path | None) -> bool:
    """True when ``value`` names object storage (``s3://bucket/prefix`` and the other fsspec URLs)."""
    from readiness.store import _remote

    return _remote.is_url(value)


def refuse_url(data: str | Path | None, command: str) -> None:
    """``ReadinessError`` when ``data`` (or ``$READINESS_DATA``) is object storage: ``command``
    rewrites or moves stored files in place, which a bucket's committed snapshots never are."""
    where = data if data is not None else os.environ.get(DATA_ENV)
    if is_url(where):
        from readiness.errors import ReadinessError

        raise ReadinessError(f"{where}: '{command}' rewrites stored files in place, which object storage does not "
                             "support (committed snapshots are never rewritten)",
                             hint="copy the data to a local directory, run it there, and collect into the bucket again")


def shown(data_dir: Path | str) -> str:
    """How to name ``data_dir`` to a user: the URL a mirror stands for, else the path."""
    from readiness.store import _remote

    return _remote.shown(data_dir)


def fleet_clusters(data_dir: Path | str) -> set[str]:
    """Every cluster with a committed snapshot in the object storage ``data_dir`` mirrors, as listed
    when it was brought up to date for some clusters only (``data_dir(url, clusters)``); empty
    otherwise (then the snapshots table names them all)."""
    from readiness.store import _remote

    return _remote.fleet_clusters(data_dir)


def _directory(path: Path | str, source: str, *, full: bool = True, clusters: list[str] | None = None) -> Path:
    """``path`` unless it exists and is not a directory (``ReadinessError`` naming ``source``); for
    a URL, its local mirror brought up to date (``readiness.store._remote``, docs/storage.md)."""
    if is_url(path):
        from readiness.store import _remote

        return _remote.mirror(str(path), full=full, clusters=clusters)
    path = Path(path)
    if path.exists() and not path.is_dir():
        from readiness.errors import ReadinessError

        raise ReadinessError(f"{path}: {source} names a file, not a data directory",
                             hint=f"point {source} at a directory (or unset it)")
    return path


def data_dir(explicit: str | Path | None = None, clusters: list[str] | None = None) -> Path:
    """The data directory to use: ``--data``, else ``$READINESS_DATA``, else ``data/`` when it
    holds collected snapshots or a cluster is configured there (``collect.yaml``), else the
    demo fleet's ``data/demo``. An object-storage URL (``s3://bucket/prefix``) stands for its local
    mirror, brought up to date with the committed snapshots (docs/storage.md); ``clusters``: of
    those clusters only (nothing of the others is downloaded, and findings are not stored)."""
    if explicit:
        return _directory(explicit, "--data", clusters=clusters)
    if os.environ.get(DATA_ENV):
        return _directory(os.environ[DATA_ENV], f"${DATA_ENV}", clusters=clusters)
    base = DEFAULT_DATA
    project = PACKAGE.parent / "data"
    if not base.is_dir() and project.is_dir():  # e.g. a notebook opened from notebooks/
        base = project
    if has_snapshots(base) or (base / COLLECT_FILE).is_file():
        return base
    return DEMO_DATA if base == DEFAULT_DATA else base / "demo"


def own_data_dir(explicit: str | Path | None = None) -> Path:
    """Where the user's own data is written (collected snapshots, the work log): ``--data``, else
    ``$READINESS_DATA``, else ``./data``; never the demo's directory by default. A URL: its local
    mirror (the snapshots table only), whose snapshots are uploaded as they are committed."""
    if explicit:
        return _directory(explicit, "--data", full=False)
    if os.environ.get(DATA_ENV):
        return _directory(os.environ[DATA_ENV], f"${DATA_ENV}", full=False)
    return DEFAULT_DATA


def shipped(name: str, data: Path | None = None) -> Path:
    """Find a shipped data file (``plan.yaml``, ``risks.yaml``): the data directory's own copy
    first, then the project's ``data/``, then the copy packaged in the wheel."""
    candidates = [data / name] if data else []
    candidates += [PACKAGE.parent / "data" / name, PACKAGE / "_data" / name]
    for c in candidates:
        if c.is_file():
            return c
    return candidates[0]
