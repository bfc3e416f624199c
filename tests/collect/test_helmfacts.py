"""Facts derived from Helm values (readiness.collect.helmfacts): what they configure, never the values."""

from __future__ import annotations

import base64
import json
from typing import Any

import yaml

from readiness.collect.configfacts import FACTS_KEY, extract
from readiness.collect.helmfacts import release_alerts
from readiness.collect.sanitize import row_fields


def helmrelease(chart: str, values: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": chart, "namespace": "monitoring"},
            "spec": {"chart": {"spec": {"chart": chart}}, **({"values": values} if values is not None else {}), **spec}}


STACK_VALUES = {
    "grafana": {"enabled": False, "adminPassword": "hunter2"},
    "alertmanager": {"config": {
        "route": {"receiver": "events", "routes": [{"receiver": "pagerduty"}]},
        "receivers": [{"name": "events", "webhook_configs": [{"url": "https://hooks.example/T0/secret"}]},
                      {"name": "pagerduty", "pagerduty_configs": [{"routing_key": "R0UT1NGK3Y"}]},
                      {"name": "unused", "slack_configs": [{"api_url": "https://hooks.slack.com/x"}]}]}},
}


def test_kube_prometheus_stack_components_and_receiver_types() -> None:
    facts = extract(helmrelease("kube-prometheus-stack", STACK_VALUES))
    assert facts == {
        "chart": "kube-prometheus-stack",
        "alertmanager_enabled": True,  # the chart's default
        "grafana_enabled": False,
        "prometheus_enabled": True,
        "alertmanager_receiver_types": ["pagerduty", "slack", "webhook"],
        "alertmanager_routed_receiver_types": ["pagerduty", "webhook"],
        "default_alert_rules": True,  # defaultRules.create: the chart's default
    }


def test_facts_never_hold_a_value_and_survive_sanitizing() -> None:
    obj = helmrelease("kube-prometheus-stack", STACK_VALUES)
    _, _, _, _, spec, status = row_fields(json.loads(json.dumps(obj)))
    stored = json.loads(status)[FACTS_KEY]
    text = json.dumps(stored)
    for secret in ("hunter2", "R0UT1NGK3Y", "hooks.example", "hooks.slack.com"):
        assert secret not in text and secret not in spec
    assert stored["alertmanager_routed_receiver_types"] == ["pagerduty", "webhook"]


def test_a_release_with_values_in_go_template_strings_still_yields_facts() -> None:
    facts = extract(helmrelease("kube-prometheus-stack", {"alertmanager": {"enabled": "false"},
                                                          "fullnameOverride": "{{ .Release.Name }}"}))
    assert facts["alertmanager_enabled"] is False


def test_velero_schedules_and_locations_without_buckets_or_credentials() -> None:
    values = {
        "configuration": {"backupStorageLocation": [
            {"name": "default", "provider": "aws", "bucket": "my-bucket", "config": {"s3Url": "http://minio:9000"}}]},
        "credentials": {"secretContents": {"cloud": "[default]\naws_secret_access_key=abc"}},
        "schedules": {"daily": {"schedule": "0 2 * * *", "template": {"ttl": "168h"}},
                      "weekly": {"disabled": True, "schedule": "0 3 * * 0"}},
    }
    facts = extract(helmrelease("velero", values))
    assert facts["velero_schedules"] == [
        {"name": "daily", "schedule": "0 2 * * *", "paused": False, "ttl": "168h"},
        {"name": "weekly", "schedule": "0 3 * * 0", "paused": True, "ttl": None}]
    assert facts["velero_backup_storage_locations"] == [{"name": "default", "provider": "aws"}]
    assert "my-bucket" not in json.dumps(facts) and "minio" not in json.dumps(facts)


def test_velero_chart_with_a_single_location_mapping() -> None:
    facts = extract(helmrelease("velero", {"configuration": {"backupStorageLocation": {"provider": "gcp"}}}))
    assert facts["velero_backup_storage_locations"] == [{"name": "default", "provider": "gcp"}]
    assert facts["velero_schedules"] == []


def test_flux_values_from_are_counted_not_read() -> None:
    facts = extract(helmrelease("podinfo", None, valuesFrom=[{"kind": "ConfigMap", "name": "podinfo-values"}]))
    assert facts == {"chart": "podinfo", "values_from": 1}


def test_argo_cd_application_values_string_and_values_object() -> None:
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "mon"},
           "spec": {"sources": [
               {"repoURL": "https://example.org/values.git", "ref": "values"},
               {"chart": "kube-prometheus-stack", "repoURL": "https://prometheus-community.github.io/helm-charts",
                "helm": {"values": "grafana:\n  enabled: false\n",
                         "valuesObject": {"prometheus": {"enabled": False}}}}]}}
    facts = extract(app)
    assert facts["chart"] == "kube-prometheus-stack"
    assert facts["grafana_enabled"] is False and facts["prometheus_enabled"] is False
    assert facts["alertmanager_enabled"] is True


def test_applicationset_template_is_read() -> None:
    appset = {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "velero"},
              "spec": {"template": {"spec": {"source": {"chart": "velero", "helm": {"valuesObject": {
                  "schedules": {"nightly": {"schedule": "@daily"}}}}}}}}}
    assert extract(appset)["velero_schedules"][0]["schedule"] == "@daily"


def test_a_broken_argo_values_string_is_flagged_not_a_crash() -> None:
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "x"},
           "spec": {"source": {"chart": "grafana", "helm": {"values": "a: [unclosed"}}}}
    assert extract(app) == {"chart": "grafana", "values_unreadable": True}


def test_an_extractor_that_meets_an_unexpected_shape_leaves_an_error_fact() -> None:
    release = helmrelease("velero", {"schedules": {"daily": {"schedule": "@daily"}}}, valuesFrom=7)
    release["spec"]["values"]["schedules"] = ["not", "a", "mapping"]
    assert extract(release)["values_from"] == 1  # a stray scalar counts as one reference
    broken = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "x"},
              "spec": {"source": {"chart": "grafana", "helm": {"valueFiles": "one.yaml"}}, "sources": 5}}
    assert extract(broken) == {"argo_application_error": "TypeError"}


def test_alertmanager_secret_receiver_types() -> None:
    config = "route: {receiver: a, routes: [{receiver: b}]}\nreceivers: [{name: a}, {name: b, opsgenie_configs: [{}]}]"
    for field, value in (("stringData", config), ("data", base64.b64encode(config.encode()).decode())):
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "alertmanager-main"},
                  field: {"alertmanager.yaml": value}}
        assert extract(secret) == {"alertmanager_receiver_types": ["opsgenie"],
                                   "alertmanager_routed_receiver_types": ["opsgenie"]}


def test_secrets_without_an_alertmanager_configuration_have_no_facts() -> None:
    plain = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "stringData": {"password": "x"}}
    sops = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "am"}, "sops": {"age": []},
            "stringData": {"alertmanager.yaml": "ENC[AES256_GCM,data:abc]"}}
    assert extract(plain) == {} and extract(sops) == {}


def test_applicationset_templated_chart_resolves_from_generator_values() -> None:
    # The GitOps Bridge pattern: the chart is a parameter the cluster generator's values give.
    appset = {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "addons-kps"},
              "spec": {"generators": [{"merge": {"generators": [
                  {"clusters": {"values": {"addonChart": "kube-prometheus-stack", "addonChartVersion": "56.21.0"}}},
                  {"clusters": {"values": {"addonChartVersion": "56.21.0"}}}]}}],
                  "template": {"spec": {"sources": [{"repoURL": "{{metadata.annotations.addons_repo_url}}"},
                                                    {"chart": "{{values.addonChart}}", "helm": {"valueFiles": []}}]}}}}
    facts = extract(appset)
    assert facts["chart"] == "kube-prometheus-stack" and facts["alertmanager_enabled"] is True
    two = json.loads(json.dumps(appset).replace('"addonChartVersion": "56.21.0"}}}]',
                                                '"addonChart": "grafana"}}}]'))
    assert "chart" not in extract(two)  # two candidate charts: not guessed


def test_applicationset_chart_in_parts_resolves_to_the_chart_itself() -> None:
    # an OCI chart given as '<registry namespace>/<chart>', each part a parameter of the generators
    appset = {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "addons-karpenter"},
              "spec": {"generators": [{"clusters": {"values": {"addonChartRepositoryNamespace": "karpenter",
                                                               "addonChart": "karpenter"}}}],
                       "template": {"spec": {"source": {
                           "repoURL": "public.ecr.aws", "helm": {"releaseName": "karpenter"},
                           "chart": "{{values.addonChartRepositoryNamespace}}/{{values.addonChart}}"}}}}}
    assert extract(appset)["chart"] == "karpenter"
    unknown = json.loads(json.dumps(appset).replace('"addonChart": "karpenter"', '"other": "x"'))
    assert "chart" not in extract(unknown)  # one part has no value: the chart is not guessed


def test_argo_values_with_template_parameters_and_value_files_are_flagged() -> None:
    appset = {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "eso"},
              "spec": {"generators": [{"clusters": {"values": {"addonChart": "external-secrets"}}}],
                       "template": {"spec": {"sources": [{"chart": "{{values.addonChart}}", "helm": {
                           "valueFiles": ["$values/a.yaml", "$values/b.yaml"],
                           "values": "serviceAccount:\n  name: {{metadata.annotations.sa}}\n"}}]}}}}
    assert extract(appset) == {"chart": "external-secrets", "values_files": 2, "values_unreadable": True}


def test_a_webhook_to_a_paging_service_is_that_receiver_type_and_its_url_is_never_kept() -> None:
    config = ("route: {receiver: default, routes: [{receiver: oncall}]}\nreceivers:\n- {name: default}\n"
              "- name: oncall\n  webhook_configs:\n"
              "  - {url: 'https://a-prod-eu-west-0.grafana.net/integrations/v1/alertmanager/T0K3N/'}\n"
              "- name: chat\n  webhook_configs: [{url: 'https://chat.example.org/hooks/alerts'}]\n")
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "alertmanager-main"},
              "stringData": {"alertmanager.yaml": config}}
    facts = extract(secret)
    assert facts == {"alertmanager_receiver_types": ["grafana_oncall", "webhook"],
                     "alertmanager_routed_receiver_types": ["grafana_oncall", "webhook"]}
    _, _, _, _, spec, status = row_fields(json.loads(json.dumps(secret)))
    for kept in (spec, status):
        assert "T0K3N" not in kept and "grafana.net" not in kept and "chat.example.org" not in kept
    # a Grafana Cloud URL that is not an OnCall integration, and a look-alike host, page no one
    from readiness.store.repofacts import paging_webhook

    assert paging_webhook("https://acme.grafana.net/api/prom/push") is None
    assert paging_webhook("https://events.pagerduty.com.evil.example/x") is None
    assert paging_webhook("https://events.pagerduty.com/integration/K3Y/enqueue") == "pagerduty"


# Alerting rules in chart values (our own small shapes of each chart's keys).
RULE_GROUPS = {"groups": [{"name": "disks", "rules": [
    {"alert": "DiskAlmostFull", "expr": "disk_free < 0.1", "annotations": {
        "summary": "disk {{ $labels.device }} nearly full", "runbook_url": "https://wiki.example.org/disk?token=s3cr3t"}},
    {"record": "disk:free:ratio", "expr": "disk_free / disk_size"}]}]}


def test_kube_prometheus_stack_rules_in_values_become_alert_facts_without_text() -> None:
    values = {"defaultRules": {"create": False},
              "additionalPrometheusRulesMap": {"disk-rules": RULE_GROUPS},
              "additionalPrometheusRules": [{"name": "oom", "groups": [
                  {"name": "oom", "rules": [{"alert": "OomKilled", "expr": "x > 0"}]}]}]}
    obj = helmrelease("kube-prometheus-stack", values)
    facts = extract(obj)
    assert facts["alert_rules"] == [{"group": "disks", "alert": "DiskAlmostFull", "runbook_url": True},
                                    {"group": "oom", "alert": "OomKilled", "runbook_url": False}]
    assert facts["default_alert_rules"] is False
    _, _, _, _, spec, status = row_fields(json.loads(json.dumps(obj)))
    for text in ("s3cr3t", "wiki.example.org", "disk_free", "nearly full"):
        assert text not in status and text not in spec
    # the collector's RunbookLinks reads the URL through release_alerts, never from the stored row
    assert [a["runbook_url"] for a in release_alerts(obj)] == ["https://wiki.example.org/disk?token=s3cr3t", None]


def test_rules_in_values_of_other_charts() -> None:
    loki = {"ruler": {"directories": {"tenant_a": {"rules.yaml": yaml.safe_dump(RULE_GROUPS)}}}}
    velero_off = {"metrics": {"prometheusRule": {"spec": [{"alert": "VeleroFailed", "expr": "x"}]}}}
    velero_on = {"metrics": {"prometheusRule": {"enabled": True, "spec": [{"alert": "VeleroFailed", "expr": "x"}]}}}
    cases = {
        "victoria-metrics-k8s-stack": ({"additionalVictoriaMetricsMap": {"d": RULE_GROUPS}}, ["DiskAlmostFull"]),
        "prometheus": ({"serverFiles": {"alerting_rules.yml": RULE_GROUPS}}, ["DiskAlmostFull"]),
        "victoria-metrics-alert": ({"server": {"config": {"alerts": RULE_GROUPS}}}, ["DiskAlmostFull"]),
        "loki": (loki, ["DiskAlmostFull"]),
        "velero": (velero_on, ["VeleroFailed"]),
    }
    for chart, (values, alerts) in cases.items():
        assert [r["alert"] for r in extract(helmrelease(chart, values))["alert_rules"]] == alerts, chart
    assert "alert_rules" not in extract(helmrelease("velero", velero_off))  # prometheusRule is off by default
    assert "alert_rules" not in extract(helmrelease("loki", {"ruler": {"enabled": False, **loki["ruler"]}}))
    assert "alert_rules" not in extract(helmrelease("grafana", {"additionalPrometheusRulesMap": {"d": RULE_GROUPS}}))


def test_rules_in_the_values_of_an_argo_cd_application() -> None:
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
           "metadata": {"name": "mon", "namespace": "argocd"},
           "spec": {"source": {"chart": "kube-prometheus-stack", "helm": {
               "values": yaml.safe_dump({"additionalPrometheusRulesMap": {"d": RULE_GROUPS}})}}}}
    assert extract(app)["alert_rules"] == [{"group": "disks", "alert": "DiskAlmostFull", "runbook_url": True}]
    assert release_alerts(app)[0]["alert"] == "DiskAlmostFull"
    assert release_alerts({"kind": "PrometheusRule"}) == [] and release_alerts(["not", "a", "mapping"]) == []
