"""Documentation checks: architecture, topology, runbooks (how many, how recently tested), on-call, escalation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from readiness.assess.checks.base import (
    CheckThresholds,
    ClusterSnapshot,
    KubeObject,
    Result,
    check,
    failed,
    fraction,
    passed,
    unknown,
)
from readiness.assess.checks.common import REPO_GROUP, attested, covering, listing, repo, runbooks


@dataclass(frozen=True)
class RunbooksCount:
    """docs_runbooks_count: how many runbooks are wanted."""

    min_runbooks: int = 15


@dataclass(frozen=True)
class RunbooksTested:
    """docs_runbooks_tested: the share of runbooks (0..1) tested within max_age_days."""

    max_age_days: float = 180
    min_share: float = 0.8


def _blind(ev: ClusterSnapshot) -> Result | None:
    """``unknown`` when the repository's documents could not be read."""
    if ev.unreadable((REPO_GROUP, "Document")):
        return unknown("the repository's documents could not be read")
    return None


def _document(ev: ClusterSnapshot, kind: str, what: str) -> Result:
    """Pass when the repository holds a Document of type ``kind``, or one with a section on it
    (``covering``: its ``covers`` names ``kind``)."""
    if blind := _blind(ev):
        return blind
    found = covering(ev, kind)
    if found:
        return passed(f"{what}: {listing(d.name for d in found)}", [d.name for d in found])
    return failed(f"no {what} in the repository (no Document of type {kind}, no section on it)")


@check("docs_architecture")
def architecture(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """At least one architecture document in the repository."""
    return _document(ev, "architecture", "architecture documentation")


@check("docs_topology")
def topology(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Both a cluster topology and a network design are documented (partial 0.5 with one of them):
    a document of that type, or a section of any document on it (Document ``covers``)."""
    if blind := _blind(ev):
        return blind

    def about(d: KubeObject, kind: str) -> bool:
        spec = d.spec if isinstance(d.spec, dict) else {}
        return spec.get("type") == kind or kind in (spec.get("covers") or [])

    docs = repo(ev, "Document")
    found = {kind: [d for d in docs if about(d, kind)] for kind in ("topology", "network")}
    have = [kind for kind, docs in found.items() if docs]
    refs = [d.name for docs in found.values() for d in docs]
    if len(have) == len(found):
        return passed("; ".join(f"{kind}: {listing(d.name for d in docs)}" for kind, docs in found.items()), refs)
    lacking = [kind for kind in found if kind not in have]
    reason = f"no {' or '.join(lacking)} document" + (f" (found {', '.join(refs)})" if refs else "")
    return fraction(len(have) / len(found), reason, refs)


@check("docs_runbooks_count", thresholds=RunbooksCount)
def runbooks_count(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """At least min_runbooks runbooks in the repository (partial: runbooks / min_runbooks), counted as a
    reader does (``runbooks``): a runbook document is one, each procedure under a document's "Runbooks"
    heading is one (evidence ``path#heading``)."""
    if blind := _blind(ev):
        return blind
    found = [name for name, _ in runbooks(ev)]
    wanted = cfg["min_runbooks"]
    inside = sum("#" in name for name in found)
    reason = f"{len(found)} runbooks of {wanted} wanted"
    if inside:
        docs = len({name.split("#", 1)[0] for name in found if "#" in name})
        where = f"{docs} larger document{'s' if docs > 1 else ''}"
        reason += f" (sections of {where})" if inside == len(found) else f" ({inside} of them sections of {where})"
    return fraction(len(found) / wanted if wanted else 1.0, reason, found)


def _tested(doc: KubeObject) -> date | None:
    value = (doc.spec or {}).get("last_tested")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


@check("docs_runbooks_tested", thresholds=RunbooksTested)
def runbooks_tested(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """At least min_share of the runbooks (``runbooks``; a runbook inside a larger document was tested when
    that document was) were tested within max_age_days (partial below)."""
    if blind := _blind(ev):
        return blind
    found = runbooks(ev)
    if not found:
        return failed("no runbooks, so none was tested")
    since = ev.day - timedelta(days=cfg["max_age_days"])
    tested = [name for name, d in found if (t := _tested(d)) is not None and since <= t <= ev.day]
    share = len(tested) / len(found)
    reason = f"{len(tested)}/{len(found)} runbooks tested in the last {cfg['max_age_days']} days"
    untested = [name for name, _ in found if name not in tested]
    reason += f"; not: {listing(untested, 2)}" if untested else ""
    if share >= cfg["min_share"]:
        return passed(reason, tested)
    return fraction(share / cfg["min_share"] if cfg["min_share"] else 1.0, reason, untested)


@check("docs_oncall")
def oncall(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """On-call procedures are documented (a Document of type oncall, or a section on it) and the
    rotation is attested (fact oncall_rotation)."""
    if blind := _blind(ev):
        return blind
    docs = covering(ev, "oncall")
    rotation = attested(ev, "oncall_rotation", "an on-call rotation is defined")
    if not docs:
        return failed("no on-call procedures in the repository (no Document of type oncall)"
                      + ("" if rotation.status == "pass" else "; " + rotation.reason), rotation.evidence)
    refs = [d.name for d in docs] + list(rotation.evidence)
    if rotation.status != "pass":
        reason = f"{listing(d.name for d in docs)} written, but {rotation.reason}"
        return replace(rotation, reason=reason, evidence=tuple(refs))
    return passed(f"{listing(d.name for d in docs)}; {rotation.reason}", refs)


@check("docs_escalation")
def escalation(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """An escalation matrix is documented (a Document of type escalation, or a section on it): levels
    (L1/L2, tiers, primary/secondary) of who is called when. A section on how to escalate that names
    no levels (one channel to contact; ``covers`` ``escalation_contact``) is no matrix: ``fail``, naming it."""
    result = _document(ev, "escalation", "escalation matrix")
    contacts = covering(ev, "escalation_contact")
    if result.status == "fail" and contacts:
        names = [d.name for d in contacts]
        one = len(names) == 1
        return failed(f"no escalation matrix: {listing(names)} say{'s' if one else ''} how to escalate "
                      f"but name{'s' if one else ''} no levels (who is called at each step, and when)", names)
    return result


@check("docs_troubleshooting")
def troubleshooting(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A troubleshooting guide exists (a Document of type troubleshooting, or a section on it)."""
    return _document(ev, "troubleshooting", "troubleshooting guide")
