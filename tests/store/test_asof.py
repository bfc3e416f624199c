"""The snapshots that decide one day: the same picks as the whole table, without reading the rest."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from readiness import store
from readiness.assess.assessment import assess
from readiness.assess.evaluate import evaluated_snapshots, freshness
from readiness.errors import DataFileError
from readiness.store import _tables, schema


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


def _write(data: Path, cluster: str, source: str, at: datetime, status: str = "ok") -> Path:
    sid = f"{source}-{at:%Y%m%dT%H%MZ}"
    snaps = pl.DataFrame([{"snapshot_id": sid, "cluster": cluster, "collected_at": at, "source": source,
                           "status": status, "error": None}], schema=schema.SNAPSHOTS)
    store.write_snapshot(data, schema.empty("objects"), snaps, schema.empty("coverage"))
    return store.partition_path(data, "snapshots", cluster, at, sid)


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("READINESS_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tables, "_RACY_NS", 0)  # trust a directory's stamp at once (the clock here is fine-grained)


@pytest.mark.usefixtures("trusted")
def test_the_rows_of_one_day_pick_what_the_whole_table_picks(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write(data, "air", "repo", _at(1, 8))
    _write(data, "air", "live", _at(1))
    _write(data, "air", "live", _at(3))
    _write(data, "air", "live", _at(4), "unreachable")
    _write(data, "air", "live", _at(5), "unreachable")
    _write(data, "air", "repo", _at(5))
    _write(data, "pi", "live", _at(2), "unreachable")  # never reached
    _write(data, "pi", "live", _at(3), "unreachable")
    _write(data, "edge", "repo", _at(2))  # only its repository
    _write(data, "edge", "repo", _at(4))
    _write(data, "late", "live", _at(5))  # nothing before day 5
    every = store.snapshots(data)  # reads every file; the index is current from here on
    for day in (date(2026, 1, d) for d in range(1, 6)):
        rows, picked_day = store.snapshots_as_of(data, day)
        assert picked_day == day
        assert rows.height < every.height
        assert evaluated_snapshots(rows, as_of=day) == evaluated_snapshots(every, as_of=day)
        assert freshness(rows, day, 3).equals(freshness(every, day, 3))
        assert set(rows["cluster"]) == set(every["cluster"])  # waivers may name a cluster not collected yet
    rows, newest = store.snapshots_as_of(data)
    assert newest == date(2026, 1, 5)
    # air: its newest usable snapshot, the first failed collection after it, its repository then.
    assert rows.filter(pl.col("cluster") == "air")["snapshot_id"].to_list() == [
        "repo-20260101T0800Z", "live-20260103T1200Z", "live-20260104T1200Z"]  # its oldest is its repository
    # air 3; pi 2 (never reached: its first, the failure after it); edge 2 (its newest, its oldest); late 1.
    assert rows.height == 8

def test_assessing_the_newest_day_reads_no_older_snapshot(tmp_path: Path) -> None:
    # Directories written a moment ago: too recent for their stamps to be trusted, so they are listed.
    data = tmp_path / "data"
    _write(data, "air", "live", _at(1))
    old = _write(data, "air", "live", _at(2))
    _write(data, "air", "live", _at(3))
    store.snapshots(data)
    old.write_bytes(old.read_bytes()[:-40])  # damaged in place: its date directory keeps its stamp
    with pytest.raises(DataFileError, match=old.name):
        store.snapshots(data)  # the whole table reads it
    assert assess(data).findings["snapshot_id"].unique().to_list() == ["live-20260103T1200Z"]
    assert store.snapshots_as_of(data, date(2026, 1, 1))[0]["snapshot_id"].to_list() == ["live-20260101T1200Z"]
    with pytest.raises(DataFileError, match=old.name):
        store.snapshots_as_of(data, date(2026, 1, 2))  # the day it decides: read, its damage named
    old.unlink()
    _write(data, "air", "live", _at(4))  # a new day, in a date directory the index never read
    assert store.snapshots_as_of(data)[1] == date(2026, 1, 4)
