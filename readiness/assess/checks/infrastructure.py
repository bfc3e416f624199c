"""Infrastructure checks: nodes, workloads, storage, IaC, Flux releases, cert-manager, mesh, GPUs, chaos."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from readiness.assess.checks.base import (
    CheckThresholds,
    ClusterSnapshot,
    KubeObject,
    Result,
    check,
    condition_status,
    failed,
    fraction,
    mapping,
    not_applicable,
    passed,
    share,
    unknown,
)
from readiness.assess.checks.common import (
    LINKERD_CONTROL_PLANE,
    REPO_GROUP,
    WORKLOAD_KINDS,
    blind_spots,
    component,
    declared,
    declared_only,
    declared_result,
    listing,
    missing_part,
    ready_count,
    repo,
    running,
    where,
    workloads,
)

PRESSURES = ("MemoryPressure", "DiskPressure", "PIDPressure")
WORKLOAD_TYPES = tuple(("apps", k) for k in WORKLOAD_KINDS)
CERT_MANAGER = "cert-manager.io"
HELM = "helm.toolkit.fluxcd.io"
LINKERD_MC = "multicluster.linkerd.io"
CHAOS_MESH = "chaos-mesh.org"
GPU = "nvidia.com/gpu"
MIRROR_LABEL = "mirror.linkerd.io/cluster-name"


@dataclass(frozen=True)
class WorkloadsAvailable:
    """infra_workloads_available: the share of workloads that must have all desired replicas ready (0..1)."""

    min_share: float = 1.0


@dataclass(frozen=True)
class MulticlusterLinks:
    """infra_multicluster_links: whether clusters must be linked (false: no Link is not applicable)."""

    required: bool = False


@dataclass(frozen=True)
class GpuInference:
    """infra_gpu_inference: inference servers whose declaration counts on a repository snapshot."""

    tools: tuple[str, ...] = ("vllm", "text-generation-inference", "triton-inference-server", "ollama", "kserve")


@dataclass(frozen=True)
class AiAgents:
    """infra_ai_agents: the agents (app name or object name) that must run (none: not applicable)."""

    agents: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChaosExperiments:
    """infra_chaos_experiments: how many Chaos Mesh experiments of which kinds are wanted."""

    min_experiments: int = 8
    kinds: tuple[str, ...] = ("PodChaos", "NetworkChaos", "StressChaos", "IOChaos", "TimeChaos")


def _nodes(ev: ClusterSnapshot) -> tuple[list[KubeObject], Result | None]:
    """The cluster's nodes, or the result to return when there are none to judge."""
    if ev.unreadable(("", "Node")):
        return [], unknown(f"Nodes could not be read completely: {ev.gaps(('', 'Node'))}")
    nodes = ev.items("", "Node")
    if not nodes and declared_only(ev):
        return [], unknown("Nodes are observed only in a cluster: a repository snapshot has none")
    if not nodes:
        return [], unknown("no Nodes were collected (a readable cluster always has some)")
    return nodes, None


@check("infra_nodes_ready")
def nodes_ready(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Every node reports Ready=True (partial with the share of Ready nodes).

    Ready=Unknown is the node controller saying it lost the kubelet: not Ready. A node with no
    Ready condition at all (declared, or never reported) is not known: with no node down, such
    nodes make the check unknown, naming them.
    """
    nodes, early = _nodes(ev)
    if early:
        return early
    state = {n.name: condition_status(n, "Ready") for n in nodes}
    down = [n for n in nodes if state[n.name] in ("False", "Unknown")]
    unsure = [n for n in nodes if state[n.name] is None]
    ready = len(nodes) - len(down) - len(unsure)
    if not down and not unsure:
        return passed(f"{len(nodes)}/{len(nodes)} nodes Ready", [n.ref for n in nodes])
    unsure_text = f"; no Ready condition: {listing(n.name for n in unsure)}" if unsure else ""
    down_text = f"; not Ready: {listing(i.name for i in down)}" if down else ""
    return share(ready, len(nodes), len(unsure), f"{ready}/{len(nodes)} nodes Ready{down_text}{unsure_text}",
                 [n.ref for n in down + unsure])


@check("infra_nodes_no_pressure")
def nodes_no_pressure(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """No node reports MemoryPressure, DiskPressure or PIDPressure (partial with the share without).

    A pressure condition with status Unknown, or a node reporting none of the three, is not
    "no pressure": with no node under pressure, such nodes make the check unknown.
    """
    nodes, early = _nodes(ev)
    if early:
        return early
    states = {n.name: {p: condition_status(n, p) for p in PRESSURES} for n in nodes}
    under = {name: [p for p, v in st.items() if v == "True"] for name, st in states.items()}
    unsure = [n for n in nodes if not under[n.name] and (
        "Unknown" in states[n.name].values() or all(v is None for v in states[n.name].values()))]
    bad = [n for n in nodes if under[n.name]]
    if not bad and not unsure:
        return passed(f"{len(nodes)}/{len(nodes)} nodes without memory, disk or PID pressure", [n.ref for n in nodes])
    unsure_text = "; pressure unknown: " + listing(
        f"{n.name} ({'no pressure conditions' if all(v is None for v in states[n.name].values()) else 'Unknown'})"
        for n in unsure)
    if not bad:
        return unknown(f"{len(nodes) - len(unsure)}/{len(nodes)} nodes known to be without pressure{unsure_text}",
                       [n.ref for n in unsure])
    detail = ", ".join(f"{n.name} {'+'.join(under[n.name])}" for n in bad[:4])
    fine = len(nodes) - len(bad) - len(unsure)
    return share(fine, len(nodes), len(unsure), f"{fine}/{len(nodes)} nodes without pressure; {detail}"
                 + (unsure_text if unsure else ""), [n.ref for n in bad + unsure])


@check("infra_workloads_available", thresholds=WorkloadsAvailable)
def workloads_available(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """The share of workloads with all desired replicas ready reaches min_share (scaled-to-zero ones skipped)."""
    if ev.unreadable(*WORKLOAD_TYPES):
        return unknown(f"workloads could not be read ({', '.join(ev.unreadable(*WORKLOAD_TYPES))})")
    if declared_only(ev):
        return unknown(f"{len(workloads(ev))} workloads declared in the repository; ready replicas are "
                       "observed only in a cluster")
    counted = [(w, *ready_count(w)) for w in workloads(ev) if not w.declared]
    active = [(w, ready, want) for w, ready, want in counted if want > 0]
    if not active:
        return unknown("no Deployments, StatefulSets or DaemonSets with desired replicas were collected")
    short = [(w, ready, want) for w, ready, want in active if ready < want]
    share = 1 - len(short) / len(active)
    reason = f"{len(active) - len(short)}/{len(active)} workloads have their replicas ready"
    if short:
        reason += "; short: " + listing(f"{w.namespace}/{w.name} {r}/{d}" for w, r, d in short)
    refs = [w.ref for w, _, _ in short]
    if share >= cfg["min_share"]:
        return passed(reason, refs)
    return fraction(share / cfg["min_share"] if cfg["min_share"] else 1.0, reason, refs)


@check("infra_pvcs_bound")
def pvcs_bound(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Every PersistentVolumeClaim is Bound (partial with the share Bound; none -> not applicable).

    A claim with no phase (not observed, e.g. declared in a repository) or a phase Kubernetes does
    not define is not known to be bound: with no claim Pending or Lost, the check is unknown.
    """
    if declared_only(ev):
        return unknown(f"{len(ev.items('', 'PersistentVolumeClaim'))} claims declared in the repository; "
                       "Bound is observed only in a cluster")
    claims = [c for c in ev.items("", "PersistentVolumeClaim") if not c.declared]
    if ev.unreadable(("", "PersistentVolumeClaim")):
        return unknown(f"PersistentVolumeClaims could not be read completely: "
                       f"{ev.gaps(('', 'PersistentVolumeClaim'))}", [c.ref for c in claims])
    if not claims:
        return not_applicable("no PersistentVolumeClaims in the cluster")
    phase = {c.ref: mapping(c, "status", c.status).get("phase") for c in claims}
    unbound = [c for c in claims if phase[c.ref] in ("Pending", "Lost")]
    unsure = [c for c in claims if phase[c.ref] not in ("Bound", "Pending", "Lost")]
    bound = len(claims) - len(unbound) - len(unsure)
    if not unbound and not unsure:
        return passed(f"{len(claims)}/{len(claims)} claims Bound", [c.ref for c in claims])
    unsure_text = "; no phase observed: " + listing(
        f"{c.namespace}/{c.name}" + (f" ({phase[c.ref]!r})" if phase[c.ref] is not None else "") for c in unsure
    ) if unsure else ""
    detail = "; " + ", ".join(f"{c.namespace}/{c.name} {phase[c.ref]}" for c in unbound[:4]) if unbound else ""
    return share(bound, len(claims), len(unsure), f"{bound}/{len(claims)} claims Bound{detail}{unsure_text}",
                 [c.ref for c in unbound + unsure])


@check("infra_iac_present")
def iac_present(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """The repository holds an infrastructure-as-code project (Pulumi or Terraform)."""
    if ev.unreadable((REPO_GROUP, "IaC")):
        return unknown("the repository's IaC facts could not be read")
    found = repo(ev, "IaC")
    if not found:
        return failed("no Pulumi or Terraform project in the repository")
    spec = found[0].spec or {}
    return passed(f"{spec.get('tool', found[0].name)} project at {spec.get('path', '?')} "
                  f"({spec.get('files', '?')} files)", [str((i.spec or {}).get("path") or i.ref) for i in found])


@check("infra_helmreleases_ready")
def helmreleases_ready(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Every Flux HelmRelease is Ready (partial with the share Ready; none -> not applicable)."""
    if ev.unreadable((HELM, "HelmRelease")):
        return unknown("Flux HelmReleases could not be read")
    if declared_only(ev):
        return unknown(f"{len(ev.items(HELM, 'HelmRelease'))} HelmReleases declared in the repository; "
                       "Ready is observed only in a cluster")
    releases = [r for r in ev.items(HELM, "HelmRelease") if not r.declared]
    if not releases:
        return not_applicable("no Flux HelmReleases in the cluster")
    bad = [r for r in releases if r.condition("Ready") is not True]
    if not bad:
        return passed(f"{len(releases)}/{len(releases)} HelmReleases Ready", [r.ref for r in releases])
    detail = ", ".join(f"{r.name} ({_ready_reason(r)})" for r in bad[:3])
    return fraction(1 - len(bad) / len(releases),
                    f"{len(releases) - len(bad)}/{len(releases)} HelmReleases Ready; not Ready: {detail}",
                    [r.ref for r in bad])


def _ready_reason(item: KubeObject) -> str:
    for c in (item.status or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return str(c.get("reason") or c.get("status"))
    return "no Ready condition"


def _cert_manager_declared(ev: ClusterSnapshot) -> Result:
    """On a repository snapshot: cert-manager declared with a declared issuer (Ready is observed only in a cluster)."""
    result = component(ev, "cert-manager", ["cert-manager"])
    if result.status != "pass":
        return result
    issuers = ev.items(CERT_MANAGER, "ClusterIssuer") + ev.items(CERT_MANAGER, "Issuer")
    if not issuers:  # the issuers could be in what was not read, whatever declares cert-manager
        return missing_part(failed(f"{result.reason}, but no ClusterIssuer or Issuer is declared", result.evidence),
                            ev, "an issuer", "ClusterIssuer", "Issuer", near=["cert-manager"])
    return passed(f"{result.reason} with issuer {listing(i.name for i in issuers)} declared "
                  "(Ready is observed only in a cluster)", [*result.evidence, *(i.ref for i in issuers)])


@check("infra_cert_manager_ready")
def cert_manager_ready(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """cert-manager's controller runs and a cert-manager.io ClusterIssuer or Issuer is Ready.

    An issuer whose Ready is Unknown or unreported (declared, not observed) is not Ready: with
    no issuer Ready and no issuer False, the check is unknown.
    """
    controller = running(ev, ["cert-manager"])
    if not controller and declared_only(ev):
        return _cert_manager_declared(ev)
    if not controller:
        if ev.unreadable(*WORKLOAD_TYPES):
            return unknown(f"cert-manager not seen, but workloads were not fully read: {ev.gaps(*WORKLOAD_TYPES)}")
        return failed("cert-manager is not running")
    issuer_types = ((CERT_MANAGER, "ClusterIssuer"), (CERT_MANAGER, "Issuer"))
    issuers = ev.items(*issuer_types[0]) + ev.items(*issuer_types[1])
    state = {i.ref: condition_status(i, "Ready") for i in issuers}
    ready = [i for i in issuers if state[i.ref] == "True"]
    if ready:
        return passed(f"cert-manager running ({controller[0].ref}) with Ready issuer "
                      f"{listing(i.name for i in ready)}", [controller[0].ref, *(i.ref for i in ready)])
    if ev.unreadable(*issuer_types):
        return unknown(f"cert-manager runs but its issuers could not be read: {ev.gaps(*issuer_types)}",
                       [controller[0].ref])
    unsure = [i for i in issuers if state[i.ref] != "False"]
    if unsure:
        shown = listing(f"{i.name} Ready {state[i.ref] or 'not reported'}" for i in unsure)
        return unknown(f"cert-manager runs; no issuer known to be Ready ({shown})", [i.ref for i in unsure])
    if issuers:
        return failed(f"cert-manager runs but no issuer is Ready ({listing(i.name for i in issuers)})",
                      [i.ref for i in issuers])
    return failed("cert-manager runs but has no ClusterIssuer or Issuer", [controller[0].ref])


@check("infra_service_mesh")
def service_mesh(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A service mesh control plane runs (on a repository: is declared).

    Linkerd's destination, identity and proxy injector, or Istio's istiod; on a repository, the
    linkerd-control-plane or istiod chart, or their manifests."""
    linkerd = {name: running(ev, [name]) for name in LINKERD_CONTROL_PLANE}
    if all(linkerd.values()):
        refs = [w.ref for found in linkerd.values() for w in found]
        return passed(f"Linkerd control plane running: {', '.join(refs)}", refs)
    istiod = running(ev, ["istiod"])
    if istiod:
        return passed(f"Istio control plane running: {istiod[0].ref}", [w.ref for w in istiod])
    if declared_only(ev):
        planes = [*LINKERD_CONTROL_PLANE, "linkerd-control-plane", "istiod"]
        return declared_result(ev, "service mesh control plane", planes, declared(ev, planes), ["HelmRelease"])
    if ev.unreadable(*WORKLOAD_TYPES):
        return unknown("workloads could not be read")
    up = [name for name, found in linkerd.items() if found]
    if up:
        missing = [name for name in LINKERD_CONTROL_PLANE if name not in up]
        return failed(f"Linkerd control plane incomplete: {', '.join(missing)} not running",
                      [w.ref for name in up for w in linkerd[name]])
    return failed(f"no service mesh control plane running (looked for {', '.join(LINKERD_CONTROL_PLANE)}, istiod)")


@check("infra_multicluster_links", thresholds=MulticlusterLinks)
def multicluster_links(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Linkerd multicluster Links are Ready (partial: the share Ready).

    None -> fail, or not applicable when the rubric's ``required`` is false; on a repository,
    declared Links pass.

    A Link without a Ready condition (Linkerd's CRD has no status) counts as Ready when its
    service-mirror controller (label mirror.linkerd.io/cluster-name) runs.
    """
    if ev.unreadable((LINKERD_MC, "Link")):
        return unknown("Linkerd multicluster Links could not be read")
    links = ev.items(LINKERD_MC, "Link")
    if not links and not cfg["required"]:
        return not_applicable("the rubric does not require multicluster links (thresholds.required)")
    if not links:
        blind, skipped = blind_spots(ev, "Link") if declared_only(ev) else ("", [])
        if blind:
            return unknown(f"no Linkerd multicluster Link in what was read; {blind}", skipped)
        return failed("no Linkerd multicluster Link to another cluster")
    if declared_only(ev):
        targets = listing((str((x.spec or {}).get("targetClusterName") or x.name) for x in links), 6)
        return passed(f"{len(links)} Links declared in the repository ({targets}); readiness is observed only "
                      f"in a cluster", [where(x) for x in links])
    mirrors = {w.labels[MIRROR_LABEL] for w in workloads(ev) if MIRROR_LABEL in w.labels and ready_count(w)[0] > 0}
    down = [link for link in links if not _link_ready(link, mirrors)]
    target = {link.name: str((link.spec or {}).get("targetClusterName") or link.name) for link in links}
    if not down:
        return passed(f"{len(links)}/{len(links)} Links Ready ({listing((target[x.name] for x in links), 6)})",
                      [x.ref for x in links])
    return fraction(1 - len(down) / len(links),
                    f"{len(links) - len(down)}/{len(links)} Links Ready; not Ready: "
                    f"{listing(target[x.name] for x in down)}", [x.ref for x in down])


def _link_ready(link: KubeObject, mirrors: set[str]) -> bool:
    ready = link.condition("Ready")
    if ready is not None:
        return ready
    return link.name in mirrors or (link.spec or {}).get("targetClusterName") in mirrors


def _gpus(w: KubeObject) -> int:
    """GPUs the workload's pod template requests or limits (the larger, summed over containers)."""
    pod = ((w.spec or {}).get("template") or {}).get("spec") or {}
    total = 0
    for c in pod.get("containers") or []:
        res = c.get("resources") or {}
        asked = [(res.get(k) or {}).get(GPU) for k in ("limits", "requests")]
        total += max((int(str(a)) for a in asked if a is not None and str(a).isdigit()), default=0)
    return total


@check("infra_gpu_inference", thresholds=GpuInference)
def gpu_inference(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A workload requesting nvidia.com/gpu in its pod template runs with ready replicas (vLLM on forge)."""
    gpu = [(w, n) for w in workloads(ev) if (n := _gpus(w)) > 0]
    if declared_only(ev):
        servers = [str(t) for t in cfg["tools"]]
        return declared_result(ev, f"GPU inference ({GPU} requested, or {listing(servers)})", [GPU, *servers],
                               [w for w, _ in gpu] + [d for d in declared(ev, servers) if d not in [w for w, _ in gpu]],
                               ["Deployment", "HelmRelease"])
    up = [(w, n) for w, n in gpu if ready_count(w)[0] > 0]
    if up:
        detail = listing(f"{w.namespace}/{w.name} ({n} GPU, {ready_count(w)[0]}/{ready_count(w)[1]} ready)"
                         for w, n in up)
        return passed(f"GPU workloads running: {detail}", [w.ref for w, _ in up])
    if ev.unreadable(*WORKLOAD_TYPES):
        return unknown("workloads could not be read")
    if gpu:
        return failed(f"GPU workloads not ready: {listing(f'{w.namespace}/{w.name}' for w, _ in gpu)}",
                      [w.ref for w, _ in gpu])
    return failed(f"no workload requests {GPU}")


@check("infra_ai_agents", thresholds=AiAgents)
def ai_agents(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """The AI agents the cluster hosts (thresholds.agents) run with ready replicas (partial: the share)."""
    agents = list(cfg["agents"])
    if not agents:
        return not_applicable("the rubric names no AI agents (thresholds.agents)")
    if declared_only(ev):
        decl = {a: declared(ev, [a]) for a in agents}
        there = [a for a in agents if decl[a]]
        reason = f"{len(there)} of {len(agents)} agents declared in the repository"
        reason += f"; not declared: {listing([a for a in agents if not decl[a]])}" if len(there) < len(agents) else ""
        return fraction(len(there) / len(agents) if agents else 1.0, reason,
                        [where(d) for a in there for d in decl[a]])
    up = {app for app in agents if running(ev, [app])}
    if not up and ev.unreadable(*WORKLOAD_TYPES):
        return unknown("workloads could not be read")
    down = [a for a in agents if a not in up]
    reason = f"{len(up)} of {len(agents)} agents running" + (f"; not running: {listing(down)}" if down else "")
    return fraction(len(up) / len(agents), reason, [w.ref for w in running(ev, sorted(up))])


@check("infra_chaos_experiments", thresholds=ChaosExperiments)
def chaos_experiments(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Chaos Mesh experiments of the rubric's kinds number at least min_experiments (partial below)."""
    kinds = list(cfg["kinds"])
    found = [x for k in kinds for x in ev.items(CHAOS_MESH, k)]
    wanted = cfg["min_experiments"]
    blind = ev.unreadable(*[(CHAOS_MESH, k) for k in kinds])
    if len(found) < wanted and blind:
        return unknown(f"{len(found)} of {wanted} chaos experiments seen, but {', '.join(blind)} could not be read")
    if not found:
        return failed(f"no Chaos Mesh experiments (need {wanted} of {', '.join(kinds)})")
    per_kind = Counter(x.kind for x in found)
    detail = ", ".join(f"{k} {per_kind[k]}" for k in kinds if per_kind[k])
    missing = [k for k in kinds if not per_kind[k]]
    reason = f"{len(found)} chaos experiments of {wanted} wanted ({detail})"
    reason += " declared in the repository" if all(x.declared for x in found) else ""
    reason += f"; none of {', '.join(missing)}" if missing else ""
    return fraction(len(found) / wanted if wanted else 1.0, reason, [x.ref for x in found])
