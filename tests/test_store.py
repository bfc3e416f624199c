"""Snapshots are written atomically, replace themselves, and never mix demo with collected data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from readiness import store
from readiness.errors import DataMixError, DataNotFoundError
from readiness.store import schema

AT = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)


def _snapshot(source: str = "live", names: tuple[str, ...] = ("a", "b")) -> tuple[pl.DataFrame, ...]:
    sid = f"{source}-20260203T040506Z"
    objects = pl.DataFrame(
        [{"snapshot_id": sid, "cluster": c, "collected_at": AT, "source": source, "api_version": "v1",
          "kind": "Namespace", "namespace": None, "name": n, "labels": "{}", "annotations": "{}", "spec": "{}",
          "status": "{}"} for c in ("air", "pi") for n in names],
        schema=schema.OBJECTS,
    )
    snaps = pl.DataFrame([{"snapshot_id": sid, "cluster": c, "collected_at": AT, "source": source, "status": "ok",
                           "error": None} for c in ("air", "pi")], schema=schema.SNAPSHOTS)
    coverage = pl.DataFrame([{"snapshot_id": sid, "cluster": c, "collected_at": AT, "api_version": "v1",
                              "kind": "Namespace", "outcome": "ok", "count": len(names), "detail": None}
                             for c in ("air", "pi")], schema=schema.COVERAGE)
    return objects, snaps, coverage


def test_round_trip_and_hive_layout(tmp_path: Path) -> None:
    objects, snaps, coverage = _snapshot()
    written = store.write_snapshot(tmp_path, objects, snaps, coverage)
    assert len(written) == 6
    assert (tmp_path / "objects/cluster=pi/date=2026-02-03/live-20260203T040506Z.parquet").is_file()
    back = store.objects(tmp_path).sort("cluster", "name")
    assert back.equals(objects.sort("cluster", "name"))
    hive = pl.scan_parquet(tmp_path / "objects/**/*.parquet", hive_partitioning=True).collect()
    assert sorted(hive["date"].cast(pl.String).unique().to_list()) == ["2026-02-03"]


def test_writing_a_snapshot_again_replaces_it(tmp_path: Path) -> None:
    store.write_snapshot(tmp_path, *_snapshot(names=("a", "b")))
    store.write_snapshot(tmp_path, *_snapshot(names=("a", "b", "c")))
    back = store.objects(tmp_path)
    assert back.height == 6  # 3 names x 2 clusters, not 4 + 6
    assert back.filter(pl.col("cluster") == "air")["name"].sort().to_list() == ["a", "b", "c"]
    assert not list(tmp_path.glob("**/.*.tmp"))


def test_demo_and_collected_data_never_mix(tmp_path: Path) -> None:
    store.write_snapshot(tmp_path, *_snapshot("live"))
    with pytest.raises(DataMixError, match="demo"):
        store.write_snapshot(tmp_path, *_snapshot("demo"))


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "x" / "t.parquet"
    with pytest.raises(RuntimeError), store.atomic_path(target) as tmp:
        tmp.write_bytes(b"PAR1 half a file")
        raise RuntimeError("interrupted")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_no_snapshots_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="readiness demo"):
        store.snapshots(tmp_path)


def test_written_files_get_the_usual_mode(tmp_path: Path) -> None:
    import os

    target = tmp_path / "t.txt"
    store.write_text_atomic(target, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_snapshots_index_sees_every_change_and_writes_nothing_into_the_data(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from readiness.errors import DataFileError
    from readiness.store import _tables

    monkeypatch.setenv("READINESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(_tables, "_RACY_NS", 0)  # trust a directory's stamp at once (the clock here is fine-grained)
    data = tmp_path / "data"
    store.write_snapshot(data, *_snapshot())
    before = _tree(data)
    assert sorted(store.snapshots(data)["cluster"].to_list()) == ["air", "pi"]
    assert _tree(data) == before  # the index lives in the cache, not in the data directory
    assert _tables._snapshots_index(data).is_file()
    # A second snapshot the same day, in the same date directories: listed again, read.
    objects, snaps, coverage = _snapshot()
    later = AT.replace(hour=9)
    store.write_snapshot(data, *(f.with_columns(pl.lit("live-later").alias("snapshot_id"),
                                                pl.lit(later).cast(schema.UTC_TIME).alias("collected_at"))
                                 for f in (objects, snaps, coverage)))
    assert store.snapshots(data).filter(pl.col("cluster") == "pi")["snapshot_id"].to_list() == [
        "live-20260203T040506Z", "live-later"]
    assert store.read(data, "snapshots", ["pi"]).height == 2
    # A file rewritten in place (its directory unchanged) is read again: its damage is named.
    damaged = data / "snapshots/cluster=air/date=2026-02-03/live-later.parquet"
    damaged.write_bytes(damaged.read_bytes()[:-40])
    with pytest.raises(DataFileError, match=r"live-later\.parquet"):
        store.snapshots(data)
    damaged.unlink()
    assert store.snapshots(data)["snapshot_id"].to_list() == ["live-20260203T040506Z"] * 2 + ["live-later"]
