"""Reading and writing the Parquet tables of a data directory.

Writes are atomic (a temporary file in the same directory, then a rename), and a snapshot is
stored under its id, so writing the same snapshot again replaces it instead of adding rows.
Every table file gets one mode (``FILE_MODE`` less the umask, as ``open`` makes files: 0644 under
the usual umask). A writer of a cluster holds
that cluster's lock (``cluster_lock``), so a second writer of the same cluster waits; whoever
takes a lock first removes the temporaries an interrupted writer of that cluster left behind.
A file that cannot be read raises ``DataFileError`` naming it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl

from readiness.errors import DataFileError, DataMixError, DataNotFoundError, SchemaError
from readiness.store import _remote, schema

TMP_SUFFIX = ".tmp"
FILE_MODE = 0o666  # less the umask, as open() makes files: 0644 under the usual umask 022
LOCK_SUFFIX = ".lock"  # DATA/.cluster=NAME.lock: held by the writer of that cluster
TABLES = ("objects", "coverage", "snapshots")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
    os.close(fd)
    try:
        try:
            yield Path(tmp)
        except pl.exceptions.ComputeError as err:  # polars wraps the OS error of a failed write
            raise _os_error(err, target) from None
        set_mode(Path(tmp))
        os.replace(tmp, target)
        if (target.parent / _remote.REMOTE_FILE).is_file():  # an input file at the top of a mirror: up too
            _remote.upload(target.parent, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _os_error(err: Exception, target: Path) -> Exception:
    """The ``OSError`` inside a polars write error (``... (os error 28)``), naming ``target``; else ``err``."""
    found = re.search(r"os error (\d+)", str(err))
    if not found:
        return err
    code = int(found.group(1))
    return OSError(code, os.strerror(code), str(target))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def set_mode(path: Path) -> None:
    """Give a finished file the one mode of every table file (mkstemp makes files private)."""
    os.chmod(path, FILE_MODE & ~_umask())


def write_text_atomic(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def lock_path(data_dir: Path | str, cluster: str) -> Path:
    """The lock file a writer of ``cluster`` holds (it exists only while someone writes)."""
    return Path(data_dir) / f".cluster={cluster}{LOCK_SUFFIX}"


@contextlib.contextmanager
def cluster_lock(data_dir: Path | str, cluster: str, *, wait: bool = True, clean: bool = False) -> Iterator[None]:
    """Hold ``cluster``'s write lock in ``data_dir``: a concurrent writer of the same cluster waits.

    Holding the lock, no other writer of that cluster is running, so temporaries left in its
    partitions are an interrupted run's. The lock file is removed on release (a waiter that locked
    the removed file notices and locks the new one), so a lock file that was there before this
    writer came and is still there once it holds the lock was left by a writer that never
    finished (killed): only then (or with ``clean``) are the cluster's temporaries looked for and
    removed, so an ordinary write never lists the cluster's partitions. Without ``wait``, raises
    ``BlockingIOError`` when another writer holds it.
    """
    path = lock_path(data_dir, cluster)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            fd, left = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE), False
        except FileExistsError:
            fd, left = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE), True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)  # the holder before us removed this file: lock the current one
    try:
        if left or clean:
            for table in TABLES:
                remove_stale_temporaries(Path(data_dir) / table / f"cluster={cluster}")
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)  # closing releases the lock


def partition_path(data_dir: Path, table: str, cluster: str, collected_at: datetime, snapshot_id: str) -> Path:
    """Where one cluster's rows of one snapshot live for ``table``."""
    day = collected_at.date().isoformat()
    return Path(data_dir) / table / f"cluster={cluster}" / f"date={day}" / f"{snapshot_id}.parquet"


def refuse_mixing(data_dir: Path | str, incoming: set[str], *, every_file: bool = True) -> None:
    """Demo data and collected data never share a directory: ``DataMixError`` when writing
    ``incoming`` sources would mix them with what ``data_dir`` holds.

    ``every_file`` (a collection starting): the whole snapshots table is read (through its index:
    only new or changed files; ``DataFileError`` / ``SchemaError`` naming a file that cannot be read
    or does not match). Otherwise (``write_snapshot``, once per snapshot written): one snapshots file
    of each cluster (``_one_file_each``), whatever the number of snapshots: every write is checked,
    so a directory holds one or the other."""
    if every_file:
        existing = set(read(data_dir, "snapshots")["source"].to_list())
    else:
        files = _one_file_each(Path(data_dir) / "snapshots")
        existing = set(_read_paths(data_dir, "snapshots", files)["source"].to_list()) if files else set()
    if existing and (("demo" in incoming) != ("demo" in existing)):
        kind = "the demo fleet" if "demo" in existing else "collected data"
        raise DataMixError(
            f"{data_dir}: holds {kind}; refusing to mix demo data with collected data",
            hint="write the demo fleet to its own directory (e.g. --data data/demo) and collect into another "
                 "(e.g. --data data)",
        )


def _one_file_each(table_dir: Path) -> list[Path]:
    """One Parquet file of each ``cluster=*`` directory under ``table_dir``: the first the directory
    listings give (read lazily, not sorted: not the newest, and not every date listed), sorted by path."""
    out = []
    for cluster in _entries(table_dir):
        if not (cluster.name.startswith("cluster=") and cluster.is_dir()):
            continue
        for day in _entries(Path(cluster.path)):
            if not (day.name.startswith("date=") and day.is_dir()):
                continue
            found = next((Path(f.path) for f in _entries(Path(day.path))
                          if f.name.endswith(".parquet") and not f.name.startswith(".")), None)
            if found is not None:
                out.append(found)
                break
    return sorted(out)


def _entries(folder: Path) -> Iterator[os.DirEntry[str]]:
    """The entries of ``folder``, as the listing reads them (none when it is missing or not a directory)."""
    try:
        listing = os.scandir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    with listing:
        yield from listing


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
    refuse_mixing(data_dir, set(snapshots["source"].to_list()), every_file=False)
    written = []
    for row in snapshots.iter_rows(named=True):
        cluster, sid, at = row["cluster"], row["snapshot_id"], row["collected_at"]
        parts = {
            "snapshots": snapshots.filter(pl.col("cluster") == cluster),
            "objects": objects.filter(pl.col("cluster") == cluster),
            "coverage": coverage.filter(pl.col("cluster") == cluster),
        }
        # Objects and coverage first, the snapshot row last: a snapshot row means it is whole.
        with cluster_lock(data_dir, cluster):
            mine = []
            for table in TABLES:
                target = partition_path(data_dir, table, cluster, at, sid)
                with atomic_path(target) as tmp:
                    parts[table].write_parquet(tmp, compression="zstd", statistics=True)
                mine.append(target)
            commit(data_dir, mine)
            written += mine
    return written


def commit(data_dir: Path | str, files: list[Path]) -> None:
    """Commit one (cluster, snapshot)'s ``files`` just written into ``data_dir``: nothing more
    for a local directory; for the mirror of a URL, upload them and then the snapshot's manifest
    (``readiness.store._remote``), removing the local copies when that fails (uncommitted, they
    must not be read)."""
    try:
        _remote.commit_snapshot(data_dir, files)
    except BaseException:
        if _remote.remote_of(data_dir) is not None:
            for f in files:
                f.unlink(missing_ok=True)
        raise


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
        try:
            stored = pl.read_parquet_schema(f)
        except (pl.exceptions.PolarsError, OSError) as err:
            raise DataFileError(str(f), f"not a readable Parquet file of table '{table}' "
                                        f"({_first_line(err)})") from None
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
    """Read ``table`` from ``data_dir`` (validated), optionally for some clusters only; rows in file order.

    One scan of every file; each file's schema is read and checked (``check_files``, one metadata
    read per file: most of the time at hundreds of snapshots) only when that scan fails or yields
    other types than the declared ones. The snapshots table is read through its index
    (``_snapshots_index``): only the files written or changed since the index was saved are read."""
    if table == "snapshots":
        return _indexed(Path(data_dir), clusters)
    files = _files(Path(data_dir), table, clusters)
    if not files:
        return schema.empty(table)
    return _read_paths(data_dir, table, files)


def _read_paths(data_dir: Path | str, table: str, files: list[Path], file_column: str | None = None) -> pl.DataFrame:
    """The rows of exactly ``files`` of ``table`` (validated, in file order; ``file_column``: a column
    of that name holding each row's file path). ``DataFileError``/``SchemaError`` naming a file that
    cannot be read or does not match the declared schema."""
    declared = schema.TABLES[table]
    extra = {file_column: pl.String()} if file_column else {}

    def scanned() -> pl.DataFrame:
        return (pl.scan_parquet(files, hive_partitioning=False, include_file_paths=file_column)
                .select(*declared, *extra).collect())

    try:
        frame = scanned()
        if frame.schema == pl.Schema({**declared, **extra}):
            return frame
    except (pl.exceptions.PolarsError, OSError):
        pass
    check_files(table, files)
    try:
        return scanned()
    except (pl.exceptions.ComputeError, OSError) as err:
        for f in files:
            problem = unreadable(f)
            if problem:
                raise DataFileError(str(f), problem) from None
        raise DataFileError(f"{data_dir}/{table}", f"cannot be read ({_first_line(err)})") from None


# The snapshots index of a data directory: the rows of every snapshots file read so far, each with its
# file (path under DATA) and stamp (size:mtime_ns:inode). A file whose stamp still matches is not read
# again, so reading the snapshots table costs a directory listing and a stat per file, plus the files
# new or changed since. A cache outside the data directory (reading never writes into it):
# ``$READINESS_CACHE/snapshots/<16 hex of the directory's path>.parquet``, else under
# ``~/.cache/readiness/``; deleting it costs one read of every file; when it cannot be written,
# every file is read.
_INDEX_EXTRA = pl.Schema({"file": pl.String(), "stamp": pl.String(), "dir_stamp": pl.String()})
_RACY_NS = 2_000_000_000


def _snapshots_index(data_dir: Path | str) -> Path:
    """Where the snapshots index of ``data_dir`` is kept (see above)."""
    base = Path(os.environ.get(_remote.CACHE_ENV)
                or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "readiness")
    key = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    return base / "snapshots" / f"{key}.parquet"


def _listed(data_dir: Path, table: str, clusters: list[str] | None,
            known: dict[str, tuple[str, list[str]]]) -> list[tuple[str, str, str]]:
    """(path under ``data_dir``, stamp, its directory's stamp) of each file ``_files`` lists, in its
    order. A date directory whose stamp (mtime and inode) is the one ``known`` records keeps the file
    names recorded there, without a listing (adding, removing or renaming a file changes it); every
    file is still stat'ed (a file rewritten in place keeps its directory's stamp). A directory changed
    in the last ``_RACY_NS`` gets no stamp (a coarse clock could hide a change made in that tick)."""
    out: list[tuple[str, str, str]] = []
    recent = time.time_ns() - _RACY_NS
    wanted = [f"cluster={c}" for c in clusters] if clusters else None
    names = wanted if wanted is not None else sorted(e.name for e in _entries(data_dir / table)
                                                     if e.name.startswith("cluster="))
    for cluster in names:
        days = sorted(e.name for e in _entries(data_dir / table / cluster) if e.name.startswith("date="))
        for day in days:
            rel = f"{table}/{cluster}/{day}"
            folder = os.path.join(data_dir, rel)
            try:
                st = os.stat(folder)
            except OSError:
                continue
            dir_stamp = f"{st.st_mtime_ns}:{st.st_ino}" if st.st_mtime_ns < recent else ""
            seen = known.get(rel)
            if dir_stamp and seen is not None and seen[0] == dir_stamp:
                files = seen[1]
            else:
                files = sorted(e.name for e in _entries(Path(folder)) if e.name.endswith(".parquet"))
            for name in files:
                try:
                    fst = os.stat(os.path.join(folder, name))
                    out.append((f"{rel}/{name}", f"{fst.st_size}:{fst.st_mtime_ns}:{fst.st_ino}", dir_stamp))
                except OSError:
                    out.append((f"{rel}/{name}", "-", ""))
    return out


def _indexed(data_dir: Path, clusters: list[str] | None) -> pl.DataFrame:
    """The snapshots rows of the table's files (of ``clusters``, else all), in file order: from the
    index where a file's stamp matches, else read. The index is saved again when a file was read or
    a directory's stamp changed, or (every cluster listed) when a file it holds is gone."""
    target = _snapshots_index(data_dir)
    index = pl.DataFrame(schema={**schema.SNAPSHOTS, **_INDEX_EXTRA})
    with contextlib.suppress(pl.exceptions.PolarsError, OSError):
        stored = pl.read_parquet(target)
        if stored.schema == index.schema:
            index = stored
    known: dict[str, tuple[str, list[str]]] = {}
    for file, dir_stamp in zip(index["file"].to_list(), index["dir_stamp"].to_list(), strict=True):
        folder, name = file.rsplit("/", 1)
        known.setdefault(folder, (dir_stamp, []))[1].append(name)
    files = _listed(data_dir, "snapshots", clusters, known)
    if not files:
        return schema.empty("snapshots")
    listed = pl.DataFrame({"file": [f for f, _, _ in files], "stamp": [s for _, s, _ in files],
                           "dir_stamp": [d for _, _, d in files], "_order": range(len(files))},
                          schema={"file": pl.String, "stamp": pl.String, "dir_stamp": pl.String, "_order": pl.Int64})
    known_rows = index.drop("dir_stamp").join(listed, on=["file", "stamp"], how="inner")
    todo = listed.join(known_rows.select("file").unique(), on="file", how="anti")
    rows = known_rows
    if todo.height:
        prefix = f"{data_dir}{os.sep}"
        fresh = (_read_paths(data_dir, "snapshots", [data_dir / f for f in todo["file"]], "file")
                 .with_columns(pl.col("file").str.strip_prefix(prefix))
                 .join(todo, on="file", how="left"))
        rows = pl.concat([known_rows, fresh.select(known_rows.columns)])
    rows = rows.sort("_order", maintain_order=True).drop("_order").select(index.columns)
    restamped = listed.select("file", "dir_stamp").join(index.select("file", "dir_stamp"), on=["file", "dir_stamp"],
                                                         how="anti", nulls_equal=True)
    changed = todo.height or restamped.height or (not clusters and rows.height != index.height)
    if changed:
        others = pl.DataFrame(schema=index.schema) if not clusters else index.join(listed, on="file", how="anti")
        _save_index(target, pl.concat([others, rows]))
    return rows.select(list(schema.SNAPSHOTS))


def _save_index(target: Path, rows: pl.DataFrame) -> None:
    """Write the snapshots index (atomically); a directory that cannot be written keeps none."""
    with contextlib.suppress(OSError, pl.exceptions.PolarsError):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
        os.close(fd)
        try:
            rows.write_parquet(tmp)
            set_mode(Path(tmp))
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def collect(frame: pl.LazyFrame, data_dir: Path | str, table: str, clusters: list[str] | None = None) -> pl.DataFrame:
    """``frame.collect()`` for a frame over ``table``; ``DataFileError`` naming the file that cannot be read."""
    try:
        return frame.collect()
    except (pl.exceptions.ComputeError, OSError) as err:
        for f in _files(Path(data_dir), table, clusters):
            problem = unreadable(f)
            if problem:
                raise DataFileError(str(f), problem) from None
        raise DataFileError(f"{data_dir}/{table}", f"cannot be read ({_first_line(err)})") from None


def unreadable(path: Path) -> str | None:
    """Why the Parquet file at ``path`` cannot be read in full, or None when it can."""
    try:
        pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as err:
        return f"not a readable Parquet file ({_first_line(err)})"
    return None


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return (lines[0] if lines else type(err).__name__)[:200]


def snapshots(data_dir: Path | str, clusters: list[str] | None = None) -> pl.DataFrame:
    """The snapshots table, sorted by time then cluster; ``DataNotFoundError`` when empty."""
    df = read(data_dir, "snapshots", clusters)
    if df.is_empty() and clusters:
        known = sorted(set(read(data_dir, "snapshots")["cluster"].to_list()))
        if known:
            raise DataNotFoundError(f"{_remote.shown(data_dir)}: no snapshots of cluster {', '.join(clusters)}",
                                    hint=f"clusters with snapshots: {', '.join(known)}")
    if df.is_empty():
        raise DataNotFoundError(
            f"{_remote.shown(data_dir)}: no snapshots found",
            hint="run 'readiness demo --data DIR' or 'readiness collect' first",
        )
    return df.sort("collected_at", "cluster")


def objects(data_dir: Path | str, clusters: list[str] | None = None) -> pl.DataFrame:
    """All collected objects in ``data_dir``."""
    return read(data_dir, "objects", clusters)


def temporaries(data_dir: Path | str) -> list[Path]:
    """Temporary files under ``data_dir`` (a writer's own, or an interrupted one's)."""
    return sorted(Path(data_dir).glob(f"**/.*{TMP_SUFFIX}"))


def remove_leftovers(data_dir: Path | str) -> int:
    """Remove the temporaries interrupted writers left in ``data_dir``'s tables, cluster by
    cluster, skipping clusters being written right now; return how many clusters were cleaned."""
    data_dir = Path(data_dir)
    clusters = {part.removeprefix("cluster=") for f in temporaries(data_dir)
                for part in f.relative_to(data_dir).parts[1:2] if part.startswith("cluster=")}
    cleaned = 0
    for cluster in sorted(clusters):
        with contextlib.suppress(BlockingIOError), cluster_lock(data_dir, cluster, wait=False, clean=True):
            cleaned += 1  # taking the lock removed them
    return cleaned


def remove_stale_temporaries(data_dir: Path | str) -> int:
    """Delete temporary files an interrupted run left behind; return how many."""
    n = 0
    for f in temporaries(data_dir):
        f.unlink(missing_ok=True)
        n += 1
    return n
