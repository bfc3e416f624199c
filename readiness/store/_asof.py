"""The snapshots rows that decide a fleet's evidence as of one day, read without walking the history.

The snapshots index (``_tables._indexed``) already holds every snapshots file's rows; assessing one
day needs few of them: each cluster's newest usable snapshot up to that day, the first failed
collection after it, its newest repository snapshot, and its oldest row (``counting``).
``snapshots_as_of`` narrows the index to those rows and checks only what they depend on: each
cluster's date directories from its oldest evidence row to the day (a stat each; one whose stamp
differs from the index's, or is too recent to be trusted, is listed instead) and every file the
index records there, and each oldest row's file (a stat each). A cluster's date directories are
listed by name (one directory read per cluster, no stat), so a new date directory is seen.
Anything unknown or changed there (no index, a date directory the index never read, a file added,
gone or whose stamp differs) falls back to reading the whole table through the index
(``_tables.snapshots``), which also brings the index up to date. A file outside those directories
rewritten in place (its directory's stamp unchanged) cannot change the rows that decide the day
unless its time changes, and the next whole read (a history, a report) sees it.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import cast

import polars as pl

from readiness.store import schema
from readiness.store._tables import _INDEX_EXTRA, _snapshots_index, snapshots


def end_of(day: date) -> datetime:
    """The last second of ``day`` (UTC): snapshots taken that day count as of that day."""
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)


def counting(rows: pl.DataFrame, day: date) -> pl.DataFrame:
    """The rows of ``rows`` (snapshots rows, any extra columns kept) that decide each cluster's
    evidence as of ``day``, in their order: ``readiness.assess.evaluate.evaluated_snapshots`` and
    ``freshness`` as of ``day`` give the same answers, in the same order, from these rows alone.

    Per cluster, of its rows up to the end of ``day``: its cluster snapshots (``repo`` ones when it
    has no other); the newest usable one (the oldest, when none was reachable); the first failed
    (``unreachable``) collection after it; the newest ``repo`` snapshot at or before it (all rows
    at each of these moments). And each cluster's oldest row, whatever its day: the clusters come
    in the order of their first snapshot, every cluster stays known (waivers may name one not
    collected yet) and the first snapshot's day is known."""
    return _counting(rows.lazy(), day).drop("_evidence").collect(engine="in-memory")  # small: no streaming


def _counting(rows: pl.LazyFrame, day: date) -> pl.LazyFrame:
    """``counting`` of a lazy frame (one query), with a column ``_evidence``: the row decides the
    evidence (not only kept as its cluster's oldest row)."""
    c = pl.col
    at = c("collected_at")
    in_day = at <= end_of(day)
    live = c("source") != "repo"
    main = in_day & (live | ~(live & in_day).any().over("cluster"))  # no cluster snapshot: its repo ones stand in
    reachable = main & (c("status") != "unreachable")
    chosen = pl.coalesce(at.filter(reachable).max().over("cluster"), at.filter(main).min().over("cluster"))
    marked = rows.with_row_index("_order").with_columns(chosen.alias("_chosen"))
    failed = main & (c("status") == "unreachable") & (at > c("_chosen"))
    repo = in_day & ~live & (at <= c("_chosen"))
    evidence = ((main & (at == c("_chosen")))
                | (failed & (at == at.filter(failed).min().over("cluster")))
                | (repo & (at == at.filter(repo).max().over("cluster"))))
    return (marked.with_columns(evidence.fill_null(False).alias("_evidence"))
            .filter(c("_evidence") | (at == at.min().over("cluster")))
            .sort("_order").drop("_order", "_chosen"))


def _stamp(path: str, with_size: bool) -> str | None:
    """The stamp ``_tables._listed`` records: ``size:mtime_ns:inode`` of a file, ``mtime_ns:inode``
    of a directory; None when it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}" if with_size else f"{st.st_mtime_ns}:{st.st_ino}"


def _names(folder: Path, prefix: str) -> list[str]:
    """The names in ``folder`` that start with ``prefix`` (none when it is missing): one listing, no stat."""
    try:
        return [n for n in os.listdir(folder) if n.startswith(prefix)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _narrowed(data_dir: Path, as_of: date | None, clusters: list[str] | None) -> tuple[pl.DataFrame, date] | None:
    """(``counting`` rows, day) from the snapshots index alone, each file and date directory they
    depend on checked; None when the index cannot tell (see the module's docstring)."""
    try:
        index = pl.read_parquet(_snapshots_index(data_dir))
    except (pl.exceptions.PolarsError, OSError):
        return None
    if index.schema != {**schema.SNAPSHOTS, **_INDEX_EXTRA}:
        return None
    table = data_dir / "snapshots"
    names = [f"cluster={c}" for c in clusters] if clusters else _names(table, "cluster=")
    listed = {f"snapshots/{n}/{d}" for n in names for d in _names(table / n, "date=")}
    index = (index.with_columns(pl.col("file").str.replace(r"/[^/]*$", "").alias("_dir"))
             .filter(pl.col("_dir").is_in(list(listed))))
    if index.is_empty():
        return None
    day = as_of or cast(datetime, index["collected_at"].max()).date()  # a Datetime column's max
    unknown = listed - set(index["_dir"].unique().to_list())
    # A date directory the index never read: it may hold the newest day, or change the day's evidence.
    if unknown and (as_of is None or any(d.rsplit("date=", 1)[1] <= day.isoformat() for d in unknown)):
        return None
    kept = _counting(index.lazy(), day)
    # Every date directory of a cluster from its oldest row kept to the day, and every file recorded there.
    spans = (kept.filter(pl.col("_evidence"))
             .group_by("cluster").agg(pl.col("collected_at").min().dt.date().alias("_from")))
    days = pl.col("_dir").str.extract(r"date=([^/]*)$").str.to_date(strict=False)
    checked = pl.concat([
        index.lazy().join(spans, on="cluster").filter((days >= pl.col("_from")) & (days <= day))
        .select("file", "stamp", "_dir", "dir_stamp"),
        kept.filter(~pl.col("_evidence")).select("file", "stamp", "_dir", "dir_stamp"),  # oldest rows: the file only
    ])
    try:
        rows, checks = pl.collect_all([kept.select(list(schema.SNAPSHOTS)), checked], engine="in-memory")
    except (pl.exceptions.PolarsError, OSError):
        return None
    folders: dict[str, tuple[str, set[str]]] = {}  # date directory -> (its stamp, its files), as the index has them
    for file, file_stamp, folder, dir_stamp in checks.iter_rows():
        if folders.setdefault(folder, (dir_stamp, set()))[0] != dir_stamp:
            return None
        folders[folder][1].add(file.rsplit("/", 1)[1])
        if _stamp(os.path.join(data_dir, file), with_size=True) != file_stamp:
            return None
    for folder, (dir_stamp, files) in folders.items():
        path = os.path.join(data_dir, folder)
        if dir_stamp and _stamp(path, with_size=False) == dir_stamp:
            continue
        # Changed, or changed too recently for its stamp to be trusted (``_tables._listed``): its files listed.
        if {n for n in _names(Path(path), "") if n.endswith(".parquet")} != files:
            return None
    return rows, day


def snapshots_as_of(data_dir: Path | str, as_of: date | None = None,
                    clusters: list[str] | None = None) -> tuple[pl.DataFrame, date]:
    """(rows, day): the snapshots rows (``schema.SNAPSHOTS``, sorted by time then cluster) that
    decide each cluster's evidence as of ``day`` (``counting``), of ``clusters`` (else all), and
    ``day``: ``as_of``, or the newest snapshot's day. Reads and stats only the files that day
    depends on when the snapshots index is current for them (see the module's docstring), else
    reads the whole table as ``snapshots`` does (same rows). Raises as ``snapshots`` when there
    are none (``DataNotFoundError``), or a file cannot be read (``DataFileError``, ``SchemaError``)."""
    data_dir = Path(data_dir)
    narrowed = _narrowed(data_dir, as_of, clusters)
    if narrowed is None:
        every = snapshots(data_dir, clusters)
        day = as_of or cast(datetime, every["collected_at"].max()).date()  # a Datetime column's max
        narrowed = counting(every, day), day
    rows, day = narrowed
    return rows.sort("collected_at", "cluster"), day
