"""Reading backup tools' objects: schedules (``Plan``) and backup runs (``Run``), one tool each.

Tools: Velero (Schedule, Backup; also schedules declared in a Helm release's values, as the
``velero_schedules`` fact), k8up (Schedule, Backup), VolSync (ReplicationSource with a restic,
kopia or rclone mover) and CloudNativePG (ScheduledBackup, Backup; retention from the Cluster).
A field that cannot be read makes that plan's ``problem`` (schedules) or raises
``MalformedFieldError`` naming the object and field (runs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from readiness.assess.checks.base import ClusterSnapshot, KubeObject, mapping, timestamp
from readiness.assess.checks.cron import CronError, cadence, go_hours

VELERO = "velero.io"
K8UP = "k8up.io"
VOLSYNC = "volsync.backube"
CNPG = "postgresql.cnpg.io"
RELEASE_TYPES = (("helm.toolkit.fluxcd.io", "HelmRelease"), ("argoproj.io", "Application"))
TOOLS = ("Velero", "k8up", "VolSync", "CloudNativePG")
VOLSYNC_SOURCE = (VOLSYNC, "ReplicationSource")
PLAN_TYPES = ((VELERO, "Schedule"), (K8UP, "Schedule"), VOLSYNC_SOURCE, (CNPG, "ScheduledBackup"))
RUN_TYPES = ((VELERO, "Backup"), (K8UP, "Backup"), (CNPG, "Backup"))
VELERO_DEFAULT_TTL_HOURS = 720.0  # Velero keeps a backup 30 days unless the template says otherwise

VELERO_SCHEDULE_PHASES = ("New", "Enabled", "FailedValidation")
# Velero Backup phases (pkg/apis/velero/v1): what each says about the run.
VELERO_OK = ("Completed",)
VELERO_BAD = ("Failed", "PartiallyFailed", "FailedValidation",
              "WaitingForPluginOperationsPartiallyFailed", "FinalizingPartiallyFailed")
VELERO_RUNNING = ("New", "Queued", "ReadyToStart", "InProgress", "WaitingForPluginOperations", "Finalizing")
VELERO_IGNORED = ("Deleting",)
# restic/kopia ``retain`` and k8up ``keep*`` units, in hours.
KEEP_UNITS = {"hourly": 1.0, "daily": 24.0, "weekly": 168.0, "monthly": 744.0, "yearly": 8784.0}
CNPG_RETENTION = re.compile(r"^([1-9][0-9]*)([dwm])$")


@dataclass(frozen=True)
class Plan:
    """One backup schedule: how often it runs (``hours``), how long it keeps (``keep_hours``, None:
    no expiry), whether it is enabled, and ``problem`` when a field could not be read."""

    tool: str
    ref: str
    name: str
    schedule: str
    hours: float | None
    keep_hours: float | None
    enabled: bool
    problem: str | None = None
    declared_in: str | None = None


@dataclass(frozen=True)
class Run:
    """One backup: ``outcome`` ok, bad, running, ignored (Deleting) or unreadable (a phase not
    known); ``when`` it finished (else started)."""

    tool: str
    item: KubeObject
    phase: str
    outcome: str
    when: datetime | None

    @property
    def label(self) -> str:
        """How a reason names the backup: the tool, then the backup object's name."""
        return f"{self.tool} {self.item.name}"


def age_text(delta: timedelta) -> str:
    """``45 min``, ``3.5 h``, ``2.1 days``."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def _plan(tool: str, ref: str, name: str, schedule: Any, keep: float | None, enabled: Any,
          problem: str | None = None, declared_in: str | None = None) -> Plan:
    """A Plan, with ``problem`` set when the schedule or the enabled flag cannot be read."""
    hours = None
    if not isinstance(enabled, bool):
        problem = problem or f"paused/suspended flag is {enabled!r}, not true or false"
        enabled = False
    if not isinstance(schedule, str) or not schedule.strip():
        problem = problem or f"schedule is {schedule!r}, not a cron expression"
    else:
        try:
            hours = cadence(schedule).hours
        except CronError as err:
            problem = problem or f"schedule {err}"
    return Plan(tool, ref, name, str(schedule), hours, keep, enabled, problem, declared_in)


def _flag(value: Any) -> Any:
    """A paused/suspend flag: None is false; 'true'/'false' strings are read; anything else is returned."""
    if value is None:
        return False
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _keep(values: dict[str, Any], prefix: str, every_hours: float | None) -> tuple[float | None, str | None]:
    """Longest retention of restic-style ``retain``/k8up ``keep*`` counts: (hours, problem)."""
    longest = None
    for key, raw in values.items():
        unit = key.removeprefix(prefix).lower()
        if unit in KEEP_UNITS or unit == "last":
            if isinstance(raw, bool) or not isinstance(raw, int):
                return None, f"retention {key} is {raw!r}, not a count"
            hours = raw * KEEP_UNITS.get(unit, every_hours or 0.0)
        elif unit == "within":
            if not isinstance(raw, str) or not re.fullmatch(r"(\d+[ymdh])+", raw):
                return None, f"retention within is {raw!r}, not a duration like 30d"
            hours = _restic_within(raw)
        else:
            continue
        longest = hours if longest is None else max(longest, hours)
    return longest, None


def _restic_within(text: str) -> float:
    """restic's ``--keep-within`` (``1y2m3d4h``) in hours."""
    units = {"y": 8784.0, "m": 744.0, "d": 24.0, "h": 1.0}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([ymdh])", text))


def _velero_plans(ev: ClusterSnapshot) -> list[Plan]:
    out = []
    for s in ev.items(VELERO, "Schedule"):
        spec = mapping(s, "spec", s.spec)
        template = mapping(s, "spec.template", spec.get("template"))
        ttl = template.get("ttl")
        keep = VELERO_DEFAULT_TTL_HOURS if ttl is None else go_hours(ttl) if isinstance(ttl, str) else None
        problem = None if keep is not None else f"spec.template.ttl is {ttl!r}, not a Go duration"
        paused = _flag(spec.get("paused"))
        phase = mapping(s, "status", s.status).get("phase") or "Enabled"
        if phase not in VELERO_SCHEDULE_PHASES:
            problem = problem or f"status.phase is {phase!r}, not one of {', '.join(VELERO_SCHEDULE_PHASES)}"
        enabled = paused if not isinstance(paused, bool) else (not paused and phase == "Enabled")
        out.append(_plan("Velero", s.ref, s.name, spec.get("schedule"), keep, enabled, problem))
    for rtype in RELEASE_TYPES:
        for rel in ev.items(*rtype):
            declared = rel.facts.get("velero_schedules")
            for i, d in enumerate(declared if isinstance(declared, list) else []):
                if not isinstance(d, dict):
                    continue
                ttl = d.get("ttl")
                keep = VELERO_DEFAULT_TTL_HOURS if ttl is None else go_hours(ttl) if isinstance(ttl, str) else None
                problem = None if keep is not None else f"schedule {i} ttl is {ttl!r}, not a Go duration"
                paused = _flag(d.get("paused"))
                enabled = paused if not isinstance(paused, bool) else not paused
                out.append(_plan("Velero", rel.ref, str(d.get("name") or f"schedule {i}"), d.get("schedule"),
                                 keep, enabled, problem, declared_in=rel.ref))
    return out


def _k8up_plans(ev: ClusterSnapshot) -> list[Plan]:
    out = []
    for s in ev.items(K8UP, "Schedule"):
        spec = mapping(s, "spec", s.spec)
        backup = mapping(s, "spec.backup", spec.get("backup"))
        if not backup:
            continue  # a Schedule of checks or prunes only
        schedule = backup.get("schedule")
        every = _every(schedule)
        retention = mapping(s, "spec.prune.retention", mapping(s, "spec.prune", spec.get("prune")).get("retention"))
        keep, problem = _keep(retention, "keep", every) if retention else (None, None)
        out.append(_plan("k8up", s.ref, s.name, schedule, keep, True, problem))
    return out


def _every(schedule: Any) -> float | None:
    try:
        return cadence(schedule).hours if isinstance(schedule, str) else None
    except CronError:
        return None


def _volsync_plans(ev: ClusterSnapshot) -> list[Plan]:
    out = []
    for s in ev.items(*VOLSYNC_SOURCE):
        spec = mapping(s, "spec", s.spec)
        mover = next((m for m in ("restic", "kopia", "rclone") if m in spec), None)
        if mover is None:
            continue  # rsync movers replicate to another cluster: not a backup
        schedule = mapping(s, "spec.trigger", spec.get("trigger")).get("schedule")
        if schedule is None:
            continue  # manual or continuous trigger: no schedule to judge
        retain = mapping(s, f"spec.{mover}.retain", mapping(s, f"spec.{mover}", spec.get(mover)).get("retain"))
        keep, problem = _keep(retain, "", _every(schedule)) if retain else (None, None)
        out.append(_plan("VolSync", s.ref, s.name, schedule, keep, _negate(_flag(spec.get("paused"))), problem))
    return out


def _negate(flag: Any) -> Any:
    return not flag if isinstance(flag, bool) else flag


def _cnpg_plans(ev: ClusterSnapshot) -> list[Plan]:
    clusters = {(c.namespace, c.name): c for c in ev.items(CNPG, "Cluster")}
    out = []
    for s in ev.items(CNPG, "ScheduledBackup"):
        spec = mapping(s, "spec", s.spec)
        cluster_name = mapping(s, "spec.cluster", spec.get("cluster")).get("name")
        cluster = clusters.get((s.namespace, str(cluster_name)))
        keep, problem = None, None
        if cluster is None:
            problem = f"retention is set on Cluster {s.namespace}/{cluster_name}, which was not collected"
        else:
            backup = mapping(cluster, "spec.backup", mapping(cluster, "spec", cluster.spec).get("backup"))
            policy = backup.get("retentionPolicy")
            found = CNPG_RETENTION.match(policy) if isinstance(policy, str) else None
            if policy is not None and not found:
                problem = f"{cluster.ref} spec.backup.retentionPolicy is {policy!r}, not like 30d"
            elif found:
                keep = int(found.group(1)) * {"d": 24.0, "w": 168.0, "m": 744.0}[found.group(2)]
        out.append(_plan("CloudNativePG", s.ref, s.name, spec.get("schedule"), keep,
                         _negate(_flag(spec.get("suspend"))), problem))
    return out


def plans(ev: ClusterSnapshot) -> list[Plan]:
    """Every backup schedule of every tool, observed or declared in a Helm release (a new list; worked out once
    per snapshot, as several backup checks ask)."""
    return list(ev.shared("backup plans", _plans))


def _plans(ev: ClusterSnapshot) -> list[Plan]:
    return _velero_plans(ev) + _k8up_plans(ev) + _volsync_plans(ev) + _cnpg_plans(ev)


def declared_locations(ev: ClusterSnapshot) -> list[tuple[str, str]]:
    """(release ref, location name) of Velero storage locations declared in Helm releases' values."""
    out = []
    for rtype in RELEASE_TYPES:
        for rel in ev.items(*rtype):
            found = rel.facts.get("velero_backup_storage_locations")
            for d in found if isinstance(found, list) else []:
                if isinstance(d, dict):
                    out.append((rel.ref, str(d.get("name") or "default")))
    return out


def _velero_runs(ev: ClusterSnapshot, stuck: timedelta | None) -> list[Run]:
    out = []
    for b in ev.items(VELERO, "Backup"):
        st = mapping(b, "status", b.status)
        phase = st.get("phase") or "New"
        if not isinstance(phase, str):
            phase = str(phase)
        started = timestamp(b, "status.startTimestamp", st.get("startTimestamp"))
        when = timestamp(b, "status.completionTimestamp", st.get("completionTimestamp")) or started
        if when is None:  # expiration counts from the start: start = expiration - ttl
            expires = timestamp(b, "status.expiration", st.get("expiration"))
            ttl = mapping(b, "spec", b.spec).get("ttl")
            hours = go_hours(ttl) if isinstance(ttl, str) else VELERO_DEFAULT_TTL_HOURS if ttl is None else None
            when = expires - timedelta(hours=hours) if expires and hours is not None else None
        if phase in VELERO_OK:
            outcome = "ok"
        elif phase in VELERO_BAD:
            outcome = "bad"
        elif phase in VELERO_RUNNING:
            outcome = "running"
            if stuck is not None and started is not None and ev.collected_at - started > stuck:
                outcome, phase = "bad", f"{phase} for {age_text(ev.collected_at - started)} (stuck)"
        elif phase in VELERO_IGNORED:
            outcome = "ignored"
        else:
            outcome = "unreadable"  # templated, or a phase this version does not know
        out.append(Run("Velero", b, phase, outcome, when))
    return out


def _condition(item: KubeObject, kind: str) -> dict[str, Any] | None:
    conds = mapping(item, "status", item.status).get("conditions")
    for c in conds if isinstance(conds, list) else []:
        if isinstance(c, dict) and c.get("type") == kind:
            return c
    return None


def _k8up_runs(ev: ClusterSnapshot) -> list[Run]:
    out = []
    for b in ev.items(K8UP, "Backup"):
        st = mapping(b, "status", b.status)
        done = _condition(b, "Completed")
        if done is not None and str(done.get("status")) not in ("True", "False", "Unknown"):
            out.append(Run("k8up", b, f"Completed={done.get('status')!r}", "unreadable", None))
        elif done is not None and str(done.get("status")) == "True":
            when = timestamp(b, "status.conditions[Completed].lastTransitionTime", done.get("lastTransitionTime"))
            reason = done.get("reason")
            outcome = {"Succeeded": "ok", "Failed": "bad"}.get(str(reason), "unreadable")
            out.append(Run("k8up", b, str(reason or "Completed"), outcome, when))
        elif st.get("finished") is True:  # k8up before 2.0: started/finished/failed flags, no times
            out.append(Run("k8up", b, "Failed" if st.get("failed") else "Finished",
                           "bad" if st.get("failed") else "ok", None))
        else:
            out.append(Run("k8up", b, "Running", "running", None))
    return out


def _cnpg_runs(ev: ClusterSnapshot) -> list[Run]:
    out = []
    for b in ev.items(CNPG, "Backup"):
        st = mapping(b, "status", b.status)
        phase = str(st.get("phase") or "pending")
        when = (timestamp(b, "status.stoppedAt", st.get("stoppedAt"))
                or timestamp(b, "status.startedAt", st.get("startedAt")))
        outcome = {"completed": "ok", "failed": "bad", "walArchivingFailing": "bad", "pending": "running",
                   "started": "running", "running": "running", "finalizing": "running"}.get(phase, "unreadable")
        out.append(Run("CloudNativePG", b, phase, outcome, when))
    return out


def _volsync_runs(ev: ClusterSnapshot) -> list[Run]:
    out = []
    for s in ev.items(*VOLSYNC_SOURCE):
        st = mapping(s, "status", s.status)
        synced = timestamp(s, "status.lastSyncTime", st.get("lastSyncTime"))
        if synced is not None:
            out.append(Run("VolSync", s, "synced", "ok", synced))
    return out


def runs(ev: ClusterSnapshot, stuck: timedelta | None) -> list[Run]:
    """Every backup run of every tool; Velero runs in progress past ``stuck`` count as failed."""
    return _velero_runs(ev, stuck) + _k8up_runs(ev) + _cnpg_runs(ev) + _volsync_runs(ev)
