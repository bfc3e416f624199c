"""Security checks: secrets (ESO), mTLS, certificates, network and pod security, image scanning, CI security."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
    timestamp,
    unknown,
)
from readiness.assess.checks.common import (
    ARGO,
    HELM,
    LINKERD_CONTROL_PLANE,
    REPO_GROUP,
    WORKLOAD_KINDS,
    apart_clause,
    attested,
    blind_spots,
    chart_of,
    conditional_result,
    declared,
    declared_only,
    job_present,
    jobs,
    listing,
    missing_part,
    plural,
    repo,
    runbook_about,
    runbooks,
    running,
    scope,
    set_apart,
    unapplied_by,
    where,
    workloads,
)
from readiness.assess.checks.cron import go_hours
from readiness.assess.checks.namespaces import named, namespaces_of
from readiness.assess.checks.thresholds import Regex
from readiness.errors import MalformedFieldError
from readiness.store.repofacts import not_deployed

ESO = "external-secrets.io"
CERT_MANAGER = "cert-manager.io"
TRIVY = "aquasecurity.github.io"
NAMESPACE = ("", "Namespace")
APPS = [("apps", k) for k in WORKLOAD_KINDS]
CRONJOB = ("batch", "CronJob")
POLICY_TYPES = (("networking.k8s.io", "NetworkPolicy"), ("cilium.io", "CiliumNetworkPolicy"))


@dataclass(frozen=True)
class PlatformNamespaces:
    """sec_mtls, sec_network_policies, sec_pod_security: namespaces of the platform rather than of
    applications (exact names, and name prefixes); preview namespaces (label
    readiness.dev/preview=true) are never applications."""

    system_namespaces: tuple[str, ...] = (
        "default", "flux-system", "argocd", "monitoring", "observability", "cert-manager", "velero", "minio",
        "external-secrets", "trivy-system", "flagger-system", "argo-rollouts", "chaos-mesh", "istio-system",
        "ingress-nginx", "metallb-system", "longhorn-system", "local-path-storage", "gpu-operator", "openshift-adp")
    system_prefixes: tuple[str, ...] = ("kube-", "linkerd", "preview-", "openshift-", "istio-")
    application_when_used: tuple[str, ...] = ("default",)


@dataclass(frozen=True)
class CertificatesValid:
    """sec_certificates_valid: the days a Ready certificate must still be valid (at least)."""

    min_days_left: float = 30


@dataclass(frozen=True)
class CriticalCves:
    """sec_no_critical_cves: the most critical vulnerabilities allowed across the scanned images."""

    max_critical: int = 0


@dataclass(frozen=True)
class IncidentRunbook:
    """sec_incident_runbook: what a security incident runbook's path or title matches (case-insensitive)."""

    pattern: Regex = "secur"


def is_system_namespace(cfg: CheckThresholds, name: str, labels: Mapping[str, str] | None = None, *,
                        used: bool = False) -> bool:
    """Whether namespace ``name`` belongs to the platform, not to an application: the rubric's
    ``system_namespaces`` and ``system_prefixes`` (policy), and preview namespaces; one of its
    ``application_when_used`` (``default``) is an application's when ``used`` (workloads run or a release
    installs there), since every cluster has it, empty."""
    if used and name in cfg["application_when_used"]:
        return False
    return (name in cfg["system_namespaces"] or name.startswith(tuple(cfg["system_prefixes"]))
            or (labels or {}).get("readiness.dev/preview") == "true")


def _installers(ev: ClusterSnapshot) -> list[KubeObject]:
    """Flux HelmReleases and Argo CD Applications of a repository that say where they install (outside
    examples, docs and test fixtures, which show how to use the project)."""
    return [o for o in ev.items(HELM, "HelmRelease") + ev.items(ARGO, "Application") if not not_deployed(where(o))]


def _namespace_sources(ev: ClusterSnapshot) -> list[tuple[str, KubeObject]]:
    """(namespace, object) for what names a namespace of a repository snapshot: its Namespace objects (renamed
    as the kustomizations that include them would: ``namespaces.namespaces_of``), the namespaces its workloads go
    to, and those its HelmReleases and Argo CD Applications install into (a repository often leaves namespaces
    to kustomize, Helm or Argo CD's CreateNamespace). Names may be templates or patterns (``namespaces.named``)."""
    return [(ns, o) for o in [*ev.items(*NAMESPACE), *workloads(ev), *_installers(ev)]
            for ns in namespaces_of(ev, o)]


def _app_namespaces(ev: ClusterSnapshot, cfg: CheckThresholds) -> list[KubeObject]:
    """Application namespaces. On a repository snapshot, the declared Namespaces plus the namespaces
    declared workloads and installers go to (``_namespace_sources``); a Namespace object kustomize renames
    (a component's placeholder) counts under the names it gets, with its labels and annotations."""
    # A repository may declare one namespace in several files (overlays): one entry per name.
    if not declared_only(ev):
        used = {w.namespace for w in [*workloads(ev), *ev.items(*CRONJOB)] if w.namespace}
        return list({n.name: n for n in ev.items(*NAMESPACE)
                     if not is_system_namespace(cfg, n.name, n.labels, used=n.name in used)}.values())
    objects: dict[str, KubeObject] = {}
    sources = _namespace_sources(ev)
    used = {ns for ns, o in sources if o.kind != "Namespace"}
    for ns, o in sources:
        if o.kind == "Namespace" and ns not in objects:
            objects[ns] = o if ns == o.name else dataclasses.replace(o, name=ns)
    spaces = [n for n in objects.values() if not is_system_namespace(cfg, n.name, n.labels, used=n.name in used)]
    extra = sorted({ns for ns, o in sources if ns not in objects and named(ns)})
    spaces += [KubeObject("v1", "Namespace", None, ns, {}, {}, None, None, "repo") for ns in extra
               if not is_system_namespace(cfg, ns, used=True)]
    return spaces


def _templated_installs(ev: ClusterSnapshot, cfg: CheckThresholds) -> list[str]:
    """On a repository snapshot, the HelmReleases and Argo CD Applications whose namespace is not a name: a
    template the collector left as written (an ApplicationSet's ``{{ .name }}``) or a pattern (``*``), so
    application namespaces that cannot be named, as ``_cite`` names them, one per object name."""
    if not declared_only(ev):
        return []
    found = {o.name: o for o in _installers(ev) if any(not named(ns) for ns in namespaces_of(ev, o))}
    return _cite(list(found.values()))


def _cite(objs: list[KubeObject]) -> list[str]:
    """How reasons name installers: their files (``where``), each once (overlays declare one release in several
    files), and ``file (name)`` for a file that declares several of them (an ApplicationSet's Applications)."""
    return list(dict.fromkeys(_cite_each(objs)))


def _cite_each(objs: list[KubeObject]) -> list[str]:
    """``_cite`` of each of ``objs``, in order (repeats kept)."""
    names: dict[str, set[str]] = {}
    for o in objs:
        names.setdefault(where(o), set()).add(o.name)
    return [where(o) if len(names[where(o)]) == 1 else f"{where(o)} ({o.name})" for o in objs]


def _unnamed(ev: ClusterSnapshot, cfg: CheckThresholds, what: str, none: str) -> Result | None:
    """Why a repository snapshot's lack of application namespaces (or workloads: ``what``) is not "not
    applicable": installers whose namespace is not a name (``none`` leads the reason), or what was not read
    that could hold some (``blind_spots`` of Namespaces, workloads and installers); None when neither."""
    if not declared_only(ev):
        return None
    templated = _templated_installs(ev, cfg)
    if templated:
        verb = "installs" if len(templated) == 1 else "install"
        return unknown(f"{none}; {plural(len(templated), 'installer')} {verb} into a namespace the "
                       f"repository does not name (a template or a pattern its GitOps tool resolves: "
                       f"{listing(templated)})", templated)
    blind, missed = blind_spots(ev, "Namespace", *WORKLOAD_KINDS, "CronJob", "HelmRelease", "Application")
    if blind:
        return unknown(f"no {what} in what was read; {blind}", missed)
    return None


def _unapplied_namespaces(ev: ClusterSnapshot) -> dict[str, str]:
    """Namespace name -> the Kustomization that does not build that alone declares it (its Namespace
    object, the workloads that go to it or the releases that install there); names an applied object declares
    or uses are not listed."""
    applied: set[str] = set()
    failed_: dict[str, str] = {}
    for name, o in _namespace_sources(ev):
        build = unapplied_by(o)
        if build:
            failed_.setdefault(name, build)
        else:
            applied.add(name)
    return {name: build for name, build in failed_.items() if name not in applied}


def _applied_namespaces(ev: ClusterSnapshot, cfg: CheckThresholds) -> tuple[list[KubeObject], dict[str, list[str]]]:
    """Application namespaces the cluster gets, and those only Kustomizations that do not build declare
    (``set_apart``: build -> names); on a live snapshot every namespace is kept."""
    spaces = _app_namespaces(ev, cfg)
    if not declared_only(ev):
        return spaces, {}
    builds = _unapplied_namespaces(ev)
    return set_apart(spaces, lambda n: builds.get(n.name)) if builds else (spaces, {})


def _declared_note(ev: ClusterSnapshot) -> str:
    return " (declared in the repository)" if declared_only(ev) else ""


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _eso_declared(ev: ClusterSnapshot) -> Result:
    """On a repository snapshot: the operator and a secret store are declared (readiness is observed
    only in a cluster); half with one of them."""
    controller = declared(ev, ["external-secrets"])
    stores = ev.items(ESO, "ClusterSecretStore") + ev.items(ESO, "SecretStore")
    evidence = [where(i) for i in controller + stores]
    only_labelled = conditional_result("ESO", controller)
    if only_labelled is not None:
        return only_labelled
    if controller and stores:
        return passed(f"ESO declared in {where(controller[0])} with store {listing(s.name for s in stores)} "
                      "declared; Ready is observed only in a cluster", evidence)
    # a half found says nothing of the other, which could be in what was not read: then unknown, naming it
    if controller:
        return missing_part(fraction(0.5, f"ESO declared in {where(controller[0])} but no secret store declared",
                                     evidence), ev, "a secret store", "ClusterSecretStore", "SecretStore",
                            near=["external-secrets"])
    if stores:
        return missing_part(fraction(0.5, f"store {stores[0].name} declared but the ESO controller is not", evidence),
                            ev, "the controller", "HelmRelease", "Application", *WORKLOAD_KINDS)
    blind, skipped = blind_spots(ev, "HelmRelease", "ClusterSecretStore", "SecretStore")
    if blind:
        return unknown(f"ESO not declared in what was read; {blind}", skipped)
    return failed(f"External Secrets Operator is not declared {scope(ev)} (no external-secrets release, "
                  "workload or secret store)")


@check("sec_eso_installed")
def eso_installed(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """The External Secrets Operator runs with a Ready secret store (on a repository: both declared).

    A ClusterSecretStore or SecretStore; half the score with only the operator or only a store."""
    if declared_only(ev):
        return _eso_declared(ev)
    controller = running(ev, ["external-secrets"])
    stores = [s for s in ev.items(ESO, "ClusterSecretStore") + ev.items(ESO, "SecretStore") if not s.declared]
    ready = [s for s in stores if s.condition("Ready")]
    if controller and ready:
        return passed(f"ESO running ({controller[0].ref}) with Ready store {listing(s.name for s in ready)}",
                      [controller[0].ref] + [s.ref for s in ready])
    if not ready and ev.unreadable((ESO, "ClusterSecretStore"), (ESO, "SecretStore")):
        return unknown("secret stores could not be read")
    if not controller and ev.unreadable(*APPS):
        return unknown("workloads could not be read")
    if controller:
        store = f"store {listing(s.name for s in stores)} not Ready" if stores else "no secret store"
        return fraction(0.5, f"ESO running but {store}", [controller[0].ref] + [s.ref for s in stores])
    if ready:
        return fraction(0.5, f"store {ready[0].name} is Ready but the ESO controller is not running",
                        [s.ref for s in ready])
    return failed("External Secrets Operator is not installed (no external-secrets workload, no secret store)")


def _store_of(es: KubeObject) -> tuple[str, str, str]:
    """(kind, namespace, name) of the secret store an ExternalSecret reads (``spec.secretStoreRef``; a
    SecretStore by default, in the ExternalSecret's namespace; a ClusterSecretStore has none)."""
    ref = mapping(es, "spec.secretStoreRef", (es.spec or {}).get("secretStoreRef"))
    kind = str(ref.get("kind") or "SecretStore")
    return kind, "" if kind == "ClusterSecretStore" else (es.namespace or ""), str(ref.get("name") or "")


def _declared_secrets(ev: ClusterSnapshot, secrets: list[KubeObject], operator: KubeObject,
                      apart: dict[str, list[str]]) -> Result:
    """sec_externalsecrets_synced on a repository: the share of the ExternalSecrets the cluster gets whose secret
    store is declared too (an ExternalSecret reading a store no one declares never syncs); unknown when such a
    store could hide in what was not read. Sync itself is observed only in a cluster."""
    stores = {(s.kind, "" if s.kind == "ClusterSecretStore" else (s.namespace or ""), s.name)
              for s in ev.items(ESO, "ClusterSecretStore") + ev.items(ESO, "SecretStore") if not unapplied_by(s)}
    storeless = [s for s in secrets if _store_of(s) not in stores and _store_of(s)[2]]
    reason = (f"{len(secrets) - len(storeless)}/{len(secrets)} ExternalSecrets declared with their secret store, "
              f"ESO declared in {where(operator)}; sync is observed only in a cluster")
    if storeless:
        missing = sorted({f"{k} {n}" for k, _, n in map(_store_of, storeless)})
        reason += f"; reading a store not declared ({listing(missing)}): {listing(s.ref for s in storeless)}"
    reason += apart_clause(apart, "ExternalSecret")
    result = fraction(1 - len(storeless) / len(secrets), reason,
                      [where(s) for s in (storeless or secrets)[:10]])
    return missing_part(result, ev, "a secret store", "ClusterSecretStore", "SecretStore") if storeless else result


@check("sec_externalsecrets_synced")
def externalsecrets_synced(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Share of ExternalSecrets that are Ready (synced); fail when ESO does not run or there are none. On a
    repository: the share whose secret store (``secretStoreRef``) is declared too, of those the cluster gets."""
    if ev.unreadable((ESO, "ExternalSecret")):
        return unknown("ExternalSecrets could not be read")
    if declared_only(ev):
        secrets, apart = set_apart(ev.items(ESO, "ExternalSecret"))
        operator = declared(ev, ["external-secrets"])
        if secrets and operator:
            return _declared_secrets(ev, secrets, operator[0], apart)
        if secrets:
            return missing_part(failed(f"{len(secrets)} ExternalSecrets declared but the External Secrets Operator "
                                       "is not", [where(s) for s in secrets[:10]]),
                                ev, "the operator", "HelmRelease", "Application", *WORKLOAD_KINDS)
        blind, unseen = blind_spots(ev, "ExternalSecret")
        if blind:
            return unknown(f"no ExternalSecrets declared in what was read; {blind}", unseen)
        return failed("no ExternalSecrets declared: application secrets do not come from a secret store")
    secrets = [s for s in ev.items(ESO, "ExternalSecret") if not s.declared]
    if not running(ev, ["external-secrets"]):
        if ev.unreadable(*APPS):
            return unknown("workloads could not be read")
        waiting = f"{len(secrets)} ExternalSecret(s) cannot sync" if secrets else "no ExternalSecrets"
        return failed(f"the External Secrets Operator is not running ({waiting})", [s.ref for s in secrets])
    if not secrets:
        return failed("no ExternalSecrets: application secrets do not come from the secret store")
    stale = [s for s in secrets if not s.condition("Ready")]
    reason = f"{len(secrets) - len(stale)}/{len(secrets)} ExternalSecrets synced"
    if stale:
        reason += f"; not: {listing(s.ref for s in stale)}"
    return fraction(1 - len(stale) / len(secrets), reason, [s.ref for s in stale or secrets])


@check("sec_audit_logging")
def audit_logging(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Access to the secret backend is audit-logged: attested fact ``github_audit_log``."""
    return attested(ev, "github_audit_log", "the GitHub audit log is enabled")


def _mesh_running(ev: ClusterSnapshot) -> list[str]:
    """The meshes whose control plane runs: Linkerd (destination, identity, proxy injector), Istio
    (istiod); on a repository snapshot, whose control plane is declared."""
    out = []
    if declared_only(ev):
        if declared(ev, ["linkerd-control-plane", *LINKERD_CONTROL_PLANE]):
            out.append("linkerd")
        if declared(ev, ["istiod"]):
            out.append("istio")
        return out
    if all(running(ev, [c]) for c in LINKERD_CONTROL_PLANE):
        out.append("linkerd")
    if running(ev, ["istiod"]):
        out.append("istio")
    return out


def _injected(annotations: Mapping[str, str], labels: Mapping[str, str]) -> set[str]:
    """Meshes that inject proxies where these annotations/labels are set."""
    out = set()
    if annotations.get("linkerd.io/inject") in ("enabled", "ingress"):
        out.add("linkerd")
    if labels.get("istio-injection") == "enabled" or labels.get("istio.io/rev") \
            or labels.get("sidecar.istio.io/inject") == "true":
        out.add("istio")
    return out


def _template(w: KubeObject) -> dict[str, Any]:
    return ((w.spec or {}).get("template") or {})


@check("sec_mtls", thresholds=PlatformNamespaces)
def mtls(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Share of application namespaces meshed: the namespace (or every workload's pod template) asks
    for proxy injection by a mesh whose control plane runs, so their traffic is mTLS. The reason names
    namespaces and pod templates carrying ``linkerd.io/inject`` as a label (Linkerd reads only the annotation)."""
    if ev.unreadable(NAMESPACE, *APPS):
        return unknown("namespaces or workloads could not be read")
    spaces, apart = _applied_namespaces(ev, cfg)
    templated = _templated_installs(ev, cfg)
    if not spaces:
        if apart:
            return unknown(f"no application namespace the cluster gets{apart_clause(apart, 'namespace')}")
        return (_unnamed(ev, cfg, "application namespace", "no application namespace named")
                or not_applicable("no application namespaces"))
    meshes = set(_mesh_running(ev))
    charted = _charts_by_namespace(ev) if declared_only(ev) else {}
    by_ns: dict[str, list[KubeObject]] = {}
    pods, pods_apart = set_apart(workloads(ev)) if declared_only(ev) else (workloads(ev), {})
    for w in pods:
        by_ns.setdefault(w.namespace or "", []).append(w)
    meshed, asked, evidence = [], [], []
    unseen: list[str] = []  # meshes declared, but only charts install here: their pod templates are not shown
    mislabelled: list[str] = []  # linkerd.io/inject set as a label: Linkerd only reads the annotation
    for n in spaces:
        wanted = _injected(n.annotations, n.labels)
        pods = by_ns.get(n.name, [])
        if meshes and not wanted and not pods and charted.get(n.name):
            unseen.append(n.name)
            evidence += charted[n.name]
            continue
        if "linkerd.io/inject" in n.labels and "linkerd.io/inject" not in n.annotations:
            mislabelled.append(where(n) if n.declared else n.ref)
        for w in pods:
            meta = _template(w).get("metadata") or {}
            if "linkerd.io/inject" in (meta.get("labels") or {}) and "linkerd.io/inject" not in (
                    meta.get("annotations") or {}) and "linkerd.io/inject" not in n.annotations:
                mislabelled.append(f"{where(w) if w.declared else w.ref} (pod template)")
        asking = [n.ref]  # what asks for injection: the namespace, else each of its pod templates
        if not wanted and pods:
            per_pod = [_injected((_template(w).get("metadata") or {}).get("annotations") or {},
                                 (_template(w).get("metadata") or {}).get("labels") or {}) for w in pods]
            wanted, asking = set.intersection(*per_pod), [w.ref for w in pods]
        if wanted:
            asked.append(n)
        if wanted & meshes:
            meshed.append(n)
            evidence += asking
    unmeshed = [n.name for n in spaces if n not in meshed and n.name not in unseen]
    mesh = ", ".join(sorted(meshes)) or "no mesh runs"
    if declared_only(ev):
        mesh = f"{mesh} declared" if meshes else "no mesh declared"
    reason = f"{len(meshed)}/{len(spaces)} application namespaces meshed ({mesh})"
    if unmeshed:
        reason += f"; not: {listing(unmeshed)}"
    if unseen:
        reason += (f"; not known: {listing(unseen)}, where only chart releases install, whose pod templates (and "
                   "any injection they ask for) a repository does not show")
    if not meshes and asked:
        reason += f" ({len(asked)} ask for injection but no mesh control plane runs)"
    if mislabelled:
        reason += (f"; linkerd.io/inject is a label, not an annotation, on {listing(dict.fromkeys(mislabelled))}: "
                   "Linkerd reads only the annotation, so it does not inject there")
    reason += apart_clause(apart, "namespace") + apart_clause(pods_apart, "workload")
    if templated:  # namespaces that cannot be named: each one not known
        reason += (f"; not counted: {plural(len(templated), 'installer')} whose namespace is a template "
                   f"({listing(templated)})")
    return share(len(meshed), len(spaces) + len(templated), len(unseen) + len(templated), reason,
                 evidence + list(dict.fromkeys(mislabelled)) + templated)


def _renew_margin(c: KubeObject, status: Mapping[str, Any], not_after: datetime) -> timedelta:
    """How long before notAfter cert-manager renews ``c``: status.renewalTime when stated, else
    spec.renewBefore, else spec.renewBeforePercentage of the duration, else a third of it
    (cert-manager's defaults: duration 2160h, renewBefore duration/3)."""
    renewal = timestamp(c, "status.renewalTime", status.get("renewalTime"))
    if renewal is not None:
        return not_after - renewal
    spec = mapping(c, "spec", c.spec)
    duration = _go_duration(c, "spec.duration", spec.get("duration")) or timedelta(hours=2160)
    before = _go_duration(c, "spec.renewBefore", spec.get("renewBefore"))
    if before is not None:
        return before
    percent = spec.get("renewBeforePercentage")
    if isinstance(percent, int | float) and not isinstance(percent, bool) and 0 < percent < 100:
        return duration * (percent / 100)
    return duration / 3


def _go_duration(c: KubeObject, path: str, value: Any) -> timedelta | None:
    if value is None:
        return None
    hours = go_hours(value) if isinstance(value, str) else None
    if hours is None:
        raise MalformedFieldError(c.ref, path, value, "a Go duration like 2160h")
    return timedelta(hours=hours)


# Annotations that make cert-manager's ingress-shim create a Certificate for an Ingress or a Gateway.
SHIM_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
GATEWAY_API = "gateway.networking.k8s.io"


def _no_certificates(ev: ClusterSnapshot) -> Result:
    """sec_certificates_valid without a Certificate object. Live: not applicable. On a repository snapshot,
    certificates can exist that it does not declare: cert-manager creates them for Ingresses and Gateways
    annotated with an issuer (ingress-shim) and charts render them, and a file not read may hold some: unknown
    naming that (what was not read, the annotated objects, or cert-manager's declaration); not applicable only
    when nothing of cert-manager is there."""
    if not declared_only(ev):
        return not_applicable("no cert-manager Certificates")
    blind, missed = blind_spots(ev, "Certificate")
    if blind:
        return unknown(f"no Certificate declared in what was read; {blind}", missed)
    shim = [o for o in ev.items("networking.k8s.io", "Ingress") + ev.items(GATEWAY_API, "Gateway")
            if any(o.annotations.get(a) for a in SHIM_ANNOTATIONS)]
    if shim:
        return unknown(f"no Certificate declared, but cert-manager creates one for each of {len(shim)} "
                       f"Ingress/Gateway object(s) annotated with an issuer ({listing(where(o) for o in shim)}): "
                       "their validity is observed only in a cluster", [where(o) for o in shim])
    manager = declared(ev, ["cert-manager"])
    if manager and (only_labelled := conditional_result("cert-manager", manager)) is not None:
        return unknown(f"no Certificate declared; {only_labelled.reason}", only_labelled.evidence)
    if manager:
        return unknown(f"no Certificate declared, but cert-manager is (in {where(manager[0])}): its certificates "
                       "come from annotated Ingresses and Gateways or from chart releases, which a repository does "
                       "not show; their validity is observed only in a cluster", [where(manager[0])])
    return not_applicable("no cert-manager Certificates, and no cert-manager declared")


@check("sec_certificates_valid", thresholds=CertificatesValid)
def certificates_valid(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Share of cert-manager Certificates that are Ready and not past their own renewal point.

    A certificate needs ``min_days_left`` days to notAfter, or less when its own renewal margin
    (status.renewalTime, spec.renewBefore, or a third of spec.duration) is shorter: a 48h
    certificate renewed 25h before expiry is healthy with 30h left. Ready=Unknown, or no status
    (declared, not observed), is unknown, never valid.
    """
    certs = ev.items(CERT_MANAGER, "Certificate")
    if ev.unreadable((CERT_MANAGER, "Certificate")):
        return unknown(f"Certificates could not be read completely: {ev.gaps((CERT_MANAGER, 'Certificate'))}",
                       [c.ref for c in certs])
    if not certs:
        return _no_certificates(ev)
    bad, unsure = [], []
    for c in certs:
        st = mapping(c, "status", c.status)
        ready = condition_status(c, "Ready")
        not_after = timestamp(c, "status.notAfter", st.get("notAfter"))
        if ready == "False":
            bad.append(f"{c.name} not Ready")
        elif ready is None and not st:
            unsure.append(f"{c.name} has no status (declared, not observed)")
        elif ready != "True":
            unsure.append(f"{c.name} Ready is {ready or 'not reported'}")
        elif not_after is None:
            unsure.append(f"{c.name} has no notAfter")
        elif not_after <= ev.collected_at:
            bad.append(f"{c.name} expired on {not_after:%Y-%m-%d}")
        else:
            left = not_after - ev.collected_at
            needed = min(timedelta(days=cfg["min_days_left"]), _renew_margin(c, st, not_after))
            if left < needed:
                bad.append(f"{c.name} expires in {_left(left)}, renewal overdue")
    good = len(certs) - len(bad) - len(unsure)
    reason = (f"{good}/{len(certs)} certificates Ready with >= {cfg['min_days_left']} days left "
              "(or their own renewBefore)")
    if bad:
        reason += f"; {listing(bad)}"
    if unsure:
        reason += f"; unknown: {listing(unsure)}"
    return share(good, len(certs), len(unsure), reason, [c.ref for c in certs])


def _left(delta: timedelta) -> str:
    return f"{delta.days} days" if delta.days >= 2 else f"{delta.total_seconds() / 3600:.0f}h"


@check("sec_network_policies", thresholds=PlatformNamespaces)
def network_policies(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Share of application namespaces with at least one NetworkPolicy (Kubernetes or Cilium)."""
    if ev.unreadable(NAMESPACE, POLICY_TYPES[0]):
        return unknown("namespaces or NetworkPolicies could not be read")
    spaces, apart = _applied_namespaces(ev, cfg)
    if not spaces:
        if apart:
            return unknown(f"no application namespace the cluster gets{apart_clause(apart, 'namespace')}")
        return (_unnamed(ev, cfg, "application namespace", "no application namespace named")
                or not_applicable("no application namespaces"))
    policies = [p for t in POLICY_TYPES for p in ev.items(*t) if not unapplied_by(p)]
    place = {p.ref: (namespaces_of(ev, p) if declared_only(ev) else [p.namespace or ""]) for p in policies}
    covered = {ns for p in policies for ns in place[p.ref]}
    open_ = [n.name for n in spaces if n.name not in covered]
    reason = f"{len(spaces) - len(open_)}/{len(spaces)} application namespaces have a NetworkPolicy{_declared_note(ev)}"
    if open_:
        reason += f"; not: {listing(open_)}"
    reason += apart_clause(apart, "namespace")
    evidence = [p.ref for p in policies if set(place[p.ref]) - set(open_)]
    templated = _templated_installs(ev, cfg)
    if templated:  # namespaces that cannot be named: whether they have one is not known
        reason += (f"; not counted: {plural(len(templated), 'installer')} whose namespace is a template "
                   f"({listing(templated)})")
    return share(len(spaces) - len(open_), len(spaces) + len(templated), len(templated), reason,
                 evidence + templated)


def _pod_problems(w: KubeObject) -> list[str]:
    """Why workload ``w``'s pods are not restricted: privileged or possibly-root containers."""
    template = _template(w)
    if w.kind == "CronJob":  # its pods come from spec.jobTemplate.spec.template
        template = (((w.spec or {}).get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    pod = template.get("spec") or {}
    pod_ctx = pod.get("securityContext") or {}
    out = []
    for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        ctx = c.get("securityContext") or {}
        if ctx.get("privileged"):
            out.append(f"{c.get('name')} privileged")
        user = ctx.get("runAsUser", pod_ctx.get("runAsUser"))
        non_root = ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot"))
        if user == 0 or not (non_root is True or (isinstance(user, int) and user > 0)):
            out.append(f"{c.get('name')} may run as root")
    return out


def _renders_chart(o: KubeObject) -> bool:
    """Whether installer ``o`` renders a Helm chart: a HelmRelease, or an Argo CD Application with a chart
    source, Helm parameters, or a path holding a chart of the repository (its ``chart`` fact)."""
    if o.kind == "HelmRelease":
        return True
    spec = mapping(o, "spec", o.spec)
    sources = [s for s in [spec.get("source"), *(spec.get("sources") or [])] if isinstance(s, dict)]
    return any(s.get("chart") or s.get("helm") for s in sources) or bool(chart_of(o))


def _charts_by_namespace(ev: ClusterSnapshot) -> dict[str, list[str]]:
    """Namespace -> the chart releases (``_renders_chart``) that install into it, as ``_cite`` names them."""
    charts = [o for o in _installers(ev) if _renders_chart(o)]
    cited = dict(zip((id(o) for o in charts), _cite_each(charts), strict=True))
    out: dict[str, list[str]] = {}
    for o in charts:
        for ns in namespaces_of(ev, o) or [""]:  # no namespace said: not a system one either
            if cited[id(o)] not in out.setdefault(ns, []):
                out[ns].append(cited[id(o)])
    return out


def _chart_releases(ev: ClusterSnapshot, cfg: CheckThresholds, labels: Mapping[str, Any]) -> list[str]:
    """Flux HelmReleases and Argo CD Applications rendering a Helm chart (``_renders_chart``) that install
    into an application namespace (``namespaces.namespaces_of``: a HelmRelease's ``targetNamespace``, else its
    own or the one its kustomization gives it; an Application's ``destination.namespace``; one given by a
    template counts), as ``where`` cites them (their files), each once."""
    out = [w for ns, found in _charts_by_namespace(ev).items()
           if not is_system_namespace(cfg, ns, labels.get(ns), used=True) for w in found]
    return list(dict.fromkeys(out))  # overlays declare one release in several files


@check("sec_pod_security", thresholds=PlatformNamespaces)
def pod_security(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Share of application workloads (Deployments, StatefulSets, DaemonSets and CronJobs) whose
    containers are not privileged and run as non-root (``runAsNonRoot`` or a non-zero
    ``runAsUser``, on the container or the pod).

    Not applicable without application workloads; on a repository whose applications are only Helm
    chart releases (their workloads exist once rendered), unknown naming them."""
    if ev.unreadable(NAMESPACE, *APPS, CRONJOB):
        return unknown("namespaces or workloads could not be read")
    labels = {n.name: n.labels for n in ev.items(*NAMESPACE)}
    apps, apart = set_apart(w for w in [*workloads(ev), *ev.items(*CRONJOB)]
                            if not is_system_namespace(cfg, w.namespace or "", labels.get(w.namespace or ""),
                                                       used=True))
    if not apps and apart:
        return unknown(f"no application workload the cluster gets{apart_clause(apart, 'workload')}")
    if not apps:
        charts = _chart_releases(ev, cfg, labels) if declared_only(ev) else []
        if charts:  # their workloads exist only once the charts are rendered: not seen, not absent
            return unknown(f"no application workload manifest; {plural(len(charts), 'chart release')} "
                           f"render{'s' if len(charts) == 1 else ''} theirs ({listing(charts)}), which a repository "
                           "does not show: their pod security is observed in a cluster snapshot", charts)
        return (_unnamed(ev, cfg, "application workload", "no application workload manifest")
                or not_applicable("no application workloads"))
    bad = {w.ref: p for w in apps if (p := _pod_problems(w))}
    reason = f"{len(apps) - len(bad)}/{len(apps)} application workloads restricted{_declared_note(ev)}"
    if bad:
        reason += "; " + listing(f"{ref.split('/')[-1]}: {', '.join(p)}" for ref, p in bad.items())
    reason += apart_clause(apart, "workload")
    return fraction(1 - len(bad) / len(apps), reason, list(bad) or [w.ref for w in apps])


@check("sec_trivy_operator")
def trivy_operator(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """The Trivy Operator runs and has written VulnerabilityReports."""
    if declared_only(ev):
        decl = declared(ev, ["trivy-operator"])
        if decl:
            return passed(f"the Trivy Operator is declared in {where(decl[0])}; its reports are observed only "
                          "in a cluster", [where(decl[0])])
        blind, skipped = blind_spots(ev, "HelmRelease")
        if blind:
            return unknown(f"the Trivy Operator is not declared in what was read; {blind}", skipped)
        return failed(f"the Trivy Operator is not declared {scope(ev)}")
    operator = running(ev, ["trivy-operator"])
    reports = ev.items(TRIVY, "VulnerabilityReport")
    if operator and reports:
        return passed(f"{operator[0].ref} running, {len(reports)} VulnerabilityReports", [operator[0].ref])
    if ev.unreadable((TRIVY, "VulnerabilityReport"), *APPS):
        return unknown("workloads or VulnerabilityReports could not be read")
    if operator:
        return failed(f"{operator[0].ref} running but no VulnerabilityReports yet", [operator[0].ref])
    if reports:
        return failed(f"{len(reports)} VulnerabilityReports but the trivy-operator is not running (stale)",
                      [r.ref for r in reports[:3]])
    return failed("the Trivy Operator is not installed")


def _image(r: KubeObject) -> str:
    report = (r.status or {}).get("report") or r.spec or {}
    art = report.get("artifact") or {}
    server = (report.get("registry") or {}).get("server")
    image = f"{art.get('repository') or r.name}:{art.get('tag') or art.get('digest') or '?'}"
    return f"{server}/{image}" if server else image


@check("sec_no_critical_cves", thresholds=CriticalCves)
def no_critical_cves(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Critical CVEs in running images (Trivy VulnerabilityReports, each image counted once) are at
    most ``max_critical``; no reports at all is unknown (no scan is not a clean scan)."""
    if ev.unreadable((TRIVY, "VulnerabilityReport")):
        return unknown("VulnerabilityReports could not be read")
    if declared_only(ev):
        return unknown("vulnerabilities of running images are observed only in a cluster (a repository "
                       "snapshot has no VulnerabilityReports)")
    reports = ev.items(TRIVY, "VulnerabilityReport")
    if not reports:
        return unknown("no VulnerabilityReports: the running images are not scanned")
    critical: dict[str, int] = {}
    refs: dict[str, str] = {}
    for r in reports:
        summary = (((r.status or {}).get("report") or r.spec or {}).get("summary")) or {}
        image = _image(r)
        critical[image] = max(critical.get(image, 0), int(summary.get("criticalCount") or 0))
        refs.setdefault(image, r.ref)
    total = sum(critical.values())
    worst = sorted(((n, i) for i, n in critical.items() if n), reverse=True)
    if total <= cfg["max_critical"]:
        return passed(f"{total} critical CVEs in {len(critical)} scanned images (max {cfg['max_critical']})",
                      [refs[i] for _, i in worst])
    return failed(f"{total} critical CVEs in {len(worst)}/{len(critical)} images (max {cfg['max_critical']}): "
                  f"{listing(f'{i} ({n})' for n, i in worst)}", [refs[i] for _, i in worst])


@check("sec_dependency_updates")
def dependency_updates(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A dependency bot (Renovate or Dependabot) is configured in the repository."""
    bots = repo(ev, "DependencyBot")
    if bots:
        tools = [f"{(b.spec or {}).get('tool', '?')} ({b.name})" for b in bots]
        return passed(f"dependency updates by {listing(tools)}", [b.ref for b in bots])
    if ev.unreadable((REPO_GROUP, "DependencyBot")):
        return unknown("the repository could not be read")
    return failed("no Renovate or Dependabot configuration in the repository")


@check("sec_sast")
def sast(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A CI job runs static application security testing: a tool that analyses code (CodeQL, Semgrep, ...),
    or a linter whose configuration in the repository enables a security analyser (the job's ``sast``:
    golangci-lint with gosec, ruff with the flake8-bandit rules). The reason names that configuration, and
    says when the analyser cannot fail its job (``continue-on-error``); it passes either way."""
    found = [(wf, j) for wf, j in jobs(ev) if "sast" in (j.get("does") or [])]
    if not found:
        return job_present(ev, "sast", "SAST in CI")

    def how(job: dict[str, Any]) -> str:
        said = [f"{a['tool']} with {a['analyser']} enabled "
                + ("on the command line" if a["config"] == "command line" else f"in {a['config']}")
                + ("" if a.get("blocking", True) else ", under continue-on-error: it reports but never fails the job")
                for a in job.get("sast") or []]
        return f" ({'; '.join(said)})" if said else ""

    refs = [f"{wf.name}#{j['name']}" for wf, j in found]
    return passed(f"SAST in CI: {listing(ref + how(j) for ref, (_, j) in zip(refs, found, strict=True))}", refs)


@check("sec_incident_runbook", thresholds=IncidentRunbook)
def incident_runbook(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A runbook whose path or title is about security (incident response: the rubric's ``pattern``),
    or a document whose heading treats a security incident (Document ``covers``
    ``security_incident``), exists in the repository; unknown when its documents could not be read."""
    return runbook_about(ev, cfg["pattern"], "security runbook",
                         f"no security incident runbook ({len(runbooks(ev))} runbooks in the repository)",
                         topic="security_incident")
