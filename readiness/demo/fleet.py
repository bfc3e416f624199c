"""The demo fleet's Kubernetes objects: what ``kubectl get -o json`` would show each week."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

from readiness.demo import timeline as t
from readiness.store.schema import REDACTED

Obj = dict[str, Any]


def _ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _seed(*parts: object) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def obj(
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None = None,
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    spec: Any = None,
    status: Any = None,
) -> Obj:
    """One demo object in the shape the collector stores: ``api_version``, ``kind``, ``namespace`` (None
    when cluster-scoped), ``name``, ``labels``, ``annotations``, ``spec`` and ``status`` (``{}`` when unset)."""
    return {
        "api_version": api_version,
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "labels": labels or {},
        "annotations": annotations or {},
        "spec": spec if spec is not None else {},
        "status": status if status is not None else {},
    }


def _cond(kind: str, ok: bool = True, reason: str = "", message: str = "",
          at: datetime | None = None) -> dict[str, str]:
    c = {"type": kind, "status": "True" if ok else "False", "reason": reason or ("Succeeded" if ok else "Failed")}
    if message:
        c["message"] = message
    if at:
        c["lastTransitionTime"] = _ts(at)
    return c


def workload(kind: str, name: str, ns: str, *, replicas: int = 1, ready: int | None = None,
             app: str | None = None, env: tuple[str, ...] = ("LOG_LEVEL",), flux: str = "apps",
             resources: dict[str, Any] | None = None) -> Obj:
    """A Deployment, StatefulSet or DaemonSet (``kind``) of the demo's image ``ghcr.io/homelab/<name>``: ``replicas``
    wanted (a DaemonSet's scheduled pods), ``ready`` of them (default: all), env var values redacted, labelled with
    its app name and the Flux Kustomization ``flux`` that applies it; a Deployment gets an Available condition."""
    ready = replicas if ready is None else ready
    container = {
        "name": name,
        "image": f"ghcr.io/homelab/{name}:1.4.2",
        "env": [{"name": e, "value": REDACTED} for e in env],
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
    }
    if resources:
        container["resources"] = resources
    labels = {"app.kubernetes.io/name": app or name, "kustomize.toolkit.fluxcd.io/name": flux}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
    status: dict[str, Any]
    if kind == "DaemonSet":
        spec = {"selector": {"matchLabels": labels}, "template": template}
        status = {"desiredNumberScheduled": replicas, "numberReady": ready, "numberAvailable": ready}
    else:
        spec = {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template}
        status = {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready}
        if kind == "Deployment":
            status["conditions"] = [_cond("Available", ready >= replicas, "MinimumReplicasAvailable")]
    return obj("apps/v1", kind, name, ns, labels=labels, spec=spec, status=status)


def nodes(cluster: str, week: int, at: datetime) -> list[Obj]:
    """The cluster's Nodes (``timeline.NODES``): all Ready; the third reports DiskPressure until
    ``timeline.NODE_PRESSURE_UNTIL``; pi's are arm64 with 4 CPUs and 8Gi, forge's carry 2 GPUs."""
    out = []
    for i, name in enumerate(t.NODES[cluster]):
        pressure = cluster in t.NODE_PRESSURE_UNTIL and week <= t.NODE_PRESSURE_UNTIL[cluster] and i == 2
        labels = {"kubernetes.io/hostname": name, "kubernetes.io/arch": "arm64" if cluster == "pi" else "amd64"}
        capacity = {"cpu": "4" if cluster == "pi" else "16", "memory": "8Gi" if cluster == "pi" else "64Gi"}
        if cluster == "forge":
            labels["nvidia.com/gpu.present"] = "true"
            capacity["nvidia.com/gpu"] = "2"
        conds = [
            _cond("Ready", True, "KubeletReady", "kubelet is posting ready status"),
            _cond("MemoryPressure", False, "KubeletHasSufficientMemory"),
            _cond("DiskPressure", pressure, "KubeletHasDiskPressure" if pressure else "KubeletHasNoDiskPressure"),
            _cond("PIDPressure", False, "KubeletHasSufficientPID"),
        ]
        out.append(obj("v1", "Node", name, labels=labels, spec={},
                       status={"conditions": conds, "capacity": capacity,
                               "nodeInfo": {"kubeletVersion": "v1.31.4+k3s1", "osImage": "Debian GNU/Linux 12"}}))
    return out


def added_components(cluster: str, week: int) -> list[tuple[str, str]]:
    """(namespace, Helm release) of each component the timeline has installed on ``cluster`` by ``week``,
    in order of arrival (the namespaces and the HelmReleases follow the same timeline)."""
    added = []
    if week >= t.ESO[cluster]:
        added.append(("external-secrets", "external-secrets"))
    if week >= t.VELERO.get(cluster, 99):
        added.append(("velero", "velero"))
    if week >= t.TRIVY_OPERATOR:
        added.append(("trivy-system", "trivy-operator"))
    if cluster == "studio" and week >= t.CANARY:
        added.append(("flagger-system", "flagger"))
    if cluster == "pro" and week >= t.CHAOS_FIRST:
        added.append(("chaos-mesh", "chaos-mesh"))
    return added


def system_namespaces(cluster: str, week: int) -> list[str]:
    """The names of the cluster's platform namespaces in ``week``, each added in the week ``timeline`` says
    its component lands (air's two preview namespaces change every week)."""
    ns = ["kube-system", "flux-system", "monitoring", "cert-manager", "linkerd", "linkerd-multicluster", "minio"]
    ns += [namespace for namespace, _ in added_components(cluster, week)]
    if cluster == "air" and week >= t.PREVIEW_ENVS:
        ns += [f"preview-pr-{n}" for n in (41 + week, 42 + week)]
    return ns


def namespaces(cluster: str, week: int) -> list[Obj]:
    """The cluster's Namespaces: the platform's (``system_namespaces``, previews labelled
    ``readiness.dev/preview``) and the apps' (``timeline.APPS``, Linkerd injection enabled)."""
    out = []
    for ns in system_namespaces(cluster, week):
        labels = {"kubernetes.io/metadata.name": ns}
        if ns.startswith("preview-"):
            labels["readiness.dev/preview"] = "true"
        out.append(obj("v1", "Namespace", ns, labels=labels, status={"phase": "Active"}))
    for ns in t.APPS[cluster]:
        out.append(obj("v1", "Namespace", ns, labels={"kubernetes.io/metadata.name": ns, "homelab.dev/tier": "app"},
                       annotations={"linkerd.io/inject": "enabled"}, status={"phase": "Active"}))
    return out


def platform(cluster: str, week: int) -> list[Obj]:
    """Workloads of the platform: observability, GitOps, mesh, storage, operators."""
    w = [
        workload("Deployment", "source-controller", "flux-system", flux="flux-system"),
        workload("Deployment", "kustomize-controller", "flux-system", flux="flux-system"),
        workload("Deployment", "helm-controller", "flux-system", flux="flux-system"),
        workload("Deployment", "prometheus-operator", "monitoring", app="kube-prometheus-stack-operator"),
        workload("StatefulSet", "prometheus-kube-prometheus-prometheus", "monitoring", app="prometheus"),
        workload("Deployment", "grafana", "monitoring"),
        workload("StatefulSet", "loki", "monitoring"),
        workload("StatefulSet", "tempo", "monitoring"),
        workload("DaemonSet", "alloy", "monitoring", replicas=len(t.NODES[cluster])),
        workload("Deployment", "kube-state-metrics", "monitoring"),
        workload("Deployment", "cert-manager", "cert-manager"),
        workload("Deployment", "linkerd-destination", "linkerd"),
        workload("Deployment", "linkerd-identity", "linkerd"),
        workload("Deployment", "linkerd-proxy-injector", "linkerd"),
        workload("Deployment", "linkerd-gateway", "linkerd-multicluster"),
        workload("StatefulSet", "minio", "minio", env=("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD")),
    ]
    if week >= t.ESO[cluster]:
        w.append(workload("Deployment", "external-secrets", "external-secrets"))
    if week >= t.VELERO.get(cluster, 99):
        w.append(workload("Deployment", "velero", "velero", env=("AWS_SHARED_CREDENTIALS_FILE",)))
        w.append(workload("DaemonSet", "node-agent", "velero", replicas=len(t.NODES[cluster])))
    if week >= t.ALERTMANAGER:
        w.append(workload("StatefulSet", "alertmanager-main", "monitoring", app="alertmanager"))
    if week >= t.TRIVY_OPERATOR:
        w.append(workload("Deployment", "trivy-operator", "trivy-system"))
    if cluster == "studio" and week >= t.CANARY:
        w.append(workload("Deployment", "flagger", "flagger-system"))
    if cluster == "pro" and week >= t.CHAOS_FIRST:
        w.append(workload("Deployment", "chaos-controller-manager", "chaos-mesh"))
    return w


def apps(cluster: str, week: int) -> list[Obj]:
    """The Deployments of the cluster's apps (``timeline.APPS``; two replicas on studio, a GPU for vLLM) and
    air's preview deployments once previews land."""
    out = []
    for ns, deployments in t.APPS[cluster].items():
        for d in deployments:
            gpu = {"limits": {"nvidia.com/gpu": "1"}} if d == "vllm" else None
            out.append(workload("Deployment", d, ns, replicas=2 if cluster == "studio" else 1,
                                env=("LOG_LEVEL", "OPENAI_API_KEY"), resources=gpu))
    if cluster == "air" and week >= t.PREVIEW_ENVS:
        for ns in system_namespaces(cluster, week):
            if ns.startswith("preview-"):
                out.append(workload("Deployment", "homelab-api", ns, flux="previews"))
    return out


def flux(cluster: str, week: int, at: datetime) -> list[Obj]:
    """Flux on the cluster: the GitRepository (revision varying by week, fetched at ``at``), the three
    Kustomizations of ``clusters/<cluster>/`` and the HelmReleases of the components landed by ``week``."""
    ks = "kustomize.toolkit.fluxcd.io/v1"
    hr = "helm.toolkit.fluxcd.io/v2"
    out = [
        obj("source.toolkit.fluxcd.io/v1", "GitRepository", "flux-system", "flux-system",
            spec={"url": "ssh://git@github.com/brunolucena/homelab", "ref": {"branch": "main"}, "interval": "1m"},
            status={"conditions": [_cond("Ready", True, "Succeeded")],
                    "artifact": {"revision": f"main@sha1:{_seed(cluster, week):08x}", "lastUpdateTime": _ts(at)}}),
    ]
    for name in ("flux-system", "infrastructure", "apps"):
        out.append(obj(ks, "Kustomization", name, "flux-system",
                       spec={"path": f"./clusters/{cluster}/{name}", "prune": True, "interval": "10m"},
                       status={"conditions": [_cond("Ready", True, "ReconciliationSucceeded")]}))
    releases = ["kube-prometheus-stack", "loki", "tempo", "alloy", "grafana", "cert-manager", "linkerd-control-plane",
                "linkerd-multicluster", "minio"]
    releases += [release for _, release in added_components(cluster, week)]
    for name in releases:
        broken = (cluster, week) == t.HELM_TROUBLE and name == "loki"
        cond = (_cond("Ready", False, "UpgradeFailed", "Helm upgrade failed: timed out waiting for the condition")
                if broken else _cond("Ready", True, "UpgradeSucceeded"))
        out.append(obj(hr, "HelmRelease", name, "flux-system",
                       spec={"chart": {"spec": {"chart": name, "sourceRef": {"kind": "HelmRepository"}}},
                             "interval": "30m"},
                       status={"conditions": [cond]}))
    return out


def mesh(cluster: str) -> list[Obj]:
    """Linkerd multicluster: a Link (no status, as in Linkerd) and a service mirror per peer."""
    out = []
    for other in t.CLUSTERS:
        if other == cluster:
            continue
        out.append(obj("multicluster.linkerd.io/v1alpha1", "Link", other, "linkerd-multicluster",
                       spec={"targetClusterName": other, "gatewayAddress": f"gateway.{other}.homelab.internal",
                             "gatewayPort": "4143", "clusterCredentialsSecret": f"cluster-credentials-{other}"}))
        mirror = workload("Deployment", f"linkerd-service-mirror-{other}", "linkerd-multicluster",
                          app="service-mirror", flux="infrastructure")
        mirror["labels"]["mirror.linkerd.io/cluster-name"] = other
        out.append(mirror)
    return out


def certificates(cluster: str, week: int, at: datetime) -> list[Obj]:
    """Two cert-manager Certificates with 30-89 days left at ``at`` (the one in ``timeline.CERT_TROUBLE``
    has 18 days and a failed ACME challenge) and their ClusterIssuer."""
    out = []
    for name in ("ingress-tls", "wildcard-homelab"):
        trouble = (cluster, week) == t.CERT_TROUBLE and name == "ingress-tls"
        # cert-manager renews 30 days before expiry: a healthy certificate has 30..90 days left.
        days_left = 18 if trouble else 30 + (_seed(cluster, name, week) % 60)
        not_after = at + timedelta(days=days_left)
        cond = (_cond("Ready", False, "Failed", "ACME challenge failed: DNS record not found") if trouble
                else _cond("Ready", True, "Ready", "Certificate is up to date and has not expired"))
        out.append(obj("cert-manager.io/v1", "Certificate", name, "cert-manager",
                       spec={"secretName": f"{name}-secret", "dnsNames": [f"*.{cluster}.homelab.dev"],
                             "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}},
                       status={"conditions": [cond], "notAfter": _ts(not_after),
                               "renewalTime": _ts(not_after - timedelta(days=30))}))
    out.append(obj("cert-manager.io/v1", "ClusterIssuer", "letsencrypt",
                   spec={"acme": {"server": "https://acme-v02.api.letsencrypt.org/directory"}},
                   status={"conditions": [_cond("Ready", True, "ACMEAccountRegistered")]}))
    return out


def secrets_management(cluster: str, week: int, at: datetime) -> list[Obj]:
    """External Secrets once it lands (``timeline.ESO``): a ClusterSecretStore and one synced ExternalSecret per
    app namespace, refreshed 17 minutes before ``at``; nothing before."""
    if week < t.ESO[cluster]:
        return []
    api = "external-secrets.io/v1beta1"
    out = [obj(api, "ClusterSecretStore", "github",
               spec={"provider": {"github": {"appID": "1", "installationID": "2"}}},
               status={"conditions": [_cond("Ready", True, "Valid", "store validated")], "capabilities": "ReadOnly"})]
    for ns in t.APPS[cluster]:
        out.append(obj(api, "ExternalSecret", f"{ns}-secrets", ns,
                       spec={"secretStoreRef": {"name": "github", "kind": "ClusterSecretStore"},
                             "refreshInterval": "1h", "target": {"name": f"{ns}-secrets"}},
                       status={"conditions": [_cond("Ready", True, "SecretSynced", "Secret was synced")],
                               "refreshTime": _ts(at - timedelta(minutes=17))}))
    return out


def network_policies(cluster: str, week: int) -> list[Obj]:
    """A default-deny NetworkPolicy in the week's share (``timeline.NETPOL_SHARE``) of the app namespaces;
    on pi at most one (its home automation needs host networking and is waived)."""
    share = max(s for w, s in t.NETPOL_SHARE if week >= w)
    namespaces = list(t.APPS[cluster])
    covered = round(share * len(namespaces))
    if cluster == "pi":  # home-automation needs host networking: waived, see waivers.yaml
        covered = min(covered, 1)
    return [
        obj("networking.k8s.io/v1", "NetworkPolicy", "default-deny", ns,
            spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
        for ns in namespaces[:covered]
    ]


def observability(cluster: str, week: int, at: datetime) -> list[Obj]:
    """The Prometheus Operator objects: Prometheus, a recording rule and ServiceMonitors always; then, as
    ``timeline`` lands them, the plan's alerts (8 first, then all, each with a runbook URL), Alertmanager and its
    AlertmanagerConfig (a PagerDuty receiver later) and Sloth SLOs for ``timeline.SLO_SERVICES``."""
    mon = "monitoring.coreos.com/v1"
    out = [
        obj(mon, "Prometheus", "kube-prometheus-prometheus", "monitoring",
            spec={"retention": "15d", "replicas": 1},
            status={"conditions": [_cond("Available", True), _cond("Reconciled", True)], "availableReplicas": 1}),
        obj(mon, "PrometheusRule", "kube-prometheus-k8s-rules", "monitoring",
            spec={"groups": [{"name": "k8s.rules", "rules": [
                {"record": "namespace:container_cpu_usage_seconds_total:sum_rate",
                 "expr": "sum by (namespace) (rate(container_cpu_usage_seconds_total[5m]))"}]}]}),
    ]
    for name in ("kube-state-metrics", "node-exporter", "linkerd", "flux", "cert-manager"):
        out.append(obj(mon, "ServiceMonitor", name, "monitoring", spec={"endpoints": [{"port": "http-metrics"}]}))
    if week >= t.ALERTS_FIRST:
        alerts = t.ALERTS if week >= t.ALERTS_ALL else t.ALERTS[:8]
        base = "https://github.com/brunolucena/homelab/blob/main/docs/runbooks"
        rules = [
            {"alert": name, "expr": expr, "for": "5m", "labels": {"severity": sev},
             "annotations": {"summary": f"{name} on {{{{ $labels.instance }}}}",
                             "runbook_url": f"{base}/{_runbook_for(name)}.md"}}
            for name, expr, sev in alerts
        ]
        out.append(obj(mon, "PrometheusRule", "homelab-alerts", "monitoring",
                       labels={"release": "kube-prometheus-stack"},
                       spec={"groups": [{"name": "homelab", "rules": rules}]}))
    if week >= t.ALERTMANAGER:
        out.append(obj(mon, "Alertmanager", "main", "monitoring", spec={"replicas": 1},
                       status={"conditions": [_cond("Available", True), _cond("Reconciled", True)],
                               "availableReplicas": 1}))
        receivers: list[dict[str, Any]] = [{"name": "null"}]
        if week >= t.PAGERDUTY_RECEIVER:
            receivers.append({"name": "pagerduty-critical",
                              "pagerdutyConfigs": [{"routingKey": {"name": "pagerduty", "key": "routing-key"},
                                                    "severity": "critical"}]})
        route = {"receiver": receivers[-1]["name"], "groupBy": ["alertname", "cluster"]}
        out.append(obj("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig", "homelab", "monitoring",
                       spec={"route": route, "receivers": receivers}))
    if week >= t.SLOS:
        for svc in t.SLO_SERVICES.get(cluster, ()):
            out.append(obj("sloth.slok.dev/v1", "PrometheusServiceLevel", svc, "monitoring",
                           spec={"service": svc, "slos": [
                               {"name": "requests-availability", "objective": 99.5,
                                "sli": {"events": {"errorQuery": "...", "totalQuery": "..."}}},
                               {"name": "requests-latency", "objective": 99.0,
                                "sli": {"events": {"errorQuery": "...", "totalQuery": "..."}}}]},
                           status={"promOpCRDeployed": True, "processedSLOs": 2,
                                   "lastPromOpSyncTime": _ts(at)}))
    return out


def _runbook_for(alert: str) -> str:
    for _, stem, _, answers in t.RUNBOOKS:
        if alert in answers:
            return stem
    return alert.lower()


def velero(cluster: str, week: int, at: datetime) -> list[Obj]:
    """Velero once it lands (``timeline.VELERO``): the local and later the off-site BackupStorageLocation,
    hourly and daily Schedules (weekly from the next week), their Backups up to ``at`` and a restore test
    every ``timeline.RESTORE_EVERY_WEEKS`` weeks from ``timeline.RESTORE_TESTED``; nothing before."""
    start = t.VELERO.get(cluster)
    if start is None or week < start:
        return []
    api = "velero.io/v1"
    out = [obj(api, "BackupStorageLocation", "default", "velero",
               spec={"provider": "aws", "default": True,
                     "objectStorage": {"bucket": f"velero-{cluster}"},
                     "config": {"region": "minio", "s3Url": "http://minio.minio:9000", "s3ForcePathStyle": "true"}},
               status={"phase": "Available", "lastSyncedTime": _ts(at - timedelta(seconds=41)),
                       "lastValidationTime": _ts(at - timedelta(seconds=53))})]
    if week >= t.OFFSITE.get(cluster, 99):
        out.append(obj(api, "BackupStorageLocation", "offsite", "velero",
                       labels={"readiness.dev/offsite": "true"},
                       spec={"provider": "aws", "objectStorage": {"bucket": f"homelab-offsite-{cluster}"},
                             "config": {"region": "eu-central-003",
                                        "s3Url": "https://s3.eu-central-003.backblazeb2.com"}},
                       status={"phase": "Available", "lastSyncedTime": _ts(at - timedelta(minutes=3)),
                               "lastValidationTime": _ts(at - timedelta(minutes=3))}))
    schedules = [("hourly", "0 * * * *", "24h0m0s"), ("daily", "0 2 * * *", "168h0m0s")]
    # WP2's weekly schedule came with the restore test, a week after the first daily backups.
    if week >= start + 1:
        schedules.append(("weekly", "0 3 * * 0", "720h0m0s"))
    for name, cron, ttl in schedules:
        out.append(obj(api, "Schedule", name, "velero",
                       spec={"schedule": cron, "template": {"ttl": ttl, "includedNamespaces": ["*"],
                                                            "storageLocation": "default"}},
                       status={"phase": "Enabled", "lastBackup": _ts(_last_run(cron, at))}))
    installed = t.collected_at(start) - timedelta(days=3)
    out += _backups(cluster, week, at, installed, schedules)
    # The first restore test lands with WP2; after that the runbook repeats it every four weeks.
    for tested in range(t.RESTORE_TESTED[cluster], week + 1, t.RESTORE_EVERY_WEEKS):
        restored_at = t.collected_at(tested) - timedelta(days=1, hours=4)
        source = f"daily-{restored_at:%Y%m%d}020000"
        out.append(obj(api, "Restore", "restore-test-" + restored_at.strftime("%Y%m%d"), "velero",
                       spec={"backupName": source, "includedNamespaces": ["restore-test"],
                             "namespaceMapping": {"agent-bruno": "restore-test"}, "restorePVs": True},
                       status={"phase": "Completed", "startTimestamp": _ts(restored_at),
                               "completionTimestamp": _ts(restored_at + timedelta(minutes=14)),
                               "progress": {"itemsRestored": 69, "totalItems": 69}, "warnings": 2}))
    return out


def _last_run(cron: str, at: datetime) -> datetime:
    minute, hour, _, _, dow = cron.split()
    cur = at.replace(second=0, microsecond=0, minute=int(minute))
    if cur > at:
        cur -= timedelta(hours=1)
    if hour != "*":
        cur = cur.replace(hour=int(hour))
        if cur > at:
            cur -= timedelta(days=1)
    if dow != "*":
        while (cur.isoweekday() % 7) != int(dow):
            cur -= timedelta(days=1)
    return cur


def _backups(cluster: str, week: int, at: datetime, installed: datetime,
             schedules: list[tuple[str, str, str]]) -> list[Obj]:
    out = []
    for name, cron, ttl in schedules:
        step, keep = {"hourly": (timedelta(hours=1), 24), "daily": (timedelta(days=1), 7),
                      "weekly": (timedelta(weeks=1), 4)}[name]
        run = _last_run(cron, at)
        for _ in range(keep):
            if run < installed:
                break
            started = run + timedelta(seconds=2)
            items = 180 + _seed(cluster, name, run) % 400
            phase = "Completed"
            trouble = [p for c, w, s, p in t.BACKUP_TROUBLE if (c, w, s) == (cluster, week, name)]
            if trouble and run == _last_run(cron, at) - step:
                phase = trouble[0]
            hours = int(ttl.split("h")[0])
            status = {
                "phase": phase, "startTimestamp": _ts(started),
                "completionTimestamp": _ts(started + timedelta(seconds=40 + items // 5)),
                "expiration": _ts(started + timedelta(hours=hours)),
                "formatVersion": "1.1.0", "version": 1,
                "progress": {"itemsBackedUp": items if phase == "Completed" else items // 2, "totalItems": items},
            }
            if phase != "Completed":
                status["errors"] = 3
                status["failureReason"] = "error getting backup store: timed out" if phase == "Failed" else ""
            if items % 7 == 0:
                status["warnings"] = 1
            out.append(obj("velero.io/v1", "Backup", f"{name}-{run:%Y%m%d%H%M%S}", "velero",
                           labels={"velero.io/schedule-name": name, "velero.io/storage-location": "default"},
                           spec={"ttl": ttl, "includedNamespaces": ["*"], "storageLocation": "default"},
                           status=status))
            run -= step
    return out


def security(cluster: str, week: int, at: datetime) -> list[Obj]:
    """Trivy VulnerabilityReports per app Deployment (critical findings until ``timeline.CRITICALS_FIXED``),
    studio's Flagger Canaries and pro's Chaos Mesh experiments, each from the week ``timeline`` says."""
    out = []
    if week >= t.TRIVY_OPERATOR:
        for ns, deployments in t.APPS[cluster].items():
            for d in deployments:
                critical = 0
                if week < t.CRITICALS_FIXED + (0 if cluster == "studio" else 1):
                    critical = _seed(cluster, d) % 3
                high = 2 + _seed(d, week) % 5
                report = {"artifact": {"repository": f"homelab/{d}", "tag": "1.4.2"},
                          "scanner": {"name": "Trivy", "version": "0.58.1"},
                          "updateTimestamp": _ts(at - timedelta(hours=5)),
                          "summary": {"criticalCount": critical, "highCount": high, "mediumCount": 11,
                                      "lowCount": 23, "unknownCount": 0}}
                out.append(obj("aquasecurity.github.io/v1alpha1", "VulnerabilityReport",
                               f"replicaset-{d}-{d}", ns,
                               labels={"trivy-operator.resource.kind": "ReplicaSet",
                                       "trivy-operator.container.name": d},
                               status={"report": report}))
    if cluster == "studio" and week >= t.CANARY:
        for svc in t.CANARY_SERVICES:
            ns = {"homelab-api": "api"}.get(svc, svc)
            out.append(obj("flagger.app/v1beta1", "Canary", svc, ns,
                           spec={"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": svc},
                                 "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10,
                                              "metrics": [{"name": "request-success-rate", "thresholdRange":
                                                           {"min": 99}}]}},
                           status={"phase": "Succeeded", "canaryWeight": 0, "failedChecks": 0,
                                   "conditions": [_cond("Promoted", True, "Succeeded")]}))
    if cluster == "pro" and week >= t.CHAOS_FIRST:
        for landed, kind, name, spec in t.CHAOS_EXPERIMENTS:
            if week >= landed:
                out.append(obj("chaos-mesh.org/v1alpha1", kind, name, "chaos-mesh",
                               spec={**spec, "mode": "one", "selector": {"namespaces": ["agents-dev"]}},
                               status={"experiment": {"desiredPhase": "Stop"},
                                       "conditions": [{"type": "AllRecovered", "status": "True"}]}))
    return out


def storage(cluster: str) -> list[Obj]:
    """Bound PersistentVolumeClaims: 10Gi for the first Deployment of each app namespace, 200Gi for MinIO."""
    out = []
    for ns, deployments in t.APPS[cluster].items():
        out.append(obj("v1", "PersistentVolumeClaim", f"{deployments[0]}-data", ns,
                       spec={"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}},
                             "storageClassName": "local-path"},
                       status={"phase": "Bound", "capacity": {"storage": "10Gi"}}))
    out.append(obj("v1", "PersistentVolumeClaim", "minio-data", "minio",
                   spec={"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "200Gi"}}},
                   status={"phase": "Bound", "capacity": {"storage": "200Gi"}}))
    return out


def cluster_objects(cluster: str, week: int) -> list[Obj]:
    """Everything the demo's cluster ``cluster`` shows in week ``week``."""
    at = t.collected_at(week)
    return (
        nodes(cluster, week, at)
        + namespaces(cluster, week)
        + platform(cluster, week)
        + apps(cluster, week)
        + flux(cluster, week, at)
        + mesh(cluster)
        + certificates(cluster, week, at)
        + secrets_management(cluster, week, at)
        + network_policies(cluster, week)
        + observability(cluster, week, at)
        + velero(cluster, week, at)
        + security(cluster, week, at)
        + storage(cluster)
    )
