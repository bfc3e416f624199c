"""Property tests: checks never raise on malformed objects, and a broken field they read is never
a confident answer.

Objects come from each check's own fixtures (``tests/checks/<id>/*.yaml``) with one field
removed, nulled, retyped or replaced by an unrendered ``${VAR}`` template (envsubst, Flux
post-build substitution). ``READS`` lists the object fields each check of issue 10 reads; the
sanitizer's allowlist must keep them.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.assess import rubric
from readiness.assess.checks import REGISTRY
from readiness.assess.checks.base import CheckThresholds, ClusterSnapshot, Result, run
from readiness.errors import MalformedFieldError
from tests.checks.fixtures import HERE, _when, rows

RUBRIC = rubric.load()
STATUSES = {"pass", "fail", "partial", "unknown", "not_applicable"}
TEMPLATE = "${VAR}"
PROFILE = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# check id -> (kind, dotted field path; * for any list item) it reads. The sanitizer keeps these.
READS: dict[str, set[tuple[str, str]]] = {
    "backup_schedule_daily": {
        ("Schedule", "spec.schedule"), ("Schedule", "spec.paused"), ("Schedule", "spec.template.ttl"),
        ("Schedule", "status.phase"), ("Schedule", "spec.backup.schedule"),
        ("Schedule", "spec.prune.retention.keepDaily"), ("Schedule", "spec.prune.retention.keepLast"),
        ("ReplicationSource", "spec.trigger.schedule"), ("ReplicationSource", "spec.paused"),
        ("ReplicationSource", "spec.restic.retain.daily"), ("ReplicationSource", "spec.restic.retain.hourly"),
        ("ScheduledBackup", "spec.schedule"), ("ScheduledBackup", "spec.suspend"),
        ("ScheduledBackup", "spec.cluster.name"), ("Cluster", "spec.backup.retentionPolicy"),
        ("HelmRelease", "status.readiness.dev/facts.velero_schedules.*.schedule"),
        ("HelmRelease", "status.readiness.dev/facts.velero_schedules.*.paused"),
    },
    "backup_success_rate": {
        ("Backup", "status.phase"), ("Backup", "status.startTimestamp"), ("Backup", "status.completionTimestamp"),
        ("Backup", "status.expiration"), ("Backup", "spec.ttl"), ("Backup", "status.startedAt"),
        ("Backup", "status.stoppedAt"), ("Backup", "status.conditions.*.status"),
        ("Backup", "status.conditions.*.reason"), ("Backup", "status.conditions.*.lastTransitionTime"),
    },
    "backup_recent_success": {
        ("Backup", "status.phase"), ("Backup", "status.startTimestamp"), ("Backup", "status.completionTimestamp"),
        ("Backup", "status.stoppedAt"), ("Backup", "status.startedAt"),
        ("ReplicationSource", "status.lastSyncTime"),
    },
    "backup_location_available": {
        ("BackupStorageLocation", "status.phase"), ("BackupStorageLocation", "status.lastValidationTime"),
    },
    "backup_restore_tested": {("Restore", "status.phase"), ("Restore", "status.completionTimestamp")},
    "infra_nodes_ready": {("Node", "status.conditions.*.status"), ("Node", "status.conditions.*.type")},
    "infra_nodes_no_pressure": {("Node", "status.conditions.*.status"), ("Node", "status.conditions.*.type")},
    "infra_pvcs_bound": {("PersistentVolumeClaim", "status.phase")},
    "sec_certificates_valid": {
        ("Certificate", "status.notAfter"), ("Certificate", "status.renewalTime"),
        ("Certificate", "status.conditions.*.status"), ("Certificate", "spec.duration"),
        ("Certificate", "spec.renewBefore"),
    },
    "infra_cert_manager_ready": {
        ("ClusterIssuer", "status.conditions.*.status"), ("Issuer", "status.conditions.*.status"),
        ("Deployment", "spec.replicas"), ("Deployment", "status.readyReplicas"),
    },
    "obs_slos": {
        ("PrometheusServiceLevel", "spec.service"), ("PrometheusServiceLevel", "spec.slos"),
        ("Deployment", "spec.replicas"), ("Deployment", "status.readyReplicas"),
    },
}
OWN = sorted({*READS, "backup_storage_available", "backup_velero_installed", "backup_offsite"})


@cache
def _fixtures(check_id: str) -> tuple[tuple[Path, dict[str, Any]], ...]:
    return tuple((p, yaml.safe_load(p.read_text()) or {}) for p in sorted((HERE / check_id).glob("*.yaml")))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path below ``spec``, ``status`` and ``metadata.labels``/``annotations`` of an object."""
    out = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        if not prefix and key not in ("spec", "status", "metadata"):
            continue
        if prefix == ("metadata",) and key not in ("labels", "annotations"):
            continue
        if prefix == ("metadata",):  # the API server guarantees labels are a map: mutate their values only
            out.extend(_paths(inner, (*prefix, key)))
            continue
        out.append((*prefix, key))
        out.extend(_paths(inner, (*prefix, key)))
    return [p for p in out if p != ("metadata",)]


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join("*" if isinstance(k, int) else str(k) for k in path)


def _mutate(obj: dict[str, Any], path: tuple[Any, ...], how: str) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    parent: Any = obj
    for key in path[:-1]:
        parent = parent[key]
    key, old = path[-1], parent[path[-1]]
    if how == "remove":
        del parent[key]
    elif how == "null":
        parent[key] = None
    elif how == "template":
        parent[key] = TEMPLATE
    else:  # retype: a string becomes a number, anything else a string
        parent[key] = 7 if isinstance(old, str) else "seven"
    return obj


def _evaluate(check_id: str, doc: dict[str, Any], objects: list[dict[str, Any]], *, raw: bool) -> Result:
    at = _when(doc.get("collected_at"))
    cov = doc.get("coverage") or []
    import polars as pl

    coverage = pl.DataFrame(
        [{"api_version": c["api_version"], "kind": c["kind"], "outcome": c["outcome"]} for c in cov],
        schema={"api_version": pl.String, "kind": pl.String, "outcome": pl.String})
    ev = ClusterSnapshot("fixture", at, rows(objects, "fixture", at), role=doc.get("role"), coverage=coverage)
    cfg = CheckThresholds(check_id, {**RUBRIC.checks[check_id].thresholds, **(doc.get("thresholds") or {})})
    return REGISTRY[check_id](ev, cfg) if raw else run(REGISTRY[check_id], ev, cfg)


def _cases(check_ids: list[str], read_only: bool) -> list[tuple[str, int, int, tuple[Any, ...]]]:
    """(check id, fixture index, object index, field path) for every field of every fixture object;
    with ``read_only``, only the fields the check reads (``READS``)."""
    out = []
    for check_id in check_ids:
        for f, (_, doc) in enumerate(_fixtures(check_id)):
            for i, obj in enumerate(doc.get("objects") or []):
                for path in _paths(obj):
                    if not read_only or (obj.get("kind"), _dotted(path)) in READS.get(check_id, set()):
                        out.append((check_id, f, i, path))
    return out


ALL_CASES = _cases(sorted(REGISTRY), read_only=False)
OWN_CASES = _cases(OWN, read_only=False)
READ_CASES = _cases(sorted(READS), read_only=True)
MUTATIONS = ("remove", "null", "template", "retype")


def _apply(case: tuple[str, int, int, tuple[Any, ...]], how: str) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    check_id, f, i, path = case
    _, doc = _fixtures(check_id)[f]
    objects = list(doc.get("objects") or [])
    objects[i] = _mutate(objects[i], path, how)
    return check_id, doc, objects


@PROFILE
@given(case=st.sampled_from(ALL_CASES), how=st.sampled_from(MUTATIONS))
def test_no_check_stops_the_evaluation(case: tuple[str, int, int, tuple[Any, ...]], how: str) -> None:
    """Through run() (what the evaluation calls), every check of the registry answers with a status."""
    check_id, doc, objects = _apply(case, how)
    result = _evaluate(check_id, doc, objects, raw=False)
    assert result.status in STATUSES
    assert 0.0 <= result.score <= 1.0
    assert result.reason and "\n" not in result.reason
    assert "Traceback" not in result.reason


@PROFILE
@given(case=st.sampled_from(OWN_CASES), how=st.sampled_from(MUTATIONS))
def test_own_checks_raise_nothing_but_a_named_field(case: tuple[str, int, int, tuple[Any, ...]], how: str) -> None:
    """The checks of issue 10 raise no exception of their own: at most MalformedFieldError, which
    names the object and the field."""
    check_id, doc, objects = _apply(case, how)
    try:
        result = _evaluate(check_id, doc, objects, raw=True)
    except MalformedFieldError as err:
        assert err.field and "/" in err.ref, err
        return
    assert result.status in STATUSES


@PROFILE
@given(case=st.sampled_from(READ_CASES), how=st.sampled_from(("template", "retype")))
def test_a_broken_field_read_is_never_a_confident_flip(case: tuple[str, int, int, tuple[Any, ...]], how: str) -> None:
    """A field the check reads replaced by ``${VAR}`` (or retyped) leaves the answer as it was, or
    makes it unknown or partial: never pass turned fail or fail turned pass."""
    check_id, f, _, _ = case
    path, doc = _fixtures(check_id)[f]
    before = _evaluate(check_id, doc, list(doc.get("objects") or []), raw=False)
    after = _evaluate(*_apply(case, how), raw=False)
    allowed = {before.status, "unknown", "partial"}
    assert after.status in allowed, f"{path.name}: {before.status} -> {after.status}: {after.reason}"


def test_templated_replicas_are_unknown_naming_object_and_field() -> None:
    """The reported crash: ``replicas: ${WEB_REPLICAS:=2}`` made ``readiness score`` print a traceback."""
    doc: dict[str, Any] = {}
    web = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"replicas": "${WEB_REPLICAS:=2}"}, "status": {"readyReplicas": 2}}
    result = _evaluate("infra_workloads_available", doc, [web], raw=False)
    assert result.status == "unknown"
    assert re.search(r"Deployment/shop/web: field spec.replicas is '\$\{WEB_REPLICAS:=2\}'", result.reason)


def test_every_read_field_is_exercised() -> None:
    """Each field READS names occurs in some fixture of its check, so the flip property tests it."""
    seen = {(check_id, _fixtures(check_id)[f][1]["objects"][i]["kind"], _dotted(path))
            for check_id, f, i, path in READ_CASES}
    missing = [(c, k, p) for c, fields in READS.items() for k, p in fields if (c, k, p) not in seen]
    assert not missing, missing
