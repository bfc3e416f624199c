"""When each piece of the homelab's Phase 1 lands in the demo fleet, in weeks after 2025-11-07.

Week 0 is the assessment's own snapshot; week w is the Friday at the end of plan week w.
Most work packages land in their planned window; WP2's restore test on three clusters, WP3's
SLOs and WP7's coverage target land late, so the burndown has something to show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

CLUSTERS = ("air", "pro", "studio", "pi", "forge")
ROLES = {
    "air": "experimental",
    "pro": "development",
    "studio": "production",
    "pi": "edge",
    "forge": "gpu",
}
FIRST_DAY = date(2025, 11, 7)
WEEKS = 18  # 2025-11-07 .. 2026-03-06
COLLECT_TIME = (12, 30)


def collected_at(week: int) -> datetime:
    """When the demo's weekly snapshot ``week`` was taken (UTC)."""
    d = FIRST_DAY + timedelta(weeks=week)
    return datetime(d.year, d.month, d.day, *COLLECT_TIME, tzinfo=UTC)


def snapshot_id(week: int) -> str:
    """The id of the demo's snapshot ``week``: ``demo-`` and its ``collected_at`` (``%Y%m%dT%H%MZ``)."""
    return f"demo-{collected_at(week):%Y%m%dT%H%MZ}"


# Per-cluster landing weeks.
ESO = {"air": 0, "pro": 0, "studio": 0, "pi": 0, "forge": 1}  # WP1: forge joins in week 1
VELERO = {"studio": 2, "pro": 2, "air": 3, "pi": 3, "forge": 3}  # WP2
RESTORE_TESTED = {"studio": 3, "pro": 3, "air": 5, "pi": 5, "forge": 5}  # WP2, late on three
RESTORE_EVERY_WEEKS = 4
OFFSITE = {"studio": 14}  # Phase 2 work started on studio only
NODE_PRESSURE_UNTIL = {"pi": 2}  # pi-3's disk fills up until week 2

# Fleet-wide landing weeks.
ALERTMANAGER = 3  # WP3
ALERTS_FIRST = 3  # 8 of the 15 named alerts
ALERTS_ALL = 4
PAGERDUTY_RECEIVER = 4
SLOS = 6  # WP3, two weeks late
CI_BUILD_TEST = 5  # WP4
CI_DEPLOY = 6
TRIVY_OPERATOR = 6  # WP5
TRIVY_IN_CI = 7
CRITICALS_FIXED = 7
SMOKE_TESTS = 7  # WP6
PREVIEW_ENVS = 8
CANARY = 8
RENOVATE = 7
SAST = 99  # Phase 2: the assessment's 'SAST' gap stays open after Phase 1
INTEGRATION_TESTS = 11  # WP7, late (planned week 10)
E2E_TESTS = 11  # WP8
LOAD_TESTS = 11
CHAOS_FIRST = 11  # WP9
CHAOS_ALL = 12
TROUBLESHOOTING = 99  # Phase 2: troubleshooting guides are not part of the 204 hours
NETPOL_SHARE = ((0, 0.6), (5, 0.8), (8, 1.0))  # share of app namespaces with a policy
RUNBOOKS_TESTED = 11  # the game day

# WP7: unit coverage reported by CI, by week (planned to reach 80% in week 10).
COVERAGE = {9: 0.45, 10: 0.58, 11: 0.71, 12: 0.82, 13: 0.84}

# A certificate on pi fails to renew in week 7 and is fixed in week 8.
CERT_TROUBLE = ("pi", 7)
# A HelmRelease on air fails to upgrade in week 10.
HELM_TROUBLE = ("air", 10)
# Backups that did not complete: (cluster, week, schedule, phase).
BACKUP_TROUBLE = (
    ("studio", 7, "daily", "PartiallyFailed"),
    ("pi", 9, "hourly", "Failed"),
    ("forge", 12, "daily", "Failed"),
)

# Runbooks: (week written, file stem, title, alerts it answers).
RUNBOOKS = (
    (3, "disaster-recovery", "Disaster recovery: restore a cluster from Velero", ()),
    (3, "backup-failed", "Backup failed", ("BackupFailed",)),
    (4, "incident-response", "Incident response procedures", ()),
    (4, "node-not-ready", "Node not ready", ("NodeNotReady",)),
    (4, "pod-crashloop", "Pod in CrashLoopBackOff", ("PodCrashLoopBackOff",)),
    (4, "certificate-expiring", "Certificate expiring soon", ("CertificateExpiringSoon",)),
    (5, "high-cpu", "High CPU usage", ("HighCPUUsage",)),
    (5, "high-memory", "High memory usage", ("HighMemoryUsage",)),
    (6, "pvc-almost-full", "PersistentVolumeClaim almost full", ("PVCAlmostFull",)),
    (6, "linkerd-gateway-down", "Linkerd multicluster gateway down", ("LinkerdGatewayDown",)),
    (7, "security-incident", "Security incident response", ()),
    (7, "external-secrets-down", "External Secrets Operator down", ("ExternalSecretsOperatorDown",)),
    (8, "high-error-rate", "High error rate", ("HighErrorRate",)),
    (9, "high-latency", "High latency", ("HighLatency",)),
    (10, "pod-not-ready", "Pod not ready", ("PodNotReady",)),
    (10, "disk-pressure", "Node disk pressure", ("DiskPressure",)),
    (12, "memory-pressure", "Node memory pressure", ("MemoryPressure",)),
    (12, "network-errors", "Network errors", ("NetworkErrors",)),
    (14, "cluster-upgrade", "Maintenance: upgrading a cluster", ()),
    (14, "deployment-procedure", "Deployment procedure", ()),
)

# The 15 alert rules WP3 asks for: (name, expression, severity).
ALERTS = (
    ("HighCPUUsage", "instance:node_cpu_utilisation:rate5m > 0.8", "warning"),
    ("HighMemoryUsage", "instance:node_memory_utilisation:ratio > 0.85", "warning"),
    ("PodCrashLoopBackOff", 'kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"} > 0', "critical"),
    ("PVCAlmostFull", "kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > 0.8", "warning"),
    ("CertificateExpiringSoon", "certmanager_certificate_expiration_timestamp_seconds - time() < 30*86400", "warning"),
    ("BackupFailed", "increase(velero_backup_failure_total[1h]) > 0", "critical"),
    ("LinkerdGatewayDown", 'up{job="linkerd-gateway"} == 0', "critical"),
    ("ExternalSecretsOperatorDown", 'up{job="external-secrets"} == 0', "critical"),
    ("HighErrorRate", "sum(rate(http_requests_total{code=~'5..'}[5m])) / sum(rate(http_requests_total[5m]))"
     " > 0.05", "critical"),
    ("HighLatency", "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"
     " > 1", "warning"),
    ("PodNotReady", 'kube_pod_status_ready{condition="false"} == 1', "warning"),
    ("NodeNotReady", 'kube_node_status_condition{condition="Ready",status="true"} == 0', "critical"),
    ("DiskPressure", 'kube_node_status_condition{condition="DiskPressure",status="true"} == 1', "warning"),
    ("MemoryPressure", 'kube_node_status_condition{condition="MemoryPressure",status="true"} == 1', "warning"),
    ("NetworkErrors", "rate(node_network_receive_errs_total[5m]) > 0", "warning"),
)

CHAOS_EXPERIMENTS: tuple[tuple[int, str, str, dict[str, Any]], ...] = (
    (11, "PodChaos", "pod-failure", {"action": "pod-failure", "duration": "60s"}),
    (11, "NetworkChaos", "latency-100ms", {"action": "delay", "delay": {"latency": "100ms"}}),
    (11, "StressChaos", "cpu-80", {"stressors": {"cpu": {"workers": 2, "load": 80}}}),
    (11, "StressChaos", "memory-90", {"stressors": {"memory": {"workers": 1, "size": "90%"}}}),
    (12, "NetworkChaos", "latency-500ms", {"action": "delay", "delay": {"latency": "500ms"}}),
    (12, "NetworkChaos", "latency-1s", {"action": "delay", "delay": {"latency": "1s"}}),
    (12, "NetworkChaos", "partition", {"action": "partition", "direction": "both"}),
    (12, "StressChaos", "cpu-95", {"stressors": {"cpu": {"workers": 2, "load": 95}}}),
    (12, "IOChaos", "disk-fill-85", {"action": "fault", "percent": 85}),
    (12, "TimeChaos", "clock-skew", {"timeOffset": "-10m"}),
)

# Applications per cluster: namespace -> deployments.
APPS: dict[str, dict[str, tuple[str, ...]]] = {
    "air": {"playground": ("playground-api",), "agent-sandbox": ("agent-sandbox",)},
    "pro": {"agents-dev": ("agent-bruno-dev", "agent-auditor-dev"), "api-dev": ("homelab-api-dev",)},
    "studio": {
        "agent-bruno": ("agent-bruno",),
        "agent-auditor": ("agent-auditor",),
        "agent-gateway": ("agent-gateway",),
        "api": ("homelab-api",),
    },
    "pi": {"edge-gateway": ("edge-gateway",), "home-automation": ("home-assistant",)},
    "forge": {"vllm": ("vllm",), "inference-gateway": ("inference-gateway",)},
}
NODES: dict[str, tuple[str, ...]] = {
    "air": ("air-1",),
    "pro": ("pro-1", "pro-2"),
    "studio": ("studio-1", "studio-2", "studio-3"),
    "pi": ("pi-1", "pi-2", "pi-3"),
    "forge": ("forge-1",),
}
CANARY_SERVICES = ("agent-bruno", "agent-auditor", "homelab-api")
SLO_SERVICES: dict[str, tuple[str, ...]] = {
    "studio": ("agent-bruno", "agent-auditor", "homelab-api"),
    "forge": ("vllm",),
}
