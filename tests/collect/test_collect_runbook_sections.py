"""Runbooks inside larger documents (``readiness.collect.runbooks``): each procedure under a "Runbooks"
heading is one runbook, named by its heading; a subsection without steps is none; a runbook document is
still one."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from readiness import store
from readiness.collect.facts import document
from readiness.collect.repo import collect_repo
from readiness.collect.runbooks import is_procedure, rule_alerts, section_runbooks
from readiness.store.repofacts import REPO_API

OPERATIONS = """---
title: Shop operations
---
# Shop operations

## Architecture

The shop has a `CartService`; see `CartLatencyHigh` in the rules.

## 4. Runbooks

Procedures for the pages we get.

### 4.1 Cart latency high

**Symptoms**: checkout is slow, `CartLatencyHigh` fires.

**Response**:
- Scale the cart deployment.

### 4.2 Database full

1. Find the largest tables.
2. Drop expired sessions.
3. Confirm CartDatabaseFull resolved.

### 4.3 Certificate renewal

```shell
kubectl -n shop get certificate
```

### 4.4 Background

The cart talks to the database over TLS; nothing to do here.

## Changelog
"""

LINKS_ONLY = """# Platform notes

## Runbooks

### Node not ready

See [node-not-ready](runbooks/node-not-ready.md).

### Index

1. [Disk full](runbooks/disk-full.md)
2. [Backup failed](runbooks/backup-failed.md)

## No operational runbooks yet

1. Write them.
2. Test them.
"""


def test_each_procedure_under_a_runbooks_heading_is_a_runbook() -> None:
    found = section_runbooks(OPERATIONS.split("---\n", 2)[2], frozenset({"CartLatencyHigh", "CartDatabaseFull"}),
                             first_line=4)
    # a bold "Response" label, an ordered list, a shell block: three procedures; prose is none
    assert [(r["heading"], r["line"]) for r in found] == [
        ("4.1 Cart latency high", 14), ("4.2 Database full", 21), ("4.3 Certificate renewal", 27)]
    # the declared alerts each names, backticked or not; CartService is no alert of the rules
    assert [r["answers_alerts"] for r in found] == [["CartLatencyHigh"], ["CartDatabaseFull"], []]


def test_the_document_fact_carries_its_runbooks_and_their_alerts() -> None:
    _, _, spec = document("docs/operations.md", OPERATIONS, declared_alerts=frozenset({"CartLatencyHigh", "Gone"}))
    assert spec["type"] == "other"  # no runbook itself: its title and sections say operations
    assert [r["line"] for r in spec["runbooks"]] == [14, 21, 27]  # lines of the file, front matter included
    assert spec["answers_alerts"] == ["CartLatencyHigh"]


def test_links_and_prose_under_runbooks_are_no_runbook() -> None:
    # runbooks filed elsewhere (a link, a list of links) are counted where they are, if they are there;
    # "No operational runbooks yet" is a plan, not a runbooks section
    assert section_runbooks(LINKS_ONLY) == []


def test_a_runbooks_section_of_one_procedure_is_one_runbook() -> None:
    one = "# Notes\n\n## Runbook\n\n### Symptoms\n\nSlow.\n\n### Mitigation\n\n1. Restart.\n2. Watch.\n"
    assert [r["heading"] for r in section_runbooks(one)] == ["Runbook"]
    steps = "# Notes\n\n## Operational playbooks\n\n1. Page the owner.\n2. Roll back.\n\n## Other\n"
    assert [(r["heading"], r["line"]) for r in section_runbooks(steps)] == [("Operational playbooks", 3)]
    assert section_runbooks("# Notes\n\n## Runbooks\n\nWe should write some.\n") == []


def test_nested_runbooks_sections_count_each_procedure_once() -> None:
    text = ("# Runbooks\n\n## Security runbooks\n\n### Leaked token\n\n1. Revoke it.\n2. Rotate.\n\n"
            "## Restore the database\n\n```bash\nvelero restore create --from-backup daily\n```\n")
    assert [r["heading"] for r in section_runbooks(text)] == ["Leaked token", "Restore the database"]
    # a fenced heading is no section
    assert section_runbooks("# A\n\n```\n## Runbooks\n### X\n1. a\n2. b\n```\n") == []


def test_what_reads_as_a_procedure() -> None:
    assert is_procedure(["1. Stop writes.", "2. Restore."])
    assert not is_procedure(["1. Only one step."])
    assert is_procedure(["#### Remediation", "Restart the pod."])
    assert not is_procedure(["**Symptoms**: slow pages"])  # describing is not acting
    assert is_procedure(["```", "$ flux reconcile kustomization apps", "```"])
    assert not is_procedure(["```yaml", "az: eu-west-1", "```"])  # a YAML key is no command


def test_rule_alerts_reads_prometheus_rules_and_rule_files() -> None:
    rule = {"kind": "PrometheusRule", "spec": {"groups": [{"rules": [{"alert": "A"}, {"record": "r"}]}]}}
    assert rule_alerts(rule) == ["A"]
    assert rule_alerts({"groups": [{"name": "g", "rules": [{"alert": "B"}]}]}) == ["B"]
    assert rule_alerts({"kind": "ConfigMap", "data": {}}) == [] and rule_alerts(["x"]) == []


def test_collected_documents_name_the_alerts_of_the_repositorys_rules(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "docs" / "runbooks").mkdir(parents=True)
    (repo / "monitoring").mkdir()
    (repo / "monitoring" / "rules.yaml").write_text(
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: shop, namespace: shop}\n"
        "spec:\n  groups:\n  - name: shop\n    rules:\n    - alert: CartLatencyHigh\n      expr: vector(1)\n")
    (repo / "docs" / "operations.md").write_text(OPERATIONS)
    # a runbook document is still one runbook
    (repo / "docs" / "runbooks" / "disk.md").write_text("# Disk full\n\n## Symptoms\nx\n## Mitigation\n1. a\n2. b\n")
    collect_repo(repo, "shop", tmp_path / "data")
    rows = store.objects(tmp_path / "data").filter((pl.col("api_version") == REPO_API) & (pl.col("kind") == "Document"))
    docs = {name: json.loads(spec) for name, spec in rows.select("name", "spec").iter_rows()}
    ops = docs["docs/operations.md"]
    assert [(r["heading"], r["answers_alerts"]) for r in ops["runbooks"]] == [
        ("4.1 Cart latency high", ["CartLatencyHigh"]), ("4.2 Database full", []), ("4.3 Certificate renewal", [])]
    assert docs["docs/runbooks/disk.md"]["runbooks"] == []
    assert ops["answers_alerts"] == ["CartLatencyHigh"]
