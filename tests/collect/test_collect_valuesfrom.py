"""A HelmRelease's valuesFrom resolved from the ConfigMaps and Secrets beside it, into facts only."""

from __future__ import annotations

import base64
import json

from readiness.collect.configfacts import FACTS_KEY
from readiness.collect.sanitize import row_fields
from readiness.collect.valuesfrom import RESOLVED_ANNOTATION, resolve

VALUES = """
schedules:
  nightly: {schedule: "0 1 * * *", template: {ttl: 240h}}
configuration:
  backupStorageLocation:
    - {name: default, provider: aws, bucket: velero-backups, config: {s3Url: "https://key:hunter2@s3.example"}}
"""


def _release(*entries: dict) -> dict:
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "velero", "namespace": "velero"},
            "spec": {"chart": {"spec": {"chart": "velero"}}, "valuesFrom": list(entries),
                     "values": {"schedules": {"weekly": {"schedule": "0 2 * * 0"}}}}}


def _configmap(name: str, key: str, text: str, namespace: str = "velero") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {key: text}}


def test_configmap_values_become_facts_and_never_stored_values() -> None:
    release = _release({"kind": "ConfigMap", "name": "velero-configmap", "valuesKey": "configmap-values.yaml"})
    resolve([release, _configmap("velero-configmap", "configmap-values.yaml", VALUES)])
    assert release["metadata"]["annotations"][RESOLVED_ANNOTATION] == "1"
    # Flux's order: valuesFrom first, spec.values over it; both schedules survive.
    assert set(release["spec"]["values"]["schedules"]) == {"nightly", "weekly"}
    _, _, _, annotations, spec, status = row_fields(release)
    facts = json.loads(status)[FACTS_KEY]
    assert sorted(s["name"] for s in facts["velero_schedules"]) == ["nightly", "weekly"]
    assert facts["velero_backup_storage_locations"] == [{"name": "default", "provider": "aws"}]
    assert "values_from" not in facts  # every reference was read
    assert "hunter2" not in spec + status + annotations and "velero-backups" not in spec + status


def test_secret_string_and_base64_data_are_read_in_order() -> None:
    first = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a", "namespace": "velero"},
             "stringData": {"values.yaml": "schedules: {x: {schedule: '@daily'}}"}}
    second = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b", "namespace": "velero"},
              "data": {"values.yaml": base64.b64encode(b"schedules: {x: {schedule: '@weekly'}}").decode()}}
    release = _release({"kind": "Secret", "name": "a"}, {"kind": "Secret", "name": "b"})
    resolve([first, second, release])
    assert release["spec"]["values"]["schedules"]["x"] == {"schedule": "@weekly"}  # the later entry wins
    assert release["metadata"]["annotations"][RESOLVED_ANNOTATION] == "2"


def test_what_cannot_be_read_stays_unresolved_and_is_counted() -> None:
    release = _release({"kind": "ConfigMap", "name": "elsewhere"},                       # not in this view
                       {"kind": "ConfigMap", "name": "cm", "targetPath": "a.b"},         # a single value
                       {"kind": "ConfigMap", "name": "other-ns"},                        # another namespace
                       {"kind": "ConfigMap", "name": "broken"})                          # not YAML
    resolve([release, _configmap("cm", "values.yaml", "x: 1"), _configmap("other-ns", "values.yaml", "x: 1", "a"),
             _configmap("broken", "values.yaml", "x: [")])
    assert RESOLVED_ANNOTATION not in (release["metadata"].get("annotations") or {})
    facts = json.loads(row_fields(release)[5])[FACTS_KEY]
    assert facts["values_from"] == 4 and [s["name"] for s in facts["velero_schedules"]] == ["weekly"]
