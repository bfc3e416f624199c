"""What the sanitizer keeps of an object (the allowlist in policy.yaml), what it replaces, and where fields go."""

from __future__ import annotations

import json
from typing import Any

import pytest

from readiness.collect import policy
from readiness.collect.catalogue import load as load_catalogue
from readiness.collect.configfacts import FACTS_KEY
from readiness.collect.policy import URL_REDACTED, scrub_text
from readiness.collect.sanitize import FULL_COPY_ANNOTATIONS, LAST_APPLIED, omit, row_fields, stored
from readiness.errors import ConfigError
from readiness.store.schema import REDACTED


def fields(obj: dict[str, Any], **kw: Any) -> dict[str, Any]:
    ns, name, labels, annotations, spec, status = row_fields(obj, **kw)
    return {"namespace": ns, "name": name, "labels": json.loads(labels), "annotations": json.loads(annotations),
            "spec": json.loads(spec), "status": json.loads(status)}


def _deployment(container: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "apps"},
            "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "api"}},
                                                 "spec": {"containers": [container]}}},
            "status": {"readyReplicas": 2, "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                 "message": "Deployment has minimum availability, token=hunter2"}]}}


def test_kept_fields_stay_and_every_other_string_is_replaced_keeping_key_and_shape() -> None:
    container = {"name": "api", "image": "ghcr.io/x/api:1", "args": ["--password", "hunter2", "--port=80"],
                 "command": ["sh", "-c", "curl -H 'Authorization: Bearer hunter2' x"],
                 "env": [{"name": "PW", "value": "hunter2"},
                         {"name": "REF", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
                 "securityContext": {"runAsNonRoot": True, "runAsUser": 1000},
                 "readinessProbe": {"httpGet": {"path": "/ready?token=hunter2", "port": 8080,
                                                "httpHeaders": [{"name": "X-Token", "value": "hunter2"}]}}}
    row = fields(_deployment(container))
    assert "hunter2" not in json.dumps(row)
    c = row["spec"]["template"]["spec"]["containers"][0]
    assert (c["name"], c["image"], c["securityContext"]) == ("api", "ghcr.io/x/api:1",
                                                             {"runAsNonRoot": True, "runAsUser": 1000})
    assert c["args"] == [REDACTED] * 3 and c["command"] == [REDACTED] * 3
    assert c["env"] == [{"name": "PW", "value": REDACTED},
                        {"name": "REF", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
    assert c["readinessProbe"]["httpGet"] == {"path": f"/ready?{URL_REDACTED}", "port": 8080,
                                              "httpHeaders": [{"name": "X-Token", "value": REDACTED}]}
    assert row["spec"]["replicas"] == 3 and row["status"]["readyReplicas"] == 2
    assert row["status"]["conditions"] == [{"type": "Available", "status": "True",
                                            "reason": "MinimumReplicasAvailable",
                                            "message": f"Deployment has minimum availability, token={REDACTED}"}]


def test_an_unknown_kind_keeps_status_phase_and_conditions_only() -> None:
    row = fields({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
                  "spec": {"url": "https://x", "size": 3, "nested": {"on": True, "name": "n"}},
                  "status": {"phase": "Ready", "detail": "d", "conditions": [{"type": "Ready", "status": "True"}]}})
    assert row["spec"] == {"url": REDACTED, "size": 3, "nested": {"on": True, "name": REDACTED}}
    assert row["status"] == {"phase": "Ready", "detail": REDACTED,
                             "conditions": [{"type": "Ready", "status": "True"}]}


def test_annotation_values_are_kept_only_for_listed_keys() -> None:
    copy = '{"spec": {"env": [{"name": "PASSWORD", "value": "hunter2"}]}}'
    pod = fields({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": {
        LAST_APPLIED: copy, "kapp.k14s.io/original": copy, "objectset.rio.cattle.io/applied": copy,
        "deployment.kubernetes.io/revision": "3", "readiness.dev/offsite": "true", "team": "hunter2",
        "runbook_url": "https://u:hunter2@wiki/r.md"}}})
    assert set(FULL_COPY_ANNOTATIONS) == {LAST_APPLIED, "kapp.k14s.io/original", "objectset.rio.cattle.io/applied"}
    assert pod["annotations"] == {"deployment.kubernetes.io/revision": "3", "readiness.dev/offsite": "true",
                                  "team": REDACTED, "runbook_url": f"https://{URL_REDACTED}@wiki/r.md"}
    template = fields(_deployment({"name": "a"}) | {"spec": {"template": {"metadata": {"annotations": {
        "linkerd.io/inject": "enabled", "vault.hashicorp.com/token": "hunter2"}}}}})
    assert template["spec"]["template"]["metadata"]["annotations"] == {"linkerd.io/inject": "enabled",
                                                                      "vault.hashicorp.com/token": REDACTED}


def test_omit_walks_lists() -> None:
    crd = {"spec": {"group": "x.io", "versions": [{"name": "v1", "schema": {"big": 1}}, {"name": "v2"}]}}
    omit(crd, "spec.versions.*.schema")
    omit(crd, "spec.missing.deeper")
    assert crd == {"spec": {"group": "x.io", "versions": [{"name": "v1"}, {"name": "v2"}]}}


def test_top_level_fields_go_to_status() -> None:
    report = fields({"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "VulnerabilityReport",
                     "metadata": {"name": "r", "namespace": "ns"},
                     "report": {"summary": {"highCount": 2}, "artifact": {"repository": "x/api", "tag": "1"}}})
    assert (report["spec"], report["status"]) == ({}, {"report": {"summary": {"highCount": 2},
                                                                  "artifact": {"repository": "x/api", "tag": "1"}}})


def test_secret_manifest_keeps_key_names_only() -> None:
    secret = fields({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "apps"},
                     "type": "Opaque", "data": {"password": "aHVudGVyMg=="}, "stringData": {"user": "admin"},
                     "sops": {"mac": "ENC[...]", "age": [{"recipient": "age1..."}]}})
    assert secret["status"] == {"type": "Opaque", "data": {"password": REDACTED}, "stringData": {"user": REDACTED},
                                "sops": True}


def test_configmaps_and_metadata_only_kinds_keep_no_data() -> None:
    cm = fields({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n",
                                                                       "annotations": {"note": "pw hunter2"}},
                 "data": {"url": "postgres://u:pw@db"}})
    assert (cm["spec"], cm["status"], cm["annotations"]) == ({}, {}, {"note": REDACTED})
    other = fields({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"a": 1}},
                   metadata_only=True)
    assert (other["spec"], other["status"]) == ({}, {})


def test_helm_values_and_generators_keep_their_keys_not_their_strings() -> None:
    release = fields({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "g"},
                      "spec": {"chart": {"spec": {"chart": "grafana", "version": "8.0.0"}},
                               "values": {"adminPassword": "hunter2", "replicas": 2},
                               "valuesFrom": [{"kind": "Secret", "name": "grafana-values"}],
                               "postRenderers": [{"kustomize": {"patches": [{"patch": "hunter2"}]}}]},
                      "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "InstallFailed"}]}})
    assert release["spec"] == {"chart": {"spec": {"chart": "grafana", "version": "8.0.0"}},
                               "values": {"adminPassword": REDACTED, "replicas": 2},
                               "valuesFrom": [{"kind": "Secret", "name": "grafana-values"}],
                               "postRenderers": [{"kustomize": {"patches": [{"patch": REDACTED}]}}]}
    assert release["status"]["conditions"][0]["reason"] == "InstallFailed"
    kustomization = fields({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                            "metadata": {"name": "k"}, "resources": ["app.yaml"],
                            "secretGenerator": [{"name": "db", "literals": ["password=hunter2"]}]})
    assert kustomization["status"] == {"resources": ["app.yaml"],
                                       "secretGenerator": [{"name": "db", "literals": [REDACTED]}]}


def test_route_trees_are_kept_to_any_depth() -> None:
    route = {"receiver": "a", "routes": [{"receiver": "b", "routes": [{"receiver": "c", "continue": True}]}]}
    amc = fields({"apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig",
                  "metadata": {"name": "x"}, "spec": {"route": json.loads(json.dumps(route)), "receivers": [
                      {"name": "c", "pagerdutyConfigs": [{"routingKey": "hunter2", "sendResolved": True}]}]}})
    assert amc["spec"]["route"] == route
    assert amc["spec"]["receivers"] == [{"name": "c", "pagerdutyConfigs": [{"routingKey": REDACTED,
                                                                           "sendResolved": True}]}]


def test_facts_are_kept_and_an_object_cannot_bring_its_own() -> None:
    _, _, status = stored("x.io/v1", "Thing", {}, {}, {FACTS_KEY: {"chart": "velero"}, "a": "b"})
    assert status == {FACTS_KEY: {"chart": "velero"}, "a": REDACTED}
    raw = fields({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
                  "status": {FACTS_KEY: {"url": "https://u:hunter2@x"}}})
    assert raw["status"] == {}


def test_a_catalogue_entry_keeps_more(tmp_path: Any) -> None:
    extra = tmp_path / "kinds.yaml"
    extra.write_text("resources:\n  - {group: x.io, version: v1, kind: Thing, resource: things,"
                     " keep: [spec.size, spec.owner], text: [spec.url]}\n")
    [thing] = [r for r in load_catalogue([extra]) if r.kind == "Thing"]
    row = fields({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
                  "spec": {"owner": "team-a", "url": "https://x/?token=hunter2", "other": "o"}},
                 keep=thing.keep, text=thing.text)
    assert row["spec"] == {"owner": "team-a", "url": f"https://x/?{URL_REDACTED}", "other": REDACTED}
    assert policy.version_of([thing]).startswith(f"{policy.VERSION}+")
    assert policy.version_of(load_catalogue()) == str(policy.VERSION)
    extra.write_text("resources:\n  - {group: x.io, version: v1, kind: Thing, resource: things, keep: [metadata.x]}\n")
    with pytest.raises(ConfigError, match="under spec or status"):
        load_catalogue([extra])


@pytest.mark.parametrize(("text", "scrubbed"), [
    ("https://u:hunter2@git.x.io/org/r.git", f"https://{URL_REDACTED}@git.x.io/org/r.git"),
    ("oci://robot:hunter2@registry.x.io/m", f"oci://{URL_REDACTED}@registry.x.io/m"),
    ("https://x.io/index.yaml?token=hunter2", f"https://x.io/index.yaml?{URL_REDACTED}"),
    ("https://hooks.slack.com/services/T0/B0/hunter2", f"https://hooks.slack.com/{URL_REDACTED}"),
    ("prober:hunter2@blackbox:9115", f"prober:{URL_REDACTED}@blackbox:9115"),
    ("curl -H 'Authorization: Bearer hunter2' x", f"curl -H 'Authorization: {REDACTED}' x"),
    ("sent Bearer hunter2 to the API", f"sent Bearer {REDACTED} to the API"),
    ("login failed: password=hunter2; user=app", f"login failed: password={REDACTED}; user=app"),
    ('{"api_key": "hunter2"}', f'{{"api_key": {REDACTED}}}'),
    ("revision main@sha1:0123456789abcdef0123456789abcdef01234567", f"revision main@sha1:{REDACTED}"),
    # what is not a credential stays
    ("Deployment has minimum availability.", "Deployment has minimum availability."),
    ("https://wiki.x.io/runbooks/node-down.md", "https://wiki.x.io/runbooks/node-down.md"),
    ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
    # a long name of words joined by dashes is a name; tokens and UUIDs, mostly digits and mixed case, are not
    ("# flux2-kustomize-helm-example", "# flux2-kustomize-helm-example"),
    ("the ingress-nginx-controller-admission2 webhook", "the ingress-nginx-controller-admission2 webhook"),
    ("id 550e8400-e29b-41d4-a716-446655440000", f"id {REDACTED}"),
    ("token ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3x", f"token {REDACTED}"),
    ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", REDACTED),
    ("key sk-live-abcdefghijklmnopqrstuvwxyz123", f"key {REDACTED}"),
])
def test_scrub_text(text: str, scrubbed: str) -> None:
    assert scrub_text(text) == scrubbed
    assert scrub_text(scrubbed) == scrubbed  # idempotent


def test_stored_rows_do_not_change_when_stored_again() -> None:
    container = {"name": "a", "image": "i", "args": ["--token=x"], "env": [{"name": "A", "value": "b"}]}
    obj = _deployment(container)
    obj["metadata"]["annotations"] = {"runbook_url": "https://u:p@h/x?t=1", "z": "y"}
    _, _, _, annotations, spec, status = row_fields(json.loads(json.dumps(obj)))
    once = (json.loads(annotations), json.loads(spec), json.loads(status))
    stats = policy.Stats()
    again = stored("apps/v1", "Deployment", *once, stats=stats)
    assert again == once and (stats.redacted, stats.scrubbed) == (0, 0)


def test_in_place_stores_the_same_row_and_the_copying_mode_leaves_its_input_alone() -> None:
    container = {"name": "api", "image": "i:1", "args": ["--token=x"], "env": [{"name": "PW", "value": "hunter2"}],
                 "readinessProbe": {"httpGet": {"path": "/r?token=1", "port": 80}}}
    obj = _deployment(container)
    obj["metadata"]["annotations"] = {"runbook_url": "https://u:p@h/x", "z": "y"}
    container["extra"] = {"https://u:hunter2@h/x": ["a", 1, None]}  # a key holding a credential, no path keeps
    shared = {"name": "shared", "value": "hunter2"}  # a dict the caller still holds (a rendered repository shares)
    obj["spec"]["template"]["spec"]["containers"][0]["env"].append(shared)
    before = json.dumps(obj, sort_keys=True)
    copied = fields(json.loads(before))
    stats = policy.Stats()
    ann, spec, status = stored("apps/v1", "Deployment", obj["metadata"]["annotations"], obj["spec"], obj["status"],
                               stats=stats)
    assert json.dumps(obj, sort_keys=True) == before  # not changed: every dict and list was copied first
    assert (ann, spec, status) == (copied["annotations"], copied["spec"], copied["status"])
    assert "hunter2" not in json.dumps([ann, spec, status])
    extra = spec["template"]["spec"]["containers"][0]["extra"]
    assert extra == {f"https://{URL_REDACTED}@h/x": [REDACTED, 1, None]} and stats.redacted > 0
    in_place = fields(obj, in_place=True)
    assert in_place == copied
    assert shared["value"] == REDACTED  # changed where it stands: the reason repositories do not ask for it


def test_coverage_details_keep_their_file_names_and_lose_secrets() -> None:
    # the collector's own detail: a file name before a colon is no "key: value" (it read "[redacted] chart template")
    mine = "charts/app/templates/external-secret-db.yaml: Helm chart template (render it with helm template)"
    assert policy.scrub_detail(mine) == mine
    unfollowed = "ApplicationSet argocd/x in apps/secret-store.yaml: not followed: path from cluster labels"
    assert policy.scrub_detail(unfollowed) == unfollowed
    assert policy.scrub_detail("credentials.yaml:12: duplicated key") == "credentials.yaml:12: duplicated key"
    # a secret quoted in the reason is still scrubbed, as is a secret-named key that is no file name
    quoted = policy.scrub_detail("apps/token-rotation.yaml: does not parse: password: hunter2 (line 4)")
    assert quoted == f"apps/token-rotation.yaml: does not parse: password: {REDACTED} (line 4)"
    assert "s3cr3t" not in policy.scrub_detail("deploy/db.yaml: client_secret=s3cr3t, api_key: 'k'")
    assert "tok" not in policy.scrub_detail(f"x.yaml: GET https://u:tok@git.example/r?{'a'}=1")
    # free text elsewhere is scrubbed as before
    assert scrub_text(mine) != mine
    assert policy.scrub_detail(policy.scrub_detail(quoted)) == quoted  # idempotent
