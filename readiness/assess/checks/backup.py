"""Backup & DR checks: Velero, k8up, VolSync and CloudNativePG schedules and backups, storage, restores.

Each backup tool is named as itself in the reasons; nothing is reported as Velero that is not.
How the tools' objects are read (schedules, runs) lives in ``readiness.assess.checks.backuptools``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from readiness.assess.checks.backuptools import (
    PLAN_TYPES,
    RELEASE_TYPES,
    RUN_TYPES,
    TOOLS,
    VELERO,
    VOLSYNC_SOURCE,
    Plan,
    Run,
    age_text,
    declared_locations,
    plans,
    runs,
)
from readiness.assess.checks.base import (
    CheckThresholds,
    ClusterSnapshot,
    Result,
    check,
    failed,
    fraction,
    mapping,
    not_applicable,
    passed,
    timestamp,
    unknown,
)
from readiness.assess.checks.common import (
    REPO_GROUP,
    WORKLOAD_KINDS,
    attested,
    blind_spots,
    component,
    declared,
    declared_only,
    listing,
    missing_part,
    recovery_targets,
    repo,
    runbook_about,
    running,
    where,
    workload_present,
)
from readiness.assess.checks.thresholds import Regex

WORKLOAD_TYPES = tuple(("apps", k) for k in WORKLOAD_KINDS)
BSL = (VELERO, "BackupStorageLocation")
RESTORE_PHASES = ("New", "InProgress", "WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed",
                  "Finalizing", "FinalizingPartiallyFailed", "Completed", "PartiallyFailed", "Failed",
                  "FailedValidation", None, "")


@dataclass(frozen=True)
class LocationAvailable:
    """backup_location_available: how old a BackupStorageLocation's last validation may be."""

    max_validation_age_hours: float = 24


@dataclass(frozen=True)
class DailySchedule:
    """backup_schedule_daily: the longest interval between runs and the shortest retention, in hours."""

    max_interval_hours: float = 24
    min_ttl_hours: float = 168


@dataclass(frozen=True)
class WeeklySchedule:
    """backup_schedule_weekly: the longest interval between runs and the shortest retention, in hours."""

    max_interval_hours: float = 168
    min_ttl_hours: float = 720


@dataclass(frozen=True)
class RecentSuccess:
    """backup_recent_success: the recovery point objective, in hours."""

    rpo_hours: float = 1


@dataclass(frozen=True)
class SuccessRate:
    """backup_success_rate: the window (days), the share of finished backups that must have
    completed (0..1), and the hours after which a backup still running counts as stuck."""

    window_days: float = 7
    min_rate: float = 1.0
    stuck_after_hours: float = 24


@dataclass(frozen=True)
class RestoreTested:
    """backup_restore_tested: the age in days of the newest completed restore."""

    max_age_days: float = 90


@dataclass(frozen=True)
class RtoRpoTargets:
    """backup_rto_rpo_declared: the targets the attested (or documented) RTO and RPO must meet, in hours, and
    the share of the score targets earn when every document declaring them says it is a draft (proposed,
    not adopted)."""

    max_rto_hours: float = 4
    max_rpo_hours: float = 1
    draft_score: float = 0.5


@dataclass(frozen=True)
class DrRunbook:
    """backup_dr_runbook: what a DR runbook's path or title matches (case-insensitive)."""

    pattern: Regex = r"disaster|recovery|restore|\bdr\b"


def _phase(ev: ClusterSnapshot, item_status: object) -> str:
    return str((item_status if isinstance(item_status, dict) else {}).get("phase") or "")


def _observed_only(ev: ClusterSnapshot, what: str) -> Result:
    """On a repository snapshot: what ran is observed only in a cluster (never a fail for its absence)."""
    schedules = plans(ev)
    declared = f"; {len(schedules)} backup schedule(s) declared" if schedules else "; no backup schedule declared"
    return unknown(f"{what} are observed only in a cluster, not in a repository{declared}",
                   [p.ref for p in schedules])


@check("backup_storage_available")
def storage_available(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Object storage for backups: an Available Velero BackupStorageLocation, or a MinIO workload.

    On a repository snapshot, a location declared (a BackupStorageLocation object, or one in a Velero
    release's values) is the declared evidence: availability is observed only in a cluster. Where k8up,
    VolSync or CloudNativePG take the backups and nothing of Velero is here, no MinIO is no evidence: their
    storage is configuration readiness does not model (``_kept_elsewhere``), so unknown naming it.
    """
    bsl = [b for b in ev.items(*BSL) if _phase(ev, b.status) == "Available"]
    if bsl:
        return passed(f"backup storage location {bsl[0].name} is Available", [b.ref for b in bsl])
    if declared_only(ev):
        places = [(b.ref, b.name) for b in ev.items(*BSL)] + declared_locations(ev)
        if places:
            refs = list(dict.fromkeys(r for r, _ in places))
            return passed(f"backup storage location {listing(n for _, n in places)} declared in {listing(refs)} "
                          "(availability is observed only in a cluster)", refs)
    result = workload_present(ev, "object storage (MinIO)", ["minio"])
    if result.status == "fail" and ev.unreadable(BSL):
        return unknown(f"no MinIO running and BackupStorageLocations not fully read: {ev.gaps(BSL)}")
    if result.status == "fail" and not ev.items(*BSL) and (kept := _kept_elsewhere(ev)) is not None:
        return unknown(f"no MinIO or Velero location here, but backups are taken by {kept[0]}: whether that storage "
                       "is there and available is not modelled; whether backups reach it shows in "
                       "backup_recent_success", kept[1])
    return result


# The operators of the backup tools other than Velero, by the names their charts and workloads carry.
OTHER_TOOL_APPS = {"k8up": "k8up", "volsync": "VolSync", "cloudnative-pg": "CloudNativePG"}


def _other_tool(ev: ClusterSnapshot) -> tuple[str, list[str]] | None:
    """(how a reason names it, evidence) of a backup tool other than Velero that this cluster uses: a
    schedule of k8up, VolSync or CloudNativePG, else its operator running or declared; None without one."""
    others = [p for p in plans(ev) if p.tool != "Velero"]
    if others:
        return f"{others[0].tool} (schedule {others[0].name})", [p.ref for p in others]
    apps = list(OTHER_TOOL_APPS)
    found = running(ev, apps) or declared(ev, apps)
    if found:
        tool = next((OTHER_TOOL_APPS[a] for a in apps if a in found[0].name.lower()), found[0].name)
        cited = where(found[0]) if found[0].declared else found[0].ref
        return f"{tool} ({cited})", [cited]
    return None


# Where each backup tool other than Velero keeps its backups: configuration readiness does not model (the
# sanitizer keeps none of it: repository URLs, buckets and endpoints are redacted, and live in Secrets).
STORED_IN = {
    "k8up": "the backend of its Schedule (spec.backend: S3, B2, Azure, GCS, REST, local)",
    "CloudNativePG": "the object store or volume snapshots its Cluster's spec.backup names",
}


def _kept_elsewhere(ev: ClusterSnapshot) -> tuple[str, list[str]] | None:
    """When a backup tool other than Velero takes the backups and nothing of Velero is here (``_other_tool``,
    ``_velero_used``): ("<tool> (schedule x), which keeps them in <where>", evidence), naming VolSync's movers
    (restic or kopia repository, rclone destination, each named in a Secret); else None."""
    other = _other_tool(ev)
    if other is None or _velero_used(ev):
        return None
    tool = other[0].split(" (", 1)[0]
    if tool == "VolSync":
        movers = sorted({m for s in ev.items(*VOLSYNC_SOURCE) if isinstance(s.spec, dict)
                         for m in ("restic", "kopia", "rclone") if m in s.spec})
        fields = {"restic": "spec.restic.repository", "kopia": "spec.kopia.repository",
                  "rclone": "spec.rclone.rcloneConfig"}
        stored = (f"the {' and '.join(movers)} repositor{'ies' if len(movers) > 1 else 'y'} its ReplicationSources "
                  f"name (a Secret: {', '.join(fields[m] for m in movers)})" if movers else
                  "the repository its ReplicationSources name (a Secret)")
    else:
        stored = STORED_IN.get(tool, "storage of its own")
    return f"{other[0]}, which keeps them in {stored}", other[1]


def _velero_used(ev: ClusterSnapshot) -> bool:
    """Whether anything of Velero is here: its server running or declared, a velero.io object, or a
    Velero schedule or storage location declared in a Helm release's values."""
    return bool(running(ev, ["velero"]) or declared(ev, ["velero"]) or any(p.tool == "Velero" for p in plans(ev))
                or declared_locations(ev) or any(ev.items(VELERO, k) for k in ("Schedule", "Backup",
                                                                               "BackupStorageLocation")))


@check("backup_velero_installed")
def velero_installed(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Velero's server runs (any namespace: OADP uses openshift-adp). Not applicable where the cluster's
    backups are another tool's (k8up, VolSync, CloudNativePG) and nothing of Velero is there: Velero is
    one backup tool of several, never one to install beside a working one."""
    found = running(ev, ["velero"])
    if found:
        return passed(f"Velero running: {found[0].ref}", [w.ref for w in found])
    if (other := _other_tool(ev)) and not _velero_used(ev):
        return not_applicable(f"backups are taken by {other[0]}, not Velero")
    if declared_only(ev):  # a repository: Velero is declared (HelmRelease, Application, manifest) or not
        return component(ev, "Velero", ["velero"])
    if ev.unreadable(*WORKLOAD_TYPES):
        return unknown(f"no velero workload seen, but workloads were not fully read: {ev.gaps(*WORKLOAD_TYPES)}")
    if ev.items(VELERO, "Schedule") or ev.items(*BSL):
        return failed("Velero objects exist but the velero server is not running",
                      [i.ref for i in ev.items(*BSL)])
    return failed("Velero is not installed (no velero workload, no velero.io objects)")


@check("backup_location_available", thresholds=LocationAvailable)
def location_available(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A Velero BackupStorageLocation is Available and was validated within the threshold."""
    if ev.unreadable(BSL):
        return unknown(f"BackupStorageLocations could not be read: {ev.gaps(BSL)}")
    locations = ev.items(*BSL)
    if not locations:
        places = declared_locations(ev)
        if places:
            return unknown(f"backup storage location {places[0][1]} is declared in {places[0][0]}, "
                           "but its availability was not observed", [d[0] for d in places])
        if (other := _other_tool(ev)) and not _velero_used(ev):
            return not_applicable(f"backups are taken by {other[0]}, which has no Velero BackupStorageLocation; "
                                  "whether its backups reach their storage shows in backup_recent_success")
        return failed("no BackupStorageLocation")
    limit = timedelta(hours=cfg["max_validation_age_hours"])
    unobserved = []
    for b in locations:
        st = mapping(b, "status", b.status)
        validated = timestamp(b, "status.lastValidationTime", st.get("lastValidationTime"))
        if st.get("phase") == "Available" and validated and ev.collected_at - validated <= limit:
            return passed(f"{b.name} Available, validated {age_text(ev.collected_at - validated)} ago", [b.ref])
        if st.get("phase") not in ("Available", "Unavailable"):
            unobserved.append(b)
    if len(unobserved) == len(locations):
        phase = mapping(unobserved[0], "status", unobserved[0].status).get("phase")
        what = "has no status: declared, availability not observed" if not unobserved[0].status else (
            f"has status.phase {phase!r}, not Available or Unavailable")
        return unknown(f"BackupStorageLocation {unobserved[0].name} {what}", [b.ref for b in unobserved])
    worst = next(b for b in locations if b not in unobserved)
    st = mapping(worst, "status", worst.status)
    message = " ".join(str(st.get("message") or "").split())[:120]
    return failed(f"{worst.name} is {st.get('phase') or 'in no phase'}, last validated "
                  f"{st.get('lastValidationTime') or 'never'}" + (f": {message}" if message else ""),
                  [b.ref for b in locations])


def _plan_text(p: Plan) -> str:
    keep = "keeping all" if p.keep_hours is None else f"keeping {p.keep_hours:g}h"
    where = f", declared in {p.declared_in}" if p.declared_in else ""
    return f"{p.tool} {p.name} ({p.schedule}, {keep}{where})"


def _schedule_check(ev: ClusterSnapshot, cfg: CheckThresholds, label: str) -> Result:
    max_hours, min_keep = cfg["max_interval_hours"], cfg["min_ttl_hours"]
    found = plans(ev)
    good = [p for p in found if p.problem is None and p.enabled and p.hours is not None and p.hours <= max_hours
            and (p.keep_hours is None or p.keep_hours >= min_keep)]
    if good:
        return passed(f"{label} schedule {_plan_text(good[0])}", [p.ref for p in good])
    unsure = [p for p in found if p.problem]
    if unsure:
        return unknown(f"no readable {label} schedule; {unsure[0].ref}: {unsure[0].problem}",
                       [p.ref for p in unsure])
    if ev.unreadable(*PLAN_TYPES):
        return unknown(f"no {label} schedule seen, but schedules were not fully read: {ev.gaps(*PLAN_TYPES)}")
    if not found:
        blind, where_ = blind_spots(ev, *dict.fromkeys(kind for _, kind in PLAN_TYPES))
        if blind:  # a repository file that holds a schedule could not be read
            return unknown(f"no {label} schedule declared in what was read; {blind}", where_)
        return failed(f"no backup schedule (need a {label} one; looked for {', '.join(TOOLS)})")
    seen = [_plan_text(p) + ("" if p.enabled else " paused") for p in found]
    # the schedules found do not qualify; one that does could be in what a repository snapshot did not read
    return missing_part(failed(f"no enabled schedule runs at least every {max_hours:g}h keeping >= {min_keep:g}h; "
                               f"found {listing(seen)}", [p.ref for p in found]),
                        ev, f"a {label} schedule", *dict.fromkeys(kind for _, kind in PLAN_TYPES),
                        *(kind for _, kind in RELEASE_TYPES))


@check("backup_schedule_daily", thresholds=DailySchedule)
def schedule_daily(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A backup schedule (Velero, k8up, VolSync, CloudNativePG) runs at least daily and keeps backups
    for the retention threshold (7 days)."""
    return _schedule_check(ev, cfg, "daily")


@check("backup_schedule_weekly", thresholds=WeeklySchedule)
def schedule_weekly(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A backup schedule runs at least weekly and keeps backups for the retention threshold (30 days)."""
    return _schedule_check(ev, cfg, "weekly")


@check("backup_recent_success", thresholds=RecentSuccess)
def recent_success(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """The newest successful backup (Velero, k8up, CloudNativePG, VolSync sync) is younger than the RPO."""
    if declared_only(ev):
        return _observed_only(ev, "backups that ran")
    types = (*RUN_TYPES, VOLSYNC_SOURCE)
    found = runs(ev, None)
    done = [r for r in found if r.outcome == "ok" and r.when is not None and r.when <= ev.collected_at]
    odd = [r for r in found if r.outcome == "unreadable"]
    rpo = timedelta(hours=cfg["rpo_hours"])
    if done:
        newest = max(done, key=lambda r: r.when or ev.collected_at)
        age = ev.collected_at - (newest.when or ev.collected_at)
        msg = f"newest completed backup {newest.label} is {age_text(age)} old (RPO {cfg['rpo_hours']:g} h)"
        if age <= rpo:
            return passed(msg, [newest.item.ref])
        if ev.unreadable(*types):
            return unknown(f"{msg}, but backups were not fully read: {ev.gaps(*types)}", [newest.item.ref])
        if odd:
            return unknown(f"{msg}, but {_odd_text(odd)}", [r.item.ref for r in odd])
        return failed(msg, [newest.item.ref])
    if ev.unreadable(*types):
        return unknown(f"no completed backup seen, but backups were not fully read: {ev.gaps(*types)}")
    if odd:
        return unknown(f"no completed backup seen, but {_odd_text(odd)}", [r.item.ref for r in odd])
    return failed(f"no completed backup ({', '.join(TOOLS)})")


def _odd_text(odd: list[Run]) -> str:
    return "the phase of " + listing(f"{r.item.ref} ({r.phase!r})" for r in odd) + " is not one the tool defines"


@check("backup_success_rate", thresholds=SuccessRate)
def success_rate(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Share of the window's finished backups that succeeded (partial below the minimum rate).

    Backups stuck in progress longer than ``stuck_after_hours`` count as failed; failed backups
    without any timestamp (FailedValidation) count in the window; Deleting ones do not count.
    """
    if declared_only(ev):
        return _observed_only(ev, "backups that ran")
    if ev.unreadable(*RUN_TYPES):
        return unknown(f"backups were not fully read, so no rate: {ev.gaps(*RUN_TYPES)}")
    since = ev.collected_at - timedelta(days=cfg["window_days"])
    all_runs = runs(ev, timedelta(hours=cfg["stuck_after_hours"]))
    odd = [r for r in all_runs if r.outcome == "unreadable"]
    if odd:
        return unknown(f"no rate: {_odd_text(odd)}", [r.item.ref for r in odd])
    finished = [r for r in all_runs if r.outcome in ("ok", "bad") and r.tool != "VolSync"
                and ((r.when is None and r.outcome == "bad")
                     or (r.when is not None and since <= r.when <= ev.collected_at))]
    untimed = [r for r in all_runs if r.outcome == "ok" and r.when is None]
    note = f"; {len(untimed)} successful backup(s) without timestamps not counted" if untimed else ""
    if not finished:
        if untimed:
            return unknown(f"no backup with timestamps finished in the last {cfg['window_days']} days{note}",
                           [r.item.ref for r in untimed])
        return failed(f"no backup finished in the last {cfg['window_days']} days")
    bad = [r for r in finished if r.outcome == "bad"]
    rate = 1 - len(bad) / len(finished)
    reason = f"{len(finished) - len(bad)}/{len(finished)} backups of the last {cfg['window_days']} days completed"
    reason += f"; {listing(f'{r.label} {r.phase}' for r in bad)}" if bad else ""
    reason += note
    if rate >= cfg["min_rate"]:
        return passed(reason, [r.item.ref for r in finished[:1]])
    return fraction(rate / cfg["min_rate"] if cfg["min_rate"] else 1.0, reason, [r.item.ref for r in bad])


@check("backup_restore_tested", thresholds=RestoreTested)
def restore_tested(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A Velero Restore Completed within the threshold: the backups are known to restore."""
    if declared_only(ev):
        return _observed_only(ev, "restores that ran")
    limit = timedelta(days=cfg["max_age_days"])
    restores = ev.items(VELERO, "Restore")
    done = []
    for r in restores:
        st = mapping(r, "status", r.status)
        when = timestamp(r, "status.completionTimestamp", st.get("completionTimestamp"))
        if st.get("phase") == "Completed" and when and ev.collected_at - when <= limit:
            done.append((r, when))
    if done:
        r, when = max(done, key=lambda x: x[1])
        backup = mapping(r, "spec", r.spec).get("backupName")
        return passed(f"restore {r.name} of {backup} completed {when:%Y-%m-%d}", [r.ref])
    if ev.unreadable((VELERO, "Restore")):
        return unknown(f"no recent restore seen, but Velero Restores were not fully read: "
                       f"{ev.gaps((VELERO, 'Restore'))}")
    odd = [r for r in restores if mapping(r, "status", r.status).get("phase", "New") not in RESTORE_PHASES]
    if odd:
        phase = mapping(odd[0], "status", odd[0].status).get("phase")
        return unknown(f"no recent restore seen, but {odd[0].ref} has status.phase {phase!r}, not a Velero "
                       "Restore phase", [r.ref for r in odd])
    if restores:
        return failed(f"no restore completed in the last {cfg['max_age_days']} days "
                      f"({len(restores)} older or unfinished)", [r.ref for r in restores])
    return failed("no restore was ever run: backups are untested")


@check("backup_rto_rpo_declared", thresholds=RtoRpoTargets)
def rto_rpo_declared(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """RTO/RPO are declared and within the targets (``max_rto_hours``, ``max_rpo_hours``).

    A valid attestation ``rto_rpo_declared`` decides by its ``rto_hours``/``rpo_hours`` values. Without
    one, the targets the repository's documents declare decide (Document ``recovery_targets``, those not
    under planned work): pass when RTO and RPO are both declared and every declared target meets the
    thresholds; else the share of targets that do (halved when RTO or RPO is declared nowhere), naming
    the file, section, line and each target over its threshold. Neither: the attestation's finding
    (fail: none made; unknown: expired), unknown when the documents were not fully read."""
    result = attested(ev, "rto_rpo_declared", "RTO and RPO are declared")
    a = ev.attestation("rto_rpo_declared")
    if result.status == "pass" and a is not None:
        rto, rpo = a.values.get("rto_hours"), a.values.get("rpo_hours")
        if rto is None or rpo is None:
            return failed("attestation rto_rpo_declared gives no rto_hours/rpo_hours values", result.evidence)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (rto, rpo)):
            return unknown(f"attestation rto_rpo_declared: rto_hours {rto!r} / rpo_hours {rpo!r} are not numbers",
                           result.evidence)
        if rto <= cfg["max_rto_hours"] and rpo <= cfg["max_rpo_hours"]:
            return passed(f"RTO {rto:g}h, RPO {rpo:g}h declared by {a.by} on {a.made}", result.evidence)
        return failed(f"declared RTO {rto:g}h / RPO {rpo:g}h miss the targets "
                      f"{cfg['max_rto_hours']:g}h / {cfg['max_rpo_hours']:g}h", result.evidence)
    targets = recovery_targets(ev)
    declared = [(p, t) for p, t in targets if not t.get("planned")]
    if declared:
        return _documented(declared, cfg)
    if ev.unreadable((REPO_GROUP, "Document")):
        return unknown(f"{result.reason}, and the repository's documents were not fully read "
                       f"({ev.gaps((REPO_GROUP, 'Document'))}): they may declare them")
    if targets:
        return Result(result.status, result.score, f"{result.reason}; the documents only plan targets: "
                      f"{_where(targets)}", (*result.evidence, *dict.fromkeys(p for p, _ in targets)))
    if repo(ev, "Document"):
        return Result(result.status, result.score, f"{result.reason}, and no document of the repository "
                      "declares them", result.evidence)
    return result


def _hours(value: float) -> str:
    return f"{round(value, 3):g} h"


def _target(t: dict[str, Any], only: tuple[str, ...] = ("rto", "rpo")) -> str:
    said = " / ".join(f"{k.upper()} {_hours(t[f'{k}_hours'])}" for k in only if t.get(f"{k}_hours") is not None)
    return f"{t['subject']} {said}" if t.get("subject") else said


def _where(targets: list[tuple[str, dict[str, Any]]], only: tuple[str, ...] = ("rto", "rpo")) -> str:
    """``path §5.1 Backup Strategy (line 560): PostgreSQL RTO 0.5 h / RPO 1 h; ...``, per file and section."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path, t in targets:
        groups.setdefault((path, t.get("section") or ""), []).append(t)
    out = []
    for (path, section), ts in groups.items():
        where = (f" §{section}" if section[:1].isdigit() else f' section "{section}"') if section else ""
        out.append(f"{path}{where} (line {ts[0].get('line')}): {listing((_target(t, only) for t in ts), 4)}")
    return "; ".join(out)


def _documented(targets: list[tuple[str, dict[str, Any]]], cfg: CheckThresholds) -> Result:
    """The finding of the targets the documents declare (``rto_rpo_declared`` without an attestation)."""
    limit = {"rto": cfg["max_rto_hours"], "rpo": cfg["max_rpo_hours"]}
    over = [(p, t) for p, t in targets if any((t.get(f"{k}_hours") or 0) > limit[k] for k in limit)]
    missing = [k.upper() for k in limit if all(t.get(f"{k}_hours") is None for _, t in targets)]
    files = list(dict.fromkeys(p for p, _ in targets))
    reason = f"declared in {_where(targets)}"
    if over:
        reason += f"; over the targets RTO {_hours(limit['rto'])} / RPO {_hours(limit['rpo'])}: {_where(over)}"
    if missing:
        reason += f"; no {' or '.join(missing)} declared"
    if not over and not missing:
        reason += f"; every target within RTO {_hours(limit['rto'])} / RPO {_hours(limit['rpo'])}"
    drafts = list(dict.fromkeys(p for p, t in targets if t.get("draft")))
    if drafts:
        reason += (f"; {listing(drafts)} {'says it is a draft' if len(drafts) == 1 else 'say they are drafts'}: "
                   "proposed targets, not adopted ones")
    score = (len(targets) - len(over)) / len(targets) * (0.5 if missing else 1.0)
    if all(t.get("draft") for _, t in targets):  # only proposed: declared in part, never a pass
        score *= float(cfg["draft_score"])
    return fraction(score, reason, files)


@check("backup_dr_runbook", thresholds=DrRunbook)
def dr_runbook(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A runbook about disaster recovery (or restore) exists in the repository: its path or title
    matches the rubric's ``pattern``, or a document's heading treats disaster recovery (Document
    ``covers`` ``disaster_recovery``: "## Restoring a cluster from backup"); unknown when the
    repository's documents could not be read."""
    return runbook_about(ev, cfg["pattern"], "DR runbook", "no disaster recovery runbook in the repository",
                         topic="disaster_recovery")


@check("backup_offsite")
def offsite(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """An Available BackupStorageLocation marked offsite (label readiness.dev/offsite=true); without any
    location, unknown where k8up, VolSync or CloudNativePG take the backups (``_kept_elsewhere``)."""
    if ev.unreadable(BSL):
        return unknown(f"BackupStorageLocations could not be read: {ev.gaps(BSL)}")
    locations = ev.items(*BSL)
    in_values = declared_locations(ev)
    if in_values and not locations:  # declared in a release's values, where the offsite label cannot be set
        return unknown(f"backup storage location {listing(n for _, n in in_values)} declared in "
                       f"{listing(dict.fromkeys(r for r, _ in in_values))}: whether it is offsite is not recorded "
                       "there (label a BackupStorageLocation readiness.dev/offsite=true)",
                       list(dict.fromkeys(r for r, _ in in_values)))
    if not locations and (kept := _kept_elsewhere(ev)) is not None:
        return unknown(f"no Velero location, but backups are taken by {kept[0]}: whether that is offsite is not "
                       "recorded (readiness reads no repository address)", kept[1])
    off = [b for b in locations if b.labels.get("readiness.dev/offsite") == "true"]
    ok = [b for b in off if _phase(ev, b.status) == "Available"]
    if ok:
        return passed(f"offsite location {ok[0].name} is Available", [b.ref for b in ok])
    if off:
        return failed(f"offsite location {off[0].name} is not Available", [b.ref for b in off])
    return failed(f"no offsite backup location ({len(locations)} location(s), none labelled "
                  "readiness.dev/offsite=true)", [b.ref for b in locations])
