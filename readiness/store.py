"""Reading and writing the Parquet tables of a data directory.

Writes are atomic (a temporary file in the same directory, then a rename), and a snapshot is
stored under its id, so writing the same snapshot again replaces it instead of adding rows.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl

from readiness import schema
from readiness.errors import DataMixError, DataNotFoundError, SchemaError

TMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; give it the usual mode
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def partition_path(data_dir: Path, table: str, cluster: str, collected_at: datetime, snapshot_id: str) -> Path:
    """Where one cluster's rows of one snapshot live for ``table``."""
    day = collected_at.date().isoformat()
    return Path(data_dir) / table / f"cluster={cluster}" / f"date={day}" / f"{snapshot_id}.parquet"


def refuse_mixing(data_dir: Path | str, incoming: set[str]) -> None:
    """Demo data and collected data never share a directory: ``DataMixError`` when writing
    ``incoming`` sources would mix them with what ``data_dir`` holds."""
    existing = set(scan(data_dir, "snapshots").select("source").unique().collect()["source"].to_list())
    if existing and (("demo" in incoming) != ("demo" in existing)):
        kind = "the demo fleet" if "demo" in existing else "collected data"
        raise DataMixError(
            f"{data_dir}: holds {kind}; refusing to mix demo data with collected data",
            hint="write the demo fleet to its own directory (e.g. --data data/demo) and collect into another "
                 "(e.g. --data data)",
        )


def write_snapshot(
    data_dir: Path | str,
    objects: pl.DataFrame,
    snapshots: pl.DataFrame,
    coverage: pl.DataFrame,
) -> list[Path]:
    """Write one snapshot (any number of clusters) into ``data_dir``; return the files written.

    Demo data and collected data never share a directory: writing one where the other is
    raises ``DataMixError``.
    """
    data_dir = Path(data_dir)
    snapshots = schema.validate("snapshots", snapshots, "<snapshots being written>")
    objects = schema.validate("objects", objects, "<objects being written>")
    coverage = schema.validate("coverage", coverage, "<coverage being written>")
    refuse_mixing(data_dir, set(snapshots["source"].to_list()))
    written = []
    for row in snapshots.iter_rows(named=True):
        cluster, sid, at = row["cluster"], row["snapshot_id"], row["collected_at"]
        parts = {
            "snapshots": snapshots.filter(pl.col("cluster") == cluster),
            "objects": objects.filter(pl.col("cluster") == cluster),
            "coverage": coverage.filter(pl.col("cluster") == cluster),
        }
        # Objects and coverage first, the snapshot row last: a snapshot row means it is whole.
        for table in ("objects", "coverage", "snapshots"):
            target = partition_path(data_dir, table, cluster, at, sid)
            with atomic_path(target) as tmp:
                parts[table].write_parquet(tmp, compression="zstd", statistics=True)
            written.append(target)
    return written


def _files(data_dir: Path, table: str, clusters: list[str] | None) -> list[Path]:
    base = Path(data_dir) / table
    if clusters:
        files = [f for c in clusters for f in sorted(base.glob(f"cluster={c}/date=*/*.parquet"))]
    else:
        files = sorted(base.glob("cluster=*/date=*/*.parquet"))
    return files


def check_files(table: str, files: list[Path]) -> None:
    """Validate each file's stored schema against the declared one (metadata only, no rows)."""
    declared = schema.TABLES[table]
    for f in files:
        stored = pl.read_parquet_schema(f)
        for column, dtype in declared.items():
            if column not in stored:
                raise SchemaError(table, str(f), column, "is missing")
            if stored[column] != dtype and stored[column] != pl.Null:
                raise SchemaError(table, str(f), column, f"has type {stored[column]}, expected {dtype}")


def scan(data_dir: Path | str, table: str, clusters: list[str] | None = None) -> pl.LazyFrame:
    """A lazy frame over ``table`` in ``data_dir``, each file's schema checked first."""
    files = _files(Path(data_dir), table, clusters)
    if not files:
        return schema.empty(table).lazy()
    check_files(table, files)
    return pl.scan_parquet(files, hive_partitioning=False).select(list(schema.TABLES[table]))


def read(data_dir: Path | str, table: str, clusters: list[str] | None = None) -> pl.DataFrame:
    """Read ``table`` from ``data_dir`` (validated), optionally for some clusters only."""
    return scan(data_dir, table, clusters).collect()


def snapshots(data_dir: Path | str, clusters: list[str] | None = None) -> pl.DataFrame:
    """The snapshots table, sorted by time then cluster; ``DataNotFoundError`` when empty."""
    df = read(data_dir, "snapshots", clusters)
    if df.is_empty() and clusters:
        known = sorted(set(read(data_dir, "snapshots")["cluster"].to_list()))
        if known:
            raise DataNotFoundError(f"{data_dir}: no snapshots of cluster {', '.join(clusters)}",
                                    hint=f"clusters with snapshots: {', '.join(known)}")
    if df.is_empty():
        raise DataNotFoundError(
            f"{data_dir}: no snapshots found",
            hint="run 'readiness demo --data DIR' or 'readiness collect' first",
        )
    return df.sort("collected_at", "cluster")


def objects(data_dir: Path | str, clusters: list[str] | None = None) -> pl.DataFrame:
    """All collected objects in ``data_dir``."""
    return read(data_dir, "objects", clusters)


def remove_stale_temporaries(data_dir: Path | str) -> int:
    """Delete temporary files an interrupted run left behind; return how many."""
    n = 0
    for f in Path(data_dir).glob(f"**/.*{TMP_SUFFIX}"):
        f.unlink(missing_ok=True)
        n += 1
    return n
