"""Report sections written from the assessment: the numbers they state are the assessment's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from readiness.assess.assessment import assess
from readiness.report import sections


def test_freshness_counts_ages_on_the_as_of_day_and_today(demo_dir: Path) -> None:
    a = assess(demo_dir, as_of=date(2025, 12, 30))  # the newest snapshot then: 2025-12-26
    text = sections.freshness(a, today=date(2026, 3, 16))
    assert text.count("| 4 d |") == 5  # five clusters, each 4 days old on 2025-12-30
    assert "Today (2026-03-16) the newest snapshot in the data is 10 days old" in text  # data ends 2026-03-06


def test_status_and_conclusion_agree_with_the_verdict(demo_dir: Path) -> None:
    a = assess(demo_dir, as_of=date(2025, 11, 7))
    assert f"## Current Status: {a.overall:.1f}%" in sections.status(a)
    assert "NOT READY FOR PRODUCTION" in sections.status(a) and "simulated data" in sections.status(a)
    assert "6 blockers open" in sections.conclusion(a)


def test_unknown_checks_lists_each_with_clusters_reasons_and_what_they_name(demo_dir: Path) -> None:
    import dataclasses

    import polars as pl

    a = assess(demo_dir, as_of=date(2025, 12, 30))
    clusters = sorted(set(a.findings["cluster"].to_list()))
    rows = []
    for r in a.findings.iter_rows(named=True):
        if r["check_id"] == "infra_nodes_ready":
            first = r["cluster"] == clusters[0]
            r = {**r, "status": "unknown", "waived": False,
                 "reason": "flux/a.yaml does not parse" if first else "Nodes are observed only in a cluster",
                 "evidence": ["flux/a.yaml", "flux/a.yaml"] if first else []}
        rows.append(r)
    marked = pl.DataFrame(rows, schema=a.findings.schema)
    others = set(marked.filter(pl.col("status") == "unknown")["check_id"].to_list()) - {"infra_nodes_ready"}
    text = sections.unknown_checks(dataclasses.replace(a, findings=marked))
    line = next(x for x in text.splitlines() if "`infra_nodes_ready`" in x)
    assert line == f"- ? **Every node is Ready** (`infra_nodes_ready`), unknown on all {len(clusters)} clusters:"
    assert f"    - {clusters[0]}: flux/a.yaml does not parse (named: `flux/a.yaml`)\n" in text  # deduplicated
    assert f"    - {', '.join(clusters[1:])}: Nodes are observed only in a cluster\n" in text
    assert text.startswith(f"{len(others) + 1} check")


def test_unknown_checks_says_when_everything_was_judged(demo_dir: Path) -> None:
    import dataclasses

    import polars as pl

    a = assess(demo_dir, as_of=date(2025, 12, 30))
    judged = a.findings.with_columns(pl.col("status").replace("unknown", "fail"))
    assert sections.unknown_checks(dataclasses.replace(a, findings=judged)).startswith("Every check could be judged")


def test_what_was_not_read_lists_unbuilt_kustomizations_and_skipped_files(demo_dir: Path, tmp_path: Path) -> None:
    from textwrap import dedent

    from readiness.collect import collect_deployed

    flux = "kustomize.toolkit.fluxcd.io/v1"
    files = {
        "clusters/edge/apps.yaml": "\n---\n".join(f"""
            apiVersion: {flux}
            kind: Kustomization
            metadata: {{name: {name}, namespace: flux-system}}
            spec: {{path: ./apps/{name}, sourceRef: {{kind: GitRepository, name: flux-system}}}}
            """ for name in ("web", "gone")),
        "apps/web/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: web}\n",
        # a duplicated key: kubectl rejects the file, so it is skipped with its line
        "apps/web/sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\nmetadata: {name: b}\n",
        "apps/gone/kustomization.yaml": "resources: [missing.yaml]\n",
    }
    for rel, text in files.items():
        (tmp_path / "repo" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "repo" / rel).write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    collect_deployed(tmp_path / "repo", tmp_path / "data", renderer="builtin")
    text = sections.not_read(assess(tmp_path / "data"))
    lines = text.splitlines()
    gone = [ln for ln in lines if ln.startswith("- **Kustomization flux-system/gone** (path apps/gone)")]
    assert len(gone) == 1 and "missing.yaml does not exist" in gone[0]
    assert "nothing of it could be read; it could hold objects of any kind (on edge)" in gone[0]
    skipped = [ln for ln in lines if ln.startswith("- `apps/web/sa.yaml`: ")]
    assert len(skipped) == 1 and "duplicated key" in skipped[0] and "line 4" in skipped[0]
    assert not any("flux-system/web" in ln for ln in lines)  # it builds: nothing to say
    # the coverage table counts the failed build apart from the resource types (every type was read)
    fresh = sections.freshness(assess(tmp_path / "data"))
    assert "| 1 Kustomization build failed |" in fresh and "| Kustomization |" not in fresh
    # the demo's live snapshots: nothing of a repository was left unread
    assert sections.not_read(assess(demo_dir)) == sections.NOTHING_UNREAD
    # which evidence the findings read: the report's status and explain say it for a repository
    a = assess(tmp_path / "data")
    assert a.views == {"edge": "repository, deployed view"}
    assert "> **Evidence**: edge: the repository's **deployed view**" in sections.status(a)
    assert "**Evidence**" not in sections.status(assess(demo_dir))
    from click.testing import CliRunner

    from readiness.cli import main

    run = CliRunner().invoke(main, ["explain", "sec_pod_security", "--data", str(tmp_path / "data")])
    assert run.exit_code == 0 and "  - edge [repository, deployed view]: " in run.output


def test_what_was_not_read_ends_with_the_files_no_cluster_applies(tmp_path: Path) -> None:
    from textwrap import dedent

    from readiness.collect import collect_deployed

    rule = """
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata: {{name: {0}, namespace: monitoring}}
        spec: {{groups: [{{name: g, rules: [{{alert: {0}Down, expr: up == 0}}, {{record: r, expr: sum(up)}}]}}]}}
        """
    files = {
        "clusters/edge/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: web}\n",
        "rules/a.yaml": rule.format("a"),
        "rules/b.yaml": rule.format("b"),
        "rules/c.yaml": rule.format("c"),
        "extra/sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n",
    }
    for rel, text in files.items():
        (tmp_path / "repo" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "repo" / rel).write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    collect_deployed(tmp_path / "repo", tmp_path / "data", renderer="builtin")
    a = assess(tmp_path / "data")
    text = sections.not_read(a, unapplied_most=2)
    assert text.startswith(sections.NOTHING_UNREAD)  # every file that was followed could be read
    assert ("The repository declares 4 manifest files that no cluster applies (no Kustomization or Application of "
            "any cluster reaches them, so no check counts them): 3 PrometheusRule (3 alerting rules), "
            "1 ServiceAccount.\n") in text
    lines = text.splitlines()
    assert lines[-3:] == ["- `rules/a.yaml`: 1 PrometheusRule (1 alerting rule)",
                          "- `rules/b.yaml`: 1 PrometheusRule (1 alerting rule)",
                          "- and 2 more files (the snapshot's `Unapplied` facts name each)"]
    assert "clusters/edge/web.yaml" not in text


def test_each_unmet_production_criterion_says_what_keeps_it_open(demo_dir: Path) -> None:
    a = assess(demo_dir, as_of=date(2025, 11, 7))
    text = sections.criteria(a)
    assert f"- ✗ not met: Production readiness >90% (now {a.overall:.1f}%)" in text
    assert f"blockers resolved (open: {', '.join(a.open_blockers)})" in text
    alerting = a.criteria.filter(a.criteria["id"] == "alerting").row(0, named=True)
    assert not alerting["met"] and alerting["open_checks"]  # the demo's first week pages no one
    named = ", ".join(f"`{c}`" for c in alerting["open_checks"])
    assert f"Alerting operational (open: {named})" in text
    # at the end every criterion holds: nothing is named open
    assert "(open:" not in sections.criteria(assess(demo_dir))


def test_what_was_not_read_names_charts_not_rendered_and_the_files_view(tmp_path: Path) -> None:
    from textwrap import dedent

    from readiness.collect import collect_deployed, collect_repo

    files = {
        "argocd/app.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: backups, namespace: argocd}
            spec:
              source: {repoURL: "https://github.com/acme/repo.git", path: charts/backups}
              destination: {server: "https://kubernetes.default.svc", namespace: velero}
            """,
        "charts/backups/Chart.yaml": "apiVersion: v2\nname: backups\nversion: 0.1.0\ndependencies: [{name: velero}]\n",
        "charts/backups/values.yaml": "velero: {}\n",
    }
    for rel, text in files.items():
        (tmp_path / "repo" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "repo" / rel).write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    collect_deployed(tmp_path / "repo", tmp_path / "data", renderer="builtin")
    text = sections.not_read(assess(tmp_path / "data"))
    assert ("- **Application argocd/backups** (path charts/backups): a Helm chart of this repository, not rendered "
            "(readiness does not run helm): its dependencies and values are read as facts, its templates are not "
            "read (on in-cluster)") in text.splitlines()
    # the files view follows nothing: the report does not claim that every Kustomization built
    collect_repo(tmp_path / "repo", "lab", tmp_path / "files")
    plain = sections.not_read(assess(tmp_path / "files"))
    assert plain.startswith("Nothing was left unread: every file was read. In the files view") and "built" not in plain
