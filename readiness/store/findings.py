"""Stored findings: each snapshot is evaluated once per digest and its findings kept as Parquet.

Layout: ``DATA/findings/digest=<DIGEST>/<segment>.parquet``. A segment holds the findings of
the snapshots one run evaluated (one row per (snapshot, check), the columns of
``schema.FINDINGS`` plus ``STORED_EXTRA``); a later run reads the segments of its digest and
evaluates only the snapshots they do not hold. Segments are written atomically (a temporary
file, then a rename) and merged into one when there are more than ``MAX_SEGMENTS``.

The digest (``digest()``, 16 hex digits of a SHA-256) covers everything that decides a finding
besides the snapshot itself:

- the rubric as loaded (the default, the profile ``fleet.yaml`` selects and ``--rubric`` merged
  over them: categories, weights, checks, thresholds, blockers, criteria, stale_after_days);
- the attestations (``attestations.yaml``), the waivers (``waivers.yaml``) and the cluster roles
  (``fleet.yaml``), as loaded;
- the checks' version: ``readiness.__version__`` and the source of every module that defines a
  registered check or that evaluation runs (``code_version()``).

A stored snapshot is reused only while its evidence is the same: each row records the
snapshot's repo snapshot and the size and modification time of both objects files
(``evidence_stamp``), so a snapshot written again under the same id (or rewritten by
``readiness scrub``) is evaluated again.

A segment that cannot be read is ignored with a one-line warning on stderr and its snapshots
are evaluated again (the unreadable file is then removed). A data directory that cannot be
written is evaluated without storing (one warning per process). Deleting ``DATA/findings/``
forces every snapshot to be evaluated again.

A data directory in object storage (``--data s3://...``, docs/storage.md) works on a local mirror:
each new segment is also uploaded under its unique name (a failed upload is a "not stored"
warning, as above), and segments are never merged there (merging would need a lock the bucket
does not have); the mirror downloads the segments other machines stored. A mirror brought up to
date for some clusters only (``metrics --cluster C``) has no stored findings and stores none.

``READINESS_EVALUATION_LOG``: when set to a file path, every evaluation of one snapshot appends
one line ``DIGEST CLUSTER SNAPSHOT_ID`` to it (from any process, e.g. the report's notebook
kernels): how the tests count evaluations.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from readiness.errors import ReadinessError
from readiness.store import _remote, schema

DIR = "findings"
MAX_SEGMENTS = 8
EVALUATION_LOG_ENV = "READINESS_EVALUATION_LOG"
STORED_EXTRA = pl.Schema({
    "repo_snapshot_id": pl.String(),   # the repo snapshot merged into the evidence, or null
    "evidence_stamp": pl.String(),     # size:mtime_ns of the objects files read (see module docstring)
    "check_status": pl.String(),       # the check's own status, before any waiver
    "applicable": pl.Boolean(),        # the check applies to the cluster's role
})
STORED = pl.Schema({**schema.FINDINGS, **STORED_EXTRA})

_warned_unwritable: set[str] = set()
_read_only: dict[str, str] = {}  # data directory -> the digest a report computed (``expect``)


class FindingsNotStoredError(RuntimeError):
    """A caller that promised to only read stored findings (``expect``) found some missing."""


def warn(message: str) -> None:
    """One line on stderr, as the CLI's warnings read."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


def _jsonable(value: Any) -> Any:
    return str(value)


@cache
def code_version() -> str:
    """``readiness.__version__`` and a SHA-256 of the source of every check module and every
    module evaluation runs (a plugin's check modules included: they are found through the
    registry). Computed once per process."""
    import readiness
    from readiness.assess import attestations, checks, evaluate
    from readiness.assess.checks import REGISTRY
    from readiness.store import repofacts

    files = {Path(f) for f in Path(checks.__file__).parent.rglob("*.py")}  # every module of the package
    files |= {Path(str(getattr(sys.modules.get(fn.__module__), "__file__", "") or "")) for fn in REGISTRY.values()}
    files |= {Path(str(m.__file__)) for m in (attestations, evaluate, repofacts, schema, sys.modules[__name__])}
    h = hashlib.sha256(readiness.__version__.encode())
    for path in sorted(f.resolve() for f in files if f.name):
        with contextlib.suppress(OSError):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def digest(rubric: Any, attestations: Iterable[Any], waivers: Iterable[Any], roles: dict[str, str]) -> str:
    """16 hex digits naming everything besides the snapshot that decides its findings (module
    docstring). ``rubric``: a ``rubric.Rubric``; the others as ``attestations.load_*`` return them.
    Where a waiver or rubric entry is written (file, line) is left out: only what it says counts."""
    rub = asdict(rubric)
    rub.pop("sources", None)
    doc = {
        "rubric": rub,
        "attestations": [asdict(a) for a in attestations],
        "waivers": [{k: v for k, v in asdict(w).items() if k not in ("path", "line")} for w in waivers],
        "roles": roles,
        "code": code_version(),
    }
    text = json.dumps(doc, sort_keys=True, default=_jsonable)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def directory(data_dir: Path | str, key: str) -> Path:
    """Where the findings of digest ``key`` are stored."""
    return Path(data_dir) / DIR / f"digest={key}"


def expect(data_dir: Path | str | None, key: str | None) -> None:
    """Promise that the findings of ``data_dir`` under digest ``key`` are stored (the report
    computed them): an evaluation in this process then raises ``FindingsNotStoredError``
    instead of evaluating. ``key=None`` lifts the promise (a notebook opened by hand computes).
    ``data_dir=None``: the default data directory (``paths.data_dir``)."""
    from readiness.store import paths

    where = str(paths.data_dir(data_dir).resolve())
    if key is None:
        _read_only.pop(where, None)
    else:
        _read_only[where] = key


def expected(data_dir: Path | str) -> str | None:
    """The digest promised for ``data_dir`` by ``expect``, or None."""
    return _read_only.get(str(Path(data_dir).resolve()))


def stamp(files: Iterable[Path]) -> str:
    """``size:mtime_ns`` of each file (``-`` for one that is missing), joined by ``;``."""
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append(f"{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            out.append("-")
    return ";".join(out)


def _segments(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


_GONE = "gone"


def _read_segment(path: Path, snapshot_ids: list[str] | None = None) -> pl.DataFrame | str | None:
    """The rows of one segment; None (after a warning, the file removed) when it cannot be read;
    ``_GONE`` when another run merged it away since it was listed."""
    try:
        stored = pl.read_parquet_schema(path)
        missing = [c for c in STORED if c not in stored]
        if missing:
            raise ValueError(f"column {missing[0]} is missing")
        frame = pl.scan_parquet(path).select(list(STORED))
        if snapshot_ids is not None:  # only what is asked for: row groups of other snapshots are skipped
            frame = frame.filter(pl.col("snapshot_id").is_in(snapshot_ids))
        return frame.collect().cast(STORED)
    except FileNotFoundError:
        return _GONE  # merged away by another run since we listed it: its rows are in the merged file
    except (pl.exceptions.PolarsError, OSError, ValueError) as err:
        first = next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)
        warn(f"{path}: stored findings cannot be read ({first[:160]}); ignored, its snapshots are evaluated again")
        with contextlib.suppress(OSError):
            path.unlink()
        return None


def load(data_dir: Path | str, key: str, snapshot_ids: list[str] | None = None) -> pl.DataFrame:
    """Every stored row (``STORED``) of digest ``key`` (of ``snapshot_ids`` only, when given), one
    set per (cluster, snapshot_id): where two segments hold the same snapshot (two runs at once),
    the newer segment's rows are kept."""
    folder = directory(data_dir, key)
    for _ in range(3):
        read = [_read_segment(p, snapshot_ids) for p in _segments(folder)]
        if not any(r is _GONE for r in read):
            break
    frames = [(i, f) for i, f in enumerate(read) if isinstance(f, pl.DataFrame)]
    if not frames:
        return pl.DataFrame(schema=STORED)
    tagged = pl.concat([f.with_columns(pl.lit(i).alias("_segment")) for i, f in frames])
    newest = tagged.group_by("cluster", "snapshot_id").agg(pl.col("_segment").max())
    return tagged.join(newest, on=["cluster", "snapshot_id", "_segment"], how="semi").drop("_segment")


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def save(data_dir: Path | str, key: str, rows: pl.DataFrame, *, merge: bool = True) -> Path | None:
    """Store ``rows`` (``STORED``) as a new segment of digest ``key``; merge the segments when
    there are more than ``MAX_SEGMENTS`` (unless ``merge`` is False: a Dask worker, whose
    command merges once at the end, ``compact``). Returns the segment written, or None when the
    data directory cannot be written (one warning per process; the findings are still returned
    to the caller, only not kept)."""
    from readiness import store

    if rows.is_empty() or _remote.partial(data_dir):  # a mirror of some clusters only: a reader's view
        return None
    folder = directory(data_dir, key)
    target = folder / f"{uuid.uuid4().hex}.parquet"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with store.atomic_path(target) as tmp:
            rows.select(list(STORED)).write_parquet(tmp, compression="zstd", statistics=True)
        if _remote.remote_of(data_dir) is not None:  # object storage: the segment goes up; never merged there
            try:
                _remote.upload(data_dir, target)
            except ReadinessError as err:
                target.unlink(missing_ok=True)
                raise OSError(str(err)) from None
        elif merge and len(_segments(folder)) > MAX_SEGMENTS:
            _merge(folder)
    except OSError as err:
        where = str(Path(data_dir))
        if where not in _warned_unwritable:
            _warned_unwritable.add(where)
            warn(f"{folder}: findings not stored ({err.strerror or err}); they are evaluated again next time")
        return None
    return target


def read_segment(path: Path) -> pl.DataFrame | None:
    """The rows (``STORED``) of the segment ``path`` (one ``save`` wrote), or None when it cannot
    be read or was merged away since (a warning for the former, as ``load`` gives)."""
    read = _read_segment(Path(path))
    return read if isinstance(read, pl.DataFrame) else None


def compact(data_dir: Path | str, key: str) -> None:
    """Merge the segments of digest ``key`` into one when there are more than ``MAX_SEGMENTS``
    (after Dask workers each stored their own; never in object storage, as ``save``). A data
    directory that cannot be written is left as it is."""
    folder = directory(data_dir, key)
    if _remote.remote_of(data_dir) is None and len(_segments(folder)) > MAX_SEGMENTS:
        with contextlib.suppress(OSError):
            _merge(folder)


def _merge(folder: Path) -> None:
    """Merge the segments of ``folder`` into one (under a lock, so two runs never merge at once)."""
    from readiness import store

    with _lock(folder):
        files = _segments(folder)
        if len(files) <= MAX_SEGMENTS:
            return
        merged = load(folder.parent.parent, folder.name.removeprefix("digest="))
        target = folder / f"{uuid.uuid4().hex}.parquet"
        with store.atomic_path(target) as tmp:
            merged.write_parquet(tmp, compression="zstd", statistics=True)
        for f in files:
            f.unlink(missing_ok=True)


def log_evaluation(key: str, cluster: str, snapshot_id: str) -> None:
    """Append ``DIGEST CLUSTER SNAPSHOT_ID`` to the file ``READINESS_EVALUATION_LOG`` names, if any."""
    path = os.environ.get(EVALUATION_LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as log:  # one short append: atomic between processes
            log.write(f"{key} {cluster} {snapshot_id}\n")


def stored_rows(
    data_dir: Path | str,
    key: str,
    wanted: pl.DataFrame,
    evaluate: Callable[[list[int]], pl.DataFrame],
    *,
    saves: bool = False,
) -> pl.DataFrame:
    """The stored rows (``STORED``) of every snapshot in ``wanted``, evaluating only the missing ones.

    ``wanted``: one row per snapshot to evaluate, columns cluster, snapshot_id, repo_snapshot_id,
    evidence_stamp, in order. A stored snapshot whose repo snapshot or evidence stamp differs is
    missing. ``evaluate(indexes)`` evaluates the snapshots at those rows of ``wanted`` and returns
    their ``STORED`` rows; they are saved as a new segment (``saves``: ``evaluate`` stored them
    itself, as Dask workers do, and the segments are only ``compact``-ed). Raises
    ``FindingsNotStoredError`` when ``expect`` promised they were all stored.
    """
    have = load(data_dir, key, sorted(set(wanted["snapshot_id"].to_list())))
    keys = ["cluster", "snapshot_id", "repo_snapshot_id", "evidence_stamp"]
    indexed = wanted.select(keys).with_row_index("_point")
    found = have.join(indexed, on=keys, how="inner", nulls_equal=True)
    missing = sorted(set(indexed["_point"].to_list()) - set(found["_point"].to_list()))
    if missing:
        promised = expected(data_dir)
        if promised is not None:
            raise FindingsNotStoredError(
                f"{len(missing)} snapshot(s) of {data_dir} are not stored under digest {key} "
                f"(the report computed digest {promised}): the rubric, waivers, attestations or data changed "
                "while the report ran")
        new = evaluate(missing).cast(STORED)
        if saves:
            compact(data_dir, key)
        else:
            save(data_dir, key, new)
        new = new.join(indexed.select("_point", "cluster", "snapshot_id"), on=["cluster", "snapshot_id"])
        found = pl.concat([found, new.select(found.columns)])
    return found
