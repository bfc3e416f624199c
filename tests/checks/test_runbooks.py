"""backup_dr_runbook and sec_incident_runbook share one runbook matcher (``common.runbook_about``):
on the same evidence they answer alike, the unknown branch included."""

from __future__ import annotations

import polars as pl

from readiness.assess.checks import REGISTRY
from readiness.assess.checks.base import CheckThresholds, ClusterSnapshot, run
from readiness.assess.checks.common import REPO_GROUP, runbook_about
from readiness.assess.testing import DEFAULT_TIME, rows

RUNBOOK = {"apiVersion": f"{REPO_GROUP}/v1", "kind": "Document",
           "metadata": {"name": "docs/runbooks/high-cpu.md"},
           "spec": {"path": "docs/runbooks/high-cpu.md", "title": "High CPU", "type": "runbook"}}


def _snapshot(outcome: str | None) -> ClusterSnapshot:
    coverage = pl.DataFrame(
        [{"api_version": f"{REPO_GROUP}/v1", "kind": "Document", "outcome": outcome, "count": 1, "detail": None}]
        if outcome else [],
        schema={"api_version": pl.String, "kind": pl.String, "outcome": pl.String, "count": pl.Int64,
                "detail": pl.String})
    return ClusterSnapshot("c", DEFAULT_TIME, rows([RUNBOOK], "c", DEFAULT_TIME, "repo"), coverage=coverage)


def test_both_runbook_checks_are_unknown_when_documents_were_not_all_read() -> None:
    for outcome in ("partial", "forbidden", "error"):
        ev = _snapshot(outcome)
        dr = run(REGISTRY["backup_dr_runbook"], ev, CheckThresholds("backup_dr_runbook"))
        sec = run(REGISTRY["sec_incident_runbook"], ev, CheckThresholds("sec_incident_runbook"))
        # Before the shared matcher, backup_dr_runbook said "fail" here.
        assert (dr.status, sec.status) == ("unknown", "unknown"), (outcome, dr.reason, sec.reason)
        assert dr.reason == sec.reason == "repository documents could not be read"


def test_both_fail_when_every_document_was_read_and_none_matches() -> None:
    ev = _snapshot("ok")
    assert run(REGISTRY["backup_dr_runbook"], ev, CheckThresholds("backup_dr_runbook")).status == "fail"
    assert run(REGISTRY["sec_incident_runbook"], ev, CheckThresholds("sec_incident_runbook")).status == "fail"


def test_the_shared_matcher_reads_path_and_title_case_insensitively() -> None:
    ev = _snapshot(None)
    assert runbook_about(ev, "HIGH cpu", "x", "none").status == "pass"  # title, any case
    assert runbook_about(ev, r"runbooks/high-", "x", "none").status == "pass"  # path
    assert runbook_about(ev, "disk", "x", "none").reason == "none"


def test_runbooks_inside_larger_documents_are_named_by_their_heading() -> None:
    plan = {"apiVersion": f"{REPO_GROUP}/v1", "kind": "Document", "metadata": {"name": "docs/plan.md"},
            "spec": {"path": "docs/plan.md", "title": "Shop plan", "type": "runbook",
                     "runbooks": [{"heading": "7.1 Restore", "line": 3, "answers_alerts": []},
                                  {"heading": "7.2 API down", "line": 9, "answers_alerts": ["ApiDown"]}]}}
    ev = ClusterSnapshot("c", DEFAULT_TIME, rows([RUNBOOK, plan], "c", DEFAULT_TIME, "repo"))
    result = run(REGISTRY["docs_runbooks_count"], ev, CheckThresholds("docs_runbooks_count", {"min_runbooks": 4}))
    # a runbook document holding procedures under "Runbooks" counts them, not itself once more
    assert result.evidence == ("docs/runbooks/high-cpu.md", "docs/plan.md#7.1 Restore", "docs/plan.md#7.2 API down")
    assert result.reason == "3 runbooks of 4 wanted (2 of them sections of 1 larger document)"
    assert result.score == 0.75
    sec = run(REGISTRY["sec_incident_runbook"], ev, CheckThresholds("sec_incident_runbook"))
    assert sec.reason == "no security incident runbook (3 runbooks in the repository)"
