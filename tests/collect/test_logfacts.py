"""Log shippers' outputs read from ConfigMaps: the store and its host, never a credential."""

from __future__ import annotations

import json

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
