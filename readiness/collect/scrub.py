"""Bringing stored snapshots to the current sanitizer policy (``readiness scrub``), and telling when they are not.

Each objects file records the policy its rows went through (Parquet key-value metadata
``readiness.sanitizer``; files written before there was one record nothing, version 0). ``scrub``
rewrites every objects file whose label differs from the current one: each row's annotations,
spec and status go through ``sanitize.stored`` again, the file is written to a temporary file
beside it and renamed into place, with the same rows in the same order. Applying the policy to
its own output changes nothing, so a second run replaces no value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from readiness import store
from readiness.collect import policy
from readiness.collect.catalogue import Resource
from readiness.collect.sanitize import FULL_COPY_ANNOTATIONS, dumps, stored
from readiness.errors import DataNotFoundError, ReadinessError
from readiness.store import schema


@dataclass
class ScrubResult:
    """What ``scrub`` did: files rewritten or already current, rows read, values replaced or scrubbed."""

    rewritten: list[Path] = field(default_factory=list)
    current: int = 0
    rows: int = 0
    redacted: int = 0
    scrubbed: int = 0

    def summary(self, label: str) -> str:
        """One line for the terminal."""
        files = len(self.rewritten) + self.current
        return (f"scrubbed {len(self.rewritten)} of {files} objects files ({self.rows} rows) to sanitizer policy "
                f"{label}: {self.redacted} values replaced, {self.scrubbed} texts scrubbed; "
                f"{self.current} files were already current")


def recorded_label(path: Path) -> str | None:
    """The policy label an objects file records, None when it records none (written before labels)."""
    meta = pq.read_schema(path).metadata or {}
    value = meta.get(policy.METADATA_KEY)
    return value.decode() if value else None


def objects_files(data_dir: Path) -> list[Path]:
    """The objects table's Parquet files under ``data_dir`` (``objects/cluster=*/date=*/*.parquet``), sorted."""
    return sorted((Path(data_dir) / "objects").glob("cluster=*/date=*/*.parquet"))


def _scrub_file(path: Path, label: str, extend: dict[tuple[str, str], Resource], result: ScrubResult) -> None:
    df = schema.validate("objects", pl.read_parquet(path, hive_partitioning=False), str(path))
    stats = policy.Stats()
    annotations, specs, statuses = [], [], []
    for av, kind, an, sp, st in df.select("api_version", "kind", "annotations", "spec", "status").iter_rows():
        try:
            ann = json.loads(an or "{}")
            spec, status = json.loads(sp or "null"), json.loads(st or "null")
        except json.JSONDecodeError as err:
            raise ReadinessError(f"{path}: a row of {kind} holds JSON that does not parse ({err.msg})",
                                 hint="the file is damaged; collect again") from None
        if isinstance(ann, dict):
            ann = {k: v for k, v in ann.items() if k not in FULL_COPY_ANNOTATIONS}
        res = extend.get((av.rpartition("/")[0], kind))
        ann, spec, status = stored(av, kind, ann, spec, status, keep=res.keep if res else (),
                                   text=res.text if res else (), stats=stats)
        annotations.append(dumps(ann))
        specs.append(dumps({} if spec is None else spec))
        statuses.append(dumps({} if status is None else status))
    out = df.with_columns(pl.Series("annotations", annotations, pl.String), pl.Series("spec", specs, pl.String),
                          pl.Series("status", statuses, pl.String))
    out = schema.validate("objects", out, str(path))
    assert out.height == df.height
    table = out.to_arrow()
    table = table.cast(schema.empty("objects").to_arrow().schema).replace_schema_metadata(
        {policy.METADATA_KEY: label.encode()})
    with store.atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    result.rewritten.append(path)
    result.rows += df.height
    result.redacted += stats.redacted
    result.scrubbed += stats.scrubbed


def scrub(data_dir: Path | str, catalogue: Sequence[Resource] = ()) -> tuple[ScrubResult, str]:
    """Rewrite every objects file of ``data_dir`` not at the current policy; return what was done and the label.

    ``catalogue`` entries' ``keep``/``text`` extend the policy as they did when collecting.
    Raises ``DataNotFoundError`` when ``data_dir`` holds no objects.
    """
    data_dir = Path(data_dir)
    files = objects_files(data_dir)
    if not files:
        raise DataNotFoundError(f"{data_dir}: no objects files to scrub", hint="pass the --data DIR you collect into")
    store.remove_stale_temporaries(data_dir)
    label = policy.version_of(catalogue)
    extend = {(r.group, r.kind): r for r in catalogue if r.keep or r.text}
    result = ScrubResult()
    for path in files:
        if recorded_label(path) == label:
            result.current += 1
        else:
            _scrub_file(path, label, extend, result)
    return result, label


def stale(data_dir: Path | str) -> list[tuple[Path, str | None]]:
    """Objects files of collected (not demo) snapshots sanitized by an older policy version: (file, label)."""
    data_dir = Path(data_dir)
    try:
        snaps = store.read(data_dir, "snapshots")
    except ReadinessError:
        return []
    out = []
    for r in snaps.filter(pl.col("source") != "demo").iter_rows(named=True):
        path = store.partition_path(data_dir, "objects", r["cluster"], r["collected_at"], r["snapshot_id"])
        if path.is_file():
            label = recorded_label(path)
            if policy.recorded_version(label) < policy.VERSION:
                out.append((path, label))
    return out


def stale_warning(data_dir: Path | str) -> str | None:
    """One line naming ``readiness scrub`` when collected snapshots predate the current policy, else None."""
    old = stale(data_dir)
    if not old:
        return None
    labels = sorted({label or "none" for _, label in old})
    return (f"warning: {len(old)} snapshot file(s) in {data_dir} were sanitized under an older policy "
            f"(version {', '.join(labels)}; current {policy.VERSION}): they may hold values the current policy "
            f"removes; run 'readiness scrub --data {data_dir}'")
