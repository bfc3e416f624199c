"""Flux Kustomization ``spec.components`` and ``spec.patches``: added to the kustomization Flux builds (the path's
own, or the one it generates), with both renderers, ``postBuild.substitute`` applied after; what cannot be applied
fails the build and is recorded. Fixtures are our own, in the shape of a home-ops repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_collect_repo_deployed import RENDERERS, build, fact_specs, obj, rows

from readiness.collect import collect_deployed

FLUX = "kustomize.toolkit.fluxcd.io/v1"


def app(name: str, *, components: str = "[../../../components/backup]", extra: str = "") -> str:
    return f"""
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: {name}}}
        spec:
          path: ./apps/{name}/app
          components: {components}
          targetNamespace: default
          postBuild:
            substitute: {{APP: {name}}}
          sourceRef: {{kind: GitRepository, name: flux-system, namespace: flux-system}}
          {extra}
        """


RELEASE = """
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata: {{name: {name}}}
    spec:
      chartRef: {{kind: OCIRepository, name: app-template}}
      upgrade: {{cleanupOnFail: false, crds: Skip}}
    """
HOME = {
    # the cluster's apps Kustomization patches every child Kustomization: each then patches its HelmReleases
    "clusters/home/apps.yaml": f"""
        apiVersion: {FLUX}
        kind: Kustomization
        metadata: {{name: cluster-apps, namespace: flux-system}}
        spec:
          path: ./apps
          sourceRef: {{kind: GitRepository, name: flux-system}}
          patches:
          - target: {{group: kustomize.toolkit.fluxcd.io, kind: Kustomization}}
            patch: |-
              apiVersion: kustomize.toolkit.fluxcd.io/v1
              kind: Kustomization
              metadata: {{name: _}}
              spec:
                patches:
                - target: {{group: helm.toolkit.fluxcd.io, kind: HelmRelease}}
                  patch: |-
                    apiVersion: helm.toolkit.fluxcd.io/v2
                    kind: HelmRelease
                    metadata: {{name: _}}
                    spec:
                      upgrade: {{cleanupOnFail: true, remediation: {{retries: 2}}}}
        """,
    "apps/kustomization.yaml": "namespace: default\nresources: [media/ks.yaml, tools/ks.yaml]\n",
    "apps/media/ks.yaml": app("media"),
    "apps/media/app/kustomization.yaml": "resources: [helmrelease.yaml]\n",
    "apps/media/app/helmrelease.yaml": RELEASE.format(name="media"),
    # no kustomization.yaml: Flux generates one listing the manifests, and adds the component to it
    "apps/tools/ks.yaml": app("tools"),
    "apps/tools/app/helmrelease.yaml": RELEASE.format(name="tools"),
    # what cannot be applied: a missing component, one left out on purpose, a patch that does not apply
    # (in the cluster's root: cluster-apps' patch would replace their spec.patches, a list of a custom resource)
    "clusters/home/gaps.yaml": "\n---\n".join([
        app("lost", components="[../../../components/gone]"),
        app("spared", components="[../../../components/gone]", extra="ignoreMissingComponents: true"),
        app("misfit", components="[]", extra="patches: [{target: {kind: HelmRelease}, patch: "
                                             "'- {op: remove, path: /spec/nothing}'}]"),
    ]),
    "apps/lost/app/helmrelease.yaml": RELEASE.format(name="lost"),
    "apps/spared/app/helmrelease.yaml": RELEASE.format(name="spared"),
    "apps/misfit/app/helmrelease.yaml": RELEASE.format(name="misfit"),
    # a component: its resources, and a patch over everything its parent gathered
    "components/backup/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1alpha1
        kind: Component
        resources: [replicationsource.yaml]
        patches:
        - target: {group: helm.toolkit.fluxcd.io, kind: HelmRelease}
          patch: |-
            - {op: add, path: /spec/install, value: {remediation: {retries: -1}}}
        """,
    "components/backup/replicationsource.yaml": """
        apiVersion: volsync.backube/v1alpha1
        kind: ReplicationSource
        metadata: {name: "${APP}"}
        spec:
          sourcePVC: "${APP}"
          trigger: {schedule: "0 * * * *"}
          kopia: {repository: "${APP}-volsync-secret", retain: {daily: 7}}
        """,
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("checkout") / "home-ops", HOME)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_components_and_patches_apply_as_flux_applies_them(home: Path, tmp_path: Path, renderer: str) -> None:
    collect_deployed(home, tmp_path, renderer=renderer)
    got = rows(tmp_path, "home")
    for name in ("media", "tools"):  # one component, two apps: each gets its own, named after it
        source = obj(got, "ReplicationSource", name)
        assert source["namespace"] == "default" and source["spec"]["kopia"]["retain"] == {"daily": 7}
        assert source["annotations"]["readiness.dev/source-path"] == "components/backup/replicationsource.yaml"
        assert source["annotations"]["readiness.dev/applied-by"] == f"Kustomization default/{name}"
        release = obj(got, "HelmRelease", name)["spec"]
        # cluster-apps' patch reached the child Kustomization, whose patch reached its HelmRelease
        assert release["upgrade"] == {"cleanupOnFail": True, "crds": "Skip", "remediation": {"retries": 2}}
        assert release["install"] == {"remediation": {"retries": -1}}  # the component's patch
    builds = {b["by"]: b for b in fact_specs(got, "Build")}
    media = builds["Kustomization default/media"]
    assert (media["ok"], media["components"], media["patches"], media["substitute"]) == (
        True, ["components/backup"], 1, ["APP"])
    assert builds["Kustomization flux-system/cluster-apps"]["patches"] == 1
    # the component's file is applied: not among the files no cluster applies
    assert "components/backup/replicationsource.yaml" not in {u["path"] for u in fact_specs(got, "Unapplied")}


@pytest.mark.parametrize("renderer", RENDERERS)
def test_what_cannot_be_applied_is_recorded_on_the_build(home: Path, tmp_path: Path, renderer: str) -> None:
    (result,) = collect_deployed(home, tmp_path, renderer=renderer)
    got = rows(tmp_path, "home")
    builds = {b["by"]: b for b in fact_specs(got, "Build")}
    lost, misfit = builds["Kustomization default/lost"], builds["Kustomization default/misfit"]
    assert not lost["ok"] and "components/gone" in lost["error"] and lost["hides"]
    assert not misfit["ok"] and "/spec/nothing" in misfit["error"]
    assert sorted(by for by, _ in result.failed_builds) == ["Kustomization default/lost",
                                                            "Kustomization default/misfit"]
    # declared, but Flux applies nothing of a Kustomization that does not build: marked so
    assert obj(got, "HelmRelease", "lost")["annotations"]["readiness.dev/build"] == "failed"
    spared = builds["Kustomization default/spared"]
    assert spared["ok"] and any("components/gone does not exist: left out (ignoreMissingComponents)" in n
                                for n in spared["notes"])
    assert "readiness.dev/build" not in obj(got, "HelmRelease", "spared")["annotations"]
