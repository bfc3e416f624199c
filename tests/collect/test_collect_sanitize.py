"""What is removed from an object before it is stored, and where its fields go."""

from __future__ import annotations

import json
from typing import Any

from readiness.collect.sanitize import LAST_APPLIED, omit, redact_env, row_fields
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
    redact_env(obj)
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
