"""Log shippers' outputs read from ConfigMaps and from shipper charts' Helm values: the store and its host,
never a credential."""

from __future__ import annotations

import json
from typing import Any

from readiness.collect.configfacts import FACTS_KEY, extract
from readiness.collect.logfacts import host_of, log_outputs
from readiness.collect.sanitize import row_fields

FLUENTD = """
<source>
  @type tail
</source>
<match kube.**>
  @type elasticsearch
  host es.logs.internal
  port 9200
  password "#{ENV['ES_PASSWORD']}"
</match>
<match debug.**>
  @type stdout
</match>
"""
PROMTAIL = """
clients:
  - url: http://promtail:t0ken@loki-gateway.monitoring.svc:80/loki/api/v1/push
"""
ALLOY = """
loki.write "default" {
  endpoint {
    url = "https://logs-prod-eu-west-0.grafana.net/loki/api/v1/push"
    basic_auth { password = sys.env("GRAFANA_TOKEN") }
  }
}
"""
VECTOR_TOML = """
[sinks.search]
type = "elasticsearch"
endpoints = ["https://search.example.org:9200"]
"""


def test_each_shipper_s_outputs_to_a_store() -> None:
    assert log_outputs({"fluent.conf": FLUENTD}) == [
        {"shipper": "Fluentd", "output": "elasticsearch", "store": "Elasticsearch", "host": "es.logs.internal"}]
    assert log_outputs({"promtail.yaml": PROMTAIL}) == [
        {"shipper": "Promtail", "output": "loki", "store": "Loki", "host": "loki-gateway.monitoring.svc"}]
    assert log_outputs({"config.alloy": ALLOY}) == [
        {"shipper": "Grafana Alloy", "output": "loki.write", "store": "Loki",
         "host": "logs-prod-eu-west-0.grafana.net"}]
    assert log_outputs({"vector.toml": VECTOR_TOML}) == [
        {"shipper": "Vector", "output": "elasticsearch", "store": "Elasticsearch", "host": "search.example.org"}]
    assert log_outputs({"fluent-bit.conf": "[OUTPUT]\n    Name null\n    Match *\n"}) == []


def test_hosts_only_never_user_info_or_free_text() -> None:
    assert host_of("https://user:pw@es.example.org:9243/_bulk?x=1") == "es.example.org"
    assert host_of("${ES_HOST}") == "${ES_HOST}"
    assert host_of("#{ENV['ES_HOST']}") is None and host_of(None) is None


def test_stored_config_map_keeps_the_facts_and_no_credential() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fluentd", "namespace": "logging"},
          "data": {"fluent.conf": FLUENTD, "promtail.yaml": PROMTAIL}}
    stored = "".join(str(v) for v in row_fields(cm))
    assert "ES_PASSWORD" not in stored and "t0ken" not in stored and "promtail:" not in stored
    facts = json.loads(row_fields(cm)[5])["readiness.dev/facts"]["log_outputs"]
    assert [(f["shipper"], f["host"]) for f in facts] == [("Fluentd", "es.logs.internal"),
                                                          ("Promtail", "loki-gateway.monitoring.svc")]


def release(chart: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": chart, "namespace": "logging"},
            "spec": {"chart": {"spec": {"chart": chart}}, "values": values}}


def shipped(obj: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(o["shipper"], o["store"], o["host"]) for o in extract(obj).get("log_outputs", [])]


def test_each_shipper_chart_s_values_give_the_config_map_s_facts() -> None:
    bit = {"config": {"outputs": "[OUTPUT]\n    Name loki\n    Host loki.example.org\n",
                      "extraFiles": {"more.conf": "[OUTPUT]\n    Name s3\n    Match *\n"}}}
    assert shipped(release("fluent-bit", bit)) == [("fluent-bit", "Loki", "loki.example.org"),
                                                   ("fluent-bit", "S3", None)]
    assert shipped(release("fluentd", {"fileConfigs": {"04_outputs.conf": FLUENTD}})) == [
        ("Fluentd", "Elasticsearch", "es.logs.internal")]
    assert shipped(release("alloy", {"alloy": {"configMap": {"content": ALLOY}}})) == [
        ("Grafana Alloy", "Loki", "logs-prod-eu-west-0.grafana.net")]
    vector = {"customConfig": {"sinks": {"out": {"type": "datadog_logs", "endpoint": "https://http-intake.example"}}}}
    assert shipped(release("vector", vector)) == [("Vector", "Datadog", "http-intake.example")]
    promtail = {"config": {"clients": [{"url": "http://loki-gateway.monitoring.svc/loki/api/v1/push"}]}}
    assert shipped(release("promtail", promtail)) == [("Promtail", "Loki", "loki-gateway.monitoring.svc")]
    assert shipped(release("promtail", {"config": {"lokiAddress": "loki.example.org:3100"}})) == [
        ("Promtail", "Loki", "loki.example.org")]


def test_only_what_the_values_write_and_only_for_shipper_charts() -> None:
    assert shipped(release("fluent-bit", {"config": {"inputs": "[INPUT]\n    Name tail\n"}})) == []  # defaults
    assert shipped(release("podinfo", {"config": {"outputs": "[OUTPUT]\n    Name es\n    Host es\n"}})) == []
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "vector"},
           "spec": {"source": {"chart": "vector", "helm": {"values": "customConfig:\n  sinks:\n    l:\n"
                                                                    "      type: loki\n"
                                                                    "      endpoint: http://loki.example:3100\n"}}}}
    assert shipped(app) == [("Vector", "Loki", "loki.example")]


def test_a_credential_in_a_shipper_chart_s_url_never_reaches_the_stored_row() -> None:
    values = {"alloy": {"configMap": {"content": 'loki.write "x" {\n  endpoint {\n'
                                                 '    url = "https://tenant7:pa55word@logs.example.org/push?k=s3cr3t"\n'
                                                 '  }\n}\n'}},
              "extraEnv": [{"name": "LOKI_PASSWORD", "value": "hunter2"}]}
    stored = "".join(str(v) for v in row_fields(release("alloy", values)))
    for secret in ("pa55word", "tenant7", "s3cr3t", "/push", "hunter2"):
        assert secret not in stored
    facts = json.loads(row_fields(release("alloy", values))[5])[FACTS_KEY]["log_outputs"]
    assert facts == [{"shipper": "Grafana Alloy", "output": "loki.write", "store": "Loki", "host": "logs.example.org"}]
