"""Helpers shared by the collector's tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from readiness import store
from readiness.collect import Settings

# Short timeouts and backoff: the suite talks to a local server only.
FAST = Settings(timeout=2.0, retries=2, backoff=0.01, page_size=5)
SECRET = "s3cr3t-api-key"


def pod(name: str, namespace: str = "apps", *, env: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    """A Pod as the API server lists it, with an env value that must never be stored."""
    env = {"LOG_LEVEL": "debug", "API_KEY": SECRET} if env is None else env
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", **meta},
        "spec": {"containers": [{"name": "app", "image": "ghcr.io/x/app:1",
                                 "env": [{"name": k, "value": v} for k, v in env.items()]}]},
        "status": {"phase": "Running"},
    }


def coverage(data: Path, cluster: str | None = None) -> dict[tuple[str, str], tuple[str, int, str | None]]:
    """(api_version, kind) -> (outcome, count, detail) from the coverage table."""
    df = store.read(data, "coverage", [cluster] if cluster else None)
    return {(r["api_version"], r["kind"]): (r["outcome"], r["count"], r["detail"]) for r in df.iter_rows(named=True)}


def parsed(df: pl.DataFrame, kind: str, name: str) -> dict[str, Any]:
    """One object row with its JSON columns parsed."""
    row = df.filter((pl.col("kind") == kind) & (pl.col("name") == name)).row(0, named=True)
    return {k: json.loads(v) if k in ("labels", "annotations", "spec", "status") else v for k, v in row.items()}


def snapshot(data: Path, cluster: str) -> dict[str, Any]:
    return store.read(data, "snapshots", [cluster]).row(0, named=True)
