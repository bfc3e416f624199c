"""Property tests: the per-snapshot indexes ``ClusterSnapshot`` shares between checks (``Objects`` by API
group and kind, ``Coverage`` by resource type) answer exactly what the straightforward polars
filter over the stored rows answers, for random sets of objects and coverage rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.assess.checks.base import GAPS, ClusterSnapshot, Coverage, KubeObject, Objects
from readiness.assess.checks.common import declared_only, failed_builds, hidden
from readiness.store import schema

AT = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
API_VERSIONS = ["v1", "apps/v1", "apps/v1beta1", "velero.io/v1", "a/b/v1", "x/", "/v1", "batch/v1"]
KINDS = ["Pod", "Deployment", "Backup", "Kustomization", "Job"]
GROUPS = ["", "apps", "velero.io", "a/b", "x/", "batch", "nope"]
PROFILE = settings(max_examples=60, deadline=None, derandomize=True, database=None)

json_value = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                       max_size=3),
                          max_leaves=6)
text = st.none() | st.just("") | json_value.map(json.dumps)
labels = st.none() | st.just("") | st.dictionaries(st.sampled_from(["app", "tier"]), st.text(max_size=4),
                                                   max_size=2).map(json.dumps)
obj = st.fixed_dictionaries({
    "api_version": st.sampled_from(API_VERSIONS), "kind": st.sampled_from(KINDS),
    "namespace": st.none() | st.sampled_from(["default", "velero"]), "name": st.text(min_size=1, max_size=6),
    "labels": labels, "annotations": labels, "spec": text, "status": text,
    "source": st.sampled_from(["live", "repo", "demo"]),
})
cov_row = st.fixed_dictionaries({
    "api_version": st.sampled_from(API_VERSIONS), "kind": st.sampled_from(KINDS),
    "outcome": st.sampled_from(list(schema.COVERAGE_OUTCOMES)), "count": st.none() | st.integers(0, 9),
    "detail": st.none() | st.just("") | st.sampled_from(["a.yaml: bad", "Kustomization flux/x (path ./x): no",
                                                         "HTTP 410: gone"]),
})


def frame(rows: list[dict]) -> pl.DataFrame:
    full = [{"snapshot_id": "s", "cluster": "c", "collected_at": AT, **r} for r in rows]
    return pl.DataFrame(full, schema=schema.OBJECTS)


def straightforward(objects: pl.DataFrame, group: str, kind: str) -> list[KubeObject]:
    """The objects of (group, kind) by a polars filter on the whole frame, each row parsed."""
    picked = objects.filter((pl.col("api_version").str.replace(r"/?[^/]+$", "") == group) & (pl.col("kind") == kind))
    return [KubeObject(r["api_version"], r["kind"], r["namespace"], r["name"], json.loads(r["labels"] or "{}"),
                 json.loads(r["annotations"] or "{}"), json.loads(r["spec"] or "null"),
                 json.loads(r["status"] or "null"), r["source"] or "live")
            for r in picked.iter_rows(named=True)]


def straightforward_outcome(objects: pl.DataFrame, coverage: pl.DataFrame, group: str, kind: str) -> str:
    rows = coverage.filter((pl.col("api_version").map_elements(
        lambda v: v.rsplit("/", 1)[0] if "/" in v else "", return_dtype=pl.String) == group) & (pl.col("kind") == kind))
    outcomes = rows["outcome"].to_list()
    worst = [g for g in GAPS if g in outcomes]
    if worst:
        return worst[0]
    if straightforward(objects, group, kind) or "ok" in outcomes:
        return "ok"
    return outcomes[0] if outcomes else "absent"


@PROFILE
@given(st.lists(obj, max_size=25), st.lists(cov_row, max_size=8))
def test_index_answers_what_the_filter_answers(rows: list[dict], cov: list[dict]) -> None:
    objects = frame(rows)
    coverage = pl.DataFrame(cov, schema={k: schema.COVERAGE[k] for k in
                                         ("api_version", "kind", "outcome", "count", "detail")})
    from_frame = ClusterSnapshot("c", AT, objects, coverage=coverage)
    from_index = ClusterSnapshot("c", AT, Objects.of(objects), coverage=Coverage.of(coverage))
    for group in GROUPS:
        for kind in KINDS:
            want = straightforward(objects, group, kind)
            assert from_frame.items(group, kind) == want
            assert from_index.items(group, kind) == want
            assert from_frame.items(group, kind) is from_frame.items(group, kind)  # parsed once, shared
            assert from_frame.outcome(group, kind) == straightforward_outcome(objects, coverage, group, kind)
    # Every object is in exactly one (group, kind) list.
    assert sum(len(from_frame.items(g, k)) for g in GROUPS for k in KINDS) == len(rows)
    assert declared_only(from_frame) == (objects.height > 0 and bool((objects["source"] == "repo").all()))
    skipped = coverage.filter((pl.col("outcome") == "skipped") & pl.col("kind").is_in(["Backup", "Job"]))
    assert hidden(from_index, "Backup", "Job") == sorted(
        {d.split(":", 1)[0] for d in skipped["detail"].to_list() if d})
    broken = coverage.filter((pl.col("outcome") == "error") & (pl.col("kind") == "Kustomization"))
    assert failed_builds(from_index) == sorted({d.split(" (path ", 1)[0] for d in broken["detail"].to_list() if d})
    assert from_index.objects.select(Objects.of(objects).frame().columns).equals(
        objects.select(Objects.of(objects).frame().columns))
