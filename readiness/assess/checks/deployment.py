"""Deployment checks: GitOps sync, CI/CD pipelines and their gates, progressive delivery, tests in CI."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from readiness.assess.checks.base import (
    CheckThresholds,
    ClusterSnapshot,
    KubeObject,
    Result,
    check,
    failed,
    fraction,
    not_applicable,
    passed,
    share,
    unknown,
)
from readiness.assess.checks.common import (
    HELM,
    REPO_GROUP,
    WORKLOAD_KINDS,
    app_name,
    blind_spots,
    declared,
    declared_only,
    job_present,
    jobs,
    jobs_doing,
    listing,
    missing_part,
    repo,
    running,
    where,
    workloads,
)
from readiness.store.repofacts import not_deployed

FLUX_SOURCE = "source.toolkit.fluxcd.io"
FLUX_KUSTOMIZE = "kustomize.toolkit.fluxcd.io"
ARGO = "argoproj.io"
FLAGGER = "flagger.app"
WORKFLOW = (REPO_GROUP, "Workflow")

TEST_ACTIVITIES = ("test", "unit-test", "integration-test", "e2e-test")
# Jobs that deploy but are not "the" deploy of an environment: a rollback restores a release
# that was tested before, a preview deploys an untested pull request on purpose.
NOT_RELEASES = ("rollback", "preview")
MANUAL_TRIGGERS = ("workflow_dispatch",)
CHANGE_TRIGGERS = ("push", "pull_request", "merge_request")
AFTER_CI_TRIGGERS = ("workflow_run",)


@dataclass(frozen=True)
class GitopsManaged:
    """deploy_workloads_gitops_managed: the share of workloads (0..1) Flux or Argo CD must manage."""

    min_share: float = 0.9


@dataclass(frozen=True)
class AutoDeployEnvironments:
    """deploy_auto_dev: the environments (as deploy jobs name them) deployed without a person starting it."""

    environments: tuple[str, ...] = ("development",)


@dataclass(frozen=True)
class ProductionEnvironments:
    """deploy_prod_approval: the production environments (``production`` always counts)."""

    environments: tuple[str, ...] = ("production",)


@dataclass(frozen=True)
class CanaryServices:
    """deploy_canary: the critical services (app name or object name) that must roll out by canary."""

    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class CiPipeline:
    """deploy_ci_pipeline: the score (0..1) when only path-limited workflows build and test: some changes
    are built and tested, the others never are."""

    path_limited_score: float = 0.5


@dataclass(frozen=True)
class UnitCoverage:
    """test_unit_coverage: the line coverage wanted (0..1)."""

    min_line_rate: float = 0.8


Job = tuple[KubeObject, dict[str, Any]]


def _ref(wf: KubeObject, job: dict[str, Any]) -> str:
    return f"{wf.name}#{job['name']}"


def _does(job: dict[str, Any], *activities: str) -> bool:
    return any(a in (job.get("does") or []) for a in activities)


def _triggers(wf: KubeObject) -> list[str]:
    return list((wf.spec or {}).get("triggers") or [])


def _upstream(ev: ClusterSnapshot, wf: KubeObject, job: dict[str, Any]) -> list[Job]:
    """Every job ``job`` waits for through ``needs``, transitively.

    A needed name is looked up in the job's own workflow first, then in the other workflows
    (deploy workflows chained after CI name CI's jobs).
    """
    everything = jobs(ev)
    seen: dict[str, Job] = {}
    todo = [(wf, job)]
    while todo:
        w, j = todo.pop()
        for name in j.get("needs") or []:
            same = [(w2, j2) for w2, j2 in everything if w2.name == w.name and j2["name"] == name]
            found = same or [(w2, j2) for w2, j2 in everything if j2["name"] == name]
            for w2, j2 in found[:1]:
                if _ref(w2, j2) not in seen:
                    seen[_ref(w2, j2)] = (w2, j2)
                    todo.append((w2, j2))
    return list(seen.values())


def _releases(ev: ClusterSnapshot) -> list[Job]:
    """Deploy jobs that release to an environment (not rollbacks, not previews)."""
    return [(wf, j) for wf, j in jobs(ev) if _does(j, "deploy") and not _does(j, *NOT_RELEASES)]


def _workflows_unknown(ev: ClusterSnapshot) -> Result | None:
    return unknown("CI workflows could not be read") if ev.unreadable(WORKFLOW) else None


FLUX_SOURCES = ("GitRepository", "OCIRepository", "Bucket")


def _sync_declared(ev: ClusterSnapshot) -> Result:
    """On a repository snapshot: GitOps is declared when Flux Kustomizations or Argo CD
    Applications / ApplicationSets are (their sync state is observed only in a cluster)."""
    every = ([o for k in FLUX_SOURCES for o in ev.items(FLUX_SOURCE, k)] + ev.items(FLUX_KUSTOMIZE, "Kustomization")
             + ev.items(ARGO, "Application") + ev.items(ARGO, "ApplicationSet"))
    examples = [where(o) for o in every if not_deployed(where(o))]  # how to use the project, not its state
    sources = [o for o in every if o.kind in FLUX_SOURCES and not not_deployed(where(o))]
    kustomizations = [o for o in every if o.api_version.startswith(FLUX_KUSTOMIZE) and not not_deployed(where(o))]
    apps = [o for o in every if o.kind in ("Application", "ApplicationSet") and not not_deployed(where(o))]
    if not (kustomizations or apps):
        blind, skipped = blind_spots(ev, "Kustomization", "Application", "ApplicationSet", *FLUX_SOURCES)
        if blind:
            return unknown(f"no Flux Kustomization or Argo CD Application in the files read; {blind}", skipped)
        if sources:
            return failed(f"{sources[0].kind} {sources[0].name} declared but no Kustomization applies it",
                          [where(o) for o in sources])
        also = (f" (only examples, docs or test fixtures declare some: {listing(examples)}; they are not "
                "what the repository deploys)") if examples else ""
        return failed("no GitOps declared: no Flux Kustomization and no Argo CD Application in the repository"
                      + also, examples)
    # the sources Kustomizations sync from, not the chart sources HelmReleases pull from
    synced = {(str(r.get("kind")), str(r.get("name"))) for k in kustomizations
              if isinstance(r := (k.spec or {}).get("sourceRef"), dict)}
    sources = [o for o in sources if (o.kind, o.name) in synced] if kustomizations else sources
    parts = []
    for label, objs in (("Flux Kustomizations", kustomizations), ("Argo CD Applications/ApplicationSets", apps),
                        ("Flux sources", sources)):
        if objs:
            kinds = sorted({o.kind for o in objs}) if label == "Flux sources" else []
            parts.append(f"{len(objs)} {label}" + (f" ({', '.join(kinds)})" if kinds else ""))
    suspended = [o.name for o in kustomizations + sources if (o.spec or {}).get("suspend")]
    reason = f"declared: {', '.join(parts)}; sync state is observed only in a cluster"
    evidence = list(dict.fromkeys(where(o) for o in kustomizations + apps))[:10]  # one file may declare several
    if suspended:
        return fraction(1 - len(suspended) / len(kustomizations + sources),
                        f"{reason}; suspended: {listing(suspended)}", evidence)
    return passed(reason, evidence)


@check("deploy_gitops_sync")
def gitops_sync(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """GitOps syncs the cluster (on a repository: Flux or Argo CD objects are declared).

    Flux syncs from a Ready source (GitRepository, OCIRepository or Bucket) with Ready,
    unsuspended Kustomizations, or Argo CD Applications are Synced and Healthy; the score is the
    share of those GitOps objects in order."""
    if declared_only(ev):
        return _sync_declared(ev)
    repos = [o for k in FLUX_SOURCES for o in ev.items(FLUX_SOURCE, k) if not o.declared]
    kustomizations = [o for o in ev.items(FLUX_KUSTOMIZE, "Kustomization") if not o.declared]
    applications = [o for o in ev.items(ARGO, "Application") if not o.declared]
    flux_blind = ev.unreadable(*((FLUX_SOURCE, k) for k in FLUX_SOURCES), (FLUX_KUSTOMIZE, "Kustomization"))
    argo_blind = ev.unreadable((ARGO, "Application"))
    if (flux_blind and not applications) or (argo_blind and not (repos or kustomizations)):
        return unknown(f"GitOps objects could not be read ({', '.join(flux_blind + argo_blind)})")
    if not (repos or kustomizations or applications):
        return failed("no GitOps: no Flux source or Kustomization and no Argo CD Application")

    def flux_problem(o: KubeObject) -> str | None:
        if (o.spec or {}).get("suspend"):
            return "suspended"
        return None if o.condition("Ready") else "not Ready"

    problems = {o.ref: flux_problem(o) for o in repos + kustomizations}
    for a in applications:
        st = a.status or {}
        sync, health = (st.get("sync") or {}).get("status"), (st.get("health") or {}).get("status")
        problems[a.ref] = None if (sync, health) == ("Synced", "Healthy") else f"{sync or '?'}/{health or '?'}"
    if kustomizations and not [r for r in repos if problems[r.ref] is None]:
        sources = listing(f"{r.kind} {r.name} {problems[r.ref]}" for r in repos) or "none"
        return failed(f"Flux has no Ready source ({sources}): nothing syncs", [r.ref for r in repos])
    if repos and not (kustomizations or applications):
        return failed(f"{repos[0].kind} {repos[0].name} exists but no Kustomization applies it",
                      [r.ref for r in repos])
    parts = []
    for label, objs in (("Flux sources", repos), ("Kustomizations", kustomizations),
                        ("Argo CD Applications", applications)):
        if objs:
            parts.append(f"{sum(problems[o.ref] is None for o in objs)}/{len(objs)} {label}")
    bad = [f"{ref.split('/')[-1]} {p}" for ref, p in problems.items() if p]
    reason = ", ".join(parts) + " in sync" + (f"; {listing(bad)}" if bad else "")
    return fraction(1 - len(bad) / len(problems), reason, [ref for ref, p in problems.items() if p] or list(problems))


def _gitops_managed(w: KubeObject, applications: set[str]) -> bool:
    """Whether Flux or Argo CD applied workload ``w``, by the labels and annotations they set."""
    return bool(
        w.labels.get("kustomize.toolkit.fluxcd.io/name")
        or w.labels.get("helm.toolkit.fluxcd.io/name")
        or w.labels.get("argocd.argoproj.io/instance")
        or w.annotations.get("argocd.argoproj.io/tracking-id")
        # Argo CD's default tracking label; Helm sets it too, so it needs an Application of that name.
        or w.labels.get("app.kubernetes.io/instance") in applications
    )


@check("deploy_workloads_gitops_managed", thresholds=GitopsManaged)
def workloads_gitops_managed(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Share of workloads applied by Flux or Argo CD (their tracking labels), against ``min_share``.

    Namespaces ``kube-*`` hold what the Kubernetes distribution installs itself and are left out.
    """
    if ev.unreadable(*[("apps", k) for k in WORKLOAD_KINDS]):
        return unknown("workloads could not be read")
    if declared_only(ev):
        return unknown(f"{len(workloads(ev))} workloads declared in the repository; workloads applied by hand "
                       "are observed only in a cluster")
    applications = {a.name for a in ev.items(ARGO, "Application")}
    counted = [w for w in workloads(ev) if not w.declared and not (w.namespace or "").startswith("kube-")]
    if not counted:
        return not_applicable("no workloads outside kube-* namespaces")
    manual = [w for w in counted if not _gitops_managed(w, applications)]
    share = 1 - len(manual) / len(counted)
    reason = f"{len(counted) - len(manual)}/{len(counted)} workloads managed by GitOps (min {cfg['min_share']:.0%})"
    if manual:
        reason += f"; not: {listing(w.ref for w in manual)}"
    if share >= cfg["min_share"]:
        return passed(reason, [w.ref for w in manual])
    return fraction(share / cfg["min_share"] if cfg["min_share"] else 1.0, reason, [w.ref for w in manual])


def _limits(wf: KubeObject, job: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(paths, paths_ignore) a job runs on changes to: its own (GitLab ``rules: changes``, a Woodpecker
    step's ``when: path``), else its workflow's (GitHub ``on.<event>.paths``/``paths-ignore``,
    Woodpecker's ``when: path``); ([], []) for every change."""
    spec = wf.spec or {}
    if job.get("paths") or job.get("paths_ignore"):
        return list(job.get("paths") or []), list(job.get("paths_ignore") or [])
    return list(spec.get("paths") or []), list(spec.get("paths_ignore") or [])




def _nothing_to_build(ev: ClusterSnapshot) -> str | None:
    """What the collector looked for when the repository holds nothing to build (its ``BuildInputs`` fact
    counts none), as a phrase; None when it holds something, or when no such fact was recorded."""
    found = repo(ev, "BuildInputs")
    spec = (found[0].spec or {}) if found else None
    if spec is None or spec.get("count") != 0:
        return None
    looked = [str(x) for x in spec.get("looked_for") or []]
    named = ", ".join(looked[:-1]) + " or " + looked[-1] if len(looked) > 1 else "".join(looked) or "build input"
    return f"nothing in the repository needs building (no {named})"


@check("deploy_ci_pipeline", thresholds=CiPipeline)
def ci_pipeline(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Workflows triggered by push or pull request build and test every change (a job doing build
    and a job doing tests, in one workflow or two).

    Path filters count: a job limited to some paths (GitHub ``paths``, GitLab ``rules: changes``,
    Woodpecker ``when: path``) builds or tests only changes there. ``pass`` when a build job and a test
    job run on every change (a ``paths-ignore`` is named in the reason); ``partial`` (score
    ``path_limited_score``, a threshold of the rubric) when the only ones are path-limited, naming each
    workflow and its paths.

    A repository that holds nothing to build (its ``BuildInputs`` fact counts no Dockerfile, build
    configuration or compiled code: manifests only) and has no build job needs only the tests: ``pass`` when
    a test job runs on every change, the reason naming what was looked for. For manifests, a job that
    validates them (``validate``: kubeconform, flux-local, conftest, checkov, a kustomize or Helm render,
    also as pre-commit hooks) is that test; the reason says "validated"."""
    if (result := _workflows_unknown(ev)) is not None:
        return result
    workflows = repo(ev, "Workflow")
    on_change = [wf for wf in workflows if set(_triggers(wf)) & set(CHANGE_TRIGGERS)]
    pairs = [(wf, j) for wf in on_change for j in (wf.spec or {}).get("jobs") or []]
    builds = [(wf, j) for wf, j in pairs if _does(j, "build")]
    tests = [(wf, j) for wf, j in pairs if _does(j, *TEST_ACTIVITIES)]
    everywhere = [[(wf, j) for wf, j in found if not _limits(wf, j)[0]] for found in (builds, tests)]
    if workflows and not builds and (nothing := _nothing_to_build(ev)) is not None:
        # manifests only: validating them (schemas, policies, a render that must build) is their test
        checked = [(wf, j) for wf, j in pairs if _does(j, *TEST_ACTIVITIES, "validate")]
        return _tests_only(nothing, checked, [(wf, j) for wf, j in checked if not _limits(wf, j)[0]], cfg,
                           on_change, workflows)
    if all(everywhere):
        (bw, bj), (tw, tj) = everywhere[0][0], everywhere[1][0]
        ignored = list(dict.fromkeys(g for wf, j in ((bw, bj), (tw, tj)) for g in _limits(wf, j)[1]))
        but = f" except changes to {listing(ignored)} (paths-ignore)" if ignored else ""
        return passed(f"every change{but} is built ({_ref(bw, bj)}) and tested ({_ref(tw, tj)})",
                      [_ref(bw, bj), _ref(tw, tj)])
    if builds and tests:
        limited: dict[str, dict[str, None]] = {}
        for wf, j in builds + tests:
            paths = _limits(wf, j)[0]
            if paths:
                limited.setdefault(wf.name, {}).update(dict.fromkeys(paths))
        named = "; ".join(f"{name} only on {', '.join(paths)}" for name, paths in limited.items())
        missing = " and ".join(w for w, found in (("built", everywhere[0]), ("tested", everywhere[1])) if not found)
        return Result("partial", float(cfg["path_limited_score"]),
                      f"changes are {missing} only under some paths: {named}; changes elsewhere are never "
                      f"{missing} in CI", tuple(limited))
    if not workflows:
        return failed("no CI workflows in the repository")
    missing = " and ".join(what for what, found in (("built", builds), ("tested", tests)) if not found)
    names = listing(wf.name for wf in on_change) or "none"
    return failed(f"changes are not {missing} in CI ({len(on_change)}/{len(workflows)} workflows run on "
                  f"push/pull_request: {names})", [wf.name for wf in workflows])


def _tests_only(nothing: str, tests: list[Job], everywhere: list[Job], cfg: CheckThresholds,
                on_change: list[KubeObject], workflows: list[KubeObject]) -> Result:
    """deploy_ci_pipeline where nothing needs building: the tests alone decide."""
    if everywhere:
        tw, tj = next(((w, j) for w, j in everywhere if _does(j, *TEST_ACTIVITIES)), everywhere[0])
        ignored = _limits(tw, tj)[1]
        but = f" except changes to {listing(ignored)} (paths-ignore)" if ignored else ""
        how = ("tested" if _does(tj, *TEST_ACTIVITIES) else
               "validated (its manifests checked against schemas or policies)")
        return passed(f"{nothing}; every change{but} is {how} ({_ref(tw, tj)})", [_ref(tw, tj)])
    if tests:
        limited: dict[str, dict[str, None]] = {}
        for wf, j in tests:
            limited.setdefault(wf.name, {}).update(dict.fromkeys(_limits(wf, j)[0]))
        named = "; ".join(f"{name} only on {', '.join(paths)}" for name, paths in limited.items())
        return Result("partial", float(cfg["path_limited_score"]),
                      f"{nothing}; changes are tested only under some paths: {named}; changes elsewhere are never "
                      "tested in CI", tuple(limited))
    names = listing(wf.name for wf in on_change) or "none"
    return failed(f"changes are not tested in CI ({len(on_change)}/{len(workflows)} workflows run on "
                  f"push/pull_request: {names}); {nothing}", [wf.name for wf in workflows])


def _at(wf: KubeObject, job: dict[str, Any]) -> str:
    """file:line of a job's ``if:`` (the file alone when the line is not known)."""
    return f"{wf.name}:{job['if_line']}" if job.get("if_line") else wf.name


def _bypass(ev: ClusterSnapshot, chain: list[Job], test: Job) -> list[str] | None:
    """How a deploy runs without ``test`` passing: the test job's failure is ignored (GitHub
    ``continue-on-error``, GitLab ``allow_failure``, Woodpecker ``failure: ignore``), or it can be skipped
    by its ``if:`` and a job of the chain that waits for it runs anyway (``always()`` / ``!failure()`` /
    ``!cancelled()``), so a skipped test result lets the chain go on; None when the test job gates."""
    tw, tj = test
    if tj.get("ignores_failure"):  # it runs, but its failure stops nothing that waits for it
        return [f"{tw.name} ({tj['name']}: {tj['ignores_failure']}, so a failing test does not stop the deploy)"]
    if not tj.get("skippable"):
        return None
    for w, j in chain:
        if j.get("runs_anyway") and _ref(tw, tj) in {_ref(*u) for u in _upstream(ev, w, j)}:
            return [f"{_at(tw, tj)} ({tj['name']} can be skipped by its if:)",
                    f"{_at(w, j)} ({j['name']} runs anyway and accepts a skipped {tj['name']})"]
    return None


def _pulled_by(ev: ClusterSnapshot) -> tuple[str, list[str]]:
    """What applies the repository to the cluster when no CI job deploys: Flux Kustomizations and Argo CD
    Applications / ApplicationSets (on a repository, those outside examples, docs and test fixtures), as a
    phrase ("Flux (21 Kustomizations)") and evidence (their files, or refs); ``("", [])`` when none."""
    parts, evidence = [], []
    for tool, group, kinds in (("Flux", FLUX_KUSTOMIZE, ("Kustomization",)),
                               ("Argo CD", ARGO, ("Application", "ApplicationSet"))):
        counts = []
        for kind in kinds:
            objs = [o for o in ev.items(group, kind) if not (o.declared and not_deployed(where(o)))]
            counts += [f"{len(objs)} {kind}{'' if len(objs) == 1 else 's'}"] if objs else []
            evidence += [where(o) if o.declared else o.ref for o in objs]
        parts += [f"{tool} ({', '.join(counts)})"] if counts else []
    return " and ".join(parts), list(dict.fromkeys(evidence))[:3]


def _pull_gate(ev: ClusterSnapshot, what: str, lives: str, *, beside_ci: bool = False) -> Result | None:
    """When CI deploys nothing (or, ``beside_ci``, deploys elsewhere than what is judged) and a GitOps tool applies
    the repository (``_pulled_by``): ``unknown`` saying ``what`` is not in CI and that it ``lives`` where a
    repository does not show (branch protection, pull-request review), naming the GitOps objects and the CI jobs
    that test or validate pull requests (what branch protection could require); None otherwise (a CI that
    deploys is judged as it is)."""
    if _releases(ev) and not beside_ci:
        return None
    tool, evidence = _pulled_by(ev)
    if not tool:
        return None
    checks = [_ref(wf, j) for wf, j in jobs(ev)
              if set(_triggers(wf)) & {"pull_request", "merge_request"} and _does(j, *TEST_ACTIVITIES, "validate")]
    could = f"; CI jobs that test pull requests, which it could require: {listing(checks)}" if checks else ""
    verb = "apply" if " and " in tool else "applies"
    return unknown(f"{what}: {tool} {verb} what is merged, so {lives}, which a repository does not show{could}",
                   evidence + checks)


@dataclass(frozen=True)
class DeployGate:
    """deploy_tests_gate_deploys: the share of a gate (0..1) a deploy earns when the tests it waits for
    can be skipped or their failure is ignored."""

    skippable_gate_score: float = 0.5


@check("deploy_tests_gate_deploys", thresholds=DeployGate)
def tests_gate_deploys(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Share of deploy jobs that wait for tests: they test themselves, need a test job (through
    ``needs``), or run on ``workflow_run`` after a workflow that tests. Rollbacks and previews are left out.

    A test job is no gate when its failure is ignored (``continue-on-error``, ``allow_failure``,
    ``failure: ignore``), or when its ``if:`` can skip it and a job between it and the deploy runs anyway
    (``always()``, ``!failure()``, ``!cancelled()``): such a deploy counts the rubric's
    ``skippable_gate_score`` and the evidence says why (the ``if:`` lines as file:line)."""
    if (result := _workflows_unknown(ev)) is not None:
        return result
    if (pulled := _pull_gate(ev, "no deploy job in CI", "what gates a deploy is what gates a merge (required "
                             "status checks of branch protection)")) is not None:
        return pulled
    releases = _releases(ev)
    if not releases:
        return failed("no deploy job in CI")
    testing = any(_does(j, *TEST_ACTIVITIES) for _, j in jobs(ev))
    ungated, bypassed = [], []
    bypass_evidence: list[str] = []
    for wf, job in releases:
        after_ci = testing and bool(set(_triggers(wf)) & set(AFTER_CI_TRIGGERS))
        chain = [(wf, job), *_upstream(ev, wf, job)]
        gates = [(w, j) for w, j in chain[1:] if _does(j, *TEST_ACTIVITIES)]
        if _does(job, *TEST_ACTIVITIES) or after_ci:
            continue
        if not gates:
            ungated.append(_ref(wf, job))
            continue
        bypasses = [_bypass(ev, chain, t) for t in gates]
        if all(bypasses):
            bypassed.append(_ref(wf, job))
            bypass_evidence += [e for b in bypasses if b for e in b if e not in bypass_evidence]
    gated = len(releases) - len(ungated) - len(bypassed)
    reason = f"{gated}/{len(releases)} deploy jobs wait for tests"
    reason += f"; not: {listing(ungated)}" if ungated else ""
    if bypassed:
        reason += (f"; {listing(bypassed)} wait{'s' if len(bypassed) == 1 else ''} for tests that can be skipped "
                   "or fail: "
                   + "; ".join(bypass_evidence))
    score = (gated + float(cfg["skippable_gate_score"]) * len(bypassed)) / len(releases)
    return fraction(score, reason, ungated + bypassed + bypass_evidence or [_ref(wf, j) for wf, j in releases])


@check("deploy_auto_dev", thresholds=AutoDeployEnvironments)
def auto_dev(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Share of the threshold's environments that a deploy job reaches without a person starting it
    (its workflow has a trigger other than ``workflow_dispatch``, and the job is not manual: GitLab
    ``when: manual`` on every rule it runs under, a Woodpecker deployment event). An automatic deploy
    job naming no environment (a GitOps commit whose overlay is chosen at run time) may reach the
    missing ones: ``unknown`` (``partial`` when some are reached) rather than ``fail``."""
    if (result := _workflows_unknown(ev)) is not None:
        return result
    envs = [str(e) for e in cfg["environments"]]
    auto: dict[str, str] = {}
    manual: dict[str, str] = {}
    unnamed: list[str] = []  # automatic deploy jobs naming no environment (chosen at run time)
    for wf, job in _releases(ev):
        env = str(job.get("environment") or "").lower()
        by_hand = bool(job.get("manual")) and not job.get("auto_rules")
        target = auto if set(_triggers(wf)) - set(MANUAL_TRIGGERS) and not by_hand else manual
        if not env and target is auto:
            unnamed.append(_ref(wf, job))
        for e in envs:
            if env == e.lower():
                target.setdefault(e, _ref(wf, job))
    have = _environments(ev)
    tools = {str((v.spec or {}).get("tool")) for v in repo(ev, "View") if (v.spec or {}).get("view") == "deployed"}
    clusters = {str(c).lower() for v in repo(ev, "View") for c in (v.spec or {}).get("clusters") or []}
    for e in envs:  # a cluster of the deployed view is deployed by its GitOps tool: Flux syncs on every commit
        if e not in auto and e.lower() in clusters and "flux" in tools:
            auto[e] = f"Flux (cluster {e})"
        elif e not in auto and e.lower() in clusters:
            unnamed.append(f"Argo CD (cluster {e}, its sync policy observed only in Argo CD)")
    absent = [e for e in envs if have is not None and e not in auto and e not in manual and e.lower() not in have]
    if absent and have is not None:  # never name an environment the repository does not have as "never" deployed
        envs = [e for e in envs if e not in absent]
        if not envs:
            return _stand_ins(ev, absent, have)
    missing = [e for e in envs if e not in auto]
    reason = f"{len(auto)}/{len(envs)} environments deployed automatically"
    if auto:
        reason += f" ({', '.join(f'{e} by {ref}' for e, ref in auto.items())})"
    if missing:
        how = [f"{e} only by hand ({manual[e]})" if e in manual else f"{e} never" for e in missing]
        reason += f"; {', '.join(how)}"
    evidence = list(auto.values()) + list(manual.values())
    if missing and unnamed:  # they may deploy the missing environments: not a confident fail
        reason += (f"; {listing(unnamed)} deploy{'s' if len(unnamed) == 1 else ''} automatically to an environment "
                   "chosen at run time (no environment: key), which may be one of them")
        return share(len(auto), len(envs), len(missing), reason, evidence + unnamed)
    if absent:
        reason += f"; the repository has no {listing(absent)} environment"
    return fraction(len(auto) / len(envs) if envs else 1.0, reason, evidence)


_NON_PRODUCTION = re.compile(
    r"(?<![a-z])(dev|develop|development|stag|stage|staging|stg|test|testing|qa|uat|preview|sandbox|non-?prod)(?![a-z])",
    re.I)


def _environments(ev: ClusterSnapshot) -> set[str] | None:
    """The environments a repository snapshot has, lower case: those its CI deploy jobs name and the clusters
    its deployed view declares (``View`` fact ``clusters``; the files view's cluster is named by whoever
    collected it, not by the repository); None on a cluster's own snapshot (not known there)."""
    if not declared_only(ev):
        return None
    views = [v for v in repo(ev, "View") if (v.spec or {}).get("view") == "deployed"]
    names = {str(c).lower() for v in views for c in (v.spec or {}).get("clusters") or [ev.cluster]}
    return names | {str(j.get("environment")).lower() for _, j in _releases(ev) if j.get("environment")}


def _stand_ins(ev: ClusterSnapshot, absent: list[str], have: set[str]) -> Result:
    """When the repository has none of the wanted environments: its environments named as non-production
    (staging, test, qa, ...) stand in, as Flux clusters of the deployed view, which Flux syncs on every
    commit. A name that does not say (``studio``, ``pro``) is no evidence either way: ``unknown``."""
    views = [v.spec or {} for v in repo(ev, "View")]
    flux = any(v.get("tool") == "flux" for v in views)
    others = sorted(e for e in have if _NON_PRODUCTION.search(e))
    none = f"the repository has no {listing(absent)} environment"
    if not others and have:
        return unknown(f"{none} and none of its environments ({listing(sorted(have))}) is named as a non-production "
                       "one: name those to judge in the rubric (deploy_auto_dev thresholds.environments)",
                       sorted(have))
    if others and flux:
        return passed(f"{none}; its non-production environment{'s' if len(others) > 1 else ''} {listing(others)} "
                      f"{'are' if len(others) > 1 else 'is'} synced automatically by Flux on every commit",
                      [f"cluster {e}" for e in others])
    if others:
        return unknown(f"{none}; it has {listing(others)}: name the non-production environments to judge in the "
                       "rubric (deploy_auto_dev thresholds.environments)", others)
    named = f" (it names: {listing(sorted(have))})" if have else ""
    return unknown(f"{none} and no other non-production one{named}: which environments it deploys, and how, "
                   "is not declared")


@check("deploy_prod_approval", thresholds=ProductionEnvironments)
def prod_approval(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Every deploy job to a production environment (the threshold's, or ``production``) needs a job
    doing approval; with no such deploy job, an approval job anywhere counts. Rollbacks are left out."""
    if (result := _workflows_unknown(ev)) is not None:
        return result
    envs = {str(e).lower() for e in cfg["environments"]} | {"production"}
    prod = [(wf, j) for wf, j in _releases(ev) if str(j.get("environment") or "").lower() in envs]
    approvals = jobs_doing(ev, "approval")
    if not prod:
        if approvals:
            return passed(f"approval job {listing(approvals)} (no deploy job names {'/'.join(sorted(envs))})",
                          approvals)
        # CI deploys nothing to production: what reaches it is what GitOps pulls, if anything does
        if (pulled := _pull_gate(ev, f"no approval job and no deploy job to {'/'.join(sorted(envs))} in CI",
                                 "approval is the review a merge needs (pull-request reviews required by branch "
                                 "protection)", beside_ci=True)) is not None:
            return pulled
        return failed(f"no approval job and no deploy job to {'/'.join(sorted(envs))}")
    unapproved = [_ref(wf, j) for wf, j in prod
                  if not (_does(j, "approval") or any(_does(u, "approval") for _, u in _upstream(ev, wf, j)))]
    if unapproved:
        return failed(f"{len(unapproved)}/{len(prod)} production deploy jobs need no approval: {listing(unapproved)}",
                      unapproved)
    return passed(f"production deploys wait for approval: {listing(_ref(wf, j) for wf, j in prod)}",
                  [_ref(wf, j) for wf, j in prod] + approvals)


def _progressive(ev: ClusterSnapshot) -> list[KubeObject]:
    """Flagger Canaries and Argo Rollouts whose controller runs (without it they do nothing); on a
    repository snapshot, those whose controller is declared too."""
    out = []
    only_declared = declared_only(ev)
    for controller, group, kind in (("flagger", FLAGGER, "Canary"), ("argo-rollouts", ARGO, "Rollout")):
        if running(ev, [controller]) or (only_declared and declared(ev, [controller])):
            out += ev.items(group, kind)
    return out


def _rolls_back(release: KubeObject) -> bool:
    """A Flux HelmRelease that rolls back a failed upgrade: ``upgrade.remediation`` retries (or
    ``remediateLastFailure``) with the default ``rollback`` strategy."""
    rem = (((release.spec or {}).get("upgrade") or {}).get("remediation")) or {}
    if not isinstance(rem, dict) or str(rem.get("strategy") or "rollback") != "rollback":
        return False
    retries = rem.get("retries")
    return (isinstance(retries, int) and (retries > 0 or retries == -1)) or rem.get("remediateLastFailure") is True


@check("deploy_rollback")
def rollback(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Failed releases are rolled back automatically.

    A CI job rolls back, Flagger canaries / Argo Rollouts roll back on failed analysis, or Flux
    HelmReleases roll back failed upgrades (``spec.upgrade.remediation``)."""
    jobs_found = jobs_doing(ev, "rollback")
    if jobs_found:
        return passed(f"rollback job {listing(jobs_found)}", jobs_found)
    canaries = _progressive(ev)
    if canaries:
        said = " declared" if all(c.declared for c in canaries) else ""
        return passed(f"automatic rollback by {len(canaries)}{said} canary object(s): "
                      f"{listing(where(c) if c.declared else c.ref for c in canaries)}", [c.ref for c in canaries])
    releases = ev.items(HELM, "HelmRelease")
    remediated = [r for r in releases if _rolls_back(r)]
    if remediated:
        said = "declared " if all(r.declared for r in remediated) else ""
        return passed(f"automated rollback of failed Helm upgrades: {len(remediated)}/{len(releases)} {said}"
                      f"HelmReleases set upgrade.remediation ({listing(r.name for r in remediated)})",
                      [where(r) for r in remediated])
    if (result := _workflows_unknown(ev)) is not None:
        return result
    idle = ev.items(FLAGGER, "Canary") + ev.items(ARGO, "Rollout")
    if idle:
        if declared_only(ev):  # the controller could be declared in what was not read
            return missing_part(failed(f"no rollback job; {len(idle)} canary object(s) declared but their controller "
                                       "(Flagger, Argo Rollouts) is not", [where(c) for c in idle]),
                                ev, "the controller", "HelmRelease", "Application", *WORKLOAD_KINDS)
        return failed(f"no rollback job; {len(idle)} canary object(s) but their controller is not running",
                      [c.ref for c in idle])
    return failed("no rollback job in CI, no Flagger Canary or Argo Rollout, no HelmRelease with upgrade remediation")


@check("deploy_image_scan_ci")
def image_scan_ci(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A CI job scans container images (Trivy, Grype, ...)."""
    return job_present(ev, "image-scan", "images scanned in CI")


@check("deploy_smoke_tests")
def smoke_tests(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A CI job runs smoke tests after a deploy: it deploys too, needs a deploy job, or its workflow
    runs after another (``workflow_run`` / ``deployment_status``)."""
    smoke = [(wf, j) for wf, j in jobs(ev) if _does(j, "smoke-test")]
    after = [_ref(wf, j) for wf, j in smoke
             if _does(j, "deploy") or set(_triggers(wf)) & {"workflow_run", "deployment_status"}
             or any(_does(u, "deploy") for _, u in _upstream(ev, wf, j))]
    if after:
        return passed(f"smoke tests after deploy: {listing(after)}", after)
    if (result := _workflows_unknown(ev)) is not None:
        return result
    if smoke:
        refs = [_ref(wf, j) for wf, j in smoke]
        return failed(f"smoke tests {listing(refs)} do not follow a deploy", refs)
    return failed("no CI job runs smoke tests")


@check("deploy_preview_envs")
def preview_envs(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A CI job deploys previews, or the cluster has preview namespaces (label readiness.dev/preview=true)."""
    found = jobs_doing(ev, "preview")
    spaces = [n for n in ev.items("", "Namespace") if n.labels.get("readiness.dev/preview") == "true"]
    here = f"; {len(spaces)} preview namespace(s) here" if spaces else ""
    if found:
        return passed(f"preview job {listing(found)}{here}", found + [n.ref for n in spaces])
    if spaces:
        return passed(f"{len(spaces)} preview namespace(s): {listing(n.name for n in spaces)}", [n.ref for n in spaces])
    per_pr = [a for a in ev.items(ARGO, "ApplicationSet") if _pull_request_generator((a.spec or {}).get("generators"))]
    if per_pr:
        how = "declared in" if all(a.declared for a in per_pr) else "by"
        return passed(f"an environment per pull request: ApplicationSet pullRequest generator {how} "
                      f"{listing(where(a) for a in per_pr)}", [where(a) for a in per_pr])
    if (result := _workflows_unknown(ev)) is not None:
        return result
    return failed("no CI job deploys previews and no namespace is labelled readiness.dev/preview=true")


def _pull_request_generator(generators: Any) -> bool:
    """Whether Argo CD ApplicationSet generators (matrix and merge nested) include ``pullRequest``."""
    for g in generators if isinstance(generators, list) else []:
        if not isinstance(g, dict):
            continue
        if "pullRequest" in g:
            return True
        for nested in ("matrix", "merge"):
            if _pull_request_generator((g.get(nested) or {}).get("generators")):
                return True
    return False


@check("deploy_canary", thresholds=CanaryServices)
def canary(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Share of the critical services that roll out by canary.

    The threshold's services running here (on a repository: declared) that a Flagger Canary
    targets, or that run as (or through) an Argo Rollout. None running, or none named: not applicable."""
    services = [str(s) for s in cfg["services"]]
    if not services:
        return not_applicable("the rubric names no critical services (thresholds.services)")
    if declared_only(ev):
        return _canary_declared(ev, services)
    rollouts = [r for r in ev.items(ARGO, "Rollout") if (app_name(r) in services or r.name in services)
                and int((r.status or {}).get("readyReplicas") or 0) > 0]
    found = running(ev, services) + rollouts
    if not found:
        if ev.unreadable(*[("apps", k) for k in WORKLOAD_KINDS]):
            return unknown("workloads could not be read")
        return not_applicable(f"none of {', '.join(services)} runs here")
    active = _progressive(ev)
    targets = set()
    for c in active:
        ref = (c.spec or {}).get("targetRef" if c.kind == "Canary" else "workloadRef") or {}
        targets.add((c.namespace, ref.get("name")))
        if c.kind == "Rollout":
            targets.add((c.namespace, c.name))
    by_service: dict[str, bool] = {}
    for w in found:
        svc = app_name(w) if app_name(w) in services else w.name
        by_service[svc] = by_service.get(svc, True) and (w.namespace, w.name) in targets
    missing = sorted(s for s, ok in by_service.items() if not ok)
    if missing and (blind := ev.unreadable((FLAGGER, "Canary"), (ARGO, "Rollout"))):
        return unknown(f"{', '.join(blind)} could not be read; {listing(missing)} may have none")
    reason = f"{len(by_service) - len(missing)}/{len(by_service)} critical services roll out by canary"
    if missing:
        reason += f"; not: {listing(missing)}"
        if ev.items(FLAGGER, "Canary") and not running(ev, ["flagger"]):
            reason += " (Flagger is not running)"
    return fraction(1 - len(missing) / len(by_service), reason, [c.ref for c in active] or [w.ref for w in found])


def _canary_declared(ev: ClusterSnapshot, services: list[str]) -> Result:
    """On a repository snapshot: share of the declared critical services a declared Canary or
    Rollout targets (by the service's or its declaring object's name), with its controller declared."""
    decl = {s: declared(ev, [s]) for s in services}
    present = [s for s in services if decl[s]]
    if not present:
        return not_applicable(f"none of {', '.join(services)} is declared in the repository")
    active = _progressive(ev)
    names = set()
    for c in active:
        ref = (c.spec or {}).get("targetRef" if c.kind == "Canary" else "workloadRef") or {}
        names |= {str(ref.get("name")), c.name} if c.kind == "Rollout" else {str(ref.get("name"))}
    covered = [s for s in present if s in names or any(d.name in names for d in decl[s])]
    missing = [s for s in present if s not in covered]
    reason = f"{len(covered)}/{len(present)} declared critical services roll out by a declared canary"
    if missing:
        reason += f"; not: {listing(missing)}"
        if ev.items(FLAGGER, "Canary") and not declared(ev, ["flagger"]):
            reason += " (Flagger is not declared)"
    return fraction(len(covered) / len(present), reason, [where(c) for c in active])


@check("test_unit_coverage", thresholds=UnitCoverage)
def unit_coverage(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Unit test line coverage from CI's coverage report against ``min_line_rate`` (the lowest report counts)."""
    reports = [r for r in repo(ev, "CoverageReport") if isinstance((r.spec or {}).get("line_rate"), int | float)]
    if not reports:
        if ev.unreadable((REPO_GROUP, "CoverageReport")):
            return unknown("coverage reports could not be read")
        measured = jobs_doing(ev, "coverage")
        if measured:  # CI measures it (and uploads it elsewhere): the rate is not in the repository
            return unknown(f"CI measures coverage ({listing(measured)}) but no report is in the repository, "
                           "so the rate cannot be read (commit coverage.xml)", measured)
        return failed("no coverage report from CI (publish coverage.xml)")
    low = min(reports, key=lambda r: float(r.spec["line_rate"]))
    rate, target = float(low.spec["line_rate"]), float(cfg["min_line_rate"])
    reason = f"line coverage {rate:.0%} in {low.name} (target {target:.0%})"
    return fraction(rate / target if target else 1.0, reason, [low.ref])


@check("test_integration")
def integration(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A CI job runs integration tests."""
    return job_present(ev, "integration-test", "integration tests in CI")


@check("test_e2e")
def e2e(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A CI job runs end-to-end tests."""
    return job_present(ev, "e2e-test", "end-to-end tests in CI")


@check("test_load")
def load(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """A CI job runs load tests (k6)."""
    return job_present(ev, "load-test", "load tests in CI")
