"""Kustomize patches as the built-in reader applies them, each case's result written out by hand; with kubectl on
PATH, ``kubectl kustomize`` must give the same (the built-in reader stands in for it)."""

from __future__ import annotations

import shutil
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
import yaml

from readiness.collect.kustomize import build
from readiness.collect.patches import PatchError, parse, selects
from readiness.collect.reader import Files

RESOURCES = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, labels: {app: web}}
    spec:
      template:
        spec:
          containers:
          - {name: app, image: "app:1", args: [serve], env: [{name: A, value: "1"}, {name: B, value: "2"}]}
          - {name: proxy, image: "proxy:1"}
          tolerations: [{key: spot}]
    ---
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata: {name: web, annotations: {team: a}}
    spec:
      valuesFrom: [{kind: ConfigMap, name: a}, {kind: Secret, name: b}]
      upgrade: {remediation: {retries: 1}, cleanupOnFail: false}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings, labels: {app: web, tier: back}}
    data: {mode: fast}
    """
RENDERERS = ["builtin", *(["kubectl"] if shutil.which("kubectl") else [])]

CASES: dict[str, tuple[str, dict[str, Any] | str]] = {
    # a custom resource's lists are replaced; null removes a key; a targeted patch's name does not matter
    "crd": ("""
        - target: {group: helm.toolkit.fluxcd.io, kind: HelmRelease}
          patch: |-
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: _, labels: {patched: "yes"}}
            spec:
              valuesFrom: [{kind: ConfigMap, name: c}]
              upgrade: {remediation: {retries: 2}, cleanupOnFail: null}
        """, {"HelmRelease/web": {
            "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "web", "annotations": {"team": "a"}, "labels": {"patched": "yes"}},
            "spec": {"valuesFrom": [{"kind": "ConfigMap", "name": "c"}], "upgrade": {"remediation": {"retries": 2}}}}}),
    # a built-in kind's containers and env merge by name (the patch's items first); args, tolerations replaced
    "built-in": ("""
        - patch: |-
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              template:
                spec:
                  containers:
                  - {name: proxy, image: "proxy:2"}
                  - {name: app, args: [serve, --fast], env: [{name: B, value: "3"}]}
                  tolerations: [{key: gpu}]
        """, {"Deployment/web": {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"template": {"spec": {"containers": [
                {"name": "proxy", "image": "proxy:2"},
                {"name": "app", "image": "app:1", "args": ["serve", "--fast"],
                 "env": [{"name": "B", "value": "3"}, {"name": "A", "value": "1"}]}],
                "tolerations": [{"key": "gpu"}]}}}}}),
    # JSON 6902 with a label selector: append, replace of a missing key (set), copy
    "json6902": ("""
        - target: {kind: ConfigMap, labelSelector: "app=web,tier in (back, mid)"}
          patch: |-
            - {op: replace, path: /data/size, value: large}
            - {op: copy, from: /data/mode, path: /data/fallback}
            - {op: add, path: /metadata/labels/extra, value: "1"}
        - target: {kind: Deployment, name: "we.*"}
          patch: '[{"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--debug"}]'
        """, {"ConfigMap/settings": {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "settings", "labels": {"app": "web", "tier": "back", "extra": "1"}},
            "data": {"mode": "fast", "size": "large", "fallback": "fast"}},
            "Deployment/web/args": ["serve", "--debug"]}),
    # $patch: delete takes the object out
    "delete": ("""
        - patch: |-
            $patch: delete
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
        """, {"ConfigMap/settings": None}),
    # what kustomize refuses fails the build
    "remove missing": ("""
        - target: {kind: ConfigMap}
          patch: "- {op: remove, path: /data/nothing}"
        """, "/data/nothing"),
    "names nothing": ("""
        - patch: |-
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: elsewhere}
            data: {a: b}
        """, "elsewhere"),
    "not JSON": ("""
        - target: {kind: ConfigMap}
          patch: "[{op: remove, path: /data/mode}]"
        """, "JSON"),
}


def _by_name(built: list[tuple[dict[str, Any], str]]) -> dict[str, dict[str, Any]]:
    return {f"{o['kind']}/{o['metadata']['name']}": o for o, _ in built}


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("case", list(CASES))
def test_patches_apply_as_kustomize_applies_them(tmp_path: Path, case: str, renderer: str) -> None:
    given, expected = CASES[case]
    (tmp_path / "app").mkdir()
    (tmp_path / "app/all.yaml").write_text(dedent(RESOURCES), encoding="utf-8")
    (tmp_path / "app/kustomization.yaml").write_text(
        "resources: [all.yaml]\npatches:\n" + dedent(given).strip("\n") + "\n", encoding="utf-8")
    built = build(Files(tmp_path), "app", renderer)
    if isinstance(expected, str):
        assert built.error and expected in built.error
        return
    assert built.error is None, built.error
    got = _by_name(built.objects)
    for key, want in expected.items():
        if key.endswith("/args"):
            assert got[key.removesuffix("/args")]["spec"]["template"]["spec"]["containers"][0]["args"] == want
        elif want is None:
            assert key not in got
        else:
            assert got[key] == want
    origins = {f"{o['kind']}/{o['metadata']['name']}": origin for o, origin in built.objects}
    assert set(origins.values()) == {"app/all.yaml"}  # a patched object keeps the file that declared it


def test_targets_select_as_kustomize_does() -> None:
    cm = yaml.safe_load("{apiVersion: v1, kind: ConfigMap, metadata: {name: web-config, namespace: shop, "
                        "labels: {app: web}, annotations: {owner: team-a}}}")
    assert selects({"kind": "ConfigMap", "name": "web-.*"}, cm)
    assert not selects({"kind": "ConfigMap", "name": "web"}, cm)  # anchored
    assert not selects({"group": "apps", "kind": "ConfigMap"}, cm)
    assert selects({"namespace": "shop|cart", "labelSelector": "app=web,!tier"}, cm)
    assert not selects({"labelSelector": "app notin (web)"}, cm)
    assert selects({"annotationSelector": "owner in (team-a, team-b)"}, cm)
    with pytest.raises(PatchError, match="not a strategic-merge or JSON 6902 patch"):
        parse("p", "just text")


@pytest.mark.parametrize("renderer", RENDERERS)
def test_components_apply_to_what_their_kustomization_gathered(tmp_path: Path, renderer: str) -> None:
    files = {
        "app/kustomization.yaml": "namespace: shop\nresources: [all.yaml]\ncomponents: [../parts/labels]\n",
        "app/all.yaml": dedent(RESOURCES),
        "parts/labels/kustomization.yaml": """
            apiVersion: kustomize.config.k8s.io/v1alpha1
            kind: Component
            resources: [ns.yaml]
            patches:
            - target: {kind: ConfigMap}
              patch: "- {op: add, path: /data/component, value: 'yes'}"
            """,
        "parts/labels/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: placeholder}\n",
        # a Component is not a resource, nor a Kustomization a component: kustomize refuses both
        "wrong/kustomization.yaml": "resources: [../parts/labels]\n",
        "odd/kustomization.yaml": "components: [../app]\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    built = build(Files(tmp_path), "app", renderer)
    assert built.error is None, built.error
    got = _by_name(built.objects)
    assert got["ConfigMap/settings"]["data"] == {"mode": "fast", "component": "yes"}
    assert got["ConfigMap/settings"]["metadata"]["namespace"] == "shop"
    assert "Namespace/shop" in got and "Namespace/placeholder" not in got  # renamed to the namespace
    assert got["Namespace/shop"]["metadata"] == {"name": "shop"}
    assert "Component" in (build(Files(tmp_path), "wrong", renderer).error or "")
    assert "Component" in (build(Files(tmp_path), "odd", renderer).error or "")
