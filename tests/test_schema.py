"""The tables' schemas are checked on read and on write, naming the column and the file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from readiness import store
from readiness.errors import SchemaError
from readiness.store import schema

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _objects(**overrides: object) -> pl.DataFrame:
    row = {"snapshot_id": "live-1", "cluster": "air", "collected_at": AT, "source": "live", "api_version": "v1",
           "kind": "Node", "namespace": None, "name": "air-1", "labels": "{}", "annotations": "{}",
           "spec": "{}", "status": "{}"}
    row.update(overrides)
    return pl.DataFrame([row], schema=schema.OBJECTS)


def _put(tmp_path: Path, df: pl.DataFrame) -> Path:
    target = tmp_path / "objects" / "cluster=air" / "date=2026-01-02" / "live-1.parquet"
    target.parent.mkdir(parents=True)
    df.write_parquet(target)
    return target


def test_missing_column_is_refused_naming_column_and_file(tmp_path: Path) -> None:
    target = _put(tmp_path, _objects().drop("kind"))
    with pytest.raises(SchemaError) as err:
        store.read(tmp_path, "objects")
    assert err.value.column == "kind"
    assert str(target) in str(err.value)
    assert "is missing" in str(err.value)


def test_mistyped_column_is_refused_naming_column_and_file(tmp_path: Path) -> None:
    target = _put(tmp_path, _objects().with_columns(pl.col("collected_at").dt.to_string("%Y-%m-%d")))
    with pytest.raises(SchemaError) as err:
        store.read(tmp_path, "objects")
    assert err.value.column == "collected_at"
    assert str(target) in str(err.value)
    assert "expected Datetime" in str(err.value)


def test_write_refuses_nulls_in_required_columns(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"'name'.*null"):
        schema.validate("objects", _objects(name=None), "<test>")


def test_write_refuses_unknown_source(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"'source'.*'cloud'"):
        schema.validate("objects", _objects(source="cloud"), "<test>")


def test_validate_returns_declared_column_order() -> None:
    shuffled = _objects().select(reversed(_objects().columns))
    assert schema.validate("objects", shuffled, "<test>").columns == list(schema.OBJECTS)
