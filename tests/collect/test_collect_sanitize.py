"""What is removed from an object before it is stored, and where its fields go."""

from __future__ import annotations

import json
from typing import Any

import pytest

from readiness.collect.configfacts import FACTS_KEY
from readiness.collect.sanitize import FULL_COPY_ANNOTATIONS, LAST_APPLIED, omit, redact, redact_args, row_fields
from readiness.schema import REDACTED


def fields(obj: dict[str, Any], **kw: Any) -> dict[str, Any]:
    ns, name, labels, annotations, spec, status = row_fields(obj, **kw)
    return {"namespace": ns, "name": name, "labels": json.loads(labels), "annotations": json.loads(annotations),
            "spec": json.loads(spec), "status": json.loads(status)}


def test_env_values_are_redacted_wherever_a_pod_spec_or_helm_values_hold_them() -> None:
    obj = {"spec": {
        "template": {"spec": {"containers": [{"env": [{"name": "A", "value": "1"}, {"name": "B", "value": ""}]}],
                              "ephemeralContainers": [{"env": [{"name": "C", "value": "x"}]}]}},
        "values": {"extraEnv": [{"name": "D", "value": "y"}], "env": {"NOT_A_LIST": "kept"}},
        "containers": "not a list of containers",
    }}
    redact(obj)
    t = obj["spec"]["template"]["spec"]
    assert [e["value"] for e in t["containers"][0]["env"]] == [REDACTED, REDACTED]
    assert t["ephemeralContainers"][0]["env"][0]["value"] == REDACTED
    assert obj["spec"]["values"]["extraEnv"][0] == {"name": "D", "value": REDACTED}
    assert obj["spec"]["values"]["env"] == {"NOT_A_LIST": "kept"}


def test_omit_walks_lists() -> None:
    crd = {"spec": {"group": "x.io", "versions": [{"name": "v1", "schema": {"big": 1}}, {"name": "v2"}]}}
    omit(crd, "spec.versions.*.schema")
    omit(crd, "spec.missing.deeper")
    assert crd == {"spec": {"group": "x.io", "versions": [{"name": "v1"}, {"name": "v2"}]}}


def test_metadata_spec_status_and_other_top_level_fields() -> None:
    node = fields({"apiVersion": "v1", "kind": "Node",
                   "metadata": {"name": "n1", "labels": {"a": "b"}, "managedFields": [{}],
                                "annotations": {LAST_APPLIED: "{...}", "keep": "me"}},
                   "spec": {"podCIDR": "10.0.0.0/24"}, "status": {"phase": "Running"}})
    assert node == {"namespace": None, "name": "n1", "labels": {"a": "b"}, "annotations": {"keep": "me"},
                    "spec": {"podCIDR": "10.0.0.0/24"}, "status": {"phase": "Running"}}
    report = fields({"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "VulnerabilityReport",
                     "metadata": {"name": "r", "namespace": "ns"}, "report": {"summary": {"highCount": 2}}})
    assert (report["spec"], report["status"]) == ({}, {"report": {"summary": {"highCount": 2}}})


def test_secret_manifest_keeps_key_names_only() -> None:
    secret = fields({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "apps"},
                     "type": "Opaque", "data": {"password": "aHVudGVyMg=="}, "stringData": {"user": "admin"},
                     "sops": {"mac": "ENC[...]", "age": [{"recipient": "age1..."}]}})
    assert secret["status"] == {"type": "Opaque", "data": {"password": REDACTED}, "stringData": {"user": REDACTED},
                                "sops": True}
    assert "hunter2" not in json.dumps(secret) and "admin" not in json.dumps(secret)


def test_configmaps_and_metadata_only_kinds_keep_no_data() -> None:
    cm = fields({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"},
                 "data": {"url": "postgres://u:pw@db"}})
    assert (cm["spec"], cm["status"]) == ({}, {})
    other = fields({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"a": 1}},
                   metadata_only=True)
    assert (other["spec"], other["status"]) == ({}, {})


@pytest.mark.parametrize(("args", "stored"), [
    (["--db-password=hunter2", "--port=8080"], [f"--db-password={REDACTED}", "--port=8080"]),
    (["PASSWORD=hunter2", "AWS_SECRET_ACCESS_KEY=hunter2"],
     [f"PASSWORD={REDACTED}", f"AWS_SECRET_ACCESS_KEY={REDACTED}"]),
    (["--password", "hunter2", "--client-secret", "--verbose"],
     ["--password", REDACTED, "--client-secret", "--verbose"]),
    (["sh", "-c", "export API_KEY='hunter 2' && PGPASSWORD=hunter2 psql; run --token: hunter2"],
     ["sh", "-c", f"export API_KEY={REDACTED} && PGPASSWORD={REDACTED} psql; run --token: {REDACTED}"]),
    (['{"password":"hunter2","user":"app"}'], [f'{{"password":{REDACTED},"user":"app"}}']),
    (["--dsn=postgres://app:hunter2@db/app", "redis://:hunter2@cache:6379"],
     [f"--dsn=postgres://app:{REDACTED}@db/app", f"redis://:{REDACTED}@cache:6379"]),
    # references and look-alikes are kept
    (["--password-file=/etc/pw", "--secret-name=db", "--max-tokens=5", "--listen=:8080", "https://x.io:443/a", 3],
     ["--password-file=/etc/pw", "--secret-name=db", "--max-tokens=5", "--listen=:8080", "https://x.io:443/a", 3]),
])
def test_secret_looking_args_are_redacted(args: list[Any], stored: list[Any]) -> None:
    redact_args(args)
    assert args == stored


def test_args_and_commands_are_redacted_wherever_they_are() -> None:
    obj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {
        "template": {"spec": {"initContainers": [{"command": ["sh", "-c", "TOKEN=hunter2 init"]}],
                              "containers": [{"args": ["--password", "hunter2"], "livenessProbe": {
                                  "exec": {"command": ["check", "--api-key=hunter2"]}}}],
                              "ephemeralContainers": [{"args": ["--secret=hunter2"]}]}}}}}}
    spec = fields(obj)["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert "hunter2" not in json.dumps(spec)
    assert spec["containers"][0]["args"] == ["--password", REDACTED]
    assert spec["initContainers"][0]["command"] == ["sh", "-c", f"TOKEN={REDACTED} init"]


def test_full_copy_annotations_are_dropped() -> None:
    copy = '{"spec": {"env": [{"name": "PASSWORD", "value": "hunter2"}]}}'
    pod = fields({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": {
        LAST_APPLIED: copy, "kapp.k14s.io/original": copy, "objectset.rio.cattle.io/applied": copy,
        "deployment.kubernetes.io/revision": "3"}}})
    assert set(FULL_COPY_ANNOTATIONS) == {LAST_APPLIED, "kapp.k14s.io/original", "objectset.rio.cattle.io/applied"}
    assert pod["annotations"] == {"deployment.kubernetes.io/revision": "3"}


def test_helm_and_generator_values_are_replaced_whole() -> None:
    release = fields({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "g"},
                      "spec": {"chart": {"spec": {"chart": "grafana"}}, "values": {"adminPassword": "hunter2"},
                               "valuesFrom": [{"kind": "Secret", "name": "grafana-values"}]},
                      "status": {"lastAttemptedValuesChecksum": "abc"}})
    assert release["spec"] == {"chart": {"spec": {"chart": "grafana"}}, "values": REDACTED,
                               "valuesFrom": [{"kind": "Secret", "name": "grafana-values"}]}
    # What the values configure survives only as derived facts (readiness.collect.helmfacts), never a value.
    assert release["status"] == {"lastAttemptedValuesChecksum": "abc",
                                 FACTS_KEY: {"chart": "grafana", "values_from": 1}}
    source = {"repoURL": "https://charts.x.io", "chart": "db", "targetRevision": "1.0", "helm": {
        "values": "auth:\n  password: hunter2\n", "valuesObject": {"auth": {"password": "hunter2"}},
        "parameters": [{"name": "auth.password", "value": "hunter2"}], "valueFiles": ["values-prod.yaml"]},
        "plugin": {"name": "p", "env": [{"name": "PW", "value": "hunter2"}], "parameters": [{"string": "hunter2"}]}}
    app = fields({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "db"},
                  "spec": {"source": json.loads(json.dumps(source)), "sources": [json.loads(json.dumps(source))]},
                  "status": {"sync": {"status": "Synced", "comparedTo": {"source": json.loads(json.dumps(source))}},
                             "history": [{"sources": [json.loads(json.dumps(source))]}]}})
    assert "hunter2" not in json.dumps(app)
    assert app["spec"]["source"]["helm"] == {"values": REDACTED, "valuesObject": REDACTED, "parameters": REDACTED,
                                             "valueFiles": ["values-prod.yaml"]}
    assert app["spec"]["source"]["repoURL"] == "https://charts.x.io" and app["status"]["sync"]["status"] == "Synced"
    appset = fields({"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "s"},
                     "spec": {"generators": [{"list": {"elements": [{"cluster": "pro"}]}}],
                              "template": {"spec": {"sources": [json.loads(json.dumps(source))]}}}})
    assert "hunter2" not in json.dumps(appset) and appset["spec"]["generators"][0]["list"]["elements"]
    kustomization = fields({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                            "metadata": {"name": "k"}, "resources": ["app.yaml"],
                            "secretGenerator": [{"name": "db", "literals": ["password=hunter2"],
                                                 "files": ["tls.crt"]}]})
    assert kustomization["status"] == {"resources": ["app.yaml"], "secretGenerator": [
        {"name": "db", "literals": REDACTED, "files": ["tls.crt"]}]}
    flux = fields({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "f"},
                   "spec": {"path": "./apps", "postBuild": {"substitute": {"db_password": "hunter2"},
                                                           "substituteFrom": [{"kind": "Secret", "name": "vars"}]}}})
    assert flux["spec"]["postBuild"] == {"substitute": REDACTED,
                                         "substituteFrom": [{"kind": "Secret", "name": "vars"}]}
    # the same field names on a kind that is not listed are kept
    other = fields({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"values": {"a": 1}}})
    assert other["spec"] == {"values": {"a": 1}}
