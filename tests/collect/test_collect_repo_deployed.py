"""The deployed view of a repository: clusters discovered, Flux Kustomizations and Argo CD Applications
followed, YAML read as Kubernetes tools read it. Fixtures are our own, in the shapes of real repositories."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from textwrap import dedent
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from readiness import store
from readiness.cli import main
from readiness.collect import collect_deployed, collect_repo, repo_clusters
from readiness.collect.manifestfile import read, substitute_text
from readiness.errors import CollectError
from readiness.store.repofacts import REPO_API

FLUX = "kustomize.toolkit.fluxcd.io/v1"
FLEET = {
    # a cluster root without kustomization.yaml: Flux reads every manifest below it
    "deploy/clusters/alpha/infra.yaml": f"""
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: infra, namespace: flux-system}}
        spec:
          path: ./deploy/infra/alpha
          sourceRef: {{kind: GitRepository, name: flux-system}}
          postBuild:
            substitute: {{REPLICAS: "3", TIER: gold}}
        ---
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: apps, namespace: flux-system}}
        spec:
          dependsOn: [{{name: infra}}]
          path: ./deploy/apps
          targetNamespace: shop
          sourceRef: {{kind: GitRepository, name: flux-system}}
        ---
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: broken, namespace: flux-system}}
        spec:
          path: ./deploy/broken
          sourceRef: {{kind: GitRepository, name: flux-system}}
        ---
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: vendor, namespace: flux-system}}
        spec:
          path: ./
          sourceRef: {{kind: OCIRepository, name: vendor-manifests}}
        ---
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {{name: platform, namespace: flux-system}}
        spec: {{url: "ssh://git@github.com/acme/platform.git"}}
        ---
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: platform, namespace: flux-system}}
        spec:
          path: ./deploy/apps
          sourceRef: {{kind: GitRepository, name: platform}}
        """,
    "deploy/clusters/beta/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [apps.yaml]
        """,
    "deploy/clusters/beta/apps.yaml": f"""
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: apps, namespace: flux-system}}
        spec:
          path: ./deploy/apps
          sourceRef: {{kind: GitRepository, name: flux-system}}
        """,
    "deploy/clusters/beta/unlisted.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: not-in-kustomization}\n",
    "deploy/infra/alpha/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        namespace: infra
        resources: [../base, monitoring.yaml]
        """,
    "deploy/infra/base/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [gateway.yaml]
        """,
    "deploy/infra/base/gateway.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: gateway
          labels: {tier: "${TIER}", zone: "${ZONE:=eu-1}", kept: "$${NOT_A_VAR}"}
        spec:
          replicas: ${REPLICAS}
          template: {spec: {containers: [{name: gw, image: "ghcr.io/acme/gw:1"}]}}
        """,
    # a comment mentioning a Helm action, an `=` value, a redefined anchor: all valid for Kubernetes tools
    "deploy/infra/alpha/monitoring.yaml": """
        # values are rendered by the chart: {{ .Release.Namespace }} is not used here
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata: {name: gateway}
        spec:
          groups:
          - name: gateway
            rules:
            - alert: GatewayDown
              expr: up{job="gw"} == 0
              labels: &sev {severity: critical}
              annotations: {summary: "{{ $labels.instance }} down", runbook_url: "https://github.com/acme/fleet/blob/main/docs/Runbooks/Gateway-Down.md"}
            - alert: GatewaySlow
              expr: latency > 1
              labels: &sev {severity: warning}
              annotations: {runbook_url: "https://runbooks.example.com/gateway-slow"}
            - alert: GatewayErrors
              expr: errors > 0
              labels: *sev
        ---
        apiVersion: monitoring.coreos.com/v1alpha1
        kind: AlertmanagerConfig
        metadata: {name: gateway}
        spec:
          route:
            receiver: pager
            matchers: [{name: severity, matchType: =, value: critical}]
          receivers: [{name: pager}]
        """,
    "deploy/apps/list.yaml": """
        - {apiVersion: v1, kind: Service, metadata: {name: shop}, spec: {ports: [{port: 80}]}}
        - {apiVersion: v1, kind: Service, metadata: {name: cart}, spec: {ports: [{port: 80}]}}
        """,
    "deploy/apps/slo.yaml": """
        version: prometheus/v1
        service: shop
        slos:
        - name: requests-availability
          objective: 99.9
          sli: {events: {error_query: "x", total_query: "y"}}
        """,
    "deploy/apps/dup.yaml": """
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: shop
          name: cart
        """,
    "deploy/broken/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [present.yaml, missing.yaml]
        """,
    "deploy/broken/present.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: half-built}\n",
    "charts/web/Chart.yaml": """
        apiVersion: v2
        name: web
        version: 1.2.0
        dependencies:
        - {name: postgresql, version: 15.x.x, repository: "https://charts.bitnami.com/bitnami", condition: db.enabled}
        - {name: redis, version: 19.0.0, repository: "oci://registry-1.docker.io/bitnamicharts", alias: cache}
        """,
    "charts/web/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
    "docs/runbooks/gateway-down.md": "# Gateway down\n\n## Symptoms\n\n## Mitigation\n",
}
RENDERERS = ["builtin", *(["kubectl"] if shutil.which("kubectl") else [])]


def build(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def rows(data: Path, cluster: str) -> pl.DataFrame:
    return store.objects(data).filter(pl.col("cluster") == cluster)


def obj(df: pl.DataFrame, kind: str, name: str) -> dict[str, Any]:
    row = df.filter((pl.col("kind") == kind) & (pl.col("name") == name)).row(0, named=True)
    return {**row, **{k: json.loads(row[k]) for k in ("labels", "annotations", "spec", "status")}}


def fact_specs(df: pl.DataFrame, kind: str) -> list[dict[str, Any]]:
    return [json.loads(s) for s in df.filter((pl.col("api_version") == REPO_API) & (pl.col("kind") == kind))
            .sort("name")["spec"]]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # the directory is named after the repository, as a checkout is
    return build(tmp_path_factory.mktemp("checkout") / "fleet", FLEET)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_each_declared_cluster_gets_what_its_kustomizations_apply(fleet: Path, tmp_path: Path, renderer: str) -> None:
    assert [c.name for c in repo_clusters(fleet)] == ["alpha", "beta"]
    results = collect_deployed(fleet, tmp_path, renderer=renderer)
    assert [(r.cluster, r.view) for r in results] == [("alpha", "deployed"), ("beta", "deployed")]
    alpha, beta = rows(tmp_path, "alpha"), rows(tmp_path, "beta")
    declared = alpha.filter(pl.col("api_version") != REPO_API)
    assert sorted(set(declared["kind"])) == ["AlertmanagerConfig", "Deployment", "GitRepository", "Kustomization",
                                             "Namespace", "PrometheusRule", "PrometheusServiceLevel", "Service"]
    gateway = obj(alpha, "Deployment", "gateway")
    # postBuild.substitute applied (a whole-value variable becomes a number, as Flux's text substitution does),
    # a default used, an escaped $${X} kept, the kustomization's namespace set
    assert gateway["spec"]["replicas"] == 3 and gateway["namespace"] == "infra"
    assert gateway["labels"] == {"tier": "gold", "zone": "eu-1", "kept": "${NOT_A_VAR}"}
    assert gateway["annotations"]["readiness.dev/source-path"] == "deploy/infra/base/gateway.yaml"
    assert gateway["annotations"]["readiness.dev/applied-by"] == "Kustomization flux-system/infra"
    shop = obj(alpha, "Service", "shop")  # a bare YAML list of objects, in the targetNamespace
    assert shop["namespace"] == "shop" and obj(alpha, "Service", "cart")["namespace"] == "shop"
    slo = obj(alpha, "PrometheusServiceLevel", "shop")
    assert slo["api_version"] == "sloth.slok.dev/v1" and slo["spec"]["slos"][0]["name"] == "requests-availability"
    assert slo["annotations"]["readiness.dev/format"] == "sloth-cli"
    rule = obj(alpha, "PrometheusRule", "gateway")["spec"]["groups"][0]["rules"]
    assert [r["labels"]["severity"] for r in rule] == ["critical", "warning", "warning"]  # newest anchor wins
    route = obj(alpha, "AlertmanagerConfig", "gateway")["spec"]["route"]
    assert route["matchers"][0]["matchType"] == "="
    # beta gets only its apps: not alpha's infra, not a file its kustomization.yaml does not list
    assert sorted(set(beta.filter(pl.col("api_version") != REPO_API)["kind"])) == [
        "Kustomization", "PrometheusServiceLevel", "Service"]


@pytest.mark.parametrize("renderer", RENDERERS)
def test_builds_sources_and_broken_files_are_recorded(fleet: Path, tmp_path: Path, renderer: str) -> None:
    (result, _) = collect_deployed(fleet, tmp_path, renderer=renderer)
    alpha = rows(tmp_path, "alpha")
    builds = {b["by"]: b for b in fact_specs(alpha, "Build")}
    assert builds["Kustomization flux-system/apps"]["depends_on"] == ["infra"]
    assert builds["Kustomization flux-system/infra"]["substitute"] == ["REPLICAS", "TIER"]  # names, never values
    broken = builds["Kustomization flux-system/broken"]
    assert not broken["ok"] and "missing.yaml" in broken["error"]
    assert obj(alpha, "Namespace", "half-built")["annotations"]["readiness.dev/build"] == "failed"
    vendor = builds["Kustomization flux-system/vendor"]
    assert vendor["path"] is None and vendor["source"] == "OCIRepository vendor-manifests (not in this repository)"
    assert builds["Kustomization flux-system/platform"]["source"] == "GitRepository platform (another repository)"
    assert [by for by, _ in result.failed_builds] == ["Kustomization flux-system/broken"]
    (view,) = fact_specs(alpha, "View")
    assert (view["view"], view["tool"], view["roots"], view["failed_builds"]) == (
        "deployed", "flux", ["deploy/clusters/alpha"], 1)
    cov = store.read(tmp_path, "coverage").filter(pl.col("cluster") == "alpha")
    errors = cov.filter(pl.col("outcome") == "error")["detail"].to_list()
    assert len(errors) == 1 and errors[0].startswith("Kustomization flux-system/broken (path deploy/broken)")
    skipped = dict(cov.filter(pl.col("outcome") == "skipped").select("detail", "kind").iter_rows())
    dup = [d for d in skipped if d.startswith("deploy/apps/dup.yaml: duplicated key")]
    assert dup and "line 4" in dup[0] and skipped[dup[0]] == "ServiceAccount"
    assert not [d for d in skipped if d.startswith("charts/")]  # a chart's templates are not part of alpha
    # a Kustomization whose source is not this repository applies what no one here can see: a blind spot
    unfollowed = cov.filter((pl.col("outcome") == "partial") & (pl.col("kind") == "Kustomization"))
    assert sorted(unfollowed["detail"].to_list()) == [
        "Kustomization flux-system/platform in deploy/clusters/alpha/infra.yaml: not followed: its source is "
        "GitRepository platform (another repository)",
        "Kustomization flux-system/vendor in deploy/clusters/alpha/infra.yaml: not followed: its source is "
        "OCIRepository vendor-manifests (not in this repository)"]
    assert set(unfollowed["api_version"].to_list()) == {"kustomize.toolkit.fluxcd.io/v1"}


def test_runbook_links_chart_dependencies_and_files_view(fleet: Path, tmp_path: Path) -> None:
    collect_deployed(fleet, tmp_path / "d", ["alpha"], renderer="builtin")
    alpha = rows(tmp_path / "d", "alpha")
    (links,) = fact_specs(alpha, "RunbookLinks")
    assert links["alerts"] == 3
    assert [(lk["alert"], lk["outcome"], lk["target"]) for lk in links["links"]] == [
        ("GatewayDown", "resolves", "docs/runbooks/gateway-down.md"), ("GatewaySlow", "placeholder", None)]
    (chart,) = fact_specs(alpha, "Chart")
    assert (chart["name"], [(d["name"], d["alias"], d["condition"]) for d in chart["dependencies"]]) == (
        "web", [("postgresql", None, "db.enabled"), ("redis", "cache", None)])
    # the files view reads every file as written, and says so
    result = collect_repo(fleet, "fleet", tmp_path / "f")
    files = rows(tmp_path / "f", "fleet")
    assert fact_specs(files, "View")[0]["view"] == "files"
    assert files.filter(pl.col("kind") == "Namespace")["name"].sort().to_list() == ["half-built",
                                                                                  "not-in-kustomization"]
    assert "${REPLICAS}" in obj(files, "Deployment", "gateway")["spec"].__repr__()  # not substituted as written
    assert any(p == "charts/web/templates/svc.yaml" and "Helm chart template" in r for p, r in result.skipped)


def test_argo_cd_applications_declare_clusters(tmp_path: Path) -> None:
    repo = build(tmp_path / "hub", {
        "argocd/edge.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: edge-web, namespace: argocd}
            spec:
              source: {repoURL: "https://github.com/acme/hub.git", path: workloads/web}
              destination: {name: edge, namespace: web}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: local, namespace: argocd}
            spec:
              source: {repoURL: "https://github.com/acme/hub.git", path: "{{.path}}"}
              destination: {server: "https://kubernetes.default.svc"}
            """,
        "workloads/web/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
    })
    (cluster,) = repo_clusters(repo)  # a templated path is not followed
    assert (cluster.name, cluster.tool) == ("edge", "argocd")
    collect_deployed(repo, tmp_path / "d", renderer="builtin")
    edge = rows(tmp_path / "d", "edge")
    web = obj(edge, "Deployment", "web")
    assert web["namespace"] == "web" and web["annotations"]["readiness.dev/applied-by"] == "Application argocd/edge-web"


def test_cli_discovers_clusters_and_falls_back_to_the_files_view(fleet: Path, tmp_path: Path) -> None:
    run = CliRunner().invoke(main, ["collect", "--repo", str(fleet), "--render", "builtin",
                                    "--data", str(tmp_path / "d")])
    assert run.exit_code == 0, run.output
    assert run.stdout.startswith("alpha: repo (deployed view), ")
    assert "of 2 cluster(s) (deployed view)" in run.stdout
    assert "alpha: Kustomization flux-system/broken does not build: " in run.stderr
    one = CliRunner().invoke(main, ["collect", "--repo", str(fleet), "--cluster", "beta",
                                    "--data", str(tmp_path / "e")])
    assert one.exit_code == 0 and "of 1 cluster(s)" in one.stdout
    with pytest.raises(CollectError, match="declares no cluster gamma"):
        collect_deployed(fleet, tmp_path / "g", ["gamma"])
    # One name the repository does not declare: the whole repository's files view under that name, said so.
    own = CliRunner().invoke(main, ["collect", "--repo", str(fleet), "--cluster", "gamma",
                                    "--data", str(tmp_path / "h")])
    assert own.exit_code == 0 and own.stdout.startswith("gamma: repo (files view), "), own.output
    assert "declares clusters alpha, beta, not gamma: collecting the files view" in own.stderr
    strict = CliRunner().invoke(main, ["collect", "--repo", str(fleet), "--cluster", "gamma", "--view", "deployed",
                                       "--data", str(tmp_path / "i")])
    assert strict.exit_code == 1 and "declares no cluster gamma" in strict.output
    bare = build(tmp_path / "bare", {"app.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"})
    plain = CliRunner().invoke(main, ["collect", "--repo", str(bare), "--data", str(tmp_path / "b")])
    assert plain.exit_code == 0 and plain.stdout.startswith("bare: repo (files view), 1 manifests")
    assert "declares no cluster" in plain.stderr


@pytest.mark.parametrize(("text", "docs", "template"), [
    ("# mentions {{ .Values.x }} in a comment\na: '{{ .Release.Name }}'\n", [{"a": "{{ .Release.Name }}"}], False),
    ("a: {{ .Values.x }}\n", None, True),                       # parses only without its actions
    ("{{- if .Values.on }}\na: 1\n{{- end }}\n", None, True),
    ("a: [1\n", None, False),                                    # broken, not a template
    ("a: 1\nb: {c: 1, c: 2}\n", None, False),                    # duplicated key
])
def test_yaml_is_read_as_kubernetes_tools_read_it(text: str, docs: Any, template: bool) -> None:
    got = read(text)
    assert (got.docs, got.template) == (docs, template)
    if docs is None:
        assert got.reason and ("line" in got.reason or template)


def test_substitution_follows_flux() -> None:
    given = {"A": "1", "EMPTY": ""}
    assert substitute_text("${A}-${B:=two}-${EMPTY:=d}-${EMPTY=d}-$${A}-${C}", given) == "1-two-d--${A}-${C}"


def test_application_sets_generate_applications_from_lists_and_git_directories(tmp_path: Path) -> None:
    repo = build(tmp_path / "hub", {
        "argocd/addons.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: addons, namespace: argocd}
            spec:
              generators:
              - list: {elements: [{cluster: east, ns: mon}, {cluster: west, ns: obs}]}
              template:
                metadata: {name: "monitoring-{{cluster}}"}
                spec:
                  source: {repoURL: "https://github.com/acme/hub.git", path: addons/monitoring}
                  destination: {name: "{{cluster}}", namespace: "{{ns}}"}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: teams, namespace: argocd}
            spec:
              generators:
              - git: {repoURL: "https://github.com/acme/hub.git", revision: HEAD, directories: [{path: "teams/*"}]}
              template:
                metadata: {name: "{{.path.basename}}"}
                spec:
                  source: {repoURL: "https://github.com/acme/hub.git", path: "{{.path.path}}"}
                  destination: {name: east, namespace: "{{.path.basename}}"}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: by-label, namespace: argocd}
            spec:
              generators: [{clusters: {selector: {matchLabels: {enable_velero: "true"}}}}]
              template:
                metadata: {name: "velero-{{name}}"}
                spec:
                  source: {repoURL: "https://github.com/acme/hub.git", path: addons/velero}
                  destination: {server: "{{server}}"}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: clusters, namespace: argocd}
            spec:
              generators: [{clusters: {}}]
              template:
                metadata: {name: "cluster-{{name}}"}
                spec:
                  source: {repoURL: "https://github.com/acme/hub.git", path: "envs/{{name}}"}
                  destination: {name: "{{name}}"}
            """,
        "envs/lab/quota.yaml": "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: lab, namespace: default}\n",
        "addons/monitoring/rule.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n"
                                       "metadata: {name: node}\nspec: {groups: []}\n",
        "addons/velero/schedule.yaml": "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: daily}\n",
        "teams/payments/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: pay}\n",
        "teams/search/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: find}\n",
    })
    # a clusters generator names a cluster only where the repository has a folder for it (envs/{{name}})
    assert [c.name for c in repo_clusters(repo)] == ["east", "lab", "west"]
    collect_deployed(repo, tmp_path / "d", renderer="builtin")
    east, west = rows(tmp_path / "d", "east"), rows(tmp_path / "d", "west")
    assert obj(east, "PrometheusRule", "node")["namespace"] == "mon"
    assert obj(west, "PrometheusRule", "node")["namespace"] == "obs"
    assert sorted(east.filter(pl.col("kind") == "Deployment")["name"]) == ["find", "pay"]
    assert obj(east, "Deployment", "pay")["namespace"] == "payments"
    assert west.filter(pl.col("kind") == "Deployment").is_empty()
    assert east.filter(pl.col("kind") == "Schedule").is_empty()
    lab = rows(tmp_path / "d", "lab")
    assert obj(lab, "ResourceQuota", "lab")["annotations"]["readiness.dev/applied-by"] == (
        "Application argocd/cluster-lab")


# An Argo CD Application declaring cluster hub (its source a directory of the repository).
HUB_ROOT = """
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: {name: hub-base, namespace: argocd}
    spec:
      source: {repoURL: "https://github.com/acme/hub.git", path: base}
      destination: {name: hub, namespace: default}
    """


def test_application_sets_follow_git_files_and_name_what_they_cannot_follow(tmp_path: Path) -> None:
    repo = build(tmp_path / "hub", {
        "argocd/root.yaml": HUB_ROOT,
        # generates per registered cluster from a path its cluster annotations give: not followed
        "argocd/exclude/bootstrap.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: bootstrap, namespace: argocd}
            spec:
              generators:
              - clusters:
                  selector:
                    matchExpressions: [{key: example.com/cluster-name, operator: NotIn, values: [local]}]
              template:
                metadata: {name: bootstrap}
                spec:
                  source: {repoURL: "{{metadata.annotations.repo}}", path: "{{metadata.annotations.root}}"}
                  destination: {name: "{{name}}", namespace: argocd}
            """,
        # a git files generator over this repository: one Application per config file
        "argocd/tiers.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: tiers, namespace: argocd}
            spec:
              goTemplate: true
              generators:
              - git:
                  repoURL: "https://github.com/acme/hub.git"
                  revision: HEAD
                  files: [{path: "config/**/cluster.json"}]
              template:
                metadata: {name: "tier-{{.cluster.name}}"}
                spec:
                  source: {repoURL: "https://github.com/acme/hub.git", path: "tiers/{{.cluster.tier}}"}
                  destination: {name: "{{.cluster.name}}", namespace: "{{.path.basename}}"}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: vendor, namespace: argocd}
            spec:
              generators:
              - git: {repoURL: "https://git.example.org/vendor/addons.git", directories: [{path: "addons/*"}]}
              template:
                metadata: {name: "{{path.basename}}"}
                spec:
                  source: {repoURL: "https://git.example.org/vendor/addons.git", path: "{{path}}"}
                  destination: {name: hub, namespace: "{{path.basename}}"}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: everywhere, namespace: argocd}
            spec:
              generators: [{clusters: {}}]
              template:
                metadata: {name: "quota-{{name}}"}
                spec:
                  source: {repoURL: "https://github.com/acme/hub.git", path: common/quota}
                  destination: {server: "{{server}}", namespace: default}
            """,
        "config/prod/cluster.json": '{"cluster": {"name": "hub", "tier": "gold"}}',
        "base/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: base}\n",
        "tiers/gold/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
        "common/quota/quota.yaml": "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: default}\n",
    })
    (hub,) = repo_clusters(repo)
    assert hub.name == "hub" and "argocd/exclude/bootstrap.yaml" in hub.roots
    (result,) = collect_deployed(repo, tmp_path / "d", renderer="builtin")
    got = rows(tmp_path / "d", "hub")
    web = obj(got, "Deployment", "web")  # followed through the git files generator
    assert (web["namespace"], web["annotations"]["readiness.dev/applied-by"]) == ("prod", "Application argocd/tier-hub")
    assert obj(got, "ResourceQuota", "q")["annotations"]["readiness.dev/applied-by"] == "Application argocd/quota-hub"
    unfollowed = sorted(result.unfollowed)
    assert [u.split(" (")[0] for u in unfollowed] == [
        "ApplicationSet argocd/bootstrap in argocd/exclude/bootstrap.yaml",
        "ApplicationSet argocd/vendor in argocd/tiers.yaml",
    ]
    assert "'{{metadata.annotations.root}}'" in unfollowed[0]
    assert "addons/* in https://git.example.org/vendor/addons.git" in unfollowed[1]
    # the terminal names each one: both in the summary's count, each on its own line
    run = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--data", str(tmp_path / "cli"),
                                    "--render", "builtin"])
    assert run.exit_code == 0, run.output
    first = result.unfollowed[0].split(" (")[0]
    assert f"2 sources not followed ({first} ...)" in run.stdout
    assert sorted(ln.split(" (")[0] for ln in run.stderr.splitlines() if ": not followed: " in ln) == [
        "  hub: not followed: ApplicationSet argocd/bootstrap in argocd/exclude/bootstrap.yaml",
        "  hub: not followed: ApplicationSet argocd/vendor in argocd/tiers.yaml"]
    cov = store.read(tmp_path / "d", "coverage").filter(pl.col("outcome") == "partial")
    assert sorted(cov["kind"]) == ["ApplicationSet", "ApplicationSet"]
    builds = [b for b in fact_specs(got, "Build") if b["unfollowed"]]
    assert sorted(b["origin"] for b in builds) == ["argocd/exclude/bootstrap.yaml", "argocd/tiers.yaml"]
    # a selector that rules a cluster out by name leaves it alone
    assert repo_clusters(build(tmp_path / "local", {
        "argocd/root.yaml": (repo / "argocd/root.yaml").read_text().replace("name: hub,", "name: local,"),
        "argocd/exclude/bootstrap.yaml": (repo / "argocd/exclude/bootstrap.yaml").read_text(),
        "base/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: base}\n"}))[0].roots == ("argocd/root.yaml",)


def test_application_sets_selecting_clusters_by_labels_no_cluster_shows_are_conditional(tmp_path: Path) -> None:
    """Argo CD cluster generators with label selectors (merge: its first generator decides; matrix: every one):
    declared only for clusters labelled so, unless a cluster Secret or the argo-cd chart's clusterCredentials
    in the repository carries the labels."""
    appset = """
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {{name: {name}, namespace: argocd}}
        spec:
          generators:
          {generators}
          template:
            metadata: {{name: "{name}-{{{{name}}}}"}}
            spec:
              source: {{repoURL: "https://charts.example.org", chart: {name}, targetRevision: 1.0.0}}
              destination: {{name: "{{{{name}}}}", namespace: {name}}}
        """
    repo = build(tmp_path / "hub", {
        "argocd/root.yaml": HUB_ROOT,
        "base/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: base}\n",
        "argocd/velero.yaml": appset.format(name="velero", generators="""- merge:
              mergeKeys: [server]
              generators:
              - clusters:
                  selector:
                    matchExpressions:
                    - {key: akuity.io/argo-cd-cluster-name, operator: NotIn, values: [in-cluster]}
                    - key: enable_velero
                      operator: In
                      values: ['true']
              - clusters: {selector: {matchLabels: {environment: prod}}}"""),
        "argocd/grafana.yaml": appset.format(name="grafana", generators="""- matrix:
              generators:
              - clusters: {selector: {matchLabels: {tier: gold}}}
              - list: {elements: [{team: a}]}"""),
        # shown by the cluster Secret below: not conditional
        "argocd/loki.yaml": appset.format(name="loki", generators="""- clusters:
              selector: {matchLabels: {enable_loki: "true"}}"""),
        # every registered cluster but in-cluster: not conditional
        "argocd/vector.yaml": appset.format(name="vector", generators="""- clusters:
              selector:
                matchExpressions: [{key: akuity.io/argo-cd-cluster-name, operator: NotIn, values: [in-cluster]}]"""),
        "argocd/cluster-hub.yaml": """
            apiVersion: v1
            kind: Secret
            metadata:
              name: hub
              labels: {argocd.argoproj.io/secret-type: cluster, enable_loki: "true"}
            stringData: {name: hub, server: "https://hub.example.org", config: "{\\"bearerToken\\": \\"s3cr3t\\"}"}
            """,
    })
    collect_deployed(repo, tmp_path / "d", renderer="builtin")
    hub = rows(tmp_path / "d", "hub")
    velero = obj(hub, "ApplicationSet", "velero")["annotations"]
    assert velero["readiness.dev/only-clusters-labelled"] == "enable_velero in (true)"
    assert (velero["readiness.dev/only-clusters-labelled-file"], velero["readiness.dev/only-clusters-labelled-line"]) \
        == ("argocd/velero.yaml", "13")  # the line of "key: enable_velero"
    grafana = obj(hub, "ApplicationSet", "grafana")["annotations"]
    assert grafana["readiness.dev/only-clusters-labelled"] == "tier in (gold)"
    for shown in ("loki", "vector"):
        assert "readiness.dev/only-clusters-labelled" not in obj(hub, "ApplicationSet", shown)["annotations"]
    assert "s3cr3t" not in hub.write_json()  # the Secret's labels were read, never its data


def test_cluster_labels_shown_by_the_argo_cd_chart_values(tmp_path: Path) -> None:
    from readiness.collect.deployed import shown_labels
    from readiness.collect.reader import Files
    repo = build(tmp_path / "hub", {
        "argocd/values.yaml": """
            configs:
              clusterCredentials:
                east: {server: "https://east.example.org", labels: {tier: gold}, config: {bearerToken: s3cr3t}}
            """,
        "argocd/values-list.yaml": """
            configs:
              clusterCredentials:
              - {name: west, server: "https://west.example.org", labels: {enable_velero: "true"}}
            """,
    })
    assert sorted(shown_labels(Files(repo)), key=str) == [{"enable_velero": "true"}, {"tier": "gold"}]


UNBUILT = {
    "deploy/clusters/gamma/apps.yaml": "\n---\n".join(f"""
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: {name}, namespace: flux-system}}
        spec:
          path: ./deploy/{name}
          sourceRef: {{kind: GitRepository, name: flux-system}}
        """ for name in ("db", "charts", "gone")),
    # every resource is there; only the generator's file is missing (kustomize fails, the reader reads it all)
    "deploy/db/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [db.yaml]
        configMapGenerator:
        - {name: schema, files: [schema.sql]}
        """,
    "deploy/db/db.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: db}\n",
    # a chart inflated by kustomize: what it renders could be any kind
    "deploy/charts/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [ns.yaml]
        helmCharts:
        - {name: web, repo: "https://charts.example.org", version: 1.0.0}
        """,
    "deploy/charts/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n",
    "deploy/gone/kustomization.yaml": "resources: [missing.yaml]\n",
}


def test_a_build_that_fails_records_what_it_could_hide(tmp_path: Path) -> None:
    # What Flux would apply of a Kustomization that does not build, beyond what the built-in reader read
    # anyway, is recorded as kinds (Build fact `hides`), so a check knows whether its subject could be there.
    from readiness.collect.kustomize import build as build_dir
    from readiness.collect.reader import Files

    repo = build(tmp_path / "repo", UNBUILT)
    files = Files(repo)
    assert build_dir(files, "deploy/db", "builtin").unread == {"ConfigMap"}
    assert build_dir(files, "deploy/charts", "builtin").unread == {"*"}
    assert build_dir(files, "deploy/gone", "builtin").unread == {"*"}
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not on PATH: without it the generator's missing file does not fail the build")
    (result,) = collect_deployed(repo, tmp_path / "data", renderer="kubectl")
    assert sorted(by for by, _ in result.failed_builds) == [
        "Kustomization flux-system/charts", "Kustomization flux-system/db", "Kustomization flux-system/gone"]
    hides = {b["by"]: b["hides"] for b in fact_specs(rows(tmp_path / "data", "gamma"), "Build")}
    assert hides == {"Kustomization flux-system/db": ["ConfigMap"], "Kustomization flux-system/charts": ["*"],
                     "Kustomization flux-system/gone": ["*"], "cluster root": None}


def test_charts_kept_in_the_repository_are_read_for_what_they_install_never_stored(tmp_path: Path) -> None:
    # An Argo CD Application whose path is an umbrella chart of this repository (Chart.yaml with dependencies,
    # values under each dependency's name or alias), and a Flux HelmRelease whose chart is a directory of its
    # GitRepository: what they install and configure becomes facts; the values themselves are never stored.
    repo = build(tmp_path / "lab", {
        "argocd/monitoring.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: monitoring, namespace: argocd}
            spec:
              source:
                repoURL: https://github.com/acme/lab.git
                path: charts/monitoring
                helm: {valueFiles: [values-home.yaml], valuesObject: {backups: {schedules: {nightly: {paused: true}}}}}
              destination: {server: "https://kubernetes.default.svc", namespace: monitoring}
            """,
        "charts/monitoring/Chart.yaml": """
            apiVersion: v2
            name: monitoring
            version: 1.0.0
            dependencies:
              - {name: kube-prometheus-stack, version: 70.0.0, repository: https://prometheus-community.github.io/helm-charts}
              - {name: velero, alias: backups, version: 8.0.0, repository: https://vmware-tanzu.github.io/helm-charts}
              - {name: loki, version: 6.0.0, repository: https://grafana.github.io/helm-charts, condition: loki.enabled}
            """,
        "charts/monitoring/values.yaml": """
            kube-prometheus-stack:
              grafana: {enabled: false}
              alertmanager:
                config:
                  route: {receiver: pager}
                  receivers: [{name: pager, pagerduty_configs: [{routing_key: s3cr3t-routing-key}]}]
            backups:
              schedules:
                nightly: {schedule: "0 1 * * *", template: {ttl: 168h}}
            loki: {enabled: false}
            """,
        "charts/monitoring/values-home.yaml": "backups: {schedules: {weekly: {schedule: '0 3 * * 0'}}}\n",
        "charts/monitoring/templates/issuer.yaml": "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\n"
                                                   "metadata: {name: {{ .Values.issuer }}}\n",
    })
    collect_deployed(repo, tmp_path / "d", renderer="builtin")
    got = rows(tmp_path / "d", "in-cluster")
    app = obj(got, "Application", "monitoring")
    facts = app["status"]["readiness.dev/facts"]
    assert facts["chart"] == "monitoring"
    assert facts["chart_dependencies"] == ["kube-prometheus-stack", "velero"]  # loki's condition is false
    assert facts["grafana_enabled"] is False and facts["alertmanager_enabled"] is True
    assert facts["alertmanager_routed_receiver_types"] == ["pagerduty"]
    by_name = {s["name"]: s for s in facts["velero_schedules"]}
    assert by_name["nightly"]["paused"] is True and by_name["weekly"]["schedule"] == "0 3 * * 0"
    stored = repr(got.to_dicts())
    assert "s3cr3t-routing-key" not in stored and "readiness.dev/local-charts" not in stored
    (record,) = [b for b in fact_specs(got, "Build") if b["by"] == "Application argocd/monitoring"]
    assert record["renderer"] == "helm (not rendered)" and "kube-prometheus-stack, velero, loki" in record["notes"][0]


def test_a_flux_helmrelease_chart_from_its_git_repository_is_read(tmp_path: Path) -> None:
    repo = build(tmp_path / "home", {
        "clusters/home/backups.yaml": """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: backups, namespace: velero}
            spec:
              chart:
                spec:
                  chart: ./charts/backups
                  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
                  valuesFiles: [charts/backups/values-home.yaml]
              values: {velero: {schedules: {daily: {template: {ttl: 240h}}}}}
            """,
        "charts/backups/Chart.yaml": "apiVersion: v2\nname: backups\nversion: 0.1.0\n"
                                     "dependencies: [{name: velero, version: 8.0.0}]\n",
        "charts/backups/values.yaml": "velero: {schedules: {daily: {schedule: '0 2 * * *'}}}\n",
        "charts/backups/values-home.yaml": "velero: {schedules: {daily: {schedule: '0 4 * * *'}}}\n",
    })
    collect_deployed(repo, tmp_path / "d", renderer="builtin")
    release = obj(rows(tmp_path / "d", "home"), "HelmRelease", "backups")
    facts = release["status"]["readiness.dev/facts"]
    assert facts["chart_dependencies"] == ["velero"]
    assert facts["velero_schedules"] == [{"name": "daily", "schedule": "0 4 * * *", "paused": False, "ttl": "240h"}]


@pytest.mark.parametrize("folder", ["hack/exclude", "examples", "docs/gitops", "test/e2e"])
def test_folders_that_show_or_test_the_project_declare_no_cluster(tmp_path: Path, folder: str) -> None:
    # an Application under a development or example folder is read in the files view, never deployed
    repo = build(tmp_path / "platform", {
        f"{folder}/app.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: try-me, namespace: argocd}
            spec:
              source: {repoURL: "https://github.com/acme/platform.git", path: charts/demo}
              destination: {name: sandbox, namespace: demo}
            """,
        "charts/demo/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: demo}\n",
        "argocd/real.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: real, namespace: argocd}
            spec:
              source: {repoURL: "https://github.com/acme/platform.git", path: charts/demo}
              destination: {name: prod, namespace: demo}
            """,
    })
    assert [c.name for c in repo_clusters(repo)] == ["prod"]


def test_alerts_in_chart_values_join_the_runbook_links_once(tmp_path: Path) -> None:
    """An ApplicationSet's chart values declare alerts: its generated Application carries the same values, and
    the alerts are linked once, named by that Application; the runbook URL is classified, never stored with
    the Application (its values are redacted, only the facts of its alerts are kept)."""
    values = """
                        additionalPrometheusRulesMap:
                          node:
                            groups:
                              - name: node
                                rules:
                                  - alert: NodeDiskFull
                                    expr: node_disk_free < 0.1
                                    annotations: {runbook_url: "https://github.com/acme/hub/blob/main/docs/runbooks/disk.md"}
                                  - {alert: NodeClockSkew, expr: "abs(skew) > 1"}"""
    repo = build(tmp_path / "hub", {
        "argocd/monitoring.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: monitoring, namespace: argocd}
            spec:
              generators:
                - list: {elements: [{cluster: edge}]}
              template:
                metadata: {name: "monitoring-{{cluster}}"}
                spec:
                  destination: {name: "{{cluster}}", namespace: monitoring}
                  source:
                    repoURL: https://prometheus-community.github.io/helm-charts
                    chart: kube-prometheus-stack
                    helm:
                      valuesObject:""" + values + """
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: edge-web, namespace: argocd}
            spec:
              source: {repoURL: "https://github.com/acme/hub.git", path: workloads/web}
              destination: {name: edge, namespace: web}
            """,
        "workloads/web/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
        "docs/runbooks/disk.md": "# Disk full\n\n## Mitigation\n\n1. Grow the volume\n2. Prune\n",
    })
    collect_deployed(repo, tmp_path / "d", renderer="builtin")
    edge = rows(tmp_path / "d", "edge")
    (links,) = fact_specs(edge, "RunbookLinks")
    assert links["alerts"] == 2  # not 4: the ApplicationSet's values are its Application's
    assert [(lk["rule"], lk["alert"], lk["outcome"], lk["target"]) for lk in links["links"]] == [
        ("Application/argocd/monitoring-edge", "NodeDiskFull", "resolves", "docs/runbooks/disk.md")]
    app = obj(edge, "Application", "monitoring-edge")
    assert app["status"]["readiness.dev/facts"]["alert_rules"] == [
        {"group": "node", "alert": "NodeDiskFull", "runbook_url": True},
        {"group": "node", "alert": "NodeClockSkew", "runbook_url": False}]
    stored = json.dumps(app, default=str)
    assert "github.com/acme/hub/blob" not in stored and "node_disk_free" not in stored


def test_an_app_of_apps_managing_its_own_directory_counts_each_object_once(tmp_path: Path) -> None:
    # The root Application and the ApplicationSet are applied by hand (no namespace written) and again by the
    # root Application, whose path is their own directory: one object each, in the namespace Argo CD gives them.
    repo = build(tmp_path / "lab", {
        "argocd-apps/root.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: root}
            spec:
              source: {repoURL: "git@github.com:acme/lab.git", path: argocd-apps/}
              destination: {name: in-cluster, namespace: argocd}
            """,
        "argocd-apps/apps.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: apps}
            spec:
              generators: [{list: {elements: [{name: web}, {name: db}]}}]
              template:
                metadata: {name: "{{ .name }}"}
                spec:
                  source: {repoURL: "git@github.com:acme/lab.git", path: "apps/{{ .name }}"}
                  destination: {name: in-cluster, namespace: "{{ .name }}"}
            """,
        # Argo CD's destination namespace goes only to objects naming none (Flux's targetNamespace to all)
        "apps/web/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n"
                                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: infra}\n",
        "apps/db/sts.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n",
    })
    (result,) = collect_deployed(repo, tmp_path / "d", renderer="builtin")
    got = rows(tmp_path / "d", "in-cluster")
    argo = got.filter(pl.col("kind").is_in(["Application", "ApplicationSet"]))
    assert sorted(zip(argo["kind"], argo["namespace"], argo["name"], strict=True)) == [
        ("Application", "argocd", "db"), ("Application", "argocd", "root"), ("Application", "argocd", "web"),
        ("ApplicationSet", "argocd", "apps")]
    assert result.objects == 7  # 4 Argo CD objects, the Deployment, the ConfigMap, the StatefulSet
    assert obj(got, "Deployment", "web")["namespace"] == "web"
    assert obj(got, "ConfigMap", "shared")["namespace"] == "infra"
    assert obj(got, "StatefulSet", "db")["annotations"]["readiness.dev/applied-by"] == "Application argocd/db"
    builds = [b["by"] for b in fact_specs(got, "Build")]
    assert sorted(builds) == ["Application argocd/db", "Application argocd/root", "Application argocd/web"]


def test_objects_chart_values_render_as_they_are_are_declared_by_their_release(tmp_path: Path) -> None:
    # extraObjects (external-secrets, argo-cd, velero charts), in a Flux HelmRelease's values and under a dependency
    # of a chart of the repository: declared, applied by the release, in its namespace; a templated one is not
    repo = build(tmp_path / "lab", {
        "clusters/lab/eso.yaml": """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: external-secrets, namespace: flux-system}
            spec:
              targetNamespace: external-secrets
              chart: {spec: {chart: external-secrets, sourceRef: {kind: HelmRepository, name: eso}}}
              values:
                extraObjects:
                  - apiVersion: external-secrets.io/v1
                    kind: ClusterSecretStore
                    metadata: {name: vault}
                    spec: {provider: {vault: {server: "https://vault.example:8200"}}}
                  - |
                    apiVersion: external-secrets.io/v1
                    kind: SecretStore
                    metadata: {name: "{{ .Release.Name }}-store"}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: backups, namespace: argocd}
            spec:
              source: {repoURL: "https://github.com/acme/lab.git", path: charts/backups}
              destination: {server: "https://kubernetes.default.svc", namespace: velero}
            """,
        "charts/backups/Chart.yaml": "apiVersion: v2\nname: backups\nversion: 0.1.0\ndependencies: [{name: velero}]\n",
        "charts/backups/values.yaml": """
            velero:
              extraObjects:
                - apiVersion: external-secrets.io/v1
                  kind: ExternalSecret
                  metadata: {name: cloud-credentials}
                  spec: {secretStoreRef: {kind: ClusterSecretStore, name: vault}}
            """,
    })
    collect_deployed(repo, tmp_path / "d", renderer="builtin")
    got = rows(tmp_path / "d", "lab")
    store_ = obj(got, "ClusterSecretStore", "vault")
    assert store_["annotations"]["readiness.dev/applied-by"] == "HelmRelease flux-system/external-secrets"
    assert store_["annotations"]["readiness.dev/source-path"] == "clusters/lab/eso.yaml"
    es = obj(got, "ExternalSecret", "cloud-credentials")
    assert es["namespace"] == "velero"
    assert es["annotations"]["readiness.dev/source-path"] == "charts/backups/values.yaml"
    assert got.filter(pl.col("kind") == "SecretStore").is_empty()  # '{{ .Release.Name }}-store' is helm's to name


def test_a_long_kubectl_error_is_cut_at_a_link_of_its_chain_never_mid_word() -> None:
    from readiness.collect.kustomize import _kubectl_error

    chain = ("accumulating resources: accumulation err='accumulating resources from '../../apps/overlays/pro': "
             "'/repo/apps/overlays/pro' must resolve to a file': recursed merging from path "
             "'/repo/apps/operator/k8s/overlays/production-with-a-long-name/base/components': "
             "may not add resource with an already registered id: Namespace.v1.[noGrp]/knative-lambda.[noNs]"
             "': recursed accumulation of path "
             "'/repo/apps/operator/k8s/tests': read /repo/apps/operator/k8s/tests: is a directory'")
    text = _kubectl_error("error: " + chain, {"/repo": "."})
    assert text.startswith("in ../../apps/overlays/pro: ... ")
    tail = text.split("... ", 1)[1]
    assert tail.split(" ")[0] in chain.split(" ")  # the first word shown is a whole word of the message
    assert tail.endswith("read apps/operator/k8s/tests: is a directory") and "'" not in tail
