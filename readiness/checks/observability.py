"""Observability checks: metrics, dashboards, logs, traces, collectors, alerting, runbooks, SLOs, paging."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlparse

from readiness.checks.base import (
    Config,
    Evidence,
    Item,
    Result,
    check,
    failed,
    fraction,
    mapping,
    not_applicable,
    passed,
    unknown,
)
from readiness.checks.common import REPO_GROUP, WORKLOAD_KINDS, attested, documents, listing, running

MONITORING = "monitoring.coreos.com"
VICTORIA = "operator.victoriametrics.com"
SLOTH = "sloth.slok.dev"
PYRRA = ("pyrra.dev", "ServiceLevelObjective")
RULE_TYPES = ((MONITORING, "PrometheusRule"), (VICTORIA, "VMRule"))
WORKLOAD_TYPES = tuple(("apps", k) for k in WORKLOAD_KINDS)
PAGING_CONFIGS = ("pagerdutyConfigs", "opsgenieConfigs")
PREVIEW_LABEL = "readiness.dev/preview"

# Which workloads fill each role ("whichever tool fills the role"), by app name or object name.
METRICS_APPS = ("prometheus", "victoria-metrics", "victoria-metrics-single", "vmsingle", "vmagent")
LOG_STORES = ("loki", "elasticsearch", "opensearch", "victoria-logs", "victoria-logs-single", "vlsingle", "quickwit")
TRACE_STORES = ("tempo", "jaeger", "jaeger-collector", "jaeger-query", "zipkin")
COLLECTORS = ("alloy", "grafana-agent", "opentelemetry-collector", "otel-collector")
ALERTMANAGERS = ("alertmanager", "vmalertmanager")

Probe = tuple[str, str, Callable[[Item], bool]]


def _available(item: Item) -> bool:
    return item.condition("Available") is True


def _eck_ready(item: Item) -> bool:
    return (item.status or {}).get("phase") == "Ready" or (item.status or {}).get("health") in ("green", "yellow")


def _tool(ev: Evidence, role: str, apps: Iterable[str], crs: Iterable[Probe] = ()) -> Result:
    """Pass when a healthy custom resource of the role exists or a workload of ``apps`` runs."""
    apps, crs = list(apps), list(crs)
    for group, kind, healthy in crs:
        good = [i for i in ev.items(group, kind) if healthy(i)]
        if good:
            return passed(f"{role}: {kind} {listing(i.name for i in good)} healthy", [i.ref for i in good])
    found = running(ev, apps)
    if found:
        return passed(f"{role} running: {', '.join(sorted({w.ref for w in found}))}", [w.ref for w in found])
    sick = [i for group, kind, _ in crs for i in ev.items(group, kind)]
    if sick:
        return failed(f"no {role} running; {listing(i.name for i in sick)} not healthy", [i.ref for i in sick])
    if ev.unreadable(*WORKLOAD_TYPES):
        return unknown(f"workloads could not be read, so {role} cannot be seen")
    return failed(f"no {role} running (looked for {', '.join(apps)})")


@check("obs_prometheus")
def prometheus(ev: Evidence, cfg: Config) -> Result:
    """An Available monitoring.coreos.com Prometheus, or a running Prometheus / VictoriaMetrics workload."""
    return _tool(ev, "metrics collection (Prometheus)", METRICS_APPS, [(MONITORING, "Prometheus", _available)])


@check("obs_grafana")
def grafana(ev: Evidence, cfg: Config) -> Result:
    """A Grafana workload runs."""
    return _tool(ev, "Grafana", ["grafana"])


@check("obs_loki")
def loki(ev: Evidence, cfg: Config) -> Result:
    """A log store runs: Loki, or Elasticsearch / OpenSearch / VictoriaLogs (an ECK Elasticsearch that is Ready)."""
    return _tool(ev, "log store", LOG_STORES, [("elasticsearch.k8s.elastic.co", "Elasticsearch", _eck_ready)])


@check("obs_tempo")
def tempo(ev: Evidence, cfg: Config) -> Result:
    """A trace store runs: Tempo, or Jaeger / Zipkin."""
    return _tool(ev, "trace store", TRACE_STORES)


@check("obs_otel_collector")
def otel_collector(ev: Evidence, cfg: Config) -> Result:
    """A telemetry collector runs: Grafana Alloy, Grafana Agent or the OpenTelemetry Collector."""
    return _tool(ev, "telemetry collector", COLLECTORS)


@check("obs_alertmanager_running")
def alertmanager_running(ev: Evidence, cfg: Config) -> Result:
    """An Alertmanager workload runs, or a monitoring.coreos.com Alertmanager is Available."""
    return _tool(ev, "Alertmanager", ALERTMANAGERS, [(MONITORING, "Alertmanager", _available)])


def _route_receivers(route: Any) -> set[str]:
    """Every receiver a route tree sends to (the route's own and its children's)."""
    if not isinstance(route, dict):
        return set()
    out = {str(route["receiver"])} if route.get("receiver") else set()
    for child in route.get("routes") or []:
        out |= _route_receivers(child)
    return out


@check("obs_paging_receiver")
def paging_receiver(ev: Evidence, cfg: Config) -> Result:
    """An AlertmanagerConfig routes to a receiver with pagerdutyConfigs or opsgenieConfigs."""
    if ev.unreadable((MONITORING, "AlertmanagerConfig")):
        return unknown("AlertmanagerConfigs could not be read")
    configs = ev.items(MONITORING, "AlertmanagerConfig")
    global_configs = {(am.namespace, str(((am.spec or {}).get("alertmanagerConfiguration") or {}).get("name")))
                      for am in ev.items(MONITORING, "Alertmanager")}
    unrouted = []
    for c in configs:
        spec = c.spec or {}
        routed = _route_receivers(spec.get("route"))
        for r in spec.get("receivers") or []:
            kinds = [k for k in PAGING_CONFIGS if r.get(k)]
            if not kinds:
                continue
            if r.get("name") not in routed:
                unrouted.append(f"{c.name}/{r.get('name')}")
                continue
            scope = "global config of the Alertmanager" if (c.namespace, c.name) in global_configs else c.ref
            return passed(f"receiver {r.get('name')} ({kinds[0]}) routed in {scope}", [c.ref])
    if unrouted:
        return failed(f"paging receiver(s) {', '.join(unrouted)} defined but no route sends to them",
                      [c.ref for c in configs])
    if configs:
        return failed(f"no PagerDuty or Opsgenie receiver in {len(configs)} AlertmanagerConfig(s) "
                      f"({listing(i.name for i in configs)})", [c.ref for c in configs])
    return failed("no AlertmanagerConfig with a PagerDuty or Opsgenie receiver")


def _rules(ev: Evidence) -> list[tuple[Item, dict[str, Any]]]:
    """(rule object, rule) for every rule of every PrometheusRule (and VictoriaMetrics VMRule)."""
    out = []
    for group, kind in RULE_TYPES:
        for item in ev.items(group, kind):
            for g in (item.spec or {}).get("groups") or []:
                out += [(item, r) for r in g.get("rules") or [] if isinstance(r, dict)]
    return out


def _alerts(ev: Evidence) -> list[tuple[Item, dict[str, Any]]]:
    """The alerting rules (``alert:``), not the recording ones (``record:``)."""
    return [(item, r) for item, r in _rules(ev) if r.get("alert")]


def _rules_unreadable(ev: Evidence) -> Result | None:
    blind = ev.unreadable(*RULE_TYPES)
    return unknown(f"alert rules could not be read ({', '.join(blind)})") if blind else None


@check("obs_alert_rules_count")
def alert_rules_count(ev: Evidence, cfg: Config) -> Result:
    """At least min_rules alerting rules across all PrometheusRules (partial: rules / min_rules)."""
    if blind := _rules_unreadable(ev):
        return blind
    alerts = _alerts(ev)
    wanted = cfg["min_rules"]
    holders = sorted({item.ref for item, _ in alerts})
    records = len(_rules(ev)) - len(alerts)
    reason = f"{len(alerts)} alert rules of {wanted} wanted"
    reason += f" in {len(holders)} rule object(s)" if holders else ""
    reason += f" ({records} recording rule{'s' if records > 1 else ''} not counted)" if records > 0 else ""
    return fraction(len(alerts) / wanted if wanted else 1.0, reason, holders)


@check("obs_plan_alerts")
def plan_alerts(ev: Evidence, cfg: Config) -> Result:
    """The plan's named alerts exist (partial: the share present)."""
    if blind := _rules_unreadable(ev):
        return blind
    wanted = list(cfg["alerts"])
    alerts = _alerts(ev)
    have = {str(r["alert"]) for _, r in alerts}
    missing = [a for a in wanted if a not in have]
    reason = f"{len(wanted) - len(missing)}/{len(wanted)} of the plan's alerts exist"
    if missing:
        reason += f"; missing {listing(missing, 5)}"
    refs = sorted({item.ref for item, r in alerts if r["alert"] in wanted})
    return fraction(1 - len(missing) / len(wanted) if wanted else 1.0, reason, refs)


def _runbook_path(url: str, runbooks: dict[str, Item]) -> str | None:
    """The runbook Document whose path ends the URL's path (``.../blob/main/docs/x.md`` -> ``docs/x.md``)."""
    path = urlparse(url).path.strip("/")
    for name in runbooks:
        if path == name.strip("/") or path.endswith("/" + name.strip("/")):
            return name
    return None


@check("obs_alert_runbooks")
def alert_runbooks(ev: Evidence, cfg: Config) -> Result:
    """Every alert's runbook_url resolves to a runbook Document in the repository (partial: the share)."""
    if blind := _rules_unreadable(ev):
        return blind
    if ev.unreadable((REPO_GROUP, "Document")):
        return unknown("the repository's documents could not be read")
    alerts = _alerts(ev)
    if not alerts:
        return failed("no alert rules, so no alert has a runbook")
    runbooks = {d.name: d for d in documents(ev, "runbook")}
    resolved: list[str] = []  # runbook paths
    orphans: list[str] = []  # alert names
    for _, rule in alerts:
        url = str((rule.get("annotations") or {}).get("runbook_url") or "")
        doc = _runbook_path(url, runbooks) if url else None
        if doc:
            resolved.append(doc)
        else:
            orphans.append(str(rule["alert"]))
    reason = f"{len(resolved)}/{len(alerts)} alerts have a runbook_url resolving to a runbook in the repository"
    reason += f"; without: {listing(orphans, 5)}" if orphans else ""
    return fraction(len(resolved) / len(alerts), reason, sorted(set(resolved)))


def _slo_services(ev: Evidence) -> tuple[dict[str, list[str]], list[str]]:
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


@check("obs_slos")
def slos(ev: Evidence, cfg: Config) -> Result:
    """Each critical service running here has SLOs: a Sloth PrometheusServiceLevel (CRD or Sloth
    CLI spec) or a Pyrra ServiceLevelObjective (partial: the share; none runs -> n/a).

    Copies in preview namespaces (label readiness.dev/preview=true) are not the service. A Pyrra
    SLO counts for a service it names in its app label, its name (``svc`` or ``svc-...``) or a
    ``job``/``service`` selector of its indicator.
    """
    if ev.unreadable(*WORKLOAD_TYPES):
        return unknown(f"workloads could not be read, so the critical services cannot be seen: "
                       f"{ev.gaps(*WORKLOAD_TYPES)}")
    previews = {n.name for n in ev.items("", "Namespace") if n.labels.get(PREVIEW_LABEL) == "true"}
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


@check("obs_incident_management")
def incident_management(ev: Evidence, cfg: Config) -> Result:
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
