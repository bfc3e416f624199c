"""Observability checks: metrics, dashboards, logs, traces, collectors, alerting, runbooks, SLOs, paging."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from readiness.checks.base import (
    Config,
    Evidence,
    Item,
    Result,
    check,
    failed,
    fraction,
    not_applicable,
    passed,
    unknown,
)
from readiness.checks.common import REPO_GROUP, WORKLOAD_KINDS, attested, listing, repo, running
from readiness.repofacts import RepoPaths, link_outcome

MONITORING = "monitoring.coreos.com"
VICTORIA = "operator.victoriametrics.com"
SLOTH = "sloth.slok.dev"
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


_WHERE = {"missing-here": "to a file missing here", "other-repository": "to another repository",
          "placeholder": "to a placeholder", "external": "to another site"}


def _runbook_links(ev: Evidence, alerts: list[tuple[Item, dict[str, Any]]]) -> list[dict[str, Any]]:
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
        if url:
            outcome, target = link_outcome(url, paths, None)
            out.append({"rule": item.ref, "alert": str(rule["alert"]), "url": url, "outcome": outcome,
                        "target": target})
    return out


@check("obs_alert_runbooks")
def alert_runbooks(ev: Evidence, cfg: Config) -> Result:
    """Every alert's runbook_url resolves to a file of this repository (partial: the share).

    A URL resolves in any case, with or without ``.md``, to a folder's README/index, or under Hugo's
    ``content/``; the reason says how many alerts carry a runbook_url, how many resolve, and where
    the rest point (a file missing here, another repository, a placeholder, another site).
    """
    if blind := _rules_unreadable(ev):
        return blind
    if ev.unreadable((REPO_GROUP, "Document")):
        return unknown("the repository's documents could not be read")
    alerts = _alerts(ev)
    if not alerts:
        return failed("no alert rules, so no alert has a runbook")
    links = _runbook_links(ev, alerts)
    resolved = [link for link in links if link.get("outcome") == "resolves"]
    linked = {str(link.get("alert")) for link in links}
    reason = (f"{len(resolved)}/{len(alerts)} alerts have a runbook_url resolving to a file of this repository; "
              f"{len(links)} carry one")
    rest = Counter(str(link.get("outcome")) for link in links if link.get("outcome") != "resolves")
    if rest:
        reason += "; the rest point " + ", ".join(f"{n} {_WHERE.get(k, k)}" for k, n in rest.most_common())
    orphans = [str(r["alert"]) for _, r in alerts if str(r["alert"]) not in linked]
    unresolved = [str(link.get("alert")) for link in links if link.get("outcome") != "resolves"]
    if unresolved or orphans:
        reason += f"; without: {listing(unresolved + orphans, 5)}"
    targets = sorted({str(link["target"]) for link in resolved if link.get("target")})
    return fraction(len(resolved) / len(alerts), reason, targets)


@check("obs_slos")
def slos(ev: Evidence, cfg: Config) -> Result:
    """Each critical service running here has a Sloth PrometheusServiceLevel (partial: the share; none runs -> n/a).

    Copies in preview namespaces (label readiness.dev/preview=true) are not the service.
    """
    if ev.unreadable(*WORKLOAD_TYPES):
        return unknown("workloads could not be read, so the critical services cannot be seen")
    previews = {n.name for n in ev.items("", "Namespace") if n.labels.get(PREVIEW_LABEL) == "true"}
    services = [s for s in cfg["critical_services"] if any(w.namespace not in previews for w in running(ev, [s]))]
    if not services:
        return not_applicable(f"none of the critical services runs here ({', '.join(cfg['critical_services'])})")
    if ev.unreadable((SLOTH, "PrometheusServiceLevel")):
        return unknown("Sloth PrometheusServiceLevels could not be read")
    levels = {str((sl.spec or {}).get("service")): sl for sl in ev.items(SLOTH, "PrometheusServiceLevel")
              if (sl.spec or {}).get("slos")}
    covered = [s for s in services if s in levels]
    missing = [s for s in services if s not in levels]
    reason = f"{len(covered)}/{len(services)} critical services running here have SLOs"
    reason += f"; none for {', '.join(missing)}" if missing else f" ({', '.join(covered)})"
    return fraction(len(covered) / len(services), reason, [levels[s].ref for s in covered])


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
