"""Facts of a log shipper's configuration held in a ConfigMap: where it ships logs.

The parsers here also read a shipper chart's Helm values (``readiness.collect.helmfacts``), which hold
the same configuration. A ConfigMap extractor (``readiness.collect.configfacts``) reads each data value as the
configuration of one of the shippers below and returns ``{"log_outputs": [{"shipper", "output",
"store", "host"}]}``, one entry per output to a log store outside the shipper (``stdout``, ``null``,
files and counters are not stores), in the order written:

- Fluent Bit classic configuration: ``[OUTPUT]`` sections (``Name es``, ``Host ...``);
- Fluentd: ``<match>`` blocks (``@type elasticsearch``, ``host ...``);
- Vector (YAML or TOML): ``sinks`` with ``type`` and ``endpoint``/``endpoints``;
- Promtail: ``clients`` ``url``; Grafana Alloy: ``loki.write`` / ``otelcol.exporter.*`` ``url``/``endpoint``.

``store`` is the store's common name (Elasticsearch, OpenSearch, Loki, ...). ``host`` is a host name
only: a URL loses its scheme, user info, port, path and query; a value that is not a plain host name
or a ``${VARIABLE}`` reference (the variable's name, never its value) is dropped (None). No password,
user, token or header is ever read.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import yaml

from readiness.collect.configfacts import extractor

# Output plugin / sink type -> the store it writes to. Anything not listed is not a log store.
STORES = {
    "es": "Elasticsearch", "elasticsearch": "Elasticsearch", "elasticsearch_data_stream": "Elasticsearch",
    "opensearch": "OpenSearch", "loki": "Loki", "grafana-loki": "Loki", "loki.write": "Loki",
    "splunk": "Splunk", "splunk_hec": "Splunk", "splunk_hec_logs": "Splunk", "datadog": "Datadog",
    "datadog_logs": "Datadog", "cloudwatch_logs": "CloudWatch Logs", "aws_cloudwatch_logs": "CloudWatch Logs",
    "stackdriver": "Cloud Logging", "gcp_stackdriver_logs": "Cloud Logging", "google_cloud": "Cloud Logging",
    "azure": "Azure Monitor", "azure_logs_ingestion": "Azure Monitor", "azure_monitor_logs": "Azure Monitor",
    "kafka": "Kafka", "s3": "S3", "aws_s3": "S3", "http": "an HTTP endpoint",
    "forward": "a Fluentd/Fluent Bit forwarder",
    "opentelemetry": "an OpenTelemetry endpoint", "otelcol.exporter.otlphttp": "an OpenTelemetry endpoint",
    "otelcol.exporter.otlp": "an OpenTelemetry endpoint", "victorialogs": "VictoriaLogs",
}
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
_VARIABLE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$")
_SECTION = re.compile(r"^\s*\[([A-Za-z_]+)\]\s*$")
_MATCH = re.compile(r"<match\b[^>]*>(.*?)</match>", re.S)
_ALLOY = re.compile(r'(loki\.write|otelcol\.exporter\.otlphttp|otelcol\.exporter\.otlp)\s+"[^"]*"\s*\{(.*?)\n\}', re.S)


def host_of(value: Any) -> str | None:
    """The host name of a URL or host value; a ``${VAR}`` reference as written; None otherwise."""
    if not isinstance(value, str):
        return None
    value = value.strip().strip("\"'")
    if _VARIABLE.match(value):
        return str(value)
    try:  # a bare host ("es.logging:9200") is read as a network location
        host = urlsplit(value if "://" in value else f"//{value}").hostname or ""
    except ValueError:  # a port that is not a number
        return None
    return host if _HOST.match(host) else None


def _entry(shipper: str, output: str, host: Any) -> dict[str, Any] | None:
    store = STORES.get(output.lower())
    return {"shipper": shipper, "output": output.lower(), "store": store, "host": host_of(host)} if store else None


def _fluent_bit(text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    section: str | None = None
    keys: dict[str, str] = {}
    for line in [*text.splitlines(), "[END]"]:
        m = _SECTION.match(line)
        if m:
            if section == "OUTPUT" and (e := _entry("fluent-bit", keys.get("name", ""), keys.get("host"))):
                out.append(e)
            section, keys = m.group(1).upper(), {}
            continue
        parts = line.split(None, 1)
        if section == "OUTPUT" and len(parts) == 2 and not parts[0].startswith("#"):
            keys.setdefault(parts[0].lower(), parts[1].strip())
    return out


def _fluentd(text: str) -> list[dict[str, Any]]:
    out = []
    for block in _MATCH.findall(text):
        keys: dict[str, str] = {}
        for line in block.splitlines():
            parts = line.split(None, 1)
            if len(parts) == 2 and not parts[0].startswith(("#", "<")):
                keys.setdefault(parts[0].lower(), parts[1].strip())
        if e := _entry("Fluentd", keys.get("@type", ""), keys.get("host") or keys.get("hosts") or keys.get("url")):
            out.append(e)
    return out


def structured_outputs(doc: Any) -> list[dict[str, Any]]:
    """The log-store outputs of a parsed YAML/TOML document: Vector ``sinks``, Promtail ``clients``."""
    out: list[dict[str, Any]] = []
    if not isinstance(doc, dict):
        return out
    sinks = doc.get("sinks")
    for sink in (sinks.values() if isinstance(sinks, dict) else []):
        if isinstance(sink, dict) and isinstance(sink.get("type"), str):
            ends = sink.get("endpoints") if isinstance(sink.get("endpoints"), list) else [sink.get("endpoint")]
            if e := _entry("Vector", sink["type"], ends[0] if ends else None):
                out.append(e)
    for client in doc.get("clients") or [] if isinstance(doc.get("clients"), list) else []:
        if isinstance(client, dict) and client.get("url"):
            out.append({"shipper": "Promtail", "output": "loki", "store": "Loki", "host": host_of(client["url"])})
    return out


def _alloy(text: str) -> list[dict[str, Any]]:
    out = []
    for component, body in _ALLOY.findall(text):
        url = re.search(r'\b(?:url|endpoint)\s*=\s*"([^"]*)"', body)
        if e := _entry("Grafana Alloy", component, url.group(1) if url else None):
            out.append(e)
    return out


def _parsed(key: str, text: str) -> Any:
    try:
        if key.endswith(".toml"):
            import tomllib
            return tomllib.loads(text)
        if key.endswith((".yaml", ".yml")):
            return yaml.safe_load(text)
    except Exception:  # not this shipper's configuration
        return None
    return None


def log_outputs(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The log-store outputs of configuration files, ``{file name: text}`` (a ConfigMap's ``data``, a chart's
    files in its values); the shipper is told by the text (see the module docstring)."""
    out: list[dict[str, Any]] = []
    for key, text in data.items():
        if not isinstance(text, str):
            continue
        if "[OUTPUT]" in text.upper():
            out += _fluent_bit(text)
        elif "<match" in text:
            out += _fluentd(text)
        elif key.endswith(".alloy") or "loki.write" in text:
            out += _alloy(text)
        elif "sinks" in text or "clients" in text:
            out += structured_outputs(_parsed(str(key), text))
    return out


@extractor("", "ConfigMap")
def log_shipping(obj: dict[str, Any]) -> dict[str, Any]:
    """``{"log_outputs": [...]}`` when the ConfigMap configures a log shipper with an output to a store."""
    data = obj.get("data")
    found = log_outputs(data) if isinstance(data, dict) else []
    return {"log_outputs": found} if found else {}
