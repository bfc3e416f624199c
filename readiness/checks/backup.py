"""Backup & DR checks: Velero, its storage, schedules, backup freshness, restores, recovery targets."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from readiness.checks.base import Config, Evidence, Item, Result, check, failed, fraction, passed, unknown
from readiness.checks.common import attested, documents, running, workload_present

VELERO = "velero.io"
OK_PHASES = ("Completed",)
BAD_PHASES = ("Failed", "PartiallyFailed", "FailedValidation")


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _hours(duration: str) -> float:
    """Go duration ('168h0m0s', '30m') -> hours."""
    units = {"h": 1.0, "m": 1 / 60, "s": 1 / 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([hms])", duration or ""))


def _cron_interval_hours(cron: str) -> float | None:
    """The longest gap between runs of a 5-field cron schedule, in hours (None if unparsable)."""
    if cron.startswith("@"):
        return {"@hourly": 1.0, "@daily": 24.0, "@midnight": 24.0, "@weekly": 168.0,
                "@monthly": 744.0, "@yearly": 8784.0, "@annually": 8784.0}.get(cron)
    fields = cron.split()
    if len(fields) != 5:
        return None
    _minute, hour, dom, month, dow = fields
    if dom != "*" or month != "*":
        return 744.0 if month == "*" else 8784.0
    if dow != "*":
        return 168.0 if "," not in dow and "-" not in dow else 24.0 * 7 / max(1, len(dow.split(",")))
    if hour == "*" or hour.startswith("*/"):
        return float(hour[2:]) if hour.startswith("*/") else 1.0
    return 24.0 / len(hour.split(","))


def _velero_unreadable(ev: Evidence, *kinds: str) -> list[str]:
    return ev.unreadable(*[(VELERO, k) for k in kinds])


@check("backup_storage_available")
def storage_available(ev: Evidence, cfg: Config) -> Result:
    """Object storage for backups: a MinIO workload, or an Available BackupStorageLocation."""
    bsl = [b for b in ev.items(VELERO, "BackupStorageLocation") if (b.status or {}).get("phase") == "Available"]
    if bsl:
        return passed(f"backup storage location {bsl[0].name} is Available", [b.ref for b in bsl])
    return workload_present(ev, "object storage (MinIO)", ["minio"])


@check("backup_velero_installed")
def velero_installed(ev: Evidence, cfg: Config) -> Result:
    """Velero's server runs (any namespace: OADP uses openshift-adp)."""
    found = running(ev, ["velero"])
    if found:
        return passed(f"Velero running: {found[0].ref}", [w.ref for w in found])
    if ev.items(VELERO, "Schedule") or ev.items(VELERO, "BackupStorageLocation"):
        return failed("Velero objects exist but the velero server is not running",
                      [i.ref for i in ev.items(VELERO, "BackupStorageLocation")])
    return failed("Velero is not installed (no velero workload, no velero.io objects)")


@check("backup_location_available")
def location_available(ev: Evidence, cfg: Config) -> Result:
    """A BackupStorageLocation is Available and was validated within the threshold."""
    if _velero_unreadable(ev, "BackupStorageLocation"):
        return unknown("BackupStorageLocations could not be read")
    locations = ev.items(VELERO, "BackupStorageLocation")
    if not locations:
        return failed("no BackupStorageLocation")
    limit = timedelta(hours=cfg["max_validation_age_hours"])
    for b in locations:
        st = b.status or {}
        validated = _time(st.get("lastValidationTime"))
        if st.get("phase") == "Available" and validated and ev.collected_at - validated <= limit:
            age = ev.collected_at - validated
            return passed(f"{b.name} Available, validated {_age(age)} ago", [b.ref])
    worst = locations[0]
    st = worst.status or {}
    return failed(f"{worst.name} is {st.get('phase') or 'in no phase'}, last validated "
                  f"{st.get('lastValidationTime') or 'never'}", [b.ref for b in locations])


def _schedule_check(ev: Evidence, cfg: Config, label: str) -> Result:
    if _velero_unreadable(ev, "Schedule"):
        return unknown("Velero Schedules could not be read")
    schedules = ev.items(VELERO, "Schedule")
    if not schedules:
        return failed(f"no Velero schedule (need a {label} one)")
    good, seen = [], []
    for s in schedules:
        spec = s.spec or {}
        interval = _cron_interval_hours(str(spec.get("schedule", "")))
        ttl = _hours(str((spec.get("template") or {}).get("ttl", "720h")))  # Velero's default TTL is 30 days
        enabled = (s.status or {}).get("phase", "Enabled") == "Enabled" and not spec.get("paused")
        seen.append(f"{s.name} ({spec.get('schedule')}, ttl {ttl:g}h)")
        if enabled and interval is not None and interval <= cfg["max_interval_hours"] and ttl >= cfg["min_ttl_hours"]:
            good.append(s)
    if good:
        s = good[0]
        return passed(f"{label} schedule {s.name}: {(s.spec or {}).get('schedule')} keeping "
                      f"{_hours(str((s.spec or {}).get('template', {}).get('ttl', '720h'))):g}h", [x.ref for x in good])
    return failed(f"no enabled schedule runs at least every {cfg['max_interval_hours']:g}h keeping "
                  f">= {cfg['min_ttl_hours']:g}h; found {', '.join(seen)}", [s.ref for s in schedules])


@check("backup_schedule_daily")
def schedule_daily(ev: Evidence, cfg: Config) -> Result:
    """A schedule runs at least daily and keeps backups for the retention threshold (7 days)."""
    return _schedule_check(ev, cfg, "daily")


@check("backup_schedule_weekly")
def schedule_weekly(ev: Evidence, cfg: Config) -> Result:
    """A schedule runs at least weekly and keeps backups for the retention threshold (30 days)."""
    return _schedule_check(ev, cfg, "weekly")


def _backups(ev: Evidence) -> list[tuple[Item, datetime | None, str]]:
    out = []
    for b in ev.items(VELERO, "Backup"):
        st = b.status or {}
        when = _time(st.get("completionTimestamp")) or _time(st.get("startTimestamp"))
        out.append((b, when, str(st.get("phase") or "New")))
    return out


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


@check("backup_recent_success")
def recent_success(ev: Evidence, cfg: Config) -> Result:
    """The newest Completed backup is younger than the RPO."""
    if _velero_unreadable(ev, "Backup"):
        return unknown("Velero Backups could not be read")
    done = [(b, t) for b, t, phase in _backups(ev) if phase in OK_PHASES and t is not None and t <= ev.collected_at]
    if not done:
        return failed("no completed backup")
    newest, when = max(done, key=lambda x: x[1])
    age = ev.collected_at - when
    rpo = timedelta(hours=cfg["rpo_hours"])
    msg = f"newest completed backup {newest.name} is {_age(age)} old (RPO {cfg['rpo_hours']:g} h)"
    return passed(msg, [newest.ref]) if age <= rpo else failed(msg, [newest.ref])


@check("backup_success_rate")
def success_rate(ev: Evidence, cfg: Config) -> Result:
    """Share of the window's finished backups that Completed (partial below the minimum rate)."""
    if _velero_unreadable(ev, "Backup"):
        return unknown("Velero Backups could not be read")
    since = ev.collected_at - timedelta(days=cfg["window_days"])
    finished = [(b, phase) for b, t, phase in _backups(ev)
                if t is not None and since <= t <= ev.collected_at and phase in OK_PHASES + BAD_PHASES]
    if not finished:
        return failed(f"no backup finished in the last {cfg['window_days']} days")
    bad = [b for b, phase in finished if phase in BAD_PHASES]
    rate = 1 - len(bad) / len(finished)
    failures = ", ".join(f"{b.name} {(b.status or {}).get('phase')}" for b in bad[:3])
    reason = f"{len(finished) - len(bad)}/{len(finished)} backups of the last {cfg['window_days']} days completed"
    reason += f"; {failures}" if bad else ""
    if rate >= cfg["min_rate"]:
        return passed(reason, [b.ref for b, _ in finished[:1]])
    return fraction(rate / cfg["min_rate"] if cfg["min_rate"] else 1.0, reason, [b.ref for b in bad])


@check("backup_restore_tested")
def restore_tested(ev: Evidence, cfg: Config) -> Result:
    """A Velero Restore Completed within the threshold: the backups are known to restore."""
    if _velero_unreadable(ev, "Restore"):
        return unknown("Velero Restores could not be read")
    limit = timedelta(days=cfg["max_age_days"])
    restores = ev.items(VELERO, "Restore")
    done = []
    for r in restores:
        st = r.status or {}
        when = _time(st.get("completionTimestamp"))
        if st.get("phase") == "Completed" and when and ev.collected_at - when <= limit:
            done.append((r, when))
    if done:
        r, when = max(done, key=lambda x: x[1])
        return passed(f"restore {r.name} of {(r.spec or {}).get('backupName')} completed {when:%Y-%m-%d}", [r.ref])
    if restores:
        return failed(f"no restore completed in the last {cfg['max_age_days']} days "
                      f"({len(restores)} older or unfinished)", [r.ref for r in restores])
    return failed("no restore was ever run: backups are untested")


@check("backup_rto_rpo_declared")
def rto_rpo_declared(ev: Evidence, cfg: Config) -> Result:
    """RTO/RPO are declared (attested) and within the targets."""
    result = attested(ev, "rto_rpo_declared", "RTO and RPO are declared")
    a = ev.attestation("rto_rpo_declared")
    if result.status != "pass" or a is None:
        return result
    rto, rpo = a.values.get("rto_hours"), a.values.get("rpo_hours")
    if rto is None or rpo is None:
        return failed("attestation rto_rpo_declared gives no rto_hours/rpo_hours values", result.evidence)
    if rto <= cfg["max_rto_hours"] and rpo <= cfg["max_rpo_hours"]:
        return passed(f"RTO {rto:g}h, RPO {rpo:g}h declared by {a.by} on {a.made}", result.evidence)
    return failed(f"declared RTO {rto:g}h / RPO {rpo:g}h miss the targets "
                  f"{cfg['max_rto_hours']:g}h / {cfg['max_rpo_hours']:g}h", result.evidence)


@check("backup_dr_runbook")
def dr_runbook(ev: Evidence, cfg: Config) -> Result:
    """A runbook about disaster recovery (or restore) exists in the repository."""
    found = [d for d in documents(ev, "runbook")
             if re.search(r"disaster|recovery|restore|\bdr\b", f"{d.name} {(d.spec or {}).get('title', '')}", re.I)]
    if found:
        return passed(f"DR runbook {found[0].name}", [d.name for d in found])
    return failed("no disaster recovery runbook in the repository")


@check("backup_offsite")
def offsite(ev: Evidence, cfg: Config) -> Result:
    """An Available BackupStorageLocation marked offsite (label readiness.dev/offsite=true)."""
    if _velero_unreadable(ev, "BackupStorageLocation"):
        return unknown("BackupStorageLocations could not be read")
    locations = ev.items(VELERO, "BackupStorageLocation")
    off = [b for b in locations if b.labels.get("readiness.dev/offsite") == "true"]
    ok = [b for b in off if (b.status or {}).get("phase") == "Available"]
    if ok:
        return passed(f"offsite location {ok[0].name} is Available", [b.ref for b in ok])
    if off:
        return failed(f"offsite location {off[0].name} is not Available", [b.ref for b in off])
    return failed(f"no offsite backup location ({len(locations)} location(s), none labelled "
                  "readiness.dev/offsite=true)", [b.ref for b in locations])
