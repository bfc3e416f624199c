"""Every check fixture, with its objects stored as the collector stores them (the sanitizer's allowlist),
gives the same status and score: the allowlist keeps every field the checks read."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from readiness.assess import rubric
from readiness.assess.checks import REGISTRY
from readiness.assess.checks.base import CheckThresholds, ClusterSnapshot, run
from readiness.collect.configfacts import FACTS_KEY
from readiness.collect.sanitize import row_fields
from readiness.store import schema
from tests.checks.fixtures import fixture_files, load

RUBRIC = rubric.load()


def _as_stored(ev: ClusterSnapshot) -> ClusterSnapshot:
    """The same evidence with each object row rebuilt through ``row_fields``."""
    records = []
    for r in ev.objects.iter_rows(named=True):
        obj: dict[str, Any] = {"apiVersion": r["api_version"], "kind": r["kind"],
                               "metadata": {"name": r["name"], "namespace": r["namespace"],
                                            "labels": json.loads(r["labels"]),
                                            "annotations": json.loads(r["annotations"])},
                               "spec": json.loads(r["spec"]), "status": json.loads(r["status"])}
        ns, name, labels, annotations, spec, status = row_fields(copy.deepcopy(obj))
        # The fixture loader already derived the facts from the raw object, as the collector does.
        derived = obj["status"].get(FACTS_KEY) if isinstance(obj["status"], dict) else None
        if derived:
            status = json.dumps({**json.loads(status), FACTS_KEY: derived}, sort_keys=True)
        records.append({**r, "namespace": ns, "name": name, "labels": labels, "annotations": annotations,
                        "spec": spec, "status": status})
    objects = pl.DataFrame(records, schema=schema.OBJECTS) if records else ev.objects
    return ClusterSnapshot(ev.cluster, ev.collected_at, objects, role=ev.role, coverage=ev.coverage,
                    attestations=ev._attestations)


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_sanitized_fixture_keeps_status_and_score(path: Path) -> None:
    check_id = path.parent.name
    ev, doc = load(path)
    cfg = CheckThresholds(check_id, {**RUBRIC.checks[check_id].thresholds, **(doc.get("thresholds") or {})})
    raw = run(REGISTRY[check_id], ev, cfg)  # as the evaluation calls checks: a malformed field is unknown
    stored = run(REGISTRY[check_id], _as_stored(ev), cfg)
    assert (stored.status, stored.score) == (raw.status, pytest.approx(raw.score)), \
        f"sanitized: {stored.reason!r}; raw: {raw.reason!r}"
    assert stored.evidence == raw.evidence
