"""Fidelity of repository collection: facts counted by hand from real repositories, checked on what
``readiness collect --repo`` stores.

    .venv/bin/python benchmarks/fidelity.py [--corpus ../shared/corpus] [EXPECTED.yaml ...]

Each ``tests/fidelity/<repository>.yaml`` (default: all of them) names a repository folder of the
corpus and lists facts, each counted by hand from that repository's files (never from this tool):

    repository: brunovlucena-homelab
    files_cluster: homelab           # the cluster name of the files view's snapshot
    facts:
      - {id: clusters, query: {clusters: true}, expect: [air, pro, studio]}
      - {id: air-helmreleases, cluster: air, query: {count: {kind: HelmRelease}}, expect: 3}
      - {id: alerts, view: files, query: {alerts: true}, expect: 152}

A fact reads the deployed view's snapshot of ``cluster`` (the default view), or the files view's one
snapshot (``view: files``). Queries (all on stored rows, see ``evaluate``): ``clusters``,
``count: {kind, group?}``, ``names: {kind, group?}``, ``has: {kind, name, namespace?}``,
``declared: COMPONENT`` (whether the cluster's objects install it, as the checks read installers: a
HelmRelease or Argo CD Application by chart, release or path, what a bundle chart enables, a chart's
dependencies, a workload manifest),
``alerts``, ``runbook_links: OUTCOME | all``, ``jobs_doing: ACTIVITY``, ``workflows``,
``documents: TYPE``, ``runbooks`` (``path:line heading`` of each procedure under a "Runbooks" heading, the
path of each runbook document without), ``runbook_alerts`` (``path:line alert`` of the alerts they name),
``recovery_targets`` (``path:line subject RTO/RPO h`` of each declared, not planned,
target), ``failed_builds``, ``not_followed`` (sources outside the repository),
``skipped: PATH`` (the reason of a skipped file, or None).

Prints, per repository, matched/total and every fact that did not match. ``measure`` is what the
test in tests/collect/test_fidelity.py runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from readiness.assess.checks.base import ClusterSnapshot
from readiness.assess.checks.common import declared

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "fidelity"
CORPUS = next((p for p in (ROOT.parent / "shared" / "corpus", ROOT.parent.parent / "shared" / "corpus")
               if p.is_dir()), ROOT.parent / "shared" / "corpus")
REPO_API = "repo.readiness.dev/v1"


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def _kind(df: pl.DataFrame, q: dict[str, Any]) -> pl.DataFrame:
    rows = df.filter(pl.col("kind") == q["kind"])
    if "group" in q:
        rows = rows.filter(pl.col("api_version").map_elements(_group, return_dtype=pl.String) == q["group"])
    elif q["kind"] not in ("Workflow", "Document", "Build", "View", "Chart", "RunbookLinks", "DependencyBot", "IaC"):
        rows = rows.filter(pl.col("api_version") != REPO_API)
    return rows


def _facts(df: pl.DataFrame, kind: str) -> list[dict[str, Any]]:
    return [json.loads(s) for s in df.filter((pl.col("api_version") == REPO_API) & (pl.col("kind") == kind))["spec"]]


def evaluate(query: dict[str, Any], df: pl.DataFrame, coverage: pl.DataFrame, clusters: list[str]) -> Any:
    """The value of one query on one snapshot's object rows ``df`` and coverage rows."""
    (op, arg), = query.items()
    if op == "clusters":
        return sorted(clusters)
    if op == "declared":  # as the checks read it: a release, Application, chart dependency or manifest installs it
        ev = ClusterSnapshot("fidelity", datetime.now(UTC), df, coverage=coverage)
        return bool(declared(ev, [str(arg)]))
    if op == "count":
        return _kind(df, arg).height
    if op == "names":
        return sorted(set(_kind(df, arg)["name"].to_list()))
    if op == "has":
        rows = _kind(df, arg).filter(pl.col("name") == arg["name"])
        if "namespace" in arg:
            rows = rows.filter(pl.col("namespace") == arg["namespace"])
        return rows.height > 0
    if op in ("alerts", "runbook_links"):
        (links,) = _facts(df, "RunbookLinks")
        if op == "alerts":
            return links["alerts"]
        return sum(1 for link in links["links"] if arg == "all" or link["outcome"] == arg)
    if op == "jobs_doing":
        return sum(1 for w in _facts(df, "Workflow") for j in w["jobs"] if arg in j["does"])
    if op == "workflows":
        return sorted(w["path"] for w in _facts(df, "Workflow"))
    if op == "documents":
        return sum(1 for d in _facts(df, "Document") if d["type"] == arg)
    if op == "runbooks":  # as docs_runbooks_count counts them: whole runbook documents, procedures under "Runbooks"
        docs = _facts(df, "Document")
        return sorted([f"{d['path']}:{r['line']} {r['heading']}" for d in docs for r in d.get("runbooks") or []]
                      + [d["path"] for d in docs if d["type"] == "runbook" and not d.get("runbooks")])
    if op == "runbook_alerts":
        return sorted(f"{d['path']}:{r['line']} {a}" for d in _facts(df, "Document") for r in d.get("runbooks") or []
                      for a in r["answers_alerts"])
    if op == "recovery_targets":
        return sorted(f"{d['path']}:{t['line']} {t['subject'] or '-'} "
                      + "/".join("-" if t[k] is None else f"{t[k]:g}" for k in ("rto_hours", "rpo_hours")) + " h"
                      for d in _facts(df, "Document") for t in d.get("recovery_targets") or [] if not t["planned"])
    if op == "failed_builds":
        return sorted(b["by"] for b in _facts(df, "Build") if not b["ok"])
    if op == "not_followed":
        return sorted(b["by"] for b in _facts(df, "Build") if b["path"] is None)
    if op == "skipped":
        hits = coverage.filter((pl.col("outcome") == "skipped") & pl.col("detail").str.starts_with(arg + ": "))
        return hits["detail"][0].split(": ", 1)[1] if hits.height else None
    raise ValueError(f"unknown query {op!r}")


def _matches(expect: Any, got: Any) -> bool:
    if isinstance(expect, dict) and "contains" in expect:
        return isinstance(got, str) and all(part in got for part in expect["contains"])
    return bool(expect == got)


def measure(expected: Path, corpus: Path, work: Path) -> list[tuple[str, Any, Any, bool]]:
    """(fact id, expected, got, matched) for every fact of ``expected``, collecting its repository into
    ``work`` (the deployed view, then the files view)."""
    from readiness import store
    from readiness.collect import collect_deployed, collect_repo, repo_clusters

    spec = yaml.safe_load(expected.read_text(encoding="utf-8"))
    repo = corpus / spec["repository"]
    facts = spec["facts"]
    found = [c.name for c in repo_clusters(repo)]
    views: dict[str, Path] = {}
    if any(f.get("view", "deployed") == "deployed" for f in facts) and found:
        views["deployed"] = work / "deployed"
        collect_deployed(repo, views["deployed"])
    if any(f.get("view") == "files" for f in facts):
        views["files"] = work / "files"
        collect_repo(repo, spec.get("files_cluster", "repo"), views["files"])
    tables = {v: (store.objects(d), store.read(d, "coverage")) for v, d in views.items()}
    out = []
    for fact in facts:
        view = fact.get("view", "deployed")
        cluster = fact.get("cluster", spec.get("files_cluster", "repo") if view == "files" else None)
        if view not in tables:
            got: Any = None if fact["query"] != {"clusters": True} else sorted(found)
        else:
            objects, coverage = tables[view]
            if cluster is not None:
                objects = objects.filter(pl.col("cluster") == cluster)
                coverage = coverage.filter(pl.col("cluster") == cluster)
            try:
                got = evaluate(fact["query"], objects, coverage, found)
            except (ValueError, KeyError) as err:
                got = f"error: {err}"
        out.append((fact["id"], fact["expect"], got, _matches(fact["expect"], got)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    total_bad = 0
    for expected in args.files or sorted(EXPECTED.glob("*.yaml")):
        with tempfile.TemporaryDirectory(prefix="fidelity-") as work:
            results = measure(expected, args.corpus, Path(work))
        matched = sum(ok for *_, ok in results)
        print(f"{expected.stem}: {matched}/{len(results)} facts match")
        for fact_id, want, got, ok in results:
            if not ok:
                print(f"  {fact_id}: expected {want!r}, got {got!r}")
        total_bad += len(results) - matched
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
