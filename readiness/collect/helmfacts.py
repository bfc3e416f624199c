"""Fact extractors for Helm-installed components: what a HelmRelease's (or an Argo CD Application's)
values configure, stored as derived facts (``readiness.collect.configfacts``), never the values.

Facts of a Flux HelmRelease, an Argo CD Application or ApplicationSet with a Helm chart source
(each key present only when the object says it), of a Secret holding ``alertmanager.yaml``
(only the two ``alertmanager_*receiver_types`` keys), and of an AlertmanagerConfig (only
``paging_webhooks``: receiver name -> the paging service its webhook posts to):

    chart: str                               the chart's name (Flux spec.chart.spec.chart, Argo source.chart;
                                             a chart kept in the repository: its Chart.yaml name)
    chart_dependencies: list[str]            a chart kept in the repository: the charts it depends on and installs
    values_from: int                         Flux valuesFrom references (values this reader cannot see)
    values_files: int                        Argo CD helm.valueFiles (values this reader cannot see)
    values_unreadable: bool                  an Argo CD values string that is not YAML (template parameters)
    alertmanager_enabled: bool               kube-prometheus-stack / prometheus chart: alertmanager.enabled
    alertmanager_receiver_types: list[str]   types of alertmanager.config.receivers (``pagerduty_configs`` -> pagerduty;
                                             a webhook to a paging service -> it, e.g. grafana_oncall)
    alertmanager_routed_receiver_types: list[str]  the same, only receivers the route tree sends to
    grafana_enabled: bool                    kube-prometheus-stack: grafana.enabled
    prometheus_enabled: bool                 kube-prometheus-stack: prometheus.enabled
    velero_schedules: list[{name, schedule, paused, ttl}]   Velero chart ``schedules:``
    velero_backup_storage_locations: list[{name, provider}]  Velero chart ``configuration.backupStorageLocation``
    alert_rules: list[{group, alert, runbook_url: bool}]  alerting rules the values declare (``VALUES_RULES``:
                                             kube-prometheus-stack ``additionalPrometheusRulesMap`` and
                                             ``additionalPrometheusRules``, victoria-metrics-k8s-stack
                                             ``additionalVictoriaMetricsMap``, prometheus ``serverFiles``,
                                             victoria-metrics-alert ``server.config.alerts``, velero
                                             ``metrics.prometheusRule.spec``, loki ``ruler.directories``):
                                             the alert's name, its group's, and whether it has a runbook_url
                                             (where that points is the ``RunbookLinks`` fact's, which sees the
                                             repository's files: ``release_alerts``)
    default_alert_rules: bool                kube-prometheus-stack / victoria-metrics-k8s-stack: the chart's own
                                             rules (``defaultRules.create``, on unless switched off), not listed
    log_outputs: list[{shipper, output, store, host}]  a log shipper chart's outputs to a log store, read by
                                             ``readiness.collect.logfacts`` from the configuration in its values:
                                             fluent-bit ``config.outputs`` and ``config.extraFiles``, fluentd
                                             ``fileConfigs``, alloy ``alloy.configMap.content``, vector
                                             ``customConfig`` (``sinks``), promtail ``config.clients`` (or
                                             ``config.lokiAddress``); host names only

A component a chart enables by default (kube-prometheus-stack's Alertmanager, Grafana, Prometheus)
counts as enabled unless the values switch it off. Names are chart keys, schedules cron strings,
providers plugin names, hosts bare host names (a URL's user, password, port, path and query are never
read), alerts their names and groups': never URLs, buckets, keys or free text (no alert's expression,
summary or runbook URL). A log shipper chart's outputs are the ones its values write; the chart's own
defaults (fluent-bit's and fluentd's ``elasticsearch-master``, promtail's ``loki-gateway``) are not
claimed, and values this reader cannot see (``values_from``, ``values_files``) may configure more.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import yaml

from readiness.collect import localchart, logfacts
from readiness.collect.configfacts import extractor
from readiness.store.repofacts import paging_webhook

# Charts that bundle Prometheus, Alertmanager and Grafana, each on unless values say enabled: false.
PROMETHEUS_STACKS = {
    "kube-prometheus-stack": ("alertmanager", "grafana", "prometheus"),
    "prometheus": ("alertmanager",),  # prometheus-community/prometheus: Alertmanager as a subchart
}
VELERO_CHARTS = ("velero",)


def _dict(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}


def _receiver_types(receiver: dict[str, Any]) -> list[str]:
    """``pagerduty_configs`` -> pagerduty, and a webhook to a paging service -> that service
    (``repofacts.paging_webhook``: ``grafana_oncall``)."""
    types = {k.removesuffix("_configs") for k, v in receiver.items() if k.endswith("_configs") and v}
    hooks = receiver.get("webhook_configs")
    types |= {s for h in hooks if isinstance(h, dict) and (s := paging_webhook(h.get("url")))} if isinstance(
        hooks, list) else set()
    return sorted(types)


def _routed(route: Any) -> set[str]:
    route = _dict(route)
    out = {str(route["receiver"])} if route.get("receiver") else set()
    for child in route.get("routes") or []:
        out |= _routed(child)
    return out


def alertmanager_facts(config: dict[str, Any]) -> dict[str, Any]:
    """Receiver types of an Alertmanager configuration (``receivers:``, ``route:``), all and routed."""
    receivers = [r for r in config.get("receivers") or [] if isinstance(r, dict)]
    routed = _routed(config.get("route"))
    return {
        "alertmanager_receiver_types": sorted({t for r in receivers for t in _receiver_types(r)}),
        "alertmanager_routed_receiver_types": sorted(
            {t for r in receivers if str(r.get("name")) in routed for t in _receiver_types(r)}),
    }


def _stack_facts(chart: str, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in PROMETHEUS_STACKS.get(chart, ()):
        enabled = _dict(values.get(part)).get("enabled", True)
        out[f"{part}_enabled"] = enabled is not False and str(enabled).lower() != "false"
    if "alertmanager" in PROMETHEUS_STACKS.get(chart, ()):
        out.update(alertmanager_facts(_dict(_dict(values.get("alertmanager")).get("config"))))
    return out


def _velero_facts(values: dict[str, Any]) -> dict[str, Any]:
    schedules = []
    for name, s in _dict(values.get("schedules")).items():
        s = _dict(s)
        paused = bool(s.get("paused") or s.get("disabled"))
        ttl = _dict(s.get("template")).get("ttl")
        schedules.append({"name": str(name), "schedule": str(s.get("schedule") or ""), "paused": paused,
                          "ttl": str(ttl) if ttl is not None else None})
    bsl = _dict(values.get("configuration")).get("backupStorageLocation")
    locations = bsl if isinstance(bsl, list) else [bsl] if isinstance(bsl, dict) else []
    return {
        "velero_schedules": schedules,
        "velero_backup_storage_locations": [
            {"name": str(loc.get("name") or "default"), "provider": str(loc.get("provider") or "")}
            for loc in locations if isinstance(loc, dict)],
    }


def _on(switch: Any, default: bool = True) -> bool:
    """A chart's ``enabled``/``create`` switch as its templates read it (unset: ``default``; "false" is off)."""
    return default if switch is None else switch is not False and str(switch).lower() != "false"


def _alert_rules(groups: Any) -> list[dict[str, Any]]:
    """The alerting rules (``alert:``; recording rules are not) of a rule file's ``groups``: each
    ``{"group", "alert", "runbook_url": the URL or None}`` (``runbook_url`` or ``runbook`` annotation)."""
    out = []
    for group in groups if isinstance(groups, list) else []:
        group = _dict(group)
        rules = group.get("rules")
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, dict) and rule.get("alert"):
                notes = _dict(rule.get("annotations"))
                url = notes.get("runbook_url") or notes.get("runbook")
                out.append({"group": str(group.get("name") or ""), "alert": str(rule["alert"]),
                            "runbook_url": url.strip() if isinstance(url, str) and url.strip() else None})
    return out


def _rule_files(files: Any) -> list[dict[str, Any]]:
    """The alerting rules of a map of rule files (name -> ``{groups: [...]}``)."""
    return [r for f in _dict(files).values() for r in _alert_rules(_dict(f).get("groups"))]


def _kube_prometheus_stack_rules(values: dict[str, Any]) -> list[dict[str, Any]]:
    listed = values.get("additionalPrometheusRules")  # a list of {name, groups}
    return _rule_files(values.get("additionalPrometheusRulesMap")) + [
        r for f in (listed if isinstance(listed, list) else []) for r in _alert_rules(_dict(f).get("groups"))]


def _prometheus_rules(values: dict[str, Any]) -> list[dict[str, Any]]:
    """prometheus-community/prometheus: rule files in ``serverFiles`` (``alerting_rules.yml``, ``alerts``...)."""
    return _rule_files({k: v for k, v in _dict(values.get("serverFiles")).items() if k != "prometheus.yml"})


def _velero_rules(values: dict[str, Any]) -> list[dict[str, Any]]:
    """velero: ``metrics.prometheusRule.spec``, a list of rules the chart puts in one group (off by default)."""
    metrics = _dict(values.get("metrics"))
    rule = _dict(metrics.get("prometheusRule"))
    if not _on(metrics.get("enabled")) or not _on(rule.get("enabled"), default=False):
        return []
    return _alert_rules([{"name": "velero", "rules": rule.get("spec")}])


def _loki_rules(values: dict[str, Any]) -> list[dict[str, Any]]:
    """loki: rule files as text in ``ruler.directories`` (tenant -> file name -> YAML), unless the ruler is off."""
    ruler = _dict(values.get("ruler"))
    if not _on(ruler.get("enabled")):
        return []
    out = []
    for tenant in _dict(ruler.get("directories")).values():
        for text in _dict(tenant).values():
            try:
                doc = yaml.safe_load(text) if isinstance(text, str) else text
            except yaml.YAMLError:
                continue
            out += _alert_rules(_dict(doc).get("groups"))
    return out


# Chart -> the alerting rules its values declare, each rendered by the chart into a rule object
# (PrometheusRule, VMRule, a rule file): on a cluster those objects are read, in a repository only these.
VALUES_RULES = {
    "kube-prometheus-stack": _kube_prometheus_stack_rules,
    "victoria-metrics-k8s-stack": lambda values: _rule_files(values.get("additionalVictoriaMetricsMap")),
    "prometheus": _prometheus_rules,
    "victoria-metrics-alert": lambda values: _alert_rules(
        _dict(_dict(_dict(values.get("server")).get("config")).get("alerts")).get("groups")),
    "velero": _velero_rules,
    "loki": _loki_rules,
    "loki-distributed": _loki_rules,
}
# Charts that install rules of their own unless ``defaultRules.create`` is false.
DEFAULT_RULES = ("kube-prometheus-stack", "victoria-metrics-k8s-stack")


def _fluent_bit(values: dict[str, Any]) -> list[dict[str, Any]]:
    config = _dict(values.get("config"))  # classic-format texts: outputs, and whole extra files
    return logfacts.log_outputs({"outputs": config.get("outputs"), **_dict(config.get("extraFiles"))})


def _alloy(values: dict[str, Any]) -> list[dict[str, Any]]:
    settings = _dict(values.get("alloy") or values.get("agent"))  # "agent": the chart's older name for it
    return logfacts.log_outputs({"config.alloy": _dict(settings.get("configMap")).get("content")})


def _promtail(values: dict[str, Any]) -> list[dict[str, Any]]:
    config = _dict(values.get("config"))
    address = config.get("lokiAddress")  # older charts: the one client's URL, also templated into clients
    given = config.get("clients")
    clients: list[Any] = given if isinstance(given, list) else [{"url": address}]
    clients = [{"url": address} if address and "lokiAddress" in str(_dict(c).get("url")) else c for c in clients]
    return logfacts.structured_outputs({"clients": clients})


# Log shipper chart -> the outputs its values configure (readiness.collect.logfacts parses them).
LOG_SHIPPER_CHARTS = {
    "fluent-bit": _fluent_bit,
    "fluentd": lambda values: logfacts.log_outputs(_dict(values.get("fileConfigs"))),
    "alloy": _alloy,
    "vector": lambda values: logfacts.structured_outputs(values.get("customConfig")),
    "promtail": _promtail,
}


def chart_facts(chart: str, values: dict[str, Any]) -> dict[str, Any]:
    """The facts of one chart installed with ``values`` (see the module docstring for the keys)."""
    out: dict[str, Any] = {"chart": chart} if chart else {}
    if chart in PROMETHEUS_STACKS:
        out.update(_stack_facts(chart, values))
    if chart in VELERO_CHARTS:
        out.update(_velero_facts(values))
    if chart in LOG_SHIPPER_CHARTS and (shipped := LOG_SHIPPER_CHARTS[chart](values)):
        out["log_outputs"] = shipped
    if chart in VALUES_RULES and (rules := VALUES_RULES[chart](values)):
        out["alert_rules"] = rules  # with their URLs: the extractors keep only whether (``_stored``)
    if chart in DEFAULT_RULES:
        out["default_alert_rules"] = _on(_dict(values.get("defaultRules")).get("create"))
    return out


def _stored(facts: dict[str, Any]) -> dict[str, Any]:
    """``facts`` as stored: an alert's ``runbook_url`` becomes whether it has one (the URL reaches the
    ``RunbookLinks`` fact only, through ``release_alerts``, classified against the repository's files)."""
    if "alert_rules" in facts:
        facts["alert_rules"] = [{**r, "runbook_url": r.get("runbook_url") is not None} for r in facts["alert_rules"]]
    return facts


def local_chart_facts(chart: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The facts of a chart kept in the repository (``readiness.collect.localchart.read``) installed with
    ``values`` over its own: the chart's name as ``chart``, the dependencies it installs as
    ``chart_dependencies`` (their chart names; a dependency whose ``condition`` the values switch off is
    not installed), and the facts of each dependency from the values under its name or alias (an
    umbrella chart's ``velero.schedules``), then the chart's own."""
    merged = localchart.merge(_dict(chart.get("values")), values)
    deps = [d for d in chart.get("dependencies") or [] if localchart.enabled(d, merged)]
    out: dict[str, Any] = {}
    for dep in deps:
        found = chart_facts(str(dep["name"]), _dict(merged.get(dep.get("alias") or dep["name"])))
        found.pop("chart", None)
        out = {**found, **out}
    out = {**chart_facts(str(chart.get("name") or ""), merged), **out}
    if deps:
        out["chart_dependencies"] = list(dict.fromkeys(str(d["name"]) for d in deps))
    if chart.get("value_files_unread"):
        out["values_files"] = int(chart["value_files_unread"])
    return out


def _local_chart(obj: dict[str, Any], path: Any) -> dict[str, Any] | None:
    """The repository chart at ``path`` that the collector attached to ``obj`` (``localchart.LOCAL_CHARTS_KEY``)."""
    charts = _dict(obj.get(localchart.LOCAL_CHARTS_KEY))
    found = charts.get(str(path)) if isinstance(path, str) else None
    return found if isinstance(found, dict) else None


@extractor("helm.toolkit.fluxcd.io", "HelmRelease")
def flux_helmrelease(obj: dict[str, Any]) -> dict[str, Any]:
    """Facts of a Flux HelmRelease: its chart (``spec.chart.spec.chart``, or the ``chartRef`` name) and values;
    a chart kept in this repository (a GitRepository path) by what it depends on (``local_chart_facts``)."""
    return _stored(_flux_facts(obj))


def _flux_facts(obj: dict[str, Any]) -> dict[str, Any]:
    spec = _dict(obj.get("spec"))
    chart = str(_dict(_dict(spec.get("chart")).get("spec")).get("chart") or "")
    if not chart:
        chart = str(_dict(spec.get("chartRef")).get("name") or "")
    charts = _dict(obj.get(localchart.LOCAL_CHARTS_KEY))
    local = next((c for c in charts.values() if isinstance(c, dict)), None)
    values = _dict(spec.get("values"))
    out = local_chart_facts(local, values) if local else chart_facts(chart, values)
    if spec.get("valuesFrom"):
        total = len(spec["valuesFrom"]) if isinstance(spec["valuesFrom"], list) else 1
        meta = _dict(obj.get("metadata"))
        resolved = str(_dict(meta.get("annotations")).get("readiness.dev/values-from-resolved") or "0")
        unseen = total - (int(resolved) if resolved.isdigit() else 0)  # collect.valuesfrom read the rest
        if unseen > 0:
            out["values_from"] = unseen
    return out


def _argo_values(helm: dict[str, Any]) -> dict[str, Any]:
    """An Argo CD source's Helm values: ``valuesObject`` merged over the ``values`` YAML string."""
    text = helm.get("values")
    values = _dict(yaml.safe_load(text)) if isinstance(text, str) and text.strip() else _dict(text)
    return {**values, **_dict(helm.get("valuesObject"))}


def _argo_sources(spec: dict[str, Any]) -> list[dict[str, Any]]:
    sources = [spec.get("source"), *list(spec.get("sources") or [])]
    return [s for s in sources if isinstance(s, dict)]


def _argo_facts(spec: dict[str, Any], obj: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for source in _argo_sources(spec):
        chart = str(source.get("chart") or "")
        if "{{" not in chart:
            chart = chart.rsplit("/", 1)[-1]  # an OCI chart given with its registry namespace: karpenter/karpenter
        local = _local_chart(obj or {}, source.get("path"))
        if local is not None:  # a chart kept in this repository, at the source's path
            try:
                values = _argo_values(_dict(source.get("helm")))
            except yaml.YAMLError:
                values = {}
            out = {**local_chart_facts(local, values), **out}
            continue
        if not chart:
            continue
        helm = _dict(source.get("helm"))
        extra: dict[str, Any] = {}
        try:
            values = _argo_values(helm)
        except yaml.YAMLError:  # a values string with template parameters ({{...}}) in it
            values, extra = {}, {"values_unreadable": True}
        if helm.get("valueFiles"):
            extra["values_files"] = len(helm["valueFiles"]) if isinstance(helm["valueFiles"], list) else 1
        out = {**chart_facts(chart, values), **extra, **out}
    return out


@extractor("argoproj.io", "Application")
def argo_application(obj: dict[str, Any]) -> dict[str, Any]:
    """Facts of an Argo CD Application's (first) Helm chart source and its values / valuesObject; a path
    source holding a chart of this repository by what it depends on (``local_chart_facts``)."""
    return _stored(_argo_facts(_dict(obj.get("spec")), obj))


_PARAM_IN = re.compile(r"\{\{\s*\.?(values\.)?([A-Za-z0-9_]+)\s*\}\}")


def _generator_params(generators: Any) -> list[dict[str, Any]]:
    """Parameter sets the generators give: cluster generators' ``values`` (as ``values.<key>``) and
    list generators' elements, through matrix and merge generators."""
    out: list[dict[str, Any]] = []
    for g in generators if isinstance(generators, list) else []:
        g = _dict(g)
        if isinstance(_dict(g.get("clusters")).get("values"), dict):
            out.append({f"values.{k}": v for k, v in g["clusters"]["values"].items()})
        out += [e for e in _dict(g.get("list")).get("elements") or [] if isinstance(e, dict)]
        for nested in ("matrix", "merge"):
            out += _generator_params(_dict(g.get(nested)).get("generators"))
    return out


@extractor("argoproj.io", "ApplicationSet")
def argo_applicationset(obj: dict[str, Any]) -> dict[str, Any]:
    """Facts of an ApplicationSet's template (the Application it generates). A templated chart
    (``chart: '{{values.addonChart}}'``, the GitOps Bridge pattern, also in parts:
    ``'{{values.namespace}}/{{values.addonChart}}'``) is resolved from the generators' parameters when they
    give each part exactly one value."""
    return _stored(_applicationset_facts(obj))


def _applicationset_facts(obj: dict[str, Any]) -> dict[str, Any]:
    spec = _dict(obj.get("spec"))
    template = _dict(_dict(spec.get("template")).get("spec"))
    params = _generator_params(spec.get("generators"))
    sources = []
    for source in _argo_sources(template):
        chart = str(source.get("chart") or "")
        if "{{" in chart:
            source = {**source, "chart": _resolved(chart, params)}
        sources.append(source)
    return _argo_facts({"sources": sources})


def _resolved(chart: str, params: list[dict[str, Any]]) -> str:
    """A templated chart with each ``{{values.key}}`` / ``{{key}}`` replaced by the one value the generators give
    it ('' when a parameter has none or several, or anything else is templated); a chart written as
    ``<repository namespace>/<chart>`` (an OCI registry path) is the chart, its last part."""
    def value(m: re.Match[str]) -> str:
        key = (m.group(1) or "") + m.group(2)
        found = {str(p[key]) for p in params if isinstance(p.get(key), str | int | float)}
        return found.pop() if len(found) == 1 else "{{?}}"

    out = _PARAM_IN.sub(value, chart)
    return "" if "{{" in out else out.rsplit("/", 1)[-1]


_INSTALLERS = {("helm.toolkit.fluxcd.io", "HelmRelease"): _flux_facts,
               ("argoproj.io", "Application"): lambda obj: _argo_facts(_dict(obj.get("spec")), obj),
               ("argoproj.io", "ApplicationSet"): _applicationset_facts}


def release_alerts(obj: Any) -> list[dict[str, Any]]:
    """The alerting rules the chart values of a HelmRelease, Application or ApplicationSet declare
    (``VALUES_RULES``), each ``{"group", "alert", "runbook_url": the URL or None}``: for the repository
    collector's ``RunbookLinks`` fact, which says where each URL points; [] for anything else."""
    if not isinstance(obj, dict):
        return []
    api = obj.get("apiVersion")
    read = _INSTALLERS.get((api.rpartition("/")[0] if isinstance(api, str) else "", str(obj.get("kind"))))
    try:
        found = read(obj).get("alert_rules") if read else None
    except Exception:  # a malformed object: the extractor records the error, this reads no alerts
        return []
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


ALERTMANAGER_KEY = "alertmanager.yaml"


@extractor("monitoring.coreos.com", "AlertmanagerConfig")
def alertmanager_config_webhooks(obj: dict[str, Any]) -> dict[str, Any]:
    """``paging_webhooks``: receiver name -> the paging service its ``webhookConfigs`` URL posts to
    (``repofacts.paging_webhook``), for receivers that have one; the URLs themselves are not kept."""
    found = {}
    for r in _dict(obj.get("spec")).get("receivers") or []:
        hooks = _dict(r).get("webhookConfigs")
        services = [s for h in hooks if (s := paging_webhook(_dict(h).get("url")))] if isinstance(hooks, list) else []
        if services:
            found[str(_dict(r).get("name"))] = services[0]
    return {"paging_webhooks": found} if found else {}


@extractor("", "Secret")
def alertmanager_secret(obj: dict[str, Any]) -> dict[str, Any]:
    """Receiver types of the Alertmanager configuration a Secret holds under ``alertmanager.yaml``
    (kube-prometheus' ``alertmanager-main``): a repository's Secret manifest, read before its values
    are stripped. Encrypted (SOPS) or unparseable text yields no facts."""
    text = _dict(obj.get("stringData")).get(ALERTMANAGER_KEY)
    if text is None and isinstance(_dict(obj.get("data")).get(ALERTMANAGER_KEY), str):
        try:
            text = base64.b64decode(obj["data"][ALERTMANAGER_KEY], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return {}
    if not isinstance(text, str) or obj.get("sops"):
        return {}
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return alertmanager_facts(config) if isinstance(config, dict) else {}
