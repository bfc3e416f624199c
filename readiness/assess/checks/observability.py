"""Observability checks: metrics, dashboards, logs, traces, collectors, alerting, runbooks, SLOs, paging."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from readiness.assess.checks.base import (
    CheckThresholds,
    ClusterSnapshot,
    KubeObject,
    Result,
    check,
    failed,
    fraction,
    mapping,
    not_applicable,
    passed,
    unknown,
)
from readiness.assess.checks.common import (
    ARGO,
    HELM,
    REPO_GROUP,
    WORKLOAD_KINDS,
    attested,
    blind_spots,
    chart_of,
    condition,
    declared,
    declared_only,
    declared_result,
    installers,
    listing,
    ready_detail,
    repo,
    running,
    where,
    workloads,
)
from readiness.store.repofacts import RepoPaths, link_outcome, paging_webhook

MONITORING = "monitoring.coreos.com"
VICTORIA = "operator.victoriametrics.com"
SLOTH = "sloth.slok.dev"
PYRRA = ("pyrra.dev", "ServiceLevelObjective")
RULE_TYPES = ((MONITORING, "PrometheusRule"), (VICTORIA, "VMRule"))
WORKLOAD_TYPES = tuple(("apps", k) for k in WORKLOAD_KINDS)
PREVIEW_LABEL = "readiness.dev/preview"
# Where the runbook_url of an alert in chart values points when no RunbookLinks fact classified it.
UNCLASSIFIED = "unclassified"
APPLIED_BY = "readiness.dev/applied-by"  # the repository collector's: what applies an object (deployed view)


# Which workloads fill each role ("whichever tool fills the role"), by app name or object name:
# the ``tools`` threshold of each tool check, the default rubric's lists as defaults.
@dataclass(frozen=True)
class MetricsTools:
    """obs_prometheus: workloads (app name or object name) that store metrics."""

    tools: tuple[str, ...] = ("prometheus", "victoria-metrics", "victoria-metrics-single", "vmsingle", "vmagent",
                              "mimir", "mimir-distributed", "thanos")


@dataclass(frozen=True)
class DashboardTools:
    """obs_grafana: workloads that serve dashboards."""

    tools: tuple[str, ...] = ("grafana", "perses")


@dataclass(frozen=True)
class LogStores:
    """obs_loki: workloads that store logs."""

    tools: tuple[str, ...] = ("loki", "loki-distributed", "elasticsearch", "opensearch", "victoria-logs",
                              "victoria-logs-single", "vlsingle", "quickwit")
    # The score when no store is here but a log shipper's configuration ships logs to one outside
    # (a store elsewhere is not seen, so not known to keep them): 1 makes it a pass.
    shipped_score: float = 0.5
    shippers: tuple[str, ...] = ("fluent-bit", "fluentbit", "fluentd", "vector", "promtail", "alloy")


@dataclass(frozen=True)
class TraceStores:
    """obs_tempo: workloads that store traces."""

    tools: tuple[str, ...] = ("tempo", "tempo-distributed", "jaeger", "jaeger-collector", "jaeger-query", "zipkin")


@dataclass(frozen=True)
class TelemetryCollectors:
    """obs_otel_collector: workloads that collect and ship telemetry."""

    tools: tuple[str, ...] = ("alloy", "grafana-agent", "opentelemetry-collector", "otel-collector", "fluent-bit",
                              "vector", "promtail")


@dataclass(frozen=True)
class Alertmanagers:
    """obs_alertmanager_running: workloads that route alerts."""

    tools: tuple[str, ...] = ("alertmanager", "vmalertmanager")


@dataclass(frozen=True)
class PagingReceivers:
    """obs_paging_receiver: Alertmanager receiver types that page (``<type>Configs`` fields)."""

    receiver_types: tuple[str, ...] = ("pagerduty", "opsgenie", "grafana_oncall")


@dataclass(frozen=True)
class AlertRules:
    """obs_alert_rules_count: the number of alerting rules wanted (recording rules do not count)."""

    min_rules: int = 15


@dataclass(frozen=True)
class PlanAlerts:
    """obs_plan_alerts: the alert names that must exist (none: not applicable)."""

    alerts: tuple[str, ...] = ()


@dataclass(frozen=True)
class CriticalServices:
    """obs_slos: the services (app name or object name) that need SLOs where they run (none: not applicable)."""

    critical_services: tuple[str, ...] = ()


@dataclass(frozen=True)
class IncidentFacts:
    """obs_incident_management: the attested facts incident management needs (none: not applicable)."""

    facts: tuple[str, ...] = ("pagerduty_contract", "pagerduty_test_alert")


Probe = tuple[str, str, Callable[[KubeObject], bool]]


def _available(item: KubeObject) -> bool:
    return item.condition("Available") is True


def _eck_ready(item: KubeObject) -> bool:
    return (item.status or {}).get("phase") == "Ready" or (item.status or {}).get("health") in ("green", "yellow")


def _tool(ev: ClusterSnapshot, role: str, apps: Iterable[str], crs: Iterable[Probe] = ()) -> Result:
    """Pass when a healthy custom resource of the role exists or a workload of ``apps`` runs; on a
    repository snapshot, when one is declared (a HelmRelease, Argo CD Application, manifest or
    custom resource installs it), since a repository never shows what runs."""
    apps, crs = list(apps), list(crs)
    for group, kind, healthy in crs:
        good = [i for i in ev.items(group, kind) if not i.declared and healthy(i)]
        if good:
            return passed(f"{role} running: {kind} {listing(i.name for i in good)} healthy", [i.ref for i in good])
    found = running(ev, apps)
    if found:
        return passed(f"{role} running: {listing(ready_detail(w) for w in found)}", [w.ref for w in found])
    custom = [i for group, kind, _ in crs for i in ev.items(group, kind)]
    decl = declared(ev, apps) + [i for i in custom if i.declared]
    if declared_only(ev):
        return declared_result(ev, role, apps, decl, ["HelmRelease", *(k for _, k, _ in crs)])
    sick = [i for i in custom if not i.declared]
    if sick:
        return failed(f"no {role} running; {listing(i.name for i in sick)} not healthy", [i.ref for i in sick])
    if ev.unreadable(*WORKLOAD_TYPES):
        return unknown(f"workloads could not be read, so {role} cannot be seen")
    if decl:
        places = list(dict.fromkeys(where(d) for d in decl))
        return failed(f"{role} declared in {listing(places)} but not running", places)
    return failed(f"no {role} running (looked for {listing(apps, 6)})")


def _tools(cfg: CheckThresholds) -> list[str]:
    """The rubric's ``tools`` for the role (policy; the check's dataclass gives the defaults)."""
    return [str(t) for t in cfg["tools"]]


@check("obs_prometheus", thresholds=MetricsTools)
def prometheus(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A metrics store runs (on a repository: is declared).

    An Available monitoring.coreos.com Prometheus (or VictoriaMetrics VMSingle/VMCluster), or a
    running workload of the rubric's ``tools``; on a repository, one of them declared."""
    return _tool(ev, "metrics collection", _tools(cfg), [(MONITORING, "Prometheus", _available),
                                                                      (VICTORIA, "VMSingle", _vm_operational),
                                                                      (VICTORIA, "VMCluster", _vm_operational)])


@check("obs_grafana", thresholds=DashboardTools)
def grafana(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A dashboard tool of the rubric's ``tools`` (Grafana) runs, or on a repository is declared."""
    return _tool(ev, "dashboards", _tools(cfg), [("grafana.integreatly.org", "Grafana", _grafana_ok)])


@check("obs_loki", thresholds=LogStores)
def loki(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A log store runs (on a repository: is declared).

    A workload of the rubric's ``tools`` (Loki, VictoriaLogs, Elasticsearch / OpenSearch, ...) or
    a Ready ECK Elasticsearch; on a repository, one of them declared."""
    result = _tool(ev, "log store", _tools(cfg),
                   [("elasticsearch.k8s.elastic.co", "Elasticsearch", _eck_ready)])
    return _shipped(ev, cfg, result) if result.status == "fail" else result


def _shipped(ev: ClusterSnapshot, cfg: CheckThresholds, result: Result) -> Result:
    """``result`` (no log store here), or the rubric's ``shipped_score`` when a log shipper's configuration
    has an output to a store (facts ``log_outputs``): a ConfigMap's (``readiness.collect.logfacts``) or a
    shipper chart's values in a HelmRelease / Argo CD Application (``readiness.collect.helmfacts``);
    declared, on a repository; on a cluster, with a shipper of ``shippers`` running. ``unknown`` when none
    is read but a release of a shipper chart takes values this reader cannot see."""
    shippers = [str(s) for s in cfg["shippers"]]
    configs = [c for c in ev.items("", "ConfigMap") + installers(ev) if isinstance(c.facts.get("log_outputs"), list)]
    releases = [i for i in installers(ev) if chart_of(i) in shippers]
    if not declared_only(ev):
        if not running(ev, shippers):
            return result
        configs, releases = [c for c in configs if not c.declared], [r for r in releases if not r.declared]
    outputs = [(c, o) for c in configs for o in c.facts["log_outputs"] if isinstance(o, dict) and o.get("store")]
    here = "declared in the repository" if declared_only(ev) else "running in this cluster"
    if not outputs:
        unseen = [r for r in releases if r.facts.get("values_from") or r.facts.get("values_files")
                  or r.facts.get("values_unreadable")]
        if unseen:
            return unknown(f"no log store {here}; {listing(where(r) for r in unseen)} installs a log shipper with "
                           "values from files or references readiness does not read, so where it ships logs "
                           "cannot be seen", [where(r) for r in unseen])
        return result
    c, o = outputs[0]
    at = f" at {o['host']}" if o.get("host") else ""
    more = f" (and {len(outputs) - 1} more output(s))" if len(outputs) > 1 else ""
    return fraction(float(cfg["shipped_score"]),
                    f"logs shipped by {o.get('shipper')} to {o['store']}{at} ({where(c)}){more}; "
                    f"the store is not {here}", list(dict.fromkeys(where(m) for m, _ in outputs)))


@check("obs_tempo", thresholds=TraceStores)
def tempo(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A trace store of the rubric's ``tools`` runs (Tempo, Jaeger, Zipkin), or on a repository is declared."""
    return _tool(ev, "trace store", _tools(cfg), [("jaegertracing.io", "Jaeger", _jaeger_ok)])


@check("obs_otel_collector", thresholds=TelemetryCollectors)
def otel_collector(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A telemetry collector runs (on a repository: is declared).

    A workload of the rubric's ``tools`` (Grafana Alloy, Grafana Agent, the OpenTelemetry
    Collector, Fluent Bit, Vector, ...) or an OpenTelemetryCollector with replicas."""
    return _tool(ev, "telemetry collector", _tools(cfg),
                 [("opentelemetry.io", "OpenTelemetryCollector", _otel_ok)])


@check("obs_alertmanager_running", thresholds=Alertmanagers)
def alertmanager_running(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Alertmanager runs (on a repository: is declared).

    An Alertmanager workload runs or a monitoring.coreos.com Alertmanager is Available; on a
    repository, one is declared (a kube-prometheus-stack release with alertmanager enabled counts)."""
    return _tool(ev, "Alertmanager", _tools(cfg), [(MONITORING, "Alertmanager", _available),
                                                                 (VICTORIA, "VMAlertmanager", _vm_operational)])


def _vm_operational(item: KubeObject) -> bool:
    return str((item.status or {}).get("updateStatus") or (item.status or {}).get("status") or "") == "operational"


def _grafana_ok(item: KubeObject) -> bool:
    return (item.status or {}).get("stage") == "complete" and (item.status or {}).get("stageStatus") == "success"


def _jaeger_ok(item: KubeObject) -> bool:
    return (item.status or {}).get("phase") == "Running"


def _otel_ok(item: KubeObject) -> bool:
    scale = (item.status or {}).get("scale") or {}
    return str(scale.get("statusReplicas") or "").split("/")[0] not in ("", "0")


def _route_receivers(route: Any) -> set[str]:
    """Every receiver a route tree sends to (the route's own and its children's)."""
    if not isinstance(route, dict):
        return set()
    out = {str(route["receiver"])} if route.get("receiver") else set()
    for child in route.get("routes") or []:
        out |= _route_receivers(child)
    return out


def _paging_types(cfg: CheckThresholds) -> list[str]:
    return [str(t) for t in cfg["receiver_types"]]


@check("obs_paging_receiver", thresholds=PagingReceivers)
def paging_receiver(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Alertmanager routes alerts to a paging receiver (PagerDuty, Opsgenie, Grafana OnCall...).

    The rubric's ``receiver_types`` (a webhook to a paging service counts as that service,
    ``repofacts.paging_webhook``): an AlertmanagerConfig whose route sends to one, or an
    Alertmanager configuration in Helm values or a Secret's ``alertmanager.yaml`` that does
    (facts ``alertmanager_routed_receiver_types``)."""
    types = _paging_types(cfg)
    fields = [f"{t}Configs" for t in types]
    configs = ev.items(MONITORING, "AlertmanagerConfig")
    global_configs = {(am.namespace, str(((am.spec or {}).get("alertmanagerConfiguration") or {}).get("name")))
                      for am in ev.items(MONITORING, "Alertmanager")}
    unrouted = []
    for c in configs:
        spec = c.spec or {}
        routed = _route_receivers(spec.get("route"))
        for r in spec.get("receivers") or []:
            kinds = [k for k in fields if isinstance(r, dict) and r.get(k)]
            # a webhook to a paging service: the collector keeps only the service (fact paging_webhooks)
            hooks = r.get("webhookConfigs") if isinstance(r, dict) else None
            hooked = [paging_webhook(h.get("url")) for h in hooks if isinstance(h, dict)] if isinstance(
                hooks, list) else []
            hooked.append(mapping(c, "facts.paging_webhooks", c.facts.get("paging_webhooks")).get(str(r.get("name")))
                          if isinstance(r, dict) else None)
            kinds += [f"webhook to {s}" for s in dict.fromkeys(hooked) if s in types]
            if not kinds:
                continue
            if r.get("name") not in routed:
                unrouted.append(f"{c.name}/{r.get('name')}")
                continue
            scope = "global config of the Alertmanager" if (c.namespace, c.name) in global_configs else c.ref
            said = f" (declared in {where(c)})" if c.declared else ""
            return passed(f"receiver {r.get('name')} ({kinds[0]}) routed in {scope}{said}", [c.ref])
    releases = [i for i in installers(ev) + ev.items("", "Secret")
                if i.facts.get("alertmanager_receiver_types") is not None]
    for rel in releases:
        hit = [t for t in rel.facts.get("alertmanager_routed_receiver_types") or [] if t in types]
        if hit:
            how = f"declared in {where(rel)}" if rel.declared else f"configured by {rel.ref}"
            return passed(f"{hit[0]} receiver routed in the Alertmanager configuration {how}", [where(rel)])
    unrouted += [f"{where(rel)}/{t}" for rel in releases
                 for t in rel.facts["alertmanager_receiver_types"] if t in types]
    if unrouted:
        return failed(f"paging receiver(s) {', '.join(unrouted)} defined but no route sends to them",
                      [c.ref for c in configs] + [where(r) for r in releases])
    if ev.unreadable((MONITORING, "AlertmanagerConfig")):
        return unknown("AlertmanagerConfigs could not be read")
    unseen = [r for r in releases if r.facts.get("values_from") or r.facts.get("values_files")
              or r.facts.get("values_unreadable")]
    if unseen:
        return unknown(f"no paging receiver in the values read, but {listing(where(r) for r in unseen)} takes "
                       "values from files or references readiness does not read", [where(r) for r in unseen])
    looked = f"{len(configs)} AlertmanagerConfig(s)" + (
        f", {len(releases)} Alertmanager configuration(s) ({listing(where(r) for r in releases)})" if releases else "")
    blind, skipped = blind_spots(ev, "AlertmanagerConfig", "HelmRelease") if declared_only(ev) else ("", [])
    if blind:
        return unknown(f"no paging receiver in what was read ({looked}); {blind}", skipped)
    if configs or releases:
        return failed(f"no paging receiver ({listing(types, 3)}) routed in {looked}",
                      [c.ref for c in configs] + [where(r) for r in releases])
    return failed(f"no AlertmanagerConfig or Alertmanager configuration with a paging receiver ({listing(types, 3)})")


def _rules(ev: ClusterSnapshot) -> list[tuple[KubeObject, dict[str, Any]]]:
    """(rule object, rule) for every rule of every PrometheusRule (and VictoriaMetrics VMRule)."""
    out = []
    for group, kind in RULE_TYPES:
        for item in ev.items(group, kind):
            for g in (item.spec or {}).get("groups") or []:
                out += [(item, r) for r in g.get("rules") or [] if isinstance(r, dict)]
    return out


def _chart_installers(ev: ClusterSnapshot) -> list[KubeObject]:
    """HelmReleases, Applications and ApplicationSets; of declared ones read twice from one file under one name
    (an ApplicationSet reached both as a root and through an app of apps, in two namespaces), the first."""
    out, seen = [], set()
    for item in ev.items(HELM, "HelmRelease") + ev.items(ARGO, "Application") + ev.items(ARGO, "ApplicationSet"):
        key = (where(item), item.kind, item.name) if item.declared else (item.ref,)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _values_alerts(ev: ClusterSnapshot) -> list[tuple[KubeObject, dict[str, Any]]]:
    """(installer, ``{"alert", "group", "values": True, "runbook_url": bool}``) for every alerting rule the
    chart values of a repository's HelmRelease, Argo CD Application or ApplicationSet declare (fact
    ``alert_rules``, ``readiness.collect.helmfacts``): a repository does not render the chart into its
    rule objects. Declared installers only (on a cluster the chart's rule objects are read); an
    ApplicationSet's only when none of the Applications it generates is here (they carry its values)."""
    items = _chart_installers(ev)
    generated = {str(i.annotations.get(APPLIED_BY)) for i in items if i.kind == "Application"}
    out = []
    for item in items:
        rules = item.facts.get("alert_rules")
        appset = f"ApplicationSet {item.namespace or 'default'}/{item.name}"
        if not item.declared or not isinstance(rules, list) or (item.kind == "ApplicationSet" and appset in generated):
            continue
        if condition(item):  # declared only for clusters with labels none here carries: said, not counted
            continue
        out += [(item, {"alert": str(r["alert"]), "group": str(r.get("group") or ""), "values": True,
                        "runbook_url": r.get("runbook_url") is True})
                for r in rules if isinstance(r, dict) and r.get("alert")]
    return out


def _alerts(ev: ClusterSnapshot) -> list[tuple[KubeObject, dict[str, Any]]]:
    """The alerting rules (``alert:``), not the recording ones (``record:``): of the rule objects, and of
    the chart values of a repository's installers (``_values_alerts``)."""
    return [(item, r) for item, r in _rules(ev) if r.get("alert")] + _values_alerts(ev)


def _not_counted(ev: ClusterSnapshot) -> str:
    """What a repository's installers declare of alerting rules that is not counted, as clauses for a reason:
    '; plus the default rules of <chart> (<installer>), not counted (chart not rendered)' for a chart whose own
    rules are on (fact ``default_alert_rules``: kube-prometheus-stack's ``defaultRules.create``), and the alerts
    in the chart values of an installer declared only for clusters labelled as none here is (``condition``);
    '' when there are none."""
    declared = [i for i in _chart_installers(ev) if i.declared]
    out = ""
    defaults = [i for i in declared if i.facts.get("default_alert_rules") is True]
    if defaults:
        charts = listing(dict.fromkeys(chart_of(i) or "the chart" for i in defaults))
        only = f", {condition(defaults[0])}" if all(condition(i) for i in defaults) else ""
        out += f"; plus the default rules of {charts} ({listing(i.ref for i in defaults)}{only}), not counted " \
               "(chart not rendered)"
    labelled = [i for i in declared if isinstance(i.facts.get("alert_rules"), list) and i.facts["alert_rules"]
                and condition(i)]
    if labelled:
        n = sum(len(i.facts["alert_rules"]) for i in labelled)
        out += (f"; not counted: {n} alert rule{'s' if n != 1 else ''} in the chart values of "
                f"{listing(i.ref for i in labelled)}, {condition(labelled[0])}")
    return out


def _rules_unreadable(ev: ClusterSnapshot) -> Result | None:
    blind = ev.unreadable(*RULE_TYPES)
    return unknown(f"alert rules could not be read ({', '.join(blind)})") if blind else None


@check("obs_alert_rules_count", thresholds=AlertRules)
def alert_rules_count(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """At least min_rules alerting rules across all PrometheusRules (partial: rules / min_rules).

    In a repository the alerting rules that chart values declare count too (kube-prometheus-stack's
    ``additionalPrometheusRulesMap``...: ``readiness.collect.helmfacts``), citing the installer. A chart's own
    default rules are not rendered, so not counted: the reason says so."""
    if blind := _rules_unreadable(ev):
        return blind
    alerts = _alerts(ev)
    wanted = cfg["min_rules"]
    holders = sorted({item.ref for item, _ in alerts})
    objects = sorted({item.ref for item, r in alerts if not r.get("values")})
    releases = sorted({item.ref for item, r in alerts if r.get("values")})
    records = sum(1 for _, r in _rules(ev) if not r.get("alert"))
    reason = f"{len(alerts)} alert rules of {wanted} wanted"
    held = ([f"{len(objects)} rule object(s)"] if objects else []) + (
        [f"the chart values of {listing(releases)}"] if releases else [])
    reason += f" in {' and '.join(held)}" if held else ""
    reason += " declared in the repository" if alerts and all(item.declared for item, _ in alerts) else ""
    reason += f" ({records} recording rule{'s' if records > 1 else ''} not counted)" if records > 0 else ""
    reason += _not_counted(ev)
    if len(alerts) < wanted and (hidden := _rules_hidden(ev))[0]:
        return unknown(f"{reason}; may hold rules: {hidden[0]}", hidden[1])
    return fraction(len(alerts) / wanted if wanted else 1.0, reason, holders)


def _rules_hidden(ev: ClusterSnapshot) -> tuple[str, list[str]]:
    """Skipped repository files and Argo CD sources not followed that could hold alert rules
    (``blind_spots``; only a repository snapshot has them)."""
    return blind_spots(ev, *(kind for _, kind in RULE_TYPES)) if declared_only(ev) else ("", [])


@check("obs_plan_alerts", thresholds=PlanAlerts)
def plan_alerts(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """The plan's named alerts exist (partial: the share present)."""
    if blind := _rules_unreadable(ev):
        return blind
    wanted = list(cfg["alerts"])
    if not wanted:
        return not_applicable("the rubric names no alerts (thresholds.alerts)")
    alerts = _alerts(ev)
    have = {str(r["alert"]) for _, r in alerts}
    missing = [a for a in wanted if a not in have]
    reason = f"{len(wanted) - len(missing)}/{len(wanted)} of the plan's alerts exist"
    if missing:
        reason += f"; missing {listing(missing, 5)}"
    refs = sorted({item.ref for item, r in alerts if r["alert"] in wanted})
    if missing and (hidden := _rules_hidden(ev))[0]:
        return unknown(f"{reason}; may hold them: {hidden[0]}", hidden[1])
    return fraction(1 - len(missing) / len(wanted) if wanted else 1.0, reason, refs)


_WHERE = {"missing-here": "to a file missing here", "other-repository": "to another repository",
          "placeholder": "to a placeholder", "external": "to another site",
          UNCLASSIFIED: "where readiness cannot tell (chart values without the collector's RunbookLinks)"}


def _runbook_links(ev: ClusterSnapshot, alerts: list[tuple[KubeObject, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Where each alert's runbook_url points: the collector's RunbookLinks fact (repo snapshots, which
    know every file of the repository), else resolved here against the repository's Documents."""
    for fact in repo(ev, "RunbookLinks"):
        links = (fact.spec or {}).get("links")
        if isinstance(links, list):
            return [link for link in links if isinstance(link, dict)]
    paths = RepoPaths([d.name for d in repo(ev, "Document")])
    out = []
    for item, rule in alerts:
        url = str((rule.get("annotations") or {}).get("runbook_url") or "").strip()
        if rule.get("values") and rule.get("runbook_url"):  # its URL reached the RunbookLinks fact only
            out.append({"rule": item.ref, "alert": str(rule["alert"]), "url": None, "outcome": UNCLASSIFIED,
                        "target": None})
        elif url:
            outcome, target = link_outcome(url, paths, None)
            out.append({"rule": item.ref, "alert": str(rule["alert"]), "url": url, "outcome": outcome,
                        "target": target})
    return out


@check("obs_alert_runbooks")
def alert_runbooks(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Every alert's runbook_url resolves to a file of this repository (partial: the share).

    A URL resolves in any case, with or without ``.md``, to a folder's README/index, or under Hugo's
    ``content/``; the reason says how many alerts carry a runbook_url, how many resolve, and where
    the others point (a file missing here, another repository, a placeholder, another site).
    """
    if blind := _rules_unreadable(ev):
        return blind
    if ev.unreadable((REPO_GROUP, "Document")):
        return unknown("the repository's documents could not be read")
    alerts = _alerts(ev)
    if not alerts:
        return failed("no alert rules, so no alert has a runbook")
    aside = {i.ref for i in _chart_installers(ev) if i.declared and condition(i)}  # their alerts are not counted
    links = [link for link in _runbook_links(ev, alerts) if link.get("rule") not in aside]
    resolved = [link for link in links if link.get("outcome") == "resolves"]
    linked = {str(link.get("alert")) for link in links}
    reason = (f"{len(resolved)}/{len(alerts)} alerts have a runbook_url resolving to a file of this repository; "
              f"{len(links)} carry one")
    rest = Counter(str(link.get("outcome")) for link in links if link.get("outcome") != "resolves")
    if rest:  # "3 carry one, of which 1 points to another repository, 1 to a placeholder"
        where_ = [f"{n} {_WHERE.get(k, k)}" for k, n in rest.most_common()]
        first, n = where_[0].split(" ", 1), rest.most_common(1)[0][1]
        where_[0] = f"{first[0]} point{'s' if n == 1 else ''} {first[1]}"
        reason += ", of which " + ", ".join(where_)
    orphans = [str(r["alert"]) for _, r in alerts if str(r["alert"]) not in linked]
    unresolved = [str(link.get("alert")) for link in links if link.get("outcome") != "resolves"]
    if unresolved:  # they carry a runbook_url that does not resolve here
        reason += f"; not resolving: {listing(dict.fromkeys(unresolved), 5)}"
    if orphans:
        reason += f"; no runbook_url: {listing(dict.fromkeys(orphans), 5)}"
    targets = sorted({str(link["target"]) for link in resolved if link.get("target")})
    # With none resolving, the evidence is the rule objects whose alerts were judged.
    return fraction(len(resolved) / len(alerts), reason, targets or sorted({item.ref for item, _ in alerts}))


def _slo_services(ev: ClusterSnapshot) -> tuple[dict[str, list[str]], list[str]]:
    """service -> refs of the SLO objects covering it: Sloth PrometheusServiceLevels (CRD or a Sloth
    CLI spec stored as one) with at least one SLO, and Pyrra ServiceLevelObjectives, matched by
    their app label, their name (``api`` or ``api-...``) or a ``job``/``service`` selector."""
    found: dict[str, list[str]] = {}
    odd: list[str] = []
    for sl in ev.items(SLOTH, "PrometheusServiceLevel"):
        spec = mapping(sl, "spec", sl.spec)
        slos, service = spec.get("slos"), spec.get("service")
        if not isinstance(service, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", service):
            odd.append(f"{sl.ref} spec.service {service!r}")
        elif slos is not None and not isinstance(slos, list):
            odd.append(f"{sl.ref} spec.slos {slos!r}")
        elif slos:
            found.setdefault(service, []).append(sl.ref)
    for slo in ev.items(*PYRRA):
        names = {slo.labels.get(k) for k in ("app.kubernetes.io/name", "app", "service")} | {slo.name}
        text = json.dumps(mapping(slo, "spec", slo.spec).get("indicator"))
        names |= set(re.findall(r'(?:job|service|app)\s*=~?\s*\\?"([A-Za-z0-9_.-]+)', text))
        for name in {n for n in names if n}:
            found.setdefault(name, []).append(slo.ref)
    return found, odd


def _any_slos(ev: ClusterSnapshot, here: list[KubeObject]) -> Result:
    """obs_slos when the rubric names no critical service: the workloads ``here`` (Deployments,
    StatefulSets, DaemonSets and the HelmReleases that install them) need some SLO.

    n/a without a workload; pass naming the SLOs' services; unknown when the SLO kinds could not
    be read or an SLO is malformed; else fail (a required subject is never n/a for lack of SLOs)."""
    if not here:
        return not_applicable("no workload here, so no service needs an SLO")
    levels, odd = _slo_services(ev)
    refs = sorted({r for rs in levels.values() for r in rs})
    if levels:
        return passed(f"SLOs defined for {listing(sorted(levels))} (the rubric names no critical services: "
                      "any SLO counts)", refs)
    slo_types = ((SLOTH, "PrometheusServiceLevel"), PYRRA)
    if ev.unreadable(*slo_types):
        return unknown(f"SLOs were not fully read: {ev.gaps(*slo_types)}")
    if odd:
        return unknown(f"unreadable SLOs: {listing(odd)}")
    releases = sum(1 for w in here if w.kind == "HelmRelease")
    return failed(f"no SLO (Sloth PrometheusServiceLevel or Pyrra ServiceLevelObjective) for any of the {len(here)} "
                  "workloads here" + (f" ({releases} of them HelmReleases)" if releases else "")
                  + "; name the services that need one in thresholds critical_services")


@check("obs_slos", thresholds=CriticalServices)
def slos(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Each critical service running here has SLOs: a Sloth PrometheusServiceLevel (CRD or Sloth
    CLI spec) or a Pyrra ServiceLevelObjective (partial: the share; none runs -> n/a). Without
    critical services in the rubric, the workloads here need some SLO (``_any_slos``).

    Copies in preview namespaces (label readiness.dev/preview=true) are not the service. A Pyrra
    SLO counts for a service it names in its app label, its name (``svc`` or ``svc-...``) or a
    ``job``/``service`` selector of its indicator.
    """
    if ev.unreadable(*WORKLOAD_TYPES):
        return unknown(f"workloads could not be read, so the critical services cannot be seen: "
                       f"{ev.gaps(*WORKLOAD_TYPES)}")
    previews = {n.name for n in ev.items("", "Namespace") if n.labels.get(PREVIEW_LABEL) == "true"}
    if not cfg["critical_services"]:  # no service named: SLOs are still required where services run
        return _any_slos(ev, [w for w in workloads(ev) if w.namespace not in previews]
                         + [h for h in ev.items(HELM, "HelmRelease") if h.namespace not in previews])
    services = [s for s in cfg["critical_services"] if any(w.namespace not in previews for w in running(ev, [s]))]
    if not services:
        return not_applicable(f"none of the critical services runs here ({', '.join(cfg['critical_services'])})")
    levels, odd = _slo_services(ev)
    for name, refs in list(levels.items()):  # Pyrra names like api-availability count for api
        for s in services:
            if name.startswith(f"{s}-") and s not in levels:
                levels[s] = refs
    covered = [s for s in services if s in levels]
    missing = [s for s in services if s not in levels]
    slo_types = ((SLOTH, "PrometheusServiceLevel"), PYRRA)
    if missing and ev.unreadable(*slo_types):
        return unknown(f"{len(covered)}/{len(services)} critical services seen with SLOs; SLOs were not fully "
                       f"read: {ev.gaps(*slo_types)}", [r for s in covered for r in levels[s]])
    if missing and odd:
        return unknown(f"{len(covered)}/{len(services)} critical services seen with SLOs; unreadable: "
                       f"{listing(odd)}", [r for s in covered for r in levels[s]])
    reason = f"{len(covered)}/{len(services)} critical services running here have SLOs"
    reason += f"; none for {', '.join(missing)}" if missing else f" ({', '.join(covered)})"
    return fraction(len(covered) / len(services), reason, [r for s in covered for r in levels[s]])


@check("obs_incident_management", thresholds=IncidentFacts)
def incident_management(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Every fact of the rubric's list (PagerDuty contract, a test alert that paged) is attested and valid."""
    if not cfg["facts"]:
        return not_applicable("the rubric names no incident-management facts")
    results = {fact: attested(ev, fact, fact.replace("_", " ")) for fact in cfg["facts"]}
    evidence = [ref for r in results.values() for ref in r.evidence if ref]
    missing = [f for f, r in results.items() if r.status == "fail"]
    expired = [f for f, r in results.items() if r.status == "unknown"]
    if missing:
        return failed(f"not attested: {', '.join(missing)}"
                      + (f"; expired: {', '.join(expired)}" if expired else ""), evidence)
    if expired:
        return unknown("; ".join(results[f].reason for f in expired), evidence)
    return passed("; ".join(r.reason for r in results.values()), evidence)
