"""Writing one cluster's snapshot while it is being collected, with memory bounded by one batch.

Object rows are validated against ``schema.OBJECTS`` batch by batch and appended to a temporary
Parquet file beside their final place; ``finish`` renames it into place, then writes coverage and,
last, the snapshot row (a snapshot row means the snapshot is whole), as ``store.write_snapshot``
does for frames held in memory.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from readiness import store
from readiness.collect import policy
from readiness.errors import ReadinessError
from readiness.store import schema

BATCH_ROWS = 2000
BATCH_BYTES = 32 * 2**20  # big objects (CRDs, reports) flush sooner
_OBJECT_COLUMNS = list(schema.OBJECTS)


def check_target(data_dir: Path) -> None:
    """Create ``data_dir``; refuse it when it holds the demo fleet (collected and demo data never mix)."""
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReadinessError(f"{data_dir}: cannot create the data directory ({err.strerror})",
                             hint="pass a writable --data DIR") from None
    store.refuse_mixing(data_dir, {"live"})
    store.remove_leftovers(data_dir)  # an interrupted run's temporaries, of every cluster not being written


def _scrubbed(text: str | None) -> str | None:
    return None if text is None else policy.scrub_text(text)


class SnapshotWriter:
    """Writes the rows of one (snapshot, cluster): objects streamed in batches, then coverage and snapshot."""

    def __init__(self, data_dir: Path, cluster: str, snapshot_id: str, collected_at: datetime, source: str,
                 batch_rows: int = BATCH_ROWS, policy_version: str | None = None) -> None:
        self.data_dir, self.cluster, self.snapshot_id = Path(data_dir), cluster, snapshot_id
        self.collected_at, self.source, self.batch_rows = collected_at, source, batch_rows
        self.target = store.partition_path(self.data_dir, "objects", cluster, collected_at, snapshot_id)
        # A second writer of this cluster waits here until the first is done (and cleans up after a killed one).
        self._lock = contextlib.ExitStack()
        self._lock.enter_context(store.cluster_lock(self.data_dir, cluster))
        done = store.partition_path(self.data_dir, "snapshots", cluster, collected_at, snapshot_id)
        if done.exists():
            self._lock.close()
            raise ReadinessError(f"{done}: snapshot {snapshot_id} of cluster '{cluster}' already exists; "
                                 "refusing to overwrite it", hint="run the collection again")
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=store.TMP_SUFFIX,
                                       dir=self.target.parent)
            os.close(fd)
            self._tmp = Path(tmp)
            # The sanitizer policy the rows went through, in the file's key-value metadata (readiness scrub reads it).
            label = policy_version or policy.version_label()
            self._arrow_schema = schema.empty("objects").to_arrow().schema.with_metadata({policy.METADATA_KEY: label})
            self._parquet: pq.ParquetWriter | None = pq.ParquetWriter(
                self._tmp, self._arrow_schema, compression="zstd", write_statistics=True)
        except BaseException:
            self._lock.close()
            raise
        self._rows: list[tuple[Any, ...]] = []
        self._bytes = 0
        self.count = 0

    def add(self, api_version: str, kind: str, fields: tuple[str | None, str, str, str, str, str]) -> None:
        """Add one object row: ``fields`` is (namespace, name, labels, annotations, spec, status)."""
        self._rows.append((api_version, kind, *fields))
        self._bytes += len(fields[2]) + len(fields[3]) + len(fields[4]) + len(fields[5])
        self.count += 1
        if len(self._rows) >= self.batch_rows or self._bytes >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Validate and append the buffered rows to the Parquet file."""
        if not self._rows or self._parquet is None:
            return
        n = len(self._rows)
        columns = list(zip(*self._rows, strict=True))
        self._rows, self._bytes = [], 0
        frame = pl.DataFrame(
            {
                "snapshot_id": [self.snapshot_id] * n,
                "cluster": [self.cluster] * n,
                "collected_at": [self.collected_at] * n,
                "source": [self.source] * n,
                **{name: list(col) for name, col in zip(_OBJECT_COLUMNS[4:], columns, strict=True)},
            },
            schema=schema.OBJECTS,
        )
        frame = schema.validate("objects", frame, str(self.target))
        try:
            table = frame.to_arrow()
            if not table.schema.equals(self._arrow_schema, check_metadata=False):  # a cast imports pyarrow.compute
                table = table.cast(self._arrow_schema)  # (half a second): only when the types differ
            self._parquet.write_table(table)
        except OSError as err:  # pyarrow's errors name no file: name the one being written
            raise _named(err, self.target) from None

    def abort(self) -> None:
        """Drop everything written so far (nothing is left in the data directory)."""
        try:
            if self._parquet is not None:
                with contextlib.suppress(OSError):  # e.g. the disk is full: the file goes anyway
                    self._parquet.close()
                self._parquet = None
            with contextlib.suppress(FileNotFoundError):
                self._tmp.unlink()
        finally:
            self._lock.close()

    def finish(self, coverage: Iterable[dict[str, Any]], status: str, error: str | None) -> list[Path]:
        """Rename the objects into place, then write coverage and the snapshot row; return the files."""
        try:
            self.flush()
            assert self._parquet is not None, "finish() after abort()"
            try:
                self._parquet.close()
            except OSError as err:
                raise _named(err, self.target) from None
            self._parquet = None
            store.set_mode(self._tmp)
            os.replace(self._tmp, self.target)
        except BaseException:
            self.abort()
            raise
        common = {"snapshot_id": self.snapshot_id, "cluster": self.cluster, "collected_at": self.collected_at}
        # Error texts quote servers and files: they go through the same scrubber as kept free text (a coverage
        # detail's file names stay readable: ``policy.scrub_detail``).
        cov = pl.DataFrame([{**common, **c, "detail": None if c.get("detail") is None else policy.scrub_detail(
            str(c["detail"]))} for c in coverage],
                           schema=schema.COVERAGE)
        snap = pl.DataFrame([{**common, "source": self.source, "status": status, "error": _scrubbed(error)}],
                            schema=schema.SNAPSHOTS)
        written = [self.target]
        try:
            for table, frame in (("coverage", cov), ("snapshots", snap)):
                target = store.partition_path(self.data_dir, table, self.cluster, self.collected_at, self.snapshot_id)
                frame = schema.validate(table, frame, str(target))
                with store.atomic_path(target) as tmp:
                    frame.write_parquet(tmp, compression="zstd", statistics=True)
                written.append(target)
            store.commit(self.data_dir, written)  # object storage: files up, then the manifest
        except BaseException:
            for f in written:  # not committed: without its snapshot row (or manifest), its objects are orphans
                f.unlink(missing_ok=True)
            raise
        finally:
            self._lock.close()
        return written


def _named(err: OSError, target: Path) -> OSError:
    """``err`` with ``target`` as its file name and the errno pyarrow only writes into its text."""
    if err.filename:
        return err
    found = re.search(r"errno (\d+)", str(err))
    code = int(found.group(1)) if found else (err.errno or 0)
    return OSError(code, os.strerror(code) if code else str(err), str(target))
