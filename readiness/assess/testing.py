"""Testing checks with fixture files: the runner readiness's own checks are tested with, for plugin authors.

A fixture is one small YAML file per case, in a directory named for the check id::

    tests/fixtures/<check_id>/<status>_<case>.yaml

The file name's prefix is the expected status: ``pass``, ``fail``, ``partial``, ``unknown`` or
``na`` (not applicable). A fixture holds Kubernetes-style objects (``objects:``, each with
``apiVersion``, ``kind``, ``metadata``, ``spec``, ``status``) and optionally::

    collected_at: 2026-01-10T12:30:00Z   # when the snapshot was taken (default shown)
    role: production                      # the cluster's role
    thresholds: {min_rules: 3}            # merged over the rubric's (or the dataclass's) thresholds
    attestations: [...]                   # entries as in attestations.yaml (fact, date, by, ...)
    coverage: [{api_version: velero.io/v1, kind: Backup, outcome: forbidden}]   # count, detail optional
    source: repo                          # where the objects were read (default live); an object's
                                          # own ``source:`` key overrides it (a live + repo snapshot)
    expect: {score: 0.5, reason: "substring of the reason"}

Facts derived from an object's configuration (``readiness.collect.configfacts``, e.g. a
HelmRelease's ``spec.values``) are computed from the fixture's objects as the collector does.

A plugin's test module is then three lines (pytest shown; nothing here imports pytest)::

    from readiness.assess import testing

    @pytest.mark.parametrize("path", testing.fixture_files(HERE / "fixtures"), ids=testing.case_id)
    def test_fixture(path):
        testing.verify(path)          # or testing.verify(path, rubric.load("my-rubric.yaml"))

``verify`` runs the check as the evaluation does (``base.run``: an exception is the check's
``unknown``, never a traceback) and raises ``AssertionError`` naming the file when the status,
score or reason is not what the fixture expects. ``FixtureError`` (a ``ValueError``) is raised
for a fixture that cannot be read: bad YAML, an unknown check id, a file name without a status
prefix, thresholds that do not fit the check's dataclass.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from readiness.assess.checks import thresholds as th
from readiness.assess.checks.base import (
    REGISTRY,
    THRESHOLDS,
    Attestation,
    CheckThresholds,
    ClusterSnapshot,
    Result,
    run,
)
from readiness.errors import ConfigError
from readiness.store import configfile, schema

# File-name prefix -> the status a fixture expects.
PREFIXES = {"pass": "pass", "fail": "fail", "partial": "partial", "unknown": "unknown", "na": "not_applicable"}
DEFAULT_TIME = datetime(2026, 1, 10, 12, 30, tzinfo=UTC)
"""When a fixture's snapshot was taken unless it says (``collected_at:``)."""


class FixtureError(ValueError):
    """A fixture file cannot be used: the message names the file and what to fix."""


def fixture_files(root: Path | str) -> list[Path]:
    """Every fixture under ``root`` (``<root>/<check_id>/*.yaml``), sorted by check id and name."""
    return sorted(Path(root).glob("*/*.yaml"))


def case_id(path: Path) -> str:
    """``<check_id>/<case>``: a fixture's name for test ids."""
    return f"{path.parent.name}/{path.stem}"


def expected_status(path: Path) -> str:
    """The status a fixture expects, from its file name's prefix (``na_`` -> ``not_applicable``)."""
    prefix = path.stem.split("_", 1)[0]
    if prefix not in PREFIXES:
        raise FixtureError(f"{path}: the file name must start with one of {', '.join(p + '_' for p in PREFIXES)}")
    return PREFIXES[prefix]


def collected_at(value: Any) -> datetime:
    """A fixture's ``collected_at`` as an aware datetime (UTC when no zone is given; default ``DEFAULT_TIME``)."""
    if value is None:
        return DEFAULT_TIME
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def rows(objects: list[dict[str, Any]], cluster: str, at: datetime, source: str = "live") -> pl.DataFrame:
    """Kubernetes-style objects -> rows of the objects table (``schema.OBJECTS``, one row per object),
    with the configuration facts the collector derives stored in the status as it stores them."""
    from readiness.collect.configfacts import FACTS_KEY, extract

    records = []
    for o in objects:
        meta = o.get("metadata") or {}
        facts = extract(o)
        status = {**(o.get("status") or {}), FACTS_KEY: facts} if facts else o.get("status")
        records.append({
            "snapshot_id": "fixture", "cluster": cluster, "collected_at": at, "source": o.get("source", source),
            "api_version": o["apiVersion"], "kind": o["kind"], "namespace": meta.get("namespace"),
            "name": meta["name"], "labels": json.dumps(meta.get("labels") or {}),
            "annotations": json.dumps(meta.get("annotations") or {}),
            "spec": json.dumps(o.get("spec") or {}, default=str),
            "status": json.dumps(status or {}, default=str),
        })
    return pl.DataFrame(records, schema=schema.OBJECTS)


def load(path: Path) -> tuple[ClusterSnapshot, dict[str, Any]]:
    """The evidence a fixture describes (cluster ``fixture``), and the fixture document itself."""
    try:
        doc = configfile.load(Path(path), "fixture")[0] or {}  # strict: UTF-8, no duplicated key
    except ConfigError as err:
        raise FixtureError(str(err)) from None
    if not isinstance(doc, dict):
        raise FixtureError(f"{path}: a fixture must be a YAML mapping (objects:, expect:, ...)")
    at = collected_at(doc.get("collected_at"))
    cov = doc.get("coverage") or []
    coverage = pl.DataFrame(
        [{"api_version": c["api_version"], "kind": c["kind"], "outcome": c["outcome"],
          "count": c.get("count", 0), "detail": c.get("detail")} for c in cov],
        schema={"api_version": pl.String, "kind": pl.String, "outcome": pl.String, "count": pl.Int64,
                "detail": pl.String},
    )
    attestations = [
        Attestation(fact=a["fact"], statement=a.get("statement", ""), by=a.get("by", "someone"),
                    made=a["date"] if isinstance(a["date"], date) else date.fromisoformat(a["date"]),
                    expires=a.get("expires"), evidence=a.get("evidence", ""), values=a.get("values") or {})
        for a in doc.get("attestations") or []
    ]
    objects = rows(doc.get("objects") or [], "fixture", at, doc.get("source", "live"))
    ev = ClusterSnapshot("fixture", at, objects, role=doc.get("role"), coverage=coverage, attestations=attestations)
    return ev, doc


def fixture_thresholds(path: Path, doc: dict[str, Any], rubric: Any = None) -> CheckThresholds:
    """The check's ``CheckThresholds`` for a fixture: the rubric's thresholds of the check (else the
    defaults of its dataclass) with the fixture's ``thresholds:`` merged over them, validated."""
    check_id = path.parent.name
    if check_id not in REGISTRY:
        raise FixtureError(f"{path}: no check '{check_id}' is registered (the directory names the check id; "
                           "import the module that defines it first)")
    base = dict(rubric.checks[check_id].thresholds) if rubric is not None and check_id in rubric.checks else {}
    merged = {**base, **(doc.get("thresholds") or {})}
    problem = th.validate(THRESHOLDS[check_id], merged)
    if problem is not None:
        raise FixtureError(f"{path}: check '{check_id}': {problem.problem} ({problem.hint})")
    return CheckThresholds(check_id, merged)


def run_fixture(path: Path, rubric: Any = None) -> Result:
    """The check's result on a fixture, run as the evaluation runs it (``base.run``).

    ``rubric`` (a ``readiness.assess.rubric.Rubric``) gives the thresholds; without one, the defaults
    of the check's thresholds dataclass."""
    path = Path(path)
    ev, doc = load(path)
    return run(REGISTRY[path.parent.name], ev, fixture_thresholds(path, doc, rubric))


def verify(path: Path, rubric: Any = None) -> Result:
    """Run a fixture and check what it expects; returns the result.

    ``AssertionError`` naming the file unless: the status is the file name's; the score is in
    [0, 1] and is ``expect.score`` when given (else 1 for pass, 0 for fail and unknown); the
    reason is one non-empty line containing ``expect.reason`` when given."""
    path = Path(path)
    status = expected_status(path)
    result = run_fixture(path, rubric)
    _, doc = load(path)
    expect = doc.get("expect") or {}
    shown = f"{path}: got {result.status} {result.score:g} ({result.reason!r})"
    if result.status != status:
        raise AssertionError(f"{shown}; expected status {status}")
    if not 0.0 <= result.score <= 1.0:
        raise AssertionError(f"{shown}; a score must be in [0, 1]")
    if not result.reason or "\n" in result.reason:
        raise AssertionError(f"{shown}; the reason must be one non-empty line")
    if "score" in expect:
        if abs(result.score - float(expect["score"])) > 1e-6:
            raise AssertionError(f"{shown}; expected score {expect['score']}")
    elif (status == "pass" and result.score != 1.0) or (status in ("fail", "unknown") and result.score != 0.0):
        raise AssertionError(f"{shown}; a {status} scores {1 if status == 'pass' else 0}")
    if "reason" in expect and str(expect["reason"]) not in result.reason:
        raise AssertionError(f"{shown}; expected the reason to contain {expect['reason']!r}")
    return result


def missing_cases(root: Path | str, check_ids: Iterable[str]) -> list[str]:
    """What the fixtures under ``root`` lack: for each of ``check_ids``, a ``pass_`` case and a
    ``fail_`` or ``partial_`` case (one line each; empty when complete)."""
    out = []
    for check_id in sorted(check_ids):
        statuses = {expected_status(p) for p in (Path(root) / check_id).glob("*.yaml")}
        if "pass" not in statuses:
            out.append(f"{check_id} has no pass_*.yaml fixture")
        if not statuses & {"fail", "partial"}:
            out.append(f"{check_id} has no fail_*.yaml or partial_*.yaml fixture")
    return out
