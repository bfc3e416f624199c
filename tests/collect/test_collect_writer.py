"""The streaming snapshot writer: batches, validation, atomic placement."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from readiness import store
from readiness.collect.writer import SnapshotWriter
from readiness.errors import SchemaError

AT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def test_rows_are_written_in_batches_and_placed_atomically(tmp_path: Path) -> None:
    writer = SnapshotWriter(tmp_path, "studio", "live-20260301T123000Z", AT, "live", batch_rows=4)
    for i in range(10):
        writer.add("v1", "Pod", ("apps", f"p{i}", "{}", "{}", '{"containers": []}', "{}"))
    assert not writer.target.exists()  # nothing visible before finish
    files = writer.finish([{"api_version": "v1", "kind": "Pod", "outcome": "ok", "count": 10, "detail": None}],
                          "ok", None)
    assert [f.parts[-4] for f in files] == ["objects", "coverage", "snapshots"]
    assert pq.ParquetFile(files[0]).metadata.num_row_groups == 3  # 4 + 4 + 2
    objects = store.objects(tmp_path)
    assert objects["name"].to_list() == [f"p{i}" for i in range(10)]
    assert set(objects["collected_at"].to_list()) == {AT}
    assert store.snapshots(tmp_path).row(0, named=True)["status"] == "ok"
    assert not list(tmp_path.rglob("*.tmp"))


def test_invalid_rows_are_refused_and_abort_leaves_nothing(tmp_path: Path) -> None:
    writer = SnapshotWriter(tmp_path, "studio", "live-x", AT, "collected", batch_rows=1)
    with pytest.raises(SchemaError, match="source"):
        writer.add("v1", "Pod", ("apps", "p", "{}", "{}", "{}", "{}"))
    writer.abort()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
