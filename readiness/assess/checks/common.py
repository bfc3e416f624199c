"""Small readers shared by the check families."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from readiness.assess.checks.base import (
    FILE_ANNOTATIONS,
    ClusterSnapshot,
    KubeObject,
    Result,
    failed,
    mapping,
    passed,
    unknown,
    whole,
)
from readiness.errors import MalformedFieldError
from readiness.store.repofacts import (
    ANY_KIND,
    LABELS_ANNOTATION,
    LABELS_AT_ANNOTATION,
    LABELS_LINE_ANNOTATION,
    REPO_API,
    UNFOLLOWED,
    not_deployed,
)

REPO_GROUP = REPO_API.split("/")[0]
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
HELM = "helm.toolkit.fluxcd.io"
FLUX_SOURCE = "source.toolkit.fluxcd.io"
ARGO = "argoproj.io"
KUSTOMIZE = "kustomize.config.k8s.io"
# Linkerd's control plane: the components that must all run for the mesh to work (what the
# linkerd-control-plane chart installs). The one definition the mesh and mTLS checks share.
LINKERD_CONTROL_PLANE = ("linkerd-destination", "linkerd-identity", "linkerd-proxy-injector")
# Charts that install several components, each on unless the values switch it off (the
# ``<component>_enabled`` facts of ``readiness.collect.helmfacts``).
BUNDLES: dict[str, tuple[str, ...]] = {
    "kube-prometheus-stack": ("prometheus", "alertmanager", "grafana", "prometheus-operator"),
    "victoria-metrics-k8s-stack": ("vmsingle", "vmagent", "vmalertmanager", "grafana"),
    "loki-stack": ("loki", "promtail"),
    "k8s-monitoring": ("alloy",),
    "linkerd-control-plane": LINKERD_CONTROL_PLANE,
    "istiod": ("istiod",),
}


# Charts that install a component under another name (a vendor's packaging of it).
CHART_COMPONENTS = {"aws-for-fluent-bit": "fluent-bit"}


def _workloads(ev: ClusterSnapshot) -> list[KubeObject]:
    return [w for kind in WORKLOAD_KINDS for w in ev.items("apps", kind)]


def workloads(ev: ClusterSnapshot) -> list[KubeObject]:
    """Every Deployment, StatefulSet and DaemonSet of the cluster (a new list; gathered once per snapshot)."""
    return list(ev.shared("workloads", _workloads))


def _by_name(ev: ClusterSnapshot) -> dict[str, list[int]]:
    """App name (``app_name``) and object name -> positions in ``workloads(ev)``, each position once per name."""
    out: dict[str, list[int]] = {}
    for i, w in enumerate(ev.shared("workloads", _workloads)):
        name = app_name(w)
        out.setdefault(name, []).append(i)
        if w.name != name:
            out.setdefault(w.name, []).append(i)
    return out


def ready_count(w: KubeObject) -> tuple[int, int]:
    """(ready, desired) replicas of a workload (worked out once per object); ``MalformedFieldError``
    naming the field that is not a whole number."""
    return w.derived("ready_count", _ready_count)  # type: ignore[no-any-return]  # what _ready_count returns


def _ready_count(w: KubeObject) -> tuple[int, int]:
    st = mapping(w, "status", w.status)
    if w.kind == "DaemonSet":
        return (whole(w, "status.numberReady", st.get("numberReady"), 0),
                whole(w, "status.desiredNumberScheduled", st.get("desiredNumberScheduled"), 0))
    return (whole(w, "status.readyReplicas", st.get("readyReplicas"), 0),
            whole(w, "spec.replicas", mapping(w, "spec", w.spec).get("replicas"), 1))


def app_name(w: KubeObject) -> str:
    """A workload's app name: its ``app.kubernetes.io/name`` label, else its ``app`` label, else its name."""
    return str(w.labels.get("app.kubernetes.io/name") or w.labels.get("app") or w.name)


def running(ev: ClusterSnapshot, apps: Iterable[str]) -> list[KubeObject]:
    """Workloads whose app name (label, else object name) is one of ``apps`` with >= 1 ready replica."""
    index: dict[str, list[int]] = ev.shared("workloads by name", _by_name)
    every: list[KubeObject] = ev.shared("workloads", _workloads)
    found = sorted({i for a in set(apps) for i in index.get(a, ())})  # in workloads(ev) order
    return [every[i] for i in found if ready_count(every[i])[0] > 0]


def declared_only(ev: ClusterSnapshot) -> bool:
    """Whether the evidence is a repository's declared state only (no cluster observed): a check of
    running state then judges what is declared, since a repository never has status."""
    return ev.declared_only


def where(item: KubeObject) -> str:
    """How a reason cites a declared object: the file it was read from when the collector recorded
    it (annotation ``readiness.dev/file`` or the repo collector's ``readiness.dev/source-path``, or
    kustomize's path annotations), else ``Kind ns/name``."""
    for key in FILE_ANNOTATIONS:
        if item.annotations.get(key):
            return str(item.annotations[key])
    if item.name.endswith((".yaml", ".yml")):
        return item.name
    return f"{item.kind} {item.namespace}/{item.name}" if item.namespace else f"{item.kind} {item.name}"


def chart_of(item: KubeObject) -> str:
    """The Helm chart a HelmRelease / Argo CD Application installs ('' when none)."""
    chart = item.facts.get("chart")
    if chart:
        return str(chart)
    spec = item.spec if isinstance(item.spec, dict) else {}
    if item.kind == "HelmRelease":
        return str((((spec.get("chart") or {}).get("spec") or {}).get("chart"))
                   or (spec.get("chartRef") or {}).get("name") or "")
    if item.kind == "HelmChart":
        return str(spec.get("chart") or "")
    if item.kind == "ApplicationSet":
        spec = ((spec.get("template") or {}).get("spec")) or {}
    sources = [spec.get("source"), *list(spec.get("sources") or [])]
    return next((str(s["chart"]) for s in sources if isinstance(s, dict) and s.get("chart")), "")


# A Job whose name says it installs something (``linkerd-crds-install``, ``istio-installer``).
INSTALL_SUFFIX = re.compile(r"-(?:install|installer|setup)$")


def names_of(item: KubeObject) -> set[str]:
    """The component names a declaring object installs: its chart (and what a bundle chart
    enables, and then only that) and, for a chart of the repository, the charts it depends on (fact
    ``chart_dependencies``, bundles the same way), its release / object name, an Argo CD source path's last
    directory."""
    spec = item.spec if isinstance(item.spec, dict) else {}
    chart = chart_of(item)
    out = set()
    if item.kind == "Kustomization":  # a kustomization.yaml installs its helmCharts, not its own name
        charts = item.status.get("helmCharts") if isinstance(item.status, dict) else None
        return {str(c.get("name")).lower() for c in charts or [] if isinstance(c, dict) and c.get("name")}
    # a chart of the repository installs what it depends on (an umbrella chart around kube-prometheus-stack)
    deps = item.facts.get("chart_dependencies")
    charts = [chart, *(str(d) for d in deps if d)] if isinstance(deps, list) else [chart]
    for one in charts:
        if one in BUNDLES:  # a bundle installs what its values enable, whatever the release is called
            out |= {part for part in BUNDLES[one] if item.facts.get(f"{part}_enabled") is not False}
        else:
            out |= {one, CHART_COMPONENTS.get(one, "")}
    if chart not in BUNDLES:
        out |= {item.name, str(item.labels.get("app.kubernetes.io/name") or ""), str(spec.get("releaseName") or "")}
    if item.kind == "Job":  # an install Job ("linkerd-control-plane-install") installs what it is named for
        out |= {INSTALL_SUFFIX.sub("", item.name)}
    if item.kind in ("Application", "ApplicationSet"):
        app = ((spec.get("template") or {}).get("spec") or {}) if item.kind == "ApplicationSet" else spec
        for s in [app.get("source"), *list(app.get("sources") or [])]:
            if isinstance(s, dict) and s.get("path"):
                out.add(str(s["path"]).rstrip("/").rsplit("/", 1)[-1])
            release = (s.get("helm") or {}).get("releaseName") if isinstance(s, dict) else None
            if isinstance(release, str) and "{{" not in release:
                out.add(release)
    return {n.lower() for n in out if n}


def installers(ev: ClusterSnapshot) -> list[KubeObject]:
    """Objects that install components: HelmReleases, Flux HelmCharts, Argo CD Applications and
    ApplicationSets, kustomizations with ``helmCharts``, workload manifests, and install Jobs
    (a name ending in ``-install``, ``-installer`` or ``-setup``)."""
    return (ev.items(HELM, "HelmRelease") + ev.items(FLUX_SOURCE, "HelmChart") + ev.items(ARGO, "Application")
            + ev.items(ARGO, "ApplicationSet") + ev.items(KUSTOMIZE, "Kustomization") + workloads(ev)
            + [j for j in ev.items("batch", "Job") if INSTALL_SUFFIX.search(j.name)])


def declared(ev: ClusterSnapshot, apps: Iterable[str]) -> list[KubeObject]:
    """Repository objects that install one of ``apps`` (chart, release, Application, workload
    manifest: see ``installers``), matched by name, case-insensitive."""
    wanted = {a.lower() for a in apps}
    return [i for i, names in ev.shared("declared installers", _declared_installers) if names & wanted]


def _declared_installers(ev: ClusterSnapshot) -> list[tuple[KubeObject, set[str]]]:
    """(installer, ``names_of`` it) of each declared installer, in ``installers`` order."""
    return [(i, names_of(i)) for i in installers(ev) if i.declared]


def hidden(ev: ClusterSnapshot, *kinds: str) -> list[str]:
    """Files the repository collector skipped that hold objects of ``kinds`` (the kinds it saw in
    their text): the paths from coverage rows with outcome ``skipped`` (detail ``path: reason``).
    A skipped file without any top-level ``apiVersion``/``kind`` (kind ``File``) holds no object."""
    return sorted({d.split(":", 1)[0] for d in ev.by_type.details("skipped", kinds)})


def failed_builds(ev: ClusterSnapshot, *kinds: str) -> list[str]:
    """The Flux Kustomizations of a repository's deployed view that do not build (coverage rows with
    outcome ``error`` of kind Kustomization, detail ``Kustomization ns/name (path ...): ...``).

    With ``kinds``, only those that could hold objects of ``kinds`` beyond what was read of them anyway:
    their ``Build`` fact's ``hides`` (the kinds of generators the built-in reader does not apply, ``*``
    for anything) names one of ``kinds`` or ``*``; a build without that record could hold any kind."""
    broken = sorted({d.split(" (path ", 1)[0] for d in ev.by_type.details("error", ("Kustomization",))})
    if not kinds or not broken:
        return broken
    hides = {str((b.spec or {}).get("by")): (b.spec or {}).get("hides") for b in repo(ev, "Build")}
    wanted = set(kinds) | {ANY_KIND}
    return [b for b in broken if not isinstance(h := hides.get(b), list) or wanted & set(h)]


def unfollowed(ev: ClusterSnapshot) -> list[str]:
    """Argo CD sources and Flux Kustomizations of another repository's source, in a repository's deployed
    view, that were not followed, so anything could hide
    in what they apply: ``ApplicationSet ns/name in <file> (<why, with the source path>)``, from coverage
    rows with outcome ``partial`` whose detail carries ``repofacts.UNFOLLOWED``."""
    return sorted({"{} ({})".format(*d.split(UNFOLLOWED, 1)) for d in ev.by_type.containing("partial", UNFOLLOWED)})


# A ``Build`` fact's ``renderer`` for a Helm chart kept in the repository that an Argo CD Application installs
# (``readiness.collect.deployed``): its dependencies and values are read as facts, its templates are not read.
NOT_RENDERED = "helm (not rendered)"


def unrendered(ev: ClusterSnapshot) -> list[str]:
    """The Helm charts of the repository a deployed view installs without rendering them, as repository paths:
    an Argo CD Application's path source holding a Chart.yaml (``Build`` fact renderer ``NOT_RENDERED``) and a
    Flux HelmRelease whose chart is a directory of a GitRepository. Their ``templates/`` were not read, and
    the snapshot does not say which kinds they hold: any kind could be there. The files view reads every
    template file as a skipped file, by the kinds in its text (``hidden``)."""
    out = [str((b.spec or {}).get("path")) for b in repo(ev, "Build")
           if str((b.spec or {}).get("renderer") or "").startswith(NOT_RENDERED) and (b.spec or {}).get("path")]
    if deployed_view(ev):
        for r in ev.items(HELM, "HelmRelease"):
            chart = ((((r.spec if isinstance(r.spec, dict) else {}).get("chart") or {}).get("spec")) or {})
            if isinstance(chart, dict) and (chart.get("sourceRef") or {}).get("kind") == "GitRepository" \
                    and isinstance(chart.get("chart"), str) and chart["chart"]:
                out.append(chart["chart"].removeprefix("./").rstrip("/"))
    return sorted(set(out))


def blind_spots(ev: ClusterSnapshot, *kinds: str, near: Iterable[str] = ()) -> tuple[str, list[str]]:
    """What a repository snapshot could not see that may hold objects of ``kinds``: skipped files
    (``hidden``), Argo CD sources not followed (``unfollowed``) and charts of the repository that were not
    rendered (``unrendered``), the last two of which may hold any kind, as a clause for a reason ("2 file(s)
    could not be read (a, b); 1 Argo CD source(s) not followed (...); 1 Helm chart(s) of the repository not
    rendered, whose templates were not read (k8s-apps/x)") and the evidence; ``("", [])`` when nothing is hidden.
    Charts whose directory is named for one of ``near`` (the component found beside what is missing) come first."""
    skipped, sources, charts = hidden(ev, *kinds), unfollowed(ev), unrendered(ev)
    names = {n.lower() for n in near}
    charts.sort(key=lambda c: c.rsplit("/", 1)[-1].lower() not in names)  # stable: then by path
    parts = []
    if skipped:
        parts.append(f"{len(skipped)} file(s) could not be read ({listing(skipped)})")
    if sources:
        parts.append(f"{len(sources)} source(s) not followed ({listing(sources, 2)})")
    if charts:
        parts.append(f"{len(charts)} Helm chart(s) of the repository not rendered, whose templates were not read "
                     f"({listing(charts)})")
    return "; ".join(parts), skipped + sources + charts


def missing_part(result: Result, ev: ClusterSnapshot, what: str, *kinds: str, near: Iterable[str] = ()) -> Result:
    """``result``, a fail or partial of a criterion with two parts for want of one of them (``what``: objects of
    ``kinds``)
    while the other is there (its evidence: cert-manager without an issuer, ESO without a secret store), judged
    against what a repository snapshot did not read: ``unknown`` when objects of ``kinds`` could hide there
    (``blind_spots``, or a Kustomization of the cluster that does not build and may hold them,
    ``failed_builds``), naming it (charts of the repository named for one of ``near`` first), the evidence of
    the part found kept; else ``result``.

    ``_unread`` keeps a fail that names objects read, since failures it names are real; the objects of a part
    found prove nothing about the part missing, which could be among what was not read."""
    if result.status not in ("fail", "partial") or not declared_only(ev):
        return result
    blind, missed = blind_spots(ev, *kinds, near=near)
    broken = failed_builds(ev, *kinds)
    parts = [blind] if blind else []
    if broken:
        parts.append(f"{plural(len(broken), 'Kustomization')} of this cluster "
                     f"{'does' if len(broken) == 1 else 'do'} not build ({listing(broken)})")
    if not parts:
        return result
    return unknown(f"{result.reason}; not read, and could hold {what}: {'; '.join(parts)}",
                   list(dict.fromkeys([*result.evidence, *missed, *broken])))


# Kinds an unapplied-files clause does not count (``elsewhere``): core objects, which nearly every file holds, and
# what installs a component, which a component check names by the component instead (``declared_result``).
NAMED_BY_COMPONENT = frozenset({"HelmRelease", "HelmChart", "Application", "ApplicationSet", "Kustomization", "Job",
                                "CronJob", "Pod", "ReplicaSet", *WORKLOAD_KINDS})
UNAPPLIED = "that no cluster applies"


def _kinds(n: int, kind: str) -> str:
    """``1 PrometheusRule``, ``2 NetworkPolicies``, ``3 Ingresses``."""
    if n == 1:
        return f"1 {kind}"
    return f"{n} {kind[:-1]}ies" if kind.endswith("y") else f"{n} {kind}es" if kind.endswith("s") else f"{n} {kind}s"


def _unapplied_specs(ev: ClusterSnapshot) -> list[tuple[str, dict[str, Any]]]:
    """(path, spec) of the deployed view's ``Unapplied`` facts (``readiness.collect.unapplied``), by path."""
    return sorted((str((u.spec or {}).get("path") or u.name), u.spec or {}) for u in repo(ev, "Unapplied"))


# API groups whose kinds read as something else without the product's name ("1 Cluster": a database cluster).
PRODUCTS = {"postgresql.cnpg.io": "CloudNativePG", "velero.io": "Velero", "k8up.io": "K8up",
            "volsync.backube": "VolSync", "chaos-mesh.org": "Chaos Mesh"}


def elsewhere(ev: ClusterSnapshot, read: Iterable[tuple[str, str]]) -> str:
    """What the repository declares of the kinds ``read`` ((API group, kind) pairs) in files that no cluster of
    its deployed view applies (``Unapplied`` facts), as a clause for a reason: ``the repository holds 17
    PrometheusRules (133 alerts) that no cluster applies (a.yaml, b.yaml and 15 more)``; PrometheusRules say
    their alerting rules. Core kinds and installers (``NAMED_BY_COMPONENT``) are not counted. '' when none."""
    wanted = {(g, k) for g, k in read if g and g != REPO_GROUP and k not in NAMED_BY_COMPONENT}
    if not wanted:
        return ""
    found: dict[str, tuple[int, int, list[str]]] = {}
    for path, spec in _unapplied_specs(ev):
        for row in spec.get("kinds") or []:
            if isinstance(row, dict) and (str(row.get("api_version", "")).rpartition("/")[0],
                                          str(row.get("kind"))) in wanted:
                group = str(row.get("api_version", "")).rpartition("/")[0]
                kind = f"{PRODUCTS[group]} {row['kind']}" if group in PRODUCTS else str(row["kind"])
                n, alerts, files = found.get(kind, (0, 0, []))
                more = int(spec.get("alerts") or 0) if row["kind"] == "PrometheusRule" else 0
                found[kind] = (n + int(row.get("count") or 0), alerts + more, [*files, path])
    parts = [(f"{_kinds(n, kind)}" + (f" ({plural(alerts, 'alert')})" if alerts else ""), files)
             for kind, (n, alerts, files) in sorted(found.items())]
    if len(parts) == 1:
        return f"the repository holds {parts[0][0]} {UNAPPLIED} ({listing(parts[0][1], 2)})"
    return f"the repository holds {', '.join(f'{w} ({listing(f, 2)})' for w, f in parts)} {UNAPPLIED}" if parts else ""


def unapplied_declarations(ev: ClusterSnapshot, apps: Iterable[str]) -> list[str]:
    """Files that no cluster of the deployed view applies whose HelmReleases, Applications or workloads install
    one of ``apps`` (their ``Unapplied`` fact's ``names``, a bundle chart counting as what it can install)."""
    wanted = {a.lower() for a in apps}
    out = []
    for path, spec in _unapplied_specs(ev):
        names = {str(n).lower() for n in spec.get("names") or []}
        names |= {part for n in names for part in BUNDLES.get(n, ())}
        if names & wanted:
            out.append(path)
    return out


def unseen(result: Result, ev: ClusterSnapshot, read: Iterable[tuple[str, str]]) -> Result:
    """``result`` judged against what the repository snapshot did not read (``_unread``), then, when it is
    still a fail on absence (no evidence) or a partial, against what the repository declares in files no
    cluster applies: the reason gains that clause (``elsewhere``), the status stays (the cluster does not
    get them: that is the deployed view's truth)."""
    read = list(read)
    result = _unread(result, ev, read)
    if (result.status == "partial" or (result.status == "fail" and not result.evidence)) and declared_only(ev) \
            and "no cluster applies" not in result.reason and (clause := elsewhere(ev, read)):
        return Result(result.status, result.score, f"{result.reason}; {clause}", tuple(result.evidence))
    return result


def _unread(result: Result, ev: ClusterSnapshot, read: Iterable[tuple[str, str]]) -> Result:
    """``result`` of a check that read the kinds ``read`` ((API group, kind) pairs), judged against
    what a repository snapshot could not read that may hold objects of those kinds: skipped files
    holding them and Argo CD sources not followed (``blind_spots``), and the Flux Kustomizations of
    the cluster that do not build (``failed_builds``: they may hold any kind but the repository's
    own facts, CI workflows and documents).

    A pass or partial resting on objects read from Kustomizations that do not build is ``unknown``, or says
    which of them the cluster does not get (``_unapplied``). Otherwise a pass, unknown or not_applicable
    is kept (what was found stays found). A ``fail`` on absence
    (no evidence) becomes ``unknown``; a ``fail`` that names objects read (its evidence) stays a
    ``fail``, since those failures are real and what was not read cannot undo them, and a
    ``partial`` keeps its score. The reason gains what was not read; a live snapshot is unchanged.
    A repository snapshot without any Kubernetes object (only CI workflows and documents) makes
    every such fail or partial ``unknown``: the repository says nothing about the cluster.
    """
    if result.status in ("pass", "partial") and declared_only(ev):
        result = _unapplied(result, ev)
    if result.status not in ("fail", "partial") or not declared_only(ev):
        return result
    kinds = list(dict.fromkeys(kind for group, kind in read if group != REPO_GROUP))
    if not kinds:
        return result
    if all(group == REPO_GROUP for group, _ in ev.by_kind.types()):
        return unknown(f"{result.reason}; the repository declares no Kubernetes object (only its CI workflows "
                       "and documents were read), so this cannot be judged from it", result.evidence)
    blind, missed = blind_spots(ev, *kinds)
    hiding = failed_builds(ev, *kinds)
    broken = [b for b in hiding if b not in result.reason]  # a build the reason names already is not repeated
    parts = [blind] if blind and not any(m in result.reason for m in missed) else []
    if broken:
        parts.append(f"{plural(len(broken), 'Kustomization')} of this cluster "
                     f"{'does' if len(broken) == 1 else 'do'} not build ({listing(broken)})")
    if not parts and not (hiding and result.status == "fail" and not result.evidence):
        return result
    them = "it" if len(hiding) == 1 else "them"
    reason = (f"{result.reason}; not read, and could hold more: {'; '.join(parts)}" if parts else
              f"{result.reason}; {listing(hiding)} could hold more than was read of {them}")
    evidence = list(result.evidence) + [m for m in missed if m not in result.evidence] + broken
    if result.status == "fail" and not result.evidence:
        return unknown(reason, evidence or hiding)
    return Result(result.status, result.score, reason, tuple(evidence))


def _unapplied(result: Result, ev: ClusterSnapshot) -> Result:
    """A pass or partial of a repository's deployed view judged against the Kustomizations that do not
    build: Flux applies none of their objects (``Objects.unapplied``). When everything the result names
    comes from them, it is ``unknown`` (declared, but not what the cluster gets until they build); when
    part of it does, the reason says which. Anything else is unchanged."""
    cut = ev.by_kind.unapplied()
    named = [e for e in result.evidence if e in cut]
    if not named:
        return result
    builds = list(dict.fromkeys(cut[e] for e in named))
    build = "do" if len(builds) > 1 else "does"
    clause = (f"{listing(named)} come{'s' if len(named) == 1 else ''} only from {listing(builds)}, which "
              f"{build} not build, and Flux applies none of {'their' if len(builds) > 1 else 'its'} objects")
    if len(named) == len(result.evidence):
        return unknown(f"{result.reason}; but {clause}", list(result.evidence) + builds)
    return Result(result.status, result.score, f"{result.reason}; of what it names, {clause}",
                  tuple(result.evidence))


def unapplied_by(o: KubeObject) -> str | None:
    """The Kustomization of a repository's deployed view that does not build whose object ``o`` is (Flux
    applies none of its objects: annotation ``readiness.dev/build: failed``, named by
    ``readiness.dev/applied-by``), else None."""
    if o.annotations.get("readiness.dev/build") != "failed":
        return None
    return o.annotations.get("readiness.dev/applied-by") or "a Kustomization that does not build"


def set_apart(items: Iterable[KubeObject], build_of: Callable[[KubeObject], str | None] | None = None,
              ) -> tuple[list[KubeObject], dict[str, list[str]]]:
    """``items`` split into what the cluster gets and what it does not: the second part maps each
    Kustomization that does not build to the names of its items (``build_of(item)``, default
    ``unapplied_by``, says which build an item comes from, None when applied). Share checks count
    only the first part, so a deployed view's numbers are what the cluster gets."""
    build_of = build_of or unapplied_by
    kept: list[KubeObject] = []
    apart: dict[str, list[str]] = {}
    for item in items:
        build = build_of(item)
        if build:
            apart.setdefault(build, []).append(item.name)
        else:
            kept.append(item)
    return kept, apart


def apart_clause(apart: dict[str, list[str]], noun: str) -> str:
    """``; not counted: 2 workloads (postgres, redis) of Kustomization flux-system/x, which does not build
    (Flux applies none of its objects)``, or '' when nothing was set apart."""
    if not apart:
        return ""
    parts = [f"{plural(len(names), noun)} ({listing(names)}) of {build}" for build, names in apart.items()]
    build = "does" if len(apart) == 1 else "do"
    return (f"; not counted: {listing(parts)}, which {build} not build (Flux applies none of "
            f"{'its' if len(apart) == 1 else 'their'} objects)")


def plural(n: int, noun: str) -> str:
    """``1 Kustomization``, ``2 Kustomizations``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def ready_detail(w: KubeObject) -> str:
    """``Kind ns/name ready/wanted ready`` for a reason (replicas, or a DaemonSet's scheduled pods)."""
    ready, want = ready_count(w)
    return f"{w.ref} {ready}/{want} ready"


def component(ev: ClusterSnapshot, role: str, apps: Iterable[str], kinds: Iterable[str] = ("HelmRelease",)) -> Result:
    """Whether a component filling ``role`` (any of ``apps``) runs, or on a repository snapshot is declared.

    Observed: pass when a workload of ``apps`` has ready replicas ("running: ..."), fail when none
    does (naming a declaration that is not running). Repository only: pass when declared ("declared
    in <file or Kind ns/name>"), unknown when skipped files could hold it, fail when nothing declares it.
    """
    apps = list(apps)
    found = running(ev, apps)
    if found:
        return passed(f"{role} running: {listing(ready_detail(w) for w in found)}", [w.ref for w in found])
    if not declared_only(ev):
        if ev.unreadable(("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet")):
            return unknown(f"workloads could not be read, so {role} cannot be seen")
        decl = declared(ev, apps)
        if decl:
            places = list(dict.fromkeys(where(d) for d in decl))
            return failed(f"{role} declared in {listing(places)} but not running", places)
        return failed(f"no {role} running (looked for {listing(apps, 6)})")
    return declared_result(ev, role, apps, declared(ev, apps), kinds)


def condition(item: KubeObject) -> str | None:
    """Why a declared object may not be installed on this cluster: ``declared only for clusters labelled
    <labels, set-based selector syntax> (<file:line>); no cluster in this repository carries the label``,
    from the deployed view's ``repofacts.LABELS_ANNOTATION`` (an ApplicationSet selecting clusters by labels);
    None when unconditional."""
    labels = item.annotations.get(LABELS_ANNOTATION)
    if not labels:
        return None
    return (f"declared only for clusters labelled {labels} ({labelled_at(item)}); "
            "no cluster in this repository carries the label")


def labelled_at(item: KubeObject) -> str:
    """``file:line`` of the label selector that makes ``item`` conditional (``condition``)."""
    line = item.annotations.get(LABELS_LINE_ANNOTATION)
    return f"{item.annotations.get(LABELS_AT_ANNOTATION) or where(item)}" + (f":{line}" if line else "")


def conditional_result(role: str, decl: list[KubeObject]) -> Result | None:
    """Unknown when every object of ``decl`` is declared only for labelled clusters (``condition``), naming
    the first one's file:line and labels; None when one is declared unconditionally (or none is)."""
    if not decl or any(condition(d) is None for d in decl):
        return None
    places = list(dict.fromkeys(labelled_at(d) for d in decl))
    return unknown(f"{role} {condition(decl[0])}", places)


def declared_result(ev: ClusterSnapshot, role: str, apps: list[str], decl: list[KubeObject],
                    kinds: Iterable[str]) -> Result:
    """On a repository snapshot: pass on ``decl``, unknown when skipped files or Argo CD sources not
    followed may hold it (``blind_spots``) or when it is declared only for labelled clusters
    (``conditional_result``), else fail (naming the files that declare it but no cluster applies,
    ``unapplied_declarations``)."""
    if (only_labelled := conditional_result(role, decl)) is not None:
        return only_labelled
    decl = [d for d in decl if condition(d) is None]  # what is declared for labelled clusters only does not count
    if decl:
        places = list(dict.fromkeys(where(d) for d in decl))  # overlays declare one thing in several files
        places.sort(key=lambda p: bool(not_deployed(p)))  # what is deployed first, examples and docs after
        return passed(f"{role} declared in {listing(places)}", places)
    blind, where_ = blind_spots(ev, *kinds, *WORKLOAD_KINDS)
    if blind:
        return unknown(f"no {role} declared in what was read; {blind}", where_)
    broken = failed_builds(ev, *kinds, *WORKLOAD_KINDS)
    if broken:
        return unknown(f"no {role} declared in what was read; {plural(len(broken), 'Kustomization')} of this "
                       f"cluster {'does' if len(broken) == 1 else 'do'} not build, and could declare it "
                       f"({listing(broken)})", broken)
    if orphans := unapplied_declarations(ev, apps):
        return failed(f"no {role} declared in what this cluster gets (looked for {listing(apps, 6)}); the repository "
                      f"declares it in {listing(orphans, 2)}, which no cluster applies")
    return failed(f"no {role} declared {scope(ev)} (looked for {listing(apps, 6)})")


def scope(ev: ClusterSnapshot) -> str:
    """Where a repository snapshot's absence was looked for: ``in what this cluster gets`` in a deployed view
    (another cluster of the repository may get it), ``in the repository`` in the files view."""
    return "in what this cluster gets" if deployed_view(ev) else "in the repository"


def deployed_view(ev: ClusterSnapshot) -> bool:
    """Whether ``ev`` is a repository's deployed view (its ``View`` fact), not its files view or a cluster."""
    return any((v.spec or {}).get("view") == "deployed" for v in repo(ev, "View"))


def workload_present(ev: ClusterSnapshot, role: str, apps: Iterable[str]) -> Result:
    """Pass when a workload filling ``role`` (any of ``apps``) runs, or is declared on a repository
    snapshot (``component``)."""
    return component(ev, role, apps)


def repo(ev: ClusterSnapshot, kind: str) -> list[KubeObject]:
    """Repository facts of ``kind`` (Workflow, Document, DependencyBot, IaC, CoverageReport)."""
    return ev.items(REPO_GROUP, kind)


def jobs(ev: ClusterSnapshot) -> list[tuple[KubeObject, dict[str, Any]]]:
    """(workflow, job) pairs of every CI workflow in the repository."""
    return [(wf, job) for wf in repo(ev, "Workflow") for job in (wf.spec or {}).get("jobs", [])]


def jobs_doing(ev: ClusterSnapshot, activity: str) -> list[str]:
    """``path#job`` of every CI job that does ``activity``."""
    return [f"{wf.name}#{job['name']}" for wf, job in jobs(ev) if activity in job.get("does", [])]


def documents(ev: ClusterSnapshot, *types: str) -> list[KubeObject]:
    """Documents in the repository of the given types."""
    return [d for d in repo(ev, "Document") if (d.spec or {}).get("type") in types]


def runbooks(ev: ClusterSnapshot) -> list[tuple[str, KubeObject]]:
    """(name, document) of every runbook in the repository, as a reader counts them: each procedure under a
    "Runbooks" heading (Document ``runbooks``, ``readiness.collect.runbooks``) is one, named
    ``path#heading``; a Document of type ``runbook`` without such procedures is one, named by its path.
    ``MalformedFieldError`` when ``runbooks`` is not a list of objects with a string heading."""
    out: list[tuple[str, KubeObject]] = []
    for d in repo(ev, "Document"):
        spec = mapping(d, "spec", d.spec)
        inside = spec.get("runbooks") or []
        if not isinstance(inside, list):
            raise MalformedFieldError(d.ref, "spec.runbooks", inside, "a list")
        for r in inside:
            heading = mapping(d, "spec.runbooks", r).get("heading")
            if not isinstance(heading, str) or not heading:
                raise MalformedFieldError(d.ref, "spec.runbooks.heading", heading, "a heading's text")
            out.append((f"{d.name}#{heading}", d))
        if not inside and spec.get("type") == "runbook":
            out.append((d.name, d))
    return out


def covering(ev: ClusterSnapshot, topic: str) -> list[KubeObject]:
    """Documents in the repository about ``topic``: of that type, or with a heading on it (their
    ``covers``, ``readiness.collect.facts.SECTION_TOPICS``: an operations guide's "## Escalation
    matrix" section documents the escalation)."""
    return [d for d in repo(ev, "Document")
            if (d.spec or {}).get("type") == topic or topic in ((d.spec or {}).get("covers") or [])]


def recovery_targets(ev: ClusterSnapshot) -> list[tuple[str, dict[str, Any]]]:
    """(document path, target) for every RTO/RPO target the repository's documents declare or plan
    (Document ``recovery_targets``: ``line``, ``section``, ``subject``, ``rto_hours``, ``rpo_hours``,
    ``planned``; ``readiness.collect.recovery``; and ``draft``: its document says it is a draft).
    ``MalformedFieldError`` for a target that is not an
    object or an hours value that is not a number."""
    out = []
    for d in repo(ev, "Document"):
        listed = mapping(d, "spec", d.spec).get("recovery_targets") or []
        if not isinstance(listed, list):
            raise MalformedFieldError(d.ref, "spec.recovery_targets", listed, "a list")
        for t in listed:
            t = mapping(d, "spec.recovery_targets", t)
            for key in ("rto_hours", "rpo_hours"):
                if t.get(key) is not None and (isinstance(t[key], bool) or not isinstance(t[key], int | float)):
                    raise MalformedFieldError(d.ref, f"spec.recovery_targets.{key}", t[key], "a number of hours")
            out.append((d.name, {**t, "draft": mapping(d, "spec", d.spec).get("draft") is True}))
    return out


def runbook_about(ev: ClusterSnapshot, pattern: str, what: str, none: str, topic: str | None = None) -> Result:
    """Whether a runbook on a subject exists in the repository: a runbook (``runbooks``: a Document of type
    ``runbook``, or a procedure under a document's "Runbooks" heading) whose name (path, or ``path#heading``)
    or document title matches ``pattern`` (a regular expression, case-insensitive), or any Document whose
    headings treat ``topic`` (its ``covers``, e.g. ``disaster_recovery``).

    Pass naming the first such runbook or document (``what`` + its name; evidence: every match);
    ``unknown`` when the repository's documents could not be read (forbidden, error, partial),
    since the runbook may be among them; else fail with the reason ``none``. A Document whose
    spec is not an object raises ``MalformedFieldError`` (the evaluation's unknown).
    """
    found = [name for name, d in runbooks(ev)
             if re.search(pattern, f"{name} {mapping(d, 'spec', d.spec).get('title', '')}", re.I)]
    found += [d.name for d in (covering(ev, topic) if topic else []) if d.name not in found]
    if found:
        return passed(f"{what} {found[0]}", found)
    if ev.unreadable((REPO_GROUP, "Document")):
        return unknown("repository documents could not be read")
    return failed(none)


def attested(ev: ClusterSnapshot, fact: str, what: str) -> Result:
    """Pass on a valid attestation of ``fact``; unknown when it expired; fail when none was made."""
    a = ev.attestation(fact)
    if a is None:
        return failed(f"no attestation that {what}")
    if not a.valid_on(ev.day):
        return unknown(f"attestation that {what} expired on {a.expires}", [f"attestation/{fact}"])
    return passed(f"{what}: attested by {a.by} on {a.made}", [f"attestation/{fact}", a.evidence])


def listing(names: Iterable[str], limit: int = 3) -> str:
    """``a, b, c and 2 more``: names for a one-line reason."""
    names = list(names)
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def job_present(ev: ClusterSnapshot, activity: str, what: str) -> Result:
    """Pass when a CI job does ``activity``; unknown when the workflows could not be read."""
    found = jobs_doing(ev, activity)
    if found:
        return passed(f"{what}: {listing(found)}", found)
    if ev.unreadable((REPO_GROUP, "Workflow")):
        return unknown("CI workflows could not be read")
    return failed(f"no CI job does {activity} ({len(repo(ev, 'Workflow'))} workflow(s) in the repository)")
