"""Cluster discovery beyond ``clusters/<name>/``: the directory a FluxInstance syncs (the Flux Operator's layout,
also written as flux-instance chart values) and the path of the ``flux-system`` Kustomization ``flux bootstrap``
writes; ``--root`` when the repository names none. Fixtures are our own, in the shapes of such repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_collect_repo_deployed import build, fact_specs, obj, rows

from readiness.cli import main
from readiness.collect import collect_deployed, repo_clusters
from readiness.collect.deployed import Cluster
from readiness.errors import CollectError

FLUX = "kustomize.toolkit.fluxcd.io/v1"
SYNC = ("{kind: GitRepository, url: 'https://github.com/acme/home-ops', ref: refs/heads/main, "
        "path: kubernetes/flux/cluster}")
# The Flux Operator layout: no clusters/ directory; the FluxInstance syncs kubernetes/flux/cluster, whose
# Kustomization applies kubernetes/apps (one folder per namespace, one ks.yaml per app).
HOME = {
    "kubernetes/flux/cluster/ks.yaml": f"""
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: cluster-apps, namespace: flux-system}}
        spec:
          path: ./kubernetes/apps
          sourceRef: {{kind: GitRepository, name: flux-system, namespace: flux-system}}
        """,
    "kubernetes/apps/flux-system/kustomization.yaml": "resources: [./flux-instance/ks.yaml]\n",
    "kubernetes/apps/flux-system/flux-instance/ks.yaml": f"""
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: flux-instance, namespace: flux-system}}
        spec:
          path: ./kubernetes/apps/flux-system/flux-instance/app
          targetNamespace: flux-system
          sourceRef: {{kind: GitRepository, name: flux-system, namespace: flux-system}}
        """,
    "kubernetes/apps/flux-system/flux-instance/app/kustomization.yaml": """
        resources: [./helmrelease.yaml]
        configMapGenerator:
        - {name: flux-instance-values, files: [values.yaml=./helm/values.yaml]}
        """,
    "kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml": """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: flux-instance}
        spec:
          chartRef: {kind: OCIRepository, name: flux-instance}
          valuesFrom: [{kind: ConfigMap, name: flux-instance-values}]
        """,
    "kubernetes/apps/flux-system/flux-instance/app/helm/values.yaml": f"instance:\n  sync: {SYNC}\n",
    "kubernetes/apps/default/kustomization.yaml": "namespace: default\nresources: [./echo/ks.yaml]\n",
    "kubernetes/apps/default/echo/ks.yaml": f"""
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: echo}}
        spec:
          path: ./kubernetes/apps/default/echo/app
          targetNamespace: default
          sourceRef: {{kind: GitRepository, name: flux-system, namespace: flux-system}}
        """,
    "kubernetes/apps/default/echo/app/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: echo}\n",
    # an example of the docs names a directory of its own: no cluster
    "docs/examples/flux.yaml": """
        apiVersion: fluxcd.controlplane.io/v1
        kind: FluxInstance
        metadata: {name: flux, namespace: flux-system}
        spec:
          sync: {kind: GitRepository, url: "https://github.com/acme/home-ops", path: docs/demo}
        """,
    "docs/demo/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n",
}
# The same sync written in a HelmRelease's values, and as a FluxInstance of its own.
IN_RELEASE = f"""
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata: {{name: flux-instance, namespace: flux-system}}
    spec:
      chartRef: {{kind: OCIRepository, name: flux-instance}}
      values:
        instance:
          sync: {SYNC}
    """
INSTANCE = f"""
    apiVersion: fluxcd.controlplane.io/v1
    kind: FluxInstance
    metadata: {{name: flux, namespace: flux-system}}
    spec:
      distribution: {{version: 2.x}}
      sync: {SYNC}
    """


@pytest.mark.parametrize("form", ["values file", "HelmRelease values", "FluxInstance"])
def test_the_directory_a_flux_instance_syncs_is_a_cluster_root(tmp_path: Path, form: str) -> None:
    files = dict(HOME)
    if form != "values file":
        del files["kubernetes/apps/flux-system/flux-instance/app/helm/values.yaml"]
        files["kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml"] = (
            IN_RELEASE if form == "HelmRelease values" else INSTANCE)
    repo = build(tmp_path / "home-ops", files)  # named after the checkout, as the files view names it
    assert repo_clusters(repo) == [Cluster("home-ops", "flux", ("kubernetes/flux/cluster",))]
    collect_deployed(repo, tmp_path / "d", renderer="builtin")
    got = rows(tmp_path / "d", "home-ops")
    echo = obj(got, "Deployment", "echo")
    assert (echo["namespace"], echo["annotations"]["readiness.dev/applied-by"]) == (
        "default", "Kustomization default/echo")
    assert got.filter(got["kind"] == "Namespace").is_empty()  # the docs' demo is not applied
    (view,) = fact_specs(got, "View")
    assert (view["tool"], view["roots"], view["clusters"]) == ("flux", ["kubernetes/flux/cluster"], ["home-ops"])


def gotk_sync(folder: str, url: str) -> str:
    return f"""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {{name: flux-system, namespace: flux-system}}
        spec: {{url: "{url}", ref: {{branch: main}}}}
        ---
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: flux-system, namespace: flux-system}}
        spec:
          path: ./{folder}
          sourceRef: {{kind: GitRepository, name: flux-system}}
        """


def test_flux_bootstrap_kustomizations_name_their_roots_wherever_they_live(tmp_path: Path) -> None:
    repo = build(tmp_path / "fleet", {
        "fleet/main/flux/gotk-sync.yaml": gotk_sync("fleet/main/flux", "ssh://git@github.com/acme/fleet"),
        "fleet/main/flux/apps.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n",
        "fleet/lab/flux/gotk-sync.yaml": gotk_sync("fleet/lab/flux", "ssh://git@github.com/acme/fleet"),
        # syncs another repository than this checkout's (its Git remote says which it is): not a root here
        "vendor/flux/gotk-sync.yaml": gotk_sync("vendor/flux", "https://github.com/vendor/platform"),
        # a FluxInstance syncing an OCI artifact: its path is inside the artifact, not this repository
        "oci/instance.yaml": INSTANCE.replace("GitRepository", "OCIRepository").replace(
            "kubernetes/flux/cluster", "oci"),
        ".git/config": '[remote "origin"]\n\turl = git@github.com:acme/fleet.git\n',
    })
    assert repo_clusters(repo) == [Cluster("lab", "flux", ("fleet/lab/flux",)),
                                   Cluster("main", "flux", ("fleet/main/flux",))]
    collect_deployed(repo, tmp_path / "d", ["main"], renderer="builtin")
    assert obj(rows(tmp_path / "d", "main"), "Namespace", "apps")["annotations"]["readiness.dev/applied-by"] == (
        "cluster root")
    # the copy of a bootstrap inside clusters/<name>/ is that cluster, not a second one
    classic = build(tmp_path / "classic", {
        "clusters/prod/flux-system/gotk-sync.yaml": gotk_sync("clusters/prod", "https://github.com/acme/classic")})
    assert repo_clusters(classic) == [Cluster("prod", "flux", ("clusters/prod",))]


def test_without_a_root_the_files_view_says_what_it_looked_for_and_root_gives_the_deployed_view(
        tmp_path: Path) -> None:
    files = {k: v for k, v in HOME.items() if not k.endswith("helm/values.yaml")}
    repo = build(tmp_path / "home-ops", files)
    assert repo_clusters(repo) == []
    plain = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--data", str(tmp_path / "f")])
    assert plain.exit_code == 0 and plain.stdout.startswith("home-ops: repo (files view)"), plain.output
    assert "FluxInstance sync.path" in plain.stderr and "flux-system Kustomization" in plain.stderr
    assert "For the deployed view, name the directory the cluster's Flux applies first: --root DIR" in plain.stderr
    given = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--root", "kubernetes/flux/cluster",
                                      "--cluster", "home", "--render", "builtin", "--data", str(tmp_path / "d")])
    assert given.exit_code == 0 and given.stdout.startswith("home: repo (deployed view)"), given.output
    assert obj(rows(tmp_path / "d", "home"), "Deployment", "echo")["namespace"] == "default"
    with pytest.raises(CollectError, match="root kubernetes/nope is not a directory of"):
        collect_deployed(repo, tmp_path / "e", roots=["kubernetes/nope"])
    wrong = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--root", "kubernetes", "--view", "files",
                                      "--data", str(tmp_path / "g")])
    assert wrong.exit_code == 2 and "--root declares one cluster" in wrong.output
